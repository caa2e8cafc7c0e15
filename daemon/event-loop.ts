/**
 * How long the event loop (the RADIUS hot path's only thread) waited behind other work: a histogram read every
 * `intervalMs` into counters, logged at debug level, and a warning when a stall exceeds `warnMs`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Component } from './lib/component.ts';
import type { Logger } from './lib/log.ts';

export function createEventLoopMonitor(log: Logger, intervalMs = 10_000, warnMs = 100): Component {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  const last = { lag_p50_ms: 0, lag_p99_ms: 0, lag_max_ms: 0 };
  let timer: NodeJS.Timeout | undefined;
  const read = () => {
    last.lag_p50_ms = histogram.percentile(50) / 1e6;
    last.lag_p99_ms = histogram.percentile(99) / 1e6;
    last.lag_max_ms = histogram.max / 1e6;
    histogram.reset();
    if (last.lag_max_ms > warnMs) log.warn({ ...last }, 'the event loop stalled');
    else log.debug({ ...last }, 'event loop');
  };
  return {
    name: 'event-loop',
    async start() {
      histogram.enable();
      timer = setInterval(read, intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      histogram.disable();
    },
    counters: () => ({ ...last }),
    describe: () => 'event loop delay monitored',
  };
}
