/**
 * The audit log: every write by staff (in the panel) or by an operator (on the command line) is one row with who,
 * when, what and the record before and after, written in the same transaction as the change itself, so a change
 * without its row (or a row without its change) cannot exist.
 */
import type { PoolClient } from 'pg';
import type { Queryable } from './db.ts';

/** Who writes: a staff member of the panel, or the command line (`staffId` null). */
export interface Actor {
  staffId: number | null;
  /** The staff member's email, or `cli:<unix user>`. */
  name: string;
  /** The client address, for the panel. */
  address?: string;
}

export interface AuditEntry {
  id: number;
  at: Date;
  staffId: number | null;
  actor: string;
  address: string | null;
  action: string;
  resource: string;
  recordId: string | null;
  before: unknown;
  after: unknown;
}

/** What a write reports back to `audited`: its result and the record as it was and as it is. */
export interface Written<T> {
  result: T;
  recordId: string | number | null;
  /** The record before the write (null when created); never a secret or a password hash. */
  before: unknown;
  /** The record after the write (null when deleted); never a secret or a password hash. */
  after: unknown;
}

/** A store that runs transactions (PostgresStore). */
export interface Transactional extends Queryable {
  transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T>;
}

const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

/**
 * The one way staff and operators write: `write` runs in a transaction, and its audit row is inserted in that
 * transaction before it commits. A write that throws leaves no row and changes nothing.
 */
export async function audited<T>(
  db: Transactional,
  actor: Actor,
  what: { resource: string; action: string },
  write: (tx: Queryable) => Promise<Written<T>>,
): Promise<T> {
  return db.transaction(async (tx) => {
    const w = await write(tx);
    await appendAudit(tx, actor, { ...what, recordId: w.recordId, before: w.before, after: w.after });
    return w.result;
  });
}

/** One row, for events that change no record of their own (a login, a logout). */
export async function appendAudit(
  db: Queryable,
  actor: Actor,
  entry: { resource: string; action: string; recordId: string | number | null; before?: unknown; after?: unknown },
): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (staff_id, actor, address, action, resource, record_id, before, after)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)`,
    [
      actor.staffId,
      actor.name,
      actor.address ?? null,
      entry.action,
      entry.resource,
      entry.recordId === null ? null : String(entry.recordId),
      json(entry.before),
      json(entry.after),
    ],
  );
}

/** The newest rows first, optionally for one resource (and one record of it). */
export async function listAudit(
  db: Queryable,
  opts: { resource?: string; recordId?: string; limit?: number } = {},
): Promise<AuditEntry[]> {
  const { rows } = await db.query<AuditEntry>(
    `SELECT id::float8 AS id, at, staff_id AS "staffId", actor, address, action, resource, record_id AS "recordId",
            before, after
       FROM audit_log
      WHERE ($1::text IS NULL OR resource = $1) AND ($2::text IS NULL OR record_id = $2)
      ORDER BY id DESC LIMIT $3`,
    [opts.resource ?? null, opts.recordId ?? null, Math.min(Math.max(opts.limit ?? 100, 1), 1000)],
  );
  return rows;
}
