-- The notification hub (daemon/notify/): templates as edited in the panel (the defaults are in the code), each
-- customer's preferences, every message with its delivery, and the per-customer inbox the portal shows.
CREATE TABLE IF NOT EXISTS notify_template (
  name text PRIMARY KEY,
  subject text NOT NULL,
  text_body text NOT NULL,
  html_body text NOT NULL DEFAULT '',
  sms_body text NOT NULL DEFAULT '',
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A row turns a channel off (or back on) for a category; without one, every channel is on.
CREATE TABLE IF NOT EXISTS notify_preference (
  customer_id integer NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
  category text NOT NULL,
  channel text NOT NULL CHECK (channel IN ('email', 'sms', 'webhook', 'inbox')),
  enabled boolean NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, category, channel)
);

CREATE TABLE IF NOT EXISTS notify_message (
  id bigserial PRIMARY KEY,
  channel text NOT NULL CHECK (channel IN ('email', 'sms', 'webhook', 'inbox')),
  recipient text NOT NULL,
  customer_id integer REFERENCES customer (id) ON DELETE SET NULL,
  template text NOT NULL,
  category text NOT NULL,
  critical boolean NOT NULL DEFAULT false,
  -- one message per key and channel, ever: a second notify with the key is not sent
  dedupe_key text,
  -- a burst under one key is folded into a digest
  digest_key text,
  subject text NOT NULL,
  body text NOT NULL,
  html text NOT NULL DEFAULT '',
  -- queued: to send at next_at; held: folded into the digest sent at next_at; sent; failed (after its attempts);
  -- suppressed: the customer turned the channel off; folded: sent inside a digest (digest_id)
  status text NOT NULL CHECK (status IN ('queued', 'held', 'sent', 'failed', 'suppressed', 'folded')),
  attempts integer NOT NULL DEFAULT 0,
  next_at timestamptz NOT NULL DEFAULT now(),
  provider_id text,
  error text,
  digest_id bigint REFERENCES notify_message (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS notify_message_dedupe ON notify_message (dedupe_key, channel, recipient)
  WHERE dedupe_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS notify_message_due ON notify_message (next_at) WHERE status IN ('queued', 'held');
CREATE INDEX IF NOT EXISTS notify_message_digest ON notify_message (digest_key, channel, recipient, created_at)
  WHERE digest_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS notify_message_customer ON notify_message (customer_id, created_at);

CREATE TABLE IF NOT EXISTS notify_inbox (
  id bigserial PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
  message_id bigint NOT NULL REFERENCES notify_message (id) ON DELETE CASCADE,
  category text NOT NULL,
  title text NOT NULL,
  body text NOT NULL,
  read_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS notify_inbox_customer ON notify_inbox (customer_id, created_at DESC);
