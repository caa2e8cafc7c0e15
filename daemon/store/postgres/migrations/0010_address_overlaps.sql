-- One NAS per source address: a NAS whose address (or subnet) overlaps another's would make the secret used for a
-- packet depend on lookup order. One subscriber per static IP. Checked by triggers rather than constraints so that an
-- existing database holding such rows still upgrades (they are refused from the next write on). Each raises
-- exclusion_violation naming the other record; the lock makes concurrent writes take turns.
CREATE OR REPLACE FUNCTION nas_address_free() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  other record;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('wispd.nas.address'));
  SELECT name, address INTO other FROM nas WHERE id <> NEW.id AND address && NEW.address ORDER BY name LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'exclusion_violation',
      MESSAGE = format('address %s overlaps NAS "%s" (%s)', NEW.address, other.name, other.address);
  END IF;
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS nas_address_free ON nas;
CREATE TRIGGER nas_address_free BEFORE INSERT OR UPDATE OF address ON nas
  FOR EACH ROW EXECUTE FUNCTION nas_address_free();

CREATE OR REPLACE FUNCTION subscriber_static_ip_free() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  other text;
BEGIN
  IF NEW.static_ip IS NULL THEN
    RETURN NEW;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('wispd.subscriber.static_ip'));
  SELECT username INTO other FROM subscriber WHERE id <> NEW.id AND static_ip = NEW.static_ip ORDER BY username LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'exclusion_violation',
      MESSAGE = format('static IP %s is already subscriber "%s"''s', host(NEW.static_ip), other);
  END IF;
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS subscriber_static_ip_free ON subscriber;
CREATE TRIGGER subscriber_static_ip_free BEFORE INSERT OR UPDATE OF static_ip ON subscriber
  FOR EACH ROW EXECUTE FUNCTION subscriber_static_ip_free();
