// `wispd admin …` through the binary, as an operator uses it: the first admin created before the daemon ever ran,
// then the daemon started on that data with its panel on an ephemeral port: the account logs in over HTTP, /readyz
// and /metrics answer with the live daemon's counters, and commands run alongside take effect at once.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { tmpDir } from '../helpers/env.ts';
import { cleanEnv, wispd, wispdBin } from '../helpers/proc.ts';
import { parseExposition } from '../helpers/prometheus.ts';
import { startDaemon } from '../helpers/radius.ts';

const dir = tmpDir(t);
const env = { WISPD_DAEMON_DATA_DIR: `${dir}/data` };
const run = (...args: string[]) => wispd(args, { env });

/** Runs `wispd` with `input` on its standard input. */
function runWithInput(input: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [wispdBin, ...args], { env: cleanEnv(env), input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

t.test('without a daemon: the first admin, and what is refused', async (t) => {
  const add = run(
    'admin',
    'create-user',
    '--email',
    'Ana@Example.net',
    '--password',
    'correct horse battery',
    '--role',
    'admin',
  );
  t.equal(add.code, 0, add.stderr);
  t.equal(add.stdout, 'added staff member ana@example.net (admin)\n');
  const dup = run(
    'admin',
    'create-user',
    '--email',
    'ana@example.net',
    '--password',
    'another password',
    '--role',
    'noc',
  );
  t.equal(dup.code, 1);
  t.match(dup.stderr, 'staff member "ana@example.net" already exists [WISPD_ALREADY_EXISTS]');
  const role = run(
    'admin',
    'create-user',
    '--email',
    'b@example.net',
    '--password',
    'long enough pw',
    '--role',
    'boss',
  );
  t.match(role.stderr, 'role "boss": must be one of admin, noc, billing, support, readonly [WISPD_INVALID_INPUT]');
  const short = run('admin', 'create-user', '--email', 'b@example.net', '--password', 'short', '--role', 'noc');
  t.match(short.stderr, 'password "********": must have 10 to 1024 characters');
  t.notMatch(short.stderr, /short/, 'the password is not repeated');
  const last = run('admin', 'disable', '--email', 'ana@example.net');
  t.equal(last.code, 1);
  t.match(last.stderr, 'the last enabled admin cannot be disabled');
});

t.test('alongside the running daemon', async (t) => {
  const daemon = await startDaemon(t, {}, `${dir}/data`);
  const listening = daemon.child.lines.find((l) => l.msg === 'staff panel listening');
  t.ok(listening, 'the panel is up');
  t.notOk(
    daemon.child.lines.some((l) => /no staff account yet/.test(l.msg)),
    'no hint about the first account: there is one',
  );
  const base = `http://${listening!.listen}`;

  const login = async (email: string, password: string) => {
    const res = await fetch(`${base}/admin/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    const cookie = res.headers.get('set-cookie')?.split(';')[0];
    return { status: res.status, cookie };
  };
  const me = async (cookie: string | undefined) =>
    (await fetch(`${base}/admin/api/me`, { headers: cookie ? { cookie } : {} })).status;

  const ana = await login('ana@example.net', 'correct horse battery');
  t.equal(ana.status, 200, 'the account made before the daemon ran logs in');
  t.match(ana.cookie, /^wispd_staff=wss_/);
  t.equal(await me(ana.cookie), 200);

  const noc = runWithInput(
    'a noc password\n',
    'admin',
    'create-user',
    '--email',
    'noc@example.net',
    '--password',
    '-',
    '--role',
    'noc',
  );
  t.equal(noc.code, 0, noc.stderr);
  const nocSession = await login('noc@example.net', 'a noc password');
  t.equal(nocSession.status, 200, 'an account made while the daemon runs logs in at once (password from stdin)');

  const list = run('admin', 'list-users');
  t.equal(list.code, 0, list.stderr);
  t.match(list.stdout, /^EMAIL\s+ROLE\s+STATUS\s+LAST_LOGIN\s+CREATED$/m);
  t.match(list.stdout, /^ana@example\.net\s+admin\s+enabled\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/m);
  t.match(list.stdout, /^noc@example\.net\s+noc\s+enabled\s+/m);
  t.notMatch(list.stdout + run('admin', 'list-users', '--json').stdout, /scrypt|password/i, 'no hashes shown');

  t.equal(run('admin', 'set-role', '--email', 'noc@example.net', '--role', 'support').code, 0);
  t.equal(run('admin', 'disable', '--email', 'noc@example.net').code, 0);
  t.equal(await me(nocSession.cookie), 401, 'disabling ends the open session');
  t.equal((await login('noc@example.net', 'a noc password')).status, 401, 'and refuses the login');
  t.equal(run('admin', 'enable', '--email', 'noc@example.net').code, 0);
  const reset = run('admin', 'set-password', '--email', 'noc@example.net', '--password', 'the new noc password');
  t.equal(reset.code, 0, reset.stderr);
  t.equal((await login('noc@example.net', 'the new noc password')).status, 200);

  const { rows } = await daemon.db.query<{ actor: string; action: string; after: Record<string, unknown> | null }>(
    "SELECT actor, action, after FROM audit_log WHERE resource = 'staff' ORDER BY id",
  );
  t.same(
    rows.map((r) => `${r.actor.replace(/^cli:.*/, 'cli')} ${r.action}`),
    [
      'cli new',
      'ana@example.net login',
      'cli new',
      'noc@example.net login',
      'cli edit',
      'cli edit',
      'noc@example.net login-failed',
      'cli edit',
      'cli edit',
      'noc@example.net login',
    ],
    'every change is audited, by the command line; a failed login too',
  );
  t.notMatch(JSON.stringify(rows), /scrypt|noc password/, 'no hash or password in the audit log');

  const ready = await fetch(`${base}/readyz`);
  t.equal(ready.status, 200);
  const metrics = parseExposition(await (await fetch(`${base}/metrics`)).text());
  const names = new Set(metrics.samples.map((s) => s.name));
  for (const name of [
    'wispd_radius_access_requests',
    'wispd_radius_accounting_requests',
    'wispd_accounting_backlog',
    'wispd_sessions_active',
    'wispd_telemetry_lag_ms',
    'wispd_telemetry_pending_rows',
    'wispd_ingest_rows',
    'wispd_postgres_queries',
    'wispd_admin_logins',
  ]) {
    t.ok(names.has(name), `${name} is exposed`);
  }
  const value = (name: string) => metrics.samples.find((s) => s.name === name)?.value;
  t.equal(value('wispd_admin_logins'), 3, 'the panel counts its logins');
  t.equal(value('wispd_admin_login_failures'), 1, 'and the refused one');
  t.equal(await daemon.stop(), 0, 'the daemon stops cleanly with the panel');
});
