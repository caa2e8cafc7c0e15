#!/usr/bin/env node
// Bundles the staff panel's React components at build time, beside the compiled panel (<outDir>/admin/panel/bundle/),
// so that the daemon run from the build serves them as they are, without bundling at start.
// Usage: node scripts/bundle-panel.mjs [outDir]   (default: dist; run after tsc)
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const out = resolve(root, process.argv[2] ?? 'dist');
const panel = join(out, 'admin/panel');
if (!existsSync(join(panel, 'components.js'))) {
  console.error(`bundle-panel: ${relative(root, panel)}/components.js is missing: run tsc first`);
  process.exit(1);
}
// AdminJS reads both when it is first imported, below.
process.env.NODE_ENV = 'production';
process.env.ADMIN_JS_TMP_DIR = join(panel, 'bundle');
const { prebuildBundle } = await import(pathToFileURL(join(panel, 'components.js')).href);
await prebuildBundle();
console.log(`bundle-panel: ${relative(root, process.env.ADMIN_JS_TMP_DIR)}/bundle.js`);
