-- abipraya: the C <-> SQL interface (docs/ops.md): types, helpers, api.run, audit, events, login.
-- The operations themselves are in 0003_api_ops.sql.
--
-- Volatility and language of the helpers (here and in 0003): a LANGUAGE sql function that
-- the planner cannot inline is parsed and planned again in every transaction that calls it
-- (its plan lives in the calling expression's state, not in the session), ~15 us per call
-- site even for api.ts. A function whose body is one expression is inlined when its
-- volatility allows it; IMMUTABLE forbids that as soon as the body calls a STABLE function
-- (to_char, jsonb_build_object), so api.ts, api.d, api.problem and the *_json helpers are
-- declared STABLE (what they are): inlined, their plans are cached with the caller's.
-- Helpers that need a query (stay_json, resident_json, ...) are PL/pgSQL, whose statement
-- plans live for the session.

CREATE SCHEMA IF NOT EXISTS api;

CREATE TYPE api.ctx AS (user_id uuid, role text, house_ids uuid[], request_id text);
CREATE TYPE api.reply AS (status int, body jsonb);
CREATE TYPE api.result AS (status int, body jsonb, etag int);

-- ---------------------------------------------------------------- problems

-- Raise a problem; api.run turns it into (status, body). The problem travels in DETAIL.
CREATE FUNCTION api.fail(status int, code text, field text DEFAULT NULL, detail text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'api_problem',
        DETAIL = jsonb_build_object('status', status, 'code', code, 'field', field, 'detail', detail)::text;
END $$;

-- 422 validation_failed naming one field.
CREATE FUNCTION api.invalid(field text, message text DEFAULT 'is invalid') RETURNS void
LANGUAGE sql AS $$ SELECT api.fail(422, 'validation_failed', field, message) $$;

CREATE FUNCTION api.not_found() RETURNS void
LANGUAGE sql AS $$ SELECT api.fail(404, 'not_found') $$;

-- The compact problem body: validation problems carry `errors`.
CREATE FUNCTION api.problem(code text, field text, detail text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object('code', code, 'detail', detail))
        || CASE WHEN code = 'validation_failed' THEN jsonb_build_object('errors',
               jsonb_build_array(jsonb_build_object('field', coalesce(field, 'body'),
                                                    'message', coalesce(detail, 'is invalid'))))
           ELSE '{}' END
$$;

-- Constraint name -> problem (unique, exclusion, foreign key, check violations).
CREATE TABLE api.constraint_problems (
    constraint_name text PRIMARY KEY,
    status          int NOT NULL,
    code            text NOT NULL,
    field           text,
    detail          text
);
INSERT INTO api.constraint_problems VALUES
    ('houses_code_key',                 409, 'conflict', 'code', 'a house with this code exists'),
    ('users_username_key',              409, 'conflict', 'username', 'this username is taken'),
    ('rooms_house_code_key',            409, 'conflict', 'code', 'a room with this code exists in the house'),
    ('beds_room_label_key',             409, 'conflict', 'label', 'a bed with this label exists in the room'),
    ('residents_register_number_key',   409, 'conflict', 'register_number', 'this register number is taken'),
    ('rules_house_code_key',            409, 'conflict', 'code', 'a rule with this code exists in the house'),
    ('exit_plans_stay_key',             409, 'conflict', 'stay_id', 'the stay already has an exit plan'),
    ('bed_periods_no_overlap',          409, 'bed_occupied', 'bed_id', 'the bed holds another stay at that time'),
    ('stays_one_active_per_resident',   409, 'resident_in_residence', 'resident_id', 'the resident already has an active stay'),
    ('stays_resident_no_overlap',       409, 'resident_in_residence', 'resident_id', 'the resident has a stay at that time'),
    ('movements_one_open_per_stay',     409, 'already_out', 'stay_id', 'the resident is signed out'),
    ('users_role_check',                422, 'validation_failed', 'role', 'unknown role'),
    ('rooms_sex_check',                 422, 'validation_failed', 'sex', 'must be male, female or any'),
    ('beds_status_check',               422, 'validation_failed', 'status', 'must be available or out_of_service'),
    ('residents_sex_check',             422, 'validation_failed', 'sex', 'must be male or female'),
    ('residents_legal_status_check',    422, 'validation_failed', 'legal_status', 'unknown legal status'),
    ('residents_caseworker_id_fkey',    422, 'validation_failed', 'caseworker_id', 'no such caseworker'),
    ('stays_exit_reason_check',         422, 'validation_failed', 'exit_reason', 'unknown exit reason'),
    ('stays_destination_check',         422, 'validation_failed', 'destination', 'unknown destination'),
    ('stays_out_after_in',              422, 'validation_failed', 'checked_out_at', 'before the check-in'),
    ('bed_periods_to_after_from',       422, 'validation_failed', 'at', 'before the current bed period began'),
    ('movements_purpose_check',         422, 'validation_failed', 'purpose', 'unknown purpose'),
    ('rules_severity_check',            422, 'validation_failed', 'severity', 'must be minor, major or critical'),
    ('exit_plans_destination_check',    422, 'validation_failed', 'destination_plan', 'unknown destination'),
    ('goals_domain_check',              422, 'validation_failed', 'domain', 'unknown domain'),
    ('goals_status_check',              422, 'validation_failed', 'status', 'unknown status');

-- ---------------------------------------------------------------- JSON and argument helpers

-- RFC 3339 UTC with Z; a fraction only when there are microseconds (one to_char per call).
CREATE FUNCTION api.ts(t timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN date_trunc('second', t AT TIME ZONE 'UTC') = t AT TIME ZONE 'UTC'
                THEN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                ELSE to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END
$$;

CREATE FUNCTION api.d(d date) RETURNS text LANGUAGE sql STABLE AS $$ SELECT to_char(d, 'YYYY-MM-DD') $$;

-- May this context see that house? (admin: house_ids NULL = every house)
CREATE FUNCTION api.sees(ctx api.ctx, house_id uuid) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT ctx.house_ids IS NULL OR house_id = ANY (ctx.house_ids)
$$;

-- The given keys of args only (patch whitelists for jsonb_populate_record).
CREATE FUNCTION api.only(args jsonb, keys text[]) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_object_agg(key, value), '{}') FROM jsonb_each(args) WHERE key = ANY (keys)
$$;

-- A path id: the route's own name, or `id`.
CREATE FUNCTION api.pid(args jsonb, name text) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(args->>name, args->>'id')::uuid
$$;

-- If-Match: 412 when the client's version is not the row's.
CREATE FUNCTION api.check_version(args jsonb, version int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF args ? 'if_match' AND (args->>'if_match')::int IS DISTINCT FROM version THEN
        PERFORM api.fail(412, 'precondition_failed', NULL, 'the object has changed');
    END IF;
END $$;

-- "Not more than 5 minutes in the future" (client clocks drift a little).
CREATE FUNCTION api.soon() RETURNS timestamptz LANGUAGE sql STABLE AS $$ SELECT now() + interval '5 minutes' $$;

-- ---------------------------------------------------------------- pagination

-- Cursor: opaque text carrying one bigint (the last seq, or an offset for other orders).
CREATE FUNCTION api.cursor_encode(n bigint) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT rtrim(translate(encode(convert_to('c1:' || n, 'UTF8'), 'base64'), '+/', '-_'), '=')
$$;

CREATE FUNCTION api.after(args jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    c text := args->>'cursor';
    t text;
BEGIN
    IF c IS NULL OR c = '' OR args->>'format' = 'csv' THEN RETURN 0; END IF;
    BEGIN
        IF length(c) <= 64 THEN
            c := translate(c, '-_', '+/');
            t := convert_from(decode(c || repeat('=', (4 - length(c) % 4) % 4), 'base64'), 'UTF8');
        END IF;
    EXCEPTION WHEN others THEN t := NULL;
    END;
    IF t IS NULL OR t !~ '^c1:[0-9]{1,18}$' THEN
        PERFORM api.invalid('cursor', 'is not a cursor of this list');
    END IF;
    RETURN substr(t, 4)::bigint;
END $$;

-- Page size; NULL (everything) for CSV.
CREATE FUNCTION api.lim(args jsonb) RETURNS int LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN args->>'format' = 'csv' THEN NULL ELSE coalesce((args->>'limit')::int, 50) END
$$;

-- rows: [[cursor_value, object], ...] with up to lim+1 entries -> {"items", "next_cursor"}.
CREATE FUNCTION api.page(rows jsonb, lim int) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'items', coalesce((SELECT jsonb_agg(e->1 ORDER BY o) FROM jsonb_array_elements(rows) WITH ORDINALITY x(e, o)
                           WHERE lim IS NULL OR o <= lim), '[]'),
        'next_cursor', CASE WHEN lim IS NOT NULL AND jsonb_array_length(rows) > lim
                            THEN api.cursor_encode((rows->(lim - 1)->>0)::bigint) END)
$$;

-- ---------------------------------------------------------------- audit trail

-- The canonical text of a record: every stored column but the hashes, deterministic.
CREATE FUNCTION api.audit_canon(a app.audit_log) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_array(a.id::text, a.pos, api.ts(a.at), a.user_id::text, a.action, a.entity,
                             a.entity_id::text, a.house_id::text, a.request_id, a.before, a.after)::text
$$;

CREATE FUNCTION api.audit(ctx api.ctx, action text, entity text, entity_id uuid, house_id uuid,
                          before jsonb, after jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    h app.audit_head;
    a app.audit_log;
BEGIN
    IF before IS NOT NULL AND before = after THEN
        RETURN;                                                  -- nothing changed: nothing to record
    END IF;
    SELECT * INTO h FROM app.audit_head WHERE one FOR UPDATE;    -- serialises appends: one chain
    a := ROW(gen_random_uuid(), h.pos + 1, clock_timestamp(), ctx.user_id, action, entity, entity_id,
             house_id, ctx.request_id, before, after, h.hash, NULL)::app.audit_log;
    a.hash := sha256(a.prev_hash || convert_to(api.audit_canon(a), 'UTF8'));
    INSERT INTO app.audit_log SELECT a.*;
    UPDATE app.audit_head SET pos = a.pos, hash = a.hash WHERE one;
END $$;

CREATE FUNCTION api.audit_json(a app.audit_log) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', a.id, 'at', api.ts(a.at), 'user_id', a.user_id, 'action', a.action,
        'entity', a.entity, 'entity_id', a.entity_id, 'house_id', a.house_id, 'request_id', a.request_id,
        'before', a.before, 'after', a.after)
$$;

-- ---------------------------------------------------------------- live events

-- Event ids follow commit order, so that a client resuming after Last-Event-ID N misses no
-- event that commits later with a smaller id: the id is taken under the lock that
-- serialises every change until its commit (the audit chain's head, which the change takes
-- anyway for its audit record, next to this call).
CREATE FUNCTION api.emit(house_id uuid, name text, data jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    eid bigint;
BEGIN
    PERFORM 1 FROM app.audit_head WHERE one FOR UPDATE;
    data := jsonb_build_object('house_id', house_id) || data;
    INSERT INTO app.events (house_id, name, data) VALUES (house_id, name, data) RETURNING id INTO eid;
    PERFORM pg_notify('abipraya_events', jsonb_build_object('id', eid, 'event', name, 'house_id', house_id,
                                                            'data', data)::text);
END $$;

-- ---------------------------------------------------------------- users (shared by run, login, CLI)

CREATE FUNCTION api.user_json(u app.users) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', u.id, 'username', u.username, 'role', u.role, 'full_name', u.full_name,
        'house_ids', to_jsonb(u.house_ids), 'active', u.active, 'created_at', api.ts(u.created_at),
        'updated_at', api.ts(u.updated_at), 'version', u.version)
$$;

-- ---------------------------------------------------------------- api.run

-- Map a caught SQL error to a problem (NULL: not ours, re-raise).
CREATE FUNCTION api.map_error(state text, constraint_name text, column_name text, message text, detail text)
RETURNS api.reply LANGUAGE plpgsql STABLE AS $$
DECLARE
    p jsonb;
    cp api.constraint_problems;
BEGIN
    IF state = 'P0001' AND message = 'api_problem' THEN
        p := detail::jsonb;
        RETURN ROW((p->>'status')::int, api.problem(p->>'code', p->>'field', p->>'detail'));
    ELSIF state IN ('23505', '23P01', '23503', '23514') THEN
        SELECT * INTO cp FROM api.constraint_problems c WHERE c.constraint_name = map_error.constraint_name;
        IF FOUND THEN
            RETURN ROW(cp.status, api.problem(cp.code, cp.field, cp.detail));
        END IF;
    ELSIF state = '23502' THEN         -- PATCH with null for a required field
        RETURN ROW(422, api.problem('validation_failed', column_name, 'must not be null'));
    ELSIF state LIKE '22%' THEN        -- bad value the C side let through: still the client's mistake
        RETURN ROW(422, api.problem('validation_failed', NULL, message));
    END IF;
    RETURN NULL;
END $$;

-- The ops of 0003 are called by name, most frequent first, so their plans are cached: a
-- dynamic EXECUTE after to_regprocedure() is parsed and planned on every request. Unknown
-- names still take that dynamic path, so an op added later by another migration works
-- unchanged.
CREATE FUNCTION api.run(token_hash bytea, op text, roles text[], request_id text, idem_key text,
                        fingerprint text, args jsonb, pre_error jsonb) RETURNS api.result
LANGUAGE plpgsql AS $$
DECLARE
    c api.ctx;
    u_id uuid; u_role text; u_houses uuid[];
    r api.reply;
    k app.idempotency_keys;
    fn regprocedure;
    res api.result;
    setting text;
    st text; cn text; col text; msg text; det text;
BEGIN
    SELECT us.id, us.role, us.house_ids INTO u_id, u_role, u_houses
      FROM app.sessions s JOIN app.users us ON us.id = s.user_id
     WHERE s.token_hash = run.token_hash AND s.expires_at > now() AND us.active;
    IF NOT FOUND OR token_hash IS NULL THEN
        RETURN ROW(401, '{"code":"unauthorized"}'::jsonb, NULL::int);
    END IF;
    IF (u_role = ANY (roles)) IS NOT TRUE THEN
        RETURN ROW(403, '{"code":"forbidden"}'::jsonb, NULL::int);
    END IF;
    c := ROW(u_id, u_role, CASE WHEN u_role = 'admin' THEN NULL ELSE u_houses END, request_id);
    -- for auth.logout (an assignment, not PERFORM: no executor start-up)
    setting := set_config('api.token_hash', encode(token_hash, 'hex'), true);

    IF idem_key IS NOT NULL THEN
        DELETE FROM app.idempotency_keys i
         WHERE i.user_id = u_id AND i.key = idem_key AND i.created_at < now() - interval '24 hours';
        -- a concurrent twin with the same key blocks here until it commits, then we replay it
        INSERT INTO app.idempotency_keys (user_id, key, fingerprint)
        VALUES (u_id, idem_key, coalesce(fingerprint, '')) ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
            SELECT * INTO k FROM app.idempotency_keys i WHERE i.user_id = u_id AND i.key = idem_key;
            IF k.fingerprint IS DISTINCT FROM coalesce(fingerprint, '') THEN
                RETURN ROW(422, api.problem('idempotency_key_reused', NULL,
                                            'the key was used with another request'), NULL::int);
            END IF;
            RETURN ROW(k.status, k.body, k.etag);
        END IF;
    END IF;

    IF pre_error IS NOT NULL THEN
        -- found by the C side (validation, a path id that is no UUID): recorded under the key too
        r := ROW(coalesce((pre_error->>'status')::int, 422), pre_error - 'status');
    ELSE
        FOR attempt IN 1..5 LOOP
            BEGIN
                -- the ops of 0003 by name, most frequent first (cached plans); any other name as before
                CASE op
                    WHEN 'residents.get' THEN r := api.op_residents_get(c, args);
                    WHEN 'beds.board' THEN r := api.op_beds_board(c, args);
                    WHEN 'stays.checkin' THEN r := api.op_stays_checkin(c, args);
                    WHEN 'stays.checkout' THEN r := api.op_stays_checkout(c, args);
                    WHEN 'reports.occupancy' THEN r := api.op_reports_occupancy(c, args);
                    WHEN 'residents.list' THEN r := api.op_residents_list(c, args);
                    WHEN 'stays.get' THEN r := api.op_stays_get(c, args);
                    WHEN 'stays.list' THEN r := api.op_stays_list(c, args);
                    WHEN 'me.get' THEN r := api.op_me_get(c, args);
                    WHEN 'movements.create' THEN r := api.op_movements_create(c, args);
                    WHEN 'movements.return' THEN r := api.op_movements_return(c, args);
                    WHEN 'movements.list' THEN r := api.op_movements_list(c, args);
                    WHEN 'stays.transfer' THEN r := api.op_stays_transfer(c, args);
                    WHEN 'reports.census' THEN r := api.op_reports_census(c, args);
                    WHEN 'violations.create' THEN r := api.op_violations_create(c, args);
                    WHEN 'violations.list' THEN r := api.op_violations_list(c, args);
                    WHEN 'violations.get' THEN r := api.op_violations_get(c, args);
                    WHEN 'residents.create' THEN r := api.op_residents_create(c, args);
                    WHEN 'residents.update' THEN r := api.op_residents_update(c, args);
                    WHEN 'houses.get' THEN r := api.op_houses_get(c, args);
                    WHEN 'houses.list' THEN r := api.op_houses_list(c, args);
                    WHEN 'rooms.get' THEN r := api.op_rooms_get(c, args);
                    WHEN 'rooms.list' THEN r := api.op_rooms_list(c, args);
                    WHEN 'beds.get' THEN r := api.op_beds_get(c, args);
                    WHEN 'beds.update' THEN r := api.op_beds_update(c, args);
                    WHEN 'rules.get' THEN r := api.op_rules_get(c, args);
                    WHEN 'rules.list' THEN r := api.op_rules_list(c, args);
                    WHEN 'exit_plans.get' THEN r := api.op_exit_plans_get(c, args);
                    WHEN 'exit_plans.put' THEN r := api.op_exit_plans_put(c, args);
                    WHEN 'exit_plans.worklist' THEN r := api.op_exit_plans_worklist(c, args);
                    WHEN 'goals.create' THEN r := api.op_goals_create(c, args);
                    WHEN 'goals.update' THEN r := api.op_goals_update(c, args);
                    WHEN 'reports.exits' THEN r := api.op_reports_exits(c, args);
                    WHEN 'audit.list' THEN r := api.op_audit_list(c, args);
                    WHEN 'audit.verify' THEN r := api.op_audit_verify(c, args);
                    WHEN 'auth.logout' THEN r := api.op_auth_logout(c, args);
                    WHEN 'users.create' THEN r := api.op_users_create(c, args);
                    WHEN 'users.list' THEN r := api.op_users_list(c, args);
                    WHEN 'users.get' THEN r := api.op_users_get(c, args);
                    WHEN 'users.update' THEN r := api.op_users_update(c, args);
                    WHEN 'houses.create' THEN r := api.op_houses_create(c, args);
                    WHEN 'houses.update' THEN r := api.op_houses_update(c, args);
                    WHEN 'rooms.create' THEN r := api.op_rooms_create(c, args);
                    WHEN 'rooms.update' THEN r := api.op_rooms_update(c, args);
                    WHEN 'beds.create' THEN r := api.op_beds_create(c, args);
                    WHEN 'rules.create' THEN r := api.op_rules_create(c, args);
                    WHEN 'rules.update' THEN r := api.op_rules_update(c, args);
                    ELSE
                        fn := to_regprocedure(format('api.%I(api.ctx, jsonb)', 'op_' || replace(op, '.', '_')));
                        IF fn IS NULL THEN
                            r := ROW(404, api.problem('not_found', NULL, 'unknown operation'));
                        ELSE
                            EXECUTE format('SELECT * FROM %s($1, $2)', fn::regproc) INTO r USING c, args;
                        END IF;
                END CASE;
                EXIT;
            EXCEPTION
                WHEN serialization_failure OR deadlock_detected THEN
                    IF attempt = 5 THEN RAISE; END IF;
                WHEN others THEN
                    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, cn = CONSTRAINT_NAME, col = COLUMN_NAME,
                                            msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
                    r := api.map_error(st, cn, col, msg, det);
                    IF r IS NULL THEN RAISE; END IF;
                    EXIT;
            END;
        END LOOP;
    END IF;

    res := ROW(r.status, r.body,
               CASE WHEN r.status IN (200, 201) AND jsonb_typeof(r.body) = 'object' AND r.body ? 'version'
                    THEN (r.body->>'version')::int END);
    IF idem_key IS NOT NULL THEN
        UPDATE app.idempotency_keys i SET status = res.status, body = res.body, etag = res.etag
         WHERE i.user_id = u_id AND i.key = idem_key;
    END IF;
    RETURN res;
END $$;

-- A write the daemon has already answered 503 must not commit afterwards. The daemon gives
-- up on a call at its deadline (database.timeout_ms) and closes the connection, but a
-- backend that was frozen, or merely slow, may still run the statement later: closing the
-- socket does not stop a statement already in the backend's input. So the daemon sends
-- writes through api.run_by with a deadline a little before its own, and the call rolls
-- itself back when it starts or ends past it. What is left is the commit itself, which
-- takes microseconds. Daemon and database clocks must agree to within the margin the
-- daemon leaves (a second at most).
CREATE FUNCTION api.run_by(deadline timestamptz, token_hash bytea, op text, roles text[], request_id text,
                           idem_key text, fingerprint text, args jsonb, pre_error jsonb)
RETURNS api.result LANGUAGE plpgsql AS $$
DECLARE
    res api.result;
BEGIN
    IF clock_timestamp() > deadline THEN
        RAISE EXCEPTION USING ERRCODE = 'query_canceled', MESSAGE = 'the call reached the database after its deadline';
    END IF;
    res := api.run(token_hash, op, roles, request_id, idem_key, fingerprint, args, pre_error);
    IF clock_timestamp() > deadline THEN
        RAISE EXCEPTION USING ERRCODE = 'query_canceled', MESSAGE = 'the call ran past its deadline';
    END IF;
    RETURN res;
END $$;

-- ---------------------------------------------------------------- direct reads
-- The hottest GETs skip api.run: the daemon prepares `SELECT * FROM api.direct_<op>(token_hash,
-- roles, args, tag)` for them and sends it when the C side found nothing wrong with the
-- request (any problem, and every write, still goes through api.run). A direct function is
-- one SELECT of LANGUAGE sql: inlined into the prepared statement and planned with it once,
-- where api.run pays a PL/pgSQL call, a subtransaction and an executor start-up for each of
-- its statements. It answers (status, body, etag, tag) like api.run: 401/403 from the
-- session, 404 when the thing is absent or of a house the user does not see.

-- The user of a token, and whether the route admits its role (house_ids NULL for an admin:
-- every house). No row for a missing, expired or revoked token or a deactivated user.
CREATE FUNCTION api.session(token_hash bytea, roles text[])
RETURNS TABLE (user_id uuid, role text, house_ids uuid[], admitted boolean) LANGUAGE sql STABLE AS $$
    SELECT u.id, u.role, CASE WHEN u.role = 'admin' THEN NULL ELSE u.house_ids END,
           coalesce(u.role = ANY (session.roles), false)
      FROM app.sessions s JOIN app.users u ON u.id = s.user_id
     WHERE s.token_hash = session.token_hash AND s.expires_at > now() AND u.active
$$;

-- The status of a direct read, and the problem body of the ones that are not 200.
CREATE FUNCTION api.direct_status(user_id uuid, admitted boolean, found boolean) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN user_id IS NULL THEN 401 WHEN NOT admitted THEN 403 WHEN NOT found THEN 404 ELSE 200 END
$$;

CREATE FUNCTION api.direct_problem(status int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE status WHEN 401 THEN '{"code":"unauthorized"}' WHEN 403 THEN '{"code":"forbidden"}'
                       WHEN 404 THEN '{"code":"not_found"}' END
$$;

-- ---------------------------------------------------------------- outside api.run

-- Login, round trip 1: the stored hash for the KDF, or the throttle verdict.
-- password_hash is NULL for an unknown or inactive user (the C side still runs a dummy KDF).
-- Attempts of one username are serialised and each is recorded as a failure *before* the
-- KDF runs (login_finish takes it back on success): otherwise a burst of parallel guesses
-- would all be checked before any of their failures counted.
CREATE FUNCTION api.login_begin(username text, max_failures int, window_seconds int)
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
                  WHERE u.username = login_begin.username AND u.active;
    IF NOT FOUND THEN
        RETURN QUERY SELECT NULL::uuid, NULL::text, false, 0;
    END IF;
END $$;

-- Login, round trip 2: open a session and take back the failure login_begin recorded, or
-- leave it. On success returns the expiry and the user; expires_at/user NULL if the user was
-- deactivated meanwhile (treat as failure).
CREATE FUNCTION api.login_finish(username text, user_id uuid, ok boolean, token_hash bytea, ttl_seconds int)
RETURNS TABLE (expires_at text, "user" jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    u app.users;
    exp timestamptz := now() + make_interval(secs => ttl_seconds);
BEGIN
    IF ok THEN
        SELECT * INTO u FROM app.users x WHERE x.id = login_finish.user_id AND x.active;
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
CREATE FUNCTION api.cli_user_add(username text, role text, house_codes text[], password_hash text)
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

CREATE FUNCTION api.ping() RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT true $$;

-- Housekeeping, run every few minutes by one worker of each daemon: what the contract no
-- longer needs after a while (idempotency keys after 24 h, the event backlog and login
-- failures after a day, expired sessions). Idempotent, so several daemons may run it.
CREATE FUNCTION api.cleanup() RETURNS void LANGUAGE sql AS $$
    DELETE FROM app.idempotency_keys WHERE created_at < now() - interval '25 hours';
    DELETE FROM app.events WHERE at < now() - interval '1 day';
    DELETE FROM app.login_failures WHERE at < now() - interval '1 day';
    DELETE FROM app.sessions WHERE expires_at < now();
$$;
