#!/usr/bin/env node
// `npm run bench [-- name…]`: runs bench/*.bench.ts one after the other (or those whose name contains an argument).
// Each prints one JSON line per result.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const dir = new URL('../bench/', import.meta.url).pathname;
const filters = process.argv.slice(2);
if (filters.includes('--help')) {
  console.log(
    'Usage: npm run bench [-- name…]\nRuns bench/*.bench.ts (those matching a name); one JSON line per result.',
  );
  process.exit(0);
}
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
let failed = 0;
for (const f of benches) {
  const r = spawnSync(process.execPath, ['--import=tsx', `${dir}${f}`], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`bench: ${f} failed (${r.status ?? r.signal})`);
  }
}
process.exit(failed ? 1 : 0);
