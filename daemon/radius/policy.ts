/**
 * What the RADIUS handlers ask of policy, and nothing more: the restriction in force for a subscriber they have
 * already looked up (an Access-Request), and the counting of an accounting record. The FUP engine implements it;
 * `radius/` never imports `policy/`.
 */
import type { FupRules } from '../model/fup-rules.ts';
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
