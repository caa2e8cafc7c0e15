import { type RowBatch, RowBuilder, type RowSource, rowSource } from '../../contracts/telemetry/index.ts';
/**
 * NDJSON telemetry, as pushed to `POST /v1/telemetry`: one sample per line,
 * `{"device":"ap-north-1","metric":"signal_dbm","value":-61.5,"ts":1763700000000,"instance":"wlan0","site":"north"}`.
 * `ts` (epoch milliseconds or an ISO 8601 string) defaults to the time of receipt, `instance` to "" and `site` to the
 * collector's site. A batch is all or nothing: the first bad line is named and nothing of the batch is kept.
 */

export interface NdjsonContext {
  /** The site of a sample that names none (the pushing collector's site, or ""). */
  site: string;
  /** Time of receipt, epoch milliseconds. */
  now: number;
}

export class NdjsonError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

const METRIC = /^[A-Za-z_][A-Za-z0-9_.:]{0,127}$/;
const MIN_TS = Date.UTC(2000, 0, 1);
const MAX_AHEAD_MS = 24 * 3600_000;
const MAX_NAME = 256;

function name(v: unknown, field: string, required: boolean, fallback: string): string {
  if (v === undefined && !required) return fallback;
  if (typeof v !== 'string' || (required && v.length === 0)) {
    throw new Error(`${field} must be ${required ? 'a non-empty' : 'a'} string`);
  }
  if (v.length > MAX_NAME) throw new Error(`${field} is longer than ${MAX_NAME} characters`);
  return v;
}

function timestamp(v: unknown, now: number): number {
  if (v === undefined) return now;
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : Number.NaN;
  if (!Number.isFinite(ms)) throw new Error('ts must be epoch milliseconds or an ISO 8601 time');
  if (ms < MIN_TS || ms > now + MAX_AHEAD_MS) throw new Error(`ts ${JSON.stringify(v)} is out of range`);
  return Math.round(ms);
}

function validMetric(metric: unknown, valid: Set<string>): metric is string {
  if (typeof metric !== 'string') return false;
  if (valid.has(metric)) return true;
  if (!METRIC.test(metric)) return false;
  valid.add(metric);
  return true;
}

export function parseNdjson(body: Uint8Array, ctx: NdjsonContext): RowBatch {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const out = new RowBuilder();
  // Most pushes carry many samples of few devices: the escaped site/device prefix is built once per pair, found by
  // site then device (no key string made per line).
  const sources = new Map<string, Map<string, RowSource>>();
  // Most pushes repeat a few metric names: each is checked once.
  const metrics = new Set<string>();
  let start = 0;
  let line = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (raw.length === 0) continue;
    let sample: Record<string, unknown>;
    try {
      sample = JSON.parse(raw);
    } catch (err) {
      throw new NdjsonError(line, `not JSON (${(err as Error).message})`);
    }
    try {
      if (sample === null || typeof sample !== 'object' || Array.isArray(sample)) {
        throw new Error('a sample must be a JSON object');
      }
      const device = name(sample.device, 'device', true, '');
      const site = name(sample.site, 'site', false, ctx.site);
      const metric = sample.metric;
      if (!validMetric(metric, metrics)) {
        throw new Error('metric must be a name of letters, digits, "_", "." or ":" (at most 128)');
      }
      const instance = name(sample.instance, 'instance', false, '');
      const value = sample.value;
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error('value must be a finite number');
      let devices = sources.get(site);
      if (!devices) {
        devices = new Map();
        sources.set(site, devices);
      }
      let source = devices.get(device);
      if (!source) {
        source = rowSource(site, device);
        devices.set(device, source);
      }
      out.add(timestamp(sample.ts, ctx.now), source, metric, instance, value);
    } catch (err) {
      throw new NdjsonError(line, (err as Error).message);
    }
  }
  return out.take() ?? { body: Buffer.alloc(0), rows: 0 };
}
