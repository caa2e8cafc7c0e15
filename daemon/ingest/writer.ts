/**
 * The telemetry writer: every collector's rows into ClickHouse `telemetry_raw` (the rollups follow by materialized
 * views). Batches are merged up to `batch_rows` or for at most `batch_interval`, and inserted with a deduplication
 * token: a merged insert gets a token of its own (so an in-process retry cannot store it twice), a batch that came
 * with an id (a remote poller's, a pusher's) is inserted alone under that id (so a redelivery is not stored again).
 *
 * A write resolves once its rows are in ClickHouse or, when ClickHouse refused them, in the spool (telemetry-spool.ts),
 * replayed oldest first with their tokens when it answers again. Memory is bounded by `max_pending_rows`: past it,
 * writes are refused with WISPD_TELEMETRY_BACKPRESSURE and the producer decides (HTTP 429, NATS redelivery, a poller
 * counting drops).
 */
import { randomUUID } from 'node:crypto';
import type { TelemetryConfig } from '../../config/schema.ts';
import { type RowBatch, TELEMETRY_COLUMNS, type TelemetrySink } from '../../contracts/telemetry/index.ts';
import type { Component } from '../lib/component.ts';
import { WispdError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { sampledLog } from '../lib/sampled-log.ts';
import type { ClickhouseStore } from '../store/clickhouse/index.ts';
import type { DataDir } from '../store/datadir.ts';
import { TelemetrySpool } from './telemetry-spool.ts';

export interface TelemetryWriter extends Component, TelemetrySink {
  /** Sends what waits now; resolves when it is stored (tests, benches, shutdown). */
  flush(): Promise<void>;
  /** Resolves when the spool is empty (or `timeoutMs` passed: false). */
  drainSpool(timeoutMs?: number): Promise<boolean>;
}

export interface TelemetryWriterDeps {
  log: Logger;
  clickhouse: ClickhouseStore;
  dataDir: DataDir;
}

interface Pending {
  batch: RowBatch;
  at: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

const MAX_IN_FLIGHT = 2;

export function createTelemetryWriter(config: TelemetryConfig, deps: TelemetryWriterDeps): TelemetryWriter {
  const log = deps.log.child({ component: 'telemetry' });
  // Tokens of merged inserts never repeat across writers and restarts (ClickHouse remembers the last few thousand).
  const boot = randomUUID();
  const warn = sampledLog(log);
  const counters = {
    rows: 0,
    inserts: 0,
    batches_in: 0,
    insert_failures: 0,
    refused_rows: 0,
    dropped_rows: 0,
  };
  let queue: Pending[] = [];
  let pendingRows = 0;
  let inFlight = 0;
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  /** Writes are taken (start to stop) / the machinery runs (start until the end of stop). */
  let accepting = false;
  let running = false;
  const idle: Array<() => void> = [];

  let spool: TelemetrySpool | undefined;
  /** While ClickHouse refuses inserts, new groups go straight to the spool and its replay probes with backoff. */
  let outage = false;

  async function insert(body: Buffer, token: string, rows: number): Promise<void> {
    await deps.clickhouse.insertTsv(
      'telemetry_raw',
      TELEMETRY_COLUMNS,
      body,
      {
        insert_deduplication_token: token,
        deduplicate_blocks_in_dependent_materialized_views: 1,
        // The rollup views group by their tables' whole sorting key, so an inserted rollup block never holds two rows
        // to merge; looking for them anyway cost about a tenth of an insert's CPU (bench/ingest.bench.ts).
        optimize_on_insert: 0,
      },
      rows,
    );
    counters.inserts++;
    counters.rows += rows;
  }

  function kick(): void {
    while (running && inFlight < MAX_IN_FLIGHT && queue.length > 0) {
      const group = takeGroup();
      inFlight++;
      void send(group).finally(() => {
        inFlight--;
        if (queue.length > 0 && (pendingRows >= config.batch_rows || idle.length > 0)) kick();
        if (inFlight === 0 && queue.length === 0) for (const fn of idle.splice(0)) fn();
      });
    }
  }

  /** The next insert: a batch with an id alone, else batches without one, up to batch_rows. */
  function takeGroup(): Pending[] {
    const first = queue[0]!;
    let n = 1;
    let rows = first.batch.rows;
    if (first.batch.id === undefined) {
      while (n < queue.length && queue[n]!.batch.id === undefined && rows + queue[n]!.batch.rows <= config.batch_rows) {
        rows += queue[n]!.batch.rows;
        n++;
      }
    }
    const group = queue.slice(0, n);
    queue = queue.slice(n);
    pendingRows -= rows;
    return group;
  }

  /** Into ClickHouse, or (in an outage, or when it refuses) the spool; the group's writes settle either way. */
  async function send(group: Pending[]): Promise<void> {
    const token = group[0]!.batch.id ?? `wispd:${boot}:${++seq}`;
    const body = group.length === 1 ? group[0]!.batch.body : Buffer.concat(group.map((p) => p.batch.body));
    const rows = group.reduce((n, p) => n + p.batch.rows, 0);
    if (!outage) {
      try {
        await insert(body, token, rows);
        for (const p of group) p.resolve();
        return;
      } catch (err) {
        counters.insert_failures++;
        warn(
          'warn',
          { err: (err as Error).message, rows, spool: config.spool_mb > 0 },
          'ClickHouse refused telemetry; spooling to disk',
        );
        outage = true;
        spool!.startReplay(true);
      }
    }
    try {
      await spool!.add({ token, rows, at: group[0]!.at, body });
      for (const p of group) p.resolve();
      // The replay may have found the spool empty while this batch was on its way to disk.
      if (!outage) spool!.startReplay(false);
    } catch (err) {
      counters.dropped_rows += rows;
      const e = new WispdError(
        'WISPD_TELEMETRY_UNAVAILABLE',
        `telemetry cannot be stored now: ${(err as Error).message}`,
        { rows },
      );
      for (const p of group) p.reject(e);
    }
  }

  return {
    name: 'telemetry',

    async start() {
      const s = new TelemetrySpool(deps.dataDir.sub('spool/telemetry', true), config.spool_mb, {
        log,
        insert: (b) => insert(b.body, b.token, b.rows),
        onDrained: () => {
          if (outage)
            log.info({ replayed_rows: s.counters.replayed_rows }, 'ClickHouse takes telemetry again; spool empty');
          outage = false;
        },
      });
      spool = s;
      await s.open();
      running = true;
      accepting = true;
      timer = setInterval(kick, config.batch_interval);
      timer.unref();
      if (spool.backlog > 0) {
        outage = true;
        spool!.startReplay(true);
      }
    },

    async stop() {
      accepting = false;
      clearInterval(timer);
      // What waits is stored (in ClickHouse or the spool) before the process goes.
      await this.flush();
      running = false;
      await spool?.close();
    },

    write(batch) {
      if (!accepting)
        return Promise.reject(new WispdError('WISPD_TELEMETRY_UNAVAILABLE', 'the telemetry writer is stopped'));
      counters.batches_in++;
      if (pendingRows + batch.rows > config.max_pending_rows) {
        counters.refused_rows += batch.rows;
        return Promise.reject(
          new WispdError(
            'WISPD_TELEMETRY_BACKPRESSURE',
            `telemetry backlog full (${pendingRows} rows waiting for ClickHouse; telemetry.max_pending_rows = ${config.max_pending_rows})`,
            { pending: pendingRows },
          ),
        );
      }
      return new Promise<void>((resolve, reject) => {
        queue.push({ batch, at: Date.now(), resolve, reject });
        pendingRows += batch.rows;
        if (pendingRows >= config.batch_rows || batch.id !== undefined) kick();
      });
    },

    headroom: () => Math.max(0, 1 - pendingRows / config.max_pending_rows),

    flush() {
      if (queue.length === 0 && inFlight === 0) return Promise.resolve();
      const done = new Promise<void>((resolve) => idle.push(resolve));
      kick();
      return done;
    },

    async drainSpool(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (spool!.backlog > 0 && Date.now() < deadline) {
        if (spool!.replaying) spool!.wakeReplay();
        else spool!.startReplay(false);
        await new Promise((r) => setTimeout(r, 20));
      }
      return spool!.backlog === 0;
    },

    counters: () => ({
      ...counters,
      ...(spool?.counters ?? { spooled_rows: 0, replayed_rows: 0 }),
      pending_rows: pendingRows,
      in_flight: inFlight,
      spool_batches: spool?.backlog ?? 0,
      spool_segments: spool?.segments ?? 0,
      spool_bytes: spool?.bytes ?? 0,
      lag_ms: Math.max(
        0,
        Date.now() - Math.min(queue[0]?.at ?? Number.POSITIVE_INFINITY, spool?.oldestAt ?? Number.POSITIVE_INFINITY),
      ),
      outage: outage ? 1 : 0,
    }),

    describe: () =>
      `telemetry_raw, ${config.batch_rows} rows or ${config.batch_interval} ms per insert` +
      (spool?.backlog ? `, ${spool.backlog} spooled batches to replay` : ''),
  };
}
