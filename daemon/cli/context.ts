/**
 * What the record commands (nas, plan, subscriber) run against: the PostgreSQL of the configuration and the key
 * that seals secrets. With the embedded store and a running daemon, they go through the daemon's PGlite endpoint;
 * otherwise they open it themselves. Either way the daemon sees their changes within a second (change_log).
 */
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Config } from '../../config/schema.ts';
import { formatTime } from '../../config/units.ts';
import { WispdError } from '../lib/errors.ts';
import { createLogger } from '../lib/log.ts';
import { Lifecycle } from '../lifecycle.ts';
import { type Actor, audited } from '../model/audit.ts';
import type { Queryable } from '../model/db.ts';
import { loadSecretBox, type SecretBox } from '../security/secret-box.ts';
import { type ClickhouseStore, createClickhouse } from '../store/clickhouse/index.ts';
import { DataDir } from '../store/datadir.ts';
import { coreMigrations, createPostgres, type PostgresStore } from '../store/postgres/index.ts';
import { type GlobalOptions, load } from './load.ts';

export interface RecordContext {
  config: Config;
  db: PostgresStore;
  box: SecretBox;
  dataDir: DataDir;
  /** The operator, as the audit log names them: `cli:<unix user>`. */
  actor: Actor;
  /**
   * A change with its audit row, in one transaction: `fn`'s result is the record after (null when removed); `before`
   * is the record as it was, when there was one.
   */
  write<R>(
    what: { resource: string; action: string; recordId?: string | number; before?: unknown },
    fn: (tx: Queryable) => Promise<R>,
  ): Promise<R>;
}

export function cliActor(): Actor {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers).
    user = process.env.USER ?? `uid ${process.getuid?.() ?? '?'}`;
  }
  return { staffId: null, name: `cli:${user}` };
}

/** For a command that only reads: it never creates a store, and says where it looked when it finds none. */
export const readRecords = <T>(opts: GlobalOptions, fn: (ctx: RecordContext) => Promise<T>) =>
  withRecords(opts, fn, { read: true });

/**
 * Runs `fn` against the configured PostgreSQL. With the embedded one and no data where daemon.data_dir points, a
 * `read` fails there; a write creates the store and says so.
 */
export async function withRecords<T>(
  opts: GlobalOptions,
  fn: (ctx: RecordContext) => Promise<T>,
  mode: { read?: boolean } = {},
): Promise<T> {
  const { config, sources } = load(opts);
  // Standard output is the command's result: logs go to standard error, and only warnings.
  const log = createLogger(
    { level: config.log.level === 'debug' || config.log.level === 'trace' ? config.log.level : 'warn' },
    { fd: 2 },
  );
  const dataDir = new DataDir(config.daemon.data_dir);
  const embedded = config.database.url === '';
  if (embedded && !existsSync(dataDir.sub('pglite'))) {
    const source = sources.get('daemon.data_dir');
    const from = source?.from === 'default' ? 'the default' : (source?.where ?? source?.from);
    const where = `${dataDir.path} (daemon.data_dir, from ${from})`;
    if (mode.read) {
      throw new WispdError(
        'WISPD_DATADIR',
        `no wispd data in ${where}: run this where the daemon runs, or point --config or WISPD_DAEMON_DATA_DIR at its data`,
        { path: dataDir.path },
      );
    }
    process.stderr.write(`wispd: no store in ${where} yet: creating one\n`);
  }
  const lifecycle = new Lifecycle(log);
  try {
    if (embedded) dataDir.acquire();
    // Pending migrations are applied (under their lock) so that a command works on a database no daemon has seen yet.
    const db = lifecycle.add(
      createPostgres({ ...config.database, pool_size: 2 }, { log, dataDir, migrations: coreMigrations() }),
    );
    await lifecycle.start();
    const box = loadSecretBox(config.security.secret_key, dataDir);
    const actor = cliActor();
    return await fn({
      config,
      db,
      box,
      dataDir,
      actor,
      write: (what, change) =>
        audited(db, actor, what, async (tx) => {
          const result = await change(tx);
          const after = result ?? null;
          const id = (after as { id?: string | number } | null)?.id;
          return { result, recordId: what.recordId ?? id ?? null, before: what.before ?? null, after };
        }),
    });
  } finally {
    await lifecycle.stop();
    dataDir.release();
  }
}

/**
 * Runs `fn` against the configured ClickHouse, opened by this process: a server directly; the embedded chDB only when
 * no daemon holds the data directory (ask the daemon over its control socket first).
 */
export async function withClickhouse<T>(
  config: Config,
  dataDir: DataDir,
  fn: (ch: ClickhouseStore) => Promise<T>,
): Promise<T> {
  if (config.clickhouse.url === '') dataDir.acquireOrThrow();
  const ch = createClickhouse(config.clickhouse, { log: createLogger({ level: 'warn' }, { fd: 2 }), dataDir });
  await ch.start();
  try {
    return await fn(ch);
  } finally {
    await ch.stop();
  }
}

/** Rows as an aligned text table (or JSON with --json). */
export function printTable(rows: Array<Record<string, unknown>>, columns: string[], json = false): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const cell = (v: unknown) => (v === null || v === undefined ? '-' : v instanceof Date ? formatTime(v) : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))];
  process.stdout.write(`${out.join('\n')}\n`);
}
