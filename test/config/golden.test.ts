// Golden config cases: test/config/golden/<case>/in.yaml (and `env`, KEY=VALUE lines) give either the effective
// config in expected.yaml or the exact error in error.txt. UPDATE_GOLDEN=1 rewrites the expectations.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { dumpConfig } from '../../config/dump.ts';
import { ConfigError, loadConfig } from '../../config/load.ts';
import { schema } from '../../config/schema.ts';

const root = new URL('./golden/', import.meta.url).pathname;
const update = process.env.UPDATE_GOLDEN === '1';

function readEnv(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

const cases = readdirSync(root).sort();
t.ok(cases.length >= 10, 'the golden cases are there');

for (const name of cases) {
  t.test(name, async (t) => {
    const dir = `${root}${name}/`;
    const text = readFileSync(`${dir}in.yaml`, 'utf8');
    let actual: { file: 'expected.yaml' | 'error.txt'; text: string };
    try {
      const config = loadConfig(schema, { text, file: 'in.yaml', env: readEnv(`${dir}env`) });
      actual = { file: 'expected.yaml', text: dumpConfig(schema, config) };
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      actual = { file: 'error.txt', text: `${err.code}\n${err.message}\n` };
    }
    if (update) {
      rmSync(`${dir}expected.yaml`, { force: true });
      rmSync(`${dir}error.txt`, { force: true });
      writeFileSync(dir + actual.file, actual.text);
    }
    t.ok(existsSync(dir + actual.file), `${name} expects ${actual.file}`);
    t.equal(actual.text, readFileSync(dir + actual.file, 'utf8'));
  });
}
