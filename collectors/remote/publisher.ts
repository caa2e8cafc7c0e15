/**
 * What a remote poller (`wispd collect --site`) delivers to: rows, status changes and poll outcomes go to the site's
 * JetStream subjects, in the order they came, each message published until JetStream acknowledges it (the same
 * Nats-Msg-Id on every attempt, so a retry after a lost acknowledgement is not stored twice). Rows are gathered into
 * messages of up to the server's payload limit or one second; memory is bounded by `maxPendingRows`.
 */
import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import {
  type DeviceReports,
  type PollResult,
  type RemoteKind,
  ROWS_HEADER,
  type RowBatch,
  remoteSubject,
  type StatusChange,
  type TelemetrySink,
} from '../../contracts/telemetry/index.ts';
import { Backoff } from '../../daemon/lib/backoff.ts';
import type { Component } from '../../daemon/lib/component.ts';
import { WispdError } from '../../daemon/lib/errors.ts';
import type { Logger } from '../../daemon/lib/log.ts';
import { sampledLog } from '../../daemon/lib/sampled-log.ts';

export interface RemotePublisher extends Component, TelemetrySink, DeviceReports {
  /** Resolves when everything accepted so far has been acknowledged by JetStream (or `timeoutMs` passed: false). */
  flush(timeoutMs?: number): Promise<boolean>;
}

export interface RemotePublisherOptions {
  prefix: string;
  site: string;
  /** Names the poller in message ids. */
  collector: string;
  maxPendingRows: number;
  intervalMs?: number;
}

interface Message {
  kind: RemoteKind;
  body: Uint8Array;
  rows: number;
  id: string;
}

const encoder = new TextEncoder();
const NEWLINE = 0x0a;

/** Splits TabSeparated rows into pieces of at most `max` bytes, at line ends. */
function* piecesOf(body: Buffer, max: number): Generator<{ body: Buffer; rows: number }> {
  let start = 0;
  while (start < body.length) {
    let end = Math.min(body.length, start + max);
    if (end < body.length) end = body.lastIndexOf(NEWLINE, end - 1) + 1;
    if (end <= start) throw new Error(`a telemetry row is longer than ${max} bytes`);
    const piece = body.subarray(start, end);
    let rows = 0;
    for (let i = piece.indexOf(NEWLINE); i >= 0; i = piece.indexOf(NEWLINE, i + 1)) rows++;
    yield { body: piece, rows };
    start = end;
  }
}

export function createRemotePublisher(
  opts: RemotePublisherOptions,
  deps: { log: Logger; nats: () => NatsConnection },
): RemotePublisher {
  const log = deps.log.child({ component: 'publisher' });
  const warn = sampledLog(log);
  const boot = randomUUID().slice(0, 8);
  const counters = { rows_published: 0, messages: 0, publish_failures: 0, refused_rows: 0 };
  const queue: Message[] = [];
  let seq = 0;
  let pendingRows = 0;
  let parts: Buffer[] = [];
  let partBytes = 0;
  let partRows = 0;
  let maxBytes = 1 << 20;
  let timer: NodeJS.Timeout | undefined;
  let sending: Promise<void> | undefined;
  let running = false;
  const idle: Array<() => void> = [];

  const nextId = () => `${opts.collector}-${boot}-${++seq}`;

  function enqueue(kind: RemoteKind, body: Uint8Array, rows: number): void {
    queue.push({ kind, body, rows, id: nextId() });
    if (!sending && running) sending = drain().finally(() => (sending = undefined));
  }

  function seal(): void {
    if (partRows === 0) return;
    enqueue('rows', parts.length === 1 ? parts[0]! : Buffer.concat(parts), partRows);
    parts = [];
    partBytes = 0;
    partRows = 0;
  }

  async function drain(): Promise<void> {
    const js = jetstream(deps.nats());
    const backoff = new Backoff(100, 10_000);
    while (running || queue.length > 0) {
      const m = queue[0];
      if (!m) break;
      const h = headers();
      if (m.kind === 'rows') h.set(ROWS_HEADER, String(m.rows));
      try {
        await js.publish(remoteSubject(opts.prefix, opts.site, m.kind), m.body, {
          msgID: m.id,
          headers: h,
          timeout: 5000,
        });
      } catch (err) {
        counters.publish_failures++;
        warn('warn', { err: (err as Error).message, queued: queue.length }, 'publishing to JetStream failed; retrying');
        if (!running) break;
        await new Promise((r) => setTimeout(r, backoff.fail()));
        continue;
      }
      backoff.succeed();
      queue.shift();
      counters.messages++;
      if (m.kind === 'rows') {
        counters.rows_published += m.rows;
        pendingRows -= m.rows;
      }
    }
    if (queue.length === 0) for (const fn of idle.splice(0)) fn();
  }

  return {
    name: 'publisher',
    counters: () => ({ ...counters, pending_rows: pendingRows, queued_messages: queue.length }),
    describe: () => `JetStream ${remoteSubject(opts.prefix, opts.site, 'rows').replace(/\.rows$/, '.*')}`,

    async start() {
      // The server's payload limit, less room for headers.
      maxBytes = Math.max(64 * 1024, (deps.nats().info?.max_payload ?? 1 << 20) - 4096);
      running = true;
      timer = setInterval(seal, opts.intervalMs ?? 1000);
      timer.unref();
    },

    async stop() {
      clearInterval(timer);
      seal();
      await this.flush(10_000);
      running = false;
      await sending;
      if (queue.length > 0)
        log.warn({ messages: queue.length, rows: pendingRows }, 'stopped with messages unpublished');
      log.info({ rows: counters.rows_published, messages: counters.messages }, 'published');
    },

    write(batch: RowBatch) {
      if (!running) return Promise.reject(new WispdError('WISPD_TELEMETRY_UNAVAILABLE', 'the publisher is stopped'));
      if (pendingRows + batch.rows > opts.maxPendingRows) {
        counters.refused_rows += batch.rows;
        return Promise.reject(
          new WispdError('WISPD_TELEMETRY_BACKPRESSURE', `${pendingRows} rows wait for NATS; not taking more`, {
            pending: pendingRows,
          }),
        );
      }
      pendingRows += batch.rows;
      for (const piece of piecesOf(batch.body, maxBytes)) {
        if (partBytes + piece.body.length > maxBytes) seal();
        parts.push(piece.body);
        partBytes += piece.body.length;
        partRows += piece.rows;
      }
      return Promise.resolve();
    },

    headroom: () => Math.max(0, 1 - pendingRows / opts.maxPendingRows),

    status(change: StatusChange) {
      // After the rows polled before it.
      seal();
      enqueue('status', encoder.encode(JSON.stringify(change)), 0);
    },

    polled(results: PollResult[]) {
      if (results.length > 0) enqueue('polled', encoder.encode(JSON.stringify(results)), 0);
    },

    flush(timeoutMs = 10_000) {
      seal();
      if (queue.length === 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), timeoutMs);
        idle.push(() => {
          clearTimeout(t);
          resolve(true);
        });
      });
    },
  };
}
