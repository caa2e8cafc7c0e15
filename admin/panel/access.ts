/**
 * Who may do what in the panel, from admin/permissions.ts alone: each AdminJS resource is one of the table's
 * resources, each AdminJS action one of its actions. An action the map does not name is refused to everyone.
 */
import type { StaffRole } from '../../daemon/model/staff.ts';
import { type Action, can, type Resource } from '../permissions.ts';

/** The logged-in staff member as AdminJS sees them (`currentAdmin`); it reaches the browser, so nothing secret. */
export interface PanelAdmin {
  id: number;
  email: string;
  role: StaffRole;
  /** Shown under the email in the top bar. */
  title: string;
  /** The client address, for the audit log. */
  address: string;
}

/** AdminJS resource id (the table, or the ledger) → the permission table's resource. */
export const PANEL_RESOURCES = {
  customer: 'customer',
  subscriber: 'subscriber',
  plan: 'plan',
  nas: 'nas',
  radius_session: 'session',
  device: 'device',
  site: 'site',
  fup_counter: 'fup',
  fup_topup: 'fup',
  coa_ledger: 'coa_ledger',
  radius_auth_log: 'auth_log',
  staff: 'staff',
  audit_log: 'audit_log',
} as const satisfies Record<string, Resource>;

export type PanelResource = keyof typeof PANEL_RESOURCES;

/**
 * AdminJS action name → the permission it needs. Core actions that act on another resource's data name it (a top-up
 * is started from a subscriber but is an `fup` grant).
 */
const ACTIONS: Record<string, Action | { resource: Resource; action: Action }> = {
  list: 'list',
  search: 'list',
  show: 'show',
  overview: 'show',
  new: 'new',
  edit: 'edit',
  delete: 'delete',
  bulkDelete: 'delete',
  suspend: 'suspend',
  resume: 'resume',
  bulkSuspend: 'bulk-suspend',
  bulkResume: 'bulk-resume',
  topup: { resource: 'fup', action: 'topup' },
  resetFup: { resource: 'fup', action: 'reset-fup' },
  disconnect: 'disconnect',
  changeRate: 'change-rate',
};

export function permissionOf(resourceId: string, actionName: string): { resource: Resource; action: Action } | null {
  const resource = (PANEL_RESOURCES as Record<string, Resource>)[resourceId];
  const mapped = Object.hasOwn(ACTIONS, actionName) ? ACTIONS[actionName] : undefined;
  if (!resource || !mapped) return null;
  return typeof mapped === 'string' ? { resource, action: mapped } : mapped;
}

/** The staff member of an AdminJS context (set by admin/panel/session.ts), if any. */
export const panelAdmin = (context: { currentAdmin?: object } | undefined): PanelAdmin | undefined =>
  context?.currentAdmin as PanelAdmin | undefined;

/** Whether this staff member may run this action here (false without a session, or for an unmapped action). */
export function mayRun(admin: PanelAdmin | undefined, resourceId: string, actionName: string): boolean {
  const p = permissionOf(resourceId, actionName);
  return !!p && !!admin && can(admin.role, p.resource, p.action);
}

/** AdminJS's `isAccessible` for an action of a resource, from the table. */
export const accessibleFor =
  (resourceId: string, actionName: string) =>
  (context: { currentAdmin?: object }): boolean =>
    mayRun(panelAdmin(context), resourceId, actionName);
