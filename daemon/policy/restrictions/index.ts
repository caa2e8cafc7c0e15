/**
 * The restriction stack as the core's command (model/restriction.ts for the rules): restrict a subscriber for a
 * reason, lift one reason, and follow fair usage as the FUP engine changes it. After each change the restriction in
 * force is worked out again — the stored reasons read from PostgreSQL, fair usage from the engine — and only when
 * it changed are the live sessions told (coa/ `enforce`: CoA or Disconnect, in the ledger with the reason). The
 * RADIUS cache reloads the subscriber by change_log, so the next Access-Request meets the same restriction.
 */
import { formatRate } from '../../../config/units.ts';
import type { Coa, CoaAction, CoaContext, CoaResult } from '../../coa/index.ts';
import type { Component } from '../../lib/component.ts';
import type { Logger } from '../../lib/log.ts';
import type { Transactional } from '../../model/audit.ts';
import {
  deleteRestriction,
  describeEffect,
  moreSevere,
  mostSevere,
  putRestriction,
  type Restriction,
  type RestrictionInput,
  type StoredRestriction,
  sameEffect,
  storedRestrictions,
  subscriberIdOf,
  validReason,
  validRestriction,
} from '../../model/restriction.ts';
import type { RadiusCache } from '../../radius/cache/index.ts';
import { fupRestriction, type Verdict } from '../../radius/policy.ts';
import type { Bus } from '../../store/bus/index.ts';
import type { FupAction, FupActions } from '../fup/engine.ts';

export interface RestrictionChange {
  username: string;
  /** The reason's restriction before and after the command (null: not set). */
  before: StoredRestriction | null;
  after: StoredRestriction | null;
  /** What the subscriber meets now, every reason weighed. */
  effective: Restriction | null;
  /** What the live sessions were sent (none when the restriction in force did not change). */
  coa: CoaResult[];
}

export interface Restrictions extends Component {
  /** Every reason in force, fair usage included, and the one that wins. */
  of(username: string): Promise<{ restrictions: Restriction[]; effective: Restriction | null }>;
  restrict(username: string, input: RestrictionInput, ctx: CoaContext): Promise<RestrictionChange>;
  unrestrict(username: string, reason: string, ctx: CoaContext): Promise<RestrictionChange>;
  /** The FUP engine's side: its restriction of a subscriber changed. */
  readonly fup: FupActions;
}

export interface RestrictionsDeps {
  log: Logger;
  postgres: Transactional;
  coa: Pick<Coa, 'enforce'>;
  /** The RADIUS cache, told at once of a stored restriction's change. */
  cache: Pick<RadiusCache, 'reloadSubscribers'>;
  /** Fair usage now (the FUP engine, created after this component: looked up when needed). */
  fupVerdict(subscriberId: number): Verdict;
  bus: Pick<Bus, 'publish'>;
}

/** The CoA ledger's action for a change of a reason (fair usage names its own). */
const actionOf = (reason: string, lifted: boolean): CoaAction =>
  reason === 'manual' ? (lifted ? 'resume' : 'suspend') : lifted ? 'unrestrict' : 'restrict';

export function createRestrictions(deps: RestrictionsDeps): Restrictions {
  const log = deps.log.child({ component: 'restrictions' });
  const counters = { restricted: 0, lifted: 0, fup_changes: 0, unchanged: 0, enforce_errors: 0 };

  const fupNow = (id: number) => fupRestriction(deps.fupVerdict(id));

  async function enforce(
    username: string,
    before: Restriction | null,
    after: Restriction | null,
    ctx: CoaContext,
    action: CoaAction,
  ): Promise<CoaResult[]> {
    if (sameEffect(before, after)) {
      counters.unchanged++;
      return [];
    }
    return deps.coa.enforce(username, after, before, ctx, action);
  }

  function publish(subject: string, username: string, subscriberId: number, r: Restriction | null, extra: object) {
    deps.bus.publish(subject, {
      subscriber_id: subscriberId,
      username,
      effective: r ? { reason: r.reason, effect: describeEffect(r, formatRate) } : null,
      ...extra,
    });
  }

  return {
    name: 'restrictions',
    async start() {},
    async stop() {},
    counters: () => ({ ...counters }),
    describe: () => 'restrictions: fup, dunning, manual, pending_install',

    async of(username) {
      const id = await subscriberIdOf(deps.postgres, username);
      const fup = fupNow(id);
      const restrictions: Restriction[] = [...(fup ? [fup] : []), ...(await storedRestrictions(deps.postgres, id))];
      return { restrictions, effective: mostSevere(restrictions) };
    },

    async restrict(username, input, ctx) {
      const wanted = validRestriction(input);
      const id = await subscriberIdOf(deps.postgres, username);
      const { before, stored } = await deps.postgres.transaction(async (tx) => {
        const previous = await putRestriction(tx, id, wanted, ctx.actor);
        return { before: previous, stored: await storedRestrictions(tx, id) };
      });
      counters.restricted++;
      await deps.cache.reloadSubscribers([id]);
      const fup = fupNow(id);
      const was = moreSevere(mostSevere(stored.filter((r) => r.reason !== wanted.reason).concat(before ?? [])), fup);
      const effective = moreSevere(mostSevere(stored), fup);
      const after = stored.find((r) => r.reason === wanted.reason) ?? null;
      const note = ctx.reason ?? wanted.note;
      const coa = await enforce(
        username,
        was,
        effective,
        { actor: ctx.actor, reason: `${wanted.reason}${note ? `: ${note}` : ''}` },
        actionOf(wanted.reason, false),
      );
      publish('subscriber.restricted', username, id, effective, {
        reason: wanted.reason,
        effect: describeEffect(wanted, formatRate),
        note,
        actor: ctx.actor,
      });
      return { username, before, after, effective, coa };
    },

    async unrestrict(username, reason, ctx) {
      const which = validReason(reason);
      const id = await subscriberIdOf(deps.postgres, username);
      const { before, stored } = await deps.postgres.transaction(async (tx) => {
        const lifted = await deleteRestriction(tx, id, which);
        return { before: lifted, stored: await storedRestrictions(tx, id) };
      });
      const fup = fupNow(id);
      const effective = moreSevere(mostSevere(stored), fup);
      let coa: CoaResult[] = [];
      if (before) {
        counters.lifted++;
        await deps.cache.reloadSubscribers([id]);
        const was = moreSevere(mostSevere([...stored, before]), fup);
        coa = await enforce(
          username,
          was,
          effective,
          { actor: ctx.actor, reason: `${which} lifted${ctx.reason ? `: ${ctx.reason}` : ''}` },
          actionOf(which, true),
        );
        publish('subscriber.unrestricted', username, id, effective, { reason: which, actor: ctx.actor });
      }
      return { username, before, after: null, effective, coa };
    },

    fup: {
      async changed(username, change: { before: Verdict; after: Verdict; action: FupAction; reason: string }) {
        counters.fup_changes++;
        try {
          const id = await subscriberIdOf(deps.postgres, username);
          const stored = mostSevere(await storedRestrictions(deps.postgres, id));
          return await enforce(
            username,
            moreSevere(stored, fupRestriction(change.before)),
            moreSevere(stored, fupRestriction(change.after)),
            { actor: 'fup', reason: change.reason },
            change.action,
          );
        } catch (err) {
          counters.enforce_errors++;
          log.warn({ err, username, action: change.action }, 'fair-usage change not enforced');
          throw err;
        }
      },
    },
  };
}
