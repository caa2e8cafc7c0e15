// The panel's app at route level (fastify.inject) on a real PostgreSQL (PGlite, or DATABASE_URL's server): probes
// and metrics, login with its cookie, failures that all look alike, the failure limit, session expiry on a clock the
// test moves, logout, every role allowed or refused per the permission table, and the audit row of each write.
import t from 'tap';
import { type AdminApp, buildAdminApp } from '../../admin/app.ts';
import { createAdminServer } from '../../admin/index.ts';
import { PERMISSIONS, RESOURCE_ACTIONS, type Resource } from '../../admin/permissions.ts';
import { loadConfig } from '../../config/load.ts';
import { type AdminConfig, schema } from '../../config/schema.ts';
import { isWispdError } from '../../daemon/lib/errors.ts';
import { listAudit } from '../../daemon/model/audit.ts';
import { createStaff, STAFF_ROLES, type StaffRole } from '../../daemon/model/staff.ts';
import { createPostgres } from '../../daemon/store/postgres/index.ts';
import { capturedLog, silentLog } from '../helpers/env.ts';
import { parseExposition } from '../helpers/prometheus.ts';
import { testDataDir, testPostgres } from '../helpers/stores.ts';

const log = silentLog();
const postgres = await testPostgres(t, testDataDir(t));

const HOUR = 3_600_000;
const config: AdminConfig = {
  ...loadConfig(schema, { text: '', env: {} }).admin,
  session_ttl: HOUR,
  login_failures: 3,
  login_failures_per_address: 8,
  login_window: 60_000,
};
let clock = Date.UTC(2026, 10, 18, 12);
let ready = false;
const daemonCounters = {
  radius: { access_requests: 7, accepts: 5, rejects: 2, dropped_unknown_nas: 1 },
  accounting: { records: 3, backlog: 0 },
  coa: { acks: 1, naks: 0 },
  fup: { exceeded: 2 },
  ingest: { rows: 400 },
  telemetry: { lag_ms: 12 },
};
const panel: AdminApp = await buildAdminApp(config, {
  log,
  postgres,
  ready: () => ready,
  counters: () => daemonCounters,
  now: () => clock,
});
const app = panel.app;
t.teardown(() => app.close());

const cli = { staffId: null, name: 'cli:test' };
const PASSWORD = 'long enough password';

await t.test('the component: off when listen is empty, on a port, the hint while there is no staff', async (t) => {
  const off = createAdminServer({ ...config, listen: '' }, { log, postgres, ready: () => true, counters: () => ({}) });
  await off.start();
  t.equal(off.port, 0);
  t.equal(off.describe(), 'staff panel off');
  await off.stop();

  const { log: capture, lines } = capturedLog();
  const server = createAdminServer(
    { ...config, listen: '127.0.0.1:0' },
    { log: capture, postgres, ready: () => true, counters: () => daemonCounters },
  );
  await server.start();
  t.teardown(() => server.stop());
  t.ok(server.port > 0);
  t.equal(server.describe(), `staff panel on http://127.0.0.1:${server.port}`);
  const health = await fetch(`http://127.0.0.1:${server.port}/healthz`);
  t.equal(health.status, 200);
  t.same(await health.json(), { status: 'ok' });
  const ready = await fetch(`http://127.0.0.1:${server.port}/readyz`);
  t.equal(ready.status, 200);
  server.afterReady?.();
  t.ok(
    lines.some((l) => l.msg === `staff panel: http://127.0.0.1:${server.port}/admin`),
    'once ready, the log says where the panel is (/admin)',
  );
  t.ok(
    lines.some(
      (l) =>
        l.msg ===
        'no staff account yet: create the first admin with: npx wispd admin create-user --email you@example.net --role admin --password - (then type the password)',
    ),
    'and the exact command that creates the first account, the password not on the command line',
  );

  const taken = createAdminServer(
    { ...config, listen: `127.0.0.1:${server.port}` },
    { log, postgres, ready: () => true, counters: () => ({}) },
  );
  const err = await taken.start().catch((e: unknown) => e);
  t.ok(isWispdError(err, 'WISPD_ADMIN_LISTEN'), 'a port in use: WISPD_ADMIN_LISTEN');
  t.match((err as Error).message, `cannot listen on 127.0.0.1:${server.port} (admin.listen)`);
  await taken.stop();
  await server.stop();
  t.equal(server.port, 0);
});

const users = Object.fromEntries(STAFF_ROLES.map((r) => [r, `${r}@example.net`])) as Record<StaffRole, string>;

t.test('one staff member per role, and a disabled one', async (t) => {
  for (const role of STAFF_ROLES) {
    const s = await createStaff(postgres, cli, { email: users[role], password: PASSWORD, role });
    t.match(s, { email: users[role], role, disabled: false });
  }
  const gone = await createStaff(postgres, cli, { email: 'Gone@Example.net', password: PASSWORD, role: 'admin' });
  t.equal(gone.email, 'gone@example.net', 'emails are stored lower-cased');
  await postgres.query("UPDATE staff SET disabled = true WHERE email = 'gone@example.net'");
  const hashes = await postgres.query<{ password_hash: string }>('SELECT password_hash FROM staff');
  for (const { password_hash } of hashes.rows)
    t.match(password_hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
  t.equal(new Set(hashes.rows.map((r) => r.password_hash)).size, hashes.rows.length, 'one salt per hash');
});

async function login(email: string, password: string, remoteAddress = '10.0.0.1') {
  return app.inject({ method: 'POST', url: '/admin/api/login', payload: { email, password }, remoteAddress });
}

async function session(email: string): Promise<string> {
  const res = await login(email, PASSWORD, '10.9.9.9');
  if (res.statusCode !== 200) throw new Error(`login of ${email}: ${res.statusCode} ${res.body}`);
  return res.cookies.find((c) => c.name === 'wispd_staff')!.value;
}

const me = (token?: string) =>
  app.inject({ method: 'GET', url: '/admin/api/me', cookies: token ? { wispd_staff: token } : {} });

t.test('/healthz, /readyz, /metrics', async (t) => {
  const health = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(health.statusCode, 200);

  ready = false;
  const starting = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(starting.statusCode, 503, 'not ready while the components start');
  t.same(starting.json(), { status: 'not ready', components: 'not started', postgres: 'ok' });
  ready = true;
  const up = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(up.statusCode, 200);
  t.same(up.json(), { status: 'ready', components: 'started', postgres: 'ok' });

  // The real store, pointed at a port nothing listens on and never started: PostgreSQL does not answer.
  const down = createPostgres(
    { url: 'postgres://wispd:pw@127.0.0.1:1/wispd', pool_size: 1, connect_timeout: 500, embedded_port: 0 },
    { log },
  );
  const other = await buildAdminApp(config, { log, postgres: down, ready: () => true, counters: () => ({}) });
  t.teardown(() => other.app.close());
  const noDb = await other.app.inject({ method: 'GET', url: '/readyz' });
  t.equal(noDb.statusCode, 503, 'not ready without PostgreSQL');
  t.same(noDb.json(), { status: 'not ready', components: 'started', postgres: 'unavailable' });

  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(metrics.statusCode, 200);
  t.equal(metrics.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  const e = parseExposition(metrics.body);
  const value = (name: string) => e.samples.find((s) => s.name === name)?.value;
  t.equal(value('wispd_radius_access_requests'), 7);
  t.equal(value('wispd_radius_dropped_unknown_nas'), 1);
  t.equal(value('wispd_accounting_backlog'), 0);
  t.equal(value('wispd_coa_acks'), 1);
  t.equal(value('wispd_fup_exceeded'), 2);
  t.equal(value('wispd_ingest_rows'), 400);
  t.equal(value('wispd_telemetry_lag_ms'), 12);
  t.match(e.samples.find((s) => s.name === 'wispd_build_info')?.labels, { version: /^\d+\.\d+\.\d+/ });
  for (const s of e.samples) t.ok(Number.isFinite(s.value), `${s.name} is a number`);
  t.equal(panel.counters().internal_errors, 0);
});

t.test('login: cookie, who is logged in, nothing secret in the answer', async (t) => {
  const res = await login('Admin@Example.NET', PASSWORD);
  t.equal(res.statusCode, 200, 'the email is matched whatever its case');
  const cookie = res.cookies.find((c) => c.name === 'wispd_staff')!;
  t.match(cookie, { httpOnly: true, sameSite: 'Lax', path: '/', maxAge: 3600 });
  t.notOk(cookie.secure, 'not Secure on plain HTTP unless admin.secure_cookie');
  t.match(cookie.value, /^wss_[A-Za-z0-9_-]{43}$/);
  t.match(res.json(), { staff: { email: 'admin@example.net', role: 'admin' }, permissions: { staff: Array } });
  t.notMatch(res.body, /scrypt|password|hash/i, 'no hash and no password in the answer');
  const stored = await postgres.query('SELECT token_hash FROM staff_session');
  t.notOk(
    stored.rows.some((r) => r.token_hash === cookie.value || String(r.token_hash).includes(cookie.value)),
    'the token is stored hashed',
  );

  const who = await me(cookie.value);
  t.equal(who.statusCode, 200);
  t.match(who.json(), { staff: { email: 'admin@example.net', role: 'admin' } });
  t.notMatch(who.body, /scrypt|hash/i);
  t.equal((await me()).statusCode, 401, 'no cookie: 401');
  t.equal((await me('wss_not-a-token')).statusCode, 401, 'an unknown token: 401');

  const bad = await app.inject({ method: 'POST', url: '/admin/api/login', payload: { email: 'x@example.net' } });
  t.equal(bad.statusCode, 400, 'no password: 400');
  t.equal(bad.json().error, 'WISPD_INVALID_INPUT');
});

t.test('wrong password, unknown email and a disabled account get the same answer', async (t) => {
  const answers = [
    await login('noc@example.net', 'not the password', '10.0.1.1'),
    await login('nobody@example.net', PASSWORD, '10.0.1.2'),
    await login('gone@example.net', PASSWORD, '10.0.1.3'),
  ];
  for (const a of answers) {
    t.equal(a.statusCode, 401);
    t.same(a.json(), { error: 'WISPD_STAFF_UNAUTHORIZED', message: 'wrong email or password' });
    t.same(a.cookies, [], 'no cookie');
  }
});

t.test('failed logins are limited per email and per address', async (t) => {
  const email = 'billing@example.net';
  for (let i = 0; i < 3; i++) t.equal((await login(email, `wrong ${i}`, `10.1.0.${i}`)).statusCode, 401);
  const limited = await login(email, PASSWORD, '10.1.0.9');
  t.equal(limited.statusCode, 429, 'past login_failures, even the right password waits');
  t.equal(limited.json().error, 'WISPD_STAFF_LOGIN_LIMITED');
  t.equal(limited.headers['retry-after'], '60');
  clock += 61_000;
  t.equal((await login(email, PASSWORD, '10.1.0.9')).statusCode, 200, 'after login_window it may try again');

  const address = '10.2.0.1';
  for (let i = 0; i < 8; i++) t.equal((await login(`guess${i}@example.net`, 'x', address)).statusCode, 401);
  t.equal((await login('support@example.net', PASSWORD, address)).statusCode, 429, 'past the per-address limit');
  t.equal((await login('support@example.net', PASSWORD, '10.2.0.2')).statusCode, 200, 'other addresses are not');
  t.ok(panel.counters().login_limited >= 2);
  clock += 61_000;
});

t.test('a session ends at admin.session_ttl', async (t) => {
  const token = await session('noc@example.net');
  t.equal((await me(token)).statusCode, 200);
  clock += HOUR - 1000;
  t.equal((await me(token)).statusCode, 200, 'one second before the end');
  clock += 1000;
  t.equal((await me(token)).statusCode, 401, 'at the end');
  await session('noc@example.net');
  const { rows } = await postgres.query('SELECT count(*)::int AS n FROM staff_session WHERE expires_at <= $1', [
    new Date(clock),
  ]);
  t.equal(rows[0]!.n, 0, 'expired sessions are dropped at the next login');
});

t.test('logout ends the session and clears the cookie', async (t) => {
  const token = await session('support@example.net');
  const out = await app.inject({
    method: 'POST',
    url: '/admin/api/logout',
    cookies: { wispd_staff: token },
    payload: {},
  });
  t.equal(out.statusCode, 204);
  t.match(
    out.cookies.find((c) => c.name === 'wispd_staff'),
    { value: '', path: '/' },
  );
  t.equal((await me(token)).statusCode, 401, 'the old cookie no longer works');
  const again = await app.inject({
    method: 'POST',
    url: '/admin/api/logout',
    cookies: { wispd_staff: token },
    payload: {},
  });
  t.equal(again.statusCode, 204, 'logging out twice is harmless');
});

// Written out by hand from the roles' descriptions, not derived from PERMISSIONS: the table is what is tested.
const expected: Array<[Resource, string, StaffRole[]]> = [
  ['subscriber', 'list', ['admin', 'noc', 'billing', 'support', 'readonly']],
  ['subscriber', 'edit', ['admin', 'billing', 'support']],
  ['subscriber', 'delete', ['admin']],
  ['subscriber', 'suspend', ['admin', 'noc', 'billing']],
  ['subscriber', 'bulk-resume', ['admin', 'noc', 'billing']],
  ['session', 'disconnect', ['admin', 'noc', 'support']],
  ['session', 'change-rate', ['admin', 'noc']],
  ['fup', 'topup', ['admin', 'billing']],
  ['fup', 'reset-fup', ['admin', 'noc', 'billing']],
  ['plan', 'new', ['admin', 'billing']],
  ['plan', 'show', ['admin', 'noc', 'billing', 'support', 'readonly']],
  ['nas', 'edit', ['admin', 'noc']],
  ['nas', 'list', ['admin', 'noc', 'support', 'readonly']],
  ['device', 'delete', ['admin', 'noc']],
  ['customer', 'edit', ['admin', 'billing', 'support']],
  ['coa_ledger', 'list', ['admin', 'noc', 'billing', 'support', 'readonly']],
  ['audit_log', 'list', ['admin']],
  ['staff', 'new', ['admin']],
];

t.test('each role allowed or refused, checked on the server', async (t) => {
  // Routes guarded as the panel's will be, on an app of their own (routes are added before it starts).
  const probe = await buildAdminApp(config, {
    log,
    postgres,
    ready: () => true,
    counters: () => ({}),
    now: () => clock,
  });
  t.teardown(() => probe.app.close());
  for (const [resource, action] of expected) {
    probe.app.post(
      `/t/${resource}/${action}`,
      { preHandler: probe.auth.guard(resource, action as never) },
      async (request) => ({ by: request.staff!.email }),
    );
  }
  const tokens = Object.fromEntries(
    await Promise.all(STAFF_ROLES.map(async (r) => [r, await session(users[r])] as const)),
  ) as Record<StaffRole, string>;
  for (const [resource, action, allowed] of expected) {
    const anonymous = await probe.app.inject({ method: 'POST', url: `/t/${resource}/${action}` });
    t.equal(anonymous.statusCode, 401, `${resource}:${action} without a session: 401`);
    for (const role of STAFF_ROLES) {
      const res = await probe.app.inject({
        method: 'POST',
        url: `/t/${resource}/${action}`,
        cookies: { wispd_staff: tokens[role] },
      });
      const want = allowed.includes(role) ? 200 : 403;
      t.equal(res.statusCode, want, `${role} ${resource}:${action} → ${want}`);
      if (want === 403)
        t.same(res.json(), {
          error: 'WISPD_STAFF_FORBIDDEN',
          message: `the ${role} role may not ${action} ${resource}`,
        });
    }
  }
  t.ok(probe.counters().forbidden > 0 && probe.counters().unauthorized === expected.length);

  // The real staff routes use the same guard.
  const list = (role: StaffRole) =>
    app.inject({ method: 'GET', url: '/admin/api/staff', cookies: { wispd_staff: tokens[role] } });
  t.equal((await list('admin')).statusCode, 200);
  t.notMatch((await list('admin')).body, /scrypt|password/i, 'the staff list has no hashes');
  for (const role of ['noc', 'billing', 'support', 'readonly'] as const) t.equal((await list(role)).statusCode, 403);
});

t.test('the permission table: only known actions, and readonly only reads', async (t) => {
  for (const [role, grants] of Object.entries(PERMISSIONS)) {
    for (const [resource, actions] of Object.entries(grants) as Array<[Resource, readonly string[]]>) {
      for (const a of actions)
        t.ok((RESOURCE_ACTIONS[resource] as readonly string[]).includes(a), `${role} ${resource}:${a}`);
      if (role === 'readonly') t.same([...actions].sort(), ['list', 'show'], `readonly on ${resource}`);
    }
  }
  t.same(PERMISSIONS.admin, RESOURCE_ACTIONS, 'admin may do everything');
});

t.test('every staff write leaves its audit row, with before and after and no secret', async (t) => {
  const admin = await session(users.admin);
  const as = (token: string) => ({ wispd_staff: token });
  const created = await app.inject({
    method: 'POST',
    url: '/admin/api/staff',
    cookies: as(admin),
    payload: { email: 'New@Example.net', password: 'a new long password', role: 'support' },
    remoteAddress: '10.5.5.5',
  });
  t.equal(created.statusCode, 201, created.body);
  const id = created.json().staff.id;
  let [row] = await listAudit(postgres, { resource: 'staff', recordId: String(id), limit: 1 });
  t.match(row, {
    actor: 'admin@example.net',
    address: '10.5.5.5',
    action: 'new',
    resource: 'staff',
    recordId: String(id),
    before: null,
    after: { email: 'new@example.net', role: 'support', disabled: false },
  });
  t.ok(row!.staffId !== null && row!.at instanceof Date);

  const newcomer = (await login('new@example.net', 'a new long password', '10.9.9.9')).cookies[0]!.value;
  const promoted = await app.inject({
    method: 'PATCH',
    url: `/admin/api/staff/${id}`,
    cookies: as(admin),
    payload: { role: 'noc' },
  });
  t.equal(promoted.statusCode, 200, promoted.body);
  [row] = await listAudit(postgres, { resource: 'staff', recordId: String(id), limit: 1 });
  t.match(row, { action: 'edit', before: { role: 'support' }, after: { role: 'noc' } });
  t.match((await me(newcomer)).json(), { staff: { role: 'noc' } }, 'a new role applies to the next request');

  const reset = await app.inject({
    method: 'PATCH',
    url: `/admin/api/staff/${id}`,
    cookies: as(admin),
    payload: { password: 'another long password' },
  });
  t.equal(reset.statusCode, 200);
  [row] = await listAudit(postgres, { resource: 'staff', recordId: String(id), limit: 1 });
  t.match(row, { action: 'edit', after: { password: 'changed' } });
  t.equal((await me(newcomer)).statusCode, 401, 'a new password ends their sessions');

  const all = await app.inject({ method: 'GET', url: '/admin/api/audit?limit=1000', cookies: as(admin) });
  t.equal(all.statusCode, 200);
  t.notMatch(all.body, /scrypt|another long password|a new long password|wss_/, 'no hash, password or token');
  t.ok(
    all.json().entries.some((e: { action: string }) => e.action === 'login'),
    'logins are in the log too',
  );

  // Refused writes change nothing and leave no row.
  const count = async () => (await postgres.query('SELECT count(*)::int AS n FROM audit_log')).rows[0]!.n as number;
  const readonly = await session(users.readonly);
  const before = await count();
  const dup = await app.inject({
    method: 'POST',
    url: '/admin/api/staff',
    cookies: as(admin),
    payload: { email: 'new@example.net', password: 'a new long password', role: 'noc' },
  });
  t.equal(dup.statusCode, 409);
  t.equal(dup.json().error, 'WISPD_ALREADY_EXISTS');
  const short = await app.inject({
    method: 'POST',
    url: '/admin/api/staff',
    cookies: as(admin),
    payload: { email: 'short@example.net', password: 'short', role: 'noc' },
  });
  t.equal(short.statusCode, 400);
  t.match(short.json(), { error: 'WISPD_INVALID_INPUT', message: /password "\*\*\*\*\*\*\*\*": must have 10/ });
  const self = (await me(admin)).json().staff.id;
  const lockout = await app.inject({
    method: 'PATCH',
    url: `/admin/api/staff/${self}`,
    cookies: as(admin),
    payload: { disabled: true },
  });
  t.equal(lockout.statusCode, 400, 'the last enabled admin cannot be disabled');
  t.match(lockout.json().message, 'the last enabled admin cannot be disabled');
  const denied = await app.inject({
    method: 'PATCH',
    url: `/admin/api/staff/${id}`,
    cookies: as(readonly),
    payload: { role: 'admin' },
  });
  t.equal(denied.statusCode, 403);
  t.equal(await count(), before, 'no audit row for a refused write');
  t.equal((await me(admin)).statusCode, 200, 'the admin is still enabled');
  t.ok(panel.counters().writes >= 3);
});

t.test('the client address: X-Forwarded-For is believed only from a proxy named in admin.trust_proxy', async (t) => {
  const proxied = await buildAdminApp(
    { ...config, trust_proxy: ['127.0.0.1'] },
    { log, postgres, ready: () => true, counters: () => ({}), now: () => clock },
  );
  t.teardown(() => proxied.app.close());
  const address = async (target: AdminApp, remoteAddress: string) => {
    const res = await target.app.inject({
      method: 'POST',
      url: '/admin/api/login',
      payload: { email: users.support, password: PASSWORD },
      headers: { 'x-forwarded-for': '6.6.6.6, 10.7.7.7' },
      remoteAddress,
    });
    t.equal(res.statusCode, 200);
    const [row] = await listAudit(postgres, { resource: 'staff', limit: 1 });
    return row!.address;
  };
  t.equal(await address(proxied, '127.0.0.1'), '10.7.7.7', 'through the proxy: the address it saw, not one sent');
  t.equal(await address(proxied, '10.3.3.3'), '10.3.3.3', 'from elsewhere: the header is ignored');
  t.equal(await address(panel, '127.0.0.1'), '127.0.0.1', 'with no proxy named: the header is ignored');
});
