/**
 * Parsing a push off the event loop: the ingest endpoint hands an NDJSON body to the collectors' parse pool and gets
 * TabSeparated rows back, or the line that is wrong.
 */

export type PushParseOutcome =
  | { ok: true; body: Uint8Array; rows: number }
  | { ok: false; error: string; line?: number };

export interface PushParser {
  /** Rejects with WISPD_TELEMETRY_BACKPRESSURE when every parser is busy and the queue is full. */
  parsePush(body: Uint8Array, site: string, now: number): Promise<PushParseOutcome>;
  /** Tasks waiting or running. */
  readonly pending: number;
  readonly threads: number;
}
