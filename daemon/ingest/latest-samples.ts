/** A device's latest value of each metric and instance (`wispd device show`, the panel). */
import type { ControlServer } from '../control/server.ts';
import type { ClickhouseStore } from '../store/clickhouse/index.ts';

export interface LatestValue {
  metric: string;
  instance: string;
  value: number;
  ts: string;
}

/** Looks back `hours` (the raw table is ordered by device, so this reads one device's recent parts only). */
export async function latestValues(clickhouse: ClickhouseStore, device: string, hours = 24): Promise<LatestValue[]> {
  return clickhouse.query<LatestValue>(
    // Qualified names: the output alias `ts` would otherwise stand for max(ts) in WHERE.
    `SELECT r.metric AS metric, r.instance AS instance, argMax(r.value, r.ts) AS value, toString(max(r.ts)) AS ts
     FROM telemetry_raw AS r
     WHERE r.device = {device:String} AND r.ts > now64(3) - toIntervalHour({hours:UInt32})
     GROUP BY r.metric, r.instance ORDER BY metric, instance`,
    { device, hours },
  );
}

/** `device.latest` on the control socket, for `wispd device show`. */
export function registerDeviceOperations(control: ControlServer, clickhouse: ClickhouseStore): void {
  control.handle('device.latest', async (args) => latestValues(clickhouse, String(args.device ?? '')));
}
