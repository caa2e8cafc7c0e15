/**
 * A subscriber's traffic per day, read from `radius_accounting`: what the subscriber page charts and what `wispd
 * usage` reports for a plan without fair usage. One range read of the table's primary key (`ORDER BY (username, ts…)`).
 */
import type { ClickhouseStore } from '../../store/clickhouse/index.ts';

export interface DayUsage {
  /** YYYY-MM-DD in the zone asked for. */
  day: string;
  /** RADIUS's side: input is what the subscriber sent (upload), output what they received (download). */
  inputOctets: number;
  outputOctets: number;
}

/**
 * Bytes per day from accounting records, whose octet counters are totals since the session began (RFC 2866 §5.3):
 * per session and day, the day's highest total minus the highest total of the session's previous day with a record
 * (`lagInFrame`). The day before the window is read too, as the base of sessions already running (a live session
 * reports every interim interval, or is closed as stale), so they count only what they moved inside the window; a
 * session first heard of inside the window without a Start counts all of its total, as FUP does. A total that went
 * down (a NAS reusing a session id) counts zero. Days with nothing are filled with zeros.
 */
const USAGE_SQL = `
SELECT u.d AS day, sum(u.d_in) AS input_octets, sum(u.d_out) AS output_octets
FROM (
  SELECT p.day AS d,
    greatest(toInt64(p.max_in) - toInt64(lagInFrame(p.max_in, 1, toUInt64(0)) OVER w), 0) AS d_in,
    greatest(toInt64(p.max_out) - toInt64(lagInFrame(p.max_out, 1, toUInt64(0)) OVER w), 0) AS d_out
  FROM (
    SELECT a.nas AS nas, a.acct_session_id AS sid, toDate(a.ts, {tz:String}) AS day,
      max(a.input_octets) AS max_in, max(a.output_octets) AS max_out
    FROM radius_accounting AS a
    WHERE a.username = {username:String}
      AND a.ts >= toStartOfDay(fromUnixTimestamp64Milli({now:Int64}), {tz:String}) - toIntervalDay({days:UInt32})
      AND a.ts <= fromUnixTimestamp64Milli({now:Int64})
    GROUP BY nas, sid, day
  ) AS p
  WINDOW w AS (PARTITION BY p.nas, p.sid ORDER BY p.day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
) AS u
WHERE u.d > toDate(fromUnixTimestamp64Milli({now:Int64}), {tz:String}) - {days:UInt32}
GROUP BY u.d
ORDER BY day WITH FILL
  FROM toDate(fromUnixTimestamp64Milli({now:Int64}), {tz:String}) - {days:UInt32} + 1
  TO toDate(fromUnixTimestamp64Milli({now:Int64}), {tz:String}) + 1`;

/** The last `days` days in `tz`, today included, oldest first. */
export async function dailyUsage(
  ch: Pick<ClickhouseStore, 'query'>,
  username: string,
  opts: { now: number; days: number; tz: string },
): Promise<DayUsage[]> {
  const rows = await ch.query<{ day: string; input_octets: string; output_octets: string }>(USAGE_SQL, {
    username,
    ...opts,
  });
  // ClickHouse answers 64-bit integers as strings; byte counts fit a double.
  return rows.map((r) => ({ day: r.day, inputOctets: Number(r.input_octets), outputOctets: Number(r.output_octets) }));
}
