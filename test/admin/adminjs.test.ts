// The AdminJS panel at route level (fastify.inject) on a real PostgreSQL (PGlite, or DATABASE_URL's server) and a
// real embedded ClickHouse for the CoA ledger: the pages behind the staff session, the API's records (subscribers
// listed; NAS secrets and subscriber passwords in no answer, sealed at rest), each role allowed or refused by the API
// itself per the permission table, an audit row with before and after for each write and none for a refused one,
// values refused beside their field, the ledger read back, and the knex pool closed with the app (a fixture process
// that opened and closed the panel ends by itself).
import type { InjectOptions } from 'fastify';
import t from 'tap';
import { buildAdminApp } from '../../admin/app.ts';
import { loadConfig } from '../../config/load.ts';
import { type AdminConfig, schema } from '../../config/schema.ts';
import { listAudit } from '../../daemon/model/audit.ts';
import { addNas } from '../../daemon/model/nas.ts';
import { addPlan } from '../../daemon/model/plan.ts';
import { createStaff, STAFF_ROLES, type StaffRole } from '../../daemon/model/staff.ts';
import { addSubscriber } from '../../daemon/model/subscriber.ts';
import { SecretBox } from '../../daemon/security/secret-box.ts';
import { repoRoot, silentLog } from '../helpers/env.ts';
import { Child } from '../helpers/proc.ts';
import { testStores } from '../helpers/stores.ts';

const log = silentLog();
const { postgres, clickhouse } = await testStores(t);

const box = new SecretBox(Buffer.alloc(32, 7));
const config: AdminConfig = loadConfig(schema, { text: '', env: {} }).admin;
const panel = await buildAdminApp(config, {
  log,
  postgres,
  ready: () => true,
  counters: () => ({}),
  panel: { box: () => box, connection: () => postgres.pool.options, clickhouse },
});
const app = panel.app;
t.teardown(() => app.close());

const PASSWORD = 'long enough password';
const NAS_SECRET = 'nas-shared-secret-1';
const SUB_PASSWORD = 'subscriber-pw-1';
const cli = { staffId: null, name: 'cli:test' };
const users = Object.fromEntries(STAFF_ROLES.map((r) => [r, `${r}@example.net`])) as Record<StaffRole, string>;
for (const role of STAFF_ROLES) await createStaff(postgres, cli, { email: users[role], password: PASSWORD, role });
const gold = await addPlan(postgres, { name: 'gold', rateDown: 50_000_000, rateUp: 10_000_000 });
await addPlan(postgres, { name: 'spare', rateDown: 1_000_000, rateUp: 1_000_000 });
const alice = await addSubscriber(postgres, box, { username: 'alice', password: SUB_PASSWORD, plan: 'gold' });
await addSubscriber(postgres, box, { username: 'bob', password: 'bob-pw-123', plan: 'gold', mac: 'aa:bb:cc:00:00:01' });
const nas = await addNas(postgres, box, {
  name: 'bras-1',
  address: '10.0.0.1',
  secret: NAS_SECRET,
  vendor: 'mikrotik',
});

async function session(email: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/admin/api/login', payload: { email, password: PASSWORD } });
  if (res.statusCode !== 200) throw new Error(`login of ${email}: ${res.statusCode} ${res.body}`);
  return res.cookies.find((c) => c.name === 'wispd_staff')!.value;
}
const tokens = {} as Record<StaffRole, string>;
for (const role of STAFF_ROLES) tokens[role] = await session(users[role]);

const api = (role: StaffRole | null, method: 'GET' | 'POST', path: string, payload?: Record<string, unknown>) =>
  app.inject({
    method,
    url: `/admin/api/resources/${path}`,
    cookies: role ? { wispd_staff: tokens[role] } : {},
    // A POST carries a body, as the panel's client sends one.
    ...(payload || method === 'POST' ? { payload: payload ?? {} } : {}),
  });

const auditCount = async () => (await postgres.query('SELECT count(*)::int AS n FROM audit_log')).rows[0]!.n as number;

t.test('pages and API calls need a staff session; the login page is ours', async (t) => {
  const page = await app.inject({ method: 'GET', url: '/admin' });
  t.equal(page.statusCode, 302);
  t.equal(page.headers.location, '/admin/login');
  const login = await app.inject({ method: 'GET', url: '/admin/login' });
  t.equal(login.statusCode, 200);
  t.match(login.headers['content-type'], /text\/html/);
  t.match(login.body, '/admin/api/login');
  const anonymous = await api(null, 'GET', 'subscriber/actions/list');
  t.equal(anonymous.statusCode, 401);
  t.equal(anonymous.json().error, 'WISPD_STAFF_UNAUTHORIZED');

  const home = await app.inject({ method: 'GET', url: '/admin', cookies: { wispd_staff: tokens.support } });
  t.equal(home.statusCode, 200);
  t.match(home.body, 'support@example.net', 'AdminJS knows who is logged in');
  t.notMatch(home.body, /wss_/, 'the session token is not in the page');
  t.notMatch(home.body, 'fonts.googleapis.com', 'the page loads nothing from elsewhere');
  const bundle = await app.inject({ method: 'GET', url: '/admin/frontend/assets/components.bundle.js' });
  t.equal(bundle.statusCode, 200);
  t.match(bundle.body, 'AdminJS.UserComponents', 'the components bundle is served');
});

t.test('subscribers are listed; passwords are in no answer', async (t) => {
  const list = await api('support', 'GET', 'subscriber/actions/list');
  t.equal(list.statusCode, 200, list.body);
  const body = list.json();
  t.same(
    body.records.map((r: { params: { username: string } }) => r.params.username),
    ['alice', 'bob'],
    'sorted by username',
  );
  t.equal(body.meta.total, 2);
  t.match(body.records[1].params, { username: 'bob', mac: 'aabbcc000001', plan_id: gold.id, status: 'active' });
  t.match(body.records[0].populated, { plan_id: { title: 'gold' } }, 'the plan is shown by name');
  for (const r of body.records) {
    t.notOk('password_enc' in r.params);
    t.notOk('password' in r.params);
  }
  t.notMatch(list.body, SUB_PASSWORD);
  const show = await api('support', 'GET', `subscriber/records/${alice.id}/show`);
  t.equal(show.statusCode, 200);
  t.notMatch(show.body, /password_enc|subscriber-pw/);
  const filtered = await api('support', 'GET', 'subscriber/actions/list?filters.username=bo');
  t.same(
    filtered.json().records.map((r: { params: { username: string } }) => r.params.username),
    ['bob'],
  );
  for (const bad of ['filters.plan_id=abc', 'filters.expires_at=never', 'filters.static_ip=100.64', 'sortBy=nope']) {
    const res = await api('support', 'GET', `subscriber/actions/list?${bad}`);
    t.equal(res.statusCode, 200, `${bad}: answered, not failed`);
  }
});

t.test('the NAS secret is in no answer: list, show, edit form, after an edit', async (t) => {
  const sealed = async () =>
    (await postgres.query<{ s: Buffer }>('SELECT secret_enc AS s FROM nas WHERE id = $1', [nas.id])).rows[0]!.s;
  const stored = await sealed();
  const forbidden = [NAS_SECRET, 'new-secret-2', 'secret_enc', stored.toString('hex'), stored.toString('base64')];
  const answers = [
    await api('noc', 'GET', 'nas/actions/list'),
    await api('noc', 'GET', `nas/records/${nas.id}/show`),
    await api('noc', 'GET', `nas/records/${nas.id}/edit`),
    await api('noc', 'POST', `nas/records/${nas.id}/edit`, { secret: 'new-secret-2', coa_port: '3799' }),
    await api('noc', 'GET', 'nas/actions/search/bras'),
  ];
  for (const res of answers) {
    t.equal(res.statusCode, 200, res.body);
    for (const f of forbidden) t.notMatch(res.body, f, `no ${f.slice(0, 12)}… in ${res.body.slice(0, 40)}`);
    t.notMatch(res.body, /"secret"/);
  }
  t.equal(box.open(await sealed()), 'new-secret-2', 'the new secret is stored sealed');
  const [row] = await listAudit(postgres, { resource: 'nas', recordId: String(nas.id), limit: 1 });
  t.match(row, { actor: 'noc@example.net', action: 'edit', after: { secret: 'set', name: 'bras-1' } });
  t.notMatch(JSON.stringify(row), /new-secret-2|secret_enc/, 'the audit row says the secret changed, not what to');
});

t.test('the API itself refuses what the role may not do, before anything happens', async (t) => {
  const before = await auditCount();
  const cases: Array<[StaffRole, 'GET' | 'POST', string, Record<string, unknown>?]> = [
    ['readonly', 'POST', `subscriber/records/${alice.id}/edit`, { mac: 'aa:aa:aa:aa:aa:aa' }],
    ['support', 'POST', `subscriber/records/${alice.id}/delete`],
    ['support', 'POST', `subscriber/records/${alice.id}/suspend`, {}],
    ['support', 'POST', `subscriber/records/${alice.id}/topup`, { bytes: '5G' }],
    ['billing', 'GET', 'nas/actions/list'],
    ['billing', 'POST', `radius_session/records/1/disconnect`, {}],
    ['noc', 'GET', 'audit_log/actions/list'],
    ['readonly', 'POST', 'plan/actions/new', { name: 'x', rate_down: '1', rate_up: '1' }],
    ['admin', 'POST', 'radius_session/actions/new', { username: 'x' }],
    ['admin', 'GET', 'subscriber/actions/unknownAction'],
  ];
  for (const [role, method, path, payload] of cases) {
    const res = await api(role, method, path, payload);
    t.equal(res.statusCode, 403, `${role} ${method} ${path}: 403`);
    t.equal(res.json().error, 'WISPD_STAFF_FORBIDDEN');
  }
  t.match((await api('billing', 'GET', 'nas/actions/list')).json().message, 'the billing role may not list nas');
  t.equal(await auditCount(), before, 'nothing was written');
  t.equal((await postgres.query("SELECT mac FROM subscriber WHERE username = 'alice'")).rows[0]!.mac, null);
  t.ok(panel.counters().panel_forbidden >= cases.length);

  // Allowed: the same calls for a role the table grants them to.
  t.equal((await api('noc', 'GET', 'nas/actions/list')).statusCode, 200);
  t.equal((await api('admin', 'GET', 'audit_log/actions/list')).statusCode, 200);

  // What the API lists for a record follows the table too (what the UI shows).
  const actions = async (role: StaffRole) =>
    (await api(role, 'GET', `subscriber/records/${alice.id}/show`))
      .json()
      .record.recordActions.map((a: { name: string }) => a.name)
      .sort();
  t.same(await actions('readonly'), ['show']);
  t.same(await actions('support'), ['edit', 'show']);
  // alice's plan has no fair usage: no Top-up or Reset FUP whatever the role.
  t.same(await actions('noc'), ['resume', 'show', 'suspend']);
  t.same(await actions('admin'), ['delete', 'edit', 'resume', 'show', 'suspend']);
});

t.test('cross-site requests and safe methods change nothing; an encoded path is checked as decoded', async (t) => {
  const spare = await addNas(postgres, box, { name: 'spare-nas', address: '10.0.9.1', secret: NAS_SECRET });
  const nasExists = async () => (await postgres.query('SELECT 1 FROM nas WHERE id = $1', [spare.id])).rows.length === 1;
  const deleteUrl = `/admin/api/resources/nas/records/${spare.id}/delete`;
  const host = '127.0.0.1:3000';
  const before = await auditCount();

  const refused = async (what: string, req: InjectOptions) => {
    const res = await app.inject(req);
    t.equal(res.statusCode, 403, `${what}: 403`);
    t.equal(res.json().error, 'WISPD_CSRF', what);
  };
  const form = { 'content-type': 'application/x-www-form-urlencoded', host };
  await refused('a form post from another port of the same host', {
    method: 'POST',
    url: deleteUrl,
    headers: { ...form, origin: 'http://127.0.0.1:8080', 'sec-fetch-site': 'same-site' },
    cookies: { wispd_staff: tokens.admin },
    payload: '',
  });
  await refused('Sec-Fetch-Site same-site without Origin', {
    method: 'POST',
    url: deleteUrl,
    headers: { ...form, 'sec-fetch-site': 'same-site' },
    cookies: { wispd_staff: tokens.admin },
    payload: '',
  });
  const boundary = '----wispdtest';
  await refused('a multipart edit with a foreign Origin', {
    method: 'POST',
    url: `/admin/api/resources/subscriber/records/${alice.id}/edit`,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, origin: 'http://evil.example', host },
    cookies: { wispd_staff: tokens.admin },
    payload: `--${boundary}\r\nContent-Disposition: form-data; name="mac"\r\n\r\naa:aa:aa:aa:aa:aa\r\n--${boundary}--\r\n`,
  });
  await refused('a form post with no Origin and no token', {
    method: 'POST',
    url: deleteUrl,
    headers: form,
    cookies: { wispd_staff: tokens.admin },
    payload: '',
  });
  await refused('a form post whose token is not the cookie', {
    method: 'POST',
    url: deleteUrl,
    headers: { ...form, 'x-xsrf-token': 'guessed' },
    cookies: { wispd_staff: tokens.admin, 'XSRF-TOKEN': 'the-real-one' },
    payload: '',
  });
  const head = await app.inject({ method: 'HEAD', url: deleteUrl, cookies: { wispd_staff: tokens.admin } });
  t.equal(head.statusCode, 405, 'HEAD on a delete route: 405');
  t.ok(await nasExists(), 'the NAS is still there');
  t.equal(await auditCount(), before, 'nothing was written');
  t.equal((await postgres.query("SELECT mac FROM subscriber WHERE username = 'alice'")).rows[0]!.mac, null);

  const encoded = await app.inject({
    method: 'POST',
    url: `/admin/api/%72esources/nas/records/${spare.id}/delete`,
    headers: { 'content-type': 'application/json' },
    cookies: { wispd_staff: tokens.support },
    payload: {},
  });
  t.equal(encoded.statusCode, 403, 'a percent-encoded path is the same route, checked the same');
  t.equal(encoded.json().error, 'WISPD_STAFF_FORBIDDEN');
  t.ok(await nasExists());

  const logout = await app.inject({ method: 'GET', url: '/admin/logout', cookies: { wispd_staff: tokens.admin } });
  t.equal(logout.statusCode, 200, 'GET /admin/logout is a page with a button');
  t.match(logout.body, "fetch('/admin/api/logout'");
  const still = await app.inject({ method: 'GET', url: '/admin', cookies: { wispd_staff: tokens.admin } });
  t.equal(still.statusCode, 200, 'and does not end the session by itself');
  const page = await app.inject({ method: 'GET', url: '/admin', cookies: { wispd_staff: tokens.admin } });
  const xsrf = page.cookies.find((c) => c.name === 'XSRF-TOKEN');
  t.ok(xsrf?.value, 'a page gives the browser its token cookie');
  t.equal(xsrf?.sameSite, 'Strict');

  // The panel's own request (what AdminJS's client sends): same origin, the token echoed.
  const own = await app.inject({
    method: 'POST',
    url: deleteUrl,
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      host,
      origin: `http://${host}`,
      'sec-fetch-site': 'same-origin',
      'x-xsrf-token': xsrf!.value,
    },
    cookies: { wispd_staff: tokens.admin, 'XSRF-TOKEN': xsrf!.value },
    payload: `--${boundary}\r\nContent-Disposition: form-data; name="confirm"\r\n\r\n1\r\n--${boundary}--\r\n`,
  });
  t.equal(own.statusCode, 200, own.body);
  t.notOk(await nasExists(), 'deleted by the panel itself');
});

t.test('bad input is answered 400, not 500', async (t) => {
  for (const url of [
    '/admin/api/resources/subscriber/actions/list?filters.username=a%00b',
    '/admin/api/resources/subscriber/search/a%00b',
    '/admin/api/resources/audit_log/actions/list?filters.resource=%00',
    '/admin/api/audit?resource=%00',
    '/admin/api/resources/subscriber/actions/list?perPage=-1',
    '/admin/api/resources/subscriber/actions/list?perPage=100000',
  ]) {
    const res = await app.inject({ method: 'GET', url, cookies: { wispd_staff: tokens.admin } });
    t.equal(res.statusCode, 400, `${url}: 400`);
    t.equal(res.json().error, 'WISPD_INVALID_INPUT');
  }
  const nulBody = await api('admin', 'POST', 'plan/actions/new', { name: 'a\u0000b', rate_down: '1M', rate_up: '1M' });
  t.not(nulBody.statusCode, 500, `a NUL in a form value: ${nulBody.statusCode}`);
  t.equal((await api('admin', 'GET', 'subscriber/actions/list?perPage=50')).statusCode, 200);
});

t.test('a write leaves its audit row with before and after; a refused value leaves none', async (t) => {
  const edit = await api('support', 'POST', `subscriber/records/${alice.id}/edit`, {
    mac: 'AA-BB-CC-DD-EE-FF',
    static_ip: '100.64.0.10',
    password: 'a-new-password',
    status: 'suspended',
  });
  t.equal(edit.statusCode, 200, edit.body);
  t.equal(edit.json().notice.type, 'success', edit.body);
  t.notMatch(edit.body, 'a-new-password', 'the new password is not sent back');
  const { rows } = await postgres.query(
    "SELECT mac, host(static_ip) AS ip, status, password_enc FROM subscriber WHERE username = 'alice'",
  );
  t.match(rows[0], { mac: 'aabbccddeeff', ip: '100.64.0.10', status: 'active' }, 'status is not set by an edit');
  t.equal(box.open(rows[0]!.password_enc), 'a-new-password', 'sealed');
  const [row] = await listAudit(postgres, { resource: 'subscriber', recordId: String(alice.id), limit: 1 });
  t.match(row, {
    actor: 'support@example.net',
    action: 'edit',
    before: { username: 'alice', mac: null, static_ip: null },
    after: { username: 'alice', mac: 'aabbccddeeff', static_ip: '100.64.0.10', password: 'set' },
  });
  t.notMatch(JSON.stringify(row), /a-new-password|password_enc/);

  const before = await auditCount();
  const bad = await api('support', 'POST', `subscriber/records/${alice.id}/edit`, { mac: 'not a mac' });
  t.equal(bad.statusCode, 200);
  t.equal(bad.json().notice.type, 'error');
  t.match(
    bad.json().record.errors,
    { mac: { message: /^"not a mac": a MAC address such as/ } },
    'shown beside the field',
  );
  const unchanged = await api('support', 'POST', `subscriber/records/${alice.id}/edit`, { mac: 'aa:bb:cc:dd:ee:ff' });
  t.equal(unchanged.json().notice.type, 'success');
  t.equal(await auditCount(), before, 'no row for a refused value, nor for an edit that changes nothing');

  const created = await api('billing', 'POST', 'subscriber/actions/new', {
    username: 'carol',
    password: 'carol-pw-1',
    plan_id: String(gold.id),
    cycle_day: '5',
    static_ip: '',
    simultaneous_use: '',
  });
  t.equal(created.json().notice?.type, 'success', created.body);
  t.notMatch(created.body, 'carol-pw-1', 'the password is not sent back');
  const carol = await postgres.query("SELECT id, password_enc, cycle_day FROM subscriber WHERE username = 'carol'");
  t.equal(box.open(carol.rows[0]!.password_enc), 'carol-pw-1');
  t.equal(carol.rows[0]!.cycle_day, 5);
  const [added] = await listAudit(postgres, { resource: 'subscriber', recordId: String(carol.rows[0]!.id) });
  t.match(added, { actor: 'billing@example.net', action: 'new', before: null, after: { username: 'carol' } });
  const nopw = await api('billing', 'POST', 'subscriber/actions/new', { username: 'dave', plan_id: String(gold.id) });
  t.match(nopw.json().record.errors, { password: { message: /is required/ } });
  const dave = await api('billing', 'POST', 'subscriber/actions/new', {
    username: 'dave',
    password: 'dave-pw-1',
    plan_id: String(gold.id),
    cycle_day: '',
  });
  t.equal(dave.json().notice?.type, 'success', 'a blank field with a default takes the default');
  t.equal((await postgres.query("SELECT cycle_day FROM subscriber WHERE username = 'dave'")).rows[0]!.cycle_day, 1);

  const plan = await api('billing', 'POST', 'plan/actions/new', {
    name: 'bad',
    rate_down: '5',
    rate_up: '5',
    burst_down: '2',
  });
  t.match(plan.json().record.errors, { burst_down: { message: /must be above rate-down/ } }, 'rules across columns');
  const inUse = await api('admin', 'POST', `plan/records/${gold.id}/delete`);
  t.equal(inUse.json().notice.type, 'error', 'a plan in use is not deleted');
  t.match(inUse.json().notice.message, /still in use/);
  const spare = await postgres.query("SELECT id FROM plan WHERE name = 'spare'");
  const gone = await api('admin', 'POST', `plan/records/${spare.rows[0]!.id}/delete`);
  t.equal(gone.json().notice.type, 'success', gone.body);
  const [deleted] = await listAudit(postgres, { resource: 'plan', recordId: String(spare.rows[0]!.id), limit: 1 });
  t.match(deleted, { action: 'delete', before: { name: 'spare' }, after: null });
});

t.test('customers: billing adds one, a subscriber is linked to it; plans carry price and SLA target', async (t) => {
  const created = await api('billing', 'POST', 'customer/actions/new', {
    name: 'Acme Farm Co-op',
    email: 'office@acme.example',
    phone: '+1 555 0100',
    address: 'Ridge Road 4',
  });
  t.equal(created.statusCode, 200, created.body);
  const id = created.json().record.params.id;
  t.ok(id, 'created');
  const { rows } = await postgres.query('SELECT name, email, address, notes FROM customer WHERE id = $1', [id]);
  t.same(rows, [{ name: 'Acme Farm Co-op', email: 'office@acme.example', address: 'Ridge Road 4', notes: '' }]);
  t.equal((await api('readonly', 'POST', 'customer/actions/new', { name: 'X' })).statusCode, 403, 'readonly may not');
  const badEmail = await api('billing', 'POST', 'customer/actions/new', { name: 'Y', email: 'not-an-email' });
  t.match(badEmail.json().record.errors, { email: {} }, 'a bad email is refused beside its field');

  const linked = await api('billing', 'POST', `subscriber/records/${alice.id}/edit`, { customer_id: String(id) });
  t.equal(linked.statusCode, 200, linked.body);
  t.equal(
    (await postgres.query('SELECT customer_id FROM subscriber WHERE id = $1', [alice.id])).rows[0]!.customer_id,
    id,
    'the subscriber belongs to the customer',
  );
  const priced = await api('billing', 'POST', `plan/records/${gold.id}/edit`, {
    price_cents: '4990',
    currency: 'EUR',
    sla_target: '99.5',
  });
  t.equal(priced.statusCode, 200, priced.body);
  const plan = (await postgres.query('SELECT price_cents, currency, sla_target FROM plan WHERE id = $1', [gold.id]))
    .rows[0]!;
  t.same(plan, { price_cents: 4990, currency: 'EUR', sla_target: '99.500' });
  const badSla = await api('billing', 'POST', `plan/records/${gold.id}/edit`, { sla_target: '101' });
  t.match(badSla.json().record.errors, { sla_target: {} }, 'an SLA target over 100 % is refused');
});

t.test('core actions without the daemon say so and change nothing', async (t) => {
  const before = await auditCount();
  const form = await api('admin', 'GET', `subscriber/records/${alice.id}/suspend`);
  t.equal(form.statusCode, 200);
  t.equal(form.json().record.params.username, 'alice', 'a GET only shows the form');
  const res = await api('admin', 'POST', `subscriber/records/${alice.id}/suspend`, {});
  t.equal(res.statusCode, 200);
  t.match(res.json().notice, { type: 'error', message: /without the daemon/ });
  t.equal(await auditCount(), before);
});

t.test('the CoA ledger is read from ClickHouse', async (t) => {
  const ts = Date.UTC(2026, 10, 18, 12, 0, 0, 250);
  await clickhouse.insert('coa_ledger', [
    {
      ts,
      instance: '00000000-0000-0000-0000-000000000000',
      nas: 'bras-1',
      nas_address: '10.0.0.1',
      kind: 'disconnect',
      action: 'disconnect',
      actor: 'noc@example.net',
      reason: 'call',
      username: 'alice',
      acct_session_id: 'S1',
      framed_ip: '100.64.0.10',
      attributes: 'User-Name=alice',
      attempts: 1,
      outcome: 'nak',
      error_cause: 'Session-Context-Not-Found',
      latency_ms: 3.5,
      fallback_of: '',
    },
  ]);
  const list = await api('readonly', 'GET', 'coa_ledger/actions/list?filters.username=ali');
  t.equal(list.statusCode, 200, list.body);
  const [r] = list.json().records;
  t.match(r.params, {
    ts: new Date(ts).toISOString(),
    username: 'alice',
    outcome: 'nak',
    error_cause: 'Session-Context-Not-Found',
  });
  const show = await api('readonly', 'GET', `coa_ledger/records/${r.id}/show`);
  t.equal(show.statusCode, 200, show.body);
  t.match(show.json().record.params, { acct_session_id: 'S1', reason: 'call' });
  t.equal((await api('readonly', 'GET', 'coa_ledger/actions/list?filters.username=zed')).json().meta.total, 0);
});

t.test('the auth log is read from ClickHouse: who was refused, why, from which NAS', async (t) => {
  const ts = Date.UTC(2026, 10, 18, 12, 5, 0, 125);
  const at = (ms: number, username: string, result: string, reason: string) => ({
    ts: ms,
    instance: '00000000-0000-0000-0000-000000000000',
    nas: 'bras-1',
    nas_ip: '10.0.0.1',
    username,
    result,
    reason,
    method: 'pap',
    plan: 'gold',
    calling_station_id: 'AA-BB-CC-00-00-01',
    nas_port_id: 'ether1',
  });
  await clickhouse.insert('radius_auth_log', [
    at(ts, 'bob', 'reject', 'bad-password'),
    at(ts, 'bob', 'accept', 'ok'),
    at(ts + 1000, 'carol', 'reject', 'unknown-user'),
  ]);
  const list = await api('support', 'GET', 'radius_auth_log/actions/list?filters.username=bob&filters.result=rej');
  t.equal(list.statusCode, 200, list.body);
  t.equal(list.json().meta.total, 1);
  const [r] = list.json().records;
  t.match(r.params, { ts: new Date(ts).toISOString(), username: 'bob', result: 'reject', reason: 'bad-password' });
  const show = await api('support', 'GET', `radius_auth_log/records/${r.id}/show`);
  t.equal(show.statusCode, 200, show.body);
  t.match(show.json().record.params, { reason: 'bad-password', nas_ip: '10.0.0.1', nas_port_id: 'ether1' });
  const byNas = await api(
    'readonly',
    'GET',
    'radius_auth_log/actions/list?filters.nas_ip=10.0.0&sortBy=ts&direction=desc',
  );
  t.same(
    byNas.json().records.map((x: { params: { username: string } }) => x.params.username),
    ['carol', 'bob', 'bob'],
    'an IPv4 column filtered as text, newest first',
  );
  t.equal((await api('support', 'GET', 'radius_auth_log/records/1-2/show')).statusCode, 200, 'no such row: answered');
  t.equal((await api('admin', 'POST', 'radius_auth_log/actions/new', { username: 'x' })).statusCode, 403, 'read-only');
});

t.test(
  'staff accounts: admins add one, change a role, disable one; the staff rules hold; nobody else may',
  async (t) => {
    const form = { email: 'New.Agent@Example.net', role: 'support', disabled: 'false', password: 'a long password 1' };
    t.equal((await api('noc', 'GET', 'staff/actions/list')).statusCode, 403, 'noc may not list staff');
    t.equal((await api('billing', 'POST', 'staff/actions/new', form)).statusCode, 403, 'nor add one');
    const created = await api('admin', 'POST', 'staff/actions/new', form);
    t.equal(created.statusCode, 200, created.body);
    t.equal(created.json().notice.type, 'success', created.body);
    t.notMatch(created.body, /a long password 1|password_hash|\$argon|\$scrypt/, 'no password or hash sent back');
    const id = created.json().record.params.id;
    t.match(created.json().record.params, { email: 'new.agent@example.net', role: 'support', disabled: false });
    const [added] = await listAudit(postgres, { resource: 'staff', recordId: String(id), limit: 5 });
    t.match(added, { actor: 'admin@example.net', action: 'new', after: { email: 'new.agent@example.net' } });

    const list = await api('admin', 'GET', 'staff/actions/list?filters.role=support');
    t.same(
      list.json().records.map((r: { params: { email: string } }) => r.params.email),
      ['new.agent@example.net', 'support@example.net'],
      'filtered by role, sorted by email',
    );
    t.notMatch(list.body, /password/);

    const promoted = await api('admin', 'POST', `staff/records/${id}/edit`, {
      email: 'new.agent@example.net',
      role: 'noc',
      disabled: 'false',
      password: '',
    });
    t.equal(promoted.json().notice.type, 'success', promoted.body);
    const login = await app.inject({
      method: 'POST',
      url: '/admin/api/login',
      payload: { email: 'new.agent@example.net', password: 'a long password 1' },
    });
    t.equal(login.json().staff.role, 'noc', 'the new role applies; an empty password field kept the password');

    const renamed = await api('admin', 'POST', `staff/records/${id}/edit`, { email: 'other@example.net' });
    t.equal(renamed.json().notice.type, 'error');
    t.match(renamed.json().record.errors, { email: { message: /cannot be changed/ } }, 'beside the field');
    const weak = await api('admin', 'POST', 'staff/actions/new', {
      ...form,
      email: 'weak@example.net',
      password: 'short',
    });
    t.match(weak.json().record.errors, { password: { message: /10 to 1024 characters/ } });
    const xss = await api('admin', 'POST', 'staff/actions/new', {
      ...form,
      email: '</script><script>x()</script>@a.b',
    });
    t.match(xss.json().record.errors, { email: { message: /an email address/ } });
    const twice = await api('admin', 'POST', 'staff/actions/new', form);
    t.match(twice.json().notice, { type: 'error', message: /already exists/ }, 'a refusal naming no field is an error');
    t.notOk(twice.json().redirectUrl, 'and the form stays');
    const plan = await api('admin', 'POST', 'plan/actions/new', { name: 'gold', rate_down: '1M', rate_up: '1M' });
    t.match(plan.json().notice, { type: 'error' }, 'a duplicate plan is not "successfully created"');
    t.match(plan.json().record.errors, { name: { message: /already exists/ } }, 'it is refused beside its name');

    const disabled = await api('admin', 'POST', `staff/records/${id}/edit`, { disabled: 'true' });
    t.equal(disabled.json().notice.type, 'success', disabled.body);
    const refused = await app.inject({
      method: 'POST',
      url: '/admin/api/login',
      payload: { email: 'new.agent@example.net', password: 'a long password 1' },
    });
    t.equal(refused.statusCode, 401, 'a disabled account cannot log in');

    const { rows } = await postgres.query<{ id: number }>("SELECT id FROM staff WHERE email = 'admin@example.net'");
    const last = await api('admin', 'POST', `staff/records/${rows[0]!.id}/edit`, { role: 'readonly' });
    t.match(last.json().notice, { type: 'error', message: /last enabled admin/ }, 'the last admin stays admin');
    t.equal((await api('admin', 'POST', `staff/records/${id}/delete`)).statusCode, 403, 'an account is not deleted');
    const actions = (await api('admin', 'GET', `staff/records/${id}/show`))
      .json()
      .record.recordActions.map((a: { name: string }) => a.name)
      .sort();
    t.same(actions, ['edit', 'show']);
  },
);

t.test('closing the app closes the SQL adapter pool: a process that did ends by itself', async (t) => {
  const o = postgres.pool.options;
  const db = o.connectionString ?? `postgres://${o.user}@${o.host}:${o.port}/${o.database}`;
  const child = new Child(process.execPath, ['--import=tsx', `${repoRoot}/test/fixtures/panel-exit.ts`], {
    env: { PANEL_DB: db },
  });
  await child.waitFor('closed', 30_000);
  const ended = await Promise.race([child.exited, new Promise((r) => setTimeout(() => r('still running'), 5000))]);
  if (ended === 'still running') child.kill('SIGKILL');
  t.match(ended, { code: 0 }, 'exited on its own, with code 0');
});
