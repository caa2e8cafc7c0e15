/** Subscribers (services): credentials, plan, status, static address, MAC binding. Passwords are sealed at rest. */

import { parse as parseCsv } from 'csv-parse/sync';
import { ipFamily } from '../lib/ip.ts';
import { normalizeMac } from '../lib/mac.ts';
import type { SecretBox } from '../security/secret-box.ts';
import { invalid, notFound, type Queryable, unique } from './db.ts';
import {
  deleteRestriction,
  putRestriction,
  RESTRICTIONS_JSON,
  restrictionOfRow,
  type StoredRestriction,
  storedRestrictions,
  subscriberIdOf,
} from './restriction.ts';

export const SUBSCRIBER_STATUSES = ['active', 'suspended', 'expired'] as const;
export type SubscriberStatus = (typeof SUBSCRIBER_STATUSES)[number];

export interface SubscriberInput {
  username: string;
  password: string;
  plan: string;
  status?: string;
  ip?: string | null;
  mac?: string | null;
  expiresAt?: Date | null;
  simultaneousUse?: number | null;
  cycleDay?: number;
  /** The customer holding it. */
  customerId?: number | null;
}

export interface Subscriber {
  id: number;
  username: string;
  planId: number;
  plan: string;
  status: SubscriberStatus;
  expiresAt: Date | null;
  staticIp: string | null;
  mac: string | null;
  simultaneousUse: number | null;
  /** Day of the month the billing cycle starts (FUP 'cycle' periods). */
  cycleDay: number;
  createdAt: Date;
  updatedAt: Date;
}

/** What the RADIUS cache keeps of a subscriber, password opened, with its stored restrictions. */
export interface SubscriberWithPassword extends Subscriber {
  password: string;
  restrictions: StoredRestriction[];
}

const COLUMNS = `s.id, s.username, s.plan_id AS "planId", p.name AS plan, s.status, s.expires_at AS "expiresAt",
  host(s.static_ip) AS "staticIp", s.mac, s.simultaneous_use AS "simultaneousUse", s.cycle_day AS "cycleDay",
  s.created_at AS "createdAt",
  s.updated_at AS "updatedAt"`;
const FROM = 'subscriber s JOIN plan p ON p.id = s.plan_id';

const hasControlCharacter = (s: string) => [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

export function validateUsername(username: string): void {
  // RFC 2865 §5.1: User-Name is at most 253 octets; no control characters, no leading or trailing space.
  if (
    username.length === 0 ||
    Buffer.byteLength(username) > 253 ||
    hasControlCharacter(username) ||
    username.trim() !== username
  ) {
    throw invalid('username', username, 'must be 1 to 253 octets without control characters or surrounding spaces');
  }
}

export function validatePassword(password: string): void {
  // RFC 2865 §5.2: the hidden password is at most 128 octets.
  if (password.length === 0 || Buffer.byteLength(password) > 128)
    throw invalid('password', '********', 'must be 1 to 128 octets');
}

function validateIp(ip: string | null | undefined): void {
  if (ip && ipFamily(ip) !== 4) throw invalid('ip', ip, 'must be an IPv4 address');
}

function validateStatus(status: string | undefined): SubscriberStatus {
  const s = status ?? 'active';
  if (!(SUBSCRIBER_STATUSES as readonly string[]).includes(s)) {
    throw invalid('status', s, `must be one of ${SUBSCRIBER_STATUSES.join(', ')}`);
  }
  return s as SubscriberStatus;
}

function validateCycleDay(day: number | undefined): void {
  if (day !== undefined && !(Number.isInteger(day) && day >= 1 && day <= 28)) {
    throw invalid('cycle-day', day, 'a day of the month from 1 to 28');
  }
}

function macOf(mac: string | null | undefined): string | null {
  if (mac === undefined || mac === null || mac === '') return null;
  const normal = normalizeMac(mac);
  if (!normal) throw invalid('mac', mac, 'must be a MAC address such as aa:bb:cc:dd:ee:ff');
  return normal;
}

async function planId(db: Queryable, plan: string): Promise<number> {
  const { rows } = await db.query<{ id: number }>('SELECT id FROM plan WHERE name = $1', [plan]);
  if (!rows[0]) throw notFound('plan', plan);
  return rows[0].id;
}

async function customerExists(db: Queryable, id: number): Promise<void> {
  const { rows } = await db.query('SELECT 1 FROM customer WHERE id = $1', [id]);
  if (rows.length === 0) throw notFound('customer', String(id));
}

export async function addSubscriber(db: Queryable, box: SecretBox, input: SubscriberInput): Promise<Subscriber> {
  validateUsername(input.username);
  validatePassword(input.password);
  validateIp(input.ip);
  const status = validateStatus(input.status);
  const mac = macOf(input.mac);
  validateCycleDay(input.cycleDay);
  const plan = await planId(db, input.plan);
  if (input.customerId != null) await customerExists(db, input.customerId);
  await unique('subscriber', input.username, () =>
    db.query(
      `INSERT INTO subscriber (username, password_enc, plan_id, status, static_ip, mac, expires_at, simultaneous_use,
                               cycle_day, customer_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        input.username,
        box.seal(input.password),
        plan,
        status,
        input.ip ?? null,
        mac,
        input.expiresAt ?? null,
        input.simultaneousUse ?? null,
        input.cycleDay ?? 1,
        input.customerId ?? null,
      ],
    ),
  );
  if (status === 'suspended') await statusAsRestriction(db, input.username, status);
  return getSubscriber(db, input.username);
}

/**
 * A status of `suspended` is the `manual` restriction (model/restriction.ts), which is what access follows; set as a
 * status it is a walled garden (a reject with the walled garden off), effective at the next login. One already
 * standing is kept as it is.
 */
async function statusAsRestriction(db: Queryable, username: string, status: string): Promise<void> {
  const id = await subscriberIdOf(db, username);
  if (status !== 'suspended') {
    await deleteRestriction(db, id, 'manual');
  } else if (!(await storedRestrictions(db, id)).some((r) => r.reason === 'manual')) {
    const manual = {
      reason: 'manual',
      effect: 'walled_garden',
      profile: null,
      note: 'status set to suspended',
    } as const;
    await putRestriction(db, id, manual, 'status');
  }
}

export type SubscriberChange = Partial<Omit<SubscriberInput, 'username'>> & {
  /** The customer holding it (an id), or null for none. */
  customerId?: number | null;
};

/** Changes the given fields; the others stay. */
export async function updateSubscriber(
  db: Queryable,
  box: SecretBox,
  username: string,
  change: SubscriberChange,
): Promise<Subscriber> {
  const sets: string[] = [];
  const values: unknown[] = [username];
  const set = (column: string, value: unknown) => {
    values.push(value);
    sets.push(`${column} = $${values.length}`);
  };
  if (change.password !== undefined) {
    validatePassword(change.password);
    set('password_enc', box.seal(change.password));
  }
  if (change.plan !== undefined) set('plan_id', await planId(db, change.plan));
  if (change.status !== undefined) set('status', validateStatus(change.status));
  if (change.ip !== undefined) {
    validateIp(change.ip);
    set('static_ip', change.ip || null);
  }
  if (change.mac !== undefined) set('mac', macOf(change.mac));
  if (change.expiresAt !== undefined) set('expires_at', change.expiresAt);
  if (change.simultaneousUse !== undefined) set('simultaneous_use', change.simultaneousUse);
  if (change.cycleDay !== undefined) {
    validateCycleDay(change.cycleDay);
    set('cycle_day', change.cycleDay);
  }
  if (change.customerId !== undefined) {
    if (change.customerId !== null) await customerExists(db, change.customerId);
    set('customer_id', change.customerId);
  }
  if (sets.length > 0) {
    const { rowCount } = await unique('subscriber', username, () =>
      db.query(`UPDATE subscriber SET ${sets.join(', ')}, updated_at = now() WHERE username = $1`, values),
    );
    if (!rowCount) throw notFound('subscriber', username);
  }
  if (change.status !== undefined) await statusAsRestriction(db, username, change.status);
  return getSubscriber(db, username);
}

export async function getSubscriber(db: Queryable, username: string): Promise<Subscriber> {
  const { rows } = await db.query<Subscriber>(`SELECT ${COLUMNS} FROM ${FROM} WHERE s.username = $1`, [username]);
  if (!rows[0]) throw notFound('subscriber', username);
  return rows[0];
}

export async function listSubscribers(
  db: Queryable,
  opts: { search?: string; plan?: string; status?: string; limit?: number; offset?: number } = {},
): Promise<{ rows: Subscriber[]; total: number }> {
  const where: string[] = [];
  const values: unknown[] = [];
  if (opts.search) {
    values.push(`%${opts.search.replace(/[%_\\]/g, '\\$&')}%`);
    where.push(`s.username ILIKE $${values.length}`);
  }
  if (opts.plan) {
    values.push(opts.plan);
    where.push(`p.name = $${values.length}`);
  }
  if (opts.status) {
    values.push(validateStatus(opts.status));
    where.push(`s.status = $${values.length}`);
  }
  const cond = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${FROM} ${cond}`, values)).rows[0]!.n;
  values.push(opts.limit ?? 100, opts.offset ?? 0);
  const { rows } = await db.query<Subscriber>(
    `SELECT ${COLUMNS} FROM ${FROM} ${cond} ORDER BY s.username LIMIT $${values.length - 1} OFFSET $${values.length}`,
    values,
  );
  return { rows, total };
}

export async function removeSubscriber(db: Queryable, username: string): Promise<void> {
  const { rowCount } = await db.query('DELETE FROM subscriber WHERE username = $1', [username]);
  if (!rowCount) throw notFound('subscriber', username);
}

/** For the RADIUS cache: every subscriber (or the ones with these ids), passwords opened. */
export async function loadSubscribersWithPasswords(
  db: Queryable,
  box: SecretBox,
  ids?: readonly number[],
): Promise<SubscriberWithPassword[]> {
  const { rows } = await db.query<
    Subscriber & { passwordEnc: Buffer; restrictions: Parameters<typeof restrictionOfRow>[0][] }
  >(
    `SELECT ${COLUMNS}, s.password_enc AS "passwordEnc", ${RESTRICTIONS_JSON} AS restrictions
       FROM ${FROM} ${ids ? 'WHERE s.id = ANY($1)' : ''}`,
    ids ? [ids] : [],
  );
  return rows.map(({ passwordEnc, restrictions, ...s }) => ({
    ...s,
    password: box.open(passwordEnc),
    restrictions: restrictions.map(restrictionOfRow),
  }));
}

export interface ImportRow {
  line: number;
  username: string;
  password: string;
  plan: string;
}

export interface ImportResult {
  added: number;
  skipped: number;
  errors: Array<{ line: number; message: string }>;
}

/**
 * Reads `username,password,plan` records (RFC 4180 through csv-parse: a field may be double-quoted, hold commas or
 * newlines; a header line is recognised and skipped; lines starting with # are comments). Returns the rows and the
 * records that could not be read, each with the line it starts on.
 */
export function parseSubscriberCsv(text: string): {
  rows: ImportRow[];
  errors: Array<{ line: number; message: string }>;
} {
  const rows: ImportRow[] = [];
  const errors: Array<{ line: number; message: string }> = [];
  const records = parseCsv(text, {
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
    comment: '#',
    comment_no_infix: true,
    info: true,
    skip_records_with_error: true,
    on_skip: (err) => {
      if (err) errors.push({ line: Number(err.lines), message: err.message });
      return undefined;
    },
  }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  for (const { record, info } of records) {
    // csv-parse counts lines to the end of a record; a quoted field may span several.
    const line = info.lines - record.reduce((n, f) => n + (f.match(/\n/g)?.length ?? 0), 0);
    if (line === 1 && record[0]?.toLowerCase() === 'username') continue;
    if (record.length !== 3 || record.some((f) => f === '')) {
      errors.push({ line, message: 'expected username,password,plan' });
      continue;
    }
    rows.push({ line, username: record[0]!, password: record[1]!, plan: record[2]! });
  }
  errors.sort((a, b) => a.line - b.line);
  return { rows, errors };
}

/**
 * Adds subscribers in batches (one statement per batch); a username that exists is skipped, not changed. Progress
 * is reported after each batch.
 */
export async function importSubscribers(
  db: Queryable,
  box: SecretBox,
  rows: readonly ImportRow[],
  onProgress: (done: number, total: number) => void = () => {},
  batchSize = 2000,
): Promise<ImportResult> {
  const plans = new Map(
    (await db.query<{ id: number; name: string }>('SELECT id, name FROM plan')).rows.map((p) => [p.name, p.id]),
  );
  const result: ImportResult = { added: 0, skipped: 0, errors: [] };
  for (let i = 0; i < rows.length; i += batchSize) {
    const batch: { username: string; password: Buffer; plan: number }[] = [];
    for (const r of rows.slice(i, i + batchSize)) {
      try {
        validateUsername(r.username);
        validatePassword(r.password);
        const plan = plans.get(r.plan);
        if (plan === undefined) throw notFound('plan', r.plan);
        batch.push({ username: r.username, password: box.seal(r.password), plan });
      } catch (err) {
        result.errors.push({ line: r.line, message: (err as Error).message });
      }
    }
    if (batch.length > 0) {
      const { rowCount } = await db.query(
        `INSERT INTO subscriber (username, password_enc, plan_id)
         SELECT * FROM unnest($1::text[], $2::bytea[], $3::int[]) ON CONFLICT (username) DO NOTHING`,
        [batch.map((b) => b.username), batch.map((b) => b.password), batch.map((b) => b.plan)],
      );
      result.added += rowCount ?? 0;
      result.skipped += batch.length - (rowCount ?? 0);
    }
    onProgress(Math.min(i + batchSize, rows.length), rows.length);
  }
  return result;
}
