import { hostname } from 'node:os';
/**
 * The daemon: its components in dependency order (started in that order, stopped in reverse), the `ready` line, and
 * a record of each start and stop in ClickHouse.
 */
import { type AdminServer, createAdminServer, createPanelPreload } from '../admin/index.ts';
import { createCpeCollector } from '../collectors/cpe/index.ts';
import { createEpcCollector } from '../collectors/epc/index.ts';
import { createParsePool } from '../collectors/parse/pool.ts';
import { createSnmpCollector } from '../collectors/snmp/index.ts';
import type { Config } from '../config/schema.ts';
import { type Coa, createCoa } from './coa/index.ts';
import { registerCoaOperations } from './coa/operations.ts';
import { createCoreCommands } from './commands/index.ts';
import { type ControlServer, createControlServer } from './control/server.ts';
import { bootFigures, daemonEvents } from './daemon-events.ts';
import { createEventLoopMonitor } from './event-loop.ts';
import { createEvents, type Events } from './events/index.ts';
import { createCpeRegistry } from './ingest/cpe-registry.ts';
import { createDeviceReporter, type DeviceReporter } from './ingest/devices.ts';
import { createIngestServer, type IngestServer } from './ingest/http.ts';
import { registerDeviceOperations } from './ingest/latest-samples.ts';
import { createRemoteIngest } from './ingest/remote.ts';
import { createTargetLoader } from './ingest/targets.ts';
import { createCollectorTokens } from './ingest/tokens.ts';
import { createTelemetryWriter, type TelemetryWriter } from './ingest/writer.ts';
import { createJobs, type Jobs } from './jobs/index.ts';
import { type Clock, createClock } from './lib/clock.ts';
import type { Logger } from './lib/log.ts';
import { Lifecycle } from './lifecycle.ts';
import { createNotify, type Notify } from './notify/index.ts';
import { registerNotifyOperations } from './notify/operations.ts';
import { createPluginHost, type PluginHost } from './plugins/host.ts';
import { createFup, type Fup, subscribersOf } from './policy/fup/index.ts';
import { registerFupOperations } from './policy/fup/operations.ts';
import { createRestrictions, type Restrictions } from './policy/restrictions/index.ts';
import { registerRestrictionOperations } from './policy/restrictions/operations.ts';
import { type Accounting, createAccounting } from './radius/accounting/index.ts';
import { registerAccountingOperations } from './radius/accounting/operations.ts';
import { createRadiusCache, type RadiusCache } from './radius/cache/index.ts';
import { loadStandardDictionary } from './radius/codec/index.ts';
import { createDemo } from './radius/demo.ts';
import { createRadiusListener, type RadiusListener } from './radius/listener/index.ts';
import { createRadiusProcess } from './radius/process/index.ts';
import { createSessions, type Sessions } from './radius/sessions/index.ts';
import { createSecurity } from './security/secret-box.ts';
import { type Bus, createBus } from './store/bus/index.ts';
import { type Changes, createChanges } from './store/changes.ts';
import { batcherOptions } from './store/clickhouse/batcher.ts';
import {
  type ClickhouseStore,
  coreMigrations as clickhouseMigrations,
  createClickhouse,
} from './store/clickhouse/index.ts';
import { DataDir, dataDirLock } from './store/datadir.ts';
import {
  createPostgres,
  LOCK,
  type PostgresStore,
  coreMigrations as postgresMigrations,
} from './store/postgres/index.ts';
import { version } from './version.ts';
import { createWorkflows, type Workflows } from './workflows/index.ts';

export interface Daemon {
  readonly config: Config;
  readonly log: Logger;
  readonly dataDir: DataDir;
  readonly postgres: PostgresStore;
  readonly clickhouse: ClickhouseStore;
  readonly bus: Bus;
  readonly changes: Changes;
  readonly cache: RadiusCache;
  readonly sessions: Sessions;
  readonly accounting: Accounting;
  readonly coa: Coa;
  readonly fup: Fup;
  readonly restrictions: Restrictions;
  readonly plugins: PluginHost;
  readonly events: Events;
  readonly notify: Notify;
  readonly jobs: Jobs;
  readonly workflows: Workflows;
  readonly radius: RadiusListener;
  readonly telemetry: TelemetryWriter;
  readonly devices: DeviceReporter;
  readonly ingest: IngestServer;
  readonly admin: AdminServer;
  readonly lifecycle: Lifecycle;
  /** Starts every component; resolves to false when stop() was called before the daemon became ready. */
  start(): Promise<boolean>;
  stop(): Promise<void>;
}

/** What every part of the wiring shares. */
interface Wiring {
  config: Config;
  log: Logger;
  lifecycle: Lifecycle;
  dataDir: DataDir;
  clock: Clock;
}

/** The stores and what sits directly on them: the data directory, the key, PostgreSQL, ClickHouse, the bus. */
function wireStores({ config, log, lifecycle, dataDir }: Wiring) {
  lifecycle.add(createEventLoopMonitor(log));
  lifecycle.add(dataDirLock(dataDir));
  const security = lifecycle.add(createSecurity(config.security.secret_key, dataDir));
  const box = () => security.box;
  const postgres = lifecycle.add(createPostgres(config.database, { log, dataDir, migrations: postgresMigrations() }));
  lifecycle.add(createDemo(config.radius, { log, postgres, box, remoteDatabase: config.database.url !== '' }));
  const clickhouse = lifecycle.add(
    createClickhouse(config.clickhouse, {
      log,
      dataDir,
      migrations: clickhouseMigrations(),
      lock: (fn) => postgres.exclusive(LOCK.clickhouseMigrations, () => fn()),
      tolerateUnavailable: true,
    }),
  );
  const bus = lifecycle.add(createBus(config.nats, { log }));
  const changes = lifecycle.add(createChanges({ log, postgres }));
  return {
    security,
    box,
    postgres,
    clickhouse,
    bus,
    changes,
    instance: () => postgres.instance,
    batching: batcherOptions(config.clickhouse),
  };
}

type Stores = ReturnType<typeof wireStores>;

/** RADIUS, accounting, CoA and FUP; the RADIUS sockets open last, once everything behind them is up. */
function wireRadius(w: Wiring, stores: Stores, control: ControlServer) {
  const { config, log, lifecycle, dataDir } = w;
  const { postgres, clickhouse, bus, changes, box, instance, batching, security } = stores;
  const events = lifecycle.add(createEvents(config.events, { log, postgres, bus }));
  const notify = lifecycle.add(createNotify(config.notify, { log, postgres, bus, now: w.clock.now }));
  registerNotifyOperations(control, notify, postgres);
  const jobs = lifecycle.add(createJobs({ log, postgres, now: w.clock.now }));
  if (config.daemon.test_clock)
    control.handle('clock.advance', async (args) => {
      w.clock.advance(Number(args.ms));
      return { now: new Date(w.clock.now()).toISOString() };
    });
  control.handle('jobs', async () => jobs.list());
  control.handle('job.run', async (args) => jobs.runNow(String(args.name ?? '')));
  const workflows = lifecycle.add(createWorkflows({ log, postgres, owner: `${hostname()}:${config.daemon.data_dir}` }));
  control.handle('workflow.retry', async (args) => workflows.retry(String(args.id ?? '')));
  control.handle('workflow.abandon', async (args) => workflows.abandon(String(args.id ?? '')));
  const cache = lifecycle.add(
    createRadiusCache(config.radius, {
      log,
      postgres,
      changes,
      dictionary: loadStandardDictionary(config.radius.dictionaries),
      get box() {
        return security.box;
      },
    }),
  );
  const accounting = lifecycle.add(
    createAccounting(config.accounting, {
      log,
      dataDir,
      clickhouse,
      instance,
      duplicateWindow: config.radius.duplicate_window,
    }),
  );
  const sessions = lifecycle.add(createSessions(config.radius, { log, postgres, directory: cache, accounting }));
  const coa = lifecycle.add(
    createCoa(config.coa, config.radius, { log, cache, sessions, clickhouse, postgres, box, instance, batching }),
  );
  // Fair usage is one reason of the restriction stack, which asks it for its verdict: each is given the other late.
  let fup: Fup | undefined;
  const restrictions = lifecycle.add(
    createRestrictions({
      log,
      postgres,
      coa,
      cache,
      bus,
      fupVerdict: (id) => fup?.verdictById(id) ?? { action: 'none' },
    }),
  );
  fup = lifecycle.add(
    createFup(config.fup, {
      log,
      postgres,
      bus,
      changes,
      subscriber: subscribersOf(cache),
      actions: restrictions.fup,
      now: w.clock.now,
    }),
  );
  registerFupOperations(control, fup, cache, postgres, clickhouse);
  registerCoaOperations(control, coa, sessions, postgres);
  registerRestrictionOperations(control, restrictions, postgres);
  registerAccountingOperations(control, accounting);
  const core = createCoreCommands({ postgres, box, cache, sessions, coa, restrictions, fup, bus });
  // Plugins register before the panel is built and RADIUS listens; a failed one is marked so, and the boot goes on.
  const plugins = lifecycle.add(
    createPluginHost(config.plugins, {
      log,
      postgres,
      events,
      jobs,
      workflows,
      notify,
      box,
      core: (name) => core(`plugin:${name}`),
    }),
  );
  control.handle('plugins', async () => plugins.list());
  // Importing the staff panel's AdminJS holds the event loop for most of a second: before RADIUS listens, not after.
  lifecycle.add(createPanelPreload(config.admin, dataDir.sub('adminjs')));
  const handler = createRadiusProcess(config.radius, {
    log,
    cache,
    sessions,
    accounting,
    policy: fup,
    clickhouse,
    batching,
    instance,
    events,
  });
  const radius = lifecycle.add(createRadiusListener(config.radius, { log, nas: cache.nas, handler }));
  return {
    core,
    events,
    notify,
    jobs,
    workflows,
    cache,
    accounting,
    sessions,
    coa,
    fup,
    restrictions,
    plugins,
    radius,
  };
}

/**
 * Telemetry after RADIUS: it starts later and stops first, and nothing on the RADIUS path waits for it. The writer,
 * the device reports, the daemon's own collectors, remote pollers' stream and the push endpoint.
 */
function wireTelemetry(
  w: Wiring,
  stores: Stores,
  control: ControlServer,
  live: () => Record<string, Readonly<Record<string, number>>>,
) {
  const { config, log, lifecycle, dataDir } = w;
  const { postgres, clickhouse, bus, changes, box, batching } = stores;
  const telemetry = lifecycle.add(createTelemetryWriter(config.telemetry, { log, clickhouse, dataDir }));
  const devices = lifecycle.add(createDeviceReporter({ log, postgres, clickhouse, bus, batching }));
  registerDeviceOperations(control, clickhouse);
  const targets = lifecycle.add(createTargetLoader({ log, postgres, changes, box }));
  const pool = lifecycle.add(
    createParsePool({ threads: config.ingest.parse_threads, maxQueue: config.ingest.parse_queue }, { log }),
  );
  const delivery = { log, targets, sink: telemetry, reports: devices };
  lifecycle.add(createSnmpCollector(config.snmp, delivery));
  lifecycle.add(createEpcCollector(config.epc, { ...delivery, pool }));
  lifecycle.add(createCpeCollector(config.cpe, { ...delivery, registry: createCpeRegistry(postgres), pool }));
  const tokens = lifecycle.add(createCollectorTokens({ log, postgres, changes }));
  lifecycle.add(
    createRemoteIngest(config.ingest, { log, bus, postgres, changes, box, tokens, sink: telemetry, reports: devices }),
  );
  const ingest = lifecycle.add(
    createIngestServer(config.ingest, { log, sink: telemetry, pool, tokens, bus, counters: live }),
  );
  return { telemetry, devices, ingest };
}

export function createDaemon(config: Config, log: Logger): Daemon {
  const lifecycle = new Lifecycle(log);
  const w: Wiring = { config, log, lifecycle, dataDir: new DataDir(config.daemon.data_dir), clock: createClock() };
  const stores = wireStores(w);
  const control = createControlServer({ log, dataDir: w.dataDir });
  const radius = wireRadius(w, stores, control);
  const telemetry: ReturnType<typeof wireTelemetry> = wireTelemetry(w, stores, control, () => ({
    radius: radius.radius.counters(),
    accounting: radius.accounting.counters(),
    telemetry: telemetry.telemetry.counters(),
    ingest: telemetry.ingest.counters(),
    devices: telemetry.devices.counters(),
  }));
  lifecycle.add(control);
  let ready = false;
  // Last: it shows every other component's counters, and stops first so no staff request meets a stopped component.
  const admin = lifecycle.add(
    createAdminServer(config.admin, {
      log,
      postgres: stores.postgres,
      ready: () => ready,
      now: w.clock.now,
      counters: () => lifecycle.counters(),
      operations: control,
      panel: {
        box: stores.box,
        connection: () => stores.postgres.pool.options,
        clickhouse: stores.clickhouse,
        bundleDir: w.dataDir.sub('adminjs'),
        pluginPages: () => radius.plugins.pages(),
      },
      views: { clickhouse: stores.clickhouse, sessions: radius.sessions, fup: radius.fup },
      plugins: radius.plugins,
      notify: radius.notify,
      api: { core: radius.core, sessions: radius.sessions, clickhouse: stores.clickhouse },
    }),
  );
  const record = daemonEvents({ clickhouse: stores.clickhouse, instance: stores.instance, log });

  return {
    config,
    log,
    dataDir: w.dataDir,
    postgres: stores.postgres,
    clickhouse: stores.clickhouse,
    bus: stores.bus,
    changes: stores.changes,
    ...radius,
    ...telemetry,
    admin,
    lifecycle,

    async start() {
      const t0 = performance.now();
      if (!(await lifecycle.start())) return false;
      const boot = bootFigures(Math.round(performance.now() - t0), stores);
      await record('start', { boot_ms: boot.boot_ms, rss_mb: boot.rss_mb, stores: boot.stores });
      ready = true;
      const described = (names: string[]) =>
        Object.fromEntries(
          lifecycle.components.filter((c) => names.includes(c.name)).map((c) => [c.name, c.describe()]),
        );
      // The stores and the listeners; every component's line is at debug.
      log.debug({ components: described(lifecycle.components.map((c) => c.name)) }, 'components');
      log.info(
        {
          version,
          instance: stores.instance(),
          ...boot,
          stores: described(['postgres', 'clickhouse', 'bus']),
          listening: described(['radius', 'ingest', 'admin']),
        },
        'ready',
      );
      lifecycle.afterReady();
      return true;
    },

    async stop() {
      if (ready) {
        ready = false;
        await record('stop', { uptime_s: Math.round(process.uptime()), counters: lifecycle.counters() });
      }
      await lifecycle.stop();
    },
  };
}
