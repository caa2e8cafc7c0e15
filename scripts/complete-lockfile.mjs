#!/usr/bin/env node
// Completes package-lock.json with the optional, platform-specific packages that the registry this project is
// installed from does not serve (it answers 404 for other platforms' binaries). `npm install` silently skips them,
// and `npm ci` then refuses the lockfile ("Missing: … from lock file"). An entry with `optional`, `os`, `cpu`
// (and `libc`) lets `npm ci` see that the package does not apply to this platform and skip it without fetching.
// Run after every `npm install` (the `postinstall` script does it).
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const lockPath = resolve(process.argv[2] ?? 'package-lock.json');
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const packages = lock.packages ?? {};

const OS = ['android', 'darwin', 'freebsd', 'linux', 'netbsd', 'openbsd', 'sunos', 'win32', 'aix', 'openharmony'];
const CPU = ['arm64', 'arm', 'x64', 'ia32', 'loong64', 'mips64el', 'ppc64', 'riscv64', 's390x', 'wasm32', 'universal'];

/** Reads the platform out of names such as `@scope/cli-linux-x64-musl`, `@esbuild/darwin-arm64`, `x-win32-x64-msvc`. */
export function platformOf(name) {
  const parts = name.replace(/^@[^/]+\//, '').split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.find((p) => CPU.includes(p));
  if (!os && !cpu) return undefined;
  const out = {};
  if (cpu && cpu !== 'universal') out.cpu = [cpu];
  if (os) out.os = [os];
  if (parts.includes('musl')) out.libc = ['musl'];
  else if (parts.includes('gnu') || (os === 'linux' && !parts.includes('android'))) out.libc = ['glibc'];
  return out;
}

/** Where npm would look for `dep` required by the package installed at `from` (nested first, then upwards). */
function resolvesFrom(from, dep) {
  let base = from;
  for (;;) {
    const candidate = base ? `${base}/node_modules/${dep}` : `node_modules/${dep}`;
    if (packages[candidate]) return true;
    if (!base) return false;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut === -1 ? '' : base.slice(0, cut);
  }
}

let added = 0;
for (const [path, meta] of Object.entries(packages)) {
  for (const [dep, spec] of Object.entries(meta.optionalDependencies ?? {})) {
    if (resolvesFrom(path, dep)) continue;
    const platform = platformOf(dep);
    if (!platform) {
      console.error(
        `complete-lockfile: ${dep} (optional for ${path || 'the project'}) is missing and names no platform; left as is`,
      );
      continue;
    }
    const version = /^\d+\.\d+\.\d+/.test(spec) ? spec : spec.replace(/^[\^~=]/, '');
    const entry = { version, ...platform, optional: true };
    if (meta.dev) entry.dev = true;
    packages[`node_modules/${dep}`] = entry;
    added++;
  }
}

if (added > 0) {
  lock.packages = Object.fromEntries(
    Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
  );
  writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
}
console.log(`complete-lockfile: ${added} platform-specific optional package(s) recorded`);
