// RADIUS against FreeRADIUS on this machine, same users, same load, one run: PAP, CHAP, MS-CHAPv2 and accounting
// (Interim-Update). For each server and mode:
// - server CPU per request (µs) at a fixed offered load, from /proc/<pid>/stat before and after;
// - the highest offered rate (of a ramp) answered with p99 < 5 ms and under 0.1 % lost, with its p50/p99.
// wispd runs as `npm start` would (embedded stores, Message-Authenticator required and in every reply, duplicate cache
// and auth log on, accounting spool fsync-ed); FreeRADIUS is a throw-away instance (files module with the same users,
// pap/chap/mschap, detail file for accounting; its default thread pool).
// Usage: node --import=tsx bench/radius.bench.ts [--users 10000] [--seconds 4] [--fixed-rps 5000] [--modes pap,chap,mschapv2,acct]
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FREERADIUS, runFreeradius, writeFreeradiusConfig } from '../test/helpers/freeradius.ts';
import { cpuMs } from './cpu.ts';
import { report } from './lib.ts';
import { percentileMs, runLoad, startBenchWispd } from './radius-run.ts';
import type { Mode } from './radius-shared.ts';

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
const work = mkdtempSync(join(tmpdir(), 'wispd-bench-radius-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});
const progress = (msg: string) => process.stderr.write(`radius bench: ${msg}\n`);

const load = (port: number, mode: Mode, rps: number, seconds: number) =>
  runLoad({ port, secret: SECRET, mode, users: USERS, rps, seconds, generators: GENERATORS });

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
  const w = await startBenchWispd(join(work, 'wispd-data'), { users: USERS, secret: SECRET });
  children.push(w.child);
  await w.db.end();
  return { name: 'wispd', pid: w.pid, auth: w.auth, acct: w.acct };
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
