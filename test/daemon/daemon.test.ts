// The daemon as an operator runs it: `wispd start` with the shipped example config, embedded stores under its data
// directory, a `ready` line, SIGTERM, a second start on the same data; and, when DATABASE_URL and NATS_URL are set,
// the same daemon on the real PostgreSQL and NATS servers.
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { createPostgres } from '../../daemon/store/postgres/index.ts';
import { freshPostgres, natsUrl, randomId, repoRoot, silentLog, tmpDir } from '../helpers/env.ts';
import { startWispd, wispd } from '../helpers/proc.ts';
import { radclient, stoppedDaemonClickhouse } from '../helpers/radius.ts';

const example = ['--config', 'config/wispd.example.yaml'];
// The example listens on 1812/1813 of every address; tests take ephemeral ports on loopback.
const ports = {
  WISPD_RADIUS_ADDRESS: '127.0.0.1',
  WISPD_RADIUS_AUTH_PORT: '0',
  WISPD_RADIUS_ACCT_PORT: '0',
  WISPD_INGEST_LISTEN: '127.0.0.1:0',
  WISPD_ADMIN_LISTEN: '127.0.0.1:0',
};

async function stopWithin(t: Test, p: ReturnType<typeof startWispd>, ms: number) {
  const t0 = performance.now();
  p.kill('SIGTERM');
  const { code, at } = await p.exited;
  t.equal(code, 0, 'SIGTERM: exit code 0');
  t.ok(at - t0 < ms, `exited ${Math.round(at - t0)} ms after SIGTERM (limit ${ms} ms)`);
}

t.test(
  'embedded stores: first start, migrate alongside, a second daemon refused, restart on the same data',
  async (t) => {
    const data = `${tmpDir(t)}/data`;
    const env = { WISPD_DAEMON_DATA_DIR: data, ...ports };

    const first = startWispd(example, { env });
    t.teardown(() => first.kill('SIGKILL'));
    const ready = await first.waitFor('ready', 90_000);

    // The README's radclient line, against the demo the example seeds on a first start.
    const readme = readFileSync(`${repoRoot}/README.md`, 'utf8');
    const line = /^echo '(.+)' \| radclient -x 127\.0\.0\.1 auth (\S+)$/m.exec(readme);
    t.ok(line, 'the README has a radclient line');
    const listening = first.lines.find((l) => l.msg === 'RADIUS listening')!;
    const demo = await radclient(listening.auth as number, 'auth', line![2]!, line![1]!);
    t.equal(demo.code, 'Access-Accept', "the README's radclient line gets an Access-Accept");
    t.equal(demo.attributes['Mikrotik-Rate-Limit'], '5M/20M', "with the demo plan's attributes");
    t.same(ready.embedded, ['postgres', 'clickhouse', 'bus'], 'the ready line says every store is embedded');
    t.same(ready.remote, []);
    t.match(ready.stores, {
      postgres: new RegExp(`^embedded PGlite \\(${data}/pglite, served on 127\\.0\\.0\\.1:\\d+\\)$`),
      clickhouse: `embedded chDB (${data}/chdb)`,
      bus: 'in-process bus',
    });
    t.ok(typeof ready.boot_ms === 'number' && typeof ready.rss_mb === 'number');
    // The panel's bundle is minified by esbuild once, at start: its service process does not outlive the build.
    const children = spawnSync('ps', ['-o', 'args=', '--ppid', String(first.proc.pid)], { encoding: 'utf8' }).stdout;
    t.notMatch(children, /rollup-plugin-esbuild-minify/, 'no bundler process left once ready');
    for (const f of ['pglite', 'chdb', 'wispd.lock', 'postgres.json'])
      t.ok(existsSync(`${data}/${f}`), `data/${f} exists`);

    const migrate = wispd(['migrate', ...example], { env });
    t.equal(migrate.code, 0, migrate.stderr);
    t.match(migrate.stdout, /^postgres: embedded PGlite of wispd pid \d+ \(127\.0\.0\.1:\d+\): up to date/m);
    t.match(migrate.stdout, /^clickhouse: embedded chDB belongs to the running daemon/m);

    const second = startWispd(example, { env });
    const refused = await second.exited;
    t.equal(refused.code, 1, 'a second daemon on the same data directory exits 1');
    t.match(second.lines.at(-1), {
      level: 'fatal',
      code: 'WISPD_DATADIR_LOCKED',
      err: /in use by another wispd process/,
    });

    await stopWithin(t, first, 10_000);
    t.notOk(existsSync(`${data}/wispd.lock`), 'the lock is released');
    t.notOk(existsSync(`${data}/postgres.json`), 'the endpoint record is removed');

    const again = startWispd(example, { env });
    t.teardown(() => again.kill('SIGKILL'));
    const readyAgain = await again.waitFor('ready', 90_000);
    t.equal(readyAgain.instance, ready.instance, 'same data: same instance');
    t.equal(
      again.lines.filter((l) => l.msg === 'schema up to date').length,
      2,
      'the second start applies no migration in either store',
    );
    await stopWithin(t, again, 10_000);

    const ch = await stoppedDaemonClickhouse(t, data);
    const events = await ch.query<{ event: string; n: string }>(
      'SELECT event, count() AS n FROM daemon_events GROUP BY event ORDER BY event',
    );
    t.same(
      events,
      [
        { event: 'start', n: '2' },
        { event: 'stop', n: '2' },
      ],
      'each start and stop is recorded in ClickHouse',
    );
  },
);

// NATS always (NATS_URL's server, or one started here); PostgreSQL when DATABASE_URL names a server.
t.test('remote NATS, and remote PostgreSQL when DATABASE_URL is set', async (t) => {
  const databaseUrl = await freshPostgres(t);
  const env: Record<string, string> = {
    ...ports,
    WISPD_DAEMON_DATA_DIR: `${tmpDir(t)}/data`,
    WISPD_NATS_URL: await natsUrl(t),
    WISPD_NATS_SUBJECT_PREFIX: `test.${randomId()}`,
    ...(databaseUrl ? { WISPD_DATABASE_URL: databaseUrl } : {}),
  };
  const p = startWispd(example, { env });
  t.teardown(() => p.kill('SIGKILL'));
  const ready = await p.waitFor('ready', 90_000);
  t.same(ready.embedded, databaseUrl ? ['clickhouse'] : ['postgres', 'clickhouse']);
  t.same(ready.remote, databaseUrl ? ['postgres', 'bus'] : ['bus']);
  t.match(ready.stores, { bus: /^NATS \(nats:\/\/.*JetStream available\)$/ });
  if (databaseUrl) t.match(ready.stores, { postgres: /^remote PostgreSQL \(postgres:\/\// });
  await stopWithin(t, p, 10_000);
  if (!databaseUrl) return;

  const pg = createPostgres(
    { url: databaseUrl, pool_size: 1, connect_timeout: 5000, embedded_port: 0 },
    { log: silentLog() },
  );
  await pg.start();
  t.teardown(() => pg.stop());
  const { rows } = await pg.query("SELECT name FROM schema_migrations WHERE scope = 'core' ORDER BY version");
  t.same(rows[0], { name: '0001_instance' }, 'the migrations went to the real server');
  const demo = await pg.query("SELECT 1 FROM subscriber WHERE username = 'demo' UNION ALL SELECT 1 FROM nas");
  t.equal(demo.rows.length, 0, 'the example config (radius.demo on) seeds nothing into a real database');
  t.ok(
    p.lines.find((l) => l.msg.startsWith('radius.demo is ignored')),
    'and says why',
  );
});

t.test('boot failures: fast, one line naming the key, no stack trace; started from any directory', async (t) => {
  // Node's recursive mkdir never returns under /proc: the daemon must say so, not spin.
  const t0 = performance.now();
  const proc = wispd(['start'], { env: { ...ports, WISPD_DAEMON_DATA_DIR: '/proc/wispd-nope/data' } });
  t.equal(proc.code, 1);
  t.ok(performance.now() - t0 < 30_000, 'it fails fast');
  t.match(
    proc.stdout + proc.stderr,
    /cannot create \/proc\/wispd-nope\/data\S* \(daemon\.data_dir \/proc\/wispd-nope\/data\)/,
  );

  const held = createSocket('udp4');
  await new Promise<void>((resolve) => held.bind(0, '127.0.0.1', resolve));
  t.teardown(() => held.close());
  const busy = wispd(['start'], {
    env: {
      ...ports,
      WISPD_RADIUS_AUTH_PORT: String(held.address().port),
      WISPD_DAEMON_DATA_DIR: `${tmpDir(t)}/data`,
    },
    // Not the checkout: the panel and everything else must not depend on the working directory.
    cwd: tmpDir(t),
  });
  t.equal(busy.code, 1);
  const lines = busy.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number | string; msg: string; err?: unknown });
  const failures = lines.filter((l) => l.level === 'fatal' || l.level === 'error' || Number(l.level) >= 50);
  t.equal(failures.length, 1, 'one line says what failed');
  t.match(failures[0], {
    code: 'WISPD_RADIUS_LISTEN',
    err: /cannot listen on 127\.0\.0\.1:\d+ \(radius\.address, radius\.auth_port\): bind EADDRINUSE/,
  });
  t.notMatch(busy.stdout, /\n\s+at /, 'no stack trace anywhere');
});
