// CoA and Disconnect against a real receiver: a throw-away FreeRADIUS as the NAS. Its CoA listener checks wispd's
// authenticators and Message-Authenticator and records every request; it NAKs one user to trigger the fallback.
import t from 'tap';
import { addNas } from '../../daemon/model/nas.ts';
import { addPlan } from '../../daemon/model/plan.ts';
import { addSubscriber } from '../../daemon/model/subscriber.ts';
import { freePort } from '../helpers/env.ts';
import { startNasStandIn } from '../helpers/freeradius-nas.ts';
import { wispd } from '../helpers/proc.ts';
import { accountingRequest, eventually, radclient, startDaemon, stoppedDaemonClickhouse } from '../helpers/radius.ts';

const SECRET = 'nas-coa-secret';
const nas = await startNasStandIn(t, { secret: SECRET, nakUsers: ['nak-me'] });
const d = await startDaemon(t, { WISPD_COA_TIMEOUT: '200ms', WISPD_COA_RETRIES: '2' });
const env = { WISPD_DAEMON_DATA_DIR: d.dataDir };
const cli = (...args: string[]) => wispd(args, { env });
await addNas(d.db, d.box, nas.nas('ccr1', '127.0.0.1', 'mikrotik'));
await addNas(d.db, d.box, nas.nas('asr1', '127.0.0.2', 'cisco'));
await addNas(d.db, d.box, nas.nas('mx1', '127.0.0.3', 'juniper'));
const dead = await freePort();
await addNas(d.db, d.box, { name: 'dead1', address: '127.0.0.4', secret: SECRET, vendor: 'mikrotik', coaPort: dead });
await addPlan(d.db, { name: 'home', rateDown: 20_000_000, rateUp: 5_000_000 });
for (const u of ['alice', 'nak-me', 'carl', 'juno', 'ghost', 'sam']) {
  await addSubscriber(d.db, d.box, { username: u, password: `${u}-pw`, plan: 'home' });
}

/** An Accounting Start (or Stop) from a NAS address (the session's CoA goes back there). */
const start = (from: string, username: string, sid: string, ip: string, status = 1) =>
  accountingRequest(d.acctPort, SECRET, { from, username, sid, ip, status });

// (No assertion at the top level before the subtests: tap would end the file's test at the first one.)
// Each NAS reaches the daemon's cache through change_log on its own poll: the first packet from each address waits.
await eventually(() => start('127.0.0.1', 'alice', 'a-1', '100.64.0.1'));
const started = [
  await start('127.0.0.1', 'nak-me', 'n-1', '100.64.0.2'),
  await eventually(() => start('127.0.0.2', 'carl', 'c-1', '100.64.0.3')),
  await eventually(() => start('127.0.0.3', 'juno', 'j-1', '100.64.0.4')),
  await eventually(() => start('127.0.0.4', 'ghost', 'g-1', '100.64.0.5')),
  await start('127.0.0.1', 'sam', 's-1', '100.64.0.6'),
];
const lastOf = (type: string, user: string) =>
  nas
    .received()
    .filter((p) => p.type === type && p.attributes['User-Name'] === user)
    .at(-1);

t.test('MikroTik: a CoA with the session identifiers and the new Mikrotik-Rate-Limit, acknowledged', async (t) => {
  t.same(started, [true, true, true, true, true], 'sessions on four NAS');
  const r = cli('coa', 'alice', '--rate', '1M/512k');
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^ccr1 {2}alice {2}a-1 {2}CoA ACK {2}1 attempt\(s\)/);
  const p = lastOf('CoA-Request', 'alice');
  t.match(p?.attributes, {
    'User-Name': 'alice',
    'Acct-Session-Id': 'a-1',
    'Framed-IP-Address': '100.64.0.1',
    'Mikrotik-Rate-Limit': '512k/1M',
  });
});

t.test('a NAK (Error-Cause) triggers the profile fallback: a Disconnect', async (t) => {
  const r = cli('coa', 'nak-me', '--rate', '1M/1M');
  t.equal(r.code, 0, 'acknowledged in the end, by the fallback');
  t.match(r.stdout, 'CoA NAK (Unsupported-Service)');
  t.match(r.stdout, 'then ccr1  nak-me  n-1  Disconnect ACK');
  t.ok(lastOf('Disconnect-Request', 'nak-me'), 'the stand-in received the Disconnect');
});

t.test('Cisco and Juniper express the rate their way', async (t) => {
  t.equal(cli('coa', 'carl', '--rate', '10M/2M').code, 0);
  const cisco = nas.received().filter((p) => p.type === 'CoA-Request' && p.attributes['Acct-Session-Id'] === 'c-1');
  t.ok(cisco.length === 1);
  t.match(JSON.stringify(cisco), /Cisco-AVPair/, 'Cisco-AVPair rate-limit commands');
  t.equal(cli('coa', 'juno', '--rate', '10M/2M').code, 0);
  const juniper = nas.received().find((p) => p.type === 'CoA-Request' && p.attributes['Acct-Session-Id'] === 'j-1');
  t.match(JSON.stringify(juniper), /wispd-rate\(10000000,2000000\)/, 'ERX-Service-Activate wispd-rate(down,up)');
  t.notOk(juniper?.attributes['User-Name'], 'Junos needs only Acct-Session-Id');
});

t.test('nothing listening: retries, then a recorded timeout; the daemon keeps answering', async (t) => {
  const t0 = Date.now();
  const r = cli('disconnect', 'ghost');
  t.equal(r.code, 1, 'exit 1: not acknowledged');
  t.match(r.stdout, /^dead1 {2}ghost {2}g-1 {2}Disconnect TIMEOUT {2}3 attempt\(s\)/);
  t.match(r.stdout, /^hint: dead1 never answered\. .*\/radius incoming set accept=yes/m, 'with what to check');
  t.ok(Date.now() - t0 < 10_000);
  const auth = await radclient(
    d.authPort,
    'auth',
    SECRET,
    'User-Name = "alice", User-Password = "alice-pw", Message-Authenticator = 0x00',
  );
  t.equal(auth.code, 'Access-Reject', 'still answering (alice is online once already: simultaneous use)');
});

t.test('suspend disconnects and rejects later logins; resume lets them in again', async (t) => {
  const s = cli('suspend', 'sam', '--reason', 'unpaid invoice');
  t.equal(s.code, 0, s.stderr);
  t.match(s.stdout, /^sam: suspended; later logins are refused or walled$/m, 'the suspension is confirmed');
  t.match(s.stdout, 'ccr1  sam  s-1  Disconnect ACK');
  t.ok(lastOf('Disconnect-Request', 'sam'));
  t.ok(
    await start('127.0.0.1', 'sam', 's-1', '100.64.0.6', 2),
    'the NAS reports the Stop, as it does after a Disconnect',
  );
  await eventually(
    async () =>
      (
        await radclient(
          d.authPort,
          'auth',
          SECRET,
          'User-Name = "sam", User-Password = "sam-pw", Message-Authenticator = 0x00',
        )
      ).code === 'Access-Reject',
  );
  t.equal(cli('resume', 'sam').code, 0);
  const { rows: audit } = await d.db.query<{ actor: string; action: string; record_id: string }>(
    "SELECT actor, action, record_id FROM audit_log WHERE resource = 'subscriber' AND record_id = 'sam' ORDER BY id",
  );
  t.match(
    audit,
    [
      { actor: /^cli:/, action: 'suspend' },
      { actor: /^cli:/, action: 'resume' },
    ],
    'suspend and resume from the command line are audited, by the operator',
  );
  await eventually(
    async () =>
      (
        await radclient(
          d.authPort,
          'auth',
          SECRET,
          'User-Name = "sam", User-Password = "sam-pw", Message-Authenticator = 0x00',
        )
      ).code === 'Access-Accept',
  );
});

t.test('errors: no such session, no daemon', async (t) => {
  const none = cli('disconnect', 'nobody-online');
  t.equal(none.code, 1);
  t.match(none.stderr, 'no subscriber "nobody-online" [WISPD_NOT_FOUND]', 'a name that is no subscriber says so');
  const offline = cli('disconnect', 'sam');
  t.equal(offline.code, 1);
  t.match(offline.stderr, 'sam has no live session [WISPD_NOT_FOUND]');
  const bad = cli('coa', 'alice', '--rate', 'fast');
  t.match(bad.stderr, 'rate "fast": down/up rates such as 5M/1M');
});

t.test('the ledger: last outcome on the session in PostgreSQL, every request in ClickHouse', async (t) => {
  const row = await eventually(async () => {
    const r = (
      await d.db.query("SELECT last_coa_action, last_coa_outcome FROM radius_session WHERE acct_session_id = 'n-1'")
    ).rows[0];
    return r?.last_coa_outcome ? r : undefined;
  });
  t.same(row, { last_coa_action: 'rate (disconnect)', last_coa_outcome: 'ack' });
  t.equal(await d.stop(), 0);
  const noDaemon = cli('disconnect', 'alice');
  t.match(noDaemon.stderr, 'wispd is not running');
  const ch = await stoppedDaemonClickhouse(t, d.dataDir);
  const rows = await ch.query<{
    username: string;
    kind: string;
    action: string;
    outcome: string;
    error_cause: string;
    fallback_of: string;
    actor: string;
    reason: string;
  }>('SELECT username, kind, action, outcome, error_cause, fallback_of, actor, reason FROM coa_ledger ORDER BY ts');
  t.match(rows, [
    { username: 'alice', kind: 'coa', action: 'rate', outcome: 'ack', actor: 'cli' },
    { username: 'nak-me', kind: 'coa', outcome: 'nak', error_cause: 'Unsupported-Service' },
    { username: 'nak-me', kind: 'disconnect', outcome: 'ack', fallback_of: 'coa' },
    { username: 'carl', outcome: 'ack' },
    { username: 'juno', outcome: 'ack' },
    { username: 'ghost', kind: 'disconnect', outcome: 'timeout' },
    { username: 'sam', action: 'suspend', outcome: 'ack', reason: 'unpaid invoice' },
  ]);
});
