-- abipraya: partners (contract §16.2) and what partner users (§16.3) see of them.
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").
-- A house user sees a partner one of whose houses is its own (admin: every partner), and of
-- its house_ids only those houses; a partner user sees its own partner, all of it but the
-- house's free-text notes. Every write locks the partner row: a retirement and a user being
-- given that partner, or a login of one of its users, are serialised by it (03_auth_users.sql).

-- The partner of the caller (NULL for a house user): a primary-key lookup, made only where a
-- partner user's view is decided.
CREATE OR REPLACE FUNCTION api.ctx_partner(ctx api.ctx) RETURNS uuid LANGUAGE sql STABLE AS $$
    SELECT u.partner_id FROM app.users u WHERE u.id = ctx.user_id AND ctx.role = 'partner'
$$;

-- api.partner_today() and api.agreement_status(): 00_common.sql (14_alerts.sql calls them).

-- The one place that decides what a reader sees of a partner. An admin context (house_ids
-- NULL, role admin) gives the whole object, as audit records hold it.
CREATE OR REPLACE FUNCTION api.partner_json(p app.partners, ctx api.ctx) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', p.id, 'name', p.name, 'kind', p.kind,
        'house_ids', CASE WHEN ctx.house_ids IS NULL OR ctx.role = 'partner' THEN to_jsonb(p.house_ids)
                          ELSE (SELECT coalesce(jsonb_agg(h ORDER BY o), '[]'::jsonb)
                                  FROM unnest(p.house_ids) WITH ORDINALITY x(h, o) WHERE h = ANY (ctx.house_ids)) END,
        'contact', p.contact, 'address', p.address,
        'agreement', CASE WHEN p.agreement_number IS NOT NULL THEN jsonb_build_object('number', p.agreement_number,
                          'signed_on', api.d(p.agreement_signed_on), 'valid_until', api.d(p.agreement_valid_until)) END,
        'agreement_status', api.agreement_status(p), 'active', p.active, 'version', p.version,
        'created_at', api.ts(p.created_at), 'updated_at', api.ts(p.updated_at))
        || CASE WHEN ctx.role = 'partner' THEN '{}'::jsonb ELSE jsonb_build_object('notes', p.notes) END
$$;

CREATE OR REPLACE FUNCTION api.partner_audit_json(p app.partners) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT api.partner_json(p, ROW(NULL, 'admin', NULL, NULL)::api.ctx)
$$;

-- May the caller see the partner? me: the caller's partner (api.ctx_partner).
CREATE OR REPLACE FUNCTION api.sees_partner(ctx api.ctx, p app.partners, me uuid) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN ctx.role = 'partner' THEN p.id = me
                ELSE ctx.house_ids IS NULL OR p.house_ids && ctx.house_ids END
$$;

-- A house_id filter: 404 for a house the caller cannot see; for a partner user (me: its
-- partner), a house its partner does not work with (§16.3).
CREATE OR REPLACE FUNCTION api.house_filter(ctx api.ctx, hid uuid, me uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF hid IS NOT NULL AND ctx.role = 'partner' THEN
        IF NOT EXISTS (SELECT 1 FROM app.partners p WHERE p.id = me AND hid = ANY (p.house_ids)) THEN
            PERFORM api.not_found();
        END IF;
    ELSIF hid IS NOT NULL THEN
        PERFORM api.visible_house(ctx, hid);
    END IF;
END $$;

-- The houses a report covers (§16.9, §18.9): the house_id filter's (checked by house_filter), or
-- every house the caller sees; for a partner user (me: its partner) the houses its partner
-- works with.
CREATE OR REPLACE FUNCTION api.report_houses(ctx api.ctx, hid uuid, me uuid) RETURNS TABLE (id uuid, timezone text)
LANGUAGE sql STABLE AS $$
    SELECT h.id, h.timezone FROM app.houses h
     WHERE (hid IS NULL OR h.id = hid)
       AND CASE WHEN ctx.role = 'partner' THEN EXISTS (SELECT 1 FROM app.partners p WHERE p.id = me AND h.id = ANY (p.house_ids))
                ELSE api.sees(ctx, h.id) END
$$;

-- The body's fields over a partner as stored (NULL on creation); "agreement": null removes it.
CREATE OR REPLACE FUNCTION api.partner_merge(p app.partners, args jsonb) RETURNS app.partners
LANGUAGE plpgsql STABLE AS $$
DECLARE
    n app.partners := jsonb_populate_record(p, api.only(args, '{name,kind,house_ids,contact,address,notes,active}'));
    a jsonb := args->'agreement';
BEGIN
    IF args ? 'agreement' THEN
        n.agreement_number := a->>'number';
        n.agreement_signed_on := (a->>'signed_on')::date;
        n.agreement_valid_until := (a->>'valid_until')::date;
    END IF;
    IF args ? 'contact' AND jsonb_typeof(args->'contact') = 'object' THEN
        n.contact := jsonb_strip_nulls(args->'contact');
    END IF;
    RETURN n;
END $$;

-- §16.2's rules on a partner as it will be stored.
CREATE OR REPLACE FUNCTION api.check_partner(ctx api.ctx, n app.partners) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF n.house_ids IS NULL OR cardinality(n.house_ids) NOT BETWEEN 1 AND 50 THEN
        PERFORM api.invalid('house_ids', 'must name 1 to 50 houses');
    END IF;
    IF app.distinct_count(n.house_ids) <> cardinality(n.house_ids) THEN
        PERFORM api.invalid('house_ids', 'must not name a house twice');
    END IF;
    -- a manager sees its own houses only, so it may name only those
    IF EXISTS (SELECT 1 FROM unnest(n.house_ids) i
                WHERE NOT api.sees(ctx, i) OR NOT EXISTS (SELECT 1 FROM app.houses h WHERE h.id = i)) THEN
        PERFORM api.invalid('house_ids', 'names a house that does not exist or that you do not see');
    END IF;
    IF n.contact->>'email' IS NOT NULL AND n.contact->>'email' !~ '^[^@[:space:]]+@[^@[:space:]]+$' THEN
        PERFORM api.invalid('contact.email', 'must have one @ with text on both sides and no spaces');
    END IF;
    IF n.agreement_signed_on > api.partner_today() THEN
        PERFORM api.invalid('agreement.signed_on', 'is after today');
    END IF;
    IF n.agreement_valid_until < n.agreement_signed_on THEN
        PERFORM api.invalid('agreement.valid_until', 'is before signed_on');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION api.op_partners_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE p app.partners := api.partner_merge(NULL::app.partners, args);
BEGIN
    PERFORM api.check_partner(ctx, p);
    INSERT INTO app.partners (name, kind, house_ids, contact, address, agreement_number, agreement_signed_on,
                              agreement_valid_until, notes, active)
    VALUES (p.name, p.kind, p.house_ids, p.contact, p.address, p.agreement_number, p.agreement_signed_on,
            p.agreement_valid_until, p.notes, coalesce(p.active, true))
    RETURNING * INTO p;
    PERFORM api.audit(ctx, 'partner.create', 'partner', p.id, NULL, NULL, api.partner_audit_json(p));
    RETURN ROW(201, api.partner_json(p, ctx));
END $$;

CREATE OR REPLACE FUNCTION api.op_partners_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    hid uuid := (args->>'house_id')::uuid;
    me uuid := api.ctx_partner(ctx);
BEGIN
    PERFORM api.house_filter(ctx, hid, me);
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.partner_json(x.p, ctx))
                                                        ORDER BY x.seq), '[]'), api.lim(args)))::api.reply
      FROM (SELECT p, p.seq FROM app.partners p
             WHERE api.sees_partner(ctx, p, me) AND (hid IS NULL OR hid = ANY (p.house_ids))
               AND (args->>'kind' IS NULL OR p.kind = args->>'kind')
               AND (args->>'active' IS NULL OR p.active = (args->>'active')::boolean)
               AND p.seq > api.after(args)
             ORDER BY p.seq LIMIT api.lim(args) + 1) x);
END $$;

CREATE OR REPLACE FUNCTION api.op_partners_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE p app.partners;
BEGIN
    SELECT * INTO p FROM app.partners x WHERE x.id = api.pid(args, 'id');
    IF NOT FOUND OR NOT api.sees_partner(ctx, p, api.ctx_partner(ctx)) THEN PERFORM api.not_found(); END IF;
    RETURN ROW(200, api.partner_json(p, ctx));
END $$;

-- A manager changes only a partner whose houses are all its own (403), after finding it (404).
-- Retiring (active true -> false) ends every session of its users in the same transaction:
-- their next request is 401 on every instance, and their streams end (0004's trigger).
CREATE OR REPLACE FUNCTION api.op_partners_update(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE p app.partners; n app.partners;
BEGIN
    SELECT * INTO p FROM app.partners x WHERE x.id = api.pid(args, 'id') FOR UPDATE;
    IF NOT FOUND OR NOT api.sees_partner(ctx, p, NULL) THEN PERFORM api.not_found(); END IF;
    IF ctx.house_ids IS NOT NULL AND NOT p.house_ids <@ ctx.house_ids THEN
        PERFORM api.fail(403, 'forbidden', NULL, 'the partner works with houses that are not yours');
    END IF;
    PERFORM api.check_version(args, p.version);
    n := api.partner_merge(p, args);
    PERFORM api.check_partner(ctx, n);
    -- a programme in a house must keep its partner working there until it ends (§16.2);
    -- api.check_programme locks this row FOR SHARE, so a programme being given the partner
    -- in that house meanwhile is seen here, or sees the house gone
    IF EXISTS (SELECT 1 FROM app.programmes g
                WHERE g.partner_id = p.id AND g.house_id = ANY (p.house_ids) AND NOT g.house_id = ANY (n.house_ids)
                  AND g.status NOT IN ('finished', 'cancelled')) THEN
        PERFORM api.invalid('house_ids', 'removes a house in which the partner has a programme not finished or cancelled');
    END IF;
    UPDATE app.partners x SET name = n.name, kind = n.kind, house_ids = n.house_ids, contact = n.contact,
           address = n.address, agreement_number = n.agreement_number, agreement_signed_on = n.agreement_signed_on,
           agreement_valid_until = n.agreement_valid_until, notes = n.notes, active = n.active
     WHERE x.id = p.id RETURNING * INTO n;
    IF p.active AND NOT n.active THEN
        DELETE FROM app.sessions s USING app.users u WHERE u.id = s.user_id AND u.partner_id = p.id;
    END IF;
    PERFORM api.audit(ctx, 'partner.update', 'partner', p.id, NULL, api.partner_audit_json(p),
                      api.partner_audit_json(n));
    RETURN ROW(200, api.partner_json(n, ctx));
END $$;
