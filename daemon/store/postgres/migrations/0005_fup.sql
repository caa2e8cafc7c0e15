-- Fair Usage Policy: quotas on plans, counters per subscriber and period, top-ups.

-- The simple case (one quota, throttle at 100 %) in columns; richer rules (several thresholds, notify/throttle/block,
-- time-of-day windows) in fup_rules, which wins when set.
ALTER TABLE plan ADD COLUMN IF NOT EXISTS fup_quota bigint CHECK (fup_quota > 0);
ALTER TABLE plan ADD COLUMN IF NOT EXISTS fup_period text CHECK (fup_period IN ('day', 'week', 'month', 'cycle'));
ALTER TABLE plan ADD COLUMN IF NOT EXISTS fup_throttle_down bigint CHECK (fup_throttle_down > 0);
ALTER TABLE plan ADD COLUMN IF NOT EXISTS fup_throttle_up bigint CHECK (fup_throttle_up > 0);
ALTER TABLE plan ADD COLUMN IF NOT EXISTS fup_rules jsonb;

-- The day of the month a subscriber's billing cycle starts (for the 'cycle' period).
ALTER TABLE subscriber ADD COLUMN IF NOT EXISTS cycle_day smallint NOT NULL DEFAULT 1 CHECK (cycle_day BETWEEN 1 AND 28);

-- Bytes counted per subscriber and period, and the highest threshold already acted on in that period.
CREATE TABLE IF NOT EXISTS fup_counter (
  subscriber_id integer NOT NULL REFERENCES subscriber (id) ON DELETE CASCADE,
  period_start timestamptz NOT NULL,
  bytes bigint NOT NULL DEFAULT 0,
  level smallint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subscriber_id, period_start)
);

-- How much of each live session's octets are already in a counter. Written in the same transaction as the counters:
-- after a restart the next update counts only what is new, never an update twice.
CREATE TABLE IF NOT EXISTS fup_session (
  nas_id integer NOT NULL,
  acct_session_id text NOT NULL,
  counted bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (nas_id, acct_session_id)
);

-- Extra bytes on top of the quota (a top-up sold, or bonus traffic given), until they expire.
CREATE TABLE IF NOT EXISTS fup_topup (
  id serial PRIMARY KEY,
  subscriber_id integer NOT NULL REFERENCES subscriber (id) ON DELETE CASCADE,
  kind text NOT NULL DEFAULT 'topup' CHECK (kind IN ('topup', 'bonus')),
  bytes bigint NOT NULL CHECK (bytes > 0),
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS fup_topup_subscriber ON fup_topup (subscriber_id, expires_at);

DROP TRIGGER IF EXISTS fup_topup_change ON fup_topup;
CREATE TRIGGER fup_topup_change AFTER INSERT OR UPDATE OR DELETE ON fup_topup FOR EACH ROW EXECUTE FUNCTION log_change();
