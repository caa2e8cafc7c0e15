/**
 * The Fair Usage Policy engine. Each accounting update adds what is new in its session (RADIUS octet counters are
 * totals, so a retransmitted or duplicated update adds nothing) to the subscriber's counter for the current period,
 * in memory, at once; crossing a threshold acts at once (a bus event; for throttle and block, the CoA or Disconnect to
 * the NAS). Counters and each session's already-counted octets are written to PostgreSQL together, in one
 * transaction, every second: after a restart nothing is counted twice and nothing is lost (the next update's totals
 * carry what happened meanwhile). A new period or a top-up gives the plan's rate back by CoA.
 */
import type { Component } from '../../component.ts';
import type { Logger } from '../../log.ts';
import type { AcctRecord } from '../../radius/accounting/record.ts';
import { sampledLog } from '../../sampled-log.ts';
import type { Bus } from '../../store/bus/index.ts';
import type { Changes } from '../../store/changes.ts';
import type { PostgresStore } from '../../store/postgres/index.ts';
import {
  countedFraction,
  type FupRules,
  nextPeriodStart,
  periodStart,
  restrictionAt,
  type UsageFigures,
  usageFigures,
} from './rules.ts';

export interface FupSubscriber {
  id: number;
  username: string;
  cycleDay: number;
  rules: FupRules | undefined;
}

/** What the engine does to a subscriber's live sessions; the daemon wires these to the CoA component. */
export interface FupActions {
  throttle(username: string, rate: { rateDown: number; rateUp: number }, reason: string): Promise<unknown>;
  block(username: string, reason: string): Promise<unknown>;
  restore(username: string, reason: string): Promise<unknown>;
}

export interface Usage extends UsageFigures {
  username: string;
}

export interface Verdict {
  action: 'none' | 'throttle' | 'block';
  rate?: { rateDown: number; rateUp: number };
}

export interface Fup extends Component {
  /** Counts an accounting record (Start, Interim-Update, Stop); acts when a threshold is crossed. Never waits. */
  account(rec: AcctRecord): void;
  /** For an Access-Request: the throttled profile or a block for a subscriber over quota. */
  verdict(subscriberId: number): Verdict;
  usage(subscriberId: number): Usage | undefined;
  /** Adds bytes until `expiresAt` (end of the period by default); gives the rate back when it lifts the subscriber under. */
  topup(
    subscriberId: number,
    bytes: number,
    opts?: { kind?: 'topup' | 'bonus'; expiresAt?: Date; actor?: string },
  ): Promise<Usage | undefined>;
  /** Starts the current period's counter over (staff action). */
  reset(subscriberId: number): Promise<Usage | undefined>;
  /** Applies period changes now (the engine also does it every 30 s). */
  tick(): Promise<void>;
  flush(): Promise<void>;
}

export interface FupDeps {
  log: Logger;
  postgres: PostgresStore;
  bus: Bus;
  changes: Changes;
  subscriber(id: number): FupSubscriber | undefined;
  actions: FupActions;
  /** The clock (tests move it). */
  now?: () => number;
}

interface Counter {
  periodStart: number;
  bytes: number;
  /** Thresholds acted on in this period (1 = the first). */
  level: number;
}

interface Topup {
  id: number;
  bytes: number;
  expiresAt: number;
}

const sessionKey = (nasId: number, sid: string) => `${nasId}\u0000${sid}`;

export function createFup(deps: FupDeps): Fup {
  const log = deps.log.child({ component: 'fup' });
  const warn = sampledLog(log);
  const now = deps.now ?? Date.now;
  const counters = new Map<number, Counter>();
  const topups = new Map<number, Topup[]>();
  const counted = new Map<string, number>();
  /** Sessions that stopped, and when: their counted octets are kept an hour, so a late retransmitted Stop adds nothing. */
  const stopped = new Map<string, number>();
  /** When each session was last heard of: one silent for a day (its Stop lost) is forgotten. */
  const seen = new Map<string, number>();
  const dirtyCounters = new Set<number>();
  const dirtySessions = new Set<string>();
  const stats = {
    updates: 0,
    bytes_counted: 0,
    notify: 0,
    throttle: 0,
    block: 0,
    restore: 0,
    action_errors: 0,
    flush_errors: 0,
  };
  let flushTimer: NodeJS.Timeout | undefined;
  let tickTimer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;

  const limitOf = (sub: FupSubscriber, at: number) =>
    sub.rules!.quota + (topups.get(sub.id) ?? []).filter((t) => t.expiresAt > at).reduce((a, t) => a + t.bytes, 0);

  /**
   * The counter of the period containing `at`, begun anew when the period changed — whoever notices the change first
   * (an accounting update, the tick, a usage query): a subscriber restricted in the last period gets its rate back.
   */
  function counterOf(sub: FupSubscriber, at: number): Counter {
    const start = periodStart(sub.rules!.period, new Date(at), sub.cycleDay).getTime();
    const c = counters.get(sub.id);
    if (c && c.periodStart === start) return c;
    const fresh = { periodStart: start, bytes: 0, level: 0 };
    counters.set(sub.id, fresh);
    dirtyCounters.add(sub.id);
    if (c && c.periodStart < start && restrictionAt(sub.rules!, c.level)) settleRollover(sub, c, fresh, at);
    return fresh;
  }

  const reached = (rules: FupRules, bytes: number, limit: number) =>
    rules.thresholds.filter((t) => (bytes * 100) / limit >= t.percent).length;

  const event = (subject: string, sub: FupSubscriber, c: Counter, limit: number, extra: Record<string, unknown> = {}) =>
    deps.bus.publish(subject, {
      subscriber_id: sub.id,
      username: sub.username,
      period: sub.rules!.period,
      period_start: new Date(c.periodStart).toISOString(),
      bytes: c.bytes,
      limit,
      percent: Math.round((c.bytes * 10000) / limit) / 100,
      ...extra,
    });

  const run = (p: Promise<unknown>) =>
    void p.catch((err) => {
      stats.action_errors++;
      warn('warn', { err: (err as Error).message }, 'an FUP action failed');
    });

  /** Moves a subscriber to the level its counter now reaches, acting on what changed. */
  function settle(sub: FupSubscriber, c: Counter, at: number, cause: string): void {
    const rules = sub.rules!;
    const limit = limitOf(sub, at);
    const level = reached(rules, c.bytes, limit);
    if (level === c.level) return;
    const before = restrictionAt(rules, c.level);
    const after = restrictionAt(rules, level);
    if (level > c.level) {
      for (const t of rules.thresholds.slice(c.level, level)) {
        if (t.action === 'notify') {
          stats.notify++;
          event('fup.notify', sub, c, limit, { threshold: t.percent });
        }
      }
    }
    c.level = level;
    dirtyCounters.add(sub.id);
    if (after === before) return;
    const reason = `${cause}: ${Math.round((c.bytes * 100) / limit)}% of ${limit} bytes`;
    if (after?.action === 'block') {
      stats.block++;
      event('fup.blocked', sub, c, limit, { threshold: after.percent });
      run(deps.actions.block(sub.username, reason));
    } else if (after?.action === 'throttle') {
      stats.throttle++;
      event('fup.exceeded', sub, c, limit, {
        threshold: after.percent,
        rate_down: after.rateDown,
        rate_up: after.rateUp,
      });
      run(deps.actions.throttle(sub.username, { rateDown: after.rateDown!, rateUp: after.rateUp! }, reason));
    } else {
      stats.restore++;
      event('fup.restored', sub, c, limit);
      run(deps.actions.restore(sub.username, `${cause}: back under the threshold`));
    }
  }

  function account(rec: AcctRecord): void {
    if (!rec.subscriber_id || !rec.acct_session_id) return;
    const sub = deps.subscriber(rec.subscriber_id);
    if (!sub?.rules) return;
    stats.updates++;
    const key = sessionKey(rec.nas_id, rec.acct_session_id);
    const total = rec.input_octets + rec.output_octets;
    const before = counted.get(key) ?? 0;
    const delta = Math.max(0, total - before);
    if (total > before) counted.set(key, total);
    seen.set(key, now());
    if (rec.status === 'stop' && !stopped.has(key)) stopped.set(key, now());
    dirtySessions.add(key);
    if (delta === 0) return;
    const at = now();
    const add = Math.round(delta * countedFraction(sub.rules.windows, new Date(at)));
    const counter = counterOf(sub, at);
    if (add === 0) return;
    counter.bytes += add;
    stats.bytes_counted += add;
    dirtyCounters.add(sub.id);
    settle(sub, counter, at, 'usage');
  }

  /** A new period began for a subscriber who was restricted in the last one: its rate comes back. */
  function settleRollover(sub: FupSubscriber, old: Counter, fresh: Counter, at: number): void {
    stats.restore++;
    event('fup.restored', sub, fresh, limitOf(sub, at), {
      previous_period_start: new Date(old.periodStart).toISOString(),
    });
    run(deps.actions.restore(sub.username, 'new period'));
  }

  function usageOf(sub: FupSubscriber): Usage | undefined {
    if (!sub.rules) return undefined;
    const at = now();
    const counter = counterOf(sub, at);
    return { username: sub.username, ...usageFigures(sub.rules, sub.cycleDay, at, counter, limitOf(sub, at)) };
  }

  async function loadTopups(ids?: readonly number[]): Promise<void> {
    const { rows } = await deps.postgres.query<{ id: number; subscriber_id: number; bytes: string; expires_at: Date }>(
      `SELECT id, subscriber_id, bytes, expires_at FROM fup_topup
       WHERE expires_at > to_timestamp($1 / 1000.0) ${ids ? 'AND subscriber_id = ANY($2)' : ''}`,
      ids ? [now(), ids] : [now()],
    );
    if (ids) for (const id of ids) topups.delete(id);
    else topups.clear();
    for (const r of rows) {
      const list = topups.get(r.subscriber_id) ?? [];
      list.push({ id: r.id, bytes: Number(r.bytes), expiresAt: r.expires_at.getTime() });
      topups.set(r.subscriber_id, list);
    }
  }

  async function flush(): Promise<void> {
    await flushing;
    if (dirtyCounters.size === 0 && dirtySessions.size === 0) return;
    const ids = [...dirtyCounters].filter((id) => counters.has(id));
    const keys = [...dirtySessions];
    dirtyCounters.clear();
    dirtySessions.clear();
    const rows = ids.map((id) => ({ id, ...counters.get(id)! }));
    const live = keys.filter((k) => counted.has(k)).map((k) => [...k.split('\u0000'), counted.get(k)!] as const);
    const gone = keys.filter((k) => !counted.has(k)).map((k) => k.split('\u0000'));
    flushing = deps.postgres
      .transaction(async (c) => {
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
      })
      .catch((err) => {
        stats.flush_errors++;
        for (const id of ids) dirtyCounters.add(id);
        for (const k of keys) dirtySessions.add(k);
        warn('warn', { err: (err as Error).message }, 'writing FUP counters failed; will retry');
      })
      .finally(() => {
        flushing = undefined;
      });
    await flushing;
  }

  /** Period changes and expired top-ups: subscribers whose restriction no longer holds get their rate back. */
  async function tick(): Promise<void> {
    const at = now();
    for (const key of counted.keys()) {
      const stop = stopped.get(key);
      if ((stop !== undefined && at - stop >= 3_600_000) || at - (seen.get(key) ?? at) >= 86_400_000) {
        stopped.delete(key);
        seen.delete(key);
        counted.delete(key);
        dirtySessions.add(key);
      }
    }
    for (const [id, c] of counters) {
      const sub = deps.subscriber(id);
      if (!sub?.rules) continue;
      const start = periodStart(sub.rules.period, new Date(at), sub.cycleDay).getTime();
      if (c.periodStart < start) counterOf(sub, at);
      else {
        settle(sub, c, at, 'top-ups expired');
      }
    }
  }

  const fup: Fup = {
    name: 'fup',
    async start() {
      const { rows } = await deps.postgres.query<{
        subscriber_id: number;
        period_start: Date;
        bytes: string;
        level: number;
      }>(
        `SELECT DISTINCT ON (subscriber_id) subscriber_id, period_start, bytes, level FROM fup_counter
         ORDER BY subscriber_id, period_start DESC`,
      );
      for (const r of rows) {
        counters.set(r.subscriber_id, {
          periodStart: r.period_start.getTime(),
          bytes: Number(r.bytes),
          level: r.level,
        });
      }
      const sessions = await deps.postgres.query<{ nas_id: number; acct_session_id: string; counted: string }>(
        'SELECT nas_id, acct_session_id, counted FROM fup_session',
      );
      for (const s of sessions.rows) {
        const key = sessionKey(s.nas_id, s.acct_session_id);
        counted.set(key, Number(s.counted));
        seen.set(key, now());
      }
      await loadTopups();
      deps.changes.on('fup_topup', async ({ upserted, deleted }) => {
        const { rows: subs } = await deps.postgres.query<{ subscriber_id: number }>(
          'SELECT DISTINCT subscriber_id FROM fup_topup WHERE id = ANY($1)',
          [upserted],
        );
        const ids = [...new Set(subs.map((s) => s.subscriber_id))];
        if (deleted.length) await loadTopups();
        else if (ids.length) await loadTopups(ids);
        for (const id of deleted.length ? [...counters.keys()] : ids) {
          const sub = deps.subscriber(id);
          const c = counters.get(id);
          if (sub?.rules && c) settle(sub, c, now(), 'top-up');
        }
      });
      log.info({ counters: counters.size, sessions: counted.size }, 'FUP counters loaded');
      const flushLoop = () => {
        flushTimer = setTimeout(() => void flush().finally(() => flushTimer && flushLoop()), 1000);
      };
      flushLoop();
      tickTimer = setInterval(() => void tick(), 30_000);
    },
    async stop() {
      clearTimeout(flushTimer);
      flushTimer = undefined;
      clearInterval(tickTimer);
      await flush();
    },
    counters: () => ({ ...stats, subscribers: counters.size, sessions: counted.size }),
    describe: () => `FUP for ${counters.size} subscribers`,
    account,
    verdict(subscriberId) {
      const sub = deps.subscriber(subscriberId);
      const c = counters.get(subscriberId);
      if (!sub?.rules || !c) return { action: 'none' };
      if (c.periodStart !== periodStart(sub.rules.period, new Date(now()), sub.cycleDay).getTime())
        return { action: 'none' };
      const r = restrictionAt(sub.rules, c.level);
      if (!r) return { action: 'none' };
      return r.action === 'block'
        ? { action: 'block' }
        : { action: 'throttle', rate: { rateDown: r.rateDown!, rateUp: r.rateUp! } };
    },
    usage(subscriberId) {
      const sub = deps.subscriber(subscriberId);
      return sub ? usageOf(sub) : undefined;
    },
    async topup(subscriberId, bytes, opts = {}) {
      const sub = deps.subscriber(subscriberId);
      const at = now();
      const expires =
        opts.expiresAt ??
        (sub?.rules ? nextPeriodStart(sub.rules.period, new Date(at), sub.cycleDay) : new Date(at + 30 * 86_400_000));
      await deps.postgres.query(
        'INSERT INTO fup_topup (subscriber_id, kind, bytes, expires_at, created_by) VALUES ($1, $2, $3, $4, $5)',
        [subscriberId, opts.kind ?? 'topup', bytes, expires, opts.actor ?? ''],
      );
      await loadTopups([subscriberId]);
      const c = counters.get(subscriberId);
      if (sub?.rules && c) settle(sub, c, at, opts.kind === 'bonus' ? 'bonus' : 'top-up');
      return sub ? usageOf(sub) : undefined;
    },
    async reset(subscriberId) {
      const sub = deps.subscriber(subscriberId);
      const c = counters.get(subscriberId);
      if (!sub?.rules || !c) return sub ? usageOf(sub) : undefined;
      c.bytes = 0;
      dirtyCounters.add(subscriberId);
      settle(sub, c, now(), 'counter reset');
      return usageOf(sub);
    },
    tick,
    flush,
  };
  return fup;
}
