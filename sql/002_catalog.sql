-- 002_catalog.sql - the audio catalog (seed 002) plus what speech needs,
-- the generated audio itself, the audit log and API tokens.

CREATE TABLE audio_tracks (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    status          text NOT NULL DEFAULT 'PENDING'
                    CHECK (status IN ('PENDING', 'PROCESSING', 'COMPLETED', 'FAILED')),
    artist          text,
    title           text NOT NULL DEFAULT '',
    album           text,
    genre           text,
    year            integer CHECK (year BETWEEN 1800 AND 2100),
    duration        double precision CHECK (duration >= 0),
    channels        integer CHECK (channels BETWEEN 1 AND 16),
    sample_rate     integer CHECK (sample_rate > 0),
    bitrate         integer CHECK (bitrate > 0),
    format          text,
    audio_path      text,
    thumbnail_path  text,
    error_message   text,
    retry_count     integer NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- speech
    text            text,
    voice           text,
    language        text,
    model           text,
    cache_key       text,
    lease_until     timestamptz,
    search_vector   tsvector
);

-- 'simple' rather than 'english': titles, artists and spoken text come in
-- many languages, and stemming English words would mangle names.
CREATE FUNCTION vc_tracks_search_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('simple', coalesce(NEW.title, '') || ' ' || coalesce(NEW.artist, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(NEW.album, '')), 'B') ||
        setweight(to_tsvector('simple', coalesce(NEW.genre, '') || ' ' || left(coalesce(NEW.text, ''), 2000)), 'C');
    RETURN NEW;
END;
$$;

CREATE TRIGGER audio_tracks_search_vector
    BEFORE INSERT OR UPDATE OF title, artist, album, genre, text ON audio_tracks
    FOR EACH ROW EXECUTE FUNCTION vc_tracks_search_vector();

CREATE TRIGGER audio_tracks_updated_at
    BEFORE UPDATE ON audio_tracks
    FOR EACH ROW EXECUTE FUNCTION vc_touch_updated_at();

CREATE INDEX audio_tracks_search ON audio_tracks USING gin (search_vector);
-- The default listing and the tie-break of every ranked search.
CREATE INDEX audio_tracks_created ON audio_tracks (created_at DESC, id);
-- Filters: status and genre are low-cardinality but used alone by the
-- admin page; year ranges; format with status for the facets.
CREATE INDEX audio_tracks_status ON audio_tracks (status, created_at DESC);
CREATE INDEX audio_tracks_genre ON audio_tracks (genre);
CREATE INDEX audio_tracks_year ON audio_tracks (year);
CREATE UNIQUE INDEX audio_tracks_cache_key ON audio_tracks (cache_key) WHERE cache_key IS NOT NULL;

-- Generated audio bytes, keyed by the content hash of the request: the
-- source of truth the disk cache is rebuilt from.
CREATE TABLE audio_blobs (
    cache_key   text PRIMARY KEY CHECK (cache_key ~ '^[0-9a-f]{64}$'),
    wav         bytea NOT NULL,
    bytes       integer NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    action      text NOT NULL,
    resource    text NOT NULL,
    actor       text,
    ip          text,
    status      text,
    detail      jsonb
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE api_tokens (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name          text NOT NULL UNIQUE,
    token_sha256  text NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz
);

-- The one public JSON shape of a track, shared by /search, /status/{id}
-- and /tts so it cannot drift between them.
CREATE FUNCTION vc_track_json(t audio_tracks) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', t.id, 'status', t.status, 'title', t.title, 'artist', t.artist,
        'album', t.album, 'genre', t.genre, 'year', t.year, 'duration', t.duration,
        'channels', t.channels, 'sample_rate', t.sample_rate, 'bitrate', t.bitrate,
        'format', t.format, 'audio_path', t.audio_path, 'thumbnail_path', t.thumbnail_path,
        'error_message', t.error_message, 'retry_count', t.retry_count,
        'created_at', t.created_at, 'updated_at', t.updated_at,
        'text', t.text, 'voice', t.voice, 'language', t.language, 'model', t.model,
        'audio_url', CASE WHEN t.cache_key IS NOT NULL AND t.status = 'COMPLETED'
                          THEN '/tts/' || t.id || '.wav' END)
$$;
