-- 018_prefix_expansion.sql - a prefix that begins more than 16 of the
-- catalog's lexemes matches the 16 most common of them.
--
-- Past 16 lexemes (015) a prefix went to GIN's partial match, which
-- copies every row of every lexeme it begins into a bitmap and sorts it:
-- "ocean ra" on a million tracks, 'ra' beginning 1 119 lexemes, spent 19.5
-- of its 26 ms there, and such pages (a word and two or three letters
-- being typed) were the slowest searches but phrases. Search engines
-- bound a prefix's expansion for the same reason (Elasticsearch's
-- max_expansions); the 16 kept here are the commonest, so "ocean ra"
-- finds "Ocean Rain" at once (that index scan 19.5 -> 5.8 ms) and a rarer
-- word once more of it is typed. The bench's typed mix on a million tracks, three paired runs:
-- 704/731/716 against 612/635/602 searches a second, PostgreSQL's CPU a
-- search 2.5 against 2.9 ms.
--
-- How common a lexeme is comes from the planner's statistics of the
-- search vector (5 000 lexemes, 013), copied into vc_lexemes.freq after
-- each ANALYZE by vc_lexemes_rank(), which the speech workers call when
-- idle. A prefix none of whose lexemes is among them stays a prefix.
ALTER TABLE vc_lexemes ADD COLUMN freq real NOT NULL DEFAULT 0;

-- The lexemes the statistics name: a prefix's most common are looked for
-- among these few thousand only.
CREATE INDEX vc_lexemes_common ON vc_lexemes (lexeme) WHERE freq > 0;

-- When the statistics vc_lexemes.freq holds were made.
CREATE TABLE vc_lexemes_ranked (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    analyzed_at timestamptz
);
INSERT INTO vc_lexemes_ranked DEFAULT VALUES;

-- Copy the search vector's lexeme frequencies into vc_lexemes.freq if
-- audio_tracks was analyzed since the last copy; whether it copied. One
-- session at a time (the others skip: the copy is the same).
CREATE FUNCTION vc_lexemes_rank() RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    at timestamptz := greatest(pg_stat_get_last_analyze_time('audio_tracks'::regclass),
                               pg_stat_get_last_autoanalyze_time('audio_tracks'::regclass));
BEGIN
    IF at IS NULL OR at <= coalesce((SELECT analyzed_at FROM vc_lexemes_ranked), '-infinity')
       OR NOT pg_try_advisory_xact_lock(hashtext('vc_lexemes_rank')) THEN
        RETURN false;
    END IF;
    UPDATE vc_lexemes SET freq = 0 WHERE freq > 0;
    -- most_common_elem_freqs has three more entries than the elements
    -- (their minimum, maximum and the share of empty vectors): unnest
    -- pairs those with NULL.
    UPDATE vc_lexemes l SET freq = s.f
      FROM (SELECT unnest(most_common_elems::text::text[]) AS e,
                   unnest(most_common_elem_freqs) AS f
              FROM pg_stats
             WHERE schemaname = current_schema() AND tablename = 'audio_tracks'
               AND attname = 'search_vector') s
     WHERE l.lexeme = s.e AND s.f > 0;
    UPDATE vc_lexemes_ranked SET analyzed_at = at;
    RETURN true;
END;
$$;

-- As in 015, and past 16 lexemes the 16 most common (see above).
CREATE OR REPLACE FUNCTION vc_prefix_tsquery(p text) RETURNS tsquery
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
    IF n <= 16 THEN
        RETURN CASE WHEN n > 0 THEN q::tsquery END;
    END IF;
    SELECT string_agg('''' || replace(replace(l.lexeme, '\', '\\'), '''', '''''') || '''', ' | ')
      INTO q
      FROM (SELECT x.lexeme FROM vc_lexemes x
            WHERE x.freq > 0 AND x.lexeme >= lower(p)
              AND x.lexeme < left(lower(p), -1) || chr(ascii(right(lower(p), 1)) + 1)
            ORDER BY x.freq DESC, x.lexeme LIMIT 16) l;
    RETURN q::tsquery;
END;
$$;

SELECT vc_lexemes_rank();
