// The core's commands as a plugin calls them (ctx.core), against a FreeRADIUS NAS stand-in: a customer and a
// subscriber with generated credentials (sealed at rest, accepted at once), a plan change that reaches the live
// session by CoA — and waits while a restriction governs the rate —, a top-up and a disconnect; each audited as the
// plugin, each with its event.
import t from 'tap';
import { addNas } from '../../daemon/model/nas.ts';
import { addPlan } from '../../daemon/model/plan.ts';
import { repoRoot, tmpDir } from '../helpers/env.ts';
import { startNasStandIn } from '../helpers/freeradius-nas.ts';
import { eventually, radclient, startDaemon } from '../helpers/radius.ts';

const SECRET = 'core-commands-secret';
const nas = await startNasStandIn(t, { secret: SECRET });

t.test('ctx.core: create, change plan by CoA, top up, disconnect; audited and published', async (t) => {
  const d = await startDaemon(
    t,
    { WISPD_PLUGINS_ENABLED: `${repoRoot}/test/fixtures/plugins/commander` },
    `${tmpDir(t)}/data`,
  );
  const base = `http://${String((await d.child.waitFor('staff panel listening')).listen)}`;
  const run = async (op: string, ...args: unknown[]) => {
    const r = await fetch(`${base}/hooks/commander/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ op, args }),
    });
    const body = (await r.json()) as { result?: unknown; error?: string; message?: string };
    if (r.status !== 200) throw new Error(`${op}: ${body.error} ${body.message}`);
    // biome-ignore lint/suspicious/noExplicitAny: the commands' results, read field by field below
    return body.result as Record<string, any>;
  };
  await addNas(d.db, d.box, nas.nas('ccr1', '127.0.0.1', 'mikrotik'));
  await addPlan(d.db, { name: 'home-20', rateDown: 20e6, rateUp: 5e6 });
  await addPlan(d.db, { name: 'home-50', rateDown: 50e6, rateUp: 10e6 });
  // The NAS is known once an unknown login is rejected (not dropped).
  await eventually(async () =>
    (
      await radclient(
        d.authPort,
        'auth',
        SECRET,
        'User-Name = "nobody", User-Password = "x", Message-Authenticator = 0x00',
      )
    ).code === 'Access-Reject'
      ? true
      : undefined,
  );
  await addPlan(d.db, {
    name: 'home-100',
    rateDown: 100e6,
    rateUp: 20e6,
    fupQuota: 100 * 1024 ** 3,
    fupPeriod: 'month',
  });

  const customer = await run('createCustomer', { name: 'Ana Lima', email: 'ana@example.net' });
  t.match(customer, { id: Number, name: 'Ana Lima', email: 'ana@example.net' });
  const { subscriber, password } = await run('createSubscriber', {
    plan: 'home-20',
    customerId: customer.id,
    usernamePrefix: 'ana-',
  });
  t.match(subscriber.username, /^ana-[a-z2-9]{8}$/, 'a generated username');
  t.match(password, /^[A-Za-z2-9]{16}$/, 'a generated password, returned once');
  const stored = await d.db.query<{ password_enc: string; customer_id: number }>(
    'SELECT password_enc, customer_id FROM subscriber WHERE username = $1',
    [subscriber.username],
  );
  t.equal(stored.rows[0]!.customer_id, customer.id);
  t.notMatch(String(stored.rows[0]!.password_enc), password, 'sealed at rest');

  const login = await radclient(
    d.authPort,
    'auth',
    SECRET,
    `User-Name = "${subscriber.username}", User-Password = "${password}", Message-Authenticator = 0x00`,
  );
  t.equal(login.code, 'Access-Accept', `the new credentials are accepted at once (${login.output})`);
  t.equal(login.attributes['Mikrotik-Rate-Limit'], '5M/20M');
  const start = await radclient(
    d.acctPort,
    'acct',
    SECRET,
    `User-Name = "${subscriber.username}", Acct-Session-Id = "cc-1", Acct-Status-Type = Start, Framed-IP-Address = 100.64.9.1`,
  );
  t.equal(start.code, 'Accounting-Response');

  const sent = () => nas.received().filter((p) => p.type === 'CoA-Request' || p.type === 'Disconnect-Request');
  const changed = await run('changePlan', subscriber.username, 'home-50');
  t.match(changed.subscriber, { plan: 'home-50' });
  t.match(changed.coa, [{ action: 'rate', outcome: 'ack', acctSessionId: 'cc-1' }]);
  t.match((await eventually(() => sent()[0])).attributes, { 'Mikrotik-Rate-Limit': '10M/50M' }, 'CoA on the wire');

  await run('restrict', subscriber.username, { reason: 'dunning', effect: 'throttle', rateDown: 1e6, rateUp: 1e6 });
  t.match((await eventually(() => sent()[1])).attributes, { 'Mikrotik-Rate-Limit': '1M/1M' });
  const governed = await run('changePlan', subscriber.username, 'home-100');
  t.same(governed.coa, [], 'a restriction governs the rate: the plan waits');
  await run('unrestrict', subscriber.username, 'dunning', 'paid');
  t.match(
    (await eventually(() => sent()[2])).attributes,
    { 'Mikrotik-Rate-Limit': '20M/100M' },
    'lifted: the new plan',
  );

  const usage = await run('topup', subscriber.username, 5 * 1024 ** 3);
  t.match(usage, { limit: 105 * 1024 ** 3 }, 'a top-up adds to the quota of the period');
  const disconnected = await run('disconnect', subscriber.username, 'moved house');
  t.match(disconnected, [{ action: 'disconnect', outcome: 'ack' }]);
  t.equal((await eventually(() => sent()[3])).type, 'Disconnect-Request');

  await t.rejects(run('createSubscriber', { plan: 'no-such-plan' }), /WISPD_NOT_FOUND/, 'coded errors');

  const audit = await d.db.query<{ actor: string; resource: string; action: string }>(
    "SELECT actor, resource, action FROM audit_log WHERE actor = 'plugin:commander' ORDER BY id",
  );
  t.same(
    audit.rows.map((r) => `${r.resource}:${r.action}`),
    [
      'customer:new',
      'subscriber:new',
      'subscriber:edit',
      'subscriber:restrict',
      'subscriber:edit',
      'subscriber:unrestrict',
      'fup:topup',
      'session:disconnect',
    ],
    'every command audited as the plugin',
  );
  const audited = await d.db.query("SELECT after::text AS after FROM audit_log WHERE actor = 'plugin:commander'");
  t.notOk(
    audited.rows.some((r) => String(r.after).includes(password)),
    'the password is in no audit row',
  );

  const seen = await eventually(async () => {
    const r = await d.db.query<{ type: string; subject: string }>(
      'SELECT type, subject FROM plugin_commander.seen ORDER BY n',
    );
    return r.rows.length >= 4 ? r.rows : undefined;
  }, 10_000);
  t.same(
    seen.map((r) => `${r.type} ${r.subject}`),
    [
      `customer.created ${customer.id}`,
      `subscriber.created ${subscriber.username}`,
      `subscriber.plan_changed ${subscriber.username}`,
      `subscriber.plan_changed ${subscriber.username}`,
    ],
  );
  t.equal(await d.stop(), 0);
});
