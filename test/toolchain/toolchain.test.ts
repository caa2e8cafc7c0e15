// The toolchain as part of the suite: the types check, the linter passes, and `npm run build` emits JavaScript
// that runs without the TypeScript sources.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import t from 'tap';
import { randomId, repoRoot } from '../helpers/env.ts';
import { cleanEnv } from '../helpers/proc.ts';

const run = (cmd: string, args: string[]) =>
  spawnSync(cmd, args, { cwd: repoRoot, env: cleanEnv(), encoding: 'utf8', timeout: 300_000 });

t.test('typecheck (tsc --noEmit, strict)', async (t) => {
  const r = run(`${repoRoot}/node_modules/.bin/tsc`, ['--noEmit', '-p', 'tsconfig.json']);
  t.equal(r.status, 0, r.stdout + r.stderr);
});

t.test('lint and format (biome check)', async (t) => {
  const r = run(`${repoRoot}/node_modules/.bin/biome`, ['check', '.']);
  t.equal(r.status, 0, r.stdout + r.stderr);
});

t.test('the build emits runnable JavaScript', async (t) => {
  // Beside dist/ (not in it), so that a developer's own build is left alone; the same depth, so paths resolve alike.
  const out = `dist-test-${randomId()}`;
  t.teardown(() => rmSync(`${repoRoot}/${out}`, { recursive: true, force: true }));
  const tsc = run(`${repoRoot}/node_modules/.bin/tsc`, ['-p', 'tsconfig.build.json', '--outDir', out]);
  t.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  const assets = run(process.execPath, ['scripts/copy-assets.mjs', out]);
  t.equal(assets.status, 0, assets.stderr);
  const main = `${out}/daemon/cli/main.js`;
  const version = run(process.execPath, [main, 'version']);
  t.equal(version.status, 0, version.stderr);
  t.match(version.stdout, /^wispd \d+\.\d+\.\d+ /, 'the built CLI knows its version');
  const check = run(process.execPath, [main, 'check-config', '--config', 'config/wispd.example.yaml']);
  t.equal(check.status, 0, check.stderr);
  const migrations = run(process.execPath, [
    '--input-type=module',
    '-e',
    `import { coreMigrations } from './${out}/daemon/store/postgres/index.js';
     import { coreMigrations as ch } from './${out}/daemon/store/clickhouse/index.js';
     console.log(coreMigrations().length, ch().length);`,
  ]);
  t.equal(migrations.status, 0, migrations.stderr);
  t.match(migrations.stdout, /^[1-9]\d* [1-9]\d*\n$/, 'the migrations were copied beside the compiled stores');
  t.ok(existsSync(`${repoRoot}/${out}/daemon/radius/codec/dictionaries/dictionary.mikrotik`), 'and the dictionaries');
  const panel = run(process.execPath, ['scripts/bundle-panel.mjs', out]);
  t.equal(panel.status, 0, panel.stderr);
  const bundle = readFileSync(`${repoRoot}/${out}/admin/panel/bundle/bundle.js`, 'utf8');
  t.match(bundle, 'AdminJS.UserComponents.ActionForm', "the panel's components are bundled beside it");
});
