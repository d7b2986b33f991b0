-- 009_cache_key_hex.sql - a track's cache_key is the sha256 of its audio's
-- request, as audio_blobs already insists: import can no longer store any
-- 64 bytes there. NOT VALID: rows from before are left as they are.
ALTER TABLE audio_tracks ADD CONSTRAINT audio_tracks_cache_key_hex
    CHECK (cache_key ~ '^[0-9a-f]{64}$') NOT VALID;
