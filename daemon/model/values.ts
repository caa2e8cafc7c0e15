/** Parsing and formatting of the values operators type: MAC and IP addresses (rates and sizes: config/units.ts). */
import { isIP } from 'node:net';

export { formatRate, parseBytes, parseRate } from '../../config/units.ts';

/** Any common MAC notation (aa:bb:…, AA-BB-…, aabb.ccdd.eeff, aabbccddeeff) → 12 lower-case hex digits. */
export function normalizeMac(text: string): string | undefined {
  const hex = text.toLowerCase().replace(/[^0-9a-f]/g, '');
  if (hex.length !== 12 || !/^[0-9a-f:.\-\s]+$/i.test(text.trim())) return undefined;
  return hex;
}

export const formatMac = (hex: string): string => hex.match(/../g)!.join(':');

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0);
}

/**
 * "10.0.0.1" → "10.0.0.1/32"; "10.0.0.0/24" as is; a host address with a prefix ("10.0.0.1/24") is refused with
 * the network it probably meant.
 */
export function parseCidr(text: string): { cidr: string } | { error: string } {
  const [ip = '', bits] = text.trim().split('/');
  const family = isIP(ip);
  if (family === 0) return { error: `${ip || text} is not an IP address` };
  const max = family === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (bits !== undefined && !/^\d+$/.test(bits))) {
    return { error: `/${bits} is not a prefix length from 0 to ${max}` };
  }
  if (family === 4 && prefix < 32) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const net = (ipv4ToInt(ip) & mask) >>> 0;
    if (net !== ipv4ToInt(ip)) {
      const netText = [24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.');
      return { error: `${text} has host bits set; the subnet is ${netText}/${prefix}` };
    }
  }
  return { cidr: `${ip}/${prefix}` };
}
