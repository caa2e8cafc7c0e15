-- Telemetry samples as they come (counters already turned into rates), kept 30 days, rolled up by materialized
-- views into 5-minute buckets (kept 1 year) and, from those, 1-hour buckets (kept 3 years). A batch carries a
-- deduplication token (its id): a batch delivered twice (a remote poller's retry, a replay from the spool) is stored
-- once, in the raw table and in the rollups alike.
--
-- The raw table's names are plain String: text formats parse them several times faster than LowCardinality, and
-- sorted by device and metric they compress just as well.
CREATE TABLE IF NOT EXISTS telemetry_raw (
  ts DateTime64(3, 'UTC'),
  site String,
  device String,
  metric String,
  instance String,
  value Float64
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (device, metric, instance, ts)
TTL toDateTime(ts) + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS telemetry_5m (
  bucket DateTime('UTC'),
  site LowCardinality(String),
  device LowCardinality(String),
  metric LowCardinality(String),
  instance String,
  min SimpleAggregateFunction(min, Float64),
  max SimpleAggregateFunction(max, Float64),
  sum SimpleAggregateFunction(sum, Float64),
  count SimpleAggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (device, metric, instance, site, bucket)
TTL bucket + INTERVAL 1 YEAR
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS telemetry_5m_mv TO telemetry_5m AS
SELECT toStartOfFiveMinutes(ts) AS bucket, site, device, metric, instance,
  min(value) AS min, max(value) AS max, sum(value) AS sum, count() AS count
FROM telemetry_raw GROUP BY bucket, site, device, metric, instance;

CREATE TABLE IF NOT EXISTS telemetry_1h (
  bucket DateTime('UTC'),
  site LowCardinality(String),
  device LowCardinality(String),
  metric LowCardinality(String),
  instance String,
  min SimpleAggregateFunction(min, Float64),
  max SimpleAggregateFunction(max, Float64),
  sum SimpleAggregateFunction(sum, Float64),
  count SimpleAggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (device, metric, instance, site, bucket)
TTL bucket + INTERVAL 3 YEAR
SETTINGS non_replicated_deduplication_window = 10000;

-- Fed by the 5-minute rows of each insert, not by the raw samples: a fraction of the work.
CREATE MATERIALIZED VIEW IF NOT EXISTS telemetry_1h_mv TO telemetry_1h AS
SELECT toStartOfHour(bucket) AS bucket, site, device, metric, instance,
  min(min) AS min, max(max) AS max, sum(sum) AS sum, sum(count) AS count
FROM telemetry_5m GROUP BY bucket, site, device, metric, instance;

-- Devices going up and down (the SLA engine reads these).
CREATE TABLE IF NOT EXISTS device_events (
  ts DateTime64(3, 'UTC'),
  site LowCardinality(String),
  device LowCardinality(String),
  event LowCardinality(String),
  detail String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (device, ts)
TTL toDateTime(ts) + INTERVAL 3 YEAR
SETTINGS non_replicated_deduplication_window = 1000;
