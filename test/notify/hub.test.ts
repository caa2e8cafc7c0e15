// The notification hub against real peers: an SMTP server (smtp-server) that receives the rendered email, local HTTP
// servers for the SMS provider and the webhook (its signature checked with openssl as well as our verifier), and
// PostgreSQL for the log. Preferences, critical, quiet hours, dedupe, digests, retries while SMTP is down.
import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import t from 'tap';

const tap = t;

import { verify } from '../../daemon/lib/signature.ts';
import { addCustomer } from '../../daemon/model/customer.ts';
import { createNotify, type Notify, quietFor } from '../../daemon/notify/index.ts';
import { defaults, freePort, silentLog, tmpDir } from '../helpers/env.ts';
import { wispd, wispdAsync } from '../helpers/proc.ts';
import { eventually, startDaemon } from '../helpers/radius.ts';
import { testDataDir, testPostgres } from '../helpers/stores.ts';

interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
  messageHeader: string;
}

async function smtp(port: number) {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, done) {
      simpleParser(stream)
        .then((m) => {
          mails.push({
            to: session.envelope.rcptTo.map((r) => r.address).join(','),
            subject: m.subject ?? '',
            text: m.text ?? '',
            html: typeof m.html === 'string' ? m.html : '',
            messageHeader: String(m.headers.get('x-wispd-message') ?? ''),
          });
          done();
        })
        .catch(done);
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

interface Hit {
  headers: IncomingMessage['headers'];
  body: string;
}

async function http(t: Pick<typeof tap, 'teardown'>) {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      hits.push({ headers: req.headers, body });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ sid: `SM${hits.length}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { hits, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const smtpPort = await freePort();
let mailServer = await smtp(smtpPort);
t.teardown(() => mailServer.close());
const sms = await http(t);
const hook = await http(t);
const dataDir = testDataDir(t);
const postgres = await testPostgres(t, dataDir);
const WEBHOOK_SECRET = 'whsec_test_notify';
const config = {
  ...defaults.notify,
  email: { smtp_url: `smtp://127.0.0.1:${smtpPort}`, from: 'ISP <noc@isp.example>' },
  sms: {
    ...defaults.notify.sms,
    url: `${sms.url}/2010-04-01/Accounts/AC1/Messages.json`,
    username: 'AC1',
    password: 'tok',
    from: '+15550001',
  },
  webhook: { url: `${hook.url}/notify`, secret: WEBHOOK_SECRET },
  digest_window: 3_600_000,
  digest_max: 3,
  retry_backoff: 200,
  poll_interval: 100,
};
// The clock of digests and quiet hours, moved by the test; retries wait in real time.
let offset = 0;
const now = () => Date.now() + offset;
let hub: Notify = createNotify(config, { log: silentLog(), postgres, now });
await hub.start();
t.teardown(() => hub.stop());
const ana = await addCustomer(postgres, { name: 'Ana <Lima>', email: 'ana@example.net', phone: '+351910000001' });
const staff = { staffId: null, name: 'noc@isp.example' };

t.test('one notification: email rendered, SMS by the Twilio preset, a signed webhook, the inbox', async (t) => {
  const queued = await hub.notify({
    to: { customerId: ana.id },
    template: 'fup.notify',
    category: 'usage',
    data: { username: 'ana-1', percent: 80, period: 'month' },
  });
  t.same(queued.map((q) => `${q.channel}:${q.status}`).sort(), [
    'email:queued',
    'inbox:sent',
    'sms:queued',
    'webhook:queued',
  ]);
  const mail = await eventually(() => mailServer.mails[0]);
  t.equal(mail.to, 'ana@example.net');
  t.equal(mail.subject, 'You have used 80% of your data');
  t.match(mail.text, /Hello Ana <Lima>,\n\nyour service ana-1 has used 80% of its data for this month\./);
  t.match(mail.html, /Hello Ana &lt;Lima&gt;,/, 'escaped in HTML');
  t.equal(mail.messageHeader, queued.find((q) => q.channel === 'email')!.id);

  const text = await eventually(() => sms.hits[0]);
  t.equal(text.headers.authorization, `Basic ${Buffer.from('AC1:tok').toString('base64')}`);
  t.same(Object.fromEntries(new URLSearchParams(text.body)), {
    To: '+351910000001',
    From: '+15550001',
    Body: 'ana-1: 80% of your data used this month.',
  });

  const call = await eventually(() => hook.hits[0]);
  const header = String(call.headers['x-wispd-signature']);
  t.ok(verify(WEBHOOK_SECRET, call.body, header).ok, 'verifies with our verifier');
  const [, ts, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header)!;
  const openssl = execFileSync('openssl', ['dgst', '-sha256', '-hmac', WEBHOOK_SECRET], { input: `${ts}.${call.body}` })
    .toString()
    .trim()
    .split(' ')
    .pop();
  t.equal(v1, openssl, 'and with openssl: HMAC-SHA256 of "<t>.<body>"');
  t.equal(verify('another', call.body, header).ok, false);
  t.equal(verify(WEBHOOK_SECRET, `${call.body} `, header).ok, false);
  t.match(JSON.parse(call.body), { subject: 'You have used 80% of your data', category: 'usage', customer_id: ana.id });

  t.match(await hub.inbox(ana.id), [{ category: 'usage', title: 'You have used 80% of your data', readAt: null }]);
  const log = await eventually(async () => {
    const m = await hub.messages({ customerId: ana.id });
    return m.every((x) => x.status === 'sent') ? m : undefined;
  });
  t.match(
    log.find((m) => m.channel === 'sms'),
    { providerId: 'SM1', attempts: 1 },
  );
});

t.test('opt-out is honoured, critical goes through; a dedupe key is sent once', async (t) => {
  await hub.setPreference(ana.id, 'billing', 'email', false, staff);
  const optedOut = await hub.notify({
    to: { customerId: ana.id },
    template: 'subscriber.restricted',
    category: 'billing',
    data: { username: 'ana-1', reason: 'dunning', note: 'invoice 7 overdue' },
    channels: ['email', 'inbox'],
  });
  t.same(
    optedOut.map((q) => `${q.channel}:${q.status}`),
    ['email:suppressed', 'inbox:sent'],
  );
  const critical = await hub.notify({
    to: { customerId: ana.id },
    template: 'subscriber.restricted',
    category: 'billing',
    critical: true,
    data: { username: 'ana-1', reason: 'dunning', note: 'suspended' },
    channels: ['email'],
  });
  t.same(
    critical.map((q) => q.status),
    ['queued'],
  );
  const before = mailServer.mails.length;
  await eventually(() => (mailServer.mails.length > before ? true : undefined));
  t.match(mailServer.mails.at(-1)!.text, /restricted \(dunning\): suspended/);

  const once = {
    to: { email: 'x@example.net' },
    template: 'test',
    category: 'system',
    data: { sent_by: 'a' },
    dedupeKey: 'k-1',
    channels: ['email'] as const,
  };
  t.same(
    (await hub.notify(once)).map((q) => q.status),
    ['queued'],
  );
  t.same(
    (await hub.notify(once)).map((q) => q.status),
    ['duplicate'],
    'nothing sent twice for one key',
  );
  const audit = await postgres.query("SELECT action FROM audit_log WHERE resource = 'notify_preference'");
  t.equal(audit.rows.length, 1, 'a preference change is audited');
});

t.test('100 notifications under one digest key: digest_max messages', async (t) => {
  const before = mailServer.mails.filter((m) => m.to === 'noc-list@example.net').length;
  t.equal(before, 0);
  for (let i = 1; i <= 100; i++)
    await hub.notify({
      to: { email: 'noc-list@example.net' },
      template: 'test',
      category: 'outage',
      data: { sent_by: `update ${i}` },
      digestKey: 'incident-42',
      channels: ['email'],
    });
  const mine = () => mailServer.mails.filter((m) => m.to === 'noc-list@example.net');
  await eventually(() => (mine().length >= 2 ? true : undefined));
  await new Promise((r) => setTimeout(r, 500));
  t.equal(mine().length, 2, `two at once; the rest held: ${mine().map((m) => m.text)}`);
  offset += 3_600_000;
  const digest = await eventually(() => (mine().length >= 3 ? mine()[2] : undefined), 10_000);
  t.equal(digest!.subject, '98 updates', 'the window over: one digest of the rest');
  t.match(
    digest!.text,
    /^- wispd test message \(×98\)\n\nThe latest:\nThis is a test message from wispd, sent by update 100\./,
  );
  await new Promise((r) => setTimeout(r, 1000));
  t.equal(mine().length, 3, 'three in the window, no more');
  offset = 0;
  const folded = await postgres.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM notify_message WHERE status = 'folded'",
  );
  t.equal(folded.rows[0]!.n, 98);
});

t.test('SMTP down: retried with backoff, delivered when it is back, the attempts logged', async (t) => {
  await mailServer.close();
  const [q] = await hub.notify({
    to: { email: 'late@example.net' },
    template: 'test',
    category: 'system',
    data: { sent_by: 'x' },
  });
  const failing = await eventually(async () => {
    const m = (await hub.messages()).find((x) => x.id === q!.id)!;
    return m.attempts >= 2 ? m : undefined;
  }, 10_000);
  t.equal(failing.status, 'queued');
  t.match(failing.error, /ECONNREFUSED|connect/i, 'the error is kept');
  mailServer = await smtp(smtpPort);
  const mail = await eventually(() => mailServer.mails.find((m) => m.to === 'late@example.net'), 15_000);
  t.ok(mail, 'delivered later');
  const sent = (await hub.messages()).find((x) => x.id === q!.id)!;
  t.equal(sent.status, 'sent');
  t.ok(sent.attempts >= 3, `after ${sent.attempts} attempts`);
  t.equal(sent.error, null);
});

t.test('quiet hours hold an SMS, not a critical one; a template edit is checked', async (t) => {
  const at = Date.UTC(2026, 11, 4, 23, 30);
  t.equal(quietFor('22:00-07:00', at, 'UTC'), 7.5 * 3_600_000);
  t.equal(quietFor('22:00-07:00', Date.UTC(2026, 11, 4, 12, 0), 'UTC'), 0);
  t.equal(quietFor('01:00-03:00', Date.UTC(2026, 11, 4, 2, 0), 'Europe/Lisbon'), 3_600_000);

  await hub.stop();
  const h = new Date().getUTCHours();
  const quiet = `${String(h).padStart(2, '0')}:00-${String((h + 2) % 24).padStart(2, '0')}:00`;
  hub = createNotify(
    { ...config, time_zone: 'UTC', sms: { ...config.sms, quiet_hours: quiet } },
    { log: silentLog(), postgres, now },
  );
  await hub.start();
  const base = {
    to: { phone: '+351910000009' },
    template: 'test',
    category: 'system',
    data: { sent_by: 'q' },
    channels: ['sms'] as const,
  };
  const [held] = await hub.notify(base);
  const [urgent] = await hub.notify({ ...base, critical: true });
  await eventually(() => sms.hits.find((x) => new URLSearchParams(x.body).get('To') === '+351910000009'));
  const rows = await postgres.query<{ id: string; status: string; wait: number }>(
    'SELECT id::text, status, extract(epoch FROM next_at - created_at)::float8 AS wait FROM notify_message WHERE id = ANY($1::bigint[])',
    [[held!.id, urgent!.id]],
  );
  const byId = Object.fromEntries(rows.rows.map((r) => [r.id, r]));
  t.equal(byId[urgent!.id]!.status, 'sent', 'critical: sent now');
  t.equal(byId[held!.id]!.status, 'queued');
  t.ok(byId[held!.id]!.wait > 3600, 'the other waits for the end of quiet hours');

  await t.rejects(hub.saveTemplate('fup.notify', { subject: 'Used {{percnt}}%', text: 'x' }, staff), {
    code: 'WISPD_INVALID_INPUT',
    message: /no variable percnt; it has \{\{username\}\}, \{\{percent\}\}/,
  });
  await hub.saveTemplate('test', { subject: 'Hello from {{sent_by}}', text: 'Body for {{customer_name}}' }, staff);
  await hub.notify({
    to: { email: 'edit@example.net' },
    template: 'test',
    category: 'system',
    data: { sent_by: 'the NOC' },
  });
  const mail = await eventually(() => mailServer.mails.find((m) => m.to === 'edit@example.net'));
  t.equal(mail.subject, 'Hello from the NOC', 'the edited template is used');
  t.match(await hub.templates(), [{ name: 'fup.notify', edited: null }]);
  t.match(
    (await hub.templates()).find((x) => x.name === 'test'),
    { edited: { by: 'noc@isp.example' } },
  );
});

t.test('wispd notify test and log, through the daemon', async (t) => {
  const dir = `${tmpDir(t)}/data`;
  const env = {
    WISPD_NOTIFY_EMAIL_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    WISPD_NOTIFY_EMAIL_FROM: 'ISP NOC <noc@isp.example>',
  };
  const d = await startDaemon(t, env, dir);
  // Not spawnSync: the SMTP server is in this process.
  const sent = await wispdAsync(['notify', 'test', '--to', 'operator@isp.example'], {
    env: { ...env, WISPD_DAEMON_DATA_DIR: dir },
  });
  t.equal(sent.code, 0, sent.stderr);
  t.match(sent.stdout, /email\s+operator@isp\.example\s+test\s+sent\s+1/);
  const mail = await eventually(() => mailServer.mails.find((m) => m.to === 'operator@isp.example'));
  t.match(mail.text, /This is a test message from wispd, sent by cli:/);
  const log = wispd(['notify', 'log', '--json'], { env: { WISPD_DAEMON_DATA_DIR: dir } });
  t.match(JSON.parse(log.stdout), [{ channel: 'email', recipient: 'operator@isp.example', status: 'sent' }]);
  const bad = wispd(['notify', 'test', '--to', '+351910000001'], { env: { WISPD_DAEMON_DATA_DIR: dir } });
  t.equal(bad.code, 1);
  t.match(bad.stderr, /the sms channel is not configured \(notify\.sms\)/);
  t.equal(await d.stop(), 0);
});
