// One measured poller for bench/snmp.bench.ts: the SNMP collector as the daemon runs it (its poller in a worker
// thread, rows handed over as buffers to the main thread) against simulated radios, in a process of its own so that
// its CPU (both threads) can be measured alone. The sink takes the rows and drops them: storing them is
// bench/ingest.bench.ts's business.
// Run by the bench with a JSON job on argv[2]; prints a line when the measured window starts and one when it ends, then
// one JSON line with its figures.
import { createSnmpCollector } from '../collectors/snmp/index.ts';
import type { DeviceTarget, PollResult } from '../contracts/telemetry/index.ts';
import { silentLog } from '../test/helpers/env.ts';

export interface PollerJob {
  profile: string;
  profilesDir: string;
  ports: number[];
  devices: number;
  intervalMs: number;
  concurrency: number;
  warmupS: number;
  seconds: number;
}

export interface PollerFigures {
  polls: number;
  failures: number;
  rows_per_poll: number;
  cpu_us: number;
  wall_ms: number;
  /** Poll durations as the poller records them, in whole milliseconds: how many polls took i ms at index i. */
  histogram: number[];
  late_polls: number;
  max_start_delay_ms: number;
}

function histogram(ms: number[]): number[] {
  const h: number[] = [];
  for (const m of ms) h[m] = (h[m] ?? 0) + 1;
  return Array.from(h, (n) => n ?? 0);
}

const job = JSON.parse(process.argv[2]!) as PollerJob;

const devices: DeviceTarget[] = Array.from({ length: job.devices }, (_, i) => ({
  id: i + 1,
  name: `radio-${i + 1}`,
  site: 'bench',
  address: '127.0.0.1',
  port: job.ports[i % job.ports.length]!,
  role: 'ap',
  profile: job.profile,
  snmp: { version: '2c', community: 'public' },
  metricsUrl: null,
  intervalS: job.intervalMs / 1000,
  status: 'unknown',
}));

const results: PollResult[] = [];
const collector = createSnmpCollector(
  {
    enabled: true,
    concurrency: job.concurrency,
    probe_concurrency: 16,
    timeout: 2000,
    retries: 1,
    max_repetitions: 25,
    down_after: 2,
    max_backoff: 60_000,
    profiles_dir: job.profilesDir,
  },
  {
    log: silentLog(),
    targets: {
      name: 'targets',
      start: async () => {},
      stop: async () => {},
      counters: () => ({}),
      describe: () => '',
      targets: () => devices,
      onChange: () => {},
    },
    sink: { write: async () => {}, headroom: () => 1 },
    reports: { status: () => {}, polled: (r) => results.push(...r) },
  },
);

await collector.start();
await new Promise((r) => setTimeout(r, job.warmupS * 1000));
// Polls are counted by when they started (results arrive in batches, once a second); CPU over the same window. The
// bench measures the agents' CPU over it too: the window's start and end are announced.
process.stdout.write('{"measuring":true}\n');
const stats0 = collector.counters();
const cpu0 = process.cpuUsage();
const from = Date.now();
const t0 = performance.now();
await new Promise((r) => setTimeout(r, job.seconds * 1000));
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - t0;
process.stdout.write('{"measuring":false}\n');
const to = from + wall;
const stats1 = collector.counters();
await collector.stop();
const stats = collector.counters();
const measured = results.filter((r) => r.at >= from && r.at < to);
const diff = (k: string) => (stats[k] ?? 0) - (stats0[k] ?? 0);

const figures: PollerFigures = {
  polls: measured.length,
  failures: measured.filter((r) => r.error !== null).length,
  rows_per_poll: diff('rows') / Math.max(1, diff('polls')),
  cpu_us: cpu.user + cpu.system,
  wall_ms: wall,
  histogram: histogram(measured.map((r) => r.ms)),
  late_polls: (stats1.late_polls ?? 0) - (stats0.late_polls ?? 0),
  max_start_delay_ms: stats1.max_start_delay_ms ?? 0,
};
// Exits once the line is out: a pipe is written asynchronously.
process.stdout.write(`${JSON.stringify(figures)}\n`, () => process.exit(0));
