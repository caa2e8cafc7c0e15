/**
 * What a core operation answered, in the words a person at the panel reads: each CoA or Disconnect with its NAS,
 * outcome (ack, nak with its Error-Cause, timeout), attempts and time; a usage after a top-up or a reset.
 */

import { formatRate, readableBytes } from '../../../config/units.ts';
import { noAnswerHint } from '../../../daemon/coa/hints.ts';
import type { CoaResult } from '../../../daemon/coa/index.ts';
import type { Usage } from '../../../daemon/policy/fup/index.ts';

export interface Notice {
  message: string;
  type: 'success' | 'error' | 'info';
}

const KIND = { coa: 'CoA-Request', disconnect: 'Disconnect-Request' } as const;

/** One request and how it ended, e.g. "Disconnect-Request to nas-1: nak (Session-Context-Not-Found), 1 attempt, 3 ms". */
export function describeResult(r: CoaResult): string {
  const cause = r.errorCause ? ` (${r.errorCause})` : '';
  const line = `${KIND[r.kind]} to ${r.nas} for session ${r.acctSessionId}: ${r.outcome}${cause}, ${r.attempts} attempt${r.attempts === 1 ? '' : 's'}, ${r.latencyMs} ms`;
  return r.fallback ? `${line}; then ${describeResult(r.fallback)}` : line;
}

/** A request succeeded when the NAS acknowledged it, or acknowledged the Disconnect sent after its NAK. */
export const acknowledged = (r: CoaResult): boolean =>
  r.outcome === 'ack' || (r.fallback !== undefined && acknowledged(r.fallback));

/** `done`: what happened to the record ("alice suspended"); then each session's CoA, or that none was online. */
export function describeCoa(done: string, results: readonly CoaResult[]): Notice {
  if (results.length === 0) return { message: `${done}; no live session to change.`, type: 'success' };
  const ok = results.every(acknowledged);
  const silent = [...new Set(results.filter((r) => r.outcome === 'timeout').map((r) => r.nas))];
  const hints = silent.map((nas) => ` ${noAnswerHint(nas)}.`).join('');
  return { message: `${done}. ${results.map(describeResult).join('. ')}.${hints}`, type: ok ? 'success' : 'error' };
}

export function describeUsage(done: string, usage: Usage | undefined): Notice {
  if (!usage) return { message: `${done}.`, type: 'success' };
  const state = usage.state === 'none' ? 'no restriction' : usage.state;
  return {
    message: `${done}: ${readableBytes(usage.bytes)} used of ${readableBytes(usage.limit)} this ${usage.period} (${Math.round(usage.percent)} %, ${state}).`,
    type: 'success',
  };
}

/** For the audit log: the outcome of each request, without the words. */
export const outcomes = (results: readonly CoaResult[]) =>
  results.map((r) => ({
    nas: r.nas,
    session: r.acctSessionId,
    kind: r.kind,
    outcome: r.outcome,
    ...(r.errorCause ? { errorCause: r.errorCause } : {}),
    ...(r.fallback ? { fallback: { kind: r.fallback.kind, outcome: r.fallback.outcome } } : {}),
  }));

export const rateText = (rate: { rateDown: number; rateUp: number }): string =>
  `${formatRate(rate.rateDown)}/${formatRate(rate.rateUp)}`;
