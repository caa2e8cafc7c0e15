/**
 * The FUP engine's state in PostgreSQL: each subscriber's counter of its latest period (`fup_counter`), the octets
 * already counted per live session (`fup_session`), written together in one transaction so that after a restart
 * nothing is counted twice; top-ups (`fup_topup`).
 */
import type { Queryable } from '../../model/db.ts';
import type { PostgresStore } from '../../store/postgres/index.ts';
import { type FupEngine, sessionKey, type Topup } from './engine.ts';

/** Loads each subscriber's latest counter and the counted octets of live sessions into the engine. */
export async function loadCounters(db: Queryable, engine: FupEngine, now: number): Promise<void> {
  const { rows } = await db.query<{ subscriber_id: number; period_start: Date; bytes: string; level: number }>(
    `SELECT DISTINCT ON (subscriber_id) subscriber_id, period_start, bytes, level FROM fup_counter
     ORDER BY subscriber_id, period_start DESC`,
  );
  for (const r of rows) {
    engine.counters.set(r.subscriber_id, {
      periodStart: r.period_start.getTime(),
      bytes: Number(r.bytes),
      level: r.level,
    });
  }
  const sessions = await db.query<{ nas_id: number; acct_session_id: string; counted: string }>(
    'SELECT nas_id, acct_session_id, counted FROM fup_session',
  );
  for (const s of sessions.rows) {
    const key = sessionKey(s.nas_id, s.acct_session_id);
    engine.counted.set(key, Number(s.counted));
    engine.seen.set(key, now);
  }
}

/** Replaces the engine's top-ups still valid at `now` (of `ids` only, when given). */
export async function loadTopups(
  db: Queryable,
  engine: FupEngine,
  now: number,
  ids?: readonly number[],
): Promise<void> {
  const { rows } = await db.query<{ id: number; subscriber_id: number; bytes: string; expires_at: Date }>(
    `SELECT id, subscriber_id, bytes, expires_at FROM fup_topup
     WHERE expires_at > to_timestamp($1 / 1000.0) ${ids ? 'AND subscriber_id = ANY($2)' : ''}`,
    ids ? [now, ids] : [now],
  );
  if (ids) for (const id of ids) engine.topups.delete(id);
  else engine.topups.clear();
  for (const r of rows) {
    const list: Topup[] = engine.topups.get(r.subscriber_id) ?? [];
    list.push({ id: r.id, bytes: Number(r.bytes), expiresAt: r.expires_at.getTime() });
    engine.topups.set(r.subscriber_id, list);
  }
}

export async function insertTopup(
  db: Queryable,
  topup: { subscriberId: number; kind: 'topup' | 'bonus'; bytes: number; expiresAt: Date; actor: string },
): Promise<void> {
  await db.query(
    'INSERT INTO fup_topup (subscriber_id, kind, bytes, expires_at, created_by) VALUES ($1, $2, $3, $4, $5)',
    [topup.subscriberId, topup.kind, topup.bytes, topup.expiresAt, topup.actor],
  );
}

/** The subscribers whose top-ups these are (for the change feed). */
export async function topupOwners(db: Queryable, topupIds: readonly number[]): Promise<number[]> {
  const { rows } = await db.query<{ subscriber_id: number }>(
    'SELECT DISTINCT subscriber_id FROM fup_topup WHERE id = ANY($1)',
    [topupIds],
  );
  return [...new Set(rows.map((r) => r.subscriber_id))];
}

/**
 * Writes what the engine marked dirty, counters and counted octets in one transaction; resolves to false when nothing
 * was dirty. On failure the dirty marks are put back for the next write.
 */
export async function writeDirty(postgres: PostgresStore, engine: FupEngine): Promise<boolean> {
  if (engine.dirtyCounters.size === 0 && engine.dirtySessions.size === 0) return false;
  const ids = [...engine.dirtyCounters].filter((id) => engine.counters.has(id));
  const keys = [...engine.dirtySessions];
  engine.dirtyCounters.clear();
  engine.dirtySessions.clear();
  const rows = ids.map((id) => ({ id, ...engine.counters.get(id)! }));
  const live = keys.filter((k) => engine.counted.has(k)).map((k) => [...k.split('\u0000'), engine.counted.get(k)!]);
  const gone = keys.filter((k) => !engine.counted.has(k)).map((k) => k.split('\u0000'));
  try {
    await postgres.transaction(async (c) => {
      if (rows.length) {
        await c.query(
          `INSERT INTO fup_counter (subscriber_id, period_start, bytes, level, updated_at)
           SELECT u.id, to_timestamp(u.start / 1000.0), u.bytes, u.level, now()
           FROM unnest($1::int[], $2::float8[], $3::int8[], $4::int2[]) AS u(id, start, bytes, level)
           WHERE EXISTS (SELECT 1 FROM subscriber s WHERE s.id = u.id)
           ON CONFLICT (subscriber_id, period_start) DO UPDATE SET bytes = excluded.bytes, level = excluded.level,
             updated_at = now()`,
          [rows.map((r) => r.id), rows.map((r) => r.periodStart), rows.map((r) => r.bytes), rows.map((r) => r.level)],
        );
      }
      if (live.length) {
        await c.query(
          `INSERT INTO fup_session (nas_id, acct_session_id, counted, updated_at)
           SELECT u.nas, u.sid, u.counted, now() FROM unnest($1::int[], $2::text[], $3::int8[]) AS u(nas, sid, counted)
           ON CONFLICT (nas_id, acct_session_id) DO UPDATE SET counted = excluded.counted, updated_at = now()`,
          [live.map((l) => Number(l[0])), live.map((l) => l[1]), live.map((l) => l[2])],
        );
      }
      if (gone.length) {
        await c.query(
          `DELETE FROM fup_session f USING unnest($1::int[], $2::text[]) AS g(nas, sid)
           WHERE f.nas_id = g.nas AND f.acct_session_id = g.sid`,
          [gone.map((g) => Number(g[0])), gone.map((g) => g[1])],
        );
      }
    });
  } catch (err) {
    for (const id of ids) engine.dirtyCounters.add(id);
    for (const k of keys) engine.dirtySessions.add(k);
    throw err;
  }
  return true;
}
