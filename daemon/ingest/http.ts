/**
 * The telemetry push endpoint (uWebSockets.js) on `ingest.listen`:
 *
 * - `POST /v1/telemetry` (push.ts): an NDJSON batch with a collector token, parsed in the worker pool and stored whole
 *   or not at all: 200 once the rows are in ClickHouse (or in the spool), 400 naming the first bad line, 401 for a
 *   missing or unknown token, 413 over `ingest.max_body_mb`, 429 when the telemetry backlog is full and 503 when the
 *   parsers or the memory budget for bodies are, both with Retry-After. An `X-Batch-Id` makes a retried batch count once.
 * - `GET /v1/live` (live.ts): a WebSocket of device up/down and the pipeline's counters, for dashboards.
 *
 * Memory is bounded by what is held, charged as it arrives (in total and per collector token), and a body that
 * trickles is cut off (push.ts).
 */
import {
  App,
  type TemplatedApp,
  type us_listen_socket,
  us_listen_socket_close,
  us_socket_local_port,
} from 'uWebSockets.js';
import { parseListen } from '../../config/define.ts';
import type { IngestConfig } from '../../config/schema.ts';
import type { PushParser, TelemetrySink } from '../../contracts/telemetry/index.ts';
import type { Component } from '../lib/component.ts';
import type { Logger } from '../lib/log.ts';
import { sampledLog } from '../lib/sampled-log.ts';
import type { Bus } from '../store/bus/index.ts';
import { liveRoute } from './live.ts';
import { pushRoute } from './push.ts';
import type { CollectorTokens } from './tokens.ts';

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

export function createIngestServer(config: IngestConfig, deps: IngestServerDeps): IngestServer {
  const log = deps.log.child({ component: 'ingest' });
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
    slow_bodies: 0,
    live_clients: 0,
  };
  const push = pushRoute(config, { ...deps, warn: sampledLog(log), counters });
  let app: TemplatedApp | undefined;
  let listenSocket: us_listen_socket | undefined;
  let port = 0;
  let stopLive: (() => void) | undefined;

  return {
    name: 'ingest',
    get port() {
      return port;
    },
    counters: () => ({ ...counters, inflight_bytes: push.inflightBytes() }),
    describe: () => (port ? `telemetry push on ${config.listen.replace(/:\d+$/, '')}:${port}` : 'telemetry push off'),

    async start() {
      if (!config.listen) return;
      // Checked by the schema (config/define.ts `listen`).
      const { host, port: wanted } = parseListen(config.listen)!;
      const a = App();
      a.post('/v1/telemetry', push.handle);
      stopLive = liveRoute(a, { ...deps, stats: counters });
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
      push.close();
      stopLive?.();
      if (listenSocket) us_listen_socket_close(listenSocket);
      listenSocket = undefined;
      // Closes open connections (live dashboards, idle keep-alives) too, or the process would not exit.
      app?.close();
      app = undefined;
      port = 0;
    },
  };
}
