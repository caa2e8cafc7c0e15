/** `wispd notify test|log`: a test message through a channel, and the delivery log. */
import type { Command } from 'commander';
import { control } from '../control/client.ts';
import type { Message } from '../notify/index.ts';
import { DataDir } from '../store/datadir.ts';
import { cliActor, printTable } from './context.ts';
import { load } from './load.ts';
import { count, globals } from './options.ts';

const columns = ['id', 'created', 'channel', 'recipient', 'template', 'status', 'attempts', 'provider_id', 'error'];
const rowsOf = (list: Message[]) =>
  list.map((m) => ({
    id: m.id,
    created: m.createdAt,
    channel: m.channel,
    recipient: m.recipient,
    template: m.template,
    status: m.status,
    attempts: m.attempts,
    provider_id: m.providerId,
    error: m.error,
  }));

export function registerNotifyCommands(program: Command): void {
  const notify = program.command('notify').description('The notification hub: send a test, read the delivery log.');
  notify
    .command('test')
    .description('Send the test template now through one channel, and show how its delivery went.')
    .requiredOption('--to <recipient>', 'an email address, a +phone number (SMS), or "webhook"')
    .option('--json', 'as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  wispd notify test --to noc@isp.example\n  wispd notify test --to +351910000001',
    )
    .action(async (o: { to: string; json?: boolean }, cmd: Command) => {
      const { config } = load(globals(cmd));
      const list = await control<Message[]>(new DataDir(config.daemon.data_dir), 'notify.test', {
        to: o.to,
        actor: cliActor().name,
      });
      printTable(rowsOf(list), columns, o.json);
      if (list.some((m) => m.status !== 'sent')) process.exitCode = 1;
    });
  notify
    .command('log')
    .description(
      'The latest messages, newest first: channel, recipient, status, attempts, the provider’s id, the error.',
    )
    .option('--customer <id>', 'only this customer’s')
    .option('--status <status>', 'queued | held | sent | failed | suppressed | folded')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'as JSON')
    .action(async (o: { customer?: string; status?: string; limit: string; json?: boolean }, cmd: Command) => {
      const { config } = load(globals(cmd));
      const list = await control<Message[]>(new DataDir(config.daemon.data_dir), 'notify.log', {
        ...(o.customer ? { customer: count('customer', o.customer) } : {}),
        ...(o.status ? { status: o.status } : {}),
        limit: count('limit', o.limit),
      });
      if (!o.json && list.length === 0) return void process.stdout.write('no messages yet\n');
      printTable(rowsOf(list), columns, o.json);
    });
}
