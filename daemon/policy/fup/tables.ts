/**
 * FUP state read from its tables, for when the engine itself is not at hand: the same answer as `Fup.usage` and
 * `Fup.verdict` (policy/fup/index.ts) as of the engine's last write, at most a second old.
 */
import {
  type FupRules,
  periodStart,
  restrictionAt,
  rulesOf,
  type Threshold,
  type UsageFigures,
  usageFigures,
} from '../../model/fup-rules.ts';

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

export interface TableUsage extends UsageFigures {
  rate: { rateDown: number; rateUp: number } | null;
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
  const r = restrictionAt(rules, c.level);
  return {
    ...usageFigures(rules, cycleDay, now, { ...c, periodStart: c.periodStart.getTime() }, rules.quota + topupBytes),
    rate: r?.action === 'throttle' ? { rateDown: r.rateDown!, rateUp: r.rateUp! } : null,
  };
}
