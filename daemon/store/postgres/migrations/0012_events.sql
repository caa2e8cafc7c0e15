-- Core events for plugins (daemon/events/): the log they are read from, each consumer's place in it, and the inbox
-- that makes a handler's effect happen once however often an event is delivered.
CREATE TABLE IF NOT EXISTS event_log (
  seq bigserial PRIMARY KEY,
  id uuid NOT NULL UNIQUE,
  type text NOT NULL,
  subject text NOT NULL,
  occurred_at timestamptz NOT NULL,
  data jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS event_log_type ON event_log (type, seq);
CREATE INDEX IF NOT EXISTS event_log_occurred ON event_log (occurred_at);

-- Where each consumer (a plugin's handler) has read to; it may lag what it handled: the inbox has the rest.
CREATE TABLE IF NOT EXISTS event_cursor (
  consumer text PRIMARY KEY,
  seq bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS event_inbox (
  consumer text NOT NULL,
  event_id uuid NOT NULL,
  handled_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);

-- Events a handler kept failing on after its retries: counted, logged, kept for a retry once it is fixed.
CREATE TABLE IF NOT EXISTS event_dead (
  consumer text NOT NULL,
  event_id uuid NOT NULL,
  error text NOT NULL,
  attempts integer NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
