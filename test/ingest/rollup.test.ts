// The telemetry rollups (materialized views of migration 0004) against embedded chDB: an hour of samples written
// through the telemetry writer, in several inserts and out of time order, gives exactly the 5-minute and hourly
// min/max/sum/count computed here from the same samples; a batch with an id delivered twice counts once in both.
import t from 'tap';
import { type RowBatch, RowBuilder, rowSource } from '../../contracts/telemetry/index.ts';
import { randomId, silentLog } from '../helpers/env.ts';
import { embeddedTelemetry } from '../helpers/telemetry.ts';

const _log = silentLog();
const HOUR = 3_600_000;
const FIVE_MIN = 300_000;
const STEP = 10_000;
const SAMPLES = HOUR / STEP;

interface Sample {
  device: string;
  metric: string;
  ts: number;
  value: number;
}

interface Bucket {
  device: string;
  metric: string;
  bucket: number;
  min: number;
  max: number;
  sum: number;
  count: number;
}

/** Rollups computed here, not by ClickHouse: min, max, sum and count per series and bucket. */
function expected(samples: readonly Sample[], width: number): Bucket[] {
  const out = new Map<string, Bucket>();
  for (const s of samples) {
    const bucket = (s.ts - (s.ts % width)) / 1000;
    const key = `${s.device}|${s.metric}|${bucket}`;
    const b = out.get(key);
    if (!b) {
      out.set(key, { device: s.device, metric: s.metric, bucket, min: s.value, max: s.value, sum: s.value, count: 1 });
      continue;
    }
    b.min = Math.min(b.min, s.value);
    b.max = Math.max(b.max, s.value);
    b.sum += s.value;
    b.count++;
  }
  // ClickHouse's ORDER BY compares strings byte by byte.
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return [...out.values()].sort((a, b) => cmp(a.device, b.device) || cmp(a.metric, b.metric) || a.bucket - b.bucket);
}

function batchOf(samples: readonly Sample[], id?: string): RowBatch {
  const rows = new RowBuilder();
  for (const s of samples) rows.add(s.ts, rowSource('north', s.device), s.metric, 'wlan0', s.value);
  const b = rows.take()!;
  return id ? { ...b, id } : b;
}

t.test('telemetry rollups', async (t) => {
  // Small inserts: the rollups of one series are spread over several parts, as they are in production.
  const { ch, writer } = await embeddedTelemetry(t, { batch_rows: 300, batch_interval: 50, max_pending_rows: 100_000 });

  // An hour-aligned hour, two hours back (inside the raw table's TTL). Timestamps wander within their 10 s slot, some
  // of them to the last millisecond before a bucket's end, so bucket edges are exercised both ways.
  const start = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
  const run = randomId();
  const devices = [`ap-${run}-a`, `ap-${run}-b`];
  const metrics = ['radio.signal_dbm', 'if.in_bps'];
  const samples: Sample[] = [];
  for (const [d, device] of devices.entries()) {
    for (const [m, metric] of metrics.entries()) {
      for (let i = 0; i < SAMPLES; i++) {
        const jitter = i % 30 === 29 ? STEP - 1 : ((i * 7 + d * 3 + m) % 10) * 997;
        // Multiples of 0.25: every sum is exact in Float64, whatever the order ClickHouse adds them in.
        const value = (((i * 37 + d * 101 + m * 53) % 211) - 105) * 0.25 + (m === 1 ? 1_000_000 * (d + 1) : 0);
        samples.push({ device, metric, ts: start + i * STEP + jitter, value });
      }
    }
  }

  // One series is a batch with an id, delivered twice (before and after the rest); the other samples go in batches of
  // 250, shuffled across series and time.
  const repeated = samples.filter((s) => s.device === devices[1] && s.metric === metrics[1]);
  const rest = samples.filter((s) => !repeated.includes(s));
  const shuffled = rest.map((s, i) => ({ s, k: (i * 7919) % rest.length })).sort((a, b) => a.k - b.k);
  const id = `rollup-test:${run}`;
  await writer.write(batchOf(repeated, id));
  const writes: Promise<void>[] = [];
  for (let i = 0; i < shuffled.length; i += 250) {
    writes.push(writer.write(batchOf(shuffled.slice(i, i + 250).map((x) => x.s))));
  }
  // flush() drives the queue to the end: the writer's own timer is unref'd and would not keep this process alive.
  await Promise.all([...writes, writer.flush()]);
  const inserts = writer.counters().inserts ?? 0;
  t.ok(inserts >= 6, `several inserts (${inserts})`);
  await Promise.all([writer.write(batchOf(repeated, id)), writer.flush()]);
  t.equal(writer.counters().inserts, inserts + 1, 'the repeat was sent (for ClickHouse to drop)');
  await writer.stop();

  const params = { devices };
  const raw = await ch.query<{ n: string }>(
    'SELECT count() AS n FROM telemetry_raw WHERE device IN {devices:Array(String)}',
    params,
  );
  t.equal(Number(raw[0]!.n), samples.length, 'every sample once in telemetry_raw');

  // AggregatingMergeTree parts may not be merged yet: the query aggregates them itself.
  const rollup = async (table: string): Promise<Bucket[]> =>
    (
      await ch.query<{
        device: string;
        metric: string;
        bucket: number;
        min: number;
        max: number;
        sum: number;
        count: string;
      }>(
        `SELECT device, metric, toUnixTimestamp(bucket) AS bucket, min(min) AS min, max(max) AS max, sum(sum) AS sum,
           sum(count) AS count
         FROM ${table} WHERE device IN {devices:Array(String)} AND site = 'north' AND instance = 'wlan0'
         GROUP BY device, metric, bucket ORDER BY device, metric, bucket`,
        params,
      )
    ).map((r) => ({ ...r, count: Number(r.count) }));

  const five = expected(samples, FIVE_MIN);
  t.equal(five.length, devices.length * metrics.length * 12, '12 five-minute buckets per series');
  t.ok(
    five.every((b) => b.count === 30),
    'the samples fill each bucket evenly (a check on the expectation itself)',
  );
  const got5 = await rollup('telemetry_5m');
  t.same(got5, five, 'telemetry_5m: exact min, max, sum and count per bucket');

  const hour = expected(samples, HOUR);
  t.equal(hour.length, devices.length * metrics.length, 'one hourly bucket per series');
  t.equal(hour[0]!.bucket, start / 1000);
  t.same(await rollup('telemetry_1h'), hour, 'telemetry_1h: exact min, max, sum and count for the hour');

  const twice = got5.filter((b) => b.device === devices[1] && b.metric === metrics[1]);
  t.same(
    twice.map((b) => b.count),
    new Array(12).fill(30),
    'the batch delivered twice is counted once in the rollups',
  );
});
