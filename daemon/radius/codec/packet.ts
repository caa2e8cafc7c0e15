/**
 * RADIUS packets (RFC 2865 §3, §5): checking a datagram and finding attributes without copying. Building replies and
 * requests with their authenticators is packet-crypto.ts. No I/O.
 */
import { ipv4Text } from '../../lib/ip.ts';

export const Code = {
  AccessRequest: 1,
  AccessAccept: 2,
  AccessReject: 3,
  AccountingRequest: 4,
  AccountingResponse: 5,
  AccessChallenge: 11,
  StatusServer: 12,
  StatusClient: 13,
  DisconnectRequest: 40,
  DisconnectAck: 41,
  DisconnectNak: 42,
  CoaRequest: 43,
  CoaAck: 44,
  CoaNak: 45,
} as const;

export const codeNames: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(Code).map(([name, code]) => [code, name.replace(/([a-z])([A-Z])/g, '$1-$2').replace('Coa', 'CoA')]),
);

export const Attr = {
  UserName: 1,
  UserPassword: 2,
  ChapPassword: 3,
  NasIpAddress: 4,
  NasPort: 5,
  ServiceType: 6,
  FramedProtocol: 7,
  FramedIpAddress: 8,
  ReplyMessage: 18,
  State: 24,
  Class: 25,
  VendorSpecific: 26,
  SessionTimeout: 27,
  IdleTimeout: 28,
  CalledStationId: 30,
  CallingStationId: 31,
  NasIdentifier: 32,
  ProxyState: 33,
  AcctStatusType: 40,
  AcctDelayTime: 41,
  AcctInputOctets: 42,
  AcctOutputOctets: 43,
  AcctSessionId: 44,
  AcctSessionTime: 46,
  AcctInputPackets: 47,
  AcctOutputPackets: 48,
  AcctTerminateCause: 49,
  EventTimestamp: 55,
  AcctInputGigawords: 52,
  AcctOutputGigawords: 53,
  ChapChallenge: 60,
  NasPortType: 61,
  EapMessage: 79,
  MessageAuthenticator: 80,
  AcctInterimInterval: 85,
  NasPortId: 87,
  FramedPool: 88,
  ErrorCause: 101,
} as const;

export const HEADER_LENGTH = 20;
export const MAX_PACKET_LENGTH = 4096;

/** Why a datagram is not a RADIUS packet; each reason is a drop counter. */
export type Malformed = 'short' | 'bad-length' | 'truncated' | 'attribute-length' | 'attribute-overrun';

/** RFC 2865 §3: checks the header and the attribute chain. Undefined when well-formed. */
export function malformed(buf: Uint8Array): Malformed | undefined {
  if (buf.length < HEADER_LENGTH) return 'short';
  const length = (buf[2]! << 8) | buf[3]!;
  if (length < HEADER_LENGTH || length > MAX_PACKET_LENGTH) return 'bad-length';
  // "If the packet is shorter than the Length field indicates, it MUST be silently discarded"; octets beyond it are padding.
  if (length > buf.length) return 'truncated';
  let off = HEADER_LENGTH;
  while (off < length) {
    if (off + 2 > length) return 'attribute-overrun';
    const alen = buf[off + 1]!;
    if (alen < 2) return 'attribute-length';
    if (off + alen > length) return 'attribute-overrun';
    off += alen;
  }
  return undefined;
}

export const packetLength = (buf: Uint8Array): number => (buf[2]! << 8) | buf[3]!;

/**
 * The positions of a packet's attributes, found in one pass and looked up in O(1). One index is reused for every
 * packet a listener handles (a generation counter stands in for clearing it); values are read in place.
 */
export class AttrIndex {
  buf: Buffer = Buffer.alloc(0);
  length = 0;
  readonly #first = new Int32Array(256);
  readonly #gen = new Uint32Array(256);
  #current = 0;
  /** Offsets of the Vendor-Specific attributes, in order. */
  readonly #vsa = new Int32Array(64);
  #vsaCount = 0;

  /** Indexes a packet that `malformed()` accepted. */
  scan(buf: Buffer): this {
    this.buf = buf;
    this.length = packetLength(buf);
    this.#current = (this.#current + 1) >>> 0;
    if (this.#current === 0) {
      this.#gen.fill(0);
      this.#current = 1;
    }
    this.#vsaCount = 0;
    let off = HEADER_LENGTH;
    while (off < this.length) {
      const type = buf[off]!;
      if (this.#gen[type] !== this.#current) {
        this.#gen[type] = this.#current;
        this.#first[type] = off;
      }
      if (type === Attr.VendorSpecific && this.#vsaCount < this.#vsa.length) this.#vsa[this.#vsaCount++] = off;
      off += buf[off + 1]!;
    }
    return this;
  }

  /** Offset of the first attribute of this type (its type octet), or -1. */
  at(type: number): number {
    return this.#gen[type] === this.#current ? this.#first[type]! : -1;
  }

  has(type: number): boolean {
    return this.#gen[type] === this.#current;
  }

  /** Length of the value of the attribute at `at`. */
  valueLength(at: number): number {
    return this.buf[at + 1]! - 2;
  }

  value(type: number): Buffer | undefined {
    const at = this.at(type);
    return at < 0 ? undefined : this.buf.subarray(at + 2, at + this.buf[at + 1]!);
  }

  string(type: number): string | undefined {
    const at = this.at(type);
    return at < 0 ? undefined : this.buf.toString('utf8', at + 2, at + this.buf[at + 1]!);
  }

  integer(type: number): number | undefined {
    const at = this.at(type);
    return at < 0 || this.buf[at + 1] !== 6 ? undefined : this.buf.readUInt32BE(at + 2);
  }

  ipaddr(type: number): string | undefined {
    const at = this.at(type);
    if (at < 0 || this.buf[at + 1] !== 6) return undefined;
    return ipv4Text(this.buf, at + 2);
  }

  /**
   * A vendor-specific sub-attribute (RFC 2865 §5.26 with the usual one-octet type and length), as the offset of its
   * value and its length; undefined when absent or malformed.
   */
  vendor(vendorId: number, vendorType: number): { offset: number; length: number } | undefined {
    const b = this.buf;
    for (let i = 0; i < this.#vsaCount; i++) {
      const at = this.#vsa[i]!;
      const end = at + b[at + 1]!;
      if (end - at < 8 || b.readUInt32BE(at + 2) !== vendorId) continue;
      let off = at + 6;
      while (off + 2 <= end) {
        const vlen = b[off + 1]!;
        if (vlen < 2 || off + vlen > end) break;
        if (b[off] === vendorType) return { offset: off + 2, length: vlen - 2 };
        off += vlen;
      }
    }
    return undefined;
  }
}

/** Writes one attribute (type, length, value) at `off`; returns the offset after it. */
export function writeAttr(out: Buffer, off: number, type: number, value: Uint8Array): number {
  if (value.length > 253) throw new RangeError(`attribute ${type}: value of ${value.length} octets (at most 253)`);
  out[off] = type;
  out[off + 1] = value.length + 2;
  out.set(value, off + 2);
  return off + 2 + value.length;
}

/** One attribute as bytes. */
export function attr(type: number, value: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(value.length + 2);
  writeAttr(out, 0, type, value);
  return out;
}

/** One vendor-specific attribute (RFC 2865 §5.26) holding one sub-attribute. */
export function vsa(vendorId: number, vendorType: number, value: Uint8Array): Buffer {
  if (value.length > 247)
    throw new RangeError(`vendor attribute ${vendorId}/${vendorType}: ${value.length} octets (at most 247)`);
  const out = Buffer.allocUnsafe(value.length + 8);
  out[0] = Attr.VendorSpecific;
  out[1] = value.length + 8;
  out.writeUInt32BE(vendorId, 2);
  out[6] = vendorType;
  out[7] = value.length + 2;
  out.set(value, 8);
  return out;
}

export const u32 = (n: number): Buffer => {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
};
