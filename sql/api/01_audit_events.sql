-- abipraya: the audit trail (its hash chain) and live events, and the audit operations.
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

-- RFC 3339 UTC, always with microseconds: the times of the canonical forms (§18.12).
CREATE OR REPLACE FUNCTION api.ts_us(t timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- A JSON number as RFC 8785 (JCS) writes it, ECMAScript's Number::toString of the double:
-- integers below 10^21 in plain digits, others the shortest round-trip digits (PostgreSQL's
-- float8 output) in plain notation from 10^-7 on, else with an exponent without leading zeros.
CREATE OR REPLACE FUNCTION api.jcs_number(n numeric) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN x = trunc(x) AND abs(x) < 1e21 THEN trunc(x::numeric)::text
                WHEN abs(x) >= 1e-7 AND abs(x) < 1e21 THEN trim(trailing '.' FROM
                     trim(trailing '0' FROM (x::text)::numeric::text))
                ELSE regexp_replace(x::text, 'e([+-])0*([0-9])', 'e\1\2') END
      FROM (SELECT n::float8 AS x) f
$$;

-- The canonical JSON of RFC 8785 (JCS): no whitespace, object keys in code point order (the
-- same as JCS's UTF-16 order for every key this schema writes, which are ASCII), strings
-- escaped as jsonb already writes them (\b \t \n \f \r \" \\ and \u00xx, nothing else).
-- PL/pgSQL because it recurses; scalars are written in place, only containers recurse.
CREATE OR REPLACE FUNCTION api.jcs(j jsonb) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN CASE jsonb_typeof(j)
        WHEN 'object' THEN '{' || coalesce((SELECT string_agg(to_jsonb(e.key)::text || ':' || CASE
                  WHEN jsonb_typeof(e.value) IN ('object', 'array') THEN api.jcs(e.value)
                  WHEN jsonb_typeof(e.value) = 'number' THEN api.jcs_number(e.value::text::numeric)
                  ELSE e.value::text END, ',' ORDER BY e.key COLLATE "C") FROM jsonb_each(j) e), '') || '}'
        WHEN 'array' THEN '[' || coalesce((SELECT string_agg(CASE
                  WHEN jsonb_typeof(e.value) IN ('object', 'array') THEN api.jcs(e.value)
                  WHEN jsonb_typeof(e.value) = 'number' THEN api.jcs_number(e.value::text::numeric)
                  ELSE e.value::text END, ',' ORDER BY e.n) FROM jsonb_array_elements(j) WITH ORDINALITY e(value, n)), '') || ']'
        WHEN 'number' THEN api.jcs_number(j::text::numeric)
        ELSE j::text END;
END $$;

-- The audit key (§18.12) of this session: the daemon sets abipraya.audit_key (hex) on each of
-- its connections from audit.key_file; it is never stored. NULL: unkeyed mode.
CREATE OR REPLACE FUNCTION api.chain_key() RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT decode(nullif(current_setting('abipraya.audit_key', true), ''), 'hex')
$$;

-- HMAC-SHA-256 under the key, SHA-256 in unkeyed mode.
CREATE OR REPLACE FUNCTION api.chain_mac(msg bytea) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN api.chain_key() IS NULL THEN sha256(msg) ELSE hmac(msg, api.chain_key(), 'sha256') END
$$;

-- The resident an audit record is about (§18.12): the resident itself, or the owner of the
-- object, which every object's JSON names but a goal's (its stay's) and a business month's
-- (its business's); NULL for the rest (houses, users, rooms, roll-calls of a whole house ...).
CREATE OR REPLACE FUNCTION api.audit_resident(entity text, entity_id uuid, doc jsonb) RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN entity = 'resident' THEN entity_id
                WHEN doc ? 'resident_id' THEN (doc->>'resident_id')::uuid
                WHEN entity = 'goal' THEN (SELECT s.resident_id FROM app.stays s WHERE s.id = (doc->>'stay_id')::uuid)
                WHEN entity = 'business_month' THEN
                    (SELECT b.resident_id FROM app.businesses b WHERE b.id = (doc->>'business_id')::uuid) END
$$;

-- A disclosure row's MAC (§18.12): over the canonical JSON of every column but the MAC.
CREATE OR REPLACE FUNCTION api.disclosure_mac(d app.disclosures) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT api.chain_mac(convert_to(api.jcs(jsonb_build_object('id', d.id, 'seq', d.seq, 'at', api.ts_us(d.at),
        'kind', d.kind, 'user_id', d.user_id, 'role', d.role, 'partner_id', d.partner_id, 'resident_id', d.resident_id,
        'house_id', d.house_id, 'entity', d.entity, 'entity_id', d.entity_id, 'fields', to_jsonb(d.fields),
        'purpose', d.purpose, 'consent_id', d.consent_id, 'request_id', d.request_id, 'path', d.path)), 'UTF8'))
$$;

CREATE OR REPLACE FUNCTION api.disclosure_sign() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.mac := api.disclosure_mac(NEW);
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS disclosures_sign ON app.disclosures;
CREATE TRIGGER disclosures_sign BEFORE INSERT ON app.disclosures FOR EACH ROW EXECUTE FUNCTION api.disclosure_sign();

-- The canonical text of a record: every stored column but the hashes, deterministic.
CREATE OR REPLACE FUNCTION api.audit_canon(a app.audit_log) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_array(a.id::text, a.pos, api.ts(a.at), a.user_id::text, a.action, a.entity,
                             a.entity_id::text, a.house_id::text, a.request_id, a.before, a.after)::text
$$;

CREATE OR REPLACE FUNCTION api.audit(ctx api.ctx, action text, entity text, entity_id uuid, house_id uuid,
                                     before jsonb, after jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    h app.audit_head;
    a app.audit_log;
BEGIN
    IF before IS NOT NULL AND before = after THEN
        RETURN;                                                  -- nothing changed: nothing to record
    END IF;
    SELECT * INTO h FROM app.audit_head WHERE one FOR UPDATE;    -- serialises appends: one chain
    a.id := gen_random_uuid(); a.pos := h.pos + 1; a.at := clock_timestamp(); a.user_id := ctx.user_id;
    a.action := action; a.entity := entity; a.entity_id := entity_id; a.house_id := house_id;
    a.request_id := ctx.request_id; a.before := before; a.after := after; a.prev_hash := h.hash;
    a.resident_id := api.audit_resident(entity, entity_id, coalesce(after, before));
    a.hash := sha256(a.prev_hash || convert_to(api.audit_canon(a), 'UTF8'));
    INSERT INTO app.audit_log (id, pos, at, user_id, action, entity, entity_id, house_id, request_id, before, after,
                               prev_hash, hash, resident_id)
    VALUES (a.id, a.pos, a.at, a.user_id, a.action, a.entity, a.entity_id, a.house_id, a.request_id, a.before,
            a.after, a.prev_hash, a.hash, a.resident_id);
    UPDATE app.audit_head SET pos = a.pos, hash = a.hash WHERE one;
END $$;

CREATE OR REPLACE FUNCTION api.audit_json(a app.audit_log) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', a.id, 'at', api.ts(a.at), 'user_id', a.user_id, 'action', a.action,
        'entity', a.entity, 'entity_id', a.entity_id, 'house_id', a.house_id, 'request_id', a.request_id,
        'before', a.before, 'after', a.after)
$$;

-- Event ids follow commit order, so that a client resuming after Last-Event-ID N misses no
-- event that commits later with a smaller id: the id is taken under the lock that
-- serialises every change until its commit (the audit chain's head, which the change takes
-- anyway for its audit record, next to this call).
-- roles: the roles that receive the event (NULL: every role of the house); partner_id: the
-- partner whose users receive it too (§16.11; roles must then name 'partner').
CREATE OR REPLACE FUNCTION api.emit(house_id uuid, name text, data jsonb, roles text[], partner_id uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    eid bigint;
BEGIN
    PERFORM 1 FROM app.audit_head WHERE one FOR UPDATE;
    data := jsonb_build_object('house_id', house_id) || data;
    INSERT INTO app.events (house_id, name, data, roles, partner_id) VALUES (house_id, name, data, roles, partner_id)
    RETURNING id INTO eid;
    PERFORM pg_notify('abipraya_events', (jsonb_strip_nulls(jsonb_build_object('id', eid, 'event', name,
                      'house_id', house_id, 'roles', to_jsonb(roles), 'partner_id', partner_id))
                      || jsonb_build_object('data', data))::text);
END $$;

CREATE OR REPLACE FUNCTION api.emit(house_id uuid, name text, data jsonb, roles text[]) RETURNS void LANGUAGE sql AS $$
    SELECT api.emit(house_id, name, data, roles, NULL::uuid)
$$;

CREATE OR REPLACE FUNCTION api.emit(house_id uuid, name text, data jsonb) RETURNS void LANGUAGE sql AS $$
    SELECT api.emit(house_id, name, data, NULL::text[], NULL::uuid)
$$;

CREATE OR REPLACE FUNCTION api.op_audit_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE hid uuid := (args->>'house_id')::uuid;
BEGIN
    IF hid IS NOT NULL THEN PERFORM api.visible_house(ctx, hid); END IF;
    -- a manager sees only records of its houses (user records have house_id NULL: admin only)
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.pos, api.audit_json(x.a)) ORDER BY x.pos), '[]'),
                                     api.lim(args)))::api.reply
      FROM (SELECT a, a.pos FROM app.audit_log a
             WHERE (ctx.house_ids IS NULL OR a.house_id = ANY (ctx.house_ids))
               AND (hid IS NULL OR a.house_id = hid)
               AND (args->>'entity' IS NULL OR a.entity = args->>'entity')
               AND (args->>'entity_id' IS NULL OR a.entity_id = (args->>'entity_id')::uuid)
               AND a.pos > api.after(args)
             ORDER BY a.pos LIMIT api.lim(args) + 1) x);
END $$;

-- Recompute the chain over every row in one statement (one snapshot, head included).
CREATE OR REPLACE FUNCTION api.op_audit_verify(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE sql AS $$
    WITH r AS (
        SELECT a.id, a.pos, a.hash,
               (a.hash = sha256(a.prev_hash || convert_to(api.audit_canon(a), 'UTF8'))
                -- format 1 hashes the payload itself, which a redaction (§18.7) erased: such a row
                -- holds when it names a later resident.anonymise of its resident (format 2 checks
                -- the digest instead, §18.12)
                OR (a.redacted_at IS NOT NULL AND EXISTS (SELECT 1 FROM app.audit_log z
                        WHERE z.id = a.redacted_by AND z.action = 'resident.anonymise'
                          AND z.resident_id = a.resident_id AND z.pos > a.pos)))
               AND a.prev_hash = lag(a.hash, 1, decode(repeat('00', 32), 'hex')) OVER (ORDER BY a.pos) AS good
          FROM app.audit_log a),
    bad AS (SELECT id FROM r WHERE NOT good ORDER BY pos LIMIT 1),
    last AS (SELECT hash FROM r ORDER BY pos DESC LIMIT 1)
    SELECT ROW(200, CASE
        WHEN EXISTS (SELECT 1 FROM bad) THEN jsonb_build_object('ok', false, 'first_bad_id', (SELECT id FROM bad))
        -- rows cut off the end leave the head pointing past the last row
        WHEN (SELECT h.hash FROM app.audit_head h) IS DISTINCT FROM
             coalesce((SELECT hash FROM last), decode(repeat('00', 32), 'hex'))
            THEN jsonb_build_object('ok', false, 'first_bad_id', NULL)
        ELSE jsonb_build_object('ok', true, 'records', (SELECT count(*) FROM r)) END)::api.reply
$$;
