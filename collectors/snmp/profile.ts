/**
 * SNMP profiles: what to poll on a kind of device, as data (YAML files in ./profiles, plus `snmp.profiles_dir`).
 * A profile has scalars (one GET per poll) and tables (one GETBULK walk per table, all of its columns at once);
 * each object becomes a metric (gauge, or counter turned into a rate per second) or a label that names a table's rows.
 * `include` pulls in other profiles (a radio's profile includes IF-MIB). Profiles are compiled once, at load.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { WispdError } from '../../daemon/lib/errors.ts';

export type ColumnKind = 'gauge' | 'counter' | 'label';

export interface Column {
  /** The MIB object's name, for people and for `unless`/`instance` references. */
  name: string;
  oid: string;
  kind: ColumnKind;
  /** The metric's name (none for labels). */
  metric: string;
  /** Multiplies the value (or the rate): 8 turns octets into bits, 0.01 TimeTicks into seconds. */
  scale: number;
  /** Index in the table's columns of a column that, when the row has it, makes this one skipped (32- vs 64-bit). */
  unless: number;
  /** Index of a column whose value multiplies this one's (hrStorageUsed × hrStorageAllocationUnits); -1: none. */
  scaleBy: number;
  /** Octet strings holding numbers ("-63", "1.25") are read as numbers. */
  numericText: boolean;
}

export type InstanceRule = { kind: 'index' } | { kind: 'mac'; at: number } | { kind: 'labels'; columns: number[] };

export interface Table {
  name: string;
  /** The column OIDs, walked together. */
  oids: string[];
  columns: Column[];
  instance: InstanceRule;
  maxRepetitions?: number;
}

export interface Profile {
  name: string;
  description: string;
  /** GET OIDs: sysUpTime.0 first (reboots reset counter state), then the profile's scalars. */
  getOids: string[];
  scalars: Column[];
  tables: Table[];
  /** How many OIDs one poll reads at least (the scalars, and one per table column). */
  objects: number;
}

export const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';
const OID = /^\d+(\.\d+)+$/;
const METRIC = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;
const NAME = /^[a-z0-9][a-z0-9-]*$/;

interface RawProfile {
  name?: unknown;
  description?: unknown;
  include?: unknown;
  scalars?: unknown;
  tables?: unknown;
}

class ProfileError extends WispdError {
  constructor(file: string, key: string, reason: string) {
    super('WISPD_SNMP_PROFILE', `SNMP profile ${file}: ${key}: ${reason}`, { file, key });
  }
}

function asRecord(v: unknown, file: string, key: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ProfileError(file, key, 'must be a mapping');
  return v as Record<string, unknown>;
}

type PreColumn = Omit<Column, 'unless' | 'scaleBy'> & { unless?: string; scaleBy?: string };

function column(file: string, key: string, name: string, raw: unknown): PreColumn {
  const r = asRecord(raw, file, key);
  const oid = String(r.oid ?? '').replace(/^\./, '');
  if (!OID.test(oid)) throw new ProfileError(file, `${key}.oid`, `"${r.oid ?? ''}" is not a numeric OID`);
  const kind = (r.type ?? 'gauge') as string;
  if (!['gauge', 'counter', 'label'].includes(kind)) {
    throw new ProfileError(file, `${key}.type`, `"${kind}" is not gauge, counter or label`);
  }
  const metric = kind === 'label' ? '' : String(r.metric ?? '');
  if (kind !== 'label' && !METRIC.test(metric)) {
    throw new ProfileError(file, `${key}.metric`, `"${metric}" is not a metric name such as radio.signal_dbm`);
  }
  const scale = r.scale === undefined ? 1 : Number(r.scale);
  if (!Number.isFinite(scale) || scale === 0) throw new ProfileError(file, `${key}.scale`, 'must be a non-zero number');
  return {
    name,
    oid,
    kind: kind as ColumnKind,
    metric,
    scale,
    numericText: r.numeric_text === true,
    unless: r.unless === undefined ? undefined : String(r.unless),
    scaleBy: r.scale_by === undefined ? undefined : String(r.scale_by),
  };
}

function parseInstance(file: string, key: string, raw: unknown, columns: Column[]): InstanceRule {
  if (raw === undefined || raw === 'index') return { kind: 'index' };
  if (typeof raw === 'string') {
    const m = /^mac@(\d+)$/.exec(raw);
    if (m) return { kind: 'mac', at: Number(m[1]) };
  }
  const names = Array.isArray(raw) ? raw.map(String) : [String(raw)];
  const idx = names.map((n) => {
    const i = columns.findIndex((c) => c.name === n && c.kind === 'label');
    if (i === -1) throw new ProfileError(file, key, `"${n}" is not a label column of this table (or use index, mac@N)`);
    return i;
  });
  return { kind: 'labels', columns: idx };
}

interface Parsed {
  name: string;
  description: string;
  include: string[];
  scalars: Column[];
  tables: Table[];
}

function parseProfile(file: string, text: string): Parsed {
  let doc: RawProfile;
  try {
    doc = asRecord(parse(text), file, '(file)') as RawProfile;
  } catch (err) {
    if (err instanceof ProfileError) throw err;
    throw new ProfileError(file, '(file)', `not valid YAML: ${(err as Error).message}`);
  }
  const name = String(doc.name ?? basename(file).replace(/\.ya?ml$/, ''));
  if (!NAME.test(name)) throw new ProfileError(file, 'name', `"${name}" must be lower-case letters, digits and dashes`);
  const include = doc.include === undefined ? [] : Array.isArray(doc.include) ? doc.include.map(String) : [];
  const scalars = Object.entries(doc.scalars === undefined ? {} : asRecord(doc.scalars, file, 'scalars')).map(
    ([n, raw]) => {
      const c = column(file, `scalars.${n}`, n, raw);
      if (c.kind !== 'gauge' && c.kind !== 'counter')
        throw new ProfileError(file, `scalars.${n}.type`, 'a scalar is gauge or counter');
      if (c.unless !== undefined || c.scaleBy !== undefined) {
        throw new ProfileError(file, `scalars.${n}`, 'unless and scale_by refer to columns of a table');
      }
      return { ...c, unless: -1, scaleBy: -1 };
    },
  );
  if (doc.tables !== undefined && !Array.isArray(doc.tables)) throw new ProfileError(file, 'tables', 'must be a list');
  const tables = ((doc.tables as unknown[] | undefined) ?? []).map((raw, i) => {
    const r = asRecord(raw, file, `tables[${i}]`);
    const tname = String(r.name ?? `table${i + 1}`);
    const key = `tables.${tname}`;
    const pre = Object.entries(asRecord(r.columns, file, `${key}.columns`)).map(([n, c]) =>
      column(file, `${key}.columns.${n}`, n, c),
    );
    if (pre.length === 0) throw new ProfileError(file, `${key}.columns`, 'a table needs at least one column');
    const ref = (c: PreColumn, field: 'unless' | 'scaleBy', yamlKey: string) => {
      const target = c[field];
      if (target === undefined) return -1;
      const i = pre.findIndex((o) => o.name === target);
      if (i === -1)
        throw new ProfileError(
          file,
          `${key}.columns.${c.name}.${yamlKey}`,
          `"${target}" is not a column of this table`,
        );
      return i;
    };
    const columns: Column[] = pre.map((c) => ({
      ...c,
      unless: ref(c, 'unless', 'unless'),
      scaleBy: ref(c, 'scaleBy', 'scale_by'),
    }));
    const maxRepetitions = r.max_repetitions === undefined ? undefined : Number(r.max_repetitions);
    if (
      maxRepetitions !== undefined &&
      !(Number.isInteger(maxRepetitions) && maxRepetitions >= 1 && maxRepetitions <= 200)
    ) {
      throw new ProfileError(file, `${key}.max_repetitions`, 'must be an integer from 1 to 200');
    }
    return {
      name: tname,
      oids: columns.map((c) => c.oid),
      columns,
      instance: parseInstance(file, `${key}.instance`, r.instance, columns),
      ...(maxRepetitions ? { maxRepetitions } : {}),
    };
  });
  return { name, description: String(doc.description ?? ''), include, scalars, tables };
}

export const BUILTIN_PROFILES = new URL('./profiles/', import.meta.url).pathname;

/**
 * Reads every profile in the built-in folder and then `extraDir` (a file there replaces a built-in one of the same
 * name), and resolves includes. Throws WISPD_SNMP_PROFILE naming the file and key of the first problem.
 */
export function loadProfiles(extraDir = ''): Map<string, Profile> {
  const parsed = new Map<string, Parsed & { file: string }>();
  for (const dir of [BUILTIN_PROFILES, extraDir].filter(Boolean)) {
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
    } catch (err) {
      throw new ProfileError(dir, '(folder)', `cannot be read: ${(err as Error).message}`);
    }
    for (const f of files.sort()) {
      const file = join(dir, f);
      const p = parseProfile(file, readFileSync(file, 'utf8'));
      parsed.set(p.name, { ...p, file });
    }
  }
  const out = new Map<string, Profile>();
  const resolve = (name: string, from: string[]): Profile => {
    const done = out.get(name);
    if (done) return done;
    const p = parsed.get(name);
    if (!p) throw new ProfileError(from.at(-1) ?? name, 'include', `no profile named "${name}"`);
    if (from.includes(p.file))
      throw new ProfileError(p.file, 'include', `includes itself (through ${from.join(', ')})`);
    const scalars = new Map<string, Column>();
    const tables = new Map<string, Table>();
    for (const inc of p.include) {
      const ip = resolve(inc, [...from, p.file]);
      for (const s of ip.scalars) scalars.set(s.name, s);
      for (const tb of ip.tables) tables.set(tb.name, tb);
    }
    for (const s of p.scalars) scalars.set(s.name, s);
    for (const tb of p.tables) tables.set(tb.name, tb);
    const sc = [...scalars.values()];
    const tbl = [...tables.values()];
    const profile: Profile = {
      name: p.name,
      description: p.description,
      getOids: [SYS_UPTIME, ...sc.map((s) => s.oid)],
      scalars: sc,
      tables: tbl,
      objects: 1 + sc.length + tbl.reduce((n, tb) => n + tb.columns.length, 0),
    };
    out.set(name, profile);
    return profile;
  };
  for (const name of parsed.keys()) resolve(name, []);
  return out;
}
