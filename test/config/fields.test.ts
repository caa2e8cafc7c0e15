// The field types of the config schema, table-driven: what each accepts, what it rejects and why.
import { readFileSync } from 'node:fs';
import t from 'tap';
import {
  boolean,
  duration,
  formatDuration,
  integer,
  ipAddress,
  listen,
  maskUrl,
  oneOf,
  parseDuration,
  url,
} from '../../config/define.ts';
import { schema } from '../../config/schema.ts';
import { repoRoot } from '../helpers/env.ts';

t.test('durations', async (t) => {
  const cases: Array<[string, number | undefined]> = [
    ['500ms', 500],
    ['8s', 8000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1.5s', 1500],
    ['10', undefined],
    ['s', undefined],
    ['5 s', undefined],
    ['-1s', undefined],
    ['', undefined],
  ];
  for (const [text, ms] of cases) t.equal(parseDuration(text), ms, text);
  t.equal(formatDuration(90_000), '90s');
  t.equal(formatDuration(7_200_000), '2h');
  t.equal(formatDuration(1500), '1500ms');
  const f = duration({ default: '8s', min: '1s', max: '5m', doc: '' });
  t.equal(f.default, 8000);
  t.equal(f.parse('2m', 'env'), 120_000);
  t.throws(() => f.parse('10m', 'file'), { name: 'ValueError' });
  t.throws(() => f.parse('500ms', 'file'), { name: 'ValueError' });
  t.throws(() => f.parse(10, 'file'), { message: /with a unit/ });
});

t.test('integers take numbers from YAML and digit strings from the environment', async (t) => {
  const f = integer({ default: 1, min: 1, max: 10, doc: '' });
  t.equal(f.parse(5, 'file'), 5);
  t.equal(f.parse('7', 'env'), 7);
  for (const bad of [0, 11, 2.5, '2.5', 'x', true, null, [1]]) {
    t.throws(() => f.parse(bad, 'file'), { message: 'must be an integer from 1 to 10' }, JSON.stringify(bad));
  }
});

t.test('booleans', async (t) => {
  const f = boolean({ default: false, doc: '' });
  for (const yes of [true, 'true', 'yes', 'on', '1', 'TRUE']) t.equal(f.parse(yes, 'env'), true, String(yes));
  for (const no of [false, 'false', 'no', 'off', '0']) t.equal(f.parse(no, 'env'), false, String(no));
  t.throws(() => f.parse('maybe', 'env'), { message: 'must be true or false' });
});

t.test('one of a list', async (t) => {
  const f = oneOf(['a', 'b'] as const, { default: 'a', doc: '' });
  t.equal(f.parse('b', 'file'), 'b');
  t.throws(() => f.parse('c', 'file'), { message: 'must be one of a, b' });
});

t.test('URLs: schemes checked, passwords never shown', async (t) => {
  const f = url({ default: '', schemes: ['nats', 'tls'], list: true, secret: true, doc: '' });
  t.equal(f.parse('', 'env'), '');
  t.equal(f.parse('nats://a:4222, nats://b:4222', 'env'), 'nats://a:4222,nats://b:4222');
  t.throws(() => f.parse('http://a:4222', 'env'), {
    message: 'must be a comma-separated list of URLs starting with nats:// or tls://',
  });
  t.throws(() => f.parse('nats://a:4222,nope', 'env'), { name: 'ValueError' });
  t.equal(f.show('nats://u:pw@a:4222,nats://b:4222'), 'nats://u:****@a:4222,nats://b:4222');
  t.equal(maskUrl('postgres://wispd:s3cret@db:5432/wispd'), 'postgres://wispd:****@db:5432/wispd');
  t.equal(maskUrl('http://ch:8123'), 'http://ch:8123');
  t.equal(maskUrl('http://ch:8123/'), 'http://ch:8123/');
  t.equal(maskUrl('user:pw@host'), '********', 'an unparseable value with credentials is hidden whole');
  t.equal(f.showRaw('garbage'), 'garbage');
  const pg = url({ default: '', schemes: ['postgres'], hostOptional: true, doc: '' });
  t.equal(pg.parse('postgres:///wispd?host=/run/postgresql', 'file'), 'postgres:///wispd?host=/run/postgresql');
});

t.test('addresses and address:port are checked, ports within 0..65535', async (t) => {
  const ip = ipAddress({ default: '0.0.0.0', doc: '' });
  for (const ok of ['0.0.0.0', '127.0.0.1', '::', '::1', '2001:db8::1']) t.equal(ip.parse(ok, 'env'), ok, ok);
  for (const bad of ['999.1.1.1', '10.0.0.1.5', '01.2.3.4', 'localhost', '', '1.2.3']) {
    t.throws(() => ip.parse(bad, 'env'), { message: /must be an IPv4 or IPv6 address/ }, bad);
  }
  const l = listen({ default: '127.0.0.1:3000', example: '0.0.0.0:3000', doc: '' });
  for (const ok of ['127.0.0.1:3000', '0.0.0.0:0', '[::1]:65535', 'localhost:8080', ''])
    t.equal(l.parse(ok, 'env'), ok, ok);
  for (const bad of ['127.0.0.1:99999', '127.0.0.1:65536', '999.0.0.1:80', '[::g]:80', '127.0.0.1', ':80', '[::1]']) {
    t.throws(() => l.parse(bad, 'env'), { message: /port from 0 to 65535/ }, bad);
  }
});

t.test("the README's config table lists every section and every key of the schema", async (t) => {
  const readme = readFileSync(`${repoRoot}/README.md`, 'utf8');
  for (const [name, section] of Object.entries(schema.fields)) {
    if (section.kind !== 'section') continue;
    const row = new RegExp(`^\\| \`${name}\` +\\|([^|]*)\\|`, 'm').exec(readme);
    t.ok(row, `a row for ${name}`);
    for (const [key, f] of Object.entries(section.fields)) {
      const shown = f.kind === 'section' ? `${key}.*` : key;
      t.ok(row?.[1]?.includes(`\`${shown}\``), `${name}.${shown} is in it`);
    }
  }
});
