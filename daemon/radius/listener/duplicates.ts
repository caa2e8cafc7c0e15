/**
 * RFC 5080 §2.2.2: a request with the same NAS, source port, identifier and Request Authenticator as one seen
 * within the window is a retransmission: it gets the same reply again and is not processed twice. While the first
 * copy is still being processed (accounting waits for its fsync), the copy is dropped; the NAS will retry.
 * Two generations of maps rotate every window, so expiry costs nothing per packet.
 */
import { equal16 } from '../codec/index.ts';

interface Entry {
  request: Buffer;
  reply: Buffer | null;
}

export type Seen = { kind: 'new' } | { kind: 'in-progress' } | { kind: 'replied'; reply: Buffer };

const NEW: Seen = { kind: 'new' };
const IN_PROGRESS: Seen = { kind: 'in-progress' };

export class DuplicateCache {
  #current = new Map<number, Entry>();
  #previous = new Map<number, Entry>();
  #timer: NodeJS.Timeout | undefined;

  constructor(windowMs: number) {
    this.#timer = setInterval(() => {
      this.#previous = this.#current;
      this.#current = new Map();
    }, windowMs);
    this.#timer.unref();
  }

  /** The key of (NAS, source port, identifier). */
  static key(nasId: number, port: number, request: Buffer): number {
    return nasId * 16_777_216 + port * 256 + request[1]!;
  }

  check(key: number, request: Buffer): Seen {
    const e = this.#current.get(key) ?? this.#previous.get(key);
    if (!e || !equal16(e.request, 4, request, 4)) return NEW;
    return e.reply ? { kind: 'replied', reply: e.reply } : IN_PROGRESS;
  }

  begin(key: number, request: Buffer): void {
    this.#current.set(key, { request, reply: null });
  }

  /** Records the reply sent; `null` (no reply) forgets the request so that the NAS's retry is processed. */
  finish(key: number, request: Buffer, reply: Buffer | null): void {
    const e = this.#current.get(key) ?? this.#previous.get(key);
    if (!e || e.request !== request) {
      if (reply) this.#current.set(key, { request, reply });
      return;
    }
    if (reply) e.reply = reply;
    else {
      this.#current.delete(key);
      this.#previous.delete(key);
    }
  }

  get size(): number {
    return this.#current.size + this.#previous.size;
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
