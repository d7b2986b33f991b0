-- 015_search_lexemes.sql - every lexeme of the catalog's search vectors,
-- so that a word being typed ("moon", matched as the prefix moon:*) can
-- be looked up as the few lexemes it stands for.
--
-- GIN answers a prefix by copying every row of every lexeme it matches
-- into a bitmap, then reading that bitmap back in order into the scan's
-- own: 44 ms for moon:* at a million tracks, where the lexeme 'moon'
-- itself (the only one moon:* matches) takes 11. The planner's estimate
-- of a prefix is also much rougher than that of its lexemes. The table
-- only grows (a deleted track's lexemes stay): an extra lexeme costs a
-- lookup that finds nothing, a missing one would lose matches, so every
-- statement that makes a vector adds its lexemes in the same transaction.
CREATE TABLE vc_lexemes (
    lexeme text COLLATE "C" PRIMARY KEY
);

INSERT INTO vc_lexemes
SELECT DISTINCT unnest(tsvector_to_array(search_vector)) FROM audio_tracks
ON CONFLICT DO NOTHING;

CREATE FUNCTION vc_lexemes_add_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO vc_lexemes
    SELECT DISTINCT unnest(tsvector_to_array(search_vector)) FROM vc_new_rows
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;

CREATE FUNCTION vc_lexemes_add_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO vc_lexemes SELECT unnest(tsvector_to_array(NEW.search_vector))
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;

-- Inserts (an import is one statement of a million rows) once per
-- statement; an edit that changes a vector, per row.
CREATE TRIGGER audio_tracks_lexemes_insert
    AFTER INSERT ON audio_tracks REFERENCING NEW TABLE AS vc_new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION vc_lexemes_add_rows();

CREATE TRIGGER audio_tracks_lexemes_update
    AFTER UPDATE OF title, artist, album, genre, text ON audio_tracks
    FOR EACH ROW WHEN (OLD.search_vector IS DISTINCT FROM NEW.search_vector)
    EXECUTE FUNCTION vc_lexemes_add_row();

-- The tsquery matching what the prefix p:* matches, when p is a plain
-- ASCII word that the parser keeps whole (p:* is then the one prefix
-- lower(p):*) and that begins between 1 and 16 lexemes: their OR. NULL
-- otherwise: p:* itself is the way then. It matches the same rows;
-- ts_rank would score an OR differently, so a search ranks with p:* and
-- matches with this. In PL/pgSQL with a generic plan, kept for the
-- session: a search asks this for every word typed, and planning it each
-- time cost three times running it (0.23 ms against 0.08).
CREATE FUNCTION vc_prefix_tsquery(p text) RETURNS tsquery
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    n bigint;
    q text;
BEGIN
    -- Two steps: OR does not promise to test the shape first, and
    -- to_tsquery would refuse a quote.
    IF p !~ '^[A-Za-z0-9]+$' THEN
        RETURN NULL;
    END IF;
    IF to_tsquery('simple', '''' || p || ''':*')::text <> '''' || lower(p) || ''':*' THEN
        RETURN NULL;
    END IF;
    SELECT count(*), string_agg('''' || replace(replace(l.lexeme, '\', '\\'), '''', '''''') || '''', ' | ')
      INTO n, q
      FROM (SELECT x.lexeme FROM vc_lexemes x
            WHERE x.lexeme >= lower(p)
              -- the first string past every one that begins with p
              AND x.lexeme < left(lower(p), -1) || chr(ascii(right(lower(p), 1)) + 1)
            ORDER BY x.lexeme LIMIT 17) l;
    RETURN CASE WHEN n BETWEEN 1 AND 16 THEN q::tsquery END;
END;
$$;
