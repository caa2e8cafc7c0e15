// `npm ci` on a clean clone needs the lockfile to list other platforms' optional binaries, which this registry does
// not serve; scripts/complete-lockfile.mjs records them. Checked on a sample lockfile and on the project's own.
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { repoRoot, tmpDir } from '../helpers/env.ts';

const script = `${repoRoot}/scripts/complete-lockfile.mjs`;

t.test('platforms are read from package names', async (t) => {
  const { platformOf } = await import(script);
  const cases: Array<[string, unknown]> = [
    ['@chdb/lib-darwin-arm64', { cpu: ['arm64'], os: ['darwin'] }],
    ['@chdb/lib-linux-arm64-gnu', { cpu: ['arm64'], os: ['linux'], libc: ['glibc'] }],
    ['@biomejs/cli-linux-x64-musl', { cpu: ['x64'], os: ['linux'], libc: ['musl'] }],
    ['@biomejs/cli-win32-x64', { cpu: ['x64'], os: ['win32'] }],
    ['@esbuild/android-arm', { cpu: ['arm'], os: ['android'] }],
    ['@rollup/rollup-darwin-universal', { os: ['darwin'] }],
    ['left-pad', undefined],
  ];
  for (const [name, expected] of cases) t.same(platformOf(name), expected, name);
});

t.test('missing optional platform packages are recorded, nothing else changes', async (t) => {
  const dir = tmpDir(t);
  const lock = {
    name: 'x',
    lockfileVersion: 3,
    packages: {
      '': { name: 'x', dependencies: { chdb: '3.4.0' } },
      'node_modules/chdb': {
        version: '3.4.0',
        optionalDependencies: { '@chdb/lib-darwin-arm64': '26.7.3', '@chdb/lib-linux-x64-gnu': '26.7.3' },
      },
      'node_modules/@chdb/lib-linux-x64-gnu': { version: '26.7.3', optional: true, os: ['linux'], cpu: ['x64'] },
    },
  };
  writeFileSync(`${dir}/package-lock.json`, JSON.stringify(lock));
  const r = spawnSync(process.execPath, [script, `${dir}/package-lock.json`], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, '1 platform-specific optional package(s) recorded');
  const after = JSON.parse(readFileSync(`${dir}/package-lock.json`, 'utf8'));
  t.same(after.packages['node_modules/@chdb/lib-darwin-arm64'], {
    version: '26.7.3',
    cpu: ['arm64'],
    os: ['darwin'],
    optional: true,
  });
  t.same(after.packages['node_modules/@chdb/lib-linux-x64-gnu'], lock.packages['node_modules/@chdb/lib-linux-x64-gnu']);
});

t.test("the project's lockfile is complete", async (t) => {
  const copy = `${tmpDir(t)}/package-lock.json`;
  copyFileSync(`${repoRoot}/package-lock.json`, copy);
  const r = spawnSync(process.execPath, [script, copy], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, ' 0 platform-specific', 'nothing left to add: npm ci accepts it');
});
