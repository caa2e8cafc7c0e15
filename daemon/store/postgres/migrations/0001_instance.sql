-- This deployment's identity: created once, on the first boot against this database. Events in ClickHouse and
-- NATS consumers carry it, so two deployments sharing a server never mix their data.
CREATE TABLE IF NOT EXISTS instance (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now(),
  singleton boolean NOT NULL DEFAULT true UNIQUE CHECK (singleton)
);

INSERT INTO instance DEFAULT VALUES ON CONFLICT (singleton) DO NOTHING;
