/**
 * PostgreSQL, the system of record, through `pg`. Without `database.url` the store is PGlite under the data
 * directory, served on a loopback port by pglite-socket so that everything (daemon, CLI, panel) speaks the one `pg`
 * code path. A process that finds the data directory owned by a running daemon connects to the port it recorded.
 */
import type { Worker } from 'node:worker_threads';
import pg from 'pg';
import { maskUrl } from '../../../config/define.ts';
import type { PostgresConfig } from '../../../config/schema.ts';
import type { Component } from '../../lib/component.ts';
import { WispdError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import { startWorker } from '../../lib/workers.ts';
import type { DataDir } from '../datadir.ts';
import { logReport, type Migration, type MigrationReport, pending, readMigrations } from '../migrations.ts';
import type { EmbeddedMessage, EmbeddedRequest } from './embedded-worker.ts';

export type { PoolClient, QueryResult, QueryResultRow } from 'pg';

/** Advisory lock keys (pg_advisory_xact_lock), one per thing that must run alone across every wispd process. */
export const LOCK = { postgresMigrations: 0x77697370_01, clickhouseMigrations: 0x77697370_02 } as const;

export const coreMigrations = (): Migration[] => readMigrations('core', new URL('./migrations/', import.meta.url));

export type PostgresMode = 'remote' | 'embedded' | 'attached';

export interface PostgresStore extends Component {
  readonly mode: PostgresMode;
  /** The pool; valid between start() and stop(). */
  readonly pool: pg.Pool;
  /** What the last start() applied. */
  readonly migrations: MigrationReport;
  /** This deployment's id (table `instance`), read at start once the core migrations ran; zeros before. */
  readonly instance: string;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Runs `fn` in a transaction on one connection: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /** Runs `fn` in a transaction that holds the advisory lock `key`, so no other wispd process runs it at once. */
  exclusive<T>(key: number, fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /**
   * Applies what of `migrations` is pending, under the migration lock and in one transaction (a plugin's, after
   * start): all of them, or none when one fails.
   */
  migrate(migrations: readonly Migration[]): Promise<MigrationReport>;
}

export interface PostgresDeps {
  log: Logger;
  /** Needed when `database.url` is empty. */
  dataDir?: DataDir;
  /** Apply these at start (the daemon and `wispd migrate` do; other CLI commands do not). */
  migrations?: readonly Migration[];
}

export function createPostgres(config: PostgresConfig, deps: PostgresDeps): PostgresStore {
  const log = deps.log.child({ component: 'postgres' });
  let pool: pg.Pool | undefined;
  let worker: Worker | undefined;
  let mode: PostgresMode = config.url === '' ? 'embedded' : 'remote';
  let where = config.url === '' ? '' : maskUrl(config.url);
  let report: MigrationReport = { applied: [], total: 0 };
  let instance = '00000000-0000-0000-0000-000000000000';
  const counters = { queries: 0, query_errors: 0, pool_errors: 0, migrations_applied: 0 };

  const newPool = (options: pg.PoolConfig) => {
    const p = new pg.Pool({ max: config.pool_size, connectionTimeoutMillis: config.connect_timeout, ...options });
    // An idle connection that breaks (server restart, network) is replaced on next use; without a listener it crashes.
    p.on('error', (err) => {
      counters.pool_errors++;
      log.warn({ err: err.message }, 'idle PostgreSQL connection failed');
    });
    return p;
  };

  async function openEmbedded(dataDir: DataDir): Promise<pg.PoolConfig> {
    if (!dataDir.owned) {
      const endpoint = dataDir.readEndpoint('postgres');
      if (!endpoint) {
        throw new WispdError(
          'WISPD_POSTGRES_CONNECT',
          `${dataDir.path} is owned by wispd pid ${dataDir.holder}, which serves no PostgreSQL endpoint yet; retry once it is ready`,
          { pid: dataDir.holder },
        );
      }
      mode = 'attached';
      where = `embedded PGlite of wispd pid ${endpoint.pid} (${endpoint.host}:${endpoint.port})`;
      return { host: endpoint.host, port: endpoint.port, user: 'postgres', database: 'postgres' };
    }
    const path = dataDir.sub('pglite', true);
    // Each pooled connection, the CLI's and the panel's hold one socket: leave room beyond the daemon's pool.
    const request: EmbeddedRequest = {
      path,
      host: '127.0.0.1',
      port: config.embedded_port,
      maxConnections: config.pool_size + 20,
    };
    const w = startWorker(import.meta.url, 'embedded-worker', { workerData: request });
    worker = w;
    const ready = await new Promise<EmbeddedMessage>((resolve) => {
      w.once('message', resolve);
      w.once('error', (err) => resolve({ type: 'error', message: err.message }));
      w.once('exit', (code) => resolve({ type: 'error', message: `the PGlite thread exited (${code})` }));
    });
    if (ready.type !== 'ready') {
      await w.terminate();
      worker = undefined;
      const message = ready.type === 'error' ? ready.message : 'unexpected message';
      throw new WispdError('WISPD_POSTGRES_CONNECT', `cannot open embedded PGlite in ${path}: ${message}`, { path });
    }
    w.on('exit', (code) => {
      if (worker) log.error({ code }, 'the embedded PGlite thread exited; PostgreSQL is unavailable until restart');
    });
    dataDir.writeEndpoint('postgres', { host: ready.host, port: ready.port });
    where = `embedded PGlite (${path}, served on ${ready.host}:${ready.port})`;
    log.info({ path, host: ready.host, port: ready.port, ms: ready.ms }, 'embedded PGlite open');
    return { host: ready.host, port: ready.port, user: 'postgres', database: 'postgres' };
  }

  async function migrate(migrations: readonly Migration[]): Promise<MigrationReport> {
    return store.exclusive(LOCK.postgresMigrations, async (client) => {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        scope text NOT NULL,
        version integer NOT NULL,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, version))`);
      const { rows } = await client.query<{ scope: string; version: number; checksum: string }>(
        'SELECT scope, version, checksum FROM schema_migrations',
      );
      const todo = pending(migrations, rows, 'postgres');
      for (const m of todo) {
        try {
          await client.query(m.sql);
        } catch (err) {
          throw new WispdError(
            'WISPD_MIGRATION_FAILED',
            `postgres: migration ${m.scope}/${m.name} failed: ${(err as Error).message}`,
            { store: 'postgres', scope: m.scope, version: m.version },
            { cause: err },
          );
        }
        await client.query('INSERT INTO schema_migrations (scope, version, name, checksum) VALUES ($1, $2, $3, $4)', [
          m.scope,
          m.version,
          m.name,
          m.checksum,
        ]);
      }
      return { applied: todo, total: rows.length + todo.length };
    });
  }

  const store: PostgresStore = {
    name: 'postgres',
    get mode() {
      return mode;
    },
    get pool() {
      if (!pool) throw new Error('postgres: not started');
      return pool;
    },
    get migrations() {
      return report;
    },
    get instance() {
      return instance;
    },

    async start() {
      let options: pg.PoolConfig;
      if (config.url === '') {
        if (!deps.dataDir) throw new Error('postgres: embedded mode needs the data directory');
        options = await openEmbedded(deps.dataDir);
      } else {
        options = { connectionString: config.url };
      }
      pool = newPool(options);
      try {
        await pool.query('SELECT 1');
      } catch (err) {
        throw new WispdError(
          'WISPD_POSTGRES_CONNECT',
          `cannot connect to PostgreSQL at ${where}: ${(err as Error).message}`,
          { where },
          { cause: err },
        );
      }
      if (deps.migrations) {
        report = await migrate(deps.migrations);
        counters.migrations_applied += report.applied.length;
        logReport(log, report);
        if (deps.migrations.some((m) => m.scope === 'core'))
          instance = (await pool.query<{ id: string }>('SELECT id FROM instance')).rows[0]!.id;
      }
    },

    async stop() {
      await pool?.end().catch((err) => log.warn({ err: err.message }, 'closing the pool failed'));
      pool = undefined;
      if (worker) {
        const w = worker;
        worker = undefined;
        deps.dataDir?.removeEndpoint('postgres');
        const stopped = new Promise<void>((resolve) => {
          w.on('message', (m: EmbeddedMessage) => m.type === 'stopped' && resolve());
          w.once('exit', () => resolve());
        });
        w.postMessage({ type: 'stop' });
        // A backstop that does not itself keep the process alive once everything else has stopped.
        await Promise.race([stopped, new Promise((r) => setTimeout(r, 5000).unref())]);
        await w.terminate();
      }
    },

    counters: () => ({ ...counters, pool_total: pool?.totalCount ?? 0, pool_idle: pool?.idleCount ?? 0 }),
    describe: () => (mode === 'remote' ? `remote PostgreSQL (${where})` : where),

    async query<R extends pg.QueryResultRow>(text: string, values?: unknown[]) {
      counters.queries++;
      try {
        return await store.pool.query<R>(text, values);
      } catch (err) {
        counters.query_errors++;
        throw err;
      }
    },

    async transaction(fn) {
      const client = await store.pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },

    migrate: (migrations) => migrate(migrations),
    exclusive(key, fn) {
      return store.transaction(async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [key]);
        return fn(client);
      });
    },
  };
  return store;
}
