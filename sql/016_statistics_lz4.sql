-- 016_statistics_lz4.sql - the planner's statistics compressed with lz4.
--
-- Every plan of a search reads the search vector's statistics (013 keeps
-- 5 000 lexemes: 20-30 kB in pg_statistic) and decompresses them anew:
-- the catalog caches the compressed value. pg_statistic has no compression
-- of its own, so the server's default_toast_compression picks it when
-- ANALYZE writes them, and pglz, the default, is slow to undo. With lz4
-- planning a weight class's page went from 0.33 to 0.21 ms, and the bench's
-- typed mix on a million tracks from 488 to 523 searches/s (four paired
-- runs, PostgreSQL's CPU per search 3.69 -> 3.43 ms).
--
-- The database's setting reaches every new session, autovacuum's ANALYZE
-- included; this one sets it for the ANALYZE below so that the statistics
-- are lz4 at once. A server built without lz4, or a migrating role that
-- may not alter the database, keeps pglz: slower, not wrong.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_settings
                    WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        RAISE NOTICE 'this server has no lz4: statistics stay pglz';
        RETURN;
    END IF;
    IF NOT pg_has_role((SELECT datdba FROM pg_database WHERE datname = current_database()),
                       'MEMBER') THEN
        RAISE NOTICE 'only the database''s owner may set its compression: statistics stay pglz';
        RETURN;
    END IF;
    EXECUTE format('ALTER DATABASE %I SET default_toast_compression = lz4', current_database());
    SET LOCAL default_toast_compression = lz4;
END
$$;

ANALYZE audio_tracks;
