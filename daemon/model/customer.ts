/** Customers (who pays; a customer holds one or more subscribers): queries shared by the CLI and the panel. */
import { invalid, notFound, type Queryable } from './db.ts';

export interface Customer {
  id: number;
  name: string;
  email: string | null;
  phone: string | null;
  address: string;
  subscribers: number;
  createdAt: Date;
}

export interface CustomerInput {
  name: string;
  email?: string;
  phone?: string;
  address?: string;
}

const COLUMNS = `c.id, c.name, c.email, c.phone, c.address, c.created_at AS "createdAt",
  (SELECT count(*)::int FROM subscriber s WHERE s.customer_id = c.id) AS subscribers`;

function validate(input: CustomerInput): CustomerInput {
  const name = input.name.trim();
  if (name === '' || name.length > 200) throw invalid('name', input.name, 'a name of 1 to 200 characters');
  if (input.email !== undefined && !/^[^\s@<>]+@[^\s@<>]+$/.test(input.email))
    throw invalid('email', input.email, 'an email address such as ana@example.net');
  return { ...input, name };
}

export async function addCustomer(db: Queryable, input: CustomerInput): Promise<Customer> {
  const v = validate(input);
  const { rows } = await db.query<{ id: number }>(
    'INSERT INTO customer (name, email, phone, address) VALUES ($1, $2, $3, $4) RETURNING id',
    [v.name, v.email ?? null, v.phone ?? null, v.address ?? ''],
  );
  return getCustomer(db, rows[0]!.id);
}

export async function getCustomer(db: Queryable, id: number): Promise<Customer> {
  const { rows } = await db.query<Customer>(`SELECT ${COLUMNS} FROM customer c WHERE c.id = $1`, [id]);
  if (!rows[0]) throw notFound('customer', String(id));
  return rows[0];
}

export async function listCustomers(
  db: Queryable,
  opts: { search?: string; limit?: number } = {},
): Promise<Customer[]> {
  const { rows } = await db.query<Customer>(
    `SELECT ${COLUMNS} FROM customer c
     WHERE $1::text IS NULL OR c.name ILIKE '%' || $1 || '%' OR c.email ILIKE '%' || $1 || '%'
     ORDER BY c.name, c.id LIMIT $2`,
    [opts.search ?? null, opts.limit ?? 100],
  );
  return rows;
}

/** Changes the given fields; the others stay. */
export async function updateCustomer(db: Queryable, id: number, change: Partial<CustomerInput>): Promise<Customer> {
  const before = await getCustomer(db, id);
  const v = validate({
    name: change.name ?? before.name,
    ...((change.email ?? before.email) ? { email: change.email ?? before.email! } : {}),
  });
  await db.query('UPDATE customer SET name = $2, email = $3, phone = $4, address = $5 WHERE id = $1', [
    id,
    v.name,
    change.email === undefined ? before.email : change.email || null,
    change.phone === undefined ? before.phone : change.phone || null,
    change.address ?? before.address,
  ]);
  return getCustomer(db, id);
}
