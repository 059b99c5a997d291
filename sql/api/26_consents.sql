-- abipraya: consents (contract §18.2) and the partner view of a programme (§18.3), the one
-- answer that names residents to a partner, by their consents.
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").
-- A consent's status is computed at every read from its dates and the house's today (never
-- stored, never held by an instance), so that a withdrawal's 200 on any instance is seen by
-- every request that begins after it.

CREATE OR REPLACE FUNCTION api.consent_status(c app.consents, today date) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN c.withdrawn_at IS NOT NULL THEN 'withdrawn' WHEN today > c.expires_on THEN 'expired'
                ELSE 'active' END
$$;

CREATE OR REPLACE FUNCTION api.consent_json(c app.consents, today date) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', c.id, 'resident_id', c.resident_id, 'house_id', c.house_id,
        'purpose', c.purpose, 'purpose_detail', c.purpose_detail, 'partner_id', c.partner_id,
        'recipient', c.recipient, 'scope', to_jsonb(c.scope), 'given_on', api.d(c.given_on),
        'expires_on', api.d(c.expires_on), 'notice_given', c.notice_given,
        'proof', jsonb_build_object('form', c.proof_form, 'document_ref', c.proof_document_ref,
                                    'witness_name', c.proof_witness_name),
        'status', api.consent_status(c, today), 'withdrawn_at', api.ts(c.withdrawn_at),
        'withdrawal_reason', c.withdrawal_reason, 'withdrawn_by', c.withdrawn_by, 'recorded_by', c.recorded_by,
        'version', c.version, 'created_at', api.ts(c.created_at), 'updated_at', api.ts(c.updated_at))
$$;

-- A consent named in the path (404 unless its house is visible), locked for a withdrawal.
CREATE OR REPLACE FUNCTION api.visible_consent(ctx api.ctx, id uuid, lock boolean) RETURNS app.consents
LANGUAGE plpgsql AS $$
DECLARE c app.consents;
BEGIN
    IF lock THEN
        SELECT * INTO c FROM app.consents x WHERE x.id = visible_consent.id AND api.sees(ctx, x.house_id) FOR UPDATE;
    ELSE
        SELECT * INTO c FROM app.consents x WHERE x.id = visible_consent.id AND api.sees(ctx, x.house_id);
    END IF;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN c;
END $$;

-- §18.2's rules between fields and against the house (the CHECKs repeat the ones on the row
-- alone), every failing field at once.
CREATE OR REPLACE FUNCTION api.check_consent(c app.consents, args jsonb, today date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE bad text[] := '{}';
BEGIN
    IF c.purpose = 'other' AND c.purpose_detail IS NULL THEN bad := bad || 'purpose_detail'::text; END IF;
    IF c.purpose = 'programme_partner_sharing' AND c.partner_id IS NULL
       OR c.partner_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM app.partners p
                                                    WHERE p.id = c.partner_id AND c.house_id = ANY (p.house_ids)) THEN
        bad := bad || 'partner_id'::text;
    END IF;
    IF cardinality(c.scope) = 0 THEN bad := bad || 'scope'::text; END IF;
    IF c.given_on > today THEN bad := bad || 'given_on'::text; END IF;
    IF args ? 'expires_on' AND args->'expires_on' = 'null'
       OR c.expires_on <= c.given_on OR c.expires_on > (c.given_on + interval '5 years')::date THEN
        bad := bad || 'expires_on'::text;
    END IF;
    IF cardinality(bad) > 0 THEN
        PERFORM api.invalid_fields(bad, 'breaks a rule of the consent (§18.2)');
    END IF;
END $$;

-- 404 (the resident), then the rules (422); the resident's row is locked, the order every
-- change of a resident takes.
CREATE OR REPLACE FUNCTION api.op_consents_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    r app.residents := api.locked_resident(ctx, api.pid(args, 'id'));
    today date := api.today(r.house_id);
    c app.consents;
    j jsonb;
BEGIN
    c := ROW(NULL, NULL, r.id, r.house_id, args->>'purpose', args->>'purpose_detail', (args->>'partner_id')::uuid,
             args->>'recipient', ARRAY(SELECT jsonb_array_elements_text(args->'scope')), (args->>'given_on')::date,
             coalesce((args->>'expires_on')::date, ((args->>'given_on')::date + interval '1 year')::date),
             (args->>'notice_given')::boolean, args->'proof'->>'form', args->'proof'->>'document_ref',
             args->'proof'->>'witness_name', NULL, NULL, NULL, ctx.user_id, 1, now(), now())::app.consents;
    PERFORM api.check_consent(c, args, today);
    INSERT INTO app.consents (resident_id, house_id, purpose, purpose_detail, partner_id, recipient, scope, given_on,
                              expires_on, notice_given, proof_form, proof_document_ref, proof_witness_name, recorded_by)
    VALUES (c.resident_id, c.house_id, c.purpose, c.purpose_detail, c.partner_id, c.recipient, c.scope, c.given_on,
            c.expires_on, c.notice_given, c.proof_form, c.proof_document_ref, c.proof_witness_name, c.recorded_by)
    RETURNING * INTO c;
    j := api.consent_json(c, today);
    PERFORM api.audit(ctx, 'consent.create', 'consent', c.id, c.house_id, NULL, j);
    PERFORM api.emit_casework(c.house_id, 'consent.recorded',
                              jsonb_build_object('entity', 'consent', 'id', c.id, 'resident_id', c.resident_id));
    RETURN ROW(201, j);
END $$;

-- The filters both lists share (status computed against the house's today).
CREATE OR REPLACE FUNCTION api.consent_matches(c app.consents, today date, args jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT (args->>'status' IS NULL OR api.consent_status(c, today) = args->>'status')
       AND (args->>'purpose' IS NULL OR c.purpose = args->>'purpose')
       AND (args->>'partner_id' IS NULL OR c.partner_id = (args->>'partner_id')::uuid)
$$;

CREATE OR REPLACE FUNCTION api.op_consents_list_resident(ctx api.ctx, args jsonb) RETURNS api.reply
LANGUAGE plpgsql AS $$
DECLARE r app.residents := api.visible_resident(ctx, api.pid(args, 'id')); today date := api.today(r.house_id);
BEGIN
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.consent_json(x.c, today))
                                                        ORDER BY x.seq), '[]'), api.lim(args)))::api.reply
      FROM (SELECT c, c.seq FROM app.consents c
             WHERE c.resident_id = r.id AND api.consent_matches(c, today, args) AND c.seq > api.after(args)
             ORDER BY c.seq LIMIT api.lim(args) + 1) x);
END $$;

-- Creation order; with expires_within_days=N the renewal worklist: active consents expiring
-- by today + N, by expires_on (then creation), its cursor a position in that order.
CREATE OR REPLACE FUNCTION api.op_consents_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    hid uuid := (args->>'house_id')::uuid;
    within int := (args->>'expires_within_days')::int;
BEGIN
    IF hid IS NOT NULL THEN PERFORM api.visible_house(ctx, hid); END IF;
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.pos, x.j) ORDER BY x.pos), '[]'),
                                     api.lim(args)))::api.reply
      FROM (SELECT y.pos, api.consent_json(y.c, y.today) || jsonb_build_object('full_name', y.full_name) AS j
              FROM (SELECT c, t.today, r.full_name,
                           CASE WHEN within IS NULL THEN c.seq
                                ELSE row_number() OVER (ORDER BY c.expires_on, c.seq) END AS pos
                      FROM app.consents c
                      JOIN app.houses h ON h.id = c.house_id
                      JOIN app.residents r ON r.id = c.resident_id
                     CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE h.timezone)::date AS today) t
                     WHERE api.sees(ctx, c.house_id) AND (hid IS NULL OR c.house_id = hid)
                       AND api.consent_matches(c, t.today, args)
                       AND (within IS NULL OR api.consent_status(c, t.today) = 'active'
                                              AND c.expires_on <= t.today + within)) y
             WHERE y.pos > api.after(args)
             ORDER BY y.pos LIMIT api.lim(args) + 1) x);
END $$;

CREATE OR REPLACE FUNCTION api.op_consents_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE c app.consents := api.visible_consent(ctx, api.pid(args, 'id'), false);
BEGIN
    RETURN ROW(200, api.consent_json(c, api.today(c.house_id)));
END $$;

-- The withdrawal of a consent locked by the caller, with its audit record and event: by the
-- withdraw route and by an answered data-subject request (27_data_requests.sql).
CREATE OR REPLACE FUNCTION api.withdraw_consent(ctx api.ctx, c app.consents, at timestamptz, reason text, today date)
RETURNS app.consents LANGUAGE plpgsql AS $$
DECLARE n app.consents;
BEGIN
    UPDATE app.consents x SET withdrawn_at = at, withdrawal_reason = reason, withdrawn_by = ctx.user_id
     WHERE x.id = c.id RETURNING * INTO n;
    PERFORM api.audit(ctx, 'consent.withdraw', 'consent', n.id, n.house_id, api.consent_json(c, today),
                      api.consent_json(n, today));
    PERFORM api.emit_casework(n.house_id, 'consent.withdrawn',
                              jsonb_build_object('entity', 'consent', 'id', n.id, 'resident_id', n.resident_id));
    RETURN n;
END $$;

-- Order: the consent (404), If-Match (412), already withdrawn (409 consent_withdrawn: of two
-- at once, the second waits on the row lock and finds it withdrawn), withdrawn_at (422).
CREATE OR REPLACE FUNCTION api.op_consents_withdraw(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    c app.consents := api.visible_consent(ctx, api.pid(args, 'id'), true);
    h app.houses;
    at timestamptz := coalesce((args->>'withdrawn_at')::timestamptz, now());
    n app.consents;
    today date := api.today(c.house_id);
BEGIN
    PERFORM api.check_version(args, c.version);
    IF c.withdrawn_at IS NOT NULL THEN
        PERFORM api.fail(409, 'consent_withdrawn', NULL, 'the consent was withdrawn at ' || api.ts(c.withdrawn_at));
    END IF;
    SELECT * INTO h FROM app.houses x WHERE x.id = c.house_id;
    IF at > api.soon() OR at < api.midnight(c.given_on, h.timezone) THEN
        PERFORM api.invalid('withdrawn_at', 'must be from the start of given_on and at most 5 minutes ahead');
    END IF;
    n := api.withdraw_consent(ctx, c, at, args->>'reason', today);
    RETURN ROW(200, api.consent_json(n, today));
END $$;

-- ---------------------------------------------------------------- the partner view (§18.3)
-- participants: the residents who hold or held a seat (the stages seats_taken counts), each
-- once, in the order of their first such enrolment; named: those with an active consent to
-- share their attendance with the programme's partner, at this request, unless their
-- processing is restricted (§18.6) or they are anonymised (§18.7). The two counts are
-- hidden together when either is 1 to 4 (either and `named` would give the other).
CREATE OR REPLACE FUNCTION api.op_programmes_partner_view(ctx api.ctx, args jsonb) RETURNS api.reply
LANGUAGE plpgsql AS $$
DECLARE
    p app.programmes;
    total int;
    named jsonb;
    hide boolean;
BEGIN
    SELECT * INTO p FROM app.programmes x WHERE x.id = api.pid(args, 'id');
    IF NOT FOUND OR NOT api.sees_programme(ctx, p, api.ctx_partner(ctx)) THEN PERFORM api.not_found(); END IF;
    -- the residents it names, each under the consent that covers it (the one expiring last);
    -- every name shown is a disclosure to its reader (§18.4), written by this statement
    WITH part AS (
        SELECT e.resident_id, min(e.seq) AS first_seq
          FROM app.enrolments e
         WHERE e.programme_id = p.id AND e.stage IN ('enrolled', 'completed', 'not_completed')
         GROUP BY e.resident_id),
    covered AS (
        SELECT part.resident_id, part.first_seq, r.house_id, r.full_name, ok.consent_id
          FROM part
          JOIN app.residents r ON r.id = part.resident_id
          LEFT JOIN LATERAL (SELECT c.id AS consent_id FROM app.consents c JOIN app.houses h ON h.id = c.house_id
                 WHERE NOT r.processing_restricted AND r.anonymised_at IS NULL
                   AND c.resident_id = part.resident_id AND c.purpose = 'programme_partner_sharing'
                   AND c.partner_id = p.partner_id AND 'attendance' = ANY (c.scope)
                   AND api.consent_status(c, (now() AT TIME ZONE h.timezone)::date) = 'active'
                 ORDER BY c.expires_on DESC, c.id LIMIT 1) ok ON true),
    recorded AS (
        INSERT INTO app.disclosures (kind, user_id, role, partner_id, resident_id, house_id, entity, entity_id, fields,
                                     purpose, consent_id, request_id, path)
        SELECT 'partner_view', ctx.user_id, ctx.role, api.ctx_partner(ctx), c.resident_id, c.house_id, 'programme', p.id,
               '{full_name}', args->'_disclosure'->>'purpose', c.consent_id, ctx.request_id,
               coalesce(args->'_disclosure'->>'path', '/api/v1/programmes/' || p.id || '/partner-view')
          FROM covered c WHERE c.consent_id IS NOT NULL)
    SELECT count(*)::int,
           coalesce(jsonb_agg(jsonb_build_object('full_name', c.full_name) ORDER BY c.first_seq)
                        FILTER (WHERE c.consent_id IS NOT NULL), '[]')
      INTO total, named
      FROM covered c;
    hide := api.small_cell(total) OR api.small_cell(total - jsonb_array_length(named));
    RETURN ROW(200, jsonb_build_object('programme_id', p.id, 'partner_id', p.partner_id,
        'participants', CASE WHEN NOT hide THEN total END, 'named', named,
        'anonymous', CASE WHEN NOT hide THEN total - jsonb_array_length(named) END, 'suppressed', hide));
END $$;
