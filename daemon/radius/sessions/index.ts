/**
 * The live session table ("online now"): kept in memory from accounting (table.ts), where the simultaneous-use check
 * reads it with no database round trip, and written behind to PostgreSQL `radius_session` for staff and for the next
 * start (store.ts): sessions that begin or end within a second, counter updates (Interim-Update) every
 * `INTERIM_FLUSH_MS`, since a busy NAS sends thousands of those per second and staff only need them to be recent.
 * Sessions whose NAS stopped reporting for `stale_after_intervals` interim intervals are closed as stale and recorded
 * as such in accounting: a stale "online" session must never block a subscriber's next login.
 */
import type { RadiusConfig } from '../../../config/schema.ts';
import type { Component } from '../../lib/component.ts';
import type { Logger } from '../../lib/log.ts';
import { sampledLog } from '../../lib/sampled-log.ts';
import type { PostgresStore } from '../../store/postgres/index.ts';
import { WriteBehind } from '../../store/write-behind.ts';
import type { Accounting } from '../accounting/index.ts';
import type { AcctRecord } from '../accounting/record.ts';
import { staleRecord } from './stale.ts';
import { loadSessions, writeSessions } from './store.ts';
import { type Session, SessionTable } from './table.ts';

export type { Session } from './table.ts';

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

/** What the table needs to know of plans and NAS (the RADIUS cache answers). */
export interface SessionDirectory {
  /** Seconds between the interim updates a new session of this subscriber is expected to send (its plan's). */
  interimInterval(subscriberId: number): number;
  nasName(nasId: number): string;
}

export interface SessionsDeps {
  log: Logger;
  postgres: PostgresStore;
  directory: SessionDirectory;
  /** Where a session closed as stale is recorded. */
  accounting: Pick<Accounting, 'record'>;
}

const FLUSH_MS = 1000;
const INTERIM_FLUSH_MS = 30_000;

export function createSessions(config: RadiusConfig, deps: SessionsDeps): Sessions {
  const log = deps.log.child({ component: 'sessions' });
  const warn = sampledLog(log);
  const table = new SessionTable((id) => deps.directory.interimInterval(id));
  let lastInterimWrite = 0;
  /** The next write takes the counter updates too. */
  let interimNow = false;
  const writer = new WriteBehind(
    'sessions',
    FLUSH_MS,
    () => {
      const interim = interimNow || Date.now() - lastInterimWrite >= INTERIM_FLUSH_MS;
      interimNow = false;
      if (interim) lastInterimWrite = Date.now();
      return writeSessions(deps.postgres, table, interim, (s, err) => {
        rowsRefused++;
        warn(
          'error',
          { err: err.message, nas_id: s.nasId, acct_session_id: s.acctSessionId, username: s.username },
          'PostgreSQL refused a live session; the others are written, this one is tried again with its next update',
        );
      });
    },
    log,
  );
  let staleClosed = 0;
  let rowsRefused = 0;
  let reapTimer: NodeJS.Timeout | undefined;

  function reap(now = Date.now()): Session[] {
    const closed = table.closeStale(now, config.stale_after_intervals);
    for (const s of closed) {
      staleClosed++;
      deps.accounting.record(staleRecord(s, now, deps.directory.nasName(s.nasId))).catch(() => undefined);
    }
    if (closed.length) log.info({ closed: closed.length }, 'stale sessions closed');
    return closed;
  }

  return {
    name: 'sessions',
    async start() {
      for (const s of await loadSessions(deps.postgres)) table.load(s);
      log.info({ sessions: table.size }, 'live sessions loaded');
      writer.start();
      reapTimer = setInterval(() => reap(), config.reaper_interval);
    },
    async stop() {
      clearInterval(reapTimer);
      interimNow = true;
      await writer.stop();
    },
    counters: () => ({
      ...table.counters,
      stale_closed: staleClosed,
      rows_refused: rowsRefused,
      ...writer.counters,
      active: table.size,
      pending_writes: table.dirty.size + table.updated.size,
    }),
    describe: () => `${table.size} live sessions`,
    apply: (rec) => table.apply(rec),
    touch: (s) => table.touch(s),
    countFor: (username, exceptMac) => table.countFor(username, exceptMac),
    forUser: (username) => table.forUser(username),
    all: () => table.values(),
    async flush(all = false) {
      if (all) interimNow = true;
      await writer.flush();
    },
    reap,
  };
}
