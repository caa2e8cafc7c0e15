/**
 * Write-behind of state kept in memory (live sessions, FUP counters) to PostgreSQL: one write at a time, every
 * `intervalMs` and whenever asked. The write takes what changed; when it fails it puts that back, so the next write
 * carries it: a failure is counted and logged (sampled), never lost and never fatal.
 */
import type { Logger } from '../lib/log.ts';
import { sampledLog } from '../lib/sampled-log.ts';

export class WriteBehind {
  readonly counters = { flushes: 0, flush_errors: 0 };
  readonly #intervalMs: number;
  readonly #write: () => Promise<boolean>;
  readonly #warn: ReturnType<typeof sampledLog>;
  readonly #what: string;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #writing: Promise<void> | undefined;

  /**
   * `write` takes what changed and writes it, resolving to false when there was nothing to write; when it throws, it
   * has put back what it took.
   */
  constructor(what: string, intervalMs: number, write: () => Promise<boolean>, log: Logger) {
    this.#what = what;
    this.#intervalMs = intervalMs;
    this.#write = write;
    this.#warn = sampledLog(log);
  }

  start(): void {
    this.#running = true;
    this.#schedule();
  }

  /** Stops the timer and writes what is left. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.flush();
  }

  /** Writes now, after the write under way (if any). */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
    this.#writing = this.#write().then(
      (wrote) => {
        if (wrote) this.counters.flushes++;
      },
      (err) => {
        this.counters.flush_errors++;
        this.#warn('warn', { err: (err as Error).message }, `writing ${this.#what} to PostgreSQL failed; will retry`);
      },
    );
    try {
      await this.#writing;
    } finally {
      this.#writing = undefined;
    }
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      void this.flush().finally(() => {
        if (this.#running) this.#schedule();
      });
    }, this.#intervalMs);
  }
}
