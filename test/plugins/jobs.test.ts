// Jobs on a schedule: with two daemons on one PostgreSQL (DATABASE_URL's server; one embedded daemon without it),
// each tick of a job runs once, a slow job never runs twice at once, a failing one records its error, and
// `wispd job list|run` show and run them.
import t from 'tap';
import { freshPostgres, repoRoot, tmpDir } from '../helpers/env.ts';
import { wispd } from '../helpers/proc.ts';
import { startDaemon } from '../helpers/radius.ts';

t.test('one run per tick across daemons, never two at once, errors recorded', async (t) => {
  const url = await freshPostgres(t);
  const dir = tmpDir(t);
  const env = (n: number): Record<string, string> => ({
    WISPD_PLUGINS_ENABLED: `${repoRoot}/test/fixtures/plugins/ticker`,
    WISPD_DAEMON_DATA_DIR: `${dir}/data-${n}`,
    ...(url ? { WISPD_DATABASE_URL: url } : {}),
  });
  const daemons = [await startDaemon(t, env(1), `${dir}/data-1`)];
  if (url) daemons.push(await startDaemon(t, env(2), `${dir}/data-2`));
  else t.comment('DATABASE_URL is not set: one embedded daemon (two need a shared PostgreSQL)');
  const db = daemons[0]!.db;
  await new Promise((r) => setTimeout(r, 9000));

  const { rows } = await db.query<{ job: string; pid: number; started: Date; ended: Date }>(
    'SELECT job, pid, started, ended FROM plugin_ticker.run ORDER BY started',
  );
  const count = rows.filter((r) => r.job === 'count');
  t.ok(count.length >= 3, `the 2 s job ran ${count.length} times in 9 s`);
  const ticks = count.map((r) => Math.floor(r.started.getTime() / 2000));
  t.same(ticks, [...new Set(ticks)], 'each tick ran once, by one daemon');
  if (url) {
    const pids = new Map<number, number>();
    for (const r of count) pids.set(r.pid, (pids.get(r.pid) ?? 0) + 1);
    t.comment(`runs of the 2 s job by daemon: ${[...pids.values()].join(', ')}`);
  }
  const slow = rows.filter((r) => r.job === 'slow');
  t.ok(slow.length >= 2, `the slow job ran ${slow.length} times`);
  for (let i = 1; i < slow.length; i++)
    t.ok(slow[i]!.started.getTime() >= slow[i - 1]!.ended.getTime(), 'a run starts only after the last one ended');

  const env1 = env(1);
  const list = wispd(['job', 'list', '--json'], { env: env1 });
  t.equal(list.code, 0, list.stderr);
  const jobs = Object.fromEntries(
    (JSON.parse(list.stdout) as Array<{ name: string; runs: number; failures: number }>).map((j) => [j.name, j]),
  );
  t.match(jobs['ticker.count'], { schedule: 'every 2s', error: null, failures: 0 });
  t.ok(jobs['ticker.count']!.runs >= count.length, 'its runs counted');
  t.match(jobs['ticker.broken'], { schedule: 'cron * * * * * *', error: 'always fails' });
  t.ok(Number(jobs['ticker.broken']!.failures) >= 3, 'each failure counted');
  const run = wispd(['job', 'run', 'ticker.count'], { env: env1 });
  t.match(run, { code: 0, stdout: /^ticker\.count: done in \d+ ms$/m });
  t.match(wispd(['job', 'run', 'ticker.broken'], { env: env1 }), {
    code: 1,
    stdout: /failed after \d+ ms: always fails/,
  });
  for (const d of daemons) t.equal(await d.stop(), 0);
});
