// The plugin host in a real daemon: a plugin with a broken migration is `failed` with the database's reason, its
// routes answer 503, and RADIUS answers all the while; one needing another wispd fails with the range it needs; the
// healthy one migrates its own schema and serves its routes (staff ones behind the session, public ones with the raw
// body). Mended and restarted, the broken plugin migrates and runs; an upgrade runs only its new migration; a failing
// health check marks a plugin failed until it passes again.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { addNas } from '../../daemon/model/nas.ts';
import { addPlan } from '../../daemon/model/plan.ts';
import { addSubscriber } from '../../daemon/model/subscriber.ts';
import { repoRoot, tmpDir } from '../helpers/env.ts';
import { wispd } from '../helpers/proc.ts';
import { eventually, radclient, startDaemon } from '../helpers/radius.ts';

const SECRET = 'plugin-test-secret';
const dir = tmpDir(t);
const dataDir = `${dir}/data`;
const sdk = pathToFileURL(`${repoRoot}/plugins/sdk/index.ts`).href;

/** A fixture plugin copied where the test may change it, importing the SDK by its absolute URL. */
function copyPlugin(name: string): string {
  const to = `${dir}/${name}`;
  cpSync(`${repoRoot}/test/fixtures/plugins/${name}`, to, { recursive: true });
  const index = `${to}/index.ts`;
  writeFileSync(index, readFileSync(index, 'utf8').replace('../../../../plugins/sdk/index.ts', sdk));
  // A plugin outside this package is a package of its own: ESM, as the SDK is.
  writeFileSync(`${to}/package.json`, JSON.stringify({ name: `wispd-plugin-${name}`, type: 'module' }));
  return to;
}

const hello = copyPlugin('hello');
const broken = copyPlugin('broken');
const future = `${dir}/future`;
cpSync(hello, future, { recursive: true });
writeFileSync(
  `${future}/index.ts`,
  `import { definePlugin } from '${sdk}';\nexport default definePlugin({ name: 'future', version: '1.0.0', wispd: '^9', register() {} });\n`,
);
const env = {
  WISPD_DAEMON_DATA_DIR: dataDir,
  WISPD_PLUGINS_ENABLED: [hello, broken, future].join(','),
  WISPD_PLUGINS_HEALTH_INTERVAL: '1s',
  WISPD_PLUGINS_HELLO_API_KEY: 'sk_test_not_to_be_shown',
  WISPD_PLUGINS_HELLO_REPEAT: '2',
};
const cli = (...args: string[]) => wispd(args, { env });

t.test('a failed plugin does not stop the daemon; mended, it runs; an upgrade runs only what is new', async (t) => {
  let d = await startDaemon(t, env, dataDir);
  const base = `http://${String((await d.child.waitFor('staff panel listening')).listen)}`;
  await addNas(d.db, d.box, { name: 'n', address: '127.0.0.1', secret: SECRET, vendor: 'mikrotik' });
  await addPlan(d.db, { name: 'p', rateDown: 1e6, rateUp: 1e6 });
  await addSubscriber(d.db, d.box, { username: 'u', password: 'pw', plan: 'p' });
  const auth = await eventually(async () => {
    const r = await radclient(
      d.authPort,
      'auth',
      SECRET,
      'User-Name = "u", User-Password = "pw", Message-Authenticator = 0x00',
    );
    return r.code === 'Access-Accept' ? r : undefined;
  });
  t.equal(auth.code, 'Access-Accept', 'RADIUS answers with a plugin failed');

  const list = cli('plugin', 'list', '--json');
  t.equal(list.code, 0, list.stderr);
  const byName = Object.fromEntries((JSON.parse(list.stdout) as Array<{ name: string }>).map((p) => [p.name, p]));
  t.match(byName.hello, { status: 'active', version: '1.2.0', migrations: { applied: ['0001_greeting'], total: 1 } });
  t.same(
    (byName.hello as { config?: unknown } | undefined)?.config,
    { greeting: 'hello', api_key: '********', repeat: 2 },
    'its settings, the secret masked',
  );
  t.notMatch(list.stdout, /sk_test_not_to_be_shown/);
  t.match(byName.broken, { status: 'failed', reason: /migration broken\/0001_item failed: .*no_such_table/ });
  t.match(byName.future, { status: 'failed', reason: /needs wispd \^9; this is \d/ });
  t.match(cli('plugin', 'list').stdout, /broken\s+0\.1\.0\s+failed/);

  const status = await fetch(`${base}/hooks/broken/status`);
  t.equal(status.status, 503);
  t.match(await status.json(), {
    error: 'WISPD_PLUGIN_UNAVAILABLE',
    message: /plugin broken is failed: .*no_such_table/,
  });
  const nothing = await d.db.query("SELECT 1 FROM information_schema.tables WHERE table_schema = 'plugin_broken'");
  t.equal(nothing.rows.length, 0, 'a failed migration leaves none of its tables');

  t.equal((await fetch(`${base}/api/v1/hello/greetings`)).status, 401, 'a staff route needs a session');
  const portal = await fetch(`${base}/portal/api/hello/me`);
  t.equal(portal.status, 401, 'a portal route needs a customer');
  t.match(await portal.json(), { error: 'WISPD_CUSTOMER_UNAUTHORIZED' });
  const ping = await fetch(`${base}/hooks/hello/ping`, {
    method: 'POST',
    body: 'raw bytes',
    headers: { 'content-type': 'text/plain' },
  });
  t.same(await ping.json(), { bytes: 9 }, 'a public route sees the raw body');
  const rows = await d.db.query('SELECT text FROM plugin_hello.greeting ORDER BY id');
  t.same(
    rows.rows.map((r) => r.text),
    ['hello', 'raw bytes'],
    'in the plugin’s own schema',
  );
  t.equal((await fetch(`${base}/hooks/hello/nope`)).status, 404);

  // Its health check fails: failed, 503; passing again, active.
  await fetch(`${base}/hooks/hello/ping`, { method: 'POST', body: 'sick', headers: { 'content-type': 'text/plain' } });
  await eventually(
    async () =>
      (await fetch(`${base}/hooks/hello/ping`, { method: 'POST', body: 'x' })).status === 503 ? true : undefined,
    10_000,
  );
  t.match(JSON.parse(cli('plugin', 'list', '--json').stdout)[0], {
    status: 'failed',
    reason: 'health: told to be sick',
  });
  t.equal(await d.stop(), 0);

  // Mended: the migration fixed, a new one for hello, both restarted.
  writeFileSync(`${broken}/migrations/0001_item.sql`, 'CREATE TABLE item (id serial PRIMARY KEY);\n');
  writeFileSync(
    `${hello}/migrations/0002_seen.sql`,
    'ALTER TABLE greeting ADD COLUMN seen boolean NOT NULL DEFAULT false;\n',
  );
  d = await startDaemon(t, env, dataDir);
  const base2 = `http://${String((await d.child.waitFor('staff panel listening')).listen)}`;
  const again = Object.fromEntries(
    (JSON.parse(cli('plugin', 'list', '--json').stdout) as Array<{ name: string }>).map((p) => [p.name, p]),
  );
  t.match(again.broken, { status: 'active', migrations: { applied: ['0001_item'] } }, 'mended: migrated and running');
  t.match(
    again.hello,
    { status: 'active', migrations: { applied: ['0002_seen'], total: 2 } },
    'only the new migration',
  );
  t.same(await (await fetch(`${base2}/hooks/broken/status`)).json(), { rows: { n: 0 } });
  const applied = await d.db.query(
    "SELECT scope, name FROM schema_migrations WHERE scope <> 'core' ORDER BY scope, version",
  );
  t.same(applied.rows, [
    { scope: 'broken', name: '0001_item' },
    { scope: 'hello', name: '0001_greeting' },
    { scope: 'hello', name: '0002_seen' },
  ]);
  t.equal(await d.stop(), 0);
});
