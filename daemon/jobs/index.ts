/**
 * Scheduled jobs for the core and plugins: `every` an interval or on a `cron` expression (croner). Each job is a row
 * of PostgreSQL `job`; a daemon runs a tick only after claiming it with one UPDATE that also requires no run to be
 * under way, so across several daemons on one database each tick runs once and never two runs at once. A run longer
 * than its timeout is recorded as failed and its claim released (JavaScript cannot stop the function; its late
 * result is ignored); a daemon killed mid-run leaves a claim that expires with that timeout. The row keeps the last
 * run, its duration and error, and the next tick, for `wispd job list` and the panel.
 *
 * A pg-boss or graphile-worker queue was not used: both wait on LISTEN/NOTIFY or hold session advisory locks, which
 * the embedded store (PGlite through one shared socket session) cannot give; a row claim works the same on both.
 */
import { hostname } from 'node:os';
import { Cron } from 'croner';
import { parseDuration } from '../../config/define.ts';
import type { Component } from '../lib/component.ts';
import { WispdError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { withTimeout } from '../lib/timeout.ts';
import type { PostgresStore } from '../store/postgres/index.ts';

export type Schedule = { every: string } | { cron: string; timezone?: string };

export interface JobOptions {
  /** How long a run may take (ms) before it counts as failed and its claim is released; 10 min by default. */
  timeout?: number;
}

export interface JobRow {
  name: string;
  schedule: string;
  tick: Date | null;
  running_on: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  duration_ms: number | null;
  error: string | null;
  runs: string;
  failures: string;
  next_at: Date | null;
}

export interface Jobs extends Component {
  /** Registers a job (before or after start); a name is one job across every daemon on the database. */
  job(name: string, schedule: Schedule, fn: () => Promise<unknown>, opts?: JobOptions): void;
  /** Runs a job now, outside its schedule (still never beside another run of it). */
  runNow(name: string): Promise<{ ran: boolean; error: string | null; durationMs: number }>;
  list(): Promise<JobRow[]>;
}

interface Job {
  name: string;
  schedule: string;
  /** The latest scheduled time at or before `at`, and the next after it. */
  ticks(at: Date): { current: Date; next: Date };
  fn: () => Promise<unknown>;
  timeout: number;
  /** The last tick this daemon claimed or saw claimed, so an idle loop asks nothing of PostgreSQL. */
  seen: number;
}

function scheduleOf(name: string, s: Schedule): Pick<Job, 'schedule' | 'ticks'> {
  if ('every' in s) {
    const ms = parseDuration(s.every);
    if (!ms || ms < 1000)
      throw new WispdError('WISPD_INVALID_INPUT', `job ${name}: every ${s.every}: an interval of 1s or more`, {});
    return {
      schedule: `every ${s.every}`,
      ticks: (at) => {
        const current = Math.floor(at.getTime() / ms) * ms;
        return { current: new Date(current), next: new Date(current + ms) };
      },
    };
  }
  let cron: Cron;
  try {
    cron = new Cron(s.cron, { timezone: s.timezone, paused: true });
  } catch (err) {
    throw new WispdError(
      'WISPD_INVALID_INPUT',
      `job ${name}: cron ${JSON.stringify(s.cron)}: ${(err as Error).message}`,
      {},
    );
  }
  return {
    schedule: `cron ${s.cron}${s.timezone ? ` (${s.timezone})` : ''}`,
    ticks: (at) => ({
      current: cron.previousRuns(1, new Date(at.getTime() + 1))[0] ?? new Date(0),
      next: cron.nextRun(at) ?? new Date(8.64e15),
    }),
  };
}

export interface JobsDeps {
  log: Logger;
  postgres: PostgresStore;
  /** Which daemon holds a claim (host and process), for the list. */
  runner?: string;
  now?: () => number;
}

export function createJobs(deps: JobsDeps): Jobs {
  const runner = deps.runner ?? `${hostname()}:${process.pid}`;
  const log = deps.log.child({ component: 'jobs' });
  const now = deps.now ?? Date.now;
  const jobs = new Map<string, Job>();
  const counters = { runs: 0, failures: 0, skipped_busy: 0 };
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  const running = new Set<Promise<unknown>>();

  async function upsert(j: Job): Promise<void> {
    const { next } = j.ticks(new Date(now()));
    await deps.postgres.query(
      `INSERT INTO job (name, schedule, next_at) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET schedule = $2, next_at = $3, updated_at = now()`,
      [j.name, j.schedule, next],
    );
  }

  /** Claims `tick` for this daemon: nobody claimed it yet, and no run is under way (or its claim expired). */
  async function claim(j: Job, tick: Date | null): Promise<boolean> {
    const { rowCount } = await deps.postgres.query(
      `UPDATE job SET tick = coalesce($2, tick), running_on = $3, started_at = now(), updated_at = now()
        WHERE name = $1 AND ($2::timestamptz IS NULL OR tick IS NULL OR tick < $2)
          AND (running_on IS NULL OR started_at < now() - make_interval(secs => $4))`,
      [j.name, tick, runner, j.timeout / 1000],
    );
    return (rowCount ?? 0) > 0;
  }

  async function run(j: Job): Promise<{ error: string | null; durationMs: number }> {
    const t0 = performance.now();
    let error: string | null = null;
    try {
      await withTimeout(j.timeout, 'the run', Promise.resolve().then(j.fn));
    } catch (err) {
      error = (err as Error)?.message ?? String(err);
    }
    const durationMs = Math.round(performance.now() - t0);
    counters.runs++;
    if (error) {
      counters.failures++;
      log.warn({ job: j.name, ms: durationMs, err: error }, 'job failed');
    }
    await deps.postgres.query(
      `UPDATE job SET running_on = NULL, finished_at = now(), duration_ms = $2, error = $3, runs = runs + 1,
              failures = failures + $4, next_at = $5, updated_at = now() WHERE name = $1`,
      [j.name, durationMs, error, error ? 1 : 0, j.ticks(new Date(now())).next],
    );
    return { error, durationMs };
  }

  function track<T>(p: Promise<T>): Promise<T> {
    running.add(p);
    void p.finally(() => running.delete(p)).catch(() => {});
    return p;
  }

  async function tick(): Promise<void> {
    for (const j of jobs.values()) {
      const { current } = j.ticks(new Date(now()));
      if (current.getTime() <= j.seen) continue;
      try {
        if (await claim(j, current)) {
          j.seen = current.getTime();
          void track(run(j));
        } else {
          const { rows } = await deps.postgres.query<{ tick: Date | null; running_on: string | null }>(
            'SELECT tick, running_on FROM job WHERE name = $1',
            [j.name],
          );
          // Claimed elsewhere: seen. Still running (here or elsewhere): asked again at the next loop.
          if (rows[0]?.tick && rows[0].tick.getTime() >= current.getTime()) j.seen = current.getTime();
          else counters.skipped_busy++;
        }
      } catch (err) {
        log.warn({ job: j.name, err: (err as Error).message }, 'job schedule check failed; tried again');
      }
    }
  }

  return {
    name: 'jobs',
    async start() {
      started = true;
      for (const j of jobs.values()) await upsert(j);
      timer = setInterval(() => void tick(), 1000);
    },
    async stop() {
      started = false;
      clearInterval(timer);
      await Promise.allSettled([...running]);
    },
    counters: () => ({ ...counters, jobs: jobs.size, running: running.size }),
    describe: () => `${jobs.size} job(s)`,

    job(name, schedule, fn, opts = {}) {
      if (jobs.has(name)) throw new WispdError('WISPD_ALREADY_EXISTS', `job ${name} is registered twice`, {});
      // A job starts with its next tick, not a run for the tick it was registered in.
      const j: Job = { name, ...scheduleOf(name, schedule), fn, timeout: opts.timeout ?? 600_000, seen: 0 };
      j.seen = j.ticks(new Date(now())).current.getTime();
      jobs.set(name, j);
      if (started)
        void upsert(j).catch((err) => log.warn({ job: name, err: (err as Error).message }, 'job not recorded'));
    },

    async runNow(name) {
      const j = jobs.get(name);
      if (!j) throw new WispdError('WISPD_NOT_FOUND', `no job ${name}`, {});
      if (!(await claim(j, null))) return { ran: false, error: 'a run is under way', durationMs: 0 };
      return { ran: true, ...(await track(run(j))) };
    },

    async list() {
      return (await deps.postgres.query<JobRow>('SELECT * FROM job ORDER BY name')).rows;
    },
  };
}
