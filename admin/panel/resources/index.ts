/**
 * The panel's resources: which tables, which columns staff see and set (and how each is checked), the core actions,
 * and every action's `isAccessible` from admin/permissions.ts. There is no customer table yet (the CRM plugin will
 * add customers), so there is no customer resource.
 */

import type { DatabaseMetadata } from '@adminjs/sql';
import type { Action, ActionResponse, After, Before, PropertyOptions, ResourceWithOptions } from 'adminjs';
import { localTimeZone } from '../../../config/units.ts';
import { DEVICE_ROLES } from '../../../contracts/telemetry/index.ts';
import type { Transactional } from '../../../daemon/model/audit.ts';
import { invalid } from '../../../daemon/model/db.ts';
import { FUP_PERIODS } from '../../../daemon/model/fup-rules.ts';
import { NAS_VENDORS } from '../../../daemon/model/nas.ts';
import { validatePlan } from '../../../daemon/model/plan.ts';
import { STAFF_ROLES } from '../../../daemon/model/staff.ts';
import { SUBSCRIBER_STATUSES, validatePassword, validateUsername } from '../../../daemon/model/subscriber.ts';
import type { SecretBox } from '../../../daemon/security/secret-box.ts';
import type { ClickhouseStore } from '../../../daemon/store/clickhouse/index.ts';
import { ROLE_SUMMARIES } from '../../permissions.ts';
import { accessibleFor, type PanelResource } from '../access.ts';
import { type CoreActionDeps, sessionActions, subscriberActions } from '../actions/core.ts';
import { AUTH_LOG, ClickhouseLogResource, COA_LEDGER } from './clickhouse-log.ts';
import {
  boolean,
  bytes,
  cidr,
  datetime,
  decimal,
  integer,
  ipv4,
  mac,
  oneOf,
  rate,
  reference,
  text,
} from './columns.ts';
import { FupCounterResource } from './fup-counter.ts';
import { StaffResource } from './staff.ts';
import { TableResource, type TableSpec } from './table.ts';

export interface ResourceDeps {
  db: Transactional;
  box: () => SecretBox;
  /** The CoA ledger's store; without it the ledger is not in the panel. */
  clickhouse?: Pick<ClickhouseStore, 'query'>;
  core: CoreActionDeps;
  /** The id of the component that formats a value (components/value.tsx); values are raw without it. */
  value?: string;
  /** The zone times are shown in (the daemon's local one by default). */
  timeZone?: string;
  /** The id of the component showing an audit row's change (components/audit-diff.tsx). */
  auditDiff?: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const NAME_REASON = 'use letters, digits, dot, dash and underscore (at most 63)';
/** How staff write the names the records store in lower case. */
const LABEL_OF: Record<string, string> = {
  mikrotik: 'MikroTik',
  cisco: 'Cisco',
  juniper: 'Juniper',
  generic: 'Generic (WISPr)',
  ap: 'AP',
  cpe: 'CPE',
  epc: 'EPC',
};
const values = (list: readonly string[]) =>
  list.map((v) => ({ value: v, label: LABEL_OF[v] ?? v.charAt(0).toUpperCase() + v.slice(1) }));

/** What a resource shows and lets staff do, beyond its table. */
interface Entry {
  id: PanelResource;
  navigation: keyof typeof NAVIGATION_ICONS;
  listProperties: string[];
  filterProperties?: string[];
  properties?: Record<string, PropertyOptions>;
  sort?: { sortBy: string; direction: 'asc' | 'desc' };
  titleProperty?: string;
  actions?: Record<string, Partial<Action<ActionResponse>>>;
  /** Columns shown formatted (components/value.tsx): bytes and rates as typed, times in the daemon's zone. */
  units?: Record<string, Unit>;
}

type Unit = 'bytes' | 'rate' | 'time' | 'duration' | 'ms' | 'mac';

interface TableEntry extends Entry {
  spec: TableSpec;
}

/** Units typed with a letter (20M, 100G): such a column is a text field in forms, with how to write it. */
const TYPED: Partial<Record<Unit, string>> = {
  rate: 'As the subscriber sees it: 20M, 512k, 1.5G (bit/s)',
  bytes: 'A size in binary units: 100G, 500M',
};

const typedColumns = (e: TableEntry): string[] =>
  Object.entries(e.units ?? {})
    .filter(([column, unit]) => TYPED[unit] && e.spec.editable?.[column])
    .map(([column]) => column);

const plan = (row: Record<string, unknown>) => {
  const n = (k: string) => (row[k] === null || row[k] === undefined ? null : Number(row[k]));
  validatePlan({
    name: String(row.name ?? ''),
    rateDown: n('rate_down') ?? 0,
    rateUp: n('rate_up') ?? 0,
    burstDown: n('burst_down'),
    burstUp: n('burst_up'),
    sessionTimeout: n('session_timeout'),
    idleTimeout: n('idle_timeout'),
    interimInterval: n('interim_interval') ?? undefined,
    ipPool: (row.ip_pool as string | null | undefined) ?? null,
    simultaneousUse: n('simultaneous_use') ?? undefined,
    fupQuota: n('fup_quota'),
    fupPeriod: (row.fup_period as string | null | undefined) ?? null,
    fupThrottleDown: n('fup_throttle_down'),
    fupThrottleUp: n('fup_throttle_up'),
  });
};

function tables(core: CoreActionDeps, auditDiff: string | undefined): TableEntry[] {
  return [
    {
      id: 'customer',
      navigation: 'Subscribers',
      spec: {
        table: 'customer',
        audit: 'customer',
        editable: {
          name: text('name', { max: 200 }),
          email: text('email', { nullable: true, max: 254, pattern: /^[^\s@]+@[^\s@]+$/, reason: 'an email address' }),
          phone: text('phone', { nullable: true, max: 40 }),
          address: text('address', { blank: '', max: 500 }),
          notes: text('notes', { blank: '', max: 5000 }),
        },
      },
      listProperties: ['id', 'name', 'email', 'phone', 'address'],
      filterProperties: ['name', 'email', 'phone'],
      titleProperty: 'name',
      sort: { sortBy: 'name', direction: 'asc' },
    },
    {
      id: 'subscriber',
      units: { expires_at: 'time', created_at: 'time', updated_at: 'time', mac: 'mac' },
      navigation: 'Subscribers',
      spec: {
        table: 'subscriber',
        audit: 'subscriber',
        // The status changes only through Suspend and Resume, which also act on the live sessions (and are granted
        // apart from editing).
        editable: {
          username: text('username', { max: 253, check: validateUsername }),
          plan_id: reference('plan_id'),
          static_ip: ipv4('static_ip', { nullable: true }),
          mac: mac('mac'),
          expires_at: datetime('expires_at', { nullable: true }),
          simultaneous_use: integer('simultaneous_use', { nullable: true, max: 1000 }),
          cycle_day: integer('cycle_day', { min: 1, max: 28 }),
          customer_id: reference('customer_id', { nullable: true }),
        },
        sealed: { field: 'password', column: 'password_enc', check: validatePassword },
      },
      listProperties: ['id', 'username', 'plan_id', 'status', 'static_ip', 'mac', 'expires_at'],
      filterProperties: ['username', 'plan_id', 'status', 'static_ip', 'mac'],
      properties: { status: { availableValues: values(SUBSCRIBER_STATUSES) } },
      titleProperty: 'username',
      sort: { sortBy: 'username', direction: 'asc' },
      actions: subscriberActions(core),
    },
    {
      id: 'plan',
      units: {
        rate_down: 'rate',
        rate_up: 'rate',
        burst_down: 'rate',
        burst_up: 'rate',
        fup_quota: 'bytes',
        fup_throttle_down: 'rate',
        fup_throttle_up: 'rate',
        created_at: 'time',
        updated_at: 'time',
      },
      navigation: 'Subscribers',
      spec: {
        table: 'plan',
        audit: 'plan',
        editable: {
          name: text('name', { max: 63 }),
          rate_down: rate('rate_down'),
          rate_up: rate('rate_up'),
          burst_down: rate('burst_down', { nullable: true }),
          burst_up: rate('burst_up', { nullable: true }),
          session_timeout: integer('session_timeout', { nullable: true }),
          idle_timeout: integer('idle_timeout', { nullable: true }),
          interim_interval: integer('interim_interval', { min: 60 }),
          ip_pool: text('ip_pool', { nullable: true, max: 63 }),
          simultaneous_use: integer('simultaneous_use', { max: 1000 }),
          fup_quota: bytes('fup_quota', { nullable: true }),
          fup_period: oneOf('fup_period', FUP_PERIODS, { nullable: true }),
          fup_throttle_down: rate('fup_throttle_down', { nullable: true }),
          fup_throttle_up: rate('fup_throttle_up', { nullable: true }),
          price_cents: integer('price_cents', { nullable: true, min: 0 }),
          currency: text('currency', { pattern: /^[A-Z]{3}$/, reason: 'an ISO 4217 code such as USD or EUR' }),
          sla_target: decimal('sla_target', { nullable: true, min: 0.001, max: 100 }),
        },
        checkRecord: plan,
      },
      listProperties: ['id', 'name', 'rate_down', 'rate_up', 'fup_quota', 'fup_period', 'price_cents', 'sla_target'],
      properties: {
        fup_period: { availableValues: values(FUP_PERIODS) },
        fup_quota: { description: 'Bytes per period, both directions: 100G, 500M' },
      },
      titleProperty: 'name',
      sort: { sortBy: 'name', direction: 'asc' },
    },
    {
      id: 'nas',
      navigation: 'Network',
      spec: {
        table: 'nas',
        audit: 'nas',
        editable: {
          name: text('name', { pattern: NAME, reason: NAME_REASON }),
          address: cidr('address'),
          vendor: oneOf('vendor', NAS_VENDORS),
          coa_port: integer('coa_port', { max: 65535 }),
          require_message_authenticator: boolean('require_message_authenticator'),
        },
        sealed: {
          field: 'secret',
          column: 'secret_enc',
          check(secret) {
            if (secret.length < 6 || secret.length > 128)
              throw invalid('secret', '********', 'a shared secret has 6 to 128 characters (16 or more is better)');
          },
        },
      },
      listProperties: ['id', 'name', 'address', 'vendor', 'coa_port', 'require_message_authenticator'],
      properties: { vendor: { availableValues: values(NAS_VENDORS) } },
      titleProperty: 'name',
      sort: { sortBy: 'name', direction: 'asc' },
    },
    {
      id: 'radius_session',
      units: {
        started_at: 'time',
        calling_station_id: 'mac',
        updated_at: 'time',
        last_coa_at: 'time',
        input_octets: 'bytes',
        output_octets: 'bytes',
        session_time: 'duration',
      },
      navigation: 'Network',
      spec: { table: 'radius_session', audit: 'session' },
      listProperties: [
        'username',
        'nas_id',
        'framed_ip',
        'calling_station_id',
        'started_at',
        'session_time',
        'output_octets',
        'input_octets',
        'last_coa_outcome',
      ],
      filterProperties: ['username', 'subscriber_id', 'nas_id', 'framed_ip', 'calling_station_id', 'started_at'],
      titleProperty: 'username',
      sort: { sortBy: 'started_at', direction: 'desc' },
      actions: sessionActions(core),
    },
    {
      id: 'device',
      units: { status_since: 'time', last_poll_at: 'time', created_at: 'time', updated_at: 'time', mac: 'mac' },
      navigation: 'Network',
      spec: {
        table: 'device',
        audit: 'device',
        // SNMP credentials (sealed) and the SNMP profile they go with are set with `wispd device`.
        hidden: ['snmp_enc'],
        editable: {
          name: text('name', { pattern: NAME, reason: NAME_REASON }),
          address: text('address', { blank: '', max: 255 }),
          port: integer('port', { max: 65535 }),
          role: oneOf('role', DEVICE_ROLES),
          metrics_url: text('metrics_url', {
            nullable: true,
            pattern: /^https?:\/\/\S+$/,
            reason: 'an http:// or https:// URL',
          }),
          interval_s: integer('interval_s', { min: 5, max: 86_400 }),
          site_id: reference('site_id', { nullable: true }),
          parent_id: reference('parent_id', { nullable: true }),
          subscriber_id: reference('subscriber_id', { nullable: true }),
          serial: text('serial', { nullable: true, max: 128 }),
          mac: mac('mac'),
          firmware: text('firmware', { nullable: true, max: 128 }),
        },
      },
      listProperties: ['id', 'name', 'role', 'address', 'site_id', 'status', 'status_since', 'last_poll_at'],
      filterProperties: ['name', 'role', 'address', 'site_id', 'status', 'serial', 'mac'],
      properties: { role: { availableValues: values(DEVICE_ROLES) } },
      titleProperty: 'name',
      sort: { sortBy: 'name', direction: 'asc' },
    },
    {
      id: 'site',
      navigation: 'Network',
      spec: {
        table: 'site',
        audit: 'site',
        editable: {
          name: text('name', { pattern: NAME, reason: NAME_REASON }),
          description: text('description', { blank: '', max: 1000 }),
          remote: boolean('remote'),
        },
      },
      listProperties: ['id', 'name', 'description', 'remote'],
      titleProperty: 'name',
      sort: { sortBy: 'name', direction: 'asc' },
    },
    {
      id: 'fup_topup',
      units: { bytes: 'bytes', expires_at: 'time', created_at: 'time' },
      navigation: 'Subscribers',
      spec: { table: 'fup_topup', audit: 'fup' },
      listProperties: ['id', 'subscriber_id', 'kind', 'bytes', 'expires_at', 'created_at', 'created_by'],
      sort: { sortBy: 'created_at', direction: 'desc' },
    },
    {
      id: 'audit_log',
      units: { at: 'time' },
      navigation: 'Records',
      spec: { table: 'audit_log', audit: 'audit_log' },
      listProperties: ['id', 'at', 'actor', 'action', 'resource', 'record_id', 'address'],
      filterProperties: ['actor', 'action', 'resource', 'record_id', 'at'],
      // One table of the change in place of the two JSON columns.
      properties: {
        before: { isVisible: { list: false, show: false, filter: false, edit: false } },
        ...(auditDiff
          ? {
              after: {
                components: { show: auditDiff },
                isVisible: { list: false, show: true, filter: false, edit: false },
              },
            }
          : {}),
      },
      sort: { sortBy: 'at', direction: 'desc' },
    },
  ];
}

const STANDARD = ['list', 'search', 'show', 'new', 'edit', 'delete', 'bulkDelete'] as const;
const WRITES: ReadonlySet<string> = new Set(['new', 'edit', 'delete', 'bulkDelete']);

/** An empty field of a form is no value (AdminJS would make an empty number field 0). */
const blanksToNull =
  (columns: readonly string[]): Before =>
  async (request) => {
    if (request.method !== 'post' || !request.payload) return request;
    const payload = { ...request.payload };
    for (const c of columns) if (payload[c] === '') payload[c] = null;
    return { ...request, payload };
  };

interface WriteResponse {
  redirectUrl?: string;
  notice?: { message: string; type: string };
  record?: { params?: Record<string, unknown>; baseError?: { message: string } | null; errors?: object };
}

/**
 * AdminJS answers a write with the record merged with what was posted: a write-only field is taken out again. And it
 * judges a write by its field errors alone, so a refusal that names no field (a duplicate, the last admin) would read
 * "successfully created" and leave the form: it is told as the error it is, and the form stays.
 */
const afterWrite =
  (writeOnly: string | undefined): After<ActionResponse> =>
  async (response) => {
    const r = response as WriteResponse;
    if (writeOnly && r.record?.params) delete r.record.params[writeOnly];
    const refused = r.record?.baseError;
    if (refused && r.notice?.type === 'success') {
      r.notice = { message: refused.message, type: 'error' };
      delete r.redirectUrl;
    }
    return response;
  };

/** What a resource's new and edit forms hold: the columns staff set, and a write-only field (a secret). */
interface Form {
  editable: readonly string[];
  writeOnly?: string;
}

const formOf = (spec: TableSpec): Form => ({
  editable: Object.keys(spec.editable ?? {}),
  writeOnly: spec.sealed?.field,
});

function standardActions(id: PanelResource, form: Form | undefined) {
  const editable = form?.editable ?? [];
  const actions: Record<string, Partial<Action<ActionResponse>>> = {};
  for (const name of STANDARD) {
    // A resource with nothing to set is read-only whatever the grants say.
    const readOnly = WRITES.has(name) && editable.length === 0;
    actions[name] = { isAccessible: readOnly ? false : accessibleFor(id, name) };
    if (!readOnly && (name === 'new' || name === 'edit')) {
      actions[name] = {
        ...actions[name],
        before: blanksToNull(editable),
        after: afterWrite(form?.writeOnly),
      };
    }
  }
  return actions;
}

/** The sidebar's groups, in order, and their icons. */
export const NAVIGATION_ICONS = {
  Subscribers: 'Users',
  Network: 'Server',
  Records: 'FileText',
  Administration: 'Shield',
} as const;

/** The formatting component on each column with a unit, for lists and show pages (forms keep the stored value). */
function unitProperties(e: Entry, deps: Pick<ResourceDeps, 'value' | 'timeZone'>): Record<string, PropertyOptions> {
  if (!deps.value || !e.units) return {};
  const timeZone = deps.timeZone ?? localTimeZone();
  return Object.fromEntries(
    Object.entries(e.units).map(([column, unit]) => [
      column,
      {
        ...(TYPED[unit] ? { description: TYPED[unit] } : {}),
        ...e.properties?.[column],
        components: { list: deps.value!, show: deps.value! },
        custom: { unit, timeZone },
      },
    ]),
  );
}

function optionsOf(
  e: Entry,
  deps: Pick<ResourceDeps, 'value' | 'timeZone'>,
  form?: Form,
): ResourceWithOptions['options'] {
  const writeOnly = form?.writeOnly;
  return {
    id: e.id,
    navigation: { name: e.navigation, icon: NAVIGATION_ICONS[e.navigation] },
    listProperties: e.listProperties,
    ...(e.filterProperties ? { filterProperties: e.filterProperties } : {}),
    ...(form?.editable.length ? { editProperties: [...form.editable, ...(writeOnly ? [writeOnly] : [])] } : {}),
    properties: {
      ...e.properties,
      ...unitProperties(e, deps),
      ...(writeOnly
        ? {
            [writeOnly]: {
              type: 'password',
              isVisible: { list: false, show: false, filter: false, edit: true },
              description: 'Write-only: it is never shown. Leave it empty to keep the current one.',
            },
          }
        : {}),
    },
    ...(e.sort ? { sort: e.sort } : {}),
    ...(e.titleProperty ? { titleProperty: e.titleProperty } : {}),
    actions: { ...standardActions(e.id, form), ...e.actions },
  };
}

/** The resources, over the tables @adminjs/sql found (`meta`) and the ledger when ClickHouse is given. */
export async function panelResources(meta: DatabaseMetadata, deps: ResourceDeps): Promise<ResourceWithOptions[]> {
  const entries = tables(deps.core, deps.auditDiff);
  const referable = new Set<string>([...entries.map((e) => e.spec.table), 'fup_counter']);
  const { rows } = await deps.db.query<{ table: string; column: string }>(
    `SELECT table_name AS table, column_name AS column FROM information_schema.columns
      WHERE table_schema = current_schema() AND column_default IS NOT NULL`,
  );
  const defaulted = (table: string) => new Set(rows.filter((r) => r.table === table).map((r) => r.column));
  const out: ResourceWithOptions[] = entries.map((e) => ({
    resource: new TableResource(
      meta.table(e.spec.table),
      { ...e.spec, typedAsText: typedColumns(e) },
      deps,
      referable,
      defaulted(e.spec.table),
    ),
    options: optionsOf(e, deps, formOf(e.spec)),
  }));
  out.push({
    resource: new FupCounterResource(deps.db),
    options: optionsOf(
      {
        id: 'fup_counter',
        navigation: 'Subscribers',
        listProperties: ['subscriber_id', 'period_start', 'bytes', 'level', 'updated_at'],
        filterProperties: ['subscriber_id', 'period_start'],
        units: { period_start: 'time', bytes: 'bytes', updated_at: 'time' },
        sort: { sortBy: 'updated_at', direction: 'desc' },
      },
      deps,
    ),
  });
  out.push({
    resource: new StaffResource(deps.db),
    options: optionsOf(
      {
        id: 'staff',
        navigation: 'Administration',
        listProperties: ['email', 'role', 'disabled', 'last_login_at', 'created_at'],
        filterProperties: ['email', 'role', 'disabled'],
        properties: {
          role: {
            availableValues: STAFF_ROLES.map((r) => ({ value: r, label: r })),
            description: STAFF_ROLES.map((r) => `${r}: ${ROLE_SUMMARIES[r]}`).join('. '),
          },
          email: { description: 'Their login; it cannot be changed later (add the new one, disable this one)' },
          disabled: { description: 'A disabled account cannot log in; its sessions end at once' },
        },
        units: { last_login_at: 'time', created_at: 'time', updated_at: 'time' },
        titleProperty: 'email',
        sort: { sortBy: 'email', direction: 'asc' },
      },
      deps,
      { editable: ['email', 'role', 'disabled'], writeOnly: 'password' },
    ),
  });
  if (deps.clickhouse) {
    out.push(
      {
        resource: new ClickhouseLogResource(deps.clickhouse, AUTH_LOG),
        options: optionsOf(
          {
            id: 'radius_auth_log',
            navigation: 'Records',
            listProperties: ['ts', 'username', 'result', 'reason', 'nas', 'calling_station_id', 'method', 'plan'],
            filterProperties: ['username', 'result', 'reason', 'nas', 'nas_ip', 'calling_station_id', 'ts'],
            units: { ts: 'time', calling_station_id: 'mac' },
            sort: { sortBy: 'ts', direction: 'desc' },
            titleProperty: 'username',
          },
          deps,
        ),
      },
      {
        resource: new ClickhouseLogResource(deps.clickhouse, COA_LEDGER),
        options: optionsOf(
          {
            id: 'coa_ledger',
            navigation: 'Records',
            listProperties: [
              'ts',
              'username',
              'nas',
              'kind',
              'action',
              'outcome',
              'error_cause',
              'latency_ms',
              'actor',
            ],
            filterProperties: ['username', 'nas', 'kind', 'action', 'outcome', 'actor', 'ts'],
            units: { ts: 'time', latency_ms: 'ms' },
            sort: { sortBy: 'ts', direction: 'desc' },
            titleProperty: 'username',
          },
          deps,
        ),
      },
    );
  }
  return out;
}
