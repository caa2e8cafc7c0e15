-- The attributes of an accounting record whose values did not fit their column, as the NAS sent them.
ALTER TABLE radius_accounting ADD COLUMN IF NOT EXISTS clamped Map(LowCardinality(String), String) AFTER class;
