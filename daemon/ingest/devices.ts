/**
 * What pollers report about devices, wherever they run (the daemon's own collectors, remote pollers over NATS):
 * a device going up or down becomes a bus event (`device.up` / `device.down`, which the SLA engine consumes), a row in
 * ClickHouse `device_events` and the device's status in PostgreSQL; poll outcomes become its last-poll columns,
 * written in one statement every few seconds rather than once per poll.
 */

import type { DeviceReports, PollResult, StatusChange } from '../../contracts/telemetry/index.ts';
import { tsvMillis, tsvString } from '../../contracts/tsv.ts';
import type { Component } from '../lib/component.ts';
import type { Logger } from '../lib/log.ts';
import { sampledLog } from '../lib/sampled-log.ts';
import { recordPolls, recordStatus } from '../model/device.ts';
import type { Bus } from '../store/bus/index.ts';
import { Batcher, type BatcherOptions } from '../store/clickhouse/batcher.ts';
import type { ClickhouseStore } from '../store/clickhouse/index.ts';
import type { PostgresStore } from '../store/postgres/index.ts';

export interface DeviceReporter extends Component, DeviceReports {
  /** Writes the poll outcomes gathered so far (tests, shutdown). */
  flush(): Promise<void>;
}

const EVENT_COLUMNS = ['ts', 'site', 'device', 'event', 'detail'] as const;
const POLLS_EVERY_MS = 5000;

export function createDeviceReporter(deps: {
  log: Logger;
  postgres: PostgresStore;
  clickhouse: ClickhouseStore;
  bus: Bus;
  /** How device_events rows are batched (clickhouse.log_*). */
  batching: BatcherOptions;
}): DeviceReporter {
  const log = deps.log.child({ component: 'devices' });
  const warn = sampledLog(log);
  const events = new Batcher(deps.clickhouse, 'device_events', EVENT_COLUMNS, deps.batching, log);
  const counters = { ups: 0, downs: 0, polls_recorded: 0, write_errors: 0 };
  let polls = new Map<string, PollResult>();
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> | undefined;

  async function writePolls(): Promise<void> {
    if (polls.size === 0) return;
    const batch = [...polls.values()];
    polls = new Map();
    try {
      await recordPolls(deps.postgres, batch);
      counters.polls_recorded += batch.length;
    } catch (err) {
      counters.write_errors++;
      warn('warn', { err: (err as Error).message }, 'recording poll outcomes failed');
    }
  }

  const flush = async () => {
    await writing;
    writing = writePolls();
    await writing;
    writing = undefined;
  };

  return {
    name: 'devices',
    async start() {
      events.start();
      timer = setInterval(() => void flush(), POLLS_EVERY_MS);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await flush();
      await events.stop();
    },
    status(change: StatusChange) {
      if (change.status === 'up') counters.ups++;
      else counters.downs++;
      log.info(
        { device: change.device, site: change.site, detail: change.detail || undefined },
        `device ${change.status}`,
      );
      deps.bus.publish(`device.${change.status}`, change);
      events.push(
        `${tsvMillis(change.ts)}\t${tsvString(change.site)}\t${tsvString(change.device)}\t${change.status}\t${tsvString(change.detail)}\n`,
      );
      recordStatus(deps.postgres, change).catch((err) => {
        counters.write_errors++;
        warn('warn', { err: (err as Error).message, device: change.device }, 'recording a device status failed');
      });
    },
    polled(results) {
      for (const r of results) polls.set(r.device, r);
    },
    flush,
    counters: () => ({
      ...counters,
      ...Object.fromEntries(Object.entries(events.counters).map(([k, v]) => [`events_${k}`, v])),
    }),
    describe: () => 'device status to the bus, device_events and the inventory',
  };
}
