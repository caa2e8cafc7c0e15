/** Config loading shared by the commands: `--config` (or `WISPD_CONFIG`), else the defaults; then the environment. */
import { dirname, isAbsolute, resolve } from 'node:path';
import { loadConfigWithSources, type Sources } from '../../config/load.ts';
import { type Config, schema } from '../../config/schema.ts';

export interface GlobalOptions {
  config?: string;
}

export interface Loaded {
  config: Config;
  sources: Sources;
  /** The file read, or undefined when only defaults and the environment apply. */
  file: string | undefined;
}

/**
 * A relative `daemon.data_dir` in a file is relative to that file, so that a command run from any directory finds the
 * daemon's data (from the environment or the defaults it is relative to the working directory, as a shell path is).
 */
export function load(opts: GlobalOptions): Loaded {
  const file = opts.config || undefined;
  const { config, sources } = loadConfigWithSources(schema, { file });
  if (!file) return { config, sources, file };
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
  };
}
