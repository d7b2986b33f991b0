-- 005_blob_storage.sql - store audio bytes uncompressed.
--
-- PCM does not compress with pglz: EXTERNAL keeps the blob out of line
-- (TOAST) but skips the compression attempt, which bench/run showed to be
-- a large share of the cost of storing a new synthesis.
ALTER TABLE audio_blobs ALTER COLUMN wav SET STORAGE EXTERNAL;
