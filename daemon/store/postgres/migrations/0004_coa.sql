-- Where a session's NAS is (its CoA and Disconnect go there), and the last CoA or Disconnect sent for it.
ALTER TABLE radius_session ADD COLUMN IF NOT EXISTS nas_address inet;
ALTER TABLE radius_session ADD COLUMN IF NOT EXISTS last_coa_at timestamptz;
ALTER TABLE radius_session ADD COLUMN IF NOT EXISTS last_coa_action text;
ALTER TABLE radius_session ADD COLUMN IF NOT EXISTS last_coa_outcome text;
