/**
 * The AdminJS instance and its routes. Imports AdminJS, so it is loaded only by admin/panel/index.ts, dynamically,
 * once admin/panel/adminjs-env.ts has set what AdminJS reads when it is imported.
 */
import AdminJSFastify from '@adminjs/fastify';
import { Adapter, type DatabaseMetadata, type PostgresConnectionConfig } from '@adminjs/sql';
import AdminJS from 'adminjs';
import type { FastifyInstance } from 'fastify';
import type { PoolConfig } from 'pg';
import type { Transactional } from '../../daemon/model/audit.ts';
import type { SecretBox } from '../../daemon/security/secret-box.ts';
import type { ClickhouseStore } from '../../daemon/store/clickhouse/index.ts';
import type { Operations } from './actions/core.ts';
import type { AdminjsEnv } from './adminjs-env.ts';
import { bundleComponents, panelComponents } from './components.ts';
import { escapeEmbeddedState } from './embedded-state.ts';
import { NAVIGATION_ICONS, panelResources } from './resources/index.ts';
import { ROOT } from './session.ts';

export interface MountDeps {
  db: Transactional;
  /** How to reach the same PostgreSQL (AdminJS's SQL adapter opens a knex pool of its own). */
  connection: PoolConfig;
  box: () => SecretBox;
  clickhouse?: Pick<ClickhouseStore, 'query'>;
  operations?: Operations;
  warn(fields: Record<string, unknown>, message: string): void;
  /** The plugins' pages (the panel is built once: a plugin active at the start has its pages). */
  pluginPages?: Array<{ id: string; title: string }>;
}

export interface MountedPanel {
  /** Closes the SQL adapter's knex pool (it never closes by itself, and would keep the process alive). */
  close(): Promise<void>;
}

/** pg's pool options → the connection knex needs (@adminjs/sql requires the database name). */
function knexConnection(options: PoolConfig): PostgresConnectionConfig & { database: string } {
  const { host, port, user, password, connectionString, ssl } = options;
  const database =
    options.database || (connectionString ? new URL(connectionString).pathname.slice(1) : '') || 'postgres';
  return {
    ...(host ? { host } : {}),
    ...(port ? { port } : {}),
    ...(user ? { user } : {}),
    ...(password ? { password } : {}),
    ...(connectionString ? { connectionString } : {}),
    // @adminjs/sql types `ssl` with its own ConnectionOptions where pg's (node:tls) are meant: passed as pg has it.
    ...(ssl ? { ssl: ssl as never } : {}),
    // Refused when the panel's own pool is exhausted rather than waited for without end.
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000,
    application_name: 'wispd-panel',
    database,
  };
}

// AdminJS's pages load Roboto from Google: staff browsers would tell Google when they open the panel, and panels on
// networks without Internet access wait for it. The system font is used instead.
const GOOGLE_FONTS = /<link rel="stylesheet" href="https:\/\/fonts\.googleapis\.com\/[^"]*" type="text\/css">/;

/**
 * Where AdminJS's layout falls short: a page title and its action buttons share one row with the buttons unshrinkable,
 * so a long row of actions ran over the title; here the title keeps its width and the buttons wrap below it. A table
 * cell may break inside any word, so columns shrank to a few letters ("accep t") beside empty space: words break only
 * where a column cannot hold them. And the sidebar's groups start closed.
 */
const PANEL_HEAD = `<style>
  .adminjs_ActionHeader > :last-child { flex-wrap: wrap; column-gap: 16px; }
  .adminjs_ActionHeader > :last-child > :first-child { flex: 1 0 auto; }
  .adminjs_ActionHeader > :last-child > :last-child { flex: 0 1 auto; min-width: 0; max-width: 100%; }
  .adminjs_ActionHeader > :last-child > :last-child > * { display: flex; flex-wrap: wrap; row-gap: 8px; }
  table td.adminjs_TableCell { word-break: normal; overflow-wrap: break-word; }
</style>
<script>
  // The sidebar's groups open on a first visit (AdminJS keeps them closed until clicked); one staff close stays closed.
  try {
    const key = 'sidebarElements';
    const open = JSON.parse(localStorage.getItem(key) || '{}');
    for (const group of ${JSON.stringify(Object.keys(NAVIGATION_ICONS))}) if (!(group in open)) open[group] = true;
    localStorage.setItem(key, JSON.stringify(open));
  } catch {}
</script>`;

const LABELS = {
  customer: 'Customers',
  subscriber: 'Subscribers',
  plan: 'Plans',
  nas: 'NAS',
  radius_session: 'Live sessions',
  device: 'Devices',
  site: 'Sites',
  fup_counter: 'FUP counters',
  fup_topup: 'Top-ups',
  radius_auth_log: 'Auth log',
  coa_ledger: 'CoA ledger',
  staff: 'Staff',
  audit_log: 'Audit log',
  Subscribers: 'Subscribers',
  Network: 'Network',
  Records: 'Records',
  Administration: 'Administration',
};

/** Column names as staff say them (the rest read well as AdminJS writes them: "Started At"). */
const PROPERTIES = {
  plan_id: 'Plan',
  customer_id: 'Customer',
  price_cents: 'Price per month (cents)',
  sla_target: 'SLA target (% available)',
  nas_id: 'NAS',
  subscriber_id: 'Subscriber',
  site_id: 'Site',
  parent_id: 'Parent device',
  static_ip: 'Static IP',
  mac: 'MAC binding',
  coa_port: 'CoA port',
  require_message_authenticator: 'Require Message-Authenticator',
  rate_down: 'Rate down (bit/s)',
  rate_up: 'Rate up (bit/s)',
  burst_down: 'Burst down (bit/s)',
  burst_up: 'Burst up (bit/s)',
  session_timeout: 'Session-Timeout (s)',
  idle_timeout: 'Idle-Timeout (s)',
  interim_interval: 'Interim interval (s)',
  ip_pool: 'IP pool',
  fup_quota: 'FUP quota (bytes)',
  fup_period: 'FUP period',
  fup_throttle_down: 'FUP throttle down (bit/s)',
  fup_throttle_up: 'FUP throttle up (bit/s)',
  fup_rules: 'FUP rules',
  acct_session_id: 'Acct-Session-Id',
  framed_ip: 'Framed IP',
  calling_station_id: 'Calling-Station-Id',
  nas_port_id: 'NAS-Port-Id',
  nas_address: 'NAS address',
  // RADIUS's side: input is what the subscriber sent.
  input_octets: 'Up',
  output_octets: 'Down',
  session_time: 'Online for',
  at: 'Time',
  last_coa_at: 'Last CoA at',
  last_coa_action: 'Last CoA',
  last_coa_outcome: 'Last CoA outcome',
  interval_s: 'Poll interval (s)',
  metrics_url: 'Metrics URL',
  error_cause: 'Error-Cause',
  latency_ms: 'Latency (ms)',
  ts: 'Time',
  nas: 'NAS',
  nas_ip: 'NAS IP',
  last_login_at: 'Last login',
  fallback_of: 'Fallback of',
  record_id: 'Record',
  staff_id: 'Staff id',
};

const ACTIONS = {
  overview: 'Overview',
  suspend: 'Suspend',
  resume: 'Resume',
  topup: 'Top-up',
  resetFup: 'Reset FUP counter',
  bulkSuspend: 'Suspend',
  bulkResume: 'Resume',
  disconnect: 'Disconnect',
  changeRate: 'Change rate',
};

/** Builds the panel and adds its routes to `app` (an encapsulated context already guarded by session.ts). */
export async function mountPanel(app: FastifyInstance, deps: MountDeps, env: AdminjsEnv): Promise<MountedPanel> {
  const components = panelComponents();
  const db: DatabaseMetadata = await new Adapter('postgresql', knexConnection(deps.connection)).init();
  const knex = db.tables()[0]?.knex;
  try {
    const admin = new AdminJS({
      rootPath: ROOT,
      loginPath: `${ROOT}/login`,
      logoutPath: `${ROOT}/logout`,
      componentLoader: components.loader,
      dashboard: { component: components.dashboard },
      pages: {
        notifications: { component: components.notificationsPage, icon: 'Mail' },
        plugins: { component: components.pluginsPage, icon: 'Package' },
        ...Object.fromEntries(
          (deps.pluginPages ?? []).map((p) => [p.id, { component: components.pluginPage, icon: 'Box' }]),
        ),
      },
      resources: await panelResources(db, {
        db: deps.db,
        box: deps.box,
        clickhouse: deps.clickhouse,
        value: components.value,
        auditDiff: components.auditDiff,
        core: {
          db: deps.db,
          operations: deps.operations,
          actionForm: components.actionForm,
          overview: components.subscriberOverview,
          warn: deps.warn,
        },
      }),
      branding: {
        companyName: 'wispd',
        logo: false,
        withMadeWithLove: false,
        // The sidebar stays open from 1200 px (AdminJS: 1324 px, which hid it behind a menu button on a 1280 px laptop).
        // AdminJS's ThemeOverride type leaves breakpoints out; combineStyles takes them.
        theme: { breakpoints: ['577px', '769px', '1024px', '1200px'] } as never,
      },
      locale: {
        language: 'en',
        translations: {
          en: {
            labels: LABELS,
            actions: ACTIONS,
            properties: PROPERTIES,
            pages: {
              notifications: 'Notifications',
              plugins: 'Plugins',
              ...Object.fromEntries((deps.pluginPages ?? []).map((p) => [p.id, p.title])),
            },
            // A list page is titled by what it lists, not "List".
            resources: Object.fromEntries(
              Object.entries(LABELS).map(([id, label]) => [
                id,
                // A subscriber's show page is its overview (actions/core.ts).
                { actions: { list: label, ...(id === 'subscriber' ? { show: 'Overview' } : {}) } },
              ]),
            ),
          },
        },
      },
      settings: { defaultPerPage: 25 },
    });
    if (!env.prebuilt) await bundleComponents(admin);
    await AdminJSFastify.buildRouter(admin, app);
    app.addHook('onSend', async (_request, reply, payload) =>
      typeof payload === 'string' && String(reply.getHeader('content-type')).startsWith('text/html')
        ? escapeEmbeddedState(payload.replace(GOOGLE_FONTS, PANEL_HEAD))
        : payload,
    );
  } catch (err) {
    await knex?.destroy();
    throw err;
  }
  return { close: async () => knex?.destroy() };
}
