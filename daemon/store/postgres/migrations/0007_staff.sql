-- Staff of the panel, their sessions, and the audit log of what they (and the CLI) changed.

CREATE TABLE IF NOT EXISTS staff (
  id serial PRIMARY KEY,
  -- stored lower-cased, so one address is one account whatever its spelling at login
  email text NOT NULL UNIQUE CHECK (email = lower(email)),
  -- scrypt$N$r$p$salt$key (daemon/security/password.ts): the parameters are stored with each hash
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'noc', 'billing', 'support', 'readonly')),
  disabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz
);

CREATE TABLE IF NOT EXISTS staff_session (
  -- sha256 of the cookie's token, hex: a copy of this table opens no session
  token_hash text PRIMARY KEY,
  staff_id integer NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  -- the client address at login
  address text
);
CREATE INDEX IF NOT EXISTS staff_session_staff ON staff_session (staff_id);
CREATE INDEX IF NOT EXISTS staff_session_expires ON staff_session (expires_at);

CREATE TABLE IF NOT EXISTS audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  -- NULL for the command line, or once the staff member is deleted; `actor` keeps who it was
  staff_id integer REFERENCES staff (id) ON DELETE SET NULL,
  actor text NOT NULL,
  address text,
  action text NOT NULL,
  resource text NOT NULL,
  record_id text,
  -- the record before and after the write, secrets left out
  before jsonb,
  after jsonb
);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);
CREATE INDEX IF NOT EXISTS audit_log_record ON audit_log (resource, record_id);
CREATE INDEX IF NOT EXISTS audit_log_staff ON audit_log (staff_id);
