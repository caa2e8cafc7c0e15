import type { RowBatch, TelemetrySink } from '../contracts/telemetry/index.ts';

/**
 * Hands rows to a sink without waiting for them (a poller never waits on storage), counting what was delivered and
 * what the sink refused; `settled()` resolves once the writes under way have finished (a collector's stop).
 */
export function rowDelivery(
  sink: TelemetrySink,
  counters: { rows_delivered: number; rows_dropped: number },
  onDrop: (err: unknown, rows: number) => void,
) {
  const writes = new Set<Promise<void>>();
  return {
    deliver(batch: RowBatch): void {
      const write = sink.write(batch).then(
        () => {
          counters.rows_delivered += batch.rows;
        },
        (err) => {
          counters.rows_dropped += batch.rows;
          onDrop(err, batch.rows);
        },
      );
      writes.add(write);
      void write.finally(() => writes.delete(write));
    },
    settled: () => Promise.all([...writes]).then(() => undefined),
  };
}
