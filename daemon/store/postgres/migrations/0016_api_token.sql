-- Tokens of the REST API (/api/v1/): made by an admin, shown once, kept as a SHA-256 hash (a token is 32 random
-- bytes: a slow hash adds nothing), each with a staff role and an optional expiry.
CREATE TABLE IF NOT EXISTS api_token (
  id serial PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
  token_hash text NOT NULL UNIQUE,
  role text NOT NULL,
  expires_at timestamptz,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
