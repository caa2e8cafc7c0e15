-- The restriction stack: a subscriber may be restricted for several reasons at once, each with its effect; the most
-- severe is in force, and lifting one reason never lifts another. Fair usage (`fup`) is not stored here: the FUP
-- engine derives it from the counters (fup_counter), so a new period ends it without a write.
CREATE TABLE IF NOT EXISTS subscriber_restriction (
  subscriber_id integer NOT NULL REFERENCES subscriber (id) ON DELETE CASCADE,
  reason text NOT NULL CHECK (reason IN ('dunning', 'manual', 'pending_install')),
  effect text NOT NULL CHECK (effect IN ('throttle', 'walled_garden', 'reject')),
  rate_down bigint CHECK (rate_down > 0),
  rate_up bigint CHECK (rate_up > 0),
  -- the walled garden's address list on the NAS (MikroTik); NULL for radius.walled_garden.address_list
  profile text,
  note text NOT NULL DEFAULT '',
  actor text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subscriber_id, reason),
  CHECK ((effect = 'throttle') = (rate_down IS NOT NULL AND rate_up IS NOT NULL)),
  CHECK (effect = 'walled_garden' OR profile IS NULL)
);

-- A restriction is part of its subscriber in the RADIUS cache: a change reloads the subscriber.
CREATE OR REPLACE FUNCTION log_restriction_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_log (tbl, row_id, op)
  VALUES ('subscriber', CASE WHEN TG_OP = 'DELETE' THEN OLD.subscriber_id ELSE NEW.subscriber_id END, 'U');
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS subscriber_restriction_change ON subscriber_restriction;
CREATE TRIGGER subscriber_restriction_change AFTER INSERT OR UPDATE OR DELETE ON subscriber_restriction
  FOR EACH ROW EXECUTE FUNCTION log_restriction_change();

-- `status` says `suspended` while a `manual` restriction stands (lists filter on it; access follows the restriction).
CREATE OR REPLACE FUNCTION mirror_manual_restriction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    UPDATE subscriber SET status = 'active', updated_at = now() WHERE id = OLD.subscriber_id AND status = 'suspended';
  ELSE
    UPDATE subscriber SET status = 'suspended', updated_at = now() WHERE id = NEW.subscriber_id AND status = 'active';
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS subscriber_restriction_set ON subscriber_restriction;
CREATE TRIGGER subscriber_restriction_set AFTER INSERT ON subscriber_restriction
  FOR EACH ROW WHEN (NEW.reason = 'manual') EXECUTE FUNCTION mirror_manual_restriction();
DROP TRIGGER IF EXISTS subscriber_restriction_lifted ON subscriber_restriction;
CREATE TRIGGER subscriber_restriction_lifted AFTER DELETE ON subscriber_restriction
  FOR EACH ROW WHEN (OLD.reason = 'manual') EXECUTE FUNCTION mirror_manual_restriction();

-- A suspended subscriber was one restricted by staff: the walled garden when it is enabled, else a reject.
INSERT INTO subscriber_restriction (subscriber_id, reason, effect, note, actor)
  SELECT id, 'manual', 'walled_garden', 'suspended before restrictions had reasons', 'migration'
    FROM subscriber WHERE status = 'suspended'
  ON CONFLICT DO NOTHING;
