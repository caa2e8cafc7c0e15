// The internal telemetry path for bench/ingest.bench.ts, in a process of its own (chDB binds one data directory per
// process): rows built with RowBuilder in batches as a poller hands them over, written through the telemetry writer
// into embedded chDB (with the rollup views of the migrations), for a while, as fast as the writer takes them; then the
// rows are counted in ClickHouse.
// Run by the bench with a JSON job on argv[2]; prints one JSON line with its figures.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RowBuilder, type RowSource, rowSource } from '../contracts/telemetry/index.ts';
import { createTelemetryWriter } from '../daemon/ingest/writer.ts';
import { coreMigrations, createClickhouse } from '../daemon/store/clickhouse/index.ts';
import { DataDir } from '../daemon/store/datadir.ts';
import { defaults, silentLog } from '../test/helpers/env.ts';

export interface InternalJob {
  seconds: number;
  /** The writer's telemetry.batch_rows. */
  batchRows: number;
  /** Rows per batch handed to the writer (what a poller flushes at once). */
  rowsPerBatch: number;
  devices: number;
}

export interface InternalFigures {
  rows_written: number;
  rows_counted: number;
  wall_ms: number;
  cpu_ms: number;
  /** Time spent building rows (RowBuilder.add and take), on the main thread. */
  build_ms: number;
  inserts: number;
}

const job = JSON.parse(process.argv[2]!) as InternalJob;
const work = mkdtempSync(join(tmpdir(), 'wispd-bench-ingest-internal-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const log = silentLog();
const dataDir = new DataDir(work);
dataDir.acquireOrThrow();
const ch = createClickhouse(
  { ...defaults.clickhouse, url: '', database: 'wispd', username: 'default', password: '', request_timeout: 120_000 },
  { log, dataDir, migrations: coreMigrations() },
);
await ch.start();
const writer = createTelemetryWriter(
  { batch_rows: job.batchRows, batch_interval: 1000, max_pending_rows: job.batchRows * 10, spool_mb: 0 },
  { log, clickhouse: ch, dataDir },
);
await writer.start();

// Radios with a few gauges and interface rates each, as the SNMP poller produces them.
const METRICS = [
  'radio.signal_dbm',
  'radio.noise_dbm',
  'radio.ccq_pct',
  'radio.tx_rate_bps',
  'radio.rx_rate_bps',
  'if.in_bps',
  'if.out_bps',
  'if.in_pps',
  'if.out_pps',
  'if.oper_status',
];
const sources: RowSource[] = Array.from({ length: job.devices }, (_, i) => rowSource('north', `radio-${i}`));
let device = 0;
let tick = Date.now() - 3_600_000;
let buildMs = 0;

function build(): { body: Buffer; rows: number } {
  const t0 = performance.now();
  const b = new RowBuilder();
  while (b.rows < job.rowsPerBatch) {
    const source = sources[device]!;
    for (let m = 0; m < METRICS.length; m++) {
      const v = m < 5 ? -40 - ((device * 7 + m) % 50) - 0.5 : (device * 1_000_003 + tick) % 100_000_000;
      b.add(tick, source, METRICS[m]!, m < 5 ? 'wlan0' : 'ether1', v);
    }
    if (++device === sources.length) {
      device = 0;
      tick += 10_000;
    }
  }
  const batch = b.take()!;
  buildMs += performance.now() - t0;
  return batch;
}

// A warm-up insert: JIT, chDB's first-insert costs. flush() sends what waits: the writer's own timer is unref'd and
// would not keep this process alive.
await Promise.all([writer.write(build()), writer.flush()]);
const before = Number((await ch.query<{ n: string }>('SELECT count() AS n FROM telemetry_raw'))[0]!.n);
buildMs = 0;
const inserts0 = writer.counters().inserts ?? 0;

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const end = t0 + job.seconds * 1000;
// As many rows waiting as a few inserts' worth: enough for the writer to merge full inserts, bounded like a poller.
const limit = Math.max(2, Math.ceil((job.batchRows * 3) / job.rowsPerBatch));
const outstanding: Promise<void>[] = [];
let written = 0;
while (performance.now() < end) {
  const batch = build();
  outstanding.push(writer.write(batch));
  written += batch.rows;
  if (outstanding.length >= limit) await outstanding.shift();
}
await Promise.all([...outstanding, writer.flush()]);
const wall = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const inserts = (writer.counters().inserts ?? 0) - inserts0;
await writer.stop();
const counted = Number((await ch.query<{ n: string }>('SELECT count() AS n FROM telemetry_raw'))[0]!.n) - before;
await ch.stop();
dataDir.release();

const figures: InternalFigures = {
  rows_written: written,
  rows_counted: counted,
  wall_ms: wall,
  cpu_ms: (cpu.user + cpu.system) / 1000,
  build_ms: buildMs,
  inserts,
};
// Exits once the line is out: a pipe is written asynchronously.
process.stdout.write(`${JSON.stringify(figures)}\n`, () => process.exit(0));
