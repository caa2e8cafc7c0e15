/**
 * The cryptography of RADIUS packets: building replies and requests with their authenticators and
 * Message-Authenticator (RFC 2865 §3, RFC 2866 §3, RFC 3579 §3.2, RFC 5176 §3), checking those of a packet, hidden
 * passwords (RFC 2865 §5.2), salted keys (RFC 2548 §2.4.2, RFC 2868 §3.5) and CHAP (RFC 1994 §4.1).
 *
 * A PacketCrypto owns what this needs between calls: an MD5 computation and scratch buffers reused per packet, the
 * HMAC pads of each secret it met (hashed once), a pool of random salts. Whoever handles packets (the listener, the
 * request handlers, the CoA client) owns one; the functions at the end are for tools, tests and load time, each call
 * with a PacketCrypto of its own.
 */
import { randomFillSync } from 'node:crypto';
import { AUTHENTICATOR, equal16 } from './crypto.ts';
import { HmacMd5, Md5 } from './md5.ts';
import { Attr, Code, HEADER_LENGTH, MAX_PACKET_LENGTH, packetLength } from './packet.ts';

const MA_LENGTH = 18;
const ZERO16 = Buffer.alloc(16);
const SALT_POOL_BYTES = 4096;

export interface ReplyOptions {
  messageAuthenticator?: boolean;
  proxyState?: readonly Uint8Array[];
  zeroHeaderForMa?: boolean;
}

export class PacketCrypto {
  readonly #md5 = new Md5();
  /** A NAS secret lives as long as its NAS entry: its HMAC pads are hashed once, on first use. */
  readonly #hmacKeys = new WeakMap<Uint8Array, HmacMd5>();
  readonly #block = new Uint8Array(16);
  readonly #saved = Buffer.alloc(16);
  readonly #savedHeader = Buffer.alloc(16);
  readonly #expected = Buffer.alloc(16);
  #salts: Buffer | undefined;
  #saltAt = SALT_POOL_BYTES;

  /** MD5 of the concatenation of `parts`, written into `out` (16 bytes at `offset`). */
  md5Into(out: Uint8Array, offset: number, ...parts: Uint8Array[]): void {
    this.#md5.reset();
    for (const p of parts) this.#md5.update(p);
    this.#md5.digestInto(out, offset);
  }

  md5(...parts: Uint8Array[]): Buffer {
    const out = Buffer.allocUnsafe(16);
    this.md5Into(out, 0, ...parts);
    return out;
  }

  /** HMAC-MD5 of `data[start, end)` with `key`, written into `out` at `offset`. */
  hmacMd5Into(key: Uint8Array, out: Uint8Array, offset: number, data: Uint8Array, start = 0, end = data.length): void {
    let k = this.#hmacKeys.get(key);
    if (!k) {
      k = new HmacMd5(key);
      this.#hmacKeys.set(key, k);
    }
    k.macInto(out, offset, data, start, end);
  }

  hmacMd5(key: Uint8Array, data: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(16);
    this.hmacMd5Into(key, out, 0, data);
    return out;
  }

  /**
   * A reply to a request (Access-Accept/-Reject/-Challenge, Accounting-Response, CoA/Disconnect ACK/NAK): the
   * Message-Authenticator first (RFC 3579 §3.2; BlastRADIUS, CVE-2024-3596), computed with the Request Authenticator
   * in the header, then the Response Authenticator MD5(Code+ID+Length+RequestAuth+Attributes+Secret) (RFC 2865 §3).
   * `proxyState` is the request's Proxy-State attributes, copied unmodified in order (RFC 2865 §5.33).
   * `zeroHeaderForMa`: no RFC defines the Message-Authenticator of an Accounting-Response; FreeRADIUS (and the NAS
   * that verify it) compute it over a zero authenticator field, as for the request, so wispd does the same.
   */
  buildReply(
    code: number,
    request: Buffer,
    attrs: readonly Uint8Array[],
    secret: Buffer,
    opts: ReplyOptions = {},
  ): Buffer {
    const withMa = opts.messageAuthenticator ?? true;
    let length = HEADER_LENGTH + (withMa ? MA_LENGTH : 0);
    for (const a of attrs) length += a.length;
    for (const p of opts.proxyState ?? []) length += p.length;
    if (length > MAX_PACKET_LENGTH) throw new RangeError(`reply of ${length} octets (at most ${MAX_PACKET_LENGTH})`);
    const out = Buffer.allocUnsafe(length);
    out[0] = code;
    out[1] = request[1]!;
    out[2] = length >> 8;
    out[3] = length & 0xff;
    request.copy(out, AUTHENTICATOR, AUTHENTICATOR, AUTHENTICATOR + 16);
    let off = HEADER_LENGTH;
    if (withMa) {
      out[off] = Attr.MessageAuthenticator;
      out[off + 1] = MA_LENGTH;
      ZERO16.copy(out, off + 2);
      off += MA_LENGTH;
    }
    for (const a of attrs) {
      out.set(a, off);
      off += a.length;
    }
    for (const p of opts.proxyState ?? []) {
      out.set(p, off);
      off += p.length;
    }
    if (withMa) {
      if (opts.zeroHeaderForMa) ZERO16.copy(out, AUTHENTICATOR);
      this.hmacMd5Into(secret, out, HEADER_LENGTH + 2, out);
      if (opts.zeroHeaderForMa) request.copy(out, AUTHENTICATOR, AUTHENTICATOR, AUTHENTICATOR + 16);
    }
    this.md5Into(out, AUTHENTICATOR, out, secret);
    return out;
  }

  /**
   * A request wispd originates: Accounting-Request, CoA-Request, Disconnect-Request (RFC 2866 §3, RFC 5176 §3.5),
   * whose Request Authenticator is MD5 over the packet with a zero authenticator, or an Access-Request/Status-Server
   * with a random one. The Message-Authenticator, when asked for, is computed first, over the same header.
   */
  buildRequest(
    code: number,
    id: number,
    attrs: readonly Uint8Array[],
    secret: Buffer,
    opts: { messageAuthenticator?: boolean; authenticator?: Buffer } = {},
  ): Buffer {
    const random = code === Code.AccessRequest || code === Code.StatusServer;
    const withMa = opts.messageAuthenticator ?? random;
    let length = HEADER_LENGTH + (withMa ? MA_LENGTH : 0);
    for (const a of attrs) length += a.length;
    if (length > MAX_PACKET_LENGTH) throw new RangeError(`request of ${length} octets (at most ${MAX_PACKET_LENGTH})`);
    const out = Buffer.alloc(length);
    out[0] = code;
    out[1] = id & 0xff;
    out[2] = length >> 8;
    out[3] = length & 0xff;
    if (random) {
      if (!opts.authenticator) throw new Error('an Access-Request needs its random authenticator');
      opts.authenticator.copy(out, AUTHENTICATOR);
    }
    let off = HEADER_LENGTH;
    const maAt = off;
    if (withMa) {
      out[off] = Attr.MessageAuthenticator;
      out[off + 1] = MA_LENGTH;
      off += MA_LENGTH;
    }
    for (const a of attrs) {
      out.set(a, off);
      off += a.length;
    }
    if (withMa) this.hmacMd5Into(secret, out, maAt + 2, out);
    if (!random) this.md5Into(out, AUTHENTICATOR, out, secret);
    return out;
  }

  /**
   * RFC 2866 §3 / RFC 5176 §3.5: an Accounting-, CoA- or Disconnect-Request's authenticator is MD5 of the packet with
   * 16 zero octets in its place, then the secret.
   */
  requestAuthenticatorValid(buf: Buffer, secret: Buffer): boolean {
    const length = packetLength(buf);
    buf.copy(this.#saved, 0, AUTHENTICATOR, AUTHENTICATOR + 16);
    ZERO16.copy(buf, AUTHENTICATOR);
    this.md5Into(this.#expected, 0, buf.subarray(0, length), secret);
    this.#saved.copy(buf, AUTHENTICATOR);
    return equal16(this.#saved, 0, this.#expected);
  }

  /**
   * RFC 3579 §3.2: HMAC-MD5 of the packet with the Message-Authenticator's value zeroed. In an Access-Request the
   * header holds its random Request Authenticator; in other requests (RFC 5176 §3.3) 16 zero octets; in a reply the
   * Request Authenticator of the request it answers (`header`). The packet is restored before returning.
   */
  messageAuthenticatorValid(
    buf: Buffer,
    maAt: number,
    secret: Buffer,
    header: 'as-is' | 'zero' | Uint8Array = 'as-is',
  ): boolean {
    if (buf[maAt + 1] !== MA_LENGTH) return false;
    const length = packetLength(buf);
    buf.copy(this.#saved, 0, maAt + 2, maAt + 18);
    if (header !== 'as-is') buf.copy(this.#savedHeader, 0, AUTHENTICATOR, AUTHENTICATOR + 16);
    ZERO16.copy(buf, maAt + 2);
    if (header === 'zero') ZERO16.copy(buf, AUTHENTICATOR);
    else if (header !== 'as-is') buf.set(header, AUTHENTICATOR);
    this.hmacMd5Into(secret, this.#expected, 0, buf, 0, length);
    this.#saved.copy(buf, maAt + 2);
    if (header !== 'as-is') this.#savedHeader.copy(buf, AUTHENTICATOR);
    return equal16(this.#saved, 0, this.#expected);
  }

  /** A reply's Response Authenticator, given the request's authenticator (RFC 2865 §3). */
  responseAuthenticatorValid(reply: Buffer, requestAuthenticator: Uint8Array, secret: Buffer): boolean {
    const length = packetLength(reply);
    reply.copy(this.#saved, 0, AUTHENTICATOR, AUTHENTICATOR + 16);
    reply.set(requestAuthenticator, AUTHENTICATOR);
    this.md5Into(this.#expected, 0, reply.subarray(0, length), secret);
    this.#saved.copy(reply, AUTHENTICATOR);
    return equal16(this.#saved, 0, this.#expected);
  }

  /** RFC 2865 §5.2: User-Password, padded to 16 octets, XOR-chained with MD5(secret + previous block). */
  hidePassword(password: Uint8Array, secret: Uint8Array, authenticator: Uint8Array): Buffer {
    const length = Math.max(16, Math.ceil(password.length / 16) * 16);
    const out = Buffer.alloc(length);
    out.set(password);
    let previous: Uint8Array = authenticator;
    for (let i = 0; i < length; i += 16) {
      this.md5Into(this.#block, 0, secret, previous);
      for (let j = 0; j < 16; j++) out[i + j]! ^= this.#block[j]!;
      previous = out.subarray(i, i + 16);
    }
    return out;
  }

  /** The inverse of hidePassword; trailing NUL padding is removed. Undefined when the length is not a multiple of 16. */
  unhidePassword(hidden: Uint8Array, secret: Uint8Array, authenticator: Uint8Array): Buffer | undefined {
    if (hidden.length === 0 || hidden.length % 16 !== 0 || hidden.length > 128) return undefined;
    const out = Buffer.allocUnsafe(hidden.length);
    let previous: Uint8Array = authenticator;
    for (let i = 0; i < hidden.length; i += 16) {
      this.md5Into(this.#block, 0, secret, previous);
      for (let j = 0; j < 16; j++) out[i + j] = hidden[i + j]! ^ this.#block[j]!;
      previous = hidden.subarray(i, i + 16);
    }
    let end = out.length;
    while (end > 0 && out[end - 1] === 0) end--;
    return out.subarray(0, end);
  }

  /**
   * RFC 2548 §2.4.2 (MS-MPPE-Send-Key, -Recv-Key) and RFC 2868 §3.5 (Tunnel-Password): a two-octet salt with its high
   * bit set, then the plaintext prefixed by its length, padded, and XOR-chained with MD5(secret + authenticator + salt).
   */
  saltEncrypt(plain: Uint8Array, secret: Uint8Array, requestAuthenticator: Uint8Array, salt?: Buffer): Buffer {
    const s = salt ?? this.#randomSalt();
    s[0]! |= 0x80;
    const length = Math.ceil((plain.length + 1) / 16) * 16;
    const p = Buffer.alloc(length);
    p[0] = plain.length;
    p.set(plain, 1);
    let previous: Uint8Array = Buffer.concat([requestAuthenticator, s]);
    for (let i = 0; i < length; i += 16) {
      this.md5Into(this.#block, 0, secret, previous);
      for (let j = 0; j < 16; j++) p[i + j]! ^= this.#block[j]!;
      previous = p.subarray(i, i + 16);
    }
    return Buffer.concat([s, p]);
  }

  saltDecrypt(value: Uint8Array, secret: Uint8Array, requestAuthenticator: Uint8Array): Buffer | undefined {
    if (value.length < 18 || (value.length - 2) % 16 !== 0) return undefined;
    const salt = value.subarray(0, 2);
    const c = value.subarray(2);
    const p = Buffer.allocUnsafe(c.length);
    let previous: Uint8Array = Buffer.concat([requestAuthenticator, salt]);
    for (let i = 0; i < c.length; i += 16) {
      this.md5Into(this.#block, 0, secret, previous);
      for (let j = 0; j < 16; j++) p[i + j] = c[i + j]! ^ this.#block[j]!;
      previous = c.subarray(i, i + 16);
    }
    const length = p[0]!;
    return length + 1 > p.length ? undefined : p.subarray(1, 1 + length);
  }

  /**
   * CHAP (RFC 1994 §4.1): `chapPassword` is the CHAP-Password value (one octet ident, 16 octets MD5(ident + password
   * + challenge)); `challenge` is CHAP-Challenge, or the Request Authenticator when the request has none.
   */
  chapValid(chapPassword: Uint8Array, password: Uint8Array, challenge: Uint8Array): boolean {
    if (chapPassword.length !== 17) return false;
    this.md5Into(this.#block, 0, chapPassword.subarray(0, 1), password, challenge);
    return equal16(chapPassword, 1, this.#block);
  }

  /** Two random octets, from a pool refilled 2,048 salts at a time (one call into the CSPRNG instead of one per key). */
  #randomSalt(): Buffer {
    this.#salts ??= Buffer.alloc(SALT_POOL_BYTES);
    if (this.#saltAt >= SALT_POOL_BYTES) {
      randomFillSync(this.#salts);
      this.#saltAt = 0;
    }
    this.#saltAt += 2;
    return Buffer.from(this.#salts.subarray(this.#saltAt - 2, this.#saltAt));
  }
}

// For tools, tests and load time (plans compiled, CoA attributes encoded): a PacketCrypto per call.
const once = () => new PacketCrypto();
export const md5 = (...parts: Uint8Array[]): Buffer => once().md5(...parts);
export const hmacMd5 = (key: Uint8Array, data: Uint8Array): Buffer => once().hmacMd5(key, data);
export const buildReply: PacketCrypto['buildReply'] = (...a) => once().buildReply(...a);
export const buildRequest: PacketCrypto['buildRequest'] = (...a) => once().buildRequest(...a);
export const requestAuthenticatorValid: PacketCrypto['requestAuthenticatorValid'] = (...a) =>
  once().requestAuthenticatorValid(...a);
export const messageAuthenticatorValid: PacketCrypto['messageAuthenticatorValid'] = (...a) =>
  once().messageAuthenticatorValid(...a);
export const responseAuthenticatorValid: PacketCrypto['responseAuthenticatorValid'] = (...a) =>
  once().responseAuthenticatorValid(...a);
export const hidePassword: PacketCrypto['hidePassword'] = (...a) => once().hidePassword(...a);
export const unhidePassword: PacketCrypto['unhidePassword'] = (...a) => once().unhidePassword(...a);
export const saltEncrypt: PacketCrypto['saltEncrypt'] = (...a) => once().saltEncrypt(...a);
export const saltDecrypt: PacketCrypto['saltDecrypt'] = (...a) => once().saltDecrypt(...a);
export const chapValid: PacketCrypto['chapValid'] = (...a) => once().chapValid(...a);
