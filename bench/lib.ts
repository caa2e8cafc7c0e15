import { type ChildProcess, spawn } from 'node:child_process';
/** What every bench shares: percentiles and the one JSON line per result. */

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Prints one result as a JSON line: `{"bench":…, …figures, "node":…}`. */
export function report(bench: string, figures: Record<string, number | string | undefined>): void {
  const out: Record<string, unknown> = { bench };
  for (const [k, v] of Object.entries(figures)) out[k] = typeof v === 'number' ? round(v) : v;
  out.node = process.version;
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Latencies in ms → p50/p99 figures. */
export function latencies(samples: number[]): { p50_ms: number; p99_ms: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50_ms: percentile(sorted, 50), p99_ms: percentile(sorted, 99) };
}

/**
 * `wispd start` with the example config, as `npm start` runs it, on its own data directory, with RADIUS on
 * loopback ephemeral ports and no demo (the benches add their own NAS and subscribers). Logs on stdout, a pipe.
 */
export function spawnWispd(
  dataDir: string,
  opts: { nodeArgs?: string[]; env?: Record<string, string> } = {},
): ChildProcess {
  const root = new URL('..', import.meta.url).pathname;
  return spawn(
    process.execPath,
    [...(opts.nodeArgs ?? []), `${root}bin/wispd.js`, 'start', '--config', `${root}config/wispd.example.yaml`],
    {
      env: {
        ...process.env,
        WISPD_DAEMON_DATA_DIR: dataDir,
        WISPD_RADIUS_ADDRESS: '127.0.0.1',
        WISPD_RADIUS_AUTH_PORT: '0',
        WISPD_INGEST_LISTEN: '127.0.0.1:0',
        WISPD_ADMIN_LISTEN: '127.0.0.1:0',
        WISPD_RADIUS_ACCT_PORT: '0',
        WISPD_RADIUS_DEMO: 'false',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
}

/** Resolves with the first line of the child's standard output that matches. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${buf}`)), timeoutMs);
    child.stdout!.on('data', (d) => {
      buf += d;
      const m = buf.split('\n').find((l) => pattern.test(l));
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}:\n${buf}`)));
  });
}
