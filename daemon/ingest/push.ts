/**
 * `POST /v1/telemetry`: an NDJSON batch (collectors/parse/ndjson.ts) with `Authorization: Bearer <collector token>`,
 * admitted before its body is read (token, batch id, size, the sink's headroom, the bytes being received and parsed
 * against `ingest.max_inflight_mb`), parsed in the worker pool and stored whole or not at all.
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
}

export interface PushDeps {
  sink: TelemetrySink;
  pool: PushParser;
  tokens: CollectorTokens;
  warn: ReturnType<typeof sampledLog>;
  counters: PushCounters;
}

const BATCH_ID = /^[A-Za-z0-9._:-]{1,128}$/;

type Status = '200 OK' | '400 Bad Request' | '401 Unauthorized' | '413 Payload Too Large' | '429 Too Many Requests';

/** The route's handler, and the bytes it holds now (admitted, received or being parsed). */
export function pushRoute(config: IngestConfig, deps: PushDeps) {
  const counters = deps.counters;
  const warn = deps.warn;
  const maxBody = config.max_body_mb * 1024 * 1024;
  const maxInflight = config.max_inflight_mb * 1024 * 1024;
  const retryAfter = String(Math.ceil(config.retry_after / 1000));
  let inflight = 0;

  function reply(res: HttpResponse, state: { aborted: boolean }, status: Status | string, body: object): void {
    if (state.aborted) return;
    state.aborted = true;
    res.cork(() => {
      res.writeStatus(status).writeHeader('Content-Type', 'application/json');
      if (status.startsWith('429') || status.startsWith('503')) res.writeHeader('Retry-After', retryAfter);
      res.end(JSON.stringify(body));
    });
  }

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
    // Without a Content-Length (chunked), the budget is charged for the largest body allowed.
    const reserved = Number.isFinite(declared) ? declared : maxBody;
    if (inflight + reserved > maxInflight || deps.pool.pending >= deps.pool.threads + config.parse_queue) {
      counters.busy++;
      reply(res, state, '503 Service Unavailable', {
        error: 'WISPD_TELEMETRY_BACKPRESSURE',
        message: 'too many batches are being received or parsed; retry later',
      });
      return;
    }
    inflight += reserved;
    release = () => {
      inflight -= reserved;
      release = undefined;
    };
    let body = Buffer.allocUnsafe(Number.isFinite(declared) ? declared : 64 * 1024);
    let length = 0;
    res.onData((chunk, last) => {
      if (state.aborted) return;
      const bytes = new Uint8Array(chunk);
      if (length + bytes.byteLength > body.length) {
        // Beyond its Content-Length (which is what was admitted), or beyond the limit without one.
        if (Number.isFinite(declared) || length + bytes.byteLength > maxBody) {
          counters.too_large++;
          release?.();
          reply(res, state, '413 Payload Too Large', {
            error: 'WISPD_TELEMETRY_INVALID',
            message: `the body is larger than its Content-Length or ingest.max_body_mb (${config.max_body_mb} MB)`,
          });
          return;
        }
        const grown = Buffer.allocUnsafe(Math.min(maxBody, Math.max(body.length * 2, length + bytes.byteLength)));
        body.copy(grown, 0, 0, length);
        body = grown;
      }
      // The chunk is only valid during this callback.
      body.set(bytes, length);
      length += bytes.byteLength;
      if (!last) return;
      counters.bytes += length;
      const done = release;
      // From here the parse owns the body: its bytes stay counted until it is stored or refused.
      release = undefined;
      store(collector, body.subarray(0, length), batchId, res, state).finally(() => done?.());
    });
  }

  return { handle: post, inflightBytes: () => inflight };
}
