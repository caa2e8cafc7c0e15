// The plugin and notification pages of the staff panel in Chromium: the Plugins page (status, masked settings, jobs,
// a compensated workflow run retried from its button), the webhooks plugin's endpoint page (the form, "Send test"
// reaching a local HTTP server, the delivery log), and the Notifications page (a test email through a local SMTP
// server, the log, a template edit refused for an unknown variable). Screenshots go to test-output/screenshots/.
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import t from 'tap';
import { freePort, repoRoot } from '../helpers/env.ts';
import { wispdAsync } from '../helpers/proc.ts';
import { eventually, startDaemon } from '../helpers/radius.ts';

const EMAIL = 'admin@isp.example';
const PASSWORD = 'correct horse battery staple';
const shots = `${repoRoot}/test-output/screenshots`;
mkdirSync(shots, { recursive: true });

const hits: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
const hook = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    hits.push({ headers: req.headers, body });
    res.end('ok');
  });
});
await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise<void>((resolve) => hook.close(() => resolve())));
const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/in`;

const mails: string[] = [];
const smtpPort = await freePort();
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, session, done) {
    stream.resume();
    stream.on('end', () => {
      mails.push(session.envelope.rcptTo.map((r) => r.address).join(','));
      done();
    });
  },
});
await new Promise<void>((resolve) => smtp.listen(smtpPort, '127.0.0.1', resolve));
t.teardown(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

const d = await startDaemon(t, {
  WISPD_PLUGINS_ENABLED: [
    'webhooks',
    `${repoRoot}/test/fixtures/plugins/saga`,
    `${repoRoot}/test/fixtures/plugins/hello`,
  ].join(','),
  WISPD_PLUGINS_HELLO_API_KEY: 'sk_live_never_shown',
  WISPD_NOTIFY_EMAIL_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
});
const base = `http://${String((await d.child.waitFor('staff panel listening')).listen)}`;
const user = await wispdAsync(['admin', 'create-user', '--email', EMAIL, '--password', PASSWORD, '--role', 'admin'], {
  env: { WISPD_DAEMON_DATA_DIR: d.dataDir },
});
t.equal(user.code, 0, user.stderr);

t.test('the plugin and notification pages in Chromium', async (t) => {
  const browser: Browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  t.teardown(() => browser.close());
  const page: Page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(30_000);
  await page.goto(`${base}/admin`);
  await page.waitForURL(/\/admin\/login/);
  await page.fill('#email', EMAIL);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-dashboard]');

  await t.test('the Plugins page: status, masked settings, jobs, a workflow run retried', async (t) => {
    const started = await fetch(`${base}/hooks/saga/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ workflow: 'doomed', key: 'browser-1' }),
    });
    const { id } = (await started.json()) as { id: string };
    await eventually(async () => {
      const r = await d.db.query<{ status: string }>('SELECT status FROM workflow_run WHERE id = $1', [id]);
      return r.rows[0]?.status === 'compensated' ? true : undefined;
    }, 15_000);

    for (const href of ['/admin/pages/plugins', '/admin/pages/notifications', '/admin/pages/webhooks-endpoints'])
      t.equal(await page.locator(`a[href="${href}"]`).count(), 1, `the sidebar links ${href}`);
    await page.goto(`${base}/admin/pages/plugins`);
    await page.waitForSelector('[data-plugin="webhooks"]');
    t.equal(await page.textContent('[data-plugin="webhooks"] [data-status]'), 'active');
    t.equal(await page.textContent('[data-plugin="saga"] [data-status]'), 'active');
    const hello = (await page.textContent('[data-plugin="hello"] [data-table="settings"]')) ?? '';
    t.match(hello, /plugins\.hello\.api_key\*{8}/, 'the secret setting is masked');
    t.notMatch(await page.content(), /sk_live_never_shown/, 'and nowhere on the page');
    t.match(await page.textContent('[data-plugin="webhooks"] [data-table="jobs"]'), /webhooks\.deliverevery 1s/);
    t.match(
      await page.textContent('[data-plugin="webhooks"] [data-table="settings"]'),
      /plugins\.webhooks\.timeout10s/,
    );
    const run = page.locator(`[data-run="${id}"]`);
    t.match(await page.textContent('[data-plugin="saga"] [data-table="runs"]'), /saga\.doomed.*browser-1compensated/);
    await page.screenshot({ path: `${shots}/plugins.png`, fullPage: true });
    await run.locator('[data-action="retry"]').click();
    await page.waitForSelector('[data-notice]');
    t.match(await page.textContent('[data-notice]'), /saga\.doomed .*: retried/);
    const audit = await d.db.query("SELECT actor FROM audit_log WHERE resource = 'plugin' AND record_id = $1", [id]);
    t.same(audit.rows, [{ actor: EMAIL }], 'audited as the staff member');
  });

  await t.test('the webhooks page: the form, Send test, the delivery log', async (t) => {
    await page.goto(`${base}/admin/pages/webhooks-endpoints`);
    await page.waitForSelector('[data-plugin-page="webhooks-endpoints"] [data-form]');
    await page.fill('[data-form] input[name="url"]', hookUrl);
    await page.click('[data-field="events"] label[for="events-session.start"]');
    await page.fill('[data-form] input[name="description"]', 'the CRM');
    await page.click('[data-testid="plugin-form-submit"]');
    await page.waitForSelector('[data-message]');
    t.match(await page.textContent('[data-message]'), /Saved\. secret: whsec_\S+ \(shown this once\)/);
    const row = page.locator('[data-table="list"] tr', { hasText: hookUrl });
    await row.waitFor();
    t.match(await row.textContent(), /session\.startthe CRMyes/);

    await row.locator('[data-action="Send test"]').click();
    await page.waitForSelector('[data-message]:has-text("Send test:")');
    t.match(
      await page.textContent('[data-message]'),
      /Send test: status: delivered · response_status: 200 · duration_ms: \d+/,
    );
    const got = await eventually(() => hits.find((h) => h.headers['x-wispd-event'] === 'webhook.test'));
    t.match(String(got.headers['x-wispd-signature']), /^t=\d+,v1=[0-9a-f]{64}$/, 'signed');

    await row.locator('[data-action="Deliveries"]').click();
    await page.waitForSelector('[data-detail] [data-table="detail"]');
    t.match(await page.textContent('[data-detail]'), /webhook\.testdelivered1200/);
    await page.screenshot({ path: `${shots}/webhooks.png`, fullPage: true });
  });

  await t.test('the Notifications page: a test email, the log, a template edit checked', async (t) => {
    await page.goto(`${base}/admin/pages/notifications`);
    await page.waitForSelector('[data-notifications-page]');
    await page.fill('input[name="to"]', 'noc-desk@isp.example');
    await page.click('[data-action="send-test"]');
    await page.waitForSelector('[data-notice]');
    t.match(await page.textContent('[data-notice]'), /Test to noc-desk@isp\.example: sent/);
    await eventually(() => (mails.includes('noc-desk@isp.example') ? true : undefined));
    await page.waitForSelector('[data-table="messages"] tr:has-text("noc-desk@isp.example")');
    t.match(
      await page.textContent('[data-table="messages"] tr:has-text("noc-desk@isp.example")'),
      /emailnoc-desk@isp\.exampletestwispd test messagesent1/,
    );

    await page.click('[data-template="test"] [data-action="edit"]');
    await page.fill('[data-editing="test"] input[name="subject"]', 'Test for {{nope}}');
    await page.click('[data-action="save-template"]');
    await page.waitForSelector('[data-notice]:has-text("no variable")');
    t.match(await page.textContent('[data-notice]'), /template test has no variable nope; it has \{\{sent_by\}\}/);
    await page.fill('[data-editing="test"] input[name="subject"]', 'Test from {{sent_by}}');
    await page.click('[data-action="save-template"]');
    await page.waitForSelector('[data-template="test"]:has-text("edited by admin@isp.example")');
    t.pass('saved, and marked edited');
    await page.screenshot({ path: `${shots}/notifications.png`, fullPage: true });
    t.equal(await d.stop(), 0);
  });
});
