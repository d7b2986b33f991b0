-- 001_foundation.sql - what every later migration may rely on.
--
-- schema_migrations itself is created by `voxcat migrate`. This file holds
-- the shared helper that keeps updated_at current, so each table's trigger
-- is one line.

CREATE OR REPLACE FUNCTION vc_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
