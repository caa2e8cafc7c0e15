/**
 * The panel's Fastify app, without a socket (tests drive it with `inject`; admin/index.ts listens). Errors are
 * answered as `{error: code, message}`; nothing is logged per request — failures are counted, and logged sampled.
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { AdminConfig } from '../config/schema.ts';
import { isWispdError } from '../daemon/lib/errors.ts';
import type { Logger } from '../daemon/lib/log.ts';
import { sampledLog } from '../daemon/lib/sampled-log.ts';
import type { Transactional } from '../daemon/model/audit.ts';
import type { PluginHost } from '../daemon/plugins/host.ts';
import { type ApiDeps, registerApi, registerOpenApi } from './api/index.ts';
import { type AuthCounters, actorOf, registerStaffAuth, type StaffAuth } from './auth.ts';
import { type CsrfCounters, registerCsrf } from './csrf.ts';
import type { CountersByComponent } from './metrics.ts';
import { type Operations, type Panel, type PanelDeps, registerPanel } from './panel/index.ts';
import { type PluginRoutesDeps, registerPluginRoutes } from './plugin-routes.ts';
import { registerProbes } from './probes.ts';
import { registerStaffRoutes } from './staff-routes.ts';
import { registerViews, type Views, type ViewsDeps } from './views/index.ts';

export interface AdminDeps {
  log: Logger;
  postgres: Transactional;
  /** True once the daemon's components have all started (for /readyz). */
  ready: () => boolean;
  /** Every component's counters, by component (for /metrics). */
  counters: () => CountersByComponent;
  /** The clock of sessions and login limits; tests move it. */
  now?: () => number;
  /** The core's operations, as the CLI runs them (the daemon's `control.invoke`): the panel's actions call them. */
  operations?: Operations;
  /** The AdminJS panel at /admin (admin/panel/); without it, only the API (route-level tests need no more). */
  panel?: PanelDeps;
  /** What the subscriber page and the dashboard read (admin/views/); without it, those routes are not registered. */
  views?: Pick<ViewsDeps, 'clickhouse' | 'sessions' | 'fup' | 'timeZone'>;
  /** The plugins' routes: `/api/v1/<plugin>/` for staff, `/hooks/<plugin>/` for the outside. */
  plugins?: Pick<PluginHost, 'mount' | 'list' | 'pages'>;
  /** The notification hub, for its pages (log, templates, test). */
  notify?: PluginRoutesDeps['notify'];
  /** What the REST API (admin/api/) writes through and reads live: without it, its writes answer 500. */
  api?: Omit<ApiDeps, 'db'>;
}

export interface AdminApp {
  readonly app: FastifyInstance;
  /** The guard and audited write every route uses. */
  readonly auth: StaffAuth;
  counters(): Readonly<AdminCounters>;
}

export interface AdminCounters extends AuthCounters, CsrfCounters {
  /** Panel requests without a session, and AdminJS calls the role may not make. */
  panel_unauthorized: number;
  panel_forbidden: number;
  requests: number;
  /** Requests that failed for a reason of the server's (answered 500, logged sampled). */
  internal_errors: number;
}

const STATUS_BY_CODE: Record<string, number> = {
  WISPD_INVALID_INPUT: 400,
  WISPD_NOT_FOUND: 404,
  WISPD_ALREADY_EXISTS: 409,
};

/** PostgreSQL refused a value of the request (SQLSTATE class 22, data exception: a NUL, a negative LIMIT, …). */
const pgDataError = (err: unknown) => /^22[0-9A-Z]{3}$/.test(String((err as { code?: unknown }).code ?? ''));

export async function buildAdminApp(config: AdminConfig, deps: AdminDeps): Promise<AdminApp> {
  const log = deps.log.child({ component: 'admin' });
  const warn = sampledLog(log);
  const own = { requests: 0, internal_errors: 0 };
  const app = Fastify({
    logger: false,
    // Only the proxies named: with `true`, any client could pick its own address by sending X-Forwarded-For.
    trustProxy: config.trust_proxy.length > 0 ? [...config.trust_proxy] : false,
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    // A field the schema does not have is refused, not dropped without a word.
    ajv: { customOptions: { removeAdditional: false } },
  });

  app.addHook('onResponse', async () => {
    own.requests++;
  });
  // Before any route: it gathers the API's routes as they are added.
  await registerOpenApi(app);

  // A NUL cannot be in PostgreSQL text: a filter or a search holding one is the request's fault, not a server error.
  app.addHook('onRequest', async (request, reply) => {
    if (/%00|\0/i.test(request.url)) {
      return reply.code(400).send({ error: 'WISPD_INVALID_INPUT', message: 'a NUL byte is not allowed in a request' });
    }
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (pgDataError(err)) {
      return reply.code(400).send({ error: 'WISPD_INVALID_INPUT', message: `invalid value: ${err.message}` });
    }
    if (isWispdError(err) && STATUS_BY_CODE[err.code]) {
      return reply.code(STATUS_BY_CODE[err.code]!).send({ error: err.code, message: err.message });
    }
    if (err.validation) {
      return reply.code(400).send({ error: 'WISPD_INVALID_INPUT', message: err.message });
    }
    if (err.statusCode && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: err.code ?? 'bad request', message: err.message });
    }
    own.internal_errors++;
    warn('error', { err: err.message, code: err.code, route: request.routeOptions.url }, 'panel request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error; the daemon log has the cause' });
  });

  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not found', message: 'no such route' }));

  registerProbes(app, { postgres: deps.postgres, ready: deps.ready, counters: deps.counters });
  const auth = await registerStaffAuth(app, config, { postgres: deps.postgres, now: deps.now ?? Date.now });
  const csrf = registerCsrf(app, { secure: config.secure_cookie });
  registerStaffRoutes(app, auth, deps.postgres);
  registerApi(app, auth, { db: deps.postgres, ...deps.api });
  registerPluginRoutes(app, auth, {
    db: deps.postgres,
    plugins: deps.plugins,
    notify: deps.notify,
    operations: deps.operations,
  });
  await deps.plugins?.mount(app, {
    staff: auth.loggedIn,
    caller: (request) => ({ role: request.staff?.role ?? '', actor: actorOf(request) }),
  });
  const views: Views | undefined = deps.views
    ? registerViews(app, auth, { ...deps.views, postgres: deps.postgres, counters: deps.counters, now: deps.now })
    : undefined;
  const panel: Panel | undefined = deps.panel
    ? await registerPanel(app, {
        db: deps.postgres,
        now: deps.now ?? Date.now,
        operations: deps.operations,
        warn: (fields, msg) => warn('warn', fields, msg),
        panel: deps.panel,
      })
    : undefined;

  return {
    app,
    auth,
    counters: () => ({
      ...own,
      ...auth.counters,
      ...csrf,
      panel_unauthorized: 0,
      panel_forbidden: 0,
      ...panel?.counters(),
      ...views?.counters(),
    }),
  };
}
