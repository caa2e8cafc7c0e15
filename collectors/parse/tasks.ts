/**
 * Parsing that takes bytes in and costs milliseconds (NDJSON pushes, Prometheus expositions, GenieACS JSON) runs in a
 * worker pool: the bytes go in, TabSeparated rows come back, each as one transferred buffer — never objects per sample.
 */
import type { CpeCounters } from '../cpe/parse.ts';
import type { EpcState } from '../epc/parse/rows.ts';

export type ParseTask =
  | { kind: 'ndjson'; body: Uint8Array; site: string; now: number }
  /** One scrape of an EPC; `prev` is what the previous scrape returned in `extra.state` (rates need it). */
  | { kind: 'prometheus'; body: Uint8Array; site: string; device: string; ts: number; prev?: EpcState }
  /**
   * One page of GenieACS devices; `prev` holds the previous cycle's `extra.state` of (at least) this page's CPEs,
   * `names` the inventory names of CPEs not named `cpe-<serial>`.
   */
  | {
      kind: 'genieacs';
      body: Uint8Array;
      ts: number;
      prev?: Record<string, CpeCounters>;
      names?: Record<string, string>;
    };

export type ParseOutcome =
  | {
      ok: true;
      /** TabSeparated telemetry rows (contracts/telemetry/rows.ts). */
      body: Uint8Array;
      rows: number;
      /** What a parser returns besides rows (the CPEs a GenieACS answer describes). */
      extra?: unknown;
    }
  | { ok: false; error: string; line?: number };

/** A buffer that owns its memory, so it can be transferred (Node's small buffers share one pool). */
export function owned(b: Uint8Array): Uint8Array {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) return b;
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return copy;
}
