// The ClickHouse store on embedded chDB (a ClickHouse server is a production choice; Debian's is too old):
// migrations in order, once, under the caller's lock; inserts and queries through @clickhouse/client.
import t from 'tap';
import { createClickhouse } from '../../daemon/store/clickhouse/index.ts';
import { DataDir } from '../../daemon/store/datadir.ts';
import { checksumOf, type Migration, readMigrations, statements } from '../../daemon/store/migrations.ts';
import { defaults, freePort, silentLog, tmpDir } from '../helpers/env.ts';

const log = silentLog();
const config = {
  ...defaults.clickhouse,
  url: '',
  database: 'wispd_test',
  username: 'default',
  password: '',
  request_timeout: 30_000,
};

const migration = (version: number, sql: string): Migration => ({
  scope: 'test',
  version,
  name: `${String(version).padStart(4, '0')}_m${version}`,
  sql,
  checksum: checksumOf(sql),
});

const m1 = migration(
  1,
  `-- two statements in one file
CREATE TABLE IF NOT EXISTS samples (ts DateTime64(3, 'UTC'), device String, octets UInt64)
ENGINE = MergeTree ORDER BY (device, ts);

CREATE TABLE IF NOT EXISTS devices (name String) ENGINE = MergeTree ORDER BY name;
`,
);
const m2 = migration(2, 'ALTER TABLE samples ADD COLUMN IF NOT EXISTS errors UInt32 DEFAULT 0;');
const broken = migration(3, 'CREATE TABLE IF NOT EXISTS later (a UInt8) ENGINE = Memory;\nSELEC 1;');

t.test('statements are split at semicolons that end a line, comments dropped', async (t) => {
  t.same(statements("-- c\nSELECT 1;\n\nSELECT ';' ; \nSELECT 3"), ['SELECT 1', "SELECT ';'", 'SELECT 3']);
  const core = readMigrations('core', new URL('../../daemon/store/clickhouse/migrations/', import.meta.url));
  t.ok(core.length >= 1);
  t.equal(core[0]!.name, '0001_daemon_events');
});

t.test('chDB', async (t) => {
  const dataDir = new DataDir(tmpDir(t));
  dataDir.acquireOrThrow();
  t.teardown(() => dataDir.release());
  let locked = 0;
  const lock = <T>(fn: () => Promise<T>) => {
    locked++;
    return fn();
  };

  let store = createClickhouse(config, { log, dataDir, migrations: [m1, m2], lock });
  await store.start();
  t.same(
    store.migrations.applied.map((m) => m.name),
    ['0001_m1', '0002_m2'],
  );
  t.equal(locked, 1, 'migrations ran under the lock');
  t.match(store.describe(), /^embedded chDB \(.*\/chdb\)$/);

  const tables = await store.query<{ name: string }>(
    'SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name',
    { db: 'wispd_test' },
  );
  t.same(
    tables.map((r) => r.name),
    ['devices', 'samples', 'schema_migrations'],
    'tables live in the configured database',
  );

  const before = store.counters();
  await store.insert('samples', [
    { ts: Date.UTC(2026, 10, 21, 10, 0, 0), device: 'ap-1', octets: '18446744073709551615' },
    { ts: Date.UTC(2026, 10, 21, 10, 5, 0), device: 'ap-1', octets: 42 },
  ]);
  const rows = await store.query<{ device: string; octets: string; n: string }>(
    'SELECT device, max(octets) AS octets, count() AS n FROM samples WHERE device = {d:String} GROUP BY device',
    { d: 'ap-1' },
  );
  t.same(rows, [{ device: 'ap-1', octets: '18446744073709551615', n: '2' }], 'UInt64 arrive as strings, exactly');
  const after = store.counters();
  t.same(
    [after.inserts! - before.inserts!, after.rows_inserted! - before.rows_inserted!, after.errors],
    [1, 2, 0],
    'one insert of two rows counted',
  );

  await t.rejects(store.command('SELEC 1'), { message: /Syntax error/ });
  t.equal(store.counters().errors, 1, 'a failed query is counted');
  await store.stop();

  store = createClickhouse(config, { log, dataDir, migrations: [m1, m2], lock });
  await store.start();
  t.same(store.migrations, { applied: [], total: 2 }, 'reopened: nothing to apply, the data kept');
  t.same(await store.query('SELECT count() AS n FROM samples'), [{ n: '2' }]);
  await store.stop();

  store = createClickhouse(config, { log, dataDir, migrations: [m1, m2, broken], lock });
  await t.rejects(store.start(), { code: 'WISPD_MIGRATION_FAILED', message: /test\/0003_m3 failed: .*Syntax error/ });
  await store.stop();

  store = createClickhouse(config, { log, dataDir, migrations: [m1, migration(2, 'SELECT 2;')], lock });
  await t.rejects(store.start(), { code: 'WISPD_MIGRATION_CHANGED' });
  await store.stop();

  const fixed = migration(3, 'CREATE TABLE IF NOT EXISTS later (a UInt8) ENGINE = Memory;');
  store = createClickhouse(config, { log, dataDir, migrations: [m1, m2, fixed], lock });
  await store.start();
  t.same(
    store.migrations.applied.map((m) => m.name),
    ['0003_m3'],
    'the failed migration was not recorded; once fixed it applies (its statements are re-runnable)',
  );
  await store.stop();
});

t.test('chDB belongs to the owner of the data directory', async (t) => {
  const dataDir = new DataDir(tmpDir(t));
  const store = createClickhouse(config, { log, dataDir });
  await t.rejects(store.start(), { code: 'WISPD_DATADIR_LOCKED' });
  await store.stop();
});

t.test('an unreachable ClickHouse server is a clear error without the password', async (t) => {
  const port = await freePort();
  const store = createClickhouse(
    { ...config, url: `http://127.0.0.1:${port}`, password: 'hunter2', request_timeout: 2000 },
    { log },
  );
  const err = await store.start().catch((e) => e);
  t.match(err, { code: 'WISPD_CLICKHOUSE_CONNECT', message: new RegExp(`127\\.0\\.0\\.1:${port}`) });
  t.notMatch(err.message, /hunter2/);
  await store.stop();
});
