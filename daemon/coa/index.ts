/**
 * CoA and Disconnect as operations for the rest of wispd (FUP, the panel, the CLI through the control socket):
 * disconnect a session, change a live session's rate, put a subscriber's sessions where its restriction says. Each request goes
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
import type { Restriction } from '../model/restriction.ts';
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

export type CoaAction =
  | 'disconnect'
  | 'rate'
  | 'suspend'
  | 'resume'
  | 'restrict'
  | 'unrestrict'
  | 'fup-throttle'
  | 'fup-block'
  | 'fup-restore';

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
  changeRate(
    session: Session,
    rate: RateProfile & { addressList?: string },
    ctx: CoaContext,
    action?: CoaAction,
  ): Promise<CoaResult>;
  /**
   * Puts every live session of a username where its restriction now says (model/restriction.ts): the plan's rate
   * when none, a throttled rate, the walled garden, or a Disconnect for a reject (and for a walled garden when it is
   * off). `previous` is where the sessions were: a MikroTik session leaves a walled-garden address list only by
   * logging in again, so it is disconnected.
   */
  enforce(
    username: string,
    restriction: Restriction | null,
    previous: Restriction | null,
    ctx: CoaContext,
    action: CoaAction,
  ): Promise<CoaResult[]>;
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

    async enforce(username, restriction, previous, ctx, action) {
      const sub = deps.cache.subscriber(username);
      const plan = sub && deps.cache.plan(sub.planId)?.plan;
      const wg = radius.walled_garden;
      return Promise.all(
        deps.sessions.forUser(username).map((s) => {
          const listed =
            previous?.effect === 'walled_garden' && wg.address_list !== '' && nasOf(s).vendor === 'mikrotik';
          if (!restriction)
            return plan && !listed ? ops.changeRate(s, plan, ctx, action) : ops.disconnect(s, ctx, action);
          if (restriction.effect === 'throttle')
            return listed ? ops.disconnect(s, ctx, action) : ops.changeRate(s, restriction, ctx, action);
          if (restriction.effect === 'walled_garden' && wg.enabled) {
            const addressList = restriction.profile ?? wg.address_list;
            return ops.changeRate(s, { rateDown: wg.rate_down, rateUp: wg.rate_up, addressList }, ctx, action);
          }
          return ops.disconnect(s, ctx, action);
        }),
      );
    },
  };
  return ops;
}
