/**
 * `wispd plugin list`: the plugins the running daemon loaded, each with its version, status and why it failed.
 * `wispd job list|run`: the scheduled jobs (the core's and the plugins'), from PostgreSQL; a run now, by the daemon.
 * `wispd workflow list|show|retry|abandon`: workflow runs and their steps; a failed run retried or given up.
 */
import type { Command } from 'commander';
import { control } from '../control/client.ts';
import type { JobRow } from '../jobs/index.ts';
import type { PluginState } from '../plugins/host.ts';
import { DataDir } from '../store/datadir.ts';
import { listRuns, type RunView, showRun } from '../workflows/index.ts';
import { printTable, readRecords } from './context.ts';
import { load } from './load.ts';
import { globals } from './options.ts';

export function registerPluginCommands(program: Command): void {
  const plugin = program.command('plugin').description('Plugins (plugins.enabled): what the running daemon loaded.');
  plugin
    .command('list')
    .description('Each enabled plugin: version, status (active or failed) and the reason, migrations applied.')
    .option('--json', 'as JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const { config } = load(globals(cmd));
      const list = await control<PluginState[]>(new DataDir(config.daemon.data_dir), 'plugins', {});
      if (o.json) return printTable(list as unknown as Array<Record<string, unknown>>, [], true);
      if (list.length === 0) return void process.stdout.write('no plugins enabled (plugins.enabled)\n');
      printTable(
        list.map((p) => ({
          name: p.name,
          version: p.version,
          status: p.status,
          migrations: p.migrations.total,
          reason: p.reason,
        })),
        ['name', 'version', 'status', 'migrations', 'reason'],
      );
    });
}

export function registerJobCommands(program: Command): void {
  const job = program.command('job').description('Scheduled jobs of the core and the plugins: list, run now.');
  job
    .command('list')
    .description('Each job: schedule, last run (when, how long, the error), next run, runs and failures.')
    .option('--json', 'as JSON')
    .action((o: { json?: boolean }, cmd: Command) =>
      readRecords(globals(cmd), async ({ db }) => {
        const { rows } = await db.query<JobRow>('SELECT * FROM job ORDER BY name');
        if (!o.json && rows.length === 0) return void process.stdout.write('no jobs yet\n');
        printTable(
          rows.map((r) => ({
            name: r.name,
            schedule: r.schedule,
            last_run: r.started_at,
            ms: r.duration_ms,
            running: r.running_on,
            error: r.error,
            next_run: r.next_at,
            runs: Number(r.runs),
            failures: Number(r.failures),
          })),
          ['name', 'schedule', 'last_run', 'ms', 'running', 'error', 'next_run', 'runs', 'failures'],
          o.json,
        );
      }),
    );
  job
    .command('run')
    .description('Run a job now, in the running daemon (not beside a run already under way).')
    .argument('<name>', 'as `job list` names it: <plugin>.<job>')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const { config } = load(globals(cmd));
      const r = await control<{ ran: boolean; error: string | null; durationMs: number }>(
        new DataDir(config.daemon.data_dir),
        'job.run',
        { name },
      );
      if (!r.ran) {
        process.stdout.write(`${name}: not run: ${r.error}\n`);
        process.exitCode = 1;
      } else if (r.error) {
        process.stdout.write(`${name}: failed after ${r.durationMs} ms: ${r.error}\n`);
        process.exitCode = 1;
      } else process.stdout.write(`${name}: done in ${r.durationMs} ms\n`);
    });
}

export function registerWorkflowCommands(program: Command): void {
  const wf = program
    .command('workflow')
    .description('Workflow runs (sagas of the plugins): list, show one with its steps, retry or abandon a failed one.');
  wf.command('list')
    .description('The latest runs, newest first.')
    .option('--status <status>', 'running, compensating, completed, compensated, failed or abandoned')
    .option('--json', 'as JSON')
    .action((o: { status?: string; json?: boolean }, cmd: Command) =>
      readRecords(globals(cmd), async ({ db }) => {
        const runs = await listRuns(db, { status: o.status });
        if (!o.json && runs.length === 0) return void process.stdout.write('no workflow runs\n');
        printTable(
          runs as unknown as Array<Record<string, unknown>>,
          ['id', 'workflow', 'status', 'key', 'updatedAt', 'error'],
          o.json,
        );
      }),
    );
  wf.command('show')
    .description('One run: its input, status, and each step with its output or error.')
    .argument('<id>', 'the run id')
    .option('--json', 'as JSON')
    .action((id: string, o: { json?: boolean }, cmd: Command) =>
      readRecords(globals(cmd), async ({ db }) => printRun(await showRun(db, id), o.json)),
    );
  for (const [name, what] of [
    ['retry', 'Retry a failed run from where it stopped, or a compensated one from its start (in the running daemon).'],
    ['abandon', 'Give up on a failed or compensated run: nothing more is done for it.'],
  ] as const) {
    wf.command(name)
      .description(what)
      .argument('<id>', 'the run id')
      .action(async (id: string, _o: unknown, cmd: Command) => {
        const { config } = load(globals(cmd));
        printRun(await control<RunView>(new DataDir(config.daemon.data_dir), `workflow.${name}`, { id }));
      });
  }
}

function printRun(r: RunView, json = false): void {
  if (json) {
    printTable(r as unknown as Array<Record<string, unknown>>, [], true);
    return;
  }
  process.stdout.write(
    `${r.id}  ${r.workflow}  ${r.status}${r.error ? `: ${r.error}` : ''}\ninput: ${JSON.stringify(r.input)}\n`,
  );
  for (const s of r.steps)
    process.stdout.write(
      `  ${s.idx + 1}. ${s.name}: ${s.status}${s.error ? ` (${s.error})` : ''}, ${s.attempts} attempt(s)\n`,
    );
}
