// The REST API on a running daemon: API tokens made by the CLI (shown once, stored hashed, with a role and an
// expiry), a readonly token that cannot write, writes through the core's commands audited as the token, coded
// errors, pages across 10,000 subscribers, and an OpenAPI document that validates.
import SwaggerParser from '@apidevtools/swagger-parser';
import t from 'tap';
import { addNas } from '../../daemon/model/nas.ts';
import { addPlan } from '../../daemon/model/plan.ts';
import { tmpDir } from '../helpers/env.ts';
import { wispd } from '../helpers/proc.ts';
import { startDaemon } from '../helpers/radius.ts';

const dataDir = `${tmpDir(t)}/data`;
const d = await startDaemon(t, {}, dataDir);
const base = `http://${String((await d.child.waitFor('staff panel listening')).listen)}/api/v1`;
const cli = (...args: string[]) => wispd(args, { env: { WISPD_DAEMON_DATA_DIR: dataDir } });
const tokenOf = (...args: string[]) => {
  const r = cli('admin', 'create-token', ...args);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
};
const admin = tokenOf('--name', 'ops', '--role', 'admin');
const readonly = tokenOf('--name', 'dashboards', '--role', 'readonly');
const expired = tokenOf('--name', 'old', '--role', 'admin', '--expires', '2020-01-01');

const call = async (token: string | undefined, method: string, path: string, body?: unknown) => {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the answers, read field by field
  return { status: r.status, body: (await r.json()) as Record<string, any> };
};

await addPlan(d.db, { name: 'home-20', rateDown: 20e6, rateUp: 5e6 });
await addPlan(d.db, { name: 'home-50', rateDown: 50e6, rateUp: 10e6 });
await addNas(d.db, d.box, { name: 'bras-1', address: '10.0.0.1', secret: 'nas-secret-not-shown', vendor: 'mikrotik' });

t.test('tokens: shown once, hashed, checked; readonly cannot write', async (t) => {
  t.match(admin, /^wat_[A-Za-z0-9_-]{43}$/);
  const stored = await d.db.query<{ token_hash: string }>('SELECT token_hash FROM api_token');
  t.notOk(
    stored.rows.some((r) => r.token_hash.includes(admin.slice(4))),
    'only a hash is stored',
  );
  t.match(cli('admin', 'list-tokens').stdout, /dashboards\s+readonly/);

  t.match(await call(undefined, 'GET', '/customers'), { status: 401, body: { error: 'WISPD_STAFF_UNAUTHORIZED' } });
  t.match(await call('wat_nope', 'GET', '/customers'), {
    status: 401,
    body: { message: 'the API token is unknown, revoked or expired' },
  });
  t.equal((await call(expired, 'GET', '/customers')).status, 401, 'an expired token');
  t.equal((await call(readonly, 'GET', '/customers')).status, 200);
  t.match(await call(readonly, 'POST', '/customers', { name: 'Nope' }), {
    status: 403,
    body: { error: 'WISPD_STAFF_FORBIDDEN', message: 'the readonly role may not new customer' },
  });
  t.equal((await call(readonly, 'GET', '/tokens')).status, 403, 'tokens are for admins');
  const none = await d.db.query("SELECT 1 FROM customer WHERE name = 'Nope'");
  t.equal(none.rows.length, 0, 'nothing written');
});

t.test('writes go through the core, audited as the token; errors are coded', async (t) => {
  const c = await call(admin, 'POST', '/customers', { name: 'Ana Lima', email: 'ana@example.net' });
  t.match(c, { status: 201, body: { id: Number, name: 'Ana Lima', subscribers: 0 } });
  const s = await call(admin, 'POST', '/subscribers', { plan: 'home-20', customer_id: c.body.id, username: 'ana-1' });
  t.match(s, { status: 201, body: { subscriber: { username: 'ana-1', plan: 'home-20', customer_id: c.body.id } } });
  t.match(s.body.password, /^[A-Za-z2-9]{16}$/, 'the generated password, once');
  const shown = await call(readonly, 'GET', '/subscribers/ana-1');
  t.same(Object.keys(shown.body).sort(), [
    'created_at',
    'customer_id',
    'cycle_day',
    'expires_at',
    'id',
    'mac',
    'plan',
    'static_ip',
    'status',
    'updated_at',
    'username',
  ]);
  t.match(await call(admin, 'PATCH', '/subscribers/ana-1', { plan: 'home-50' }), {
    status: 200,
    body: { plan: 'home-50' },
  });
  t.match(
    await call(admin, 'POST', '/subscribers/ana-1/restrictions', {
      reason: 'dunning',
      effect: 'reject',
      note: 'unpaid',
    }),
    { status: 200, body: { effective: { reason: 'dunning', effect: 'reject' } } },
  );
  t.match(await call(admin, 'DELETE', '/subscribers/ana-1/restrictions/dunning?note=paid'), {
    status: 200,
    body: { effective: null },
  });
  const audit = await d.db.query<{ resource: string; action: string }>(
    "SELECT resource, action FROM audit_log WHERE actor = 'token:ops' ORDER BY id",
  );
  t.same(
    audit.rows.map((r) => `${r.resource}:${r.action}`),
    ['customer:new', 'subscriber:new', 'subscriber:edit', 'subscriber:restrict', 'subscriber:unrestrict'],
  );

  t.match(await call(admin, 'GET', '/subscribers/nobody'), { status: 404, body: { error: 'WISPD_NOT_FOUND' } });
  t.match(await call(admin, 'POST', '/subscribers', { plan: 'home-20', colour: 'red' }), {
    status: 400,
    body: { error: 'WISPD_INVALID_INPUT' },
  });
  t.match(await call(admin, 'POST', '/subscribers', { plan: 'no-such-plan' }), {
    status: 404,
    body: { error: 'WISPD_NOT_FOUND', message: /plan/ },
  });
  const nas = await call(readonly, 'GET', '/nas');
  t.match(nas.body.data, [{ name: 'bras-1', address: '10.0.0.1', vendor: 'mikrotik' }]);
  t.notMatch(JSON.stringify(nas.body), /nas-secret-not-shown|secret/, 'never the secret');
  t.match((await call(readonly, 'GET', '/sessions')).body, { total: 0, data: [] });

  t.equal(cli('admin', 'revoke-token', 'ops').code, 0);
  t.equal((await call(admin, 'GET', '/customers')).status, 401, 'revoked: refused at once');
});

t.test('pages across 10,000 subscribers', async (t) => {
  await d.db.query(
    `INSERT INTO subscriber (username, password_enc, plan_id)
     SELECT 'bulk-' || lpad(i::text, 5, '0'), '\\x00'::bytea, (SELECT id FROM plan WHERE name = 'home-20')
       FROM generate_series(1, 10000) AS i`,
  );
  const seen: string[] = [];
  let after = 0;
  let pages = 0;
  for (;;) {
    const r = await call(readonly, 'GET', `/subscribers?limit=1000&after=${after}&q=bulk-`);
    t.equal(r.status, 200);
    seen.push(...r.body.data.map((s: { username: string }) => s.username));
    pages++;
    if (r.body.next === null) break;
    after = r.body.next;
  }
  t.equal(seen.length, 10_000, 'every row once');
  t.equal(new Set(seen).size, 10_000);
  t.same(seen.slice(0, 2), ['bulk-00001', 'bulk-00002'], 'in order');
  t.equal(seen.at(-1), 'bulk-10000');
  t.equal(pages, 11, 'ten full pages and an empty last');
  const filtered = await call(readonly, 'GET', '/subscribers?plan=home-50');
  t.same(
    filtered.body.data.map((s: { username: string }) => s.username),
    ['ana-1'],
    'filters',
  );
});

t.test('the OpenAPI document validates, and the docs page lists it', async (t) => {
  const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, unknown> };
  await t.resolves(SwaggerParser.validate(structuredClone(doc) as never), 'a valid OpenAPI 3 document');
  t.ok(doc.paths['/api/v1/subscribers'], 'with the API');
  t.notOk(
    Object.keys(doc.paths).some((p) => p.startsWith('/admin')),
    'and none of the panel',
  );
  const page = await fetch(`${base}/docs`);
  t.equal(page.status, 200);
  t.match(await page.text(), /<b>GET<\/b> <code>\/api\/v1\/subscribers<\/code> — List subscribers/);
});
