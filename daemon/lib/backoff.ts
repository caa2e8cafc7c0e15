/**
 * Exponential backoff for a write or publish retried until it succeeds (Akvorado's ClickHouse writer: 20 ms → 30 s):
 * `min` after the first failure, doubled after each further one up to `max`, none once an attempt succeeds.
 */
export class Backoff {
  readonly #min: number;
  readonly #max: number;
  #delay = 0;

  constructor(minMs: number, maxMs: number) {
    this.#min = minMs;
    this.#max = maxMs;
  }

  /** The wait before the next attempt: 0 while nothing fails. */
  get delay(): number {
    return this.#delay;
  }

  get failing(): boolean {
    return this.#delay > 0;
  }

  /** An attempt failed: returns the wait before the next one. */
  fail(): number {
    this.#delay = this.#delay === 0 ? this.#min : Math.min(this.#max, this.#delay * 2);
    return this.#delay;
  }

  /** An attempt succeeded: returns whether it had been failing (the caller may log the recovery). */
  succeed(): boolean {
    const was = this.#delay > 0;
    this.#delay = 0;
    return was;
  }
}
