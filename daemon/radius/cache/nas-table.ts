/** The NAS a packet may come from, by source address: exact hosts in a map, subnets by longest prefix. */
import { isIPv4 } from 'node:net';
import type { NasVendor, NasWithSecret } from '../../model/nas.ts';
import { tsvString } from '../../store/clickhouse/tsv.ts';

export interface NasEntry {
  readonly id: number;
  readonly name: string;
  readonly address: string;
  readonly secret: Buffer;
  readonly vendor: NasVendor;
  readonly coaPort: number;
  readonly requireMessageAuthenticator: boolean;
  /** The name, escaped once for TabSeparated rows. */
  readonly tsvName: string;
}

interface Subnet {
  family: 4 | 6;
  network: bigint;
  mask: bigint;
  prefix: number;
  nas: NasEntry;
}

function toBigInt(address: string): { family: 4 | 6; value: bigint } {
  if (isIPv4(address)) {
    return { family: 4, value: BigInt(address.split('.').reduce((a, o) => a * 256 + Number(o), 0)) };
  }
  const [head = '', tail] = address.split('::');
  const parse = (s: string) => (s ? s.split(':') : []);
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return { family: 6, value: groups.reduce((a, g) => (a << 16n) | BigInt(Number.parseInt(g, 16) || 0), 0n) };
}

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) → `10.0.0.1`. */
export const unmapIPv4 = (address: string): string =>
  address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;

export class NasTable {
  #exact = new Map<string, NasEntry>();
  #subnets: Subnet[] = [];
  #byId = new Map<number, NasEntry>();

  get size(): number {
    return this.#byId.size;
  }

  /** Replaces the whole table (at load, and after any NAS change: there are few NAS, rebuilding is cheap). */
  load(rows: readonly NasWithSecret[]): void {
    const exact = new Map<string, NasEntry>();
    const subnets: Subnet[] = [];
    const byId = new Map<number, NasEntry>();
    for (const r of rows) {
      const nas: NasEntry = Object.freeze({
        id: r.id,
        name: r.name,
        address: r.address,
        secret: Buffer.from(r.secret, 'utf8'),
        vendor: r.vendor,
        coaPort: r.coaPort,
        requireMessageAuthenticator: r.requireMessageAuthenticator,
        tsvName: tsvString(r.name),
      });
      byId.set(nas.id, nas);
      const [ip = '', bits = ''] = r.address.split('/');
      const { family, value } = toBigInt(ip);
      const width = family === 4 ? 32 : 128;
      const prefix = Number(bits || width);
      if (prefix === width) exact.set(ip, nas);
      else {
        const mask = ((1n << BigInt(width)) - 1n) ^ ((1n << BigInt(width - prefix)) - 1n);
        subnets.push({ family, network: value & mask, mask, prefix, nas });
      }
    }
    subnets.sort((a, b) => b.prefix - a.prefix);
    this.#exact = exact;
    this.#subnets = subnets;
    this.#byId = byId;
  }

  lookup(address: string): NasEntry | undefined {
    const hit = this.#exact.get(address);
    if (hit || this.#subnets.length === 0) return hit;
    const a = unmapIPv4(address);
    const mapped = this.#exact.get(a);
    if (mapped) return mapped;
    const { family, value } = toBigInt(a);
    for (const s of this.#subnets) if (s.family === family && (value & s.mask) === s.network) return s.nas;
    return undefined;
  }

  byId(id: number): NasEntry | undefined {
    return this.#byId.get(id);
  }

  all(): NasEntry[] {
    return [...this.#byId.values()];
  }
}
