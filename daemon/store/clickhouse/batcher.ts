/**
 * Rows for ClickHouse that may be lost in a crash (the auth log, not accounting): TabSeparated lines buffered in
 * memory and inserted at `maxRows` or every `intervalMs`, retried with backoff while ClickHouse is away. The buffer
 * is bounded: past `maxBuffered` the oldest rows are dropped and counted, so an outage never grows memory without end.
 */
import type { ClickhouseConfig } from '../../../config/schema.ts';
import { Backoff } from '../../lib/backoff.ts';
import type { Logger } from '../../lib/log.ts';
import { sampledLog } from '../../lib/sampled-log.ts';
import type { ClickhouseStore } from './index.ts';

export interface BatcherOptions {
  maxRows: number;
  intervalMs: number;
  maxBuffered: number;
}

/** The batching of every such log, from the config (clickhouse.log_*). */
export const batcherOptions = (config: ClickhouseConfig): BatcherOptions => ({
  maxRows: config.log_batch_rows,
  intervalMs: config.log_batch_interval,
  maxBuffered: config.log_buffer_rows,
});

export class Batcher {
  readonly counters = { rows: 0, batches: 0, failures: 0, dropped: 0 };
  readonly #store: ClickhouseStore;
  readonly #table: string;
  readonly #columns: readonly string[];
  readonly #opts: BatcherOptions;
  readonly #warn: ReturnType<typeof sampledLog>;
  #rows: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #sending: Promise<void> | undefined;
  #backoffUntil = 0;
  readonly #backoff = new Backoff(20, 30_000);

  constructor(store: ClickhouseStore, table: string, columns: readonly string[], opts: BatcherOptions, log: Logger) {
    this.#store = store;
    this.#table = table;
    this.#columns = columns;
    this.#opts = opts;
    this.#warn = sampledLog(log);
  }

  get buffered(): number {
    return this.#rows.length;
  }

  /** One row: TabSeparated fields in the order of the columns, ending with a newline. */
  push(line: string): void {
    this.#rows.push(line);
    if (this.#rows.length > this.#opts.maxBuffered) {
      const excess = this.#rows.length - this.#opts.maxBuffered;
      this.#rows.splice(0, excess);
      this.counters.dropped += excess;
    }
    if (this.#rows.length >= this.#opts.maxRows && !this.#sending) void this.flush();
  }

  start(): void {
    this.#timer = setInterval(() => void this.flush(), this.#opts.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#backoffUntil = 0;
    await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#sending) return this.#sending;
    if (this.#rows.length === 0 || Date.now() < this.#backoffUntil) return;
    const batch = this.#rows.splice(0, this.#opts.maxRows);
    this.#sending = this.#store
      .insertTsv(this.#table, this.#columns, batch)
      .then(
        () => {
          this.counters.rows += batch.length;
          this.counters.batches++;
          this.#backoff.succeed();
        },
        (err) => {
          this.counters.failures++;
          this.#rows.unshift(...batch);
          this.#backoffUntil = Date.now() + this.#backoff.fail();
          this.#warn(
            'warn',
            { table: this.#table, err: (err as Error).message, buffered: this.#rows.length },
            'ClickHouse insert failed; will retry',
          );
        },
      )
      .finally(() => {
        this.#sending = undefined;
      });
    return this.#sending;
  }
}
