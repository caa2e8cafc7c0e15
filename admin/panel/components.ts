/**
 * The panel's own React components, registered with absolute paths (AdminJS bundles them from any directory), and
 * the bundle AdminJS serves as `components.bundle.js`: made once per process before the panel serves, or at build
 * time (scripts/bundle-panel.mjs) when running compiled.
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

import AdminJS, { ComponentLoader } from 'adminjs';
import { ADMIN_JS_TMP_DIR, componentsBundler, generateUserComponentEntry } from 'adminjs/bundler';

// The sources under tsx; tsc's output (React.createElement calls) when built.
const ext = import.meta.url.endsWith('.ts') ? '.tsx' : '.js';

export interface PanelComponents {
  readonly loader: ComponentLoader;
  /** The form of every action that calls the core (components/action-form.tsx). */
  readonly actionForm: string;
  /** The home page (components/dashboard.tsx). */
  readonly dashboard: string;
  /** The subscriber page support reads on a call (components/subscriber-overview.tsx). */
  readonly subscriberOverview: string;
  /** A byte count, rate, time or duration in a list or on a show page (components/value.tsx). */
  readonly value: string;
  /** An audit row's before and after as one table (components/audit-diff.tsx). */
  readonly auditDiff: string;
  /** The Plugins page, the notification hub's page, and the page every plugin page is drawn with. */
  readonly pluginsPage: string;
  readonly notificationsPage: string;
  readonly pluginPage: string;
}

export function panelComponents(): PanelComponents {
  const loader = new ComponentLoader();
  const actionForm = loader.add(
    'ActionForm',
    fileURLToPath(new URL(`./components/action-form${ext}`, import.meta.url)),
  );
  const at = (name: string) => fileURLToPath(new URL(`./components/${name}${ext}`, import.meta.url));
  const dashboard = loader.add('Dashboard', at('dashboard'));
  const subscriberOverview = loader.add('SubscriberOverview', at('subscriber-overview'));
  const value = loader.add('Value', at('value'));
  const auditDiff = loader.add('AuditDiff', at('audit-diff'));
  const pluginsPage = loader.add('PluginsPage', at('plugins-page'));
  const notificationsPage = loader.add('NotificationsPage', at('notifications-page'));
  const pluginPage = loader.add('PluginPage', at('plugin-page'));
  loader.override('SidebarResourceSection', at('sidebar-resources'));
  return {
    loader,
    actionForm,
    dashboard,
    subscriberOverview,
    value,
    auditDiff,
    pluginsPage,
    notificationsPage,
    pluginPage,
  };
}

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

let bundled: Promise<void> | undefined;

/**
 * The bundle is minified by esbuild (rollup-plugin-esbuild-minify, its own esbuild), whose service process would stay
 * for the daemon's life once the one bundle is made.
 */
async function stopMinifier(): Promise<void> {
  try {
    const fromAdminjs = createRequire(fileURLToPath(import.meta.resolve('adminjs/bundler')));
    const fromMinifier = createRequire(fromAdminjs.resolve('rollup-plugin-esbuild-minify'));
    // The module instance the minifier imported (ESM caches it by URL), whose service is running.
    const esbuild = (await import(pathToFileURL(fromMinifier.resolve('esbuild')).href)) as { stop?: () => unknown };
    await esbuild.stop?.();
  } catch {
    // Another layout of node_modules: the service stays, an idle process and nothing more.
  }
}

/** Writes `bundle.js` into ADMIN_JS_TMP_DIR for `admin`'s components (once per process: they are the same). */
export function bundleComponents(admin: AdminJS): Promise<void> {
  bundled ??= (async () => {
    // Babel resolves its presets from the working directory: bundle from the package's, wherever wispd was started.
    const cwd = process.cwd();
    process.chdir(PACKAGE_ROOT);
    try {
      await componentsBundler.createEntry({ content: generateUserComponentEntry(admin, ADMIN_JS_TMP_DIR) });
      await componentsBundler.build();
    } finally {
      process.chdir(cwd);
      await stopMinifier();
    }
  })().catch((err: unknown) => {
    bundled = undefined;
    throw err;
  });
  return bundled;
}

/** For the build: the bundle of the panel's components, into ADMIN_JS_TMP_DIR (set by the caller before import). */
export async function prebuildBundle(): Promise<void> {
  const { loader } = panelComponents();
  await bundleComponents(new AdminJS({ componentLoader: loader, resources: [] }));
}
