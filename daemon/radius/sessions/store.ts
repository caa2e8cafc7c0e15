/** The live session table in PostgreSQL `radius_session`: read at start, written behind (store of record for staff). */
import type { Queryable } from '../../model/db.ts';
import type { PostgresStore } from '../../store/postgres/index.ts';
import { type Session, type SessionTable, sessionKeyOf } from './table.ts';

export async function loadSessions(db: Queryable): Promise<Session[]> {
  const { rows } = await db.query<{
    nas_id: number;
    acct_session_id: string;
    username: string;
    subscriber_id: number | null;
    framed_ip: string | null;
    calling_station_id: string | null;
    nas_port_id: string | null;
    started_at: Date;
    updated_at: Date;
    session_time: string;
    input_octets: string;
    output_octets: string;
    interim_interval: number;
    nas_address: string | null;
    last_coa_at: Date | null;
    last_coa_action: string | null;
    last_coa_outcome: string | null;
  }>(`SELECT nas_id, acct_session_id, username, subscriber_id, host(framed_ip) AS framed_ip, calling_station_id,
        nas_port_id, started_at, updated_at, session_time, input_octets, output_octets, interim_interval,
        host(nas_address) AS nas_address, last_coa_at, last_coa_action, last_coa_outcome
      FROM radius_session`);
  return rows.map((r) => ({
    key: sessionKeyOf(r.nas_id, r.acct_session_id),
    nasId: r.nas_id,
    acctSessionId: r.acct_session_id,
    username: r.username,
    subscriberId: r.subscriber_id ?? 0,
    framedIp: r.framed_ip ?? '0.0.0.0',
    callingStationId: r.calling_station_id ?? '',
    nasPortId: r.nas_port_id ?? '',
    startedAt: r.started_at.getTime(),
    updatedAt: r.updated_at.getTime(),
    sessionTime: Number(r.session_time),
    inputOctets: Number(r.input_octets),
    outputOctets: Number(r.output_octets),
    interimInterval: r.interim_interval,
    nasAddress: r.nas_address ?? '0.0.0.0',
    ...(r.last_coa_at
      ? {
          lastCoa: {
            at: r.last_coa_at.getTime(),
            action: r.last_coa_action ?? '',
            outcome: r.last_coa_outcome ?? '',
          },
        }
      : {}),
  }));
}

/** A PostgreSQL error caused by the values of a row (SQLSTATE classes 22, data exception, and 23, integrity). */
export function rowRefused(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/**
 * Writes the table's dirty sessions (and, with `interim`, those whose counters changed); resolves to false when there
 * was nothing to write. On failure the marks are put back for the next write. A session whose values PostgreSQL
 * refuses is written alone, so that it cannot keep the others out; it goes to `refused` and is tried again with its
 * next update.
 */
export async function writeSessions(
  postgres: PostgresStore,
  table: SessionTable,
  interim: boolean,
  refused: (s: Session, err: Error) => void,
): Promise<boolean> {
  if (interim) {
    for (const k of table.updated) table.dirty.add(k);
    table.updated.clear();
  }
  if (table.dirty.size === 0 && table.resetNas.size === 0) return false;
  const keys = [...table.dirty];
  const resets = [...table.resetNas];
  table.dirty.clear();
  table.resetNas.clear();
  const live = keys.map((k) => table.get(k)).filter((s): s is Session => s !== undefined);
  const gone = keys.filter((k) => !table.get(k)).map((k) => k.split('\u0000'));
  const write = (upserts: readonly Session[]) =>
    postgres.transaction(async (c) => {
      for (const nasId of resets) {
        const keep = [...table.values()].filter((s) => s.nasId === nasId).map((s) => s.acctSessionId);
        await c.query('DELETE FROM radius_session WHERE nas_id = $1 AND NOT (acct_session_id = ANY($2))', [
          nasId,
          keep,
        ]);
      }
      if (gone.length) {
        await c.query(
          `DELETE FROM radius_session r USING unnest($1::int[], $2::text[]) AS g(nas_id, sid)
           WHERE r.nas_id = g.nas_id AND r.acct_session_id = g.sid`,
          [gone.map((g) => Number(g[0])), gone.map((g) => g[1])],
        );
      }
      if (upserts.length) await upsert(c, upserts);
    });
  try {
    try {
      await write(live);
    } catch (err) {
      if (!rowRefused(err) || live.length === 0) throw err;
      await write([]);
      for (const s of live) {
        try {
          await upsert(postgres, [s]);
        } catch (e) {
          if (!rowRefused(e)) throw e;
          refused(s, e as Error);
        }
      }
    }
  } catch (err) {
    for (const k of keys) table.dirty.add(k);
    for (const n of resets) table.resetNas.add(n);
    throw err;
  }
  return true;
}

function upsert(db: Queryable, live: readonly Session[]) {
  return db.query(
    `INSERT INTO radius_session (nas_id, acct_session_id, username, subscriber_id, framed_ip, calling_station_id,
       nas_port_id, started_at, updated_at, session_time, input_octets, output_octets, interim_interval,
       nas_address, last_coa_at, last_coa_action, last_coa_outcome)
     SELECT u.nas_id, u.sid, u.username, NULLIF(u.subscriber_id, 0), NULLIF(u.framed_ip, '0.0.0.0')::inet,
       u.csid, u.port, to_timestamp(u.started / 1000.0), to_timestamp(u.updated / 1000.0), u.stime,
       u.input, u.output, u.interval, u.nas_address::inet, to_timestamp(u.coa_at / 1000.0), u.coa_action,
       u.coa_outcome
     FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[],
       $8::float8[], $9::float8[], $10::int8[], $11::int8[], $12::int8[], $13::int[], $14::text[], $15::float8[],
       $16::text[], $17::text[])
       AS u(nas_id, sid, username, subscriber_id, framed_ip, csid, port, started, updated, stime, input, output,
         interval, nas_address, coa_at, coa_action, coa_outcome)
     WHERE EXISTS (SELECT 1 FROM nas WHERE nas.id = u.nas_id)
       AND (u.subscriber_id = 0 OR EXISTS (SELECT 1 FROM subscriber s WHERE s.id = u.subscriber_id))
     ON CONFLICT (nas_id, acct_session_id) DO UPDATE SET username = excluded.username,
       framed_ip = excluded.framed_ip, updated_at = excluded.updated_at, session_time = excluded.session_time,
       input_octets = excluded.input_octets, output_octets = excluded.output_octets,
       nas_address = excluded.nas_address, last_coa_at = excluded.last_coa_at,
       last_coa_action = excluded.last_coa_action, last_coa_outcome = excluded.last_coa_outcome`,
    [
      live.map((s) => s.nasId),
      live.map((s) => s.acctSessionId),
      live.map((s) => s.username),
      live.map((s) => s.subscriberId),
      live.map((s) => s.framedIp),
      live.map((s) => s.callingStationId),
      live.map((s) => s.nasPortId),
      live.map((s) => s.startedAt),
      live.map((s) => s.updatedAt),
      live.map((s) => s.sessionTime),
      live.map((s) => s.inputOctets),
      live.map((s) => s.outputOctets),
      live.map((s) => s.interimInterval),
      live.map((s) => s.nasAddress),
      live.map((s) => s.lastCoa?.at ?? null),
      live.map((s) => s.lastCoa?.action ?? null),
      live.map((s) => s.lastCoa?.outcome ?? null),
    ],
  );
}
