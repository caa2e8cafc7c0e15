/**
 * The plugin host: loads the plugins `plugins.enabled` names, checks what each declares (the wispd it needs, the
 * plugins it requires), migrates its own PostgreSQL schema (`plugin_<name>`, under the core's migration lock and
 * checksums), lets it register, and watches its health. A plugin that fails any of these is `failed` with the
 * reason — its routes answer 503 — and the daemon goes on: RADIUS never waits for a plugin, and nothing a plugin
 * does runs on its path. The core knows plugins only through this file's contract; plugins/sdk/ is their side.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import semver from 'semver';
import { type Infer, type Section, type Shape, section } from '../../config/define.ts';
import { defaultsOf } from '../../config/load.ts';
import type { PluginsConfig } from '../../config/schema.ts';
import type { CoreCommands } from '../commands/index.ts';
import type { BatchHandler, ConsumerOptions, EventHandler, Events, EventType } from '../events/index.ts';
import type { JobOptions, Jobs, Schedule } from '../jobs/index.ts';
import type { Component } from '../lib/component.ts';
import { WispdError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { withTimeout } from '../lib/timeout.ts';
import { type Actor, appendAudit } from '../model/audit.ts';
import { STAFF_ROLES } from '../model/staff.ts';
import type { Notification, Notify, Queued, TemplateDefinition } from '../notify/index.ts';
import type { SecretBox } from '../security/secret-box.ts';
import { type Migration, readMigrations } from '../store/migrations.ts';
import type { PostgresStore } from '../store/postgres/index.ts';
import { version as wispdVersion } from '../version.ts';
import type { Step, Workflow, Workflows } from '../workflows/index.ts';
import { pluginsSection } from './config.ts';
import { builtinPlugins, importPlugin, PLUGIN_NAME } from './resolve.ts';

type HandlerOptions = Omit<ConsumerOptions, 'paused' | 'batch'> & { name?: string };

/** What a plugin module's default export is (plugins/sdk `definePlugin` makes one). */
// biome-ignore lint/complexity/noBannedTypes: a plugin without settings has the empty shape
export interface PluginDefinition<S extends Shape = {}> {
  name: string;
  version: string;
  /** The wispd versions it runs on: a semver range. */
  wispd: string;
  /** Other plugins it needs, by name, with a semver range each; they must be enabled and load first. */
  requires?: Readonly<Record<string, string>>;
  /**
   * Its settings, `plugins.<name>.*` in the one config file (and `WISPD_PLUGINS_<NAME>_<KEY>`): fields made with the
   * SDK's `string`, `integer`, `duration`, … — defaults, unknown keys refused at boot, `secret` ones masked.
   */
  config?: S;
  /** Its PostgreSQL migrations: a folder of `NNNN_name.sql`, run with `plugin_<name>` first on the search path. */
  migrations?: URL;
  /**
   * Its actions and the staff roles granted each (admin has them all), checked on the server by `ctx.allow(action)`:
   * `{ view: ['noc', 'support', 'readonly'], manage: ['noc'] }`.
   */
  permissions?: Readonly<Record<string, readonly string[]>>;
  register(ctx: PluginContext<Infer<Section<S>>>): void | Promise<void>;
  health?(): Promise<{ ok: boolean; reason?: string }>;
}

/** A field of a panel form. */
export interface AdminField {
  key: string;
  label: string;
  type: 'text' | 'url' | 'select' | 'multiselect' | 'checkbox';
  options?: readonly string[];
  required?: boolean;
  help?: string;
}

/** A button on each row of a panel list: it calls the plugin's staff route `path` (`{id}` is the row's id). */
export interface AdminAction {
  label: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: Record<string, unknown>;
  /** Asked before it runs. */
  confirm?: string;
  /** Shown only on rows whose `key` equals this. */
  when?: { key: string; equals: unknown };
  /** What to show of the answer: its fields as a message, or its `data` as a table with these columns. */
  show?: { message: readonly string[] } | { table: ReadonlyArray<{ key: string; label: string }> };
}

/**
 * A page of the plugin in the panel, declared as data: a list from one of its staff routes, a form that posts to
 * another, buttons per row. The panel draws it (no plugin code runs in the browser); the routes enforce the
 * permissions, as for any other caller.
 */
export interface AdminPage {
  name: string;
  title: string;
  intro?: string;
  /** `GET /api/v1/<plugin>/<path>` answering `{ data: [...] }`. */
  list: { path: string; columns: ReadonlyArray<{ key: string; label: string }>; actions?: AdminAction[] };
  form?: {
    title: string;
    path: string;
    submit: string;
    fields: readonly AdminField[];
    /** Fields of the answer shown once after it (a secret made for the record). */
    show?: readonly string[];
  };
}

/** A route plugin for Fastify, registered in the plugin's own encapsulated context. */
export type RouteRegistrar = (app: FastifyInstance) => void | Promise<void>;

export interface PluginContext<C = Readonly<Record<string, unknown>>> {
  readonly name: string;
  readonly version: string;
  /** Its settings from `plugins.<name>`, with their defaults. */
  readonly config: C;
  /** Its schema in PostgreSQL: `plugin_<name>`. */
  readonly schema: string;
  readonly log: Logger;
  /** PostgreSQL (its own schema's tables by their qualified names; the core's through read functions). */
  readonly db: Pick<PostgresStore, 'query' | 'transaction'>;
  /** The core's commands: each audited as `plugin:<name>`, with the RADIUS cache, CoA and events following. */
  readonly core: CoreCommands;
  /**
   * Handles core events (daemon/events/catalogue.ts) at least once, across restarts; what the handler writes through
   * `tx` happens once per event (an inbox in the same transaction). `name` tells two handlers of one plugin apart
   * and must stay the same across versions: the place read to is kept under it.
   */
  on(types: EventType | readonly EventType[], handler: EventHandler, opts?: HandlerOptions): void;
  /**
   * The same, with the events of a batch (up to `events.batch`) in one call: what the handler writes for all of them
   * in one statement is what lets a plugin keep up with every accounting event.
   */
  onBatch(types: EventType | readonly EventType[], handler: BatchHandler, opts?: HandlerOptions): void;
  /**
   * A job on a schedule, `<plugin>.<name>` in `wispd job list`: one run per tick across every daemon on the database,
   * never two at once.
   */
  job(name: string, schedule: Schedule, fn: () => Promise<unknown>, opts?: JobOptions): void;
  /**
   * A saga, `<plugin>.<name>` in `wispd workflow list`: steps run in order, each recorded when done; a crash resumes
   * at the next start; a step failing after its attempts compensates the steps done, in reverse.
   */
  workflow<I>(name: string, steps: readonly Step<I>[]): Workflow<I>;
  /** Seals a secret for storage (AES-256-GCM with the instance key, as the core's own), and opens it again. */
  readonly secrets: { seal(plain: string): Buffer; open(sealed: Buffer): string };
  /**
   * Tells a customer (or an address) by email, SMS, webhook and the inbox, as their preferences say; `template` is
   * the core's or one the plugin declared with `notify.template` (its name starts with `<plugin>.`).
   */
  readonly notify: ((n: Notification) => Promise<Queued[]>) & {
    template(name: string, def: TemplateDefinition): void;
  };
  readonly admin: {
    /** A page in the panel's sidebar under Plugins. */
    page(page: AdminPage): void;
    /** The same, named as a resource: a list of records and a form to add one. */
    resource(name: string, def: Omit<AdminPage, 'name'>): void;
    /** A button on each row of a resource (or page) declared before. */
    action(resource: string, action: AdminAction): void;
  };
  /** A preHandler for a staff route: 403 unless the caller's role is granted `action` in `permissions`. */
  allow(action: string): preHandlerAsyncHookHandler;
  /** An audit row for a staff request's change, as the caller, on the resource `plugin:<name>`. */
  audit(
    request: FastifyRequest,
    entry: { action: string; recordId: string | number | null; before?: unknown; after?: unknown },
  ): Promise<void>;
  readonly routes: {
    /** Under `/api/v1/<name>/`, for a logged-in staff member (the session cookie) or an API token. */
    staff(register: RouteRegistrar): void;
    /** Under `/hooks/<name>/`, without a session (webhooks): the raw body is `request.rawBody`. */
    public(register: RouteRegistrar): void;
    /**
     * Under `/portal/api/<name>/`, for a signed-in customer: `request.customer` is `{ id }`, and a route must answer
     * only with that customer's data. Customer sign-in comes with the portal; until a portal provides it, these routes
     * answer 401.
     */
    portal(register: RouteRegistrar): void;
  };
}

export type PluginStatus = 'loading' | 'active' | 'failed';

export interface PluginState {
  name: string;
  /** What `plugins.enabled` says. */
  source: string;
  version: string | null;
  status: PluginStatus;
  /** Why it failed. */
  reason: string | null;
  migrations: { applied: string[]; total: number };
  since: string;
  /** Its settings as `dump-config` shows them: secrets masked. */
  config: Record<string, unknown>;
  /** Its actions and the roles granted each (admin: all). */
  permissions: Record<string, readonly string[]>;
}

/** What the staff app gives the plugins' routes: its session guard, and who a request's caller is. */
export interface MountGuards {
  staff: preHandlerAsyncHookHandler;
  /** The customer session guard (the portal's), setting `request.customer`; none: portal routes answer 401. */
  customer?: preHandlerAsyncHookHandler;
  /** The caller's role and audit name (after `staff` let the request in). */
  caller(request: FastifyRequest): { role: string; actor: Actor };
}

export interface PluginHost extends Component {
  list(): PluginState[];
  /** The active plugins' panel pages (`<plugin>-<page>`), for the panel to draw. */
  pages(): Array<AdminPage & { id: string; plugin: string }>;
  /** Adds each plugin's routes to the staff app (a failed plugin's prefix answers 503). */
  mount(app: FastifyInstance, guards: MountGuards): Promise<void>;
}

export interface PluginHostDeps {
  log: Logger;
  postgres: PostgresStore;
  events: Pick<Events, 'consume'>;
  jobs: Pick<Jobs, 'job'>;
  workflows: Pick<Workflows, 'define'>;
  notify: Pick<Notify, 'notify' | 'template'>;
  box: () => Pick<SecretBox, 'seal' | 'open'>;
  /** The core's commands as a plugin runs them (audited as `plugin:<name>`). */
  core: (plugin: string) => CoreCommands;
  /** Where built-in plugins are (the package's plugins/); tests give their own. */
  builtins?: URL;
}

// biome-ignore lint/suspicious/noExplicitAny: definitions of every settings shape are held together
type AnyDefinition = PluginDefinition<any>;

interface Loaded {
  state: PluginState;
  pages: AdminPage[];
  def?: AnyDefinition;
  staff: RouteRegistrar[];
  public: RouteRegistrar[];
  portal: RouteRegistrar[];
}

/** Settings as `dump-config` shows them, secrets masked. */
function shown(of: Section, values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(of.fields).map(([k, node]) => [
      k,
      node.kind === 'field' ? node.show(values[k]) : shown(node, values[k] as Record<string, unknown>),
    ]),
  );
}

const noCustomers: preHandlerAsyncHookHandler = async (_request, reply) =>
  reply.code(401).send({
    error: 'WISPD_CUSTOMER_UNAUTHORIZED',
    message: 'customer sign-in is not available: no portal is enabled',
  });

/** The REST API's own paths under /api/v1/, where each plugin has its own too. */
const RESERVED = new Set(['customers', 'subscribers', 'plans', 'nas', 'devices', 'sessions', 'tokens', 'docs']);

function checkDefinition(def: unknown, source: string): AnyDefinition {
  const d = def as Partial<AnyDefinition> | undefined;
  const bad = (what: string) => new WispdError('WISPD_PLUGIN_INVALID', `plugin ${source}: ${what}`, { plugin: source });
  if (!d || typeof d !== 'object') throw bad('its module has no default export made by definePlugin');
  if (typeof d.name !== 'string' || !PLUGIN_NAME.test(d.name))
    throw bad(`name ${JSON.stringify(d.name)}: lower-case letters, digits, underscore`);
  if (d.name in pluginsSection.fields) throw bad(`name ${d.name} is a key of the plugins section`);
  if (RESERVED.has(d.name)) throw bad(`name ${d.name} is a path of the REST API (/api/v1/${d.name})`);
  if (typeof d.version !== 'string' || !semver.valid(d.version))
    throw bad(`version ${JSON.stringify(d.version)} is not semver`);
  if (typeof d.wispd !== 'string' || !semver.validRange(d.wispd))
    throw bad(`wispd ${JSON.stringify(d.wispd)} is not a semver range`);
  if (typeof d.register !== 'function') throw bad('register is not a function');
  for (const [action, roles] of Object.entries(d.permissions ?? {})) {
    const unknown = roles.find((r) => !(STAFF_ROLES as readonly string[]).includes(r));
    if (unknown) throw bad(`permissions.${action}: ${unknown} is not a staff role (${STAFF_ROLES.join(', ')})`);
  }
  return d as AnyDefinition;
}

export function createPluginHost(config: PluginsConfig, deps: PluginHostDeps): PluginHost {
  const log = deps.log.child({ component: 'plugins' });
  const builtins = deps.builtins ?? builtinPlugins;
  const plugins: Loaded[] = [];
  const consumers = new Set<string>();
  const counters = { active: 0, failed: 0, health_failures: 0 };
  let timer: NodeJS.Timeout | undefined;
  /** Who a staff request's caller is: given by the staff app when it mounts the routes. */
  let caller: MountGuards['caller'] | undefined;

  const fail = (p: Loaded, err: unknown) => {
    p.state.status = 'failed';
    p.state.reason = err instanceof Error ? err.message : String(err);
    p.state.since = new Date().toISOString();
    log.error({ plugin: p.state.name, reason: p.state.reason }, 'plugin failed; the daemon goes on without it');
  };

  async function load(p: Loaded): Promise<void> {
    const def = checkDefinition(await importPlugin(p.state.source, builtins), p.state.source);
    p.def = def;
    p.state.name = def.name;
    p.state.version = def.version;
    if (!semver.satisfies(wispdVersion, def.wispd, { includePrerelease: true }))
      throw new Error(`needs wispd ${def.wispd}; this is ${wispdVersion}`);
    for (const [need, range] of Object.entries(def.requires ?? {})) {
      const other = plugins.find((o) => o !== p && o.state.name === need);
      if (!other || plugins.indexOf(other) > plugins.indexOf(p))
        throw new Error(`requires plugin ${need} ${range}, which is not enabled before it`);
      if (other.state.status !== 'active') throw new Error(`requires plugin ${need}, which failed`);
      if (!semver.satisfies(other.state.version!, range))
        throw new Error(`requires ${need} ${range}; ${other.state.version} is enabled`);
    }
    const schema = `plugin_${def.name}`;
    if (def.migrations) {
      const own = readMigrations(def.name, def.migrations).map(
        (m): Migration => ({
          ...m,
          // The schema first on the search path, for this migration only (the checksum is of the file as written).
          sql: `CREATE SCHEMA IF NOT EXISTS ${schema};\nSET LOCAL search_path TO ${schema}, public;\n${m.sql}\nSET LOCAL search_path TO DEFAULT;`,
        }),
      );
      const report = await deps.postgres.migrate(own);
      p.state.migrations = { applied: report.applied.map((m) => m.name), total: own.length };
      if (report.applied.length)
        log.info({ plugin: def.name, applied: p.state.migrations.applied }, 'plugin migrations applied');
    } else {
      await deps.postgres.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    }
    const settings = section(def.name, def.config ?? {});
    // `wispd start` has checked the file against the plugin's section; a daemon built in code may give only some keys.
    const given = (config as unknown as Record<string, Record<string, unknown> | undefined>)[def.name];
    const values = Object.freeze({ ...defaultsOf(settings), ...given });
    p.state.config = shown(settings, values);
    p.state.permissions = { ...def.permissions };
    const subscribe = (
      types: EventType | readonly EventType[],
      handler: EventHandler | BatchHandler,
      opts: HandlerOptions,
      batch: boolean,
    ) => {
      const list = typeof types === 'string' ? [types] : [...types];
      const consumer = `${def.name}:${opts.name ?? list.join('+')}`;
      if (consumers.has(consumer)) throw new Error(`two event handlers named ${consumer}: give one a name`);
      consumers.add(consumer);
      // A plugin not running reads nothing and keeps its place: its events wait until it runs again.
      deps.events.consume(consumer, list, handler, { ...opts, batch, paused: () => p.state.status !== 'active' });
    };
    const ctx: PluginContext = {
      name: def.name,
      version: def.version,
      config: values,
      schema,
      log: log.child({ plugin: def.name }),
      db: deps.postgres,
      core: deps.core(def.name),
      on: (types, handler, opts = {}) => subscribe(types, handler, opts, false),
      onBatch: (types, handler, opts = {}) => subscribe(types, handler, opts, true),
      job: (name, schedule, fn, opts) =>
        deps.jobs.job(
          `${def.name}.${name}`,
          schedule,
          async () => {
            // A plugin that is not running skips its ticks.
            if (p.state.status === 'active') await fn();
          },
          opts,
        ),
      workflow: (name, steps) => deps.workflows.define(`${def.name}.${name}`, steps),
      admin: {
        page: (page) => {
          if (!PLUGIN_NAME.test(page.name) || p.pages.some((x) => x.name === page.name))
            throw new Error(`admin page ${page.name}: a new name of lower-case letters, digits, _`);
          p.pages.push({ ...page, list: { ...page.list, actions: [...(page.list.actions ?? [])] } });
        },
        resource: (name, def) => ctx.admin.page({ ...def, name }),
        action: (resource, action) => {
          const page = p.pages.find((x) => x.name === resource);
          if (!page) throw new Error(`admin action ${action.label}: no resource ${resource} declared before it`);
          page.list.actions!.push(action);
        },
      },
      allow: (action) => {
        if (!def.permissions?.[action]) throw new Error(`ctx.allow(${action}): not in the plugin's permissions`);
        return async (request, reply) => {
          const role = caller?.(request).role;
          if (role === 'admin' || (role && def.permissions?.[action]?.includes(role))) return;
          return reply.code(403).send({
            error: 'WISPD_STAFF_FORBIDDEN',
            message: `the ${role} role may not ${action} ${def.name}`,
          });
        };
      },
      audit: async (request, entry) => {
        const actor = caller?.(request).actor;
        if (!actor) throw new Error('ctx.audit: not a staff request');
        await appendAudit(deps.postgres, actor, { resource: `plugin:${def.name}`, ...entry });
      },
      secrets: { seal: (plain) => deps.box().seal(plain), open: (sealed) => deps.box().open(sealed) },
      notify: Object.assign((n: Notification) => deps.notify.notify(n), {
        template: (name: string, t: TemplateDefinition) => {
          if (!name.startsWith(`${def.name}.`)) throw new Error(`template ${name}: a plugin's start with ${def.name}.`);
          deps.notify.template(name, t);
        },
      }),
      routes: {
        staff: (r) => void p.staff.push(r),
        public: (r) => void p.public.push(r),
        portal: (r) => void p.portal.push(r),
      },
    };
    await withTimeout(config.timeout, `plugin ${def.name}: register`, Promise.resolve(def.register(ctx)));
    p.state.status = 'active';
  }

  async function checkHealth(): Promise<void> {
    for (const p of plugins) {
      // A plugin failed by its health check is asked again (it revives when it passes); one failed at load is not.
      const failedByHealth = p.state.reason?.startsWith('health:') ?? false;
      if (!p.def?.health || (p.state.status === 'failed' && !failedByHealth)) continue;
      try {
        const h = await withTimeout(config.timeout, 'health', p.def.health());
        if (!h.ok) throw new Error(h.reason ?? 'not ok');
        if (p.state.status === 'failed') {
          p.state.status = 'active';
          p.state.reason = null;
          log.info({ plugin: p.state.name }, 'plugin healthy again');
        }
      } catch (err) {
        counters.health_failures++;
        if (p.state.status !== 'failed') fail(p, new Error(`health: ${(err as Error).message}`));
      }
    }
  }

  const unavailable = (p: Loaded, reply: FastifyReply) =>
    reply.code(503).send({
      error: 'WISPD_PLUGIN_UNAVAILABLE',
      message: `plugin ${p.state.name} is ${p.state.status}${p.state.reason ? `: ${p.state.reason}` : ''}`,
    });

  return {
    name: 'plugins',
    async start() {
      for (const source of config.enabled) {
        const p: Loaded = {
          state: {
            name: source,
            source,
            version: null,
            status: 'loading',
            reason: null,
            migrations: { applied: [], total: 0 },
            since: new Date().toISOString(),
            config: {},
            permissions: {},
          },
          staff: [],
          public: [],
          portal: [],
          pages: [],
        };
        plugins.push(p);
        try {
          await load(p);
        } catch (err) {
          fail(p, err);
        }
      }
      await checkHealth();
      timer = setInterval(() => void checkHealth(), config.health_interval);
      timer.unref();
      const active = plugins.filter((p) => p.state.status === 'active');
      if (plugins.length)
        log.info({ active: active.map((p) => p.state.name), failed: plugins.length - active.length }, 'plugins loaded');
    },
    async stop() {
      clearInterval(timer);
    },
    counters: () => ({
      ...counters,
      active: plugins.filter((p) => p.state.status === 'active').length,
      failed: plugins.filter((p) => p.state.status === 'failed').length,
    }),
    describe: () =>
      plugins.length ? `${plugins.map((p) => `${p.state.name} ${p.state.status}`).join(', ')}` : 'no plugins enabled',
    pages: () =>
      plugins
        .filter((p) => p.state.status === 'active')
        .flatMap((p) => p.pages.map((page) => ({ ...page, id: `${p.state.name}-${page.name}`, plugin: p.state.name }))),
    list: () =>
      plugins.map((p) => ({ ...p.state, migrations: { ...p.state.migrations }, config: { ...p.state.config } })),

    async mount(app, guards) {
      caller = guards.caller;
      for (const p of plugins) {
        const name = p.state.name;
        for (const [prefix, registrars, guard] of [
          [`/api/v1/${name}`, p.staff, guards.staff],
          [`/hooks/${name}`, p.public, undefined],
          [`/portal/api/${name}`, p.portal, guards.customer ?? noCustomers],
        ] as const) {
          await app.register(
            async (child) => {
              if (prefix.startsWith('/hooks/')) {
                // Webhook signatures are over the bytes as sent: the body is kept raw beside its parsed form.
                child.removeAllContentTypeParsers();
                child.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
                  (request as unknown as { rawBody: Buffer }).rawBody = body as Buffer;
                  try {
                    done(
                      null,
                      String(request.headers['content-type'] ?? '').includes('json') && (body as Buffer).length
                        ? JSON.parse(String(body))
                        : body,
                    );
                  } catch (err) {
                    done(err as Error, undefined);
                  }
                });
              }
              child.addHook('onRequest', async (request, reply) => {
                if (p.state.status !== 'active') return unavailable(p, reply);
                if (guard) return guard.call(child, request, reply);
              });
              for (const r of registrars) await r(child);
              child.setNotFoundHandler((_request, reply) =>
                p.state.status !== 'active'
                  ? unavailable(p, reply)
                  : reply.code(404).send({ error: 'not found', message: `no such route of plugin ${name}` }),
              );
            },
            { prefix },
          );
        }
      }
    },
  };
}
