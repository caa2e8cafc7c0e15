// An acknowledged accounting record is never lost: under load the daemon is killed with SIGKILL, restarted on the
// same data, and every record that got an Accounting-Response is in ClickHouse exactly once.
import t from 'tap';
import { addNas } from '../../daemon/model/nas.ts';
import { tmpDir } from '../helpers/env.ts';
import { accountingLoad, eventually, radclient, startDaemon, stoppedDaemonClickhouse } from '../helpers/radius.ts';

const SECRET = 'durable-secret';

t.test('SIGKILL under accounting load loses nothing acknowledged and duplicates nothing', async (t) => {
  const dataDir = `${tmpDir(t)}/data`;
  // Small, frequent batches: the kill lands while batches are being written to ClickHouse.
  const env = { WISPD_ACCOUNTING_BATCH_ROWS: '200', WISPD_ACCOUNTING_BATCH_INTERVAL: '20ms' };
  let d = await startDaemon(t, env, dataDir);
  await addNas(d.db, d.box, { name: 'load', address: '127.0.0.1', secret: SECRET });
  await eventually(
    async () => (await radclient(d.acctPort, 'acct', SECRET, 'Acct-Status-Type = Accounting-On')).code !== undefined,
  );

  const ids = Array.from({ length: 4000 }, (_, i) => `k${i}`);
  let killed = false;
  const acked = await accountingLoad(d.acctPort, Buffer.from(SECRET), ids, {
    concurrency: 32,
    onAck: (n) => {
      if (n === 1500 && !killed) {
        killed = true;
        d.child.kill('SIGKILL');
      }
    },
    stop: () => killed,
  });
  const exit = await d.child.exited;
  t.equal(exit.signal, 'SIGKILL', 'killed mid-load');
  t.ok(acked.size >= 1500, `${acked.size} records were acknowledged before the kill`);

  d = await startDaemon(t, env, dataDir);
  const recovery = d.child.lines.find((l) => l.msg === 'accounting spool open');
  t.ok(recovery, 'the spool reopened');
  t.equal(await d.stop(), 0);

  const ch = await stoppedDaemonClickhouse(t, dataDir);
  const rows = await ch.query<{ sid: string; n: string }>(
    "SELECT acct_session_id AS sid, count() AS n FROM radius_accounting WHERE startsWith(acct_session_id, 'k') GROUP BY sid",
  );
  const stored = new Map(rows.map((r) => [r.sid, Number(r.n)]));
  const missing = [...acked].filter((sid) => !stored.has(sid));
  const twice = [...stored].filter(([, n]) => n > 1);
  t.same(missing, [], 'every acknowledged record is in ClickHouse');
  t.same(twice, [], 'no record is stored twice');
  t.ok(stored.size >= acked.size, `${stored.size} stored (records on disk but not yet answered may be there too)`);
});
