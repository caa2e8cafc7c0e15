/**
 * `wispd admin …`: staff accounts of the panel, with or without the daemon running. Every change is in the audit
 * log, by `cli:<unix user>`.
 */
import type { Command } from 'commander';
import { createApiToken, listApiTokens, revokeApiToken } from '../model/api-token.ts';
import { invalid } from '../model/db.ts';
import { createStaff, listStaff, PASSWORD_MIN, STAFF_ROLES, updateStaff } from '../model/staff.ts';
import { printTable, readRecords, withRecords } from './context.ts';
import { globals } from './options.ts';

/** `--password -` reads the password from the first line of standard input, out of the shell's history and `ps`. */
/** A line typed at the terminal, not echoed. */
function typedSecret(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    let typed = '';
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const c of chunk) {
        if (c === '\r' || c === '\n' || c === '\u0004') return done();
        if (c === '\u0003') return done(new Error('cancelled'));
        if (c === '\u007f' || c === '\b') typed = typed.slice(0, -1);
        else typed += c;
      }
    };
    stdin.on('data', onData);
  });
}

async function password(text: string): Promise<string> {
  if (text !== '-') return text;
  if (process.stdin.isTTY) {
    const line = await typedSecret('password (not shown): ');
    if (line === '') throw invalid('password', '-', 'nothing was typed');
    return line;
  }
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const line = input.split(/\r?\n/)[0] ?? '';
  if (line === '') throw invalid('password', '-', 'standard input was empty');
  return line;
}

const PASSWORD_HELP = `the password (at least ${PASSWORD_MIN} characters), or - to read it from standard input`;

export function registerAdminCommands(program: Command): void {
  const admin = program
    .command('admin')
    .description('Staff accounts of the panel: create-user, list-users, set-password, set-role, disable, enable.')
    .addHelpText(
      'after',
      `
Roles: ${STAFF_ROLES.join(', ')} (admin/permissions.ts says what each may do).
The panel has no account until the first admin is created:
  wispd admin create-user --email noc@example.net --password - --role admin`,
    );

  admin
    .command('create-user')
    .description('Add a staff member who can log in to the panel.')
    .requiredOption('--email <email>', 'their email address, the login')
    .requiredOption('--password <password>', PASSWORD_HELP)
    .requiredOption('--role <role>', STAFF_ROLES.join(', '))
    .addHelpText(
      'after',
      `
Examples:
  wispd admin create-user --email ana@example.net --password 'correct horse battery' --role admin
  printf '%s\\n' "$PW" | wispd admin create-user --email noc@example.net --password - --role noc`,
    )
    .action((o: { email: string; password: string; role: string }, cmd: Command) =>
      withRecords(globals(cmd), async ({ db, actor }) => {
        const s = await createStaff(db, actor, {
          email: o.email,
          password: await password(o.password),
          role: o.role,
        });
        process.stdout.write(`added staff member ${s.email} (${s.role})\n`);
      }),
    );

  admin
    .command('list-users')
    .description('List the staff members (password hashes are never shown).')
    .option('--json', 'as JSON')
    .addHelpText('after', '\nExample:\n  wispd admin list-users')
    .action((o: { json?: boolean }, cmd: Command) =>
      readRecords(globals(cmd), async ({ db }) => {
        const rows = (await listStaff(db)).map((s) => ({
          email: s.email,
          role: s.role,
          status: s.disabled ? 'disabled' : 'enabled',
          last_login: s.lastLoginAt,
          created: s.createdAt,
        }));
        printTable(rows, ['email', 'role', 'status', 'last_login', 'created'], o.json);
      }),
    );

  admin
    .command('set-password')
    .description("Set a staff member's password; their open sessions end.")
    .requiredOption('--email <email>', 'the staff member')
    .requiredOption('--password <password>', PASSWORD_HELP)
    .addHelpText('after', "\nExample:\n  wispd admin set-password --email ana@example.net --password 'a new long one'")
    .action((o: { email: string; password: string }, cmd: Command) =>
      withRecords(globals(cmd), async ({ db, actor }) => {
        const s = await updateStaff(db, actor, { email: o.email }, { password: await password(o.password) });
        process.stdout.write(`password of ${s.email} changed; their sessions were ended\n`);
      }),
    );

  admin
    .command('set-role')
    .description("Change a staff member's role; it applies from their next request.")
    .requiredOption('--email <email>', 'the staff member')
    .requiredOption('--role <role>', STAFF_ROLES.join(', '))
    .addHelpText('after', '\nExample:\n  wispd admin set-role --email ana@example.net --role noc')
    .action((o: { email: string; role: string }, cmd: Command) =>
      withRecords(globals(cmd), async ({ db, actor }) => {
        const s = await updateStaff(db, actor, { email: o.email }, { role: o.role });
        process.stdout.write(`${s.email} is now ${s.role}\n`);
      }),
    );

  admin
    .command('disable')
    .description('Stop a staff member from logging in; their open sessions end. The last enabled admin cannot be.')
    .requiredOption('--email <email>', 'the staff member')
    .addHelpText('after', '\nExample:\n  wispd admin disable --email ana@example.net')
    .action((o: { email: string }, cmd: Command) =>
      withRecords(globals(cmd), async ({ db, actor }) => {
        const s = await updateStaff(db, actor, { email: o.email }, { disabled: true });
        process.stdout.write(`disabled ${s.email}\n`);
      }),
    );

  admin
    .command('enable')
    .description('Let a disabled staff member log in again.')
    .requiredOption('--email <email>', 'the staff member')
    .addHelpText('after', '\nExample:\n  wispd admin enable --email ana@example.net')
    .action((o: { email: string }, cmd: Command) =>
      withRecords(globals(cmd), async ({ db, actor }) => {
        const s = await updateStaff(db, actor, { email: o.email }, { disabled: false });
        process.stdout.write(`enabled ${s.email}\n`);
      }),
    );

  admin
    .command('create-token')
    .description('Make an API token for /api/v1/ (shown this once; stored as a hash), with a staff role.')
    .requiredOption('--name <name>', 'what it is for: billing-sync, grafana…')
    .requiredOption('--role <role>', STAFF_ROLES.join(', '))
    .option('--expires <date>', 'when it stops working (2027-06-30, or an ISO time); none by default')
    .addHelpText(
      'after',
      '\nExample:\n  wispd admin create-token --name crm-sync --role readonly --expires 2027-06-30\n  curl -H "Authorization: Bearer wat_…" http://127.0.0.1:8080/api/v1/subscribers',
    )
    .action((o: { name: string; role: string; expires?: string }, cmd: Command) =>
      withRecords(globals(cmd), async ({ db, actor }) => {
        const expiresAt = o.expires ? new Date(o.expires) : null;
        if (expiresAt && Number.isNaN(expiresAt.getTime())) throw invalid('expires', o.expires, 'a date: 2027-06-30');
        const { token, apiToken } = await createApiToken(db, actor, { name: o.name, role: o.role, expiresAt });
        process.stderr.write(`token ${apiToken.name} (${apiToken.role}); it is shown this once:\n`);
        process.stdout.write(`${token}\n`);
      }),
    );

  admin
    .command('list-tokens')
    .description('The API tokens: role, expiry, last use, revoked (never the tokens themselves).')
    .option('--json', 'as JSON')
    .action((o: { json?: boolean }, cmd: Command) =>
      readRecords(globals(cmd), async ({ db }) => {
        const rows = (await listApiTokens(db)).map((t) => ({
          name: t.name,
          role: t.role,
          expires: t.expiresAt,
          last_used: t.lastUsedAt,
          revoked: t.revokedAt,
          created_by: t.createdBy,
        }));
        printTable(rows, ['name', 'role', 'expires', 'last_used', 'revoked', 'created_by'], o.json);
      }),
    );

  admin
    .command('revoke-token')
    .description('Stop an API token from working, at once.')
    .argument('<name>', 'as list-tokens names it')
    .action((name: string, _o, cmd: Command) =>
      withRecords(globals(cmd), async ({ db, actor }) => {
        await revokeApiToken(db, actor, name);
        process.stdout.write(`revoked ${name}\n`);
      }),
    );
}
