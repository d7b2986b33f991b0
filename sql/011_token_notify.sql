-- 011_token_notify.sql - workers remember the tokens they verified; any
-- change to a token (a revocation, new scopes or quota, a deleted row,
-- even by hand in psql) is NOTIFYed on vc_tokens at commit, so every
-- worker forgets what it remembered before its next request.
CREATE FUNCTION vc_tokens_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('vc_tokens', coalesce(OLD.id, NEW.id)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER api_tokens_notify
    AFTER UPDATE OF token_sha256, scopes, daily_chars, revoked_at OR DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION vc_tokens_changed();
