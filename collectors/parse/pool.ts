/**
 * The parse worker pool (piscina). Its queue is bounded: when every thread is busy and the queue is full, a task is
 * refused at once (WISPD_TELEMETRY_BACKPRESSURE) rather than held in memory, and the pusher is told to retry later.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { PushParser } from '../../contracts/telemetry/index.ts';
import type { Component } from '../../daemon/lib/component.ts';
import { WispdError } from '../../daemon/lib/errors.ts';
import type { Logger } from '../../daemon/lib/log.ts';
import { poolWorker } from '../../daemon/lib/workers.ts';
import { owned, type ParseOutcome, type ParseTask } from './tasks.ts';

export interface ParsePoolOptions {
  /** Worker threads; 0 picks one per core, at most 4. */
  threads: number;
  /** Tasks waiting for a thread, at most. */
  maxQueue: number;
}

export interface ParsePool extends Component, PushParser {
  run(task: ParseTask): Promise<ParseOutcome>;
}

export function createParsePool(options: ParsePoolOptions, deps: { log: Logger }): ParsePool {
  const threads = options.threads > 0 ? options.threads : Math.min(4, availableParallelism());
  const counters = { tasks: 0, failed: 0, refused: 0, bytes: 0, rows: 0 };
  let pool: Piscina | undefined;
  let pending = 0;

  const self: ParsePool = {
    name: 'parse-pool',
    counters: () => ({ ...counters, threads, pending, queued: pool?.queueSize ?? 0 }),
    get pending() {
      return pending;
    },
    threads,
    describe: () => `${threads} parse thread(s)`,
    async start() {
      pool = new Piscina({
        ...poolWorker(import.meta.url, 'worker'),
        minThreads: threads,
        maxThreads: threads,
        maxQueue: options.maxQueue,
        idleTimeout: 60_000,
      });
      deps.log.child({ component: 'parse-pool' }).debug({ threads }, 'parse pool started');
    },
    async stop() {
      await pool?.close();
      pool = undefined;
    },
    async run(task) {
      if (!pool || pool.queueSize >= options.maxQueue) {
        counters.refused++;
        throw new WispdError('WISPD_TELEMETRY_BACKPRESSURE', 'every parser is busy; retry later', {
          queued: pool?.queueSize ?? 0,
        });
      }
      const body = owned(task.body);
      pending++;
      counters.tasks++;
      counters.bytes += body.byteLength;
      try {
        const out: ParseOutcome = await pool.run({ ...task, body }, { transferList: [body.buffer as ArrayBuffer] });
        if (out.ok) counters.rows += out.rows;
        else counters.failed++;
        return out;
      } finally {
        pending--;
      }
    },
    parsePush: (body, site, now) => self.run({ kind: 'ndjson', body, site, now }),
  };
  return self;
}
