/**
 * Where collectors deliver: rows to a telemetry sink, device status changes and poll outcomes to device reports. In
 * the daemon these are the ClickHouse writer and the inventory; in a remote poller (`wispd collect`), NATS.
 */
import type { RowBatch } from './rows.ts';

export interface TelemetrySink {
  /** Resolves once the rows are stored (or safely queued for storage); rejects when they cannot be taken. */
  write(batch: RowBatch): Promise<void>;
  /** The share of the sink's backlog budget still free, 0 to 1 (producers that can wait refuse early). */
  headroom(): number;
}

export interface StatusChange {
  ts: number;
  device: string;
  site: string;
  status: 'up' | 'down';
  detail: string;
}

export interface PollResult {
  device: string;
  at: number;
  ms: number;
  error: string | null;
}

export interface DeviceReports {
  /** A device went up or down (the SLA engine consumes these). */
  status(change: StatusChange): void;
  /** Outcomes of recent polls: the inventory's last poll, its duration and error. */
  polled(results: PollResult[]): void;
}
