/**
 * The CPE registry: one inventory `device` row per CPE (role cpe), written for a whole cycle in one statement, with its
 * subscriber found in this order:
 *   1. by serial: the inventory already has a device with this serial and a subscriber (staff registered the CPE,
 *      or an earlier cycle found its subscriber), which is kept;
 *   2. by MAC: the CPE's WAN MAC is a subscriber's Calling-Station-Id binding (subscriber.mac);
 *   3. by PPPoE user name: the user name the CPE dials with is a subscriber's.
 */

import type { CpeRecord, CpeRegistry, CpeWriteResult, CpeWritten } from '../../contracts/telemetry/index.ts';
import type { Queryable } from '../model/db.ts';

/** Serial → name of devices whose name is not `cpe-<serial>` (staff named them), for the rows of their CPE. */
async function cpeNames(db: Queryable): Promise<Record<string, string>> {
  const { rows } = await db.query<{ serial: string; name: string }>(
    `SELECT serial, name FROM device WHERE serial IS NOT NULL AND name <> 'cpe-' || serial`,
  );
  return Object.fromEntries(rows.map((r) => [r.serial, r.name]));
}

/** One row per serial (the latest Inform wins) and per name. */
function distinct(cpes: readonly CpeRecord[]): CpeRecord[] {
  const bySerial = new Map<string, CpeRecord>();
  for (const c of cpes) {
    const old = bySerial.get(c.serial);
    if (!old || (c.lastInform ?? 0) > (old.lastInform ?? 0)) bySerial.set(c.serial, c);
  }
  const names = new Set<string>();
  return [...bySerial.values()].filter((c) => !names.has(c.name) && names.add(c.name));
}

const UPSERT = `
WITH v AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::text[])
    AS v(serial, name, mac, username, firmware, inform_ms, status)
),
by_mac AS (SELECT DISTINCT ON (mac) mac, id FROM subscriber WHERE mac IS NOT NULL ORDER BY mac, id),
m AS (
  SELECT v.*, d.status AS old_status, d.subscriber_id AS by_serial, bm.id AS by_mac, bu.id AS by_username
  FROM v
  LEFT JOIN device d ON d.serial = v.serial
  LEFT JOIN by_mac bm ON bm.mac = v.mac
  LEFT JOIN subscriber bu ON bu.username = v.username
  WHERE d.id IS NOT NULL OR NOT EXISTS (SELECT 1 FROM device x WHERE x.name = v.name)
),
up AS (
  INSERT INTO device AS d (name, role, serial, mac, firmware, last_inform_at, subscriber_id, status, status_since)
  SELECT name, 'cpe', serial, mac, firmware, to_timestamp(inform_ms / 1000.0),
    coalesce(by_serial, by_mac, by_username), status, now()
  FROM m
  ON CONFLICT (serial) DO UPDATE SET
    mac = coalesce(excluded.mac, d.mac),
    firmware = coalesce(excluded.firmware, d.firmware),
    last_inform_at = coalesce(excluded.last_inform_at, d.last_inform_at),
    subscriber_id = excluded.subscriber_id,
    status = excluded.status,
    status_since = CASE WHEN d.status = excluded.status THEN d.status_since ELSE excluded.status_since END,
    updated_at = now()
  RETURNING d.name, d.serial, d.subscriber_id
)
SELECT up.name, up.serial, up.subscriber_id AS "subscriberId", m.old_status AS "oldStatus", m.status,
  CASE WHEN m.by_serial IS NOT NULL THEN 'serial' WHEN m.by_mac IS NOT NULL THEN 'mac'
    WHEN m.by_username IS NOT NULL THEN 'username' ELSE '' END AS matched,
  coalesce(m.by_serial <> coalesce(m.by_mac, m.by_username), false) AS conflict
FROM up JOIN m ON m.serial = up.serial`;

/** Writes the CPEs of a cycle; the statement reads the old status and the subscriber tables as they were before. */
async function writeCpes(db: Queryable, cpes: readonly CpeRecord[]): Promise<CpeWriteResult> {
  const list = distinct(cpes);
  if (list.length === 0) return { written: [], skipped: cpes.length };
  const { rows } = await db.query<CpeWritten>(UPSERT, [
    list.map((c) => c.serial),
    list.map((c) => c.name),
    list.map((c) => c.mac),
    list.map((c) => c.username),
    list.map((c) => c.firmware),
    list.map((c) => c.lastInform),
    list.map((c) => c.status),
  ]);
  return { written: rows, skipped: cpes.length - rows.length };
}

export function createCpeRegistry(db: Queryable): CpeRegistry {
  return { names: () => cpeNames(db), write: (cpes) => writeCpes(db, cpes) };
}
