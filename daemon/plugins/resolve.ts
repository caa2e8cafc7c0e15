/**
 * Finding a plugin from what `plugins.enabled` says, and the config schema with each enabled plugin's section
 * (`plugins.<name>.*`): the same field types, defaults, refusal of unknown keys and masking of secrets as the core's.
 */
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Field, type Section, type Shape, section } from '../../config/define.ts';

export const PLUGIN_NAME = /^[a-z][a-z0-9_]{0,30}$/;
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** The package's own plugins/ folder. */
export const builtinPlugins = new URL('../../plugins/', import.meta.url);

/** A built-in name (plugins/<name>/), an absolute path (a file, or a folder with index), or an npm package. */
export function specifierOf(source: string, builtins: URL = builtinPlugins): string {
  if (PLUGIN_NAME.test(source)) {
    const file = new URL(`${source}/index${ext}`, builtins);
    if (existsSync(file)) return file.href;
  }
  if (isAbsolute(source)) {
    const index = existsSync(`${source}/index${ext}`) ? `${source}/index${ext}` : source;
    return pathToFileURL(index).href;
  }
  return source;
}

/** What a plugin module exports by default, unchecked (the host checks it). */
export async function importPlugin(source: string, builtins?: URL): Promise<unknown> {
  return ((await import(specifierOf(source, builtins))) as { default?: unknown }).default;
}

/** Any mapping, unchecked: the section of a plugin that cannot be loaded (the host marks it failed and says why). */
const unchecked: Field<unknown> = {
  kind: 'field',
  doc: 'the section of a plugin that could not be loaded; not checked',
  default: {},
  type: 'mapping',
  secret: true,
  parse: (raw) => raw,
  show: () => '********',
  showRaw: () => '********',
};

/** `schema` with `plugins.<name>` for each enabled plugin, from the `config` its definition declares. */
export async function withPluginSections<S extends Shape>(
  schema: Section<S>,
  enabled: readonly string[],
  builtins?: URL,
): Promise<Section<S>> {
  const plugins = schema.fields.plugins as Section | undefined;
  if (!plugins || enabled.length === 0) return schema;
  const own: Record<string, Field<unknown> | Section> = {};
  for (const source of enabled) {
    const def = (await importPlugin(source, builtins).catch(() => undefined)) as
      | { name?: unknown; version?: unknown; config?: Shape }
      | undefined;
    if (typeof def?.name === 'string' && PLUGIN_NAME.test(def.name) && !(def.name in plugins.fields)) {
      own[def.name] = section(`Plugin ${def.name} ${String(def.version ?? '')}`.trim(), def.config ?? {});
    } else if (PLUGIN_NAME.test(source) && !(source in plugins.fields)) {
      own[source] = unchecked;
    }
  }
  return section(schema.doc, {
    ...schema.fields,
    plugins: section(plugins.doc, { ...plugins.fields, ...own }),
  }) as Section<S>;
}
