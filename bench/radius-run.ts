/**
 * What the RADIUS benches share: the load (radius-load.ts generators in child processes, their results merged) and a
 * wispd started as `npm start` would, with a NAS and N subscribers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import pg from 'pg';
import { addNas } from '../daemon/model/nas.ts';
import { addPlan } from '../daemon/model/plan.ts';
import { importSubscribers } from '../daemon/model/subscriber.ts';
import { loadSecretBox, type SecretBox } from '../daemon/security/secret-box.ts';
import { DataDir } from '../daemon/store/datadir.ts';
import { spawnWispd, waitForLine } from './lib.ts';
import { BUCKET_US, BUCKETS, type Job, type LoadResult, type Mode } from './radius-shared.ts';

const root = new URL('..', import.meta.url).pathname;

export interface LoadOptions {
  port: number;
  secret: string;
  mode: Mode;
  users: number;
  rps: number;
  seconds: number;
  generators: number;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const per = Math.ceil(o.users / o.generators);
  const runs = Array.from({ length: o.generators }, (_, g) => {
    const job: Job = {
      port: o.port,
      secret: o.secret,
      mode: o.mode,
      users: o.users,
      first: g * per,
      count: Math.min(per, o.users - g * per),
      rps: o.rps / o.generators,
      seconds: o.seconds,
      sockets: 8,
    };
    return new Promise<LoadResult>((resolve, reject) => {
      const p = spawn(process.execPath, ['--import=tsx', `${root}bench/radius-load.ts`, JSON.stringify(job)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      p.stdout.on('data', (d) => {
        out += d;
      });
      p.on('exit', (code) =>
        code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load generator exited ${code}`)),
      );
    });
  });
  const results = await Promise.all(runs);
  const total: LoadResult = { sent: 0, received: 0, lost: 0, skipped: 0, histogram: new Array(BUCKETS + 1).fill(0) };
  for (const r of results) {
    total.sent += r.sent;
    total.received += r.received;
    total.lost += r.lost;
    total.skipped += r.skipped;
    r.histogram.forEach((n, i) => {
      total.histogram[i]! += n;
    });
  }
  return total;
}

export function percentileMs(h: number[], p: number): number {
  const count = h.reduce((a, b) => a + b, 0);
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    seen += h[i]!;
    if (seen >= (p / 100) * count) return ((i + 1) * BUCKET_US) / 1000;
  }
  return Number.NaN;
}

export interface BenchWispd {
  child: ChildProcess;
  pid: number;
  auth: number;
  acct: number;
  /** The daemon's PostgreSQL (its embedded endpoint), and its sealing key. */
  db: pg.Pool;
  box: SecretBox;
}

/** A wispd on `data` with the NAS `bench` (127.0.0.1) and `users` subscribers user<i> / pw-<i>. */
export async function startBenchWispd(
  data: string,
  o: { users: number; secret: string; env?: Record<string, string> },
): Promise<BenchWispd> {
  const child = spawnWispd(data, { env: o.env });
  const listening = JSON.parse(await waitForLine(child, /"RADIUS listening"/));
  await waitForLine(child, /"msg":"ready"/);
  // The daemon's warnings and errors during the bench, where the person running it sees them.
  let rest = '';
  child.stdout!.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) if (/"level":(4|5|6)\d/.test(l)) process.stderr.write(`wispd ${data}: ${l}\n`);
  });
  const dir = new DataDir(data);
  const endpoint = dir.readEndpoint('postgres')!;
  const db = new pg.Pool({ host: endpoint.host, port: endpoint.port, user: 'postgres', database: 'postgres', max: 2 });
  // The daemon is stopped under the pool at the end: its idle connections breaking is expected.
  db.on('error', () => {});
  const box = loadSecretBox('', dir);
  await addNas(db, box, { name: 'bench', address: '127.0.0.1', secret: o.secret, vendor: 'mikrotik' });
  await addPlan(db, { name: 'bench-20M', rateDown: 20_000_000, rateUp: 5_000_000, simultaneousUse: 1_000_000 });
  await importSubscribers(
    db,
    box,
    Array.from({ length: o.users }, (_, i) => ({
      line: i + 1,
      username: `user${i}`,
      password: `pw-${i}`,
      plan: 'bench-20M',
    })),
  );
  // The change_log poller loads them in well under a second; give it a moment for 10k+.
  await new Promise((r) => setTimeout(r, 3000));
  return { child, pid: child.pid!, auth: listening.auth, acct: listening.acct, db, box };
}
