/**
 * `wispd migrate`: applies pending migrations and exits. With embedded stores and a running daemon, PostgreSQL is
 * reached through the daemon's PGlite endpoint; chDB belongs to that daemon, which migrated it when it booted.
 */

import { createLogger } from '../lib/log.ts';
import { Lifecycle } from '../lifecycle.ts';
import { coreMigrations as clickhouseMigrations, createClickhouse } from '../store/clickhouse/index.ts';
import { DataDir } from '../store/datadir.ts';
import type { MigrationReport } from '../store/migrations.ts';
import { createPostgres, LOCK, coreMigrations as postgresMigrations } from '../store/postgres/index.ts';
import { type GlobalOptions, load } from './load.ts';

function summary(report: MigrationReport): string {
  const applied = report.applied.map((m) => `${m.scope}/${m.name}`);
  const what = applied.length > 0 ? `applied ${applied.join(', ')}` : 'up to date';
  return `${what} (${report.total} migration${report.total === 1 ? '' : 's'} recorded)`;
}

export async function migrate(opts: GlobalOptions): Promise<void> {
  const { config } = load(opts);
  const log = createLogger(config.log, { fd: 2 });
  const dataDir = new DataDir(config.daemon.data_dir);
  const lifecycle = new Lifecycle(log);
  const lines: string[] = [];
  try {
    if (config.database.url === '' || config.clickhouse.url === '') dataDir.acquire();
    const postgres = lifecycle.add(createPostgres(config.database, { log, dataDir, migrations: postgresMigrations() }));
    const chdbBusy = config.clickhouse.url === '' && !dataDir.owned;
    const clickhouse = chdbBusy
      ? undefined
      : lifecycle.add(
          createClickhouse(config.clickhouse, {
            log,
            dataDir,
            migrations: clickhouseMigrations(),
            lock: (fn) => postgres.exclusive(LOCK.clickhouseMigrations, () => fn()),
          }),
        );
    await lifecycle.start();
    lines.push(`postgres: ${postgres.describe()}: ${summary(postgres.migrations)}`);
    lines.push(
      clickhouse
        ? `clickhouse: ${clickhouse.describe()}: ${summary(clickhouse.migrations)}`
        : `clickhouse: embedded chDB belongs to the running daemon (pid ${dataDir.holder}), which applied its migrations when it started`,
    );
  } finally {
    await lifecycle.stop();
    dataDir.release();
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
