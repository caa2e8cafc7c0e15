// SNMP polling against simulated radios: device-polls/s, poller CPU per poll and poll duration, for
// - radio20: one GET of 20 objects (and sysUpTime) per poll, on `bench20` radios with the `radio20` profile;
// - ifmib: the if-mib profile's IF-MIB walk on radios with 48 interfaces;
// and, in the same run against the same simulated radios and the same objects, Prometheus's snmp_exporter (Debian's
// prometheus-snmp-exporter, scraped as Prometheus would: each device on its interval), with the ratio.
// The radios (net-snmp Agents, several devices per agent port) run in a process of their own, and wispd's poller (the
// SNMP collector as the daemon runs it: its worker thread, rows handed over as buffers) in another, so each one's CPU
// is measured alone. The load is offered, not open-ended: N devices each polled every interval; polls/s is what was
// achieved at it, CPU per poll what it cost (all threads of the poller's process, or of snmp_exporter).
// Usage: node --import=tsx bench/snmp.bench.ts [--seconds 10] [--rates 2000,8000] [--interval 250] [--if-rate 50]
//        [--if-interval 2000] [--interfaces 48] [--agents 4]
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { loadProfiles, type Profile } from '../collectors/snmp/profile.ts';
import { writeRadio20Profile } from '../test/helpers/snmp-sim.ts';
import { cpuMs } from './cpu.ts';
import { percentile, report } from './lib.ts';
import type { AgentsJob } from './snmp-agents.ts';
import type { PollerFigures, PollerJob } from './snmp-poller.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rates: { type: 'string', default: '2000,8000' },
    interval: { type: 'string', default: '250' },
    'if-rate': { type: 'string', default: '50' },
    'if-interval': { type: 'string', default: '2000' },
    interfaces: { type: 'string', default: '48' },
    agents: { type: 'string', default: '4' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(`Usage: node --import=tsx bench/snmp.bench.ts [options]
  --seconds N       measured seconds per phase (default 10; each phase warms up first)
  --rates R,R…      radio20 polls/s offered to wispd's poller (default 2000,8000); snmp_exporter gets the first
  --interval MS     radio20 polling interval per device (default 250): devices = rate × interval
  --if-rate R       IF-MIB walks/s offered (default 50)
  --if-interval MS  IF-MIB polling interval per device (default 2000)
  --interfaces N    interfaces per IF-MIB radio (default 48)
  --agents N        simulated agent ports per kind (default 4); devices share them`);
  process.exit(0);
}
const SECONDS = Number(values.seconds);
const RATES = values.rates!.split(',').map(Number);
const INTERVAL = Number(values.interval);
const IF_RATE = Number(values['if-rate']);
const IF_INTERVAL = Number(values['if-interval']);
const INTERFACES = Number(values.interfaces);
const AGENTS = Number(values.agents);
const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'wispd-bench-snmp-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
const progress = (msg: string) => process.stderr.write(`snmp bench: ${msg}\n`);

/** A child's stdout as JSON lines, one at a time. */
function lines(child: ChildProcess): () => Promise<Record<string, unknown>> {
  const queue: string[] = [];
  const waiting: Array<(l: string) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else queue.push(l);
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('close', (code) => reject(new Error(`${child.spawnargs.slice(-2, -1)} exited ${code}`))),
  );
  exited.catch(() => {});
  return async () => {
    const l = queue.shift() ?? (await Promise.race([new Promise<string>((r) => waiting.push(r)), exited]));
    return JSON.parse(l);
  };
}

function histogramPercentile(h: number[], p: number): number {
  const count = h.reduce((a, b) => a + b, 0);
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    seen += h[i]!;
    if (seen >= (p / 100) * count) return i;
  }
  return Number.NaN;
}

interface Phase {
  name: 'radio20' | 'ifmib';
  profile: Profile;
  /** The pid of the process serving its radios. */
  agents: number;
  ports: number[];
  rate: number;
  intervalMs: number;
}

const devicesOf = (phase: Phase) => Math.round((phase.rate * phase.intervalMs) / 1000);
// The first poll of a device only seeds its counters; the measured window starts after every device's second poll.
const warmupS = (phase: Phase) => Math.max(3, Math.ceil((2.5 * phase.intervalMs) / 1000));

interface Measured {
  polls_s: number;
  cpu_us_per_poll: number;
}

async function measureWispd(phase: Phase, profilesDir: string): Promise<Measured> {
  const devices = devicesOf(phase);
  progress(`wispd ${phase.name}: ${devices} devices every ${phase.intervalMs} ms (${phase.rate} polls/s offered)`);
  const job: PollerJob = {
    profile: phase.profile.name,
    profilesDir,
    ports: phase.ports,
    devices,
    intervalMs: phase.intervalMs,
    // Lanes enough for the offered load: the limit under test is CPU, not the lane count.
    concurrency: 1024,
    warmupS: warmupS(phase),
    seconds: SECONDS,
  };
  const child = spawn(process.execPath, ['--import=tsx', `${root}bench/snmp-poller.ts`, JSON.stringify(job)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const next = lines(child);
  await next();
  const agent0 = cpuMs(phase.agents);
  await next();
  const agentMs = cpuMs(phase.agents) - agent0;
  const f = (await next()) as unknown as PollerFigures;
  await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
  const polls = f.polls;
  const figures = {
    collector: 'wispd',
    offered_s: phase.rate,
    polls_s: (polls * 1000) / f.wall_ms,
    cpu_us_per_poll: f.cpu_us / polls,
    cpu_cores: f.cpu_us / 1000 / f.wall_ms,
    polls_per_core_s: (polls * 1e6) / f.cpu_us,
    p50_ms: histogramPercentile(f.histogram, 50),
    p99_ms: histogramPercentile(f.histogram, 99),
    failures: f.failures,
    late_polls: f.late_polls,
    rows_per_poll: f.rows_per_poll,
    agent_cpu_us_per_poll: (agentMs * 1000) / polls,
    devices,
    interval_ms: phase.intervalMs,
  };
  report(`snmp.poll.${phase.name}`, figures);
  return figures;
}

/**
 * snmp_exporter's module for a profile, written out from the compiled profile so that it reads exactly the same
 * objects: the GET (sysUpTime and the scalars), and each table column walked (snmp_exporter walks one subtree at a time),
 * every counter and gauge a metric, label columns looked up by ifIndex.
 */
function exporterModule(profile: Profile): string {
  const metric = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '_');
  const out = [
    `${metric(profile.name)}:`,
    '  version: 2',
    '  auth:',
    '    community: public',
    '  retries: 1',
    '  timeout: 2s',
    '  max_repetitions: 25',
    '  get:',
    ...profile.getOids.map((o) => `  - ${o}`),
  ];
  const walk = profile.tables.flatMap((t) => t.oids);
  out.push(...(walk.length ? ['  walk:', ...walk.map((o) => `  - ${o}`)] : ['  walk: []']));
  out.push('  metrics:', '  - name: sysUpTime', '    oid: 1.3.6.1.2.1.1.3', '    type: gauge');
  for (const s of profile.scalars) {
    out.push(`  - name: ${metric(`${profile.name}_${s.name}`)}`, `    oid: ${s.oid.replace(/\.0$/, '')}`);
    out.push(`    type: ${s.kind === 'counter' ? 'counter' : 'gauge'}`);
  }
  for (const t of profile.tables) {
    const labels = t.columns.filter((c) => c.kind === 'label');
    for (const c of t.columns) {
      if (c.kind === 'label') continue;
      out.push(`  - name: ${metric(c.name)}`, `    oid: ${c.oid}`, `    type: ${c.kind}`);
      out.push('    indexes:', '    - labelname: ifIndex', '      type: gauge');
      if (labels.length) out.push('    lookups:');
      for (const l of labels) {
        out.push(
          `    - labels: [ifIndex]`,
          `      labelname: ${l.name}`,
          `      oid: ${l.oid}`,
          '      type: DisplayString',
        );
      }
    }
  }
  return `${out.join('\n')}\n`;
}

async function freeTcpPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function startExporter(binary: string, config: string): Promise<{ pid: number; port: number }> {
  const port = await freeTcpPort();
  const child = spawn(
    binary,
    [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=error'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  children.push(child);
  for (let i = 0; ; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (i > 100 || child.exitCode !== null) throw new Error('prometheus-snmp-exporter did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { pid: child.pid!, port };
}

/** Scrapes every device on its interval (phases spread over it, no overlapping scrapes of one device). */
async function measureExporter(phase: Phase, exporter: { pid: number; port: number }) {
  const devices = devicesOf(phase);
  progress(`snmp_exporter ${phase.name}: ${devices} devices every ${phase.intervalMs} ms (${phase.rate} scrapes/s)`);
  const agent = new Agent({ keepAlive: true, maxSockets: 1024 });
  const module = phase.profile.name.replace(/[^A-Za-z0-9_]/g, '_');
  // Every object answered: the GET's and each walked column's rows.
  const expectedPdus =
    phase.profile.getOids.length + phase.profile.tables.reduce((n, t) => n + t.oids.length, 0) * INTERFACES;
  const paths = Array.from(
    { length: devices },
    (_, i) => `/snmp?module=${module}&target=127.0.0.1:${phase.ports[i % phase.ports.length]}`,
  );
  const busy = new Uint8Array(devices);
  let measuring = false;
  const durations: number[] = [];
  const httpMs: number[] = [];
  let done = 0;
  let failures = 0;
  let skipped = 0;
  let firstError = '';

  const scrape = (i: number) => {
    if (busy[i]) {
      if (measuring) skipped++;
      return;
    }
    busy[i] = 1;
    const counted = measuring;
    const t0 = performance.now();
    const req = request({ host: '127.0.0.1', port: exporter.port, path: paths[i], agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => {
        busy[i] = 0;
        if (!counted) return;
        const pdus = Number(/^snmp_scrape_pdus_returned (\S+)$/m.exec(body)?.[1]);
        const took = Number(/^snmp_scrape_duration_seconds (\S+)$/m.exec(body)?.[1]);
        done++;
        if (res.statusCode !== 200 || !(pdus >= expectedPdus)) {
          failures++;
          firstError ||= `HTTP ${res.statusCode}, ${pdus} PDUs of ${expectedPdus}: ${body.slice(0, 200)}`;
          return;
        }
        durations.push(took * 1000);
        httpMs.push(performance.now() - t0);
      });
    });
    req.on('error', (err) => {
      busy[i] = 0;
      if (counted) {
        done++;
        failures++;
        firstError ||= err.message;
      }
    });
    req.end();
  };

  const start = performance.now();
  let next = 0;
  let round = 0;
  const timer = setInterval(() => {
    const now = performance.now() - start;
    // Device i is due at (round + i / devices) × interval.
    while ((round + next / devices) * phase.intervalMs <= now) {
      scrape(next);
      if (++next === devices) {
        next = 0;
        round++;
      }
    }
  }, 2);
  await new Promise((r) => setTimeout(r, warmupS(phase) * 1000));
  measuring = true;
  const cpu0 = cpuMs(exporter.pid);
  const agent0 = cpuMs(phase.agents);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  measuring = false;
  const wall = performance.now() - t0;
  const cpu = cpuMs(exporter.pid) - cpu0;
  const agentMs = cpuMs(phase.agents) - agent0;
  clearInterval(timer);
  // Scrapes under way finish (they count: they started in the window).
  for (let i = 0; i < 400 && busy.some((b) => b); i++) await new Promise((r) => setTimeout(r, 10));
  agent.destroy();
  if (firstError) progress(`snmp_exporter ${phase.name}: ${failures} failed scrapes, first: ${firstError}`);
  const sorted = [...durations].sort((a, b) => a - b);
  const figures = {
    collector: 'snmp_exporter',
    offered_s: phase.rate,
    polls_s: ((done - failures) * 1000) / wall,
    cpu_us_per_poll: (cpu * 1000) / Math.max(1, done),
    cpu_cores: cpu / wall,
    polls_per_core_s: ((done - failures) * 1000) / Math.max(1, cpu),
    p50_ms: percentile(sorted, 50),
    p99_ms: percentile(sorted, 99),
    http_p99_ms: percentile(
      httpMs.sort((a, b) => a - b),
      99,
    ),
    failures,
    skipped_scrapes: skipped,
    agent_cpu_us_per_poll: (agentMs * 1000) / Math.max(1, done),
    devices,
    interval_ms: phase.intervalMs,
  };
  report(`snmp.poll.${phase.name}`, figures);
  return figures;
}

// The radios: one process per kind, so each phase's agent CPU is that of the radios it polls.
const profilesDir = join(work, 'profiles');
mkdirSync(profilesDir);
writeRadio20Profile(profilesDir);
const profiles = loadProfiles(profilesDir);
progress(`starting ${AGENTS} radio20 and ${AGENTS} IF-MIB (${INTERFACES} interfaces) simulated agents`);
async function startAgents(kind: AgentsJob['kind']): Promise<{ child: ChildProcess; ports: number[] }> {
  const job: AgentsJob = { kind, agents: AGENTS, interfaces: INTERFACES };
  const child = spawn(process.execPath, ['--import=tsx', `${root}bench/snmp-agents.ts`, JSON.stringify(job)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  return { child, ports: (await lines(child)()) as unknown as number[] };
}
const radio20 = await startAgents('bench20');
const ifmib = await startAgents('interfaces');

const phases: Phase[] = [
  ...RATES.map((rate) => ({
    name: 'radio20' as const,
    profile: profiles.get('radio20')!,
    agents: radio20.child.pid!,
    ports: radio20.ports,
    rate,
    intervalMs: INTERVAL,
  })),
  {
    name: 'ifmib',
    profile: profiles.get('if-mib')!,
    agents: ifmib.child.pid!,
    ports: ifmib.ports,
    rate: IF_RATE,
    intervalMs: IF_INTERVAL,
  },
];
const ours = new Map<string, Measured>();
for (const phase of phases) {
  const m = await measureWispd(phase, profilesDir);
  if (!ours.has(phase.name)) ours.set(phase.name, m);
}

let exporterBinary = '';
try {
  exporterBinary = execFileSync('sh', ['-c', 'command -v prometheus-snmp-exporter'], { encoding: 'utf8' }).trim();
} catch {
  // not installed
}
if (!exporterBinary) {
  report('snmp.peer', {
    note: 'prometheus-snmp-exporter is not installed (apt-get install -y prometheus-snmp-exporter): wispd measured alone',
  });
} else {
  const config = join(work, 'snmp.yml');
  writeFileSync(config, [profiles.get('radio20')!, profiles.get('if-mib')!].map(exporterModule).join(''));
  const exporter = await startExporter(exporterBinary, config);
  for (const phase of [phases[0]!, phases.at(-1)!]) {
    const theirs = await measureExporter(phase, exporter);
    const w = ours.get(phase.name)!;
    report(`snmp.poll.${phase.name}`, {
      collector: 'wispd/snmp_exporter',
      cpu_ratio: w.cpu_us_per_poll / theirs.cpu_us_per_poll,
      polls_ratio: w.polls_s / theirs.polls_s,
    });
  }
}

// The agents stop when their input closes; anything else still running is ended.
for (const c of children) {
  if (c.stdin) c.stdin.end();
  else if (c.exitCode === null) c.kill('SIGTERM');
}
await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
process.exit(0);
