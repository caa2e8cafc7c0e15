// The restriction stack end to end, against a FreeRADIUS NAS stand-in: fair usage throttles, billing (dunning) walls
// the subscriber off, staff (manual) reject them; each reason is lifted in turn, and each time the NAS gets the CoA
// or Disconnect the restriction now in force needs — none when it did not change — and the next Access-Accept
// carries the same profile. A top-up never lifts a billing restriction; lifting billing never ends a throttle.
import t from 'tap';
import { addNas } from '../../daemon/model/nas.ts';
import { addSubscriber } from '../../daemon/model/subscriber.ts';
import { tmpDir } from '../helpers/env.ts';
import { startNasStandIn } from '../helpers/freeradius-nas.ts';
import { wispd } from '../helpers/proc.ts';
import { eventually, radclient, startDaemon, stoppedDaemonClickhouse } from '../helpers/radius.ts';

const SECRET = 'restriction-nas-secret';
const MiB = 1024 * 1024;
const nas = await startNasStandIn(t, { secret: SECRET });
const dataDir = `${tmpDir(t)}/data`;
const env = { WISPD_DAEMON_DATA_DIR: dataDir };
const cli = (...args: string[]) => wispd(args, { env });

t.test('fup + dunning + manual: lifted one by one, the NAS and the next login follow the one in force', async (t) => {
  const d = await startDaemon(t, { WISPD_RADIUS_WALLED_GARDEN_ENABLED: 'true' }, dataDir);
  await addNas(d.db, d.box, nas.nas('ccr1', '127.0.0.1', 'mikrotik'));
  const plan = cli(
    'plan',
    'add',
    '--name',
    'capped',
    '--rate-down',
    '20M',
    '--rate-up',
    '5M',
    '--fup-quota',
    '10M',
    '--fup-period',
    'day',
    '--fup-throttle',
    '1M/512k',
  );
  t.equal(plan.code, 0, plan.stderr);
  await addSubscriber(d.db, d.box, { username: 'alice', password: 'alice-pw', plan: 'capped' });
  const login = () =>
    radclient(
      d.authPort,
      'auth',
      SECRET,
      'User-Name = "alice", User-Password = "alice-pw", Calling-Station-Id = "aa:aa:aa:aa:aa:01", Message-Authenticator = 0x00',
    );
  const acct = (sid: string, extra: string) =>
    radclient(
      d.acctPort,
      'acct',
      SECRET,
      `User-Name = "alice", Acct-Session-Id = "${sid}", Framed-IP-Address = 100.64.2.1, Calling-Station-Id = "aa:aa:aa:aa:aa:01", ${extra}`,
    );
  const sent = () => nas.received().filter((p) => p.type === 'CoA-Request' || p.type === 'Disconnect-Request');
  /** The next packet the NAS receives after `n` so far. */
  const next = (n: number) => eventually(() => sent()[n]);
  /** No packet beyond `n` within a moment (a CoA would be sent at once, well within it). */
  const none = async (n: number) => {
    await new Promise((r) => setTimeout(r, 1500));
    return sent().length === n;
  };
  const profile = async () => {
    const r = await login();
    return r.code === 'Access-Accept'
      ? `${r.attributes['Mikrotik-Rate-Limit']} ${r.attributes['Mikrotik-Address-List'] ?? '-'}`
      : `${r.code}: ${r.attributes['Reply-Message'] ?? ''}`;
  };

  t.equal(await eventually(async () => ((await login()).code === 'Access-Accept' ? true : undefined)), true);
  t.equal((await acct('r-1', 'Acct-Status-Type = Start')).code, 'Accounting-Response');
  t.equal(
    (await acct('r-1', `Acct-Status-Type = Interim-Update, Acct-Output-Octets = ${11 * MiB}`)).code,
    'Accounting-Response',
  );
  t.match((await next(0)).attributes, { 'Mikrotik-Rate-Limit': '512k/1M' }, 'fup: throttled');
  t.equal(await profile(), '512k/1M -', 'and so is the next login');

  let r = cli(
    'restrict',
    'alice',
    '--for',
    'dunning',
    '--effect',
    'walled-garden',
    '--profile',
    'unpaid',
    '--reason',
    'invoice 1042',
  );
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /alice: restricted for dunning; in force: walled garden unpaid \(for dunning\)/);
  t.match(
    (await next(1)).attributes,
    { 'Mikrotik-Address-List': 'unpaid', 'Mikrotik-Rate-Limit': '1M/1M', 'Acct-Session-Id': 'r-1' },
    'dunning outweighs the throttle: the walled garden by CoA',
  );
  t.equal(await profile(), '1M/1M unpaid');

  r = cli('restrict', 'alice', '--for', 'manual', '--effect', 'reject', '--reason', 'fraud check');
  t.equal(r.code, 0, r.stderr);
  t.equal((await next(2)).type, 'Disconnect-Request', 'manual reject: disconnected');
  t.equal((await acct('r-1', 'Acct-Status-Type = Stop')).code, 'Accounting-Response');
  t.equal(await profile(), 'Access-Reject: Your account is suspended. Please contact us.');
  const list = cli('restrictions', 'alice');
  t.match(list.stdout, /fup: throttle 1M\/512k/);
  t.match(list.stdout, /dunning: walled garden unpaid \(invoice 1042\), by cli:/);
  t.match(list.stdout, /manual: reject \(fraud check\)/);
  t.match(list.stdout, /in force: reject \(for manual\)/);

  r = cli('unrestrict', 'alice', '--for', 'manual');
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /manual lifted; in force: walled garden unpaid \(for dunning\)\nno live session to act on/);
  t.equal(await profile(), '1M/1M unpaid', 'the walled garden of dunning, still');
  t.equal((await acct('r-2', 'Acct-Status-Type = Start')).code, 'Accounting-Response');

  // Fair usage lifted and set again while dunning stands: the subscriber stays in the garden, the NAS is not told.
  t.equal(cli('topup', 'alice', '10M').code, 0);
  t.ok(await none(3), 'a top-up does not end a billing restriction: no CoA');
  t.equal(await profile(), '1M/1M unpaid');
  t.equal(
    (await acct('r-2', `Acct-Status-Type = Interim-Update, Acct-Output-Octets = ${10 * MiB}`)).code,
    'Accounting-Response',
  );
  t.match(cli('usage', 'alice').stdout, /state:\s+throttle/);
  t.ok(await none(3), 'throttled again under the garden: still nothing to send');

  r = cli('unrestrict', 'alice', '--for', 'dunning', '--reason', 'paid');
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /dunning lifted; in force: throttle 1M\/512k \(for fup\)/);
  t.equal((await next(3)).type, 'Disconnect-Request', 'leaving a MikroTik address list needs a new login');
  t.equal((await acct('r-2', 'Acct-Status-Type = Stop')).code, 'Accounting-Response');
  t.equal(await profile(), '512k/1M -', 'paying the bill does not end the throttle');
  t.equal((await acct('r-3', 'Acct-Status-Type = Start')).code, 'Accounting-Response');

  t.equal(cli('topup', 'alice', '10M').code, 0);
  t.match(
    (await next(4)).attributes,
    { 'Mikrotik-Rate-Limit': '5M/20M', 'Acct-Session-Id': 'r-3' },
    'the plan rate back',
  );
  t.equal(await profile(), '5M/20M -');
  t.equal(cli('restrictions', 'alice').stdout, 'alice: not restricted\n');

  const audit = await d.db.query("SELECT action FROM audit_log WHERE resource = 'subscriber' ORDER BY id");
  t.same(
    audit.rows.map((x) => x.action),
    ['restrict', 'restrict', 'unrestrict', 'unrestrict'],
    'each command in the audit log',
  );
  t.match(cli('restrict', 'alice', '--for', 'fup', '--effect', 'reject'), {
    code: 1,
    stderr: /set and lifted by the FUP engine/,
  });
  t.match(cli('restrict', 'alice', '--for', 'dunning', '--effect', 'throttle'), {
    code: 1,
    stderr: /a throttle needs a rate/,
  });

  t.equal(await d.stop(), 0);
  const ch = await stoppedDaemonClickhouse(t, d.dataDir);
  const ledger = await ch.query(
    "SELECT action, kind, actor, reason FROM coa_ledger WHERE username = 'alice' ORDER BY ts",
  );
  t.match(ledger, [
    { action: 'fup-throttle', actor: 'fup' },
    { action: 'restrict', reason: 'dunning: invoice 1042' },
    { action: 'suspend', kind: 'disconnect', reason: 'manual: fraud check' },
    { action: 'unrestrict', kind: 'disconnect', reason: 'dunning lifted: paid' },
    { action: 'fup-restore', actor: 'fup' },
  ]);
});
