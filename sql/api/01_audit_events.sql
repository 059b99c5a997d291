-- abipraya: the audit trail (its hash chain) and live events, and the audit operations.
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

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
    a := ROW(gen_random_uuid(), h.pos + 1, clock_timestamp(), ctx.user_id, action, entity, entity_id,
             house_id, ctx.request_id, before, after, h.hash, NULL)::app.audit_log;
    a.hash := sha256(a.prev_hash || convert_to(api.audit_canon(a), 'UTF8'));
    INSERT INTO app.audit_log SELECT a.*;
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
               a.hash = sha256(a.prev_hash || convert_to(api.audit_canon(a), 'UTF8'))
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
