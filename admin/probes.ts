/**
 * Probes and metrics, without login (for process supervisors, load balancers and Prometheus):
 * `GET /healthz` — the process answers; `GET /readyz` — 200 once every component has started and PostgreSQL
 * answers, 503 otherwise; `GET /metrics` — every component's counters (admin/metrics.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { Queryable } from '../daemon/model/db.ts';
import { version } from '../daemon/version.ts';
import { CONTENT_TYPE, type CountersByComponent, renderMetrics } from './metrics.ts';

export interface ProbeDeps {
  postgres: Queryable;
  /** True once the daemon's components have all started, false again when it begins to stop. */
  ready: () => boolean;
  counters: () => CountersByComponent;
  /** How long /readyz waits for PostgreSQL. */
  timeoutMs?: number;
}

async function postgresAnswers(db: Queryable, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([db.query('SELECT 1').then(() => true), late]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export function registerProbes(app: FastifyInstance, deps: ProbeDeps): void {
  const info = { version, node: process.version };

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const components = deps.ready();
    const postgres = await postgresAnswers(deps.postgres, deps.timeoutMs ?? 2000);
    const ready = components && postgres;
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not ready',
      components: components ? 'started' : 'not started',
      postgres: postgres ? 'ok' : 'unavailable',
    });
  });

  app.get('/metrics', async (_request, reply) =>
    reply.header('Content-Type', CONTENT_TYPE).send(renderMetrics(deps.counters(), info)),
  );
}
