/**
 * One scrape of an EPC's exposition → telemetry rows, by a table of rules (open5gs.ts). Runs in a parse thread, which
 * keeps nothing between tasks: the counters of the previous scrape come in with the task and the new ones go back
 * with the rows.
 */

import { RowBuilder, rowSource } from '../../../contracts/telemetry/index.ts';
import type { MetricRule } from '../open5gs.ts';
import { parseExposition, type Sample } from './prometheus.ts';

export interface EpcState {
  /** When the previous scrape was taken, epoch milliseconds. */
  at: number;
  /** Counter series (sample name and labels) → [value, epoch milliseconds]. */
  counters: Record<string, [number, number]>;
}

export interface EpcScrapeStats {
  samples: number;
  malformed: number;
  firstMalformed?: { line: number; reason: string };
  /** Samples no rule maps (Open5GS serves process_* and many more than we keep). */
  unmapped: number;
  rows: number;
}

export interface EpcRowsResult {
  body: Buffer;
  rows: number;
  state: EpcState;
  stats: EpcScrapeStats;
}

/** What a 'prometheus' parse task returns in `extra`. */
export interface EpcExtra {
  state: EpcState;
  stats: EpcScrapeStats;
}

export interface EpcRowsInput {
  body: Uint8Array;
  site: string;
  device: string;
  /** When the scrape was taken: the rows' time and, for samples without their own, the counters'. */
  ts: number;
  prev?: EpcState;
}

const byName = new WeakMap<readonly MetricRule[], Map<string, MetricRule>>();

function index(rules: readonly MetricRule[]): Map<string, MetricRule> {
  let m = byName.get(rules);
  if (!m) {
    m = new Map(rules.map((r) => [r.source, r]));
    byName.set(rules, m);
  }
  return m;
}

const seriesKey = (s: Sample) =>
  s.labels.length === 0
    ? s.name
    : `${s.name}{${s.labels
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .sort()
        .join(',')}}`;

const label = (s: Sample, name: string) => s.labels.find(([k]) => k === name)?.[1] ?? '';

/**
 * The per-second increase of a counter. A counter that went down was restarted (the network function restarted):
 * what it shows is what it counted since, as Prometheus's rate() takes it.
 */
export function counterIncreaseRate(prev: number, now: number, dtMs: number): number | undefined {
  if (dtMs <= 0) return undefined;
  const increase = now >= prev ? now - prev : now;
  return (increase * 1000) / dtMs;
}

export function epcRows(input: EpcRowsInput, rules: readonly MetricRule[]): EpcRowsResult {
  const text = Buffer.from(input.body.buffer, input.body.byteOffset, input.body.byteLength).toString('utf8');
  const exposition = parseExposition(text);
  const table = index(rules);
  const state: EpcState = { at: input.ts, counters: {} };
  const stats: EpcScrapeStats = {
    samples: exposition.samples.length,
    malformed: exposition.malformed,
    unmapped: 0,
    rows: 0,
  };
  if (exposition.firstMalformed) stats.firstMalformed = exposition.firstMalformed;
  // metric → instance → summed value; a metric's order is the table's, an instance's the exposition's.
  const sums = new Map<string, Map<string, number>>();
  const add = (metric: string, instance: string, v: number) => {
    let m = sums.get(metric);
    if (!m) {
      m = new Map();
      sums.set(metric, m);
    }
    m.set(instance, (m.get(instance) ?? 0) + v);
  };

  for (const s of exposition.samples) {
    const rule = table.get(s.name);
    if (!rule) {
      stats.unmapped++;
      continue;
    }
    if (!Number.isFinite(s.value)) continue;
    const instance = rule.instance ? rule.instance.map((l) => label(s, l)).join('/') : '';
    if (rule.kind === 'gauge') {
      add(rule.metric, instance, s.value * (rule.scale ?? 1));
      continue;
    }
    const key = seriesKey(s);
    const at = s.ts ?? input.ts;
    state.counters[key] = [s.value, at];
    // A series the previous scrape did not have was created since (Open5GS creates a labelled series on its first
    // increment): it counted from zero. On the first scrape there is nothing to compare with.
    const prev = input.prev ? (input.prev.counters[key] ?? [0, input.prev.at]) : undefined;
    if (!prev) continue;
    const rate = counterIncreaseRate(prev[0], s.value, at - prev[1]);
    if (rate !== undefined) add(rule.metric, instance, rate * (rule.scale ?? 1));
  }

  const out = new RowBuilder();
  const source = rowSource(input.site, input.device);
  for (const [metric, instances] of sums) {
    for (const [instance, v] of instances) out.add(input.ts, source, metric, instance, v);
  }
  stats.rows = out.rows;
  const batch = out.take();
  return { body: batch?.body ?? Buffer.alloc(0), rows: batch?.rows ?? 0, state, stats };
}
