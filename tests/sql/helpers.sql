-- Test helpers: users with known tokens (token = 'tok-' || username), and a call wrapper.
CREATE SCHEMA IF NOT EXISTS tst;
CREATE OR REPLACE FUNCTION tst.user(name text, role text, houses uuid[] DEFAULT '{}') RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE uid uuid;
BEGIN
    INSERT INTO app.users (username, password_hash, role, full_name, house_ids)
    VALUES (name, 'x', role, 'Test ' || name, houses)
    ON CONFLICT (username) DO UPDATE SET house_ids = EXCLUDED.house_ids, role = EXCLUDED.role, active = true
    RETURNING id INTO uid;
    INSERT INTO app.sessions (token_hash, user_id, expires_at)
    VALUES (sha256(convert_to('tok-' || name, 'UTF8')), uid, now() + interval '1 hour')
    ON CONFLICT (token_hash) DO UPDATE SET expires_at = EXCLUDED.expires_at;
    RETURN uid;
END $$;

-- call op as user; all roles admitted (role checks are tested separately)
CREATE OR REPLACE FUNCTION tst.call(username text, op text, args jsonb DEFAULT '{}', idem text DEFAULT NULL,
                                    fp text DEFAULT NULL) RETURNS api.result LANGUAGE sql AS $$
    SELECT * FROM api.run(sha256(convert_to('tok-' || username, 'UTF8')), op,
                          '{admin,manager,caseworker,staff}', 'req-test', idem, fp, args, NULL)
$$;

-- expect a status (and code); return the body
CREATE OR REPLACE FUNCTION tst.expect(r api.result, status int, code text DEFAULT NULL, what text DEFAULT '')
RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    IF r.status IS DISTINCT FROM status OR (code IS NOT NULL AND r.body->>'code' IS DISTINCT FROM code) THEN
        RAISE EXCEPTION 'FAIL %: expected % %, got % %', what, status, coalesce(code, ''), r.status, r.body;
    END IF;
    RETURN r.body;
END $$;

CREATE OR REPLACE FUNCTION tst.ok(cond boolean, what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF cond IS NOT TRUE THEN RAISE EXCEPTION 'FAIL %', what; END IF;
END $$;

CREATE OR REPLACE FUNCTION tst.t(minutes float8) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT api.ts(now() + make_interval(secs => minutes * 60))
$$;
