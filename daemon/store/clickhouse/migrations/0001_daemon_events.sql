-- Each start and stop of a wispd process: when it restarted, how long it took to boot, what it ran with.
CREATE TABLE IF NOT EXISTS daemon_events (
  ts DateTime64(3, 'UTC'),
  instance UUID,
  host LowCardinality(String),
  pid UInt32,
  version LowCardinality(String),
  event LowCardinality(String),
  detail String
) ENGINE = MergeTree
ORDER BY (ts, host)
TTL toDateTime(ts) + INTERVAL 2 YEAR;
