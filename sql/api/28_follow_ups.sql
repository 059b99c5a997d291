-- abipraya: post-exit follow-up (contract §18.8): scheduled by the check-out, a result
-- recorded (and corrected) or the follow-up cancelled; overdue computed at read.
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

-- today: the house's date (the list joins it once per house, not a lookup per row)
DROP FUNCTION IF EXISTS api.follow_up_json(app.follow_ups, text);
CREATE OR REPLACE FUNCTION api.follow_up_json(f app.follow_ups, full_name text, today date) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', f.id, 'resident_id', f.resident_id, 'full_name', full_name, 'house_id', f.house_id,
        'stay_id', f.stay_id, 'offset_days', f.offset_days, 'due_on', api.d(f.due_on), 'status', f.status,
        'overdue', f.status = 'pending' AND f.due_on < today, 'contacted_at', api.ts(f.contacted_at),
        'method', f.method, 'unreachable', f.unreachable, 'housing_stable', f.housing_stable, 'employed', f.employed,
        'business_operating', f.business_operating, 'reoffended', f.reoffended,
        'reporting_compliant', f.reporting_compliant, 'note', f.note, 'cancel_reason', f.cancel_reason,
        'recorded_by', f.recorded_by, 'version', f.version, 'created_at', api.ts(f.created_at),
        'updated_at', api.ts(f.updated_at))
$$;

CREATE OR REPLACE FUNCTION api.follow_up_doc(f app.follow_ups) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT api.follow_up_json(f, (SELECT r.full_name FROM app.residents r WHERE r.id = f.resident_id),
                              api.today(f.house_id))
$$;

-- In the check-out's transaction: one follow-up per entry of the house's follow_up_days, due
-- that many days after the check-out's house date, each with its audit record; none for a
-- resident who died.
CREATE OR REPLACE FUNCTION api.schedule_follow_ups(ctx api.ctx, s app.stays) RETURNS void LANGUAGE plpgsql AS $$
DECLARE f app.follow_ups; h app.houses; today date;
BEGIN
    IF s.exit_reason = 'deceased' THEN RETURN; END IF;
    SELECT * INTO h FROM app.houses x WHERE x.id = s.house_id;
    today := (now() AT TIME ZONE h.timezone)::date;
    FOR f IN INSERT INTO app.follow_ups (resident_id, house_id, stay_id, offset_days, due_on)
             SELECT s.resident_id, s.house_id, s.id, d, (s.checked_out_at AT TIME ZONE h.timezone)::date + d
               FROM unnest(h.follow_up_days) d
             RETURNING * LOOP
        PERFORM api.audit(ctx, 'follow_up.create', 'follow_up', f.id, f.house_id, NULL, api.follow_up_json(f, NULL, today));
    END LOOP;
END $$;

-- Pending first by due_on, then the others in creation order; the cursor is a position.
CREATE OR REPLACE FUNCTION api.op_follow_ups_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    hid uuid := (args->>'house_id')::uuid;
    within int := (args->>'due_within_days')::int;
BEGIN
    IF hid IS NOT NULL THEN PERFORM api.visible_house(ctx, hid); END IF;
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.pos, x.j) ORDER BY x.pos), '[]'),
                                     api.lim(args)))::api.reply
      FROM (SELECT y.pos, api.follow_up_json(y.f, y.full_name, y.today) AS j
              FROM (SELECT f, r.full_name, t.today,
                           row_number() OVER (ORDER BY f.status <> 'pending',
                                                       CASE WHEN f.status = 'pending' THEN f.due_on END, f.seq) AS pos
                      FROM app.follow_ups f JOIN app.residents r ON r.id = f.resident_id
                      JOIN app.houses h ON h.id = f.house_id
                     CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE h.timezone)::date AS today) t
                     WHERE api.sees(ctx, f.house_id) AND (hid IS NULL OR f.house_id = hid)
                       AND (args->>'resident_id' IS NULL OR f.resident_id = (args->>'resident_id')::uuid)
                       AND (args->>'stay_id' IS NULL OR f.stay_id = (args->>'stay_id')::uuid)
                       AND (args->>'caseworker_id' IS NULL OR r.caseworker_id = (args->>'caseworker_id')::uuid)
                       AND (args->>'status' IS NULL OR f.status = args->>'status')
                       AND (within IS NULL OR f.status = 'pending' AND f.due_on <= t.today + within)) y
             WHERE y.pos > api.after(args)
             ORDER BY y.pos LIMIT api.lim(args) + 1) x);
END $$;

CREATE OR REPLACE FUNCTION api.visible_follow_up(ctx api.ctx, id uuid, lock boolean) RETURNS app.follow_ups
LANGUAGE plpgsql AS $$
DECLARE f app.follow_ups;
BEGIN
    IF lock THEN
        SELECT * INTO f FROM app.follow_ups x WHERE x.id = visible_follow_up.id AND api.sees(ctx, x.house_id) FOR UPDATE;
    ELSE
        SELECT * INTO f FROM app.follow_ups x WHERE x.id = visible_follow_up.id AND api.sees(ctx, x.house_id);
    END IF;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN f;
END $$;

CREATE OR REPLACE FUNCTION api.op_follow_ups_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
BEGIN
    RETURN ROW(200, api.follow_up_doc(api.visible_follow_up(ctx, api.pid(args, 'id'), false)));
END $$;

CREATE OR REPLACE FUNCTION api.follow_up_event(f app.follow_ups, name text) RETURNS void LANGUAGE sql AS $$
    SELECT api.emit_casework(f.house_id, name, jsonb_build_object('entity', 'follow_up', 'id', f.id,
                                                                 'resident_id', f.resident_id, 'stay_id', f.stay_id))
$$;

-- Order: the follow-up (404), If-Match (412), cancelled (409 follow_up_closed), the fields
-- (422, each at once). A second result replaces the first (a correction).
CREATE OR REPLACE FUNCTION api.op_follow_ups_result(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    f app.follow_ups := api.visible_follow_up(ctx, api.pid(args, 'id'), true);
    n app.follow_ups;
    at timestamptz := coalesce((args->>'contacted_at')::timestamptz, now());
    away boolean := coalesce((args->>'unreachable')::boolean, false);
    outcomes text[] := '{housing_stable,employed,business_operating,reoffended,reporting_compliant}';
    today date := api.today(f.house_id);
    bad text[];
BEGIN
    PERFORM api.check_version(args, f.version);
    IF f.status = 'cancelled' THEN PERFORM api.fail(409, 'follow_up_closed', NULL, 'the follow-up was cancelled'); END IF;
    bad := ARRAY(SELECT o FROM unnest(outcomes) o WHERE (args ? o AND args->o <> 'null') = away);
    IF at > api.soon() OR at < (SELECT s.checked_out_at FROM app.stays s WHERE s.id = f.stay_id) THEN
        bad := bad || 'contacted_at'::text;
    END IF;
    IF cardinality(bad) > 0 THEN
        PERFORM api.invalid_fields(bad, CASE WHEN away THEN 'is not given when unreachable'
                                             ELSE 'is required when reached' END);
    END IF;
    UPDATE app.follow_ups x SET status = 'done', contacted_at = at, method = args->>'method', unreachable = away,
           housing_stable = (args->>'housing_stable')::boolean, employed = (args->>'employed')::boolean,
           business_operating = (args->>'business_operating')::boolean, reoffended = (args->>'reoffended')::boolean,
           reporting_compliant = (args->>'reporting_compliant')::boolean, note = args->>'note', recorded_by = ctx.user_id
     WHERE x.id = f.id RETURNING * INTO n;
    PERFORM api.audit(ctx, 'follow_up.record', 'follow_up', n.id, n.house_id, api.follow_up_json(f, NULL, today),
                      api.follow_up_json(n, NULL, today));
    PERFORM api.follow_up_event(n, 'follow_up.recorded');
    RETURN ROW(200, api.follow_up_doc(n));
END $$;

-- Done or cancelled -> 409 follow_up_closed (of a result and a cancel at once, one wins).
CREATE OR REPLACE FUNCTION api.op_follow_ups_cancel(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    f app.follow_ups := api.visible_follow_up(ctx, api.pid(args, 'id'), true);
    n app.follow_ups;
    today date := api.today(f.house_id);
BEGIN
    PERFORM api.check_version(args, f.version);
    IF f.status <> 'pending' THEN PERFORM api.fail(409, 'follow_up_closed', NULL, 'the follow-up is ' || f.status); END IF;
    UPDATE app.follow_ups x SET status = 'cancelled', cancel_reason = args->>'reason' WHERE x.id = f.id RETURNING * INTO n;
    PERFORM api.audit(ctx, 'follow_up.cancel', 'follow_up', n.id, n.house_id, api.follow_up_json(f, NULL, today),
                      api.follow_up_json(n, NULL, today));
    PERFORM api.follow_up_event(n, 'follow_up.cancelled');
    RETURN ROW(200, api.follow_up_doc(n));
END $$;
