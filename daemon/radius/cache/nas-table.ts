/** The NAS a packet may come from, by source address: exact hosts in a map, subnets by longest prefix. */

import { tsvString } from '../../../contracts/tsv.ts';
import { inSubnet, parseSubnet, type Subnet, unmapIPv4 } from '../../lib/ip.ts';
import type { NasVendor, NasWithSecret } from '../../model/nas.ts';

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

export class NasTable {
  #exact = new Map<string, NasEntry>();
  #subnets: Array<{ subnet: Subnet; nas: NasEntry }> = [];
  #byId = new Map<number, NasEntry>();

  get size(): number {
    return this.#byId.size;
  }

  /** Replaces the whole table (at load, and after any NAS change: there are few NAS, rebuilding is cheap). */
  load(rows: readonly NasWithSecret[]): void {
    const exact = new Map<string, NasEntry>();
    const subnets: Array<{ subnet: Subnet; nas: NasEntry }> = [];
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
      const subnet = parseSubnet(r.address);
      if (subnet.prefix === (subnet.network.kind() === 'ipv4' ? 32 : 128)) exact.set(r.address.split('/')[0]!, nas);
      else subnets.push({ subnet, nas });
    }
    subnets.sort((a, b) => b.subnet.prefix - a.subnet.prefix);
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
    for (const s of this.#subnets) if (inSubnet(a, s.subnet)) return s.nas;
    return undefined;
  }

  byId(id: number): NasEntry | undefined {
    return this.#byId.get(id);
  }

  all(): NasEntry[] {
    return [...this.#byId.values()];
  }
}
