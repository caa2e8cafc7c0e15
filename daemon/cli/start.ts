/** `wispd start`: runs the daemon until SIGTERM or SIGINT. */
import { createDaemon } from '../daemon.ts';
import { createLogger } from '../lib/log.ts';
import { runUntilSignalled } from '../signals.ts';
import { type GlobalOptions, loadWithPlugins } from './load.ts';

export async function start(opts: GlobalOptions): Promise<void> {
  const { config, file } = await loadWithPlugins(opts);
  const log = createLogger(config.log);
  log.info({ config: file ?? '(defaults and environment)', node: process.version }, 'starting');
  await runUntilSignalled(createDaemon(config, log), log, config.daemon.shutdown_timeout);
}
