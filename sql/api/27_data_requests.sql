-- abipraya: data-subject requests (contract §18.6): recorded with their due_at (received_at +
-- 72 hours, a generated column), answered or refused once, and the effects of an answer in its
-- transaction (consents withdrawn, processing restricted, erasure scheduled).
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

CREATE OR REPLACE FUNCTION api.data_request_json(q app.data_requests) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', q.id, 'resident_id', q.resident_id, 'house_id', q.house_id, 'kind', q.kind,
        'received_at', api.ts(q.received_at), 'due_at', api.ts(q.due_at), 'details', q.details,
        'consent_id', q.consent_id, 'status', q.status, 'overdue', q.status = 'open' AND now() > q.due_at,
        'answered_at', api.ts(q.answered_at), 'answered_late', q.answered_at > q.due_at, 'response', q.response,
        'refusal_reason', q.refusal_reason, 'answered_by', q.answered_by, 'recorded_by', q.recorded_by,
        'version', q.version, 'created_at', api.ts(q.created_at), 'updated_at', api.ts(q.updated_at))
$$;

CREATE OR REPLACE FUNCTION api.data_request_event(q app.data_requests, name text) RETURNS void LANGUAGE sql AS $$
    SELECT api.emit_casework(q.house_id, name,
                             jsonb_build_object('entity', 'data_request', 'id', q.id, 'resident_id', q.resident_id))
$$;

-- 404 (the resident), then received_at and consent_id (422); the resident's row is locked.
CREATE OR REPLACE FUNCTION api.op_data_requests_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    r app.residents := api.locked_resident(ctx, api.pid(args, 'id'));
    at timestamptz := coalesce((args->>'received_at')::timestamptz, now());
    cid uuid := (args->>'consent_id')::uuid;
    q app.data_requests;
    j jsonb;
BEGIN
    IF at > api.soon() THEN PERFORM api.invalid('received_at', 'is more than 5 minutes ahead'); END IF;
    IF cid IS NOT NULL AND (args->>'kind' <> 'withdrawal'
                            OR NOT EXISTS (SELECT 1 FROM app.consents c WHERE c.id = cid AND c.resident_id = r.id)) THEN
        PERFORM api.invalid('consent_id', 'names a consent of the resident, with kind withdrawal only');
    END IF;
    INSERT INTO app.data_requests (resident_id, house_id, kind, received_at, details, consent_id, recorded_by)
    VALUES (r.id, r.house_id, args->>'kind', at, args->>'details', cid, ctx.user_id)
    RETURNING * INTO q;
    j := api.data_request_json(q);
    PERFORM api.audit(ctx, 'data_request.create', 'data_request', q.id, q.house_id, NULL, j);
    PERFORM api.data_request_event(q, 'data_request.received');
    RETURN ROW(201, j);
END $$;

-- Both lists: open requests first by due_at (the overdue ones thus first), then the closed
-- ones in creation order; the cursor is a position in that order.
CREATE OR REPLACE FUNCTION api.data_requests_page(ctx api.ctx, args jsonb, resident_id uuid, named boolean)
RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE hid uuid := (args->>'house_id')::uuid;
BEGIN
    IF hid IS NOT NULL THEN PERFORM api.visible_house(ctx, hid); END IF;
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.pos, x.j) ORDER BY x.pos), '[]'),
                                     api.lim(args)))::api.reply
      FROM (SELECT y.pos, api.data_request_json(y.q)
                          || CASE WHEN named THEN jsonb_build_object('full_name', y.full_name) ELSE '{}' END AS j
              FROM (SELECT q, r.full_name,
                           row_number() OVER (ORDER BY q.status <> 'open', CASE WHEN q.status = 'open' THEN q.due_at END,
                                                       q.seq) AS pos
                      FROM app.data_requests q JOIN app.residents r ON r.id = q.resident_id
                     WHERE api.sees(ctx, q.house_id)
                       AND (data_requests_page.resident_id IS NULL OR q.resident_id = data_requests_page.resident_id)
                       AND (hid IS NULL OR q.house_id = hid)
                       AND (args->>'resident_id' IS NULL OR q.resident_id = (args->>'resident_id')::uuid)
                       AND (args->>'kind' IS NULL OR q.kind = args->>'kind')
                       AND (args->>'status' IS NULL OR q.status = args->>'status')
                       AND (args->>'overdue' IS NULL
                            OR (q.status = 'open' AND now() > q.due_at) = (args->>'overdue')::boolean)) y
             WHERE y.pos > api.after(args)
             ORDER BY y.pos LIMIT api.lim(args) + 1) x);
END $$;

CREATE OR REPLACE FUNCTION api.op_data_requests_list_resident(ctx api.ctx, args jsonb) RETURNS api.reply
LANGUAGE plpgsql AS $$
BEGIN
    RETURN api.data_requests_page(ctx, args, (api.visible_resident(ctx, api.pid(args, 'id'))).id, false);
END $$;

CREATE OR REPLACE FUNCTION api.op_data_requests_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
BEGIN
    RETURN api.data_requests_page(ctx, args, NULL, true);
END $$;

CREATE OR REPLACE FUNCTION api.visible_data_request(ctx api.ctx, id uuid, lock boolean) RETURNS app.data_requests
LANGUAGE plpgsql AS $$
DECLARE q app.data_requests;
BEGIN
    IF lock THEN
        SELECT * INTO q FROM app.data_requests x WHERE x.id = visible_data_request.id AND api.sees(ctx, x.house_id)
           FOR UPDATE;
    ELSE
        SELECT * INTO q FROM app.data_requests x WHERE x.id = visible_data_request.id AND api.sees(ctx, x.house_id);
    END IF;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN q;
END $$;

CREATE OR REPLACE FUNCTION api.op_data_requests_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
BEGIN
    RETURN ROW(200, api.data_request_json(api.visible_data_request(ctx, api.pid(args, 'id'), false)));
END $$;

-- The resident's active consents (all, or the one named) withdrawn at AT, each with its own
-- audit record and event (§18.6: withdrawal and deletion).
CREATE OR REPLACE FUNCTION api.withdraw_consents(ctx api.ctx, r app.residents, only_id uuid, at timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE c app.consents; today date := api.today(r.house_id);
BEGIN
    FOR c IN SELECT * FROM app.consents x
              WHERE x.resident_id = r.id AND (only_id IS NULL OR x.id = only_id)
                AND api.consent_status(x, today) = 'active'
              ORDER BY x.seq FOR UPDATE LOOP
        PERFORM api.withdraw_consent(ctx, c, at, 'permintaan subjek data', today);
    END LOOP;
END $$;

-- The resident changed by an answer (restriction, deletion), with its audit record.
CREATE OR REPLACE FUNCTION api.resident_privacy(ctx api.ctx, r app.residents, restricted boolean, erase boolean)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE n app.residents;
BEGIN
    UPDATE app.residents x SET processing_restricted = x.processing_restricted OR restricted,
           erasure_scheduled_at = CASE WHEN erase THEN coalesce(x.erasure_scheduled_at, now()) ELSE x.erasure_scheduled_at END
     WHERE x.id = r.id RETURNING * INTO n;
    PERFORM api.audit(ctx, 'resident.update', 'resident', r.id, r.house_id,
                      api.resident_json(r, 'admin'), api.resident_json(n, 'admin'));
END $$;

-- In residence, or under supervision: its current basis in force, or without a basis its
-- supervision_ends_on today or later (§18.6 deletion).
CREATE OR REPLACE FUNCTION api.erasure_blocked(r app.residents) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM app.stays s WHERE s.resident_id = r.id AND s.checked_out_at IS NULL)
        OR coalesce((SELECT api.under_supervision(b.type, b.revoked_on, b.supervision_ends_on, api.today(r.house_id))
                       FROM app.legal_bases b WHERE b.resident_id = r.id AND b.superseded_at IS NULL),
                    r.supervision_ends_on >= api.today(r.house_id), false)
$$;

-- Order: the request (404), If-Match (412), closed (409 request_closed: of two at once the
-- second waits on the row lock), the fields (422), a blocked erasure (409 erasure_blocked).
CREATE OR REPLACE FUNCTION api.op_data_requests_close(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    q app.data_requests := api.visible_data_request(ctx, api.pid(args, 'id'), true);
    n app.data_requests;
    r app.residents;
    at timestamptz := coalesce((args->>'answered_at')::timestamptz, now());
    answered boolean := args->>'status' = 'answered';
BEGIN
    PERFORM api.check_version(args, q.version);
    IF q.status <> 'open' THEN
        PERFORM api.fail(409, 'request_closed', NULL, 'the request was ' || q.status || ' at ' || api.ts(q.answered_at));
    END IF;
    IF answered AND NOT args ? 'response' OR NOT answered AND args ? 'response' THEN
        PERFORM api.invalid('response', CASE WHEN answered THEN 'is required to answer' ELSE 'is for an answer' END);
    END IF;
    IF NOT answered AND NOT args ? 'refusal_reason' OR answered AND args ? 'refusal_reason' THEN
        PERFORM api.invalid('refusal_reason', CASE WHEN answered THEN 'is for a refusal' ELSE 'is required to refuse' END);
    END IF;
    IF at < q.received_at OR at > api.soon() THEN
        PERFORM api.invalid('answered_at', 'must be from received_at and at most 5 minutes ahead');
    END IF;
    SELECT * INTO r FROM app.residents x WHERE x.id = q.resident_id FOR UPDATE;
    IF answered AND q.kind = 'deletion' AND api.erasure_blocked(r) THEN
        PERFORM api.fail(409, 'erasure_blocked', NULL, 'the resident is in residence or under supervision');
    END IF;
    UPDATE app.data_requests x SET outcome = args->>'status', answered_at = at, response = args->>'response',
           refusal_reason = args->>'refusal_reason', answered_by = ctx.user_id
     WHERE x.id = q.id RETURNING * INTO n;
    IF answered AND q.kind IN ('withdrawal', 'deletion') THEN
        PERFORM api.withdraw_consents(ctx, r, q.consent_id, at);
    END IF;
    IF answered AND q.kind IN ('restriction', 'deletion') THEN
        PERFORM api.resident_privacy(ctx, r, q.kind = 'restriction', q.kind = 'deletion');
    END IF;
    PERFORM api.audit(ctx, 'data_request.close', 'data_request', n.id, n.house_id, api.data_request_json(q),
                      api.data_request_json(n));
    PERFORM api.data_request_event(n, 'data_request.closed');
    RETURN ROW(200, api.data_request_json(n));
END $$;
