// The subscriber page and the dashboard at scale: 100,000 subscribers, 1,000,000 accounting records (two sessions of
// five records per subscriber over 30 days), 1,000,000 auth-log rows and 100,000 CoA-ledger rows, 30,000 live
// sessions, FUP counters with 2 % of subscribers throttled, 2,000 devices with 20 down. Generated inside the stores
// (INSERT … SELECT over generate_series / numbers), then each page is asked through the panel's routes
// (`app.inject`: routing, the session check and the permission check included) with a logged-in admin: once as the
// daemon wires them (the live session table and the FUP engine loaded in memory), once (`.tables`) from the tables
// alone.
// Usage: node --import=tsx bench/admin.bench.ts [--subscribers 100000] [--accounting 1000000] [--calls 300]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { buildAdminApp } from '../admin/app.ts';
import { registerViews, type ViewsDeps } from '../admin/views/index.ts';
import { loadConfig } from '../config/load.ts';
import { schema } from '../config/schema.ts';
import { periodStart, rulesOf } from '../daemon/model/fup-rules.ts';
import { addNas } from '../daemon/model/nas.ts';
import { loadPlans } from '../daemon/model/plan.ts';
import { createStaff } from '../daemon/model/staff.ts';
import { createFup } from '../daemon/policy/fup/index.ts';
import { createSessions } from '../daemon/radius/sessions/index.ts';
import { SecretBox } from '../daemon/security/secret-box.ts';
import { createBus } from '../daemon/store/bus/index.ts';
import { createChanges } from '../daemon/store/changes.ts';
import { coreMigrations as clickhouseMigrations, createClickhouse } from '../daemon/store/clickhouse/index.ts';
import { DataDir } from '../daemon/store/datadir.ts';
import { coreMigrations, createPostgres } from '../daemon/store/postgres/index.ts';
import { defaults } from '../test/helpers/env.ts';
import { percentile, report } from './lib.ts';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '100000' },
    accounting: { type: 'string', default: '1000000' },
    calls: { type: 'string', default: '300' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log('Usage: node --import=tsx bench/admin.bench.ts [--subscribers N] [--accounting ROWS] [--calls N]');
  process.exit(0);
}
const N = Number(values.subscribers);
const ROWS = Number(values.accounting);
const CALLS = Number(values.calls);
const work = mkdtempSync(join(tmpdir(), 'wispd-bench-admin-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const progress = (m: string) => process.stderr.write(`admin bench: ${m}\n`);
const log = pino({ level: 'silent' });
const config = loadConfig(schema, { text: '', env: {} });

const dataDir = new DataDir(join(work, 'data'));
dataDir.acquireOrThrow();
const postgres = createPostgres(
  { url: process.env.DATABASE_URL ?? '', pool_size: 8, connect_timeout: 5000, embedded_port: 0 },
  { log, dataDir, migrations: coreMigrations() },
);
await postgres.start();
const clickhouse = createClickhouse(
  { ...defaults.clickhouse, url: '', database: 'wispd', username: '', password: '', request_timeout: 300_000 },
  { log, dataDir, migrations: clickhouseMigrations() },
);
await clickhouse.start();

const now = Date.now();
const box = new SecretBox(Buffer.alloc(32, 7));
let t0 = performance.now();

// ---- PostgreSQL ----
await postgres.query(
  `INSERT INTO plan (name, rate_down, rate_up, fup_quota, fup_period, fup_throttle_down, fup_throttle_up) VALUES
   ('home', 50000000, 10000000, 100000000000, 'month', 1000000, 512000),
   ('daily', 20000000, 5000000, 5000000000, 'day', 1000000, 512000),
   ('plain', 100000000, 20000000, NULL, NULL, NULL, NULL)`,
);
const nas: number[] = [];
for (let i = 0; i < 5; i++) {
  nas.push((await addNas(postgres, box, { name: `bras-${i}`, address: `10.0.0.${i + 1}`, secret: 'bench-secret' })).id);
}
await postgres.query(
  `INSERT INTO subscriber (username, password_enc, plan_id, status)
   SELECT 'sub' || g, '\\x00'::bytea, (SELECT id FROM plan ORDER BY id LIMIT 1 OFFSET g % 3),
     CASE WHEN g % 50 = 7 THEN 'suspended' ELSE 'active' END
   FROM generate_series(0, $1 - 1) g`,
  [N],
);
await postgres.query(
  `INSERT INTO radius_session (nas_id, acct_session_id, username, subscriber_id, framed_ip, calling_station_id,
     nas_port_id, started_at, updated_at, session_time, input_octets, output_octets, interim_interval, nas_address)
   SELECT $1 + s.id % 5, 'live-' || s.id, s.username, s.id, ('100.64.0.0'::inet + s.id), 'aa-bb-cc-dd-ee-ff',
     'port-' || s.id, now() - interval '3 hours', now() - interval '1 minute', 10800, s.id * 1000, s.id * 4000, 300,
     '10.0.0.1'::inet
   FROM subscriber s WHERE s.id % 10 < 3`,
  [nas[0]],
);
// One counter per FUP subscriber for its current period; 2 % past the quota (level 1 = the throttle threshold).
const monthStart = periodStart('month', new Date(now));
const dayStart = periodStart('day', new Date(now));
await postgres.query(
  `INSERT INTO fup_counter (subscriber_id, period_start, bytes, level)
   SELECT s.id, CASE WHEN p.fup_period = 'month' THEN $1::timestamptz ELSE $2::timestamptz END,
     CASE WHEN s.id % 50 = 1 THEN p.fup_quota + s.id ELSE s.id * 1000 END, CASE WHEN s.id % 50 = 1 THEN 1 ELSE 0 END
   FROM subscriber s JOIN plan p ON p.id = s.plan_id WHERE p.fup_quota IS NOT NULL`,
  [monthStart, dayStart],
);
// Yesterday's counters of the daily plan, some of them past the quota: rows the dashboard must see past.
await postgres.query(
  `INSERT INTO fup_counter (subscriber_id, period_start, bytes, level)
   SELECT subscriber_id, period_start - interval '1 day', bytes, 1 FROM fup_counter
   WHERE period_start = $1::timestamptz AND subscriber_id % 7 = 0`,
  [dayStart],
);
await postgres.query(
  `INSERT INTO fup_topup (subscriber_id, bytes, expires_at, created_by)
   SELECT id, 10000000000, now() + interval '10 days', 'bench' FROM subscriber WHERE id % 100 = 3`,
);
await postgres.query(
  `INSERT INTO device (name, address, role, status, status_since)
   SELECT 'dev-' || g, '10.8.' || (g / 256) || '.' || (g % 256), 'ap',
     CASE WHEN g % 100 = 0 THEN 'down' ELSE 'up' END, now() - (g || ' seconds')::interval
   FROM generate_series(0, 1999) g`,
);
await postgres.query('ANALYZE');
const pgSeconds = (performance.now() - t0) / 1000;
progress(`PostgreSQL seeded in ${pgSeconds.toFixed(1)} s`);

// ---- ClickHouse ----
t0 = performance.now();
const perUser = Math.max(1, Math.floor(ROWS / N));
await clickhouse.command(
  `INSERT INTO radius_accounting (ts, event_time, instance, record, nas, nas_ip, status, acct_session_id, username,
     subscriber_id, framed_ip, calling_station_id, nas_port_id, session_time, input_octets, output_octets,
     input_packets, output_packets, terminate_cause, delay_time, class)
   SELECT ts, toDateTime(ts), toUUID('00000000-0000-0000-0000-000000000001'), number, concat('bras-', toString(u % 5)),
     toIPv4('10.0.0.1'), multiIf(k % 5 = 0, 'start', k % 5 = 4, 'stop', 'interim'),
     concat('s', toString(u), '-', toString(intDiv(k, 5))), concat('sub', toString(u)), u + 1,
     toIPv4('100.64.0.1'), '', '', (k % 5) * 3600, (k % 5) * (1000000 + (u * 13) % 10000000),
     (k % 5) * 4 * (1000000 + (u * 13) % 10000000), 0, 0, if(k % 5 = 4, 'User-Request', ''), 0, ''
   FROM (
     SELECT number, number % {n:UInt32} AS u, intDiv(number, {n:UInt32}) AS k,
       fromUnixTimestamp64Milli({now:Int64}) - toIntervalDay(30)
         + toIntervalSecond(intDiv(k * 30 * 86400, {perUser:UInt32}) + (u * 37) % intDiv(30 * 86400, {perUser:UInt32}))
         AS ts
     FROM numbers({rows:UInt64})
   )`,
  { n: N, now, rows: ROWS, perUser },
);
await clickhouse.command(
  `INSERT INTO radius_auth_log (ts, instance, nas, nas_ip, username, result, reason, method, plan, calling_station_id,
     nas_port_id)
   SELECT fromUnixTimestamp64Milli({now:Int64}) - toIntervalMillisecond(number * 2592), toUUID('00000000-0000-0000-0000-000000000001'),
     concat('bras-', toString(number % 5)), toIPv4('10.0.0.1'), concat('sub', toString(number % {n:UInt32})),
     if(number % 10 = 0, 'reject', 'accept'),
     if(number % 10 = 0, arrayElement(['bad-password', 'mac-mismatch', 'suspended', 'simultaneous-use'], intDiv(number, 10) % 4 + 1), ''),
     'pap', 'home', '', ''
   FROM numbers(1000000)`,
  { n: N, now },
);
await clickhouse.command(
  `INSERT INTO coa_ledger (ts, instance, nas, nas_address, kind, action, actor, reason, username, acct_session_id,
     framed_ip, attributes, attempts, outcome, error_cause, latency_ms, fallback_of)
   SELECT fromUnixTimestamp64Milli({now:Int64}) - toIntervalSecond(number * 25), toUUID('00000000-0000-0000-0000-000000000001'),
     'bras-0', '10.0.0.1', 'coa', 'fup-throttle', 'fup', 'usage', concat('sub', toString(number % {n:UInt32})),
     'live', '100.64.0.1', 'Filter-Id=slow', 1, if(number % 20 = 0, 'nak', 'ack'),
     if(number % 20 = 0, 'Session-Context-Not-Found', ''), 4.5, ''
   FROM numbers(100000)`,
  { n: N, now },
);
const chSeconds = (performance.now() - t0) / 1000;
progress(`ClickHouse seeded in ${chSeconds.toFixed(1)} s`);

// ---- the panels: as the daemon wires them (live session table and FUP engine in memory), and the tables alone ----
await createStaff(
  postgres,
  { staffId: null, name: 'bench' },
  { email: 'admin@example.net', password: 'bench password', role: 'admin' },
);
const sessions = createSessions(config.radius, {
  log,
  postgres,
  directory: { interimInterval: () => 300, nasName: () => '' },
  accounting: { record: async () => 0 },
});
await sessions.start();
const plans = new Map((await loadPlans(postgres)).map((p) => [p.id, rulesOf(p)]));
const fupSubscribers = new Map(
  (
    await postgres.query<{ id: number; username: string; cycleDay: number; planId: number }>(
      'SELECT id, username, cycle_day AS "cycleDay", plan_id AS "planId" FROM subscriber',
    )
  ).rows.map((s) => [s.id, { id: s.id, username: s.username, cycleDay: s.cycleDay, rules: plans.get(s.planId) }]),
);
const bus = createBus(
  { url: '', subject_prefix: 'bench', user: '', password: '', token: '', connect_timeout: 1000, request_timeout: 1000 },
  { log },
);
await bus.start();
const fup = createFup(defaults.fup, {
  log,
  postgres,
  bus,
  changes: createChanges({ log, postgres }),
  subscriber: (id) => fupSubscribers.get(id),
  actions: { changed: async () => {} },
});
await fup.start();

async function panelWith(deps: ViewsDeps, withAdminjs = false) {
  const panel = await buildAdminApp(config.admin, {
    log,
    postgres,
    ready: () => true,
    counters: () => ({}),
    // The AdminJS pages too (their list of 100,000 subscribers), as the daemon mounts them.
    ...(withAdminjs
      ? { panel: { box: () => box, connection: () => postgres.pool.options, bundleDir: join(work, 'adminjs') } }
      : {}),
  });
  registerViews(panel.app, panel.auth, deps);
  const login = await panel.app.inject({
    method: 'POST',
    url: '/admin/api/login',
    payload: { email: 'admin@example.net', password: 'bench password' },
  });
  const cookie = String(login.headers['set-cookie']).split(';')[0]!;
  const get = async (url: string) => {
    const res = await panel.app.inject({ method: 'GET', url, headers: { cookie } });
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    const body = res.json();
    if (body.unavailable?.length) throw new Error(`${url}: ${JSON.stringify(body.unavailable)}`);
    return body;
  };
  return { app: panel.app, get };
}

const daemonLike = await panelWith(
  {
    postgres,
    clickhouse,
    sessions,
    fup,
    counters: () => ({ sessions: sessions.counters() }),
  },
  true,
);
const tablesOnly = await panelWith({ postgres, clickhouse });

// What the pages show, once: a bench of empty answers would measure nothing.
{
  const d = await daemonLike.get('/admin/api/views/dashboard');
  const p = await daemonLike.get('/admin/api/views/subscriber/sub1');
  const days = p.usage.days.filter((x: { inputOctets: number }) => x.inputOctets > 0).length;
  progress(
    `dashboard: ${d.online.sessions} online, ${d.fup.throttled} throttled, ${d.devicesDown.count} devices down, ` +
      `${d.rejects.length} reject reasons, ${d.topUsers.users.length} top users; sub1: ${p.online.sessions.length} ` +
      `online, ${p.auth.length} auth results, ${days} days with traffic, ${p.coa.length} CoA rows, FUP ${p.fup?.state ?? 'none (plan without FUP)'}`,
  );
  const t = await tablesOnly.get('/admin/api/views/dashboard');
  if (t.fup.throttled !== d.fup.throttled) throw new Error('the tables and the engine disagree on who is throttled');
}

// A fixed sequence of "random" subscribers, so runs are comparable.
let seed = 42;
const pick = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % N;
};

const sizes = { subscribers: N, accounting_rows: ROWS, auth_rows: 1_000_000, postgres: postgres.mode };
for (const [suffix, panel] of [
  ['', daemonLike],
  ['.tables', tablesOnly],
] as const) {
  for (const [bench, path, calls] of [
    ['admin.subscriber_page', () => `/admin/api/views/subscriber/sub${pick()}`, CALLS],
    ['admin.dashboard', () => '/admin/api/views/dashboard', Math.max(20, Math.floor(CALLS / 3))],
    ...(panel === daemonLike
      ? ([
          // AdminJS's subscriber list: a page deep in 100,000 rows, and the search support types a name into.
          [
            'admin.subscriber_list',
            () => `/admin/api/resources/subscriber/actions/list?page=${1 + (pick() % 4000)}`,
            Math.max(20, Math.floor(CALLS / 3)),
          ],
          [
            'admin.subscriber_search',
            () => `/admin/api/resources/subscriber/actions/list?filters.username=sub${pick()}`,
            Math.max(20, Math.floor(CALLS / 3)),
          ],
        ] as const)
      : []),
  ] as const) {
    for (let i = 0; i < 10; i++) await panel.get(path());
    const samples: number[] = [];
    for (let i = 0; i < calls; i++) {
      const start = performance.now();
      await panel.get(path());
      samples.push(performance.now() - start);
    }
    samples.sort((a, b) => a - b);
    report(`${bench}${suffix}`, {
      calls,
      p50_ms: percentile(samples, 50),
      p95_ms: percentile(samples, 95),
      p99_ms: percentile(samples, 99),
      max_ms: samples.at(-1),
      ...sizes,
      seed_postgres_s: pgSeconds,
      seed_clickhouse_s: chSeconds,
    });
  }
}

await daemonLike.app.close();
await tablesOnly.app.close();
await fup.stop();
await sessions.stop();
await bus.stop();
await clickhouse.stop();
await postgres.stop();
dataDir.release();
