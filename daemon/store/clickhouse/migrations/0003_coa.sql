-- Every CoA-Request and Disconnect-Request wispd sent: who or what asked, what it said, how it ended.
CREATE TABLE IF NOT EXISTS coa_ledger (
  ts DateTime64(3, 'UTC'),
  instance UUID,
  nas LowCardinality(String),
  nas_address String,
  kind LowCardinality(String),
  action LowCardinality(String),
  actor String,
  reason String,
  username String,
  acct_session_id String,
  framed_ip String,
  attributes String,
  attempts UInt8,
  outcome LowCardinality(String),
  error_cause LowCardinality(String),
  latency_ms Float32,
  fallback_of LowCardinality(String)
) ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (username, ts)
TTL toDateTime(ts) + INTERVAL 2 YEAR;
