// FUP enforcement latency: from the Interim-Update that crosses a subscriber's quota leaving the NAS (here: this
// process) to the CoA with the throttled rate arriving back at it, while a load generator keeps 5,000 other
// accounting updates per second coming; then CoA throughput (many subscribers crossing at once).
// The NAS side is a UDP listener here that answers CoA-ACK (FreeRADIUS as a receiver adds its own delay).
// Usage: node --import=tsx bench/fup.bench.ts [--samples 300] [--background 5000] [--burst 1000]
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { addNas } from '../daemon/model/nas.ts';
import { addPlan } from '../daemon/model/plan.ts';
import { importSubscribers } from '../daemon/model/subscriber.ts';
import { Attr, AttrIndex, attr, buildReply, buildRequest, Code, u32 } from '../daemon/radius/codec/index.ts';
import { loadSecretBox } from '../daemon/security/secret-box.ts';
import { DataDir } from '../daemon/store/datadir.ts';
import { latencies, report, spawnWispd, waitForLine } from './lib.ts';
import type { Job } from './radius-shared.ts';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '300' },
    background: { type: 'string', default: '5000' },
    burst: { type: 'string', default: '1000' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log('Usage: node --import=tsx bench/fup.bench.ts [--samples N] [--background RPS] [--burst N]');
  process.exit(0);
}
const SAMPLES = Number(values.samples);
const BACKGROUND = Number(values.background);
const BURST = Number(values.burst);
const SECRET = 'fup-bench-secret';
const secret = Buffer.from(SECRET);
const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'wispd-bench-fup-'));
const data = join(work, 'data');
const children: Array<{ kill(s?: NodeJS.Signals): void }> = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});
const progress = (m: string) => process.stderr.write(`fup bench: ${m}\n`);

// The NAS's CoA port: answer every CoA-Request with an ACK, note when each user's arrived.
const coaArrived = new Map<string, number>();
const nasSocket = createSocket('udp4');
const ix = new AttrIndex();
nasSocket.on('message', (msg, rinfo) => {
  const at = performance.now();
  if (msg[0] !== Code.CoaRequest) return;
  const user = ix.scan(msg).string(Attr.UserName) ?? '';
  if (!coaArrived.has(user)) coaArrived.set(user, at);
  nasSocket.send(buildReply(Code.CoaAck, msg, [], secret), rinfo.port, rinfo.address);
});
await new Promise<void>((resolve) => nasSocket.bind(0, '127.0.0.1', resolve));
const coaPort = nasSocket.address().port;

const child = spawnWispd(data);
children.push(child);
const listening = JSON.parse(await waitForLine(child, /"RADIUS listening"/)) as { acct: number };
await waitForLine(child, /"msg":"ready"/);
const dir = new DataDir(data);
const endpoint = dir.readEndpoint('postgres')!;
const db = new pg.Pool({ host: endpoint.host, port: endpoint.port, user: 'postgres', database: 'postgres', max: 2 });
const box = loadSecretBox('', dir);

progress('seeding NAS, plans and subscribers');
await addNas(db, box, { name: 'bench', address: '127.0.0.1', secret: SECRET, vendor: 'mikrotik', coaPort });
await addPlan(db, { name: 'open', rateDown: 20_000_000, rateUp: 5_000_000, simultaneousUse: 1_000_000 });
await addPlan(db, {
  name: 'capped',
  rateDown: 20_000_000,
  rateUp: 5_000_000,
  fupQuota: 1_000_000,
  fupPeriod: 'day',
  fupThrottleDown: 1_000_000,
  fupThrottleUp: 512_000,
});
const BACKGROUND_USERS = 10_000;
await importSubscribers(
  db,
  box,
  Array.from({ length: BACKGROUND_USERS }, (_, i) => ({
    line: i,
    username: `user${i}`,
    password: `pw-${i}`,
    plan: 'open',
  })),
);
const capped = SAMPLES + BURST;
await importSubscribers(
  db,
  box,
  Array.from({ length: capped }, (_, i) => ({ line: i, username: `fup${i}`, password: 'x', plan: 'capped' })),
);
await db.end();
await new Promise((r) => setTimeout(r, 3000));
const acct = listening.acct;

const client = createSocket('udp4');
await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
const answered = new Set<number>();
client.on('message', (msg) => answered.add(msg[1]!));
let id = 0;
function update(user: string, status: number, octets: number): void {
  const pkt = buildRequest(
    Code.AccountingRequest,
    id++ & 0xff,
    [
      attr(Attr.UserName, Buffer.from(user)),
      attr(Attr.AcctStatusType, u32(status)),
      attr(Attr.AcctSessionId, Buffer.from(`s-${user}`)),
      attr(Attr.FramedIpAddress, Buffer.from([100, 64, 0, 1])),
      attr(Attr.AcctOutputOctets, u32(octets)),
    ],
    secret,
  );
  client.send(pkt, acct, '127.0.0.1');
}

progress('starting the sessions of the capped subscribers');
for (let i = 0; i < capped; i++) {
  update(`fup${i}`, 1, 0);
  if (i % 200 === 199) await new Promise((r) => setTimeout(r, 20));
}
await new Promise((r) => setTimeout(r, 1500));

progress(`background accounting at ${BACKGROUND}/s; measuring ${SAMPLES} quota crossings`);
const seconds = Math.ceil(SAMPLES / 50) + 4;
const job: Job = {
  port: acct,
  secret: SECRET,
  mode: 'acct',
  users: BACKGROUND_USERS,
  first: 0,
  count: BACKGROUND_USERS,
  rps: BACKGROUND,
  seconds,
  sockets: 8,
};
const generator = spawn(process.execPath, ['--import=tsx', `${root}bench/radius-load.ts`, JSON.stringify(job)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
children.push(generator);
let generated = '';
generator.stdout.on('data', (d) => {
  generated += d;
});
await new Promise((r) => setTimeout(r, 2000));
const sentAt = new Map<string, number>();
for (let i = 0; i < SAMPLES; i++) {
  const user = `fup${i}`;
  sentAt.set(user, performance.now());
  update(user, 3, 2_000_000);
  await new Promise((r) => setTimeout(r, 20));
}
await new Promise((r) => setTimeout(r, 2000));
const samples = [...sentAt].filter(([u]) => coaArrived.has(u)).map(([u, t0]) => coaArrived.get(u)! - t0);
await new Promise<void>((resolve) => generator.on('exit', () => resolve()));
const background = JSON.parse(generated || '{"received":0}') as { received: number };
report('fup.enforcement', {
  ...latencies(samples),
  samples: samples.length,
  missing: SAMPLES - samples.length,
  background_rps: background.received / seconds,
});

progress(`${BURST} subscribers crossing at once`);
const burstStart = performance.now();
for (let i = SAMPLES; i < capped; i++) update(`fup${i}`, 3, 2_000_000);
const burstUsers = Array.from({ length: BURST }, (_, i) => `fup${SAMPLES + i}`);
const until = performance.now() + 30_000;
while (burstUsers.some((u) => !coaArrived.has(u)) && performance.now() < until)
  await new Promise((r) => setTimeout(r, 10));
const arrivals = burstUsers.filter((u) => coaArrived.has(u)).map((u) => coaArrived.get(u)!);
const last = Math.max(...arrivals);
report('coa.throughput', {
  rps: arrivals.length / ((last - burstStart) / 1000),
  coas: arrivals.length,
  ms: last - burstStart,
});

child.kill('SIGTERM');
client.close();
nasSocket.close();
await new Promise((r) => setTimeout(r, 1000));
process.exit(0);
