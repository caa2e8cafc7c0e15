/** Runs wispd (or a fixture) as a child process and reads what it prints, as an operator would see it. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { repoRoot } from './env.ts';

export const wispdBin = `${repoRoot}/bin/wispd.js`;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `wispd <args>` to completion. `env` is added to a copy of this process's environment without WISPD_*. */
export function wispd(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Run {
  const r = spawnSync(process.execPath, [wispdBin, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: cleanEnv(opts.env),
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `wispd` without blocking this process (needed when the test itself serves a peer the command or daemon uses). */
export function wispdAsync(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [wispdBin, ...args], { cwd: opts.cwd ?? repoRoot, env: cleanEnv(opts.env) });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    p.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('WISPD_')) env[k] = v;
  return { ...env, ...extra };
}

export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

/** A long-running child whose JSON log lines are collected as they come. */
export class Child {
  readonly proc: ChildProcess;
  readonly lines: LogLine[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  #waiters: Array<() => void> = [];

  constructor(command: string, args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}) {
    this.proc = spawn(command, args, { cwd: opts.cwd ?? repoRoot, env: cleanEnv(opts.env), stdio: 'pipe' });
    let partial = '';
    this.proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      partial += chunk;
      const parts = partial.split('\n');
      partial = parts.pop()!;
      for (const line of parts) {
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          // not a log line
        }
      }
      for (const w of this.#waiters) w();
    });
    this.proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        for (const w of this.#waiters) w();
        resolve({ code, signal, at: performance.now() });
      });
    });
  }

  /** Resolves with the first log line whose msg is `msg`; rejects when the process exits first or time runs out. */
  waitFor(msg: string, timeoutMs = 60_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no "${msg}" line within ${timeoutMs} ms; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`));
      }, timeoutMs);
      const check = () => {
        const line = this.lines.find((l) => l.msg === msg);
        if (line) {
          done();
          resolve(line);
        } else if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
          done();
          reject(
            new Error(
              `exited (${this.proc.exitCode}) before "${msg}"; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`,
            ),
          );
        }
      };
      const done = () => {
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== check);
      };
      this.#waiters.push(check);
      check();
    });
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.proc.kill(signal);
  }
}

/** `wispd start` as a child process. */
export function startWispd(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Child {
  return new Child(process.execPath, [wispdBin, 'start', ...args], opts);
}
