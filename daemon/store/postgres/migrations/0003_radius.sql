-- The NAS/BRAS that may send RADIUS, the plans and the subscribers they authenticate, and the live sessions.

CREATE TABLE IF NOT EXISTS nas (
  id serial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  -- a host (/32, /128) or a subnet; a packet from an address no NAS covers is dropped
  address cidr NOT NULL,
  -- the shared secret, sealed with the instance key (never stored or returned in clear)
  secret_enc bytea NOT NULL,
  vendor text NOT NULL DEFAULT 'generic' CHECK (vendor IN ('mikrotik', 'cisco', 'juniper', 'generic')),
  coa_port integer NOT NULL DEFAULT 3799 CHECK (coa_port BETWEEN 1 AND 65535),
  -- RFC 3579 §3.2; BlastRADIUS (CVE-2024-3596): on by default, off only for NAS that cannot send it
  require_message_authenticator boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS plan (
  id serial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  -- bits per second, as the subscriber sees them: down = towards the subscriber
  rate_down bigint NOT NULL CHECK (rate_down > 0),
  rate_up bigint NOT NULL CHECK (rate_up > 0),
  burst_down bigint CHECK (burst_down > 0),
  burst_up bigint CHECK (burst_up > 0),
  -- seconds; NULL: not sent
  session_timeout integer CHECK (session_timeout > 0),
  idle_timeout integer CHECK (idle_timeout > 0),
  interim_interval integer NOT NULL DEFAULT 300 CHECK (interim_interval >= 60),
  -- Framed-Pool for subscribers without a static address
  ip_pool text,
  simultaneous_use integer NOT NULL DEFAULT 1 CHECK (simultaneous_use > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS subscriber (
  id serial PRIMARY KEY,
  username text NOT NULL UNIQUE,
  -- sealed with the instance key: CHAP and MS-CHAPv2 need the password itself
  password_enc bytea NOT NULL,
  plan_id integer NOT NULL REFERENCES plan (id),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'expired')),
  -- after this instant the subscriber is treated as expired
  expires_at timestamptz,
  static_ip inet,
  -- Calling-Station-Id binding: 12 lower-case hex digits, NULL for none
  mac text CHECK (mac ~ '^[0-9a-f]{12}$'),
  -- overrides the plan's
  simultaneous_use integer CHECK (simultaneous_use > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS subscriber_plan ON subscriber (plan_id);

-- Sessions online now (a row is deleted when its session stops or is found stale; the history is in ClickHouse).
CREATE TABLE IF NOT EXISTS radius_session (
  id bigserial PRIMARY KEY,
  nas_id integer NOT NULL REFERENCES nas (id) ON DELETE CASCADE,
  acct_session_id text NOT NULL,
  username text NOT NULL,
  subscriber_id integer REFERENCES subscriber (id) ON DELETE SET NULL,
  framed_ip inet,
  calling_station_id text,
  nas_port_id text,
  started_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  session_time integer NOT NULL DEFAULT 0,
  input_octets bigint NOT NULL DEFAULT 0,
  output_octets bigint NOT NULL DEFAULT 0,
  interim_interval integer NOT NULL,
  UNIQUE (nas_id, acct_session_id)
);
CREATE INDEX IF NOT EXISTS radius_session_username ON radius_session (username);
CREATE INDEX IF NOT EXISTS radius_session_subscriber ON radius_session (subscriber_id);

DROP TRIGGER IF EXISTS nas_change ON nas;
CREATE TRIGGER nas_change AFTER INSERT OR UPDATE OR DELETE ON nas FOR EACH ROW EXECUTE FUNCTION log_change();
DROP TRIGGER IF EXISTS plan_change ON plan;
CREATE TRIGGER plan_change AFTER INSERT OR UPDATE OR DELETE ON plan FOR EACH ROW EXECUTE FUNCTION log_change();
DROP TRIGGER IF EXISTS subscriber_change ON subscriber;
CREATE TRIGGER subscriber_change AFTER INSERT OR UPDATE OR DELETE ON subscriber FOR EACH ROW EXECUTE FUNCTION log_change();
