/**
 * What the RADIUS handlers ask of policy, and nothing more: the restriction in force for a subscriber they have
 * already looked up (an Access-Request), and the counting of an accounting record. The FUP engine implements it;
 * `radius/` never imports `policy/`.
 */
import type { FupRules } from '../model/fup-rules.ts';
import type { Restriction } from '../model/restriction.ts';
import type { AcctRecord } from './accounting/record.ts';

export interface Verdict {
  action: 'none' | 'throttle' | 'block';
  rate?: { rateDown: number; rateUp: number };
}

export interface RadiusPolicy {
  /** The restriction of a subscriber whose plan has FUP rules; synchronous, from memory. */
  verdict(subscriber: { readonly id: number; readonly cycleDay: number }, rules: FupRules): Verdict;
  /** Counts an accounting record (Start, Interim-Update, Stop); never waits. */
  account(rec: AcctRecord): void;
}

/** The FUP engine's verdict as the `fup` reason of the restriction stack. */
export function fupRestriction(v: Verdict): Restriction | null {
  if (v.action === 'block') return { reason: 'fup', effect: 'reject', note: 'over quota' };
  if (v.action === 'throttle') return { reason: 'fup', effect: 'throttle', note: 'over quota', ...v.rate! };
  return null;
}
