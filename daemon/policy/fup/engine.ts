/**
 * The FUP engine's state and rules, in memory and without I/O: each accounting update adds what is new in its
 * session (RADIUS octet counters are totals, so a retransmitted or duplicated update adds nothing) to the subscriber's
 * counter for the current period; crossing a threshold acts at once (an event; for throttle and block, an action on
 * the subscriber's sessions). What changed is marked dirty for the store to write.
 */
import {
  countedFraction,
  type FupRules,
  periodStart,
  restrictionAt,
  type UsageFigures,
  usageFigures,
} from '../../model/fup-rules.ts';
import type { AcctRecord } from '../../radius/accounting/record.ts';
import type { Verdict } from '../../radius/policy.ts';

export interface FupSubscriber {
  id: number;
  username: string;
  cycleDay: number;
  rules: FupRules | undefined;
}

export type FupAction = 'fup-throttle' | 'fup-block' | 'fup-restore';

/**
 * What the engine tells when a subscriber's fair-usage restriction changes, from `before` to `after`: the
 * restriction stack (policy/restrictions/) decides what the live sessions get, with the subscriber's other reasons.
 */
export interface FupActions {
  changed(
    username: string,
    change: { before: Verdict; after: Verdict; action: FupAction; reason: string },
  ): Promise<unknown>;
}

type Threshold = ReturnType<typeof restrictionAt>;

const verdictOf = (r: Threshold): Verdict =>
  !r
    ? { action: 'none' }
    : r.action === 'block'
      ? { action: 'block' }
      : { action: 'throttle', rate: { rateDown: r.rateDown!, rateUp: r.rateUp! } };

export interface Usage extends UsageFigures {
  username: string;
}

export interface Counter {
  periodStart: number;
  bytes: number;
  /** Thresholds acted on in this period (1 = the first). */
  level: number;
}

export interface Topup {
  id: number;
  bytes: number;
  expiresAt: number;
}

export interface FupEngineDeps {
  subscriber(id: number): FupSubscriber | undefined;
  actions: FupActions;
  /** A `fup.*` event on the bus. */
  publish(subject: string, data: Record<string, unknown>): void;
  /** An action that failed (counted here, logged by the caller). */
  onActionError(err: unknown): void;
  now: () => number;
}

export const sessionKey = (nasId: number, sid: string): string => `${nasId}\u0000${sid}`;

const STOPPED_KEPT_MS = 3_600_000;
const SILENT_FORGOTTEN_MS = 86_400_000;

export class FupEngine {
  readonly counters = new Map<number, Counter>();
  readonly topups = new Map<number, Topup[]>();
  /** Octets of each session already counted. */
  readonly counted = new Map<string, number>();
  /** Sessions that stopped, and when: their counted octets are kept an hour, so a late retransmitted Stop adds nothing. */
  readonly stopped = new Map<string, number>();
  /** When each session was last heard of: one silent for a day (its Stop lost) is forgotten. */
  readonly seen = new Map<string, number>();
  readonly dirtyCounters = new Set<number>();
  readonly dirtySessions = new Set<string>();
  readonly stats = {
    updates: 0,
    bytes_counted: 0,
    notify: 0,
    throttle: 0,
    block: 0,
    restore: 0,
    action_errors: 0,
  };
  readonly #deps: FupEngineDeps;

  constructor(deps: FupEngineDeps) {
    this.#deps = deps;
  }

  subscriber(id: number): FupSubscriber | undefined {
    return this.#deps.subscriber(id);
  }

  /** Counts an accounting record; acts when a threshold is crossed. */
  account(rec: AcctRecord): void {
    if (!rec.subscriber_id || !rec.acct_session_id) return;
    const sub = this.#deps.subscriber(rec.subscriber_id);
    if (!sub?.rules) return;
    this.stats.updates++;
    const now = this.#deps.now();
    const key = sessionKey(rec.nas_id, rec.acct_session_id);
    const total = rec.input_octets + rec.output_octets;
    const before = this.counted.get(key) ?? 0;
    const delta = Math.max(0, total - before);
    if (total > before) this.counted.set(key, total);
    this.seen.set(key, now);
    if (rec.status === 'stop' && !this.stopped.has(key)) this.stopped.set(key, now);
    this.dirtySessions.add(key);
    if (delta === 0) return;
    const add = Math.round(delta * countedFraction(sub.rules.windows, new Date(now)));
    const counter = this.counterOf(sub, now);
    if (add === 0) return;
    counter.bytes += add;
    this.stats.bytes_counted += add;
    this.dirtyCounters.add(sub.id);
    this.settle(sub, counter, now, 'usage');
  }

  /** The restriction in force for an Access-Request; none when the counter is of an earlier period. */
  verdict(sub: { readonly id: number; readonly cycleDay: number }, rules: FupRules): Verdict {
    const c = this.counters.get(sub.id);
    if (!c || c.periodStart !== periodStart(rules.period, new Date(this.#deps.now()), sub.cycleDay).getTime())
      return { action: 'none' };
    return verdictOf(restrictionAt(rules, c.level));
  }

  usage(sub: FupSubscriber): Usage | undefined {
    if (!sub.rules) return undefined;
    const at = this.#deps.now();
    const counter = this.counterOf(sub, at);
    return { username: sub.username, ...usageFigures(sub.rules, sub.cycleDay, at, counter, this.limitOf(sub, at)) };
  }

  /** The quota plus the top-ups still valid at `at`. */
  limitOf(sub: FupSubscriber, at: number): number {
    let limit = sub.rules!.quota;
    for (const t of this.topups.get(sub.id) ?? []) if (t.expiresAt > at) limit += t.bytes;
    return limit;
  }

  /**
   * The counter of the period containing `at`, begun anew when the period changed — whoever notices the change first
   * (an accounting update, the tick, a usage query): a subscriber restricted in the last period gets its rate back.
   */
  counterOf(sub: FupSubscriber, at: number): Counter {
    const start = periodStart(sub.rules!.period, new Date(at), sub.cycleDay).getTime();
    const c = this.counters.get(sub.id);
    if (c && c.periodStart === start) return c;
    const fresh = { periodStart: start, bytes: 0, level: 0 };
    this.counters.set(sub.id, fresh);
    this.dirtyCounters.add(sub.id);
    if (c && c.periodStart < start && restrictionAt(sub.rules!, c.level)) this.#rollover(sub, c, fresh, at);
    return fresh;
  }

  /** Moves a subscriber to the level its counter now reaches, acting on what changed. */
  settle(sub: FupSubscriber, c: Counter, at: number, cause: string): void {
    const rules = sub.rules!;
    const limit = this.limitOf(sub, at);
    const level = rules.thresholds.filter((t) => (c.bytes * 100) / limit >= t.percent).length;
    if (level === c.level) return;
    const before = restrictionAt(rules, c.level);
    const after = restrictionAt(rules, level);
    for (const t of rules.thresholds.slice(c.level, level)) {
      if (t.action === 'notify') {
        this.stats.notify++;
        this.#event('fup.notify', sub, c, limit, { threshold: t.percent });
      }
    }
    c.level = level;
    this.dirtyCounters.add(sub.id);
    if (after === before) return;
    const reason = `${cause}: ${Math.round((c.bytes * 100) / limit)}% of ${limit} bytes`;
    const change = { before: verdictOf(before), after: verdictOf(after) };
    if (after?.action === 'block') {
      this.stats.block++;
      this.#event('fup.blocked', sub, c, limit, { threshold: after.percent });
      this.#run(this.#deps.actions.changed(sub.username, { ...change, action: 'fup-block', reason }));
    } else if (after?.action === 'throttle') {
      this.stats.throttle++;
      this.#event('fup.exceeded', sub, c, limit, {
        threshold: after.percent,
        rate_down: after.rateDown,
        rate_up: after.rateUp,
      });
      this.#run(this.#deps.actions.changed(sub.username, { ...change, action: 'fup-throttle', reason }));
    } else {
      this.stats.restore++;
      this.#event('fup.restored', sub, c, limit);
      this.#run(
        this.#deps.actions.changed(sub.username, {
          ...change,
          action: 'fup-restore',
          reason: `${cause}: back under the threshold`,
        }),
      );
    }
  }

  /** Settles a subscriber whose limit changed (a top-up, a reset) and who has a counter. */
  resettle(id: number, cause: string): void {
    const sub = this.#deps.subscriber(id);
    const c = this.counters.get(id);
    if (sub?.rules && c) this.settle(sub, c, this.#deps.now(), cause);
  }

  /** Starts the current period's counter over (staff action). */
  reset(sub: FupSubscriber): void {
    const c = this.counters.get(sub.id);
    if (!sub.rules || !c) return;
    c.bytes = 0;
    this.dirtyCounters.add(sub.id);
    this.settle(sub, c, this.#deps.now(), 'counter reset');
  }

  /** Forgets sessions long stopped or silent; applies period changes and expired top-ups. */
  tick(): void {
    const at = this.#deps.now();
    for (const key of this.counted.keys()) {
      const stop = this.stopped.get(key);
      if (
        (stop !== undefined && at - stop >= STOPPED_KEPT_MS) ||
        at - (this.seen.get(key) ?? at) >= SILENT_FORGOTTEN_MS
      ) {
        this.stopped.delete(key);
        this.seen.delete(key);
        this.counted.delete(key);
        this.dirtySessions.add(key);
      }
    }
    for (const [id, c] of this.counters) {
      const sub = this.#deps.subscriber(id);
      if (!sub?.rules) continue;
      const start = periodStart(sub.rules.period, new Date(at), sub.cycleDay).getTime();
      if (c.periodStart < start) this.counterOf(sub, at);
      else this.settle(sub, c, at, 'top-ups expired');
    }
  }

  /** A new period began for a subscriber who was restricted in the last one: its rate comes back. */
  #rollover(sub: FupSubscriber, old: Counter, fresh: Counter, at: number): void {
    this.stats.restore++;
    this.#event('fup.restored', sub, fresh, this.limitOf(sub, at), {
      previous_period_start: new Date(old.periodStart).toISOString(),
    });
    this.#run(
      this.#deps.actions.changed(sub.username, {
        before: verdictOf(restrictionAt(sub.rules!, old.level)),
        after: { action: 'none' },
        action: 'fup-restore',
        reason: 'new period',
      }),
    );
  }

  #event(subject: string, sub: FupSubscriber, c: Counter, limit: number, extra: Record<string, unknown> = {}): void {
    this.#deps.publish(subject, {
      subscriber_id: sub.id,
      username: sub.username,
      period: sub.rules!.period,
      period_start: new Date(c.periodStart).toISOString(),
      bytes: c.bytes,
      limit,
      percent: Math.round((c.bytes * 10000) / limit) / 100,
      ...extra,
    });
  }

  #run(p: Promise<unknown>): void {
    p.catch((err) => {
      this.stats.action_errors++;
      this.#deps.onActionError(err);
    });
  }
}
