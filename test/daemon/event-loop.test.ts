// The event-loop monitor warns about stalls while the daemon serves, not about the boot's own work (imports, the
// panel's build), which is logged at debug once ready.
import t from 'tap';
import { createEventLoopMonitor } from '../../daemon/event-loop.ts';
import { capturedLog } from '../helpers/env.ts';

const block = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {}
};
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('a stall during the boot is not a warning; one after ready is', async (t) => {
  const { log, lines } = capturedLog('debug');
  const monitor = createEventLoopMonitor(log, 100, 50);
  await monitor.start();
  t.teardown(() => monitor.stop());
  await tick(20);
  block(200);
  await tick(150);
  t.same(
    lines.filter((l) => l.msg === 'the event loop stalled'),
    [],
    'the boot held the loop 200 ms: no warning',
  );
  monitor.afterReady?.();
  t.ok(
    lines.some((l) => l.msg === 'event loop' && l.boot === true),
    'what the boot took is at debug',
  );
  await tick(20);
  block(200);
  await tick(250);
  t.ok(
    lines.some((l) => l.msg === 'the event loop stalled' && l.level === 40),
    'a 200 ms stall while serving is a warning',
  );
});
