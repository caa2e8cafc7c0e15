/**
 * Accounting-Request (RFC 2866): the record is read out of the request, applied to the live sessions and counted by
 * policy at once (the counters are totals: a retry adds nothing), and the result is `ok` only once the record is in
 * the spool on disk. `fail` (the spool refused it) gets no response from the reply table, so the NAS retries rather
 * than losing the record.
 */

import type { Events, EventType } from '../../events/index.ts';
import type { Accounting } from '../accounting/index.ts';
import { type AcctRecord, recordOf, requestKey } from '../accounting/record.ts';
import type { NasEntry, RadiusCache } from '../cache/index.ts';
import type { AttrIndex } from '../codec/index.ts';
import type { RadiusPolicy } from '../policy.ts';
import type { Sessions } from '../sessions/index.ts';
import type { Result } from './replies.ts';

export interface AccountingContext {
  cache: Pick<RadiusCache, 'dictionary' | 'subscriber'>;
  sessions: Pick<Sessions, 'apply'>;
  accounting: Pick<Accounting, 'record'>;
  policy: Pick<RadiusPolicy, 'account'>;
  now: () => number;
  /** session.start, session.interim, session.stop for plugins, once the record is spooled. */
  events?: Pick<Events, 'wants' | 'emit'>;
  /** A record the spool could not take. */
  onSpoolError(err: unknown): void;
}

/** `ix` indexes the request; it is read before the first await. */
export function handleAccountingRequest(
  ix: AttrIndex,
  nas: NasEntry,
  source: string,
  port: number,
  ctx: AccountingContext,
): Promise<Result> {
  const rec = recordOf(ix, nas, source, ctx.now(), ctx.cache.dictionary, (u) => ctx.cache.subscriber(u)?.id ?? 0);
  rec.request = requestKey(source, port, ix.buf);
  ctx.sessions.apply(rec);
  // Policy acts on the update at once, not after the fsync.
  ctx.policy.account(rec);
  return ctx.accounting.record(rec).then(
    () => {
      if (ctx.events) emitSession(ctx.events, rec);
      return 'ok';
    },
    (err) => {
      ctx.onSpoolError(err);
      return 'fail';
    },
  );
}

const SESSION_EVENTS: Partial<Record<AcctRecord['status'], EventType>> = {
  start: 'session.start',
  interim: 'session.interim',
  stop: 'session.stop',
};

function emitSession(events: Pick<Events, 'wants' | 'emit'>, rec: AcctRecord): void {
  const type = SESSION_EVENTS[rec.status];
  if (!type || !events.wants(type)) return;
  events.emit(
    type,
    rec.username,
    {
      username: rec.username,
      subscriber_id: rec.subscriber_id,
      nas: rec.nas,
      acct_session_id: rec.acct_session_id,
      framed_ip: rec.framed_ip,
      session_time: rec.session_time,
      input_octets: rec.input_octets,
      output_octets: rec.output_octets,
      event_time: rec.event_time,
      ...(rec.status === 'stop' ? { terminate_cause: rec.terminate_cause } : {}),
    },
    rec.event_time * 1000,
  );
}
