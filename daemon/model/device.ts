/**
 * The network inventory: sites, devices and the collectors allowed to push telemetry. Shared by the daemon, the CLI
 * and the panel. SNMP credentials are sealed at rest and opened only for the pollers; collector tokens are stored as
 * hashes and shown once.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  DEVICE_ROLES,
  type DeviceRole,
  type DeviceTarget,
  type SnmpCredentials,
} from '../../contracts/telemetry/index.ts';
import { ipFamily } from '../lib/ip.ts';
import { normalizeMac } from '../lib/mac.ts';
import type { SecretBox } from '../security/secret-box.ts';
import { invalid, notFound, type Queryable, unique } from './db.ts';

const AUTH_PROTOCOLS = ['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
const PRIV_PROTOCOLS = ['des', 'aes', 'aes256b', 'aes256r'] as const;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const NAME_REASON = 'use letters, digits, dot, dash and underscore (at most 63)';

// ---- sites ----

export interface Site {
  id: number;
  name: string;
  description: string;
  remote: boolean;
  devices?: number;
}

export async function addSite(
  db: Queryable,
  input: { name: string; description?: string; remote?: boolean },
): Promise<Site> {
  if (!NAME.test(input.name)) throw invalid('name', input.name, NAME_REASON);
  return unique('site', input.name, async () => {
    const { rows } = await db.query<Site>(
      'INSERT INTO site (name, description, remote) VALUES ($1, $2, $3) RETURNING id, name, description, remote',
      [input.name, input.description ?? '', input.remote ?? false],
    );
    return rows[0]!;
  });
}

export async function listSites(db: Queryable): Promise<Site[]> {
  return (
    await db.query<Site>(
      `SELECT s.id, s.name, s.description, s.remote, (SELECT count(*)::int FROM device d WHERE d.site_id = s.id) AS devices
       FROM site s ORDER BY s.name`,
    )
  ).rows;
}

async function siteId(db: Queryable, name: string | null | undefined): Promise<number | null> {
  if (name === undefined || name === null || name === '') return null;
  const { rows } = await db.query<{ id: number }>('SELECT id FROM site WHERE name = $1', [name]);
  if (!rows[0]) throw notFound('site', name);
  return rows[0].id;
}

// ---- devices ----

export interface DeviceInput {
  name: string;
  /** "10.0.0.2", "10.0.0.2:1161", "[2001:db8::2]:161" or a host name. */
  address?: string;
  role?: string;
  profile?: string | null;
  snmp?: SnmpCredentials | null;
  metricsUrl?: string | null;
  intervalS?: number;
  site?: string | null;
  parent?: string | null;
  serial?: string | null;
  mac?: string | null;
}

export interface Device {
  id: number;
  name: string;
  address: string;
  port: number;
  role: DeviceRole;
  profile: string | null;
  snmpVersion: string | null;
  metricsUrl: string | null;
  intervalS: number;
  site: string | null;
  parent: string | null;
  subscriber: string | null;
  serial: string | null;
  mac: string | null;
  firmware: string | null;
  status: 'up' | 'down' | 'unknown';
  statusSince: Date | null;
  lastPollAt: Date | null;
  lastPollMs: number | null;
  lastError: string | null;
  lastInformAt: Date | null;
}

const COLUMNS = `d.id, d.name, d.address, d.port, d.role, d.profile,
  CASE WHEN d.snmp_enc IS NULL THEN NULL ELSE 'sealed' END AS "snmpVersion",
  d.metrics_url AS "metricsUrl", d.interval_s AS "intervalS", s.name AS site, p.name AS parent,
  sub.username AS subscriber, d.serial, d.mac, d.firmware, d.status, d.status_since AS "statusSince",
  d.last_poll_at AS "lastPollAt", d.last_poll_ms AS "lastPollMs", d.last_error AS "lastError",
  d.last_inform_at AS "lastInformAt"`;
const FROM = `device d LEFT JOIN site s ON s.id = d.site_id LEFT JOIN device p ON p.id = d.parent_id
  LEFT JOIN subscriber sub ON sub.id = d.subscriber_id`;

/** "host", "host:port", "[v6]:port", "v6" → address and port (default 161). */
export function parseAddress(text: string): { address: string; port: number } {
  const t = text.trim();
  let host = t;
  let port = 161;
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(t);
  if (v6) {
    host = v6[1]!;
    if (v6[2]) port = Number(v6[2]);
  } else if (ipFamily(t) !== 6) {
    const i = t.lastIndexOf(':');
    if (i !== -1) {
      host = t.slice(0, i);
      if (!/^\d+$/.test(t.slice(i + 1))) throw invalid('address', text, 'the port after ":" must be a number');
      port = Number(t.slice(i + 1));
    }
  }
  if (port < 1 || port > 65535) throw invalid('address', text, 'the port must be from 1 to 65535');
  if (ipFamily(host) === 0 && !/^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/.test(host)) {
    throw invalid('address', text, 'must be an IP address or a host name, with an optional :port');
  }
  return { address: host, port };
}

export function validateCredentials(c: SnmpCredentials): SnmpCredentials {
  if (c.version === '2c') {
    if (!c.community || c.community.length > 128) throw invalid('community', '********', 'must be 1 to 128 characters');
    return { version: '2c', community: c.community };
  }
  if (!c.user) throw invalid('v3-user', c.user, 'an SNMPv3 user name is required');
  if (c.authProtocol && !(AUTH_PROTOCOLS as readonly string[]).includes(c.authProtocol)) {
    throw invalid('v3-auth', c.authProtocol, `the protocol must be one of ${AUTH_PROTOCOLS.join(', ')}`);
  }
  if (c.privProtocol && !(PRIV_PROTOCOLS as readonly string[]).includes(c.privProtocol)) {
    throw invalid('v3-priv', c.privProtocol, `the protocol must be one of ${PRIV_PROTOCOLS.join(', ')}`);
  }
  if (c.authProtocol && (c.authKey ?? '').length < 8) {
    throw invalid('v3-auth', '********', 'an authentication key has at least 8 characters (RFC 3414 §11.2)');
  }
  if (c.privProtocol && (c.privKey ?? '').length < 8) {
    throw invalid('v3-priv', '********', 'a privacy key has at least 8 characters');
  }
  if (c.privProtocol && !c.authProtocol)
    throw invalid('v3-priv', c.privProtocol, 'privacy needs authentication (--v3-auth)');
  const level = c.privProtocol ? 'authPriv' : c.authProtocol ? 'authNoPriv' : 'noAuthNoPriv';
  return { ...c, level };
}

function validateMetricsUrl(text: string | null | undefined): string | null {
  if (!text) return null;
  try {
    const u = new URL(text);
    if (u.protocol === 'http:' || u.protocol === 'https:') return u.toString();
  } catch {
    // refused below
  }
  throw invalid('metrics-url', text, 'must be an http:// or https:// URL');
}

export interface DeviceValidation {
  /** The SNMP profiles that exist (collectors/snmp/profiles and snmp.profiles_dir). */
  profiles: readonly string[];
}

export async function addDevice(
  db: Queryable,
  box: SecretBox,
  input: DeviceInput,
  check: DeviceValidation,
): Promise<Device> {
  if (!NAME.test(input.name)) throw invalid('name', input.name, NAME_REASON);
  const role = input.role ?? (input.metricsUrl ? 'epc' : 'other');
  if (!(DEVICE_ROLES as readonly string[]).includes(role))
    throw invalid('role', role, `must be one of ${DEVICE_ROLES.join(', ')}`);
  const profile = input.profile ?? null;
  if (profile !== null && !check.profiles.includes(profile)) {
    throw invalid('profile', profile, `must be one of ${check.profiles.join(', ')}`);
  }
  if (profile !== null && !input.address) throw invalid('address', '', 'a device polled over SNMP needs its address');
  const { address, port } = input.address ? parseAddress(input.address) : { address: '', port: 161 };
  const snmp = profile === null ? null : validateCredentials(input.snmp ?? { version: '2c', community: 'public' });
  const interval = input.intervalS ?? 60;
  if (!Number.isInteger(interval) || interval < 5 || interval > 86_400) {
    throw invalid('interval', interval, 'must be from 5 seconds to 1 day');
  }
  const mac = input.mac ? normalizeMac(input.mac) : null;
  if (input.mac && !mac) throw invalid('mac', input.mac, 'must be a MAC address such as aa:bb:cc:dd:ee:ff');
  const site = await siteId(db, input.site);
  let parentId: number | null = null;
  if (input.parent) {
    const { rows } = await db.query<{ id: number }>('SELECT id FROM device WHERE name = $1', [input.parent]);
    if (!rows[0]) throw notFound('device', input.parent);
    parentId = rows[0].id;
  }
  await unique('device', input.name, () =>
    db.query(
      `INSERT INTO device (name, address, port, role, profile, snmp_enc, metrics_url, interval_s, site_id, parent_id,
         serial, mac)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        input.name,
        address,
        port,
        role,
        profile,
        snmp ? box.seal(JSON.stringify(snmp)) : null,
        validateMetricsUrl(input.metricsUrl),
        interval,
        site,
        parentId,
        input.serial || null,
        mac,
      ],
    ),
  );
  return getDevice(db, input.name);
}

export async function listDevices(db: Queryable, filter: { site?: string } = {}): Promise<Device[]> {
  const { rows } = await db.query<Device>(
    `SELECT ${COLUMNS} FROM ${FROM} ${filter.site ? 'WHERE s.name = $1' : ''} ORDER BY d.name`,
    filter.site ? [filter.site] : [],
  );
  return rows;
}

export async function getDevice(db: Queryable, name: string): Promise<Device> {
  const { rows } = await db.query<Device>(`SELECT ${COLUMNS} FROM ${FROM} WHERE d.name = $1`, [name]);
  if (!rows[0]) throw notFound('device', name);
  return rows[0];
}

export async function removeDevice(db: Queryable, name: string): Promise<void> {
  const { rowCount } = await db.query('DELETE FROM device WHERE name = $1', [name]);
  if (!rowCount) throw notFound('device', name);
}

/**
 * The devices one poller polls: those of `site` for a remote poller, or for the daemon every device not on a site
 * marked remote.
 */
export async function loadTargets(db: Queryable, box: SecretBox, scope: { site?: string }): Promise<DeviceTarget[]> {
  const { rows } = await db.query<Omit<DeviceTarget, 'snmp'> & { snmpEnc: Buffer | null }>(
    `SELECT d.id, d.name, coalesce(s.name, '') AS site, d.address, d.port, d.role, d.profile,
       d.snmp_enc AS "snmpEnc", d.metrics_url AS "metricsUrl", d.interval_s AS "intervalS", d.status
     FROM device d LEFT JOIN site s ON s.id = d.site_id
     WHERE ${scope.site ? 's.name = $1' : 'coalesce(s.remote, false) = false'}
       AND (d.profile IS NOT NULL OR d.metrics_url IS NOT NULL)`,
    scope.site ? [scope.site] : [],
  );
  return rows.map(({ snmpEnc, ...d }) => ({
    ...d,
    snmp: snmpEnc ? (JSON.parse(box.open(snmpEnc)) as SnmpCredentials) : null,
  }));
}

/** Applies poll outcomes in one statement (the pollers report them in batches, every few seconds). */
export async function recordPolls(
  db: Queryable,
  results: ReadonlyArray<{ device: string; at: number; ms: number; error: string | null }>,
): Promise<void> {
  if (results.length === 0) return;
  await db.query(
    `UPDATE device d SET last_poll_at = to_timestamp(v.at / 1000.0), last_poll_ms = v.ms, last_error = v.err
     FROM unnest($1::text[], $2::float8[], $3::int[], $4::text[]) AS v(name, at, ms, err)
     WHERE d.name = v.name`,
    [results.map((r) => r.device), results.map((r) => r.at), results.map((r) => r.ms), results.map((r) => r.error)],
  );
}

export async function recordStatus(
  db: Queryable,
  change: { device: string; status: 'up' | 'down'; ts: number },
): Promise<void> {
  await db.query('UPDATE device SET status = $2, status_since = to_timestamp($3 / 1000.0) WHERE name = $1', [
    change.device,
    change.status,
    change.ts,
  ]);
}

// ---- collectors ----

export interface Collector {
  id: number;
  name: string;
  site: string | null;
  createdAt: Date;
}

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Adds a collector and returns its token: shown this once, stored only as a hash. */
export async function addCollector(
  db: Queryable,
  input: { name: string; site?: string | null },
): Promise<{ collector: Collector; token: string }> {
  if (!NAME.test(input.name)) throw invalid('name', input.name, NAME_REASON);
  const site = await siteId(db, input.site);
  const token = `wct_${randomBytes(24).toString('base64url')}`;
  await unique('collector', input.name, () =>
    db.query('INSERT INTO collector (name, token_hash, site_id) VALUES ($1, $2, $3)', [
      input.name,
      hashToken(token),
      site,
    ]),
  );
  const [collector] = (await listCollectors(db)).filter((c) => c.name === input.name);
  return { collector: collector!, token };
}

export async function listCollectors(db: Queryable): Promise<Collector[]> {
  return (
    await db.query<Collector>(
      `SELECT c.id, c.name, s.name AS site, c.created_at AS "createdAt"
       FROM collector c LEFT JOIN site s ON s.id = c.site_id ORDER BY c.name`,
    )
  ).rows;
}

export async function removeCollector(db: Queryable, name: string): Promise<void> {
  const { rowCount } = await db.query('DELETE FROM collector WHERE name = $1', [name]);
  if (!rowCount) throw notFound('collector', name);
}

/** Token hash → the collector's name and site, for the ingest endpoint (loaded at start and on change). */
export async function loadCollectorTokens(db: Queryable): Promise<Map<string, { name: string; site: string }>> {
  const { rows } = await db.query<{ token_hash: string; name: string; site: string }>(
    `SELECT c.token_hash, c.name, coalesce(s.name, '') AS site FROM collector c LEFT JOIN site s ON s.id = c.site_id`,
  );
  return new Map(rows.map((r) => [r.token_hash, { name: r.name, site: r.site }]));
}
