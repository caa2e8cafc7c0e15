// RADIUS against FreeRADIUS on this machine, same users, same load, one run: PAP, CHAP, MS-CHAPv2 and accounting
// (Interim-Update). For each server and mode:
// - server CPU per request (µs) at a fixed offered load, from /proc/<pid>/stat before and after;
// - the highest offered rate (of a ramp) answered with p99 < 5 ms and under 0.1 % lost, with its p50/p99.
// wispd runs as `npm start` would (embedded stores, Message-Authenticator required and in every reply, duplicate cache
// and auth log on, accounting spool fsync-ed); FreeRADIUS is a throw-away instance (files module with the same users,
// pap/chap/mschap, detail file for accounting; its default thread pool).
// Usage: node --import=tsx bench/radius.bench.ts [--users 10000] [--seconds 4] [--fixed-rps 5000] [--modes pap,chap,mschapv2,acct]
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';
import { addNas } from '../daemon/model/nas.ts';
import { addPlan } from '../daemon/model/plan.ts';
import { importSubscribers } from '../daemon/model/subscriber.ts';
import { loadSecretBox } from '../daemon/security/secret-box.ts';
import { DataDir } from '../daemon/store/datadir.ts';
import { FREERADIUS, runFreeradius, writeFreeradiusConfig } from '../test/helpers/freeradius.ts';
import { report, spawnWispd, waitForLine } from './lib.ts';
import { BUCKET_US, BUCKETS, type Job, type LoadResult, type Mode } from './radius-shared.ts';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '4' },
    'fixed-rps': { type: 'string', default: '5000' },
    modes: { type: 'string', default: 'pap,chap,mschapv2,acct' },
    generators: { type: 'string', default: '1' },
    'fixed-only': { type: 'boolean' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(
    'Usage: node --import=tsx bench/radius.bench.ts [--users N] [--seconds S] [--fixed-rps R] [--modes pap,chap,mschapv2,acct] [--generators G] [--fixed-only]\n  --fixed-only: only the CPU per request at the fixed load, not the ramp to the highest rate',
  );
  process.exit(0);
}
const USERS = Number(values.users);
const SECONDS = Number(values.seconds);
const FIXED = Number(values['fixed-rps']);
const MODES = values.modes!.split(',') as Mode[];
const GENERATORS = Number(values.generators);
const SECRET = 'bench-secret-0123';
const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'wispd-bench-radius-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});
const progress = (msg: string) => process.stderr.write(`radius bench: ${msg}\n`);

const TICKS = Number((await promisify(execFile)('getconf', ['CLK_TCK'])).stdout.trim()) || 100;
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime: fields 14 and 15 of the stat line, counted after the command name (index 11 and 12 here).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
}

async function load(port: number, mode: Mode, rps: number, seconds: number): Promise<LoadResult> {
  const per = Math.ceil(USERS / GENERATORS);
  const runs = Array.from({ length: GENERATORS }, (_, g) => {
    const job: Job = {
      port,
      secret: SECRET,
      mode,
      users: USERS,
      first: g * per,
      count: Math.min(per, USERS - g * per),
      rps: rps / GENERATORS,
      seconds,
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

function percentileMs(h: number[], p: number): number {
  const count = h.reduce((a, b) => a + b, 0);
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    seen += h[i]!;
    if (seen >= (p / 100) * count) return ((i + 1) * BUCKET_US) / 1000;
  }
  return Number.NaN;
}

interface Server {
  name: 'wispd' | 'freeradius';
  pid: number;
  auth: number;
  acct: number;
}

async function measure(server: Server, mode: Mode) {
  const port = mode === 'acct' ? server.acct : server.auth;
  // Warm-up: JIT, caches; for accounting, every subscriber's session exists (Interim-Updates of live sessions).
  await load(port, mode, 2000, mode === 'acct' ? Math.ceil(USERS / 2000) + 1 : 1);
  const before = cpuMs(server.pid);
  const fixed = await load(port, mode, FIXED, SECONDS);
  const cpu = cpuMs(server.pid) - before;
  const cpuUs = (cpu * 1000) / Math.max(1, fixed.received);
  let best: { rps: number; p50: number; p99: number } | undefined;
  for (const rps of values['fixed-only']
    ? []
    : [1000, 2000, 3000, 4000, 5000, 6000, 8000, 10_000, 12_500, 15_000, 20_000, 25_000, 30_000, 40_000]) {
    const r = await load(port, mode, rps, Math.max(3, Math.round(SECONDS / 2)));
    const p99 = percentileMs(r.histogram, 99);
    const lossy = r.lost + r.skipped > r.sent * 0.001;
    progress(
      `${server.name} ${mode} offered ${rps}/s: answered ${r.received}/${r.sent + r.skipped}, p99 ${p99} ms${lossy ? ', losing' : ''}`,
    );
    if (p99 >= 5 || lossy) break;
    best = { rps: r.received / Math.max(3, Math.round(SECONDS / 2)), p50: percentileMs(r.histogram, 50), p99 };
  }
  const bench = mode === 'acct' ? 'radius.acct.interim' : `radius.auth.${mode}`;
  const figures = {
    server: server.name,
    rps: best?.rps ?? 0,
    p50_ms: best?.p50,
    p99_ms: best?.p99,
    cpu_us_per_req: cpuUs,
    cpu_at_rps: fixed.received / SECONDS,
    fixed_p99_ms: percentileMs(fixed.histogram, 99),
    users: USERS,
  };
  report(bench, figures);
  return figures;
}

async function startWispd(): Promise<Server> {
  progress(`starting wispd with ${USERS} subscribers`);
  const data = join(work, 'wispd-data');
  const child = spawnWispd(data);
  children.push(child);
  const listening = JSON.parse(await waitForLine(child, /"RADIUS listening"/));
  await waitForLine(child, /"msg":"ready"/);
  const dir = new DataDir(data);
  const endpoint = dir.readEndpoint('postgres')!;
  const db = new pg.Pool({ host: endpoint.host, port: endpoint.port, user: 'postgres', database: 'postgres', max: 2 });
  const box = loadSecretBox('', dir);
  await addNas(db, box, { name: 'bench', address: '127.0.0.1', secret: SECRET, vendor: 'mikrotik' });
  await addPlan(db, { name: 'bench-20M', rateDown: 20_000_000, rateUp: 5_000_000, simultaneousUse: 1_000_000 });
  await importSubscribers(
    db,
    box,
    Array.from({ length: USERS }, (_, i) => ({
      line: i + 1,
      username: `user${i}`,
      password: `pw-${i}`,
      plan: 'bench-20M',
    })),
  );
  await db.end();
  // The change_log poller loads them in well under a second; give it a moment for 10k+.
  await new Promise((r) => setTimeout(r, 3000));
  return { name: 'wispd', pid: child.pid!, auth: listening.auth, acct: listening.acct };
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function startFreeradius(): Promise<Server | undefined> {
  if (!existsSync(FREERADIUS)) {
    report('radius.peer', { note: 'FreeRADIUS is not installed (apt-get install freeradius): wispd measured alone' });
    return undefined;
  }
  progress(`starting FreeRADIUS with ${USERS} users`);
  const dir = join(work, 'freeradius');
  const [auth, acct] = [await freePort(), await freePort()];
  writeFreeradiusConfig(dir, {
    maxRequests: 65536,
    threadPool: `thread pool {
	start_servers = 5
	max_servers = 32
	min_spare_servers = 3
	max_spare_servers = 10
	max_requests_per_server = 0
}`,
    clients: [{ name: 'bench', ipaddr: '127.0.0.1', secret: SECRET, requireMessageAuthenticator: true }],
    modules: `	files {
		filename = \${confdir}/users
	}
	pap {
		normalise = yes
	}
	chap {
	}
	mschap {
	}
	detail {
		filename = ${dir}/detail
		permissions = 0600
		header = "%t"
		locking = no
	}`,
    servers: `server default {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = ${auth}
	}
	listen {
		type = acct
		ipaddr = 127.0.0.1
		port = ${acct}
	}
	authorize {
		files
		mschap
		chap
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
		Auth-Type CHAP {
			chap
		}
		Auth-Type MS-CHAP {
			mschap
		}
	}
	accounting {
		detail
	}
}`,
  });
  writeFileSync(
    join(dir, 'users'),
    Array.from(
      { length: USERS },
      (_, i) =>
        `user${i} Cleartext-Password := "pw-${i}"\n\tMikrotik-Rate-Limit = "5M/20M",\n\tAcct-Interim-Interval = 300\n`,
    ).join(''),
  );
  const child = await runFreeradius(dir);
  children.push(child);
  return { name: 'freeradius', pid: child.pid!, auth, acct };
}

const wispd = await startWispd();
const freeradius = await startFreeradius();
for (const mode of MODES) {
  const w = await measure(wispd, mode);
  if (!freeradius) continue;
  const f = await measure(freeradius, mode);
  report(mode === 'acct' ? 'radius.acct.interim' : `radius.auth.${mode}`, {
    server: 'wispd/freeradius',
    cpu_ratio: w.cpu_us_per_req / f.cpu_us_per_req,
    rps_ratio: f.rps ? w.rps / f.rps : undefined,
  });
}
for (const c of children) c.kill('SIGTERM');
await new Promise((r) => setTimeout(r, 1500));
process.exit(0);
