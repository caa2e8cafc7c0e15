/**
 * The Prometheus text exposition format, version 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format): `# HELP` and `# TYPE` lines,
 * samples `name{label="value",…} value [timestamp]` with `\\`, `\"` and `\n` escapes in label values, NaN and
 * ±Inf values, histograms and summaries as their `_bucket`/`_sum`/`_count` (and `quantile`) series.
 *
 * A line that cannot be read is counted and skipped, never fatal: one odd metric of an exporter must not cost the
 * others. The first such line is kept, numbered, for the log.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  /** In the order of the line. */
  labels: Array<[string, string]>;
  value: number;
  /** Epoch milliseconds, when the line carries one. */
  ts?: number;
}

export interface Exposition {
  samples: Sample[];
  /** From `# TYPE` lines, by metric family name. */
  types: Map<string, MetricType>;
  help: Map<string, string>;
  malformed: number;
  firstMalformed?: { line: number; reason: string };
}

const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^-?\d+$/;

const isSpace = (c: number) => c === 0x20 || c === 0x09;
const isNameStart = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a;
const isNameChar = (c: number) => isNameStart(c) || (c >= 0x30 && c <= 0x39);
const isLabelStart = (c: number) => isNameStart(c) && c !== 0x3a;
const isLabelChar = (c: number) => isNameChar(c) && c !== 0x3a;

class LineError extends Error {}

/** A sample value as Go's ParseFloat reads it in this format: decimal, or NaN / Inf in any case, signed. */
export function parseValue(token: string): number | undefined {
  if (FLOAT.test(token)) return Number(token);
  const t = token.toLowerCase();
  if (t === 'nan') return Number.NaN;
  if (t === '+inf' || t === 'inf' || t === '+infinity' || t === 'infinity') return Number.POSITIVE_INFINITY;
  if (t === '-inf' || t === '-infinity') return Number.NEGATIVE_INFINITY;
  return undefined;
}

/** `\\` → `\`, `\n` → newline (and, in label values, `\"` → `"`); any other escape is kept as written. */
function unescapeText(s: string, quotes: boolean): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\' || i === s.length - 1) {
      out += c;
      continue;
    }
    const n = s[++i]!;
    out += n === 'n' ? '\n' : n === '\\' ? '\\' : n === '"' && quotes ? '"' : `\\${n}`;
  }
  return out;
}

function parseSample(line: string): Sample {
  const len = line.length;
  let i = 0;
  while (i < len && isSpace(line.charCodeAt(i))) i++;
  const nameStart = i;
  if (i >= len || !isNameStart(line.charCodeAt(i))) throw new LineError('a sample starts with a metric name');
  while (i < len && isNameChar(line.charCodeAt(i))) i++;
  const name = line.slice(nameStart, i);
  const labels: Array<[string, string]> = [];
  while (i < len && isSpace(line.charCodeAt(i))) i++;
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (i < len && isSpace(line.charCodeAt(i))) i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const start = i;
      if (i >= len || !isLabelStart(line.charCodeAt(i))) throw new LineError('a label name was expected');
      while (i < len && isLabelChar(line.charCodeAt(i))) i++;
      const label = line.slice(start, i);
      while (i < len && isSpace(line.charCodeAt(i))) i++;
      if (line[i] !== '=') throw new LineError(`"=" was expected after the label ${label}`);
      i++;
      while (i < len && isSpace(line.charCodeAt(i))) i++;
      if (line[i] !== '"') throw new LineError(`the value of the label ${label} must be quoted`);
      const vs = ++i;
      while (i < len && line[i] !== '"') i += line[i] === '\\' ? 2 : 1;
      if (i >= len) throw new LineError(`the value of the label ${label} is not closed`);
      if (labels.some(([l]) => l === label)) throw new LineError(`the label ${label} is repeated`);
      labels.push([label, unescapeText(line.slice(vs, i), true)]);
      i++;
      while (i < len && isSpace(line.charCodeAt(i))) i++;
      if (line[i] === ',') {
        i++;
        continue;
      }
      if (line[i] === '}') {
        i++;
        break;
      }
      throw new LineError('"," or "}" was expected after a label');
    }
  } else if (i >= len) {
    throw new LineError('the sample has no value');
  } else if (i === nameStart + name.length) {
    throw new LineError('a space was expected between the metric name and its value');
  }
  const rest = line
    .slice(i)
    .trim()
    .split(/[ \t]+/);
  if (rest.length === 0 || rest[0] === '') throw new LineError('the sample has no value');
  if (rest.length > 2) throw new LineError('unexpected text after the timestamp');
  const value = parseValue(rest[0]!);
  if (value === undefined) throw new LineError(`${JSON.stringify(rest[0])} is not a number`);
  const sample: Sample = { name, labels, value };
  if (rest.length === 2) {
    if (!INTEGER.test(rest[1]!)) throw new LineError(`${JSON.stringify(rest[1])} is not a timestamp in milliseconds`);
    sample.ts = Number(rest[1]);
  }
  return sample;
}

/** `# HELP name text` and `# TYPE name type`; any other comment is skipped. */
function parseComment(line: string, out: Exposition): void {
  const m = /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line);
  if (!m) return;
  const [, kind, name, rest = ''] = m;
  if (!NAME.test(name!)) throw new LineError(`${JSON.stringify(name)} is not a metric name`);
  if (kind === 'HELP') {
    out.help.set(name!, unescapeText(rest, false));
    return;
  }
  const type = rest.trim() as MetricType;
  if (!TYPES.has(type)) throw new LineError(`${JSON.stringify(rest.trim())} is not a metric type`);
  if (out.types.has(name!)) throw new LineError(`a second TYPE line for ${name}`);
  out.types.set(name!, type);
}

export function parseExposition(text: string): Exposition {
  const out: Exposition = { samples: [], types: new Map(), help: new Map(), malformed: 0 };
  let start = 0;
  let lineNo = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const first = line.trimStart();
    if (first === '') continue;
    try {
      if (first[0] === '#') parseComment(first, out);
      else out.samples.push(parseSample(line));
    } catch (err) {
      if (!(err instanceof LineError)) throw err;
      out.malformed++;
      out.firstMalformed ??= { line: lineNo, reason: err.message };
    }
  }
  return out;
}

/**
 * The family a sample belongs to: its own name, or for the `_bucket`, `_sum` and `_count` series of a histogram or
 * summary declared by a TYPE line, the name without the suffix.
 */
export function familyOf(name: string, types: ReadonlyMap<string, MetricType>): { family: string; type: MetricType } {
  const own = types.get(name);
  if (own) return { family: name, type: own };
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const type = types.get(base);
    if (type === 'histogram' || (type === 'summary' && suffix !== '_bucket')) {
      return { family: base, type };
    }
  }
  return { family: name, type: 'untyped' };
}
