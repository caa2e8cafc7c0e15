/**
 * The CPE collector: every `cpe.interval`, reads the CPEs a GenieACS NBI knows, page by page (nbi.ts). Each page is
 * parsed in the pool into telemetry rows (WAN rates, signal, SNR, uptime) and one record per CPE; when the pages are
 * read, the CPEs are written to the inventory in one statement (the registry) and those whose status changed between
 * up and down are reported. A CPE is down when it has not informed for twice its periodic inform interval.
 */
import type { CpeConfig } from '../../config/schema.ts';
import type { CpeRecord, CpeRegistry, DeviceReports, TelemetrySink } from '../../contracts/telemetry/index.ts';
import type { Component } from '../../daemon/lib/component.ts';
import { isWispdError, messageOf, WispdError } from '../../daemon/lib/errors.ts';
import type { Logger } from '../../daemon/lib/log.ts';
import { sampledLog } from '../../daemon/lib/sampled-log.ts';
import { rowDelivery } from '../deliver.ts';
import type { ParsePool } from '../parse/pool.ts';
import { fetchBody, parseWhenFree } from '../scrape.ts';
import { devicesUrl } from './nbi.ts';
import type { CpeCounters, GenieacsExtra } from './parse.ts';

export interface CpeCollectorDeps {
  log: Logger;
  /** Where the CPEs of each cycle are written as inventory devices. */
  registry: CpeRegistry;
  sink: TelemetrySink;
  reports: DeviceReports;
  pool: Pick<ParsePool, 'run'>;
  /** Devices per NBI request (tests make it small). */
  pageSize?: number;
}

export interface CpeCollector extends Component {
  /** Runs a cycle after the one under way, if any; resolves when its CPEs are written. */
  poll(): Promise<void>;
}

/** 500 devices of the projection are a few megabytes of JSON: one page parses in tens of milliseconds. */
const PAGE_SIZE = 500;
const MAX_PAGE_BYTES = 256 * 1024 * 1024;
/** A cycle stops reading past this many CPEs (an ACS that ignores the page query would otherwise never end). */
const MAX_CPES = 1_000_000;

const newLast = () => ({
  cpes: 0,
  matched_serial: 0,
  matched_mac: 0,
  matched_username: 0,
  unmatched: 0,
  conflicts: 0,
  cycle_ms: 0,
});

export function createCpeCollector(config: CpeConfig, deps: CpeCollectorDeps): CpeCollector {
  const log = deps.log.child({ component: 'cpe' });
  const warn = sampledLog(log);
  const pageSize = deps.pageSize ?? PAGE_SIZE;
  const enabled = config.genieacs_url !== '';
  const counters = {
    cycles: 0,
    cycle_failures: 0,
    pages: 0,
    skipped: 0,
    rows: 0,
    rows_delivered: 0,
    rows_dropped: 0,
    status_changes: 0,
  };
  /** Of the last cycle written: its CPEs, how their subscriber was found, and how long it took. */
  let last = newLast();
  /** The previous cycle's counters by GenieACS id, and those ids sorted as the NBI pages them. */
  let state = new Map<string, CpeCounters>();
  let order: string[] = [];
  let running = false;
  let stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  const delivery = rowDelivery(deps.sink, counters, (err, n) =>
    warn('warn', { err: messageOf(err), rows: n }, 'CPE rows dropped'),
  );

  /**
   * What a page after `after` needs of the previous cycle: the states of the ids that followed `after` then. Twice a
   * page of them, so CPEs removed from the ACS since do not push this page's own out of the window.
   */
  function window(after: string | null): Record<string, CpeCounters> {
    let lo = 0;
    if (after !== null) {
      let hi = order.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (order[mid]! <= after) lo = mid + 1;
        else hi = mid;
      }
    }
    const out: Record<string, CpeCounters> = {};
    for (const id of order.slice(lo, lo + 2 * pageSize)) out[id] = state.get(id)!;
    return out;
  }

  /** Reads every page; a failure keeps what the pages before it gave. */
  async function readPages(names: Record<string, string>, fresh: Map<string, CpeCounters>, cpes: CpeRecord[]) {
    let after: string | null = null;
    for (;;) {
      const body = await fetchBody(devicesUrl(config.genieacs_url, after, pageSize), {
        timeoutMs: config.timeout,
        maxBytes: MAX_PAGE_BYTES,
        accept: 'application/json',
        signal: stopping.signal,
      });
      const out = await parseWhenFree(
        deps.pool,
        { kind: 'genieacs', body, ts: Date.now(), prev: window(after), names },
        () => !running,
      );
      if (!out.ok) {
        throw new WispdError('WISPD_TELEMETRY_INVALID', `a GenieACS page cannot be read: ${out.error}`, { after });
      }
      const page = out.extra as GenieacsExtra;
      counters.pages++;
      counters.skipped += page.skipped;
      counters.rows += out.rows;
      if (out.rows > 0) delivery.deliver({ body: Buffer.from(out.body), rows: out.rows });
      cpes.push(...page.cpes);
      for (const [id, s] of Object.entries(page.state)) fresh.set(id, s);
      if (page.documents < pageSize || page.lastId === null || !running) return;
      if ((after !== null && page.lastId <= after) || cpes.length >= MAX_CPES) {
        throw new WispdError(
          'WISPD_SCRAPE_FAILED',
          cpes.length >= MAX_CPES
            ? `more than ${MAX_CPES} CPEs; the rest is not read`
            : 'the NBI does not page by _id (it ignored the query or the sort)',
          { after },
        );
      }
      after = page.lastId;
    }
  }

  async function cycle(): Promise<void> {
    const at = Date.now();
    counters.cycles++;
    const cpes: CpeRecord[] = [];
    const fresh = new Map<string, CpeCounters>();
    let failed = false;
    try {
      await readPages(await deps.registry.names(), fresh, cpes);
    } catch (err) {
      if (!running) return;
      failed = true;
      counters.cycle_failures++;
      log.warn(
        { code: isWispdError(err) ? err.code : undefined, err: messageOf(err), cpes: cpes.length },
        'reading the CPEs from GenieACS failed; the ones read are written',
      );
    }
    // A complete cycle replaces the state (CPEs gone from the ACS are forgotten); a partial one updates what it read.
    if (failed) for (const [id, s] of fresh) state.set(id, s);
    else state = fresh;
    order = [...state.keys()].sort();
    if (cpes.length === 0) return;
    try {
      const { written, skipped } = await deps.registry.write(cpes);
      const now = newLast();
      now.cpes = written.length;
      counters.skipped += skipped;
      for (const w of written) {
        if (w.matched === '') now.unmatched++;
        else now[`matched_${w.matched}`]++;
        if (w.conflict) now.conflicts++;
        if ((w.oldStatus === 'up' || w.oldStatus === 'down') && w.oldStatus !== w.status) {
          counters.status_changes++;
          deps.reports.status({
            ts: at,
            device: w.name,
            site: '',
            status: w.status,
            detail: w.status === 'down' ? 'no TR-069 Inform within twice its interval' : '',
          });
        }
      }
      now.cycle_ms = Date.now() - at;
      last = now;
      log.info({ ...last, skipped }, 'CPEs read from GenieACS');
    } catch (err) {
      counters.cycle_failures++;
      log.warn({ err: messageOf(err), cpes: cpes.length }, 'writing the CPEs to the inventory failed');
    }
  }

  /** Cycles one after another, never two at once. */
  function enqueue(): Promise<void> {
    current = current.then(() => (running ? cycle() : undefined));
    return current;
  }

  /** A cycle now, the next `interval` after this one began (or at once, when it took longer). */
  function loop(): void {
    const started = Date.now();
    void enqueue().then(() => {
      if (running) timer = setTimeout(loop, Math.max(0, config.interval - (Date.now() - started)));
    });
  }

  return {
    name: 'cpe',
    async start() {
      if (!enabled) return;
      running = true;
      stopping = new AbortController();
      loop();
      log.info({ every_ms: config.interval }, 'CPE collector started');
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      stopping.abort();
      await current;
      await delivery.settled();
    },
    poll: () => (running ? enqueue() : Promise.resolve()),
    counters: () => ({ ...counters, ...Object.fromEntries(Object.entries(last).map(([k, v]) => [`last_${k}`, v])) }),
    describe: () => (enabled ? `GenieACS every ${config.interval / 1000} s` : 'off (cpe.genieacs_url)'),
  };
}
