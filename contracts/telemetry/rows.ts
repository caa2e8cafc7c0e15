/**
 * Telemetry rows as they travel: TabSeparated lines of `ts, site, device, metric, instance, value` (ts in epoch
 * milliseconds written as seconds.millis, which ClickHouse reads into DateTime64(3)). Collectors build them where the
 * samples are produced (a worker thread, a remote poller) and hand over one buffer per batch: a batch crosses threads
 * and the network as bytes, never as objects, and ClickHouse parses it directly.
 */
import { tsvMillis, tsvString } from '../tsv.ts';

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

/** Rows gathered as text before they are encoded into the builder's buffer (UTF-16 code units). */
const SPILL_CHARS = 16 * 1024;
const MIN_BYTES = 64 * 1024;
/** A builder that is reused (a poller's) keeps its buffer up to this size between batches. */
const KEEP_BYTES = 8 * 1024 * 1024;
const NO_BYTES = Buffer.alloc(0);

/**
 * Accumulates rows; `take()` hands them over as one buffer and starts afresh. Rows are encoded into one growing buffer
 * a few hundred at a time, rather than kept as one string each until the batch is taken: tens of thousands of strings
 * outliving the young generation made garbage collection the larger part of building a batch.
 */
export class RowBuilder {
  #buf: Buffer = NO_BYTES;
  #len = 0;
  #pending = '';
  #rows = 0;
  /** The rows of one poll (and most pushed samples) share a timestamp: its text is made once. */
  #ts = Number.NaN;
  #tsText = '';

  get rows(): number {
    return this.#rows;
  }

  /** Returns false (and adds nothing) for a value that is not a finite number. */
  add(ts: number, source: RowSource, metric: string, instance: string, v: number): boolean {
    if (!Number.isFinite(v)) return false;
    if (ts !== this.#ts) {
      this.#ts = ts;
      this.#tsText = tsvMillis(ts);
    }
    this.#pending += `${this.#tsText}${source.prefix}${metric}\t${tsvString(instance)}\t${value(v)}\n`;
    if (this.#pending.length >= SPILL_CHARS) this.#spill();
    this.#rows++;
    return true;
  }

  #spill(): void {
    const text = this.#pending;
    if (text.length === 0) return;
    // At most three UTF-8 bytes per UTF-16 code unit.
    const need = this.#len + text.length * 3;
    if (need > this.#buf.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(need, this.#buf.length * 2, MIN_BYTES));
      this.#buf.copy(grown, 0, 0, this.#len);
      this.#buf = grown;
    }
    this.#len += this.#buf.write(text, this.#len, 'utf8');
    this.#pending = '';
  }

  take(): RowBatch | undefined {
    if (this.#rows === 0) return undefined;
    this.#spill();
    // A buffer of its own, exactly the batch: it can be transferred to another thread without a copy.
    const body = Buffer.allocUnsafeSlow(this.#len);
    this.#buf.copy(body, 0, 0, this.#len);
    const batch = { body, rows: this.#rows };
    if (this.#buf.length > KEEP_BYTES) this.#buf = NO_BYTES;
    this.#len = 0;
    this.#rows = 0;
    return batch;
  }
}
