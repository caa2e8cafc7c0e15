/**
 * The plugin SDK: what a plugin is written against, and nothing of the core's inside. A plugin is a module whose
 * default export is `definePlugin({...})`; `plugins.enabled` names which run. See plugins/README.md.
 *
 * ```ts
 * export default definePlugin({
 *   name: 'hello', version: '1.0.0', wispd: '>=0.1',
 *   migrations: new URL('./migrations/', import.meta.url),   // SQL on the schema plugin_hello
 *   register(ctx) { ctx.routes.staff((app) => app.get('/greetings', async () => …)); },
 *   health: async () => ({ ok: true }),
 * });
 * ```
 */
import type { Shape } from '../../config/define.ts';
import type { PluginDefinition } from '../../daemon/plugins/host.ts';
import { PLUGIN_NAME } from '../../daemon/plugins/resolve.ts';

export { boolean, duration, integer, list, oneOf, port, rate, section, string, url } from '../../config/define.ts';
export type { CoreCommands, NewSubscriber } from '../../daemon/commands/index.ts';
export { EVENT_TYPES } from '../../daemon/events/catalogue.ts';
export type { BatchHandler, EventEnvelope, EventHandler, EventType } from '../../daemon/events/index.ts';
export type { JobOptions, Schedule } from '../../daemon/jobs/index.ts';
/** An HTTP POST under a timer that always fires (for webhooks and providers a plugin calls). */
export { postWithTimeout } from '../../daemon/lib/http-post.ts';
/** The field types of a plugin's settings, the same as the core's config (see `wispd dump-config --docs`). */
/** Signed bodies as Stripe signs them (X-Wispd-Signature: t=…,v1=…): for webhooks out, and checking them in. */
export { SIGNATURE_HEADER, sign, verify } from '../../daemon/lib/signature.ts';
export type { PluginContext, PluginDefinition, RouteRegistrar } from '../../daemon/plugins/host.ts';
export type { Step, StepContext, Workflow } from '../../daemon/workflows/index.ts';

/** Checks the shape now (a typo fails where it is written, not at boot) and freezes the definition. */
// biome-ignore lint/complexity/noBannedTypes: a plugin without settings has the empty shape
export function definePlugin<S extends Shape = {}>(def: PluginDefinition<S>): Readonly<PluginDefinition<S>> {
  if (!PLUGIN_NAME.test(def.name))
    throw new Error(`definePlugin: name ${JSON.stringify(def.name)}: lower-case letters, digits, underscore`);
  return Object.freeze({ ...def });
}
