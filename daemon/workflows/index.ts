/**
 * Workflows as sagas: a run is a sequence of steps, each `{ name, run, compensate? }`, its state in PostgreSQL
 * (`workflow_run`, `workflow_step`). A completed step is recorded with its output before the next begins, so a run
 * cut short by a crash resumes at the next start from the first step not done. A step that still fails after its
 * retries makes the run compensate the steps done, in reverse, and end `compensated` (or `failed` when a compensation
 * fails too: staff then retry or abandon it). Each step is given an idempotency key, the same on every attempt and
 * after a resume, for what it asks of the outside (a payment provider, a NAS): a step may run again after a crash
 * between its effect and its record, and the key is how the other side sees it is the same request.
 *
 * DBOS Transact was considered: its system database LISTENs on notification channels from a connection of its own,
 * which the embedded store (PGlite behind one shared socket session) cannot give, and it brings a schema and a
 * launch cycle of its own. A run here is a few rows: the same on both stores, and readable by `wispd workflow`.
 */
import { randomUUID } from 'node:crypto';
import type { Component } from '../lib/component.ts';
import { WispdError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { PostgresStore } from '../store/postgres/index.ts';

export interface StepContext<I = unknown> {
  input: I;
  /** The outputs of the steps done so far, by name. */
  results: Record<string, unknown>;
  /** The same on every attempt and after a resume: `<run id>:<step name>`. */
  idempotencyKey: string;
  runId: string;
  attempt: number;
}

export interface Step<I = unknown> {
  name: string;
  run(ctx: StepContext<I>): Promise<unknown>;
  /** Undoes the step (given its output in `results[name]`); steps without one are left as they are. */
  compensate?(ctx: StepContext<I>): Promise<unknown>;
  /** Attempts before the step counts as failed (3). */
  attempts?: number;
}

export interface Workflow<I = unknown> {
  /** Starts a run; with a `key`, a run with that key already started is returned instead of a second one. */
  start(input: I, opts?: { key?: string }): Promise<string>;
}

export type RunStatus = 'running' | 'compensating' | 'completed' | 'compensated' | 'failed' | 'abandoned';

export interface RunView {
  id: string;
  workflow: string;
  key: string | null;
  status: RunStatus;
  error: string | null;
  input: unknown;
  createdAt: Date;
  updatedAt: Date;
  steps: Array<{ idx: number; name: string; status: string; output: unknown; error: string | null; attempts: number }>;
}

export interface Workflows extends Component {
  define<I>(name: string, steps: readonly Step<I>[]): Workflow<I>;
  list(opts?: { status?: string; limit?: number }): Promise<Omit<RunView, 'steps' | 'input'>[]>;
  show(id: string): Promise<RunView>;
  /** A failed or compensated run again: a failed one from where it stopped, a compensated one from its start. */
  retry(id: string): Promise<RunView>;
  /** Gives up on a failed run: nothing more is done for it. */
  abandon(id: string): Promise<RunView>;
  /** Resolves when the runs this daemon drives now have settled (tests). */
  idle(): Promise<void>;
}

interface Definition {
  name: string;
  steps: readonly Step[];
}

const HEARTBEAT_MS = 5_000;
/** A run whose owner has not said it is alive for this long is taken over by another daemon (or this one, restarted). */
const SILENT_MS = 20_000;

type Db = Pick<PostgresStore, 'query'>;

/** The runs, newest first (for `wispd workflow list`, with or without the daemon). */
export async function listRuns(
  db: Db,
  opts: { status?: string; limit?: number } = {},
): Promise<Omit<RunView, 'steps' | 'input'>[]> {
  const { rows } = await db.query(
    `SELECT id, workflow, key, status, error, created_at AS "createdAt", updated_at AS "updatedAt" FROM workflow_run
      WHERE $1::text IS NULL OR status = $1 ORDER BY created_at DESC LIMIT $2`,
    [opts.status ?? null, opts.limit ?? 100],
  );
  return rows as Omit<RunView, 'steps' | 'input'>[];
}

/** One run with its steps. */
export async function showRun(db: Db, id: string): Promise<RunView> {
  if (!/^[0-9a-f-]{36}$/.test(id))
    throw new WispdError('WISPD_INVALID_INPUT', `${JSON.stringify(id)} is not a run id`, {});
  const { rows } = await db.query(
    `SELECT id, workflow, key, status, error, input, created_at AS "createdAt", updated_at AS "updatedAt"
       FROM workflow_run WHERE id = $1`,
    [id],
  );
  if (!rows[0]) throw new WispdError('WISPD_NOT_FOUND', `no workflow run ${id}`, {});
  const steps = await db.query(
    'SELECT idx, name, status, output, error, attempts FROM workflow_step WHERE run_id = $1 ORDER BY idx',
    [id],
  );
  return { ...(rows[0] as Omit<RunView, 'steps'>), steps: steps.rows as RunView['steps'] };
}

export function createWorkflows(deps: {
  log: Logger;
  postgres: PostgresStore;
  /** Which daemon drives a run: stable across its restarts (host and data directory), so it resumes its own at once. */
  owner: string;
}): Workflows {
  const log = deps.log.child({ component: 'workflows' });
  const owner = deps.owner;
  const defs = new Map<string, Definition>();
  const driving = new Map<string, Promise<void>>();
  const counters = { started: 0, completed: 0, compensated: 0, failed: 0, resumed: 0, step_retries: 0 };
  let started = false;
  let stopping = false;
  let heartbeat: NodeJS.Timeout | undefined;
  let sweep: NodeJS.Timeout | undefined;
  const db = deps.postgres;

  const setRun = (id: string, status: RunStatus, error: string | null = null) =>
    db.query(
      `UPDATE workflow_run SET status = $2, error = $3, updated_at = now(),
         owner = CASE WHEN $2 IN ('running', 'compensating') THEN owner END WHERE id = $1`,
      [id, status, error],
    );

  const setStep = (
    id: string,
    idx: number,
    name: string,
    status: string,
    output: unknown,
    error: string | null,
    attempts: number,
  ) =>
    db.query(
      `INSERT INTO workflow_step (run_id, idx, name, status, output, error, attempts) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (run_id, idx) DO UPDATE SET status = $4, output = coalesce($5, workflow_step.output), error = $6,
         attempts = workflow_step.attempts + $7, finished_at = now()`,
      [id, idx, name, status, output === undefined ? null : JSON.stringify(output), error, attempts],
    );

  async function attempt(step: Step, fn: (a: number) => Promise<unknown>, what: string, id: string) {
    const attempts = step.attempts ?? 3;
    for (let a = 1; ; a++) {
      try {
        return { ok: true as const, value: await fn(a), attempts: a };
      } catch (err) {
        const message = (err as Error)?.message ?? String(err);
        if (a >= attempts || stopping) return { ok: false as const, error: message, attempts: a };
        counters.step_retries++;
        log.warn({ run: id, step: step.name, attempt: a, err: message }, `${what} failed; retried`);
        await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** a, 5000)));
      }
    }
  }

  /** Drives a run this daemon owns until it settles (or the daemon stops, leaving it to resume). */
  async function drive(id: string): Promise<void> {
    const { rows } = await db.query<{ workflow: string; input: unknown; status: RunStatus }>(
      'SELECT workflow, input, status FROM workflow_run WHERE id = $1',
      [id],
    );
    const run = rows[0];
    const def = run && defs.get(run.workflow);
    if (!run || !def) return;
    const done = await db.query<{ idx: number; name: string; status: string; output: unknown }>(
      'SELECT idx, name, status, output FROM workflow_step WHERE run_id = $1 ORDER BY idx',
      [id],
    );
    const results: Record<string, unknown> = {};
    const doneIdx = new Set<number>();
    for (const s of done.rows) {
      if (s.status === 'done' || s.status === 'compensation_failed') {
        results[s.name] = s.output;
        doneIdx.add(s.idx);
      }
    }
    const ctxOf = (step: Step, a: number): StepContext => ({
      input: run.input,
      results: { ...results },
      idempotencyKey: `${id}:${step.name}`,
      runId: id,
      attempt: a,
    });

    let failure: string | null = null;
    if (run.status === 'running') {
      for (const [idx, step] of def.steps.entries()) {
        if (doneIdx.has(idx)) continue;
        if (stopping) return;
        const r = await attempt(step, (a) => step.run(ctxOf(step, a)), 'step', id);
        if (stopping && !r.ok) return;
        if (!r.ok) {
          await setStep(id, idx, step.name, 'failed', undefined, r.error, r.attempts);
          failure = `step ${step.name}: ${r.error}`;
          break;
        }
        results[step.name] = r.value ?? null;
        doneIdx.add(idx);
        await setStep(id, idx, step.name, 'done', r.value ?? null, null, r.attempts);
      }
      if (!failure) {
        await setRun(id, 'completed');
        counters.completed++;
        return;
      }
      await db.query("UPDATE workflow_run SET status = 'compensating', error = $2, updated_at = now() WHERE id = $1", [
        id,
        failure,
      ]);
      log.warn({ run: id, workflow: def.name, err: failure }, 'workflow step failed; compensating');
    } else {
      const { rows: e } = await db.query<{ error: string | null }>('SELECT error FROM workflow_run WHERE id = $1', [
        id,
      ]);
      failure = e[0]?.error ?? 'compensating';
    }
    // In reverse: each step done and not yet undone.
    for (const [idx, step] of [...def.steps.entries()].reverse()) {
      if (!doneIdx.has(idx)) continue;
      if (stopping) return;
      if (!step.compensate) continue;
      const r = await attempt(step, (a) => step.compensate!(ctxOf(step, a)), 'compensation', id);
      if (stopping && !r.ok) return;
      if (!r.ok) {
        await setStep(id, idx, step.name, 'compensation_failed', undefined, r.error, r.attempts);
        await setRun(id, 'failed', `${failure}; compensating ${step.name}: ${r.error}`);
        counters.failed++;
        log.error(
          { run: id, workflow: def.name, step: step.name, err: r.error },
          'workflow compensation failed: retry or abandon it',
        );
        return;
      }
      await setStep(id, idx, step.name, 'compensated', undefined, null, r.attempts);
      doneIdx.delete(idx);
    }
    await setRun(id, 'compensated', failure);
    counters.compensated++;
  }

  function launch(id: string): void {
    if (driving.has(id) || stopping) return;
    const p = drive(id)
      .catch((err) =>
        log.error({ run: id, err: (err as Error).message }, 'driving a workflow run failed; it resumes later'),
      )
      .finally(async () => {
        driving.delete(id);
        await db
          .query('UPDATE workflow_run SET owner = NULL WHERE id = $1 AND owner = $2', [id, owner])
          .catch(() => {});
      });
    driving.set(id, p);
  }

  /** Takes the open runs nobody drives (their daemon stopped or died) and drives them. */
  async function resume(): Promise<void> {
    if (stopping || defs.size === 0) return;
    const { rows } = await db.query<{ id: string }>(
      `UPDATE workflow_run SET owner = $1, heartbeat_at = now() WHERE id IN (
         SELECT id FROM workflow_run WHERE status IN ('running', 'compensating') AND workflow = ANY($2)
           AND (owner IS NULL OR owner = $1 OR heartbeat_at < now() - make_interval(secs => $3))
           FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [owner, [...defs.keys()], SILENT_MS / 1000],
    );
    for (const r of rows) {
      counters.resumed++;
      launch(r.id);
    }
  }

  const view = (id: string) => showRun(db, id);

  return {
    name: 'workflows',
    async start() {
      started = true;
      // Plugins define their workflows as they register, after this starts: each definition looks for its open runs.
      heartbeat = setInterval(() => {
        const ids = [...driving.keys()];
        if (ids.length)
          void db
            .query('UPDATE workflow_run SET heartbeat_at = now() WHERE id = ANY($1::uuid[]) AND owner = $2', [
              ids,
              owner,
            ])
            .catch(() => {});
      }, HEARTBEAT_MS);
      sweep = setInterval(() => void resume().catch(() => {}), SILENT_MS / 2);
      await resume();
    },
    async stop() {
      stopping = true;
      clearInterval(heartbeat);
      clearInterval(sweep);
      await Promise.allSettled([...driving.values()]);
    },
    counters: () => ({ ...counters, driving: driving.size, workflows: defs.size }),
    describe: () => `${defs.size} workflow(s)`,

    define(name, steps) {
      if (defs.has(name)) throw new WispdError('WISPD_ALREADY_EXISTS', `workflow ${name} is defined twice`, {});
      const names = new Set(steps.map((s) => s.name));
      if (names.size !== steps.length) throw new Error(`workflow ${name}: two steps share a name`);
      defs.set(name, { name, steps: steps as readonly Step[] });
      if (started) void resume().catch(() => {});
      return {
        async start(input, opts = {}) {
          const id = randomUUID();
          const { rows } = await db.query<{ id: string }>(
            `INSERT INTO workflow_run (id, workflow, key, input, status, owner, heartbeat_at)
             VALUES ($1, $2, $3, $4, 'running', $5, now())
             ON CONFLICT (workflow, key) DO UPDATE SET updated_at = workflow_run.updated_at RETURNING id`,
            [id, name, opts.key ?? null, JSON.stringify(input ?? null), owner],
          );
          const got = rows[0]!.id;
          if (got === id) {
            counters.started++;
            launch(id);
          }
          return got;
        },
      };
    },

    list: (opts) => listRuns(db, opts),
    show: view,

    async retry(id) {
      const v = await view(id);
      if (!defs.has(v.workflow))
        throw new WispdError('WISPD_INVALID_INPUT', `workflow ${v.workflow} is not loaded here`, {});
      if (v.status === 'failed') {
        // From where it stopped: a failed step runs again; a failed compensation is attempted again.
        const compensating = v.steps.some((s) => s.status === 'compensation_failed');
        if (!compensating) await db.query("DELETE FROM workflow_step WHERE run_id = $1 AND status = 'failed'", [id]);
        await db.query(
          `UPDATE workflow_run SET status = $2, owner = $3, heartbeat_at = now(), updated_at = now() WHERE id = $1`,
          [id, compensating ? 'compensating' : 'running', owner],
        );
      } else if (v.status === 'compensated') {
        await db.query('DELETE FROM workflow_step WHERE run_id = $1', [id]);
        await db.query(
          `UPDATE workflow_run SET status = 'running', error = NULL, owner = $2, heartbeat_at = now(), updated_at = now()
            WHERE id = $1`,
          [id, owner],
        );
      } else {
        throw new WispdError(
          'WISPD_INVALID_INPUT',
          `run ${id} is ${v.status}: only a failed or compensated run is retried`,
          {},
        );
      }
      launch(id);
      return view(id);
    },

    async abandon(id) {
      const v = await view(id);
      if (v.status !== 'failed' && v.status !== 'compensated')
        throw new WispdError(
          'WISPD_INVALID_INPUT',
          `run ${id} is ${v.status}: only a failed or compensated run is abandoned`,
          {},
        );
      await setRun(id, 'abandoned', v.error);
      return view(id);
    },

    async idle() {
      while (driving.size) await Promise.allSettled([...driving.values()]);
    },
  };
}
