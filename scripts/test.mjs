#!/usr/bin/env node
// `npm test`: installs the Debian packages the suite talks to when they are missing, runs the tap suite (which
// includes the typecheck, the linter and the build), and ends with the line `N passed, N failed` and tap's exit code.
// Arguments are passed to tap: `npm test -- test/config/golden.test.ts`.
import { spawn, spawnSync } from 'node:child_process';

/** The real peers the tests talk to: a command, and the Debian package that provides it. */
const peers = [
  { command: 'nats-server', pkg: 'nats-server' },
  { command: 'radclient', pkg: 'freeradius-utils' },
  { command: 'freeradius', pkg: 'freeradius' },
  { command: 'snmpd', pkg: 'snmpd' },
  { command: 'chromium', pkg: 'chromium' },
];

const root = new URL('..', import.meta.url).pathname;
const has = (command) =>
  spawnSync('sh', ['-c', `command -v ${command} || test -x /usr/sbin/${command}`], { stdio: 'ignore' }).status === 0;

function aptGet(args) {
  const asRoot = process.getuid?.() === 0;
  if (!asRoot && !has('sudo')) return false;
  const [cmd, ...rest] = asRoot ? ['apt-get', ...args] : ['sudo', '-n', 'apt-get', ...args];
  const r = spawnSync(cmd, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0;
}

function installPeers() {
  const missing = peers.filter((p) => !has(p.command));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((p) => p.pkg))];
  console.log(
    `test: installing ${pkgs.join(', ')} with apt-get (missing: ${missing.map((p) => p.command).join(', ')})`,
  );
  const install = ['install', '-y', '--no-install-recommends', ...pkgs];
  if (!aptGet(install) && !(aptGet(['update']) && aptGet(install))) {
    console.error(
      `test: could not install ${pkgs.join(', ')}; install them (apt-get install ${pkgs.join(' ')}) and rerun`,
    );
    process.exit(1);
  }
}

installPeers();

const t0 = performance.now();
const tap = spawn(`${root}node_modules/.bin/tap`, process.argv.slice(2), {
  cwd: root,
  stdio: ['inherit', 'pipe', 'inherit'],
});
let summary;
let partial = '';
tap.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  partial += chunk.toString('utf8');
  const lines = partial.split('\n');
  partial = lines.pop();
  for (const line of lines) {
    // tap's last summary line: `# { total: T, pass: P, fail: F, skip: S }` (zero counts left out)
    const m = /^# \{ (total: \d+.*) \}$/.exec(line.trim());
    if (m)
      summary = Object.fromEntries(
        m[1]
          .split(', ')
          .map((kv) => kv.split(': '))
          .map(([k, v]) => [k, Number(v)]),
      );
  }
});
tap.on('exit', (code, signal) => {
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  if (!summary) {
    console.log(`test: tap ended (${signal ?? `exit ${code}`}) after ${seconds} s without a summary`);
    console.log('0 passed, 1 failed');
    process.exit(code || 1);
  }
  const skipped = (summary.skip ?? 0) + (summary.todo ?? 0);
  console.log(`test: ${seconds} s${skipped ? `, ${skipped} skipped or todo` : ''}`);
  console.log(`${summary.pass ?? 0} passed, ${summary.fail ?? 0} failed`);
  process.exit(code ?? 1);
});
