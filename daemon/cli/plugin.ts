/** `wispd plugin list`: the plugins the running daemon loaded, each with its version, status and why it failed. */
import type { Command } from 'commander';
import { control } from '../control/client.ts';
import type { PluginState } from '../plugins/host.ts';
import { DataDir } from '../store/datadir.ts';
import { printTable } from './context.ts';
import { load } from './load.ts';
import { globals } from './options.ts';

export function registerPluginCommands(program: Command): void {
  const plugin = program.command('plugin').description('Plugins (plugins.enabled): what the running daemon loaded.');
  plugin
    .command('list')
    .description('Each enabled plugin: version, status (active or failed) and the reason, migrations applied.')
    .option('--json', 'as JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const { config } = load(globals(cmd));
      const list = await control<PluginState[]>(new DataDir(config.daemon.data_dir), 'plugins', {});
      if (o.json) return printTable(list as unknown as Array<Record<string, unknown>>, [], true);
      if (list.length === 0) return void process.stdout.write('no plugins enabled (plugins.enabled)\n');
      printTable(
        list.map((p) => ({
          name: p.name,
          version: p.version,
          status: p.status,
          migrations: p.migrations.total,
          reason: p.reason,
        })),
        ['name', 'version', 'status', 'migrations', 'reason'],
      );
    });
}
