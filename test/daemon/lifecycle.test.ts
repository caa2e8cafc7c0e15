// Components start in order and stop in reverse; a failed start unwinds; a stop during the start waits for it.
import t from 'tap';
import type { Component } from '../../daemon/lib/component.ts';
import { Lifecycle } from '../../daemon/lifecycle.ts';
import { silentLog } from '../helpers/env.ts';

function component(name: string, events: string[], opts: { failStart?: boolean; startMs?: number } = {}): Component {
  return {
    name,
    async start() {
      events.push(`start ${name}`);
      if (opts.startMs) await new Promise((r) => setTimeout(r, opts.startMs));
      if (opts.failStart) throw new Error(`${name} is broken`);
    },
    async stop() {
      events.push(`stop ${name}`);
    },
    counters: () => ({ [name]: 1 }),
    describe: () => name,
  };
}

t.test('start in order, stop in reverse, once', async (t) => {
  const events: string[] = [];
  const l = new Lifecycle(silentLog());
  for (const n of ['data', 'postgres', 'clickhouse', 'bus']) l.add(component(n, events));
  t.equal(await l.start(), true);
  await Promise.all([l.stop(), l.stop()]);
  t.same(events, [
    'start data',
    'start postgres',
    'start clickhouse',
    'start bus',
    'stop bus',
    'stop clickhouse',
    'stop postgres',
    'stop data',
  ]);
  t.same(l.counters(), {
    data: { data: 1 },
    postgres: { postgres: 1 },
    clickhouse: { clickhouse: 1 },
    bus: { bus: 1 },
  });
});

t.test('a failed start stops what started, the failed one included, and says which failed', async (t) => {
  const events: string[] = [];
  const l = new Lifecycle(silentLog());
  l.add(component('a', events));
  l.add(component('b', events, { failStart: true }));
  l.add(component('c', events));
  await t.rejects(l.start(), { code: 'WISPD_COMPONENT_START', message: 'b failed to start: b is broken' });
  t.same(events, ['start a', 'start b', 'stop b', 'stop a']);
});

t.test('a stop during the start lets the current one finish and starts no more', async (t) => {
  const events: string[] = [];
  const l = new Lifecycle(silentLog());
  l.add(component('a', events));
  l.add(component('slow', events, { startMs: 100 }));
  l.add(component('never', events));
  const started = l.start();
  await new Promise((r) => setTimeout(r, 20));
  await l.stop();
  t.equal(await started, false);
  t.same(events, ['start a', 'start slow', 'stop slow', 'stop a']);
});
