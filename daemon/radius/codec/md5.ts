/**
 * MD5 (RFC 1321) and HMAC-MD5 (RFC 2104) for the packet path. Node 20's createHash/createHmac cost several
 * microseconds each in object setup, more than hashing a RADIUS packet; a RADIUS request needs four of them. Here a
 * hash is a few block compressions on reused memory, and an HMAC key's inner and outer pads are hashed once per NAS
 * secret (RFC 2104 §4: the intermediate results may be precomputed).
 */

const S = [
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4,
  11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
];
const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0;
const G = new Uint8Array(64);
for (let i = 0; i < 64; i++) G[i] = i < 16 ? i : i < 32 ? (5 * i + 1) % 16 : i < 48 ? (3 * i + 5) % 16 : (7 * i) % 16;

const X = new Int32Array(16);

/** One 64-byte block into the state (RFC 1321 §3.4). */
function compress(state: Int32Array, block: Uint8Array, at: number): void {
  for (let i = 0; i < 16; i++) {
    const o = at + i * 4;
    X[i] = block[o]! | (block[o + 1]! << 8) | (block[o + 2]! << 16) | (block[o + 3]! << 24);
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  for (let i = 0; i < 64; i++) {
    let f: number;
    if (i < 16) f = (b & c) | (~b & d);
    else if (i < 32) f = (d & b) | (~d & c);
    else if (i < 48) f = b ^ c ^ d;
    else f = c ^ (b | ~d);
    const t = (a + f + K[i]! + X[G[i]!]!) | 0;
    a = d;
    d = c;
    c = b;
    const s = S[i]!;
    b = (b + ((t << s) | (t >>> (32 - s)))) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
}

const INIT = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476);

/** An MD5 computation that can start from a saved state (after some whole blocks), fed in parts. */
export class Md5 {
  readonly state = new Int32Array(4);
  readonly #buffer = new Uint8Array(64);
  #buffered = 0;
  #length = 0;

  /** Starts over, from the initial state or from `from` (a state after `fromLength` bytes, a multiple of 64). */
  reset(from: Int32Array = INIT, fromLength = 0): this {
    this.state.set(from);
    this.#buffered = 0;
    this.#length = fromLength;
    return this;
  }

  update(data: Uint8Array, start = 0, end = data.length): this {
    this.#length += end - start;
    let i = start;
    if (this.#buffered > 0) {
      const take = Math.min(64 - this.#buffered, end - i);
      this.#buffer.set(data.subarray(i, i + take), this.#buffered);
      this.#buffered += take;
      i += take;
      if (this.#buffered < 64) return this;
      compress(this.state, this.#buffer, 0);
      this.#buffered = 0;
    }
    for (; i + 64 <= end; i += 64) compress(this.state, data, i);
    if (i < end) {
      this.#buffer.set(data.subarray(i, end), 0);
      this.#buffered = end - i;
    }
    return this;
  }

  /** Writes the 16-byte digest into `out` at `offset`. */
  digestInto(out: Uint8Array, offset = 0): void {
    const bits = this.#length * 8;
    const b = this.#buffer;
    b[this.#buffered++] = 0x80;
    if (this.#buffered > 56) {
      b.fill(0, this.#buffered);
      compress(this.state, b, 0);
      this.#buffered = 0;
    }
    b.fill(0, this.#buffered, 56);
    const lo = bits >>> 0;
    const hi = Math.floor(bits / 2 ** 32) >>> 0;
    b[56] = lo & 255;
    b[57] = (lo >>> 8) & 255;
    b[58] = (lo >>> 16) & 255;
    b[59] = lo >>> 24;
    b[60] = hi & 255;
    b[61] = (hi >>> 8) & 255;
    b[62] = (hi >>> 16) & 255;
    b[63] = hi >>> 24;
    compress(this.state, b, 0);
    for (let i = 0; i < 4; i++) {
      const v = this.state[i]!;
      out[offset + i * 4] = v & 255;
      out[offset + i * 4 + 1] = (v >>> 8) & 255;
      out[offset + i * 4 + 2] = (v >>> 16) & 255;
      out[offset + i * 4 + 3] = v >>> 24;
    }
  }
}

const shared = new Md5();

/** MD5 of the concatenation of `parts`, written into `out` (16 bytes at `offset`). */
export function md5Into(out: Uint8Array, offset: number, ...parts: Uint8Array[]): void {
  shared.reset();
  for (const p of parts) shared.update(p);
  shared.digestInto(out, offset);
}

/** An HMAC-MD5 key with its inner and outer pads already hashed. */
export class HmacMd5 {
  readonly #inner = new Int32Array(4);
  readonly #outer = new Int32Array(4);
  readonly #mid = new Uint8Array(16);

  constructor(key: Uint8Array) {
    const k = new Uint8Array(64);
    if (key.length > 64) md5Into(k, 0, key);
    else k.set(key);
    const pad = new Uint8Array(64);
    for (let i = 0; i < 64; i++) pad[i] = k[i]! ^ 0x36;
    this.#inner.set(shared.reset().update(pad).state);
    for (let i = 0; i < 64; i++) pad[i] = k[i]! ^ 0x5c;
    this.#outer.set(shared.reset().update(pad).state);
  }

  /** HMAC of `data[start, end)`, written into `out` (16 bytes at `offset`). */
  macInto(out: Uint8Array, offset: number, data: Uint8Array, start = 0, end = data.length): void {
    shared.reset(this.#inner, 64).update(data, start, end).digestInto(this.#mid);
    shared.reset(this.#outer, 64).update(this.#mid).digestInto(out, offset);
  }
}
