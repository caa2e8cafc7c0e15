// The PostgreSQL store against embedded PGlite and, when DATABASE_URL is set, a real PostgreSQL server: connection,
// ordered idempotent migrations under a lock, and what happens when the code and the database disagree.
import t, { type Test } from 'tap';
import { DataDir } from '../../daemon/store/datadir.ts';
import { checksumOf, type Migration, readMigrations } from '../../daemon/store/migrations.ts';
import { createPostgres, type PostgresStore } from '../../daemon/store/postgres/index.ts';
import { freshPostgres, silentLog, tmpDir } from '../helpers/env.ts';

const log = silentLog();
const config = { url: '', pool_size: 4, connect_timeout: 10_000, embedded_port: 0 };

const migration = (version: number, sql: string, scope = 'test'): Migration => ({
  scope,
  version,
  name: `${String(version).padStart(4, '0')}_m${version}`,
  sql,
  checksum: checksumOf(sql),
});

const m1 = migration(1, 'CREATE TABLE IF NOT EXISTS plan (id serial PRIMARY KEY, name text NOT NULL UNIQUE);');
const m2 = migration(2, "INSERT INTO plan (name) VALUES ('basic') ON CONFLICT DO NOTHING;");
const m3 = migration(3, 'ALTER TABLE plan ADD COLUMN IF NOT EXISTS rate_down bigint;');
const broken = migration(4, 'CREATE TABLE half_done (id int);\nSELECT no_such_column FROM plan;');

interface Target {
  name: string;
  /** A store on the target; `url` '' means the embedded PGlite in `dataDir`. */
  open(migrations?: Migration[]): PostgresStore;
  /** A second, independent connection to the same database (for concurrency). */
  second(first: PostgresStore, migrations?: Migration[]): PostgresStore;
}

async function targets(t: Test): Promise<Target[]> {
  const dataDir = new DataDir(tmpDir(t));
  dataDir.acquireOrThrow();
  t.teardown(() => dataDir.release());
  const out: Target[] = [
    {
      name: 'PGlite',
      open: (migrations) => createPostgres(config, { log, dataDir, migrations }),
      // What the CLI and the panel do while the daemon runs: connect to the PGlite endpoint it serves.
      second: (_first, migrations) => {
        const e = dataDir.readEndpoint('postgres')!;
        return createPostgres(
          { ...config, url: `postgres://postgres@${e.host}:${e.port}/postgres` },
          { log, migrations },
        );
      },
    },
  ];
  const url = await freshPostgres(t);
  if (url) {
    out.push({
      name: 'PostgreSQL',
      open: (migrations) => createPostgres({ ...config, url }, { log, migrations }),
      second: (_first, migrations) => createPostgres({ ...config, url }, { log, migrations }),
    });
  }
  return out;
}

t.test('core migrations are read in order from the folder', async (t) => {
  const core = readMigrations('core', new URL('../../daemon/store/postgres/migrations/', import.meta.url));
  t.ok(core.length >= 1);
  t.same(
    core.map((m) => m.version),
    core.map((_, i) => i + 1),
    'versions are 1, 2, 3… without gaps',
  );
  t.match(core[0], { scope: 'core', name: '0001_instance', checksum: /^[0-9a-f]{64}$/ });
});

t.test('stores', async (t) => {
  for (const target of await targets(t)) {
    t.test(target.name, async (t) => {
      let store = target.open([m1, m2]);
      await store.start();
      t.same(
        store.migrations.applied.map((m) => m.name),
        ['0001_m1', '0002_m2'],
        'first start applies all',
      );
      t.same((await store.query('SELECT name FROM plan')).rows, [{ name: 'basic' }]);
      await store.stop();

      store = target.open([m1, m2]);
      await store.start();
      t.same(store.migrations, { applied: [], total: 2 }, 'a second start applies nothing');
      await store.stop();

      store = target.open([m1, m2, m3]);
      await store.start();
      t.same(
        store.migrations.applied.map((m) => m.name),
        ['0003_m3'],
        'a new migration is applied alone',
      );
      await store.stop();

      t.test('an edited migration stops the start', async (t) => {
        const s = target.open([m1, migration(2, "INSERT INTO plan (name) VALUES ('pro');"), m3]);
        await t.rejects(s.start(), { code: 'WISPD_MIGRATION_CHANGED', message: /test\/0002_m2 was edited/ });
        await s.stop();
      });

      t.test('a migration the code does not know stops the start', async (t) => {
        const s = target.open([m1, m2]);
        await t.rejects(s.start(), { code: 'WISPD_MIGRATION_UNKNOWN', message: /test\/3 is applied but unknown/ });
        await s.stop();
      });

      t.test('a failing migration leaves nothing of itself', async (t) => {
        const s = target.open([m1, m2, m3, broken]);
        await t.rejects(s.start(), {
          code: 'WISPD_MIGRATION_FAILED',
          message: /test\/0004_m4 failed: .*no_such_column/,
        });
        await s.stop();
        const check = target.open();
        await check.start();
        const tables = await check.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'half_done'");
        t.equal(tables.rows[0]!.n, 0, 'the table created before the failure was rolled back');
        const recorded = await check.query(
          "SELECT version FROM schema_migrations WHERE scope = 'test' ORDER BY version",
        );
        t.same(
          recorded.rows.map((r) => r.version),
          [1, 2, 3],
        );
        await check.stop();
      });

      t.test('two processes migrating at once apply each migration once', async (t) => {
        const m5 = migration(5, 'CREATE TABLE counter (n int); INSERT INTO counter VALUES (1);');
        const m6 = migration(6, 'UPDATE counter SET n = n + 1;');
        const a = target.open([m1, m2, m3, m5, m6]);
        await a.start();
        t.teardown(() => a.stop());
        const b = target.second(a, [m1, m2, m3, m5, m6]);
        // a already applied them at its start; rerun both concurrently against a new pair to race for real.
        t.same(
          a.migrations.applied.map((m) => m.version),
          [5, 6],
        );
        await b.start();
        t.same(b.migrations.applied, [], 'the second finds them applied');
        await b.stop();
        const m7 = migration(7, 'UPDATE counter SET n = n * 10;');
        const c = target.second(a, [m1, m2, m3, m5, m6, m7]);
        const d = target.second(a, [m1, m2, m3, m5, m6, m7]);
        await Promise.all([c.start(), d.start()]);
        t.equal(c.migrations.applied.length + d.migrations.applied.length, 1, 'm7 applied by exactly one');
        t.same((await a.query('SELECT n FROM counter')).rows, [{ n: 20 }], '(1 + 1) × 10: each ran once');
        await Promise.all([c.stop(), d.stop()]);
      });

      t.test('exclusive sections on one key run one after the other', async (t) => {
        const a = target.open();
        await a.start();
        const b = target.second(a);
        await b.start();
        t.teardown(async () => {
          await b.stop();
          await a.stop();
        });
        const events: string[] = [];
        const section = (store: PostgresStore, name: string, ms: number) =>
          store.exclusive(4242, async (client) => {
            events.push(`${name}+`);
            await client.query('SELECT pg_sleep($1)', [ms / 1000]);
            events.push(`${name}-`);
          });
        const first = section(a, 'a', 300);
        await new Promise((r) => setTimeout(r, 50));
        await Promise.all([first, section(b, 'b', 10)]);
        t.same(events, ['a+', 'a-', 'b+', 'b-']);
      });

      t.test('a transaction that throws is rolled back', async (t) => {
        const s = target.open();
        await s.start();
        t.teardown(() => s.stop());
        await t.rejects(
          s.transaction(async (c) => {
            await c.query("INSERT INTO plan (name) VALUES ('ghost')");
            throw new Error('changed my mind');
          }),
          { message: 'changed my mind' },
        );
        t.same((await s.query("SELECT count(*)::int AS n FROM plan WHERE name = 'ghost'")).rows, [{ n: 0 }]);
        t.match(s.counters(), { queries: Number, query_errors: 0 });
      });
    });
  }
});

t.test('an unreachable server is a clear error', async (t) => {
  const s = createPostgres({ ...config, url: 'postgres://wispd:pw@127.0.0.1:1/wispd', connect_timeout: 2000 }, { log });
  await t.rejects(s.start(), { code: 'WISPD_POSTGRES_CONNECT', message: /127\.0\.0\.1:1.*ECONNREFUSED/ });
  t.notMatch(String((await s.start().catch((e) => e)).message), /:pw@/, 'the password is not in the message');
  await s.stop();
});
