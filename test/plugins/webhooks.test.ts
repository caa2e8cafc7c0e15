// The built-in webhooks plugin end to end: an endpoint made over the API, accounting by radclient, each session
// event POSTed to a local HTTP server signed (checked with the verifier), a 500 retried with backoff, "send test",
// the delivery log, permissions (a readonly token may look, not change), audit rows, and the secret never shown.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { verify } from '../../daemon/lib/signature.ts';
import { addNas } from '../../daemon/model/nas.ts';
import { addPlan } from '../../daemon/model/plan.ts';
import { addSubscriber } from '../../daemon/model/subscriber.ts';
import { tmpDir } from '../helpers/env.ts';
import { wispd } from '../helpers/proc.ts';
import { eventually, radclient, startDaemon } from '../helpers/radius.ts';

const SECRET = 'webhooks-nas-secret';
const hits: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
let failNext = 1;
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    hits.push({ headers: req.headers, body });
    res.statusCode = failNext-- > 0 ? 500 : 200;
    res.end('ok');
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
const hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wispd`;

const dataDir = `${tmpDir(t)}/data`;
const d = await startDaemon(
  t,
  { WISPD_PLUGINS_ENABLED: 'webhooks', WISPD_PLUGINS_WEBHOOKS_RETRY_BACKOFF: '300ms' },
  dataDir,
);
const base = `http://${String((await d.child.waitFor('staff panel listening')).listen)}/api/v1/webhooks`;
const token = (role: string) => {
  const r = wispd(['admin', 'create-token', '--name', `wh-${role}`, '--role', role], {
    env: { WISPD_DAEMON_DATA_DIR: dataDir },
  });
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
};
const admin = token('admin');
const readonly = token('readonly');
const call = async (who: string, method: string, path: string, body?: unknown) => {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${who}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the answers, read field by field
  return { status: r.status, body: (await r.json()) as any };
};

t.test('session events are delivered signed, a failure retried, each attempt logged', async (t) => {
  await addNas(d.db, d.box, { name: 'n1', address: '127.0.0.1', secret: SECRET, vendor: 'mikrotik' });
  await addPlan(d.db, { name: 'p', rateDown: 1e7, rateUp: 1e7 });
  await addSubscriber(d.db, d.box, { username: 'wh-user', password: 'pw', plan: 'p' });

  t.match(await call(readonly, 'POST', '/endpoints', { url: hookUrl, events: ['session.start'] }), {
    status: 403,
    body: { error: 'WISPD_STAFF_FORBIDDEN', message: 'the readonly role may not manage webhooks' },
  });
  t.match(await call(admin, 'POST', '/endpoints', { url: hookUrl, events: ['session.nope'] }), {
    status: 400,
    body: { message: /session\.nope is not a core event/ },
  });
  const made = await call(admin, 'POST', '/endpoints', {
    url: hookUrl,
    events: ['session.start', 'session.stop'],
    description: 'CRM',
  });
  t.equal(made.status, 201);
  const secret: string = made.body.secret;
  t.match(secret, /^whsec_/);
  const id = made.body.endpoint.id;

  const acct = async (status: string) => {
    const r = await radclient(
      d.acctPort,
      'acct',
      SECRET,
      `User-Name = "wh-user", Acct-Session-Id = "wh-1", Acct-Status-Type = ${status}, Framed-IP-Address = 100.64.7.1`,
    );
    return r.code;
  };
  await eventually(async () => ((await acct('Start')) === 'Accounting-Response' ? true : undefined));
  t.equal(await acct('Stop'), 'Accounting-Response');

  // The first POST gets a 500: it is retried, and both events arrive.
  const delivered = await eventually(() => {
    const ok = hits.filter((h) => h.headers['x-wispd-event']);
    return ok.length >= 3 ? ok : undefined;
  }, 45_000);
  for (const h of delivered) {
    t.ok(verify(secret, h.body, String(h.headers['x-wispd-signature'])).ok, 'signed with the endpoint’s secret');
  }
  const events = delivered.map((h) => JSON.parse(h.body) as { id: string; type: string; subject: string });
  t.same([...new Set(events.map((e) => `${e.type} ${e.subject}`))].sort(), [
    'session.start wh-user',
    'session.stop wh-user',
  ]);
  t.equal(events.filter((e) => e.id === events[0]!.id).length, 2, 'the one refused is sent again, with its event id');

  const log = await eventually(async () => {
    const r = await call(readonly, 'GET', `/endpoints/${id}/deliveries`);
    return r.body.data.every((x: { status: string }) => x.status === 'delivered') && r.body.data.length === 2
      ? r.body.data
      : undefined;
  });
  t.same(
    log
      .map(
        (x: { type: string; attempts: number; response_status: number }) =>
          `${x.type} ${x.attempts} ${x.response_status}`,
      )
      .sort(),
    ['session.start 2 200', 'session.stop 1 200'],
    'the failed attempt and its retry, logged',
  );
  const list = await call(readonly, 'GET', '/endpoints');
  t.match(list.body.data, [{ id, url: hookUrl, delivered: 2, queued: 0, failed: 0 }]);
  t.notMatch(JSON.stringify(list.body), secret.slice(6), 'the secret is never shown again');
  const stored = await d.db.query<{ secret_enc: Buffer }>('SELECT secret_enc FROM plugin_webhooks.endpoint');
  t.notOk(stored.rows[0]!.secret_enc.toString('latin1').includes(secret), 'sealed at rest');
});

t.test('send test, disable, audit', async (t) => {
  const [{ id }] = (await call(admin, 'GET', '/endpoints')).body.data;
  const before = hits.length;
  const test = await call(admin, 'POST', `/endpoints/${id}/test`);
  t.match(test, { status: 200, body: { status: 'delivered', response_status: 200 } });
  t.equal(hits.length, before + 1);
  t.equal(hits.at(-1)!.headers['x-wispd-event'], 'webhook.test');

  await call(admin, 'PATCH', `/endpoints/${id}`, { enabled: false });
  const stopped = hits.length;
  await radclient(
    d.acctPort,
    'acct',
    SECRET,
    'User-Name = "wh-user", Acct-Session-Id = "wh-2", Acct-Status-Type = Start, Framed-IP-Address = 100.64.7.1',
  );
  await new Promise((r) => setTimeout(r, 2500));
  t.equal(hits.length, stopped, 'a disabled endpoint gets nothing');

  const audit = await d.db.query<{ actor: string; action: string }>(
    "SELECT actor, action FROM audit_log WHERE resource = 'plugin:webhooks' ORDER BY id",
  );
  t.same(
    audit.rows.map((r) => `${r.actor} ${r.action}`),
    ['token:wh-admin endpoint.new', 'token:wh-admin endpoint.test', 'token:wh-admin endpoint.edit'],
  );
  t.equal(await d.stop(), 0);
});
