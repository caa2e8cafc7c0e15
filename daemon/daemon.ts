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
import { createControlServer } from './control/server.ts';
import { daemonEvents } from './daemon-events.ts';
import { createEventLoopMonitor } from './event-loop.ts';
import { createCpeRegistry } from './ingest/cpe-registry.ts';
import { createDeviceReporter, type DeviceReporter } from './ingest/devices.ts';
import { createIngestServer, type IngestServer } from './ingest/http.ts';
import { latestValues } from './ingest/latest.ts';
import { createRemoteIngest } from './ingest/remote.ts';
import { createTargetLoader } from './ingest/targets.ts';
import { createCollectorTokens } from './ingest/tokens.ts';
import { createTelemetryWriter, type TelemetryWriter } from './ingest/writer.ts';
import type { Logger } from './lib/log.ts';
import { Lifecycle } from './lifecycle.ts';
import { coaEnforcement } from './policy/fup/enforce.ts';
import { createFup, type Fup, subscribersOf } from './policy/fup/index.ts';
import { registerFupOperations } from './policy/fup/operations.ts';
import { type Accounting, createAccounting } from './radius/accounting/index.ts';
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

export function createDaemon(config: Config, log: Logger): Daemon {
  const lifecycle = new Lifecycle(log);
  const dataDir = new DataDir(config.daemon.data_dir);
  const dictionary = loadStandardDictionary(config.radius.dictionaries);
  const instance = () => postgres.instance;
  const batching = batcherOptions(config.clickhouse);
  let ready = false;

  lifecycle.add(createEventLoopMonitor(log));
  lifecycle.add(dataDirLock(dataDir));
  const security = lifecycle.add(createSecurity(config.security.secret_key, dataDir));
  const box = () => security.box;
  const postgres = lifecycle.add(createPostgres(config.database, { log, dataDir, migrations: postgresMigrations() }));
  lifecycle.add(createDemo(config.radius, { log, postgres, box }));
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
  const cache = lifecycle.add(
    createRadiusCache(config.radius, {
      log,
      postgres,
      changes,
      dictionary,
      get box() {
        return security.box;
      },
    }),
  );
  const accounting = lifecycle.add(createAccounting(config.accounting, { log, dataDir, clickhouse, instance }));
  const sessions = lifecycle.add(createSessions(config.radius, { log, postgres, directory: cache, accounting }));
  const coa = lifecycle.add(
    createCoa(config.coa, config.radius, { log, cache, sessions, clickhouse, postgres, box, instance, batching }),
  );
  const fup = lifecycle.add(
    createFup(config.fup, {
      log,
      postgres,
      bus,
      changes,
      subscriber: subscribersOf(cache),
      actions: coaEnforcement(coa),
    }),
  );
  const control = createControlServer({ log, dataDir });
  registerFupOperations(control, fup, cache);
  registerCoaOperations(control, coa, sessions);
  control.handle('device.latest', async (args) => latestValues(clickhouse, String(args.device ?? '')));
  // Importing the staff panel's AdminJS holds the event loop for most of a second: before RADIUS listens, not after.
  const panelBundleDir = dataDir.sub('adminjs');
  lifecycle.add(createPanelPreload(config.admin, panelBundleDir));
  const radius = lifecycle.add(
    createRadiusListener(config.radius, {
      log,
      nas: cache.nas,
      handler: createRadiusProcess(config.radius, {
        log,
        cache,
        sessions,
        accounting,
        policy: fup,
        clickhouse,
        batching,
        instance,
      }),
    }),
  );

  // Telemetry comes after RADIUS: it starts later and stops first, and nothing on the RADIUS path waits for it.
  const telemetry = lifecycle.add(createTelemetryWriter(config.telemetry, { log, clickhouse, dataDir }));
  const devices = lifecycle.add(createDeviceReporter({ log, postgres, clickhouse, bus, batching }));
  const targets = lifecycle.add(createTargetLoader({ log, postgres, changes, box }));
  const parsePool = lifecycle.add(
    createParsePool({ threads: config.ingest.parse_threads, maxQueue: config.ingest.parse_queue }, { log }),
  );
  lifecycle.add(createSnmpCollector(config.snmp, { log, targets, sink: telemetry, reports: devices }));
  lifecycle.add(createEpcCollector(config.epc, { log, targets, sink: telemetry, reports: devices, pool: parsePool }));
  lifecycle.add(
    createCpeCollector(config.cpe, {
      log,
      registry: createCpeRegistry(postgres),
      sink: telemetry,
      reports: devices,
      pool: parsePool,
    }),
  );
  const tokens = lifecycle.add(createCollectorTokens({ log, postgres, changes }));
  lifecycle.add(
    createRemoteIngest(config.ingest, {
      log,
      bus,
      postgres,
      changes,
      box,
      tokens,
      sink: telemetry,
      reports: devices,
    }),
  );
  const ingest: IngestServer = lifecycle.add(
    createIngestServer(config.ingest, {
      log,
      sink: telemetry,
      pool: parsePool,
      tokens,
      bus,
      counters: (): Record<string, Readonly<Record<string, number>>> => ({
        radius: radius.counters(),
        accounting: accounting.counters(),
        telemetry: telemetry.counters(),
        ingest: ingest.counters(),
        devices: devices.counters(),
      }),
    }),
  );

  lifecycle.add(control);

  // Last: it shows every other component's counters, and stops first so no staff request meets a stopped component.
  const admin = lifecycle.add(
    createAdminServer(config.admin, {
      log,
      postgres,
      ready: () => ready,
      counters: () => lifecycle.counters(),
      operations: control,
      panel: {
        box,
        connection: () => postgres.pool.options,
        clickhouse,
        bundleDir: panelBundleDir,
      },
      views: { clickhouse, sessions, fup },
    }),
  );

  const record = daemonEvents({ clickhouse, instance, log });

  return {
    config,
    log,
    dataDir,
    postgres,
    clickhouse,
    bus,
    changes,
    cache,
    sessions,
    accounting,
    coa,
    fup,
    radius,
    telemetry,
    devices,
    ingest,
    admin,
    lifecycle,

    async start() {
      const t0 = performance.now();
      if (!(await lifecycle.start())) return false;
      const bootMs = Math.round(performance.now() - t0);
      // With --expose-gc (the benches), garbage from loading is collected first, so the figures are what stays.
      (globalThis as { gc?: () => void }).gc?.();
      const memory = process.memoryUsage();
      const rssMb = Math.round(memory.rss / 1e6);
      const stores = {
        postgres: postgres.mode === 'remote' ? 'remote' : 'embedded',
        clickhouse: clickhouse.embedded ? 'embedded' : 'remote',
        bus: bus.kind === 'memory' ? 'embedded' : 'remote',
      } as const;
      await record('start', { boot_ms: bootMs, rss_mb: rssMb, stores });
      ready = true;
      log.info(
        {
          version,
          instance: instance(),
          boot_ms: bootMs,
          rss_mb: rssMb,
          heap_mb: Math.round(memory.heapUsed / 1e6),
          embedded: Object.keys(stores).filter((k) => stores[k as keyof typeof stores] === 'embedded'),
          remote: Object.keys(stores).filter((k) => stores[k as keyof typeof stores] === 'remote'),
          stores: Object.fromEntries(lifecycle.components.map((c) => [c.name, c.describe()])),
        },
        'ready',
      );
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
