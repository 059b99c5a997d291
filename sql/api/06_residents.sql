-- abipraya: residents.
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

-- new | in_residence | former, derived from the stays
CREATE OR REPLACE FUNCTION api.resident_status(resident_id uuid) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT CASE WHEN bool_or(s.checked_out_at IS NULL) THEN 'in_residence'
                        WHEN count(*) > 0 THEN 'former' ELSE 'new' END
              FROM app.stays s WHERE s.resident_id = resident_status.resident_id);
END $$;

-- The one place that decides what a role sees of a resident: staff never get national_id/notes
-- (the object is built without them). From the row, its stays' count and its active stay;
-- one expression, so it is inlined into the caller's query.
CREATE OR REPLACE FUNCTION api.resident_doc(r app.residents, role text, n bigint, cur uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN role = 'staff' THEN
        jsonb_build_object('id', r.id, 'house_id', r.house_id, 'full_name', r.full_name,
            'register_number', r.register_number, 'sex', r.sex, 'birth_date', api.d(r.birth_date),
            'legal_status', r.legal_status,
            'supervision_ends_on', api.d(r.supervision_ends_on), 'caseworker_id', r.caseworker_id,
            'phone', r.phone, 'emergency_contact', r.emergency_contact,
            'status', CASE WHEN cur IS NOT NULL THEN 'in_residence' WHEN n > 0 THEN 'former' ELSE 'new' END,
            'current_stay_id', cur, 'anonymised_at', api.ts(r.anonymised_at),
            'created_at', api.ts(r.created_at), 'updated_at', api.ts(r.updated_at), 'version', r.version)
    ELSE
        jsonb_build_object('id', r.id, 'house_id', r.house_id, 'full_name', r.full_name,
            'register_number', r.register_number, 'sex', r.sex, 'birth_date', api.d(r.birth_date),
            'national_id', r.national_id, 'legal_status', r.legal_status,
            'supervision_ends_on', api.d(r.supervision_ends_on), 'caseworker_id', r.caseworker_id,
            'phone', r.phone, 'notes', r.notes, 'emergency_contact', r.emergency_contact,
            'status', CASE WHEN cur IS NOT NULL THEN 'in_residence' WHEN n > 0 THEN 'former' ELSE 'new' END,
            'current_stay_id', cur, 'processing_restricted', r.processing_restricted,
            'erasure_scheduled_at', api.ts(r.erasure_scheduled_at), 'anonymised_at', api.ts(r.anonymised_at),
            'created_at', api.ts(r.created_at), 'updated_at', api.ts(r.updated_at), 'version', r.version)
    END
$$;

-- api.resident_doc of a row, its stays looked up here.
CREATE OR REPLACE FUNCTION api.resident_json(r app.residents, role text) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    n bigint;
    cur uuid;
BEGIN
    SELECT count(*), (array_agg(s.id) FILTER (WHERE s.checked_out_at IS NULL))[1] INTO n, cur
      FROM app.stays s WHERE s.resident_id = r.id;
    RETURN api.resident_doc(r, role, n, cur);
END $$;

CREATE OR REPLACE FUNCTION api.like_escape(q text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT replace(replace(replace(q, '\', '\\'), '%', '\%'), '_', '\_')
$$;

-- processing_restricted (§18.6) is set or lifted by a caseworker, manager or admin only.
CREATE OR REPLACE FUNCTION api.check_restriction_role(ctx api.ctx, args jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF args ? 'processing_restricted' AND ctx.role = 'staff' THEN
        PERFORM api.fail(403, 'forbidden', NULL, 'processing_restricted is for caseworkers and managers');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION api.op_residents_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE r app.residents;
BEGIN
    r := jsonb_populate_record(NULL::app.residents, api.only(args, '{house_id,full_name,register_number,sex,
        birth_date,national_id,legal_status,supervision_ends_on,caseworker_id,phone,notes,emergency_contact,
        processing_restricted}'));
    PERFORM api.check_restriction_role(ctx, args);
    IF NOT EXISTS (SELECT 1 FROM app.houses h WHERE h.id = r.house_id AND api.sees(ctx, h.id)) THEN
        PERFORM api.invalid('house_id', 'no such house');
    END IF;
    IF r.birth_date > api.today(r.house_id) THEN PERFORM api.invalid('birth_date', 'is in the future'); END IF;
    PERFORM api.check_caseworker(r.caseworker_id, r.house_id);
    INSERT INTO app.residents (house_id, full_name, register_number, sex, birth_date, national_id, legal_status,
                               supervision_ends_on, caseworker_id, phone, notes, emergency_contact,
                               processing_restricted)
    VALUES (r.house_id, r.full_name, r.register_number, r.sex, r.birth_date, r.national_id, r.legal_status,
            r.supervision_ends_on, r.caseworker_id, r.phone, r.notes, r.emergency_contact,
            coalesce(r.processing_restricted, false))
    RETURNING * INTO r;
    PERFORM api.audit(ctx, 'resident.create', 'resident', r.id, r.house_id, NULL, api.resident_json(r, 'admin'));
    RETURN ROW(201, api.resident_json(r, ctx.role));
END $$;

CREATE OR REPLACE FUNCTION api.op_residents_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    hid uuid := (args->>'house_id')::uuid;
    pat text := '%' || api.like_escape(lower(args->>'q')) || '%';
BEGIN
    IF hid IS NOT NULL THEN PERFORM api.visible_house(ctx, hid); END IF;
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.resident_json(x.r, ctx.role))
                                                        ORDER BY x.seq), '[]'), api.lim(args)))::api.reply
      FROM (SELECT r, r.seq FROM app.residents r
             WHERE api.sees(ctx, r.house_id) AND (hid IS NULL OR r.house_id = hid)
               AND (pat IS NULL OR lower(r.full_name) LIKE pat OR lower(r.register_number) LIKE pat)
               AND (args->>'status' IS NULL OR api.resident_status(r.id) = args->>'status')
               AND (args->>'caseworker_id' IS NULL OR r.caseworker_id = (args->>'caseworker_id')::uuid)
               AND r.seq > api.after(args)
             ORDER BY r.seq LIMIT api.lim(args) + 1) x);
END $$;

-- A resident as a user of that role and those houses (NULL: all) sees it, in one query: the
-- row, its stays' count and current stay (from the covering index stays_resident_cover_idx)
-- and the JSON (api.resident_doc, inlined). No row: absent, or of a house not seen.
CREATE OR REPLACE FUNCTION api.resident_view(id uuid, role text, house_ids uuid[])
RETURNS TABLE (doc jsonb, version int) LANGUAGE sql STABLE AS $$
    SELECT api.resident_doc(r, resident_view.role, a.n, a.cur), r.version
      FROM app.residents r
     CROSS JOIN LATERAL (SELECT count(*) AS n, (array_agg(s.id) FILTER (WHERE s.checked_out_at IS NULL))[1] AS cur
                           FROM app.stays s WHERE s.resident_id = r.id) a
     WHERE r.id = resident_view.id AND (resident_view.house_ids IS NULL OR r.house_id = ANY (resident_view.house_ids))
$$;

CREATE OR REPLACE FUNCTION api.op_residents_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE doc jsonb;
BEGIN
    SELECT v.doc INTO doc FROM api.resident_view(api.pid(args, 'id'), ctx.role, ctx.house_ids) v;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN ROW(200, doc);
END $$;

-- disclosure: the record of §18.4 when the answer carries a sensitive field (the daemon then
-- reads again through the statement that inserts it, src/api/statements.c).
DROP FUNCTION IF EXISTS api.direct_residents_get(bytea, text[], jsonb, uuid);  -- before its disclosure column
CREATE OR REPLACE FUNCTION api.direct_residents_get(token_hash bytea, roles text[], args jsonb, have uuid)
RETURNS TABLE (status int, body text, etag int, tag uuid, disclosure jsonb) LANGUAGE sql STABLE AS $$
    SELECT x.status, CASE WHEN x.status = 200 THEN x.doc::text ELSE api.direct_problem(x.status) END,
           CASE WHEN x.status = 200 THEN x.version END, NULL::uuid,
           CASE WHEN x.status = 200 AND cardinality(x.fields) > 0 THEN
                jsonb_build_array(api.disclosure_doc(args->'_disclosure', x.user_id, x.role, 'read',
                                                     (x.doc->>'id')::uuid, (x.doc->>'house_id')::uuid, x.fields)) END
      FROM (SELECT api.direct_status(u.user_id, u.role, u.admitted, v.doc IS NOT NULL) AS status, v.doc, v.version,
                   u.user_id, u.role, api.sensitive_fields('resident', v.doc) AS fields
              FROM (SELECT) one
              LEFT JOIN api.session(direct_residents_get.token_hash, direct_residents_get.roles) u ON true
              LEFT JOIN LATERAL api.resident_view((args->>'id')::uuid, u.role, u.house_ids) v ON u.admitted) x
$$;

CREATE OR REPLACE FUNCTION api.op_residents_update(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE r app.residents; n app.residents;
BEGIN
    r := api.locked_resident(ctx, api.pid(args, 'id'));
    PERFORM api.check_version(args, r.version);
    IF args ? 'house_id' AND (args->>'house_id')::uuid IS DISTINCT FROM r.house_id THEN
        PERFORM api.invalid('house_id', 'a resident belongs to one house');
    END IF;
    n := jsonb_populate_record(r, api.only(args, '{full_name,register_number,sex,birth_date,national_id,
        legal_status,supervision_ends_on,caseworker_id,phone,notes,emergency_contact,processing_restricted}'));
    PERFORM api.check_restriction_role(ctx, args);
    IF n.birth_date > api.today(r.house_id) THEN PERFORM api.invalid('birth_date', 'is in the future'); END IF;
    IF args ? 'caseworker_id' THEN PERFORM api.check_caseworker(n.caseworker_id, r.house_id); END IF;
    PERFORM api.check_basis_governs(n);    -- 12_legal_bases.sql
    UPDATE app.residents SET full_name = n.full_name, register_number = n.register_number, sex = n.sex,
           birth_date = n.birth_date, national_id = n.national_id, legal_status = n.legal_status,
           supervision_ends_on = n.supervision_ends_on, caseworker_id = n.caseworker_id, phone = n.phone,
           notes = n.notes, emergency_contact = n.emergency_contact, processing_restricted = n.processing_restricted
     WHERE id = r.id RETURNING * INTO n;
    PERFORM api.audit(ctx, 'resident.update', 'resident', r.id, r.house_id,
                      api.resident_json(r, 'admin'), api.resident_json(n, 'admin'));
    RETURN ROW(200, api.resident_json(n, ctx.role));
END $$;
