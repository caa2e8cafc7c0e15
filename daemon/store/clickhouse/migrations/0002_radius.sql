-- Every accounting record acknowledged to a NAS, written from the local spool. `record` (instance, spool position) is
-- unique: a batch replayed after a crash carries the same insert_deduplication_token and is not stored twice.
CREATE TABLE IF NOT EXISTS radius_accounting (
  ts DateTime64(3, 'UTC'),
  event_time DateTime('UTC'),
  instance UUID,
  record UInt64,
  nas LowCardinality(String),
  nas_ip IPv4,
  status LowCardinality(String),
  acct_session_id String,
  username String,
  subscriber_id UInt32,
  framed_ip IPv4,
  calling_station_id String,
  nas_port_id String,
  session_time UInt32,
  input_octets UInt64,
  output_octets UInt64,
  input_packets UInt64,
  output_packets UInt64,
  terminate_cause LowCardinality(String),
  delay_time UInt32,
  class String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (username, ts, record)
TTL toDateTime(ts) + INTERVAL 2 YEAR
SETTINGS non_replicated_deduplication_window = 10000;

-- Each Access-Request's outcome, with the reason of a reject.
CREATE TABLE IF NOT EXISTS radius_auth_log (
  ts DateTime64(3, 'UTC'),
  instance UUID,
  nas LowCardinality(String),
  nas_ip IPv4,
  username String,
  result LowCardinality(String),
  reason LowCardinality(String),
  method LowCardinality(String),
  plan LowCardinality(String),
  calling_station_id String,
  nas_port_id String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (username, ts)
TTL toDateTime(ts) + INTERVAL 1 YEAR;
