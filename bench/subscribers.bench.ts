// The subscriber cache at scale: import N subscribers (100,000 by default) into a running daemon, then restart it and
// report boot time to `ready`, the cache's load time, RSS and JavaScript heap with and without them, and so the memory
// a subscriber costs.
// Usage: node --import=tsx bench/subscribers.bench.ts [--subscribers 100000]
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { addPlan } from '../daemon/model/plan.ts';
import { importSubscribers } from '../daemon/model/subscriber.ts';
import { loadSecretBox } from '../daemon/security/secret-box.ts';
import { DataDir } from '../daemon/store/datadir.ts';
import { report, spawnWispd } from './lib.ts';

const { values } = parseArgs({
  options: { subscribers: { type: 'string', default: '100000' }, help: { type: 'boolean' } },
});
if (values.help) {
  console.log('Usage: node --import=tsx bench/subscribers.bench.ts [--subscribers N]');
  process.exit(0);
}
const N = Number(values.subscribers);
const _root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'wispd-bench-subscribers-'));
const data = join(work, 'data');
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

interface Run {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  spawnedAt: number;
}

function start(): Run {
  const child = spawnWispd(data, { nodeArgs: ['--expose-gc'] });
  const run: Run = { child, lines: [], spawnedAt: performance.now() };
  let partial = '';
  child.stdout!.on('data', (d) => {
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const p of parts) {
      try {
        run.lines.push({ ...JSON.parse(p), at: performance.now() });
      } catch {}
    }
  });
  return run;
}

async function line(run: Run, msg: string, timeoutMs = 300_000): Promise<Record<string, unknown>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const l = run.lines.find((x) => x.msg === msg);
    if (l) return l;
    if (run.child.exitCode !== null || performance.now() > deadline) throw new Error(`no "${msg}"`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

async function stop(run: Run) {
  const exited = new Promise((r) => run.child.once('exit', r));
  run.child.kill('SIGTERM');
  await exited;
}

// An empty daemon, for the baseline.
let run = start();
const empty = await line(run, 'ready');
const emptyRss = rssMb(run.child.pid!);
process.stderr.write(`subscribers bench: importing ${N} subscribers\n`);
const dir = new DataDir(data);
const endpoint = dir.readEndpoint('postgres')!;
const db = new pg.Pool({ host: endpoint.host, port: endpoint.port, user: 'postgres', database: 'postgres', max: 2 });
const box = loadSecretBox('', dir);
await addPlan(db, { name: 'bench', rateDown: 20_000_000, rateUp: 5_000_000 });
const t0 = performance.now();
await importSubscribers(
  db,
  box,
  Array.from({ length: N }, (_, i) => ({
    line: i + 1,
    username: `subscriber${i}@isp.example`,
    password: `pw-${i}-x`,
    plan: 'bench',
  })),
  (done, total) => {
    if (done % 20_000 === 0 || done === total) process.stderr.write(`subscribers bench: ${done}/${total}\n`);
  },
);
const importMs = performance.now() - t0;
await db.end();
await stop(run);

run = start();
const ready = await line(run, 'ready');
const cache = await line(run, 'RADIUS cache loaded');
const fullRss = rssMb(run.child.pid!);
await stop(run);

report(`subscribers.${N}`, {
  import_rows_per_s: N / (importMs / 1000),
  spawn_to_ready_ms: (ready.at as number) - run.spawnedAt,
  boot_ms: ready.boot_ms as number,
  cache_load_ms: cache.ms as number,
  rss_mb: fullRss,
  rss_mb_empty: emptyRss,
  heap_mb: ready.heap_mb as number,
  heap_mb_empty: empty.heap_mb as number,
  heap_bytes_per_subscriber: (((ready.heap_mb as number) - (empty.heap_mb as number)) * 1e6) / N,
  rss_bytes_per_subscriber: ((fullRss - emptyRss) * 1048576) / N,
});
