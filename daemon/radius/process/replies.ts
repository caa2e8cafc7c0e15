/**
 * The one table that turns a handler's result into a reply (after FreeRADIUS's process_state[]): an Access-Request
 * that fails is rejected; an Accounting-Request that fails gets no response, so the NAS retries instead of losing
 * the record; a timeout is never answered.
 */
import { Code } from '../codec/index.ts';
import type { Reply } from '../listener/index.ts';

export type Result = 'ok' | 'reject' | 'notfound' | 'fail' | 'timeout';

type Table = Readonly<Record<Result, number | null>>;

export const replies: Readonly<Record<number, Table>> = {
  [Code.AccessRequest]: {
    ok: Code.AccessAccept,
    reject: Code.AccessReject,
    notfound: Code.AccessReject,
    fail: Code.AccessReject,
    timeout: null,
  },
  [Code.AccountingRequest]: {
    ok: Code.AccountingResponse,
    reject: Code.AccountingResponse,
    notfound: Code.AccountingResponse,
    fail: null,
    timeout: null,
  },
  // RFC 5997 §3: a Status-Server to the authentication port is answered with an Access-Accept.
  [Code.StatusServer]: {
    ok: Code.AccessAccept,
    reject: null,
    notfound: null,
    fail: null,
    timeout: null,
  },
};

export function replyCode(requestCode: number, result: Result): number | null {
  return replies[requestCode]?.[result] ?? null;
}

const NONE: readonly Uint8Array[] = [];

/** The replies without attributes to a request type, one per result, made once. */
export function bareReplies(requestCode: number): Readonly<Record<Result, Reply>> {
  const table = replies[requestCode]!;
  return Object.fromEntries(
    (Object.keys(table) as Result[]).map((r) => [r, { code: table[r], attrs: NONE }]),
  ) as Record<Result, Reply>;
}
