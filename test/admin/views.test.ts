// The subscriber page and the dashboard over real stores: PostgreSQL (PGlite, or DATABASE_URL's server) and embedded
// chDB, both migrated as the daemon migrates them. Accounting goes through the accounting component (spool, then
// ClickHouse) and the live session table; FUP counts through its engine; auth-log and CoA-ledger rows are written in
// the TabSeparated form their batchers write. The clock is fixed at noon UTC today, so every figure is exact: usage per
// day (octet totals turned into daily deltas, across midnight and across the window's first day), rejects by reason,
// rates per minute, top users, restricted subscribers, devices down; the same answers from the daemon's memory and
// from the tables; 404, 400, 401 and each role per the permission table; a page that outlives ClickHouse.
import t from 'tap';
import { buildAdminApp } from '../../admin/app.ts';
import { can, PERMISSIONS } from '../../admin/permissions.ts';
import { dashboard, registerViews, subscriberOverview, type ViewsDeps } from '../../admin/views/index.ts';
import { loadConfig } from '../../config/load.ts';
import { schema } from '../../config/schema.ts';
import { tsvMillis } from '../../contracts/tsv.ts';
import { LEDGER_COLUMNS } from '../../daemon/coa/index.ts';
import { addDevice, addSite, recordPolls, recordStatus } from '../../daemon/model/device.ts';
import { rulesOf } from '../../daemon/model/fup-rules.ts';
import { addNas } from '../../daemon/model/nas.ts';
import { addPlan, type Plan } from '../../daemon/model/plan.ts';
import { createStaff, STAFF_ROLES, type StaffRole } from '../../daemon/model/staff.ts';
import { addSubscriber, type Subscriber } from '../../daemon/model/subscriber.ts';
import { createFup, type FupSubscriber } from '../../daemon/policy/fup/index.ts';
import { createAccounting } from '../../daemon/radius/accounting/index.ts';
import type { AcctRecord } from '../../daemon/radius/accounting/record.ts';
import { AUTH_LOG_COLUMNS } from '../../daemon/radius/auth-log.ts';
import { createSessions } from '../../daemon/radius/sessions/index.ts';
import { SecretBox } from '../../daemon/security/secret-box.ts';
import { createBus } from '../../daemon/store/bus/index.ts';
import { createChanges } from '../../daemon/store/changes.ts';
import { defaults, silentLog } from '../helpers/env.ts';
import { recordedFupActions } from '../helpers/fup-actions.ts';
import { testStores } from '../helpers/stores.ts';

const log = silentLog();
const config = loadConfig(schema, { text: '', env: {} });
const { dataDir, postgres, clickhouse } = await testStores(t);

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const today = new Date();
/** Noon UTC today: every day boundary below is a UTC midnight. */
const NOW = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate(), 12);
const MIDNIGHT = NOW - 12 * HOUR;
const day = (k: number) => new Date(MIDNIGHT + k * DAY).toISOString().slice(0, 10);
/** `k` days from today at hh:mm UTC. */
const at = (k: number, hh: number, mm = 0) => MIDNIGHT + k * DAY + hh * HOUR + mm * MIN;

// ---- PostgreSQL: plans, NAS, subscribers, devices, staff ----

const box = new SecretBox(Buffer.alloc(32, 7));
const plans: Record<string, Plan> = {
  home: await addPlan(postgres, {
    name: 'home',
    rateDown: 50_000_000,
    rateUp: 10_000_000,
    burstDown: 60_000_000,
    burstUp: 12_000_000,
    fupQuota: 100_000_000,
    fupPeriod: 'day',
    fupThrottleDown: 1_000_000,
    fupThrottleUp: 512_000,
  }),
  capped: await addPlan(postgres, {
    name: 'capped',
    rateDown: 10_000_000,
    rateUp: 2_000_000,
    fupQuota: 1_000_000,
    fupPeriod: 'day',
  }),
  plain: await addPlan(postgres, { name: 'plain', rateDown: 20_000_000, rateUp: 5_000_000 }),
};
const nas1 = await addNas(postgres, box, { name: 'bras-1', address: '10.0.0.1', secret: 'secret-one' });
const nas2 = await addNas(postgres, box, { name: 'bras-2', address: '10.0.0.2', secret: 'secret-two' });
const nas3 = await addNas(postgres, box, { name: 'bras-3', address: '10.0.0.3', secret: 'secret-three' });
const subs: Record<string, Subscriber> = {};
for (const [username, plan, extra] of [
  ['alice', 'home', { ip: '100.64.0.10', mac: 'aa:bb:cc:00:00:01', simultaneousUse: 2 }],
  ['bob', 'home', {}],
  ['carol', 'plain', { status: 'suspended' }],
  ['dave', 'plain', { expiresAt: new Date(NOW - DAY) }],
  ['erin', 'plain', {}],
  ['frank', 'capped', {}],
  ['gina', 'home', {}],
] as const) {
  subs[username] = await addSubscriber(postgres, box, { username, password: 'pw', plan, ...extra });
}

await addSite(postgres, { name: 'tower-1' });
for (const [name, role] of [
  ['ap-1', 'ap'],
  ['bh-1', 'backhaul'],
  ['cpe-9', 'cpe'],
] as const) {
  await addDevice(postgres, box, { name, role, address: '10.9.0.1', site: 'tower-1' }, { profiles: [] });
}
await recordStatus(postgres, { device: 'ap-1', status: 'down', ts: NOW - 2 * HOUR });
await recordStatus(postgres, { device: 'bh-1', status: 'down', ts: NOW - 30 * MIN });
await recordStatus(postgres, { device: 'cpe-9', status: 'up', ts: NOW - 3 * HOUR });
await recordPolls(postgres, [{ device: 'ap-1', at: NOW - HOUR, ms: 3000, error: 'timeout' }]);

const PASSWORD = 'long enough password';
for (const role of STAFF_ROLES) {
  await createStaff(
    postgres,
    { staffId: null, name: 'cli:test' },
    { email: `${role}@example.net`, password: PASSWORD, role },
  );
}

// ---- accounting: the accounting component (spool → ClickHouse), the live session table and the FUP engine ----

const nasOf = { [nas1.id]: nas1, [nas2.id]: nas2, [nas3.id]: nas3 };
function acct(
  ts: number,
  nasId: number,
  sid: string,
  username: string,
  status: AcctRecord['status'],
  input: number,
  output: number,
  started = ts,
): AcctRecord {
  const nas = nasOf[nasId]!;
  return {
    ts,
    event_time: Math.floor(ts / 1000),
    nas: nas.name,
    nas_id: nas.id,
    nas_ip: nas.address.replace(/\/\d+$/, ''),
    source: nas.address.replace(/\/\d+$/, ''),
    status,
    acct_session_id: sid,
    username,
    subscriber_id: username ? subs[username]!.id : 0,
    framed_ip: username === 'alice' ? (nasId === nas1.id ? '10.1.0.1' : '10.1.0.2') : '10.1.0.9',
    calling_station_id: 'aa-bb-cc-00-00-01',
    nas_port_id: `port-${sid}`,
    session_time: Math.round((ts - started) / 1000),
    input_octets: input,
    output_octets: output,
    input_packets: 0,
    output_packets: 0,
    terminate_cause: status === 'stop' ? 'User-Request' : '',
    delay_time: 0,
    class: '',
  };
}

const aOld = at(-40, 12);
const aLive = at(-1, 22);
const aSecond = at(0, 9);
const bStart = at(-2, 18);
const records: AcctRecord[] = [
  // alice, a session older than the window: only what it moved inside the window counts.
  acct(aOld, nas1.id, 'a-old', 'alice', 'start', 0, 0),
  acct(at(-35, 10), nas1.id, 'a-old', 'alice', 'interim', 500, 5_000, aOld),
  acct(at(-30, 10), nas1.id, 'a-old', 'alice', 'interim', 1_000, 10_000, aOld),
  acct(at(-29, 8), nas1.id, 'a-old', 'alice', 'interim', 1_600, 16_000, aOld),
  acct(at(-28, 9), nas1.id, 'a-old', 'alice', 'stop', 2_000, 20_000, aOld),
  // the same session id on another NAS is another session
  acct(at(-5, 10), nas2.id, 'a-live', 'alice', 'start', 0, 0),
  acct(at(-5, 11), nas2.id, 'a-live', 'alice', 'stop', 7_000, 70_000, at(-5, 10)),
  // across midnight: yesterday's last total is today's base
  acct(aLive, nas1.id, 'a-live', 'alice', 'start', 0, 0),
  acct(at(-1, 23, 55), nas1.id, 'a-live', 'alice', 'interim', 3_000, 30_000, aLive),
  acct(at(0, 0, 5), nas1.id, 'a-live', 'alice', 'interim', 3_500, 35_000, aLive),
  acct(at(0, 11), nas1.id, 'a-live', 'alice', 'interim', 40_000_000, 80_000_000, aLive),
  acct(aSecond, nas2.id, 'a-second', 'alice', 'start', 0, 0),
  acct(at(0, 11, 50), nas2.id, 'a-second', 'alice', 'interim', 1_000_000, 2_000_000, aSecond),
  // bob: 85 MB in the session's totals, but 10 MB of it was yesterday's
  acct(bStart, nas1.id, 'b1', 'bob', 'start', 0, 0),
  acct(at(-1, 20), nas1.id, 'b1', 'bob', 'interim', 5_000_000, 5_000_000, bStart),
  acct(at(0, 10), nas1.id, 'b1', 'bob', 'interim', 25_000_000, 60_000_000, bStart),
  // erin: 80 MB today in one short session
  acct(at(0, 11, 46), nas2.id, 'e1', 'erin', 'start', 0, 0),
  acct(at(0, 11, 58) + 30_000, nas2.id, 'e1', 'erin', 'stop', 10_000_000, 70_000_000, at(0, 11, 46)),
  // frank: over a quota whose action is a block
  acct(at(0, 8), nas1.id, 'f1', 'frank', 'start', 0, 0),
  acct(at(0, 9), nas1.id, 'f1', 'frank', 'interim', 1_000_000, 1_000_000, at(0, 8)),
  // a NAS restart: no subscriber, in the accounting rate only
  acct(at(0, 11, 47), nas3.id, '', '', 'on', 0, 0),
].sort((a, b) => a.ts - b.ts);

const accounting = createAccounting(config.accounting, {
  log,
  dataDir,
  clickhouse,
  instance: () => '00000000-0000-0000-0000-000000000001',
  duplicateWindow: 10_000,
});
await accounting.start();
t.teardown(() => accounting.stop());
for (const r of records) await accounting.record(r);
if (!(await accounting.drain(20_000))) throw new Error('accounting did not drain into ClickHouse');

const sessions = createSessions(config.radius, {
  log,
  postgres,
  directory: { interimInterval: () => 300, nasName: () => '' },
  accounting: { record: async () => 0 },
});
for (const r of records) sessions.apply(r);
await sessions.flush(true);

const bus = createBus(
  { url: '', subject_prefix: 'test', user: '', password: '', token: '', connect_timeout: 1000, request_timeout: 1000 },
  { log },
);
await bus.start();
t.teardown(() => bus.stop());
const fupActions: string[] = [];
const fupSubscriber = (id: number): FupSubscriber | undefined => {
  const s = Object.values(subs).find((x) => x.id === id);
  if (!s) return undefined;
  return { id, username: s.username, cycleDay: s.cycleDay, rules: rulesOf(plans[s.plan]!) };
};
const fup = createFup(defaults.fup, {
  log,
  postgres,
  bus,
  changes: createChanges({ log, postgres }),
  subscriber: fupSubscriber,
  actions: recordedFupActions(fupActions),
  now: () => fupClock,
});
let fupClock = NOW;
for (const r of records) if (r.ts >= at(-2, 0)) fup.account(r);
await fup.topup(subs.bob!.id, 50_000_000, { actor: 'billing@example.net' });
// gina went over yesterday's quota; the day has ended since, and the engine has not ticked yet.
fupClock = NOW - DAY;
fup.account(acct(NOW - DAY, nas1.id, 'g1', 'gina', 'interim', 100_000_000, 50_000_000, NOW - DAY - HOUR));
fupClock = NOW;
await fup.flush();

// ---- the auth log and the CoA ledger, as their batchers write them ----

const authRows: Array<[number, string, 'accept' | 'reject', string]> = [
  [NOW, 'erin', 'accept', ''],
  [NOW - 30_000, 'alice', 'accept', ''],
  [NOW - 40_000, 'zed', 'reject', 'unknown-user'],
  [NOW - 50_000, 'alice', 'reject', 'bad-password'],
  [NOW - 5 * MIN, 'bob', 'accept', ''],
  [NOW - 5 * MIN + 1000, 'bob', 'accept', ''],
  [NOW - 15 * MIN, 'erin', 'accept', ''],
  [NOW - 16 * MIN, 'erin', 'reject', 'mac-mismatch'],
  [NOW - 2 * HOUR, 'carol', 'reject', 'suspended'],
  [NOW - 3 * HOUR, 'alice', 'reject', 'mac-mismatch'],
  [NOW - 6 * HOUR, 'alice', 'reject', 'bad-password'],
  [NOW - 23 * HOUR, 'bob', 'reject', 'bad-password'],
  [NOW - 25 * HOUR, 'bob', 'reject', 'bad-password'],
  [NOW - 10 * DAY, 'alice', 'reject', 'bad-password'],
];
await clickhouse.insertTsv(
  'radius_auth_log',
  AUTH_LOG_COLUMNS,
  authRows.map(
    ([ts, user, result, reason]) =>
      `${tsvMillis(ts)}\t00000000-0000-0000-0000-000000000001\tbras-1\t10.0.0.1\t${user}\t${result}\t${reason}\tpap\t${result === 'accept' ? 'home' : ''}\taa-bb-cc-00-00-01\tport-1\n`,
  ),
);
const ledger: Array<[number, string, string, string, string, string, string]> = [
  // ts, username, kind, action, actor, outcome, error cause
  [NOW - 2 * HOUR, 'alice', 'disconnect', 'disconnect', 'support@example.net', 'ack', ''],
  [NOW - HOUR, 'alice', 'coa', 'change-rate', 'noc@example.net', 'nak', 'Session-Context-Not-Found'],
  [NOW - 10 * MIN, 'alice', 'coa', 'fup-throttle', 'fup', 'ack', ''],
  [NOW - 5 * MIN, 'bob', 'disconnect', 'disconnect', 'noc@example.net', 'timeout', ''],
];
await clickhouse.insertTsv(
  'coa_ledger',
  LEDGER_COLUMNS,
  ledger.map(
    ([ts, user, kind, action, actor, outcome, cause]) =>
      `${tsvMillis(ts)}\t00000000-0000-0000-0000-000000000001\tbras-1\t10.0.0.1\t${kind}\t${action}\t${actor}\tstaff\t${user}\ta-live\t10.1.0.1\tFilter-Id=slow\t${outcome === 'timeout' ? 3 : 1}\t${outcome}\t${cause}\t${outcome === 'timeout' ? '3000.00' : '4.50'}\t\n`,
  ),
);

// ---- the deps: as the daemon gives them (memory), and with the tables only ----

const engine: ViewsDeps = {
  postgres,
  clickhouse,
  sessions,
  fup,
  counters: () => ({
    radius: { access_requests: 120, accounting_requests: 300, accepts: 100, rejects: 20 },
    sessions: sessions.counters(),
  }),
  now: () => NOW,
  timeZone: 'UTC',
};
const tables: ViewsDeps = { postgres, clickhouse, now: () => NOW, timeZone: 'UTC' };

const panel = await buildAdminApp(
  { ...config.admin, session_ttl: DAY },
  { log, postgres, ready: () => true, counters: () => ({}), now: () => NOW },
);
const views = registerViews(panel.app, panel.auth, engine);
const app = panel.app;
t.teardown(() => app.close());

const cookies = {} as Record<StaffRole, string>;
for (const role of STAFF_ROLES) {
  const res = await app.inject({
    method: 'POST',
    url: '/admin/api/login',
    payload: { email: `${role}@example.net`, password: PASSWORD },
  });
  cookies[role] = String(res.headers['set-cookie']).split(';')[0]!;
}
const get = (path: string, role: StaffRole | null = 'support') =>
  app.inject({ method: 'GET', url: path, headers: role ? { cookie: cookies[role] } : {} });

const zeroDays = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ day: day(from + i), inputOctets: 0, outputOctets: 0 }));
const aliceUsage = zeroDays(-29, 0).map((d) => {
  const byDay: Record<string, [number, number]> = {
    [day(-29)]: [600, 6_000],
    [day(-28)]: [400, 4_000],
    [day(-5)]: [7_000, 70_000],
    [day(-1)]: [3_000, 30_000],
    [day(0)]: [40_000_000 - 3_000 + 1_000_000, 80_000_000 - 30_000 + 2_000_000],
  };
  const v = byDay[d.day];
  return v ? { day: d.day, inputOctets: v[0], outputOctets: v[1] } : d;
});

t.test('the subscriber page: status, plan, online now, auth, usage per day, FUP, CoA history', async (t) => {
  const res = await get('/admin/api/views/subscriber/alice');
  t.equal(res.statusCode, 200);
  t.equal(res.headers['cache-control'], 'no-store');
  const page = res.json();
  t.same(page.subscriber, {
    id: subs.alice!.id,
    username: 'alice',
    status: 'active',
    effectiveStatus: 'active',
    expiresAt: null,
    staticIp: '100.64.0.10',
    mac: 'aabbcc000001',
    cycleDay: 1,
    simultaneousUse: 2,
    createdAt: subs.alice!.createdAt.toISOString(),
    updatedAt: subs.alice!.updatedAt.toISOString(),
  });
  t.same(page.plan, {
    id: plans.home!.id,
    name: 'home',
    rateDown: 50_000_000,
    rateUp: 10_000_000,
    burstDown: 60_000_000,
    burstUp: 12_000_000,
  });

  t.equal(page.online.source, 'memory');
  t.same(page.online.sessions, [
    {
      nas: 'bras-1',
      nasId: nas1.id,
      nasAddress: '10.0.0.1',
      acctSessionId: 'a-live',
      framedIp: '10.1.0.1',
      callingStationId: 'aa-bb-cc-00-00-01',
      nasPortId: 'port-a-live',
      since: new Date(aLive).toISOString(),
      updatedAt: new Date(at(0, 11)).toISOString(),
      sessionTime: (at(0, 11) - aLive) / 1000,
      inputOctets: 40_000_000,
      outputOctets: 80_000_000,
      lastCoa: null,
    },
    {
      nas: 'bras-2',
      nasId: nas2.id,
      nasAddress: '10.0.0.2',
      acctSessionId: 'a-second',
      framedIp: '10.1.0.2',
      callingStationId: 'aa-bb-cc-00-00-01',
      nasPortId: 'port-a-second',
      since: new Date(aSecond).toISOString(),
      updatedAt: new Date(at(0, 11, 50)).toISOString(),
      sessionTime: (at(0, 11, 50) - aSecond) / 1000,
      inputOctets: 1_000_000,
      outputOctets: 2_000_000,
      lastCoa: null,
    },
  ]);

  t.same(
    page.auth.map((a: { ts: string; result: string; reason: string }) => [a.ts, a.result, a.reason]),
    [
      [new Date(NOW - 30_000).toISOString(), 'accept', ''],
      [new Date(NOW - 50_000).toISOString(), 'reject', 'bad-password'],
      [new Date(NOW - 3 * HOUR).toISOString(), 'reject', 'mac-mismatch'],
      [new Date(NOW - 6 * HOUR).toISOString(), 'reject', 'bad-password'],
      [new Date(NOW - 10 * DAY).toISOString(), 'reject', 'bad-password'],
    ],
    'newest first, with reasons',
  );
  t.match(page.auth[0], { method: 'pap', plan: 'home', nas: 'bras-1', callingStationId: 'aa-bb-cc-00-00-01' });

  t.equal(page.usage.timeZone, 'UTC');
  t.equal(page.usage.days.length, 30, 'thirty days, today included, empty ones as zeros');
  t.same(page.usage.days, aliceUsage);
  t.equal(page.usage.inputOctets, 600 + 400 + 7_000 + 3_000 + 40_997_000);
  t.equal(page.usage.outputOctets, 6_000 + 4_000 + 70_000 + 30_000 + 81_970_000);

  t.same(page.fup, {
    period: 'day',
    periodStart: new Date(new Date(NOW).setHours(0, 0, 0, 0)).toISOString(),
    periodEnd: new Date(new Date(NOW + DAY).setHours(0, 0, 0, 0)).toISOString(),
    used: 123_000_000,
    quota: 100_000_000,
    topupBytes: 0,
    limit: 100_000_000,
    percent: 123,
    state: 'throttle',
    throttledTo: { rateDown: 1_000_000, rateUp: 512_000 },
    topups: [],
    source: 'engine',
  });
  t.same(
    fupActions.filter((a) => a.includes('alice')),
    ['throttle alice 1000000/512000'],
    'the engine throttled her',
  );

  t.same(
    page.coa.map((c: { ts: string; action: string; outcome: string; errorCause: string }) => [
      c.ts,
      c.action,
      c.outcome,
      c.errorCause,
    ]),
    [
      [new Date(NOW - 10 * MIN).toISOString(), 'fup-throttle', 'ack', ''],
      [new Date(NOW - HOUR).toISOString(), 'change-rate', 'nak', 'Session-Context-Not-Found'],
      [new Date(NOW - 2 * HOUR).toISOString(), 'disconnect', 'ack', ''],
    ],
  );
  t.match(page.coa[1], { kind: 'coa', actor: 'noc@example.net', attempts: 1, latencyMs: 4.5, nas: 'bras-1' });
  t.same(page.unavailable, []);
  t.equal(page.generatedAt, new Date(NOW).toISOString());

  const short = (await get('/admin/api/views/subscriber/alice?limit=2&days=7')).json();
  t.equal(short.auth.length, 2, 'limit applies to auth results');
  t.equal(short.coa.length, 2, 'and to CoA history');
  t.same(short.usage.days, aliceUsage.slice(-7), 'days picks the window; the base still comes from the day before');
});

t.test('the same page from the tables alone (no session table, no FUP engine in this process)', async (t) => {
  const mem = await subscriberOverview(engine, 'alice');
  const db = await subscriberOverview(tables, 'alice');
  t.equal(db.online.source, 'postgres');
  t.same(db.online.sessions, mem.online.sessions, 'radius_session holds what the table wrote');
  t.same({ ...db.fup, source: 'engine' }, mem.fup, 'fup_counter and the plan give the engine’s answer');
  t.same(db.usage, mem.usage);

  const bob = await subscriberOverview(tables, 'bob');
  t.match(bob.fup, {
    used: 85_000_000,
    quota: 100_000_000,
    topupBytes: 50_000_000,
    limit: 150_000_000,
    state: 'none',
    throttledTo: null,
    source: 'tables',
  });
  t.equal(bob.fup!.topups.length, 1);
  t.match(bob.fup!.topups[0], { kind: 'topup', bytes: 50_000_000, createdBy: 'billing@example.net' });
  t.same(bob.fup, { ...(await subscriberOverview(engine, 'bob')).fup, source: 'tables' });
  t.same(
    bob.coa!.map((c) => [c.outcome, c.attempts, c.latencyMs]),
    [['timeout', 3, 3000]],
  );

  const frank = await subscriberOverview(tables, 'frank');
  t.match(frank.fup, { used: 2_000_000, state: 'block', throttledTo: null });

  const carol = await subscriberOverview(tables, 'carol');
  t.match(carol.subscriber, { status: 'suspended', effectiveStatus: 'suspended' });
  t.equal(carol.fup, null, 'a plan without FUP has no FUP state');
  t.same(carol.online.sessions, []);
  const dave = await subscriberOverview(tables, 'dave');
  t.match(dave.subscriber, {
    status: 'active',
    effectiveStatus: 'expired',
    expiresAt: new Date(NOW - DAY).toISOString(),
  });
  t.same(
    dave.usage!.days.filter((d) => d.inputOctets || d.outputOctets),
    [],
  );
});

t.test('the day follows the time zone', async (t) => {
  // 22:00 UTC yesterday is 07:00 today in Tokyo (no daylight saving): alice's yesterday moves into today there.
  const tokyo = await subscriberOverview({ ...tables, timeZone: 'Asia/Tokyo' }, 'alice', { days: 3 });
  t.equal(tokyo.usage!.timeZone, 'Asia/Tokyo');
  const last = tokyo.usage!.days.at(-1)!;
  t.equal(last.day, new Date(NOW + 9 * HOUR).toISOString().slice(0, 10));
  t.equal(last.inputOctets, 40_000_000 + 1_000_000, 'the whole of a-live and a-second fall on Tokyo’s today');
});

t.test('unknown and invalid subscribers', async (t) => {
  const res = await get('/admin/api/views/subscriber/nobody');
  t.equal(res.statusCode, 404);
  t.same(res.json(), { error: 'WISPD_NOT_FOUND', message: 'no subscriber "nobody"' });
  t.equal((await get('/admin/api/views/subscriber/alice?limit=0')).statusCode, 400);
  t.equal((await get('/admin/api/views/subscriber/alice?days=1000')).statusCode, 400);
  t.equal((await get('/admin/api/views/subscriber/%20alice')).json().error, 'WISPD_INVALID_INPUT');
});

t.test('the dashboard', async (t) => {
  const res = await get('/admin/api/views/dashboard', 'readonly');
  t.equal(res.statusCode, 200);
  const d = res.json();
  t.same(d.online, { sessions: 4, source: 'counters' }, 'alice twice, bob and frank');
  t.same(d.radius, { accessRequests: 120, accountingRequests: 300, accepts: 100, rejects: 20 });

  const minutes = Array.from({ length: 15 }, (_, i) => new Date(NOW - (15 - i) * MIN).toISOString());
  const auth = Object.fromEntries(minutes.map((m) => [m, { minute: m, accepts: 0, rejects: 0 }]));
  auth[minutes[0]!] = { minute: minutes[0]!, accepts: 1, rejects: 0 };
  auth[minutes[10]!] = { minute: minutes[10]!, accepts: 2, rejects: 0 };
  auth[minutes[14]!] = { minute: minutes[14]!, accepts: 1, rejects: 2 };
  t.same(d.rates.auth, Object.values(auth), 'accepts and rejects per minute, the last 15 complete minutes');
  t.equal(d.rates.authPerMinute, 0.4);
  const acct = Object.fromEntries(minutes.map((m) => [m, { minute: m, start: 0, interim: 0, stop: 0, other: 0 }]));
  acct[minutes[1]!] = { ...acct[minutes[1]!]!, start: 1 };
  acct[minutes[2]!] = { ...acct[minutes[2]!]!, other: 1 };
  acct[minutes[5]!] = { ...acct[minutes[5]!]!, interim: 1 };
  acct[minutes[13]!] = { ...acct[minutes[13]!]!, stop: 1 };
  t.same(d.rates.accounting, Object.values(acct));
  t.equal(d.rates.accountingPerMinute, 0.27);

  t.same(
    d.rejects,
    [
      { reason: 'bad-password', count: 3 },
      { reason: 'mac-mismatch', count: 2 },
      { reason: 'suspended', count: 1 },
      { reason: 'unknown-user', count: 1 },
    ],
    'the last 24 hours, most frequent first',
  );

  t.same(d.fup, {
    throttled: 1,
    blocked: 1,
    subscribers: [
      {
        username: 'alice',
        plan: 'home',
        state: 'throttle',
        bytes: 123_000_000,
        rate: { rateDown: 1_000_000, rateUp: 512_000 },
      },
      { username: 'frank', plan: 'capped', state: 'block', bytes: 2_000_000, rate: null },
    ],
    source: 'engine',
  });

  t.same(d.devicesDown, {
    count: 2,
    devices: [
      {
        name: 'ap-1',
        role: 'ap',
        address: '10.9.0.1',
        site: 'tower-1',
        since: new Date(NOW - 2 * HOUR).toISOString(),
        lastError: 'timeout',
      },
      {
        name: 'bh-1',
        role: 'backhaul',
        address: '10.9.0.1',
        site: 'tower-1',
        since: new Date(NOW - 30 * MIN).toISOString(),
        lastError: null,
      },
    ],
  });

  t.same(
    d.topUsers,
    {
      day: day(0),
      timeZone: 'UTC',
      users: [
        { username: 'alice', inputOctets: 40_997_000, outputOctets: 81_970_000, totalOctets: 122_967_000 },
        { username: 'erin', inputOctets: 10_000_000, outputOctets: 70_000_000, totalOctets: 80_000_000 },
        { username: 'bob', inputOctets: 20_000_000, outputOctets: 55_000_000, totalOctets: 75_000_000 },
        { username: 'frank', inputOctets: 1_000_000, outputOctets: 1_000_000, totalOctets: 2_000_000 },
      ],
    },
    'today only: bob’s yesterday is not his today',
  );
  t.same(d.unavailable, []);

  const limited = (await get('/admin/api/views/dashboard?limit=1&minutes=5')).json();
  t.same(
    limited.topUsers.users.map((u: { username: string }) => u.username),
    ['alice'],
  );
  t.same(
    limited.fup.subscribers.map((u: { username: string }) => u.username),
    ['alice'],
  );
  t.equal(limited.fup.blocked, 1, 'counts are not limited');
  t.same(
    limited.devicesDown.devices.map((x: { name: string }) => x.name),
    ['ap-1'],
  );
  t.equal(limited.devicesDown.count, 2);
  t.equal(limited.rates.auth.length, 5);

  const db = await dashboard(tables);
  t.same(db.online, { sessions: 4, source: 'postgres' }, 'radius_session counted when the counters are not at hand');
  t.equal(db.radius, null);
  t.same({ ...db.fup, source: 'engine' }, d.fup, 'the tables give the engine’s answer');
  t.equal((await get('/admin/api/views/dashboard?minutes=0')).statusCode, 400);
});

t.test(
  'restricted in a period that has ended: the page leaves the rollover, and its restore, to the engine',
  async (t) => {
    t.ok(fupActions.includes('throttle gina 1000000/512000'), 'throttled yesterday');
    const page = await subscriberOverview(engine, 'gina');
    t.match(page.fup, {
      source: 'tables',
      used: 0,
      state: 'none',
      periodStart: new Date(new Date(NOW).setHours(0, 0, 0, 0)).toISOString(),
    });
    await fup.tick();
    t.ok(
      fupActions.some((a) => a.startsWith('restore gina')),
      'the engine’s tick gave her rate back',
    );
    await fup.flush();
    t.match((await subscriberOverview(engine, 'gina')).fup, { source: 'engine', used: 0, state: 'none' });
  },
);

t.test('who may look: the permission table decides, a session is needed', async (t) => {
  t.equal((await get('/admin/api/views/subscriber/alice', null)).statusCode, 401);
  t.equal((await get('/admin/api/views/dashboard', null)).statusCode, 401);
  for (const role of STAFF_ROLES) {
    t.ok(PERMISSIONS[role].session?.includes('list'), `${role} may list sessions: the dashboard is for everyone`);
    const page = await get('/admin/api/views/subscriber/alice', role);
    t.equal(page.statusCode, can(role, 'subscriber', 'show') ? 200 : 403, `${role}: subscriber page`);
    t.equal((await get('/admin/api/views/dashboard', role)).statusCode, 200, `${role}: dashboard`);
  }
  t.equal(panel.counters().forbidden, 0, 'every role may see both today');
});

t.test('ClickHouse gone: what PostgreSQL and memory know still answers', async (t) => {
  await clickhouse.stop();
  const res = await get('/admin/api/views/subscriber/alice');
  t.equal(res.statusCode, 200);
  const page = res.json();
  t.equal(page.online.sessions.length, 2);
  t.equal(page.fup.state, 'throttle');
  t.equal(page.auth, null);
  t.equal(page.usage, null);
  t.equal(page.coa, null);
  t.same(page.unavailable.map((u: { section: string }) => u.section).sort(), ['auth', 'coa', 'usage']);
  const d = (await get('/admin/api/views/dashboard')).json();
  t.same(
    d.unavailable.map((u: { section: string }) => u.section),
    ['rates.auth', 'rates.accounting', 'rejects', 'topUsers'],
  );
  t.equal(d.devicesDown.count, 2);
  t.equal(d.fup.throttled, 1);
  t.equal(views.counters().sections_unavailable, 7);
});
