/**
 * Everything an Access-Request needs, in memory: the NAS table, the plans compiled into reply bytes per vendor, and
 * the subscribers with their passwords. Loaded from PostgreSQL at start, kept current by change_log (an edit is
 * effective within a second), never queried per packet.
 */
import type { RadiusConfig } from '../../../config/schema.ts';
import type { Component } from '../../lib/component.ts';
import type { Logger } from '../../lib/log.ts';
import { type FupRules, rulesOf } from '../../model/fup-rules.ts';
import type { NasVendor } from '../../model/nas.ts';
import { loadNasWithSecrets } from '../../model/nas.ts';
import { loadPlans, type Plan } from '../../model/plan.ts';
import { mostSevere, type Restriction } from '../../model/restriction.ts';
import {
  loadSubscribersWithPasswords,
  type SubscriberStatus,
  type SubscriberWithPassword,
} from '../../model/subscriber.ts';
import type { SecretBox } from '../../security/secret-box.ts';
import type { Changes } from '../../store/changes.ts';
import type { PostgresStore } from '../../store/postgres/index.ts';
import { type Dictionary, encodeAttribute, type NtHashes, ntHashes } from '../codec/index.ts';
import { NasTable } from './nas-table.ts';
import { compilePlan, compileWalledGarden, VENDORS } from './reply-attributes.ts';

export type { NasEntry } from './nas-table.ts';
export { NasTable } from './nas-table.ts';

export interface SubscriberEntry {
  readonly id: number;
  readonly username: string;
  readonly password: Buffer;
  readonly planId: number;
  readonly status: SubscriberStatus;
  /** Epoch ms after which the subscriber is expired; 0 for never. */
  readonly expiresAt: number;
  /** Framed-IP-Address, as attribute bytes, for a static address. */
  readonly framedIp: Buffer | null;
  readonly staticIp: string | null;
  /** 12 lower-case hex digits of the bound Calling-Station-Id. */
  readonly mac: string | null;
  readonly simultaneousUse: number | null;
  readonly cycleDay: number;
  /** The most severe of its stored restrictions (fair usage is the FUP engine's), or null. */
  readonly restriction: Restriction | null;
  /** MS-CHAP hashes, computed on the first MS-CHAPv2 request (MD4 at load would slow a large boot). */
  nt: NtHashes | undefined;
}

export interface PlanEntry {
  readonly plan: Plan;
  /** Its FUP rules, checked when the plan was loaded. */
  readonly rules: FupRules | undefined;
  readonly replies: Readonly<Record<NasVendor, Buffer>>;
  /** Framed-Pool bytes, for subscribers without a static address. */
  readonly pool: Buffer | null;
}

export interface RadiusCache extends Component {
  readonly nas: NasTable;
  readonly dictionary: Dictionary;
  subscriber(username: string): SubscriberEntry | undefined;
  subscriberById(id: number): SubscriberEntry | undefined;
  plan(id: number): PlanEntry | undefined;
  /**
   * The walled-garden reply for a vendor and a profile (the NAS's address list; null for the configured one), or null
   * when the walled garden is off and restricted subscribers are rejected. Compiled once per vendor and profile.
   */
  walledGarden(vendor: NasVendor, profile?: string | null): Buffer | null;
  /** The NT hashes of a subscriber's password, computed once. */
  ntHashesOf(entry: SubscriberEntry): NtHashes;
  /** A plan's reply with another rate (an FUP throttle), compiled once per plan, vendor and rate. */
  throttledReply(planId: number, vendor: NasVendor, rate: { rateDown: number; rateUp: number }): Buffer | undefined;
  /**
   * Reloads subscribers now, rather than at the next change_log poll: a command that changed one (a restriction)
   * waits for it, so the login right after the command meets what the command did.
   */
  reloadSubscribers(ids: readonly number[]): Promise<void>;
  /** The interim interval of a subscriber's plan (300 s when either is unknown). */
  interimInterval(subscriberId: number): number;
  nasName(nasId: number): string;
}

export interface RadiusCacheDeps {
  log: Logger;
  postgres: PostgresStore;
  changes: Changes;
  box: SecretBox;
  dictionary: Dictionary;
}

export function createRadiusCache(config: RadiusConfig, deps: RadiusCacheDeps): RadiusCache {
  const log = deps.log.child({ component: 'radius-cache' });
  const dict = deps.dictionary;
  const nas = new NasTable();
  const plans = new Map<number, PlanEntry>();
  const throttled = new Map<string, Buffer>();
  const byName = new Map<string, SubscriberEntry>();
  const byId = new Map<number, SubscriberEntry>();
  const counters = { reloads_nas: 0, reloads_plan: 0, reloads_subscriber: 0, load_ms: 0 };
  const wg = config.walled_garden;
  const gardens = new Map<string, Buffer>();

  const compile = (plan: Plan): PlanEntry => ({
    plan,
    rules: rulesOf(plan),
    replies: Object.fromEntries(VENDORS.map((v) => [v, compilePlan(dict, plan, v)])) as Record<NasVendor, Buffer>,
    pool: plan.ipPool ? encodeAttribute(dict, 'Framed-Pool', plan.ipPool) : null,
  });

  const entry = (s: SubscriberWithPassword): SubscriberEntry => ({
    id: s.id,
    username: s.username,
    password: Buffer.from(s.password, 'utf8'),
    planId: s.planId,
    status: s.status,
    expiresAt: s.expiresAt ? s.expiresAt.getTime() : 0,
    framedIp: s.staticIp ? encodeAttribute(dict, 'Framed-IP-Address', s.staticIp) : null,
    staticIp: s.staticIp,
    mac: s.mac,
    simultaneousUse: s.simultaneousUse,
    cycleDay: s.cycleDay,
    restriction: mostSevere(s.restrictions),
    nt: undefined,
  });

  const put = (s: SubscriberWithPassword) => {
    const old = byId.get(s.id);
    if (old && old.username !== s.username) byName.delete(old.username);
    const e = entry(s);
    byName.set(e.username, e);
    byId.set(e.id, e);
  };

  const drop = (id: number) => {
    const old = byId.get(id);
    if (!old) return;
    byId.delete(id);
    byName.delete(old.username);
  };

  async function reloadNas() {
    counters.reloads_nas++;
    nas.load(await loadNasWithSecrets(deps.postgres, deps.box));
  }

  async function plansChanged(upserted: number[], deleted: number[]): Promise<void> {
    counters.reloads_plan++;
    for (const id of deleted) plans.delete(id);
    if (upserted.length) for (const p of await loadPlans(deps.postgres, upserted)) plans.set(p.id, compile(p));
    throttled.clear();
  }

  async function subscribersChanged(upserted: number[], deleted: number[]): Promise<void> {
    counters.reloads_subscriber++;
    for (const id of deleted) drop(id);
    // In slices, yielding between them: a bulk import must not hold up the RADIUS packets waiting behind it.
    for (let i = 0; i < upserted.length; i += 500) {
      const ids = upserted.slice(i, i + 500);
      const rows = await loadSubscribersWithPasswords(deps.postgres, deps.box, ids);
      const found = new Set(rows.map((r) => r.id));
      for (const r of rows) put(r);
      for (const id of ids) if (!found.has(id)) drop(id);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  function gardenReply(vendor: NasVendor, profile: string | null): Buffer {
    return Buffer.concat([
      compileWalledGarden(
        dict,
        { rateDown: wg.rate_down, rateUp: wg.rate_up, addressList: profile ?? wg.address_list },
        vendor,
        300,
      ),
      wg.ip_pool ? encodeAttribute(dict, 'Framed-Pool', wg.ip_pool) : Buffer.alloc(0),
    ]);
  }

  return {
    name: 'radius-cache',
    nas,
    dictionary: dict,
    async start() {
      const t0 = performance.now();
      deps.changes.on('nas', reloadNas);
      deps.changes.on('plan', ({ upserted, deleted }) => plansChanged(upserted, deleted));
      deps.changes.on('subscriber', ({ upserted, deleted }) => subscribersChanged(upserted, deleted));
      await reloadNas();
      for (const p of await loadPlans(deps.postgres)) plans.set(p.id, compile(p));
      for (const s of await loadSubscribersWithPasswords(deps.postgres, deps.box)) put(s);
      if (wg.enabled) for (const v of VENDORS) gardens.set(`${v}/`, gardenReply(v, null));
      counters.load_ms = Math.round(performance.now() - t0);
      log.info(
        { nas: nas.size, plans: plans.size, subscribers: byName.size, ms: counters.load_ms },
        'RADIUS cache loaded',
      );
    },
    async stop() {},
    counters: () => ({ ...counters, nas: nas.size, plans: plans.size, subscribers: byName.size }),
    describe: () => `${nas.size} NAS, ${plans.size} plans, ${byName.size} subscribers in memory`,
    subscriber: (username) => byName.get(username),
    subscriberById: (id) => byId.get(id),
    plan: (id) => plans.get(id),
    reloadSubscribers: (ids) => subscribersChanged([...ids], []),
    walledGarden(vendor, profile = null) {
      if (!wg.enabled) return null;
      const key = `${vendor}/${profile ?? ''}`;
      let bytes = gardens.get(key);
      if (!bytes) {
        bytes = gardenReply(vendor, profile);
        gardens.set(key, bytes);
      }
      return bytes;
    },
    throttledReply(planId, vendor, rate) {
      const entry = plans.get(planId);
      if (!entry) return undefined;
      const key = `${planId}/${vendor}/${rate.rateDown}/${rate.rateUp}`;
      let bytes = throttled.get(key);
      if (!bytes) {
        bytes = compilePlan(dict, { ...entry.plan, ...rate, burstDown: null, burstUp: null }, vendor);
        throttled.set(key, bytes);
      }
      return bytes;
    },
    interimInterval(subscriberId) {
      const sub = byId.get(subscriberId);
      return (sub && plans.get(sub.planId)?.plan.interimInterval) || 300;
    },
    nasName: (id) => nas.byId(id)?.name ?? '',
    ntHashesOf(e) {
      e.nt ??= ntHashes(e.password.toString('utf8'));
      return e.nt;
    },
  };
}
