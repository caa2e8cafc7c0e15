/**
 * How a value typed in the panel becomes what a column stores: each column staff may set has one of these, and a
 * value that does not fit is refused with the column's name (WISPD_INVALID_INPUT, shown beside the field).
 */

import { parseBytes, parseRate } from '../../../config/units.ts';
import { ipFamily, parseCidr } from '../../../daemon/lib/ip.ts';
import { normalizeMac } from '../../../daemon/lib/mac.ts';
import { invalid } from '../../../daemon/model/db.ts';

/** Typed value → stored value; null clears a nullable column. */
export type Normalize = (value: unknown) => unknown;

const blank = (v: unknown) => v === undefined || v === null || v === '';

function orNull(column: string, nullable: boolean, v: unknown): null {
  if (!nullable) throw invalid(column, v, 'is required');
  return null;
}

export function text(
  column: string,
  opts: {
    nullable?: boolean;
    /** What a blank value stores, for a column that is never null but may be empty. */
    blank?: string;
    pattern?: RegExp;
    reason?: string;
    max?: number;
    check?: (s: string) => void;
  } = {},
): Normalize {
  return (v) => {
    if (blank(v)) return opts.blank ?? orNull(column, opts.nullable ?? false, v);
    const s = String(v);
    if (s.length > (opts.max ?? 1000)) throw invalid(column, s, `at most ${opts.max ?? 1000} characters`);
    if (opts.pattern && !opts.pattern.test(s)) throw invalid(column, s, opts.reason ?? 'has the wrong form');
    opts.check?.(s);
    return s;
  };
}

export function integer(column: string, opts: { nullable?: boolean; min?: number; max?: number } = {}): Normalize {
  const min = opts.min ?? 1;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return (v) => {
    if (blank(v)) return orNull(column, opts.nullable ?? false, v);
    const n = typeof v === 'number' ? v : Number(String(v).trim());
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw invalid(column, v, `a whole number from ${min} to ${max}`);
    return n;
  };
}

/** A decimal number (a percentage, say), kept as the text PostgreSQL's numeric reads exactly. */
export function decimal(column: string, opts: { nullable?: boolean; min: number; max: number }): Normalize {
  return (v) => {
    if (blank(v)) return orNull(column, opts.nullable ?? false, v);
    const s = String(v).trim();
    const n = Number(s);
    if (!/^\d+(\.\d{1,3})?$/.test(s) || n < opts.min || n > opts.max)
      throw invalid(column, v, `a number from ${opts.min} to ${opts.max}, at most 3 decimals`);
    return s;
  };
}

export function oneOf(column: string, values: readonly string[], opts: { nullable?: boolean } = {}): Normalize {
  return (v) => {
    if (blank(v)) return orNull(column, opts.nullable ?? false, v);
    if (!values.includes(String(v))) throw invalid(column, v, `one of ${values.join(', ')}`);
    return String(v);
  };
}

export function boolean(column: string): Normalize {
  return (v) => {
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false' || v === '') return false;
    throw invalid(column, v, 'true or false');
  };
}

export function datetime(column: string, opts: { nullable?: boolean } = {}): Normalize {
  return (v) => {
    if (blank(v)) return orNull(column, opts.nullable ?? false, v);
    const d = v instanceof Date ? v : new Date(String(v));
    if (Number.isNaN(d.getTime())) throw invalid(column, v, 'a date and time such as 2026-12-31 23:59');
    return d;
  };
}

export function ipv4(column: string, opts: { nullable?: boolean } = {}): Normalize {
  return (v) => {
    if (blank(v)) return orNull(column, opts.nullable ?? false, v);
    const s = String(v).trim();
    if (ipFamily(s) !== 4) throw invalid(column, s, 'an IPv4 address such as 100.64.0.10');
    return s;
  };
}

export function cidr(column: string): Normalize {
  return (v) => {
    if (blank(v)) return orNull(column, false, v);
    const parsed = parseCidr(String(v));
    if ('error' in parsed) throw invalid(column, v, parsed.error);
    return parsed.cidr;
  };
}

export function mac(column: string): Normalize {
  return (v) => {
    if (blank(v)) return null;
    const m = normalizeMac(String(v));
    if (!m) throw invalid(column, v, 'a MAC address such as aa:bb:cc:dd:ee:ff');
    return m;
  };
}

/** A rate as typed: "20M", "512k", or bits per second. */
export function rate(column: string, opts: { nullable?: boolean } = {}): Normalize {
  return (v) => {
    if (blank(v)) return orNull(column, opts.nullable ?? false, v);
    const n = parseRate(String(v));
    if (n === undefined || !Number.isSafeInteger(n)) throw invalid(column, v, 'a rate such as 20M, 512k or 1.5G');
    return n;
  };
}

/** A size as typed: "100G", "500M" (binary units), or bytes. */
export function bytes(column: string, opts: { nullable?: boolean } = {}): Normalize {
  return (v) => {
    if (blank(v)) return orNull(column, opts.nullable ?? false, v);
    const n = parseBytes(String(v));
    if (n === undefined) throw invalid(column, v, 'a size such as 100G, 500M or 1.5T');
    return n;
  };
}

/** The id of a record of another table (the database checks that it exists). */
export const reference = (column: string, opts: { nullable?: boolean } = {}): Normalize =>
  integer(column, { nullable: opts.nullable ?? false, min: 1, max: 2 ** 31 - 1 });

/** Whether a typed value and a stored one are the same (pg gives bigint as text, timestamps as Date). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (blank(a) && blank(b)) return true;
  if (blank(a) || blank(b)) return false;
  if (a instanceof Date || b instanceof Date)
    return new Date(a as string).getTime() === new Date(b as string).getTime();
  if (typeof a === 'object' || typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return String(a) === String(b);
}
