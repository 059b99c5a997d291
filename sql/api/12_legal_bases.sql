-- abipraya: legal bases (contract §15.2) and the resident fields that follow the current one.
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").
-- Every write locks the resident row first: records, corrections, revocations and
-- PATCH /residents of one resident are serialised by it, on any instance, so the basis a
-- request names as current is still current when it commits.

-- Under supervision (§15.2): a supervised type, not revoked, and today not after its end. The
-- one statement of the rule; columns, not the row, so that it inlines into set-based queries.
CREATE OR REPLACE FUNCTION api.under_supervision(type text, revoked_on date, ends_on date, today date) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT type <> 'released' AND revoked_on IS NULL AND today <= ends_on
$$;

-- The one place that decides what a role sees of a basis: staff get the type and the dates,
-- never the decree, the guarantor, the Litmas or free text (the keys are absent). status and
-- under_supervision are computed in the house's today.
CREATE OR REPLACE FUNCTION api.legal_basis_json(b app.legal_bases, role text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    next uuid := (SELECT n.id FROM app.legal_bases n WHERE n.supersedes_id = b.id);
    st text := CASE WHEN b.superseded_at IS NOT NULL THEN 'superseded'
                    WHEN b.revoked_on IS NOT NULL THEN 'revoked'
                    WHEN api.today(b.house_id) > b.supervision_ends_on THEN 'ended'
                    ELSE 'in_force' END;
    doc jsonb;
BEGIN
    doc := jsonb_build_object('id', b.id, 'resident_id', b.resident_id, 'house_id', b.house_id, 'type', b.type,
        'starts_on', api.d(b.starts_on), 'supervision_ends_on', api.d(b.supervision_ends_on),
        'caseworker_id', b.caseworker_id, 'current', b.superseded_at IS NULL, 'status', st,
        'under_supervision', st = 'in_force' AND b.type <> 'released', 'supersedes_id', b.supersedes_id,
        'superseded_by', next, 'superseded_at', api.ts(b.superseded_at), 'revoked_on', api.d(b.revoked_on),
        'recorded_by', b.recorded_by, 'version', b.version,
        'created_at', api.ts(b.created_at), 'updated_at', api.ts(b.updated_at));
    IF role = 'staff' THEN
        RETURN doc;
    END IF;
    RETURN doc || jsonb_build_object('decree_number', b.decree_number, 'decree_date', api.d(b.decree_date),
        'issuing_authority', b.issuing_authority, 'guarantor', b.guarantor, 'litmas_number', b.litmas_number,
        'notes', b.notes, 'revocation_decree_number', b.revocation_decree_number,
        'revocation_reason', b.revocation_reason, 'correction_reason', b.correction_reason);
END $$;

-- The resident's legal_status for a basis type (§6's enum stays closed).
CREATE OR REPLACE FUNCTION api.basis_legal_status(type text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE type WHEN 'pembebasan_bersyarat' THEN 'parole' WHEN 'cuti_bersyarat' THEN 'conditional_leave'
                     WHEN 'cuti_menjelang_bebas' THEN 'pre_release_leave' WHEN 'asimilasi' THEN 'assimilation'
                     WHEN 'probation' THEN 'probation' WHEN 'community_service' THEN 'probation'
                     ELSE 'released' END
$$;

-- A basis named in the path, its resident locked first (the order every write takes).
CREATE OR REPLACE FUNCTION api.locked_basis(ctx api.ctx, id uuid) RETURNS app.legal_bases LANGUAGE plpgsql AS $$
DECLARE b app.legal_bases;
BEGIN
    SELECT * INTO b FROM app.legal_bases x WHERE x.id = locked_basis.id AND api.sees(ctx, x.house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    PERFORM api.locked_resident(ctx, b.resident_id);
    SELECT * INTO b FROM app.legal_bases x WHERE x.id = b.id;    -- as it is under the lock
    RETURN b;
END $$;

-- §15.2's rules on one basis as it will be stored (a record, or a correction merged).
CREATE OR REPLACE FUNCTION api.check_basis(b app.legal_bases, today date) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF b.decree_number IS NULL AND b.type <> 'released' THEN
        PERFORM api.invalid('decree_number', 'is required for this type');
    END IF;
    IF b.decree_number IS NOT NULL AND b.decree_date IS NULL THEN
        PERFORM api.invalid('decree_date', 'is required with a decree_number');
    END IF;
    IF b.decree_date > today THEN PERFORM api.invalid('decree_date', 'is after today'); END IF;
    IF b.starts_on > today THEN PERFORM api.invalid('starts_on', 'is after today'); END IF;
    IF b.type = 'released' AND b.supervision_ends_on IS NOT NULL THEN
        PERFORM api.invalid('supervision_ends_on', 'must be null for a released basis');
    END IF;
    IF b.type <> 'released' AND b.supervision_ends_on IS NULL THEN
        PERFORM api.invalid('supervision_ends_on', 'is required for this type');
    END IF;
    IF b.supervision_ends_on < b.starts_on THEN
        PERFORM api.invalid('supervision_ends_on', 'is before starts_on');
    END IF;
    -- a correction of a revoked basis keeps its revocation inside it
    IF b.revoked_on < b.starts_on THEN PERFORM api.invalid('starts_on', 'is after revoked_on'); END IF;
    IF b.revoked_on > b.supervision_ends_on THEN
        PERFORM api.invalid('supervision_ends_on', 'is before revoked_on');
    END IF;
    IF b.revoked_on IS NOT NULL AND b.type = 'released' THEN
        PERFORM api.invalid('type', 'a revoked basis cannot become released');
    END IF;
    PERFORM api.check_caseworker(b.caseworker_id, b.house_id);
END $$;

-- The resident follows its current basis: legal_status and supervision_ends_on from b, with
-- its own audit record when a value changed (the resident row is locked by the caller).
CREATE OR REPLACE FUNCTION api.resident_follow(ctx api.ctx, resident_id uuid, b app.legal_bases) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE r app.residents; n app.residents;
BEGIN
    SELECT * INTO r FROM app.residents x WHERE x.id = resident_follow.resident_id;
    IF r.legal_status = api.basis_legal_status(b.type) AND r.supervision_ends_on IS NOT DISTINCT FROM b.supervision_ends_on THEN
        RETURN;
    END IF;
    UPDATE app.residents x SET legal_status = api.basis_legal_status(b.type), supervision_ends_on = b.supervision_ends_on
     WHERE x.id = r.id RETURNING * INTO n;
    PERFORM api.audit(ctx, 'resident.update', 'resident', r.id, r.house_id,
                      api.resident_json(r, 'admin'), api.resident_json(n, 'admin'));
END $$;

-- PATCH /residents: 409 legal_basis_governs when n changes legal_status or
-- supervision_ends_on away from the current basis (the same value is a no-op).
CREATE OR REPLACE FUNCTION api.check_basis_governs(n app.residents) RETURNS void LANGUAGE plpgsql AS $$
DECLARE b app.legal_bases;
BEGIN
    SELECT * INTO b FROM app.legal_bases x WHERE x.resident_id = n.id AND x.superseded_at IS NULL;
    IF FOUND AND (n.legal_status IS DISTINCT FROM api.basis_legal_status(b.type)
                  OR n.supervision_ends_on IS DISTINCT FROM b.supervision_ends_on) THEN
        PERFORM api.fail(409, 'legal_basis_governs', NULL, 'legal_status and supervision_ends_on follow the current legal basis');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION api.op_legal_bases_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    r app.residents := api.locked_resident(ctx, api.pid(args, 'id'));
    cur app.legal_bases;
    b app.legal_bases;
    sid uuid := (args->>'supersedes_id')::uuid;
BEGIN
    b := jsonb_populate_record(NULL::app.legal_bases, api.only(args, '{type,decree_number,decree_date,
        issuing_authority,starts_on,supervision_ends_on,guarantor,litmas_number,caseworker_id,notes}'));
    b.house_id := r.house_id;
    IF NOT args ? 'caseworker_id' THEN b.caseworker_id := r.caseworker_id; END IF;
    PERFORM api.check_basis(b, api.today(r.house_id));
    IF sid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM app.legal_bases x WHERE x.id = sid AND x.resident_id = r.id) THEN
        PERFORM api.invalid('supersedes_id', 'is not a legal basis of this resident');
    END IF;
    SELECT * INTO cur FROM app.legal_bases x WHERE x.resident_id = r.id AND x.superseded_at IS NULL;
    IF sid IS DISTINCT FROM cur.id THEN
        PERFORM api.fail(409, 'legal_basis_superseded', NULL, 'supersedes_id is not the current legal basis');
    END IF;
    IF b.starts_on < cur.starts_on THEN
        PERFORM api.invalid('starts_on', 'is before the starts_on of the basis it supersedes');
    END IF;
    UPDATE app.legal_bases x SET superseded_at = now() WHERE x.id = cur.id;
    INSERT INTO app.legal_bases (resident_id, house_id, type, decree_number, decree_date, issuing_authority, starts_on,
                                 supervision_ends_on, guarantor, litmas_number, caseworker_id, notes, supersedes_id,
                                 recorded_by)
    VALUES (r.id, r.house_id, b.type, b.decree_number, b.decree_date, b.issuing_authority, b.starts_on,
            b.supervision_ends_on, b.guarantor, b.litmas_number, b.caseworker_id, b.notes, cur.id, ctx.user_id)
    RETURNING * INTO b;
    PERFORM api.audit(ctx, 'legal_basis.record', 'legal_basis', b.id, b.house_id, NULL, api.legal_basis_json(b, 'admin'));
    PERFORM api.resident_follow(ctx, r.id, b);
    PERFORM api.emit(b.house_id, 'legal_basis.recorded', jsonb_build_object('entity', 'legal_basis', 'id', b.id,
                     'resident_id', b.resident_id, 'supersedes_id', b.supersedes_id));
    RETURN ROW(201, api.legal_basis_json(b, ctx.role));
END $$;

CREATE OR REPLACE FUNCTION api.op_legal_bases_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE hid uuid := (args->>'house_id')::uuid;
BEGIN
    IF hid IS NOT NULL THEN PERFORM api.visible_house(ctx, hid); END IF;
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.legal_basis_json(x.b, ctx.role))
                                                        ORDER BY x.seq), '[]'), api.lim(args)))::api.reply
      FROM (SELECT b, b.seq FROM app.legal_bases b
             WHERE api.sees(ctx, b.house_id) AND (hid IS NULL OR b.house_id = hid)
               AND (args->>'resident_id' IS NULL OR b.resident_id = (args->>'resident_id')::uuid)
               AND (args->>'current' IS NULL OR (b.superseded_at IS NULL) = (args->>'current')::boolean)
               AND (args->>'type' IS NULL OR b.type = args->>'type')
               AND (args->>'ends_from' IS NULL OR b.supervision_ends_on >= (args->>'ends_from')::date)
               AND (args->>'ends_to' IS NULL OR b.supervision_ends_on <= (args->>'ends_to')::date)
               AND b.seq > api.after(args)
             ORDER BY b.seq LIMIT api.lim(args) + 1) x);
END $$;

CREATE OR REPLACE FUNCTION api.op_legal_bases_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE b app.legal_bases;
BEGIN
    SELECT * INTO b FROM app.legal_bases x WHERE x.id = api.pid(args, 'id') AND api.sees(ctx, x.house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN ROW(200, api.legal_basis_json(b, ctx.role));
END $$;

-- A correction of a data-entry mistake: the merged basis passes §15.2's rules and keeps its
-- starts_on between its predecessor's and its successor's.
CREATE OR REPLACE FUNCTION api.op_legal_bases_correct(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    b app.legal_bases := api.locked_basis(ctx, api.pid(args, 'id'));
    n app.legal_bases;
BEGIN
    PERFORM api.check_version(args, b.version);
    IF args->>'correction_reason' IS NULL THEN PERFORM api.invalid('correction_reason', 'is required'); END IF;
    n := jsonb_populate_record(b, api.only(args, '{type,decree_number,decree_date,issuing_authority,starts_on,
        supervision_ends_on,guarantor,litmas_number,caseworker_id,notes,correction_reason}'));
    PERFORM api.check_basis(n, api.today(b.house_id));
    IF n.starts_on < (SELECT p.starts_on FROM app.legal_bases p WHERE p.id = b.supersedes_id) THEN
        PERFORM api.invalid('starts_on', 'is before the starts_on of the basis it supersedes');
    END IF;
    IF n.starts_on > (SELECT s.starts_on FROM app.legal_bases s WHERE s.supersedes_id = b.id) THEN
        PERFORM api.invalid('starts_on', 'is after the starts_on of the basis that supersedes it');
    END IF;
    UPDATE app.legal_bases x SET type = n.type, decree_number = n.decree_number, decree_date = n.decree_date,
           issuing_authority = n.issuing_authority, starts_on = n.starts_on, supervision_ends_on = n.supervision_ends_on,
           guarantor = n.guarantor, litmas_number = n.litmas_number, caseworker_id = n.caseworker_id, notes = n.notes,
           correction_reason = n.correction_reason
     WHERE x.id = b.id RETURNING * INTO n;
    PERFORM api.audit(ctx, 'legal_basis.correct', 'legal_basis', b.id, b.house_id,
                      api.legal_basis_json(b, 'admin'), api.legal_basis_json(n, 'admin'));
    IF n.superseded_at IS NULL THEN PERFORM api.resident_follow(ctx, n.resident_id, n); END IF;
    PERFORM api.emit(n.house_id, 'legal_basis.updated', jsonb_build_object('entity', 'legal_basis', 'id', n.id,
                     'resident_id', n.resident_id));
    RETURN ROW(200, api.legal_basis_json(n, ctx.role));
END $$;

-- Pencabutan: the basis stays current until a new one supersedes it; the resident's fields
-- describe the decree and do not change.
CREATE OR REPLACE FUNCTION api.op_legal_bases_revoke(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    b app.legal_bases := api.locked_basis(ctx, api.pid(args, 'id'));
    n app.legal_bases;
    on_ date := (args->>'revoked_on')::date;
BEGIN
    PERFORM api.check_version(args, b.version);
    IF b.superseded_at IS NOT NULL THEN
        PERFORM api.fail(409, 'legal_basis_superseded', NULL, 'only the current legal basis can be revoked');
    ELSIF b.revoked_on IS NOT NULL THEN
        PERFORM api.fail(409, 'legal_basis_revoked', NULL, 'the legal basis is already revoked');
    ELSIF b.type = 'released' THEN
        PERFORM api.fail(409, 'no_supervision', NULL, 'a released basis has no supervision to revoke');
    END IF;
    IF on_ < b.starts_on THEN PERFORM api.invalid('revoked_on', 'is before starts_on'); END IF;
    IF on_ > b.supervision_ends_on THEN PERFORM api.invalid('revoked_on', 'is after supervision_ends_on'); END IF;
    IF on_ > api.today(b.house_id) THEN PERFORM api.invalid('revoked_on', 'is after today'); END IF;
    UPDATE app.legal_bases x SET revoked_on = on_, revocation_reason = args->>'reason',
           revocation_decree_number = args->>'decree_number'
     WHERE x.id = b.id RETURNING * INTO n;
    PERFORM api.audit(ctx, 'legal_basis.revoke', 'legal_basis', b.id, b.house_id,
                      api.legal_basis_json(b, 'admin'), api.legal_basis_json(n, 'admin'));
    PERFORM api.emit(n.house_id, 'legal_basis.updated', jsonb_build_object('entity', 'legal_basis', 'id', n.id,
                     'resident_id', n.resident_id));
    RETURN ROW(200, api.legal_basis_json(n, ctx.role));
END $$;
