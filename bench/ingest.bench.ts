// Telemetry ingest end to end, rows/s and CPU per million rows:
// - internal: rows built with RowBuilder in batches (as the pollers hand them over) → the telemetry writer → embedded
//   chDB, in a process of its own (bench/ingest-internal.ts); rows counted in ClickHouse at the end;
// - http: NDJSON batches pushed to a real daemon's POST /v1/telemetry (`wispd start` with the example config and its
//   embedded stores) by several concurrent pushers; the daemon's CPU from /proc, the rows counted in its ClickHouse
//   once it has stopped (embedded chDB belongs to the daemon process while it runs).
// Both paths store into telemetry_raw with its two rollup views, as in production.
// Usage: node --import=tsx bench/ingest.bench.ts [--seconds 10] [--paths internal,http] [--batch-rows 200000]
//        [--rows-per-batch 20000] [--lines 50000] [--pushers 8]
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createClickhouse } from '../daemon/store/clickhouse/index.ts';
import { DataDir } from '../daemon/store/datadir.ts';
import { defaults, silentLog } from '../test/helpers/env.ts';
import { cpuMs } from './cpu.ts';
import type { InternalFigures, InternalJob } from './ingest-internal.ts';
import { report, spawnWispd, waitForLine } from './lib.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    paths: { type: 'string', default: 'internal,http' },
    'batch-rows': { type: 'string', default: '200000' },
    'rows-per-batch': { type: 'string', default: '20000' },
    lines: { type: 'string', default: '50000' },
    pushers: { type: 'string', default: '8' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(`Usage: node --import=tsx bench/ingest.bench.ts [options]
  --seconds N          seconds of load per path (default 10)
  --paths P,P          internal (RowBuilder → writer → chDB) and/or http (POST /v1/telemetry to a daemon)
  --batch-rows N       internal: the writer's telemetry.batch_rows (default 200000)
  --rows-per-batch N   internal: rows per batch handed to the writer (default 20000)
  --lines N            http: NDJSON lines per POST (default 50000)
  --pushers N          http: concurrent pushers (default 8)`);
  process.exit(0);
}
const SECONDS = Number(values.seconds);
const PATHS = values.paths!.split(',');
const LINES = Number(values.lines);
const PUSHERS = Number(values.pushers);
const DEVICES = 10_000;
const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'wispd-bench-ingest-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
const progress = (msg: string) => process.stderr.write(`ingest bench: ${msg}\n`);

async function internal(): Promise<void> {
  const job: InternalJob = {
    seconds: SECONDS,
    batchRows: Number(values['batch-rows']),
    rowsPerBatch: Number(values['rows-per-batch']),
    devices: DEVICES,
  };
  progress(`internal: ${job.rowsPerBatch}-row batches into the writer (batch_rows ${job.batchRows}) for ${SECONDS} s`);
  const child = spawn(process.execPath, ['--import=tsx', `${root}bench/ingest-internal.ts`, JSON.stringify(job)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`bench/ingest-internal.ts exited ${code}`);
  const f = JSON.parse(out) as InternalFigures;
  const millions = f.rows_counted / 1e6;
  report('ingest.internal', {
    rows_s: (f.rows_counted * 1000) / f.wall_ms,
    cpu_ms_per_1m_rows: f.cpu_ms / millions,
    build_ms_per_1m_rows: f.build_ms / millions,
    cpu_cores: f.cpu_ms / f.wall_ms,
    rows: f.rows_counted,
    rows_lost: f.rows_written - f.rows_counted,
    inserts: f.inserts,
    batch_rows: job.batchRows,
  });
}

/** NDJSON bodies of LINES samples each: radios with a few gauges and rates, a timestamp per round of polls. */
function bodies(count: number): Buffer[] {
  const metrics = ['radio.signal_dbm', 'radio.noise_dbm', 'radio.ccq_pct', 'if.in_bps', 'if.out_bps'];
  let device = 0;
  let ts = Date.now() - 3_600_000;
  return Array.from({ length: count }, () => {
    const lines: string[] = [];
    while (lines.length < LINES) {
      for (let m = 0; m < metrics.length && lines.length < LINES; m++) {
        const value = m < 3 ? -40 - ((device * 7 + m) % 50) - 0.5 : ((device * 1_000_003 + ts) % 100_000_000) * 8;
        lines.push(
          `{"device":"radio-${device}","metric":"${metrics[m]}","value":${value},"ts":${ts},"instance":"${m < 3 ? 'wlan0' : 'ether1'}"}`,
        );
      }
      if (++device === DEVICES) {
        device = 0;
        ts += 10_000;
      }
    }
    return Buffer.from(`${lines.join('\n')}\n`);
  });
}

async function run(args: string[], env: Record<string, string>): Promise<string> {
  const p = spawn(process.execPath, [`${root}bin/wispd.js`, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => {
    out += d;
  });
  p.stderr.on('data', (d) => {
    err += d;
  });
  const code = await new Promise<number | null>((r) => p.once('close', r));
  if (code !== 0) throw new Error(`wispd ${args.join(' ')} exited ${code}: ${err}`);
  return out;
}

async function http(): Promise<void> {
  const data = join(work, 'daemon');
  progress('http: starting the daemon');
  const daemon = spawnWispd(data);
  children.push(daemon);
  const listening = JSON.parse(await waitForLine(daemon, /telemetry push endpoint listening/)) as { listen: string };
  await waitForLine(daemon, /"msg":"ready"/);
  const url = `http://${listening.listen}/v1/telemetry`;
  const env = { WISPD_DAEMON_DATA_DIR: data };
  await run(['site', 'add', '--name', 'bench'], env);
  const added = await run(['collector', 'add', '--name', 'bench', '--site', 'bench'], env);
  const token = /token: (wct_\S+)/.exec(added)?.[1];
  if (!token) throw new Error(`no token in: ${added}`);
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-ndjson' };
  // The daemon learns of the new collector through a change notification: wait until its token is taken.
  for (let i = 0; ; i++) {
    const r = await fetch(url, { method: 'POST', headers, body: '' });
    await r.arrayBuffer();
    if (r.status === 200) break;
    if (i > 100) throw new Error(`the collector token is refused: HTTP ${r.status}`);
    await new Promise((res) => setTimeout(res, 100));
  }

  progress(`http: ${PUSHERS} pushers, ${LINES} lines per POST, for ${SECONDS} s`);
  const payloads = bodies(16);
  let acknowledged = 0;
  let refused = 0;
  let next = 0;
  const push = async (until: number) => {
    while (performance.now() < until) {
      const body = payloads[next++ % payloads.length]!;
      const r = await fetch(url, { method: 'POST', headers, body });
      const answer = (await r.json()) as { rows?: number; message?: string };
      if (r.status === 200) acknowledged += answer.rows ?? 0;
      else if (r.status === 429 || r.status === 503) {
        refused++;
        await new Promise((res) => setTimeout(res, 50));
      } else throw new Error(`POST /v1/telemetry: HTTP ${r.status} ${answer.message}`);
    }
  };
  // Warm-up: JIT, the parse threads, chDB's first inserts.
  await Promise.all(Array.from({ length: PUSHERS }, () => push(performance.now() + 2000)));
  const warm = acknowledged;
  acknowledged = 0;
  refused = 0;
  const cpu0 = cpuMs(daemon.pid!);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: PUSHERS }, () => push(t0 + SECONDS * 1000)));
  const wall = performance.now() - t0;
  const cpu = cpuMs(daemon.pid!) - cpu0;
  const peakRss = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${daemon.pid}/status`, 'utf8'))?.[1]) / 1024;

  progress('http: stopping the daemon and counting its rows');
  daemon.kill('SIGTERM');
  await new Promise((r) => (daemon.exitCode === null ? daemon.once('exit', r) : r(null)));
  const dir = new DataDir(data);
  dir.acquireOrThrow();
  const ch = createClickhouse(
    { ...defaults.clickhouse, url: '', database: 'wispd', username: 'default', password: '', request_timeout: 60_000 },
    { log: silentLog(), dataDir: dir },
  );
  await ch.start();
  const stored = Number(
    (await ch.query<{ n: string }>("SELECT count() AS n FROM telemetry_raw WHERE site = 'bench'"))[0]!.n,
  );
  await ch.stop();
  dir.release();
  const rows = stored - warm;
  report('ingest.http', {
    rows_s: (rows * 1000) / wall,
    cpu_ms_per_1m_rows: cpu / (rows / 1e6),
    cpu_cores: cpu / wall,
    rows,
    rows_acknowledged: acknowledged,
    refused_posts: refused,
    lines_per_post: LINES,
    pushers: PUSHERS,
    daemon_peak_rss_mb: peakRss,
  });
}

if (PATHS.includes('internal')) await internal();
if (PATHS.includes('http')) await http();
process.exit(0);
