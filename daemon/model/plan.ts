/** Plans: speed, burst, timeouts, address pool, simultaneous use, FUP. Shared by the daemon, the CLI and the panel. */

import { invalid, notFound, type Queryable, unique } from './db.ts';
import { FUP_PERIODS, validateRules } from './fup-rules.ts';

export interface PlanInput {
  name: string;
  rateDown: number;
  rateUp: number;
  burstDown?: number | null;
  burstUp?: number | null;
  sessionTimeout?: number | null;
  idleTimeout?: number | null;
  interimInterval?: number;
  ipPool?: string | null;
  simultaneousUse?: number;
  /** Bytes per FUP period; with fupPeriod, the simple FUP (throttle to fupThrottle*, or block, at 100 %). */
  fupQuota?: number | null;
  fupPeriod?: string | null;
  fupThrottleDown?: number | null;
  fupThrottleUp?: number | null;
  /** Richer FUP rules (thresholds, windows) as JSON; see policy/fup/rules.ts. */
  fupRules?: unknown;
}

export interface Plan {
  id: number;
  name: string;
  rateDown: number;
  rateUp: number;
  burstDown: number | null;
  burstUp: number | null;
  sessionTimeout: number | null;
  idleTimeout: number | null;
  interimInterval: number;
  ipPool: string | null;
  simultaneousUse: number;
  fupQuota: number | null;
  fupPeriod: string | null;
  fupThrottleDown: number | null;
  fupThrottleUp: number | null;
  fupRules: unknown;
}

export const PLAN_COLUMNS = `id, name, rate_down::float8 AS "rateDown", rate_up::float8 AS "rateUp",
  burst_down::float8 AS "burstDown", burst_up::float8 AS "burstUp", session_timeout AS "sessionTimeout",
  idle_timeout AS "idleTimeout", interim_interval AS "interimInterval", ip_pool AS "ipPool",
  simultaneous_use AS "simultaneousUse", fup_quota::float8 AS "fupQuota", fup_period AS "fupPeriod",
  fup_throttle_down::float8 AS "fupThrottleDown", fup_throttle_up::float8 AS "fupThrottleUp", fup_rules AS "fupRules"`;

const positive = (field: string, v: number | null | undefined, min = 1) => {
  if (v === undefined || v === null) return;
  if (!Number.isSafeInteger(v) || v < min) throw invalid(field, v, `must be a whole number of at least ${min}`);
};

export function validatePlan(input: PlanInput): PlanInput {
  if (!/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/.test(input.name)) {
    throw invalid('name', input.name, 'use letters, digits, space, dot, dash and underscore (at most 63)');
  }
  positive('rate-down', input.rateDown);
  positive('rate-up', input.rateUp);
  positive('burst-down', input.burstDown);
  positive('burst-up', input.burstUp);
  if (input.burstDown && input.burstDown <= input.rateDown)
    throw invalid('burst-down', input.burstDown, 'must be above rate-down');
  if (input.burstUp && input.burstUp <= input.rateUp) throw invalid('burst-up', input.burstUp, 'must be above rate-up');
  positive('session-timeout', input.sessionTimeout);
  positive('idle-timeout', input.idleTimeout);
  positive('interim-interval', input.interimInterval, 60);
  positive('simultaneous-use', input.simultaneousUse);
  if (input.ipPool !== undefined && input.ipPool !== null && !/^[A-Za-z0-9._-]{1,63}$/.test(input.ipPool)) {
    throw invalid('ip-pool', input.ipPool, 'a pool name: letters, digits, dot, dash, underscore');
  }
  positive('fup-quota', input.fupQuota);
  positive('fup-throttle', input.fupThrottleDown);
  positive('fup-throttle', input.fupThrottleUp);
  if (
    input.fupPeriod !== undefined &&
    input.fupPeriod !== null &&
    !(FUP_PERIODS as readonly string[]).includes(input.fupPeriod)
  ) {
    throw invalid('fup-period', input.fupPeriod, `one of ${FUP_PERIODS.join(', ')}`);
  }
  if (Boolean(input.fupQuota) !== Boolean(input.fupPeriod))
    throw invalid('fup-quota', input.fupQuota, 'goes with --fup-period');
  if (input.fupRules !== undefined && input.fupRules !== null) validateRules(input.fupRules);
  return input;
}

export async function addPlan(db: Queryable, input: PlanInput): Promise<Plan> {
  const p = validatePlan(input);
  return unique('plan', p.name, async () => {
    const { rows } = await db.query<Plan>(
      `INSERT INTO plan (name, rate_down, rate_up, burst_down, burst_up, session_timeout, idle_timeout,
         interim_interval, ip_pool, simultaneous_use, fup_quota, fup_period, fup_throttle_down, fup_throttle_up, fup_rules)
       VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8, 300), $9, COALESCE($10, 1), $11, $12, $13, $14, $15)
       RETURNING ${PLAN_COLUMNS}`,
      [
        p.name,
        p.rateDown,
        p.rateUp,
        p.burstDown ?? null,
        p.burstUp ?? null,
        p.sessionTimeout ?? null,
        p.idleTimeout ?? null,
        p.interimInterval ?? null,
        p.ipPool ?? null,
        p.simultaneousUse ?? null,
        p.fupQuota ?? null,
        p.fupPeriod ?? null,
        p.fupThrottleDown ?? null,
        p.fupThrottleUp ?? null,
        p.fupRules === undefined || p.fupRules === null ? null : JSON.stringify(p.fupRules),
      ],
    );
    return rows[0]!;
  });
}

/** Changes the given fields of a plan (the others stay). */
export async function updatePlan(db: Queryable, name: string, change: Partial<Omit<PlanInput, 'name'>>): Promise<Plan> {
  const current = await getPlan(db, name);
  const next = validatePlan({ ...current, ...change, name });
  const { rows } = await db.query<Plan>(
    `UPDATE plan SET rate_down = $2, rate_up = $3, burst_down = $4, burst_up = $5, session_timeout = $6,
       idle_timeout = $7, interim_interval = $8, ip_pool = $9, simultaneous_use = $10, fup_quota = $11,
       fup_period = $12, fup_throttle_down = $13, fup_throttle_up = $14, fup_rules = $15, updated_at = now()
     WHERE name = $1 RETURNING ${PLAN_COLUMNS}`,
    [
      name,
      next.rateDown,
      next.rateUp,
      next.burstDown ?? null,
      next.burstUp ?? null,
      next.sessionTimeout ?? null,
      next.idleTimeout ?? null,
      next.interimInterval,
      next.ipPool ?? null,
      next.simultaneousUse,
      next.fupQuota ?? null,
      next.fupPeriod ?? null,
      next.fupThrottleDown ?? null,
      next.fupThrottleUp ?? null,
      next.fupRules === undefined || next.fupRules === null ? null : JSON.stringify(next.fupRules),
    ],
  );
  return rows[0]!;
}

export async function listPlans(db: Queryable): Promise<Array<Plan & { subscribers: number }>> {
  const { rows } = await db.query<Plan & { subscribers: number }>(
    `SELECT ${PLAN_COLUMNS}, (SELECT count(*)::int FROM subscriber s WHERE s.plan_id = plan.id) AS subscribers
     FROM plan ORDER BY name`,
  );
  return rows;
}

export async function getPlan(db: Queryable, name: string): Promise<Plan> {
  const { rows } = await db.query<Plan>(`SELECT ${PLAN_COLUMNS} FROM plan WHERE name = $1`, [name]);
  if (!rows[0]) throw notFound('plan', name);
  return rows[0];
}

export async function loadPlans(db: Queryable, ids?: readonly number[]): Promise<Plan[]> {
  const { rows } = await db.query<Plan>(
    `SELECT ${PLAN_COLUMNS} FROM plan ${ids ? 'WHERE id = ANY($1)' : ''}`,
    ids ? [ids] : [],
  );
  return rows;
}
