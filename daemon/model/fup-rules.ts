/**
 * FUP rules of a plan: a quota per period (day, week, month, or the subscriber's billing cycle), thresholds with
 * actions (notify at N %, throttle to a rate, block), and time-of-day windows whose traffic is free or counted at a
 * fraction (night hours). Periods are in the daemon's local time (TZ).
 */
import { invalid } from './db.ts';

export const FUP_PERIODS = ['day', 'week', 'month', 'cycle'] as const;
export type FupPeriod = (typeof FUP_PERIODS)[number];

export interface Threshold {
  /** Percent of the quota (plus top-ups) at which the action applies. */
  percent: number;
  action: 'notify' | 'throttle' | 'block';
  /** For throttle: the rate, bits per second, as the subscriber sees it. */
  rateDown?: number;
  rateUp?: number;
}

export interface Window {
  /** "HH:MM", local time; a window may wrap past midnight (22:00–06:00). */
  from: string;
  to: string;
  /** Traffic in the window is not counted (free), or counted at `factor` (boost: 0.5 counts half). */
  mode: 'free' | 'boost';
  factor?: number;
}

export interface FupRules {
  quota: number;
  period: FupPeriod;
  /** Ascending by percent. */
  thresholds: Threshold[];
  windows: Window[];
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Checks rules given as JSON (the panel, `--fup-rules`); returns them normalised. */
export function validateRules(raw: unknown): FupRules {
  const r = raw as Partial<FupRules>;
  if (!r || typeof r !== 'object') throw invalid('fup-rules', raw, 'must be an object');
  if (!Number.isSafeInteger(r.quota) || (r.quota as number) <= 0)
    throw invalid('fup-rules.quota', r.quota, 'a number of bytes above 0');
  if (!FUP_PERIODS.includes(r.period as FupPeriod))
    throw invalid('fup-rules.period', r.period, `one of ${FUP_PERIODS.join(', ')}`);
  const thresholds = (r.thresholds ?? []).map((t, i) => {
    const where = `fup-rules.thresholds[${i}]`;
    if (!(t.percent > 0 && t.percent <= 1000)) throw invalid(`${where}.percent`, t.percent, 'a percentage above 0');
    if (!['notify', 'throttle', 'block'].includes(t.action))
      throw invalid(`${where}.action`, t.action, 'notify, throttle or block');
    if (t.action === 'throttle' && !(t.rateDown! > 0 && t.rateUp! > 0))
      throw invalid(`${where}.rate`, t, 'throttle needs rateDown and rateUp');
    return { ...t };
  });
  thresholds.sort((a, b) => a.percent - b.percent);
  const windows = (r.windows ?? []).map((w, i) => {
    const where = `fup-rules.windows[${i}]`;
    if (!HHMM.test(w.from) || !HHMM.test(w.to)) throw invalid(where, w, 'from and to as HH:MM');
    if (w.mode !== 'free' && w.mode !== 'boost') throw invalid(`${where}.mode`, w.mode, 'free or boost');
    if (w.mode === 'boost' && !(w.factor! >= 0 && w.factor! < 1))
      throw invalid(`${where}.factor`, w.factor, 'a fraction from 0 to below 1');
    return { ...w };
  });
  return { quota: r.quota as number, period: r.period as FupPeriod, thresholds, windows };
}

/** A plan's rules: its JSON rules, or the simple case (throttle at 100 %), or none. */
export function rulesOf(plan: {
  fupRules?: unknown;
  fupQuota?: number | null;
  fupPeriod?: string | null;
  fupThrottleDown?: number | null;
  fupThrottleUp?: number | null;
}): FupRules | undefined {
  if (plan.fupRules) return validateRules(plan.fupRules);
  if (!plan.fupQuota || !plan.fupPeriod) return undefined;
  const thresholds: Threshold[] =
    plan.fupThrottleDown && plan.fupThrottleUp
      ? [{ percent: 100, action: 'throttle', rateDown: plan.fupThrottleDown, rateUp: plan.fupThrottleUp }]
      : [{ percent: 100, action: 'block' }];
  return { quota: plan.fupQuota, period: plan.fupPeriod as FupPeriod, thresholds, windows: [] };
}

/** The start of the period that contains `now` (local time). */
export function periodStart(period: FupPeriod, now: Date, cycleDay = 1): Date {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  switch (period) {
    case 'day':
      return d;
    case 'week': {
      // ISO weeks begin on Monday.
      const back = (d.getDay() + 6) % 7;
      return new Date(d.getFullYear(), d.getMonth(), d.getDate() - back);
    }
    case 'month':
      return new Date(d.getFullYear(), d.getMonth(), 1);
    case 'cycle':
      return d.getDate() >= cycleDay
        ? new Date(d.getFullYear(), d.getMonth(), cycleDay)
        : new Date(d.getFullYear(), d.getMonth() - 1, cycleDay);
  }
}

export function nextPeriodStart(period: FupPeriod, now: Date, cycleDay = 1): Date {
  const s = periodStart(period, now, cycleDay);
  switch (period) {
    case 'day':
      return new Date(s.getFullYear(), s.getMonth(), s.getDate() + 1);
    case 'week':
      return new Date(s.getFullYear(), s.getMonth(), s.getDate() + 7);
    case 'month':
    case 'cycle':
      return new Date(s.getFullYear(), s.getMonth() + 1, s.getDate());
  }
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

/** The fraction of traffic at `now` that counts against the quota: 0 in a free window, the factor in a boost one. */
export function countedFraction(windows: readonly Window[], now: Date): number {
  const m = now.getHours() * 60 + now.getMinutes();
  for (const w of windows) {
    const from = minutes(w.from);
    const to = minutes(w.to);
    const inside = from <= to ? m >= from && m < to : m >= from || m < to;
    if (inside) return w.mode === 'free' ? 0 : (w.factor ?? 1);
  }
  return 1;
}

/** The strongest restricting action among the first `level` thresholds reached (block over throttle). */
export function restrictionAt(rules: FupRules, level: number): Threshold | undefined {
  let r: Threshold | undefined;
  for (const t of rules.thresholds.slice(0, level))
    if (t.action === 'block' || (t.action === 'throttle' && r?.action !== 'block')) r = t;
  return r;
}

/** What a period's counter means to the subscriber: the FUP engine's answer, and the panel's from the tables. */
export interface UsageFigures {
  period: string;
  periodStart: string;
  periodEnd: string;
  bytes: number;
  quota: number;
  topups: number;
  limit: number;
  percent: number;
  /** The action in force: none, notify, throttle or block. */
  state: 'none' | Threshold['action'];
}

export function usageFigures(
  rules: FupRules,
  cycleDay: number,
  at: number,
  counter: { periodStart: number; bytes: number; level: number },
  limit: number,
): UsageFigures {
  const r = restrictionAt(rules, counter.level);
  return {
    period: rules.period,
    periodStart: new Date(counter.periodStart).toISOString(),
    periodEnd: nextPeriodStart(rules.period, new Date(at), cycleDay).toISOString(),
    bytes: counter.bytes,
    quota: rules.quota,
    topups: limit - rules.quota,
    limit,
    percent: Math.round((counter.bytes * 10000) / limit) / 100,
    state: r ? r.action : counter.level > 0 ? 'notify' : 'none',
  };
}
