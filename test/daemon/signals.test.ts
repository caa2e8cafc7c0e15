// How the process ends: a signal drains; the backstop bounds a drain that hangs; a second signal exits at once; a
// failed boot exits non-zero. Run on a fixture daemon whose stop can be made slow, the way `wispd start` runs.
import t from 'tap';
import { repoRoot } from '../helpers/env.ts';
import { Child } from '../helpers/proc.ts';

const fixture = (env: Record<string, string>) =>
  new Child(process.execPath, ['--import=tsx', `${repoRoot}/test/fixtures/slow-stop.ts`], { env });

t.test('SIGTERM drains and exits 0', async (t) => {
  const p = fixture({ STOP_MS: '100' });
  await p.waitFor('ready');
  p.kill('SIGTERM');
  const { code } = await p.exited;
  t.equal(code, 0);
  t.ok(p.lines.some((l) => l.msg === 'stopped'));
});

t.test('a stop that hangs is cut off by the backstop', async (t) => {
  const p = fixture({ SHUTDOWN_MS: '700' });
  await p.waitFor('ready');
  const t0 = performance.now();
  p.kill('SIGTERM');
  const { code, at } = await p.exited;
  t.equal(code, 1);
  t.ok(at - t0 >= 650 && at - t0 < 5000, `exited after ${Math.round(at - t0)} ms`);
  t.match(p.lines.at(-1), { msg: 'shutdown timed out; exiting', code: 'WISPD_SHUTDOWN_TIMEOUT' });
});

for (const [signal, expected] of [
  ['SIGTERM', 143],
  ['SIGINT', 130],
] as const) {
  t.test(`a second ${signal} exits at once with ${expected}`, async (t) => {
    const p = fixture({ SHUTDOWN_MS: '30000' });
    await p.waitFor('ready');
    const t0 = performance.now();
    p.kill(signal);
    await p.waitFor('stopping');
    p.kill(signal);
    const { code, at } = await p.exited;
    t.equal(code, expected);
    t.ok(at - t0 < 5000, `exited after ${Math.round(at - t0)} ms`);
    t.match(p.lines.at(-1), { msg: 'second signal: exiting without draining', signal });
  });
}

t.test('a failed boot exits 1 and says why', async (t) => {
  const p = fixture({ FAIL_START: '1', STOP_MS: '0' });
  const { code } = await p.exited;
  t.equal(code, 1);
  t.match(p.lines.at(-1), { level: 'fatal', msg: 'boot failed', err: 'cannot start' });
});
