import type { Command } from 'commander';
import { formatBytes, formatRate, parseBytes, parseRate } from '../../config/units.ts';
import { invalid } from '../model/db.ts';
import { addPlan, getPlan, listPlans, type Plan, updatePlan } from '../model/plan.ts';
import { printTable, readRecords, withRecords } from './context.ts';
import { count, globals, rate, seconds } from './options.ts';

const fupText = (p: Plan) =>
  p.fupRules
    ? 'rules'
    : p.fupQuota
      ? `${formatBytes(p.fupQuota)}/${p.fupPeriod}${p.fupThrottleDown ? ` then ${formatRate(p.fupThrottleDown)}/${formatRate(p.fupThrottleUp!)}` : ' then block'}`
      : null;

const planRow = (p: Plan & { subscribers?: number }) => ({
  name: p.name,
  down: formatRate(p.rateDown),
  up: formatRate(p.rateUp),
  burst:
    p.burstDown || p.burstUp ? `${formatRate(p.burstDown ?? p.rateDown)}/${formatRate(p.burstUp ?? p.rateUp)}` : null,
  session_timeout: p.sessionTimeout,
  interim: p.interimInterval,
  pool: p.ipPool,
  sim_use: p.simultaneousUse,
  fup: fupText(p),
  subscribers: p.subscribers,
});

export function registerPlanCommands(program: Command): void {
  const plan = program.command('plan').description('Plans: speed, burst, timeouts, address pool: add, set, list.');
  const planOptions = (c: Command) =>
    c
      .option('--burst-down <rate>', 'burst speed towards the subscriber (above --rate-down)')
      .option('--burst-up <rate>', 'burst speed from the subscriber')
      .option('--session-timeout <seconds>', 'Session-Timeout (3600, or 1h)')
      .option('--idle-timeout <seconds>', 'Idle-Timeout')
      .option('--interim-interval <seconds>', 'Acct-Interim-Interval, at least 60 (default 300)')
      .option('--ip-pool <name>', 'Framed-Pool for subscribers without a static address')
      .option('--simultaneous-use <n>', 'sessions a subscriber may have at once (default 1)')
      .option('--fup-quota <bytes>', 'fair usage: bytes per period (100G, 500M), both directions counted')
      .option('--fup-period <period>', 'fair usage period: day, week, month or cycle (the billing cycle)')
      .option(
        '--fup-throttle <down/up>',
        'fair usage: the rate over the quota (5M/1M); without it, over quota is blocked',
      )
      .option(
        '--fup-rules <json>',
        'fair usage rules as JSON: {quota, period, thresholds:[{percent, action, rateDown, rateUp}], windows:[{from, to, mode, factor}]}',
      );
  const fup = (o: Record<string, string | undefined>) => {
    const out: Record<string, unknown> = {};
    if (o.fupQuota !== undefined) {
      const bytes = parseBytes(o.fupQuota);
      if (!bytes) throw invalid('fup-quota', o.fupQuota, 'an amount such as 100G or 500M');
      out.fupQuota = bytes;
    }
    if (o.fupPeriod !== undefined) out.fupPeriod = o.fupPeriod;
    if (o.fupThrottle !== undefined) {
      const [down, up] = o.fupThrottle.split('/');
      const rateDown = down ? parseRate(down) : undefined;
      const rateUp = up ? parseRate(up) : undefined;
      if (!rateDown || !rateUp) throw invalid('fup-throttle', o.fupThrottle, 'down/up rates such as 1M/1M');
      out.fupThrottleDown = rateDown;
      out.fupThrottleUp = rateUp;
    }
    if (o.fupRules !== undefined) {
      try {
        out.fupRules = JSON.parse(o.fupRules);
      } catch {
        throw invalid('fup-rules', o.fupRules, 'is not JSON');
      }
    }
    return out;
  };
  const planChange = (o: Record<string, string | undefined>) => ({
    ...fup(o),
    rateDown: rate('rate-down', o.rateDown),
    rateUp: rate('rate-up', o.rateUp),
    burstDown: rate('burst-down', o.burstDown),
    burstUp: rate('burst-up', o.burstUp),
    sessionTimeout: seconds('session-timeout', o.sessionTimeout),
    idleTimeout: seconds('idle-timeout', o.idleTimeout),
    interimInterval: seconds('interim-interval', o.interimInterval),
    ipPool: o.ipPool,
    simultaneousUse: count('simultaneous-use', o.simultaneousUse),
  });
  const defined = <T extends object>(o: T) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

  planOptions(
    plan
      .command('add')
      .description('Add a plan.')
      .requiredOption('--name <name>', 'the plan name')
      .requiredOption('--rate-down <rate>', 'speed towards the subscriber: 20M, 512k, 1G')
      .requiredOption('--rate-up <rate>', 'speed from the subscriber'),
  )
    .addHelpText(
      'after',
      '\nExample:\n  wispd plan add --name home-20 --rate-down 20M --rate-up 5M --interim-interval 300',
    )
    .action((o, cmd: Command) =>
      withRecords(globals(cmd), async ({ write }) => {
        const c = planChange(o);
        const p = await write({ resource: 'plan', action: 'new' }, (tx) =>
          addPlan(tx, { name: o.name, ...defined(c), rateDown: c.rateDown!, rateUp: c.rateUp! }),
        );
        process.stdout.write(`added plan ${p.name} (${formatRate(p.rateDown)}/${formatRate(p.rateUp)})\n`);
      }),
    );

  planOptions(
    plan
      .command('set')
      .description("Change a plan; its subscribers' next logins get the new profile.")
      .argument('<name>', 'the plan name')
      .option('--rate-down <rate>', 'speed towards the subscriber')
      .option('--rate-up <rate>', 'speed from the subscriber'),
  ).action((name: string, o, cmd: Command) =>
    withRecords(globals(cmd), async ({ db, write }) => {
      const before = await getPlan(db, name);
      const p = await write({ resource: 'plan', action: 'edit', recordId: before.id, before }, (tx) =>
        updatePlan(tx, name, defined(planChange(o))),
      );
      printTable([planRow(p)], ['name', 'down', 'up', 'burst', 'session_timeout', 'interim', 'pool', 'sim_use', 'fup']);
    }),
  );

  plan
    .command('list')
    .description('List the plans and how many subscribers each has.')
    .option('--json', 'as JSON')
    .action((o, cmd: Command) =>
      readRecords(globals(cmd), async ({ db }) => {
        const rows = (await listPlans(db)).map(planRow);
        printTable(
          rows,
          ['name', 'down', 'up', 'burst', 'session_timeout', 'interim', 'pool', 'sim_use', 'fup', 'subscribers'],
          o.json,
        );
      }),
    );
}
