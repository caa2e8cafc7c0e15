/**
 * Telemetry rows as they travel: TabSeparated lines of `ts, site, device, metric, instance, value` (ts in epoch
 * milliseconds written as seconds.millis, which ClickHouse reads into DateTime64(3)). Collectors build them where the
 * samples are produced (a worker thread, a remote poller) and hand over one buffer per batch: a batch crosses threads
 * and the network as bytes, never as objects, and ClickHouse parses it directly.
 */
import { tsvMillis, tsvString } from '../daemon/store/clickhouse/tsv.ts';

export const TELEMETRY_COLUMNS = ['ts', 'site', 'device', 'metric', 'instance', 'value'] as const;

/** Rows ready for the writer. */
export interface RowBatch {
  body: Buffer;
  rows: number;
  /**
   * Set by a producer that may deliver the batch twice (a remote poller, an HTTP pusher): the batch is inserted on its
   * own with this id as its deduplication token, so a second delivery is not stored again.
   */
  id?: string;
}

/** The escaped site and device fields of one source, computed once per device rather than once per row. */
export interface RowSource {
  readonly prefix: string;
}

export function rowSource(site: string, device: string): RowSource {
  return { prefix: `\t${tsvString(site)}\t${tsvString(device)}\t` };
}

/** A finite number as ClickHouse reads a Float64 (NaN and infinities are not samples). */
function value(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e6) / 1e6);
}

/** Accumulates rows; `take()` hands them over as one buffer and starts afresh. */
export class RowBuilder {
  #parts: string[] = [];
  #rows = 0;

  get rows(): number {
    return this.#rows;
  }

  /** Returns false (and adds nothing) for a value that is not a finite number. */
  add(ts: number, source: RowSource, metric: string, instance: string, v: number): boolean {
    if (!Number.isFinite(v)) return false;
    this.#parts.push(`${tsvMillis(ts)}${source.prefix}${metric}\t${tsvString(instance)}\t${value(v)}\n`);
    this.#rows++;
    return true;
  }

  take(): RowBatch | undefined {
    if (this.#rows === 0) return undefined;
    const batch = { body: Buffer.from(this.#parts.join(''), 'utf8'), rows: this.#rows };
    this.#parts = [];
    this.#rows = 0;
    return batch;
  }
}
