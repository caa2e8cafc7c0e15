// The FUP engine on its own, with a clock the test moves: counting only what is new, time-of-day windows, thresholds
// and their actions, top-ups, period changes, and a restart that counts nothing twice. Counters live in a real
// PostgreSQL (PGlite, or DATABASE_URL's server); the actions are recorded instead of sent (the CoA path has its own
// tests against a NAS).
import t from 'tap';
import { countedFraction, type FupRules, nextPeriodStart, periodStart } from '../../daemon/model/fup-rules.ts';
import { addPlan } from '../../daemon/model/plan.ts';
import { addSubscriber } from '../../daemon/model/subscriber.ts';
import { createFup, type Fup, type FupSubscriber } from '../../daemon/policy/fup/index.ts';
import type { AcctRecord } from '../../daemon/radius/accounting/record.ts';
import { SecretBox } from '../../daemon/security/secret-box.ts';
import { createBus } from '../../daemon/store/bus/index.ts';
import { createChanges } from '../../daemon/store/changes.ts';
import { defaults, silentLog } from '../helpers/env.ts';
import { recordedFupActions } from '../helpers/fup-actions.ts';
import { testDataDir, testPostgres } from '../helpers/stores.ts';

// Every store and the engine first: tap ends the file's test once its subtests are done, and runs its teardowns then.
const log = silentLog();
const postgres = await testPostgres(t, testDataDir(t), { poolSize: 2 });
const box = new SecretBox(Buffer.alloc(32, 7));
await addPlan(postgres, { name: 'p', rateDown: 20_000_000, rateUp: 5_000_000 });
const alice = await addSubscriber(postgres, box, { username: 'alice', password: 'x', plan: 'p' });
const bob = await addSubscriber(postgres, box, { username: 'bob', password: 'x', plan: 'p' });

const MB = 1_000_000;
const rules: FupRules = {
  quota: 100 * MB,
  period: 'day',
  thresholds: [
    { percent: 80, action: 'notify' },
    { percent: 100, action: 'throttle', rateDown: 1_000_000, rateUp: 512_000 },
    { percent: 150, action: 'block' },
  ],
  windows: [{ from: '01:00', to: '05:00', mode: 'free' }],
};
const subs = new Map<number, FupSubscriber>([
  [alice.id, { id: alice.id, username: 'alice', cycleDay: 1, rules }],
  [bob.id, { id: bob.id, username: 'bob', cycleDay: 1, rules }],
]);
let clock = new Date(2026, 10, 18, 12, 0).getTime();
const actions: string[] = [];
const events: Array<[string, unknown]> = [];
const bus = createBus(
  { url: '', subject_prefix: 'test', user: '', password: '', token: '', connect_timeout: 1000, request_timeout: 1000 },
  { log },
);
await bus.start();
bus.subscribe('fup.>', (data, m) => void events.push([m.subject, data]));

function engine(): Fup {
  return createFup(defaults.fup, {
    log,
    postgres,
    bus,
    changes: createChanges({ log, postgres }),
    subscriber: (id) => subs.get(id),
    now: () => clock,
    actions: recordedFupActions(actions),
  });
}

const rec = (username: string, sid: string, octets: number, status: AcctRecord['status'] = 'interim'): AcctRecord => ({
  ts: clock,
  event_time: Math.floor(clock / 1000),
  nas: 'n',
  nas_id: 1,
  nas_ip: '10.0.0.1',
  source: '10.0.0.1',
  status,
  acct_session_id: sid,
  username,
  subscriber_id: username === 'alice' ? alice.id : bob.id,
  framed_ip: '0.0.0.0',
  calling_station_id: '',
  nas_port_id: '',
  session_time: 0,
  input_octets: Math.floor(octets / 4),
  output_octets: octets - Math.floor(octets / 4),
  input_packets: 0,
  output_packets: 0,
  terminate_cause: '',
  delay_time: 0,
  class: '',
});

let fup = engine();
await fup.start();

t.test('periods and windows (local time)', async (t) => {
  const at = new Date(2026, 10, 18, 15, 30); // Wednesday 18 November 2026, 15:30
  t.same(periodStart('day', at), new Date(2026, 10, 18));
  t.same(periodStart('week', at), new Date(2026, 10, 16), 'weeks begin on Monday');
  t.same(periodStart('month', at), new Date(2026, 10, 1));
  t.same(periodStart('cycle', at, 20), new Date(2026, 9, 20), 'before the cycle day: the cycle began last month');
  t.same(periodStart('cycle', at, 10), new Date(2026, 10, 10));
  t.same(nextPeriodStart('month', at), new Date(2026, 11, 1));
  t.same(nextPeriodStart('cycle', new Date(2026, 11, 25), 20), new Date(2027, 0, 20), 'across the year');
  const night = [{ from: '22:00', to: '06:00', mode: 'free' as const }];
  t.equal(countedFraction(night, new Date(2026, 0, 1, 23, 0)), 0, 'inside a window that wraps midnight');
  t.equal(countedFraction(night, new Date(2026, 0, 1, 5, 59)), 0);
  t.equal(countedFraction(night, new Date(2026, 0, 1, 6, 0)), 1, 'the end is outside');
  t.equal(
    countedFraction([{ from: '12:00', to: '14:00', mode: 'boost', factor: 0.5 }], new Date(2026, 0, 1, 13, 0)),
    0.5,
  );
});

t.test('only what is new in a session counts; a repeated update adds nothing', async (t) => {
  fup.account(rec('alice', 'a1', 0, 'start'));
  fup.account(rec('alice', 'a1', 30 * MB));
  fup.account(rec('alice', 'a1', 30 * MB));
  fup.account(rec('alice', 'a1', 25 * MB));
  t.equal(fup.usage(alice.id)!.bytes, 30 * MB, 'a repeat and a smaller total are ignored');
  fup.account(rec('alice', 'a2', 10 * MB));
  t.equal(fup.usage(alice.id)!.bytes, 40 * MB, 'sessions add up');
});

t.test('traffic in a free window is not counted', async (t) => {
  clock = new Date(2026, 10, 18, 2, 0).getTime() + 86_400_000; // 02:00 the next day
  fup.account(rec('bob', 'b1', 0, 'start'));
  fup.account(rec('bob', 'b1', 50 * MB));
  t.equal(fup.usage(bob.id)!.bytes, 0, '02:00: free');
  clock += 4 * 3_600_000; // 06:00
  fup.account(rec('bob', 'b1', 60 * MB));
  t.equal(fup.usage(bob.id)!.bytes, 10 * MB, '06:00: only the new 10 MB count');
  clock = new Date(2026, 10, 18, 12, 0).getTime();
});

t.test('thresholds: notify at 80 %, throttle at 100 %, block at 150 %; each acted on once', async (t) => {
  actions.length = 0;
  events.length = 0;
  fup.account(rec('alice', 'a1', 75 * MB)); // 85 MB
  await bus.flush();
  t.same(actions, []);
  t.match(events, [['fup.notify', { username: 'alice', threshold: 80, bytes: 85 * MB, limit: 100 * MB }]]);
  t.same(fup.verdictById(alice.id), { action: 'none' });
  fup.account(rec('alice', 'a1', 95 * MB)); // 105 MB
  fup.account(rec('alice', 'a1', 96 * MB)); // 106 MB: already throttled
  await bus.flush();
  t.same(actions, ['throttle alice 1000000/512000']);
  t.same(fup.verdictById(alice.id), { action: 'throttle', rate: { rateDown: 1_000_000, rateUp: 512_000 } });
  t.equal(fup.usage(alice.id)!.state, 'throttle');
  fup.account(rec('alice', 'a2', 60 * MB)); // 156 MB
  t.same(actions, ['throttle alice 1000000/512000', 'block alice']);
  t.same(fup.verdictById(alice.id), { action: 'block' });
  await bus.flush();
  t.same(
    events.map(([s]) => s),
    ['fup.notify', 'fup.exceeded', 'fup.blocked'],
  );
});

t.test('a top-up lifts the subscriber back under: the rate comes back', async (t) => {
  actions.length = 0;
  const u = await fup.topup(alice.id, 100 * MB);
  t.match(u, { bytes: 156 * MB, limit: 200 * MB, topups: 100 * MB, percent: 78, state: 'none' });
  t.same(actions, ['restore alice (top-up: back under the threshold)']);
  t.same(fup.verdictById(alice.id), { action: 'none' });
});

t.test('a restart counts nothing twice and loses nothing', async (t) => {
  fup.account(rec('alice', 'a1', 100 * MB)); // +4 MB → 160 MB
  await fup.stop();
  fup = engine();
  await fup.start();
  t.equal(fup.usage(alice.id)!.bytes, 160 * MB, 'the counter survived');
  fup.account(rec('alice', 'a1', 100 * MB));
  t.equal(fup.usage(alice.id)!.bytes, 160 * MB, 'the same totals again after the restart: nothing added');
  fup.account(rec('alice', 'a1', 101 * MB));
  t.equal(fup.usage(alice.id)!.bytes, 161 * MB, 'the next update adds only its new megabyte');
  fup.account(rec('alice', 'a1', 101 * MB, 'stop'));
  fup.account(rec('alice', 'a1', 101 * MB, 'stop'));
  t.equal(fup.usage(alice.id)!.bytes, 161 * MB, 'a Stop and its retransmission add nothing');
});

t.test('a new period starts at zero and gives a restricted subscriber the rate back', async (t) => {
  fup.account(rec('alice', 'a3', 50 * MB)); // 211 MB of 200: throttled
  t.equal(fup.verdictById(alice.id).action, 'throttle');
  actions.length = 0;
  clock = new Date(2026, 10, 19, 0, 0, 5).getTime();
  await fup.tick();
  t.same(actions, ['restore alice (new period)']);
  t.match(
    fup.usage(alice.id),
    { bytes: 0, limit: 100 * MB, state: 'none' },
    'yesterday’s top-up expired with its period',
  );
  t.same(fup.verdictById(alice.id), { action: 'none' });
});

t.test('a usage query that is first to see the new period gives the rate back too', async (t) => {
  fup.account(rec('alice', 'a4', 120 * MB)); // over the daily quota again: throttled
  t.equal(fup.verdictById(alice.id).action, 'throttle');
  actions.length = 0;
  clock = new Date(2026, 10, 20, 0, 0, 1).getTime();
  t.match(fup.usage(alice.id), { bytes: 0, state: 'none' }, 'the panel or `wispd usage` asks before the tick');
  t.same(actions, ['restore alice (new period)'], 'and the restore is sent then, not lost');
  await fup.tick();
  t.same(actions, ['restore alice (new period)'], 'once');
  await fup.stop();
  await bus.stop();
});
