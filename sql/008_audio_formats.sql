-- 008_audio_formats.sql - audio in more formats than WAV: a blob says
-- which it holds, and a track's audio_url carries its format's extension.
-- The bytes stay in the column called "wav" whatever their format: a
-- rename would break the workers of a host not yet upgraded.
ALTER TABLE audio_blobs
    ADD COLUMN format text NOT NULL DEFAULT 'wav'
        CHECK (format IN ('wav', 'mp3', 'opus', 'aac', 'flac', 'pcm'));

CREATE OR REPLACE FUNCTION vc_track_json(t audio_tracks) RETURNS jsonb
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
                          THEN '/tts/' || t.id || '.' || coalesce(t.format, 'wav') END)
$$;
