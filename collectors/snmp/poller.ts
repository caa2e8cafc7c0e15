/**
 * The SNMP poller: every device on its own interval (its first poll at a random phase within it, so polls spread
 * out), at most `concurrency` polls at once. A device that is down is probed in separate lanes
 * (`probeConcurrency`) and less and less often (its interval doubled each time up to `maxBackoffMs`): devices waiting
 * for timeouts never hold up the ones that answer. Readings become rows (counters as rates), handed over in batches;
 * a device going up or down is reported as it happens.
 */
import snmp, { type Session, type Varbind } from 'net-snmp';
import {
  type DeviceReports,
  type PollResult,
  type RowBatch,
  RowBuilder,
  type RowSource,
  rowSource,
} from '../../contracts/telemetry/index.ts';
import type { Column, Profile, Table } from './profile.ts';
import { type Endpoint, get, type RequestOptions, SessionPool, v3Session, walkColumns } from './session.ts';
import { counterRate, labelOf, macFromIndex, numberOf } from './values.ts';

export interface PollTarget extends Endpoint {
  id: number;
  name: string;
  site: string;
  profile: string;
  intervalMs: number;
  /** The status last recorded (a device known to be down starts in the probe lanes); not a reason to restart. */
  status?: 'up' | 'down' | 'unknown';
}

/** What identifies how a device is polled: a change restarts its state (counters, schedule). */
const pollKey = ({ status: _, ...t }: PollTarget) => JSON.stringify(t);

export interface PollerOptions extends RequestOptions {
  concurrency: number;
  probeConcurrency: number;
  maxRepetitions: number;
  downAfter: number;
  maxBackoffMs: number;
  /** Rows are handed over at this many, or every `flushMs`. */
  flushRows: number;
  flushMs: number;
}

export interface PollerOutput extends DeviceReports {
  rows(batch: RowBatch): void;
}

interface DeviceState {
  target: PollTarget;
  profile: Profile;
  source: RowSource;
  status: 'unknown' | 'up' | 'down';
  failures: number;
  /** When the next poll was planned; polls follow this schedule rather than drifting with poll durations. */
  planned: number;
  timer: NodeJS.Timeout | undefined;
  polling: boolean;
  removed: boolean;
  v3?: Session;
  counters: Map<string, { value: number; at: number }>;
  uptime: number;
}

export function newPollerCounters() {
  return {
    polls: 0,
    poll_failures: 0,
    walk_failures: 0,
    rows: 0,
    status_changes: 0,
    /** Polls that started more than a second after they were due (every lane was busy). */
    late_polls: 0,
    max_start_delay_ms: 0,
  };
}

export class Poller {
  readonly counters = newPollerCounters();
  readonly #opts: PollerOptions;
  readonly #profiles: Map<string, Profile>;
  readonly #out: PollerOutput;
  readonly #devices = new Map<number, DeviceState>();
  readonly #pool = new SessionPool();
  readonly #waiting: { normal: DeviceState[]; probe: DeviceState[] } = { normal: [], probe: [] };
  readonly #busy = { normal: 0, probe: 0 };
  #rows = new RowBuilder();
  #results: PollResult[] = [];
  #flushTimer: NodeJS.Timeout | undefined;
  #running = false;
  #idle: Array<() => void> = [];

  constructor(opts: PollerOptions, profiles: Map<string, Profile>, out: PollerOutput) {
    this.#opts = opts;
    this.#profiles = profiles;
    this.#out = out;
  }

  get size(): number {
    return this.#devices.size;
  }

  statusCounts(): { up: number; down: number; unknown: number } {
    const c = { up: 0, down: 0, unknown: 0 };
    for (const d of this.#devices.values()) c[d.status]++;
    return c;
  }

  start(): void {
    this.#running = true;
    this.#flushTimer = setInterval(() => this.flush(), this.#opts.flushMs);
  }

  /** Replaces the device list: new devices are scheduled, removed ones dropped, changed ones start afresh. */
  setTargets(targets: readonly PollTarget[]): void {
    const seen = new Set<number>();
    for (const t of targets) {
      const profile = this.#profiles.get(t.profile);
      if (!profile) continue;
      seen.add(t.id);
      const old = this.#devices.get(t.id);
      if (old && pollKey(old.target) === pollKey(t)) continue;
      if (old) this.#drop(old);
      const d: DeviceState = {
        target: t,
        profile,
        source: rowSource(t.site, t.name),
        status: old?.target.name === t.name ? old.status : (t.status ?? 'unknown'),
        failures: 0,
        planned: Date.now() + Math.random() * t.intervalMs,
        timer: undefined,
        polling: false,
        removed: false,
        counters: new Map(),
        uptime: -1,
      };
      this.#devices.set(t.id, d);
      if (this.#running) this.#arm(d);
    }
    for (const [id, d] of this.#devices) if (!seen.has(id)) this.#drop(d);
  }

  #drop(d: DeviceState): void {
    d.removed = true;
    clearTimeout(d.timer);
    this.#devices.delete(d.target.id);
    if (!d.polling) d.v3?.close();
  }

  #arm(d: DeviceState): void {
    const delay = Math.max(0, d.planned - Date.now());
    d.timer = setTimeout(() => this.#due(d), delay);
  }

  /**
   * Devices whose last poll was answered (or that were never polled) share the normal lanes; one that failed is
   * probed apart from then on, until it answers again.
   */
  #lane(d: DeviceState): 'normal' | 'probe' {
    return d.failures === 0 && d.status !== 'down' ? 'normal' : 'probe';
  }

  #due(d: DeviceState): void {
    d.timer = undefined;
    if (d.removed || !this.#running) return;
    const lane = this.#lane(d);
    const limit = lane === 'normal' ? this.#opts.concurrency : this.#opts.probeConcurrency;
    if (this.#busy[lane] >= limit) this.#waiting[lane].push(d);
    else this.#run(d, lane);
  }

  #run(d: DeviceState, lane: 'normal' | 'probe'): void {
    this.#busy[lane]++;
    d.polling = true;
    const delay = Date.now() - d.planned;
    if (delay > 1000) this.counters.late_polls++;
    if (delay > this.counters.max_start_delay_ms) this.counters.max_start_delay_ms = delay;
    void this.#poll(d).finally(() => {
      d.polling = false;
      this.#busy[lane]--;
      if (d.removed) d.v3?.close();
      else if (this.#running) this.#reschedule(d);
      const next = this.#waiting[lane].shift();
      if (next && this.#running) this.#run(next, lane);
      if (this.#busy.normal + this.#busy.probe === 0) for (const fn of this.#idle.splice(0)) fn();
    });
  }

  #reschedule(d: DeviceState): void {
    const base = d.target.intervalMs;
    const interval =
      d.status === 'down'
        ? Math.min(this.#opts.maxBackoffMs, base * 2 ** Math.min(20, d.failures - this.#opts.downAfter + 1))
        : base;
    const now = Date.now();
    d.planned += interval;
    // Behind schedule (the device was slow, or lanes were busy): the next poll is due now, not in the past.
    if (d.planned < now) d.planned = now;
    this.#arm(d);
  }

  async #poll(d: DeviceState): Promise<void> {
    const t = d.target;
    const opts = { timeout: this.#opts.timeout, retries: this.#opts.retries };
    const at = Date.now();
    let session: Session;
    if (t.credentials.version === '3') {
      d.v3 ??= v3Session(t, opts);
      session = d.v3;
    } else {
      session = this.#pool.acquire(t, opts);
    }
    let error: string | null = null;
    try {
      const scalars = await get(session, d.profile.getOids);
      this.#scalars(d, scalars, at);
      for (const table of d.profile.tables) {
        try {
          const rows = await walkColumns(session, table.oids, table.maxRepetitions ?? this.#opts.maxRepetitions);
          this.#table(d, table, rows, at);
        } catch (err) {
          // The device answered the GET: it is up, this table is missing from this poll.
          this.counters.walk_failures++;
          error = `${table.name}: ${(err as Error).message}`;
        }
      }
      this.counters.polls++;
      d.failures = 0;
      if (d.status !== 'up') this.#change(d, 'up', at, error ?? '');
    } catch (err) {
      this.counters.polls++;
      this.counters.poll_failures++;
      error = (err as Error).message;
      d.failures++;
      if (d.failures >= this.#opts.downAfter && d.status !== 'down') this.#change(d, 'down', at, error);
    } finally {
      if (t.credentials.version !== '3') this.#pool.release(session);
    }
    this.#results.push({ device: t.name, at, ms: Date.now() - at, error });
    if (this.#rows.rows >= this.#opts.flushRows) this.flush();
  }

  #change(d: DeviceState, status: 'up' | 'down', ts: number, detail: string): void {
    d.status = status;
    this.counters.status_changes++;
    this.#out.status({ ts, device: d.target.name, site: d.target.site, status, detail });
  }

  #scalars(d: DeviceState, varbinds: Varbind[], at: number): void {
    const uptime = varbinds[0];
    if (uptime && typeof uptime.value === 'number') {
      // sysUpTime went back: the device restarted, and its counters with it.
      if (uptime.value < d.uptime) d.counters.clear();
      d.uptime = uptime.value;
      this.#add(d, at, 'sys.uptime_s', '', uptime.value / 100);
    }
    const columns = d.profile.scalars;
    for (let i = 0; i < columns.length; i++) {
      const vb = varbinds[i + 1];
      if (vb && !snmp.isVarbindError(vb)) this.#sample(d, columns[i]!, vb, `s${i}`, '', at, 1);
    }
  }

  #table(d: DeviceState, table: Table, rows: Map<string, Array<Varbind | undefined>>, at: number): void {
    const rule = table.instance;
    for (const [index, row] of rows) {
      let instance = index;
      if (rule.kind === 'mac') instance = macFromIndex(index, rule.at);
      else if (rule.kind === 'labels') {
        for (const c of rule.columns) {
          const label = labelOf(row[c]);
          if (label) {
            instance = label;
            break;
          }
        }
      }
      for (let c = 0; c < table.columns.length; c++) {
        const col = table.columns[c]!;
        const vb = row[c];
        if (!vb || col.kind === 'label') continue;
        if (col.unless !== -1 && row[col.unless]) continue;
        let factor = 1;
        if (col.scaleBy !== -1) {
          const by = row[col.scaleBy];
          const n = by ? numberOf(by, true) : undefined;
          if (n === undefined) continue;
          factor = n;
        }
        this.#sample(d, col, vb, `${table.name}.${c}.${index}`, instance, at, factor);
      }
    }
  }

  #sample(d: DeviceState, col: Column, vb: Varbind, key: string, instance: string, at: number, factor: number): void {
    const n = numberOf(vb, col.numericText);
    if (n === undefined) return;
    if (col.kind === 'gauge') {
      this.#add(d, at, col.metric, instance, n * col.scale * factor);
      return;
    }
    const prev = d.counters.get(key);
    d.counters.set(key, { value: n, at });
    if (!prev) return;
    const rate = counterRate(prev.value, n, at - prev.at, vb.type);
    if (rate !== undefined) this.#add(d, at, col.metric, instance, rate * col.scale * factor);
  }

  #add(d: DeviceState, at: number, metric: string, instance: string, value: number): void {
    if (this.#rows.add(at, d.source, metric, instance, value)) this.counters.rows++;
  }

  /** Hands over the rows and poll results gathered so far. */
  flush(): void {
    const batch = this.#rows.take();
    if (batch) this.#out.rows(batch);
    if (this.#results.length > 0) {
      this.#out.polled(this.#results);
      this.#results = [];
    }
  }

  /** Stops scheduling; polls under way finish (bounded by their timeouts) and what they read is flushed. */
  async stop(): Promise<void> {
    this.#running = false;
    clearInterval(this.#flushTimer);
    for (const d of this.#devices.values()) clearTimeout(d.timer);
    this.#waiting.normal.length = 0;
    this.#waiting.probe.length = 0;
    if (this.#busy.normal + this.#busy.probe > 0) await new Promise<void>((r) => this.#idle.push(r));
    this.flush();
    for (const d of this.#devices.values()) d.v3?.close();
    this.#pool.close();
  }
}
