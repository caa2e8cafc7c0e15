/**
 * A test's own stores, as the daemon opens them: a data directory it holds, PostgreSQL migrated (a database of its own
 * on DATABASE_URL's server, else PGlite in that directory) and embedded chDB migrated. Everything is stopped, released
 * and removed at the test's end.
 */
import type { Test } from 'tap';
import {
  type ClickhouseStore,
  coreMigrations as clickhouseMigrations,
  createClickhouse,
} from '../../daemon/store/clickhouse/index.ts';
import { DataDir } from '../../daemon/store/datadir.ts';
import type { Migration } from '../../daemon/store/migrations.ts';
import { coreMigrations, createPostgres, type PostgresStore } from '../../daemon/store/postgres/index.ts';
import { defaults, freshPostgres, silentLog, tmpDir } from './env.ts';

type Teardown = Pick<Test, 'teardown'>;

/** A data directory held by this process (a new one, or `path`), let go at the end. */
export function testDataDir(t: Teardown, path = tmpDir(t)): DataDir {
  const dataDir = new DataDir(path);
  dataDir.acquireOrThrow();
  t.teardown(() => dataDir.release());
  return dataDir;
}

export async function testPostgres(
  t: Teardown,
  dataDir: DataDir,
  opts: { poolSize?: number; migrations?: readonly Migration[] } = {},
): Promise<PostgresStore> {
  const url = await freshPostgres(t);
  const postgres = createPostgres(
    { ...defaults.database, url: url ?? '', pool_size: opts.poolSize ?? 4, connect_timeout: 5000, embedded_port: 0 },
    { log: silentLog(), dataDir, migrations: opts.migrations ?? coreMigrations() },
  );
  await postgres.start();
  t.teardown(() => postgres.stop());
  return postgres;
}

/** The embedded chDB of `dataDir`, migrated unless `migrate` is false (a stopped daemon's, read back). */
export async function testClickhouse(t: Teardown, dataDir: DataDir, migrate = true): Promise<ClickhouseStore> {
  const clickhouse = createClickhouse(
    { ...defaults.clickhouse, url: '' },
    { log: silentLog(), dataDir, ...(migrate ? { migrations: clickhouseMigrations() } : {}) },
  );
  await clickhouse.start();
  t.teardown(() => clickhouse.stop());
  return clickhouse;
}

export interface TestStores {
  dataDir: DataDir;
  postgres: PostgresStore;
  clickhouse: ClickhouseStore;
}

/** PostgreSQL and chDB in a data directory of their own. */
export async function testStores(t: Teardown): Promise<TestStores> {
  const dataDir = testDataDir(t);
  const postgres = await testPostgres(t, dataDir);
  const clickhouse = await testClickhouse(t, dataDir);
  return { dataDir, postgres, clickhouse };
}
