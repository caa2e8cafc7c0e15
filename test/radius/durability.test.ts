// An acknowledged accounting record is never lost: under load the daemon is killed with SIGKILL, restarted on the
// same data, and every record that got an Accounting-Response is in ClickHouse exactly once; the requests left
// unanswered by the kill, retransmitted by the NAS after the restart, are answered and stored once too.
import t from 'tap';
import { addNas } from '../../daemon/model/nas.ts';
import { Attr, attr, buildRequest, Code, u32 } from '../../daemon/radius/codec/index.ts';
import { tmpDir } from '../helpers/env.ts';
import {
  accountingLoad,
  eventually,
  radclient,
  startDaemon,
  stoppedDaemonClickhouse,
  UdpClient,
} from '../helpers/radius.ts';

const SECRET = 'durable-secret';

t.test('SIGKILL under accounting load loses nothing acknowledged and duplicates nothing', async (t) => {
  const dataDir = `${tmpDir(t)}/data`;
  // Small, frequent batches: the kill lands while batches are being written to ClickHouse.
  // The retransmission window outlasts the restart, as a NAS's retries outlast a quick one.
  const env = {
    WISPD_ACCOUNTING_BATCH_ROWS: '200',
    WISPD_ACCOUNTING_BATCH_INTERVAL: '20ms',
    WISPD_RADIUS_DUPLICATE_WINDOW: '2m',
  };
  let d = await startDaemon(t, env, dataDir);
  await addNas(d.db, d.box, { name: 'load', address: '127.0.0.1', secret: SECRET });
  await eventually(
    async () => (await radclient(d.acctPort, 'acct', SECRET, 'Acct-Status-Type = Accounting-On')).code !== undefined,
  );

  const ids = Array.from({ length: 4000 }, (_, i) => `k${i}`);
  let killed = false;
  // The NAS: one socket (a retransmission comes from the same port), and the requests the kill left unanswered.
  const nas = await UdpClient.open();
  t.teardown(() => nas.close());
  const unanswered = new Map<string, Buffer>();
  const acked = await accountingLoad(d.acctPort, Buffer.from(SECRET), ids, {
    concurrency: 32,
    client: nas,
    unanswered,
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

  t.ok(unanswered.size > 0, `${unanswered.size} requests were in flight at the kill`);

  const acctPort = d.acctPort;
  d = await startDaemon(t, { ...env, WISPD_RADIUS_ACCT_PORT: String(acctPort) }, dataDir);
  const recovery = d.child.lines.find((l) => l.msg === 'accounting spool open');
  t.ok(recovery, 'the spool reopened');
  const remembered = d.child.lines.find((l) => l.msg?.startsWith('answers given before the restart'));
  t.ok(remembered, `the answers spooled before the kill are remembered (${remembered?.requests})`);
  let answered = 0;
  for (const [sid, pkt] of unanswered) {
    const reply = await nas.request(pkt, acctPort, 2000);
    if (reply?.[0] === Code.AccountingResponse) {
      answered++;
      acked.add(sid);
    }
  }
  t.equal(answered, unanswered.size, 'every retransmission after the restart is answered');
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

t.test('odd values a NAS can send block nothing and lose no session, across a restart', async (t) => {
  const dataDir = `${tmpDir(t)}/data`;
  const env = { WISPD_ACCOUNTING_BATCH_INTERVAL: '50ms' };
  let d = await startDaemon(t, env, dataDir);
  await addNas(d.db, d.box, { name: 'odd', address: '127.0.0.1', secret: SECRET });
  await eventually(
    async () => (await radclient(d.acctPort, 'acct', SECRET, 'Acct-Status-Type = Accounting-On')).code !== undefined,
  );
  const nas = await UdpClient.open();
  t.teardown(() => nas.close());
  let id = 0;
  const send = async (sid: string, extra: Buffer[], user: Uint8Array = Buffer.from(`user-${sid}`)) => {
    const pkt = buildRequest(
      Code.AccountingRequest,
      id++ & 0xff,
      [
        attr(Attr.UserName, user),
        attr(Attr.AcctStatusType, u32(1)),
        attr(Attr.AcctSessionId, Buffer.from(sid)),
        ...extra,
      ],
      Buffer.from(SECRET),
    );
    return (await nas.request(pkt, d.acctPort, 2000))?.[0] === Code.AccountingResponse;
  };
  const poison: Array<[string, Buffer[], Buffer?]> = [
    ['p-evt0', [attr(Attr.EventTimestamp, u32(0))]],
    ['p-evt-date', [attr(Attr.EventTimestamp, u32(20240101))]],
    ['p-delay', [attr(Attr.AcctDelayTime, u32(2 ** 32 - 1))]],
    ['p-nul-user', [], Buffer.from('nul-user\0')],
    ['p-nul-inside', [], Buffer.from('nul\0inside')],
    ['p-stime', [attr(Attr.AcctSessionTime, u32(2 ** 31 + 5))]],
    ['p-giga', [attr(Attr.AcctInputGigawords, u32(2 ** 32 - 1)), attr(Attr.AcctInputOctets, u32(2 ** 32 - 1))]],
  ];
  for (const [sid, extra, user] of poison) t.ok(await send(sid, extra, user), `${sid} is acknowledged`);
  t.ok(await send('p-nul-sid\0', []), 'a NUL-terminated Acct-Session-Id is acknowledged');
  const live = async () =>
    (
      await d.db.query<{ sid: string }>(
        "SELECT acct_session_id AS sid FROM radius_session WHERE acct_session_id LIKE 'p-%'",
      )
    ).rows
      .map((r) => r.sid)
      .sort();
  const expected = [...poison.map(([sid]) => sid), 'p-nul-sid'].sort();
  t.same(
    await eventually(async () => ((await live()).length === expected.length ? live() : undefined), 10_000),
    expected,
    'every live session reaches radius_session',
  );

  t.equal(await d.stop(), 0);
  d = await startDaemon(t, env, dataDir);
  t.match(
    d.child.lines.find((l) => l.msg === 'live sessions loaded'),
    { sessions: expected.length },
    'all come back',
  );
  const ids = Array.from({ length: 10_000 }, (_, i) => `g${i}`);
  const acked = await accountingLoad(d.acctPort, Buffer.from(SECRET), ids, { concurrency: 32 });
  t.equal(acked.size, ids.length, '10,000 good records after them are acknowledged');
  t.equal(await d.stop(), 0);

  const ch = await stoppedDaemonClickhouse(t, dataDir);
  const good = await ch.query<{ n: string }>(
    "SELECT count() AS n FROM radius_accounting WHERE startsWith(acct_session_id, 'g')",
  );
  t.equal(Number(good[0]!.n), 10_000, 'all of them are in ClickHouse');
  const rows = await ch.query<{
    sid: string;
    username: string;
    event_time: string;
    session_time: number;
    input_octets: string;
    clamped: Record<string, string>;
  }>(
    "SELECT acct_session_id AS sid, username, toUnixTimestamp(event_time) AS event_time, session_time, input_octets, clamped FROM radius_accounting WHERE startsWith(acct_session_id, 'p-') ORDER BY sid",
  );
  const by = Object.fromEntries(rows.map((r) => [r.sid, r]));
  t.same(Object.keys(by).sort(), expected, 'every odd record is stored, once');
  const recent = (r: { event_time: string }) => Math.abs(Number(r.event_time) - Date.now() / 1000) < 600;
  t.ok(recent(by['p-evt0']!), 'Event-Timestamp 0: stored at the time of receipt');
  t.same(by['p-evt0']!.clamped, { 'Event-Timestamp': '0' }, 'the raw value beside it');
  t.ok(recent(by['p-evt-date']!), 'a small Event-Timestamp is not read as a date');
  t.ok(recent(by['p-delay']!));
  t.same(by['p-delay']!.clamped, { 'Acct-Delay-Time': String(2 ** 32 - 1) });
  t.equal(by['p-nul-user']!.username, 'nul-user');
  t.equal(by['p-nul-inside']!.username, 'nul\uFFFDinside');
  t.equal(Number(by['p-stime']!.session_time), 2 ** 31 + 5);
  t.equal(by['p-giga']!.input_octets, String(Number.MAX_SAFE_INTEGER), 'not wrapped to 384');
});
