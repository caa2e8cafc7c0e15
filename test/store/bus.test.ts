// The bus, the same cases on the in-process implementation and on a real nats-server (NATS_URL's, or one started
// here): wildcards, queue groups, request/reply, failures, and JetStream on NATS.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import t, { type Test } from 'tap';
import { type Bus, createBus } from '../../daemon/store/bus/index.ts';
import { isPattern, isSubject, matches } from '../../daemon/store/bus/subject.ts';
import { natsUrl, randomId, silentLog } from '../helpers/env.ts';

const log = silentLog();

t.test('subject rules', async (t) => {
  const cases: Array<[string, string, boolean]> = [
    ['a.b', 'a.b', true],
    ['a.*', 'a.b', true],
    ['a.*', 'a.b.c', false],
    ['a.>', 'a.b.c', true],
    ['a.>', 'a', false],
    ['*.b', 'a.b', true],
    ['a.b', 'a.c', false],
    ['>', 'x.y', true],
  ];
  for (const [pattern, subject, expected] of cases)
    t.equal(matches(pattern, subject), expected, `${pattern} ~ ${subject}`);
  t.ok(isSubject('radius.auth.accept'));
  t.notOk(isSubject('a..b'));
  t.notOk(isSubject('a.*'));
  t.notOk(isSubject('has space'));
  t.ok(isPattern('a.*.c.>'));
  t.notOk(isPattern('a.>.c'));
});

const settle = (ms = 100) => new Promise((r) => setTimeout(r, ms));

async function behaves(t: Test, bus: Bus) {
  t.test('wildcards deliver what matches, and only that', async (t) => {
    const got: Array<[string, unknown]> = [];
    const one = bus.subscribe('device.*.down', (d, m) => void got.push([m.subject, d]));
    const all = bus.subscribe('session.>', (d, m) => void got.push([m.subject, d]));
    bus.publish('device.ap1.down', { at: 1 });
    bus.publish('device.ap1.up', { at: 2 });
    bus.publish('session.start.nas1', { user: 'alice' });
    bus.publish('session', 'not matched by session.>');
    await bus.flush();
    await settle();
    one.unsubscribe();
    all.unsubscribe();
    bus.publish('device.ap2.down', {});
    await bus.flush();
    await settle();
    t.same(got.sort(), [
      ['device.ap1.down', { at: 1 }],
      ['session.start.nas1', { user: 'alice' }],
    ]);
  });

  t.test('a queue group gets each message once; a plain subscriber gets all', async (t) => {
    const counts = { a: 0, b: 0, plain: 0 };
    const subs = [
      bus.subscribe('work.item', () => void counts.a++, { queue: 'workers' }),
      bus.subscribe('work.item', () => void counts.b++, { queue: 'workers' }),
      bus.subscribe('work.item', () => void counts.plain++),
    ];
    await bus.flush();
    for (let i = 0; i < 200; i++) bus.publish('work.item', i);
    await bus.flush();
    for (let i = 0; i < 50 && counts.plain < 200; i++) await settle(20);
    for (const s of subs) s.unsubscribe();
    t.equal(counts.a + counts.b, 200);
    t.equal(counts.plain, 200);
  });

  t.test('request and reply', async (t) => {
    const sub = bus.subscribe<{ a: number; b: number }>('math.add', async ({ a, b }) => a + b);
    const fail = bus.subscribe('math.fail', () => {
      throw new Error('divide by zero');
    });
    const slow = bus.subscribe('math.slow', () => new Promise((r) => setTimeout(() => r(1), 500)));
    const nothing = bus.subscribe('math.void', () => undefined);
    await bus.flush();
    t.equal(await bus.request<number>('math.add', { a: 2, b: 40 }), 42);
    t.equal(await bus.request('math.void', null), null);
    await t.rejects(bus.request('math.fail', {}), {
      code: 'WISPD_BUS_HANDLER_FAILED',
      message: 'bus: the handler of math.fail failed: divide by zero',
    });
    await t.rejects(bus.request('math.none', {}), { code: 'WISPD_BUS_NO_RESPONDERS' });
    await t.rejects(bus.request('math.slow', {}, { timeout: 50 }), { code: 'WISPD_BUS_TIMEOUT' });
    for (const s of [sub, fail, slow, nothing]) s.unsubscribe();
    await settle(500);
  });

  t.test('data arrives as a copy', async (t) => {
    const seen: unknown[] = [];
    const a = bus.subscribe<{ n: number[] }>('copy.x', (d) => {
      d.n.push(99);
    });
    const b = bus.subscribe('copy.x', (d) => void seen.push(d));
    const data = { n: [1] };
    bus.publish('copy.x', data);
    await bus.flush();
    await settle();
    a.unsubscribe();
    b.unsubscribe();
    t.same(data, { n: [1] }, 'the publisher keeps its object');
    t.same(seen, [{ n: [1] }], 'a subscriber does not see another one change it');
  });

  t.test('bad subjects are refused at once', async (t) => {
    t.throws(() => bus.publish('a..b', 1), { message: 'bus: invalid subject "a..b"' });
    t.throws(() => bus.publish('a.*', 1), TypeError);
    t.throws(() => bus.subscribe('a.>.b', () => {}), { message: 'bus: invalid subscription "a.>.b"' });
  });

  t.test('counters', async (t) => {
    t.match(bus.counters(), { published: Number, delivered: Number, handler_errors: 1, request_failures: 3 });
  });
}

t.test('in-process', async (t) => {
  const bus = createBus(
    {
      url: '',
      subject_prefix: `test.${randomId()}`,
      user: '',
      password: '',
      token: '',
      connect_timeout: 1000,
      request_timeout: 1000,
    },
    { log },
  );
  await bus.start();
  t.teardown(() => bus.stop());
  t.equal(bus.kind, 'memory');
  t.equal(bus.nats, undefined);
  t.equal(bus.describe(), 'in-process bus');
  await behaves(t, bus);
});

t.test('NATS', async (t) => {
  const url = await natsUrl(t);
  const prefix = `test.${randomId()}`;
  const bus = createBus(
    { url, subject_prefix: prefix, user: '', password: '', token: '', connect_timeout: 5000, request_timeout: 1000 },
    { log },
  );
  await bus.start();
  t.teardown(() => bus.stop());
  t.equal(bus.kind, 'nats');
  t.match(bus.describe(), /^NATS \(nats:\/\/.*, JetStream available\)$/);
  await behaves(t, bus);

  t.test('JetStream keeps what is published on the bus', async (t) => {
    const nc = bus.nats!;
    const jsm = await jetstreamManager(nc);
    const stream = `WISPD_TEST_${randomId().toUpperCase()}`;
    await jsm.streams.add({ name: stream, subjects: [bus.subject('telemetry.>')] });
    t.teardown(() => jsm.streams.delete(stream));
    bus.publish('telemetry.site1.snmp', { rows: 3 });
    bus.publish('telemetry.site2.epc', { rows: 5 });
    await bus.flush();
    const info = await jsm.streams.info(stream);
    t.equal(info.state.messages, 2);
    const msg = await jetstream(nc)
      .streams.get(stream)
      .then((s) => s.getMessage({ seq: 2 }));
    t.equal(msg?.subject, `${prefix}.telemetry.site2.epc`);
    t.same(msg?.json(), { rows: 5 });
  });

  t.test('an unreachable server is a clear error', async (t) => {
    const dead = createBus(
      {
        url: 'nats://u:secret@127.0.0.1:1',
        subject_prefix: 'x',
        user: '',
        password: '',
        token: '',
        connect_timeout: 500,
        request_timeout: 500,
      },
      { log },
    );
    const err = await dead.start().catch((e) => e);
    t.match(err, {
      code: 'WISPD_BUS_CONNECT',
      message: /cannot connect to NATS at nats:\/\/u:\*\*\*\*@127\.0\.0\.1:1/,
    });
    t.notMatch(err.message, /secret/);
    await dead.stop();
  });
});
