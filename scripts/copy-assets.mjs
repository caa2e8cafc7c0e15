#!/usr/bin/env node
// Copies what the compiled JavaScript reads at run time next to it: SQL migrations, YAML (the example config, SNMP
// profiles) and the RADIUS vendor dictionaries.
// Usage: node scripts/copy-assets.mjs [outDir]   (default: dist)
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, process.argv[2] ?? 'dist');
const sources = ['daemon', 'collectors', 'admin', 'plugins', 'config'];
const wanted = (file) => file.endsWith('.sql') || file.endsWith('.yaml') || file.startsWith('dictionary.');

let copied = 0;
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (wanted(name)) {
      cpSync(path, join(out, relative(root, path)));
      copied++;
    }
  }
}
for (const s of sources) walk(join(root, s));
console.log(`copy-assets: ${copied} file(s) into ${relative(root, out) || '.'}`);
