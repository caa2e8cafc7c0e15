/**
 * Follows `change_log` (filled by triggers) and tells each cache which rows of its tables changed, a few times a
 * second: a staff edit reaches the RADIUS caches in well under a second, on PGlite and PostgreSQL alike, and after a
 * reconnect nothing is missed. Handlers reload the rows by id, so seeing a change twice is harmless.
 */
import type { Component } from '../lib/component.ts';
import type { Logger } from '../lib/log.ts';
import { sampledLog } from '../lib/sampled-log.ts';
import type { PostgresStore } from './postgres/index.ts';

export interface ChangeSet {
  /** Rows inserted or updated (reload them). */
  upserted: number[];
  deleted: number[];
}

export type ChangeHandler = (changes: ChangeSet) => Promise<void> | void;

export interface Changes extends Component {
  on(table: string, handler: ChangeHandler): void;
  /** Runs one poll now; resolves once its handlers have finished. */
  poll(): Promise<void>;
}

export interface ChangesOptions {
  intervalMs?: number;
  /** A hole in the sequence (a transaction still open) is waited for this long before it is passed over. */
  gapWaitMs?: number;
  /** change_log rows older than this are deleted. */
  retentionMs?: number;
}

export function createChanges(deps: { log: Logger; postgres: PostgresStore }, opts: ChangesOptions = {}): Changes {
  const log = deps.log.child({ component: 'changes' });
  const warn = sampledLog(log);
  const interval = opts.intervalMs ?? 250;
  const gapWait = opts.gapWaitMs ?? 2000;
  const retention = opts.retentionMs ?? 24 * 3600_000;
  const handlers = new Map<string, ChangeHandler[]>();
  const counters = { polls: 0, changes: 0, poll_errors: 0, handler_errors: 0, gaps_skipped: 0, pruned: 0 };
  let last = 0;
  let gapSince: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let lastPrune = Date.now();

  async function pollOnce(): Promise<void> {
    counters.polls++;
    const { rows } = await deps.postgres.query<{ seq: string; tbl: string; row_id: string; op: string }>(
      'SELECT seq, tbl, row_id, op FROM change_log WHERE seq > $1 ORDER BY seq LIMIT 10000',
      [last],
    );
    if (rows.length === 0) return;
    const byTable = new Map<string, ChangeSet>();
    for (const r of rows) {
      if (!handlers.has(r.tbl)) continue;
      let set = byTable.get(r.tbl);
      if (!set) {
        set = { upserted: [], deleted: [] };
        byTable.set(r.tbl, set);
      }
      const id = Number(r.row_id);
      if (r.op === 'D') set.deleted.push(id);
      else set.upserted.push(id);
    }
    for (const [table, set] of byTable) {
      set.upserted = [...new Set(set.upserted)].filter((id) => !set.deleted.includes(id));
      counters.changes += set.upserted.length + set.deleted.length;
      for (const h of handlers.get(table) ?? []) {
        try {
          await h(set);
        } catch (err) {
          counters.handler_errors++;
          warn('error', { table, err: (err as Error).message }, 'applying a change failed');
        }
      }
    }
    // Advance over the contiguous run only: a lower sequence number may still commit (its transaction is open).
    let next = last;
    for (const r of rows) {
      if (Number(r.seq) === next + 1) next++;
      else break;
    }
    const end = Number(rows[rows.length - 1]!.seq);
    if (next === end) gapSince = undefined;
    else {
      gapSince ??= Date.now();
      if (Date.now() - gapSince > gapWait) {
        counters.gaps_skipped++;
        next = end;
        gapSince = undefined;
      }
    }
    last = next;
  }

  async function prune(): Promise<void> {
    if (Date.now() - lastPrune < 600_000) return;
    lastPrune = Date.now();
    const { rowCount } = await deps.postgres.query('DELETE FROM change_log WHERE at < now() - $1::interval', [
      `${Math.round(retention / 1000)} seconds`,
    ]);
    counters.pruned += rowCount ?? 0;
  }

  const tick = () => {
    running = pollOnce()
      .then(prune)
      .catch((err) => {
        counters.poll_errors++;
        warn('warn', { err: (err as Error).message }, 'polling change_log failed; retrying');
      })
      .finally(() => {
        running = undefined;
        if (timer !== undefined) timer = setTimeout(tick, interval);
      });
  };

  return {
    name: 'changes',
    on(table, handler) {
      handlers.set(table, [...(handlers.get(table) ?? []), handler]);
    },
    async start() {
      const { rows } = await deps.postgres.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM change_log');
      last = Number(rows[0]?.seq ?? 0);
      timer = setTimeout(tick, interval);
    },
    async stop() {
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
    async poll() {
      await running;
      await pollOnce();
    },
    counters: () => ({ ...counters, last_seq: last }),
    describe: () => `following change_log every ${interval} ms`,
  };
}
