/** Cryptographic helpers without state: SHA-1, single DES, constant-time comparison, random authenticators. */
import { type Cipher, createCipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const AUTHENTICATOR = 4;
export const AUTHENTICATOR_LENGTH = 16;

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
