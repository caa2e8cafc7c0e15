// ClickHouse away for a while (here: a ClickHouse HTTP server that answers 503), and the daemon even killed during
// the outage: accounting is still acknowledged from the spool, and once ClickHouse is back every record lands once.
import t from 'tap';
import { addNas } from '../../daemon/model/nas.ts';
import { createClickhouse } from '../../daemon/store/clickhouse/index.ts';
import { startClickhouseServer } from '../helpers/clickhouse-server.ts';
import { defaults, silentLog, tmpDir } from '../helpers/env.ts';
import { accountingLoad, eventually, radclient, startDaemon } from '../helpers/radius.ts';

const SECRET = 'durable-secret';

t.test('records wait in the spool while ClickHouse is down, then land exactly once', async (t) => {
  const server = await startClickhouseServer(`${tmpDir(t)}/chdb`);
  t.teardown(() => server.close());
  const dataDir = `${tmpDir(t)}/data`;
  const env = {
    WISPD_CLICKHOUSE_URL: server.url,
    WISPD_ACCOUNTING_BATCH_ROWS: '100',
    WISPD_ACCOUNTING_BATCH_INTERVAL: '50ms',
  };
  let d = await startDaemon(t, env, dataDir);
  await addNas(d.db, d.box, { name: 'load', address: '127.0.0.1', secret: SECRET });
  await eventually(
    async () => (await radclient(d.acctPort, 'acct', SECRET, 'Acct-Status-Type = Accounting-On')).code !== undefined,
  );

  server.pause();
  const first = await accountingLoad(
    d.acctPort,
    Buffer.from(SECRET),
    Array.from({ length: 600 }, (_, i) => `a${i}`),
    { concurrency: 16 },
  );
  t.equal(first.size, 600, 'every record acknowledged while ClickHouse is down');
  d.child.kill('SIGKILL');
  await d.child.exited;

  d = await startDaemon(t, env, dataDir);
  const open = d.child.lines.find((l) => l.msg === 'accounting spool open');
  t.ok((open?.backlog as number) >= 600, `the restarted daemon finds ${open?.backlog} records waiting`);
  const second = await accountingLoad(
    d.acctPort,
    Buffer.from(SECRET),
    Array.from({ length: 300 }, (_, i) => `b${i}`),
    { concurrency: 16 },
  );
  t.equal(second.size, 300, 'still acknowledging with ClickHouse down');
  server.resume();

  const ch = createClickhouse({ ...defaults.clickhouse, url: server.url, request_timeout: 5000 }, { log: silentLog() });
  await ch.start();
  t.teardown(() => ch.stop());
  const count = async () =>
    Number(
      (
        await ch.query<{ n: string }>(
          "SELECT count() AS n FROM radius_accounting WHERE match(acct_session_id, '^[ab][0-9]+$')",
        )
      )[0]!.n,
    );
  await eventually(async () => (await count()) >= 900, 40_000);
  t.equal(await d.stop(), 0);
  const rows = await ch.query<{ sid: string; n: string }>(
    "SELECT acct_session_id AS sid, count() AS n FROM radius_accounting WHERE match(acct_session_id, '^[ab][0-9]+$') GROUP BY sid HAVING n > 1",
  );
  t.same(rows, [], 'none twice');
  t.equal(await count(), 900, 'all 900 acknowledged records, once each');
});
