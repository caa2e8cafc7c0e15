/**
 * The building blocks of wispd's one config schema. Each component declares its section with these in its own
 * `config.ts`; `config/schema.ts` assembles the sections. A field knows its default, its documentation, how to parse a
 * value from YAML or from an environment variable, and whether it is a secret (masked in dumps and errors).
 */

import { isIP } from 'node:net';
import { formatRate, parseRate } from './units.ts';

/** Thrown by a field's parser; the loader adds the key, the value and the source. */
export class ValueError extends Error {
  override name = 'ValueError';
}

export interface Field<T> {
  readonly kind: 'field';
  readonly doc: string;
  readonly default: T;
  /** How the value is written, for documentation: `integer 1..100`, `duration`, `postgres URL`, … */
  readonly type: string;
  readonly secret: boolean;
  /** Parses a value from YAML (any JSON type) or from an environment variable (always a string). */
  parse(raw: unknown, from: 'file' | 'env'): T;
  /** What `dump-config` shows in place of a parsed value. */
  show(value: T): unknown;
  /** What an error message shows in place of a raw, unparsed value. */
  showRaw(raw: unknown): unknown;
}

export interface Section<S extends Shape = Shape> {
  readonly kind: 'section';
  readonly doc: string;
  readonly fields: S;
}

// biome-ignore lint/suspicious/noExplicitAny: a shape holds fields of every type
export type Shape = { readonly [key: string]: Field<any> | Section<any> };

export type Infer<N> =
  N extends Field<infer T> ? T : N extends Section<infer S> ? { readonly [K in keyof S]: Infer<S[K]> } : never;

interface Common<T> {
  doc: string;
  default: T;
  secret?: boolean;
}

function field<T>(
  type: string,
  opts: Common<T>,
  parse: (raw: unknown, from: 'file' | 'env') => T,
  show?: (value: T) => unknown,
  showRaw?: (raw: unknown) => unknown,
): Field<T> {
  const secret = opts.secret ?? false;
  const hide = (v: unknown) => (secret && v !== '' ? '********' : v);
  return {
    kind: 'field',
    doc: opts.doc,
    default: opts.default,
    type,
    secret,
    parse,
    show: show ?? hide,
    showRaw: showRaw ?? hide,
  };
}

export function section<S extends Shape>(doc: string, fields: S): Section<S> {
  return { kind: 'section', doc, fields };
}

function scalarString(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  throw new ValueError('must be a string');
}

export function string(
  opts: Common<string> & { pattern?: RegExp; patternReason?: string; allowEmpty?: boolean },
): Field<string> {
  const allowEmpty = opts.allowEmpty ?? true;
  return field('string', opts, (raw) => {
    const s = scalarString(raw);
    if (s === '' && !allowEmpty) throw new ValueError('must not be empty');
    if (s !== '' && opts.pattern && !opts.pattern.test(s)) {
      throw new ValueError(opts.patternReason ?? `must match ${opts.pattern}`);
    }
    return s;
  });
}

export function integer(opts: Common<number> & { min: number; max: number }): Field<number> {
  const reason = `must be an integer from ${opts.min} to ${opts.max}`;
  return field(`integer ${opts.min}..${opts.max}`, opts, (raw) => {
    let n: number;
    if (typeof raw === 'number') n = raw;
    else if (typeof raw === 'string' && /^-?\d+$/.test(raw.trim())) n = Number(raw.trim());
    else throw new ValueError(reason);
    if (!Number.isSafeInteger(n) || n < opts.min || n > opts.max) throw new ValueError(reason);
    return n;
  });
}

export function port(opts: Common<number>): Field<number> {
  return integer({ ...opts, min: 0, max: 65535 });
}

/** An IPv4 or IPv6 address literal (`0.0.0.0` or `::` for every address). */
export function ipAddress(opts: Common<string>): Field<string> {
  return field('IP address', opts, (raw) => {
    const s = scalarString(raw).trim();
    if (isIP(s) === 0) throw new ValueError('must be an IPv4 or IPv6 address (0.0.0.0 or :: for every address)');
    return s;
  });
}

/** Parses `host:port` (`[v6]:port` for IPv6; a host name or an address; port 0..65535). */
export function parseListen(text: string): { host: string; port: number } | undefined {
  const m =
    /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)|([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)):(\d{1,5})$/.exec(
      text,
    );
  if (!m) return undefined;
  const port = Number(m[7]);
  if (port > 65535) return undefined;
  if (m[1] !== undefined && isIP(m[1]) !== 6) return undefined;
  if (m[2] !== undefined && isIP(m[2]) !== 4) return undefined;
  return { host: m[1] ?? m[2] ?? m[3]!, port };
}

/** `address:port` a server listens on, or empty (off) when `allowEmpty`. */
export function listen(opts: Common<string> & { example: string }): Field<string> {
  return field('address:port', opts, (raw) => {
    const s = scalarString(raw).trim();
    if (s === '' || parseListen(s)) return s;
    throw new ValueError(
      `must be address:port with a port from 0 to 65535 (${opts.example}, [::1]:${opts.example.split(':').pop()}), or empty to turn it off`,
    );
  });
}

const TRUE = new Set(['true', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'no', 'off', '0']);

export function boolean(opts: Common<boolean>): Field<boolean> {
  return field('boolean', opts, (raw) => {
    if (typeof raw === 'boolean') return raw;
    if (typeof raw === 'string') {
      const s = raw.trim().toLowerCase();
      if (TRUE.has(s)) return true;
      if (FALSE.has(s)) return false;
    }
    throw new ValueError('must be true or false');
  });
}

export function oneOf<const V extends string>(values: readonly V[], opts: Common<V>): Field<V> {
  return field(values.join(' | '), opts, (raw) => {
    const s = typeof raw === 'string' ? raw : undefined;
    if (s === undefined || !values.includes(s as V)) throw new ValueError(`must be one of ${values.join(', ')}`);
    return s as V;
  });
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `500ms`, `8s`, `1m30s`, `2h`, `1d` into milliseconds. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A duration in milliseconds, written with a unit: `500ms`, `8s`, `5m`. */
export function duration(opts: Omit<Common<number>, 'default'> & { default: string; min?: string; max?: string }) {
  const min = opts.min === undefined ? 0 : parseDuration(opts.min)!;
  const max = opts.max === undefined ? Number.POSITIVE_INFINITY : parseDuration(opts.max)!;
  const range =
    opts.max === undefined
      ? opts.min === undefined
        ? ''
        : ` of at least ${opts.min}`
      : ` from ${opts.min ?? '0s'} to ${opts.max}`;
  const reason = `must be a duration${range} with a unit (ms, s, m, h, d), e.g. 500ms or 8s`;
  return field<number>(
    'duration',
    { doc: opts.doc, default: parseDuration(opts.default)! },
    (raw) => {
      const ms = typeof raw === 'string' ? parseDuration(raw) : undefined;
      if (ms === undefined || ms < min || ms > max) throw new ValueError(reason);
      return ms;
    },
    formatDuration,
  );
}

/** Shows a URL with its password replaced, so a dump or an error never leaks it. */
export function maskUrl(value: string): string {
  if (value === '') return value;
  return value
    .split(',')
    .map((one) => {
      try {
        const u = new URL(one.trim());
        if (u.host === '' && one.includes('@')) return '********';
        if (u.password) u.password = '****';
        return u.toString().replace(/\/$/, one.trim().endsWith('/') ? '/' : '');
      } catch {
        return one.includes('@') ? '********' : one;
      }
    })
    .join(',');
}

/**
 * A URL (or a comma-separated list of URLs when `list` is set) with one of the given schemes; empty means "not set",
 * which for the stores means "use the embedded default".
 */
export function url(
  opts: Common<string> & { schemes: readonly string[]; list?: boolean; hostOptional?: boolean },
): Field<string> {
  const names = opts.schemes.map((s) => `${s}://`).join(' or ');
  const reason = `must be ${opts.list ? 'a comma-separated list of URLs' : 'a URL'} starting with ${names}`;
  return field(
    opts.list ? 'URL list' : 'URL',
    opts,
    (raw) => {
      const s = scalarString(raw).trim();
      if (s === '') return '';
      const parts = opts.list ? s.split(',').map((p) => p.trim()) : [s];
      for (const p of parts) {
        let u: URL;
        try {
          u = new URL(p);
        } catch {
          throw new ValueError(reason);
        }
        const noHost = u.hostname === '' && !opts.hostOptional;
        if (!opts.schemes.includes(u.protocol.replace(/:$/, '')) || noHost) throw new ValueError(reason);
      }
      return parts.join(',');
    },
    maskUrl,
    (raw) => (typeof raw === 'string' ? maskUrl(raw) : raw),
  );
}

/** A list of strings: a YAML sequence, or a comma-separated environment variable. */
export function list(
  opts: Common<readonly string[]> & { item?: RegExp; itemReason?: string },
): Field<readonly string[]> {
  return field(
    'list',
    opts,
    (raw, from) => {
      const items =
        from === 'env' && typeof raw === 'string'
          ? raw
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : raw;
      if (!Array.isArray(items) || items.some((i) => typeof i !== 'string'))
        throw new ValueError('must be a list of strings');
      const bad = opts.item ? items.find((i) => !opts.item!.test(i)) : undefined;
      if (bad !== undefined) throw new ValueError(`${JSON.stringify(bad)}: ${opts.itemReason ?? 'not accepted'}`);
      return Object.freeze([...items]);
    },
    (v) => [...v],
  );
}

/** A rate in bits per second, written like 20M, 512k, 1.5G. */
export function rate(opts: Omit<Common<number>, 'default'> & { default: string }): Field<number> {
  return field<number>(
    'rate',
    { doc: opts.doc, default: parseRate(opts.default)! },
    (raw) => {
      const bps = typeof raw === 'string' || typeof raw === 'number' ? parseRate(String(raw)) : undefined;
      if (bps === undefined) throw new ValueError('must be a rate such as 20M, 512k or 1G (bits per second)');
      return bps;
    },
    formatRate,
  );
}
