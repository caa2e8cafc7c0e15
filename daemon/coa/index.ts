/**
 * CoA and Disconnect as operations for the rest of wispd (FUP, the panel, the CLI through the control socket):
 * disconnect a session or all of a subscriber's, change a live session's rate, suspend and resume. Each request goes
 * to the NAS that holds the session, as its vendor takes them (vendors.ts), falls back to a Disconnect where the
 * vendor table says a NAK should, and is written to the ledger (ClickHouse `coa_ledger`, the session's last outcome
 * in PostgreSQL).
 */
import type { CoaConfig, RadiusConfig } from '../../config/schema.ts';
import { formatRate } from '../../config/units.ts';
import { tsvMillis, tsvString } from '../../contracts/tsv.ts';
import type { Component } from '../lib/component.ts';
import { WispdError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { updateSubscriber } from '../model/subscriber.ts';
import type { NasEntry, RadiusCache } from '../radius/cache/index.ts';
import { type RateProfile, rateAttributes } from '../radius/cache/reply-attributes.ts';
import { encodeAttribute } from '../radius/codec/index.ts';
import type { Session, Sessions } from '../radius/sessions/index.ts';
import type { SecretBox } from '../security/secret-box.ts';
import { Batcher, type BatcherOptions } from '../store/clickhouse/batcher.ts';
import type { ClickhouseStore } from '../store/clickhouse/index.ts';
import type { PostgresStore } from '../store/postgres/index.ts';
import { CoaClient, type CoaKind, type CoaOutcome } from './client.ts';
import { COA_VENDORS, type SessionKey } from './vendors.ts';

export type CoaAction = 'disconnect' | 'rate' | 'suspend' | 'resume' | 'fup-throttle' | 'fup-block' | 'fup-restore';

/** Who or what asked, and why: written to the ledger with each request. */
export interface CoaContext {
  actor: string;
  reason?: string;
}

export interface CoaResult {
  nas: string;
  username: string;
  acctSessionId: string;
  action: CoaAction;
  kind: CoaKind;
  outcome: CoaOutcome['result'];
  errorCause?: string;
  attempts: number;
  latencyMs: number;
  /** The Disconnect sent because the NAS refused the CoA (its vendor entry says so). */
  fallback?: CoaResult;
}

export interface Coa extends Component {
  disconnect(session: Session, ctx: CoaContext, action?: CoaAction): Promise<CoaResult>;
  /** Every live session of a username. */
  disconnectSubscriber(username: string, ctx: CoaContext, action?: CoaAction): Promise<CoaResult[]>;
  /** Every live session of a username to another rate. */
  changeSubscriberRate(username: string, rate: RateProfile, ctx: CoaContext, action?: CoaAction): Promise<CoaResult[]>;
  /** Every live session of a username back to its plan's rate (a Disconnect when the plan is gone). */
  restoreSubscriberRate(username: string, ctx: CoaContext, action?: CoaAction): Promise<CoaResult[]>;
  changeRate(
    session: Session,
    rate: RateProfile & { addressList?: string },
    ctx: CoaContext,
    action?: CoaAction,
  ): Promise<CoaResult>;
  /** Marks the subscriber suspended and moves its sessions to the walled garden, or disconnects them. */
  suspend(username: string, ctx: CoaContext): Promise<CoaResult[]>;
  /** Marks the subscriber active and gives its sessions the plan's rate back (by CoA, or a Disconnect). */
  resume(username: string, ctx: CoaContext): Promise<CoaResult[]>;
}

export interface CoaDeps {
  log: Logger;
  cache: RadiusCache;
  sessions: Sessions;
  clickhouse: ClickhouseStore;
  postgres: PostgresStore;
  box: () => SecretBox;
  instance: () => string;
  /** How ledger rows are batched (clickhouse.log_*). */
  batching: BatcherOptions;
}

/** The columns of ClickHouse `coa_ledger`, in the order its rows are written. */
export const LEDGER_COLUMNS = [
  'ts',
  'instance',
  'nas',
  'nas_address',
  'kind',
  'action',
  'actor',
  'reason',
  'username',
  'acct_session_id',
  'framed_ip',
  'attributes',
  'attempts',
  'outcome',
  'error_cause',
  'latency_ms',
  'fallback_of',
];

export function createCoa(config: CoaConfig, radius: RadiusConfig, deps: CoaDeps): Coa {
  const log = deps.log.child({ component: 'coa' });
  const dict = deps.cache.dictionary;
  const client = new CoaClient({
    address: config.address,
    timeoutMs: config.timeout,
    retries: config.retries,
    deadlineMs: config.deadline,
  });
  const ledger = new Batcher(deps.clickhouse, 'coa_ledger', LEDGER_COLUMNS, deps.batching, log);
  const errorCauseName = (n: number) => dict.byName('Error-Cause')?.names.get(n) ?? String(n);

  function nasOf(session: Session): NasEntry {
    const nas = deps.cache.nas.byId(session.nasId);
    if (!nas)
      throw new WispdError(
        'WISPD_NOT_FOUND',
        `the NAS of session ${session.acctSessionId} is no longer configured`,
        {},
      );
    return nas;
  }

  function identify(session: Session, keys: readonly SessionKey[]): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const k of keys) {
      if (k === 'User-Name' && session.username) out.push([k, session.username]);
      else if (k === 'Acct-Session-Id') out.push([k, session.acctSessionId]);
      else if (k === 'Framed-IP-Address' && session.framedIp !== '0.0.0.0') out.push([k, session.framedIp]);
      else if (k === 'NAS-IP-Address' && session.nasAddress.includes('.')) out.push([k, session.nasAddress]);
    }
    return out;
  }

  async function send(
    session: Session,
    kind: CoaKind,
    pairs: Array<[string, string | number, number?]>,
    action: CoaAction,
    ctx: CoaContext,
    fallbackOf = '',
  ): Promise<CoaResult> {
    const nas = nasOf(session);
    const attrs = pairs.map(([name, value, tag]) => encodeAttribute(dict, name, value, { tag }));
    const outcome = await client.send(
      { nasId: nas.id, address: session.nasAddress, port: nas.coaPort, secret: nas.secret },
      kind,
      attrs,
    );
    const result: CoaResult = {
      nas: nas.name,
      username: session.username,
      acctSessionId: session.acctSessionId,
      action,
      kind,
      outcome: outcome.result,
      attempts: outcome.attempts,
      latencyMs: Math.round(outcome.latencyMs * 100) / 100,
      ...(outcome.errorCause === undefined ? {} : { errorCause: errorCauseName(outcome.errorCause) }),
    };
    const described = pairs.map(([n, v]) => `${n}=${v}`).join(', ');
    ledger.push(
      `${tsvMillis(Date.now())}\t${deps.instance()}\t${nas.tsvName}\t${session.nasAddress}\t${kind}\t${action}\t${tsvString(ctx.actor)}\t${tsvString(ctx.reason ?? '')}\t${tsvString(session.username)}\t${tsvString(session.acctSessionId)}\t${session.framedIp}\t${tsvString(described)}\t${outcome.attempts}\t${outcome.result}\t${result.errorCause ?? ''}\t${outcome.latencyMs.toFixed(2)}\t${fallbackOf}\n`,
    );
    session.lastCoa = {
      at: Date.now(),
      action: `${action} (${kind})`,
      outcome: result.errorCause ? `${outcome.result}: ${result.errorCause}` : outcome.result,
    };
    deps.sessions.touch(session);
    if (outcome.result !== 'ack') {
      log.info(
        {
          nas: nas.name,
          username: session.username,
          session: session.acctSessionId,
          action,
          kind,
          outcome: result.outcome,
          error_cause: result.errorCause,
        },
        'CoA not acknowledged',
      );
    }
    return result;
  }

  const ops: Coa = {
    name: 'coa',
    async start() {
      await client.start();
      ledger.start();
    },
    async stop() {
      await client.stop();
      await ledger.stop();
    },
    counters: () => ({
      ...client.counters,
      ledger_rows: ledger.counters.rows,
      ledger_dropped: ledger.counters.dropped,
    }),
    describe: () => `CoA/Disconnect from ${config.address}, ${config.retries} retries within ${config.deadline} ms`,

    disconnect(session, ctx, action = 'disconnect') {
      const vendor = COA_VENDORS[nasOf(session).vendor];
      return send(session, 'disconnect', identify(session, vendor.identify), action, ctx);
    },

    async disconnectSubscriber(username, ctx, action = 'disconnect') {
      return Promise.all(deps.sessions.forUser(username).map((s) => ops.disconnect(s, ctx, action)));
    },

    async changeSubscriberRate(username, rate, ctx, action = 'rate') {
      return Promise.all(deps.sessions.forUser(username).map((s) => ops.changeRate(s, rate, ctx, action)));
    },

    async restoreSubscriberRate(username, ctx, action = 'rate') {
      const sub = deps.cache.subscriber(username);
      const plan = sub && deps.cache.plan(sub.planId)?.plan;
      return Promise.all(
        deps.sessions
          .forUser(username)
          .map((s) => (plan ? ops.changeRate(s, plan, ctx, action) : ops.disconnect(s, ctx, action))),
      );
    },

    async changeRate(session, rate, ctx, action = 'rate') {
      const nas = nasOf(session);
      const vendor = COA_VENDORS[nas.vendor];
      if (vendor.rateChange === 'disconnect')
        return ops.disconnect(session, { ...ctx, reason: ctx.reason ?? `rate ${formatRate(rate.rateDown)}` }, action);
      const pairs: Array<[string, string | number, number?]> = [
        ...identify(session, vendor.identify),
        ...(rateAttributes(nas.vendor, rate) as Array<[string, string | number, number?]>),
      ];
      if (rate.addressList && nas.vendor === 'mikrotik') pairs.push(['Mikrotik-Address-List', rate.addressList]);
      const result = await send(session, 'coa', pairs, action, ctx);
      if (result.outcome === 'nak' && vendor.onNak === 'disconnect') {
        result.fallback = await send(session, 'disconnect', identify(session, vendor.identify), action, ctx, 'coa');
      }
      return result;
    },

    async suspend(username, ctx) {
      await updateSubscriber(deps.postgres, deps.box(), username, { status: 'suspended' });
      const wg = radius.walled_garden;
      return Promise.all(
        deps.sessions
          .forUser(username)
          .map((s) =>
            wg.enabled
              ? ops.changeRate(
                  s,
                  { rateDown: wg.rate_down, rateUp: wg.rate_up, addressList: wg.address_list },
                  ctx,
                  'suspend',
                )
              : ops.disconnect(s, ctx, 'suspend'),
          ),
      );
    },

    async resume(username, ctx) {
      const sub = await updateSubscriber(deps.postgres, deps.box(), username, { status: 'active' });
      const plan = deps.cache.plan(sub.planId)?.plan;
      const wg = radius.walled_garden;
      return Promise.all(
        deps.sessions.forUser(username).map((s) => {
          // A MikroTik session put in the walled-garden address list leaves it only by logging in again.
          const listed = wg.enabled && wg.address_list !== '' && nasOf(s).vendor === 'mikrotik';
          return plan && !listed ? ops.changeRate(s, plan, ctx, 'resume') : ops.disconnect(s, ctx, 'resume');
        }),
      );
    },
  };
  return ops;
}
