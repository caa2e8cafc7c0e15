/**
 * RFC 5080 §2.2.2: a request with the same NAS, source port, identifier and Request Authenticator as one seen
 * within the window is a retransmission: it gets the same reply again and is not processed twice. While the first
 * copy is still being processed (accounting waits for its fsync), the copy is dropped; the NAS will retry.
 *
 * Every request is remembered for the window, so this table is written once per packet: it is a fixed open-addressing
 * table in typed arrays, and the replies are copied into one ring of bytes, so that tens of thousands of live entries
 * are no objects at all for the garbage collector (old-generation collections stall the event loop). When the table is
 * full, the oldest entries of a probe run are overwritten first; a reply the ring has since overwritten is forgotten.
 */

const PROBES = 8;
/** Reply length marking a request still being processed. */
const IN_PROGRESS = 0xffff;
/** No reply kept. */
const NONE = 0;

export type Seen = { kind: 'new' } | { kind: 'in-progress' } | { kind: 'replied'; reply: Buffer };

const NEW: Seen = { kind: 'new' };
const BUSY: Seen = { kind: 'in-progress' };

export class DuplicateCache {
  readonly #mask: number;
  readonly #window: number;
  readonly #keys: Float64Array;
  readonly #times: Float64Array;
  /** The Request Authenticator, as four 32-bit words. */
  readonly #auth: Int32Array;
  /** Where each slot's reply starts in the ring (a position that only grows), and its length. */
  readonly #replyAt: Float64Array;
  readonly #replyLength: Uint16Array;
  readonly #ring: Buffer;
  /** Bytes ever written to the ring. */
  #written = 0;

  constructor(windowMs: number, capacityBits = 18, ringBytes = 32 << 20) {
    const capacity = 1 << capacityBits;
    this.#mask = capacity - 1;
    this.#window = windowMs;
    this.#keys = new Float64Array(capacity).fill(-1);
    this.#times = new Float64Array(capacity);
    this.#auth = new Int32Array(capacity * 4);
    this.#replyAt = new Float64Array(capacity);
    this.#replyLength = new Uint16Array(capacity);
    this.#ring = Buffer.allocUnsafeSlow(ringBytes);
  }

  /** The key of (NAS, source port, identifier). */
  static key(nasId: number, port: number, request: Buffer): number {
    return nasId * 16_777_216 + port * 256 + request[1]!;
  }

  #slot(key: number): number {
    // Fibonacci hashing of the key's low and high parts.
    return (Math.imul((key | 0) ^ Math.floor(key / 4_294_967_296), 0x9e3779b1) >>> 0) & this.#mask;
  }

  #find(key: number, request: Buffer, now: number): number {
    let i = this.#slot(key);
    for (let p = 0; p < PROBES; p++, i = (i + 1) & this.#mask) {
      if (this.#keys[i] !== key || now - this.#times[i]! > this.#window) continue;
      const a = i * 4;
      if (
        this.#auth[a] === request.readInt32LE(4) &&
        this.#auth[a + 1] === request.readInt32LE(8) &&
        this.#auth[a + 2] === request.readInt32LE(12) &&
        this.#auth[a + 3] === request.readInt32LE(16)
      ) {
        return i;
      }
    }
    return -1;
  }

  check(key: number, request: Buffer): Seen {
    const i = this.#find(key, request, performance.now());
    if (i < 0) return NEW;
    const length = this.#replyLength[i]!;
    if (length === IN_PROGRESS) return BUSY;
    const at = this.#replyAt[i]!;
    if (length === NONE || at < this.#written - this.#ring.length) return NEW;
    const start = at % this.#ring.length;
    return { kind: 'replied', reply: this.#ring.subarray(start, start + length) };
  }

  /** Copies a reply into the ring; returns its position, or -1 when it is too long to keep. */
  #keep(reply: Buffer): number {
    if (reply.length >= IN_PROGRESS || reply.length > this.#ring.length / 4) return -1;
    let at = this.#written;
    // A reply never wraps around the end of the ring.
    if ((at % this.#ring.length) + reply.length > this.#ring.length) at += this.#ring.length - (at % this.#ring.length);
    reply.copy(this.#ring, at % this.#ring.length);
    this.#written = at + reply.length;
    return at;
  }

  #store(key: number, request: Buffer, reply: Buffer | null, now = performance.now()): void {
    let i = this.#find(key, request, now);
    if (i < 0) {
      // A free or expired slot of the probe run, else its oldest.
      let start = this.#slot(key);
      i = start;
      for (let p = 0; p < PROBES; p++, start = (start + 1) & this.#mask) {
        if (this.#keys[start] === -1 || now - this.#times[start]! > this.#window) {
          i = start;
          break;
        }
        if (this.#times[start]! < this.#times[i]!) i = start;
      }
      this.#keys[i] = key;
      const a = i * 4;
      this.#auth[a] = request.readInt32LE(4);
      this.#auth[a + 1] = request.readInt32LE(8);
      this.#auth[a + 2] = request.readInt32LE(12);
      this.#auth[a + 3] = request.readInt32LE(16);
    }
    this.#times[i] = now;
    if (reply === null) {
      this.#replyLength[i] = IN_PROGRESS;
      return;
    }
    const at = this.#keep(reply);
    this.#replyAt[i] = at;
    this.#replyLength[i] = at < 0 ? NONE : reply.length;
  }

  /** The request is being processed: copies of it are dropped until `finish`. */
  begin(key: number, request: Buffer): void {
    this.#store(key, request, null);
  }

  /**
   * Records the reply sent; `null` (no reply) forgets the request so that the NAS's retry is processed. `at` (on the
   * `performance.now()` clock) is when it was answered, for replies remembered from before a restart.
   */
  finish(key: number, request: Buffer, reply: Buffer | null, at?: number): void {
    if (reply) {
      this.#store(key, request, reply, at);
      return;
    }
    const i = this.#find(key, request, performance.now());
    if (i >= 0) this.#keys[i] = -1;
  }

  /** Entries within the window (a scan: for the counters, not the packet path). */
  get size(): number {
    const now = performance.now();
    let n = 0;
    for (let i = 0; i <= this.#mask; i++) if (this.#keys[i] !== -1 && now - this.#times[i]! <= this.#window) n++;
    return n;
  }

  close(): void {}
}
