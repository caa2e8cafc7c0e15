-- The network wispd watches: sites (towers, POPs), the devices on them, and the collectors that push telemetry.

CREATE TABLE IF NOT EXISTS site (
  id serial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  description text NOT NULL DEFAULT '',
  -- polled by a remote poller (`wispd collect --site`) rather than by the daemon itself
  remote boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS device (
  id serial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  address text NOT NULL DEFAULT '',
  port integer NOT NULL DEFAULT 161 CHECK (port BETWEEN 1 AND 65535),
  role text NOT NULL DEFAULT 'other' CHECK (role IN ('router', 'ap', 'backhaul', 'cpe', 'epc', 'switch', 'other')),
  -- the SNMP profile it is polled with (collectors/snmp/profiles); NULL: not polled over SNMP
  profile text,
  -- SNMP credentials sealed with the instance key: {"version":"2c","community":…} or {"version":"3","user":…}
  snmp_enc bytea,
  -- an EPC's Prometheus exposition, scraped by the EPC collector
  metrics_url text,
  interval_s integer NOT NULL DEFAULT 60 CHECK (interval_s BETWEEN 5 AND 86400),
  site_id integer REFERENCES site (id) ON DELETE SET NULL,
  -- topology: the device this one reaches the network through (a CPE's AP, an AP's backhaul)
  parent_id integer REFERENCES device (id) ON DELETE SET NULL,
  -- a CPE's subscriber, found by serial number or MAC address
  subscriber_id integer REFERENCES subscriber (id) ON DELETE SET NULL,
  serial text UNIQUE,
  mac text CHECK (mac ~ '^[0-9a-f]{12}$'),
  firmware text,
  status text NOT NULL DEFAULT 'unknown' CHECK (status IN ('up', 'down', 'unknown')),
  status_since timestamptz,
  last_poll_at timestamptz,
  last_poll_ms integer,
  last_error text,
  -- a CPE's last TR-069 Inform, as its ACS saw it
  last_inform_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS device_site ON device (site_id);
CREATE INDEX IF NOT EXISTS device_parent ON device (parent_id);
CREATE INDEX IF NOT EXISTS device_mac ON device (mac);

CREATE TABLE IF NOT EXISTS collector (
  id serial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  -- sha256 of the token, hex (the token itself is shown once, when the collector is added)
  token_hash text NOT NULL UNIQUE,
  site_id integer REFERENCES site (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Pollers reload a device when what they poll changes, not when its status or last poll is written.
DROP TRIGGER IF EXISTS device_change ON device;
CREATE TRIGGER device_change AFTER INSERT OR DELETE OR UPDATE OF name, address, port, role, profile, snmp_enc,
  metrics_url, interval_s, site_id, parent_id ON device FOR EACH ROW EXECUTE FUNCTION log_change();
DROP TRIGGER IF EXISTS site_change ON site;
CREATE TRIGGER site_change AFTER INSERT OR UPDATE OR DELETE ON site FOR EACH ROW EXECUTE FUNCTION log_change();
DROP TRIGGER IF EXISTS collector_change ON collector;
CREATE TRIGGER collector_change AFTER INSERT OR UPDATE OR DELETE ON collector
  FOR EACH ROW EXECUTE FUNCTION log_change();
