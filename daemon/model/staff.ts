/**
 * Staff accounts of the panel and their sessions, shared by the panel and the `wispd admin` commands. Password
 * hashes never leave this module; a session token is given to its holder once and stored only as its sha256.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hashPassword, verifyNothing, verifyPassword } from '../security/password.ts';
import { type Actor, audited, type Transactional, type Written } from './audit.ts';
import { invalid, notFound, type Queryable, unique } from './db.ts';

export const STAFF_ROLES = ['admin', 'noc', 'billing', 'support', 'readonly'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** A staff member as anyone may see them: no password hash. */
export interface Staff {
  id: number;
  email: string;
  role: StaffRole;
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
  lastLoginAt: Date | null;
}

export interface StaffInput {
  email: string;
  password: string;
  role: string;
}

export interface StaffChange {
  role?: string;
  disabled?: boolean;
  password?: string;
}

const COLUMNS = `staff.id, staff.email, staff.role, staff.disabled, staff.created_at AS "createdAt",
  staff.updated_at AS "updatedAt", staff.last_login_at AS "lastLoginAt"`;

export const PASSWORD_MIN = 10;
const PASSWORD_MAX = 1024;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function validEmail(email: string): string {
  const e = normalizeEmail(email);
  // RFC 5322 dot-atom local part and a host name: no character that means something in HTML, a URL or a header.
  if (
    e.length > 254 ||
    !/^[a-z0-9!#$%'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%'*+/=?^_`{|}~-]+)*@[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(
      e,
    )
  )
    throw invalid('email', email, 'an email address such as noc@example.net');
  return e;
}

function validRole(role: string): StaffRole {
  if (!(STAFF_ROLES as readonly string[]).includes(role))
    throw invalid('role', role, `must be one of ${STAFF_ROLES.join(', ')}`);
  return role as StaffRole;
}

function validPassword(password: string): string {
  if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX)
    throw invalid('password', '********', `must have ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`);
  return password;
}

async function byEmail(db: Queryable, email: string): Promise<Staff | undefined> {
  const { rows } = await db.query<Staff>(`SELECT ${COLUMNS} FROM staff WHERE email = $1`, [normalizeEmail(email)]);
  return rows[0];
}

export async function getStaff(db: Queryable, email: string): Promise<Staff> {
  const s = await byEmail(db, email);
  if (!s) throw notFound('staff member', normalizeEmail(email));
  return s;
}

export async function getStaffById(db: Queryable, id: number): Promise<Staff> {
  const { rows } = await db.query<Staff>(`SELECT ${COLUMNS} FROM staff WHERE id = $1`, [id]);
  if (!rows[0]) throw notFound('staff member', String(id));
  return rows[0];
}

export async function listStaff(db: Queryable): Promise<Staff[]> {
  return (await db.query<Staff>(`SELECT ${COLUMNS} FROM staff ORDER BY email`)).rows;
}

export async function countStaff(db: Queryable): Promise<number> {
  return (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM staff')).rows[0]!.n;
}

/** A new staff member, validated and hashed (slow: done before any transaction opens). */
export interface PreparedStaff {
  email: string;
  role: StaffRole;
  hash: string;
}

export async function prepareStaff(input: StaffInput): Promise<PreparedStaff> {
  const email = validEmail(input.email);
  const role = validRole(input.role);
  return { email, role, hash: await hashPassword(validPassword(input.password)) };
}

export function insertStaff(tx: Queryable, p: PreparedStaff): Promise<Written<Staff>> {
  return unique('staff member', p.email, async () => {
    const { rows } = await tx.query<Staff>(
      `INSERT INTO staff (email, password_hash, role) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
      [p.email, p.hash, p.role],
    );
    const s = rows[0]!;
    return { result: s, recordId: s.id, before: null, after: s };
  });
}

/** Adds a staff member (audited). */
export async function createStaff(db: Transactional, actor: Actor, input: StaffInput): Promise<Staff> {
  const p = await prepareStaff(input);
  return audited(db, actor, { resource: 'staff', action: 'new' }, (tx) => insertStaff(tx, p));
}

export interface PreparedChange {
  role?: StaffRole;
  disabled?: boolean;
  hash?: string;
}

export async function prepareStaffChange(change: StaffChange): Promise<PreparedChange> {
  return {
    role: change.role === undefined ? undefined : validRole(change.role),
    disabled: change.disabled,
    hash: change.password === undefined ? undefined : await hashPassword(validPassword(change.password)),
  };
}

/**
 * Changes a staff member's role, password or disabled flag. A new password or disabling ends every session of
 * theirs; a new role applies from their next request. A change that would leave no enabled admin is refused.
 */
export async function changeStaff(
  tx: Queryable,
  key: { email: string } | { id: number },
  change: PreparedChange,
): Promise<Written<Staff>> {
  const { rows: found } =
    'id' in key
      ? await tx.query<Staff>(`SELECT ${COLUMNS} FROM staff WHERE id = $1 FOR UPDATE`, [key.id])
      : await tx.query<Staff>(`SELECT ${COLUMNS} FROM staff WHERE email = $1 FOR UPDATE`, [normalizeEmail(key.email)]);
  const before = found[0];
  if (!before) throw notFound('staff member', 'id' in key ? String(key.id) : normalizeEmail(key.email));
  const { rows } = await tx.query<Staff>(
    `UPDATE staff SET role = coalesce($2, role), disabled = coalesce($3, disabled),
            password_hash = coalesce($4, password_hash), updated_at = now()
      WHERE id = $1 RETURNING ${COLUMNS}`,
    [before.id, change.role ?? null, change.disabled ?? null, change.hash ?? null],
  );
  const after = rows[0]!;
  if (before.role === 'admin' && !before.disabled && (after.role !== 'admin' || after.disabled)) {
    const { rows: admins } = await tx.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM staff WHERE role = 'admin' AND NOT disabled",
    );
    if (admins[0]!.n === 0)
      throw invalid(
        'email',
        after.email,
        'the last enabled admin cannot be disabled or given another role; make another staff member admin first',
      );
  }
  if (change.hash !== undefined || after.disabled)
    await tx.query('DELETE FROM staff_session WHERE staff_id = $1', [after.id]);
  return {
    result: after,
    recordId: after.id,
    before,
    after: change.hash === undefined ? after : { ...after, password: 'changed' },
  };
}

/** Changes a staff member (audited); see changeStaff. */
export async function updateStaff(
  db: Transactional,
  actor: Actor,
  key: { email: string } | { id: number },
  change: StaffChange,
): Promise<Staff> {
  const p = await prepareStaffChange(change);
  return audited(db, actor, { resource: 'staff', action: 'edit' }, (tx) => changeStaff(tx, key, p));
}

/**
 * The staff member with this email and password, or undefined. Unknown, disabled and wrong password take the same
 * time and give the same answer, so a caller cannot tell which it was.
 */
export async function authenticate(db: Queryable, email: string, password: string): Promise<Staff | undefined> {
  const { rows } = await db.query<Staff & { passwordHash: string }>(
    `SELECT ${COLUMNS}, password_hash AS "passwordHash" FROM staff WHERE email = $1`,
    [normalizeEmail(email)],
  );
  const row = rows[0];
  if (!row || row.disabled) return verifyNothing(password).then(() => undefined);
  const { passwordHash, ...staff } = row;
  return (await verifyPassword(passwordHash, password)) ? staff : undefined;
}

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

export interface NewSession {
  /** For the cookie only; the database keeps its sha256. */
  token: string;
  expiresAt: Date;
}

/** Opens a session for a staff member who just authenticated, records the login (audited), drops expired sessions. */
export async function openSession(
  db: Transactional,
  staff: Staff,
  opts: { ttlMs: number; now: number; address?: string },
): Promise<NewSession> {
  const token = `wss_${randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(opts.now + opts.ttlMs);
  const actor: Actor = { staffId: staff.id, name: staff.email, address: opts.address };
  await audited(db, actor, { resource: 'staff', action: 'login' }, async (tx) => {
    await tx.query('DELETE FROM staff_session WHERE expires_at <= $1', [new Date(opts.now)]);
    await tx.query('INSERT INTO staff_session (token_hash, staff_id, expires_at, address) VALUES ($1, $2, $3, $4)', [
      tokenHash(token),
      staff.id,
      expiresAt,
      opts.address ?? null,
    ]);
    await tx.query('UPDATE staff SET last_login_at = $2 WHERE id = $1', [staff.id, new Date(opts.now)]);
    return { result: undefined, recordId: staff.id, before: null, after: null };
  });
  return { token, expiresAt };
}

/** The staff member holding this session token, when it exists, has not expired and its holder is not disabled. */
export async function sessionStaff(db: Queryable, token: string, now: number): Promise<Staff | undefined> {
  if (!token.startsWith('wss_') || token.length > 100) return undefined;
  const { rows } = await db.query<Staff>(
    `SELECT ${COLUMNS} FROM staff_session JOIN staff ON staff.id = staff_session.staff_id
      WHERE staff_session.token_hash = $1 AND staff_session.expires_at > $2 AND NOT staff.disabled`,
    [tokenHash(token), new Date(now)],
  );
  return rows[0];
}

/** Ends a session (audited as a logout of its holder). */
export async function closeSession(db: Transactional, staff: Staff, token: string, address?: string): Promise<void> {
  await audited(
    db,
    { staffId: staff.id, name: staff.email, address },
    { resource: 'staff', action: 'logout' },
    async (tx) => {
      await tx.query('DELETE FROM staff_session WHERE token_hash = $1', [tokenHash(token)]);
      return { result: undefined, recordId: staff.id, before: null, after: null };
    },
  );
}
