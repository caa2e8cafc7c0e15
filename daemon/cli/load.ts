/** Config loading shared by the commands: `--config` (or `WISPD_CONFIG`), else the defaults; then the environment. */
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

export function load(opts: GlobalOptions): Loaded {
  const file = opts.config || undefined;
  const { config, sources } = loadConfigWithSources(schema, { file });
  return { config, sources, file };
}
