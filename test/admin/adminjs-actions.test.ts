// The panel's core actions in a running daemon (`wispd start`, panel on 127.0.0.1:0), over HTTP as the browser
// calls them, against a throw-away FreeRADIUS as the NAS: Disconnect shows the CoA outcome and the NAS receives the
// Disconnect-Request; Change rate shows a NAK with its Error-Cause and the fallback; Suspend and Resume (one and in
// bulk) change the subscriber and its session; Top-up and Reset FUP answer with the usage; each leaves its audit row;
// a role the table refuses gets 403. Then the daemon stops cleanly (the panel's knex pool closed).
import t from 'tap';
import { addNas } from '../../daemon/model/nas.ts';
import { addPlan } from '../../daemon/model/plan.ts';
import { addSubscriber } from '../../daemon/model/subscriber.ts';
import { startNasStandIn } from '../helpers/freeradius-nas.ts';
import { wispd } from '../helpers/proc.ts';
import { accountingRequest, eventually, startDaemon } from '../helpers/radius.ts';

const SECRET = 'nas-coa-secret';
const PASSWORD = 'long enough password';
const nas = await startNasStandIn(t, { secret: SECRET, nakUsers: ['nak-me'] });
const d = await startDaemon(t, { WISPD_COA_TIMEOUT: '200ms', WISPD_COA_RETRIES: '1' });
const listening = await d.child.waitFor('staff panel listening');
const base = `http://${listening.listen as string}`;
const env = { WISPD_DAEMON_DATA_DIR: d.dataDir };
for (const role of ['admin', 'support'] as const) {
  const r = wispd(['admin', 'create-user', '--email', `${role}@example.net`, '--password', PASSWORD, '--role', role], {
    env,
  });
  if (r.code !== 0) throw new Error(r.stderr);
}
await addNas(d.db, d.box, nas.nas('ccr1', '127.0.0.1', 'mikrotik'));
await addPlan(d.db, { name: 'home', rateDown: 20_000_000, rateUp: 5_000_000 });
await addPlan(d.db, { name: 'capped', rateDown: 20_000_000, rateUp: 5_000_000, fupQuota: 2 ** 30, fupPeriod: 'month' });
for (const u of ['alice', 'nak-me', 'sam', 'sue']) {
  await addSubscriber(d.db, d.box, { username: u, password: `${u}-pw`, plan: 'home' });
}
await addSubscriber(d.db, d.box, { username: 'tina', password: 'tina-pw', plan: 'capped' });

const acctStart = (username: string, sid: string, ip: string) =>
  accountingRequest(d.acctPort, SECRET, { username, sid, ip });
// The NAS becomes known to the listener through the change log: the first Start is retried until it is.
await eventually(() => acctStart('alice', 'a-1', '100.64.0.1'), 10_000);
for (const [u, sid, ip] of [
  ['nak-me', 'n-1', '100.64.0.2'],
  ['sam', 's-1', '100.64.0.3'],
  ['sue', 'u-1', '100.64.0.4'],
] as const) {
  if (!(await acctStart(u, sid, ip))) throw new Error(`no Accounting-Response for ${u}`);
}

async function login(email: string): Promise<string> {
  const res = await fetch(`${base}/admin/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`login ${email}: ${res.status}`);
  return /wispd_staff=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1]!;
}
const admin = await login('admin@example.net');
const support = await login('support@example.net');

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: AdminJS answers are checked field by field below
  body: any;
}
async function call(cookie: string, path: string, data?: Record<string, string>): Promise<Answer> {
  const res = await fetch(`${base}/admin/api/resources/${path}`, {
    method: data ? 'POST' : 'GET',
    headers: { cookie: `wispd_staff=${cookie}`, ...(data ? { 'content-type': 'application/json' } : {}) },
    ...(data ? { body: JSON.stringify(data) } : {}),
  });
  return { status: res.status, body: await res.json() };
}

const idOf = async (resource: string, username: string): Promise<string> =>
  eventually(async () => {
    const list = await call(admin, `${resource}/actions/list?filters.username=${username}`);
    return list.body.records?.find((r: { params: { username: string } }) => r.params.username === username)?.id;
  }, 10_000);
const received = (type: string, user: string) =>
  nas.received().filter((p) => p.type === type && p.attributes['User-Name'] === user);
const audit = async (resource: string, action: string) =>
  (
    await d.db.query(
      'SELECT actor, record_id, before, after FROM audit_log WHERE resource = $1 AND action = $2 ORDER BY id DESC LIMIT 1',
      [resource, action],
    )
  ).rows[0];

t.test('Disconnect from the session page: the NAS gets it, the person reads the outcome', async (t) => {
  const id = await idOf('radius_session', 'alice');
  const form = await call(admin, `radius_session/records/${id}/disconnect`);
  t.equal(form.status, 200);
  t.equal(received('Disconnect-Request', 'alice').length, 0, 'showing the form sends nothing');
  const res = await call(admin, `radius_session/records/${id}/disconnect`, { reason: 'support call' });
  t.equal(res.status, 200);
  t.match(res.body.notice, {
    type: 'success',
    message: /^Disconnect of alice\. Disconnect-Request to ccr1 for session a-1: ack, 1 attempt, [\d.]+ ms\.$/,
  });
  t.match(received('Disconnect-Request', 'alice').at(-1)?.attributes, { 'Acct-Session-Id': 'a-1' });
  t.match(await audit('session', 'disconnect'), {
    actor: 'admin@example.net',
    record_id: String(id),
    after: { username: 'alice', session: 'a-1', coa: [{ nas: 'ccr1', kind: 'disconnect', outcome: 'ack' }] },
  });
  const ledger = await eventually(async () => {
    const list = await call(admin, 'coa_ledger/actions/list?filters.username=alice');
    return list.body.records?.[0]?.params;
  }, 10_000);
  t.match(ledger, { kind: 'disconnect', outcome: 'ack', actor: 'admin@example.net', reason: 'support call' });
});

t.test('Change rate: a NAK with its Error-Cause, then the profile fallback', async (t) => {
  const id = await idOf('radius_session', 'nak-me');
  const bad = await call(admin, `radius_session/records/${id}/changeRate`, { rateDown: 'fast', rateUp: '1M' });
  t.match(bad.body.notice, { type: 'error', message: /rateDown "fast": a rate such as 10M/ });
  const res = await call(admin, `radius_session/records/${id}/changeRate`, { rateDown: '1M', rateUp: '512k' });
  t.match(res.body.notice, {
    type: 'success',
    message:
      /CoA-Request to ccr1 for session n-1: nak \(Unsupported-Service\).*then Disconnect-Request to ccr1 for session n-1: ack/,
  });
  t.match(await audit('session', 'change-rate'), { after: { rate: '1M/512k', coa: [{ outcome: 'nak' }] } });
});

t.test('Suspend and Resume a subscriber; in bulk from the list', async (t) => {
  const sam = await idOf('subscriber', 'sam');
  const res = await call(admin, `subscriber/records/${sam}/suspend`, {});
  t.match(res.body.notice, {
    type: 'success',
    message: /^sam suspended\. Disconnect-Request to ccr1 for session s-1: ack/,
  });
  t.equal(res.body.record.params.status, 'suspended', 'the answer shows the record as it is now');
  t.ok(received('Disconnect-Request', 'sam').length > 0);
  t.match(await audit('subscriber', 'suspend'), {
    record_id: String(sam),
    before: { status: 'active' },
    after: { status: 'suspended', coa: [{ outcome: 'ack' }] },
  });
  const back = await call(admin, `subscriber/records/${sam}/resume`, {});
  t.match(back.body.notice, { type: 'success', message: /^sam resumed/ });
  t.equal(back.body.record.params.status, 'active');

  const ids = [sam, await idOf('subscriber', 'sue')];
  const bulk = await call(admin, `subscriber/bulk/bulkSuspend?recordIds=${ids.join(',')}`, {});
  t.equal(bulk.status, 200);
  t.match(bulk.body.notice, { type: 'success', message: /^2 of 2 succeeded\. .*sam suspended.*sue suspended/ });
  t.same(
    bulk.body.records.map((r: { params: { status: string } }) => r.params.status),
    ['suspended', 'suspended'],
  );
  const resumed = await call(admin, `subscriber/bulk/bulkResume?recordIds=${ids.join(',')}`, {});
  t.match(resumed.body.notice, { type: 'success', message: /^2 of 2 succeeded/ });
  const { rows } = await d.db.query("SELECT status FROM subscriber WHERE username IN ('sam', 'sue')");
  t.same(
    rows.map((r) => r.status),
    ['active', 'active'],
  );

  const refused = await call(support, `subscriber/records/${sam}/suspend`, {});
  t.equal(refused.status, 403, 'support may not suspend');
  t.equal(refused.body.error, 'WISPD_STAFF_FORBIDDEN');
  const bulkRefused = await call(support, `subscriber/bulk/bulkSuspend?recordIds=${sam}`, {});
  t.equal(bulkRefused.status, 403);
  const { rows: after } = await d.db.query("SELECT status FROM subscriber WHERE username = 'sam'");
  t.equal(after[0].status, 'active');
});

t.test('Top-up and Reset FUP answer with the usage', async (t) => {
  const tina = await idOf('subscriber', 'tina');
  // Top-up and Reset FUP are offered only where the plan has fair usage, on the record's page and in the list.
  const buttons = async (id: string) =>
    ((await call(admin, `subscriber/records/${id}/show`)).body.record.recordActions as Array<{ name: string }>).map(
      (a) => a.name,
    );
  t.ok((await buttons(tina)).includes('topup'), "a capped plan's subscriber has Top-up");
  const alice = await idOf('subscriber', 'alice');
  t.notOk((await buttons(alice)).includes('topup'), 'one on a plan without FUP does not');
  t.notOk((await buttons(alice)).includes('resetFup'));
  const listed = (await call(admin, 'subscriber/actions/list')).body.records as Array<{
    params: { username: string };
    recordActions: Array<{ name: string }>;
  }>;
  const offered = (u: string) => listed.find((r) => r.params.username === u)!.recordActions.map((a) => a.name);
  t.ok(offered('tina').includes('resetFup') && !offered('alice').includes('resetFup'), 'the list offers the same');
  const res = await eventually(async () => {
    const r = await call(admin, `subscriber/records/${tina}/topup`, { bytes: '5G', kind: 'bonus' });
    return r.body.notice?.type === 'success' ? r : undefined;
  }, 10_000);
  t.match(res.body.notice.message, /^Bonus of 5G for tina applied: 0 used of 6G this month \(0 %, no restriction\)\.$/);
  t.match(await audit('fup', 'topup'), { after: { username: 'tina', bytes: '5G', kind: 'bonus' } });
  const { rows } = await d.db.query('SELECT kind, bytes::float8 AS bytes, created_by FROM fup_topup');
  t.same(rows, [{ kind: 'bonus', bytes: 5 * 2 ** 30, created_by: 'admin@example.net' }]);
  const bad = await call(admin, `subscriber/records/${tina}/topup`, { bytes: 'lots' });
  t.match(bad.body.notice, { type: 'error', message: /bytes "lots"/ });
  const noFup = await call(admin, `subscriber/records/${await idOf('subscriber', 'sue')}/topup`, { bytes: '1G' });
  t.match(noFup.body.notice, { type: 'error', message: "sue's plan has no fair usage policy" });

  const reset = await call(admin, `subscriber/records/${tina}/resetFup`, {});
  t.match(reset.body.notice, { type: 'success', message: /^FUP counter of tina reset: 0 used of 6G/ });
  t.match(await audit('fup', 'reset-fup'), { record_id: String(tina), after: { username: 'tina', bytes: 0 } });
});

t.test('the daemon stops cleanly with the panel open', async (t) => {
  const t0 = Date.now();
  t.equal(await d.stop(), 0, 'exit code 0');
  t.ok(Date.now() - t0 < 15_000, `stopped in ${Date.now() - t0} ms`);
});
