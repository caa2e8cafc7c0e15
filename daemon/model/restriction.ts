/**
 * The restriction stack: why a subscriber is restricted, and how. Each reason is set and lifted on its own (paying a
 * bill lifts `dunning`, never an FUP throttle; a new FUP period lifts `fup`, never a billing suspension); what the
 * subscriber meets is the most severe of the reasons in force. `fup` comes from the FUP engine's counters; the
 * others are rows of `subscriber_restriction`, set by staff, plugins and the CLI through the core's commands.
 */
import { invalid, notFound, type Queryable } from './db.ts';

export const RESTRICTION_REASONS = ['fup', 'dunning', 'manual', 'pending_install'] as const;
export type RestrictionReason = (typeof RESTRICTION_REASONS)[number];
/** The reasons set by a command (fup is the FUP engine's). */
export const STORED_REASONS = ['dunning', 'manual', 'pending_install'] as const;
export type StoredReason = (typeof STORED_REASONS)[number];

export const RESTRICTION_EFFECTS = ['throttle', 'walled_garden', 'reject'] as const;

export type Effect =
  | { effect: 'throttle'; rateDown: number; rateUp: number }
  /** `profile`: the NAS's address list for the garden (MikroTik); null for radius.walled_garden.address_list. */
  | { effect: 'walled_garden'; profile: string | null }
  | { effect: 'reject' };

export type Restriction = Effect & { reason: RestrictionReason; note: string };

/** A restriction a command sets: which reason, its effect, a note. */
export type NewRestriction = Effect & { reason: StoredReason; note: string };

export type StoredRestriction = NewRestriction & { actor: string; createdAt: Date };

const SEVERITY = { throttle: 1, walled_garden: 2, reject: 3 } as const;
/** Which reason's walled garden wins when several put the subscriber in one. */
const PRECEDENCE: Record<RestrictionReason, number> = { manual: 4, dunning: 3, pending_install: 2, fup: 1 };

/**
 * The restriction in force: the most severe effect; among throttles the slowest rate in each direction, among
 * walled gardens the one of the reason that weighs most (manual, dunning, pending_install, fup). Null for none.
 */
export function mostSevere(list: readonly Restriction[]): Restriction | null {
  let top: Restriction | null = null;
  for (const r of list) top = moreSevere(top, r);
  return top;
}

/** The more severe of two restrictions (see mostSevere). */
export function moreSevere(a: Restriction | null, b: Restriction | null): Restriction | null {
  if (!a || !b) return a ?? b;
  if (SEVERITY[a.effect] !== SEVERITY[b.effect]) return SEVERITY[a.effect] > SEVERITY[b.effect] ? a : b;
  if (a.effect === 'throttle' && b.effect === 'throttle') {
    if (a.rateDown <= b.rateDown && a.rateUp <= b.rateUp) return a;
    if (b.rateDown <= a.rateDown && b.rateUp <= a.rateUp) return b;
    const slower = a.rateDown < b.rateDown ? a : b;
    return { ...slower, rateDown: Math.min(a.rateDown, b.rateDown), rateUp: Math.min(a.rateUp, b.rateUp) };
  }
  return PRECEDENCE[a.reason] >= PRECEDENCE[b.reason] ? a : b;
}

/** Whether two restrictions put the subscriber in the same place (the NAS need not be told). */
export function sameEffect(a: Effect | null, b: Effect | null): boolean {
  if (!a || !b) return a === b;
  if (a.effect !== b.effect) return false;
  if (a.effect === 'throttle' && b.effect === 'throttle') return a.rateDown === b.rateDown && a.rateUp === b.rateUp;
  if (a.effect === 'walled_garden' && b.effect === 'walled_garden') return a.profile === b.profile;
  return true;
}

/** An effect in a few words, for logs, the ledger and the CLI: `throttle 2M/1M`, `walled garden unpaid`, `reject`. */
export function describeEffect(e: Effect, rate: (bps: number) => string): string {
  if (e.effect === 'throttle') return `throttle ${rate(e.rateDown)}/${rate(e.rateUp)}`;
  if (e.effect === 'walled_garden') return `walled garden${e.profile ? ` ${e.profile}` : ''}`;
  return 'reject';
}

export interface RestrictionInput {
  reason: string;
  effect: string;
  rateDown?: number | null;
  rateUp?: number | null;
  profile?: string | null;
  note?: string;
}

export function validReason(reason: string): StoredReason {
  if (reason === 'fup')
    throw invalid('reason', reason, 'fup is set and lifted by the FUP engine (top up or reset the counter instead)');
  if (!(STORED_REASONS as readonly string[]).includes(reason))
    throw invalid('reason', reason, `one of ${STORED_REASONS.join(', ')}`);
  return reason as StoredReason;
}

/** A restriction as a command gives it, checked. */
export function validRestriction(input: RestrictionInput): NewRestriction {
  const reason = validReason(input.reason);
  const note = input.note ?? '';
  if (note.length > 500) throw invalid('note', note.slice(0, 40), 'at most 500 characters');
  switch (input.effect) {
    case 'throttle': {
      const down = Number(input.rateDown);
      const up = Number(input.rateUp);
      if (!(Number.isSafeInteger(down) && down > 0 && Number.isSafeInteger(up) && up > 0))
        throw invalid('rate', `${input.rateDown}/${input.rateUp}`, 'a throttle needs a rate such as 1M/512k (down/up)');
      return { reason, note, effect: 'throttle', rateDown: down, rateUp: up };
    }
    case 'walled_garden': {
      const profile = input.profile ? String(input.profile) : null;
      if (profile !== null && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(profile))
        throw invalid('profile', profile, 'an address-list name: letters, digits, dot, dash, underscore');
      return { reason, note, effect: 'walled_garden', profile };
    }
    case 'reject':
      return { reason, note, effect: 'reject' };
    default:
      throw invalid('effect', input.effect, `one of ${RESTRICTION_EFFECTS.join(', ')}`);
  }
}

interface Row {
  subscriber_id: number;
  reason: StoredReason;
  effect: Effect['effect'];
  rate_down: string | null;
  rate_up: string | null;
  profile: string | null;
  note: string;
  actor: string;
  created_at: Date;
}

export function restrictionOfRow(r: Omit<Row, 'subscriber_id'>): StoredRestriction {
  const base = { reason: r.reason, note: r.note, actor: r.actor, createdAt: new Date(r.created_at) };
  if (r.effect === 'throttle')
    return { ...base, effect: 'throttle', rateDown: Number(r.rate_down), rateUp: Number(r.rate_up) };
  if (r.effect === 'walled_garden') return { ...base, effect: 'walled_garden', profile: r.profile };
  return { ...base, effect: 'reject' };
}

/** The JSON of a subscriber's stored restrictions, for a query that loads subscribers (the RADIUS cache's). */
export const RESTRICTIONS_JSON = `(SELECT coalesce(json_agg(json_build_object('reason', r.reason, 'effect', r.effect,
  'rate_down', r.rate_down, 'rate_up', r.rate_up, 'profile', r.profile, 'note', r.note, 'actor', r.actor,
  'created_at', r.created_at)), '[]') FROM subscriber_restriction r WHERE r.subscriber_id = s.id)`;

export async function storedRestrictions(db: Queryable, subscriberId: number): Promise<StoredRestriction[]> {
  const { rows } = await db.query<Row>(
    'SELECT * FROM subscriber_restriction WHERE subscriber_id = $1 ORDER BY created_at',
    [subscriberId],
  );
  return rows.map(restrictionOfRow);
}

export async function subscriberIdOf(db: Queryable, username: string): Promise<number> {
  const { rows } = await db.query<{ id: number }>('SELECT id FROM subscriber WHERE username = $1', [username]);
  if (!rows[0]) throw notFound('subscriber', username);
  return rows[0].id;
}

/** Sets (or replaces) one reason's restriction; returns what was there before. */
export async function putRestriction(
  tx: Queryable,
  subscriberId: number,
  r: NewRestriction,
  actor: string,
): Promise<StoredRestriction | null> {
  const before = (await storedRestrictions(tx, subscriberId)).find((x) => x.reason === r.reason) ?? null;
  await tx.query(
    `INSERT INTO subscriber_restriction (subscriber_id, reason, effect, rate_down, rate_up, profile, note, actor)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (subscriber_id, reason) DO UPDATE SET effect = $3, rate_down = $4, rate_up = $5, profile = $6,
       note = $7, actor = $8, created_at = now()`,
    [
      subscriberId,
      r.reason,
      r.effect,
      r.effect === 'throttle' ? r.rateDown : null,
      r.effect === 'throttle' ? r.rateUp : null,
      r.effect === 'walled_garden' ? r.profile : null,
      r.note,
      actor,
    ],
  );
  return before;
}

/** Lifts one reason's restriction; returns it, or null when it was not set. */
export async function deleteRestriction(
  tx: Queryable,
  subscriberId: number,
  reason: StoredReason,
): Promise<StoredRestriction | null> {
  const { rows } = await tx.query<Row>(
    'DELETE FROM subscriber_restriction WHERE subscriber_id = $1 AND reason = $2 RETURNING *',
    [subscriberId, reason],
  );
  return rows[0] ? restrictionOfRow(rows[0]) : null;
}
