/**
 * The staff panel as a daemon component: the Fastify app of admin/app.ts on `admin.listen` (off when empty).
 * Started after the components whose counters it shows and stopped before them.
 */
import type { FastifyInstance } from 'fastify';
import { parseListen } from '../config/define.ts';
import type { AdminConfig } from '../config/schema.ts';
import type { Component } from '../daemon/lib/component.ts';
import { WispdError } from '../daemon/lib/errors.ts';
import { countStaff } from '../daemon/model/staff.ts';
import { type AdminApp, type AdminDeps, buildAdminApp } from './app.ts';
import { preloadPanel } from './panel/index.ts';

export type { AdminDeps } from './app.ts';

export interface AdminServer extends Component {
  /** The port listened on (useful with port 0); 0 when off or stopped. */
  readonly port: number;
  /** The app, between start() and stop(); undefined when the panel is off. */
  readonly app: FastifyInstance | undefined;
}

/** The panel's code loaded at this point of the boot (see `preloadPanel`); nothing when the panel is off. */
export function createPanelPreload(config: AdminConfig, bundleDir: string): Component {
  return {
    name: 'admin-preload',
    async start() {
      if (config.listen) await preloadPanel(bundleDir);
    },
    async stop() {},
    counters: () => ({}),
    describe: () => (config.listen ? 'staff panel code loaded' : 'staff panel off'),
  };
}

export function createAdminServer(config: AdminConfig, deps: AdminDeps): AdminServer {
  const log = deps.log.child({ component: 'admin' });
  let built: AdminApp | undefined;
  let port = 0;
  let host = '';
  let noStaff = false;
  /** Where a browser on this machine opens the panel. */
  const url = () =>
    `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${port}/admin`;

  return {
    name: 'admin',
    get port() {
      return port;
    },
    get app() {
      return built?.app;
    },

    async start() {
      if (!config.listen) return;
      const listen = parseListen(config.listen)!;
      host = listen.host;
      built = await buildAdminApp(config, deps);
      try {
        await built.app.listen({ host, port: listen.port });
      } catch (err) {
        throw new WispdError(
          'WISPD_ADMIN_LISTEN',
          `cannot listen on ${config.listen} (admin.listen): ${(err as Error).message}`,
          { listen: config.listen },
          { cause: err },
        );
      }
      port = (built.app.server.address() as { port: number }).port;
      log.info({ listen: `${host}:${port}` }, 'staff panel listening');
      noStaff = (await countStaff(deps.postgres)) === 0;
    },

    afterReady() {
      if (!port) return;
      log.info({ url: url() }, `staff panel: ${url()}`);
      if (noStaff) {
        // The password on standard input: not in the shell history or the process list.
        const command = 'npx wispd admin create-user --email you@example.net --role admin --password -';
        log.warn({ command }, `no staff account yet: create the first admin with: ${command} (then type the password)`);
      }
    },

    async stop() {
      const app = built?.app;
      built = undefined;
      port = 0;
      await app?.close();
    },

    counters: () => built?.counters() ?? {},
    describe: () =>
      port ? `staff panel on http://${host.includes(':') ? `[${host}]` : host}:${port}` : 'staff panel off',
  };
}
