/** NAS/BRAS records: validation and queries shared by the daemon, the CLI and the panel. Secrets are write-only. */

import { parseCidr } from '../lib/ip.ts';
import type { SecretBox } from '../security/secret-box.ts';
import { invalid, notFound, type Queryable, unique } from './db.ts';

export const NAS_VENDORS = ['mikrotik', 'cisco', 'juniper', 'generic'] as const;
export type NasVendor = (typeof NAS_VENDORS)[number];

export interface NasInput {
  name: string;
  address: string;
  secret: string;
  vendor?: string;
  coaPort?: number;
  requireMessageAuthenticator?: boolean;
}

/** A NAS as staff see it: everything but the secret. */
export interface Nas {
  id: number;
  name: string;
  address: string;
  vendor: NasVendor;
  coaPort: number;
  requireMessageAuthenticator: boolean;
  createdAt: Date;
}

/** A NAS as the RADIUS listener needs it, secret opened. */
export interface NasWithSecret extends Nas {
  secret: string;
}

const COLUMNS = `id, name, address::text AS address, vendor, coa_port AS "coaPort",
  require_message_authenticator AS "requireMessageAuthenticator", created_at AS "createdAt"`;

export function validateNas(input: NasInput): Required<NasInput> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(input.name)) {
    throw invalid('name', input.name, 'use letters, digits, dot, dash and underscore (at most 63)');
  }
  const address = parseCidr(input.address);
  if ('error' in address) throw invalid('address', input.address, address.error);
  if (input.secret.length < 6 || input.secret.length > 128) {
    throw invalid('secret', '********', 'a shared secret has 6 to 128 characters (RFC 2865 §3 recommends 16 or more)');
  }
  const vendor = input.vendor ?? 'generic';
  if (!(NAS_VENDORS as readonly string[]).includes(vendor))
    throw invalid('vendor', vendor, `must be one of ${NAS_VENDORS.join(', ')}`);
  const coaPort = input.coaPort ?? 3799;
  if (!Number.isInteger(coaPort) || coaPort < 1 || coaPort > 65535)
    throw invalid('coa-port', coaPort, 'must be a port from 1 to 65535');
  return {
    name: input.name,
    address: address.cidr,
    secret: input.secret,
    vendor,
    coaPort,
    requireMessageAuthenticator: input.requireMessageAuthenticator ?? true,
  };
}

export async function addNas(db: Queryable, box: SecretBox, input: NasInput): Promise<Nas> {
  const v = validateNas(input);
  return unique('NAS', v.name, async () => {
    const { rows } = await db.query<Nas>(
      `INSERT INTO nas (name, address, secret_enc, vendor, coa_port, require_message_authenticator)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [v.name, v.address, box.seal(v.secret), v.vendor, v.coaPort, v.requireMessageAuthenticator],
    );
    return rows[0]!;
  });
}

export async function listNas(db: Queryable): Promise<Nas[]> {
  return (await db.query<Nas>(`SELECT ${COLUMNS} FROM nas ORDER BY name`)).rows;
}

export async function getNas(db: Queryable, name: string): Promise<Nas> {
  const { rows } = await db.query<Nas>(`SELECT ${COLUMNS} FROM nas WHERE name = $1`, [name]);
  if (!rows[0]) throw notFound('NAS', name);
  return rows[0];
}

/** Changes what is given of a NAS (its secret too, sealed); checked as `addNas` checks. */
export async function updateNas(
  db: Queryable,
  box: SecretBox,
  name: string,
  change: Partial<Omit<NasInput, 'name'>>,
): Promise<Nas> {
  const current = await getNas(db, name);
  const v = validateNas({
    name,
    address: change.address ?? current.address,
    // Validated only when given: the stored one is never opened here.
    secret: change.secret ?? 'unchanged',
    vendor: change.vendor ?? current.vendor,
    coaPort: change.coaPort ?? current.coaPort,
    requireMessageAuthenticator: change.requireMessageAuthenticator ?? current.requireMessageAuthenticator,
  });
  await unique('NAS', name, () =>
    db.query(
      `UPDATE nas SET address = $2, vendor = $3, coa_port = $4, require_message_authenticator = $5,
         secret_enc = COALESCE($6, secret_enc), updated_at = now() WHERE name = $1`,
      [name, v.address, v.vendor, v.coaPort, v.requireMessageAuthenticator, change.secret ? box.seal(v.secret) : null],
    ),
  );
  return getNas(db, name);
}

export async function removeNas(db: Queryable, name: string): Promise<void> {
  const { rowCount } = await db.query('DELETE FROM nas WHERE name = $1', [name]);
  if (!rowCount) throw notFound('NAS', name);
}

/** For the RADIUS listener: every NAS (or the ones with these ids), secrets opened. */
export async function loadNasWithSecrets(
  db: Queryable,
  box: SecretBox,
  ids?: readonly number[],
): Promise<NasWithSecret[]> {
  const { rows } = await db.query<Nas & { secretEnc: Buffer }>(
    `SELECT ${COLUMNS}, secret_enc AS "secretEnc" FROM nas ${ids ? 'WHERE id = ANY($1)' : ''}`,
    ids ? [ids] : [],
  );
  return rows.map(({ secretEnc, ...nas }) => ({ ...nas, secret: box.open(secretEnc) }));
}
