// What a plugin following every accounting event costs the RADIUS server: the same accounting load (Interim-Updates
// of live sessions, at a fixed rate) against three wispd daemons running side by side — no plugin; the webhooks
// plugin consuming every core event with no endpoint wanting accounting (the handler runs, queues nothing); and the
// webhooks plugin with an endpoint wanting every event (one signed POST per accounting record to a local sink).
// CPU is the whole process's (every thread), from before the load until what the load caused has settled: the
// accounting writer's flush and, with the plugin, until its event cursor has caught up and no delivery is queued —
// work done after the load is counted, not left out. Rounds are interleaved (the order turns each round); medians
// and the spread are reported, and each variant's rise over the daemon without plugins.
// Usage: node --import=tsx bench/plugins.bench.ts [--users 10000] [--seconds 4] [--fixed-rps 3000] [--rounds 3]

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuMs } from './cpu.ts';
import { percentile, report } from './lib.ts';
import { type BenchWispd, runLoad, startBenchWispd } from './radius-run.ts';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '4' },
    'fixed-rps': { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '3' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(
    'Usage: node --import=tsx bench/plugins.bench.ts [--users N] [--seconds S] [--fixed-rps R] [--rounds K]\nPrints one JSON line per variant, and the rises over the daemon without plugins.',
  );
  process.exit(0);
}
const USERS = Number(values.users);
const SECONDS = Number(values.seconds);
const RPS = Number(values['fixed-rps']);
const ROUNDS = Number(values.rounds);
const SECRET = 'bench-secret-0123';
const SETTLE_MS = 1500;
const work = mkdtempSync(join(tmpdir(), 'wispd-bench-plugins-'));
const running: BenchWispd[] = [];
process.on('exit', () => {
  for (const w of running) w.child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});
const progress = (msg: string) => process.stderr.write(`plugins bench: ${msg}\n`);

// The endpoint's side: answers at once, costs the daemon only its request.
let received = 0;
const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    res.end('ok');
  });
});
await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/hook`;

type Variant = 'none' | 'webhooks-consuming' | 'webhooks-delivering';
interface Daemon {
  variant: Variant;
  w: BenchWispd;
}

async function start(variant: Variant): Promise<Daemon> {
  progress(`starting wispd (${variant}) with ${USERS} subscribers`);
  const w = await startBenchWispd(join(work, variant), {
    users: USERS,
    secret: SECRET,
    env: variant === 'none' ? {} : { WISPD_PLUGINS_ENABLED: 'webhooks', WISPD_PLUGINS_WEBHOOKS_CONCURRENCY: '16' },
  });
  running.push(w);
  if (variant !== 'none') {
    const events = variant === 'webhooks-delivering' ? ['*'] : ['fup.blocked'];
    await w.db.query(
      `INSERT INTO plugin_webhooks.endpoint (url, events, secret_enc, created_by) VALUES ($1, $2, $3, 'bench')`,
      [sinkUrl, events, w.box.seal('whsec_bench')],
    );
  }
  return { variant, w };
}

/** Until the load's consequences are done: the plugin's cursor at the log's end and nothing queued. */
async function settled(d: Daemon): Promise<void> {
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  if (d.variant === 'none') return;
  for (;;) {
    const { rows } = await d.w.db.query<{ behind: boolean; queued: number }>(
      `SELECT coalesce((SELECT max(seq) FROM event_log), 0) > coalesce((SELECT max(seq) FROM event_cursor), 0) AS behind,
              (SELECT count(*)::int FROM plugin_webhooks.delivery WHERE status = 'queued') AS queued`,
    );
    if (!rows[0]!.behind && rows[0]!.queued === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function round(d: Daemon): Promise<{ cpuUs: number; settleS: number }> {
  const before = cpuMs(d.w.pid);
  const r = await runLoad({
    port: d.w.acct,
    secret: SECRET,
    mode: 'acct',
    users: USERS,
    rps: RPS,
    seconds: SECONDS,
    generators: 1,
  });
  const t0 = performance.now();
  await settled(d);
  const settleS = (performance.now() - t0) / 1000;
  return { cpuUs: ((cpuMs(d.w.pid) - before) * 1000) / Math.max(1, r.received), settleS };
}

const daemons = [await start('none'), await start('webhooks-consuming'), await start('webhooks-delivering')];
for (const d of daemons) {
  progress(`warming up ${d.variant} (every subscriber's session started)`);
  await runLoad({
    port: d.w.acct,
    secret: SECRET,
    mode: 'acct',
    users: USERS,
    rps: 2000,
    seconds: Math.ceil(USERS / 2000) + 1,
    generators: 1,
  });
  await settled(d);
}
const samples = new Map<Variant, Array<{ cpuUs: number; settleS: number }>>(daemons.map((d) => [d.variant, []]));
for (let k = 0; k < ROUNDS; k++) {
  const order = daemons.map((_, i) => daemons[(i + k) % daemons.length]!);
  for (const d of order) {
    const s = await round(d);
    progress(`round ${k + 1} ${d.variant}: ${s.cpuUs.toFixed(1)} µs/request, settled ${s.settleS.toFixed(1)} s after`);
    samples.get(d.variant)!.push(s);
  }
}
const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
const base = median(samples.get('none')!.map((s) => s.cpuUs));
for (const [variant, list] of samples) {
  const cpu = list.map((s) => s.cpuUs);
  report('plugins.radius.acct.cpu', {
    variant,
    rps: RPS,
    seconds: SECONDS,
    rounds: ROUNDS,
    cpu_us_per_req: median(cpu),
    cpu_us_min: Math.min(...cpu),
    cpu_us_max: Math.max(...cpu),
    settle_s: median(list.map((s) => s.settleS)),
    rise_pct: (median(cpu) / base - 1) * 100,
  });
}
report('plugins.webhooks.sink', { posts_received: received });
for (const w of running) {
  await w.db.end();
  w.child.kill('SIGTERM');
}
sink.close();
await new Promise((r) => setTimeout(r, 1500));
process.exit(0);
