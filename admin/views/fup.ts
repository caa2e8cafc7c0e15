/**
 * FUP state read from its tables, for when the engine itself is not at hand: the same answer as `Fup.usage` and
 * `Fup.verdict` (policy/fup/index.ts) as of the engine's last write, at most a second old.
 */
import { type FupRules, nextPeriodStart, periodStart, rulesOf, type Threshold } from '../../daemon/policy/fup/rules.ts';

export type FupAction = 'none' | Threshold['action'];

/** The plan's FUP columns, as `rulesOf` reads them. */
export interface PlanFupColumns {
  fupQuota: number | null;
  fupPeriod: string | null;
  fupThrottleDown: number | null;
  fupThrottleUp: number | null;
  fupRules: unknown;
}

/** A subscriber's newest `fup_counter` row. */
export interface CounterRow {
  periodStart: Date | string;
  bytes: number;
  level: number;
}

export interface TableUsage {
  period: string;
  periodStart: string;
  periodEnd: string;
  bytes: number;
  quota: number;
  topups: number;
  limit: number;
  percent: number;
  state: FupAction;
  rate: { rateDown: number; rateUp: number } | null;
}

/** The strongest restricting action among the first `level` thresholds (as the engine decides it). */
export function restrictionAt(rules: FupRules, level: number): Threshold | undefined {
  let r: Threshold | undefined;
  for (const t of rules.thresholds.slice(0, level))
    if (t.action === 'block' || (t.action === 'throttle' && r?.action !== 'block')) r = t;
  return r;
}

/** Rules compiled once per plan for one answer (a plan's JSON rules are validated on each compile). */
export function rulesCache(): (planId: number, plan: PlanFupColumns) => FupRules | undefined {
  const seen = new Map<number, FupRules | undefined>();
  return (planId, plan) => {
    if (!seen.has(planId)) seen.set(planId, rulesOf(plan));
    return seen.get(planId);
  };
}

/** The counter of the period containing `now`: a newest row from an earlier period means nothing counted yet. */
export function currentLevel(
  rules: FupRules,
  cycleDay: number,
  counter: CounterRow | null,
  now: number,
): { bytes: number; level: number; periodStart: Date } {
  const start = periodStart(rules.period, new Date(now), cycleDay);
  if (!counter || new Date(counter.periodStart).getTime() !== start.getTime())
    return { bytes: 0, level: 0, periodStart: start };
  return { bytes: counter.bytes, level: counter.level, periodStart: start };
}

export function usageFromTables(
  rules: FupRules,
  cycleDay: number,
  counter: CounterRow | null,
  topupBytes: number,
  now: number,
): TableUsage {
  const c = currentLevel(rules, cycleDay, counter, now);
  const limit = rules.quota + topupBytes;
  const r = restrictionAt(rules, c.level);
  return {
    period: rules.period,
    periodStart: c.periodStart.toISOString(),
    periodEnd: nextPeriodStart(rules.period, new Date(now), cycleDay).toISOString(),
    bytes: c.bytes,
    quota: rules.quota,
    topups: topupBytes,
    limit,
    percent: Math.round((c.bytes * 10000) / limit) / 100,
    state: r ? r.action : c.level > 0 ? 'notify' : 'none',
    rate: r?.action === 'throttle' ? { rateDown: r.rateDown!, rateUp: r.rateUp! } : null,
  };
}
