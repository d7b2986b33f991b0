-- 007_access_control.sql - API tokens with scopes, a daily character
-- quota and revocation, and what each token synthesised per UTC day and
-- engine (so every worker and host agrees on the quota).
ALTER TABLE api_tokens
    ADD COLUMN scopes text[] NOT NULL DEFAULT '{tts}',
    ADD COLUMN daily_chars bigint,
    ADD COLUMN revoked_at timestamptz,
    ADD CONSTRAINT api_tokens_scopes_known
        CHECK (scopes <@ ARRAY['tts', 'tts:remote', 'catalog:write', 'read', 'admin']::text[]),
    ADD CONSTRAINT api_tokens_daily_chars_positive CHECK (daily_chars IS NULL OR daily_chars >= 0),
    ADD CONSTRAINT api_tokens_sha256_hex CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    ADD CONSTRAINT api_tokens_name_shape CHECK (name ~ '^[A-Za-z0-9._-]{1,63}$');

CREATE TABLE token_usage (
    token_id  uuid NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    day       date NOT NULL,
    engine    text NOT NULL,
    chars     bigint NOT NULL DEFAULT 0 CHECK (chars >= 0),
    PRIMARY KEY (token_id, day, engine)
);
