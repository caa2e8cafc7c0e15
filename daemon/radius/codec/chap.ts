/** CHAP (RFC 2865 §5.3, RFC 1994 §4.1): the response is MD5(CHAP Ident + password + challenge). Checking it is PacketCrypto.chapValid. */
import { md5 } from './packet-crypto.ts';

export function chapResponse(ident: number, password: Uint8Array, challenge: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([ident]), md5(Buffer.from([ident]), password, challenge)]);
}
