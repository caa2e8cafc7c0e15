/**
 * How long the event loop (the RADIUS hot path's only thread) waited behind other work: a histogram read every
 * `intervalMs` into counters, logged at debug level, and a warning when a stall exceeds `warnMs`. The boot holds the
 * loop on purpose (imports, the panel's build, before RADIUS listens): what it took is logged at debug once ready,
 * and warnings are for stalls while serving.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Component } from './lib/component.ts';
import type { Logger } from './lib/log.ts';

export function createEventLoopMonitor(log: Logger, intervalMs = 10_000, warnMs = 100): Component {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  const last = { lag_p50_ms: 0, lag_p99_ms: 0, lag_max_ms: 0 };
  let timer: NodeJS.Timeout | undefined;
  let serving = false;
  const read = () => {
    last.lag_p50_ms = histogram.percentile(50) / 1e6;
    last.lag_p99_ms = histogram.percentile(99) / 1e6;
    last.lag_max_ms = histogram.max / 1e6;
    histogram.reset();
    if (serving && last.lag_max_ms > warnMs) log.warn({ ...last }, 'the event loop stalled');
    else log.debug({ ...last, boot: !serving }, 'event loop');
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
    afterReady() {
      read();
      serving = true;
      clearInterval(timer);
      timer = setInterval(read, intervalMs);
      timer.unref();
    },
    counters: () => ({ ...last }),
    describe: () => 'event loop delay monitored',
  };
}
