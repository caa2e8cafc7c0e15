/**
 * `wispd collect --site S`: a remote poller at a tower site. It runs only the collectors for that site's devices (SNMP,
 * EPC scrapes), learns the devices from the daemon over NATS with its collector token, and publishes what it collects
 * to JetStream, where the daemon takes it. It needs no database and no instance key on the site.
 */
import { hostname } from 'node:os';
import { createEpcCollector } from '../../collectors/epc/index.ts';
import { createParsePool } from '../../collectors/parse/pool.ts';
import { createRemotePublisher } from '../../collectors/remote/publisher.ts';
import { createRemoteTargets } from '../../collectors/remote/targets.ts';
import { createSnmpCollector } from '../../collectors/snmp/index.ts';
import {
  type DeviceTarget,
  ensureTelemetryStream,
  TARGETS_CHANGED_SUBJECT,
  TARGETS_SUBJECT,
} from '../../contracts/telemetry/index.ts';
import { WispdError } from '../lib/errors.ts';
import { createLogger } from '../lib/log.ts';
import { Lifecycle } from '../lifecycle.ts';
import { runUntilSignalled } from '../signals.ts';
import { createBus } from '../store/bus/index.ts';
import { type GlobalOptions, load } from './load.ts';

export interface CollectOptions {
  site?: string;
  token?: string;
}

export async function collect(opts: GlobalOptions & CollectOptions): Promise<void> {
  const { config } = load(opts);
  const site = opts.site ?? config.collect.site;
  const token = opts.token ?? config.collect.token;
  const log = createLogger(config.log, { base: { site } });
  const fail = (message: string) => {
    log.fatal({ code: 'WISPD_INVALID_INPUT' }, message);
    process.exit(1);
  };
  if (config.nats.url === '')
    fail('wispd collect publishes to NATS: set nats.url (WISPD_NATS_URL) to the daemon’s NATS');
  if (!site) fail('which site? --site or collect.site (WISPD_COLLECT_SITE)');
  if (!token)
    fail(
      'a collector token is required: --token or collect.token (WISPD_COLLECT_TOKEN), from `wispd collector add --site …`',
    );

  const lifecycle = new Lifecycle(log);
  const bus = lifecycle.add(createBus(config.nats, { log }));
  const prefix = config.nats.subject_prefix;
  lifecycle.add({
    name: 'stream',
    async start() {
      if (!bus.nats) throw new WispdError('WISPD_BUS_CONNECT', 'NATS is not connected');
      await ensureTelemetryStream(bus.nats, prefix, {
        maxBytes: config.ingest.stream_max_mb * 1024 * 1024,
        maxAgeMs: config.ingest.stream_max_age,
      });
    },
    async stop() {},
    counters: () => ({}),
    describe: () => 'JetStream stream',
  });
  const publisher = lifecycle.add(
    createRemotePublisher(
      {
        prefix,
        site,
        collector: `${site}-${hostname()}`.replace(/[^A-Za-z0-9_-]/g, '_'),
        maxPendingRows: config.telemetry.max_pending_rows,
      },
      { log, nats: () => bus.nats! },
    ),
  );
  const targets = lifecycle.add(
    createRemoteTargets({
      log,
      site,
      token,
      ask: (request) => bus.request<DeviceTarget[]>(TARGETS_SUBJECT, request, { timeout: 10_000 }),
      onAnnounced: (fn) => {
        const sub = bus.subscribe(TARGETS_CHANGED_SUBJECT, fn);
        return () => sub.unsubscribe();
      },
    }),
  );
  const pool = lifecycle.add(
    createParsePool(
      { threads: Math.min(2, config.ingest.parse_threads || 2), maxQueue: config.ingest.parse_queue },
      { log },
    ),
  );
  lifecycle.add(createSnmpCollector(config.snmp, { log, targets, sink: publisher, reports: publisher }));
  lifecycle.add(createEpcCollector(config.epc, { log, targets, sink: publisher, reports: publisher, pool }));

  await runUntilSignalled(
    {
      async start() {
        await lifecycle.start();
        log.info({ devices: targets.targets().length, nats: bus.describe() }, 'collecting');
      },
      stop: () => lifecycle.stop(),
    },
    log,
    config.daemon.shutdown_timeout,
  );
}
