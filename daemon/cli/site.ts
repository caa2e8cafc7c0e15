/** `wispd site …`: tower sites, and which of them run their own poller. */
import type { Command } from 'commander';
import { addSite, listSites } from '../model/device.ts';
import { printTable, readRecords, withRecords } from './context.ts';
import { globals } from './options.ts';

export function registerSiteCommands(program: Command): void {
  const site = program
    .command('site')
    .description('Sites (towers, POPs) that devices belong to: add, list.')
    .addHelpText(
      'after',
      '\nA site marked --remote is polled by a remote poller (wispd collect --site NAME), not by the daemon.',
    );
  site
    .command('add')
    .description('Add a site.')
    .requiredOption('--name <name>', 'the site name')
    .option('--description <text>', 'where it is, what it serves')
    .option('--remote', 'its devices are polled by `wispd collect --site <name>` running there')
    .addHelpText('after', '\nExample:\n  wispd site add --name north-tower --remote')
    .action((o, cmd: Command) =>
      withRecords(globals(cmd), async ({ write }) => {
        const s = await write({ resource: 'site', action: 'new' }, (tx) =>
          addSite(tx, { name: o.name, description: o.description, remote: Boolean(o.remote) }),
        );
        process.stdout.write(`added site ${s.name}${s.remote ? ' (polled remotely)' : ''}\n`);
      }),
    );
  site
    .command('list')
    .description('List the sites and how many devices each has.')
    .option('--json', 'as JSON')
    .action((o, cmd: Command) =>
      readRecords(globals(cmd), async ({ db }) => {
        const rows = (await listSites(db)).map((s) => ({
          name: s.name,
          polled_by: s.remote ? 'remote poller' : 'daemon',
          devices: s.devices,
          description: s.description || null,
        }));
        printTable(rows, ['name', 'polled_by', 'devices', 'description'], o.json);
      }),
    );
}
