/**
 * The daemon's own history in ClickHouse `daemon_events`: each start (boot time, memory, which stores are embedded)
 * and stop (uptime, every component's counters). A failure is logged, never fatal: the record is history, not state.
 */
import { hostname } from 'node:os';
import type { Logger } from './lib/log.ts';
import type { ClickhouseStore } from './store/clickhouse/index.ts';
import { version } from './version.ts';

export function daemonEvents(deps: { clickhouse: ClickhouseStore; instance: () => string; log: Logger }) {
  return async (event: 'start' | 'stop', detail: Record<string, unknown>): Promise<void> => {
    try {
      await deps.clickhouse.insert('daemon_events', [
        {
          ts: Date.now(),
          instance: deps.instance(),
          host: hostname(),
          pid: process.pid,
          version,
          event,
          detail: JSON.stringify(detail),
        },
      ]);
    } catch (err) {
      deps.log.warn({ err: (err as Error).message, event }, 'could not record the daemon event in ClickHouse');
    }
  };
}

/**
 * What the `ready` line and the start event say of a boot: its time, the memory it left in use, and which stores are
 * embedded and which remote. With --expose-gc (the benches), garbage from loading is collected first, so the figures
 * are what stays.
 */
export function bootFigures(
  bootMs: number,
  s: { postgres: { mode: string }; clickhouse: { embedded: boolean }; bus: { kind: string } },
) {
  (globalThis as { gc?: () => void }).gc?.();
  const memory = process.memoryUsage();
  const stores = {
    postgres: s.postgres.mode === 'remote' ? 'remote' : 'embedded',
    clickhouse: s.clickhouse.embedded ? 'embedded' : 'remote',
    bus: s.bus.kind === 'memory' ? 'embedded' : 'remote',
  } as const;
  const named = (kind: string) => Object.keys(stores).filter((k) => stores[k as keyof typeof stores] === kind);
  return {
    boot_ms: bootMs,
    rss_mb: Math.round(memory.rss / 1e6),
    heap_mb: Math.round(memory.heapUsed / 1e6),
    embedded: named('embedded'),
    remote: named('remote'),
    stores,
  };
}
