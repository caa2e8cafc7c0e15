/**
 * Schema migrations as plain files: `NNNN_what.sql` in a component's `migrations/` folder, applied in order, each
 * once, recorded with its checksum in the store's `schema_migrations` table. A scope names whose migrations they are
 * (`core`, or a plugin's name), so plugins can bring their own.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WispdError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';

export interface Migration {
  scope: string;
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface AppliedMigration {
  scope: string;
  version: number;
  checksum: string;
}

export interface MigrationReport {
  /** What this run applied. */
  applied: Migration[];
  /** How many migrations the store has recorded after this run. */
  total: number;
}

export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/** Reads `NNNN_name.sql` files from a folder; other files are ignored, two files with one number are an error. */
export function readMigrations(scope: string, dir: URL | string): Migration[] {
  const path = typeof dir === 'string' ? dir : fileURLToPath(dir);
  const out: Migration[] = [];
  for (const file of readdirSync(path).sort()) {
    const m = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!m) continue;
    const version = Number(m[1]);
    const twin = out.find((x) => x.version === version);
    if (twin) throw new Error(`${path}: ${twin.name}.sql and ${file} share version ${version}`);
    const sql = readFileSync(`${path}/${file}`, 'utf8');
    out.push({ scope, version, name: `${m[1]}_${m[2]}`, sql, checksum: checksumOf(sql) });
  }
  return out;
}

/**
 * Which of `known` still need applying, given what the store has recorded. An edited migration, or one the store
 * has and this wispd does not know, stops the boot: both mean the code and the database disagree.
 */
export function pending(known: readonly Migration[], applied: readonly AppliedMigration[], store: string): Migration[] {
  const byKey = new Map(known.map((m) => [`${m.scope}/${m.version}`, m]));
  for (const a of applied) {
    const m = byKey.get(`${a.scope}/${a.version}`);
    if (m === undefined) {
      if (!known.some((k) => k.scope === a.scope)) continue;
      throw new WispdError(
        'WISPD_MIGRATION_UNKNOWN',
        `${store}: migration ${a.scope}/${a.version} is applied but unknown to this wispd; a newer version ran on this database`,
        { store, scope: a.scope, version: a.version },
      );
    }
    if (m.checksum !== a.checksum) {
      throw new WispdError(
        'WISPD_MIGRATION_CHANGED',
        `${store}: migration ${m.scope}/${m.name} was edited after it was applied (checksum differs); add a new migration instead`,
        { store, scope: m.scope, version: m.version },
      );
    }
  }
  const done = new Set(applied.map((a) => `${a.scope}/${a.version}`));
  return known.filter((m) => !done.has(`${m.scope}/${m.version}`));
}

/** Splits a file into statements for stores that take one statement per request (ClickHouse). */
export function statements(sql: string): string[] {
  return sql
    .split(/;[ \t]*(?:\r?\n|$)/)
    .map((s) =>
      s
        .split('\n')
        .filter((line) => !/^\s*--/.test(line))
        .join('\n')
        .trim(),
    )
    .filter((s) => s.length > 0);
}

/** The one log line of a migration run. */
export function logReport(log: Logger, report: MigrationReport): void {
  log.info(
    { applied: report.applied.map((m) => `${m.scope}/${m.name}`), total: report.total },
    report.applied.length > 0 ? 'migrations applied' : 'schema up to date',
  );
}
