/** What the listener checks of a well-formed request from a known NAS before a handler sees it. No state, no I/O. */
import type { NasEntry } from '../cache/index.ts';
import { Attr, type AttrIndex, Code, HEADER_LENGTH, type PacketCrypto, packetLength } from '../codec/index.ts';

export type Unverified = 'bad_authenticator' | 'missing_message_authenticator' | 'bad_message_authenticator';

/** Indexes the request into `ix` and checks what proves the NAS's secret; undefined when all holds. */
export function unverified(
  code: number,
  msg: Buffer,
  nas: NasEntry,
  ix: AttrIndex,
  crypto: PacketCrypto,
): Unverified | undefined {
  // RFC 2866 §3: the Request Authenticator proves the secret; a wrong one is silently dropped.
  if (code === Code.AccountingRequest && !crypto.requestAuthenticatorValid(msg, nas.secret)) return 'bad_authenticator';
  ix.scan(msg);
  const maAt = ix.at(Attr.MessageAuthenticator);
  if (maAt < 0) {
    // RFC 5997 §3: Status-Server always carries one; BlastRADIUS (CVE-2024-3596): so does an Access-Request from a
    // NAS marked to require it.
    if (code === Code.StatusServer || (code === Code.AccessRequest && nas.requireMessageAuthenticator))
      return 'missing_message_authenticator';
    return undefined;
  }
  // RFC 5176 §3.3 and FreeRADIUS: outside Access-Request it is computed over a zero Request Authenticator.
  const header = code === Code.AccountingRequest ? 'zero' : 'as-is';
  return crypto.messageAuthenticatorValid(msg, maAt, nas.secret, header) ? undefined : 'bad_message_authenticator';
}

/** Proxy-State attributes of the request `ix` indexes, for the reply, unchanged and in order (RFC 2865 §5.33). */
export function proxyStates(msg: Buffer, ix: AttrIndex): Buffer[] | undefined {
  if (!ix.has(Attr.ProxyState)) return undefined;
  const out: Buffer[] = [];
  const length = packetLength(msg);
  for (let off = HEADER_LENGTH; off < length; off += msg[off + 1]!) {
    if (msg[off] === Attr.ProxyState) out.push(Buffer.from(msg.subarray(off, off + msg[off + 1]!)));
  }
  return out;
}
