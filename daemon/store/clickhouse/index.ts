/**
 * ClickHouse, for events and time series, through `@clickhouse/client`. Without `clickhouse.url` the client runs on
 * embedded chDB under the data directory (`createChdbConnection`), one code path for both. chDB binds one data
 * directory per process, so only the process that owns the data directory opens it, and never from a worker thread.
 */

import { Readable } from 'node:stream';
import { type ClickHouseClient, ClickHouseLogLevel, type ClickHouseSettings, createClient } from '@clickhouse/client';
import { type ChdbConnection, createChdbConnection } from 'chdb/connection';
import { maskUrl } from '../../../config/define.ts';
import type { ClickhouseConfig } from '../../../config/schema.ts';
import type { Component } from '../../lib/component.ts';
import { WispdError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import { sampledLog } from '../../lib/sampled-log.ts';
import type { DataDir } from '../datadir.ts';
import { logReport, type Migration, type MigrationReport, pending, readMigrations, statements } from '../migrations.ts';

export const coreMigrations = (): Migration[] => readMigrations('core', new URL('./migrations/', import.meta.url));

/** Runs `fn` while no other wispd process migrates the same ClickHouse (the daemon passes a PostgreSQL lock). */
export type MigrationLock = <T>(fn: () => Promise<T>) => Promise<T>;

export interface ClickhouseStore extends Component {
  readonly embedded: boolean;
  /** The client; valid between start() and stop(). */
  readonly client: ClickHouseClient;
  readonly migrations: MigrationReport;
  query<R>(query: string, params?: Record<string, unknown>): Promise<R[]>;
  command(query: string, params?: Record<string, unknown>): Promise<void>;
  insert(table: string, rows: readonly Record<string, unknown>[]): Promise<void>;
  /**
   * Inserts TabSeparated rows (see tsv.ts) into the given columns: lines, or one buffer of them. `rows` counts the
   * rows of a buffer (for the counters). Settings apply to this insert only.
   */
  insertTsv(
    table: string,
    columns: readonly string[],
    body: readonly string[] | Buffer,
    settings?: ClickHouseSettings,
    rows?: number,
  ): Promise<void>;
}

export interface ClickhouseDeps {
  log: Logger;
  /** Needed when `clickhouse.url` is empty; the data directory must be owned by this process. */
  dataDir?: DataDir;
  migrations?: readonly Migration[];
  /** Serialises migrations across processes; without it only this process's own order applies. */
  lock?: MigrationLock;
  /** Start even when a ClickHouse server cannot be reached, and keep trying (the daemon: RADIUS must not wait). */
  tolerateUnavailable?: boolean;
}

// One output shape from both engines: a ClickHouse server quotes 64-bit integers in JSON by default, chDB does not.
const settings: ClickHouseSettings = { output_format_json_quote_64bit_integers: 1 };
// The client's own console logging is off: failures reach wispd's callers, which count and log them (sampled).
const quiet = { level: ClickHouseLogLevel.OFF };

export function createClickhouse(config: ClickhouseConfig, deps: ClickhouseDeps): ClickhouseStore {
  const log = deps.log.child({ component: 'clickhouse' });
  const embedded = config.url === '';
  let client: ClickHouseClient | undefined;
  let chdb: ChdbConnection | undefined;
  let where = embedded ? '' : maskUrl(config.url);
  let report: MigrationReport = { applied: [], total: 0 };
  const counters = { queries: 0, inserts: 0, rows_inserted: 0, errors: 0, migrations_applied: 0 };
  const warn = sampledLog(log);
  let available = false;
  let retryTimer: NodeJS.Timeout | undefined;

  async function openEmbedded(dataDir: DataDir): Promise<ClickHouseClient> {
    if (!dataDir.owned) {
      throw new WispdError(
        'WISPD_DATADIR_LOCKED',
        `embedded chDB in ${dataDir.path} belongs to wispd pid ${dataDir.holder}; only that process may open it`,
        { path: dataDir.path, pid: dataDir.holder },
      );
    }
    const path = dataDir.sub('chdb', true);
    where = `embedded chDB (${path})`;
    // chdb's Connection implements @clickhouse/client-common's contract; its bundled copy's types differ in version.
    const native = createChdbConnection({ path });
    const connection = native as unknown as Parameters<typeof createClient>[0] extends infer O
      ? O extends { connection?: infer C }
        ? C
        : never
      : never;
    const c = createClient({ connection, clickhouse_settings: settings, log: quiet });
    chdb = native;
    // chDB ignores the client's `database` option; the session's current database is set once with USE.
    await c.command({ query: `CREATE DATABASE IF NOT EXISTS ${config.database}` });
    await c.command({ query: `USE ${config.database}` });
    return c;
  }

  const remote = () => ({
    url: config.url,
    username: config.username,
    password: config.password,
    request_timeout: config.request_timeout,
    clickhouse_settings: settings,
    log: quiet,
  });

  /** Creates the database on a server (the client itself connects lazily, per request). */
  async function bootstrapRemote(): Promise<void> {
    const bootstrap = createClient(remote());
    try {
      await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${config.database}` });
    } finally {
      await bootstrap.close();
    }
  }

  async function migrateAndReport(): Promise<void> {
    if (!deps.migrations) return;
    report = await migrate(deps.migrations);
    counters.migrations_applied += report.applied.length;
    logReport(log, report);
  }

  /**
   * A ClickHouse server that cannot be reached at start does not stop the daemon: RADIUS must keep answering, and
   * what goes to ClickHouse waits (accounting in its spool, batches in memory). The database and the migrations are
   * retried in the background until the server answers.
   */
  function retryUntilAvailable(delay: number): void {
    retryTimer = setTimeout(async () => {
      try {
        await bootstrapRemote();
        await migrateAndReport();
        available = true;
        log.info({ where }, 'ClickHouse is reachable again');
      } catch (err) {
        warn('warn', { where, err: (err as Error).message }, 'ClickHouse still unreachable; retrying');
        if (client) retryUntilAvailable(Math.min(30_000, delay * 2));
      }
    }, delay);
  }

  async function migrate(migrations: readonly Migration[]): Promise<MigrationReport> {
    const c = store.client;
    const run = async (): Promise<MigrationReport> => {
      await c.command({
        query: `CREATE TABLE IF NOT EXISTS schema_migrations (
          scope LowCardinality(String),
          version UInt32,
          name String,
          checksum String,
          applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
        ) ENGINE = ReplacingMergeTree ORDER BY (scope, version)`,
      });
      const rows = await store.query<{ scope: string; version: number; checksum: string }>(
        'SELECT scope, version, checksum FROM schema_migrations FINAL',
      );
      const todo = pending(migrations, rows, 'clickhouse');
      for (const m of todo) {
        // ClickHouse DDL is not transactional: each statement is written to be re-runnable (IF NOT EXISTS), and the
        // migration is recorded only after all of its statements succeeded.
        for (const statement of statements(m.sql)) {
          try {
            await c.command({ query: statement });
          } catch (err) {
            throw new WispdError(
              'WISPD_MIGRATION_FAILED',
              `clickhouse: migration ${m.scope}/${m.name} failed: ${(err as Error).message}`,
              { store: 'clickhouse', scope: m.scope, version: m.version },
              { cause: err },
            );
          }
        }
        await store.insert('schema_migrations', [
          { scope: m.scope, version: m.version, name: m.name, checksum: m.checksum },
        ]);
      }
      return { applied: todo, total: rows.length + todo.length };
    };
    return deps.lock ? deps.lock(run) : run();
  }

  const store: ClickhouseStore = {
    name: 'clickhouse',
    embedded,
    get client() {
      if (!client) throw new Error('clickhouse: not started');
      return client;
    },
    get migrations() {
      return report;
    },

    async start() {
      if (embedded) {
        if (!deps.dataDir) throw new Error('clickhouse: embedded mode needs the data directory');
        try {
          client = await openEmbedded(deps.dataDir);
        } catch (err) {
          if (err instanceof WispdError) throw err;
          throw new WispdError(
            'WISPD_CLICKHOUSE_CONNECT',
            `cannot open ${where}: ${(err as Error).message}`,
            { where },
            { cause: err },
          );
        }
        await migrateAndReport();
        available = true;
        return;
      }
      client = createClient({ ...remote(), database: config.database });
      try {
        await bootstrapRemote();
      } catch (err) {
        if (!deps.tolerateUnavailable) {
          throw new WispdError(
            'WISPD_CLICKHOUSE_CONNECT',
            `cannot reach ClickHouse at ${where}: ${(err as Error).message}`,
            { where },
            { cause: err },
          );
        }
        log.warn(
          { where, err: (err as Error).message, code: 'WISPD_CLICKHOUSE_CONNECT' },
          'ClickHouse is unreachable; starting without it (its writes wait and are retried)',
        );
        retryUntilAvailable(1000);
        return;
      }
      await migrateAndReport();
      available = true;
    },

    async stop() {
      clearTimeout(retryTimer);
      const c = client;
      client = undefined;
      chdb = undefined;
      await c?.close().catch((err) => log.warn({ err: err.message }, 'closing ClickHouse failed'));
    },

    counters: () => ({ ...counters, available: available ? 1 : 0 }),
    describe: () =>
      (embedded ? where : `remote ClickHouse (${where}, database ${config.database})`) +
      (available ? '' : ' — unreachable, retrying'),

    async query<R>(query: string, params?: Record<string, unknown>) {
      counters.queries++;
      try {
        const rs = await store.client.query({ query, query_params: params, format: 'JSONEachRow' });
        return await rs.json<R>();
      } catch (err) {
        counters.errors++;
        throw err;
      }
    },

    async command(query, params) {
      counters.queries++;
      try {
        await store.client.command({ query, query_params: params });
      } catch (err) {
        counters.errors++;
        throw err;
      }
    },

    async insertTsv(table, columns, body, extra, rows) {
      if (body.length === 0) return;
      counters.inserts++;
      try {
        const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body.join(''), 'utf8');
        if (chdb) {
          // chDB's raw insert hands the buffer to the engine as is (its parser runs off the event loop), and its
          // settings belong to this statement; the client's path would SET them on the session for later inserts too.
          await chdb.chdb.rawInsert({
            table,
            columns,
            format: 'TabSeparated',
            values: bytes,
            settings: extra as Record<string, string | number | boolean> | undefined,
          });
        } else {
          await store.client.insert({
            table,
            columns: columns as [string, ...string[]],
            values: Readable.from([bytes], { objectMode: false }),
            format: 'TabSeparated',
            clickhouse_settings: extra,
          });
        }
        counters.rows_inserted += Buffer.isBuffer(body) ? (rows ?? 0) : body.length;
      } catch (err) {
        counters.errors++;
        throw err;
      }
    },

    async insert(table, rows) {
      if (rows.length === 0) return;
      counters.inserts++;
      try {
        await store.client.insert({ table, values: rows as Record<string, unknown>[], format: 'JSONEachRow' });
        counters.rows_inserted += rows.length;
      } catch (err) {
        counters.errors++;
        throw err;
      }
    },
  };
  return store;
}
