-- 014_track_json_text.sql - a track's public JSON as json text as well as
-- jsonb. A search page builds twenty of them: jsonb_build_object parses
-- every value into jsonb, jsonb_agg copies them again and ::text prints
-- them back, about a third of a page's cost; json_build_object writes the
-- text once. The shape stays in one place: vc_track_json is this one as
-- jsonb (whose output orders keys its own way, as before).
CREATE FUNCTION vc_track_json_text(t audio_tracks) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', t.id, 'status', t.status, 'title', t.title, 'artist', t.artist,
        'album', t.album, 'genre', t.genre, 'year', t.year, 'duration', t.duration,
        'channels', t.channels, 'sample_rate', t.sample_rate, 'bitrate', t.bitrate,
        'format', t.format, 'audio_path', t.audio_path, 'thumbnail_path', t.thumbnail_path,
        'error_message', t.error_message, 'retry_count', t.retry_count,
        'created_at', t.created_at, 'updated_at', t.updated_at,
        'text', t.text, 'voice', t.voice, 'language', t.language, 'model', t.model,
        'audio_url', CASE WHEN t.cache_key IS NOT NULL AND t.status = 'COMPLETED'
                          THEN '/tts/audio/' || t.cache_key || '.' || coalesce(t.format, 'wav') END)
$$;

CREATE OR REPLACE FUNCTION vc_track_json(t audio_tracks) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT vc_track_json_text(t)::jsonb
$$;
