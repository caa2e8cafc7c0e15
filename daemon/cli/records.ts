/** `wispd nas …`, `wispd plan …`, `wispd subscriber …`: the operator's records, without the panel. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseDuration } from '../../config/define.ts';
import { formatBytes, formatRate, parseBytes, parseRate } from '../../config/units.ts';
import { formatMac } from '../lib/mac.ts';
import { invalid } from '../model/db.ts';
import { addNas, listNas, NAS_VENDORS, removeNas } from '../model/nas.ts';
import { addPlan, listPlans, type Plan, updatePlan } from '../model/plan.ts';
import {
  addSubscriber,
  getSubscriber,
  importSubscribers,
  listSubscribers,
  parseSubscriberCsv,
  SUBSCRIBER_STATUSES,
  updateSubscriber,
} from '../model/subscriber.ts';
import { printTable, withRecords } from './context.ts';
import type { GlobalOptions } from './load.ts';

const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals<GlobalOptions>();

function rate(field: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const bps = parseRate(text);
  if (bps === undefined) throw invalid(field, text, 'a rate such as 20M, 512k or 1G (bits per second)');
  return bps;
}

/** Seconds: "3600", "1h", "30m". */
export function seconds(field: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  const ms = parseDuration(text);
  if (ms === undefined || ms % 1000 !== 0) throw invalid(field, text, 'seconds, or a duration such as 30m or 1h');
  return ms / 1000;
}

export function count(field: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw invalid(field, text, 'a whole number');
  return Number(text);
}

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

export function registerRecordCommands(program: Command): void {
  const nas = program
    .command('nas')
    .description('The NAS/BRAS allowed to send RADIUS: add, list, remove.')
    .addHelpText('after', '\nA packet from an address no NAS covers is dropped (and counted).');

  nas
    .command('add')
    .description('Add a NAS (a host address or a subnet of them) with its shared secret.')
    .requiredOption('--name <name>', 'a name for staff and logs')
    .requiredOption('--address <ip|cidr>', 'its address (10.0.0.1) or a subnet of NAS (10.0.0.0/24)')
    .requiredOption('--secret <secret>', 'the RADIUS shared secret (stored encrypted; never shown again)')
    .option('--vendor <vendor>', `how replies express speed: ${NAS_VENDORS.join(', ')}`, 'generic')
    .option('--coa-port <port>', 'where it listens for CoA/Disconnect (MikroTik: 3799 or 1700)', '3799')
    .option(
      '--no-require-message-authenticator',
      'accept Access-Requests without Message-Authenticator (only for NAS that cannot send it; weakens BlastRADIUS protection)',
    )
    .addHelpText(
      'after',
      '\nExample:\n  wispd nas add --name tower1-ccr --address 10.20.0.1 --secret "$SECRET" --vendor mikrotik',
    )
    .action((o, cmd: Command) =>
      withRecords(globals(cmd), async ({ db, box }) => {
        const n = await addNas(db, box, {
          name: o.name,
          address: o.address,
          secret: o.secret,
          vendor: o.vendor,
          coaPort: count('coa-port', o.coaPort),
          requireMessageAuthenticator: o.requireMessageAuthenticator,
        });
        process.stdout.write(`added NAS ${n.name} (${n.address}, ${n.vendor}, CoA port ${n.coaPort})\n`);
      }),
    );

  nas
    .command('list')
    .description('List the NAS (secrets are never shown).')
    .option('--json', 'as JSON')
    .action((o, cmd: Command) =>
      withRecords(globals(cmd), async ({ db }) => {
        const rows = (await listNas(db)).map((n) => ({
          name: n.name,
          address: n.address,
          vendor: n.vendor,
          coa_port: n.coaPort,
          message_authenticator: n.requireMessageAuthenticator ? 'required' : 'optional',
        }));
        printTable(rows, ['name', 'address', 'vendor', 'coa_port', 'message_authenticator'], o.json);
      }),
    );

  nas
    .command('remove')
    .description('Remove a NAS; its packets are dropped from then on.')
    .argument('<name>', 'the NAS name')
    .action((name: string, _o, cmd: Command) =>
      withRecords(globals(cmd), async ({ db }) => {
        await removeNas(db, name);
        process.stdout.write(`removed NAS ${name}\n`);
      }),
    );

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
      withRecords(globals(cmd), async ({ db }) => {
        const c = planChange(o);
        const p = await addPlan(db, { name: o.name, ...defined(c), rateDown: c.rateDown!, rateUp: c.rateUp! });
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
    withRecords(globals(cmd), async ({ db }) => {
      const p = await updatePlan(db, name, defined(planChange(o)));
      printTable([planRow(p)], ['name', 'down', 'up', 'burst', 'session_timeout', 'interim', 'pool', 'sim_use', 'fup']);
    }),
  );

  plan
    .command('list')
    .description('List the plans and how many subscribers each has.')
    .option('--json', 'as JSON')
    .action((o, cmd: Command) =>
      withRecords(globals(cmd), async ({ db }) => {
        const rows = (await listPlans(db)).map(planRow);
        printTable(
          rows,
          ['name', 'down', 'up', 'burst', 'session_timeout', 'interim', 'pool', 'sim_use', 'fup', 'subscribers'],
          o.json,
        );
      }),
    );

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
      withRecords(globals(cmd), async ({ db, box }) => {
        const s = await addSubscriber(db, box, {
          username: o.username,
          password: o.password,
          plan: o.plan,
          status: o.status,
          ip: o.ip,
          mac: o.mac,
          simultaneousUse: count('simultaneous-use', o.simultaneousUse),
          cycleDay: count('cycle-day', o.cycleDay),
        });
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
    .addHelpText('after', '\nExample:\n  wispd subscriber set alice --status suspended')
    .action((username: string, o, cmd: Command) =>
      withRecords(globals(cmd), async ({ db, box }) => {
        const s = await updateSubscriber(db, box, username, {
          password: o.password,
          plan: o.plan,
          status: o.status,
          ip: o.ip,
          mac: o.mac,
          cycleDay: count('cycle-day', o.cycleDay),
        });
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
      withRecords(globals(cmd), async ({ db, box }) => {
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
      withRecords(globals(cmd), async ({ db }) => {
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
      withRecords(globals(cmd), async ({ db }) => {
        const s = await getSubscriber(db, username);
        const { rows: sessions } = await db.query(
          `SELECT n.name AS nas, r.acct_session_id AS session, host(r.framed_ip) AS ip, r.calling_station_id AS mac,
             r.started_at AS since, r.input_octets::float8 AS "in", r.output_octets::float8 AS "out"
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
          `status:    ${s.status}${s.expiresAt ? ` (expires ${s.expiresAt.toISOString()})` : ''}`,
          `address:   ${s.staticIp ?? 'from the pool'}`,
          `mac:       ${s.mac ? formatMac(s.mac) : 'not bound'}`,
          `online:    ${sessions.length} session(s)`,
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
        if (sessions.length) printTable(sessions, ['nas', 'session', 'ip', 'mac', 'since', 'in', 'out']);
      }),
    );
}
