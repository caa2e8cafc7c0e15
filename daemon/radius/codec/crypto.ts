/** The cryptography of RADIUS packets: authenticators, hidden passwords, salted keys. No state, no I/O. */
import { type Cipher, createCipheriv, createHash, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';
import { HmacMd5, md5Into } from './md5.ts';

export { md5Into } from './md5.ts';

export const AUTHENTICATOR = 4;
export const AUTHENTICATOR_LENGTH = 16;

export function md5(...parts: Uint8Array[]): Buffer {
  const out = Buffer.allocUnsafe(16);
  md5Into(out, 0, ...parts);
  return out;
}

// A NAS secret lives as long as its NAS entry: its HMAC pads are hashed once, on first use.
const hmacKeys = new WeakMap<Uint8Array, HmacMd5>();

/** HMAC-MD5 of `data[start, end)` with `key`, written into `out` at `offset`. */
export function hmacMd5Into(
  key: Uint8Array,
  out: Uint8Array,
  offset: number,
  data: Uint8Array,
  start = 0,
  end = data.length,
): void {
  let k = hmacKeys.get(key);
  if (!k) {
    k = new HmacMd5(key);
    hmacKeys.set(key, k);
  }
  k.macInto(out, offset, data, start, end);
}

export function hmacMd5(key: Uint8Array, data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(16);
  hmacMd5Into(key, out, 0, data);
  return out;
}

export function sha1(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * Single DES of one block, as triple DES with three equal keys (encrypt-decrypt-encrypt collapses to one encrypt):
 * OpenSSL 3 keeps triple DES in its default provider but moved single DES to the legacy one.
 * `key7` is a 56-bit key without parity bits (RFC 2759 §8.6 DesEncrypt).
 */
export function desEncrypt(block: Uint8Array, key7: Uint8Array): Buffer {
  return desCipher(key7).update(block);
}

/** An ECB cipher without padding for one 56-bit key (see desEncrypt); `update` encrypts whole blocks. */
export function desCipher(key7: Uint8Array): Cipher {
  const key = Buffer.alloc(8);
  key[0] = key7[0]!;
  key[1] = ((key7[0]! << 7) | (key7[1]! >> 1)) & 0xff;
  key[2] = ((key7[1]! << 6) | (key7[2]! >> 2)) & 0xff;
  key[3] = ((key7[2]! << 5) | (key7[3]! >> 3)) & 0xff;
  key[4] = ((key7[3]! << 4) | (key7[4]! >> 4)) & 0xff;
  key[5] = ((key7[4]! << 3) | (key7[5]! >> 5)) & 0xff;
  key[6] = ((key7[5]! << 2) | (key7[6]! >> 6)) & 0xff;
  key[7] = (key7[6]! << 1) & 0xff;
  const cipher = createCipheriv('des-ede3-ecb', Buffer.concat([key, key, key]), null);
  cipher.setAutoPadding(false);
  return cipher;
}

export const randomAuthenticator = (): Buffer => randomBytes(AUTHENTICATOR_LENGTH);

export function equal16(a: Uint8Array, aOffset: number, b: Uint8Array, bOffset = 0): boolean {
  let diff = 0;
  for (let i = 0; i < 16; i++) diff |= a[aOffset + i]! ^ b[bOffset + i]!;
  return diff === 0;
}

export function safeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** RFC 2865 §5.2: User-Password, padded to 16 octets, XOR-chained with MD5(secret + previous block). */
export function hidePassword(password: Uint8Array, secret: Uint8Array, authenticator: Uint8Array): Buffer {
  const length = Math.max(16, Math.ceil(password.length / 16) * 16);
  const out = Buffer.alloc(length);
  out.set(password);
  let previous: Uint8Array = authenticator;
  for (let i = 0; i < length; i += 16) {
    const b = md5(secret, previous);
    for (let j = 0; j < 16; j++) out[i + j]! ^= b[j]!;
    previous = out.subarray(i, i + 16);
  }
  return out;
}

/** The inverse of hidePassword; trailing NUL padding is removed. Undefined when the length is not a multiple of 16. */
const scratch = new Uint8Array(16);

export function unhidePassword(hidden: Uint8Array, secret: Uint8Array, authenticator: Uint8Array): Buffer | undefined {
  if (hidden.length === 0 || hidden.length % 16 !== 0 || hidden.length > 128) return undefined;
  const out = Buffer.allocUnsafe(hidden.length);
  let previous: Uint8Array = authenticator;
  for (let i = 0; i < hidden.length; i += 16) {
    md5Into(scratch, 0, secret, previous);
    for (let j = 0; j < 16; j++) out[i + j] = hidden[i + j]! ^ scratch[j]!;
    previous = hidden.subarray(i, i + 16);
  }
  let end = out.length;
  while (end > 0 && out[end - 1] === 0) end--;
  return out.subarray(0, end);
}

const saltPool = Buffer.alloc(4096);
let saltAt = saltPool.length;

/** Two random octets, from a pool refilled 2,048 salts at a time (one call into the CSPRNG instead of one per key). */
function randomSalt(): Buffer {
  if (saltAt >= saltPool.length) {
    randomFillSync(saltPool);
    saltAt = 0;
  }
  saltAt += 2;
  return Buffer.from(saltPool.subarray(saltAt - 2, saltAt));
}

/**
 * RFC 2548 §2.4.2 (MS-MPPE-Send-Key, -Recv-Key) and RFC 2868 §3.5 (Tunnel-Password): a two-octet salt with its high
 * bit set, then the plaintext prefixed by its length, padded, and XOR-chained with MD5(secret + authenticator + salt).
 */
export function saltEncrypt(
  plain: Uint8Array,
  secret: Uint8Array,
  requestAuthenticator: Uint8Array,
  salt?: Buffer,
): Buffer {
  const s = salt ?? randomSalt();
  s[0]! |= 0x80;
  const length = Math.ceil((plain.length + 1) / 16) * 16;
  const p = Buffer.alloc(length);
  p[0] = plain.length;
  p.set(plain, 1);
  let previous: Uint8Array = Buffer.concat([requestAuthenticator, s]);
  for (let i = 0; i < length; i += 16) {
    const b = md5(secret, previous);
    for (let j = 0; j < 16; j++) p[i + j]! ^= b[j]!;
    previous = p.subarray(i, i + 16);
  }
  return Buffer.concat([s, p]);
}

export function saltDecrypt(
  value: Uint8Array,
  secret: Uint8Array,
  requestAuthenticator: Uint8Array,
): Buffer | undefined {
  if (value.length < 18 || (value.length - 2) % 16 !== 0) return undefined;
  const salt = value.subarray(0, 2);
  const c = value.subarray(2);
  const p = Buffer.allocUnsafe(c.length);
  let previous: Uint8Array = Buffer.concat([requestAuthenticator, salt]);
  for (let i = 0; i < c.length; i += 16) {
    const b = md5(secret, previous);
    for (let j = 0; j < 16; j++) p[i + j] = c[i + j]! ^ b[j]!;
    previous = c.subarray(i, i + 16);
  }
  const length = p[0]!;
  return length + 1 > p.length ? undefined : p.subarray(1, 1 + length);
}
