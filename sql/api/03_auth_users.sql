-- abipraya: login, the CLI's user command, logout, me and the users operations.
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

CREATE OR REPLACE FUNCTION api.user_json(u app.users) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', u.id, 'username', u.username, 'role', u.role, 'full_name', u.full_name,
        'house_ids', to_jsonb(u.house_ids), 'partner_id', u.partner_id, 'active', u.active,
        'created_at', api.ts(u.created_at), 'updated_at', api.ts(u.updated_at), 'version', u.version)
$$;

-- Login, round trip 1: the stored hash for the KDF, or the throttle verdict.
-- password_hash is NULL for an unknown or inactive user, or a partner user whose partner is
-- retired (§16.2; the C side still runs a dummy KDF).
-- Attempts of one username are serialised and each is recorded as a failure *before* the
-- KDF runs (login_finish takes it back on success): otherwise a burst of parallel guesses
-- would all be checked before any of their failures counted.
CREATE OR REPLACE FUNCTION api.login_begin(username text, max_failures int, window_seconds int)
RETURNS TABLE (user_id uuid, password_hash text, throttled boolean, retry_after int)
LANGUAGE plpgsql AS $$
DECLARE
    n int;
    unblock timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('abipraya.login:' || login_begin.username));
    SELECT count(*) INTO n FROM app.login_failures f
     WHERE f.username = login_begin.username AND f.at > now() - make_interval(secs => window_seconds);
    IF n >= max_failures THEN
        -- the count falls below the limit when the (n - max + 1)-th oldest failure leaves the window
        SELECT f.at + make_interval(secs => window_seconds) INTO unblock FROM app.login_failures f
         WHERE f.username = login_begin.username AND f.at > now() - make_interval(secs => window_seconds)
         ORDER BY f.at OFFSET n - max_failures LIMIT 1;
        RETURN QUERY SELECT NULL::uuid, NULL::text, true,
                            greatest(1, ceil(extract(epoch FROM unblock - now())))::int;
        RETURN;
    END IF;
    INSERT INTO app.login_failures (username) VALUES (login_begin.username);
    RETURN QUERY SELECT u.id, u.password_hash, false, 0 FROM app.users u
                  WHERE u.username = login_begin.username AND u.active
                    AND (u.partner_id IS NULL OR EXISTS (SELECT 1 FROM app.partners p
                                                          WHERE p.id = u.partner_id AND p.active));
    IF NOT FOUND THEN
        RETURN QUERY SELECT NULL::uuid, NULL::text, false, 0;
    END IF;
END $$;

-- Login, round trip 2: open a session and take back the failure login_begin recorded, or
-- leave it. On success returns the expiry and the user; expires_at/user NULL if the user was
-- deactivated meanwhile (treat as failure).
CREATE OR REPLACE FUNCTION api.login_finish(username text, user_id uuid, ok boolean, token_hash bytea, ttl_seconds int)
RETURNS TABLE (expires_at text, "user" jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    u app.users;
    exp timestamptz := now() + make_interval(secs => ttl_seconds);
BEGIN
    IF ok THEN
        SELECT * INTO u FROM app.users x WHERE x.id = login_finish.user_id AND x.active;
        -- a partner user: FOUND becomes its partner's being active. The partner row's lock
        -- orders this login after a retirement (FOUND is then false: no session is made) or
        -- before it (the retirement then deletes the session)
        IF FOUND AND u.partner_id IS NOT NULL THEN
            PERFORM 1 FROM app.partners p WHERE p.id = u.partner_id AND p.active FOR SHARE;
        END IF;
        IF FOUND THEN
            DELETE FROM app.sessions s WHERE s.user_id = u.id AND s.expires_at <= now();
            INSERT INTO app.sessions (token_hash, user_id, expires_at) VALUES (login_finish.token_hash, u.id, exp);
            DELETE FROM app.login_failures f
             WHERE f.ctid = (SELECT g.ctid FROM app.login_failures g WHERE g.username = login_finish.username
                              ORDER BY g.at DESC LIMIT 1);
            RETURN QUERY SELECT api.ts(exp), api.user_json(u);
            RETURN;
        END IF;
    END IF;
    RETURN QUERY SELECT NULL::text, NULL::jsonb;
END $$;

-- The CLI's user-add. Unknown house code: SQLSTATE 22023 with a message; duplicate: unique_violation.
CREATE OR REPLACE FUNCTION api.cli_user_add(username text, role text, house_codes text[], password_hash text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    ids uuid[];
    missing text;
    u app.users;
BEGIN
    SELECT x.c INTO missing FROM unnest(coalesce(house_codes, '{}')) x(c)
     WHERE NOT EXISTS (SELECT 1 FROM app.houses h WHERE h.code = x.c) LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('no house with code %s', missing);
    END IF;
    SELECT coalesce(array_agg(h.id ORDER BY o), '{}') INTO ids
      FROM unnest(coalesce(house_codes, '{}')) WITH ORDINALITY x(code, o) JOIN app.houses h ON h.code = x.code;
    INSERT INTO app.users (username, password_hash, role, full_name, house_ids)
    VALUES (username, password_hash, role, username, ids) RETURNING * INTO u;
    PERFORM api.audit(ROW(NULL, 'admin', NULL, 'cli')::api.ctx, 'user.create', 'user', u.id, NULL,
                      NULL, api.user_json(u));
    RETURN api.user_json(u);
END $$;

CREATE OR REPLACE FUNCTION api.op_auth_logout(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
BEGIN
    -- api.run puts the caller's token hash in a transaction-local setting
    DELETE FROM app.sessions WHERE token_hash = decode(current_setting('api.token_hash'), 'hex');
    RETURN ROW(204, NULL::jsonb);
END $$;

CREATE OR REPLACE FUNCTION api.op_me_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE u app.users;
BEGIN
    SELECT * INTO u FROM app.users x WHERE x.id = ctx.user_id;
    IF NOT FOUND THEN RETURN NULL; END IF;
    RETURN ROW(200, api.user_json(u));
END $$;

-- §16.3 on a user as it will be stored: role partner <=> partner_id, a partner user has no
-- houses (the CHECKs users_partner_role and users_partner_no_houses hold the same), and a
-- partner_id sent names an active partner, whose row is locked against its retirement.
CREATE OR REPLACE FUNCTION api.check_user_partner(n app.users, args jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE bad text[] := '{}';
BEGIN
    IF (n.role = 'partner') <> (n.partner_id IS NOT NULL) THEN
        bad := bad || 'partner_id'::text;
    END IF;
    IF n.role = 'partner' AND cardinality(n.house_ids) > 0 THEN
        bad := bad || 'house_ids'::text;
    END IF;
    IF cardinality(bad) > 0 THEN
        PERFORM api.invalid_fields(bad, 'a partner user has a partner_id and no house_ids; other users no partner_id');
    END IF;
    IF args ? 'partner_id' AND n.partner_id IS NOT NULL THEN
        PERFORM 1 FROM app.partners p WHERE p.id = n.partner_id AND p.active FOR SHARE;
        IF NOT FOUND THEN PERFORM api.invalid('partner_id', 'does not name an active partner'); END IF;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION api.op_users_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE u app.users;
BEGIN
    u := jsonb_populate_record(NULL::app.users,
                               api.only(args, '{username,password_hash,role,full_name,house_ids,partner_id,active}'));
    u.house_ids := coalesce(u.house_ids, '{}');
    PERFORM api.check_house_ids(u.house_ids);
    PERFORM api.check_user_partner(u, args);
    INSERT INTO app.users (username, password_hash, role, full_name, house_ids, partner_id, active)
    VALUES (u.username, u.password_hash, u.role, coalesce(u.full_name, ''), u.house_ids, u.partner_id,
            coalesce(u.active, true))
    RETURNING * INTO u;
    PERFORM api.audit(ctx, 'user.create', 'user', u.id, NULL, NULL, api.user_json(u));
    RETURN ROW(201, api.user_json(u));
END $$;

CREATE OR REPLACE FUNCTION api.op_users_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE sql AS $$
    SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.user_json(x.u)) ORDER BY x.seq), '[]'),
                             api.lim(args)))::api.reply
      FROM (SELECT u, u.seq FROM app.users u WHERE u.seq > api.after(args)
             ORDER BY u.seq LIMIT api.lim(args) + 1) x
$$;

CREATE OR REPLACE FUNCTION api.op_users_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE u app.users;
BEGIN
    SELECT * INTO u FROM app.users WHERE id = api.pid(args, 'id');
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN ROW(200, api.user_json(u));
END $$;

CREATE OR REPLACE FUNCTION api.op_users_update(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE u app.users; n app.users;
BEGIN
    SELECT * INTO u FROM app.users WHERE id = api.pid(args, 'id') FOR UPDATE;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    PERFORM api.check_version(args, u.version);
    n := jsonb_populate_record(u, api.only(args, '{role,full_name,house_ids,partner_id,active,password_hash}'));
    PERFORM api.check_house_ids(n.house_ids);
    PERFORM api.check_user_partner(n, args);
    UPDATE app.users SET role = n.role, full_name = n.full_name, house_ids = n.house_ids, partner_id = n.partner_id,
                         active = n.active, password_hash = n.password_hash
     WHERE id = u.id RETURNING * INTO n;
    -- deactivation or a new password revokes every token at once (sessions are shared by all instances)
    IF NOT n.active OR args ? 'password_hash' THEN
        DELETE FROM app.sessions WHERE user_id = u.id;
    END IF;
    PERFORM api.audit(ctx, 'user.update', 'user', u.id, NULL, api.user_json(u), api.user_json(n));
    RETURN ROW(200, api.user_json(n));
END $$;
