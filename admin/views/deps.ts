/**
 * What the subscriber page and the dashboard read, and the small helpers both share. Each store is reached in one
 * round trip per question; what lives in memory in the daemon (live sessions, FUP counters) is read there when the
 * component is given, and from its PostgreSQL tables otherwise.
 */
import type { Queryable } from '../../daemon/model/db.ts';
import type { Fup } from '../../daemon/policy/fup/index.ts';
import type { Sessions } from '../../daemon/radius/sessions/index.ts';
import type { ClickhouseStore } from '../../daemon/store/clickhouse/index.ts';
import type { CountersByComponent } from '../metrics.ts';

export interface ViewsDeps {
  postgres: Queryable;
  clickhouse: Pick<ClickhouseStore, 'query'>;
  /**
   * The live session table, current to the last accounting packet. Without it, `radius_session`, which the table
   * writes behind (sessions begun or ended within a second, byte counters every 30 s).
   */
  sessions?: Pick<Sessions, 'forUser'>;
  /** The FUP engine, current to the last accounting packet. Without it, its tables (written every second). */
  fup?: Pick<Fup, 'usage' | 'verdictById'>;
  /** Every component's counters (the daemon's `lifecycle.counters()`): RADIUS totals and the live session count. */
  counters?: () => CountersByComponent;
  now?: () => number;
  /**
   * The IANA zone a "day" of usage and "today" are counted in. The process's local zone by default, as FUP periods
   * are (model/fup-rules.ts), so a day on the chart is the day a daily quota counts.
   */
  timeZone?: string;
}

/** A section a store could not answer: the rest of the page is still worth showing to someone on a call. */
export interface Unavailable {
  section: string;
  message: string;
}

/** ClickHouse answers 64-bit integers as strings (output_format_json_quote_64bit_integers); byte counts fit a double. */
export const num = (v: string | number | null | undefined): number => (v === null || v === undefined ? 0 : Number(v));

/** PostgreSQL timestamps arrive as Date from columns and as text from JSON; both leave as ISO 8601 in UTC. */
export const iso = (v: Date | string | number | null | undefined): string | null =>
  v === null || v === undefined ? null : new Date(v).toISOString();

/**
 * Runs a section's query; a failure becomes an entry in `unavailable` and a null section instead of failing the page
 * (ClickHouse may be unreachable while PostgreSQL and the daemon's memory still answer).
 */
export async function section<T>(name: string, run: () => Promise<T>, unavailable: Unavailable[]): Promise<T | null> {
  try {
    return await run();
  } catch (err) {
    unavailable.push({ section: name, message: (err as Error).message });
    return null;
  }
}
