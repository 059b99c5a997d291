-- abipraya: referrals (rujukan, contract §17.3): a person a Lapas or Rutan sends to a house,
-- pending -> accepted | declined | cancelled, accepted -> arrived (a check-in, §7, calls
-- api.referral_arrive) | cancelled. Repeatable: re-applied whenever its text changes
-- (docs/ops.md "Migrations").
-- Every write locks the referral's row first, so two accepts (or an accept and a decline) of
-- one referral run one after the other on any instance: the second finds it decided. The
-- unique register number and resident among open referrals are the database's
-- (0019_referrals.sql), mapped to 409 conflict by api.run.

-- The one place that decides what a role sees of a referral: staff never get national_id,
-- litmas_number or notes (the keys are absent). Admins' view is the audit's.
CREATE OR REPLACE FUNCTION api.referral_json(f app.referrals, role text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', f.id, 'house_id', f.house_id, 'full_name', f.full_name,
        'register_number', f.register_number, 'sex', f.sex, 'birth_date', api.d(f.birth_date),
        'national_id', f.national_id, 'from_institution', f.from_institution,
        'institution_kind', f.institution_kind, 'litmas_number', f.litmas_number,
        'expected_legal_basis', f.expected_legal_basis,
        'expected_supervision_ends_on', api.d(f.expected_supervision_ends_on),
        'expected_arrival_on', api.d(f.expected_arrival_on), 'caseworker_id', f.caseworker_id, 'notes', f.notes,
        'status', f.status, 'status_reason', f.status_reason, 'decided_at', api.ts(f.decided_at),
        'decided_by', f.decided_by, 'resident_id', f.resident_id, 'stay_id', f.stay_id,
        'arrived_at', api.ts(f.arrived_at), 'version', f.version,
        'created_at', api.ts(f.created_at), 'updated_at', api.ts(f.updated_at))
        - CASE WHEN role = 'staff' THEN '{national_id,litmas_number,notes}'::text[] ELSE '{}'::text[] END
$$;

-- A referral named in the path, its row locked when asked: 404 unless visible.
CREATE OR REPLACE FUNCTION api.visible_referral(ctx api.ctx, id uuid, lock boolean) RETURNS app.referrals
LANGUAGE plpgsql AS $$
DECLARE f app.referrals;
BEGIN
    IF lock THEN
        SELECT * INTO f FROM app.referrals x WHERE x.id = visible_referral.id AND api.sees(ctx, x.house_id) FOR UPDATE;
    ELSE
        SELECT * INTO f FROM app.referrals x WHERE x.id = visible_referral.id AND api.sees(ctx, x.house_id);
    END IF;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN f;
END $$;

-- A change's audit record (the object as an admin reads it) and its event (§17.12: every
-- house role, ids only: resident_id once linked, stay_id once arrived).
CREATE OR REPLACE FUNCTION api.record_referral(ctx api.ctx, action text, event text, before app.referrals,
                                               after app.referrals) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM api.audit(ctx, 'referral.' || action, 'referral', after.id, after.house_id,
                      CASE WHEN before.id IS NOT NULL THEN api.referral_json(before, 'admin') END,
                      api.referral_json(after, 'admin'));
    PERFORM api.emit(after.house_id, 'referral.' || event, jsonb_strip_nulls(jsonb_build_object(
                     'entity', 'referral', 'id', after.id, 'resident_id', after.resident_id, 'stay_id', after.stay_id)));
END $$;

-- The date rules of a referral's fields, on create and on PATCH (whatever the PATCH gives).
CREATE OR REPLACE FUNCTION api.check_referral(f app.referrals, args jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE today date := api.today(f.house_id);
BEGIN
    IF f.birth_date > today THEN PERFORM api.invalid('birth_date', 'is in the future'); END IF;
    IF args ? 'expected_arrival_on'
       AND f.expected_arrival_on NOT BETWEEN today - 30 AND today + 366 THEN
        PERFORM api.invalid('expected_arrival_on', 'is more than 30 days ago or more than 366 days ahead');
    END IF;
    IF args ? 'caseworker_id' THEN PERFORM api.check_caseworker(f.caseworker_id, f.house_id); END IF;
END $$;

CREATE OR REPLACE FUNCTION api.op_referrals_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE f app.referrals;
BEGIN
    f := jsonb_populate_record(NULL::app.referrals, api.only(args, '{house_id,full_name,register_number,sex,
        birth_date,national_id,from_institution,institution_kind,litmas_number,expected_legal_basis,
        expected_supervision_ends_on,expected_arrival_on,caseworker_id,notes}'));
    IF NOT EXISTS (SELECT 1 FROM app.houses h WHERE h.id = f.house_id AND api.sees(ctx, h.id)) THEN
        PERFORM api.invalid('house_id', 'no such house');
    END IF;
    PERFORM api.check_referral(f, args);
    INSERT INTO app.referrals (house_id, full_name, register_number, sex, birth_date, national_id, from_institution,
                               institution_kind, litmas_number, expected_legal_basis, expected_supervision_ends_on,
                               expected_arrival_on, caseworker_id, notes)
    VALUES (f.house_id, f.full_name, f.register_number, f.sex, f.birth_date, f.national_id, f.from_institution,
            f.institution_kind, f.litmas_number, f.expected_legal_basis, f.expected_supervision_ends_on,
            f.expected_arrival_on, f.caseworker_id, f.notes)
    RETURNING * INTO f;
    PERFORM api.record_referral(ctx, 'create', 'created', NULL, f);
    RETURN ROW(201, api.referral_json(f, ctx.role));
END $$;

-- q: a literal substring of the name, the register number or (not for staff) the Litmas number.
CREATE OR REPLACE FUNCTION api.op_referrals_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    hid uuid := (args->>'house_id')::uuid;
    pat text := '%' || api.like_escape(lower(args->>'q')) || '%';
BEGIN
    IF hid IS NOT NULL THEN PERFORM api.visible_house(ctx, hid); END IF;
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.referral_json(x.f, ctx.role))
                                                        ORDER BY x.seq), '[]'), api.lim(args)))::api.reply
      FROM (SELECT f, f.seq FROM app.referrals f
             WHERE api.sees(ctx, f.house_id) AND (hid IS NULL OR f.house_id = hid)
               AND (args->>'status' IS NULL OR f.status = args->>'status')
               AND (pat IS NULL OR lower(f.full_name) LIKE pat OR lower(f.register_number) LIKE pat
                    OR (ctx.role <> 'staff' AND lower(f.litmas_number) LIKE pat))
               AND f.seq > api.after(args)
             ORDER BY f.seq LIMIT api.lim(args) + 1) x);
END $$;

CREATE OR REPLACE FUNCTION api.op_referrals_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
BEGIN
    RETURN ROW(200, api.referral_json(api.visible_referral(ctx, api.pid(args, 'id'), false), ctx.role));
END $$;

-- Order of the checks: the referral (404), If-Match (412), a final referral (409
-- referral_closed), the fields (422), the person fields of an accepted one (409
-- referral_not_pending: they are the resident record's now).
CREATE OR REPLACE FUNCTION api.op_referrals_update(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    f app.referrals := api.visible_referral(ctx, api.pid(args, 'id'), true);
    n app.referrals;
BEGIN
    PERFORM api.check_version(args, f.version);
    IF f.status IN ('declined', 'cancelled', 'arrived') THEN
        PERFORM api.fail(409, 'referral_closed', NULL, 'the referral is ' || f.status);
    END IF;
    n := jsonb_populate_record(f, api.only(args, '{full_name,register_number,sex,birth_date,national_id,
        from_institution,institution_kind,litmas_number,expected_legal_basis,expected_supervision_ends_on,
        expected_arrival_on,caseworker_id,notes}'));
    PERFORM api.check_referral(n, args);
    IF f.status = 'accepted' AND (n.full_name, n.register_number, n.sex, n.birth_date, n.national_id)
                                 IS DISTINCT FROM (f.full_name, f.register_number, f.sex, f.birth_date, f.national_id) THEN
        PERFORM api.fail(409, 'referral_not_pending', NULL,
                         'the person fields of an accepted referral are the resident''s: change the resident');
    END IF;
    IF n.sex <> f.sex THEN PERFORM api.referral_holds_sex(f, n.sex); END IF;   -- §17.4 (21_bed_time.sql)
    UPDATE app.referrals x SET full_name = n.full_name, register_number = n.register_number, sex = n.sex,
           birth_date = n.birth_date, national_id = n.national_id, from_institution = n.from_institution,
           institution_kind = n.institution_kind, litmas_number = n.litmas_number,
           expected_legal_basis = n.expected_legal_basis, expected_supervision_ends_on = n.expected_supervision_ends_on,
           expected_arrival_on = n.expected_arrival_on, caseworker_id = n.caseworker_id, notes = n.notes
     WHERE x.id = f.id RETURNING * INTO n;
    IF n.version <> f.version THEN
        PERFORM api.record_referral(ctx, 'update', 'updated', f, n);
    END IF;
    RETURN ROW(200, api.referral_json(n, ctx.role));
END $$;

-- The resident an accepted referral stands for (§17.3), its row locked: the one named, else
-- the house's resident with the register number, else a new one made from the referral
-- (audit resident.create; legal_status from the expected basis by §15.2's mapping, no basis
-- recorded: the decree comes at arrival).
CREATE OR REPLACE FUNCTION api.referral_resident(ctx api.ctx, f app.referrals, resident_id uuid) RETURNS app.residents
LANGUAGE plpgsql AS $$
DECLARE r app.residents;
BEGIN
    IF resident_id IS NOT NULL THEN
        SELECT * INTO r FROM app.residents x WHERE x.id = referral_resident.resident_id AND x.house_id = f.house_id
           FOR NO KEY UPDATE;
        IF NOT FOUND THEN PERFORM api.invalid('resident_id', 'is not a resident of the referral''s house'); END IF;
        RETURN r;
    END IF;
    SELECT * INTO r FROM app.residents x WHERE x.register_number = f.register_number FOR NO KEY UPDATE;
    IF FOUND AND r.house_id <> f.house_id THEN
        PERFORM api.fail(409, 'conflict', 'register_number', 'a resident of another house has this register number');
    END IF;
    IF NOT FOUND THEN
        -- a resident created meanwhile with the number is residents_register_number_key's 409 conflict
        INSERT INTO app.residents (house_id, full_name, register_number, sex, birth_date, national_id, legal_status,
                                   supervision_ends_on, caseworker_id)
        VALUES (f.house_id, f.full_name, f.register_number, f.sex, f.birth_date, f.national_id,
                api.basis_legal_status(f.expected_legal_basis), f.expected_supervision_ends_on, f.caseworker_id)
        RETURNING * INTO r;
        PERFORM api.audit(ctx, 'resident.create', 'resident', r.id, r.house_id, NULL, api.resident_json(r, 'admin'));
    END IF;
    RETURN r;
END $$;

CREATE OR REPLACE FUNCTION api.op_referrals_accept(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    f app.referrals := api.visible_referral(ctx, api.pid(args, 'id'), true);
    n app.referrals;
    r app.residents;
BEGIN
    IF f.status <> 'pending' THEN
        PERFORM api.fail(409, 'referral_not_pending', NULL, 'the referral is ' || f.status);
    END IF;
    r := api.referral_resident(ctx, f, (args->>'resident_id')::uuid);
    IF EXISTS (SELECT 1 FROM app.stays s WHERE s.resident_id = r.id AND s.checked_out_at IS NULL) THEN
        PERFORM api.fail(409, 'resident_in_residence', 'resident_id', 'the resident has an active stay');
    END IF;
    -- (under a race, referrals_open_resident_key is the final word: the same 409)
    IF EXISTS (SELECT 1 FROM app.referrals x WHERE x.resident_id = r.id AND x.status IN ('pending', 'accepted')) THEN
        PERFORM api.fail(409, 'conflict', 'resident_id', 'the resident is linked to another open referral');
    END IF;
    UPDATE app.referrals x SET status = 'accepted', decided_at = now(), decided_by = ctx.user_id, resident_id = r.id
     WHERE x.id = f.id RETURNING * INTO n;
    PERFORM api.referral_holds_accepted(ctx, n, r);     -- §17.4: its holds now hold r (21_bed_time.sql)
    PERFORM api.record_referral(ctx, 'accept', 'accepted', f, n);
    RETURN ROW(200, api.referral_json(n, ctx.role));
END $$;

-- Decline and cancel: the final status with its reason; decided_at/by only for a decision.
CREATE OR REPLACE FUNCTION api.close_referral(ctx api.ctx, args jsonb, status text) RETURNS api.reply
LANGUAGE plpgsql AS $$
DECLARE
    f app.referrals := api.visible_referral(ctx, api.pid(args, 'id'), true);
    n app.referrals;
    decided boolean := status = 'declined';
BEGIN
    IF decided AND f.status <> 'pending' THEN
        PERFORM api.fail(409, 'referral_not_pending', NULL, 'the referral is ' || f.status);
    END IF;
    IF f.status IN ('declined', 'cancelled', 'arrived') THEN
        PERFORM api.fail(409, 'referral_closed', NULL, 'the referral is ' || f.status);
    END IF;
    UPDATE app.referrals x SET status = close_referral.status, status_reason = args->>'reason',
           decided_at = CASE WHEN decided THEN now() ELSE x.decided_at END,
           decided_by = CASE WHEN decided THEN ctx.user_id ELSE x.decided_by END
     WHERE x.id = f.id RETURNING * INTO n;
    PERFORM api.referral_holds_cancelled(ctx, n, 'referral ' || n.status);      -- §17.4 (21_bed_time.sql)
    PERFORM api.record_referral(ctx, CASE WHEN decided THEN 'decline' ELSE 'cancel' END, n.status, f, n);
    RETURN ROW(200, api.referral_json(n, ctx.role));
END $$;

CREATE OR REPLACE FUNCTION api.op_referrals_decline(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE sql AS $$
    SELECT api.close_referral(ctx, args, 'declined')
$$;

CREATE OR REPLACE FUNCTION api.op_referrals_cancel(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE sql AS $$
    SELECT api.close_referral(ctx, args, 'cancelled')
$$;

-- Arrival (§17.3), in the check-in's transaction (api.op_stays_checkin): the accepted
-- referral of the stay's resident, if any, becomes arrived with the stay and its
-- checked_in_at. The resident's row is locked by the check-in, and an accept locks it too
-- before it links it, so a check-in and an accept of one person never miss each other.
CREATE OR REPLACE FUNCTION api.referral_arrive(ctx api.ctx, s app.stays) RETURNS void LANGUAGE plpgsql AS $$
DECLARE f app.referrals; n app.referrals;
BEGIN
    SELECT * INTO f FROM app.referrals x WHERE x.resident_id = s.resident_id AND x.status = 'accepted' FOR UPDATE;
    IF NOT FOUND THEN RETURN; END IF;
    UPDATE app.referrals x SET status = 'arrived', stay_id = s.id, arrived_at = s.checked_in_at
     WHERE x.id = f.id RETURNING * INTO n;
    PERFORM api.record_referral(ctx, 'arrive', 'arrived', f, n);
END $$;
