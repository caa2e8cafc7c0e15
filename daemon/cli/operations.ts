/**
 * `wispd disconnect|coa|suspend|resume|restrict|unrestrict|restrictions`: act on live sessions and restrictions
 * through the running daemon (its control socket).
 */
import type { Command } from 'commander';
import { formatRate, parseRate, readableBytes } from '../../config/units.ts';
import { noAnswerHint } from '../coa/hints.ts';
import type { CoaResult } from '../coa/index.ts';
import { control, notRunning } from '../control/client.ts';
import { invalid } from '../model/db.ts';
import { describeEffect, type Restriction } from '../model/restriction.ts';
import type { Usage } from '../policy/fup/index.ts';
import { storedUsage, type UsageReport } from '../policy/fup/report.ts';
import type { RestrictionChange } from '../policy/restrictions/index.ts';
import { DataDir } from '../store/datadir.ts';
import type { QuarantinedRow } from '../store/quarantine.ts';
import { cliActor, readRecords, withClickhouse } from './context.ts';
import { load } from './load.ts';
import { globals } from './options.ts';

function describe(r: CoaResult): string {
  const how = `${r.kind === 'coa' ? 'CoA' : 'Disconnect'} ${r.outcome.toUpperCase()}${r.errorCause ? ` (${r.errorCause})` : ''}`;
  const line = `${r.nas}  ${r.username}  ${r.acctSessionId}  ${how}  ${r.attempts} attempt(s), ${r.latencyMs} ms`;
  return r.fallback ? `${line}\n  then ${describe(r.fallback)}` : line;
}

async function run(cmd: Command, op: string, args: Record<string, unknown>): Promise<void> {
  const { config } = load(globals(cmd));
  const results = await control<CoaResult[]>(new DataDir(config.daemon.data_dir), op, {
    actor: cliActor().name,
    ...args,
  });
  if (op === 'suspend' || op === 'resume') {
    process.stdout.write(
      `${args.username}: ${op === 'suspend' ? 'suspended; later logins are refused or walled' : 'no longer suspended (other restrictions stay)'}\n`,
    );
  }
  printCoa(results);
}

function printCoa(results: CoaResult[]): void {
  if (results.length === 0) process.stdout.write('no live session to act on\n');
  for (const r of results) process.stdout.write(`${describe(r)}\n`);
  const silent = [...new Set(results.filter((r) => r.outcome === 'timeout').map((r) => r.nas))];
  for (const nas of silent) {
    process.stdout.write(`hint: ${noAnswerHint(nas)}\n`);
  }
  // Exit 1 when a NAS did not acknowledge, so that scripts notice.
  if (results.some((r) => r.outcome !== 'ack' && r.fallback?.outcome !== 'ack')) process.exitCode = 1;
}

/** "5M/1M": down/up, as the subscriber sees them. */
function parseDownUp(text: string): { rateDown: number; rateUp: number } {
  const [down, up] = text.split('/');
  const rateDown = down ? parseRate(down) : undefined;
  const rateUp = up ? parseRate(up) : undefined;
  if (!rateDown || !rateUp) throw invalid('rate', text, 'down/up rates such as 5M/1M');
  return { rateDown, rateUp };
}

function printUsage(u: Usage | UsageReport): void {
  if ('fup' in u && !u.fup) {
    const lines = [
      `username:  ${u.username}`,
      `period:    billing cycle, ${u.periodStart} to ${u.periodEnd}`,
      `used:      ${readableBytes(u.bytes)} (${readableBytes(u.outputOctets)} down, ${readableBytes(u.inputOctets)} up)`,
      `quota:     none: plan ${u.plan} has no fair usage policy`,
    ];
    return void process.stdout.write(`${lines.join('\n')}\n`);
  }
  const lines = [
    `username:  ${u.username}`,
    `period:    ${u.period}, ${u.periodStart} to ${u.periodEnd}`,
    `used:      ${readableBytes(u.bytes)} of ${readableBytes(u.limit)} = ${u.percent}%`,
    `quota:     ${readableBytes(u.quota)}${u.topups ? ` + ${readableBytes(u.topups)} top-ups` : ''}`,
    `state:     ${u.state === 'none' ? 'within the quota' : u.state}`,
  ];
  if ('source' in u && u.source === 'tables') lines.push('(wispd is not running: as of its last write)');
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Live from the daemon; when none runs, from the stores themselves (the FUP counter as the daemon last wrote it). */
async function usageReport(cmd: Command, username: string): Promise<UsageReport> {
  const opts = globals(cmd);
  const { config } = load(opts);
  try {
    return await control<UsageReport>(new DataDir(config.daemon.data_dir), 'usage', { username });
  } catch (err) {
    if (!notRunning(err)) throw err;
  }
  return readRecords(opts, ({ config, db, dataDir }) =>
    withClickhouse(config, dataDir, (ch) => storedUsage(db, ch, username, Date.now())),
  );
}

async function usageCommand(cmd: Command, op: string, args: Record<string, unknown>, json: boolean): Promise<void> {
  const { config } = load(globals(cmd));
  const usage = await control<Usage>(new DataDir(config.daemon.data_dir), op, { actor: cliActor().name, ...args });
  if (json) process.stdout.write(`${JSON.stringify(usage, null, 2)}\n`);
  else printUsage(usage);
}

async function quarantineCommand(cmd: Command, o: { replay?: boolean; json?: boolean }): Promise<void> {
  const { config } = load(globals(cmd));
  const dataDir = new DataDir(config.daemon.data_dir);
  if (o.replay) {
    const r = await control<{ replayed: number; refused: QuarantinedRow[] }>(dataDir, 'accounting-replay', {});
    if (o.json) return void process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    process.stdout.write(`${r.replayed} record(s) stored, ${r.refused.length} still refused\n`);
    for (const q of r.refused) process.stdout.write(`  ${q.at}  ${q.error}\n`);
    if (r.refused.length) process.exitCode = 1;
    return;
  }
  const rows = await control<QuarantinedRow[]>(dataDir, 'accounting-quarantine', {});
  if (o.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  if (rows.length === 0) return void process.stdout.write('no accounting record in quarantine\n');
  for (const q of rows) {
    const fields = q.row.split('\t');
    const field = (name: string) => fields[q.columns.indexOf(name)] ?? '';
    process.stdout.write(
      `${q.at}  nas ${field('nas')}  user ${field('username')}  session ${field('acct_session_id')}\n  ${q.error}\n`,
    );
  }
  process.stdout.write(`${rows.length} record(s); \`wispd accounting quarantine --replay\` sends them again\n`);
}

export function registerOperationCommands(program: Command): void {
  program
    .command('accounting')
    .description('Accounting records and their way to ClickHouse.')
    .command('quarantine')
    .description(
      'The accounting records ClickHouse refused: kept aside (data_dir/quarantine/) so that the others go on.',
    )
    .option('--replay', 'send them again (after the cause is fixed); those still refused stay')
    .option('--json', 'as JSON')
    .addHelpText('after', '\nExamples:\n  wispd accounting quarantine\n  wispd accounting quarantine --replay')
    .action((o: { replay?: boolean; json?: boolean }, cmd: Command) => quarantineCommand(cmd, o));

  program
    .command('usage')
    .description("A subscriber's usage this period: with fair usage, used of the quota, top-ups and state.")
    .argument('<username>', 'the login')
    .option('--json', 'as JSON')
    .addHelpText(
      'after',
      "\nLive from the running daemon; without one, from the stores (the FUP counter as the daemon last wrote it).\nA plan without fair usage shows the traffic of the subscriber's billing cycle.\n\nExample:\n  wispd usage alice",
    )
    .action(async (username: string, o: { json?: boolean }, cmd: Command) => {
      const usage = await usageReport(cmd, username);
      if (o.json) process.stdout.write(`${JSON.stringify(usage, null, 2)}\n`);
      else printUsage(usage);
    });

  program
    .command('topup')
    .description(
      "Add bytes to a subscriber's quota (until the period ends, or --expires); a throttled subscriber gets the plan's rate back by CoA.",
    )
    .argument('<username>', 'the login')
    .argument('<bytes>', 'how much: 5G, 500M')
    .option('--bonus', 'record it as bonus traffic rather than a sold top-up')
    .option('--expires <date>', 'when the extra bytes expire (default: the end of the current period)')
    .option('--json', 'as JSON')
    .addHelpText('after', '\nExample:\n  wispd topup alice 5G')
    .action((username: string, bytes: string, o: { bonus?: boolean; expires?: string; json?: boolean }, cmd: Command) =>
      usageCommand(
        cmd,
        'topup',
        { username, bytes, kind: o.bonus ? 'bonus' : 'topup', expires: o.expires },
        Boolean(o.json),
      ),
    );

  program
    .command('disconnect')
    .description("Disconnect a subscriber's live sessions (or one of them) by Disconnect-Request to its NAS.")
    .argument('<username>', 'the login')
    .option('--session <acct-session-id>', 'only this session')
    .option('--reason <text>', 'written to the CoA ledger')
    .addHelpText(
      'after',
      '\nPrints each NAS answer; exit 1 when one did not acknowledge.\n\nExample:\n  wispd disconnect alice --reason "moved to a new CPE"',
    )
    .action((username: string, o: { session?: string; reason?: string }, cmd: Command) =>
      run(cmd, 'disconnect', { username, ...o }),
    );

  program
    .command('coa')
    .description("Change the rate of a subscriber's live sessions by CoA-Request (or as its NAS profile says).")
    .argument('<username>', 'the login')
    .requiredOption('--rate <down/up>', 'the new rate, down/up as the subscriber sees them: 5M/1M')
    .option('--session <acct-session-id>', 'only this session')
    .option('--reason <text>', 'written to the CoA ledger')
    .addHelpText('after', '\nExample:\n  wispd coa alice --rate 5M/1M --reason "line test"')
    .action((username: string, o: { rate: string; session?: string; reason?: string }, cmd: Command) => {
      const rate = parseDownUp(o.rate);
      return run(cmd, 'coa', {
        username,
        session: o.session,
        reason: o.reason ?? `rate ${formatRate(rate.rateDown)}/${formatRate(rate.rateUp)}`,
        ...rate,
      });
    });

  program
    .command('suspend')
    .description(
      'Suspend a subscriber: later logins are rejected (or walled), live sessions are disconnected or walled now.',
    )
    .argument('<username>', 'the login')
    .option('--reason <text>', 'written to the CoA ledger')
    .action((username: string, o: { reason?: string }, cmd: Command) => run(cmd, 'suspend', { username, ...o }));

  const effectNow = (r: RestrictionChange['effective']) =>
    r ? `${describeEffect(r, formatRate)} (for ${r.reason})` : 'none: the plan as it is';

  program
    .command('restrict')
    .description(
      'Restrict a subscriber for a reason (dunning, manual, pending_install): throttle, walled garden or reject. ' +
        'The most severe reason in force wins; the live sessions get it now by CoA or a Disconnect.',
    )
    .argument('<username>', 'the login')
    .requiredOption('--for <reason>', 'dunning, manual or pending_install (fair usage is the FUP engine’s)')
    .requiredOption('--effect <effect>', 'throttle, walled-garden or reject')
    .option('--rate <down/up>', 'for a throttle: 1M/512k')
    .option('--profile <address-list>', 'for a walled garden: the NAS address list (default radius.walled_garden)')
    .option('--reason <text>', 'why, for the audit log and the CoA ledger')
    .addHelpText(
      'after',
      '\nExamples:\n  wispd restrict alice --for dunning --effect walled-garden --profile unpaid --reason "invoice 1042"\n  wispd restrict bob --for manual --effect throttle --rate 2M/1M',
    )
    .action(
      async (
        username: string,
        o: { for: string; effect: string; rate?: string; profile?: string; reason?: string },
        cmd: Command,
      ) => {
        const { config } = load(globals(cmd));
        const change = await control<RestrictionChange>(new DataDir(config.daemon.data_dir), 'restrict', {
          actor: cliActor().name,
          username,
          for: o.for,
          effect: o.effect.replace('-', '_'),
          ...(o.rate ? parseDownUp(o.rate) : {}),
          profile: o.profile,
          reason: o.reason,
        });
        process.stdout.write(`${username}: restricted for ${o.for}; in force: ${effectNow(change.effective)}\n`);
        printCoa(change.coa);
      },
    );

  program
    .command('unrestrict')
    .description('Lift one reason of a subscriber’s restriction; the others stay in force.')
    .argument('<username>', 'the login')
    .requiredOption('--for <reason>', 'dunning, manual or pending_install')
    .option('--reason <text>', 'why, for the audit log and the CoA ledger')
    .action(async (username: string, o: { for: string; reason?: string }, cmd: Command) => {
      const { config } = load(globals(cmd));
      const change = await control<RestrictionChange>(new DataDir(config.daemon.data_dir), 'unrestrict', {
        actor: cliActor().name,
        username,
        for: o.for,
        reason: o.reason,
      });
      process.stdout.write(
        `${username}: ${change.before ? `${o.for} lifted` : `was not restricted for ${o.for}`}; in force: ${effectNow(change.effective)}\n`,
      );
      printCoa(change.coa);
    });

  program
    .command('restrictions')
    .description('Every reason a subscriber is restricted for, fair usage included, and the one in force.')
    .argument('<username>', 'the login')
    .action(async (username: string, _o: unknown, cmd: Command) => {
      const { config } = load(globals(cmd));
      const r = await control<{ restrictions: Restriction[]; effective: Restriction | null }>(
        new DataDir(config.daemon.data_dir),
        'restrictions',
        { username },
      );
      if (r.restrictions.length === 0) process.stdout.write(`${username}: not restricted\n`);
      for (const x of r.restrictions) {
        const by = 'actor' in x ? `, by ${x.actor}` : '';
        process.stdout.write(`${x.reason}: ${describeEffect(x, formatRate)}${x.note ? ` (${x.note})` : ''}${by}\n`);
      }
      if (r.effective) process.stdout.write(`in force: ${effectNow(r.effective)}\n`);
    });

  program
    .command('resume')
    .description(
      'Lift a suspension (the manual restriction): live sessions get the plan’s rate back, or what another reason still in force says.',
    )
    .argument('<username>', 'the login')
    .option('--reason <text>', 'written to the CoA ledger')
    .action((username: string, o: { reason?: string }, cmd: Command) => run(cmd, 'resume', { username, ...o }));
}
