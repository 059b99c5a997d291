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

-- A JSON scalar as JCS writes it: integers of up to 15 digits (exact in a double) and every
-- string, boolean and null as jsonb writes them; other numbers by api.jcs_number. One
-- expression, inlined where it is called.
CREATE OR REPLACE FUNCTION api.jcs_scalar(v jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(v) = 'number' AND v::text !~ '^-?[0-9]{1,15}$' THEN api.jcs_number(v::text::numeric)
                ELSE v::text END
$$;

-- The canonical JSON of RFC 8785 (JCS): no whitespace, object keys in code point order (the
-- same as JCS's UTF-16 order for every key this schema writes, which are ASCII), strings
-- escaped as jsonb already writes them (\b \t \n \f \r \" \\ and \u00xx, nothing else).
-- PL/pgSQL because it recurses, but only into a child that holds containers itself: a child
-- of scalars alone (a roll-call's 2 000 lines, an object's flat members) is written by a
-- subquery of the one query of its parent, since a call per child was most of the time of
-- a large audit payload. Keys by to_json (as jsonb escapes them, without building a jsonb).
-- It runs in every write (the payload's digest).
CREATE OR REPLACE FUNCTION api.jcs(j jsonb) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    t text := jsonb_typeof(j);
    r text;
BEGIN
    IF t NOT IN ('object', 'array') THEN RETURN api.jcs_scalar(j); END IF;
    SELECT string_agg(CASE WHEN t = 'object' THEN to_json(c.key)::text || ':' ELSE '' END || CASE
               WHEN jsonb_typeof(c.value) NOT IN ('object', 'array') THEN api.jcs_scalar(c.value)
               WHEN jsonb_typeof(c.value) = 'object' AND c.value @? 'strict $.* ? (@.type() == "object" || @.type() == "array")'
                    THEN api.jcs(c.value)
               WHEN jsonb_typeof(c.value) = 'array' AND c.value @? 'strict $[*] ? (@.type() == "object" || @.type() == "array")'
                    THEN api.jcs(c.value)
               WHEN jsonb_typeof(c.value) = 'object'
                    THEN (SELECT '{' || coalesce(string_agg(to_json(f.key)::text || ':' || api.jcs_scalar(f.value), ','
                                                            ORDER BY f.key COLLATE "C"), '') || '}'
                            FROM jsonb_each(c.value) f)
               ELSE (SELECT '[' || coalesce(string_agg(api.jcs_scalar(f.value), ',' ORDER BY f.n), '') || ']'
                       FROM jsonb_array_elements(c.value) WITH ORDINALITY f(value, n)) END,
               ',' ORDER BY c.key COLLATE "C", c.n)
      INTO r
      FROM (SELECT e.key, e.value, 0::bigint AS n FROM jsonb_each(CASE WHEN t = 'object' THEN j END) e
            UNION ALL
            SELECT NULL, a.value, a.n FROM jsonb_array_elements(CASE WHEN t = 'array' THEN j END) WITH ORDINALITY a(value, n)) c;
    RETURN CASE WHEN t = 'object' THEN '{' || coalesce(r, '') || '}' ELSE '[' || coalesce(r, '') || ']' END;
END $$;

-- The audit key (§18.12) of this session: the daemon sets abipraya.audit_key (hex) on each of
-- its connections from audit.key_file; it is never stored. NULL: unkeyed mode.
CREATE OR REPLACE FUNCTION api.chain_key() RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT decode(nullif(current_setting('abipraya.audit_key', true), ''), 'hex')
$$;

-- HMAC-SHA-256 under the key, SHA-256 in unkeyed mode.
CREATE OR REPLACE FUNCTION api.chain_mac(msg bytea, k bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN k IS NULL THEN sha256(msg) ELSE hmac(msg, k, 'sha256') END
$$;

CREATE OR REPLACE FUNCTION api.chain_mac(msg bytea) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT api.chain_mac(msg, api.chain_key())
$$;

-- What audit_head.key_check holds for key k: tells a changed key from tampering, and is no key.
CREATE OR REPLACE FUNCTION api.chain_key_check(k bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT hmac(convert_to('abipraya audit key check', 'UTF8'), k, 'sha256')
$$;

-- The resident an audit record is about (§18.12): the resident itself, or the owner of the
-- object, which every object's JSON names but a goal's (its stay's) and a business month's
-- (its business's); NULL for the rest (houses, users, rooms, roll-calls of a whole house ...).
-- PL/pgSQL: an SQL function with subqueries is not inlined, and was parsed and planned again
-- in every api.audit.
CREATE OR REPLACE FUNCTION api.audit_resident(entity text, entity_id uuid, doc jsonb) RETURNS uuid
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF entity = 'resident' THEN
        RETURN entity_id;
    ELSIF doc ? 'resident_id' THEN
        RETURN (doc->>'resident_id')::uuid;
    ELSIF entity = 'goal' THEN
        RETURN (SELECT s.resident_id FROM app.stays s WHERE s.id = (doc->>'stay_id')::uuid);
    ELSIF entity = 'business_month' THEN
        RETURN (SELECT b.resident_id FROM app.businesses b WHERE b.id = (doc->>'business_id')::uuid);
    END IF;
    RETURN NULL;
END $$;

-- A disclosure row's MAC (§18.12): over the canonical JSON of every column but the MAC.
-- The canonical JSON (JCS) of a disclosure row without its MAC, written out in key order: it
-- runs for every row a read inserts, where api.jcs over the row cost ~150 us (and a function
-- that is not inlined is planned again by every statement that calls it). Strings by to_json,
-- which escapes as JCS does and writes an array without spaces (jsonb's output adds them).
CREATE OR REPLACE FUNCTION api.disclosure_core(d app.disclosures) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT '{"at":"' || api.ts_us(d.at) || '","consent_id":' || coalesce('"' || d.consent_id || '"', 'null')
        || ',"entity":' || to_json(d.entity)::text || ',"entity_id":' || coalesce('"' || d.entity_id || '"', 'null')
        || ',"fields":' || to_json(d.fields)::text
        || ',"house_id":"' || d.house_id || '","id":"' || d.id || '","kind":' || to_json(d.kind)::text
        || ',"partner_id":' || coalesce('"' || d.partner_id || '"', 'null') || ',"path":' || to_json(d.path)::text
        || ',"purpose":' || coalesce(to_json(d.purpose)::text, 'null')
        || ',"request_id":' || coalesce(to_json(d.request_id)::text, 'null')
        || ',"resident_id":"' || d.resident_id || '","role":' || to_json(d.role)::text || ',"seq":' || d.seq
        || ',"user_id":"' || d.user_id || '"}'
$$;

-- A disclosure row's MAC (§18.12): over the canonical JSON of every column but the MAC.
CREATE OR REPLACE FUNCTION api.disclosure_mac(d app.disclosures) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT api.chain_mac(convert_to(api.disclosure_core(d), 'UTF8'))
$$;

CREATE OR REPLACE FUNCTION api.disclosure_sign() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.mac := api.disclosure_mac(NEW);
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS disclosures_sign ON app.disclosures;
CREATE TRIGGER disclosures_sign BEFORE INSERT ON app.disclosures FOR EACH ROW EXECUTE FUNCTION api.disclosure_sign();

-- Disclosure accounting (contract §18.4). What of an object of an answer is sensitive, as
-- recorded: a resident's national_id and notes; the legal-basis fields staff do not get
-- (§15.2) as the one name legal_basis; a linked referral's national_id, litmas_number, notes
-- as the one name referral. Only fields carried non-null count. entity: what the object is.
CREATE OR REPLACE FUNCTION api.sensitive_fields(entity text, doc jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(doc) <> 'object' THEN '{}'
        WHEN entity = 'resident' THEN array_remove(ARRAY[
            CASE WHEN doc->>'national_id' IS NOT NULL THEN 'national_id' END,
            CASE WHEN doc->>'notes' IS NOT NULL THEN 'notes' END], NULL)
        WHEN entity = 'legal_basis' AND jsonb_strip_nulls(doc) ?| '{decree_number,decree_date,issuing_authority,guarantor,
            litmas_number,notes,revocation_decree_number,revocation_reason,correction_reason}'::text[] THEN '{legal_basis}'
        WHEN entity = 'referral' AND doc->>'resident_id' IS NOT NULL
            AND jsonb_strip_nulls(doc) ?| '{national_id,litmas_number,notes}'::text[] THEN '{referral}'
        ELSE '{}' END::text[]
$$;

-- The resident of an object of an answer: a resident's id, another object's resident_id, a
-- print page row's data-resident-id (a row about a resident has it as its first pair, so that
-- this is one expression, inlined: an export asks it for each of its rows).
CREATE OR REPLACE FUNCTION api.item_resident(entity text, doc jsonb) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(doc->>'resident_id', CASE WHEN entity = 'resident' THEN doc->>'id' END,
                    CASE WHEN doc #>> '{data,0,0}' = 'resident-id' THEN doc #>> '{data,0,1}' END)::uuid
$$;

-- One disclosure record of the direct reads (the daemon's statement inserts it, 02_run.sql).
-- d: the request's descriptor (the daemon's args._disclosure: entity, entity_id, path,
-- purpose, request_id).
CREATE OR REPLACE FUNCTION api.disclosure_doc(d jsonb, user_id uuid, role text, kind text, resident_id uuid,
                                              house_id uuid, fields text[]) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('kind', kind, 'user_id', user_id, 'role', role, 'resident_id', resident_id,
        'house_id', house_id, 'entity', d->>'entity', 'entity_id', d->>'entity_id', 'fields', to_jsonb(fields),
        'purpose', d->>'purpose', 'request_id', d->>'request_id', 'path', d->>'path')
$$;

-- Format 1 (before §18.12), kept to verify a chain that migrate moves to format 2: sha256 over
-- the previous hash's bytes and this array.
CREATE OR REPLACE FUNCTION api.audit_canon(a app.audit_log) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_array(a.id::text, a.pos, api.ts(a.at), a.user_id::text, a.action, a.entity,
                             a.entity_id::text, a.house_id::text, a.request_id, a.before, a.after)::text
$$;

-- Format 2 (§18.12). payload_digest = SHA-256(salt ‖ C({"before","after"})).
CREATE OR REPLACE FUNCTION api.audit_digest(salt bytea, before jsonb, after jsonb) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(salt || convert_to('{"after":' || coalesce(api.jcs(after), 'null') || ',"before":'
                                     || coalesce(api.jcs(before), 'null') || '}', 'UTF8'))
$$;

-- C(core_n), written out in JCS key order (every value a string, an integer or null; strings
-- escaped as jsonb writes them, which is JCS's escaping): api.jcs over jsonb_build_object would
-- give the same text at several times the cost, in every write. The seq of the contract is the
-- column pos; payload_digest as lower-case hex.
CREATE OR REPLACE FUNCTION api.audit_core(a app.audit_log) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT '{"action":' || to_jsonb(a.action)::text || ',"at":"' || api.ts_us(a.at) || '","entity":'
        || to_jsonb(a.entity)::text || ',"entity_id":' || coalesce('"' || a.entity_id || '"', 'null')
        || ',"house_id":' || coalesce('"' || a.house_id || '"', 'null') || ',"id":"' || a.id
        || '","payload_digest":' || coalesce('"' || encode(a.payload_digest, 'hex') || '"', 'null')
        || ',"request_id":' || coalesce(to_jsonb(a.request_id)::text, 'null')
        || ',"resident_id":' || coalesce('"' || a.resident_id || '"', 'null') || ',"seq":' || a.pos
        || ',"user_id":' || coalesce('"' || a.user_id || '"', 'null') || '}'
$$;

-- hash_n = MAC_K(hex(prev_hash_n) ‖ "\n" ‖ C(core_n)); prev_hash_1 is the empty string.
CREATE OR REPLACE FUNCTION api.audit_hash(a app.audit_log, k bytea) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT api.chain_mac(convert_to(encode(a.prev_hash, 'hex') || E'\n' || api.audit_core(a), 'UTF8'), k)
$$;

-- record_id: the record's id when the caller must know it beforehand (retention names it in the
-- redactions it makes before appending, 30_retention.sql); else a new one. What depends on the
-- record only (its resident, salt and digest) is computed before the chain head's lock, which
-- every append of every instance waits on until its transaction commits.
DROP FUNCTION IF EXISTS api.audit(api.ctx, text, text, uuid, uuid, jsonb, jsonb);
CREATE OR REPLACE FUNCTION api.audit(ctx api.ctx, action text, entity text, entity_id uuid, house_id uuid,
                                     before jsonb, after jsonb, record_id uuid DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    h app.audit_head;
    a app.audit_log;
BEGIN
    IF before IS NOT NULL AND before = after THEN
        RETURN;                                                  -- nothing changed: nothing to record
    END IF;
    a.resident_id := api.audit_resident(entity, entity_id, coalesce(after, before));
    a.payload_salt := gen_random_bytes(32);
    a.payload_digest := api.audit_digest(a.payload_salt, before, after);
    SELECT * INTO h FROM app.audit_head WHERE one FOR UPDATE;    -- serialises appends: one chain
    a.id := coalesce(record_id, gen_random_uuid()); a.pos := h.pos + 1; a.at := clock_timestamp();
    a.user_id := ctx.user_id; a.action := action; a.entity := entity; a.entity_id := entity_id;
    a.house_id := house_id; a.request_id := ctx.request_id; a.before := before; a.after := after;
    a.prev_hash := h.hash;
    a.hash := api.audit_hash(a, api.chain_key());
    INSERT INTO app.audit_log (id, pos, at, user_id, action, entity, entity_id, house_id, request_id, before, after,
                               prev_hash, hash, resident_id, payload_salt, payload_digest)
    VALUES (a.id, a.pos, a.at, a.user_id, a.action, a.entity, a.entity_id, a.house_id, a.request_id, a.before,
            a.after, a.prev_hash, a.hash, a.resident_id, a.payload_salt, a.payload_digest);
    UPDATE app.audit_head SET pos = a.pos, hash = a.hash WHERE one;
END $$;

-- Append-only (§18.12): no UPDATE, DELETE or TRUNCATE, but for the one redaction of 18.7 on the
-- audit table: before, after, payload_salt to null and redacted_at, redacted_by set, once,
-- every other column as it was. (The chain is what proves it; this refuses the honest mistake.)
-- "Every other column as it was": NEW with the redaction's columns put back equals OLD, a row
-- comparison that covers any column added later (to_jsonb of both rows cost retention ~30 us
-- a record, payloads included).
CREATE OR REPLACE FUNCTION api.append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    back app.audit_log;
BEGIN
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'audit_log' THEN       -- (OLD's fields exist only then)
        IF OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL AND NEW.redacted_by IS NOT NULL
           AND NEW.before IS NULL AND NEW.after IS NULL AND NEW.payload_salt IS NULL THEN
            back := NEW;
            back.before := OLD.before; back.after := OLD.after; back.payload_salt := OLD.payload_salt;
            back.redacted_at := NULL; back.redacted_by := NULL;
            IF back IS NOT DISTINCT FROM OLD THEN
                RETURN NEW;
            END IF;
        END IF;
    END IF;
    RAISE EXCEPTION 'app.% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = CASE WHEN TG_TABLE_NAME = 'audit_log' THEN
                     'the one change allowed is a redaction (contract 18.7)' ELSE 'no change is allowed' END;
END $$;
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['audit_log', 'disclosures'] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS %1$s_append_only ON app.%1$s;
            CREATE TRIGGER %1$s_append_only BEFORE UPDATE OR DELETE ON app.%1$s
                FOR EACH ROW EXECUTE FUNCTION api.append_only();
            DROP TRIGGER IF EXISTS %1$s_no_truncate ON app.%1$s;
            CREATE TRIGGER %1$s_no_truncate BEFORE TRUNCATE ON app.%1$s
                FOR EACH STATEMENT EXECUTE FUNCTION api.append_only()', t);
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION api.audit_json(a app.audit_log) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', a.id, 'at', api.ts(a.at), 'user_id', a.user_id, 'action', a.action,
        'entity', a.entity, 'entity_id', a.entity_id, 'house_id', a.house_id, 'request_id', a.request_id,
        'before', a.before, 'after', a.after, 'resident_id', a.resident_id, 'redacted', a.redacted_at IS NOT NULL)
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
               AND (args->>'resident_id' IS NULL OR a.resident_id = (args->>'resident_id')::uuid)
               AND a.pos > api.after(args)
             ORDER BY a.pos LIMIT api.lim(args) + 1) x);
END $$;

-- Format 2 under key k (NULL: unkeyed), in one statement (one snapshot, head included): every
-- hash and link in pos order, every unredacted payload against its digest, every redaction
-- against a later resident.anonymise record of the same resident, the head at the last record,
-- every disclosure's MAC. first_bad_id NULL with bad: the head does not point at the last row
-- (a cut-off tail) or only a disclosure is bad.
CREATE OR REPLACE FUNCTION api.audit_check(k bytea, OUT bad boolean, OUT first_bad_id uuid,
    OUT first_bad_disclosure_id uuid, OUT records bigint, OUT redacted bigint, OUT disclosures bigint,
    OUT head bytea) LANGUAGE sql STABLE AS $$
    WITH r AS (
        SELECT a.id, a.pos, a.hash, a.redacted_at,
               a.hash = api.audit_hash(a, k)
               AND a.prev_hash = lag(a.hash, 1, ''::bytea) OVER (ORDER BY a.pos)
               AND CASE WHEN a.redacted_at IS NULL
                        THEN a.payload_salt IS NOT NULL AND a.redacted_by IS NULL
                             AND a.payload_digest = api.audit_digest(a.payload_salt, a.before, a.after)
                        ELSE EXISTS (SELECT 1 FROM app.audit_log z WHERE z.id = a.redacted_by AND z.pos > a.pos
                                        AND z.action = 'resident.anonymise' AND z.resident_id = a.resident_id) END
               IS TRUE AS good
          FROM app.audit_log a),
    bad AS (SELECT id FROM r WHERE NOT good ORDER BY pos LIMIT 1),
    last AS (SELECT pos, hash FROM r ORDER BY pos DESC LIMIT 1),
    d AS (SELECT x.id, x.seq, x.mac IS DISTINCT FROM api.chain_mac(convert_to(api.jcs(jsonb_build_object('id', x.id,
                 'seq', x.seq, 'at', api.ts_us(x.at), 'kind', x.kind, 'user_id', x.user_id, 'role', x.role,
                 'partner_id', x.partner_id, 'resident_id', x.resident_id, 'house_id', x.house_id, 'entity', x.entity,
                 'entity_id', x.entity_id, 'fields', to_jsonb(x.fields), 'purpose', x.purpose, 'consent_id',
                 x.consent_id, 'request_id', x.request_id, 'path', x.path)), 'UTF8'), k) AS wrong
            FROM app.disclosures x),
    dbad AS (SELECT id FROM d WHERE wrong ORDER BY seq LIMIT 1)
    SELECT EXISTS (SELECT 1 FROM bad) OR EXISTS (SELECT 1 FROM dbad)
           -- rows cut off the end leave the head pointing past the last row
           OR (SELECT (h.pos, h.hash) FROM app.audit_head h) IS DISTINCT FROM
              coalesce((SELECT (l.pos, l.hash) FROM last l), (0::bigint, ''::bytea)),
           (SELECT id FROM bad), (SELECT id FROM dbad), (SELECT count(*) FROM r),
           (SELECT count(*) FROM r WHERE redacted_at IS NOT NULL), (SELECT count(*) FROM d),
           (SELECT hash FROM last)
$$;

CREATE OR REPLACE FUNCTION api.op_audit_verify(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE sql AS $$
    SELECT ROW(200, CASE WHEN c.bad THEN jsonb_build_object('ok', false, 'first_bad_id', c.first_bad_id,
                             'first_bad_disclosure_id', c.first_bad_disclosure_id, 'keyed', api.chain_key() IS NOT NULL)
        ELSE jsonb_build_object('ok', true, 'records', c.records, 'redacted', c.redacted, 'disclosures', c.disclosures,
                                'keyed', api.chain_key() IS NOT NULL, 'head', coalesce(encode(c.head, 'hex'), ''))
        END)::api.reply
      FROM api.audit_check(api.chain_key()) c
$$;

-- Format 1's check (the chain as a database migrated before §18.12 has it): the first bad
-- record's id, or NULL with ok when it verifies.
CREATE OR REPLACE FUNCTION api.audit_check_v1(OUT ok boolean, OUT first_bad_id uuid) LANGUAGE sql STABLE AS $$
    WITH r AS (
        SELECT a.id, a.pos, a.hash,
               a.hash = sha256(a.prev_hash || convert_to(api.audit_canon(a), 'UTF8'))
               AND a.prev_hash = lag(a.hash, 1, decode(repeat('00', 32), 'hex')) OVER (ORDER BY a.pos) AS good
          FROM app.audit_log a),
    bad AS (SELECT id FROM r WHERE NOT good ORDER BY pos LIMIT 1),
    last AS (SELECT hash FROM r ORDER BY pos DESC LIMIT 1)
    SELECT NOT EXISTS (SELECT 1 FROM bad) AND (SELECT h.hash FROM app.audit_head h) IS NOT DISTINCT FROM
               coalesce((SELECT hash FROM last), decode(repeat('00', 32), 'hex')),
           (SELECT id FROM bad)
$$;

-- Why serve must not start on this chain, or NULL (§18.12): the chain is not in format 2, its
-- mode or key is not the configured one, or its last record does not verify under that key.
CREATE OR REPLACE FUNCTION api.audit_startup_problem() RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    h app.audit_head := (SELECT h FROM app.audit_head h WHERE one);
    k bytea := api.chain_key();
    a app.audit_log;
BEGIN
    IF h.format <> 2 THEN
        RETURN 'the audit chain is in format ' || h.format || ': run "abiprayad --config FILE migrate" first';
    ELSIF h.keyed AND k IS NULL THEN
        RETURN 'the audit chain is keyed but no audit.key_file is configured';
    ELSIF h.keyed AND h.key_check IS DISTINCT FROM api.chain_key_check(k) THEN
        RETURN 'audit.key_file holds another key than the one the audit chain was made with';
    ELSIF NOT h.keyed AND k IS NOT NULL THEN
        RETURN 'the audit chain is unkeyed but audit.key_file is set: run "abiprayad --config FILE migrate" '
               'to move the chain to the key';
    END IF;
    SELECT * INTO a FROM app.audit_log ORDER BY pos DESC LIMIT 1;
    IF FOUND AND a.hash IS DISTINCT FROM api.audit_hash(a, k) THEN
        RETURN 'the last audit record (' || a.id || ') does not verify under the configured '
               || CASE WHEN k IS NULL THEN 'unkeyed mode' ELSE 'key' END;
    END IF;
    RETURN NULL;
END $$;

-- Moves the chain to format 2 under the session's key (migrate, after the migrations and these
-- files): nothing when it is already there. It first verifies the chain as it is (format 1, or
-- format 2 unkeyed) and refuses when it does not, or when it is keyed and the key is another
-- or none; then fills resident_id from the live tables, gives each unredacted row a salt and
-- digest, re-chains every row and appends audit.rechain {"records","keyed","old_head"}.
-- Returns a line for migrate to print, or NULL when nothing was to do.
CREATE OR REPLACE FUNCTION api.audit_rechain() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    h app.audit_head;
    k bytea := api.chain_key();
    a app.audit_log;
    prev bytea := ''::bytea;
    n bigint := 0;
    bad uuid;
    ok boolean;
BEGIN
    SELECT * INTO h FROM app.audit_head WHERE one FOR UPDATE;
    IF h.format = 2 AND h.keyed AND k IS NULL THEN
        RAISE EXCEPTION 'the audit chain is keyed but no audit.key_file is configured';
    ELSIF h.format = 2 AND h.keyed AND h.key_check IS DISTINCT FROM api.chain_key_check(k) THEN
        RAISE EXCEPTION 'audit.key_file holds another key than the one the audit chain was made with: '
                        'configure that key (a chain is never moved from one key to another)';
    ELSIF h.format = 2 AND h.keyed = (k IS NOT NULL) THEN
        RETURN NULL;
    END IF;
    IF h.pos = 0 THEN                                            -- no records: only the mode
        UPDATE app.audit_head SET format = 2, hash = ''::bytea, keyed = k IS NOT NULL,
               key_check = api.chain_key_check(k) WHERE one;
        RETURN NULL;
    END IF;
    IF h.format = 1 THEN
        SELECT c.ok, c.first_bad_id INTO ok, bad FROM api.audit_check_v1() c;
    ELSE
        SELECT NOT c.bad, c.first_bad_id INTO ok, bad FROM api.audit_check(NULL) c;
    END IF;
    IF NOT ok THEN
        RAISE EXCEPTION 'the audit chain (format %, unkeyed) does not verify (first bad record: %): not moved',
                        h.format, coalesce(bad::text, 'none, the head does not point at the last record');
    END IF;
    -- the one change the append-only trigger would refuse besides a redaction; only the owner may
    ALTER TABLE app.audit_log DISABLE TRIGGER audit_log_append_only;
    FOR a IN SELECT * FROM app.audit_log ORDER BY pos LOOP
        IF a.redacted_at IS NULL THEN
            a.resident_id := coalesce(a.resident_id, api.audit_resident(a.entity, a.entity_id, coalesce(a.after, a.before)));
            a.payload_salt := coalesce(a.payload_salt, gen_random_bytes(32));
            a.payload_digest := api.audit_digest(a.payload_salt, a.before, a.after);
        END IF;
        a.prev_hash := prev;
        a.hash := api.audit_hash(a, k);
        UPDATE app.audit_log SET resident_id = a.resident_id, payload_salt = a.payload_salt,
               payload_digest = a.payload_digest, prev_hash = a.prev_hash, hash = a.hash WHERE id = a.id;
        prev := a.hash;
        n := n + 1;
    END LOOP;
    ALTER TABLE app.audit_log ENABLE TRIGGER audit_log_append_only;
    UPDATE app.audit_head SET format = 2, hash = prev, keyed = k IS NOT NULL, key_check = api.chain_key_check(k)
     WHERE one;
    PERFORM api.audit(ROW(NULL, 'admin', NULL, 'cli')::api.ctx, 'audit.rechain', 'audit', NULL, NULL, NULL,
                      jsonb_build_object('records', n, 'keyed', k IS NOT NULL, 'old_head', encode(h.hash, 'hex')));
    RETURN 'audit chain: ' || n || ' record(s) moved to format 2, ' || CASE WHEN k IS NULL THEN 'unkeyed' ELSE 'keyed' END;
END $$;
