-- Scheduled jobs (daemon/jobs/): one row per job, shared by every daemon on this database. A run claims its tick by
-- updating the row, so one daemon runs each tick, and none while another's run is under way.
CREATE TABLE IF NOT EXISTS job (
  name text PRIMARY KEY,
  schedule text NOT NULL,
  -- the tick last claimed (the scheduled time the run is for)
  tick timestamptz,
  running_on text,
  started_at timestamptz,
  finished_at timestamptz,
  duration_ms integer,
  error text,
  runs bigint NOT NULL DEFAULT 0,
  failures bigint NOT NULL DEFAULT 0,
  next_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
