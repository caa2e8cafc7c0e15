/**
 * What `wispd usage` answers: a plan with fair usage reports its counter (the engine's when the daemon runs, its
 * tables' otherwise); a plan without reports the traffic of the subscriber's billing cycle from accounting.
 */
import { localTimeZone } from '../../../config/units.ts';
import { notFound, type Queryable } from '../../model/db.ts';
import { nextPeriodStart, periodStart, rulesOf } from '../../model/fup-rules.ts';
import { validateUsername } from '../../model/subscriber.ts';
import { dailyUsage } from '../../radius/accounting/usage.ts';
import type { ClickhouseStore } from '../../store/clickhouse/index.ts';
import type { Usage } from './index.ts';
import { usageFromTables } from './tables.ts';

export interface FupUsage extends Usage {
  fup: true;
  plan: string;
  /** 'engine': the running daemon's counter; 'tables': its PostgreSQL tables, as of its last write. */
  source: 'engine' | 'tables';
}

export interface CycleUsage {
  fup: false;
  username: string;
  plan: string;
  period: 'cycle';
  periodStart: string;
  periodEnd: string;
  /** Both directions, as accounting reported them (stored within seconds of the NAS sending them). */
  bytes: number;
  /** RADIUS's side: input is what the subscriber sent (upload), output what they received (download). */
  inputOctets: number;
  outputOctets: number;
}

export type UsageReport = FupUsage | CycleUsage;

const DAY_MS = 86_400_000;

/** The current billing cycle (from the subscriber's cycle day, local time, as FUP periods are) from accounting. */
export async function cycleUsage(
  ch: Pick<ClickhouseStore, 'query'>,
  sub: { username: string; plan: string; cycleDay: number },
  now: number,
): Promise<CycleUsage> {
  const at = new Date(now);
  const start = periodStart('cycle', at, sub.cycleDay);
  const today = new Date(at.getFullYear(), at.getMonth(), at.getDate());
  // Rounded: a day across a DST change is 23 or 25 hours long.
  const days = Math.round((today.getTime() - start.getTime()) / DAY_MS) + 1;
  const list = await dailyUsage(ch, sub.username, { now, days, tz: localTimeZone() });
  const inputOctets = list.reduce((a, d) => a + d.inputOctets, 0);
  const outputOctets = list.reduce((a, d) => a + d.outputOctets, 0);
  return {
    fup: false,
    username: sub.username,
    plan: sub.plan,
    period: 'cycle',
    periodStart: start.toISOString(),
    periodEnd: nextPeriodStart('cycle', at, sub.cycleDay).toISOString(),
    bytes: inputOctets + outputOctets,
    inputOctets,
    outputOctets,
  };
}

const SUBSCRIBER_SQL = `
SELECT s.username, s.cycle_day AS "cycleDay", p.name AS plan, p.fup_quota::float8 AS "fupQuota",
  p.fup_period AS "fupPeriod", p.fup_throttle_down::float8 AS "fupThrottleDown",
  p.fup_throttle_up::float8 AS "fupThrottleUp", p.fup_rules AS "fupRules",
  (SELECT COALESCE(sum(t.bytes), 0)::float8 FROM fup_topup t
    WHERE t.subscriber_id = s.id AND t.expires_at > to_timestamp($2 / 1000.0)) AS "topupBytes",
  (SELECT json_build_object('periodStart', c.period_start, 'bytes', c.bytes, 'level', c.level)
    FROM fup_counter c WHERE c.subscriber_id = s.id ORDER BY c.period_start DESC LIMIT 1) AS counter
FROM subscriber s JOIN plan p ON p.id = s.plan_id
WHERE s.username = $1`;

interface Row {
  username: string;
  cycleDay: number;
  plan: string;
  fupQuota: number | null;
  fupPeriod: string | null;
  fupThrottleDown: number | null;
  fupThrottleUp: number | null;
  fupRules: unknown;
  topupBytes: number;
  counter: { periodStart: string; bytes: number | string; level: number } | null;
}

/** The report from the stores alone, for when no daemon runs. */
export async function storedUsage(
  db: Queryable,
  ch: Pick<ClickhouseStore, 'query'>,
  username: string,
  now: number,
): Promise<UsageReport> {
  validateUsername(username);
  const row = (await db.query<Row>(SUBSCRIBER_SQL, [username, now])).rows[0];
  if (!row) throw notFound('subscriber', username);
  const rules = rulesOf(row);
  if (!rules) return cycleUsage(ch, row, now);
  const counter = row.counter ? { ...row.counter, bytes: Number(row.counter.bytes) } : null;
  const { rate: _rate, ...figures } = usageFromTables(rules, row.cycleDay, counter, row.topupBytes, now);
  return { fup: true, plan: row.plan, source: 'tables', username: row.username, ...figures };
}
