/**
 * `POST /v1/telemetry`: an NDJSON batch (collectors/parse/ndjson.ts) with `Authorization: Bearer <collector token>`,
 * admitted before its body is read (token, batch id, declared size, the sink's headroom, the parse queue), parsed in
 * the worker pool and stored whole or not at all.
 *
 * Memory is charged as bytes arrive, not as declared: what is held (received, or being parsed) is bounded in total by
 * `ingest.max_inflight_mb` and per collector token by `max_inflight_per_collector_mb`, so that one collector's pushes
 * cannot starve the others. A body must arrive within `body_timeout` and, from 5 s into it, at `min_body_rate`: a
 * sender that trickles is answered 408 and disconnected rather than holding its share.
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { IngestConfig } from '../../config/schema.ts';
import type { PushParser, TelemetrySink } from '../../contracts/telemetry/index.ts';
import { isWispdError } from '../lib/errors.ts';
import type { sampledLog } from '../lib/sampled-log.ts';
import { bearer, type CollectorIdentity, type CollectorTokens } from './tokens.ts';

export interface PushCounters {
  requests: number;
  rows: number;
  bytes: number;
  unauthorized: number;
  invalid: number;
  too_large: number;
  backpressure: number;
  busy: number;
  aborted: number;
  failed: number;
  slow_bodies: number;
}

export interface PushDeps {
  sink: TelemetrySink;
  pool: PushParser;
  tokens: CollectorTokens;
  warn: ReturnType<typeof sampledLog>;
  counters: PushCounters;
}

const BATCH_ID = /^[A-Za-z0-9._:-]{1,128}$/;

type Status =
  | '200 OK'
  | '400 Bad Request'
  | '401 Unauthorized'
  | '408 Request Timeout'
  | '413 Payload Too Large'
  | '429 Too Many Requests';

/** How long a body may arrive slower than `min_body_rate` (a TCP slow start, a busy tower link). */
const RATE_GRACE_MS = 5000;

interface Upload {
  res: HttpResponse;
  state: { aborted: boolean };
  collector: string;
  started: number;
  received: number;
  release(): void;
}

/** The route's handler, and the bytes it holds now (admitted, received or being parsed). */
export function pushRoute(config: IngestConfig, deps: PushDeps) {
  const counters = deps.counters;
  const warn = deps.warn;
  const maxBody = config.max_body_mb * 1024 * 1024;
  const maxInflight = config.max_inflight_mb * 1024 * 1024;
  const maxPerCollector = Math.min(maxInflight, config.max_inflight_per_collector_mb * 1024 * 1024);
  const minRate = config.min_body_rate * 1024;
  const retryAfter = String(Math.ceil(config.retry_after / 1000));
  let inflight = 0;
  /** Bytes held per collector token. */
  const held = new Map<string, number>();
  const uploads = new Set<Upload>();

  const charge = (collector: string, bytes: number) => {
    inflight += bytes;
    const n = (held.get(collector) ?? 0) + bytes;
    if (n === 0) held.delete(collector);
    else held.set(collector, n);
  };

  /** `close`: the body is not read to its end, so the connection cannot be reused. */
  function reply(
    res: HttpResponse,
    state: { aborted: boolean },
    status: Status | string,
    body: object,
    close = false,
  ): void {
    if (state.aborted) return;
    state.aborted = true;
    res.cork(() => {
      res.writeStatus(status).writeHeader('Content-Type', 'application/json');
      if (status.startsWith('429') || status.startsWith('503')) res.writeHeader('Retry-After', retryAfter);
      res.end(JSON.stringify(body), close);
    });
  }

  /** 503: the bodies held are at their bound (`close`: this one was being received). */
  function busy(res: HttpResponse, state: { aborted: boolean }, close: boolean): void {
    counters.busy++;
    reply(
      res,
      state,
      '503 Service Unavailable',
      { error: 'WISPD_TELEMETRY_BACKPRESSURE', message: 'too many batches are being received or parsed; retry later' },
      close,
    );
  }

  let sweeper: NodeJS.Timeout | undefined;
  const sweep = () => {
    const now = Date.now();
    for (const u of uploads) {
      const elapsed = now - u.started;
      const slow = elapsed > RATE_GRACE_MS && minRate > 0 && (u.received * 1000) / elapsed < minRate;
      if (elapsed <= config.body_timeout && !slow) continue;
      counters.slow_bodies++;
      warn(
        'warn',
        { collector: u.collector, received: u.received, ms: elapsed },
        'a telemetry body arrived too slowly',
      );
      uploads.delete(u);
      reply(
        u.res,
        u.state,
        '408 Request Timeout',
        {
          error: 'WISPD_TELEMETRY_SLOW',
          message: slow
            ? `the body arrived slower than ingest.min_body_rate (${config.min_body_rate} KB/s)`
            : 'the body did not arrive within ingest.body_timeout',
        },
        true,
      );
      u.release();
    }
  };

  async function store(
    collector: CollectorIdentity,
    body: Buffer,
    batchId: string,
    res: HttpResponse,
    state: { aborted: boolean },
  ) {
    try {
      const out = await deps.pool.parsePush(body, collector.site, Date.now());
      if (!out.ok) {
        counters.invalid++;
        reply(res, state, '400 Bad Request', {
          error: 'WISPD_TELEMETRY_INVALID',
          message: `${out.error}; nothing of this batch was stored`,
          ...(out.line !== undefined ? { line: out.line } : {}),
        });
        return;
      }
      if (out.rows > 0) {
        // Retries of one batch by one collector share a token; another collector's ids never collide with it.
        const id = batchId ? `push:${collector.name}:${batchId}` : undefined;
        await deps.sink.write({
          body: Buffer.from(out.body.buffer, out.body.byteOffset, out.body.byteLength),
          rows: out.rows,
          id,
        });
      }
      counters.rows += out.rows;
      reply(res, state, '200 OK', { rows: out.rows });
    } catch (err) {
      if (isWispdError(err, 'WISPD_TELEMETRY_BACKPRESSURE')) {
        counters.backpressure++;
        reply(res, state, '429 Too Many Requests', { error: err.code, message: err.message });
      } else {
        counters.failed++;
        warn('warn', { err: (err as Error).message }, 'a telemetry push could not be stored');
        reply(res, state, '503 Service Unavailable', {
          error: isWispdError(err) ? err.code : 'WISPD_TELEMETRY_UNAVAILABLE',
          message: (err as Error).message,
        });
      }
    }
  }

  function post(res: HttpResponse, req: HttpRequest): void {
    counters.requests++;
    const state = { aborted: false };
    let release: (() => void) | undefined;
    res.onAborted(() => {
      if (!state.aborted) counters.aborted++;
      state.aborted = true;
      release?.();
    });
    const collector = deps.tokens.lookup(bearer(req));
    if (!collector) {
      counters.unauthorized++;
      reply(res, state, '401 Unauthorized', {
        error: 'WISPD_INGEST_UNAUTHORIZED',
        message: 'a collector token is required: Authorization: Bearer <token> (wispd collector add)',
      });
      return;
    }
    const batchId = req.getHeader('x-batch-id');
    if (batchId && !BATCH_ID.test(batchId)) {
      counters.invalid++;
      reply(res, state, '400 Bad Request', {
        error: 'WISPD_TELEMETRY_INVALID',
        message: 'X-Batch-Id must be 1 to 128 letters, digits, ".", "_", ":" or "-"',
      });
      return;
    }
    const declared = Number(req.getHeader('content-length') || Number.NaN);
    if (declared > maxBody) {
      counters.too_large++;
      reply(res, state, '413 Payload Too Large', {
        error: 'WISPD_TELEMETRY_INVALID',
        message: `the body is larger than ingest.max_body_mb (${config.max_body_mb} MB); send smaller batches`,
      });
      return;
    }
    if (deps.sink.headroom() <= 0) {
      counters.backpressure++;
      reply(res, state, '429 Too Many Requests', {
        error: 'WISPD_TELEMETRY_BACKPRESSURE',
        message: 'the telemetry backlog is full; retry later',
      });
      return;
    }
    const name = collector.name;
    if (
      inflight >= maxInflight ||
      (held.get(name) ?? 0) >= maxPerCollector ||
      deps.pool.pending >= deps.pool.threads + config.parse_queue
    ) {
      busy(res, state, false);
      return;
    }
    const upload: Upload = {
      res,
      state,
      collector: name,
      started: Date.now(),
      received: 0,
      release: () => {
        charge(name, -upload.received);
        upload.received = 0;
        uploads.delete(upload);
        release = undefined;
      },
    };
    uploads.add(upload);
    release = upload.release;
    if (!sweeper) {
      sweeper = setInterval(sweep, 1000);
      sweeper.unref();
    }
    const limit = Number.isFinite(declared) ? declared : maxBody;
    // Grown as bytes arrive: a large Content-Length is a promise, not memory to set aside.
    let body = Buffer.allocUnsafe(Math.min(limit, 64 * 1024));
    let length = 0;
    res.onData((chunk, last) => {
      if (state.aborted) return;
      const bytes = new Uint8Array(chunk);
      if (length + bytes.byteLength > limit) {
        // Beyond its Content-Length (which is what was admitted), or beyond the limit without one.
        counters.too_large++;
        upload.release();
        reply(
          res,
          state,
          '413 Payload Too Large',
          {
            error: 'WISPD_TELEMETRY_INVALID',
            message: `the body is larger than its Content-Length or ingest.max_body_mb (${config.max_body_mb} MB)`,
          },
          true,
        );
        return;
      }
      charge(name, bytes.byteLength);
      upload.received += bytes.byteLength;
      if (inflight > maxInflight || (held.get(name) ?? 0) > maxPerCollector) {
        upload.release();
        busy(res, state, true);
        return;
      }
      if (length + bytes.byteLength > body.length) {
        const grown = Buffer.allocUnsafe(Math.min(limit, Math.max(body.length * 2, length + bytes.byteLength)));
        body.copy(grown, 0, 0, length);
        body = grown;
      }
      // The chunk is only valid during this callback.
      body.set(bytes, length);
      length += bytes.byteLength;
      if (!last) return;
      counters.bytes += length;
      // From here the parse owns the body: its bytes stay counted until it is stored or refused.
      uploads.delete(upload);
      release = undefined;
      store(collector, body.subarray(0, length), batchId, res, state).finally(() => upload.release());
    });
  }

  return {
    handle: post,
    inflightBytes: () => inflight,
    close: () => {
      clearInterval(sweeper);
      sweeper = undefined;
    },
  };
}
