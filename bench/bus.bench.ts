// The bus: request/reply round trips and publish→deliver throughput, in-process and on NATS (NATS_URL, else a
// nats-server on 127.0.0.1:4222 when one answers), in the same run, with the ratio.
// Usage: node --import=tsx bench/bus.bench.ts [--seconds 3]
import { connect as tcp } from 'node:net';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { type Bus, createBus } from '../daemon/store/bus/index.ts';
import { latencies, report } from './lib.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, help: { type: 'boolean' } } });
if (values.help) {
  console.log('Usage: node --import=tsx bench/bus.bench.ts [--seconds N]\nPrints one JSON line per result.');
  process.exit(0);
}
const seconds = Number(values.seconds);

const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = tcp(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

async function requests(bus: Bus): Promise<{ rps: number; p50_ms: number; p99_ms: number }> {
  const sub = bus.subscribe<number>('bench.echo', (n) => n);
  await bus.flush();
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  // 16 requests in flight: a few components talking at once, not one at a time.
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await bus.request('bench.echo', 1);
        samples.push(performance.now() - t0);
      }
    }),
  );
  sub.unsubscribe();
  return { rps: samples.length / seconds, ...latencies(samples) };
}

async function publishes(bus: Bus): Promise<{ rps: number }> {
  let received = 0;
  const sub = bus.subscribe('bench.events.>', () => {
    received++;
  });
  await bus.flush();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let sent = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) bus.publish('bench.events.device.up', { device: 'ap-17', at: sent++ });
    await bus.flush();
  }
  while (received < sent && performance.now() < end + 5000) await new Promise((r) => setTimeout(r, 5));
  sub.unsubscribe();
  return { rps: received / ((performance.now() - t0) / 1000) };
}

const log = pino({ level: 'silent' });
const base = {
  subject_prefix: 'bench',
  user: '',
  password: '',
  token: '',
  connect_timeout: 3000,
  request_timeout: 5000,
};
const natsUrl = process.env.NATS_URL ?? ((await answers(4222)) ? 'nats://127.0.0.1:4222' : '');

const results: Record<string, { request: Awaited<ReturnType<typeof requests>>; publish: { rps: number } }> = {};
for (const [name, url] of [
  ['memory', ''],
  ['nats', natsUrl],
] as const) {
  if (name === 'nats' && url === '') {
    report('bus.peer', { note: 'no NATS server (set NATS_URL): NATS not measured' });
    continue;
  }
  const bus = createBus({ ...base, url }, { log });
  await bus.start();
  const request = await requests(bus);
  const publish = await publishes(bus);
  await bus.stop();
  results[name] = { request, publish };
  report(`bus.request.${name}`, request);
  report(`bus.publish.${name}`, publish);
}
if (results.memory && results.nats) {
  report('bus.ratio.memory_vs_nats', {
    request_rps: results.memory.request.rps / results.nats.request.rps,
    publish_rps: results.memory.publish.rps / results.nats.publish.rps,
  });
}
