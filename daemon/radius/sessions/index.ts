/**
 * The live session table ("online now"): kept in memory from accounting, where the simultaneous-use check reads it
 * with no database round trip, and written behind to PostgreSQL `radius_session` for staff and for the next start:
 * sessions that begin or end within a second, counter updates (Interim-Update) every `INTERIM_FLUSH_MS`, since a
 * busy NAS sends thousands of those per second and staff only need them to be recent. Sessions whose NAS stopped reporting for `stale_after_intervals` interim intervals are closed as stale:
 * a stale "online" session must never block a subscriber's next login.
 */
import type { RadiusConfig } from '../../../config/schema.ts';
import type { Component } from '../../component.ts';
import type { Logger } from '../../log.ts';
import { sampledLog } from '../../sampled-log.ts';
import type { PostgresStore } from '../../store/postgres/index.ts';
import type { AcctRecord } from '../accounting/record.ts';

export interface Session {
  readonly key: string;
  readonly nasId: number;
  readonly acctSessionId: string;
  username: string;
  subscriberId: number;
  framedIp: string;
  callingStationId: string;
  nasPortId: string;
  startedAt: number;
  updatedAt: number;
  sessionTime: number;
  inputOctets: number;
  outputOctets: number;
  /** Seconds between interim updates expected from the NAS. */
  interimInterval: number;
  /** Where the NAS sent this session's accounting from: where its CoA and Disconnect go. */
  nasAddress: string;
  /** The last CoA or Disconnect sent for this session, for staff. */
  lastCoa?: { at: number; action: string; outcome: string };
}

export interface Sessions extends Component {
  /** Applies an accounting record; returns the session it touched (undefined for stop, on, off). */
  apply(rec: AcctRecord): Session | undefined;
  /** Active sessions of a username; those from `exceptMac` (a reconnect from the same device) are not counted. */
  countFor(username: string, exceptMac?: string): number;
  forUser(username: string): Session[];
  all(): IterableIterator<Session>;
  /** Marks a session changed outside accounting (its last CoA), to be written with the next flush. */
  touch(session: Session): void;
  /** Writes pending changes to PostgreSQL now (`all`: counter updates too). */
  flush(all?: boolean): Promise<void>;
  /** Closes stale sessions now; returns them. */
  reap(now?: number): Session[];
}

export interface SessionsDeps {
  log: Logger;
  postgres: PostgresStore;
  /** The interim interval a session is expected to report at when its plan is unknown. */
  defaultInterval: (subscriberId: number) => number;
  /** Told about each session closed as stale (the accounting component records it). */
  onStale?: (session: Session, now: number) => void;
}

const INTERIM_FLUSH_MS = 30_000;

const keyOf = (nasId: number, acctSessionId: string) => `${nasId}\u0000${acctSessionId}`;
const macDigits = (s: string) => s.toLowerCase().replace(/[^0-9a-f]/g, '');

export function createSessions(config: RadiusConfig, deps: SessionsDeps): Sessions {
  const log = deps.log.child({ component: 'sessions' });
  const warn = sampledLog(log);
  const sessions = new Map<string, Session>();
  const byUser = new Map<string, Set<Session>>();
  /** Sessions begun or ended: written within a second. */
  const dirty = new Set<string>();
  /** Sessions whose counters changed: written every INTERIM_FLUSH_MS. */
  const updated = new Set<string>();
  let lastInterimFlush = 0;
  const resetNas = new Set<number>();
  const counters = { started: 0, stopped: 0, interim: 0, nas_resets: 0, stale_closed: 0, flushes: 0, flush_errors: 0 };
  let flushTimer: NodeJS.Timeout | undefined;
  let reapTimer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;

  const index = (s: Session) => {
    let set = byUser.get(s.username);
    if (!set) {
      set = new Set();
      byUser.set(s.username, set);
    }
    set.add(s);
  };
  const unindex = (s: Session) => {
    const set = byUser.get(s.username);
    set?.delete(s);
    if (set?.size === 0) byUser.delete(s.username);
  };
  const remove = (s: Session) => {
    sessions.delete(s.key);
    unindex(s);
    updated.delete(s.key);
    dirty.add(s.key);
  };

  function apply(rec: AcctRecord): Session | undefined {
    if (rec.status === 'on' || rec.status === 'off') {
      // RFC 2866 §5.1: the NAS restarted (or is going down); every session it had is over.
      counters.nas_resets++;
      for (const s of sessions.values()) if (s.nasId === rec.nas_id) remove(s);
      resetNas.add(rec.nas_id);
      return undefined;
    }
    if (!rec.acct_session_id) return undefined;
    const key = keyOf(rec.nas_id, rec.acct_session_id);
    let s = sessions.get(key);
    if (rec.status === 'stop') {
      counters.stopped++;
      if (s) remove(s);
      return undefined;
    }
    if (rec.status !== 'start' && rec.status !== 'interim') return s;
    if (rec.status === 'start') counters.started++;
    else counters.interim++;
    const at = rec.ts;
    if (!s) {
      s = {
        key,
        nasId: rec.nas_id,
        acctSessionId: rec.acct_session_id,
        username: rec.username,
        subscriberId: rec.subscriber_id,
        framedIp: rec.framed_ip,
        callingStationId: rec.calling_station_id,
        nasPortId: rec.nas_port_id,
        startedAt: at - rec.session_time * 1000,
        updatedAt: at,
        sessionTime: rec.session_time,
        inputOctets: rec.input_octets,
        outputOctets: rec.output_octets,
        interimInterval: deps.defaultInterval(rec.subscriber_id),
        nasAddress: rec.source,
      };
      sessions.set(key, s);
      index(s);
    } else {
      if (s.username !== rec.username && rec.username) {
        unindex(s);
        s.username = rec.username;
        index(s);
      }
      s.updatedAt = at;
      s.sessionTime = rec.session_time;
      // Octet counters are totals since the session began (RFC 2866 §5.3); an update never lowers them.
      s.inputOctets = Math.max(s.inputOctets, rec.input_octets);
      s.outputOctets = Math.max(s.outputOctets, rec.output_octets);
      if (rec.framed_ip !== '0.0.0.0') s.framedIp = rec.framed_ip;
      s.nasAddress = rec.source;
      updated.add(key);
      return s;
    }
    dirty.add(key);
    return s;
  }

  /** Writes begun and ended sessions, and the counter updates when they are due (or `all`). */
  async function flush(all = false): Promise<void> {
    await flushing;
    const interimDue = all || Date.now() - lastInterimFlush >= INTERIM_FLUSH_MS;
    if (interimDue) {
      lastInterimFlush = Date.now();
      for (const k of updated) dirty.add(k);
      updated.clear();
    }
    if (dirty.size === 0 && resetNas.size === 0) return;
    const keys = [...dirty];
    const resets = [...resetNas];
    dirty.clear();
    resetNas.clear();
    const live = keys.map((k) => sessions.get(k)).filter((s): s is Session => s !== undefined);
    const gone = keys.filter((k) => !sessions.has(k)).map((k) => k.split('\u0000'));
    flushing = deps.postgres
      .transaction(async (c) => {
        for (const nasId of resets) {
          const keep = [...sessions.values()].filter((s) => s.nasId === nasId).map((s) => s.acctSessionId);
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
        if (live.length) {
          await c.query(
            `INSERT INTO radius_session (nas_id, acct_session_id, username, subscriber_id, framed_ip, calling_station_id,
               nas_port_id, started_at, updated_at, session_time, input_octets, output_octets, interim_interval,
               nas_address, last_coa_at, last_coa_action, last_coa_outcome)
             SELECT u.nas_id, u.sid, u.username, NULLIF(u.subscriber_id, 0), NULLIF(u.framed_ip, '0.0.0.0')::inet,
               u.csid, u.port, to_timestamp(u.started / 1000.0), to_timestamp(u.updated / 1000.0), u.stime,
               u.input, u.output, u.interval, u.nas_address::inet, to_timestamp(u.coa_at / 1000.0), u.coa_action,
               u.coa_outcome
             FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[],
               $8::float8[], $9::float8[], $10::int[], $11::int8[], $12::int8[], $13::int[], $14::text[], $15::float8[],
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
      })
      .then(
        () => {
          counters.flushes++;
        },
        (err) => {
          // Not lost: the keys go back into the next flush.
          counters.flush_errors++;
          for (const k of keys) dirty.add(k);
          for (const n of resets) resetNas.add(n);
          warn('warn', { err: (err as Error).message }, 'writing sessions to PostgreSQL failed; will retry');
        },
      )
      .finally(() => {
        flushing = undefined;
      });
    await flushing;
  }

  function reap(now = Date.now()): Session[] {
    const closed: Session[] = [];
    for (const s of sessions.values()) {
      if (now - s.updatedAt > s.interimInterval * 1000 * config.stale_after_intervals) {
        remove(s);
        closed.push(s);
        counters.stale_closed++;
        deps.onStale?.(s, now);
      }
    }
    if (closed.length) log.info({ closed: closed.length }, 'stale sessions closed');
    return closed;
  }

  return {
    name: 'sessions',
    async start() {
      const { rows } = await deps.postgres.query<{
        nas_id: number;
        acct_session_id: string;
        username: string;
        subscriber_id: number | null;
        framed_ip: string | null;
        calling_station_id: string | null;
        nas_port_id: string | null;
        started_at: Date;
        updated_at: Date;
        session_time: number;
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
      for (const r of rows) {
        const s: Session = {
          key: keyOf(r.nas_id, r.acct_session_id),
          nasId: r.nas_id,
          acctSessionId: r.acct_session_id,
          username: r.username,
          subscriberId: r.subscriber_id ?? 0,
          framedIp: r.framed_ip ?? '0.0.0.0',
          callingStationId: r.calling_station_id ?? '',
          nasPortId: r.nas_port_id ?? '',
          startedAt: r.started_at.getTime(),
          updatedAt: r.updated_at.getTime(),
          sessionTime: r.session_time,
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
        };
        sessions.set(s.key, s);
        index(s);
      }
      log.info({ sessions: sessions.size }, 'live sessions loaded');
      const flushLoop = () => {
        flushTimer = setTimeout(() => void flush().finally(() => flushTimer && flushLoop()), 1000);
      };
      flushLoop();
      reapTimer = setInterval(() => reap(), config.reaper_interval);
    },
    async stop() {
      clearTimeout(flushTimer);
      flushTimer = undefined;
      clearInterval(reapTimer);
      await flush(true);
    },
    counters: () => ({ ...counters, active: sessions.size, pending_writes: dirty.size + updated.size }),
    describe: () => `${sessions.size} live sessions`,
    apply,
    touch(s) {
      if (sessions.get(s.key) === s) dirty.add(s.key);
    },
    countFor(username, exceptMac) {
      const set = byUser.get(username);
      if (!set) return 0;
      if (!exceptMac) return set.size;
      const mac = macDigits(exceptMac);
      let n = 0;
      for (const s of set) if (macDigits(s.callingStationId) !== mac) n++;
      return n;
    },
    forUser: (username) => [...(byUser.get(username) ?? [])],
    all: () => sessions.values(),
    flush,
    reap,
  };
}
