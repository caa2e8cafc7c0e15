/** CHAP (RFC 2865 §5.3, RFC 1994 §4.1): the response is MD5(CHAP Ident + password + challenge). */
import { equal16, md5 } from './crypto.ts';

/**
 * `chapPassword` is the CHAP-Password value (one octet ident, 16 octets response); `challenge` is CHAP-Challenge, or
 * the Request Authenticator when the request has none.
 */
export function chapValid(chapPassword: Uint8Array, password: Uint8Array, challenge: Uint8Array): boolean {
  if (chapPassword.length !== 17) return false;
  return equal16(chapPassword, 1, md5(chapPassword.subarray(0, 1), password, challenge));
}

export function chapResponse(ident: number, password: Uint8Array, challenge: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([ident]), md5(Buffer.from([ident]), password, challenge)]);
}
