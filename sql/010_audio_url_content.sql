-- 010_audio_url_content.sql - a track's audio_url is its content-addressed,
-- immutable URL (/tts/audio/<sha256>.<format>), which nginx serves from
-- the disk cache without a worker; /tts/<id>.<format> keeps working for
-- links handed out before.
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
                          THEN '/tts/audio/' || t.cache_key || '.' || coalesce(t.format, 'wav') END)
$$;
