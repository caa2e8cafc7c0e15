/** The `wispd` command line. Every command has --help; the daemon itself is `wispd start`. */
import { Command, Option } from 'commander';
import { dumpConfig } from '../../config/dump.ts';
import { ConfigError } from '../../config/load.ts';
import { messageOf, WispdError } from '../lib/errors.ts';
import { version } from '../version.ts';
import { registerAdminCommands } from './admin.ts';
import { collect } from './collect.ts';
import { registerCollectorCommands } from './collector.ts';
import { registerCustomerCommands } from './customer.ts';
import { registerDeviceCommands } from './device.ts';
import { type GlobalOptions, loadWithPlugins } from './load.ts';
import { migrate } from './migrate.ts';
import { registerNasCommands } from './nas.ts';
import { registerNotifyCommands } from './notify.ts';
import { registerOperationCommands } from './operations.ts';
import { registerPlanCommands } from './plan.ts';
import { registerJobCommands, registerPluginCommands, registerWorkflowCommands } from './plugin.ts';
import { registerSiteCommands } from './site.ts';
import { start } from './start.ts';
import { registerSubscriberCommands } from './subscriber.ts';

const program = new Command('wispd')
  .description('wispd, the network core of a wireless or fibre ISP: RADIUS AAA, CoA, telemetry, FUP and SLA.')
  .addOption(new Option('-c, --config <file>', 'YAML config file (else the built-in defaults)').env('WISPD_CONFIG'))
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText(
    'after',
    `
Every config key can be overridden by an environment variable WISPD_<SECTION>_<KEY>,
e.g. WISPD_DATABASE_URL=postgres://wispd@db/wispd or WISPD_LOG_LEVEL=debug.
With no database.url, clickhouse.url or nats.url, the stores are embedded (PGlite,
chDB, in-process bus) under daemon.data_dir.`,
  );

const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals<GlobalOptions>();

program
  .command('start')
  .description('Run the daemon in the foreground until SIGTERM or SIGINT.')
  .addHelpText(
    'after',
    `
It logs JSON lines on standard output and a line with "msg":"ready" once every
component has started. The first SIGTERM/SIGINT drains and stops the components
(at most daemon.shutdown_timeout); a second one exits at once.

Example:
  wispd start --config /etc/wispd/wispd.yaml`,
  )
  .action((_opts, cmd: Command) => start(globals(cmd)));

program
  .command('collect')
  .description('Run a remote poller for one site: poll its devices and publish to the daemon over NATS (JetStream).')
  .option('--site <site>', 'the site (marked --remote) whose devices this poller polls (or collect.site)')
  .option('--token <token>', 'the collector token from `wispd collector add --site <site>` (or collect.token)')
  .addHelpText(
    'after',
    `
It needs nats.url (the daemon's NATS with JetStream) and the token (better kept in
the config file or WISPD_COLLECT_TOKEN than on the command line); the devices,
their SNMP credentials and changes to them come from the daemon. What it collects
is kept by JetStream while the daemon is away, and stored once when it is back.

Example:
  WISPD_NATS_URL=nats://core.example.net:4222 wispd collect --site north-tower --token wct_…`,
  )
  .action((opts: { site?: string; token?: string }, cmd: Command) => collect({ ...globals(cmd), ...opts }));

program
  .command('check-config')
  .description('Validate the configuration (file and WISPD_* variables) and exit: 0 when valid, 1 otherwise.')
  .addHelpText('after', '\nExample:\n  wispd check-config --config /etc/wispd/wispd.yaml')
  .action(async (_opts, cmd: Command) => {
    const { config, file } = await loadWithPlugins(globals(cmd));
    const store = (url: string, embedded: string) => (url === '' ? `embedded ${embedded}` : 'remote');
    process.stdout.write(
      [
        `${file ?? 'the defaults and environment'}: valid`,
        `  postgres:   ${store(config.database.url, `PGlite under ${config.daemon.data_dir}/pglite`)}`,
        `  clickhouse: ${store(config.clickhouse.url, `chDB under ${config.daemon.data_dir}/chdb`)}`,
        `  bus:        ${config.nats.url === '' ? 'in-process' : 'NATS'}`,
        '',
      ].join('\n'),
    );
  });

program
  .command('dump-config')
  .description('Print the effective configuration as YAML, secrets masked, with where each value came from.')
  .option('--docs', "add each key's documentation as a comment (a complete, commented config file)")
  .addHelpText(
    'after',
    '\nExamples:\n  wispd dump-config --config /etc/wispd/wispd.yaml\n  wispd dump-config --docs > wispd.yaml',
  )
  .action(async (opts: { docs?: boolean }, cmd: Command) => {
    const { config, sources, file, schema } = await loadWithPlugins(globals(cmd));
    const header = `# wispd ${version}: effective configuration from ${file ?? 'the defaults'} and the environment; secrets masked\n`;
    process.stdout.write(header + dumpConfig(schema, config, { docs: opts.docs, sources }));
  });

program
  .command('migrate')
  .description(
    'Apply pending PostgreSQL and ClickHouse migrations and exit (the daemon also applies them when it starts).',
  )
  .addHelpText(
    'after',
    `
Migrations run under a lock, so several wispd processes never apply one twice.
With embedded stores it works while the daemon runs (through the daemon's PGlite
endpoint; chDB is migrated by the daemon itself).

Example:
  wispd migrate --config /etc/wispd/wispd.yaml`,
  )
  .action((_opts, cmd: Command) => migrate(globals(cmd)));

registerNasCommands(program);
registerPlanCommands(program);
registerSubscriberCommands(program);
registerCustomerCommands(program);
registerSiteCommands(program);
registerDeviceCommands(program);
registerCollectorCommands(program);
registerOperationCommands(program);
registerAdminCommands(program);
registerPluginCommands(program);
registerJobCommands(program);
registerNotifyCommands(program);
registerWorkflowCommands(program);

program
  .command('version')
  .description('Print the version of wispd and of Node.js.')
  .action(() => {
    process.stdout.write(`wispd ${version} (node ${process.version})\n`);
  });

/**
 * Commander checks required options before unknown ones, so `--usernme x` was reported as a missing --username:
 * an option the command does not know is named first, with the closest one it does.
 */
function refuseUnknownOptions(argv: readonly string[]): void {
  let cmd: Command = program;
  /** Known flags, and whether each takes a value (the next word is then not an option). */
  const known = new Map<string, boolean>([
    ['--help', false],
    ['-h', false],
  ]);
  const add = (c: Command) => {
    for (const o of c.options) for (const f of [o.long, o.short]) if (f) known.set(f, o.required || o.optional);
  };
  add(program);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return;
    if (!arg.startsWith('-')) {
      const sub = cmd.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
      if (sub) {
        cmd = sub;
        add(sub);
      }
      continue;
    }
    const [flag, inline] = [arg.split('=', 1)[0]!, arg.includes('=')];
    if (known.has(flag)) {
      if (known.get(flag) && !inline) i++;
      continue;
    }
    // A command with subcommands: commander says what is missing.
    if (cmd.commands.length > 0 || !/^--?[A-Za-z]/.test(flag)) continue;
    (cmd as unknown as { unknownOption(flag: string): never }).unknownOption(flag);
  }
}

// A reader that stops early (`wispd subscriber list | head`) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

try {
  refuseUnknownOptions(process.argv.slice(2));
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`wispd: ${err.message}\n`);
  } else if (err instanceof WispdError) {
    process.stderr.write(`wispd: ${err.message} [${err.code}]\n`);
  } else {
    process.stderr.write(`wispd: ${messageOf(err)}\n`);
    if (process.env.WISPD_DEBUG_STACK) process.stderr.write(`${(err as Error).stack}\n`);
  }
  process.exit(1);
}
