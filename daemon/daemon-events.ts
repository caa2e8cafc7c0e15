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
