-- Endpoints staff configure, and one delivery per endpoint and event: made in the event handler's transaction (so
-- an event is queued for an endpoint exactly once), sent by the delivery job with retries.
CREATE TABLE endpoint (
  id serial PRIMARY KEY,
  url text NOT NULL CHECK (url ~ '^https?://'),
  description text NOT NULL DEFAULT '',
  -- event types, or '*' for all of them
  events text[] NOT NULL CHECK (cardinality(events) > 0),
  -- the signing secret, sealed with the instance key
  secret_enc bytea NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE delivery (
  id bigserial PRIMARY KEY,
  endpoint_id integer NOT NULL REFERENCES endpoint (id) ON DELETE CASCADE,
  event_id uuid NOT NULL,
  type text NOT NULL,
  payload jsonb NOT NULL,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_at timestamptz NOT NULL DEFAULT now(),
  response_status integer,
  error text,
  duration_ms integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  UNIQUE (endpoint_id, event_id)
);
CREATE INDEX delivery_due ON delivery (next_at) WHERE status = 'queued';
CREATE INDEX delivery_endpoint ON delivery (endpoint_id, id DESC);
