// The staff panel in a real browser (Debian's chromium through playwright-core), as support uses it: log in, create a
// plan and a subscriber in the forms, the subscriber logs in with radclient, the session shows on the subscriber page,
// Disconnect from the page → the NAS (a FreeRADIUS stand-in) receives the Disconnect-Request and the page shows the
// outcome. Screenshots of the dashboard and the subscriber page go to test-output/screenshots/.
import { mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page } from 'playwright-core';
import t from 'tap';
import { hashPassword } from '../../daemon/security/password.ts';
import { repoRoot } from '../helpers/env.ts';
import { startNasStandIn } from '../helpers/freeradius-nas.ts';
import { wispdAsync } from '../helpers/proc.ts';
import { eventually, radclient, startDaemon } from '../helpers/radius.ts';

const SECRET = 'lab-nas-secret';
const EMAIL = 'noc@example.net';
const PASSWORD = 'correct horse battery staple';
const shots = `${repoRoot}/test-output/screenshots`;
const CHROMIUM = '/usr/bin/chromium';

t.test('the staff panel in Chromium', async (t) => {
  mkdirSync(shots, { recursive: true });
  const nas = await startNasStandIn(t, { secret: SECRET });
  const d = await startDaemon(t, { WISPD_ADMIN_LISTEN: '127.0.0.1:0' });
  const listen = String((await d.child.waitFor('staff panel listening')).listen);
  const base = `http://${listen}`;
  const run = (...args: string[]) => wispdAsync(args, { env: { WISPD_DAEMON_DATA_DIR: d.dataDir } });
  const user = await run('admin', 'create-user', '--email', EMAIL, '--password', PASSWORD, '--role', 'admin');
  t.equal(user.code, 0, user.stderr);
  const added = await run(
    'nas',
    'add',
    '--name',
    'lab-ccr',
    '--address',
    '127.0.0.1',
    '--secret',
    SECRET,
    '--vendor',
    'mikrotik',
    '--coa-port',
    String(nas.port),
  );
  t.equal(added.code, 0, added.stderr);

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.teardown(() => browser.close());
  const page: Page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(30_000);

  await t.test('log in', async (t) => {
    await page.goto(`${base}/admin`);
    await page.waitForURL(/\/admin\/login/);
    await page.fill('#email', EMAIL);
    await page.fill('#password', 'not the password');
    await page.click('button[type=submit]');
    await page.waitForSelector('#error:not(:empty)');
    t.match(
      await page.textContent('#error'),
      /email or password/i,
      'a wrong password is refused, without saying which',
    );
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-dashboard]');
    t.pass('the dashboard opens after logging in');
  });

  await t.test('create a plan and a subscriber in the forms', async (t) => {
    await page.goto(`${base}/admin/resources/plan/actions/new`);
    await page.fill('input[name="name"]', 'lab-20M');
    // Rates typed as in the CLI and the config.
    await page.fill('input[name="rate_down"]', '20M');
    await page.fill('input[name="rate_up"]', '5M');
    await page.click('button[type=submit]');
    await page.waitForURL(/\/admin\/resources\/plan\/records\/\d+\/show|\/admin\/resources\/plan$/);
    const { rows: plans } = await d.db.query("SELECT rate_down::float8 AS down FROM plan WHERE name = 'lab-20M'");
    t.same(plans, [{ down: 20_000_000 }], 'plan saved, 20M read as 20 000 000 bit/s');
    await page.goto(`${base}/admin/resources/plan`);
    const row = page.locator('tr', { hasText: 'lab-20M' }).first();
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    t.ok(cells.includes('20M') && cells.includes('5M'), `the list shows the rates as typed: ${cells.join(' | ')}`);
    t.notOk(cells.includes('20000000'), 'not as a raw count');

    // The audit row of that creation: one table of fields, before and after.
    await page.goto(`${base}/admin/resources/audit_log`);
    await page.locator('tr', { hasText: 'plan' }).first().locator('td').nth(1).click();
    await page.waitForSelector('[data-audit-diff] [data-field="rate_down"]');
    t.match(
      await page.textContent('[data-audit-diff] [data-field="rate_down"]'),
      /rate_down\(none: created\)20000000/,
      'the audit row shows the change as a table',
    );
    t.notMatch(await page.textContent('[data-audit-diff]'), /\[object Object\]/);
    t.match(
      await page.textContent('section'),
      /Time\s*\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/,
      'a formatted value keeps its label',
    );
    await page.screenshot({ path: `${shots}/audit.png`, fullPage: true });

    await page.goto(`${base}/admin/resources/subscriber/actions/new`);
    await page.fill('input[name="username"]', 'alice');
    await page.fill('input[name="password"]', 'alice-secret-1');
    const plan = page.locator('[data-testid="property-edit-plan_id"] input').first();
    await plan.click();
    await plan.fill('lab-20M');
    await page.getByText('lab-20M', { exact: true }).last().click();
    await page.click('button[type=submit]');
    await page.waitForURL(/\/admin\/resources\/subscriber(\?|$)/);
    const { rows } = await d.db.query<{ id: number }>("SELECT id FROM subscriber WHERE username = 'alice'");
    t.equal(rows.length, 1, 'the subscriber is in PostgreSQL');
    t.pass('subscriber saved');
  });

  await t.test(
    'the subscriber logs in; the session shows on the subscriber page; Disconnect reaches the NAS',
    async (t) => {
      const auth = await eventually(async () => {
        const r = await radclient(
          d.authPort,
          'auth',
          SECRET,
          'User-Name = "alice", User-Password = "alice-secret-1", Message-Authenticator = 0x00',
        );
        return r.code === 'Access-Accept' ? r : undefined;
      });
      t.match(auth.attributes, { 'Mikrotik-Rate-Limit': '5M/20M' }, 'the plan made in the browser is in the answer');
      const acct = await radclient(
        d.acctPort,
        'acct',
        SECRET,
        'User-Name = "alice", Acct-Status-Type = Start, Acct-Session-Id = "lab-1", Framed-IP-Address = 100.64.0.10, NAS-IP-Address = 127.0.0.1, Message-Authenticator = 0x00',
      );
      t.equal(acct.code, 'Accounting-Response');

      // Fair usage on the plan, then a session over it: the NAS is sent the throttled rate and acknowledges it.
      const set = await run(
        'plan',
        'set',
        'lab-20M',
        '--fup-quota',
        '1M',
        '--fup-period',
        'day',
        '--fup-throttle',
        '1M/512k',
      );
      t.equal(set.code, 0, set.stderr);
      await eventually(async () => /of 1M/.test((await run('usage', 'alice')).stdout), 20_000);
      const interim = await radclient(
        d.acctPort,
        'acct',
        SECRET,
        `User-Name = "alice", Acct-Status-Type = Interim-Update, Acct-Session-Id = "lab-1", Framed-IP-Address = 100.64.0.10, NAS-IP-Address = 127.0.0.1, Acct-Output-Octets = ${3 * 1024 * 1024 + 512 * 1024}, Message-Authenticator = 0x00`,
      );
      t.equal(interim.code, 'Accounting-Response');
      await eventually(() => nas.received().find((p) => p.type === 'CoA-Request'), 20_000);

      // A row opens the subscriber's page; its MAC, typed in another notation, reads as aa:bb:….
      const bound = await run('subscriber', 'set', 'alice', '--mac', 'AA-BB-CC-00-11-22');
      t.equal(bound.code, 0, bound.stderr);
      await page.goto(`${base}/admin/resources/subscriber?filters.username=alice`);
      await page.locator('tr', { hasText: 'aa:bb:cc:00:11:22' }).first().waitFor();
      await page.getByText('alice', { exact: true }).first().click();
      await page.waitForSelector('[data-session="lab-1"]');
      await page.waitForSelector('[data-state="throttled"]');
      t.equal(await page.textContent('[data-state]'), 'throttled', 'the badge says what the subscriber meets');
      await page.waitForSelector('[data-confirmed="true"]');
      t.match(await page.textContent('[data-confirmed]'), /confirmed by the NAS/, 'and that the NAS applied it');
      t.match(
        await page.textContent('[data-session="lab-1"]'),
        /3\.5M \/ 0/,
        'bytes in the notation they are typed in',
      );
      t.match(
        await page.textContent('[data-section="Online now"]'),
        /lab-ccr.*100\.64\.0\.10/s,
        'online now, with NAS and IP',
      );
      await page.waitForSelector('[data-section="Usage, last 30 days"] text[data-label="today"]');
      await page.screenshot({ path: `${shots}/subscriber.png`, fullPage: true });
      const title = await page.locator('.adminjs_ActionHeader h2').first().boundingBox();
      const firstButton = await page.locator('.adminjs_ActionHeader .adminjs_ButtonGroupItem').first().boundingBox();
      t.ok(
        title && firstButton && (title.y + title.height <= firstButton.y || title.x + title.width <= firstButton.x),
        'the page title and the action buttons do not overlap',
      );
      t.ok(await page.locator('.adminjs_Resources').first().isVisible(), 'at 1280 px the sidebar is open');
      const sidebar = await page.locator('.adminjs_Resources').first().textContent();
      t.match(sidebar, /Subscribers.*Plans.*Network.*NAS.*Records.*Audit log/s, 'with its groups open');

      await page.click('[data-session="lab-1"] a:has-text("Disconnect")');
      await page.click('button[type=submit]');
      await page.waitForSelector('text=/acknowledged|ACK/i');
      const disconnect = await eventually(() =>
        nas.received().find((p) => p.type === 'Disconnect-Request' && p.attributes['Acct-Session-Id'] === 'lab-1'),
      );
      t.match(disconnect.attributes, { 'User-Name': 'alice' }, 'the NAS received the Disconnect-Request');

      await page.goto(`${base}/admin`);
      await page.waitForSelector('[data-tile="online"]');
      await page.waitForSelector('svg text[data-label]');
      await page.screenshot({ path: `${shots}/dashboard.png`, fullPage: true });
      const clipped = await page.$$eval('svg', (svgs) =>
        svgs.flatMap((svg) => {
          const box = svg.getBoundingClientRect();
          return [...svg.querySelectorAll('text')]
            .map((text) => ({ text: text.textContent, r: text.getBoundingClientRect() }))
            .filter(({ r }) => r.left < box.left - 0.5 || r.right > box.right + 0.5)
            .map(({ text }) => text);
        }),
      );
      t.same(clipped, [], 'no chart label runs past its chart');
      t.match(await page.textContent('[data-tile="auth"]'), /Logins per minute, last 15 min/, 'over what window');
      t.match(await page.textContent('[data-tile="online"]'), /Online sessions/, 'the dashboard');
      t.ok(
        statSync(`${shots}/subscriber.png`).size > 10_000 && statSync(`${shots}/dashboard.png`).size > 10_000,
        'screenshots written',
      );
    },
  );

  await t.test('the sidebar leads to the dashboard, the auth log and the staff accounts', async (t) => {
    const wrong = await radclient(
      d.authPort,
      'auth',
      SECRET,
      'User-Name = "alice", User-Password = "not-her-password", Message-Authenticator = 0x00',
    );
    t.equal(wrong.code, 'Access-Reject');
    await page.goto(`${base}/admin/resources/nas`);
    const sidebar = page.locator('[data-css="sidebar"]');
    t.match(
      await sidebar.textContent(),
      /Dashboard.*Subscribers.*Records.*Audit log.*Auth log.*CoA ledger.*Administration.*Staff/s,
      'a Dashboard entry above the groups; the auth log and staff in theirs',
    );
    await sidebar.getByText('Dashboard', { exact: true }).click();
    await page.waitForSelector('[data-dashboard]');
    t.match(new URL(page.url()).pathname, /^\/admin\/?$/, 'Dashboard opens the dashboard');

    await sidebar.getByText('Auth log', { exact: true }).click();
    await page.waitForURL(/\/admin\/resources\/radius_auth_log/);
    const reject = await eventually(async () => {
      await page.reload();
      const row = page.locator('tr', { hasText: 'bad-password' }).first();
      return (await row.count()) ? row : undefined;
    }, 20_000);
    t.match(await reject.textContent(), /alice.*reject.*bad-password.*lab-ccr/s, 'who, what, why, which NAS');
    t.match(
      await page.locator('.adminjs_ActionHeader h2').first().textContent(),
      /^Auth log\d*$/,
      'titled by what it lists',
    );
    await page.screenshot({ path: `${shots}/auth-log.png`, fullPage: true });

    await sidebar.getByText('Staff', { exact: true }).click();
    await page.waitForURL(/\/admin\/resources\/staff/);
    await page.locator('tr', { hasText: EMAIL }).first().waitFor();
    await page
      .getByRole('link', { name: /create new/i })
      .first()
      .click();
    await page.fill('input[name="email"]', 'agent@example.net');
    await page.fill('input[name="password"]', 'agent password 1');
    const role = page.locator('[data-testid="property-edit-role"] input').first();
    await role.click();
    await page.getByText('support', { exact: true }).last().click();
    await page.screenshot({ path: `${shots}/staff-new.png`, fullPage: true });
    await page.click('button[type=submit]');
    await page.waitForURL(/\/admin\/resources\/staff(\?|$)/);
    await page.locator('tr', { hasText: 'agent@example.net' }).first().waitFor();
    const { rows } = await d.db.query<{ role: string }>("SELECT role FROM staff WHERE email = 'agent@example.net'");
    t.same(rows, [{ role: 'support' }], 'the account is in PostgreSQL with its role');
    await page.screenshot({ path: `${shots}/staff.png`, fullPage: true });
  });

  await t.test('a page on another port of the same host cannot make the panel delete a NAS', async (t) => {
    const { rows } = await d.db.query<{ id: number }>("SELECT id FROM nas WHERE name = 'lab-ccr'");
    const target = `${base}/admin/api/resources/nas/records/${rows[0]!.id}/delete`;
    const evil = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(
        `<form id="f" method="POST" action="${target}"><input name="x" value="1"></form><script>document.getElementById('f').submit()</script>`,
      );
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    t.teardown(() => evil.close());
    const answered = page.waitForResponse((r) => r.url() === target);
    await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
    const res = await answered;
    t.equal(res.status(), 403, 'the forged form post is refused');
    t.equal((await d.db.query("SELECT 1 FROM nas WHERE name = 'lab-ccr'")).rows.length, 1, 'the NAS is still there');
  });

  await t.test(
    'text stored in the page state cannot run script (a staff email from before it was checked)',
    async (t) => {
      const evil = '</script><script>window.pwned=1</script>@example.net';
      const refused = await run('admin', 'create-user', '--email', evil, '--password', PASSWORD, '--role', 'support');
      t.not(refused.code, 0, 'such an email is refused now');
      t.match(refused.stderr, /email/);
      await d.db.query("INSERT INTO staff (email, password_hash, role) VALUES ($1, $2, 'support')", [
        evil,
        await hashPassword(PASSWORD),
      ]);
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      t.teardown(() => context.close());
      const p = await context.newPage();
      const dialogs: string[] = [];
      p.on('dialog', (dlg) => {
        dialogs.push(dlg.message());
        void dlg.dismiss();
      });
      // The login form's email field would not take it: log in through the API, in the same browser context.
      const login = await context.request.post(`${base}/admin/api/login`, {
        data: { email: evil, password: PASSWORD },
      });
      t.equal(login.status(), 200);
      await p.goto(`${base}/admin`);
      await p.waitForSelector('[data-dashboard]');
      t.equal(await p.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned), undefined, 'no script ran');
      t.equal(
        await p.evaluate(
          () => (globalThis as unknown as { REDUX_STATE: { session: { email: string } } }).REDUX_STATE.session.email,
        ),
        evil,
        'the page state holds the email as it is',
      );
      const html = await (await p.request.get(`${base}/admin`)).text();
      t.notOk(html.includes('</script><script>window.pwned'), 'the page source has it escaped');
      t.same(dialogs, []);
    },
  );
});
