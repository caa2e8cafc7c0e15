/**
 * The AdminJS panel at /admin, inside the staff app: resources over PostgreSQL (@adminjs/sql) and the CoA ledger,
 * core actions through the daemon's operations, behind the staff session and the permission table.
 *
 * AdminJS is loaded here dynamically, after adminjs-env.ts has set what it reads at import; nothing else may import
 * ./build.ts or a module that imports AdminJS.
 */
import type { FastifyInstance } from 'fastify';
import type { PoolConfig } from 'pg';
import type { Transactional } from '../../daemon/model/audit.ts';
import type { SecretBox } from '../../daemon/security/secret-box.ts';
import type { ClickhouseStore } from '../../daemon/store/clickhouse/index.ts';
import type { Operations } from './actions/core.ts';
import { prepareAdminjsEnv } from './adminjs-env.ts';
import { guardPanel, type PanelSessionCounters } from './session.ts';

export type { Operations } from './actions/core.ts';

export interface PanelDeps {
  /** The key that seals NAS secrets and subscriber passwords set in the panel. */
  box: () => SecretBox;
  /** How to reach PostgreSQL (the daemon's pool options: the embedded endpoint, or database.url). */
  connection: () => PoolConfig;
  /** ClickHouse, for the CoA ledger; without it the ledger is not in the panel. */
  clickhouse?: Pick<ClickhouseStore, 'query'>;
  /** Where the components bundle is made when it was not made at build time (the daemon: under its data dir). */
  bundleDir?: string;
  /** The plugins' panel pages. */
  pluginPages?: () => Array<{ id: string; title: string }>;
}

export interface Panel {
  counters(): Readonly<PanelSessionCounters>;
}

export interface RegisterPanelDeps {
  db: Transactional;
  now: () => number;
  operations?: Operations;
  warn(fields: Record<string, unknown>, message: string): void;
  panel: PanelDeps;
}

/**
 * Sets AdminJS's environment, imports the panel's code and makes its components bundle now. Importing AdminJS holds
 * the event loop for most of a second: the daemon does it before RADIUS listens, and `registerPanel` later finds it
 * all done.
 */
export async function preloadPanel(bundleDir: string | undefined): Promise<void> {
  const env = prepareAdminjsEnv(bundleDir);
  await import('./build.ts');
  // Bundling the components (from the sources) holds it longer still; made once per process, so the panel reuses it.
  if (!env.prebuilt) await (await import('./components.ts')).prebuildBundle();
}

/** Mounts the panel on `app` (after the staff auth, whose cookie parser it uses); closes its pool when `app` closes. */
export async function registerPanel(app: FastifyInstance, deps: RegisterPanelDeps): Promise<Panel> {
  const env = prepareAdminjsEnv(deps.panel.bundleDir);
  let counters: PanelSessionCounters = { panel_unauthorized: 0, panel_forbidden: 0 };
  let close: (() => Promise<void>) | undefined;
  // Encapsulated: the hooks and the multipart parser AdminJS brings apply to the panel's routes only.
  await app.register(async (panel) => {
    counters = guardPanel(panel, { db: deps.db, now: deps.now });
    const { mountPanel } = await import('./build.ts');
    const mounted = await mountPanel(
      panel,
      {
        db: deps.db,
        connection: deps.panel.connection(),
        box: deps.panel.box,
        clickhouse: deps.panel.clickhouse,
        operations: deps.operations,
        warn: deps.warn,
        pluginPages: deps.panel.pluginPages?.(),
      },
      env,
    );
    close = mounted.close;
  });
  app.addHook('onClose', async () => {
    await close?.();
  });
  return { counters: () => counters };
}
