/**
 * What the REST API returns and accepts, as JSON Schema (Fastify validates with it, serialises with it — a column
 * not listed never leaves — and @fastify/swagger publishes it), with the SQL that selects each record.
 */
const str = { type: 'string' } as const;
const strOrNull = { type: 'string', nullable: true } as const;
const int = { type: 'integer' } as const;
const intOrNull = { type: 'integer', nullable: true } as const;
const time = { type: 'string', format: 'date-time' } as const;
const timeOrNull = { type: 'string', format: 'date-time', nullable: true } as const;

const object = (properties: Record<string, unknown>) => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
});

export const customer = object({
  id: int,
  name: str,
  email: strOrNull,
  phone: strOrNull,
  address: str,
  subscribers: int,
  created_at: time,
});
export const CUSTOMER_COLUMNS = `c.id, c.name, c.email, c.phone, c.address, c.created_at,
  (SELECT count(*)::int FROM subscriber s WHERE s.customer_id = c.id) AS subscribers`;

export const subscriber = object({
  id: int,
  username: str,
  plan: str,
  status: { type: 'string', enum: ['active', 'suspended', 'expired'] },
  customer_id: intOrNull,
  static_ip: strOrNull,
  mac: strOrNull,
  cycle_day: int,
  expires_at: timeOrNull,
  created_at: time,
  updated_at: time,
});
export const SUBSCRIBER_COLUMNS = `s.id, s.username, p.name AS plan, s.status, s.customer_id, host(s.static_ip) AS static_ip,
  s.mac, s.cycle_day, s.expires_at, s.created_at, s.updated_at`;

const plan = object({
  id: int,
  name: str,
  rate_down: { type: 'number', description: 'bit/s towards the subscriber' },
  rate_up: { type: 'number' },
  fup_quota: { type: 'number', nullable: true, description: 'bytes per fup_period' },
  fup_period: strOrNull,
  price_cents: intOrNull,
  currency: str,
  sla_target: { type: 'number', nullable: true },
});
export const PLAN_COLUMNS = `id, name, rate_down::float8 AS rate_down, rate_up::float8 AS rate_up,
  fup_quota::float8 AS fup_quota, fup_period, price_cents, currency, sla_target::float8 AS sla_target`;

const nas = object({
  id: int,
  name: str,
  address: str,
  vendor: str,
  coa_port: int,
  require_message_authenticator: { type: 'boolean' },
});
/** Never the secret. */
export const NAS_COLUMNS = 'id, name, host(address) AS address, vendor, coa_port, require_message_authenticator';

const device = object({
  id: int,
  name: str,
  address: str,
  role: str,
  profile: strOrNull,
  site: strOrNull,
  parent: strOrNull,
  interval_s: int,
});
/** Never the SNMP credentials. */
export const DEVICE_COLUMNS = `d.id, d.name, d.address, d.role, d.profile, s.name AS site, p.name AS parent, d.interval_s`;

export const bySection = { plan, nas, device } as const;

export const session = object({
  username: str,
  acct_session_id: str,
  framed_ip: str,
  calling_station_id: str,
  nas_address: str,
  started_at: time,
  session_time: int,
  input_octets: { type: 'number' },
  output_octets: { type: 'number' },
});

export const pageOf = (item: unknown) => ({
  type: 'object',
  properties: {
    data: { type: 'array', items: item },
    next: { type: 'integer', nullable: true, description: 'pass as `after` for the next page; null on the last' },
  },
});

export const page = (filters: Record<string, unknown>) => ({
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    after: { type: 'integer', minimum: 0, default: 0, description: 'the `next` of the previous page' },
    ...filters,
  },
});

export const idParam = { type: 'object', properties: { id: { type: 'integer', minimum: 1 } } };
export const usernameParam = { type: 'object', properties: { username: { type: 'string' } } };

export const customerInput = (required: string[]) => ({
  type: 'object',
  ...(required.length ? { required } : {}),
  additionalProperties: false,
  properties: { name: str, email: str, phone: str, address: str },
});

export const subscriberInput = (required: string[]) => ({
  type: 'object',
  ...(required.length ? { required } : {}),
  additionalProperties: false,
  properties: {
    plan: str,
    username: { type: 'string', description: 'generated when not given' },
    password: { type: 'string', description: 'generated when not given' },
    customer_id: { type: 'integer', minimum: 1 },
    status: { type: 'string', enum: ['active', 'suspended', 'expired'] },
    ip: str,
    mac: str,
    cycle_day: { type: 'integer', minimum: 1, maximum: 28 },
  },
});

export const restrictionInput = {
  type: 'object',
  required: ['reason', 'effect'],
  additionalProperties: false,
  properties: {
    reason: { type: 'string', enum: ['dunning', 'manual', 'pending_install'] },
    effect: { type: 'string', enum: ['throttle', 'walled_garden', 'reject'] },
    rate_down: { type: 'integer', minimum: 1 },
    rate_up: { type: 'integer', minimum: 1 },
    profile: str,
    note: str,
  },
};
