/**
 * IP addresses between text and bytes, and subnets, through ipaddr.js: RADIUS attributes (RFC 2865 §5.8, RFC 3162),
 * NAS subnets, static addresses staff type. IPv4 text is strict dotted-quad decimal (no `10.1`, no octal).
 */
import ipaddr from 'ipaddr.js';

export type IpFamily = 4 | 6;

/** 4 for a dotted quad, 6 for an IPv6 address, 0 for anything else. */
export function ipFamily(text: string): IpFamily | 0 {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return 4;
  return ipaddr.IPv6.isValid(text) ? 6 : 0;
}

/** The 4 or 16 bytes of an address; a RangeError naming the text for anything else (or the other family). */
export function ipBytes(text: string, family?: IpFamily): Buffer {
  const f = ipFamily(text);
  if (f === 0 || (family !== undefined && f !== family)) {
    throw new RangeError(`not an IPv${family ?? '4 or IPv6'} address: ${text}`);
  }
  return Buffer.from(ipaddr.parse(text).toByteArray());
}

/** 4 or 16 bytes as text (IPv6 compressed as RFC 5952 says). */
export function ipText(bytes: Uint8Array): string {
  return ipaddr.fromByteArray([...bytes]).toString();
}

/** The dotted quad of the 4 bytes at `offset` (the packet path: no parsing, no array). */
export const ipv4Text = (b: Uint8Array, offset = 0): string =>
  `${b[offset]}.${b[offset + 1]}.${b[offset + 2]}.${b[offset + 3]}`;

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) → `10.0.0.1`. */
export const unmapIPv4 = (address: string): string =>
  address.startsWith('::ffff:') && ipFamily(address.slice(7)) === 4 ? address.slice(7) : address;

export interface Subnet {
  readonly network: ipaddr.IPv4 | ipaddr.IPv6;
  readonly prefix: number;
}

/**
 * "10.0.0.1" → "10.0.0.1/32"; "10.0.0.0/24" as is; a host address with a prefix ("10.0.0.1/24") is refused with
 * the network it probably meant.
 */
export function parseCidr(text: string): { cidr: string } | { error: string } {
  const [ip = '', bits] = text.trim().split('/');
  const family = ipFamily(ip);
  if (family === 0) return { error: `${ip || text} is not an IP address` };
  const max = family === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (bits !== undefined && !/^\d+$/.test(bits))) {
    return { error: `/${bits} is not a prefix length from 0 to ${max}` };
  }
  if (family === 4 && prefix < 32) {
    const net = ipaddr.IPv4.networkAddressFromCIDR(`${ip}/${prefix}`).toString();
    if (net !== ip) return { error: `${text} has host bits set; the subnet is ${net}/${prefix}` };
  }
  return { cidr: `${ip}/${prefix}` };
}

/** "10.0.0.0/24", "2001:db8::/32", or a single address (its full prefix). */
export function parseSubnet(text: string): Subnet {
  const [ip = '', bits] = text.split('/');
  const network = ipaddr.parse(ip);
  return { network, prefix: bits === undefined ? (network.kind() === 'ipv4' ? 32 : 128) : Number(bits) };
}

/** Whether an address (text, any family) lies in the subnet. */
export function inSubnet(address: string, subnet: Subnet): boolean {
  if (ipFamily(address) === 0) return false;
  const a = ipaddr.parse(address);
  return a.kind() === subnet.network.kind() && a.match(subnet.network, subnet.prefix);
}
