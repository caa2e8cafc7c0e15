/**
 * The SNMP collector component: runs the poller in its own thread, gives it the inventory's SNMP devices, and passes
 * what it produces on (rows to the telemetry sink, status changes and poll outcomes to the device reports).
 */
import type { Worker } from 'node:worker_threads';
import type { SnmpConfig } from '../../config/schema.ts';
import type { DeviceReports, DeviceTarget, TargetSource, TelemetrySink } from '../../contracts/telemetry/index.ts';
import type { Component } from '../../daemon/lib/component.ts';
import type { Logger } from '../../daemon/lib/log.ts';
import { sampledLog } from '../../daemon/lib/sampled-log.ts';
import { startWorker } from '../../daemon/lib/workers.ts';
import { rowDelivery } from '../deliver.ts';
import type { PollTarget } from './poller.ts';
import { loadProfiles } from './profile.ts';
import type { FromWorker, SnmpWorkerData, ToWorker } from './worker.ts';

/** The SNMP profiles that exist: the built-in ones and those in `dir` (snmp.profiles_dir). */
export const snmpProfileNames = (dir: string): string[] => [...loadProfiles(dir).keys()];

export interface SnmpCollectorDeps {
  log: Logger;
  /** The devices to poll. */
  targets: TargetSource;
  sink: TelemetrySink;
  reports: DeviceReports;
}

export const pollTargets = (devices: readonly DeviceTarget[]): PollTarget[] =>
  devices
    .filter((d) => d.profile !== null && d.snmp !== null)
    .map((d) => ({
      id: d.id,
      name: d.name,
      site: d.site,
      address: d.address,
      port: d.port,
      credentials: d.snmp!,
      profile: d.profile!,
      intervalMs: d.intervalS * 1000,
      status: d.status,
    }));

export function createSnmpCollector(config: SnmpConfig, deps: SnmpCollectorDeps): Component {
  const log = deps.log.child({ component: 'snmp' });
  const warn = sampledLog(log);
  let worker: Worker | undefined;
  let stats: Record<string, number> = {};
  const counters = { rows_delivered: 0, rows_dropped: 0, batches: 0 };
  const delivery = rowDelivery(deps.sink, counters, (err, rows) =>
    warn('warn', { err: (err as Error).message, rows }, 'SNMP rows dropped'),
  );
  let stopped: (() => void) | undefined;
  let targets = 0;

  const send = (m: ToWorker) => worker?.postMessage(m);
  const update = (devices: readonly DeviceTarget[]) => {
    const list = pollTargets(devices);
    targets = list.length;
    send({ type: 'targets', targets: list });
  };

  function onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'rows': {
        counters.batches++;
        delivery.deliver({ body: Buffer.from(m.body), rows: m.rows });
        break;
      }
      case 'status':
        deps.reports.status(m.change);
        break;
      case 'polled':
        stats = m.counters;
        deps.reports.polled(m.results);
        break;
      case 'stopped':
        stopped?.();
        break;
      case 'error':
        log.error({ err: m.message }, 'the SNMP poller thread failed');
        break;
    }
  }

  return {
    name: 'snmp',
    async start() {
      if (!config.enabled) return;
      // A broken profile stops the boot here, naming the file and key, rather than in the thread.
      const profiles = loadProfiles(config.profiles_dir);
      const data: SnmpWorkerData = {
        profilesDir: config.profiles_dir,
        options: {
          concurrency: config.concurrency,
          probeConcurrency: config.probe_concurrency,
          timeout: config.timeout,
          retries: config.retries,
          maxRepetitions: config.max_repetitions,
          downAfter: config.down_after,
          maxBackoffMs: config.max_backoff,
          flushRows: 20_000,
          flushMs: 1000,
        },
      };
      worker = startWorker(import.meta.url, 'worker', { workerData: data });
      worker.on('message', onMessage);
      worker.on('error', (err) => log.error({ err: err.message }, 'the SNMP poller thread crashed'));
      update(deps.targets.targets());
      deps.targets.onChange(update);
      log.info({ devices: targets, profiles: [...profiles.keys()] }, 'SNMP poller started');
    },
    async stop() {
      const w = worker;
      if (!w) return;
      const done = new Promise<void>((resolve) => {
        stopped = resolve;
      });
      send({ type: 'stop' });
      // Polls under way end within their timeouts; past that, the thread is ended.
      await Promise.race([done, new Promise((r) => setTimeout(r, 10_000).unref())]);
      worker = undefined;
      await w.terminate();
      await delivery.settled();
    },
    counters: () => ({ ...stats, ...counters }),
    describe: () => (config.enabled ? `${targets} devices, ${config.concurrency} at once` : 'off (snmp.enabled)'),
  };
}
