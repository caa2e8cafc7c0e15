/**
 * What the record commands (nas, plan, subscriber) run against: the PostgreSQL of the configuration and the key
 * that seals secrets. With the embedded store and a running daemon, they go through the daemon's PGlite endpoint;
 * otherwise they open it themselves. Either way the daemon sees their changes within a second (change_log).
 */
import type { Config } from '../../config/schema.ts';
import { createLogger } from '../lib/log.ts';
import { Lifecycle } from '../lifecycle.ts';
import { loadSecretBox, type SecretBox } from '../security/secret-box.ts';
import { DataDir } from '../store/datadir.ts';
import { coreMigrations, createPostgres, type PostgresStore } from '../store/postgres/index.ts';
import { type GlobalOptions, load } from './load.ts';

export interface RecordContext {
  config: Config;
  db: PostgresStore;
  box: SecretBox;
  dataDir: DataDir;
}

export async function withRecords<T>(opts: GlobalOptions, fn: (ctx: RecordContext) => Promise<T>): Promise<T> {
  const { config } = load(opts);
  // Standard output is the command's result: logs go to standard error, and only warnings.
  const log = createLogger(
    { level: config.log.level === 'debug' || config.log.level === 'trace' ? config.log.level : 'warn' },
    { fd: 2 },
  );
  const dataDir = new DataDir(config.daemon.data_dir);
  const lifecycle = new Lifecycle(log);
  try {
    if (config.database.url === '') dataDir.acquire();
    // Pending migrations are applied (under their lock) so that a command works on a database no daemon has seen yet.
    const db = lifecycle.add(
      createPostgres({ ...config.database, pool_size: 2 }, { log, dataDir, migrations: coreMigrations() }),
    );
    await lifecycle.start();
    const box = loadSecretBox(config.security.secret_key, dataDir);
    return await fn({ config, db, box, dataDir });
  } finally {
    await lifecycle.stop();
    dataDir.release();
  }
}

/** Rows as an aligned text table (or JSON with --json). */
export function printTable(rows: Array<Record<string, unknown>>, columns: string[], json = false): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const cell = (v: unknown) => (v === null || v === undefined ? '-' : v instanceof Date ? v.toISOString() : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))];
  process.stdout.write(`${out.join('\n')}\n`);
}
