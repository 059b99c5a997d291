-- abipraya: helpers every operation uses: problems, JSON and argument helpers, small checks.
--
-- Volatility and language of the helpers (here and in every file of sql/api/): a LANGUAGE
-- sql function that the planner cannot inline is parsed and planned again in every
-- transaction that calls it (its plan lives in the calling expression's state, not in the
-- session), ~15 us per call site even for api.ts. A function whose body is one expression
-- is inlined when its volatility allows it; IMMUTABLE forbids that as soon as the body
-- calls a STABLE function (to_char, jsonb_build_object), so api.ts, api.d, api.problem and
-- the *_json helpers are declared STABLE (what they are): inlined, their plans are cached
-- with the caller's. Helpers that need a query (stay_json, resident_json, ...) are
-- PL/pgSQL, whose statement plans live for the session.
--
-- The operations, one file per resource after this one, are api.op_<name>(ctx api.ctx,
-- args jsonb) -> api.reply, called by api.run (02_run.sql). Conventions: a path id naming
-- nothing visible -> 404; a body id -> 422 with that field; every change writes one audit
-- record in the same transaction; version/updated_at are bumped by the app.touch trigger.
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

-- Raise a problem; api.run turns it into (status, body). The problem travels in DETAIL.
CREATE OR REPLACE FUNCTION api.fail(status int, code text, field text DEFAULT NULL, detail text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'api_problem',
        DETAIL = jsonb_build_object('status', status, 'code', code, 'field', field, 'detail', detail)::text;
END $$;

-- A problem with extension members of its own (RFC 9457 §3.2: `roll_call_id` of the open
-- roll-call, the `unmarked` lines of a close), merged into the body; `errors` among them
-- replaces the one api.problem builds.
CREATE OR REPLACE FUNCTION api.fail_with(status int, code text, detail text, extra jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'api_problem',
        DETAIL = jsonb_build_object('status', status, 'code', code, 'detail', detail, 'extra', extra)::text;
END $$;

-- 422 validation_failed naming one field.
CREATE OR REPLACE FUNCTION api.invalid(field text, message text DEFAULT 'is invalid') RETURNS void
LANGUAGE sql AS $$ SELECT api.fail(422, 'validation_failed', field, message) $$;

-- 422 validation_failed naming several fields (a rule between them), one entry each.
CREATE OR REPLACE FUNCTION api.invalid_fields(fields text[], message text) RETURNS void
LANGUAGE sql AS $$ SELECT api.fail(422, 'validation_failed', array_to_string(fields, ','), message) $$;

CREATE OR REPLACE FUNCTION api.not_found() RETURNS void
LANGUAGE sql AS $$ SELECT api.fail(404, 'not_found') $$;

-- The compact problem body: validation problems carry `errors`, one per field (a rule
-- between fields names them all, "a,b": api.invalid_fields, api.constraint_problems).
CREATE OR REPLACE FUNCTION api.problem(code text, field text, detail text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object('code', code, 'detail', detail))
        || CASE WHEN code = 'validation_failed' THEN jsonb_build_object('errors',
               (SELECT jsonb_agg(jsonb_build_object('field', f, 'message', coalesce(detail, 'is invalid')))
                  FROM unnest(string_to_array(coalesce(field, 'body'), ',')) f))
           ELSE '{}' END
$$;

-- RFC 3339 UTC with Z; a fraction only when there are microseconds (one to_char per call).
CREATE OR REPLACE FUNCTION api.ts(t timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN date_trunc('second', t AT TIME ZONE 'UTC') = t AT TIME ZONE 'UTC'
                THEN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                ELSE to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END
$$;

CREATE OR REPLACE FUNCTION api.d(d date) RETURNS text LANGUAGE sql STABLE AS $$ SELECT to_char(d, 'YYYY-MM-DD') $$;

-- May this context see that house? (admin: house_ids NULL = every house)
CREATE OR REPLACE FUNCTION api.sees(ctx api.ctx, house_id uuid) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT ctx.house_ids IS NULL OR house_id = ANY (ctx.house_ids)
$$;

-- The given keys of args only (patch whitelists for jsonb_populate_record).
CREATE OR REPLACE FUNCTION api.only(args jsonb, keys text[]) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_object_agg(key, value), '{}') FROM jsonb_each(args) WHERE key = ANY (keys)
$$;

-- A path id: the route's own name, or `id`.
CREATE OR REPLACE FUNCTION api.pid(args jsonb, name text) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(args->>name, args->>'id')::uuid
$$;

-- If-Match: 412 when the client's version is not the row's.
CREATE OR REPLACE FUNCTION api.check_version(args jsonb, version int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF args ? 'if_match' AND (args->>'if_match')::int IS DISTINCT FROM version THEN
        PERFORM api.fail(412, 'precondition_failed', NULL, 'the object has changed');
    END IF;
END $$;

-- "Not more than 5 minutes in the future" (client clocks drift a little).
CREATE OR REPLACE FUNCTION api.soon() RETURNS timestamptz LANGUAGE sql STABLE AS $$ SELECT now() + interval '5 minutes' $$;

-- Cursor: opaque text carrying one bigint (the last seq, or an offset for other orders).
CREATE OR REPLACE FUNCTION api.cursor_encode(n bigint) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT rtrim(translate(encode(convert_to('c1:' || n, 'UTF8'), 'base64'), '+/', '-_'), '=')
$$;

-- The opaque text of a cursor that carries a place in another order (alerts, caseload):
-- base64url without padding, and back (NULL for text that is not one; 1024 characters at most).
CREATE OR REPLACE FUNCTION api.opaque(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT rtrim(translate(encode(convert_to(t, 'UTF8'), 'base64'), E'+/\n', '-_'), '=')
$$;

CREATE OR REPLACE FUNCTION api.unopaque(c text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF length(c) > 1024 THEN RETURN NULL; END IF;
    c := translate(c, '-_', '+/');
    RETURN convert_from(decode(c || repeat('=', (4 - length(c) % 4) % 4), 'base64'), 'UTF8');
EXCEPTION WHEN others THEN RETURN NULL;
END $$;

-- The text of the request's cursor, which must match PATTERN (422 otherwise); NULL without
-- one, and for CSV (the whole list).
CREATE OR REPLACE FUNCTION api.cursor_text(args jsonb, pattern text) RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE t text := api.unopaque(args->>'cursor');
BEGIN
    IF coalesce(args->>'cursor', '') = '' OR args->>'format' = 'csv' THEN RETURN NULL; END IF;
    IF t IS NULL OR t !~ pattern THEN PERFORM api.invalid('cursor', 'is not a cursor of this list'); END IF;
    RETURN t;
END $$;

CREATE OR REPLACE FUNCTION api.after(args jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
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
CREATE OR REPLACE FUNCTION api.lim(args jsonb) RETURNS int LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN args->>'format' = 'csv' THEN NULL ELSE coalesce((args->>'limit')::int, 50) END
$$;

-- rows: [[cursor_value, object], ...] with up to lim+1 entries -> {"items", "next_cursor"}.
CREATE OR REPLACE FUNCTION api.page(rows jsonb, lim int) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'items', coalesce((SELECT jsonb_agg(e->1 ORDER BY o) FROM jsonb_array_elements(rows) WITH ORDINALITY x(e, o)
                           WHERE lim IS NULL OR o <= lim), '[]'),
        'next_cursor', CASE WHEN lim IS NOT NULL AND jsonb_array_length(rows) > lim
                            THEN api.cursor_encode((rows->(lim - 1)->>0)::bigint) END)
$$;

CREATE OR REPLACE FUNCTION api.check_timezone(tz text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = tz) THEN
        PERFORM api.invalid('timezone', 'is not an IANA time zone');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION api.check_house_ids(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM unnest(ids) i WHERE NOT EXISTS (SELECT 1 FROM app.houses h WHERE h.id = i)) THEN
        PERFORM api.invalid('house_ids', 'names a house that does not exist');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION api.check_caseworker(caseworker_id uuid, house_id uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF caseworker_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM app.users u WHERE u.id = caseworker_id
                                                    AND u.role = 'caseworker' AND house_id = ANY (u.house_ids)) THEN
        PERFORM api.invalid('caseworker_id', 'is not a caseworker of this house');
    END IF;
END $$;

-- A resident named in the path, its row locked (the order every write on it takes): 404
-- unless visible.
CREATE OR REPLACE FUNCTION api.locked_resident(ctx api.ctx, id uuid) RETURNS app.residents LANGUAGE plpgsql AS $$
DECLARE r app.residents;
BEGIN
    SELECT * INTO r FROM app.residents x WHERE x.id = locked_resident.id AND api.sees(ctx, x.house_id) FOR UPDATE;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN r;
END $$;

-- A resident named in the path, for reading: 404 unless visible.
CREATE OR REPLACE FUNCTION api.visible_resident(ctx api.ctx, id uuid) RETURNS app.residents LANGUAGE plpgsql AS $$
DECLARE r app.residents;
BEGIN
    SELECT * INTO r FROM app.residents x WHERE x.id = visible_resident.id AND api.sees(ctx, x.house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN r;
END $$;

-- A house named in the path or a query filter: 404 unless visible.
CREATE OR REPLACE FUNCTION api.visible_house(ctx api.ctx, id uuid) RETURNS app.houses LANGUAGE plpgsql AS $$
DECLARE h app.houses;
BEGIN
    SELECT * INTO h FROM app.houses x WHERE x.id = visible_house.id AND api.sees(ctx, x.id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN h;
END $$;

-- A stay named in the path, locked as asked ('update' | 'share' | NULL): 404 unless visible.
CREATE OR REPLACE FUNCTION api.visible_stay(ctx api.ctx, id uuid, lock text DEFAULT NULL) RETURNS app.stays
LANGUAGE plpgsql AS $$
DECLARE s app.stays;
BEGIN
    IF lock = 'update' THEN
        SELECT * INTO s FROM app.stays x WHERE x.id = visible_stay.id AND api.sees(ctx, x.house_id) FOR UPDATE;
    ELSIF lock = 'share' THEN
        SELECT * INTO s FROM app.stays x WHERE x.id = visible_stay.id AND api.sees(ctx, x.house_id) FOR SHARE;
    ELSE
        SELECT * INTO s FROM app.stays x WHERE x.id = visible_stay.id AND api.sees(ctx, x.house_id);
    END IF;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN s;
END $$;

-- today in a house's time zone
CREATE OR REPLACE FUNCTION api.today(house_id uuid) RETURNS date LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT (now() AT TIME ZONE h.timezone)::date FROM app.houses h WHERE h.id = today.house_id);
END $$;

-- Partner agreements (§16.2), here because the alerts of §16.10 (14_alerts.sql) read them too.
-- Today where a partner's agreement is judged (§16: Asia/Jakarta, whatever the houses).
CREATE OR REPLACE FUNCTION api.partner_today() RETURNS date LANGUAGE sql STABLE AS $$
    SELECT (now() AT TIME ZONE 'Asia/Jakarta')::date
$$;

-- none | valid | expiring (valid_until within the 30 days that begin today) | expired
CREATE OR REPLACE FUNCTION api.agreement_status(p app.partners) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p.agreement_number IS NULL THEN 'none'
                WHEN p.agreement_valid_until IS NULL THEN 'valid'
                WHEN p.agreement_valid_until < api.partner_today() THEN 'expired'
                WHEN p.agreement_valid_until <= api.partner_today() + 29 THEN 'expiring'
                ELSE 'valid' END
$$;
