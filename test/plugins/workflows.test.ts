// Workflows end to end in a daemon: a run killed (SIGKILL) between its steps resumes at the next start and completes,
// no step done twice; a step that keeps failing compensates the steps done, in reverse; a run started twice with one
// key is one run; `wispd workflow list|show|retry|abandon` show and act on them.
import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import { repoRoot, tmpDir } from '../helpers/env.ts';
import { wispd } from '../helpers/proc.ts';
import { eventually, startDaemon } from '../helpers/radius.ts';

t.test('resume after a crash, compensate in reverse, retry and abandon', async (t) => {
  const dir = tmpDir(t);
  const marker = `${dir}/crashed`;
  const env = {
    WISPD_PLUGINS_ENABLED: `${repoRoot}/test/fixtures/plugins/saga`,
    WISPD_DAEMON_DATA_DIR: `${dir}/data`,
    SAGA_CRASH_MARKER: marker,
  };
  const cli = (...args: string[]) => wispd(args, { env });
  let d = await startDaemon(t, env, `${dir}/data`);
  const base = async () => `http://${String((await d.child.waitFor('staff panel listening')).listen)}`;
  const start = async (url: string, body: object) =>
    (
      (await (await fetch(`${url}/hooks/saga/start`, { method: 'POST', body: JSON.stringify(body) })).json()) as {
        id: string;
      }
    ).id;
  const effects = async (run: string) =>
    (
      await d.db.query<{ step: string; kind: string; key: string }>(
        'SELECT step, kind, key FROM plugin_saga.effect WHERE run = $1 ORDER BY n',
        [run],
      )
    ).rows;

  const url = await base();
  const crashing = start(url, { workflow: 'provision', input: { crash: true } }).catch(() => undefined);
  const exit = await Promise.race([d.child.exited, new Promise((r) => setTimeout(() => r('alive'), 30_000))]);
  t.match(exit, { signal: 'SIGKILL' }, 'killed between steps a and b');
  await crashing;
  const run = readFileSync(marker, 'utf8');
  t.ok(existsSync(marker));

  d = await startDaemon(t, env, `${dir}/data`);
  const url2 = await base();
  const resumed = await eventually(async () => {
    const v = JSON.parse(cli('workflow', 'show', run, '--json').stdout);
    return v.status === 'completed' ? v : undefined;
  }, 30_000);
  t.match(resumed.steps, [
    { name: 'a', status: 'done', attempts: 1 },
    { name: 'b', status: 'done', output: { after: { done: 'a' } } },
    { name: 'c', status: 'done' },
  ]);
  t.same(
    (await effects(run)).map((e) => `${e.kind} ${e.step}`),
    ['do a', 'do b', 'do c'],
    'resumed at b: a was not done twice',
  );
  t.same((await effects(run))[1]!.key, `${run}:b`, 'each step has its idempotency key');

  const key = 'order-1042';
  const doomed = await start(url2, { workflow: 'doomed', key });
  t.equal(await start(url2, { workflow: 'doomed', key }), doomed, 'started twice with one key: one run');
  const settled = await eventually(async () => {
    const v = JSON.parse(cli('workflow', 'show', doomed, '--json').stdout);
    return v.status === 'compensated' ? v : undefined;
  }, 30_000);
  t.match(settled, { error: 'step c: the provider said no' });
  t.match(settled.steps, [
    { name: 'a', status: 'compensated' },
    { name: 'b', status: 'compensated' },
    { name: 'c', status: 'failed', attempts: 2 },
  ]);
  t.same(
    (await effects(doomed)).map((e) => `${e.kind} ${e.step}`),
    ['do a', 'do b', 'undo b', 'undo a'],
    'compensated in reverse',
  );
  t.match(cli('workflow', 'list').stdout, new RegExp(`${doomed}\\s+saga\\.doomed\\s+compensated`));
  t.match(cli('workflow', 'show', doomed).stdout, /3\. c: failed \(the provider said no\), 2 attempt\(s\)/);

  const retried = cli('workflow', 'retry', doomed);
  t.equal(retried.code, 0, retried.stderr);
  await eventually(async () => ((await effects(doomed)).length === 8 ? true : undefined), 30_000);
  t.match(JSON.parse(cli('workflow', 'show', doomed, '--json').stdout), { status: 'compensated' }, 'retried: again');
  t.match(cli('workflow', 'abandon', doomed).stdout, /abandoned/);
  t.match(cli('workflow', 'retry', run), { code: 1, stderr: /only a failed or compensated run is retried/ });
  t.equal(await d.stop(), 0);
});
