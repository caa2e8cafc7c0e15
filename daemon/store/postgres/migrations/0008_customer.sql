-- Who pays: a customer holds one or more services (subscribers). Plans say what they cost and what they promise.

CREATE TABLE IF NOT EXISTS customer (
  id serial PRIMARY KEY,
  name text NOT NULL,
  email text,
  phone text,
  address text NOT NULL DEFAULT '',
  notes text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS customer_email ON customer (lower(email));
CREATE INDEX IF NOT EXISTS customer_name ON customer (lower(name));

ALTER TABLE subscriber ADD COLUMN IF NOT EXISTS customer_id integer REFERENCES customer (id) ON DELETE SET NULL;
CREATE INDEX IF NOT EXISTS subscriber_customer ON subscriber (customer_id);

-- the monthly price, in the smallest unit of `currency` (cents); NULL: not sold on its own
ALTER TABLE plan ADD COLUMN IF NOT EXISTS price_cents integer CHECK (price_cents >= 0);
ALTER TABLE plan ADD COLUMN IF NOT EXISTS currency text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$');
-- the availability promised over a billing period, in percent (99.5); NULL: no SLA
ALTER TABLE plan ADD COLUMN IF NOT EXISTS sla_target numeric(6, 3) CHECK (sla_target > 0 AND sla_target <= 100);
