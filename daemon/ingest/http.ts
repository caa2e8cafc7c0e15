/**
 * The telemetry push endpoint (uWebSockets.js):
 *
 * - `POST /v1/telemetry`: an NDJSON batch (collectors/parse/ndjson.ts) with `Authorization: Bearer <collector token>`.
 *   The body is parsed in the worker pool and the batch is stored whole or not at all: 200 once the rows are in
 *   ClickHouse (or in the spool), 400 naming the first bad line, 401 for a missing or unknown token, 413 over
 *   `ingest.max_body_mb`, 429 when the telemetry backlog is full and 503 when the parsers or the memory budget for
 *   bodies are, both with Retry-After. An `X-Batch-Id` header makes a retried batch count once.
 * - `GET /v1/live` (WebSocket, token as Bearer header or `?token=`): device up/down as they happen, and the pipeline's
 *   counters every few seconds, for dashboards.
 *
 * Memory is bounded by what is admitted, not by what is sent: a body is refused before it is read when the bytes being
 * received and parsed would exceed `ingest.max_inflight_mb`.
 */
import {
  App,
  type HttpRequest,
  type HttpResponse,
  type TemplatedApp,
  type us_listen_socket,
  us_listen_socket_close,
  us_socket_local_port,
} from 'uWebSockets.js';
import type { IngestConfig } from '../../config/schema.ts';
import type { PushParser, TelemetrySink } from '../../contracts/telemetry/index.ts';
import type { Component } from '../lib/component.ts';
import { isWispdError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { sampledLog } from '../lib/sampled-log.ts';
import type { Bus, Subscription } from '../store/bus/index.ts';
import type { CollectorIdentity, CollectorTokens } from './tokens.ts';

export interface IngestServer extends Component {
  /** The port listened on (useful with port 0); 0 when off or stopped. */
  readonly port: number;
}

export interface IngestServerDeps {
  log: Logger;
  sink: TelemetrySink;
  /** Parses pushed NDJSON off the event loop (the collectors' parse pool). */
  pool: PushParser;
  tokens: CollectorTokens;
  bus: Bus;
  /** The counters streamed on /v1/live, by component. */
  counters: () => Record<string, Readonly<Record<string, number>>>;
}

const LIVE_TOPIC = 'live';
const LIVE_COUNTERS_MS = 2000;
const BATCH_ID = /^[A-Za-z0-9._:-]{1,128}$/;

type Status = '200 OK' | '400 Bad Request' | '401 Unauthorized' | '413 Payload Too Large' | '429 Too Many Requests';

function bearer(req: HttpRequest): string {
  const auth = req.getHeader('authorization');
  return auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
}

export function createIngestServer(config: IngestConfig, deps: IngestServerDeps): IngestServer {
  const log = deps.log.child({ component: 'ingest' });
  const warn = sampledLog(log);
  const maxBody = config.max_body_mb * 1024 * 1024;
  const maxInflight = config.max_inflight_mb * 1024 * 1024;
  const retryAfter = String(Math.ceil(config.retry_after / 1000));
  const counters = {
    requests: 0,
    rows: 0,
    bytes: 0,
    unauthorized: 0,
    invalid: 0,
    too_large: 0,
    backpressure: 0,
    busy: 0,
    aborted: 0,
    failed: 0,
    live_clients: 0,
  };
  let inflight = 0;
  let app: TemplatedApp | undefined;
  let listenSocket: us_listen_socket | undefined;
  let port = 0;
  let liveTimer: NodeJS.Timeout | undefined;
  const subscriptions: Subscription[] = [];

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

  function startLive(a: TemplatedApp): void {
    a.ws<{ collector: string }>('/v1/live', {
      idleTimeout: 120,
      maxBackpressure: 1024 * 1024,
      // A dashboard that cannot keep up is dropped rather than buffered without bound.
      closeOnBackpressureLimit: true,
      upgrade(res, req, context) {
        const query = new URLSearchParams(req.getQuery() ?? '');
        const collector = deps.tokens.lookup(bearer(req) || query.get('token') || '');
        if (!collector) {
          counters.unauthorized++;
          res.writeStatus('401 Unauthorized').end('a collector token is required (Bearer header or ?token=)');
          return;
        }
        res.upgrade(
          { collector: collector.name },
          req.getHeader('sec-websocket-key'),
          req.getHeader('sec-websocket-protocol'),
          req.getHeader('sec-websocket-extensions'),
          context,
        );
      },
      open(ws) {
        counters.live_clients++;
        ws.subscribe(LIVE_TOPIC);
        ws.send(JSON.stringify({ type: 'counters', at: Date.now(), counters: deps.counters() }));
      },
      close() {
        counters.live_clients--;
      },
    });
    const publish = (message: object) => {
      if (a.numSubscribers(LIVE_TOPIC) > 0) a.publish(LIVE_TOPIC, JSON.stringify(message));
    };
    for (const event of ['up', 'down'] as const) {
      subscriptions.push(
        deps.bus.subscribe(`device.${event}`, (data) => publish({ type: `device.${event}`, ...(data as object) })),
      );
    }
    liveTimer = setInterval(
      () => publish({ type: 'counters', at: Date.now(), counters: deps.counters() }),
      LIVE_COUNTERS_MS,
    );
    liveTimer.unref();
  }

  return {
    name: 'ingest',
    get port() {
      return port;
    },
    counters: () => ({ ...counters, inflight_bytes: inflight }),
    describe: () => (port ? `telemetry push on ${config.listen.replace(/:\d+$/, '')}:${port}` : 'telemetry push off'),

    async start() {
      if (!config.listen) return;
      const at = config.listen.lastIndexOf(':');
      const host = config.listen.slice(0, at).replace(/^\[|\]$/g, '');
      const wanted = Number(config.listen.slice(at + 1));
      const a = App();
      a.post('/v1/telemetry', post);
      startLive(a);
      a.any('/*', (res) => {
        res.writeStatus('404 Not Found').writeHeader('Content-Type', 'application/json');
        res.end(
          JSON.stringify({ error: 'WISPD_NOT_FOUND', message: 'POST /v1/telemetry or GET /v1/live (WebSocket)' }),
        );
      });
      await new Promise<void>((resolve, reject) => {
        a.listen(host, wanted, (token) => {
          if (!token) {
            reject(new Error(`cannot listen on ${config.listen} (ingest.listen): the address is in use or not local`));
            return;
          }
          listenSocket = token;
          port = us_socket_local_port(token);
          resolve();
        });
      });
      app = a;
      log.info({ listen: `${host}:${port}` }, 'telemetry push endpoint listening');
    },

    async stop() {
      clearInterval(liveTimer);
      for (const s of subscriptions.splice(0)) s.unsubscribe();
      if (listenSocket) us_listen_socket_close(listenSocket);
      listenSocket = undefined;
      // Closes open connections (live dashboards, idle keep-alives) too, or the process would not exit.
      app?.close();
      app = undefined;
      port = 0;
    },
  };
}
