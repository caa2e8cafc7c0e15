/**
 * The subscriber page: what support needs on a call, in one PostgreSQL round trip (subscriber, plan, top-ups, FUP
 * counter, NAS names, and the live sessions when the daemon's table is not at hand) and three ClickHouse queries run
 * together (auth results, usage per day, CoA history), each reading one subscriber's range of its table's primary key
 * (`ORDER BY (username, ts…)`).
 */

import { formatRate, localTimeZone } from '../../config/units.ts';
import { notFound } from '../../daemon/model/db.ts';
import { type FupRules, periodStart, restrictionAt } from '../../daemon/model/fup-rules.ts';
import { describeEffect, mostSevere, RESTRICTIONS_JSON, restrictionOfRow } from '../../daemon/model/restriction.ts';
import { type SubscriberStatus, validateUsername } from '../../daemon/model/subscriber.ts';
import {
  type CounterRow,
  type FupAction,
  type PlanFupColumns,
  rulesCache,
  usageFromTables,
} from '../../daemon/policy/fup/tables.ts';
import { type DayUsage, dailyUsage } from '../../daemon/radius/accounting/usage.ts';
import { iso, num, section, type Unavailable, type ViewsDeps } from './deps.ts';

export interface OnlineSession {
  nas: string;
  nasId: number;
  /** Where the NAS sends accounting from (where its CoA and Disconnect go). */
  nasAddress: string;
  acctSessionId: string;
  framedIp: string | null;
  callingStationId: string;
  nasPortId: string;
  since: string | null;
  updatedAt: string | null;
  sessionTime: number;
  /** RADIUS's side: input is what the subscriber sent (upload), output what they received (download). */
  inputOctets: number;
  outputOctets: number;
  lastCoa: { at: string | null; action: string; outcome: string } | null;
}

export interface AuthResult {
  ts: string;
  result: string;
  /** Why a reject (daemon/radius/process/access.ts `RejectReason`); empty for an accept. */
  reason: string;
  method: string;
  plan: string;
  nas: string;
  callingStationId: string;
}

export interface CoaEntry {
  ts: string;
  nas: string;
  kind: string;
  action: string;
  actor: string;
  reason: string;
  acctSessionId: string;
  attributes: string;
  attempts: number;
  outcome: string;
  /** RFC 5176 Error-Cause of a NAK, by name. */
  errorCause: string;
  latencyMs: number;
  fallbackOf: string;
}

export interface FupState {
  period: string;
  periodStart: string;
  periodEnd: string;
  /** Bytes counted in this period (time-of-day windows already applied). */
  used: number;
  quota: number;
  /** Bytes of top-ups and bonuses in force. */
  topupBytes: number;
  limit: number;
  percent: number;
  state: FupAction;
  /** The rate in force while throttled. */
  throttledTo: { rateDown: number; rateUp: number } | null;
  topups: Array<{
    id: number;
    kind: string;
    bytes: number;
    expiresAt: string | null;
    createdAt: string | null;
    createdBy: string;
  }>;
  /** 'engine': the daemon's FUP component (current); 'tables': its PostgreSQL tables (up to a second old). */
  source: 'engine' | 'tables';
}

export interface SubscriberOverview {
  /** The zone the page's days and times are in (the daemon's). */
  timeZone: string;
  subscriber: {
    id: number;
    username: string;
    /** As stored. */
    status: SubscriberStatus;
    /**
     * What an Access-Request meets now, fair usage aside (`fup` has that): expired past `expiresAt`; suspended or
     * throttled by a stored restriction (`restrictions`).
     */
    effectiveStatus: SubscriberStatus | 'suspended' | 'throttled';
    expiresAt: string | null;
    staticIp: string | null;
    mac: string | null;
    cycleDay: number;
    simultaneousUse: number;
    createdAt: string | null;
    updatedAt: string | null;
  };
  plan: {
    id: number;
    name: string;
    rateDown: number;
    rateUp: number;
    burstDown: number | null;
    burstUp: number | null;
  };
  /** Each reason it is restricted for, set by staff, billing or the CRM (fair usage is in `fup`), oldest first. */
  restrictions: Array<{ reason: string; effect: string; note: string; actor: string; since: string | null }>;
  online: { source: 'memory' | 'postgres'; sessions: OnlineSession[] };
  /** Newest first. */
  auth: AuthResult[] | null;
  usage: { timeZone: string; days: DayUsage[]; inputOctets: number; outputOctets: number } | null;
  /** Null when the plan has no FUP. */
  fup: FupState | null;
  /** Newest first. */
  coa: CoaEntry[] | null;
  unavailable: Unavailable[];
  generatedAt: string;
}

export interface OverviewOptions {
  /** Auth results and CoA rows shown (newest first). */
  limit?: number;
  /** Days of usage, today included. */
  days?: number;
}

interface Row extends PlanFupColumns {
  restrictions: Parameters<typeof restrictionOfRow>[0][];
  id: number;
  username: string;
  status: SubscriberStatus;
  expiresAt: Date | null;
  staticIp: string | null;
  mac: string | null;
  cycleDay: number;
  simultaneousUse: number;
  createdAt: Date;
  updatedAt: Date;
  planId: number;
  planName: string;
  rateDown: number;
  rateUp: number;
  burstDown: number | null;
  burstUp: number | null;
  topups: Array<{
    id: number;
    kind: string;
    bytes: number;
    expiresAt: string;
    createdAt: string;
    createdBy: string;
  }>;
  counter: CounterRow | null;
  nas: Array<{ id: number; name: string }>;
  sessions: Array<{
    nasId: number;
    nas: string;
    acctSessionId: string;
    framedIp: string | null;
    callingStationId: string | null;
    nasPortId: string | null;
    startedAt: string;
    updatedAt: string;
    sessionTime: number;
    inputOctets: number;
    outputOctets: number;
    nasAddress: string | null;
    lastCoaAt: string | null;
    lastCoaAction: string | null;
    lastCoaOutcome: string | null;
  }> | null;
}

// $1 username, $2 now (ms), $3 read the live sessions here, $4 the NAS ids of the live sessions read from memory.
const SUBSCRIBER_SQL = `
SELECT s.id, s.username, s.status, s.expires_at AS "expiresAt", host(s.static_ip) AS "staticIp", s.mac,
  ${RESTRICTIONS_JSON} AS restrictions,
  s.cycle_day AS "cycleDay", COALESCE(s.simultaneous_use, p.simultaneous_use) AS "simultaneousUse",
  s.created_at AS "createdAt", s.updated_at AS "updatedAt",
  p.id AS "planId", p.name AS "planName", p.rate_down::float8 AS "rateDown", p.rate_up::float8 AS "rateUp",
  p.burst_down::float8 AS "burstDown", p.burst_up::float8 AS "burstUp", p.fup_quota::float8 AS "fupQuota",
  p.fup_period AS "fupPeriod", p.fup_throttle_down::float8 AS "fupThrottleDown",
  p.fup_throttle_up::float8 AS "fupThrottleUp", p.fup_rules AS "fupRules",
  (SELECT COALESCE(json_agg(json_build_object('id', t.id, 'kind', t.kind, 'bytes', t.bytes,
      'expiresAt', t.expires_at, 'createdAt', t.created_at, 'createdBy', t.created_by) ORDER BY t.expires_at, t.id),
      '[]'::json)
    FROM fup_topup t WHERE t.subscriber_id = s.id AND t.expires_at > to_timestamp($2 / 1000.0)) AS topups,
  (SELECT json_build_object('periodStart', c.period_start, 'bytes', c.bytes, 'level', c.level)
    FROM fup_counter c WHERE c.subscriber_id = s.id ORDER BY c.period_start DESC LIMIT 1) AS counter,
  (SELECT COALESCE(json_agg(json_build_object('id', n.id, 'name', n.name)), '[]'::json)
    FROM nas n WHERE n.id = ANY($4::int[])) AS nas,
  CASE WHEN $3 THEN (SELECT COALESCE(json_agg(json_build_object('nasId', r.nas_id, 'nas', n.name,
      'acctSessionId', r.acct_session_id, 'framedIp', host(r.framed_ip), 'callingStationId', r.calling_station_id,
      'nasPortId', r.nas_port_id, 'startedAt', r.started_at, 'updatedAt', r.updated_at,
      'sessionTime', r.session_time, 'inputOctets', r.input_octets, 'outputOctets', r.output_octets,
      'nasAddress', host(r.nas_address), 'lastCoaAt', r.last_coa_at, 'lastCoaAction', r.last_coa_action,
      'lastCoaOutcome', r.last_coa_outcome) ORDER BY r.started_at), '[]'::json)
    FROM radius_session r JOIN nas n ON n.id = r.nas_id WHERE r.username = s.username) END AS sessions
FROM subscriber s JOIN plan p ON p.id = s.plan_id
WHERE s.username = $1`;

// Output names differ from the columns: ClickHouse lets an output alias stand for its expression in WHERE.
const AUTH_SQL = `
SELECT toUnixTimestamp64Milli(l.ts) AS at, l.result AS result, l.reason AS reason, l.method AS method,
  l.plan AS plan, l.nas AS nas, l.calling_station_id AS calling_station_id
FROM radius_auth_log AS l
WHERE l.username = {username:String}
ORDER BY l.ts DESC
LIMIT {limit:UInt32}`;

const COA_SQL = `
SELECT toUnixTimestamp64Milli(c.ts) AS at, c.nas AS nas, c.kind AS kind, c.action AS action, c.actor AS actor,
  c.reason AS reason, c.acct_session_id AS acct_session_id, c.attributes AS attributes, c.attempts AS attempts,
  c.outcome AS outcome, c.error_cause AS error_cause, c.latency_ms AS latency_ms, c.fallback_of AS fallback_of
FROM coa_ledger AS c
WHERE c.username = {username:String}
ORDER BY c.ts DESC
LIMIT {limit:UInt32}`;

export const DEFAULT_LIMIT = 20;
export const DEFAULT_DAYS = 30;

export async function subscriberOverview(
  deps: ViewsDeps,
  username: string,
  opts: OverviewOptions = {},
): Promise<SubscriberOverview> {
  validateUsername(username);
  const now = (deps.now ?? Date.now)();
  const limit = opts.limit ?? DEFAULT_LIMIT;
  const days = opts.days ?? DEFAULT_DAYS;
  const tz = deps.timeZone ?? localTimeZone();
  const live = deps.sessions?.forUser(username);
  const unavailable: Unavailable[] = [];
  const ch = deps.clickhouse;

  // ClickHouse is asked at once, alongside PostgreSQL: an unknown username costs three empty range reads, no more.
  const [found, auth, usage, coa] = await Promise.all([
    deps.postgres.query<Row>(SUBSCRIBER_SQL, [
      username,
      now,
      live === undefined,
      [...new Set(live?.map((s) => s.nasId))],
    ]),
    section(
      'auth',
      async () =>
        (
          await ch.query<{
            at: string;
            result: string;
            reason: string;
            method: string;
            plan: string;
            nas: string;
            calling_station_id: string;
          }>(AUTH_SQL, { username, limit })
        ).map(
          (r): AuthResult => ({
            ts: iso(num(r.at))!,
            result: r.result,
            reason: r.reason,
            method: r.method,
            plan: r.plan,
            nas: r.nas,
            callingStationId: r.calling_station_id,
          }),
        ),
      unavailable,
    ),
    section(
      'usage',
      async () => {
        const list = await dailyUsage(ch, username, { now, days, tz });
        return {
          timeZone: tz,
          days: list,
          inputOctets: list.reduce((a, d) => a + d.inputOctets, 0),
          outputOctets: list.reduce((a, d) => a + d.outputOctets, 0),
        };
      },
      unavailable,
    ),
    section(
      'coa',
      async () =>
        (
          await ch.query<{
            at: string;
            nas: string;
            kind: string;
            action: string;
            actor: string;
            reason: string;
            acct_session_id: string;
            attributes: string;
            attempts: number;
            outcome: string;
            error_cause: string;
            latency_ms: number;
            fallback_of: string;
          }>(COA_SQL, { username, limit })
        ).map(
          (r): CoaEntry => ({
            ts: iso(num(r.at))!,
            nas: r.nas,
            kind: r.kind,
            action: r.action,
            actor: r.actor,
            reason: r.reason,
            acctSessionId: r.acct_session_id,
            attributes: r.attributes,
            attempts: num(r.attempts),
            outcome: r.outcome,
            errorCause: r.error_cause,
            latencyMs: num(r.latency_ms),
            fallbackOf: r.fallback_of,
          }),
        ),
      unavailable,
    ),
  ]);

  const row = found.rows[0];
  if (!row) throw notFound('subscriber', username);

  const expired = row.status === 'expired' || (row.expiresAt !== null && now > row.expiresAt.getTime());
  const restrictions = row.restrictions.map(restrictionOfRow);
  const restricted = mostSevere(restrictions)?.effect;
  const nasNames = new Map(row.nas.map((n) => [n.id, n.name]));
  const sessions: OnlineSession[] = live
    ? live
        .toSorted((a, b) => a.startedAt - b.startedAt)
        .map((s) => ({
          nas: nasNames.get(s.nasId) ?? '',
          nasId: s.nasId,
          nasAddress: s.nasAddress,
          acctSessionId: s.acctSessionId,
          framedIp: s.framedIp === '0.0.0.0' ? null : s.framedIp,
          callingStationId: s.callingStationId,
          nasPortId: s.nasPortId,
          since: iso(s.startedAt),
          updatedAt: iso(s.updatedAt),
          sessionTime: s.sessionTime,
          inputOctets: s.inputOctets,
          outputOctets: s.outputOctets,
          lastCoa: s.lastCoa ? { at: iso(s.lastCoa.at), action: s.lastCoa.action, outcome: s.lastCoa.outcome } : null,
        }))
    : (row.sessions ?? []).map((s) => ({
        nas: s.nas,
        nasId: s.nasId,
        nasAddress: s.nasAddress ?? '',
        acctSessionId: s.acctSessionId,
        framedIp: s.framedIp,
        callingStationId: s.callingStationId ?? '',
        nasPortId: s.nasPortId ?? '',
        since: iso(s.startedAt),
        updatedAt: iso(s.updatedAt),
        sessionTime: s.sessionTime,
        inputOctets: num(s.inputOctets),
        outputOctets: num(s.outputOctets),
        lastCoa: s.lastCoaAt
          ? { at: iso(s.lastCoaAt), action: s.lastCoaAction ?? '', outcome: s.lastCoaOutcome ?? '' }
          : null,
      }));

  return {
    timeZone: tz,
    subscriber: {
      id: row.id,
      username: row.username,
      status: row.status,
      effectiveStatus: expired
        ? 'expired'
        : restricted === 'throttle'
          ? 'throttled'
          : restricted
            ? 'suspended'
            : 'active',
      expiresAt: iso(row.expiresAt),
      staticIp: row.staticIp,
      mac: row.mac,
      cycleDay: row.cycleDay,
      simultaneousUse: row.simultaneousUse,
      createdAt: iso(row.createdAt),
      updatedAt: iso(row.updatedAt),
    },
    plan: {
      id: row.planId,
      name: row.planName,
      rateDown: row.rateDown,
      rateUp: row.rateUp,
      burstDown: row.burstDown,
      burstUp: row.burstUp,
    },
    restrictions: restrictions.map((r) => ({
      reason: r.reason,
      effect: describeEffect(r, formatRate),
      note: r.note,
      actor: r.actor,
      since: iso(r.createdAt),
    })),
    online: { source: live ? 'memory' : 'postgres', sessions },
    auth,
    usage,
    fup: fupState(deps, row, now),
    coa,
    unavailable,
    generatedAt: new Date(now).toISOString(),
  };
}

function fupState(deps: ViewsDeps, row: Row, now: number): FupState | null {
  const topups = row.topups.map((t) => ({
    id: t.id,
    kind: t.kind,
    bytes: num(t.bytes),
    expiresAt: iso(t.expiresAt),
    createdAt: iso(t.createdAt),
    createdBy: t.createdBy,
  }));
  const rules = rulesCache()(row.planId, row);
  const counter = row.counter ? { ...row.counter, bytes: num(row.counter.bytes) } : null;
  if (deps.fup && !(rules && rolloverPending(rules, row.cycleDay, counter, now))) {
    const u = deps.fup.usage(row.id);
    if (!u) return null;
    const v = deps.fup.verdictById(row.id);
    return {
      period: u.period,
      periodStart: u.periodStart,
      periodEnd: u.periodEnd,
      used: u.bytes,
      quota: u.quota,
      topupBytes: u.topups,
      limit: u.limit,
      percent: u.percent,
      state: u.state,
      throttledTo: v.action === 'throttle' && v.rate ? { ...v.rate } : null,
      topups,
      source: 'engine',
    };
  }
  if (!rules) return null;
  const topupBytes = topups.reduce((a, t) => a + t.bytes, 0);
  const u = usageFromTables(rules, row.cycleDay, counter, topupBytes, now);
  return {
    period: u.period,
    periodStart: u.periodStart,
    periodEnd: u.periodEnd,
    used: u.bytes,
    quota: u.quota,
    topupBytes: u.topups,
    limit: u.limit,
    percent: u.percent,
    state: u.state,
    throttledTo: u.rate,
    topups,
    source: 'tables',
  };
}

/**
 * The subscriber was restricted in a period that has ended and the engine has not yet rolled the counter over (its
 * tick does, within 30 s, and sends the CoA that gives the rate back). `Fup.usage` would start the new period's
 * counter itself, without that CoA, leaving the subscriber throttled; until the tick, the tables answer.
 */
function rolloverPending(rules: FupRules, cycleDay: number, counter: CounterRow | null, now: number): boolean {
  if (!counter) return false;
  const ended = new Date(counter.periodStart).getTime() < periodStart(rules.period, new Date(now), cycleDay).getTime();
  const action = restrictionAt(rules, counter.level)?.action;
  return ended && (action === 'throttle' || action === 'block');
}
