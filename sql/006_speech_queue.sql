-- 006_speech_queue.sql - what a queued speech request needs to be run by
-- any worker later: its speed and speakers (the rest is in the row), and
-- an index to find the oldest waiting one.
ALTER TABLE audio_tracks ADD COLUMN speed real, ADD COLUMN speakers jsonb;

CREATE INDEX audio_tracks_queue ON audio_tracks (created_at)
    WHERE status = 'PENDING' AND cache_key IS NOT NULL AND text IS NOT NULL;
