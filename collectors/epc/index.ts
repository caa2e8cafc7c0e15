/**
 * The EPC collector: scrapes the Prometheus exposition of every inventory device with role epc and a metrics URL,
 * each on its own interval from a random phase, each scrape on its own (a core that hangs holds up nobody but
 * itself: its scrape ends at `epc.timeout`). The body goes to the parse pool, which returns the rows and the counter
 * state the next scrape's rates start from. A core that fails twice in a row is reported down; one that answers, up.
 */
import type { EpcConfig } from '../../config/schema.ts';
import type { DeviceReports, DeviceTarget, TargetSource, TelemetrySink } from '../../contracts/telemetry/index.ts';
import type { Component } from '../../daemon/lib/component.ts';
import { messageOf } from '../../daemon/lib/errors.ts';
import type { Logger } from '../../daemon/lib/log.ts';
import { sampledLog } from '../../daemon/lib/sampled-log.ts';
import { rowDelivery } from '../deliver.ts';
import type { ParsePool } from '../parse/pool.ts';
import { fetchBody, parseWhenFree } from '../scrape.ts';
import type { EpcExtra, EpcState } from './parse/rows.ts';

export interface EpcCollectorDeps {
  log: Logger;
  /** The devices to poll. */
  targets: TargetSource;
  sink: TelemetrySink;
  reports: DeviceReports;
  pool: Pick<ParsePool, 'run'>;
}

/** Consecutive failed scrapes before a core is reported down (one lost connection is not an outage). */
export const DOWN_AFTER = 2;
/** An exposition larger than this is refused (Open5GS serves a few kilobytes). */
const MAX_BODY = 16 * 1024 * 1024;
const ACCEPT = 'text/plain;version=0.0.4;q=1,*/*;q=0.1';

interface Core {
  target: DeviceTarget;
  key: string;
  status: 'up' | 'down' | 'unknown';
  failures: number;
  planned: number;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
  removed: boolean;
  prev: EpcState | undefined;
}

/** What identifies how a core is scraped: a change starts it afresh (its counters too). */
const scrapeKey = (d: DeviceTarget) => JSON.stringify([d.name, d.site, d.metricsUrl, d.intervalS]);

export function createEpcCollector(config: EpcConfig, deps: EpcCollectorDeps): Component {
  const log = deps.log.child({ component: 'epc' });
  const warn = sampledLog(log);
  const counters = {
    scrapes: 0,
    scrape_failures: 0,
    parse_failures: 0,
    samples: 0,
    malformed_lines: 0,
    rows: 0,
    rows_delivered: 0,
    rows_dropped: 0,
    status_changes: 0,
  };
  const cores = new Map<number, Core>();
  const delivery = rowDelivery(deps.sink, counters, (err, n) =>
    warn('warn', { err: messageOf(err), rows: n }, 'EPC rows dropped'),
  );
  let stopping = new AbortController();
  let running = false;

  function arm(c: Core): void {
    c.timer = setTimeout(
      () => {
        c.timer = undefined;
        c.running = scrape(c).finally(() => {
          c.running = undefined;
          if (c.removed || !running) return;
          const now = Date.now();
          c.planned += c.target.intervalS * 1000;
          // A scrape that overran its interval: the next is due now, not in the past.
          if (c.planned < now) c.planned = now;
          arm(c);
        });
      },
      Math.max(0, c.planned - Date.now()),
    );
  }

  function change(c: Core, status: 'up' | 'down', ts: number, detail: string): void {
    c.status = status;
    counters.status_changes++;
    deps.reports.status({ ts, device: c.target.name, site: c.target.site, status, detail });
  }

  async function scrape(c: Core): Promise<void> {
    const t = c.target;
    const at = Date.now();
    counters.scrapes++;
    let body: Uint8Array;
    try {
      body = await fetchBody(t.metricsUrl!, {
        timeoutMs: config.timeout,
        maxBytes: MAX_BODY,
        accept: ACCEPT,
        signal: stopping.signal,
      });
    } catch (err) {
      if (!running) return;
      const error = messageOf(err);
      counters.scrape_failures++;
      c.failures++;
      if (c.failures >= DOWN_AFTER && c.status !== 'down') change(c, 'down', at, error);
      deps.reports.polled([{ device: t.name, at, ms: Date.now() - at, error }]);
      return;
    }
    c.failures = 0;
    if (c.status !== 'up') change(c, 'up', at, '');
    let error: string | null = null;
    try {
      const out = await parseWhenFree(
        deps.pool,
        { kind: 'prometheus', body, site: t.site, device: t.name, ts: at, prev: c.prev },
        () => !running,
      );
      if (!out.ok) throw new Error(out.error);
      const { state, stats } = out.extra as EpcExtra;
      if (!c.removed) c.prev = state;
      counters.samples += stats.samples;
      counters.malformed_lines += stats.malformed;
      counters.rows += out.rows;
      if (stats.firstMalformed) {
        warn(
          'warn',
          { device: t.name, lines: stats.malformed, first: stats.firstMalformed },
          'lines of an EPC exposition could not be read; they were skipped',
        );
      }
      if (stats.samples === 0) error = `no samples in the exposition (${stats.malformed} unreadable lines)`;
      if (out.rows > 0) delivery.deliver({ body: Buffer.from(out.body), rows: out.rows });
    } catch (err) {
      counters.parse_failures++;
      error = messageOf(err);
      warn('warn', { device: t.name, err: error }, 'an EPC exposition could not be parsed');
    }
    deps.reports.polled([{ device: t.name, at, ms: Date.now() - at, error }]);
  }

  function drop(c: Core): void {
    c.removed = true;
    clearTimeout(c.timer);
    cores.delete(c.target.id);
  }

  function update(devices: readonly DeviceTarget[]): void {
    const seen = new Set<number>();
    for (const d of devices) {
      if (d.role !== 'epc' || !d.metricsUrl) continue;
      seen.add(d.id);
      const key = scrapeKey(d);
      const old = cores.get(d.id);
      if (old?.key === key) {
        old.target = d;
        continue;
      }
      if (old) drop(old);
      const c: Core = {
        target: d,
        key,
        status: old?.target.name === d.name ? old.status : d.status,
        failures: 0,
        planned: Date.now() + Math.random() * d.intervalS * 1000,
        timer: undefined,
        running: undefined,
        removed: false,
        prev: undefined,
      };
      cores.set(d.id, c);
      if (running) arm(c);
    }
    for (const [id, c] of cores) if (!seen.has(id)) drop(c);
  }

  return {
    name: 'epc',
    async start() {
      if (!config.enabled) return;
      running = true;
      stopping = new AbortController();
      update(deps.targets.targets());
      deps.targets.onChange(update);
      log.info({ cores: cores.size }, 'EPC collector started');
    },
    async stop() {
      running = false;
      for (const c of cores.values()) clearTimeout(c.timer);
      stopping.abort();
      await Promise.all([...cores.values()].map((c) => c.running));
      await delivery.settled();
    },
    counters: () => ({
      ...counters,
      cores: cores.size,
      cores_down: [...cores.values()].filter((c) => c.status === 'down').length,
    }),
    describe: () => (config.enabled ? `${cores.size} EPC cores` : 'off (epc.enabled)'),
  };
}
