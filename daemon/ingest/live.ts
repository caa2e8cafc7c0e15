/**
 * `GET /v1/live` (WebSocket, collector token as Bearer header or `?token=`): device up/down as they happen, and the
 * pipeline's counters every few seconds, for dashboards. A dashboard that cannot keep up is dropped.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import type { Bus, Subscription } from '../store/bus/index.ts';
import { bearer, type CollectorTokens } from './tokens.ts';

export interface LiveDeps {
  tokens: CollectorTokens;
  bus: Bus;
  /** The counters streamed, by component. */
  counters: () => Record<string, Readonly<Record<string, number>>>;
  stats: { unauthorized: number; live_clients: number };
}

const LIVE_TOPIC = 'live';
const LIVE_COUNTERS_MS = 2000;

/** Adds the route to `a`; returns what stops its subscriptions and timer. */
export function liveRoute(a: TemplatedApp, deps: LiveDeps): () => void {
  const counters = deps.stats;
  const subscriptions: Subscription[] = [];
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
  const liveTimer = setInterval(
    () => publish({ type: 'counters', at: Date.now(), counters: deps.counters() }),
    LIVE_COUNTERS_MS,
  );
  liveTimer.unref();
  return () => {
    clearInterval(liveTimer);
    for (const s of subscriptions.splice(0)) s.unsubscribe();
  };
}
