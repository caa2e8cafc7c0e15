// The plugin test kit (plugins/sdk/testing) as a plugin's own test uses it: a real daemon with the plugin, records
// made through the CLI, a PAP login and accounting with usage over UDP, waiting for the core event, running a job
// now, and the clock moved a day forward so the nightly job runs on its own.
import t from 'tap';
import { startTestDaemon } from '../../plugins/sdk/testing/index.ts';
import { repoRoot } from '../helpers/env.ts';

t.test('the test kit drives a daemon with a plugin', async (t) => {
  const d = await startTestDaemon({ plugins: [`${repoRoot}/test/fixtures/plugins/kit`] });
  t.teardown(() => d.stop());
  await d.addPlan('home', '20M/5M');
  await d.addSubscriber('ana', 'ana-pw', 'home');
  t.equal(await d.auth('ana', 'wrong'), 'Access-Reject');
  t.equal(await d.auth('ana', 'ana-pw'), 'Access-Accept');
  t.ok(await d.accounting('ana', { status: 'Start', sessionId: 'k-1' }));
  t.ok(
    await d.accounting('ana', {
      status: 'Stop',
      sessionId: 'k-1',
      inputOctets: 1000,
      outputOctets: 5 * 2 ** 32 + 7,
      sessionTime: 60,
    }),
  );
  const stop = await d.waitForEvent('session.stop', (e) => e.subject === 'ana');
  t.match(
    stop.data,
    { acct_session_id: 'k-1', input_octets: 1000, output_octets: 5 * 2 ** 32 + 7 },
    'usage with gigawords',
  );
  const usage = await waitRows(d, 'SELECT username, bytes::float8 AS bytes FROM plugin_kit.usage');
  t.same(usage, [{ username: 'ana', bytes: 5 * 2 ** 32 + 1007 }], 'the plugin’s handler took it');

  t.match(await d.runJob('kit.nightly'), { ran: true, error: null });
  t.equal((await d.db.query('SELECT 1 FROM plugin_kit.summary')).rows.length, 1, 'a run now');
  await d.advanceClock(24 * 3_600_000);
  const runs = await waitRows(d, 'SELECT bytes::float8 AS bytes FROM plugin_kit.summary ORDER BY n', 2);
  t.equal(runs.length, 2, 'a day later, the nightly run came on its own');

  const token = await d.apiToken('readonly');
  const r = await fetch(`${d.url}/api/v1/subscribers/ana`, { headers: { authorization: `Bearer ${token}` } });
  t.match(await r.json(), { username: 'ana', plan: 'home' });
  t.equal(await d.stop(), 0);
});

async function waitRows(d: { db: { query(sql: string): Promise<{ rows: unknown[] }> } }, sql: string, n = 1) {
  for (let i = 0; i < 200; i++) {
    const { rows } = await d.db.query(sql);
    if (rows.length >= n) return rows as Array<Record<string, unknown>>;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${sql}: fewer than ${n} rows`);
}
