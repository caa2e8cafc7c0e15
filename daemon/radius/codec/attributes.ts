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

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * RFC 2865 §5: "string" is binary (Class, State, Chargeable-User-Identity carry bytes): text when the octets are
 * UTF-8, else the octets themselves, never a lossy decoding.
 */
function stringValue(b: Buffer): AttrValue {
  try {
    return utf8.decode(b);
  } catch {
    return Buffer.from(b);
  }
}

/** Why a value cannot be what its type says, or undefined (then `decodeValue` reads it). */
function invalidValue(def: AttrDef, b: Buffer): string | undefined {
  // RFC 3162 §2.3: Length 4 to 20, so a value of 2 to 18 octets; a prefix length of at most 128.
  if (def.dataType === 'ipv6prefix') {
    if (b.length < 2 || b.length > 18) return `${b.length} octets (an IPv6 prefix has 2 to 18)`;
    if (b[1]! > 128) return `prefix length ${b[1]} (at most 128)`;
    if (b.length - 2 > Math.ceil(b[1]! / 8)) return `more address octets than prefix length ${b[1]} needs`;
  }
  return undefined;
}

export function decodeValue(def: AttrDef | undefined, b: Buffer): AttrValue {
  if (!def) return b;
  switch (def.dataType) {
    case 'string':
      return stringValue(b);
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
  if (def.hasTag) v = tagged(def, v, opts.tag);
  // RFC 2865 §5: Length is at least 3; an attribute with no value is not sent at all.
  if (v.length === 0) throw new AttributeError(`${name}: an attribute cannot be empty (RFC 2865 §5)`);
  return def.vendor === 0 ? attr(def.type, v) : vsa(def.vendor, def.type, v);
}

/** RFC 2868 §3.1 and §3.5: the Tag octet of a tagged attribute's value (`v` encoded, and encrypted when so). */
function tagged(def: AttrDef, v: Buffer, tag: number | undefined): Buffer {
  if (tag !== undefined && (!Number.isInteger(tag) || tag < 0 || tag > 0x1f))
    throw new AttributeError(`${def.name}: tag ${tag} (0 to 31)`);
  if (def.dataType === 'integer') {
    // The tag takes the integer's top octet: a value needing it cannot be tagged.
    if (v[0] !== 0) throw new AttributeError(`${def.name}: ${v.readUInt32BE(0)} does not fit the 24 bits beside a tag`);
    return tag === undefined ? v : Buffer.concat([Buffer.from([tag]), v.subarray(1)]);
  }
  // Tunnel-Password always has its Tag (§3.5); an untagged string whose first octet could be read as a tag gets 0x00.
  if (tag !== undefined || def.encrypt === 2 || (v.length > 0 && v[0]! <= 0x1f))
    return Buffer.concat([Buffer.from([tag ?? 0]), v]);
  return v;
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
  /** Why the value is not what its type says: it is then kept as its raw octets. */
  invalid?: string;
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
    const name = def?.name ?? (vendor === 0 ? `Attr-${type}` : `Vendor-${vendor}-Attr-${type}`);
    let value = raw;
    let tag: number | undefined;
    // RFC 2868 §3.1: a tagged integer's first octet is always its tag (0x00 unused, 0x01-0x1F); for a string type,
    // a first octet above 0x1F is the value's own.
    if (def?.hasTag && def.dataType === 'integer' && raw.length === 4 && raw[0]! > 0x1f) {
      out.push({
        name,
        vendor,
        type,
        value: Buffer.from(raw),
        invalid: `tag 0x${raw[0]!.toString(16)} (0x00 to 0x1F)`,
      });
      return;
    }
    if (def?.hasTag && raw.length > 0 && (raw[0]! <= 0x1f || def.encrypt === 2)) {
      tag = raw[0];
      value = def.dataType === 'integer' ? Buffer.concat([Buffer.alloc(1), raw.subarray(1)]) : raw.subarray(1);
    }
    const invalid = def ? invalidValue(def, value) : undefined;
    if (invalid) {
      out.push({ name, vendor, type, value: Buffer.from(raw), invalid, ...(tag === undefined ? {} : { tag }) });
      return;
    }
    if (def && def.encrypt !== 0 && ctx.secret) {
      const auth = ctx.authenticator ?? authenticator;
      const plain = def.encrypt === 1 ? unhidePassword(value, ctx.secret, auth) : saltDecrypt(value, ctx.secret, auth);
      if (plain) value = plain;
    }
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
