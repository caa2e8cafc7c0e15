/**
 * Attributes by name, through the dictionary: encoding values for replies compiled at load time, CoA requests and
 * test clients, and decoding whole packets for logs, accounting records and tools. The hot path does not use this
 * module: it reads attributes in place through AttrIndex and sends precompiled bytes.
 */

import { ipBytes, ipText, ipv4Text } from '../../lib/ip.ts';
import type { AttrDef, Dictionary } from './dictionary.ts';
import { Attr, attr, HEADER_LENGTH, packetLength, vsa } from './packet.ts';
import { hidePassword, saltDecrypt, saltEncrypt, unhidePassword } from './packet-crypto.ts';

export type AttrValue = string | number | bigint | Buffer;

export class AttributeError extends Error {
  override name = 'AttributeError';
}

/** The address bytes of an ipaddr/ipv6addr value; the error names the attribute. */
function addressBytes(def: AttrDef, text: string, family: 4 | 6): Buffer {
  try {
    return ipBytes(text, family);
  } catch (err) {
    throw new AttributeError(`${def.name}: ${(err as Error).message}`);
  }
}

/** Encodes a value of the attribute's type; names of VALUEs are accepted for integers. */
export function encodeValue(def: AttrDef, value: AttrValue): Buffer {
  if (Buffer.isBuffer(value)) return value;
  switch (def.dataType) {
    case 'string':
      return Buffer.from(String(value), 'utf8');
    case 'octets':
    case 'abinary':
    case 'ifid':
    case 'ether':
      if (typeof value === 'string' && /^0x([0-9a-f]{2})*$/i.test(value)) return Buffer.from(value.slice(2), 'hex');
      return Buffer.from(String(value), 'utf8');
    case 'ipaddr':
    case 'combo-ip':
      return addressBytes(def, String(value), 4);
    case 'ipv6addr':
      return addressBytes(def, String(value), 6);
    case 'ipv6prefix': {
      const [address, bits] = String(value).split('/');
      const prefix = Number(bits);
      if (!address || !Number.isInteger(prefix) || prefix < 0 || prefix > 128) {
        throw new AttributeError(`${def.name}: not an IPv6 prefix: ${value}`);
      }
      return Buffer.concat([
        Buffer.from([0, prefix]),
        addressBytes(def, address, 6).subarray(0, Math.ceil(prefix / 8)),
      ]);
    }
    case 'integer':
    case 'date':
    case 'signed':
    case 'byte':
    case 'short': {
      const n = typeof value === 'string' && def.values.has(value) ? def.values.get(value)! : Number(value);
      if (!Number.isInteger(n)) throw new AttributeError(`${def.name}: not an integer or a known value: ${value}`);
      const size = def.dataType === 'byte' ? 1 : def.dataType === 'short' ? 2 : 4;
      const out = Buffer.alloc(size);
      if (def.dataType === 'signed') out.writeInt32BE(n);
      else out.writeUIntBE(n >>> 0, 0, size);
      return out;
    }
    case 'integer64': {
      const out = Buffer.alloc(8);
      out.writeBigUInt64BE(BigInt(value));
      return out;
    }
    default:
      throw new AttributeError(`${def.name}: cannot encode type ${def.dataType}`);
  }
}

export function decodeValue(def: AttrDef | undefined, b: Buffer): AttrValue {
  if (!def) return b;
  switch (def.dataType) {
    case 'string':
      return b.toString('utf8');
    case 'ipaddr':
    case 'combo-ip':
      return b.length === 4 ? ipv4Text(b) : b;
    case 'ipv6addr':
      return b.length === 16 ? ipText(b) : b;
    case 'ipv6prefix':
      return b.length >= 2 ? `${ipText(Buffer.concat([b.subarray(2), Buffer.alloc(16)]).subarray(0, 16))}/${b[1]}` : b;
    case 'integer':
    case 'date':
      return b.length === 4 ? b.readUInt32BE(0) : b;
    case 'signed':
      return b.length === 4 ? b.readInt32BE(0) : b;
    case 'byte':
      return b.length === 1 ? b[0]! : b;
    case 'short':
      return b.length === 2 ? b.readUInt16BE(0) : b;
    case 'integer64':
      return b.length === 8 ? b.readBigUInt64BE(0) : b;
    default:
      return b;
  }
}

export interface EncodeContext {
  secret?: Buffer;
  /** The authenticator the hidden attributes are encrypted with (the request's, for replies). */
  authenticator?: Buffer;
}

/**
 * One attribute by name, as wire bytes (wrapped in Vendor-Specific for a vendor attribute). A tag goes before the
 * value (RFC 2868 §3); encrypted attributes need the secret and the authenticator.
 */
export function encodeAttribute(
  dict: Dictionary,
  name: string,
  value: AttrValue,
  opts: EncodeContext & { tag?: number } = {},
): Buffer {
  const def = dict.byName(name);
  if (!def) throw new AttributeError(`unknown attribute ${name}`);
  let v = encodeValue(def, value);
  if (def.encrypt !== 0) {
    if (!opts.secret || !opts.authenticator)
      throw new AttributeError(`${name} is encrypted: it needs the secret and the authenticator`);
    v =
      def.encrypt === 1
        ? hidePassword(v, opts.secret, opts.authenticator)
        : saltEncrypt(v, opts.secret, opts.authenticator);
  }
  if (def.hasTag && opts.tag !== undefined) {
    v =
      def.dataType === 'integer'
        ? Buffer.concat([Buffer.from([opts.tag]), v.subarray(1)])
        : Buffer.concat([Buffer.from([opts.tag]), v]);
  }
  return def.vendor === 0 ? attr(def.type, v) : vsa(def.vendor, def.type, v);
}

/** A list of [name, value] pairs (or [name, value, tag]) as one buffer of attributes. */
export function encodeAttributes(
  dict: Dictionary,
  pairs: ReadonlyArray<readonly [string, AttrValue] | readonly [string, AttrValue, number]>,
  ctx: EncodeContext = {},
): Buffer {
  return Buffer.concat(pairs.map(([name, value, tag]) => encodeAttribute(dict, name, value, { ...ctx, tag })));
}

export interface DecodedAttribute {
  name: string;
  vendor: number;
  type: number;
  value: AttrValue;
  tag?: number;
}

export interface DecodedPacket {
  code: number;
  id: number;
  length: number;
  authenticator: Buffer;
  attributes: DecodedAttribute[];
}

/**
 * Every attribute of a well-formed packet (see `malformed`), vendor ones unwrapped. With the secret, hidden values
 * (User-Password, salt-encrypted keys) are revealed using `authenticator` (the request's, for a reply).
 */
export function decodePacket(dict: Dictionary, buf: Buffer, ctx: EncodeContext = {}): DecodedPacket {
  const length = packetLength(buf);
  const authenticator = Buffer.from(buf.subarray(4, 20));
  const out: DecodedAttribute[] = [];
  const push = (vendor: number, type: number, raw: Buffer) => {
    const def = dict.byCode(vendor, type);
    let value = raw;
    let tag: number | undefined;
    if (def?.hasTag && raw.length > 0 && raw[0]! <= 0x1f) {
      tag = raw[0];
      value = def.dataType === 'integer' ? Buffer.concat([Buffer.alloc(1), raw.subarray(1)]) : raw.subarray(1);
    }
    if (def && def.encrypt !== 0 && ctx.secret) {
      const auth = ctx.authenticator ?? authenticator;
      const plain = def.encrypt === 1 ? unhidePassword(value, ctx.secret, auth) : saltDecrypt(value, ctx.secret, auth);
      if (plain) value = plain;
    }
    const name = def?.name ?? (vendor === 0 ? `Attr-${type}` : `Vendor-${vendor}-Attr-${type}`);
    out.push({ name, vendor, type, value: decodeValue(def, value), ...(tag === undefined ? {} : { tag }) });
  };
  let off = HEADER_LENGTH;
  while (off < length) {
    const type = buf[off]!;
    const alen = buf[off + 1]!;
    const value = buf.subarray(off + 2, off + alen);
    if (type === Attr.VendorSpecific && value.length >= 6) {
      const vendor = value.readUInt32BE(0);
      let v = 4;
      let wellFormed = true;
      while (v < value.length) {
        const vlen = value[v + 1] ?? 0;
        if (vlen < 2 || v + vlen > value.length) {
          wellFormed = false;
          break;
        }
        v += vlen;
      }
      if (wellFormed) {
        for (let s = 4; s < value.length; s += value[s + 1]!)
          push(vendor, value[s]!, value.subarray(s + 2, s + value[s + 1]!));
      } else {
        push(0, type, value);
      }
    } else {
      push(0, type, value);
    }
    off += alen;
  }
  return { code: buf[0]!, id: buf[1]!, length, authenticator, attributes: out };
}

/** The first value of each attribute by name, for records and tests. */
export function attributeMap(packet: DecodedPacket): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const a of packet.attributes) if (!(a.name in out)) out[a.name] = a.value;
  return out;
}
