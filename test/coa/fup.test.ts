// Fair usage end to end: radclient logs a subscriber in and sends Interim-Updates; crossing the quota sends a CoA
// with the throttled rate to the NAS (a FreeRADIUS stand-in); a re-authentication gets the throttled profile; a top-up
// brings the plan's rate back by CoA; a daemon restart keeps the counter and counts no update twice.
import t from 'tap';
import { addNas } from '../../daemon/model/nas.ts';
import { addSubscriber } from '../../daemon/model/subscriber.ts';
import { tmpDir } from '../helpers/env.ts';
import { startNasStandIn } from '../helpers/freeradius-nas.ts';
import { wispd } from '../helpers/proc.ts';
import { eventually, radclient, startDaemon } from '../helpers/radius.ts';

const SECRET = 'fup-nas-secret';
const MiB = 1024 * 1024;
const nas = await startNasStandIn(t, { secret: SECRET });
const dataDir = `${tmpDir(t)}/data`;
const env = { WISPD_DAEMON_DATA_DIR: dataDir };
const cli = (...args: string[]) => wispd(args, { env });

t.test('quota crossed → CoA; re-auth throttled; top-up → CoA back; restart → same counter', async (t) => {
  let d = await startDaemon(t, {}, dataDir);
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
  t.equal(cli('plan', 'add', '--name', 'uncapped', '--rate-down', '20M', '--rate-up', '5M').code, 0);
  t.match(cli('plan', 'list').stdout, /capped\s+20M\s+5M.*10M\/day then 1M\/512k/);
  await addSubscriber(d.db, d.box, { username: 'alice', password: 'alice-pw', plan: 'capped' });
  const login = `User-Name = "alice", User-Password = "alice-pw", Calling-Station-Id = "aa:aa:aa:aa:aa:01", Message-Authenticator = 0x00`;
  const first = await eventually(async () => {
    const r = await radclient(d.authPort, 'auth', SECRET, login);
    return r.code === 'Access-Accept' ? r : undefined;
  });
  t.equal(first.attributes['Mikrotik-Rate-Limit'], '5M/20M', 'under quota: the plan rate');

  const acct = (extra: string) =>
    radclient(
      d.acctPort,
      'acct',
      SECRET,
      `User-Name = "alice", Acct-Session-Id = "fup-1", Framed-IP-Address = 100.64.1.1, Calling-Station-Id = "aa:aa:aa:aa:aa:01", ${extra}`,
    );
  t.equal((await acct('Acct-Status-Type = Start')).code, 'Accounting-Response');
  t.equal(
    (await acct(`Acct-Status-Type = Interim-Update, Acct-Output-Octets = ${5 * MiB}, Acct-Session-Time = 60`)).code,
    'Accounting-Response',
  );
  t.match(cli('usage', 'alice').stdout, /used:\s+5M of 10M = 50%/);
  t.equal(nas.received().filter((p) => p.type === 'CoA-Request').length, 0, 'no CoA under the quota');

  t.equal(
    (await acct(`Acct-Status-Type = Interim-Update, Acct-Output-Octets = ${11 * MiB}, Acct-Session-Time = 120`)).code,
    'Accounting-Response',
  );
  const throttle = await eventually(() => nas.received().find((p) => p.type === 'CoA-Request'));
  t.match(
    throttle.attributes,
    {
      'User-Name': 'alice',
      'Acct-Session-Id': 'fup-1',
      'Framed-IP-Address': '100.64.1.1',
      'Mikrotik-Rate-Limit': '512k/1M',
    },
    'the NAS got the throttled rate',
  );
  t.match(cli('usage', 'alice').stdout, /state:\s+throttle/);

  const again = await radclient(d.authPort, 'auth', SECRET, login);
  t.equal(again.code, 'Access-Accept');
  t.equal(
    again.attributes['Mikrotik-Rate-Limit'],
    '512k/1M',
    'a re-authentication over quota gets the throttled profile',
  );

  const topup = cli('topup', 'alice', '10M');
  t.equal(topup.code, 0, topup.stderr);
  t.match(topup.stdout, /quota:\s+10M \+ 10M top-ups/);
  const restore = await eventually(() => nas.received().filter((p) => p.type === 'CoA-Request')[1]);
  t.equal(restore.attributes['Mikrotik-Rate-Limit'], '5M/20M', 'the top-up gave the plan rate back by CoA');

  t.equal(await d.stop(), 0);
  d = await startDaemon(t, {}, dataDir);
  t.match(cli('usage', 'alice').stdout, /used:\s+11M of 20M/, 'the counter survived the restart');
  t.equal(
    (
      await acct(
        `Acct-Status-Type = Interim-Update, Acct-Output-Octets = ${11 * MiB}, Acct-Session-Time = 120, Acct-Delay-Time = 5`,
      )
    ).code,
    'Accounting-Response',
  );
  t.match(
    cli('usage', 'alice').stdout,
    /used:\s+11M of 20M/,
    'the same totals resent after the restart: nothing added',
  );
  t.equal(
    (await acct(`Acct-Status-Type = Interim-Update, Acct-Output-Octets = ${12 * MiB}, Acct-Session-Time = 180`)).code,
    'Accounting-Response',
  );
  t.match(cli('usage', 'alice').stdout, /used:\s+12M/, 'the next update adds its new megabyte');

  // A plan without fair usage: the cycle's traffic, from accounting.
  await addSubscriber(d.db, d.box, { username: 'bob', password: 'bob-pw', plan: 'uncapped' });
  const bob = (extra: string) =>
    radclient(d.acctPort, 'acct', SECRET, `User-Name = "bob", Acct-Session-Id = "free-1", ${extra}`);
  t.equal((await bob('Acct-Status-Type = Start')).code, 'Accounting-Response');
  t.equal(
    (await bob(`Acct-Status-Type = Interim-Update, Acct-Output-Octets = ${3 * MiB}, Acct-Input-Octets = ${MiB}`)).code,
    'Accounting-Response',
  );
  const cycle = /used:\s+4M \(3M down, 1M up\)\nquota:\s+none: plan uncapped has no fair usage policy/;
  t.match(await eventually(() => cli('usage', 'bob').stdout.match(cycle)?.[0], 20_000), cycle, 'usage without FUP');

  // Without the daemon, `usage` reads the stores: the counter as the daemon wrote it on stopping.
  t.equal(await d.stop(), 0);
  const stopped = cli('usage', 'alice');
  t.equal(stopped.code, 0, stopped.stderr);
  t.match(stopped.stdout, /used:\s+12M of 20M = 60%\n[\s\S]*\(wispd is not running: as of its last write\)/);
  t.match(cli('usage', 'bob').stdout, cycle, 'and the cycle from ClickHouse');
  t.match(cli('usage', 'nobody'), { code: 1, stderr: /no subscriber nobody|subscriber 'nobody'|nobody/ });
});
