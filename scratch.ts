import { createBus } from './daemon/store/bus/index.ts';
import { createLogger } from './daemon/log.ts';
const log = createLogger({ level: 'debug' });
for (const url of ['', 'nats://127.0.0.1:4222']) {
  const bus = createBus({ url, subject_prefix: 'scratch', user: '', password: '', token: '', connect_timeout: 2000, request_timeout: 500 }, { log });
  await bus.start();
  const got: unknown[] = [];
  bus.subscribe('a.*', (d, m) => { got.push([m.subject, d]); });
  bus.subscribe('rpc.add', (d: {a:number,b:number}) => d.a + d.b);
  bus.subscribe('rpc.fail', () => { throw new Error('nope'); });
  bus.publish('a.b', { x: 1 }); bus.publish('a.b.c', 2);
  console.log(await bus.request('rpc.add', {a: 2, b: 3}));
  for (const s of ['rpc.fail', 'rpc.none']) try { await bus.request(s, 1); } catch (e) { console.log(e.code, e.message); }
  await bus.flush(); await new Promise(r => setTimeout(r, 50));
  console.log(bus.kind, got, bus.counters(), bus.describe());
  await bus.stop();
}
