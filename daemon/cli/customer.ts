/** `wispd customer …`: who pays. A customer holds subscribers (`wispd subscriber set <username> --customer <id>`). */
import type { Command } from 'commander';
import { addCustomer, listCustomers } from '../model/customer.ts';
import { printTable, readRecords, withRecords } from './context.ts';
import { count, globals } from './options.ts';

export function registerCustomerCommands(program: Command): void {
  const customer = program.command('customer').description('Customers (who pays): add, list.');

  customer
    .command('add')
    .description('Add a customer; link subscribers to it with `wispd subscriber set <username> --customer <id>`.')
    .requiredOption('--name <name>', 'the person or company')
    .option('--email <email>', 'where invoices and notices go')
    .option('--phone <phone>', 'a phone number')
    .option('--address <text>', 'the postal or service address')
    .addHelpText('after', '\nExample:\n  wispd customer add --name "Ana Pérez" --email ana@example.net')
    .action((o: { name: string; email?: string; phone?: string; address?: string }, cmd: Command) =>
      withRecords(globals(cmd), async ({ write }) => {
        const c = await write({ resource: 'customer', action: 'new' }, (tx) => addCustomer(tx, o));
        process.stdout.write(`added customer ${c.id}: ${c.name}\n`);
      }),
    );

  customer
    .command('list')
    .description('List customers and how many subscribers each holds.')
    .option('--search <text>', 'names or emails containing this')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'as JSON')
    .action((o: { search?: string; limit: string; json?: boolean }, cmd: Command) =>
      readRecords(globals(cmd), async ({ db }) => {
        const rows = await listCustomers(db, { search: o.search, limit: count('limit', o.limit) });
        printTable(
          rows.map((c) => ({ ...c })),
          ['id', 'name', 'email', 'phone', 'subscribers'],
          o.json,
        );
      }),
    );
}
