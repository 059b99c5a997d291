-- abipraya: house rules and violations.
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

CREATE OR REPLACE FUNCTION api.rule_json(r app.rules) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', r.id, 'house_id', r.house_id, 'code', r.code, 'title', r.title,
        'description', r.description, 'severity', r.severity, 'active', r.active,
        'created_at', api.ts(r.created_at), 'updated_at', api.ts(r.updated_at), 'version', r.version)
$$;

CREATE OR REPLACE FUNCTION api.violation_json(v app.violations) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', v.id, 'stay_id', v.stay_id, 'house_id', v.house_id,
        'resident_id', v.resident_id, 'rule_id', v.rule_id, 'occurred_at', api.ts(v.occurred_at),
        'description', v.description, 'action_taken', v.action_taken, 'recorded_by', v.recorded_by,
        'created_at', api.ts(v.created_at), 'updated_at', api.ts(v.updated_at), 'version', v.version)
$$;

CREATE OR REPLACE FUNCTION api.op_rules_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE h app.houses := api.visible_house(ctx, api.pid(args, 'house_id')); r app.rules;
BEGIN
    INSERT INTO app.rules (house_id, code, title, description, severity, active)
    VALUES (h.id, args->>'code', args->>'title', args->>'description', args->>'severity',
            coalesce((args->>'active')::boolean, true)) RETURNING * INTO r;
    PERFORM api.audit(ctx, 'rule.create', 'rule', r.id, h.id, NULL, api.rule_json(r));
    RETURN ROW(201, api.rule_json(r));
END $$;

CREATE OR REPLACE FUNCTION api.op_rules_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE h app.houses := api.visible_house(ctx, api.pid(args, 'house_id'));
BEGIN
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.rule_json(x.r)) ORDER BY x.seq), '[]'),
                                     api.lim(args)))::api.reply
      FROM (SELECT r, r.seq FROM app.rules r
             WHERE r.house_id = h.id AND (args->>'active' IS NULL OR r.active = (args->>'active')::boolean)
               AND r.seq > api.after(args)
             ORDER BY r.seq LIMIT api.lim(args) + 1) x);
END $$;

CREATE OR REPLACE FUNCTION api.op_rules_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE r app.rules;
BEGIN
    SELECT * INTO r FROM app.rules WHERE id = api.pid(args, 'id') AND api.sees(ctx, house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN ROW(200, api.rule_json(r));
END $$;

CREATE OR REPLACE FUNCTION api.op_rules_update(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE r app.rules; n app.rules;
BEGIN
    SELECT * INTO r FROM app.rules WHERE id = api.pid(args, 'id') AND api.sees(ctx, house_id) FOR UPDATE;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    PERFORM api.check_version(args, r.version);
    n := jsonb_populate_record(r, api.only(args, '{title,description,severity,active}'));
    UPDATE app.rules SET title = n.title, description = n.description, severity = n.severity, active = n.active
     WHERE id = r.id RETURNING * INTO n;
    PERFORM api.audit(ctx, 'rule.update', 'rule', r.id, r.house_id, api.rule_json(r), api.rule_json(n));
    RETURN ROW(200, api.rule_json(n));
END $$;

CREATE OR REPLACE FUNCTION api.op_violations_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    s app.stays := api.visible_stay(ctx, api.pid(args, 'stay_id'));
    at timestamptz := (args->>'occurred_at')::timestamptz;
    v app.violations;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM app.rules r WHERE r.id = (args->>'rule_id')::uuid AND r.house_id = s.house_id) THEN
        PERFORM api.invalid('rule_id', 'no such rule in this house');
    END IF;
    IF at < s.checked_in_at OR at > coalesce(s.checked_out_at, api.soon()) THEN
        PERFORM api.invalid('occurred_at', 'is outside the stay');
    END IF;
    INSERT INTO app.violations (stay_id, house_id, resident_id, rule_id, occurred_at, description, action_taken, recorded_by)
    VALUES (s.id, s.house_id, s.resident_id, (args->>'rule_id')::uuid, at, args->>'description',
            args->>'action_taken', ctx.user_id)
    RETURNING * INTO v;
    PERFORM api.audit(ctx, 'violation.create', 'violation', v.id, v.house_id, NULL, api.violation_json(v));
    PERFORM api.emit(v.house_id, 'violation.recorded', jsonb_build_object('entity', 'violation', 'id', v.id,
                     'stay_id', v.stay_id, 'resident_id', v.resident_id));
    RETURN ROW(201, api.violation_json(v));
END $$;

-- A violation is read through its list: no route reads one by id (API.md §9), and every
-- api.op_* function is some route's (tests/integration/test_spec_db.py).
DROP FUNCTION IF EXISTS api.op_violations_get(api.ctx, jsonb);

-- from/to: inclusive dates in each house's time zone
CREATE OR REPLACE FUNCTION api.op_violations_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE hid uuid := (args->>'house_id')::uuid;
BEGIN
    IF hid IS NOT NULL THEN PERFORM api.visible_house(ctx, hid); END IF;
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.violation_json(x.v)) ORDER BY x.seq), '[]'),
                                     api.lim(args)))::api.reply
      FROM (SELECT v, v.seq FROM app.violations v JOIN app.houses h ON h.id = v.house_id
             WHERE api.sees(ctx, v.house_id) AND (hid IS NULL OR v.house_id = hid)
               AND (args->>'resident_id' IS NULL OR v.resident_id = (args->>'resident_id')::uuid)
               AND (args->>'from' IS NULL OR (v.occurred_at AT TIME ZONE h.timezone)::date >= (args->>'from')::date)
               AND (args->>'to' IS NULL OR (v.occurred_at AT TIME ZONE h.timezone)::date <= (args->>'to')::date)
               AND v.seq > api.after(args)
             ORDER BY v.seq LIMIT api.lim(args) + 1) x);
END $$;
