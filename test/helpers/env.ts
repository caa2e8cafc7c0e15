/** Scratch space, loggers and real servers for tests. Everything a helper creates is removed at the test's end. */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../../config/load.ts';
import { type Config, schema } from '../../config/schema.ts';
import type { Logger } from '../../daemon/lib/log.ts';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export const repoRoot = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');

export const silentLog = (): Logger => pino({ level: 'silent' });

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A logger whose lines are kept, parsed, in `lines`. */
export function capturedLog(level = 'info'): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = pino(
    { level },
    new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  return { log, lines };
}

export const randomId = (): string => randomBytes(5).toString('hex');

export function tmpDir(t: Teardown, prefix = 'wispd-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // Retried: an embedded store's background threads (chDB merges) may still be writing as it is removed (ENOTEMPTY),
  // for seconds on a loaded machine; what is still busy then is removed as the test process exits.
  t.teardown(() => {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 30, retryDelay: 100 });
    } catch {
      process.once('exit', () => {
        try {
          rmSync(dir, { recursive: true, force: true });
        } catch {}
      });
    }
  });
  return dir;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * A database of its own on the PostgreSQL server named by DATABASE_URL, dropped at the end; undefined when
 * DATABASE_URL is not set (the suite then runs against PGlite only).
 */
export async function freshPostgres(t: Teardown): Promise<string | undefined> {
  const base = process.env.DATABASE_URL;
  if (!base) return undefined;
  const name = `wispd_test_${randomId()}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  t.teardown(async () => {
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * A NATS server with JetStream: the one NATS_URL names, or a nats-server started for this test on a free port
 * (stopped and its store removed at the end).
 */
export async function natsUrl(t: Teardown): Promise<string> {
  if (process.env.NATS_URL) return process.env.NATS_URL;
  const port = await freePort();
  const store = tmpDir(t, 'wispd-nats-');
  const proc = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], { stdio: 'ignore' });
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  );
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) return `nats://127.0.0.1:${port}`;
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error('nats-server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every config section with its defaults, for tests that build a component with a few values changed. */
export const defaults: Config = loadConfig(schema, { env: {} });
