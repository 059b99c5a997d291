-- abipraya: programmes (contract §16.4), enrolments (§16.5), sessions and attendance (§16.6).
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").
-- Every change of an enrolment, and every change of a programme that may move enrolments,
-- locks the programme row first: seats, the waitlist and the one-enrolment-per-resident
-- rule are decided one change at a time, on every instance (seats_taken and its CHECK are
-- the database's last word: 0010_programmes.sql).

-- What a partner user may see of a count of people (§16.3): 1 to 4 is hidden.
CREATE OR REPLACE FUNCTION api.small_cell(n bigint) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT n BETWEEN 1 AND 4
$$;

-- Does the caller see the programme? me: the caller's partner (api.ctx_partner).
CREATE OR REPLACE FUNCTION api.sees_programme(ctx api.ctx, p app.programmes, me uuid) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN ctx.role = 'partner' THEN coalesce(p.partner_id = me, false) ELSE api.sees(ctx, p.house_id) END
$$;

-- The one place that decides what a reader sees of a programme: a partner user gets the
-- partner view (no seats_left, no waitlisted_count, seats_taken suppressed); sessions_held is
-- never suppressed (§16.3).
CREATE OR REPLACE FUNCTION api.programme_json(p app.programmes, ctx api.ctx) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    hide boolean := ctx.role = 'partner' AND api.small_cell(p.seats_taken);
    o jsonb := jsonb_build_object('id', p.id, 'house_id', p.house_id, 'kind', p.kind, 'title', p.title,
        'description', p.description, 'partner_id', p.partner_id, 'starts_on', api.d(p.starts_on),
        'ends_on', api.d(p.ends_on), 'capacity', p.capacity, 'planned_sessions', p.planned_sessions,
        'hours_required', trim_scale(p.hours_required), 'certificate', p.certificate, 'status', p.status,
        'seats_taken', CASE WHEN NOT hide THEN p.seats_taken END, 'suppressed', hide,
        'sessions_held', (SELECT count(*) FROM app.programme_sessions x WHERE x.programme_id = p.id AND x.status = 'held'),
        'version', p.version, 'created_at', api.ts(p.created_at), 'updated_at', api.ts(p.updated_at));
BEGIN
    IF ctx.role = 'partner' THEN
        RETURN o;
    END IF;
    RETURN o || jsonb_build_object('seats_left', p.capacity - p.seats_taken,
        'waitlisted_count', (SELECT count(*) FROM app.enrolments e WHERE e.programme_id = p.id AND e.stage = 'waitlisted'));
END $$;

-- The programme as audit records hold it: its own fields only (counts are not its changes).
CREATE OR REPLACE FUNCTION api.programme_audit_json(p app.programmes) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT api.programme_json(p, ROW(NULL, 'admin', NULL, NULL)::api.ctx)
           - '{seats_taken,seats_left,waitlisted_count,sessions_held}'::text[]
$$;

-- every house role of the house, and the programme's partner's users (§16.11)
CREATE OR REPLACE FUNCTION api.programme_event(p app.programmes, verb text) RETURNS void LANGUAGE sql AS $$
    SELECT api.emit(p.house_id, 'programme.' || verb,
                    jsonb_build_object('entity', 'programme', 'id', p.id, 'partner_id', p.partner_id),
                    CASE WHEN p.partner_id IS NOT NULL THEN ARRAY['admin', 'manager', 'caseworker', 'staff', 'partner'] END,
                    p.partner_id)
$$;

-- A programme of the path, for a house user, locked when asked: 404 unless visible.
CREATE OR REPLACE FUNCTION api.visible_programme(ctx api.ctx, id uuid, lock boolean) RETURNS app.programmes
LANGUAGE plpgsql AS $$
DECLARE p app.programmes;
BEGIN
    IF lock THEN
        SELECT * INTO p FROM app.programmes x WHERE x.id = visible_programme.id AND api.sees(ctx, x.house_id) FOR UPDATE;
    ELSE
        SELECT * INTO p FROM app.programmes x WHERE x.id = visible_programme.id AND api.sees(ctx, x.house_id);
    END IF;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN p;
END $$;

-- §16.4's rules on a programme as it will be stored.
CREATE OR REPLACE FUNCTION api.check_programme(n app.programmes) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- the partner's row is locked (as a PATCH removing a house locks it, 16_partners.sql), and
    -- the check below is a statement after the lock: it reads the house list as committed
    PERFORM 1 FROM app.partners x WHERE x.id = n.partner_id FOR SHARE;
    IF n.partner_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM app.partners x WHERE x.id = n.partner_id AND x.active
                                                   AND n.house_id = ANY (x.house_ids)) THEN
        PERFORM api.invalid('partner_id', 'is not an active partner that works with the house');
    END IF;
    IF n.ends_on < n.starts_on THEN PERFORM api.invalid('ends_on', 'is before starts_on'); END IF;
    IF n.hours_required <= 0 THEN PERFORM api.invalid('hours_required', 'must be more than 0'); END IF;
END $$;

CREATE OR REPLACE FUNCTION api.op_programmes_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE p app.programmes := jsonb_populate_record(NULL::app.programmes, api.only(args,
            '{house_id,kind,title,description,partner_id,starts_on,ends_on,capacity,planned_sessions,hours_required,certificate,status}'));
BEGIN
    IF NOT api.sees(ctx, p.house_id) OR NOT EXISTS (SELECT 1 FROM app.houses h WHERE h.id = p.house_id) THEN
        PERFORM api.invalid('house_id', 'no such house');
    END IF;
    IF coalesce(p.status, 'draft') NOT IN ('draft', 'open') THEN
        PERFORM api.invalid('status', 'a programme begins as draft or open');
    END IF;
    PERFORM api.check_programme(p);
    INSERT INTO app.programmes (house_id, kind, title, description, partner_id, starts_on, ends_on, capacity,
                                planned_sessions, hours_required, certificate, status)
    VALUES (p.house_id, p.kind, p.title, p.description, p.partner_id, p.starts_on, p.ends_on, p.capacity,
            p.planned_sessions, p.hours_required, coalesce(p.certificate, false), coalesce(p.status, 'draft'))
    RETURNING * INTO p;
    PERFORM api.audit(ctx, 'programme.create', 'programme', p.id, p.house_id, NULL, api.programme_audit_json(p));
    PERFORM api.programme_event(p, 'created');
    RETURN ROW(201, api.programme_json(p, ctx));
END $$;

CREATE OR REPLACE FUNCTION api.op_programmes_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    hid uuid := (args->>'house_id')::uuid;
    me uuid := api.ctx_partner(ctx);
BEGIN
    PERFORM api.house_filter(ctx, hid, me);
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.programme_json(x.p, ctx))
                                                        ORDER BY x.seq), '[]'), api.lim(args)))::api.reply
      FROM (SELECT p, p.seq FROM app.programmes p
             WHERE api.sees_programme(ctx, p, me) AND (hid IS NULL OR p.house_id = hid)
               AND (args->>'partner_id' IS NULL OR p.partner_id = (args->>'partner_id')::uuid)
               AND (args->>'kind' IS NULL OR p.kind = args->>'kind')
               AND (args->>'status' IS NULL OR p.status = args->>'status')
               AND p.seq > api.after(args)
             ORDER BY p.seq LIMIT api.lim(args) + 1) x);
END $$;

CREATE OR REPLACE FUNCTION api.op_programmes_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE p app.programmes;
BEGIN
    SELECT * INTO p FROM app.programmes x WHERE x.id = api.pid(args, 'id');
    IF NOT FOUND OR NOT api.sees_programme(ctx, p, api.ctx_partner(ctx)) THEN PERFORM api.not_found(); END IF;
    RETURN ROW(200, api.programme_json(p, ctx));
END $$;

-- ---------------------------------------------------------------- enrolments

CREATE OR REPLACE FUNCTION api.waitlist_position(e app.enrolments) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN e.stage = 'waitlisted' THEN
        (SELECT count(*) FROM app.enrolments w WHERE w.programme_id = e.programme_id AND w.stage = 'waitlisted'
            AND (w.waitlisted_at, w.seq) <= (e.waitlisted_at, e.seq)) END
$$;

-- The one place that decides what a reader sees of an enrolment: staff get no note and no
-- override_reason (§16.1). attendance: computed from the sheets (§16.6).
CREATE OR REPLACE FUNCTION api.enrolment_json(e app.enrolments, role text) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE o jsonb;
BEGIN
    o := jsonb_build_object('id', e.id, 'programme_id', e.programme_id, 'house_id', e.house_id,
        'resident_id', e.resident_id, 'full_name', (SELECT r.full_name FROM app.residents r WHERE r.id = e.resident_id),
        'stage', e.stage, 'waitlist_position', api.waitlist_position(e), 'withdrawal_reason', e.withdrawal_reason,
        'goal_id', e.goal_id, 'enrolled_at', api.ts(e.enrolled_at), 'completed_on', api.d(e.completed_on),
        'certificate_number', e.certificate_number, 'certificate_issued_on', api.d(e.certificate_issued_on),
        'attendance', api.enrolment_attendance(e.id),
        'history', (SELECT coalesce(jsonb_agg(jsonb_build_object('stage', h.stage, 'at', api.ts(h.at), 'by', h.by_user)
                                              ORDER BY h.seq), '[]')
                      FROM app.enrolment_stages h WHERE h.enrolment_id = e.id),
        'version', e.version, 'created_at', api.ts(e.created_at), 'updated_at', api.ts(e.updated_at));
    IF role <> 'staff' THEN
        o := o || jsonb_build_object('note', e.note, 'override_reason', e.override_reason);
    END IF;
    RETURN o;
END $$;

-- The residents who took a seat (enrolled_at: when an enrolment first held one, §16.5), at any
-- time, in a programme of the partner: whom a partner's exits and businesses (§16.9) and
-- outcomes (§18.9) count.
CREATE OR REPLACE FUNCTION api.partner_seated(partner uuid) RETURNS SETOF uuid LANGUAGE sql STABLE AS $$
    SELECT DISTINCT e.resident_id FROM app.enrolments e JOIN app.programmes p ON p.id = e.programme_id
     WHERE p.partner_id = partner AND e.enrolled_at IS NOT NULL
$$;

-- The audit form: the stored fields, without the computed rank and history.
CREATE OR REPLACE FUNCTION api.enrolment_audit_json(e app.enrolments) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT api.enrolment_json(e, 'admin') - '{full_name,waitlist_position,history,attendance}'::text[]
$$;

CREATE OR REPLACE FUNCTION api.enrolment_event(e app.enrolments, verb text) RETURNS void LANGUAGE sql AS $$
    SELECT api.emit(e.house_id, 'enrolment.' || verb, jsonb_build_object('entity', 'enrolment', 'id', e.id,
                    'programme_id', e.programme_id, 'resident_id', e.resident_id),
                    ARRAY['admin', 'manager', 'caseworker', 'staff'])
$$;

-- Moves an enrolment to a stage (the caller holds the programme row's lock): the row, its
-- history (by NULL for the daemon's own moves, §16.5), its audit record and event. want:
-- the goal_id and note the same request sets (one change, one version, one record).
CREATE OR REPLACE FUNCTION api.enrolment_move(ctx api.ctx, e app.enrolments, stage text, reason text, by_daemon boolean,
                                              want app.enrolments) RETURNS app.enrolments LANGUAGE plpgsql AS $$
DECLARE n app.enrolments;
BEGIN
    UPDATE app.enrolments x SET stage = enrolment_move.stage, goal_id = want.goal_id, note = want.note,
           withdrawal_reason = CASE WHEN enrolment_move.stage = 'withdrawn' THEN reason END,
           waitlisted_at = CASE WHEN enrolment_move.stage = 'waitlisted' THEN clock_timestamp() ELSE x.waitlisted_at END,
           enrolled_at = CASE WHEN app.holds_seat(enrolment_move.stage) THEN coalesce(x.enrolled_at, clock_timestamp())
                              ELSE x.enrolled_at END
     WHERE x.id = e.id RETURNING * INTO n;
    INSERT INTO app.enrolment_stages (enrolment_id, stage, by_user)
    VALUES (n.id, n.stage, CASE WHEN NOT by_daemon THEN ctx.user_id END);
    PERFORM api.audit(ctx, 'enrolment.update', 'enrolment', n.id, n.house_id, api.enrolment_audit_json(e),
                      api.enrolment_audit_json(n));
    PERFORM api.enrolment_event(n, 'updated');
    RETURN n;
END $$;

-- Waitlist promotion (§16.5): while the programme (locked by the caller) is open or running
-- and has a free seat, its first waitlisted enrolment takes it.
CREATE OR REPLACE FUNCTION api.promote_waitlist(ctx api.ctx, programme_id uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    p app.programmes;
    e app.enrolments;
BEGIN
    LOOP
        SELECT * INTO p FROM app.programmes x WHERE x.id = promote_waitlist.programme_id;
        EXIT WHEN p.status NOT IN ('open', 'running') OR p.seats_taken >= coalesce(p.capacity, p.seats_taken + 1);
        SELECT * INTO e FROM app.enrolments x WHERE x.programme_id = p.id AND x.stage = 'waitlisted'
         ORDER BY x.waitlisted_at, x.seq LIMIT 1;
        EXIT WHEN NOT FOUND;
        PERFORM api.enrolment_move(ctx, e, 'enrolled', NULL, true, e);
    END LOOP;
END $$;

-- §16.4's arrows, and what finishing and cancelling do to the enrolments (in one
-- transaction, each changed object with its own audit record and event).
CREATE OR REPLACE FUNCTION api.programme_transition(ctx api.ctx, p app.programmes, status text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE e app.enrolments;
BEGIN
    IF (p.status, status) NOT IN (('draft', 'open'), ('draft', 'cancelled'), ('open', 'running'), ('open', 'cancelled'),
                                  ('running', 'finished'), ('running', 'cancelled')) THEN
        PERFORM api.fail(409, 'invalid_transition', 'status', format('a programme does not go from %s to %s', p.status, status));
    END IF;
    FOR e IN SELECT * FROM app.enrolments x WHERE x.programme_id = p.id
                AND x.stage IN ('applied', 'waitlisted', 'enrolled') ORDER BY x.seq LOOP
        IF status = 'finished' THEN
            PERFORM api.enrolment_move(ctx, e, CASE WHEN e.stage = 'enrolled' THEN 'not_completed' ELSE 'withdrawn' END,
                                       'programme_ended', true, e);
        ELSIF status = 'cancelled' THEN
            PERFORM api.enrolment_move(ctx, e, 'withdrawn', 'programme_cancelled', true, e);
        END IF;
    END LOOP;
    IF programme_transition.status IN ('finished', 'cancelled') THEN
        PERFORM api.session_cancel(ctx, x, 'programme ' || programme_transition.status)
           FROM app.programme_sessions x WHERE x.programme_id = p.id AND x.status = 'scheduled' ORDER BY x.scheduled_at, x.seq;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION api.op_programmes_update(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE p app.programmes; n app.programmes;
BEGIN
    p := api.visible_programme(ctx, api.pid(args, 'id'), true);
    PERFORM api.check_version(args, p.version);
    IF p.status IN ('finished', 'cancelled') THEN
        PERFORM api.fail(409, 'programme_closed', NULL, 'the programme has ended');
    END IF;
    n := jsonb_populate_record(p, api.only(args,
             '{kind,title,description,partner_id,starts_on,ends_on,capacity,planned_sessions,hours_required,certificate,status}'));
    PERFORM api.check_programme(n);
    IF EXISTS (SELECT 1 FROM app.programme_sessions x WHERE x.programme_id = p.id AND api.session_day(x) < n.starts_on) THEN
        PERFORM api.invalid('starts_on', 'a session would be before it');
    END IF;
    IF EXISTS (SELECT 1 FROM app.programme_sessions x WHERE x.programme_id = p.id AND api.session_day(x) > n.ends_on) THEN
        PERFORM api.invalid('ends_on', 'a session would be after it');
    END IF;
    IF n.capacity < p.seats_taken THEN
        PERFORM api.invalid('capacity', format('is below the %s seats taken', p.seats_taken));
    END IF;
    IF n.certificate IS DISTINCT FROM p.certificate AND EXISTS (SELECT 1 FROM app.enrolments e
            WHERE e.programme_id = p.id AND e.certificate_number IS NOT NULL) THEN
        PERFORM api.invalid('certificate', 'a certificate was issued');
    END IF;
    IF n.status IS DISTINCT FROM p.status OR (args ? 'status' AND args->>'status' = p.status) THEN
        PERFORM api.programme_transition(ctx, p, n.status);
    END IF;
    UPDATE app.programmes x SET kind = n.kind, title = n.title, description = n.description, partner_id = n.partner_id,
           starts_on = n.starts_on, ends_on = n.ends_on, capacity = n.capacity, planned_sessions = n.planned_sessions,
           hours_required = n.hours_required, certificate = n.certificate, status = n.status
     WHERE x.id = p.id RETURNING * INTO n;
    -- a larger capacity (or none) or a programme opening frees seats for the waitlist
    PERFORM api.promote_waitlist(ctx, p.id);
    SELECT * INTO n FROM app.programmes x WHERE x.id = p.id;
    IF api.programme_audit_json(n) IS DISTINCT FROM api.programme_audit_json(p) THEN
        PERFORM api.audit(ctx, 'programme.update', 'programme', p.id, p.house_id, api.programme_audit_json(p),
                          api.programme_audit_json(n));
        PERFORM api.programme_event(n, 'updated');
    END IF;
    RETURN ROW(200, api.programme_json(n, ctx));
END $$;

-- A goal an enrolment may be linked to (§16.7): of an exit plan of one of the resident's
-- stays, of a domain a programme serves, not dropped.
CREATE OR REPLACE FUNCTION api.check_enrolment_goal(goal_id uuid, resident_id uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF goal_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM app.goals g JOIN app.stays s ON s.id = g.stay_id
             WHERE g.id = goal_id AND s.resident_id = check_enrolment_goal.resident_id AND g.status <> 'dropped'
               AND g.domain IN ('skills_training', 'business', 'education', 'employment')) THEN
        PERFORM api.invalid('goal_id', 'is not a skills, business, education or employment goal of the resident');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION api.op_enrolments_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    p app.programmes;
    e app.enrolments;
    stage text := coalesce(args->>'stage', 'enrolled');
    rid uuid := (args->>'resident_id')::uuid;
BEGIN
    -- the lock every enrolment change takes: the last seat goes to one request only
    p := api.visible_programme(ctx, api.pid(args, 'programme_id'), true);
    IF stage NOT IN ('enrolled', 'applied') THEN
        PERFORM api.invalid('stage', 'an enrolment begins as enrolled or applied');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM app.residents r WHERE r.id = rid AND r.house_id = p.house_id) THEN
        PERFORM api.invalid('resident_id', 'is not a resident of the programme''s house');
    END IF;
    PERFORM api.check_enrolment_goal((args->>'goal_id')::uuid, rid);
    IF p.status = 'draft' THEN
        PERFORM api.fail(409, 'programme_not_open', NULL, 'the programme is not open yet');
    ELSIF p.status IN ('finished', 'cancelled') THEN
        PERFORM api.fail(409, 'programme_closed', NULL, 'the programme has ended');
    END IF;
    IF EXISTS (SELECT 1 FROM app.enrolments x WHERE x.programme_id = p.id AND x.resident_id = rid
                  AND x.stage <> 'withdrawn') THEN
        PERFORM api.fail(409, 'already_enrolled', NULL, 'the resident is already in this programme');
    END IF;
    IF stage = 'enrolled' AND p.seats_taken >= coalesce(p.capacity, p.seats_taken + 1) THEN
        IF coalesce(args->>'if_full', 'reject') = 'reject' THEN
            PERFORM api.fail(409, 'programme_full', NULL, 'no seat left');
        END IF;
        stage := 'waitlisted';
    END IF;
    INSERT INTO app.enrolments (programme_id, house_id, resident_id, stage, if_full, goal_id, note, waitlisted_at,
                                enrolled_at)
    VALUES (p.id, p.house_id, rid, stage, args->>'if_full', (args->>'goal_id')::uuid, args->>'note',
            CASE WHEN stage = 'waitlisted' THEN clock_timestamp() END,
            CASE WHEN stage = 'enrolled' THEN clock_timestamp() END)
    RETURNING * INTO e;
    INSERT INTO app.enrolment_stages (enrolment_id, stage, by_user) VALUES (e.id, e.stage, ctx.user_id);
    PERFORM api.audit(ctx, 'enrolment.create', 'enrolment', e.id, e.house_id, NULL, api.enrolment_audit_json(e));
    PERFORM api.enrolment_event(e, 'created');
    RETURN ROW(201, api.enrolment_json(e, ctx.role));
END $$;

CREATE OR REPLACE FUNCTION api.op_enrolments_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE hid uuid := (args->>'house_id')::uuid;
BEGIN
    IF hid IS NOT NULL THEN PERFORM api.visible_house(ctx, hid); END IF;
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.enrolment_json(x.e, ctx.role))
                                                        ORDER BY x.seq), '[]'), api.lim(args)))::api.reply
      FROM (SELECT e, e.seq FROM app.enrolments e
             WHERE api.sees(ctx, e.house_id) AND (hid IS NULL OR e.house_id = hid)
               AND (args->>'programme_id' IS NULL OR e.programme_id = (args->>'programme_id')::uuid)
               AND (args->>'resident_id' IS NULL OR e.resident_id = (args->>'resident_id')::uuid)
               AND (args->>'stage' IS NULL OR e.stage = args->>'stage')
               AND e.seq > api.after(args)
             ORDER BY e.seq LIMIT api.lim(args) + 1) x);
END $$;

CREATE OR REPLACE FUNCTION api.op_enrolments_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE e app.enrolments;
BEGIN
    SELECT * INTO e FROM app.enrolments x WHERE x.id = api.pid(args, 'id') AND api.sees(ctx, x.house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN ROW(200, api.enrolment_json(e, ctx.role));
END $$;

CREATE OR REPLACE FUNCTION api.op_enrolments_update(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    e app.enrolments;
    n app.enrolments;
    p app.programmes;
    stage text := args->>'stage';
    reason text := args->>'withdrawal_reason';
BEGIN
    SELECT * INTO e FROM app.enrolments x WHERE x.id = api.pid(args, 'id') AND api.sees(ctx, x.house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    -- the programme's lock first (the order every enrolment change takes), then the row again
    SELECT * INTO p FROM app.programmes x WHERE x.id = e.programme_id FOR UPDATE;
    SELECT * INTO e FROM app.enrolments x WHERE x.id = e.id;
    PERFORM api.check_version(args, e.version);
    IF stage = 'completed' THEN
        PERFORM api.invalid('stage', 'completion is POST /enrolments/{id}/complete');
    END IF;
    IF reason IS NOT NULL AND stage IS DISTINCT FROM 'withdrawn' THEN
        PERFORM api.invalid('withdrawal_reason', 'goes only with stage withdrawn');
    END IF;
    IF stage = 'withdrawn' AND reason IS NULL THEN
        PERFORM api.invalid('withdrawal_reason', 'is required to withdraw');
    END IF;
    IF reason IN ('programme_ended', 'programme_cancelled') THEN
        PERFORM api.invalid('withdrawal_reason', 'is the daemon''s own reason');
    END IF;
    IF args ? 'goal_id' THEN PERFORM api.check_enrolment_goal((args->>'goal_id')::uuid, e.resident_id); END IF;
    IF stage IS NOT NULL THEN
        IF p.status IN ('finished', 'cancelled') THEN
            PERFORM api.fail(409, 'programme_closed', NULL, 'the programme has ended');
        END IF;
        IF (e.stage, stage) NOT IN (('applied', 'enrolled'), ('applied', 'waitlisted'), ('waitlisted', 'enrolled'),
                                    ('applied', 'withdrawn'), ('waitlisted', 'withdrawn'), ('enrolled', 'withdrawn'),
                                    ('enrolled', 'not_completed')) THEN
            PERFORM api.fail(409, 'invalid_transition', 'stage',
                             format('an enrolment does not go from %s to %s', e.stage, stage));
        END IF;
        IF stage = 'enrolled' AND p.seats_taken >= coalesce(p.capacity, p.seats_taken + 1) THEN
            PERFORM api.fail(409, 'programme_full', NULL, 'no seat left');
        END IF;
    END IF;
    n := e;
    IF args ? 'goal_id' THEN n.goal_id := (args->>'goal_id')::uuid; END IF;
    IF args ? 'note' THEN n.note := args->>'note'; END IF;
    IF stage IS NOT NULL THEN
        n := api.enrolment_move(ctx, e, stage, reason, false, n);
        IF stage = 'withdrawn' AND app.holds_seat(e.stage) THEN
            PERFORM api.promote_waitlist(ctx, p.id);
        END IF;
    ELSE
        UPDATE app.enrolments x SET goal_id = n.goal_id, note = n.note WHERE x.id = e.id RETURNING * INTO n;
        IF n.version <> e.version THEN
            PERFORM api.audit(ctx, 'enrolment.update', 'enrolment', n.id, n.house_id, api.enrolment_audit_json(e),
                              api.enrolment_audit_json(n));
            PERFORM api.enrolment_event(n, 'updated');
        END IF;
    END IF;
    RETURN ROW(200, api.enrolment_json(n, ctx.role));
END $$;

-- Completion (§16.7). Under the programme row's lock, like every enrolment change: the lowest
-- free certificate number is decided one completion at a time, on every instance.
CREATE OR REPLACE FUNCTION api.op_enrolments_complete(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    e app.enrolments;
    n app.enrolments;
    p app.programmes;
    g app.goals;
    ng app.goals;
    today date;
    done date;
    issued date;
    num text := args->>'certificate_number';
    reason text := args->>'override_reason';
    att jsonb;
BEGIN
    SELECT * INTO e FROM app.enrolments x WHERE x.id = api.pid(args, 'id') AND api.sees(ctx, x.house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    -- the override is a manager's decision (§16.1): decided before anything about the enrolment
    IF reason IS NOT NULL AND ctx.role NOT IN ('manager', 'admin') THEN
        PERFORM api.fail(403, 'forbidden', NULL, 'only a manager or admin may override the requirements');
    END IF;
    SELECT * INTO p FROM app.programmes x WHERE x.id = e.programme_id FOR UPDATE;
    SELECT * INTO e FROM app.enrolments x WHERE x.id = e.id;
    PERFORM api.check_version(args, e.version);
    today := api.today(e.house_id);
    done := coalesce((args->>'completed_on')::date, today);
    IF done > today THEN PERFORM api.invalid('completed_on', 'is after today'); END IF;
    IF done < p.starts_on THEN PERFORM api.invalid('completed_on', 'is before the programme starts'); END IF;
    IF NOT p.certificate THEN
        IF num IS NOT NULL THEN PERFORM api.invalid('certificate_number', 'the programme issues no certificate'); END IF;
        IF args->>'certificate_issued_on' IS NOT NULL THEN
            PERFORM api.invalid('certificate_issued_on', 'the programme issues no certificate');
        END IF;
    ELSE
        issued := coalesce((args->>'certificate_issued_on')::date, done);
        IF issued < done THEN PERFORM api.invalid('certificate_issued_on', 'is before completed_on'); END IF;
        IF issued > today THEN PERFORM api.invalid('certificate_issued_on', 'is after today'); END IF;
    END IF;
    IF p.status = 'cancelled' THEN
        PERFORM api.fail(409, 'programme_closed', NULL, 'the programme was cancelled');
    END IF;
    IF e.stage NOT IN ('enrolled', 'not_completed') THEN
        PERFORM api.fail(409, 'invalid_transition', 'stage', format('an enrolment does not go from %s to completed', e.stage));
    END IF;
    att := api.enrolment_attendance(e.id);
    IF reason IS NULL AND (CASE WHEN p.hours_required IS NOT NULL THEN (att->>'hours')::numeric < p.hours_required
                                ELSE (att->>'sessions_attended')::int = 0 END) THEN
        PERFORM api.fail(409, 'requirements_not_met', NULL,
                         CASE WHEN p.hours_required IS NOT NULL
                              THEN format('%s of the %s hours required attended', att->>'hours', trim_scale(p.hours_required))
                              ELSE 'no session attended' END);
    END IF;
    IF p.certificate THEN
        IF num IS NOT NULL THEN
            IF EXISTS (SELECT 1 FROM app.enrolments x WHERE x.programme_id = p.id AND x.certificate_number = num) THEN
                PERFORM api.fail(409, 'conflict', 'certificate_number', 'the number is already used in this programme');
            END IF;
        ELSE
            -- the lowest of 001, 002, … not yet used; among used+1 candidates one is always free
            SELECT lpad(i::text, 3, '0') INTO num
              FROM generate_series(1, (SELECT count(*) FROM app.enrolments x
                                        WHERE x.programme_id = p.id AND x.certificate_number IS NOT NULL)::int + 1) i
             WHERE NOT EXISTS (SELECT 1 FROM app.enrolments x WHERE x.programme_id = p.id
                                  AND x.certificate_number = lpad(i::text, 3, '0'))
             ORDER BY i LIMIT 1;
        END IF;
    END IF;
    UPDATE app.enrolments x SET stage = 'completed', completed_on = done, certificate_number = num,
           certificate_issued_on = issued, override_reason = reason
     WHERE x.id = e.id RETURNING * INTO n;
    INSERT INTO app.enrolment_stages (enrolment_id, stage, by_user) VALUES (n.id, n.stage, ctx.user_id);
    PERFORM api.audit(ctx, 'enrolment.complete', 'enrolment', n.id, n.house_id, api.enrolment_audit_json(e),
                      api.enrolment_audit_json(n));
    PERFORM api.enrolment_event(n, 'updated');
    -- the exit-plan link: the linked goal is achieved by the same transaction (§16.7)
    SELECT * INTO g FROM app.goals x WHERE x.id = n.goal_id FOR UPDATE;
    IF FOUND AND g.status <> 'achieved' THEN
        UPDATE app.goals x SET status = 'achieved' WHERE x.id = g.id RETURNING * INTO ng;
        PERFORM api.audit(ctx, 'goal.update', 'goal', g.id, g.house_id, api.goal_json(g), api.goal_json(ng));
    END IF;
    RETURN ROW(200, api.enrolment_json(n, ctx.role));
END $$;

-- ---------------------------------------------------------------- sessions (§16.6)
-- counts/headcount are null until the sheet is first recorded (attendance_version 0).

-- A session's counts by status, null before the first recording.
CREATE OR REPLACE FUNCTION api.session_counts(s app.programme_sessions) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN s.attendance_version > 0 THEN
        (SELECT jsonb_build_object('present', count(*) FILTER (WHERE a.status = 'present'),
                                   'late', count(*) FILTER (WHERE a.status = 'late'),
                                   'excused', count(*) FILTER (WHERE a.status = 'excused'),
                                   'absent', count(*) FILTER (WHERE a.status = 'absent'))
           FROM app.attendance a WHERE a.session_id = s.id) END
$$;

-- The partner view has no counts and no attendance_version, and its headcount is suppressed
-- as a count of people (§16.3).
CREATE OR REPLACE FUNCTION api.session_json(s app.programme_sessions, ctx api.ctx) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    counts jsonb := api.session_counts(s);
    headcount bigint := (counts->>'present')::bigint + (counts->>'late')::bigint;
    hide boolean := ctx.role = 'partner' AND api.small_cell(headcount);
    o jsonb := jsonb_build_object('id', s.id, 'programme_id', s.programme_id, 'house_id', s.house_id,
        'scheduled_at', api.ts(s.scheduled_at), 'duration_minutes', s.duration_minutes, 'topic', s.topic,
        'location', s.location, 'facilitator_user_id', s.facilitator_user_id,
        'facilitator_name', coalesce((SELECT u.full_name FROM app.users u WHERE u.id = s.facilitator_user_id),
                                     s.facilitator_name),
        'status', s.status, 'cancel_reason', s.cancel_reason, 'headcount', CASE WHEN NOT hide THEN headcount END,
        'suppressed', hide, 'version', s.version, 'created_at', api.ts(s.created_at), 'updated_at', api.ts(s.updated_at));
BEGIN
    IF ctx.role = 'partner' THEN
        RETURN o;
    END IF;
    RETURN o || jsonb_build_object('counts', counts, 'attendance_version', s.attendance_version);
END $$;

CREATE OR REPLACE FUNCTION api.session_audit_json(s app.programme_sessions) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT api.session_json(s, ROW(NULL, 'admin', NULL, NULL)::api.ctx) - '{headcount,counts,suppressed}'::text[]
$$;

-- every house role of the house, and the programme's partner's users (§16.11)
CREATE OR REPLACE FUNCTION api.session_event(s app.programme_sessions, verb text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE partner uuid := (SELECT p.partner_id FROM app.programmes p WHERE p.id = s.programme_id);
BEGIN
    PERFORM api.emit(s.house_id, 'session.' || verb,
                     jsonb_build_object('entity', 'session', 'id', s.id, 'programme_id', s.programme_id),
                     CASE WHEN partner IS NOT NULL THEN ARRAY['admin', 'manager', 'caseworker', 'staff', 'partner'] END,
                     partner);
END $$;

-- The house date of a session's start.
CREATE OR REPLACE FUNCTION api.session_day(s app.programme_sessions) RETURNS date LANGUAGE sql STABLE AS $$
    SELECT (s.scheduled_at AT TIME ZONE h.timezone)::date FROM app.houses h WHERE h.id = s.house_id
$$;

-- §16.6's rules on a session as it will be stored, in its programme.
CREATE OR REPLACE FUNCTION api.check_session(p app.programmes, s app.programme_sessions) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF api.session_day(s) < p.starts_on OR api.session_day(s) > p.ends_on THEN
        PERFORM api.invalid('scheduled_at', 'is outside the programme''s dates');
    END IF;
    IF s.facilitator_user_id IS NOT NULL AND s.facilitator_name IS NOT NULL THEN
        PERFORM api.invalid('facilitator_name', 'goes not with facilitator_user_id');
    END IF;
    IF s.facilitator_user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM app.users u WHERE u.id = s.facilitator_user_id
            AND u.active AND (u.role = 'admin' OR p.house_id = ANY (u.house_ids)
                              OR (u.partner_id IS NOT NULL AND u.partner_id = p.partner_id))) THEN
        PERFORM api.invalid('facilitator_user_id', 'is not an active user of the house or of the programme''s partner');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION api.op_sessions_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    p app.programmes := api.visible_programme(ctx, api.pid(args, 'programme_id'), true);
    s app.programme_sessions := jsonb_populate_record(NULL::app.programme_sessions, api.only(args,
            '{scheduled_at,duration_minutes,topic,location,facilitator_user_id,facilitator_name}'));
BEGIN
    s.house_id := p.house_id;
    PERFORM api.check_session(p, s);
    IF p.status IN ('finished', 'cancelled') THEN
        PERFORM api.fail(409, 'programme_closed', NULL, 'the programme has ended');
    END IF;
    INSERT INTO app.programme_sessions (programme_id, house_id, scheduled_at, duration_minutes, topic, location,
                                        facilitator_user_id, facilitator_name)
    VALUES (p.id, p.house_id, s.scheduled_at, s.duration_minutes, s.topic, s.location, s.facilitator_user_id,
            s.facilitator_name)
    RETURNING * INTO s;
    PERFORM api.audit(ctx, 'session.create', 'session', s.id, s.house_id, NULL, api.session_audit_json(s));
    PERFORM api.session_event(s, 'created');
    RETURN ROW(201, api.session_json(s, ctx));
END $$;

-- Ordered by scheduled_at, ties in creation order; the cursor is an offset in that order.
CREATE OR REPLACE FUNCTION api.op_sessions_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    hid uuid := (args->>'house_id')::uuid;
    me uuid := api.ctx_partner(ctx);
    skip bigint := api.after(args);
BEGIN
    PERFORM api.house_filter(ctx, hid, me);
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.n, api.session_json(x.s, ctx))
                                                        ORDER BY x.n), '[]'), api.lim(args)))::api.reply
      FROM (SELECT s, skip + row_number() OVER (ORDER BY s.scheduled_at, s.seq) AS n
              FROM app.programme_sessions s JOIN app.programmes p ON p.id = s.programme_id
             WHERE api.sees_programme(ctx, p, me) AND (hid IS NULL OR s.house_id = hid)
               AND (args->>'programme_id' IS NULL OR s.programme_id = (args->>'programme_id')::uuid)
               AND (args->>'partner_id' IS NULL OR p.partner_id = (args->>'partner_id')::uuid)
               AND (args->>'status' IS NULL OR s.status = args->>'status')
               AND (args->>'from' IS NULL OR api.session_day(s) >= (args->>'from')::date)
               AND (args->>'to' IS NULL OR api.session_day(s) <= (args->>'to')::date)
             ORDER BY s.scheduled_at, s.seq OFFSET skip LIMIT api.lim(args) + 1) x);
END $$;

CREATE OR REPLACE FUNCTION api.op_sessions_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE s app.programme_sessions; p app.programmes;
BEGIN
    SELECT * INTO s FROM app.programme_sessions x WHERE x.id = api.pid(args, 'id');
    SELECT * INTO p FROM app.programmes x WHERE x.id = s.programme_id;
    IF s.id IS NULL OR NOT api.sees_programme(ctx, p, api.ctx_partner(ctx)) THEN PERFORM api.not_found(); END IF;
    RETURN ROW(200, api.session_json(s, ctx));
END $$;

-- A session of the path for a house user (partner users: op_sessions_get; 404 on the rest).
CREATE OR REPLACE FUNCTION api.visible_session(ctx api.ctx, id uuid) RETURNS app.programme_sessions
LANGUAGE plpgsql STABLE AS $$
DECLARE s app.programme_sessions;
BEGIN
    SELECT * INTO s FROM app.programme_sessions x WHERE x.id = visible_session.id AND api.sees(ctx, x.house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN s;
END $$;

-- Moves a session to cancelled (finishing or cancelling its programme: §16.4).
CREATE OR REPLACE FUNCTION api.session_cancel(ctx api.ctx, s app.programme_sessions, reason text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE n app.programme_sessions;
BEGIN
    UPDATE app.programme_sessions x SET status = 'cancelled', cancel_reason = reason WHERE x.id = s.id RETURNING * INTO n;
    PERFORM api.audit(ctx, 'session.update', 'session', n.id, n.house_id, api.session_audit_json(s),
                      api.session_audit_json(n));
    PERFORM api.session_event(n, 'updated');
END $$;

CREATE OR REPLACE FUNCTION api.op_sessions_update(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE s app.programme_sessions := api.visible_session(ctx, api.pid(args, 'id')); n app.programme_sessions; p app.programmes;
BEGIN
    SELECT * INTO p FROM app.programmes x WHERE x.id = s.programme_id FOR UPDATE;
    SELECT * INTO s FROM app.programme_sessions x WHERE x.id = s.id FOR UPDATE;
    PERFORM api.check_version(args, s.version);
    IF args ? 'cancel_reason' AND args->>'cancel_reason' IS NOT NULL AND args->>'status' IS DISTINCT FROM 'cancelled' THEN
        PERFORM api.invalid('cancel_reason', 'goes only with status cancelled');
    END IF;
    n := jsonb_populate_record(s, api.only(args,
             '{scheduled_at,duration_minutes,topic,location,facilitator_user_id,facilitator_name,status,cancel_reason}'));
    -- a user facilitator replaces a named one, and back
    IF args ? 'facilitator_user_id' AND NOT args ? 'facilitator_name' AND n.facilitator_user_id IS NOT NULL THEN
        n.facilitator_name := NULL;
    END IF;
    IF args ? 'facilitator_name' AND NOT args ? 'facilitator_user_id' AND n.facilitator_name IS NOT NULL THEN
        n.facilitator_user_id := NULL;
    END IF;
    PERFORM api.check_session(p, n);
    IF p.status IN ('finished', 'cancelled') THEN
        PERFORM api.fail(409, 'programme_closed', NULL, 'the programme has ended');
    END IF;
    -- the sheet's hours and the enrolments' figures rest on when and how long it was held
    IF s.attendance_version > 0 AND (n.status, n.scheduled_at, n.duration_minutes)
                                    IS DISTINCT FROM (s.status, s.scheduled_at, s.duration_minutes) THEN
        PERFORM api.fail(409, 'attendance_recorded', NULL, 'attendance is recorded for this session');
    END IF;
    IF args ? 'status' THEN
        IF (s.status, n.status) NOT IN (('scheduled', 'held'), ('scheduled', 'cancelled'), ('held', 'scheduled'),
                                        ('cancelled', 'scheduled')) THEN
            PERFORM api.fail(409, 'invalid_transition', 'status',
                             format('a session does not go from %s to %s', s.status, n.status));
        END IF;
        IF n.status = 'held' AND n.scheduled_at > api.soon() THEN
            PERFORM api.fail(409, 'session_not_started', NULL, 'the session begins more than 5 minutes from now');
        END IF;
        IF n.status <> 'cancelled' THEN n.cancel_reason := NULL; END IF;
    END IF;
    UPDATE app.programme_sessions x SET scheduled_at = n.scheduled_at, duration_minutes = n.duration_minutes,
           topic = n.topic, location = n.location, facilitator_user_id = n.facilitator_user_id,
           facilitator_name = n.facilitator_name, status = n.status, cancel_reason = n.cancel_reason
     WHERE x.id = s.id RETURNING * INTO n;
    IF n.version <> s.version THEN
        PERFORM api.audit(ctx, 'session.update', 'session', n.id, n.house_id, api.session_audit_json(s),
                          api.session_audit_json(n));
        PERFORM api.session_event(n, 'updated');
    END IF;
    RETURN ROW(200, api.session_json(n, ctx));
END $$;

-- ---------------------------------------------------------------- attendance (§16.6)

-- An enrolment's figures over its records on held sessions (§16.6); excused records count in
-- neither the rate nor the run of absences (app.absence_runs, 0038_absence_runs.sql).
CREATE OR REPLACE FUNCTION api.enrolment_attendance(enrolment_id uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH r AS (SELECT a.status, a.hours, s.scheduled_at FROM app.attendance a
                 JOIN app.programme_sessions s ON s.id = a.session_id AND s.status = 'held'
                WHERE a.enrolment_id = enrolment_attendance.enrolment_id)
    SELECT jsonb_build_object('sessions_recorded', count(*),
               'sessions_attended', count(*) FILTER (WHERE r.status IN ('present', 'late')),
               'hours', trim_scale(coalesce(sum(r.hours), 0)),
               'attendance_rate', (count(*) FILTER (WHERE r.status IN ('present', 'late')))::float8
                                  / nullif(count(*) FILTER (WHERE r.status <> 'excused'), 0),
               'consecutive_absences', coalesce((SELECT run.n FROM app.absence_runs run
                                                 WHERE run.enrolment_id = enrolment_attendance.enrolment_id), 0))
      FROM r
$$;

-- The roster (§16.6): the programme's enrolments enrolled now, and those with a record on the
-- session, in creation order (a is null for one without a record).
CREATE OR REPLACE FUNCTION api.session_roster(s app.programme_sessions)
RETURNS TABLE (e app.enrolments, a app.attendance) LANGUAGE sql STABLE AS $$
    SELECT e, a
      FROM app.enrolments e LEFT JOIN app.attendance a ON a.session_id = s.id AND a.enrolment_id = e.id
     WHERE e.programme_id = s.programme_id AND (e.stage = 'enrolled' OR a.enrolment_id IS NOT NULL)
     ORDER BY e.seq
$$;

-- The stored records as audit records hold them, in roster order.
CREATE OR REPLACE FUNCTION api.attendance_records(s app.programme_sessions) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('enrolment_id', a.enrolment_id, 'status', a.status,
                                                 'hours', trim_scale(a.hours), 'note', a.note) ORDER BY e.seq), '[]')
      FROM app.attendance a JOIN app.enrolments e ON e.id = a.enrolment_id WHERE a.session_id = s.id
$$;

-- Every PUT names the whole roster, so on a recorded sheet a roster enrolment without a record
-- is one that joined after the last recording: it is shown excused (§16.6), and having no
-- record it counts in no figure. The next PUT names it like any other.
CREATE OR REPLACE FUNCTION api.attendance_json(s app.programme_sessions) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('session_id', s.id, 'version', s.attendance_version,
        'recorded_at', api.ts(s.attendance_recorded_at), 'recorded_by', s.attendance_recorded_by,
        'records', (SELECT coalesce(jsonb_agg(jsonb_build_object('enrolment_id', (x.e).id,
                        'resident_id', (x.e).resident_id,
                        'full_name', (SELECT r.full_name FROM app.residents r WHERE r.id = (x.e).resident_id),
                        'status', coalesce((x.a).status, CASE WHEN s.attendance_version > 0 THEN 'excused' END),
                        'hours', coalesce(trim_scale((x.a).hours), CASE WHEN s.attendance_version > 0 THEN 0 END),
                        'note', (x.a).note)), '[]')
                      FROM api.session_roster(s) x))
$$;

CREATE OR REPLACE FUNCTION api.op_attendance_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
BEGIN
    RETURN ROW(200, api.attendance_json(api.visible_session(ctx, api.pid(args, 'id'))));
END $$;

-- PUT of the whole sheet. The programme row is shared-locked (enrolments, which change the
-- roster, lock it for update) and the session row locked for update: simultaneous PUTs on one
-- session, on any instance, run one after the other, each on the sheet the last one left.
CREATE OR REPLACE FUNCTION api.op_attendance_put(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    s app.programme_sessions := api.visible_session(ctx, api.pid(args, 'id'));
    p app.programmes;
    n app.programme_sessions;
    given jsonb := args->'records';
    duration numeric;
    want jsonb := '[]';
    before jsonb;
    x record;
    r jsonb;
    i int;
    h numeric;
    st text;
BEGIN
    SELECT * INTO p FROM app.programmes y WHERE y.id = s.programme_id FOR SHARE;
    SELECT * INTO s FROM app.programme_sessions y WHERE y.id = s.id FOR UPDATE;
    PERFORM api.check_version(args, s.attendance_version);
    IF p.status = 'draft' THEN
        PERFORM api.fail(409, 'programme_not_open', NULL, 'the programme is a draft');
    ELSIF p.status IN ('finished', 'cancelled') THEN
        PERFORM api.fail(409, 'programme_closed', NULL, 'the programme has ended');
    ELSIF s.status = 'cancelled' THEN
        PERFORM api.fail(409, 'session_cancelled', NULL, 'the session is cancelled');
    ELSIF s.scheduled_at > api.soon() THEN
        PERFORM api.fail(409, 'session_not_started', NULL, 'the session begins more than 5 minutes from now');
    END IF;
    duration := round(s.duration_minutes / 60.0, 2);
    -- each given record against the roster, in the order given; then what the roster misses
    FOR r, i IN SELECT g.value, g.ord - 1 FROM jsonb_array_elements(given) WITH ORDINALITY g(value, ord) LOOP
        SELECT * INTO x FROM api.session_roster(s) y WHERE (y.e).id = (r->>'enrolment_id')::uuid;
        IF NOT FOUND THEN
            PERFORM api.invalid(format('records[%s].enrolment_id', i), 'is not on the session''s roster');
        END IF;
        IF EXISTS (SELECT 1 FROM jsonb_array_elements(want) w WHERE w->>'enrolment_id' = (x.e).id::text) THEN
            PERFORM api.invalid(format('records[%s].enrolment_id', i), 'is named twice');
        END IF;
        st := r->>'status';
        h := (r->>'hours')::numeric;
        IF st IN ('present', 'late') THEN
            IF h > duration THEN
                PERFORM api.invalid(format('records[%s].hours', i), 'must be at most the session''s duration');
            END IF;
            h := coalesce(h, duration);
        ELSIF h > 0 THEN
            PERFORM api.invalid(format('records[%s].hours', i), 'goes only with present or late');
        ELSE
            h := 0;
        END IF;
        want := want || jsonb_build_array(jsonb_build_object('seq', (x.e).seq, 'enrolment_id', (x.e).id,
                            'status', st, 'hours', trim_scale(h), 'note', r->>'note'));
    END LOOP;
    IF EXISTS (SELECT 1 FROM api.session_roster(s) y
                WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(want) w WHERE w->>'enrolment_id' = (y.e).id::text)) THEN
        PERFORM api.invalid('records', 'must name every enrolment on the session''s roster');
    END IF;
    want := (SELECT coalesce(jsonb_agg(w - 'seq' ORDER BY (w->>'seq')::bigint), '[]') FROM jsonb_array_elements(want) w);
    before := api.attendance_records(s);
    IF s.attendance_version > 0 AND before = want THEN
        RETURN ROW(200, api.attendance_json(s));
    END IF;
    -- the records before any audit record: their triggers lock the enrolments' runs
    -- (0038_absence_runs.sql), which must come before the audit head
    DELETE FROM app.attendance y WHERE y.session_id = s.id;
    INSERT INTO app.attendance (session_id, programme_id, enrolment_id, status, hours, note)
    SELECT s.id, s.programme_id, (w->>'enrolment_id')::uuid, w->>'status', (w->>'hours')::numeric, w->>'note'
      FROM jsonb_array_elements(want) w;
    -- the first recording holds the session: a change of its own, with its version and record
    IF s.status = 'scheduled' THEN
        UPDATE app.programme_sessions y SET status = 'held' WHERE y.id = s.id RETURNING * INTO n;
        PERFORM api.audit(ctx, 'session.update', 'session', n.id, n.house_id, api.session_audit_json(s),
                          api.session_audit_json(n));
        PERFORM api.session_event(n, 'updated');
    END IF;
    UPDATE app.programme_sessions y SET attendance_version = y.attendance_version + 1, attendance_recorded_at = now(),
           attendance_recorded_by = ctx.user_id
     WHERE y.id = s.id RETURNING * INTO n;
    PERFORM api.audit(ctx, 'attendance.put', 'attendance', n.id, n.house_id,
                      CASE WHEN s.attendance_version > 0 THEN jsonb_build_object('records', before) END,
                      jsonb_build_object('records', want));
    PERFORM api.emit(n.house_id, 'attendance.recorded', jsonb_build_object('entity', 'attendance', 'id', n.id,
                     'session_id', n.id, 'programme_id', n.programme_id), ARRAY['admin', 'manager', 'caseworker', 'staff']);
    RETURN ROW(CASE WHEN s.attendance_version = 0 THEN 201 ELSE 200 END, api.attendance_json(n));
END $$;
