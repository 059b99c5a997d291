-- abipraya: exit plans and their goals.
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

CREATE OR REPLACE FUNCTION api.goal_json(g app.goals) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', g.id, 'plan_id', g.plan_id, 'stay_id', g.stay_id, 'domain', g.domain,
        'title', g.title, 'due_on', api.d(g.due_on), 'status', g.status, 'note', g.note,
        'created_at', api.ts(g.created_at), 'updated_at', api.ts(g.updated_at), 'version', g.version)
$$;

-- achieved / not dropped, null when no goal counts
CREATE OR REPLACE FUNCTION api.readiness(plan_id uuid) RETURNS float8 LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT count(*) FILTER (WHERE g.status = 'achieved')::float8
                   / nullif(count(*) FILTER (WHERE g.status <> 'dropped'), 0)
              FROM app.goals g WHERE g.plan_id = readiness.plan_id);
END $$;

CREATE OR REPLACE FUNCTION api.plan_json(p app.exit_plans) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN jsonb_build_object('id', p.id, 'stay_id', p.stay_id, 'house_id', p.house_id,
        'resident_id', (SELECT s.resident_id FROM app.stays s WHERE s.id = p.stay_id),
        'target_exit_on', api.d(p.target_exit_on), 'destination_plan', p.destination_plan, 'summary', p.summary,
        'goals', (SELECT coalesce(jsonb_agg(api.goal_json(g) ORDER BY g.seq), '[]') FROM app.goals g WHERE g.plan_id = p.id),
        'readiness', api.readiness(p.id),
        'created_at', api.ts(p.created_at), 'updated_at', api.ts(p.updated_at), 'version', p.version);
END $$;

CREATE OR REPLACE FUNCTION api.op_exit_plans_put(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    s app.stays := api.visible_stay(ctx, api.pid(args, 'stay_id'));
    p app.exit_plans; n app.exit_plans;
BEGIN
    SELECT * INTO p FROM app.exit_plans WHERE stay_id = s.id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM api.check_version(args, NULL);    -- If-Match names a version of a plan that is not there
        INSERT INTO app.exit_plans (stay_id, house_id, target_exit_on, destination_plan, summary)
        VALUES (s.id, s.house_id, (args->>'target_exit_on')::date, args->>'destination_plan', args->>'summary')
        RETURNING * INTO n;
        PERFORM api.audit(ctx, 'exit_plan.create', 'exit_plan', n.id, n.house_id, NULL, api.plan_json(n));
        RETURN ROW(201, api.plan_json(n));
    END IF;
    PERFORM api.check_version(args, p.version);
    -- PUT replaces the plan's own fields (summary absent = none); goals are kept
    UPDATE app.exit_plans SET target_exit_on = (args->>'target_exit_on')::date,
           destination_plan = args->>'destination_plan', summary = args->>'summary'
     WHERE id = p.id RETURNING * INTO n;
    PERFORM api.audit(ctx, 'exit_plan.update', 'exit_plan', n.id, n.house_id, api.plan_json(p), api.plan_json(n));
    RETURN ROW(200, api.plan_json(n));
END $$;

CREATE OR REPLACE FUNCTION api.op_exit_plans_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    s app.stays := api.visible_stay(ctx, api.pid(args, 'stay_id'));
    p app.exit_plans;
BEGIN
    SELECT * INTO p FROM app.exit_plans WHERE stay_id = s.id;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN ROW(200, api.plan_json(p));
END $$;

CREATE OR REPLACE FUNCTION api.op_goals_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    s app.stays := api.visible_stay(ctx, api.pid(args, 'stay_id'));
    p app.exit_plans; g app.goals;
BEGIN
    SELECT * INTO p FROM app.exit_plans WHERE stay_id = s.id;
    IF NOT FOUND THEN PERFORM api.fail(404, 'not_found', NULL, 'the stay has no exit plan'); END IF;
    INSERT INTO app.goals (plan_id, stay_id, house_id, domain, title, due_on)
    VALUES (p.id, s.id, s.house_id, args->>'domain', args->>'title', (args->>'due_on')::date) RETURNING * INTO g;
    PERFORM api.audit(ctx, 'goal.create', 'goal', g.id, g.house_id, NULL, api.goal_json(g));
    RETURN ROW(201, api.goal_json(g));
END $$;

CREATE OR REPLACE FUNCTION api.op_goals_update(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE g app.goals; n app.goals;
BEGIN
    SELECT * INTO g FROM app.goals WHERE id = api.pid(args, 'id') AND api.sees(ctx, house_id) FOR UPDATE;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    PERFORM api.check_version(args, g.version);
    n := jsonb_populate_record(g, api.only(args, '{status,title,due_on,note,domain}'));
    UPDATE app.goals SET status = n.status, title = n.title, due_on = n.due_on, note = n.note, domain = n.domain
     WHERE id = g.id RETURNING * INTO n;
    PERFORM api.audit(ctx, 'goal.update', 'goal', g.id, g.house_id, api.goal_json(g), api.goal_json(n));
    RETURN ROW(200, api.goal_json(n));
END $$;

-- Plans of active stays, overdue ones first, then by target date (cursor = offset).
CREATE OR REPLACE FUNCTION api.op_exit_plans_worklist(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    cw uuid := (args->>'caseworker_id')::uuid;
    within int := (args->>'due_within_days')::int;
    skip bigint := api.after(args);
BEGIN
    RETURN (WITH w AS (
        SELECT p.id, p.seq, p.target_exit_on, r.full_name, api.today(p.house_id) AS today,
               api.plan_json(p) AS plan,
               (SELECT count(*) FROM app.goals g WHERE g.plan_id = p.id AND g.status NOT IN ('achieved', 'dropped')
                   AND g.due_on < api.today(p.house_id)) AS overdue
          FROM app.exit_plans p
          JOIN app.stays s ON s.id = p.stay_id AND s.checked_out_at IS NULL
          JOIN app.residents r ON r.id = s.resident_id
         WHERE api.sees(ctx, p.house_id) AND (cw IS NULL OR r.caseworker_id = cw)),
    kept AS (
        SELECT row_number() OVER (ORDER BY w.overdue > 0 DESC, w.target_exit_on, w.seq) AS n,
               w.plan || jsonb_build_object('full_name', w.full_name, 'overdue_goals', w.overdue) AS e
          FROM w
         WHERE within IS NULL OR w.target_exit_on <= w.today + within
            OR EXISTS (SELECT 1 FROM app.goals g WHERE g.plan_id = w.id AND g.status NOT IN ('achieved', 'dropped')
                          AND g.due_on <= w.today + within)),
    pg AS (SELECT * FROM kept ORDER BY n OFFSET skip LIMIT api.lim(args) + 1)
    SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(pg.n, pg.e) ORDER BY pg.n), '[]'),
                             api.lim(args)))::api.reply FROM pg);
END $$;
