/**
 * What each staff role may do, as data: resource × action. The server checks every route against this table
 * (admin/auth.ts, `guard`); the panel only hides what the table already refuses.
 */
import type { StaffRole } from '../daemon/model/staff.ts';

const RECORD = ['list', 'show', 'new', 'edit', 'delete'] as const;
const READ = ['list', 'show'] as const;

/** Every resource and the actions it has: record actions, and the actions that call the core. */
export const RESOURCE_ACTIONS = {
  customer: RECORD,
  subscriber: [...RECORD, 'suspend', 'resume', 'bulk-suspend', 'bulk-resume'],
  plan: RECORD,
  nas: RECORD,
  session: [...READ, 'disconnect', 'change-rate'],
  site: RECORD,
  device: RECORD,
  collector: [...READ, 'new', 'delete'],
  fup: [...READ, 'topup', 'reset-fup'],
  coa_ledger: READ,
  auth_log: READ,
  audit_log: READ,
  staff: ['list', 'show', 'new', 'edit'],
  api_token: ['list', 'new', 'delete'],
  plugin: ['list', 'retry'],
  notify: ['list', 'edit', 'test'],
} as const;

export type Resource = keyof typeof RESOURCE_ACTIONS;
export type Action = (typeof RESOURCE_ACTIONS)[Resource][number];
export type Grants = { readonly [R in Resource]?: readonly (typeof RESOURCE_ACTIONS)[R][number][] };

const SUSPEND = ['suspend', 'resume', 'bulk-suspend', 'bulk-resume'] as const;

/** Each role in a line, as staff choosing one read it (the table below is what the server enforces). */
export const ROLE_SUMMARIES: { readonly [R in StaffRole]: string } = {
  admin: 'everything, staff accounts and the audit log included',
  noc: 'the network (NAS, sites, devices, collectors), live sessions, suspending; plans and customers read-only',
  billing: 'customers, plans and prices, subscribers, suspending, top-ups and FUP resets',
  support: 'look everything up, edit a customer or a subscriber, disconnect a session',
  readonly: 'look, except at staff and the audit log',
};

/**
 * The table, as ROLE_SUMMARIES says. support has what a call needs: a subscriber's password or MAC binding changed,
 * a session disconnected so it logs in again.
 */
export const PERMISSIONS: { readonly [R in StaffRole]: Grants } = {
  admin: RESOURCE_ACTIONS,
  noc: {
    customer: READ,
    subscriber: [...READ, ...SUSPEND],
    plan: READ,
    nas: RECORD,
    session: [...READ, 'disconnect', 'change-rate'],
    site: RECORD,
    device: RECORD,
    collector: [...READ, 'new', 'delete'],
    fup: [...READ, 'reset-fup'],
    coa_ledger: READ,
    auth_log: READ,
    notify: ['list'],
  },
  billing: {
    customer: ['list', 'show', 'new', 'edit'],
    subscriber: ['list', 'show', 'new', 'edit', ...SUSPEND],
    plan: ['list', 'show', 'new', 'edit'],
    session: READ,
    fup: [...READ, 'topup', 'reset-fup'],
    coa_ledger: READ,
    auth_log: READ,
    notify: ['list', 'test'],
  },
  support: {
    customer: ['list', 'show', 'edit'],
    subscriber: ['list', 'show', 'edit'],
    plan: READ,
    nas: READ,
    session: [...READ, 'disconnect'],
    site: READ,
    device: READ,
    fup: READ,
    coa_ledger: READ,
    auth_log: READ,
    notify: ['list'],
  },
  readonly: {
    customer: READ,
    subscriber: READ,
    plan: READ,
    nas: READ,
    session: READ,
    site: READ,
    device: READ,
    collector: READ,
    fup: READ,
    coa_ledger: READ,
    auth_log: READ,
  },
};

/** Each grant names an action its resource has; a typo fails at load, not when someone is refused. */
function compile(): ReadonlySet<string> {
  const allowed = new Set<string>();
  for (const [role, grants] of Object.entries(PERMISSIONS)) {
    for (const [resource, actions] of Object.entries(grants) as Array<[string, readonly string[]]>) {
      const known: readonly string[] | undefined = RESOURCE_ACTIONS[resource as Resource];
      for (const action of actions) {
        if (!known?.includes(action)) throw new Error(`permissions: ${role} is granted unknown ${resource}:${action}`);
        allowed.add(`${role}:${resource}:${action}`);
      }
    }
  }
  return allowed;
}

const allowed = compile();

export function can(role: StaffRole, resource: Resource, action: Action): boolean {
  return allowed.has(`${role}:${resource}:${action}`);
}

/** A role's grants, for the panel to show only what the server will accept. */
export function grantsOf(role: StaffRole): Grants {
  return PERMISSIONS[role];
}
