/** Config loading shared by the commands: `--config` (or `WISPD_CONFIG`), else the defaults; then the environment. */
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Section } from '../../config/define.ts';
import { loadConfigWithSources, type Sources } from '../../config/load.ts';
import { type Config, schema } from '../../config/schema.ts';
import { withPluginSections } from '../plugins/resolve.ts';

export interface GlobalOptions {
  config?: string;
}

export interface Loaded {
  config: Config;
  sources: Sources;
  /** The file read, or undefined when only defaults and the environment apply. */
  file: string | undefined;
  /** The schema it was checked against (with the enabled plugins' sections after `loadWithPlugins`). */
  schema: Section;
}

/**
 * A relative `daemon.data_dir` in a file is relative to that file, so that a command run from any directory finds the
 * daemon's data (from the environment or the defaults it is relative to the working directory, as a shell path is).
 */
function read(file: string | undefined, against: Section, open: readonly string[]): Loaded {
  const { config, sources } = loadConfigWithSources(against, { file, open }) as { config: Config; sources: Sources };
  if (!file) return { config, sources, file, schema: against };
  const dir = dirname(resolve(file));
  const relative = (p: string) => p.startsWith('./') || p.startsWith('../');
  const dataDir =
    sources.get('daemon.data_dir')?.from === 'file' && !isAbsolute(config.daemon.data_dir)
      ? resolve(dir, config.daemon.data_dir)
      : config.daemon.data_dir;
  // A plugin given as a relative path is relative to the file that names it, as the data directory is.
  const enabled =
    sources.get('plugins.enabled')?.from === 'file'
      ? config.plugins.enabled.map((p) => (relative(p) ? resolve(dir, p) : p))
      : config.plugins.enabled;
  return {
    config: Object.freeze({
      ...config,
      daemon: Object.freeze({ ...config.daemon, data_dir: dataDir }),
      plugins: Object.freeze({ ...config.plugins, enabled: Object.freeze(enabled) }),
    }),
    sources,
    file,
    schema: against,
  };
}

/** The core's config; the plugins' sections are kept as written, unchecked (commands that do not run plugins). */
export function load(opts: GlobalOptions): Loaded {
  return read(opts.config || undefined, schema, ['plugins']);
}

/** The whole config, each enabled plugin's section checked against what the plugin declares. */
export async function loadWithPlugins(opts: GlobalOptions): Promise<Loaded> {
  const core = load(opts);
  const full = await withPluginSections(schema, core.config.plugins.enabled);
  return read(core.file, full, []);
}
