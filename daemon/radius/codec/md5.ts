/**
 * MD5 (RFC 1321) and HMAC-MD5 (RFC 2104) for the packet path. Node 20's createHash/createHmac cost several
 * microseconds each in object setup, more than hashing a RADIUS packet; a RADIUS request needs four of them. Here a
 * hash is a few block compressions on reused memory, and an HMAC key's inner and outer pads are hashed once per NAS
 * secret (RFC 2104 §4: the intermediate results may be precomputed).
 */

/** One 64-byte block into the state (RFC 1321 §3.4), the 64 steps written out (generated; a loop is slower). */
function compress(state: Int32Array, m: Uint8Array, o: number): void {
  const x0 = m[o]! | (m[o + 1]! << 8) | (m[o + 2]! << 16) | (m[o + 3]! << 24);
  const x1 = m[o + 4]! | (m[o + 5]! << 8) | (m[o + 6]! << 16) | (m[o + 7]! << 24);
  const x2 = m[o + 8]! | (m[o + 9]! << 8) | (m[o + 10]! << 16) | (m[o + 11]! << 24);
  const x3 = m[o + 12]! | (m[o + 13]! << 8) | (m[o + 14]! << 16) | (m[o + 15]! << 24);
  const x4 = m[o + 16]! | (m[o + 17]! << 8) | (m[o + 18]! << 16) | (m[o + 19]! << 24);
  const x5 = m[o + 20]! | (m[o + 21]! << 8) | (m[o + 22]! << 16) | (m[o + 23]! << 24);
  const x6 = m[o + 24]! | (m[o + 25]! << 8) | (m[o + 26]! << 16) | (m[o + 27]! << 24);
  const x7 = m[o + 28]! | (m[o + 29]! << 8) | (m[o + 30]! << 16) | (m[o + 31]! << 24);
  const x8 = m[o + 32]! | (m[o + 33]! << 8) | (m[o + 34]! << 16) | (m[o + 35]! << 24);
  const x9 = m[o + 36]! | (m[o + 37]! << 8) | (m[o + 38]! << 16) | (m[o + 39]! << 24);
  const x10 = m[o + 40]! | (m[o + 41]! << 8) | (m[o + 42]! << 16) | (m[o + 43]! << 24);
  const x11 = m[o + 44]! | (m[o + 45]! << 8) | (m[o + 46]! << 16) | (m[o + 47]! << 24);
  const x12 = m[o + 48]! | (m[o + 49]! << 8) | (m[o + 50]! << 16) | (m[o + 51]! << 24);
  const x13 = m[o + 52]! | (m[o + 53]! << 8) | (m[o + 54]! << 16) | (m[o + 55]! << 24);
  const x14 = m[o + 56]! | (m[o + 57]! << 8) | (m[o + 58]! << 16) | (m[o + 59]! << 24);
  const x15 = m[o + 60]! | (m[o + 61]! << 8) | (m[o + 62]! << 16) | (m[o + 63]! << 24);
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let t: number;
  t = (a + ((b & c) | (~b & d)) + x0 + (0xd76aa478 | 0)) | 0;
  a = (b + ((t << 7) | (t >>> 25))) | 0;
  t = (d + ((a & b) | (~a & c)) + x1 + (0xe8c7b756 | 0)) | 0;
  d = (a + ((t << 12) | (t >>> 20))) | 0;
  t = (c + ((d & a) | (~d & b)) + x2 + 0x242070db) | 0;
  c = (d + ((t << 17) | (t >>> 15))) | 0;
  t = (b + ((c & d) | (~c & a)) + x3 + (0xc1bdceee | 0)) | 0;
  b = (c + ((t << 22) | (t >>> 10))) | 0;
  t = (a + ((b & c) | (~b & d)) + x4 + (0xf57c0faf | 0)) | 0;
  a = (b + ((t << 7) | (t >>> 25))) | 0;
  t = (d + ((a & b) | (~a & c)) + x5 + 0x4787c62a) | 0;
  d = (a + ((t << 12) | (t >>> 20))) | 0;
  t = (c + ((d & a) | (~d & b)) + x6 + (0xa8304613 | 0)) | 0;
  c = (d + ((t << 17) | (t >>> 15))) | 0;
  t = (b + ((c & d) | (~c & a)) + x7 + (0xfd469501 | 0)) | 0;
  b = (c + ((t << 22) | (t >>> 10))) | 0;
  t = (a + ((b & c) | (~b & d)) + x8 + 0x698098d8) | 0;
  a = (b + ((t << 7) | (t >>> 25))) | 0;
  t = (d + ((a & b) | (~a & c)) + x9 + (0x8b44f7af | 0)) | 0;
  d = (a + ((t << 12) | (t >>> 20))) | 0;
  t = (c + ((d & a) | (~d & b)) + x10 + (0xffff5bb1 | 0)) | 0;
  c = (d + ((t << 17) | (t >>> 15))) | 0;
  t = (b + ((c & d) | (~c & a)) + x11 + (0x895cd7be | 0)) | 0;
  b = (c + ((t << 22) | (t >>> 10))) | 0;
  t = (a + ((b & c) | (~b & d)) + x12 + 0x6b901122) | 0;
  a = (b + ((t << 7) | (t >>> 25))) | 0;
  t = (d + ((a & b) | (~a & c)) + x13 + (0xfd987193 | 0)) | 0;
  d = (a + ((t << 12) | (t >>> 20))) | 0;
  t = (c + ((d & a) | (~d & b)) + x14 + (0xa679438e | 0)) | 0;
  c = (d + ((t << 17) | (t >>> 15))) | 0;
  t = (b + ((c & d) | (~c & a)) + x15 + 0x49b40821) | 0;
  b = (c + ((t << 22) | (t >>> 10))) | 0;
  t = (a + ((d & b) | (~d & c)) + x1 + (0xf61e2562 | 0)) | 0;
  a = (b + ((t << 5) | (t >>> 27))) | 0;
  t = (d + ((c & a) | (~c & b)) + x6 + (0xc040b340 | 0)) | 0;
  d = (a + ((t << 9) | (t >>> 23))) | 0;
  t = (c + ((b & d) | (~b & a)) + x11 + 0x265e5a51) | 0;
  c = (d + ((t << 14) | (t >>> 18))) | 0;
  t = (b + ((a & c) | (~a & d)) + x0 + (0xe9b6c7aa | 0)) | 0;
  b = (c + ((t << 20) | (t >>> 12))) | 0;
  t = (a + ((d & b) | (~d & c)) + x5 + (0xd62f105d | 0)) | 0;
  a = (b + ((t << 5) | (t >>> 27))) | 0;
  t = (d + ((c & a) | (~c & b)) + x10 + 0x2441453) | 0;
  d = (a + ((t << 9) | (t >>> 23))) | 0;
  t = (c + ((b & d) | (~b & a)) + x15 + (0xd8a1e681 | 0)) | 0;
  c = (d + ((t << 14) | (t >>> 18))) | 0;
  t = (b + ((a & c) | (~a & d)) + x4 + (0xe7d3fbc8 | 0)) | 0;
  b = (c + ((t << 20) | (t >>> 12))) | 0;
  t = (a + ((d & b) | (~d & c)) + x9 + 0x21e1cde6) | 0;
  a = (b + ((t << 5) | (t >>> 27))) | 0;
  t = (d + ((c & a) | (~c & b)) + x14 + (0xc33707d6 | 0)) | 0;
  d = (a + ((t << 9) | (t >>> 23))) | 0;
  t = (c + ((b & d) | (~b & a)) + x3 + (0xf4d50d87 | 0)) | 0;
  c = (d + ((t << 14) | (t >>> 18))) | 0;
  t = (b + ((a & c) | (~a & d)) + x8 + 0x455a14ed) | 0;
  b = (c + ((t << 20) | (t >>> 12))) | 0;
  t = (a + ((d & b) | (~d & c)) + x13 + (0xa9e3e905 | 0)) | 0;
  a = (b + ((t << 5) | (t >>> 27))) | 0;
  t = (d + ((c & a) | (~c & b)) + x2 + (0xfcefa3f8 | 0)) | 0;
  d = (a + ((t << 9) | (t >>> 23))) | 0;
  t = (c + ((b & d) | (~b & a)) + x7 + 0x676f02d9) | 0;
  c = (d + ((t << 14) | (t >>> 18))) | 0;
  t = (b + ((a & c) | (~a & d)) + x12 + (0x8d2a4c8a | 0)) | 0;
  b = (c + ((t << 20) | (t >>> 12))) | 0;
  t = (a + (b ^ c ^ d) + x5 + (0xfffa3942 | 0)) | 0;
  a = (b + ((t << 4) | (t >>> 28))) | 0;
  t = (d + (a ^ b ^ c) + x8 + (0x8771f681 | 0)) | 0;
  d = (a + ((t << 11) | (t >>> 21))) | 0;
  t = (c + (d ^ a ^ b) + x11 + 0x6d9d6122) | 0;
  c = (d + ((t << 16) | (t >>> 16))) | 0;
  t = (b + (c ^ d ^ a) + x14 + (0xfde5380c | 0)) | 0;
  b = (c + ((t << 23) | (t >>> 9))) | 0;
  t = (a + (b ^ c ^ d) + x1 + (0xa4beea44 | 0)) | 0;
  a = (b + ((t << 4) | (t >>> 28))) | 0;
  t = (d + (a ^ b ^ c) + x4 + 0x4bdecfa9) | 0;
  d = (a + ((t << 11) | (t >>> 21))) | 0;
  t = (c + (d ^ a ^ b) + x7 + (0xf6bb4b60 | 0)) | 0;
  c = (d + ((t << 16) | (t >>> 16))) | 0;
  t = (b + (c ^ d ^ a) + x10 + (0xbebfbc70 | 0)) | 0;
  b = (c + ((t << 23) | (t >>> 9))) | 0;
  t = (a + (b ^ c ^ d) + x13 + 0x289b7ec6) | 0;
  a = (b + ((t << 4) | (t >>> 28))) | 0;
  t = (d + (a ^ b ^ c) + x0 + (0xeaa127fa | 0)) | 0;
  d = (a + ((t << 11) | (t >>> 21))) | 0;
  t = (c + (d ^ a ^ b) + x3 + (0xd4ef3085 | 0)) | 0;
  c = (d + ((t << 16) | (t >>> 16))) | 0;
  t = (b + (c ^ d ^ a) + x6 + 0x4881d05) | 0;
  b = (c + ((t << 23) | (t >>> 9))) | 0;
  t = (a + (b ^ c ^ d) + x9 + (0xd9d4d039 | 0)) | 0;
  a = (b + ((t << 4) | (t >>> 28))) | 0;
  t = (d + (a ^ b ^ c) + x12 + (0xe6db99e5 | 0)) | 0;
  d = (a + ((t << 11) | (t >>> 21))) | 0;
  t = (c + (d ^ a ^ b) + x15 + 0x1fa27cf8) | 0;
  c = (d + ((t << 16) | (t >>> 16))) | 0;
  t = (b + (c ^ d ^ a) + x2 + (0xc4ac5665 | 0)) | 0;
  b = (c + ((t << 23) | (t >>> 9))) | 0;
  t = (a + (c ^ (b | ~d)) + x0 + (0xf4292244 | 0)) | 0;
  a = (b + ((t << 6) | (t >>> 26))) | 0;
  t = (d + (b ^ (a | ~c)) + x7 + 0x432aff97) | 0;
  d = (a + ((t << 10) | (t >>> 22))) | 0;
  t = (c + (a ^ (d | ~b)) + x14 + (0xab9423a7 | 0)) | 0;
  c = (d + ((t << 15) | (t >>> 17))) | 0;
  t = (b + (d ^ (c | ~a)) + x5 + (0xfc93a039 | 0)) | 0;
  b = (c + ((t << 21) | (t >>> 11))) | 0;
  t = (a + (c ^ (b | ~d)) + x12 + 0x655b59c3) | 0;
  a = (b + ((t << 6) | (t >>> 26))) | 0;
  t = (d + (b ^ (a | ~c)) + x3 + (0x8f0ccc92 | 0)) | 0;
  d = (a + ((t << 10) | (t >>> 22))) | 0;
  t = (c + (a ^ (d | ~b)) + x10 + (0xffeff47d | 0)) | 0;
  c = (d + ((t << 15) | (t >>> 17))) | 0;
  t = (b + (d ^ (c | ~a)) + x1 + (0x85845dd1 | 0)) | 0;
  b = (c + ((t << 21) | (t >>> 11))) | 0;
  t = (a + (c ^ (b | ~d)) + x8 + 0x6fa87e4f) | 0;
  a = (b + ((t << 6) | (t >>> 26))) | 0;
  t = (d + (b ^ (a | ~c)) + x15 + (0xfe2ce6e0 | 0)) | 0;
  d = (a + ((t << 10) | (t >>> 22))) | 0;
  t = (c + (a ^ (d | ~b)) + x6 + (0xa3014314 | 0)) | 0;
  c = (d + ((t << 15) | (t >>> 17))) | 0;
  t = (b + (d ^ (c | ~a)) + x13 + 0x4e0811a1) | 0;
  b = (c + ((t << 21) | (t >>> 11))) | 0;
  t = (a + (c ^ (b | ~d)) + x4 + (0xf7537e82 | 0)) | 0;
  a = (b + ((t << 6) | (t >>> 26))) | 0;
  t = (d + (b ^ (a | ~c)) + x11 + (0xbd3af235 | 0)) | 0;
  d = (a + ((t << 10) | (t >>> 22))) | 0;
  t = (c + (a ^ (d | ~b)) + x2 + 0x2ad7d2bb) | 0;
  c = (d + ((t << 15) | (t >>> 17))) | 0;
  t = (b + (d ^ (c | ~a)) + x9 + (0xeb86d391 | 0)) | 0;
  b = (c + ((t << 21) | (t >>> 11))) | 0;
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

/** An HMAC-MD5 key with its inner and outer pads already hashed. */
export class HmacMd5 {
  readonly #inner = new Int32Array(4);
  readonly #outer = new Int32Array(4);
  readonly #mid = new Uint8Array(16);
  /** The computation this key's MACs run in. */
  readonly #work = new Md5();

  constructor(key: Uint8Array) {
    const k = new Uint8Array(64);
    if (key.length > 64) this.#work.reset().update(key).digestInto(k);
    else k.set(key);
    const pad = new Uint8Array(64);
    for (let i = 0; i < 64; i++) pad[i] = k[i]! ^ 0x36;
    this.#inner.set(this.#work.reset().update(pad).state);
    for (let i = 0; i < 64; i++) pad[i] = k[i]! ^ 0x5c;
    this.#outer.set(this.#work.reset().update(pad).state);
  }

  /** HMAC of `data[start, end)`, written into `out` (16 bytes at `offset`). */
  macInto(out: Uint8Array, offset: number, data: Uint8Array, start = 0, end = data.length): void {
    this.#work.reset(this.#inner, 64).update(data, start, end).digestInto(this.#mid);
    this.#work.reset(this.#outer, 64).update(this.#mid).digestInto(out, offset);
  }
}
