/**
 * Failed staff logins counted per email and per client address over a fixed window. An attempt counts as failed
 * from the moment it starts (and is taken back when it succeeds), so parallel guesses cannot slip past the limit
 * while their hashes are being checked.
 */

export interface LoginLimits {
  perEmail: number;
  perAddress: number;
  windowMs: number;
  now: () => number;
  /** Keys remembered at most; beyond it expired ones are dropped, then the oldest. */
  maxKeys?: number;
}

interface Window {
  count: number;
  resetAt: number;
}

export class LoginLimiter {
  readonly #limits: Required<LoginLimits>;
  readonly #windows = new Map<string, Window>();

  constructor(limits: LoginLimits) {
    this.#limits = { maxKeys: 100_000, ...limits };
  }

  /**
   * Starts an attempt: 0 when it may go on (it is counted as a failure until `succeeded`), else the milliseconds
   * until the email or address may try again.
   */
  attempt(address: string, email: string): number {
    const now = this.#limits.now();
    const byEmail = this.#current(`e:${email}`, now);
    const byAddress = this.#current(`a:${address}`, now);
    const wait = Math.max(
      byEmail && byEmail.count >= this.#limits.perEmail ? byEmail.resetAt - now : 0,
      byAddress && byAddress.count >= this.#limits.perAddress ? byAddress.resetAt - now : 0,
    );
    if (wait > 0) return wait;
    this.#bump(`e:${email}`, byEmail, now);
    this.#bump(`a:${address}`, byAddress, now);
    return 0;
  }

  /** The attempt was right: it no longer counts, and the email's earlier failures are forgotten. */
  succeeded(address: string, email: string): void {
    this.#windows.delete(`e:${email}`);
    const w = this.#windows.get(`a:${address}`);
    if (w && w.count > 0) w.count--;
  }

  get size(): number {
    return this.#windows.size;
  }

  #current(key: string, now: number): Window | undefined {
    const w = this.#windows.get(key);
    if (w && w.resetAt <= now) {
      this.#windows.delete(key);
      return undefined;
    }
    return w;
  }

  #bump(key: string, w: Window | undefined, now: number): void {
    if (w) {
      w.count++;
      return;
    }
    if (this.#windows.size >= this.#limits.maxKeys) this.#prune(now);
    this.#windows.set(key, { count: 1, resetAt: now + this.#limits.windowMs });
  }

  #prune(now: number): void {
    for (const [k, w] of this.#windows) if (w.resetAt <= now) this.#windows.delete(k);
    // Still full: forget the oldest windows (a Map iterates in insertion order).
    for (const k of this.#windows.keys()) {
      if (this.#windows.size < this.#limits.maxKeys) break;
      this.#windows.delete(k);
    }
  }
}
