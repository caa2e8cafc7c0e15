/** `wispd collector …`: collectors allowed to push telemetry, with their tokens. */
import type { Command } from 'commander';
import { addCollector, listCollectors, removeCollector } from '../model/device.ts';
import { printTable, readRecords, withRecords } from './context.ts';
import { globals } from './options.ts';

export function registerCollectorCommands(program: Command): void {
  const collector = program
    .command('collector')
    .description('Collectors allowed to push telemetry (remote pollers, scripts): add, list, remove.');
  collector
    .command('add')
    .description('Add a collector and print its token (shown once; it is stored only as a hash).')
    .requiredOption('--name <name>', 'the collector name')
    .option('--site <site>', 'the site its rows belong to when they name none')
    .addHelpText(
      'after',
      `
The token authenticates POST /v1/telemetry (Authorization: Bearer <token>).

Example:
  wispd collector add --name north-poller --site north-tower`,
    )
    .action((o, cmd: Command) =>
      withRecords(globals(cmd), async ({ write }) => {
        let token = '';
        // The audit row has the collector, never its token.
        const c = await write({ resource: 'collector', action: 'new' }, async (tx) => {
          const added = await addCollector(tx, { name: o.name, site: o.site });
          token = added.token;
          return added.collector;
        });
        process.stdout.write(`added collector ${c.name}${c.site ? ` (site ${c.site})` : ''}\ntoken: ${token}\n`);
        process.stderr.write(
          'keep the token now: it cannot be shown again (remove and add the collector for a new one)\n',
        );
      }),
    );
  collector
    .command('list')
    .description('List the collectors (tokens are never shown).')
    .option('--json', 'as JSON')
    .action((o, cmd: Command) =>
      readRecords(globals(cmd), async ({ db }) => {
        const rows = (await listCollectors(db)).map((c) => ({ name: c.name, site: c.site, added: c.createdAt }));
        printTable(rows, ['name', 'site', 'added'], o.json);
      }),
    );
  collector
    .command('remove')
    .description('Remove a collector; its token stops working at once.')
    .argument('<name>', 'the collector name')
    .action((name: string, _o, cmd: Command) =>
      withRecords(globals(cmd), async ({ write }) => {
        await write({ resource: 'collector', action: 'delete', recordId: name }, async (tx) => {
          await removeCollector(tx, name);
          return null;
        });
        process.stdout.write(`removed collector ${name}\n`);
      }),
    );
}
