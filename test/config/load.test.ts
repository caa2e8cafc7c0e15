// Loading: file, then environment; frozen result; sources recorded; the shipped example is valid.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig, loadConfigWithSources } from '../../config/load.ts';
import { schema } from '../../config/schema.ts';
import { load } from '../../daemon/cli/load.ts';
import { repoRoot } from '../helpers/env.ts';

t.test('the environment wins over the file', async (t) => {
  const { config, sources } = loadConfigWithSources(schema, {
    text: 'log:\n  level: warn\ndatabase:\n  pool_size: 20\n',
    file: 'w.yaml',
    env: { WISPD_LOG_LEVEL: 'debug', PATH: '/bin' },
  });
  t.equal(config.log.level, 'debug');
  t.equal(config.database.pool_size, 20);
  t.same(sources.get('log.level'), { from: 'env', where: 'WISPD_LOG_LEVEL' });
  t.same(sources.get('database.pool_size'), { from: 'file', where: 'w.yaml:4' });
  t.same(sources.get('nats.url'), { from: 'default' });
});

t.test('the result is frozen all the way down', async (t) => {
  const config = loadConfig(schema, { env: {} });
  t.ok(Object.isFrozen(config));
  t.ok(Object.isFrozen(config.database));
  t.throws(() => {
    (config.database as { pool_size: number }).pool_size = 3;
  }, TypeError);
});

t.test('every problem is reported at once, each with its place', async (t) => {
  const err = t.throws(() =>
    loadConfig(schema, {
      text: 'nats:\n  urll: x\n  request_timeout: soon\n',
      file: 'p.yaml',
      env: { WISPD_LOG_LEVEL: 'loud' },
    }),
  ) as ConfigError;
  t.type(err, ConfigError);
  t.same(
    err.problems.map((p) => [p.code, p.where]),
    [
      ['WISPD_CONFIG_UNKNOWN_KEY', 'p.yaml:2'],
      ['WISPD_CONFIG_INVALID_VALUE', 'p.yaml:3'],
      ['WISPD_CONFIG_INVALID_VALUE', 'WISPD_LOG_LEVEL'],
    ],
  );
});

t.test('a missing file is named', async (t) => {
  t.throws(() => loadConfig(schema, { file: '/nonexistent/wispd.yaml', env: {} }), {
    code: 'WISPD_CONFIG_FILE',
    message: /\/nonexistent\/wispd\.yaml.*cannot read the file: no such file/s,
  });
});

t.test('WISPD_CONFIG names the file and is not a config key', async (t) => {
  t.doesNotThrow(() => loadConfig(schema, { env: { WISPD_CONFIG: 'x.yaml' } }));
});

t.test('the shipped example is valid: the embedded defaults, plus the demo', async (t) => {
  const file = `${repoRoot}/config/wispd.example.yaml`;
  const example = loadConfig(schema, { file, text: readFileSync(file, 'utf8'), env: {} });
  const defaults = loadConfig(schema, { env: {} });
  t.same(
    { ...example, radius: { ...example.radius, demo: false }, daemon: { ...example.daemon, data_dir: './data' } },
    defaults,
    'only radius.demo differs from the defaults (and how data_dir is written)',
  );
  t.equal(
    load({ config: file }).config.daemon.data_dir,
    resolve(repoRoot, defaults.daemon.data_dir),
    "data_dir, relative to the file, is the checkout's data/ as the default is from the checkout",
  );
  t.equal(example.radius.demo, true);
  t.equal(example.database.url, '');
  t.equal(example.clickhouse.url, '');
  t.equal(example.nats.url, '');
});
