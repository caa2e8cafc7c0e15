/**
 * The core's commands for plugins (`ctx.core`): customers and subscribers created and changed, a plan changed with
 * the live sessions following by CoA, top-ups, disconnects, and the restriction stack. Each goes through the same
 * model functions as the CLI and the panel, leaves an audit row naming its actor (`plugin:<name>`), tells the RADIUS
 * cache at once, and publishes its event (daemon/events/catalogue.ts).
 */
import { randomInt } from 'node:crypto';
import type { Coa, CoaContext, CoaResult } from '../coa/index.ts';
import { appendAudit, audited, type Transactional } from '../model/audit.ts';
import { addCustomer, type Customer, type CustomerInput, getCustomer, updateCustomer } from '../model/customer.ts';
import type { RestrictionInput } from '../model/restriction.ts';
import {
  addSubscriber,
  getSubscriber,
  type Subscriber,
  type SubscriberChange,
  type SubscriberInput,
  updateSubscriber,
} from '../model/subscriber.ts';
import type { Fup } from '../policy/fup/index.ts';
import type { RestrictionChange, Restrictions } from '../policy/restrictions/index.ts';
import type { RadiusCache } from '../radius/cache/index.ts';
import type { Sessions } from '../radius/sessions/index.ts';
import type { SecretBox } from '../security/secret-box.ts';
import type { Bus } from '../store/bus/index.ts';

export type NewSubscriber = Omit<SubscriberInput, 'username' | 'password'> & {
  /** Generated (`<prefix><8 characters>`) when not given. */
  username?: string;
  usernamePrefix?: string;
  /** Generated when not given: 16 characters without look-alikes. */
  password?: string;
};

export interface CoreCommands {
  createCustomer(input: CustomerInput): Promise<Customer>;
  updateCustomer(id: number, change: Partial<CustomerInput>): Promise<Customer>;
  /** The RADIUS credentials are sealed at rest; the password is returned here once, to be handed to the customer. */
  createSubscriber(input: NewSubscriber): Promise<{ subscriber: Subscriber; password: string }>;
  updateSubscriber(username: string, change: SubscriberChange): Promise<Subscriber>;
  /** The new plan's rate reaches the live sessions by CoA at once, unless a restriction governs them. */
  changePlan(username: string, plan: string): Promise<{ subscriber: Subscriber; coa: CoaResult[] }>;
  /** Data added to the FUP quota of the period (a throttle it ends is lifted by CoA). */
  topup(username: string, bytes: number, opts?: { expiresAt?: Date; bonus?: boolean }): Promise<unknown>;
  disconnect(username: string, reason?: string): Promise<CoaResult[]>;
  restrict(username: string, input: RestrictionInput): Promise<RestrictionChange>;
  /** Lifts this reason only; the others stay. */
  unrestrict(username: string, reason: string, note?: string): Promise<RestrictionChange>;
}

export interface CoreCommandsDeps {
  postgres: Transactional;
  box: () => SecretBox;
  cache: Pick<RadiusCache, 'reloadSubscribers'>;
  sessions: Pick<Sessions, 'forUser'>;
  coa: Pick<Coa, 'enforce' | 'disconnect'>;
  restrictions: Pick<Restrictions, 'restrict' | 'unrestrict' | 'of'>;
  fup: Pick<Fup, 'topup'>;
  bus: Pick<Bus, 'publish'>;
}

const USERNAME = 'abcdefghjkmnpqrstuvwxyz23456789';
const PASSWORD = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789';
const pick = (alphabet: string, n: number) =>
  Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join('');

/** The commands as one actor runs them (`plugin:<name>`, a staff email, `cli:<user>`). */
export function createCoreCommands(deps: CoreCommandsDeps): (actor: string) => CoreCommands {
  return (name) => {
    const actor = { staffId: null, name };
    const ctx = (reason?: string): CoaContext => ({ actor: name, ...(reason ? { reason } : {}) });
    const audit = (resource: string, action: string, recordId: string | number, after: unknown) =>
      appendAudit(deps.postgres, actor, { resource, action, recordId, after });
    const subscriberEvent = (subject: string, s: Subscriber, extra: object = {}) =>
      deps.bus.publish(subject, {
        subscriber_id: s.id,
        username: s.username,
        plan: s.plan,
        status: s.status,
        actor: name,
        ...extra,
      });
    const customerEvent = (subject: string, c: Customer) =>
      deps.bus.publish(subject, { customer_id: c.id, name: c.name, email: c.email, actor: name });

    const commands: CoreCommands = {
      async createCustomer(input) {
        const c = await audited(deps.postgres, actor, { resource: 'customer', action: 'new' }, async (tx) => {
          const created = await addCustomer(tx, input);
          return { result: created, recordId: created.id, before: null, after: created };
        });
        customerEvent('customer.created', c);
        return c;
      },

      async updateCustomer(id, change) {
        const c = await audited(deps.postgres, actor, { resource: 'customer', action: 'edit' }, async (tx) => {
          const before = await getCustomer(tx, id);
          const after = await updateCustomer(tx, id, change);
          return { result: after, recordId: id, before, after };
        });
        customerEvent('customer.updated', c);
        return c;
      },

      async createSubscriber(input) {
        const { username, usernamePrefix, password, ...rest } = input;
        const secret = password ?? pick(PASSWORD, 16);
        const s = await audited(deps.postgres, actor, { resource: 'subscriber', action: 'new' }, async (tx) => {
          const created = await addSubscriber(tx, deps.box(), {
            ...rest,
            username: username ?? `${usernamePrefix ?? ''}${pick(USERNAME, 8)}`,
            password: secret,
          });
          return { result: created, recordId: created.id, before: null, after: created };
        });
        await deps.cache.reloadSubscribers([s.id]);
        subscriberEvent('subscriber.created', s, { customer_id: rest.customerId ?? null });
        return { subscriber: s, password: secret };
      },

      async updateSubscriber(username, change) {
        if (change.plan !== undefined) {
          const { plan, ...others } = change;
          if (Object.keys(others).length) await commands.updateSubscriber(username, others);
          return (await commands.changePlan(username, plan)).subscriber;
        }
        const s = await audited(deps.postgres, actor, { resource: 'subscriber', action: 'edit' }, async (tx) => {
          const before = await getSubscriber(tx, username);
          const after = await updateSubscriber(tx, deps.box(), username, change);
          return { result: after, recordId: after.id, before, after };
        });
        await deps.cache.reloadSubscribers([s.id]);
        subscriberEvent('subscriber.updated', s);
        return s;
      },

      async changePlan(username, plan) {
        const { s, before } = await audited(
          deps.postgres,
          actor,
          { resource: 'subscriber', action: 'edit' },
          async (tx) => {
            const was = await getSubscriber(tx, username);
            const after = await updateSubscriber(tx, deps.box(), username, { plan });
            return { result: { s: after, before: was }, recordId: after.id, before: was, after };
          },
        );
        await deps.cache.reloadSubscribers([s.id]);
        // A restriction in force governs the rate: the plan's applies when it is lifted.
        const { effective } = await deps.restrictions.of(username);
        const coa =
          before.planId === s.planId || effective
            ? []
            : await deps.coa.enforce(username, null, null, ctx(`plan ${before.plan} → ${s.plan}`), 'rate');
        subscriberEvent('subscriber.plan_changed', s, { previous_plan: before.plan });
        return { subscriber: s, coa };
      },

      async topup(username, bytes, opts = {}) {
        if (!(Number.isSafeInteger(bytes) && bytes > 0))
          throw new RangeError('topup: bytes must be a positive integer');
        const s = await getSubscriber(deps.postgres, username);
        const usage = await deps.fup.topup(s.id, bytes, {
          kind: opts.bonus ? 'bonus' : 'topup',
          actor: name,
          ...(opts.expiresAt ? { expiresAt: opts.expiresAt } : {}),
        });
        await audit('fup', 'topup', s.id, { username, bytes, bonus: opts.bonus ?? false });
        return usage;
      },

      async disconnect(username, reason) {
        const s = await getSubscriber(deps.postgres, username);
        const results = await Promise.all(
          deps.sessions.forUser(username).map((x) => deps.coa.disconnect(x, ctx(reason))),
        );
        await audit('session', 'disconnect', s.id, { username, reason: reason ?? null, sessions: results.length });
        return results;
      },

      async restrict(username, input) {
        const change = await deps.restrictions.restrict(username, input, ctx());
        await audit('subscriber', 'restrict', username, { asked: input, effective: change.effective });
        return change;
      },

      async unrestrict(username, reason, note) {
        const change = await deps.restrictions.unrestrict(username, reason, ctx(note));
        await audit('subscriber', 'unrestrict', username, { reason, note: note ?? null, effective: change.effective });
        return change;
      },
    };
    return commands;
  };
}
