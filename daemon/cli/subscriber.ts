/** `wispd subscriber …`: subscribers (services): add, import, set, list, show. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatTime, readableBytes } from '../../config/units.ts';
import { formatMac } from '../lib/mac.ts';
import { appendAudit } from '../model/audit.ts';
import {
  addSubscriber,
  getSubscriber,
  importSubscribers,
  listSubscribers,
  parseSubscriberCsv,
  SUBSCRIBER_STATUSES,
  updateSubscriber,
} from '../model/subscriber.ts';
import { printTable, readRecords, withRecords } from './context.ts';
import { count, globals } from './options.ts';

export function registerSubscriberCommands(program: Command): void {
  const subscriber = program.command('subscriber').description('Subscribers (services): add, import, set, list, show.');

  subscriber
    .command('add')
    .description('Add a subscriber.')
    .requiredOption('--username <username>', 'the PPPoE/hotspot login')
    .requiredOption('--password <password>', 'stored encrypted (CHAP and MS-CHAPv2 need the password itself)')
    .requiredOption('--plan <name>', 'the plan')
    .option('--status <status>', SUBSCRIBER_STATUSES.join(' | '), 'active')
    .option('--ip <address>', 'a static address (Framed-IP-Address)')
    .option('--mac <mac>', 'bind to this Calling-Station-Id')
    .option('--simultaneous-use <n>', "sessions at once, instead of the plan's")
    .option('--cycle-day <day>', 'day of the month the billing cycle starts (FUP period "cycle"), 1 to 28')
    .addHelpText(
      'after',
      '\nExample:\n  wispd subscriber add --username alice --password "$PW" --plan home-20 --ip 100.64.1.10',
    )
    .action((o, cmd: Command) =>
      withRecords(globals(cmd), async ({ write, box }) => {
        const s = await write({ resource: 'subscriber', action: 'new' }, (tx) =>
          addSubscriber(tx, box, {
            username: o.username,
            password: o.password,
            plan: o.plan,
            status: o.status,
            ip: o.ip,
            mac: o.mac,
            simultaneousUse: count('simultaneous-use', o.simultaneousUse),
            cycleDay: count('cycle-day', o.cycleDay),
          }),
        );
        process.stdout.write(`added subscriber ${s.username} (plan ${s.plan}, ${s.status})\n`);
      }),
    );

  subscriber
    .command('set')
    .description('Change a subscriber (suspend, move plan, new password…); effective on the next Access-Request.')
    .argument('<username>', 'the login')
    .option('--password <password>', 'a new password')
    .option('--plan <name>', 'another plan')
    .option('--status <status>', SUBSCRIBER_STATUSES.join(' | '))
    .option('--ip <address>', 'a static address ("" for none)')
    .option('--mac <mac>', 'bind to this Calling-Station-Id ("" for none)')
    .option('--cycle-day <day>', 'day of the month the billing cycle starts, 1 to 28')
    .option('--customer <id>', 'the customer holding it (wispd customer list), "" for none')
    .addHelpText(
      'after',
      '\nExamples:\n  wispd subscriber set alice --status suspended\n  wispd subscriber set alice --customer 12',
    )
    .action((username: string, o, cmd: Command) =>
      withRecords(globals(cmd), async ({ db, box, write }) => {
        const before = await getSubscriber(db, username);
        const s = await write({ resource: 'subscriber', action: 'edit', recordId: before.id, before }, (tx) =>
          updateSubscriber(tx, box, username, {
            password: o.password,
            plan: o.plan,
            status: o.status,
            ip: o.ip,
            mac: o.mac,
            cycleDay: count('cycle-day', o.cycleDay),
            customerId: o.customer === undefined ? undefined : o.customer === '' ? null : count('customer', o.customer),
          }),
        );
        process.stdout.write(`${s.username}: plan ${s.plan}, ${s.status}${s.staticIp ? `, ${s.staticIp}` : ''}\n`);
      }),
    );

  subscriber
    .command('import')
    .description(
      'Add subscribers from a CSV file of username,password,plan (for migrations); existing usernames are skipped.',
    )
    .argument('<file>', 'the CSV file (a header line is allowed; "-" reads standard input)')
    .addHelpText('after', '\nExample:\n  wispd subscriber import subscribers.csv')
    .action((file: string, _o, cmd: Command) =>
      withRecords(globals(cmd), async ({ db, box, actor }) => {
        const { rows, errors } = parseSubscriberCsv(readFileSync(file === '-' ? 0 : file, 'utf8'));
        const tty = process.stderr.isTTY;
        let lastShown = 0;
        const result = await importSubscribers(db, box, rows, (done, total) => {
          const pct = Math.floor((done / total) * 100);
          if (tty) process.stderr.write(`\rimporting: ${done}/${total} (${pct}%)`);
          else if (pct >= lastShown + 10 || done === total) {
            lastShown = pct;
            process.stderr.write(`importing: ${done}/${total} (${pct}%)\n`);
          }
        });
        if (tty) process.stderr.write('\n');
        const problems = [...errors, ...result.errors].sort((a, b) => a.line - b.line);
        for (const p of problems.slice(0, 20)) process.stderr.write(`${file}:${p.line}: ${p.message}\n`);
        if (problems.length > 20) process.stderr.write(`… and ${problems.length - 20} more\n`);
        // One row for the import: what it was and what it did (each subscriber is in the file named).
        await appendAudit(db, actor, {
          resource: 'subscriber',
          action: 'import',
          recordId: null,
          after: { file, added: result.added, skipped: result.skipped, errors: problems.length },
        });
        process.stdout.write(
          `imported ${result.added}, skipped ${result.skipped} (already there), ${problems.length} with errors\n`,
        );
        if (problems.length > 0) process.exitCode = 1;
      }),
    );

  subscriber
    .command('list')
    .description('List subscribers.')
    .option('--search <text>', 'usernames containing this')
    .option('--plan <name>', 'only this plan')
    .option('--status <status>', 'only this status')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'as JSON')
    .action((o, cmd: Command) =>
      readRecords(globals(cmd), async ({ db }) => {
        const { rows, total } = await listSubscribers(db, {
          search: o.search,
          plan: o.plan,
          status: o.status,
          limit: count('limit', o.limit),
        });
        const out = rows.map((s) => ({
          username: s.username,
          plan: s.plan,
          status: s.status,
          ip: s.staticIp,
          mac: s.mac ? formatMac(s.mac) : null,
        }));
        printTable(out, ['username', 'plan', 'status', 'ip', 'mac'], o.json);
        if (!o.json && total > rows.length)
          process.stdout.write(`(${rows.length} of ${total}; --limit, --search to see others)\n`);
      }),
    );

  subscriber
    .command('show')
    .description('One subscriber: plan, status, address, binding and the sessions online now.')
    .argument('<username>', 'the login')
    .option('--json', 'as JSON')
    .action((username: string, o, cmd: Command) =>
      readRecords(globals(cmd), async ({ db }) => {
        const s = await getSubscriber(db, username);
        const { rows: sessions } = await db.query(
          `SELECT n.name AS nas, r.acct_session_id AS session, host(r.framed_ip) AS ip, r.calling_station_id AS mac,
             r.started_at AS since, r.output_octets::float8 AS down, r.input_octets::float8 AS up,
             r.updated_at AS as_of
           FROM radius_session r JOIN nas n ON n.id = r.nas_id WHERE r.username = $1 ORDER BY r.started_at`,
          [username],
        );
        if (o.json) {
          process.stdout.write(`${JSON.stringify({ ...s, sessions }, null, 2)}\n`);
          return;
        }
        const lines = [
          `username:  ${s.username}`,
          `plan:      ${s.plan}`,
          `status:    ${s.status}${s.expiresAt ? ` (expires ${formatTime(s.expiresAt)})` : ''}`,
          `address:   ${s.staticIp ?? 'from the pool'}`,
          `mac:       ${s.mac ? formatMac(s.mac) : 'not bound'}`,
          `online:    ${sessions.length} session(s)`,
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
        if (sessions.length) {
          const shown = sessions.map((r) => ({ ...r, down: readableBytes(r.down), up: readableBytes(r.up) }));
          printTable(shown, ['nas', 'session', 'ip', 'mac', 'since', 'down', 'up', 'as_of']);
          // radius_session is written behind the daemon's memory: starts and stops within a second, counters every 30 s.
          process.stdout.write(
            '(octets as of the last write of the live session table: the daemon writes counters every 30 s)\n',
          );
        }
      }),
    );
}
