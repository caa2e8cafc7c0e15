/**
 * The dashboard: the network at a glance. Two PostgreSQL queries (the counts and devices down; the FUP counters past a
 * threshold, then the names of the few the list shows) and four ClickHouse queries, run together, each limited in
 * time and rows. The daemon's counters give the live session count and the RADIUS totals without a query.
 *
 * ClickHouse's accounting and auth tables are ordered by (username, ts): a question about every subscriber over a
 * recent window reads the parts that overlap it (their ts range is known per part) rather than one key range, so
 * these queries stay on the last minutes or the last day.
 */

import { localTimeZone } from '../../config/units.ts';
import { periodStart, restrictionAt } from '../../daemon/model/fup-rules.ts';
import { currentLevel, type PlanFupColumns, rulesCache } from '../../daemon/policy/fup/tables.ts';
import { iso, num, section, type Unavailable, type ViewsDeps } from './deps.ts';

export interface MinuteAuth {
  /** The minute's start, ISO 8601. */
  minute: string;
  accepts: number;
  rejects: number;
}

export interface MinuteAccounting {
  minute: string;
  start: number;
  interim: number;
  stop: number;
  /** Accounting-On/Off, stale closes and anything else. */
  other: number;
}

export interface Restricted {
  username: string;
  plan: string;
  state: 'throttle' | 'block';
  /** Bytes counted in the current period. */
  bytes: number;
  rate: { rateDown: number; rateUp: number } | null;
}

export interface DeviceDown {
  name: string;
  role: string;
  address: string;
  site: string | null;
  since: string | null;
  lastError: string | null;
}

export interface TopUser {
  username: string;
  inputOctets: number;
  outputOctets: number;
  totalOctets: number;
}

export interface Dashboard {
  /** The zone the minutes and days are in (the daemon's). */
  timeZone: string;
  online: { sessions: number; source: 'counters' | 'postgres' };
  /** The RADIUS listener's counters since the daemon started; null without them. */
  radius: { accessRequests: number; accountingRequests: number; accepts: number; rejects: number } | null;
  /** The last complete minutes, oldest first, from ClickHouse (empty minutes included). */
  rates: {
    minutes: number;
    auth: MinuteAuth[] | null;
    accounting: MinuteAccounting[] | null;
    authPerMinute: number | null;
    accountingPerMinute: number | null;
  };
  /** Access-Rejects of the last 24 hours by reason, most frequent first. */
  rejects: Array<{ reason: string; count: number }> | null;
  fup: { throttled: number; blocked: number; subscribers: Restricted[]; source: 'engine' | 'tables' };
  devicesDown: { count: number; devices: DeviceDown[] };
  /** Today (from midnight in `timeZone`) by bytes moved, most first. */
  topUsers: { day: string; timeZone: string; users: TopUser[] } | null;
  unavailable: Unavailable[];
  generatedAt: string;
}

export interface DashboardOptions {
  /** Rows of each list (restricted subscribers, devices down, top users). */
  limit?: number;
  /** Minutes of the rate series. */
  minutes?: number;
}

const AUTH_RATE_SQL = `
SELECT toUnixTimestamp(toStartOfMinute(l.ts)) AS minute, countIf(l.result = 'accept') AS accepts,
  countIf(l.result = 'reject') AS rejects
FROM radius_auth_log AS l
WHERE l.ts >= fromUnixTimestamp64Milli({from:Int64}) AND l.ts < fromUnixTimestamp64Milli({to:Int64})
GROUP BY minute
ORDER BY minute WITH FILL FROM intDiv({from:Int64}, 1000) TO intDiv({to:Int64}, 1000) STEP 60`;

const ACCT_RATE_SQL = `
SELECT toUnixTimestamp(toStartOfMinute(a.ts)) AS minute, countIf(a.status = 'start') AS start,
  countIf(a.status = 'interim') AS interim, countIf(a.status = 'stop') AS stop,
  countIf(a.status NOT IN ('start', 'interim', 'stop')) AS other
FROM radius_accounting AS a
WHERE a.ts >= fromUnixTimestamp64Milli({from:Int64}) AND a.ts < fromUnixTimestamp64Milli({to:Int64})
GROUP BY minute
ORDER BY minute WITH FILL FROM intDiv({from:Int64}, 1000) TO intDiv({to:Int64}, 1000) STEP 60`;

const REJECTS_SQL = `
SELECT l.reason AS reason, count() AS n
FROM radius_auth_log AS l
WHERE l.result = 'reject' AND l.ts > fromUnixTimestamp64Milli({now:Int64}) - toIntervalHour(24)
  AND l.ts <= fromUnixTimestamp64Milli({now:Int64})
GROUP BY reason
ORDER BY n DESC, reason`;

/**
 * Today's bytes per subscriber, from octet totals per session: the session's highest total today minus its highest
 * before midnight (read from the day before, as the subscriber page's usage does), never below zero.
 */
const TOP_USERS_SQL = `
WITH toStartOfDay(fromUnixTimestamp64Milli({now:Int64}), {tz:String}) AS day_start
SELECT s.username AS username, sum(s.d_in) AS input_octets, sum(s.d_out) AS output_octets,
  sum(s.d_in) + sum(s.d_out) AS total_octets
FROM (
  SELECT a.username AS username,
    greatest(toInt64(maxIf(a.input_octets, a.ts >= day_start)) - toInt64(maxIf(a.input_octets, a.ts < day_start)), 0)
      AS d_in,
    greatest(toInt64(maxIf(a.output_octets, a.ts >= day_start)) - toInt64(maxIf(a.output_octets, a.ts < day_start)), 0)
      AS d_out
  FROM radius_accounting AS a
  WHERE a.ts >= day_start - toIntervalDay(1) AND a.ts <= fromUnixTimestamp64Milli({now:Int64}) AND a.username != ''
  GROUP BY a.username, a.nas, a.acct_session_id
  HAVING countIf(a.ts >= day_start) > 0
) AS s
GROUP BY s.username
ORDER BY total_octets DESC, username
LIMIT {limit:UInt32}`;

// $1 list rows, $2 count the live sessions here (no counters given).
const COUNTS_SQL = `
SELECT CASE WHEN $2 THEN (SELECT count(*)::int FROM radius_session) END AS sessions,
  (SELECT count(*)::int FROM device WHERE status = 'down') AS "devicesDown",
  (SELECT COALESCE(json_agg(x), '[]'::json) FROM (
    SELECT d.name, d.role, d.address, s.name AS site, d.status_since AS since, d.last_error AS "lastError"
    FROM device d LEFT JOIN site s ON s.id = d.site_id
    WHERE d.status = 'down'
    ORDER BY d.status_since NULLS LAST, d.name
    LIMIT $1) x) AS devices`;

/**
 * Counters past a threshold whose period may be the current one ($1: every period start in force now, see
 * `currentStarts`); whether each is current and restricting is decided by the engine, or by the plan's rules.
 * fup_counter keeps a row per subscriber and period, so the period filter is what keeps this small.
 */
const CANDIDATES_SQL = `
SELECT DISTINCT c.subscriber_id AS id FROM fup_counter c
WHERE c.level > 0 AND c.period_start = ANY($1::timestamptz[])`;

// $1 subscriber ids: the few the engine found restricted and the list shows.
const NAMES_SQL = `
SELECT s.id, s.username, p.name AS plan FROM subscriber s JOIN plan p ON p.id = s.plan_id WHERE s.id = ANY($1::int[])`;

const RESTRICTED_SQL = `
SELECT c.subscriber_id AS id, s.username, s.cycle_day AS "cycleDay", s.plan_id AS "planId", p.name AS plan,
  c.period_start AS "periodStart", c.bytes::float8 AS bytes, c.level, p.fup_quota::float8 AS "fupQuota",
  p.fup_period AS "fupPeriod", p.fup_throttle_down::float8 AS "fupThrottleDown",
  p.fup_throttle_up::float8 AS "fupThrottleUp", p.fup_rules AS "fupRules"
FROM fup_counter c JOIN subscriber s ON s.id = c.subscriber_id JOIN plan p ON p.id = s.plan_id
WHERE c.level > 0 AND c.period_start = ANY($1::timestamptz[])`;

interface RestrictedRow extends PlanFupColumns {
  id: number;
  username: string;
  cycleDay: number;
  planId: number;
  plan: string;
  periodStart: Date;
  bytes: number;
  level: number;
}

export const DEFAULT_LIST = 20;
export const DEFAULT_MINUTES = 15;
const MINUTE = 60_000;

export async function dashboard(deps: ViewsDeps, opts: DashboardOptions = {}): Promise<Dashboard> {
  const now = (deps.now ?? Date.now)();
  const limit = opts.limit ?? DEFAULT_LIST;
  const minutes = opts.minutes ?? DEFAULT_MINUTES;
  const tz = deps.timeZone ?? localTimeZone();
  const counters = deps.counters?.();
  const liveCount = counters?.sessions?.active;
  const to = Math.floor(now / MINUTE) * MINUTE;
  const from = to - minutes * MINUTE;
  const unavailable: Unavailable[] = [];
  const ch = deps.clickhouse;
  const minuteIso = (s: string | number) => new Date(num(s) * 1000).toISOString();

  const [counts, restricted, auth, accounting, rejects, top] = await Promise.all([
    deps.postgres.query<{
      sessions: number | null;
      devicesDown: number;
      devices: Array<Omit<DeviceDown, 'since'> & { since: string | null }>;
    }>(COUNTS_SQL, [limit, liveCount === undefined]),
    restrictedNow(deps, now, limit),
    section(
      'rates.auth',
      async () =>
        (await ch.query<{ minute: number; accepts: string; rejects: string }>(AUTH_RATE_SQL, { from, to })).map(
          (r): MinuteAuth => ({ minute: minuteIso(r.minute), accepts: num(r.accepts), rejects: num(r.rejects) }),
        ),
      unavailable,
    ),
    section(
      'rates.accounting',
      async () =>
        (
          await ch.query<{ minute: number; start: string; interim: string; stop: string; other: string }>(
            ACCT_RATE_SQL,
            { from, to },
          )
        ).map(
          (r): MinuteAccounting => ({
            minute: minuteIso(r.minute),
            start: num(r.start),
            interim: num(r.interim),
            stop: num(r.stop),
            other: num(r.other),
          }),
        ),
      unavailable,
    ),
    section(
      'rejects',
      async () =>
        (await ch.query<{ reason: string; n: string }>(REJECTS_SQL, { now })).map((r) => ({
          reason: r.reason,
          count: num(r.n),
        })),
      unavailable,
    ),
    section(
      'topUsers',
      async () =>
        (
          await ch.query<{ username: string; input_octets: string; output_octets: string; total_octets: string }>(
            TOP_USERS_SQL,
            { now, tz, limit },
          )
        ).map(
          (r): TopUser => ({
            username: r.username,
            inputOctets: num(r.input_octets),
            outputOctets: num(r.output_octets),
            totalOctets: num(r.total_octets),
          }),
        ),
      unavailable,
    ),
  ]);

  const c = counts.rows[0]!;
  const radius = counters?.radius;
  const perMinute = <T>(rows: T[] | null, f: (r: T) => number) =>
    rows === null ? null : Math.round((rows.reduce((a, r) => a + f(r), 0) / minutes) * 100) / 100;

  return {
    timeZone: tz,
    online:
      liveCount === undefined
        ? { sessions: c.sessions ?? 0, source: 'postgres' }
        : { sessions: liveCount, source: 'counters' },
    radius: radius
      ? {
          accessRequests: radius.access_requests ?? 0,
          accountingRequests: radius.accounting_requests ?? 0,
          accepts: radius.accepts ?? 0,
          rejects: radius.rejects ?? 0,
        }
      : null,
    rates: {
      minutes,
      auth,
      accounting,
      authPerMinute: perMinute(auth, (r) => r.accepts + r.rejects),
      accountingPerMinute: perMinute(accounting, (r) => r.start + r.interim + r.stop + r.other),
    },
    rejects,
    fup: restricted,
    devicesDown: { count: c.devicesDown, devices: c.devices.map((d) => ({ ...d, since: iso(d.since) })) },
    topUsers: top === null ? null : { day: dayIn(tz, now), timeZone: tz, users: top },
    unavailable,
    generatedAt: new Date(now).toISOString(),
  };
}

/** YYYY-MM-DD of `at` in `tz` (en-CA writes dates that way). */
const dayIn = (tz: string, at: number) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);

/** The start of every FUP period running at `now`: a day, a week, a month, and a billing cycle per cycle day. */
function currentStarts(now: number): Date[] {
  const at = new Date(now);
  const starts = [periodStart('day', at), periodStart('week', at), periodStart('month', at)];
  for (let day = 1; day <= 28; day++) starts.push(periodStart('cycle', at, day));
  return [...new Map(starts.map((d) => [d.getTime(), d])).values()];
}

async function restrictedNow(deps: ViewsDeps, now: number, limit: number): Promise<Dashboard['fup']> {
  const starts = currentStarts(now);
  const out: Array<Omit<Restricted, 'username' | 'plan'> & { id: number; username?: string; plan?: string }> = [];
  if (deps.fup) {
    // The engine decides; PostgreSQL only says whom to ask, and names the few the list shows.
    const fup = deps.fup;
    const { rows } = await deps.postgres.query<{ id: number }>(CANDIDATES_SQL, [starts]);
    for (const { id } of rows) {
      const v = fup.verdictById(id);
      if (v.action === 'none') continue;
      out.push({ id, state: v.action, bytes: fup.usage(id)?.bytes ?? 0, rate: v.rate ? { ...v.rate } : null });
    }
  } else {
    const rules = rulesCache();
    const { rows } = await deps.postgres.query<RestrictedRow>(RESTRICTED_SQL, [starts]);
    for (const r of rows) {
      const planRules = rules(r.planId, r);
      if (!planRules) continue;
      const current = currentLevel(planRules, r.cycleDay, r, now);
      if (current.periodStart.getTime() !== r.periodStart.getTime()) continue;
      const t = restrictionAt(planRules, current.level);
      if (t?.action !== 'throttle' && t?.action !== 'block') continue;
      out.push({
        id: r.id,
        username: r.username,
        plan: r.plan,
        state: t.action,
        bytes: current.bytes,
        rate: t.action === 'throttle' ? { rateDown: t.rateDown!, rateUp: t.rateUp! } : null,
      });
    }
  }
  out.sort((a, b) => b.bytes - a.bytes || a.id - b.id);
  const shown = out.slice(0, limit);
  if (deps.fup && shown.length) {
    const { rows } = await deps.postgres.query<{ id: number; username: string; plan: string }>(NAMES_SQL, [
      shown.map((r) => r.id),
    ]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const r of shown) Object.assign(r, { username: byId.get(r.id)?.username, plan: byId.get(r.id)?.plan });
  }
  return {
    throttled: out.filter((o) => o.state === 'throttle').length,
    blocked: out.filter((o) => o.state === 'block').length,
    subscribers: shown.map(({ id: _id, username, plan, ...r }) => ({
      username: username ?? '',
      plan: plan ?? '',
      ...r,
    })),
    source: deps.fup ? 'engine' : 'tables',
  };
}
