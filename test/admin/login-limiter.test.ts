// The failed-login limiter on its own, on a clock the test moves: limits per email and per address, the wait it
// reports, a success taking its attempt back, and memory bounded however many addresses try.
import t from 'tap';
import { LoginLimiter } from '../../admin/login-limiter.ts';

t.test('per email, per address, and the wait until the window ends', async (t) => {
  let now = 1_000_000;
  const l = new LoginLimiter({ perEmail: 2, perAddress: 3, windowMs: 60_000, now: () => now });
  t.equal(l.attempt('10.0.0.1', 'a@x'), 0);
  now += 10_000;
  t.equal(l.attempt('10.0.0.2', 'a@x'), 0);
  t.equal(l.attempt('10.0.0.3', 'a@x'), 50_000, 'the email is limited until its window (from the first failure) ends');
  t.equal(l.attempt('10.0.0.1', 'b@x'), 0);
  t.equal(l.attempt('10.0.0.1', 'c@x'), 0);
  t.equal(l.attempt('10.0.0.1', 'd@x'), 50_000, 'the address is limited after 3 attempts for any emails');
  now += 50_000;
  t.equal(l.attempt('10.0.0.1', 'a@x'), 0, 'both windows are over');
});

t.test('a success takes its own attempt back and forgets the email’s failures', async (t) => {
  const l = new LoginLimiter({ perEmail: 2, perAddress: 2, windowMs: 60_000, now: () => 0 });
  t.equal(l.attempt('10.0.0.1', 'a@x'), 0);
  l.succeeded('10.0.0.1', 'a@x');
  t.equal(l.attempt('10.0.0.1', 'a@x'), 0);
  l.succeeded('10.0.0.1', 'a@x');
  t.equal(l.attempt('10.0.0.1', 'a@x'), 0, 'right answers from one address never add up to a limit');
  t.equal(l.attempt('10.0.0.1', 'a@x'), 0);
  t.ok(l.attempt('10.0.0.1', 'a@x') > 0, 'two failures in flight: the third waits');
});

t.test('memory stays bounded', async (t) => {
  let now = 0;
  const l = new LoginLimiter({ perEmail: 5, perAddress: 5, windowMs: 1000, now: () => now, maxKeys: 100 });
  for (let i = 0; i < 10_000; i++) {
    l.attempt(`10.0.${i >> 8}.${i & 255}`, `u${i}@x`);
    if (i % 1000 === 0) now += 500;
  }
  t.ok(l.size <= 100, `${l.size} keys remembered`);
});
