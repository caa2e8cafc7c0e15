/**
 * The panel's actions that call the core, through the operations the CLI uses (`control.invoke`): on a live session
 * Disconnect and Change rate; on a subscriber Suspend, Resume, Top-up and Reset FUP; Suspend and Resume in bulk from
 * the list. Each is a form (components/action-form.tsx): a GET shows it, only a POST acts. The answer's notice says
 * what the core did (each CoA with its outcome: ack, nak and its Error-Cause, timeout), and each action leaves an
 * audit row with who, what, before and after.
 */
import type { Action, ActionContext, ActionRequest, ActionResponse, After, BaseRecord } from 'adminjs';
import { parseRate } from '../../../config/units.ts';
import type { CoaResult } from '../../../daemon/coa/index.ts';
import type { ControlServer } from '../../../daemon/control/server.ts';
import { isWispdError } from '../../../daemon/lib/errors.ts';
import { type Actor, appendAudit } from '../../../daemon/model/audit.ts';
import { invalid, type Queryable } from '../../../daemon/model/db.ts';
import type { Usage } from '../../../daemon/policy/fup/index.ts';
import type { Action as Permission, Resource } from '../../permissions.ts';
import { accessibleFor, type PanelAdmin, type PanelResource, panelAdmin } from '../access.ts';
import { actorOf } from '../resources/table.ts';
import { describeCoa, describeUsage, type Notice, outcomes, rateText } from './outcome.ts';

export type Operations = Pick<ControlServer, 'invoke'>;

export interface CoreActionDeps {
  db: Queryable;
  /** Absent when the panel runs without the daemon (then each action says so). */
  operations?: Operations;
  /** The id of the form component. */
  actionForm: string;
  /** The id of the subscriber page component (components/subscriber-overview.tsx). */
  overview?: string;
  /** For failures that are not the operator's (sampled: never one line per request). */
  warn(fields: Record<string, unknown>, message: string): void;
}

interface FormField {
  name: string;
  label: string;
  placeholder?: string;
  options?: string[];
}

/** What one record's run did: the notice, and the audit row it leaves. */
interface Done {
  notice: Notice;
  audit: { resource: Resource; action: Permission; before: unknown; after: unknown };
}

interface CoreSpec {
  resourceId: PanelResource;
  name: string;
  icon: string;
  variant?: 'danger' | 'primary';
  intro: string;
  submit: string;
  fields?: FormField[];
  run(ops: Operations, record: BaseRecord, data: Record<string, string>, admin: PanelAdmin): Promise<Done>;
}

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : v === undefined || v === null ? '' : String(v));

/** The message of a failure: the core's own words for its coded errors, a pointer to the log for the rest. */
function failure(err: unknown, deps: CoreActionDeps, name: string): Notice {
  if (isWispdError(err)) return { message: err.message, type: 'error' };
  deps.warn({ action: name, err: (err as Error).message }, 'panel action failed');
  return { message: `${name} failed; the daemon log has the cause.`, type: 'error' };
}

async function runOne(
  spec: CoreSpec,
  deps: CoreActionDeps,
  record: BaseRecord,
  data: Record<string, string>,
  ctx: ActionContext,
) {
  const admin = panelAdmin(ctx)!;
  const actor: Actor = actorOf(ctx);
  const done = await spec.run(deps.operations!, record, data, admin);
  await appendAudit(deps.db, actor, { ...done.audit, recordId: record.id() });
  return done.notice;
}

/** The record as it is now (a suspend changed its status), or as it was when it is gone (a disconnected session). */
async function fresh(ctx: ActionContext, record: BaseRecord): Promise<BaseRecord> {
  return (await ctx.resource.findOne(String(record.id()), ctx)) ?? record;
}

function recordAction(spec: CoreSpec, deps: CoreActionDeps): Partial<Action<ActionResponse>> {
  return {
    actionType: 'record',
    icon: spec.icon,
    variant: spec.variant,
    component: deps.actionForm,
    custom: { intro: spec.intro, submit: spec.submit, fields: spec.fields ?? [] },
    isAccessible: accessibleFor(spec.resourceId, spec.name),
    handler: async (request: ActionRequest, _response: unknown, ctx: ActionContext) => {
      const record = ctx.record!;
      const answer = async (notice?: Notice) => ({
        record: (await fresh(ctx, record)).toJSON(ctx.currentAdmin),
        ...(notice ? { notice } : {}),
      });
      if (request.method !== 'post') return { record: record.toJSON(ctx.currentAdmin) };
      if (!deps.operations)
        return answer({ message: 'This panel runs without the daemon: it cannot act on the network.', type: 'error' });
      try {
        return await answer(await runOne(spec, deps, record, formData(request), ctx));
      } catch (err) {
        return answer(failure(err, deps, spec.submit));
      }
    },
  };
}

/** The bulk form of a record action: each selected record in turn, one audit row each, one notice for all. */
function bulkAction(spec: CoreSpec, name: string, deps: CoreActionDeps): Partial<Action<ActionResponse>> {
  return {
    actionType: 'bulk',
    icon: spec.icon,
    variant: spec.variant,
    component: deps.actionForm,
    custom: { intro: spec.intro, submit: spec.submit, fields: spec.fields ?? [] },
    isAccessible: accessibleFor(spec.resourceId, name),
    handler: async (request: ActionRequest, _response: unknown, ctx: ActionContext) => {
      const records = ctx.records ?? [];
      const answer = async (notice?: Notice) => ({
        records: (await Promise.all(records.map((r) => fresh(ctx, r)))).map((r) => r.toJSON(ctx.currentAdmin)),
        ...(notice ? { notice } : {}),
      });
      if (request.method !== 'post') return answer();
      if (!deps.operations)
        return answer({ message: 'This panel runs without the daemon: it cannot act on the network.', type: 'error' });
      const notices: Notice[] = [];
      for (const record of records) {
        try {
          notices.push(await runOne(spec, deps, record, formData(request), ctx));
        } catch (err) {
          notices.push(failure(err, deps, `${spec.submit} ${record.params.username ?? record.id()}`));
        }
      }
      const failed = notices.filter((n) => n.type === 'error').length;
      return answer({
        message: `${records.length - failed} of ${records.length} succeeded. ${notices.map((n) => n.message).join(' ')}`,
        type: failed ? 'error' : 'success',
      });
    },
  };
}

function formData(request: ActionRequest): Record<string, string> {
  return Object.fromEntries(Object.entries(request.payload ?? {}).map(([k, v]) => [k, text(v)]));
}

const usernameOf = (record: BaseRecord) => String(record.params.username);

/** Suspend and Resume: the `manual` restriction set or lifted, and what it did to the live sessions. */
function restriction(
  name: 'suspend' | 'resume',
  look: { icon: string; variant?: 'danger'; intro: string; submit: string },
  done: string,
): CoreSpec {
  return {
    resourceId: 'subscriber',
    name,
    ...look,
    fields: [{ name: 'reason', label: 'Reason (in the CoA ledger and the audit log)', placeholder: 'unpaid invoice' }],
    async run(ops, record, data, admin) {
      const username = usernameOf(record);
      const reason = data.reason || undefined;
      const results = (await ops.invoke(name, { username, actor: admin.email, reason })) as CoaResult[];
      return {
        notice: describeCoa(`${username} ${done}`, results),
        audit: {
          resource: 'subscriber',
          action: name,
          before: { username, status: record.params.status },
          after: {
            username,
            status: name === 'suspend' ? 'suspended' : 'active',
            restriction: name === 'suspend' ? 'manual' : null,
            coa: outcomes(results),
            ...(reason ? { reason } : {}),
          },
        },
      };
    },
  };
}

const suspend = restriction(
  'suspend',
  { icon: 'Pause', variant: 'danger', intro: 'Suspend the service of', submit: 'Suspend' },
  'suspended',
);

const resume = restriction('resume', { icon: 'Play', intro: 'Resume the service of', submit: 'Resume' }, 'resumed');

const topup: CoreSpec = {
  resourceId: 'subscriber',
  name: 'topup',
  icon: 'PlusCircle',
  intro: 'Add traffic to the fair usage quota of',
  submit: 'Top up',
  fields: [
    { name: 'bytes', label: 'Amount (5G, 500M)', placeholder: '5G' },
    { name: 'kind', label: 'Kind', options: ['topup', 'bonus'] },
  ],
  async run(ops, record, data, admin) {
    const username = usernameOf(record);
    const kind = data.kind === 'bonus' ? 'bonus' : 'topup';
    const usage = (await ops.invoke('topup', { username, bytes: data.bytes, kind, actor: admin.email })) as
      | Usage
      | undefined;
    return {
      notice: describeUsage(`${kind === 'bonus' ? 'Bonus' : 'Top-up'} of ${data.bytes} for ${username} applied`, usage),
      audit: { resource: 'fup', action: 'topup', before: null, after: { username, bytes: data.bytes, kind, usage } },
    };
  },
};

const resetFup: CoreSpec = {
  resourceId: 'subscriber',
  name: 'resetFup',
  icon: 'RotateCcw',
  intro: "Start this period's fair usage counter over for",
  submit: 'Reset FUP counter',
  async run(ops, record) {
    const username = usernameOf(record);
    const before = (await ops.invoke('usage', { username }).catch(() => null)) as Usage | null;
    const usage = (await ops.invoke('fup-reset', { username })) as Usage | undefined;
    return {
      notice: describeUsage(`FUP counter of ${username} reset`, usage),
      audit: { resource: 'fup', action: 'reset-fup', before, after: usage ?? null },
    };
  },
};

const sessionKey = (record: BaseRecord) => ({
  username: String(record.params.username),
  session: String(record.params.acct_session_id),
});

const disconnect: CoreSpec = {
  resourceId: 'radius_session',
  name: 'disconnect',
  icon: 'Power',
  variant: 'danger',
  intro: 'Send a Disconnect-Request to the NAS for the session of',
  submit: 'Disconnect',
  fields: [{ name: 'reason', label: 'Reason (for the CoA ledger)', placeholder: 'support call' }],
  async run(ops, record, data, admin) {
    const key = sessionKey(record);
    const results = (await ops.invoke('disconnect', {
      ...key,
      actor: admin.email,
      ...(data.reason ? { reason: data.reason } : {}),
    })) as CoaResult[];
    return {
      notice: describeCoa(`Disconnect of ${key.username}`, results),
      audit: { resource: 'session', action: 'disconnect', before: key, after: { ...key, coa: outcomes(results) } },
    };
  },
};

const changeRate: CoreSpec = {
  resourceId: 'radius_session',
  name: 'changeRate',
  icon: 'Activity',
  intro: 'Change the rate of the live session of',
  submit: 'Change rate',
  fields: [
    { name: 'rateDown', label: 'Down (towards the subscriber)', placeholder: '10M' },
    { name: 'rateUp', label: 'Up', placeholder: '2M' },
  ],
  async run(ops, record, data, admin) {
    const key = sessionKey(record);
    const rateDown = parseRate(data.rateDown ?? '');
    const rateUp = parseRate(data.rateUp ?? '');
    if (!rateDown) throw invalid('rateDown', data.rateDown, 'a rate such as 10M or 512k');
    if (!rateUp) throw invalid('rateUp', data.rateUp, 'a rate such as 2M or 512k');
    const results = (await ops.invoke('coa', { ...key, rateDown, rateUp, actor: admin.email })) as CoaResult[];
    const rate = rateText({ rateDown, rateUp });
    return {
      notice: describeCoa(`Rate of ${key.username} to ${rate}`, results),
      audit: {
        resource: 'session',
        action: 'change-rate',
        before: key,
        after: { ...key, rate, coa: outcomes(results) },
      },
    };
  },
};

/** The core actions of the subscriber resource (record and bulk). */
const FUP_ACTIONS: ReadonlySet<string> = new Set(['topup', 'resetFup']);

/** The plans with fair usage (as `rulesOf` reads a plan: its rules, or a quota with a period). */
const FUP_PLANS_SQL = `SELECT id FROM plan WHERE fup_rules IS NOT NULL OR (fup_quota IS NOT NULL AND fup_period IS NOT NULL)`;

interface ShownRecord {
  params: Record<string, unknown>;
  recordActions?: Array<{ name: string }>;
}

/**
 * Top-up and Reset FUP are offered only to subscribers whose plan has fair usage: taken out of each record's buttons
 * after the page's records are read (AdminJS's `isVisible` cannot read the plan).
 */
const offerFupOnlyWithFup =
  (db: Queryable): After<ActionResponse> =>
  async (response) => {
    const r = response as { record?: ShownRecord; records?: ShownRecord[] };
    const records = [...(r.record ? [r.record] : []), ...(r.records ?? [])];
    if (records.length === 0) return response;
    const { rows } = await db.query<{ id: number }>(FUP_PLANS_SQL);
    const withFup = new Set(rows.map((row) => Number(row.id)));
    for (const rec of records) {
      if (!rec.recordActions || withFup.has(Number(rec.params.plan_id))) continue;
      rec.recordActions = rec.recordActions.filter((a) => !FUP_ACTIONS.has(a.name));
    }
    return response;
  };

export function subscriberActions(deps: CoreActionDeps): Record<string, Partial<Action<ActionResponse>>> {
  const fupOnly = offerFupOnlyWithFup(deps.db);
  return {
    list: { isAccessible: accessibleFor('subscriber', 'list'), after: fupOnly },
    // The page support reads on a call; it reads its data from /admin/api/views/subscriber/:username.
    ...(deps.overview
      ? {
          // A row of the list opens the record's show page: for a subscriber, this one.
          show: {
            component: deps.overview,
            isAccessible: accessibleFor('subscriber', 'show'),
            after: fupOnly,
          },
          // The same page under its older address; no button of its own beside Show's.
          overview: {
            actionType: 'record' as const,
            isVisible: false,
            icon: 'Activity',
            component: deps.overview,
            showInDrawer: false,
            isAccessible: accessibleFor('subscriber', 'overview'),
            handler: async (_request: unknown, _response: unknown, context: ActionContext) => ({
              record: context.record!.toJSON(context.currentAdmin),
            }),
          },
        }
      : {}),
    suspend: recordAction(suspend, deps),
    resume: recordAction(resume, deps),
    topup: recordAction(topup, deps),
    resetFup: recordAction(resetFup, deps),
    bulkSuspend: bulkAction(suspend, 'bulkSuspend', deps),
    bulkResume: bulkAction(resume, 'bulkResume', deps),
  };
}

/** The core actions of the live session resource. */
export function sessionActions(deps: CoreActionDeps): Record<string, Partial<Action<ActionResponse>>> {
  return { disconnect: recordAction(disconnect, deps), changeRate: recordAction(changeRate, deps) };
}
