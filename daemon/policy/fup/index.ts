/**
 * The Fair Usage Policy component: the engine (engine.ts) counts every accounting update in memory and acts at once
 * when a threshold is crossed; its counters and each session's already-counted octets are written to PostgreSQL
 * together every `fup.flush_interval` (store.ts), so that after a restart nothing is counted twice and nothing is lost
 * (the next update's totals carry what happened meanwhile). A new period or a top-up gives the plan's rate back.
 */
import type { FupConfig } from '../../../config/schema.ts';
import type { Component } from '../../lib/component.ts';
import type { Logger } from '../../lib/log.ts';
import { sampledLog } from '../../lib/sampled-log.ts';
import { type FupRules, nextPeriodStart } from '../../model/fup-rules.ts';
import type { AcctRecord } from '../../radius/accounting/record.ts';
import type { RadiusPolicy, Verdict } from '../../radius/policy.ts';
import type { Bus } from '../../store/bus/index.ts';
import type { Changes } from '../../store/changes.ts';
import type { PostgresStore } from '../../store/postgres/index.ts';
import { WriteBehind } from '../../store/write-behind.ts';
import { type FupActions, FupEngine, type FupSubscriber, type Usage } from './engine.ts';
import { insertTopup, loadCounters, loadTopups, topupOwners, writeDirty } from './store.ts';

export type { Verdict } from '../../radius/policy.ts';
export type { FupActions, FupSubscriber, Usage } from './engine.ts';

export interface Fup extends Component, RadiusPolicy {
  /** The restriction in force for a subscriber (the panel's view); `verdict` for one already looked up. */
  verdictById(subscriberId: number): Verdict;
  usage(subscriberId: number): Usage | undefined;
  /** Adds bytes until `expiresAt` (end of the period by default); gives the rate back when it lifts the subscriber under. */
  topup(
    subscriberId: number,
    bytes: number,
    opts?: { kind?: 'topup' | 'bonus'; expiresAt?: Date; actor?: string },
  ): Promise<Usage | undefined>;
  /** Starts the current period's counter over (staff action). */
  reset(subscriberId: number): Promise<Usage | undefined>;
  /** Applies period changes now (the engine also does it every `fup.tick_interval`). */
  tick(): Promise<void>;
  flush(): Promise<void>;
}

/** Where the engine looks subscribers and their plans' rules up (the RADIUS cache). */
export interface SubscriberDirectory {
  subscriberById(
    id: number,
  ): { readonly username: string; readonly cycleDay: number; readonly planId: number } | undefined;
  plan(id: number): { readonly rules: FupRules | undefined } | undefined;
}

export interface FupDeps {
  log: Logger;
  postgres: PostgresStore;
  bus: Bus;
  changes: Changes;
  subscriber(id: number): FupSubscriber | undefined;
  /** Where a changed fair-usage restriction goes: the restriction stack (policy/restrictions/), which sends the CoA. */
  actions: FupActions;
  /** The clock (tests move it). */
  now?: () => number;
}

/** The engine's view of a subscriber, from the directory. */
export function subscribersOf(directory: SubscriberDirectory): (id: number) => FupSubscriber | undefined {
  return (id) => {
    const sub = directory.subscriberById(id);
    if (!sub) return undefined;
    return { id, username: sub.username, cycleDay: sub.cycleDay, rules: directory.plan(sub.planId)?.rules };
  };
}

export function createFup(config: FupConfig, deps: FupDeps): Fup {
  const log = deps.log.child({ component: 'fup' });
  const warn = sampledLog(log);
  const now = deps.now ?? Date.now;
  const engine = new FupEngine({
    subscriber: deps.subscriber,
    actions: deps.actions,
    publish: (subject, data) => deps.bus.publish(subject, data),
    onActionError: (err) => warn('warn', { err: (err as Error).message }, 'an FUP action failed'),
    now,
  });
  const writer = new WriteBehind('FUP counters', config.flush_interval, () => writeDirty(deps.postgres, engine), log);
  let tickTimer: NodeJS.Timeout | undefined;

  /** A top-up added or removed elsewhere (the panel): reload and settle whom it concerns. */
  async function topupsChanged(upserted: number[], deleted: number[]): Promise<void> {
    const ids = upserted.length ? await topupOwners(deps.postgres, upserted) : [];
    if (deleted.length) await loadTopups(deps.postgres, engine, now());
    else if (ids.length) await loadTopups(deps.postgres, engine, now(), ids);
    for (const id of deleted.length ? [...engine.counters.keys()] : ids) engine.resettle(id, 'top-up');
  }

  const usage = (id: number) => {
    const sub = deps.subscriber(id);
    return sub ? engine.usage(sub) : undefined;
  };

  return {
    name: 'fup',
    async start() {
      await loadCounters(deps.postgres, engine, now());
      await loadTopups(deps.postgres, engine, now());
      deps.changes.on('fup_topup', ({ upserted, deleted }) => topupsChanged(upserted, deleted));
      log.info({ counters: engine.counters.size, sessions: engine.counted.size }, 'FUP counters loaded');
      writer.start();
      tickTimer = setInterval(() => engine.tick(), config.tick_interval);
    },
    async stop() {
      clearInterval(tickTimer);
      await writer.stop();
    },
    counters: () => ({
      ...engine.stats,
      flush_errors: writer.counters.flush_errors,
      subscribers: engine.counters.size,
      sessions: engine.counted.size,
    }),
    describe: () => `FUP for ${engine.counters.size} subscribers`,
    account: (rec: AcctRecord) => engine.account(rec),
    verdict: (sub, rules) => engine.verdict(sub, rules),
    verdictById(id) {
      const sub = deps.subscriber(id);
      return sub?.rules ? engine.verdict(sub, sub.rules) : { action: 'none' };
    },
    usage,
    async topup(subscriberId, bytes, opts = {}) {
      const sub = deps.subscriber(subscriberId);
      const at = now();
      const expiresAt =
        opts.expiresAt ??
        (sub?.rules ? nextPeriodStart(sub.rules.period, new Date(at), sub.cycleDay) : new Date(at + 30 * 86_400_000));
      await insertTopup(deps.postgres, {
        subscriberId,
        kind: opts.kind ?? 'topup',
        bytes,
        expiresAt,
        actor: opts.actor ?? '',
      });
      await loadTopups(deps.postgres, engine, now(), [subscriberId]);
      engine.resettle(subscriberId, opts.kind === 'bonus' ? 'bonus' : 'top-up');
      return usage(subscriberId);
    },
    async reset(subscriberId) {
      const sub = deps.subscriber(subscriberId);
      if (!sub) return undefined;
      engine.reset(sub);
      return engine.usage(sub);
    },
    async tick() {
      engine.tick();
    },
    flush: () => writer.flush(),
  };
}
