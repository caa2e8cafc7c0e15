/** Tokens of the REST API: `wat_` and 43 characters, stored as a hash, each with a staff role and maybe an expiry. */
import { randomBytes } from 'node:crypto';
import { type Actor, audited, type Transactional } from './audit.ts';
import { invalid, notFound, type Queryable, unique } from './db.ts';
import { hashToken } from './device.ts';
import { STAFF_ROLES, type StaffRole } from './staff.ts';

export interface ApiToken {
  id: number;
  name: string;
  role: StaffRole;
  expiresAt: Date | null;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const COLUMNS = `id, name, role, expires_at AS "expiresAt", created_by AS "createdBy", created_at AS "createdAt",
  last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`;

/** Makes a token; the secret is in the result this once. */
export async function createApiToken(
  db: Transactional,
  actor: Actor,
  input: { name: string; role: string; expiresAt?: Date | null },
): Promise<{ token: string; apiToken: ApiToken }> {
  if (!/^[a-z0-9][a-z0-9_.-]{0,62}$/.test(input.name))
    throw invalid('name', input.name, 'lower-case letters, digits, . _ -; up to 63');
  if (!(STAFF_ROLES as readonly string[]).includes(input.role))
    throw invalid('role', input.role, `one of ${STAFF_ROLES.join(', ')}`);
  if (input.expiresAt && Number.isNaN(input.expiresAt.getTime())) throw invalid('expires', input.expiresAt, 'a date');
  const token = `wat_${randomBytes(32).toString('base64url')}`;
  const apiToken = await audited(db, actor, { resource: 'api_token', action: 'new' }, async (tx) => {
    const { rows } = await unique('api token', input.name, () =>
      tx.query<ApiToken>(
        `INSERT INTO api_token (name, token_hash, role, expires_at, created_by) VALUES ($1, $2, $3, $4, $5)
         RETURNING ${COLUMNS}`,
        [input.name, hashToken(token), input.role, input.expiresAt ?? null, actor.name],
      ),
    );
    return { result: rows[0]!, recordId: rows[0]!.id, before: null, after: rows[0]! };
  });
  return { token, apiToken };
}

export async function listApiTokens(db: Queryable): Promise<ApiToken[]> {
  return (await db.query<ApiToken>(`SELECT ${COLUMNS} FROM api_token ORDER BY name`)).rows;
}

export async function revokeApiToken(db: Transactional, actor: Actor, name: string): Promise<ApiToken> {
  return audited(db, actor, { resource: 'api_token', action: 'revoke' }, async (tx) => {
    const { rows } = await tx.query<ApiToken>(
      `UPDATE api_token SET revoked_at = coalesce(revoked_at, now()) WHERE name = $1 RETURNING ${COLUMNS}`,
      [name],
    );
    if (!rows[0]) throw notFound('api token', name);
    return { result: rows[0], recordId: rows[0].id, before: null, after: rows[0] };
  });
}

/** The token's holder when it is valid now (not revoked, not expired). */
export async function apiTokenCaller(db: Queryable, token: string, now: number): Promise<ApiToken | undefined> {
  if (!token.startsWith('wat_') || token.length > 100) return undefined;
  const { rows } = await db.query<ApiToken>(
    `SELECT ${COLUMNS} FROM api_token
      WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)`,
    [hashToken(token), new Date(now)],
  );
  const found = rows[0];
  // Last use to the minute: a busy integration does not write a row per request.
  if (found && (!found.lastUsedAt || now - found.lastUsedAt.getTime() > 60_000))
    await db.query('UPDATE api_token SET last_used_at = $2 WHERE id = $1', [found.id, new Date(now)]);
  return found;
}
