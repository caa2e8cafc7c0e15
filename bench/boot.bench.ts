// The daemon's boot with the embedded stores: time from spawn to `ready`, RSS at ready, time from SIGTERM to exit;
// first boot (empty data directory) and second boot (same data).
// Usage: node --import=tsx bench/boot.bench.ts
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { report, spawnWispd } from './lib.ts';

if (process.argv.includes('--help')) {
  console.log('Usage: node --import=tsx bench/boot.bench.ts\nPrints one JSON line per result.');
  process.exit(0);
}

const _root = new URL('..', import.meta.url).pathname;
const data = mkdtempSync(join(tmpdir(), 'wispd-bench-boot-'));

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function boot(name: string): Promise<void> {
  const t0 = performance.now();
  const child = spawnWispd(data);
  let out = '';
  const ready = await new Promise<Record<string, number>>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.includes('"msg":"ready"'));
      if (line) resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before ready:\n${out}`)));
  });
  const toReady = performance.now() - t0;
  const rss = rssMb(child.pid!);
  const t1 = performance.now();
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const code = await exited;
  report(`daemon.boot.${name}`, {
    spawn_to_ready_ms: toReady,
    boot_ms: ready.boot_ms,
    rss_mb: rss,
    sigterm_to_exit_ms: performance.now() - t1,
    exit_code: code ?? -1,
  });
}

try {
  await boot('first');
  await boot('second');
} finally {
  rmSync(data, { recursive: true, force: true });
}
