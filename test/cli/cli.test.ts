// The `wispd` command as an operator meets it: --help everywhere, config validation with the key, the value and the
// reason, a dump that never shows a secret, and the package bin through npx.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import t from 'tap';
import { loadConfig } from '../../config/load.ts';
import { schema } from '../../config/schema.ts';
import { repoRoot, tmpDir } from '../helpers/env.ts';
import { cleanEnv, wispd } from '../helpers/proc.ts';

const commands = [
  'start',
  'check-config',
  'dump-config',
  'migrate',
  'version',
  'nas',
  'plan',
  'subscriber',
  'disconnect',
  'coa',
  'suspend',
  'resume',
  'usage',
  'topup',
  'admin',
  'customer',
  'accounting',
];
const subcommands = [
  'nas add',
  'nas set',
  'nas list',
  'nas remove',
  'customer add',
  'customer list',
  'accounting quarantine',
  'plan add',
  'plan set',
  'plan list',
  'subscriber add',
  'subscriber set',
  'subscriber import',
  'subscriber list',
  'subscriber show',
  'admin create-user',
  'admin list-users',
  'admin set-password',
  'admin set-role',
  'admin disable',
  'admin enable',
];

t.test('a misspelt option is named, with the one meant', async (t) => {
  const r = wispd(['subscriber', 'add', '--usernme', 'x', '--password', 'y', '--plan', 'z']);
  t.equal(r.code, 1);
  t.match(r.stderr, "unknown option '--usernme'");
  t.match(r.stderr, 'Did you mean --username?');
  t.notMatch(r.stderr, 'required option');
});

t.test('--help on the program and on every command', async (t) => {
  const top = wispd(['--help']);
  t.equal(top.code, 0);
  t.match(top.stdout, /^Usage: wispd \[options\] \[command\]/);
  for (const c of commands) t.match(top.stdout, new RegExp(`^  ${c}\\b`, 'm'), `lists ${c}`);
  for (const c of [...commands, ...subcommands]) {
    const r = wispd([...c.split(' '), '--help']);
    t.equal(r.code, 0, `${c} --help exits 0`);
    t.match(r.stdout, new RegExp(`^Usage: wispd ${c} `), `${c} --help shows its usage`);
    t.ok(r.stdout.split('\n').length >= 4, `${c} --help says something`);
  }
});

t.test('version', async (t) => {
  const r = wispd(['version']);
  t.equal(r.code, 0);
  t.match(r.stdout, /^wispd \d+\.\d+\.\d+ \(node v\d+\.\d+\.\d+\)\n$/);
});

t.test('an unknown command or option fails', async (t) => {
  const r = wispd(['strat']);
  t.equal(r.code, 1);
  t.match(r.stderr, /unknown command 'strat'/);
  const o = wispd(['check-config', '--verbose']);
  t.equal(o.code, 1);
  t.match(o.stderr, /unknown option '--verbose'/);
});

t.test('check-config', async (t) => {
  const dir = tmpDir(t);
  const ok = wispd(['check-config', '--config', 'config/wispd.example.yaml']);
  t.equal(ok.code, 0);
  t.match(ok.stdout, /^config\/wispd\.example\.yaml: valid\n {2}postgres: {3}embedded PGlite/);

  writeFileSync(`${dir}/misspelt.yaml`, 'nats:\n  subject_prefix: isp1\n  urll: nats://127.0.0.1:4222\n');
  const misspelt = wispd(['check-config', '--config', `${dir}/misspelt.yaml`]);
  t.equal(misspelt.code, 1, 'a misspelt key: non-zero');
  t.equal(
    misspelt.stderr,
    `wispd: ${dir}/misspelt.yaml is not a valid wispd config:\n  ${dir}/misspelt.yaml:3: unknown key nats.urll (did you mean nats.url?)\n`,
  );

  writeFileSync(`${dir}/bad.yaml`, 'daemon:\n  shutdown_timeout: forever\n');
  const bad = wispd(['check-config', '--config', `${dir}/bad.yaml`]);
  t.equal(bad.code, 1, 'a bad value: non-zero');
  t.match(
    bad.stderr,
    `bad.yaml:2: invalid value for daemon.shutdown_timeout: "forever" — must be a duration from 1s to 5m with a unit`,
    'names the key, the value and the reason',
  );

  const env = wispd(['check-config'], { env: { WISPD_DATABASE_POOL_SIZE: '0' } });
  t.equal(env.code, 1);
  t.match(
    env.stderr,
    'WISPD_DATABASE_POOL_SIZE: invalid value for database.pool_size: "0" — must be an integer from 1 to 200',
  );

  const viaEnv = wispd(['check-config'], { env: { WISPD_CONFIG: `${dir}/bad.yaml` } });
  t.equal(viaEnv.code, 1, 'WISPD_CONFIG names the file');
  t.match(viaEnv.stderr, 'bad.yaml:2');

  const missing = wispd(['check-config', '--config', `${dir}/nope.yaml`]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, 'nope.yaml: cannot read the file: no such file');
});

t.test('dump-config masks secrets and says where values came from', async (t) => {
  const dir = tmpDir(t);
  writeFileSync(
    `${dir}/secret.yaml`,
    'database:\n  url: postgres://wispd:db-s3cret@db:5432/wispd\nclickhouse:\n  password: ch-s3cret\n',
  );
  const r = wispd(['dump-config', '--config', `${dir}/secret.yaml`], {
    env: { WISPD_NATS_TOKEN: 'nats-s3cret', WISPD_LOG_LEVEL: 'warn' },
  });
  t.equal(r.code, 0, r.stderr);
  t.notMatch(r.stdout, /s3cret/, 'no secret in the output');
  t.match(r.stdout, `url: postgres://wispd:****@db:5432/wispd  # from ${dir}/secret.yaml:2`);
  t.match(r.stdout, 'password: "********"');
  t.match(r.stdout, 'token: "********"  # from WISPD_NATS_TOKEN');
  t.match(r.stdout, 'level: warn  # from WISPD_LOG_LEVEL');

  const documented = wispd(['dump-config', '--docs']);
  t.equal(documented.code, 0);
  t.match(documented.stdout, '# How long SIGTERM/SIGINT may take to drain');
  writeFileSync(`${dir}/documented.yaml`, documented.stdout);
  t.same(
    loadConfig(schema, { file: `${dir}/documented.yaml`, env: {} }),
    loadConfig(schema, { env: {} }),
    'the documented dump is itself a valid config with the defaults',
  );
});

t.test('npx wispd works in the checkout (package bin)', async (t) => {
  const r = spawnSync('npx', ['--no-install', 'wispd', 'version'], {
    cwd: repoRoot,
    env: cleanEnv(),
    encoding: 'utf8',
  });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^wispd \d+\.\d+\.\d+/);
});
