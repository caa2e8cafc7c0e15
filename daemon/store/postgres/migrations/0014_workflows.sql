-- Workflows (sagas, daemon/workflows/): each run and each of its steps, so a run survives a crash and resumes from its
-- last completed step, and a failed one compensates what it did, in reverse.
CREATE TABLE IF NOT EXISTS workflow_run (
  id uuid PRIMARY KEY,
  workflow text NOT NULL,
  -- what the caller named the run by, so that starting it twice starts it once
  key text,
  input jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'compensating', 'completed', 'compensated', 'failed', 'abandoned')),
  error text,
  -- which daemon drives it, and when it last said so; a run whose owner went silent is taken over
  owner text,
  heartbeat_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workflow, key)
);
CREATE INDEX IF NOT EXISTS workflow_run_open ON workflow_run (status) WHERE status IN ('running', 'compensating');

CREATE TABLE IF NOT EXISTS workflow_step (
  run_id uuid NOT NULL REFERENCES workflow_run (id) ON DELETE CASCADE,
  idx integer NOT NULL,
  name text NOT NULL,
  status text NOT NULL CHECK (status IN ('done', 'compensated', 'failed', 'compensation_failed')),
  output jsonb,
  error text,
  attempts integer NOT NULL DEFAULT 0,
  finished_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, idx)
);
