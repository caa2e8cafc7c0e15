/**
 * Core events for plugins, delivered at least once and with one effect (daemon/events/catalogue.ts lists them).
 *
 * - `emit` costs nothing for a type no consumer wants; a wanted event joins a batch that is written to PostgreSQL
 *   `event_log` every `events.flush_interval` (one INSERT per batch), so the RADIUS path never waits on it.
 * - Each consumer (one per plugin handler) reads the log from its cursor, `events.batch` events per transaction. In
 *   that transaction each event's id goes into the consumer's inbox first: an id already there (a redelivery after a
 *   crash, or another daemon on the same database) is skipped, so a handler that writes through the transaction it is
 *   given has its effect once. A batch whose handler fails is rolled back and its events are retried one by one, with
 *   backoff; an event that still fails is kept in `event_dead`, counted and logged, and the consumer moves on.
 * - The log is the same on the embedded store and PostgreSQL, and several daemons on one database share it.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { EventsConfig } from '../../config/schema.ts';
import type { Component } from '../lib/component.ts';
import type { Logger } from '../lib/log.ts';
import { sampledLog } from '../lib/sampled-log.ts';
import { withTimeout } from '../lib/timeout.ts';
import type { Bus, Subscription } from '../store/bus/index.ts';
import type { PostgresStore } from '../store/postgres/index.ts';
import { type EventEnvelope, type EventType, isEventType } from './catalogue.ts';

export type { EventEnvelope, EventType } from './catalogue.ts';

export type EventHandler = (event: EventEnvelope, tx: Pick<pg.PoolClient, 'query'>) => unknown | Promise<unknown>;
/** Several events at once (in order, none seen before by this consumer): one statement for all of them is cheap. */
export type BatchHandler = (events: EventEnvelope[], tx: Pick<pg.PoolClient, 'query'>) => unknown | Promise<unknown>;

export interface ConsumerOptions {
  /** How long one event's handler may take (ms). */
  timeout?: number;
  /** Attempts of an event before it is set aside in event_dead. */
  attempts?: number;
  /** While true the consumer reads nothing and keeps its place (a plugin that is not running). */
  paused?: () => boolean;
  /** The handler takes the batch's events in one call (a BatchHandler); a failing batch is retried one by one. */
  batch?: boolean;
}

export interface Events extends Component {
  /** Whether any consumer wants this type (emitters with costly data ask first). */
  wants(type: EventType): boolean;
  emit(type: EventType, subject: string, data: Record<string, unknown>, occurredAt?: number): void;
  /** A consumer, named once and for good (its cursor and inbox keep the name): register before start. */
  consume(
    name: string,
    types: readonly EventType[],
    handler: EventHandler | BatchHandler,
    opts?: ConsumerOptions,
  ): void;
  /** Writes what was emitted so far (tests, and stop). */
  flush(): Promise<void>;
}

export interface EventsDeps {
  log: Logger;
  postgres: PostgresStore;
  /** What the components publish there (fup.*, subscriber.*, customer.*, device.*) goes to the log too. */
  bus?: Pick<Bus, 'subscribe'>;
}

/** The bus subjects that are catalogue events, and what names their subject. */
const FROM_BUS = ['fup.>', 'subscriber.>', 'customer.>', 'device.>'];

interface Consumer {
  name: string;
  types: readonly EventType[];
  handler: EventHandler | BatchHandler;
  batch: boolean;
  timeout: number;
  attempts: number;
  paused: () => boolean;
  running: boolean;
  timer?: NodeJS.Timeout;
}

interface Row {
  seq: string;
  id: string;
  type: EventType;
  subject: string;
  occurred_at: Date;
  data: Record<string, unknown>;
}

const envelopeOf = (r: Row): EventEnvelope => ({
  id: r.id,
  type: r.type,
  occurredAt: new Date(r.occurred_at).toISOString(),
  subject: r.subject,
  data: r.data,
});

class HandlerFailed extends Error {}

/** Moves a consumer's cursor forward (never back: a slower daemon on the same database may commit later). */
const advance = (tx: Pick<pg.PoolClient, 'query'>, consumer: string, seq: string) =>
  tx.query(
    `INSERT INTO event_cursor (consumer, seq) VALUES ($1, $2)
     ON CONFLICT (consumer) DO UPDATE SET seq = greatest(event_cursor.seq, $2), updated_at = now()`,
    [consumer, seq],
  );

export function createEvents(config: EventsConfig, deps: EventsDeps): Events {
  const log = deps.log.child({ component: 'events' });
  const warn = sampledLog(log);
  const consumers: Consumer[] = [];
  const wanted = new Set<EventType>();
  let pending: Array<[string, EventType, string, number, string]> = [];
  let flushing: Promise<void> = Promise.resolve();
  let flushTimer: NodeJS.Timeout | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;
  let stopped = true;
  const subscriptions: Subscription[] = [];
  const counters = { emitted: 0, written: 0, write_errors: 0, handled: 0, skipped: 0, handler_errors: 0, dead: 0 };

  async function write(): Promise<void> {
    while (pending.length) {
      const batch = pending.slice(0, 5000);
      try {
        await deps.postgres.query(
          `INSERT INTO event_log (id, type, subject, occurred_at, data)
           SELECT i::uuid, t, s, to_timestamp(o / 1000.0), d::jsonb
             FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::text[]) AS x(i, t, s, o, d)
           ON CONFLICT (id) DO NOTHING`,
          [0, 1, 2, 3, 4].map((k) => batch.map((e) => e[k])),
        );
        pending = pending.slice(batch.length);
        counters.written += batch.length;
      } catch (err) {
        counters.write_errors++;
        warn('warn', { err: (err as Error).message, pending: pending.length }, 'writing events failed; retried');
        return;
      }
    }
  }

  const flush = (): Promise<void> => {
    flushing = flushing.then(write);
    return flushing;
  };

  async function runBatch(c: Consumer, rows: Row[]): Promise<void> {
    await deps.postgres.transaction(async (tx) => {
      const fresh = new Set(
        (
          await tx.query<{ event_id: string }>(
            `INSERT INTO event_inbox (consumer, event_id) SELECT $1, unnest($2::uuid[])
             ON CONFLICT DO NOTHING RETURNING event_id`,
            [c.name, rows.map((r) => r.id)],
          )
        ).rows.map((r) => r.event_id),
      );
      const unseen = rows.filter((r) => fresh.has(r.id)).map(envelopeOf);
      counters.skipped += rows.length - unseen.length;
      const call = (arg: EventEnvelope | EventEnvelope[]) =>
        withTimeout(
          c.timeout,
          'the handler',
          Promise.resolve((c.handler as (a: unknown, t: unknown) => unknown)(arg, tx)),
        );
      try {
        if (c.batch) {
          if (unseen.length) await call(unseen);
        } else for (const e of unseen) await call(e);
      } catch (err) {
        throw new HandlerFailed((err as Error).message ?? String(err));
      }
      counters.handled += unseen.length;
      await advance(tx, c.name, rows.at(-1)!.seq);
    });
  }

  /** One event at a time, with retries; what keeps failing is set aside. */
  async function isolate(c: Consumer, rows: Row[]): Promise<void> {
    for (const r of rows) {
      for (let attempt = 1; ; attempt++) {
        try {
          await runBatch(c, [r]);
          break;
        } catch (err) {
          counters.handler_errors++;
          if (!(err instanceof HandlerFailed)) throw err;
          if (attempt >= c.attempts) {
            counters.dead++;
            log.error(
              { consumer: c.name, event: r.id, type: r.type, attempts: attempt, err: err.message },
              'an event handler kept failing; the event is set aside in event_dead',
            );
            await deps.postgres.transaction(async (tx) => {
              await tx.query(
                `INSERT INTO event_dead (consumer, event_id, error, attempts) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (consumer, event_id) DO UPDATE SET error = $3, attempts = $4, failed_at = now()`,
                [c.name, r.id, err.message, attempt],
              );
              await advance(tx, c.name, r.seq);
            });
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 5000)));
        }
      }
    }
  }

  async function poll(c: Consumer): Promise<void> {
    if (stopped || c.running) return;
    c.running = true;
    let more = false;
    try {
      if (c.paused()) return;
      const { rows } = await deps.postgres.query<Row>(
        `SELECT l.seq, l.id, l.type, l.subject, l.occurred_at, l.data FROM event_log l
          WHERE l.seq > coalesce((SELECT seq FROM event_cursor WHERE consumer = $1), 0) AND l.type = ANY($2)
          ORDER BY l.seq LIMIT $3`,
        [c.name, c.types, config.batch],
      );
      if (rows.length) {
        try {
          await runBatch(c, rows);
        } catch (err) {
          if (!(err instanceof HandlerFailed)) throw err;
          await isolate(c, rows);
        }
        more = rows.length === config.batch;
      }
    } catch (err) {
      warn('warn', { consumer: c.name, err: (err as Error).message }, 'reading events failed; retried');
    } finally {
      c.running = false;
      if (!stopped) c.timer = setTimeout(() => void poll(c), more ? 0 : config.poll_interval);
    }
  }

  return {
    name: 'events',
    async start() {
      stopped = false;
      for (const pattern of deps.bus ? FROM_BUS : []) {
        subscriptions.push(
          deps.bus!.subscribe<Record<string, unknown>>(pattern, (data, { subject }) => {
            if (isEventType(subject))
              this.emit(subject, String(data.username ?? data.device ?? data.customer_id ?? ''), data);
          }),
        );
      }
      flushTimer = setInterval(() => void flush(), config.flush_interval);
      pruneTimer = setInterval(
        () =>
          void deps.postgres
            .query('DELETE FROM event_log WHERE occurred_at < now() - make_interval(secs => $1)', [
              config.retention / 1000,
            ])
            .catch((err) => warn('warn', { err: (err as Error).message }, 'pruning events failed')),
        3_600_000,
      );
      pruneTimer.unref();
      for (const c of consumers) void poll(c);
    },
    async stop() {
      stopped = true;
      for (const s of subscriptions.splice(0)) s.unsubscribe();
      clearInterval(flushTimer);
      clearInterval(pruneTimer);
      for (const c of consumers) clearTimeout(c.timer);
      await flush();
      // A batch being handled finishes (or rolls back) before the store closes.
      while (consumers.some((c) => c.running)) await new Promise((resolve) => setTimeout(resolve, 10));
    },
    counters: () => ({ ...counters, pending: pending.length, consumers: consumers.length }),
    describe: () => `events: ${consumers.length} consumer(s) of ${wanted.size} type(s)`,

    wants: (type) => wanted.has(type),
    emit(type, subject, data, occurredAt = Date.now()) {
      if (!wanted.has(type)) return;
      counters.emitted++;
      pending.push([randomUUID(), type, subject, occurredAt, JSON.stringify(data)]);
    },
    consume(name, types, handler, opts = {}) {
      for (const t of types) {
        if (!isEventType(t)) throw new Error(`events: no event ${t} (daemon/events/catalogue.ts lists them)`);
        wanted.add(t);
      }
      const c: Consumer = {
        name,
        types,
        handler,
        batch: opts.batch ?? false,
        timeout: opts.timeout ?? 30_000,
        attempts: opts.attempts ?? 5,
        paused: opts.paused ?? (() => false),
        running: false,
      };
      consumers.push(c);
      if (!stopped) void poll(c);
    },
    flush,
  };
}
