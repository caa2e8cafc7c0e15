/**
 * RADIUS dictionaries in FreeRADIUS format (ATTRIBUTE, VALUE, VENDOR, BEGIN-VENDOR/END-VENDOR, $INCLUDE), parsed once
 * at boot into an immutable Dictionary. The RFC dictionaries come from the `radius` package; vendor dictionaries
 * (MikroTik, Cisco, Juniper, Microsoft, WISPr…) are ours, in ./dictionaries. No I/O happens after load.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type AttrType =
  | 'string'
  | 'octets'
  | 'ipaddr'
  | 'integer'
  | 'date'
  | 'ipv6addr'
  | 'ipv6prefix'
  | 'ifid'
  | 'integer64'
  | 'byte'
  | 'short'
  | 'signed'
  | 'abinary'
  | 'vsa'
  | 'tlv'
  | 'combo-ip'
  | 'ether';

export interface AttrDef {
  readonly name: string;
  /** 0 for standard attributes, the IANA enterprise number for vendor-specific ones. */
  readonly vendor: number;
  readonly type: number;
  readonly dataType: AttrType;
  /** RFC 2865 §5.2 (1), RFC 2868 §3.5 (2), Ascend (3). */
  readonly encrypt: 0 | 1 | 2 | 3;
  readonly hasTag: boolean;
  readonly values: ReadonlyMap<string, number>;
  readonly names: ReadonlyMap<number, string>;
}

export interface Dictionary {
  byName(name: string): AttrDef | undefined;
  byCode(vendor: number, type: number): AttrDef | undefined;
  vendorId(name: string): number | undefined;
  vendorName(id: number): string | undefined;
  /** Looks up a name that must exist (the modules ask for theirs at load): a missing one fails the boot. */
  require(name: string): AttrDef;
  readonly size: number;
}

export class DictionaryError extends Error {
  override name = 'DictionaryError';
}

const DATA_TYPES = new Set<string>([
  'string',
  'octets',
  'ipaddr',
  'integer',
  'date',
  'ipv6addr',
  'ipv6prefix',
  'ifid',
  'integer64',
  'byte',
  'short',
  'signed',
  'abinary',
  'vsa',
  'tlv',
  'combo-ip',
  'ether',
]);

interface MutableDef {
  name: string;
  vendor: number;
  type: number;
  dataType: AttrType;
  encrypt: 0 | 1 | 2 | 3;
  hasTag: boolean;
  values: Map<string, number>;
  names: Map<number, string>;
}

const codeKey = (vendor: number, type: number) => vendor * 65536 + type;

/** Where the RFC dictionaries of the `radius` package are. */
export function rfcDictionaryDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('radius/package.json')), 'dictionaries');
}

/** Our vendor dictionaries. */
export const vendorDictionaryDir = (): string => fileURLToPath(new URL('./dictionaries/', import.meta.url));

/** Parses dictionary files (or folders of them) into one Dictionary. Later files may add to earlier ones. */
export function loadDictionary(paths: readonly string[]): Dictionary {
  const byName = new Map<string, MutableDef>();
  const byCode = new Map<number, MutableDef>();
  const vendors = new Map<string, number>();
  const vendorNames = new Map<number, string>();
  const pendingValues: Array<{ attr: string; name: string; value: number; where: string }> = [];
  const seen = new Set<string>();

  const parseFile = (file: string) => {
    const path = resolve(file);
    if (seen.has(path)) return;
    seen.add(path);
    let vendor = 0;
    const lines = readFileSync(path, 'latin1').split('\n');
    lines.forEach((raw, i) => {
      const where = `${path}:${i + 1}`;
      const line = raw.replace(/#.*/, '').trim();
      if (line === '') return;
      const f = line.split(/\s+/);
      const keyword = f[0]!.toUpperCase();
      switch (keyword) {
        case 'VENDOR': {
          const id = Number(f[2]);
          if (!f[1] || !Number.isInteger(id)) throw new DictionaryError(`${where}: VENDOR needs a name and a number`);
          vendors.set(f[1], id);
          vendorNames.set(id, f[1]);
          return;
        }
        case 'BEGIN-VENDOR': {
          const id = vendors.get(f[1] ?? '');
          if (id === undefined) throw new DictionaryError(`${where}: BEGIN-VENDOR of an unknown vendor ${f[1]}`);
          vendor = id;
          return;
        }
        case 'END-VENDOR':
          vendor = 0;
          return;
        case 'ATTRIBUTE': {
          const [, name, code, type, flags = ''] = f;
          const dataType = type?.toLowerCase();
          if (!name || !code || !dataType)
            throw new DictionaryError(`${where}: ATTRIBUTE needs a name, a number and a type`);
          if (!DATA_TYPES.has(dataType.replace(/\[.*$/, ''))) {
            throw new DictionaryError(`${where}: unknown type ${type} for ${name}`);
          }
          // Nested TLV numbers (1.2) are not used by any attribute wispd reads; they are skipped, not refused.
          if (!/^\d+$/.test(code)) return;
          let encrypt: 0 | 1 | 2 | 3 = 0;
          let hasTag = false;
          for (const flag of flags.split(',')) {
            if (flag === 'has_tag') hasTag = true;
            const m = /^encrypt=([123])$/.exec(flag);
            if (m) encrypt = Number(m[1]) as 1 | 2 | 3;
          }
          const def: MutableDef = {
            name,
            vendor,
            type: Number(code),
            dataType: dataType.replace(/\[.*$/, '') as AttrType,
            encrypt,
            hasTag,
            values: new Map(),
            names: new Map(),
          };
          byName.set(name.toLowerCase(), def);
          byCode.set(codeKey(vendor, def.type), def);
          return;
        }
        case 'VALUE': {
          const [, attr, name, value] = f;
          const n = Number(value);
          if (!attr || !name || !Number.isInteger(n))
            throw new DictionaryError(`${where}: VALUE needs an attribute, a name and a number`);
          pendingValues.push({ attr, name, value: n, where });
          return;
        }
        case '$INCLUDE': {
          const target = resolve(dirname(path), f[1] ?? '');
          parseFile(target);
          return;
        }
        case 'FLAGS':
        case 'PROTOCOL':
        case 'BEGIN-TLV':
        case 'END-TLV':
        case 'BEGIN-PROTOCOL':
        case 'END-PROTOCOL':
          return;
        default:
          throw new DictionaryError(`${where}: unknown keyword ${f[0]}`);
      }
    });
  };

  for (const p of paths) {
    if (statSync(p).isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        if (name.startsWith('dictionary')) parseFile(join(p, name));
      }
    } else {
      parseFile(p);
    }
  }

  for (const v of pendingValues) {
    const def = byName.get(v.attr.toLowerCase());
    if (!def) throw new DictionaryError(`${v.where}: VALUE for an unknown attribute ${v.attr}`);
    def.values.set(v.name, v.value);
    if (!def.names.has(v.value)) def.names.set(v.value, v.name);
  }

  for (const def of byName.values()) {
    Object.freeze(def);
  }

  return Object.freeze({
    byName: (name: string) => byName.get(name.toLowerCase()),
    byCode: (vendor: number, type: number) => byCode.get(codeKey(vendor, type)),
    vendorId: (name: string) => vendors.get(name),
    vendorName: (id: number) => vendorNames.get(id),
    require(name: string) {
      const def = byName.get(name.toLowerCase());
      if (!def) throw new DictionaryError(`attribute ${name} is in no loaded dictionary`);
      return def;
    },
    size: byName.size,
  });
}

/** The RFC dictionaries, our vendor ones, then any extra files or folders the configuration names. */
export function loadStandardDictionary(extra: readonly string[] = []): Dictionary {
  return loadDictionary([rfcDictionaryDir(), vendorDictionaryDir(), ...extra]);
}
