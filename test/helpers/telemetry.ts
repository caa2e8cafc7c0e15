/** What the collector tests share: targets set by hand, and an embedded ClickHouse with the telemetry writer. */
import type { Test } from 'tap';
import type { TelemetryConfig } from '../../config/schema.ts';
import type { DeviceTarget, TargetSource } from '../../contracts/telemetry/index.ts';
import { createTelemetryWriter, type TelemetryWriter } from '../../daemon/ingest/writer.ts';
import type { ClickhouseStore } from '../../daemon/store/clickhouse/index.ts';
import type { DataDir } from '../../daemon/store/datadir.ts';
import { silentLog } from './env.ts';
import { testClickhouse, testDataDir } from './stores.ts';

/** Targets the test sets (`set` calls the listeners, as a change in PostgreSQL would). */
export function staticTargets(): TargetSource & { set(list: DeviceTarget[]): void } {
  let list: DeviceTarget[] = [];
  const fns: Array<(l: readonly DeviceTarget[]) => void> = [];
  return {
    name: 'targets',
    start: async () => {},
    stop: async () => {},
    counters: () => ({}),
    describe: () => '',
    targets: () => list,
    onChange: (fn) => fns.push(fn),
    set(l) {
      list = l;
      for (const fn of fns) fn(list);
    },
  };
}

export interface EmbeddedTelemetry {
  dataDir: DataDir;
  ch: ClickhouseStore;
  writer: TelemetryWriter;
}

/** A data directory of the test's own with chDB and a telemetry writer (`writer` overrides its config); all stopped at the end. */
export async function embeddedTelemetry(t: Test, writer: Partial<TelemetryConfig> = {}): Promise<EmbeddedTelemetry> {
  const log = silentLog();
  const dataDir = testDataDir(t);
  const ch = await testClickhouse(t, dataDir);
  const w = createTelemetryWriter(
    { batch_rows: 50_000, batch_interval: 100, max_pending_rows: 1_000_000, spool_mb: 64, ...writer },
    { log, clickhouse: ch, dataDir },
  );
  await w.start();
  t.teardown(() => w.stop());
  return { dataDir, ch, writer: w };
}
