-- abipraya: event streams end with their authority (API.md §13). A change that takes a
-- token's or a user's authority away notifies the events channel in the same transaction, so
-- that every instance ends the streams it concerns at commit. These are triggers on the
-- tables, not edits of the ops of 0002/0003: whatever path deletes a session or changes a
-- user (logout, users.update, a cascade, psql) is covered alike.
-- The payload names the user (streams are found by it) and, for one session, its token hash
-- (that token's streams only); it never reaches a client. Expired sessions removed by the
-- clean-up or a login are not revocations: a stream ends at its expiry on its own.

CREATE FUNCTION app.notify_session_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('abipraya_events', jsonb_build_object('revoked_user', OLD.user_id,
                                                            'token_hash', encode(OLD.token_hash, 'hex'))::text);
    RETURN NULL;
END $$;

CREATE TRIGGER sessions_revoked AFTER DELETE ON app.sessions
    FOR EACH ROW WHEN (OLD.expires_at > now()) EXECUTE FUNCTION app.notify_session_revoked();

-- a new role, house_ids or password, or deactivation: every stream of the user ends
CREATE FUNCTION app.notify_user_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('abipraya_events', jsonb_build_object('revoked_user', NEW.id)::text);
    RETURN NULL;
END $$;

CREATE TRIGGER users_revoked AFTER UPDATE ON app.users
    FOR EACH ROW WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.house_ids IS DISTINCT FROM NEW.house_ids
                       OR OLD.active IS DISTINCT FROM NEW.active
                       OR OLD.password_hash IS DISTINCT FROM NEW.password_hash)
    EXECUTE FUNCTION app.notify_user_revoked();
