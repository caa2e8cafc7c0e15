/** A device's latest value of each metric and instance (`wispd device show`, the panel). */
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
    `SELECT metric, instance, argMax(value, ts) AS value, toString(max(ts)) AS ts
     FROM telemetry_raw
     WHERE device = {device:String} AND ts > now64(3) - toIntervalHour({hours:UInt32})
     GROUP BY metric, instance ORDER BY metric, instance`,
    { device, hours },
  );
}
