-- Every change to a table a cache mirrors, in order. Triggers append here; each wispd process polls it (a few times a
-- second) and applies what changed. Unlike LISTEN/NOTIFY it works the same on PGlite and PostgreSQL, and a process
-- that was away catches up from where it stopped. Old rows are pruned by the daemon.
CREATE TABLE IF NOT EXISTS change_log (
  seq bigserial PRIMARY KEY,
  tbl text NOT NULL,
  row_id bigint NOT NULL,
  op char(1) NOT NULL CHECK (op IN ('I', 'U', 'D')),
  at timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_log (tbl, row_id, op)
  VALUES (TG_TABLE_NAME, CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END, left(TG_OP, 1));
  RETURN NULL;
END $$;
