/**
 * The daemon: its components in dependency order (started in that order, stopped in reverse), the `ready` line, and
 * a record of each start and stop in ClickHouse.
 */
import { hostname } from 'node:os';
import type { Config } from '../config/schema.ts';
import type { Component } from './component.ts';
import { Lifecycle } from './lifecycle.ts';
import type { Logger } from './log.ts';
import { type Bus, createBus } from './store/bus/index.ts';
import {
  type ClickhouseStore,
  coreMigrations as clickhouseMigrations,
  createClickhouse,
} from './store/clickhouse/index.ts';
import { DataDir } from './store/datadir.ts';
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
  readonly lifecycle: Lifecycle;
  /** Starts every component; resolves to false when stop() was called before the daemon became ready. */
  start(): Promise<boolean>;
  stop(): Promise<void>;
}

/** The data directory as a component: taken first, released last; one wispd process per directory. */
function dataDirComponent(dataDir: DataDir): Component {
  return {
    name: 'data-dir',
    async start() {
      dataDir.acquireOrThrow();
    },
    async stop() {
      dataDir.release();
    },
    counters: () => ({}),
    describe: () => dataDir.path,
  };
}

export function createDaemon(config: Config, log: Logger): Daemon {
  const lifecycle = new Lifecycle(log);
  const dataDir = new DataDir(config.daemon.data_dir);
  lifecycle.add(dataDirComponent(dataDir));
  const postgres = lifecycle.add(createPostgres(config.database, { log, dataDir, migrations: postgresMigrations() }));
  const clickhouse = lifecycle.add(
    createClickhouse(config.clickhouse, {
      log,
      dataDir,
      migrations: clickhouseMigrations(),
      lock: (fn) => postgres.exclusive(LOCK.clickhouseMigrations, () => fn()),
    }),
  );
  const bus = lifecycle.add(createBus(config.nats, { log }));

  let instance = '00000000-0000-0000-0000-000000000000';
  let ready = false;

  /** Appends to `daemon_events`; a failure is logged, never fatal (the record is history, not state). */
  async function record(event: 'start' | 'stop', detail: Record<string, unknown>): Promise<void> {
    try {
      await clickhouse.insert('daemon_events', [
        {
          ts: Date.now(),
          instance,
          host: hostname(),
          pid: process.pid,
          version,
          event,
          detail: JSON.stringify(detail),
        },
      ]);
    } catch (err) {
      log.warn({ err: (err as Error).message, event }, 'could not record the daemon event in ClickHouse');
    }
  }

  return {
    config,
    log,
    dataDir,
    postgres,
    clickhouse,
    bus,
    lifecycle,

    async start() {
      const t0 = performance.now();
      if (!(await lifecycle.start())) return false;
      instance = (await postgres.query<{ id: string }>('SELECT id FROM instance')).rows[0]?.id ?? instance;
      const bootMs = Math.round(performance.now() - t0);
      const rssMb = Math.round(process.memoryUsage().rss / 1e6);
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
          instance,
          boot_ms: bootMs,
          rss_mb: rssMb,
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
