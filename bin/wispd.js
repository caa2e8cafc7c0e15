#!/usr/bin/env node
// The `wispd` command. In a checkout it runs the TypeScript sources through tsx; in a built image, where the sources
// are not shipped, it runs the compiled JavaScript under dist/.
import { existsSync } from 'node:fs';

const source = new URL('../daemon/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('../dist/daemon/cli/main.js');
}
