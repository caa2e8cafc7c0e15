// The ClickHouse store in remote mode (clickhouse.url), over HTTP, against a local server that speaks ClickHouse's
// HTTP interface on chDB (see helpers/clickhouse-server.ts): the database is created, migrations apply once,
// settings and query parameters travel, errors come back as ClickHouseError, and deduplication tokens work.
import t from 'tap';
import { createClickhouse } from '../../daemon/store/clickhouse/index.ts';
import { checksumOf } from '../../daemon/store/migrations.ts';
import { startClickhouseServer } from '../helpers/clickhouse-server.ts';
import { defaults, silentLog, tmpDir } from '../helpers/env.ts';

const server = await startClickhouseServer(`${tmpDir(t)}/chdb`);
t.teardown(() => server.close());

const sql = `CREATE TABLE IF NOT EXISTS events (ts DateTime64(3, 'UTC'), n UInt64) ENGINE = MergeTree ORDER BY ts
SETTINGS non_replicated_deduplication_window = 100;`;
const migrations = [{ scope: 'test', version: 1, name: '0001_events', sql, checksum: checksumOf(sql) }];
const config = {
  ...defaults.clickhouse,
  url: server.url,
  database: 'wispd_remote',
  username: 'default',
  password: 'pw',
  request_timeout: 5000,
};

t.test('remote store: database created, migrations once, queries and inserts', async (t) => {
  let store = createClickhouse(config, { log: silentLog(), migrations });
  await store.start();
  t.match(store.describe(), /^remote ClickHouse \(http:\/\/127\.0\.0\.1:\d+, database wispd_remote\)$/);
  t.equal(store.migrations.applied.length, 1);
  await store.insert('events', [{ ts: Date.UTC(2026, 0, 1), n: '18446744073709551615' }]);
  t.same(await store.query('SELECT max(n) AS m, count() AS c FROM events WHERE n > {min:UInt64}', { min: 1 }), [
    { m: '18446744073709551615', c: '1' },
  ]);
  await t.rejects(store.command('SELEC 1'), { code: '62', type: 'SYNTAX_ERROR' });
  for (let i = 0; i < 3; i++) {
    await store.client.insert({
      table: 'events',
      values: [{ ts: Date.UTC(2026, 0, 2), n: 7 }],
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: 'same-batch' },
    });
  }
  t.same(
    await store.query('SELECT count() AS c FROM events WHERE n = 7'),
    [{ c: '1' }],
    'a replayed batch is stored once',
  );
  await store.stop();

  store = createClickhouse(config, { log: silentLog(), migrations });
  await store.start();
  t.same(store.migrations, { applied: [], total: 1 }, 'the second start applies nothing');
  await store.stop();
});

t.test('a server that answers 503 is an error the caller sees', async (t) => {
  const store = createClickhouse(config, { log: silentLog() });
  await store.start();
  server.pause();
  await t.rejects(store.query('SELECT 1'));
  server.resume();
  t.same(await store.query('SELECT 1 AS one'), [{ one: 1 }]);
  await store.stop();
});
