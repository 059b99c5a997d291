-- abipraya: the operations called by api.run: api.op_<name>(ctx api.ctx, args jsonb) -> api.reply.
-- Conventions: a path id naming nothing visible -> 404; a body id -> 422 with that field;
-- every change writes one audit record in the same transaction; version/updated_at are
-- bumped by the app.touch trigger.
-- One-expression helpers are LANGUAGE sql STABLE (inlined into the caller); helpers and hot
-- ops that need a query are PL/pgSQL, whose statement plans are cached for the session (see
-- the top of 0002_api.sql).

-- ================================================================ object -> JSON

CREATE FUNCTION api.house_json(h app.houses) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', h.id, 'code', h.code, 'name', h.name, 'address', h.address,
        'timezone', h.timezone, 'curfew', to_char(h.curfew, 'HH24:MI'), 'created_at', api.ts(h.created_at),
        'updated_at', api.ts(h.updated_at), 'version', h.version)
$$;

CREATE FUNCTION api.bed_json(b app.beds) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', b.id, 'room_id', b.room_id, 'house_id', b.house_id, 'label', b.label,
        'status', b.status, 'status_reason', b.status_reason, 'created_at', api.ts(b.created_at),
        'updated_at', api.ts(b.updated_at), 'version', b.version)
$$;

CREATE FUNCTION api.room_json(r app.rooms) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN jsonb_build_object('id', r.id, 'house_id', r.house_id, 'code', r.code, 'floor', r.floor,
        'sex', r.sex, 'notes', r.notes,
        'beds', (SELECT coalesce(jsonb_agg(api.bed_json(b) ORDER BY b.seq), '[]') FROM app.beds b WHERE b.room_id = r.id),
        'created_at', api.ts(r.created_at), 'updated_at', api.ts(r.updated_at), 'version', r.version);
END $$;

-- new | in_residence | former, derived from the stays
CREATE FUNCTION api.resident_status(resident_id uuid) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT CASE WHEN bool_or(s.checked_out_at IS NULL) THEN 'in_residence'
                        WHEN count(*) > 0 THEN 'former' ELSE 'new' END
              FROM app.stays s WHERE s.resident_id = resident_status.resident_id);
END $$;

-- The one place that decides what a role sees of a resident: staff never get national_id/notes
-- (the object is built without them). From the row, its stays' count and its active stay;
-- one expression, so it is inlined into the caller's query.
CREATE FUNCTION api.resident_doc(r app.residents, role text, n bigint, cur uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN role = 'staff' THEN
        jsonb_build_object('id', r.id, 'house_id', r.house_id, 'full_name', r.full_name,
            'register_number', r.register_number, 'sex', r.sex, 'birth_date', api.d(r.birth_date),
            'legal_status', r.legal_status,
            'supervision_ends_on', api.d(r.supervision_ends_on), 'caseworker_id', r.caseworker_id,
            'phone', r.phone, 'emergency_contact', r.emergency_contact,
            'status', CASE WHEN cur IS NOT NULL THEN 'in_residence' WHEN n > 0 THEN 'former' ELSE 'new' END,
            'current_stay_id', cur,
            'created_at', api.ts(r.created_at), 'updated_at', api.ts(r.updated_at), 'version', r.version)
    ELSE
        jsonb_build_object('id', r.id, 'house_id', r.house_id, 'full_name', r.full_name,
            'register_number', r.register_number, 'sex', r.sex, 'birth_date', api.d(r.birth_date),
            'national_id', r.national_id, 'legal_status', r.legal_status,
            'supervision_ends_on', api.d(r.supervision_ends_on), 'caseworker_id', r.caseworker_id,
            'phone', r.phone, 'notes', r.notes, 'emergency_contact', r.emergency_contact,
            'status', CASE WHEN cur IS NOT NULL THEN 'in_residence' WHEN n > 0 THEN 'former' ELSE 'new' END,
            'current_stay_id', cur,
            'created_at', api.ts(r.created_at), 'updated_at', api.ts(r.updated_at), 'version', r.version)
    END
$$;

-- api.resident_doc of a row, its stays looked up here.
CREATE FUNCTION api.resident_json(r app.residents, role text) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    n bigint;
    cur uuid;
BEGIN
    SELECT count(*), (array_agg(s.id) FILTER (WHERE s.checked_out_at IS NULL))[1] INTO n, cur
      FROM app.stays s WHERE s.resident_id = r.id;
    RETURN api.resident_doc(r, role, n, cur);
END $$;

CREATE FUNCTION api.stay_json(s app.stays) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    periods jsonb;
    last_bed uuid;
BEGIN
    SELECT coalesce(jsonb_agg(jsonb_build_object('bed_id', p.bed_id, 'from', api.ts(p.from_at), 'to', api.ts(p.to_at))
                              ORDER BY p.from_at, p.seq), '[]'),
           (array_agg(p.bed_id ORDER BY p.from_at DESC, p.seq DESC))[1]
      INTO periods, last_bed
      FROM app.bed_periods p WHERE p.stay_id = s.id;
    RETURN jsonb_build_object('id', s.id, 'resident_id', s.resident_id, 'house_id', s.house_id,
        'bed_id', last_bed,
        'checked_in_at', api.ts(s.checked_in_at), 'checked_out_at', api.ts(s.checked_out_at),
        'planned_exit_on', api.d(s.planned_exit_on),
        'status', CASE WHEN s.checked_out_at IS NULL THEN 'active' ELSE 'closed' END,
        'exit_reason', s.exit_reason, 'destination', s.destination, 'notes', s.notes,
        'beds', periods,
        'created_at', api.ts(s.created_at), 'updated_at', api.ts(s.updated_at), 'version', s.version);
END $$;

CREATE FUNCTION api.movement_json(m app.movements) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', m.id, 'stay_id', m.stay_id, 'resident_id', m.resident_id,
        'house_id', m.house_id, 'purpose', m.purpose, 'destination', m.destination,
        'out_at', api.ts(m.out_at), 'expected_back_at', api.ts(m.expected_back_at),
        'returned_at', api.ts(m.returned_at),
        'late', CASE WHEN m.returned_at IS NOT NULL THEN m.returned_at > m.expected_back_at END,
        'overdue', m.returned_at IS NULL AND m.expected_back_at < now(),
        'created_at', api.ts(m.created_at), 'updated_at', api.ts(m.updated_at), 'version', m.version)
$$;

CREATE FUNCTION api.rule_json(r app.rules) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', r.id, 'house_id', r.house_id, 'code', r.code, 'title', r.title,
        'description', r.description, 'severity', r.severity, 'active', r.active,
        'created_at', api.ts(r.created_at), 'updated_at', api.ts(r.updated_at), 'version', r.version)
$$;

CREATE FUNCTION api.violation_json(v app.violations) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', v.id, 'stay_id', v.stay_id, 'house_id', v.house_id,
        'resident_id', v.resident_id, 'rule_id', v.rule_id, 'occurred_at', api.ts(v.occurred_at),
        'description', v.description, 'action_taken', v.action_taken, 'recorded_by', v.recorded_by,
        'created_at', api.ts(v.created_at), 'updated_at', api.ts(v.updated_at), 'version', v.version)
$$;

CREATE FUNCTION api.goal_json(g app.goals) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', g.id, 'plan_id', g.plan_id, 'stay_id', g.stay_id, 'domain', g.domain,
        'title', g.title, 'due_on', api.d(g.due_on), 'status', g.status, 'note', g.note,
        'created_at', api.ts(g.created_at), 'updated_at', api.ts(g.updated_at), 'version', g.version)
$$;

-- achieved / not dropped, null when no goal counts
CREATE FUNCTION api.readiness(plan_id uuid) RETURNS float8 LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT count(*) FILTER (WHERE g.status = 'achieved')::float8
                   / nullif(count(*) FILTER (WHERE g.status <> 'dropped'), 0)
              FROM app.goals g WHERE g.plan_id = readiness.plan_id);
END $$;

CREATE FUNCTION api.plan_json(p app.exit_plans) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN jsonb_build_object('id', p.id, 'stay_id', p.stay_id, 'house_id', p.house_id,
        'resident_id', (SELECT s.resident_id FROM app.stays s WHERE s.id = p.stay_id),
        'target_exit_on', api.d(p.target_exit_on), 'destination_plan', p.destination_plan, 'summary', p.summary,
        'goals', (SELECT coalesce(jsonb_agg(api.goal_json(g) ORDER BY g.seq), '[]') FROM app.goals g WHERE g.plan_id = p.id),
        'readiness', api.readiness(p.id),
        'created_at', api.ts(p.created_at), 'updated_at', api.ts(p.updated_at), 'version', p.version);
END $$;

-- ================================================================ small checks

CREATE FUNCTION api.check_timezone(tz text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = tz) THEN
        PERFORM api.invalid('timezone', 'is not an IANA time zone');
    END IF;
END $$;

CREATE FUNCTION api.check_house_ids(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM unnest(ids) i WHERE NOT EXISTS (SELECT 1 FROM app.houses h WHERE h.id = i)) THEN
        PERFORM api.invalid('house_ids', 'names a house that does not exist');
    END IF;
END $$;

CREATE FUNCTION api.check_caseworker(caseworker_id uuid, house_id uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF caseworker_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM app.users u WHERE u.id = caseworker_id
                                                    AND u.role = 'caseworker' AND house_id = ANY (u.house_ids)) THEN
        PERFORM api.invalid('caseworker_id', 'is not a caseworker of this house');
    END IF;
END $$;

-- A house named in the path or a query filter: 404 unless visible.
CREATE FUNCTION api.visible_house(ctx api.ctx, id uuid) RETURNS app.houses LANGUAGE plpgsql AS $$
DECLARE h app.houses;
BEGIN
    SELECT * INTO h FROM app.houses x WHERE x.id = visible_house.id AND api.sees(ctx, x.id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN h;
END $$;

-- A stay named in the path, locked as asked ('update' | 'share' | NULL): 404 unless visible.
CREATE FUNCTION api.visible_stay(ctx api.ctx, id uuid, lock text DEFAULT NULL) RETURNS app.stays
LANGUAGE plpgsql AS $$
DECLARE s app.stays;
BEGIN
    IF lock = 'update' THEN
        SELECT * INTO s FROM app.stays x WHERE x.id = visible_stay.id AND api.sees(ctx, x.house_id) FOR UPDATE;
    ELSIF lock = 'share' THEN
        SELECT * INTO s FROM app.stays x WHERE x.id = visible_stay.id AND api.sees(ctx, x.house_id) FOR SHARE;
    ELSE
        SELECT * INTO s FROM app.stays x WHERE x.id = visible_stay.id AND api.sees(ctx, x.house_id);
    END IF;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN s;
END $$;

-- today in a house's time zone
CREATE FUNCTION api.today(house_id uuid) RETURNS date LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT (now() AT TIME ZONE h.timezone)::date FROM app.houses h WHERE h.id = today.house_id);
END $$;

-- ================================================================ auth, me, users

CREATE FUNCTION api.op_auth_logout(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
BEGIN
    -- api.run puts the caller's token hash in a transaction-local setting
    DELETE FROM app.sessions WHERE token_hash = decode(current_setting('api.token_hash'), 'hex');
    RETURN ROW(204, NULL::jsonb);
END $$;

CREATE FUNCTION api.op_me_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE u app.users;
BEGIN
    SELECT * INTO u FROM app.users x WHERE x.id = ctx.user_id;
    IF NOT FOUND THEN RETURN NULL; END IF;
    RETURN ROW(200, api.user_json(u));
END $$;

CREATE FUNCTION api.op_users_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE u app.users;
BEGIN
    u := jsonb_populate_record(NULL::app.users,
                               api.only(args, '{username,password_hash,role,full_name,house_ids,active}'));
    PERFORM api.check_house_ids(u.house_ids);
    INSERT INTO app.users (username, password_hash, role, full_name, house_ids, active)
    VALUES (u.username, u.password_hash, u.role, coalesce(u.full_name, ''), coalesce(u.house_ids, '{}'),
            coalesce(u.active, true))
    RETURNING * INTO u;
    PERFORM api.audit(ctx, 'user.create', 'user', u.id, NULL, NULL, api.user_json(u));
    RETURN ROW(201, api.user_json(u));
END $$;

CREATE FUNCTION api.op_users_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE sql AS $$
    SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.user_json(x.u)) ORDER BY x.seq), '[]'),
                             api.lim(args)))::api.reply
      FROM (SELECT u, u.seq FROM app.users u WHERE u.seq > api.after(args)
             ORDER BY u.seq LIMIT api.lim(args) + 1) x
$$;

CREATE FUNCTION api.op_users_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE u app.users;
BEGIN
    SELECT * INTO u FROM app.users WHERE id = api.pid(args, 'id');
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN ROW(200, api.user_json(u));
END $$;

CREATE FUNCTION api.op_users_update(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE u app.users; n app.users;
BEGIN
    SELECT * INTO u FROM app.users WHERE id = api.pid(args, 'id') FOR UPDATE;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    PERFORM api.check_version(args, u.version);
    n := jsonb_populate_record(u, api.only(args, '{role,full_name,house_ids,active,password_hash}'));
    PERFORM api.check_house_ids(n.house_ids);
    UPDATE app.users SET role = n.role, full_name = n.full_name, house_ids = n.house_ids, active = n.active,
                         password_hash = n.password_hash
     WHERE id = u.id RETURNING * INTO n;
    -- deactivation or a new password revokes every token at once (sessions are shared by all instances)
    IF NOT n.active OR args ? 'password_hash' THEN
        DELETE FROM app.sessions WHERE user_id = u.id;
    END IF;
    PERFORM api.audit(ctx, 'user.update', 'user', u.id, NULL, api.user_json(u), api.user_json(n));
    RETURN ROW(200, api.user_json(n));
END $$;

-- ================================================================ houses

CREATE FUNCTION api.op_houses_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE h app.houses;
BEGIN
    h := jsonb_populate_record(NULL::app.houses, api.only(args, '{code,name,address,timezone,curfew}'));
    h.timezone := coalesce(h.timezone, 'Asia/Jakarta');
    PERFORM api.check_timezone(h.timezone);
    INSERT INTO app.houses (code, name, address, timezone, curfew)
    VALUES (h.code, h.name, h.address, h.timezone, coalesce(h.curfew, '22:00')) RETURNING * INTO h;
    PERFORM api.audit(ctx, 'house.create', 'house', h.id, h.id, NULL, api.house_json(h));
    RETURN ROW(201, api.house_json(h));
END $$;

CREATE FUNCTION api.op_houses_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE sql AS $$
    SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.house_json(x.h)) ORDER BY x.seq), '[]'),
                             api.lim(args)))::api.reply
      FROM (SELECT h, h.seq FROM app.houses h WHERE api.sees(ctx, h.id) AND h.seq > api.after(args)
             ORDER BY h.seq LIMIT api.lim(args) + 1) x
$$;

CREATE FUNCTION api.op_houses_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE sql AS $$
    SELECT ROW(200, api.house_json(api.visible_house(ctx, api.pid(args, 'id'))))::api.reply
$$;

CREATE FUNCTION api.op_houses_update(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE h app.houses; n app.houses;
BEGIN
    SELECT * INTO h FROM app.houses WHERE id = api.pid(args, 'id') AND api.sees(ctx, id) FOR UPDATE;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    PERFORM api.check_version(args, h.version);
    n := jsonb_populate_record(h, api.only(args, '{code,name,address,timezone,curfew}'));
    IF args ? 'timezone' THEN PERFORM api.check_timezone(n.timezone); END IF;
    UPDATE app.houses SET code = n.code, name = n.name, address = n.address, timezone = n.timezone,
                          curfew = n.curfew
     WHERE id = h.id RETURNING * INTO n;
    PERFORM api.audit(ctx, 'house.update', 'house', h.id, h.id, api.house_json(h), api.house_json(n));
    RETURN ROW(200, api.house_json(n));
END $$;

-- ================================================================ rooms and beds

CREATE FUNCTION api.op_rooms_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE h app.houses := api.visible_house(ctx, api.pid(args, 'house_id')); r app.rooms;
BEGIN
    r := jsonb_populate_record(NULL::app.rooms, api.only(args, '{code,floor,sex,notes}'));
    INSERT INTO app.rooms (house_id, code, floor, sex, notes) VALUES (h.id, r.code, r.floor, r.sex, r.notes)
    RETURNING * INTO r;
    PERFORM api.audit(ctx, 'room.create', 'room', r.id, h.id, NULL, api.room_json(r));
    RETURN ROW(201, api.room_json(r));
END $$;

CREATE FUNCTION api.op_rooms_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE h app.houses := api.visible_house(ctx, api.pid(args, 'house_id'));
BEGIN
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.room_json(x.r)) ORDER BY x.seq), '[]'),
                                     api.lim(args)))::api.reply
              FROM (SELECT r, r.seq FROM app.rooms r WHERE r.house_id = h.id AND r.seq > api.after(args)
                     ORDER BY r.seq LIMIT api.lim(args) + 1) x);
END $$;

CREATE FUNCTION api.op_rooms_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE r app.rooms;
BEGIN
    SELECT * INTO r FROM app.rooms WHERE id = api.pid(args, 'id') AND api.sees(ctx, house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN ROW(200, api.room_json(r));
END $$;

CREATE FUNCTION api.op_rooms_update(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE r app.rooms; n app.rooms;
BEGIN
    SELECT * INTO r FROM app.rooms WHERE id = api.pid(args, 'id') AND api.sees(ctx, house_id) FOR UPDATE;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    PERFORM api.check_version(args, r.version);
    n := jsonb_populate_record(r, api.only(args, '{code,floor,sex,notes}'));
    UPDATE app.rooms SET code = n.code, floor = n.floor, sex = n.sex, notes = n.notes
     WHERE id = r.id RETURNING * INTO n;
    PERFORM api.audit(ctx, 'room.update', 'room', r.id, r.house_id, api.room_json(r), api.room_json(n));
    RETURN ROW(200, api.room_json(n));
END $$;

CREATE FUNCTION api.op_beds_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE r app.rooms; b app.beds;
BEGIN
    SELECT * INTO r FROM app.rooms WHERE id = api.pid(args, 'room_id') AND api.sees(ctx, house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    INSERT INTO app.beds (room_id, house_id, label) VALUES (r.id, r.house_id, args->>'label') RETURNING * INTO b;
    PERFORM api.audit(ctx, 'bed.create', 'bed', b.id, b.house_id, NULL, api.bed_json(b));
    RETURN ROW(201, api.bed_json(b));
END $$;

CREATE FUNCTION api.op_beds_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE b app.beds;
BEGIN
    SELECT * INTO b FROM app.beds WHERE id = api.pid(args, 'id') AND api.sees(ctx, house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN ROW(200, api.bed_json(b));
END $$;

CREATE FUNCTION api.op_beds_update(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE b app.beds; n app.beds;
BEGIN
    -- FOR UPDATE: a check-in holds the bed locked too, so the occupancy test below cannot race it
    SELECT * INTO b FROM app.beds WHERE id = api.pid(args, 'id') AND api.sees(ctx, house_id) FOR UPDATE;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    PERFORM api.check_version(args, b.version);
    n := jsonb_populate_record(b, api.only(args, '{status,status_reason,label}'));
    IF n.status = 'available' AND NOT args ? 'status_reason' THEN n.status_reason := NULL; END IF;
    IF n.status = 'out_of_service' AND EXISTS (SELECT 1 FROM app.bed_periods p WHERE p.bed_id = b.id AND p.to_at IS NULL) THEN
        PERFORM api.fail(409, 'bed_occupied', 'status', 'the bed is occupied');
    END IF;
    UPDATE app.beds SET status = n.status, status_reason = n.status_reason, label = n.label
     WHERE id = b.id RETURNING * INTO n;
    PERFORM api.audit(ctx, 'bed.update', 'bed', b.id, b.house_id, api.bed_json(b), api.bed_json(n));
    PERFORM api.emit(b.house_id, 'bed.updated', jsonb_build_object('entity', 'bed', 'id', b.id, 'bed_id', b.id));
    RETURN ROW(200, api.bed_json(n));
END $$;

-- The bed board of a house: every bed with its state and occupant, in one query, as JSON
-- text. The text is assembled by hand (strings through to_json): for 2 000 beds that is half
-- the time of jsonb_build_object per bed plus jsonb_agg. The occupants come from
-- app.bed_occupants (kept by triggers), so the cost grows with beds, not with years of stays.
-- The beds are joined in a subquery of their own (OFFSET 0) and filtered by state after it:
-- the plan, cached for every want, then counts on all the house's beds (hash joins), where
-- the filter inside made it expect 20 and look each room up (16 ms instead of 9). STABLE: it
-- reads in the snapshot of the statement that calls it, the one that reads the board's tag
-- (api.direct_beds_board).
CREATE FUNCTION api.board_body(house_id uuid, want text) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT '{"items":[' || coalesce(string_agg(
                   '{"id":"' || x.id || '","room_id":"' || x.room_id || '","room_code":' || to_json(x.room_code)
                   || ',"label":' || to_json(x.label) || ',"state":"' || x.state || '","status_reason":'
                   || coalesce(to_json(x.status_reason)::text, 'null') || ',"occupant":'
                   || CASE WHEN x.stay_id IS NOT NULL THEN '{"resident_id":"' || x.resident_id
                           || '","full_name":' || to_json(x.full_name)
                           || ',"stay_id":"' || x.stay_id || '","since":"' || api.ts(x.since) || '"}'
                      ELSE 'null' END || '}', ',' ORDER BY x.room_code, x.label), '') || ']}'
      FROM (SELECT b.id, b.room_id, rm.code AS room_code, b.label, b.status_reason,
                   o.resident_id, o.full_name, o.stay_id, o.since,
                   CASE WHEN o.bed_id IS NOT NULL THEN 'occupied'
                        WHEN b.status = 'out_of_service' THEN 'out_of_service'
                        ELSE 'free' END AS state
              FROM app.beds b
              JOIN app.rooms rm ON rm.id = b.room_id
              LEFT JOIN app.bed_occupants o ON o.bed_id = b.id AND o.house_id = board_body.house_id
             WHERE b.house_id = board_body.house_id
            OFFSET 0) x
     WHERE want IS NULL OR x.state = want);
END $$;

CREATE FUNCTION api.op_beds_board(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE h app.houses := api.visible_house(ctx, api.pid(args, 'house_id'));
BEGIN
    RETURN ROW(200, api.board_body(h.id, args->>'state')::jsonb);
END $$;

-- The board through the daemon's copy (docs/ops.md, "Direct reads"): the body only when the
-- caller's copy (have: the tag it was rendered at) is not the house's board any more.
CREATE FUNCTION api.direct_beds_board(token_hash bytea, roles text[], args jsonb, have uuid)
RETURNS TABLE (status int, body text, etag int, tag uuid) LANGUAGE sql STABLE AS $$
    SELECT x.status,
           CASE WHEN x.status <> 200 THEN api.direct_problem(x.status)
                WHEN x.tag = direct_beds_board.have THEN NULL
                ELSE api.board_body(x.house_id, args->>'state') END,
           NULL::int, x.tag
      FROM (SELECT api.direct_status(u.user_id, u.admitted, t.house_id IS NOT NULL) AS status, t.house_id, t.tag
              FROM (SELECT) one
              LEFT JOIN api.session(direct_beds_board.token_hash, direct_beds_board.roles) u ON true
              LEFT JOIN app.board_tags t ON u.admitted AND t.house_id = (args->>'house_id')::uuid
                                        AND (u.house_ids IS NULL OR t.house_id = ANY (u.house_ids))) x
$$;

-- ================================================================ residents

CREATE FUNCTION api.op_residents_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE r app.residents;
BEGIN
    r := jsonb_populate_record(NULL::app.residents, api.only(args, '{house_id,full_name,register_number,sex,
        birth_date,national_id,legal_status,supervision_ends_on,caseworker_id,phone,notes,emergency_contact}'));
    IF NOT EXISTS (SELECT 1 FROM app.houses h WHERE h.id = r.house_id AND api.sees(ctx, h.id)) THEN
        PERFORM api.invalid('house_id', 'no such house');
    END IF;
    IF r.birth_date > api.today(r.house_id) THEN PERFORM api.invalid('birth_date', 'is in the future'); END IF;
    PERFORM api.check_caseworker(r.caseworker_id, r.house_id);
    INSERT INTO app.residents (house_id, full_name, register_number, sex, birth_date, national_id, legal_status,
                               supervision_ends_on, caseworker_id, phone, notes, emergency_contact)
    VALUES (r.house_id, r.full_name, r.register_number, r.sex, r.birth_date, r.national_id, r.legal_status,
            r.supervision_ends_on, r.caseworker_id, r.phone, r.notes, r.emergency_contact)
    RETURNING * INTO r;
    PERFORM api.audit(ctx, 'resident.create', 'resident', r.id, r.house_id, NULL, api.resident_json(r, 'admin'));
    RETURN ROW(201, api.resident_json(r, ctx.role));
END $$;

CREATE FUNCTION api.like_escape(q text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT replace(replace(replace(q, '\', '\\'), '%', '\%'), '_', '\_')
$$;

CREATE FUNCTION api.op_residents_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
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
CREATE FUNCTION api.resident_view(id uuid, role text, house_ids uuid[])
RETURNS TABLE (doc jsonb, version int) LANGUAGE sql STABLE AS $$
    SELECT api.resident_doc(r, resident_view.role, a.n, a.cur), r.version
      FROM app.residents r
     CROSS JOIN LATERAL (SELECT count(*) AS n, (array_agg(s.id) FILTER (WHERE s.checked_out_at IS NULL))[1] AS cur
                           FROM app.stays s WHERE s.resident_id = r.id) a
     WHERE r.id = resident_view.id AND (resident_view.house_ids IS NULL OR r.house_id = ANY (resident_view.house_ids))
$$;

CREATE FUNCTION api.op_residents_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE doc jsonb;
BEGIN
    SELECT v.doc INTO doc FROM api.resident_view(api.pid(args, 'id'), ctx.role, ctx.house_ids) v;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN ROW(200, doc);
END $$;

CREATE FUNCTION api.direct_residents_get(token_hash bytea, roles text[], args jsonb, have uuid)
RETURNS TABLE (status int, body text, etag int, tag uuid) LANGUAGE sql STABLE AS $$
    SELECT x.status, CASE WHEN x.status = 200 THEN x.doc::text ELSE api.direct_problem(x.status) END,
           CASE WHEN x.status = 200 THEN x.version END, NULL::uuid
      FROM (SELECT api.direct_status(u.user_id, u.admitted, v.doc IS NOT NULL) AS status, v.doc, v.version
              FROM (SELECT) one
              LEFT JOIN api.session(direct_residents_get.token_hash, direct_residents_get.roles) u ON true
              LEFT JOIN LATERAL api.resident_view((args->>'id')::uuid, u.role, u.house_ids) v ON u.admitted) x
$$;

CREATE FUNCTION api.op_residents_update(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE r app.residents; n app.residents;
BEGIN
    SELECT * INTO r FROM app.residents WHERE id = api.pid(args, 'id') AND api.sees(ctx, house_id) FOR UPDATE;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    PERFORM api.check_version(args, r.version);
    IF args ? 'house_id' AND (args->>'house_id')::uuid IS DISTINCT FROM r.house_id THEN
        PERFORM api.invalid('house_id', 'a resident belongs to one house');
    END IF;
    n := jsonb_populate_record(r, api.only(args, '{full_name,register_number,sex,birth_date,national_id,
        legal_status,supervision_ends_on,caseworker_id,phone,notes,emergency_contact}'));
    IF n.birth_date > api.today(r.house_id) THEN PERFORM api.invalid('birth_date', 'is in the future'); END IF;
    IF args ? 'caseworker_id' THEN PERFORM api.check_caseworker(n.caseworker_id, r.house_id); END IF;
    UPDATE app.residents SET full_name = n.full_name, register_number = n.register_number, sex = n.sex,
           birth_date = n.birth_date, national_id = n.national_id, legal_status = n.legal_status,
           supervision_ends_on = n.supervision_ends_on, caseworker_id = n.caseworker_id, phone = n.phone,
           notes = n.notes, emergency_contact = n.emergency_contact
     WHERE id = r.id RETURNING * INTO n;
    PERFORM api.audit(ctx, 'resident.update', 'resident', r.id, r.house_id,
                      api.resident_json(r, 'admin'), api.resident_json(n, 'admin'));
    RETURN ROW(200, api.resident_json(n, ctx.role));
END $$;

-- ================================================================ stays

-- Checks check-in and transfer share once the bed is chosen: in service, room for the resident's sex.
CREATE FUNCTION api.check_bed_usable(b app.beds, resident_sex text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF b.status = 'out_of_service' THEN
        PERFORM api.fail(409, 'bed_out_of_service', 'bed_id', coalesce(b.status_reason, 'the bed is out of service'));
    END IF;
    IF EXISTS (SELECT 1 FROM app.rooms rm WHERE rm.id = b.room_id AND rm.sex NOT IN ('any', resident_sex)) THEN
        PERFORM api.fail(409, 'sex_mismatch', 'bed_id', 'the room is for the other sex');
    END IF;
END $$;

CREATE FUNCTION api.check_bed_free(b app.beds, at timestamptz) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- any period, past ones too: a back-dated check-in must not overlap an earlier stay
    IF EXISTS (SELECT 1 FROM app.bed_periods p WHERE p.bed_id = b.id AND p.during && tstzrange(at, NULL)) THEN
        PERFORM api.fail(409, 'bed_occupied', 'bed_id', 'the bed holds another stay at that time');
    END IF;
END $$;

-- A bed named in a body: visible, of the given house, and locked. The lock serialises the
-- check-ins and transfers onto one bed (and beds.update): shared locks let two of them
-- insert conflicting periods and then wait on each other's exclusion check, a deadlock
-- PostgreSQL only breaks after deadlock_timeout.
CREATE FUNCTION api.body_bed(ctx api.ctx, args jsonb, house_id uuid) RETURNS app.beds LANGUAGE plpgsql AS $$
DECLARE b app.beds;
BEGIN
    SELECT * INTO b FROM app.beds x WHERE x.id = (args->>'bed_id')::uuid AND api.sees(ctx, x.house_id)
       FOR NO KEY UPDATE;
    IF NOT FOUND THEN PERFORM api.invalid('bed_id', 'no such bed'); END IF;
    IF b.house_id <> body_bed.house_id THEN PERFORM api.invalid('bed_id', 'the bed is in another house'); END IF;
    RETURN b;
END $$;

-- Check-in, check-out and transfer build the stay JSON once, and append the audit record
-- last: it locks the single chain head until commit, so the lock that serialises all
-- writers is held for as short a time as possible.
CREATE FUNCTION api.op_stays_checkin(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    r app.residents; b app.beds; s app.stays; j jsonb;
    at timestamptz := coalesce((args->>'checked_in_at')::timestamptz, now());
BEGIN
    IF (args->>'rules_acknowledged')::boolean IS NOT TRUE THEN
        PERFORM api.invalid('rules_acknowledged', 'the house rules must be acknowledged');
    END IF;
    -- locked: the check-ins of one resident run one at a time (see api.body_bed for beds)
    SELECT * INTO r FROM app.residents WHERE id = (args->>'resident_id')::uuid AND api.sees(ctx, house_id)
       FOR NO KEY UPDATE;
    IF NOT FOUND THEN PERFORM api.invalid('resident_id', 'no such resident'); END IF;
    b := api.body_bed(ctx, args, r.house_id);
    IF at > api.soon() THEN PERFORM api.invalid('checked_in_at', 'is in the future'); END IF;
    PERFORM api.check_bed_usable(b, r.sex);
    IF EXISTS (SELECT 1 FROM app.stays x WHERE x.resident_id = r.id AND x.span && tstzrange(at, NULL)) THEN
        PERFORM api.fail(409, 'resident_in_residence', 'resident_id', 'the resident already has a stay at that time');
    END IF;
    PERFORM api.check_bed_free(b, at);
    -- under a race the constraints are the final word (mapped to the same codes by api.run)
    INSERT INTO app.stays (house_id, resident_id, checked_in_at, planned_exit_on)
    VALUES (r.house_id, r.id, at, (args->>'planned_exit_on')::date) RETURNING * INTO s;
    INSERT INTO app.bed_periods (stay_id, bed_id, house_id, from_at) VALUES (s.id, b.id, s.house_id, at);
    j := api.stay_json(s);
    PERFORM api.emit(s.house_id, 'stay.checked_in', jsonb_build_object('entity', 'stay', 'id', s.id, 'stay_id', s.id,
                     'resident_id', s.resident_id, 'bed_id', j->'bed_id'));
    PERFORM api.audit(ctx, 'stay.checkin', 'stay', s.id, s.house_id, NULL, j);
    RETURN ROW(201, j);
END $$;

CREATE FUNCTION api.op_stays_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE hid uuid := (args->>'house_id')::uuid;
BEGIN
    IF hid IS NOT NULL THEN PERFORM api.visible_house(ctx, hid); END IF;
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.stay_json(x.s)) ORDER BY x.seq), '[]'),
                                     api.lim(args)))::api.reply
      FROM (SELECT s, s.seq FROM app.stays s
             WHERE api.sees(ctx, s.house_id) AND (hid IS NULL OR s.house_id = hid)
               AND (args->>'resident_id' IS NULL OR s.resident_id = (args->>'resident_id')::uuid)
               AND (args->>'status' IS NULL
                    OR (args->>'status' = 'active') = (s.checked_out_at IS NULL))
               AND s.seq > api.after(args)
             ORDER BY s.seq LIMIT api.lim(args) + 1) x);
END $$;

CREATE FUNCTION api.op_stays_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE sql AS $$
    SELECT ROW(200, api.stay_json(api.visible_stay(ctx, api.pid(args, 'id'))))::api.reply
$$;

CREATE FUNCTION api.op_stays_transfer(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    s app.stays := api.visible_stay(ctx, api.pid(args, 'stay_id'), 'update');
    p app.bed_periods; b app.beds; j jsonb;
    -- "now" is read after the stay's lock: a transfer that committed while we waited for it
    -- began a bed period after our transaction started
    at timestamptz := coalesce((args->>'at')::timestamptz, clock_timestamp());
BEGIN
    IF s.checked_out_at IS NOT NULL THEN PERFORM api.fail(409, 'stay_closed', NULL, 'the stay is checked out'); END IF;
    SELECT * INTO p FROM app.bed_periods WHERE stay_id = s.id AND to_at IS NULL;
    b := api.body_bed(ctx, args, s.house_id);
    IF b.id = p.bed_id THEN PERFORM api.invalid('bed_id', 'the resident is already on this bed'); END IF;
    IF at < p.from_at THEN PERFORM api.invalid('at', 'is before the current bed period began'); END IF;
    IF at > api.soon() THEN PERFORM api.invalid('at', 'is in the future'); END IF;
    PERFORM api.check_bed_usable(b, (SELECT r.sex FROM app.residents r WHERE r.id = s.resident_id));
    PERFORM api.check_bed_free(b, at);
    UPDATE app.bed_periods SET to_at = at WHERE id = p.id;
    INSERT INTO app.bed_periods (stay_id, bed_id, house_id, from_at) VALUES (s.id, b.id, s.house_id, at);
    UPDATE app.stays SET updated_at = now() WHERE id = s.id RETURNING * INTO s;     -- version +1
    j := api.stay_json(s);
    PERFORM api.emit(s.house_id, 'stay.transferred', jsonb_build_object('entity', 'stay', 'id', s.id, 'stay_id', s.id,
                     'resident_id', s.resident_id, 'bed_id', j->'bed_id'));
    PERFORM api.audit(ctx, 'stay.transfer', 'stay', s.id, s.house_id, jsonb_build_object('bed_id', p.bed_id), j);
    RETURN ROW(200, j);
END $$;

CREATE FUNCTION api.op_stays_checkout(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    s app.stays := api.visible_stay(ctx, api.pid(args, 'stay_id'), 'update');
    before jsonb := api.stay_json(s);
    m app.movements;
    j jsonb;
    at timestamptz := coalesce((args->>'checked_out_at')::timestamptz, clock_timestamp());   -- after the lock
BEGIN
    IF s.checked_out_at IS NOT NULL THEN PERFORM api.fail(409, 'stay_closed', NULL, 'the stay is checked out'); END IF;
    IF at < s.checked_in_at OR EXISTS (SELECT 1 FROM app.bed_periods p WHERE p.stay_id = s.id AND p.to_at IS NULL AND p.from_at > at) THEN
        PERFORM api.invalid('checked_out_at', 'is before the check-in or the last transfer');
    END IF;
    IF at > api.soon() THEN PERFORM api.invalid('checked_out_at', 'is in the future'); END IF;
    UPDATE app.bed_periods SET to_at = at WHERE stay_id = s.id AND to_at IS NULL;
    -- a resident still signed out is signed back in with the check-out
    UPDATE app.movements SET returned_at = greatest(at, out_at) WHERE stay_id = s.id AND returned_at IS NULL
    RETURNING * INTO m;
    UPDATE app.stays SET checked_out_at = at, exit_reason = args->>'exit_reason', destination = args->>'destination',
                         notes = CASE WHEN args ? 'notes' THEN args->>'notes' ELSE notes END
     WHERE id = s.id RETURNING * INTO s;
    j := api.stay_json(s);
    IF m.id IS NOT NULL THEN
        PERFORM api.emit(s.house_id, 'movement.returned', jsonb_build_object('entity', 'movement', 'id', m.id,
                         'stay_id', s.id, 'resident_id', s.resident_id));
    END IF;
    PERFORM api.emit(s.house_id, 'stay.checked_out', jsonb_build_object('entity', 'stay', 'id', s.id, 'stay_id', s.id,
                     'resident_id', s.resident_id, 'bed_id', j->'bed_id'));
    PERFORM api.audit(ctx, 'stay.checkout', 'stay', s.id, s.house_id, before, j);
    RETURN ROW(200, j);
END $$;

-- ================================================================ movements

CREATE FUNCTION api.op_movements_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    s app.stays := api.visible_stay(ctx, api.pid(args, 'stay_id'), 'share');    -- no checkout meanwhile
    m app.movements;
BEGIN
    IF s.checked_out_at IS NOT NULL THEN PERFORM api.fail(409, 'stay_closed', NULL, 'the stay is checked out'); END IF;
    IF (args->>'expected_back_at')::timestamptz <= now() THEN
        PERFORM api.invalid('expected_back_at', 'must be in the future');
    END IF;
    IF EXISTS (SELECT 1 FROM app.movements x WHERE x.stay_id = s.id AND x.returned_at IS NULL) THEN
        PERFORM api.fail(409, 'already_out', NULL, 'the resident is signed out');
    END IF;
    INSERT INTO app.movements (stay_id, house_id, resident_id, purpose, destination, expected_back_at)
    VALUES (s.id, s.house_id, s.resident_id, args->>'purpose', args->>'destination',
            (args->>'expected_back_at')::timestamptz)
    RETURNING * INTO m;
    PERFORM api.audit(ctx, 'movement.out', 'movement', m.id, m.house_id, NULL, api.movement_json(m));
    PERFORM api.emit(m.house_id, 'movement.out', jsonb_build_object('entity', 'movement', 'id', m.id,
                     'stay_id', m.stay_id, 'resident_id', m.resident_id));
    RETURN ROW(201, api.movement_json(m));
END $$;

CREATE FUNCTION api.op_movements_return(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    m app.movements; n app.movements;
    at timestamptz := coalesce((args->>'returned_at')::timestamptz, now());
BEGIN
    SELECT * INTO m FROM app.movements WHERE id = api.pid(args, 'id') AND api.sees(ctx, house_id) FOR UPDATE;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    IF m.returned_at IS NOT NULL THEN PERFORM api.fail(409, 'movement_closed', NULL, 'already signed back in'); END IF;
    IF at < m.out_at THEN PERFORM api.invalid('returned_at', 'is before the sign-out'); END IF;
    IF at > api.soon() THEN PERFORM api.invalid('returned_at', 'is in the future'); END IF;
    UPDATE app.movements SET returned_at = at WHERE id = m.id RETURNING * INTO n;
    PERFORM api.audit(ctx, 'movement.return', 'movement', m.id, m.house_id, api.movement_json(m), api.movement_json(n));
    PERFORM api.emit(m.house_id, 'movement.returned', jsonb_build_object('entity', 'movement', 'id', m.id,
                     'stay_id', m.stay_id, 'resident_id', m.resident_id));
    RETURN ROW(200, api.movement_json(n));
END $$;

-- open=true: who is out, most overdue first (cursor = offset); otherwise creation order.
CREATE FUNCTION api.op_movements_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    h app.houses := api.visible_house(ctx, api.pid(args, 'house_id'));
    open boolean := (args->>'open')::boolean;
    skip bigint := api.after(args);
BEGIN
    IF open THEN
        RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(skip + x.n, api.movement_json(x.m))
                                                            ORDER BY x.n), '[]'), api.lim(args)))::api.reply
          FROM (SELECT m, row_number() OVER (ORDER BY m.expected_back_at, m.seq) AS n FROM app.movements m
                 WHERE m.house_id = h.id AND m.returned_at IS NULL
                 ORDER BY m.expected_back_at, m.seq OFFSET skip LIMIT api.lim(args) + 1) x);
    END IF;
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.movement_json(x.m)) ORDER BY x.seq), '[]'),
                                     api.lim(args)))::api.reply
      FROM (SELECT m, m.seq FROM app.movements m
             WHERE m.house_id = h.id AND (open IS NULL OR m.returned_at IS NOT NULL) AND m.seq > skip
             ORDER BY m.seq LIMIT api.lim(args) + 1) x);
END $$;

-- ================================================================ rules and violations

CREATE FUNCTION api.op_rules_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE h app.houses := api.visible_house(ctx, api.pid(args, 'house_id')); r app.rules;
BEGIN
    INSERT INTO app.rules (house_id, code, title, description, severity, active)
    VALUES (h.id, args->>'code', args->>'title', args->>'description', args->>'severity',
            coalesce((args->>'active')::boolean, true)) RETURNING * INTO r;
    PERFORM api.audit(ctx, 'rule.create', 'rule', r.id, h.id, NULL, api.rule_json(r));
    RETURN ROW(201, api.rule_json(r));
END $$;

CREATE FUNCTION api.op_rules_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE h app.houses := api.visible_house(ctx, api.pid(args, 'house_id'));
BEGIN
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.rule_json(x.r)) ORDER BY x.seq), '[]'),
                                     api.lim(args)))::api.reply
      FROM (SELECT r, r.seq FROM app.rules r
             WHERE r.house_id = h.id AND (args->>'active' IS NULL OR r.active = (args->>'active')::boolean)
               AND r.seq > api.after(args)
             ORDER BY r.seq LIMIT api.lim(args) + 1) x);
END $$;

CREATE FUNCTION api.op_rules_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE r app.rules;
BEGIN
    SELECT * INTO r FROM app.rules WHERE id = api.pid(args, 'id') AND api.sees(ctx, house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN ROW(200, api.rule_json(r));
END $$;

CREATE FUNCTION api.op_rules_update(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
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

CREATE FUNCTION api.op_violations_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
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

CREATE FUNCTION api.op_violations_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE v app.violations;
BEGIN
    SELECT * INTO v FROM app.violations WHERE id = api.pid(args, 'id') AND api.sees(ctx, house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN ROW(200, api.violation_json(v));
END $$;

-- from/to: inclusive dates in each house's time zone
CREATE FUNCTION api.op_violations_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
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

-- ================================================================ exit plans and goals

CREATE FUNCTION api.op_exit_plans_put(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
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

CREATE FUNCTION api.op_exit_plans_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    s app.stays := api.visible_stay(ctx, api.pid(args, 'stay_id'));
    p app.exit_plans;
BEGIN
    SELECT * INTO p FROM app.exit_plans WHERE stay_id = s.id;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN ROW(200, api.plan_json(p));
END $$;

CREATE FUNCTION api.op_goals_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
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

CREATE FUNCTION api.op_goals_update(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
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
CREATE FUNCTION api.op_exit_plans_worklist(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
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

-- ================================================================ reports

-- Occupancy: one pass over the visible beds, grouped by house and room sex.
CREATE FUNCTION api.op_reports_occupancy(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
BEGIN
    RETURN (WITH beds AS (
        SELECT b.house_id, rm.sex, b.status, o.bed_id IS NOT NULL AS occ
          FROM app.beds b JOIN app.rooms rm ON rm.id = b.room_id
          LEFT JOIN app.bed_occupants o ON o.bed_id = b.id
         WHERE api.sees(ctx, b.house_id)),
    per_sex AS (
        SELECT x.house_id, x.sex, count(*) AS total, count(*) FILTER (WHERE x.occ) AS occupied,
               count(*) FILTER (WHERE NOT x.occ AND x.status <> 'out_of_service') AS free,
               count(*) FILTER (WHERE NOT x.occ AND x.status = 'out_of_service') AS oos
          FROM beds x GROUP BY x.house_id, x.sex),
    per_house AS (
        SELECT h.id, h.seq,
               coalesce(sum(c.total), 0)::bigint AS total, coalesce(sum(c.occupied), 0)::bigint AS occupied,
               coalesce(sum(c.free), 0)::bigint AS free, coalesce(sum(c.oos), 0)::bigint AS oos,
               jsonb_object_agg(c.sex, jsonb_build_object('beds_total', c.total, 'beds_occupied', c.occupied,
                                'beds_free', c.free, 'beds_out_of_service', c.oos)) FILTER (WHERE c.sex IS NOT NULL) AS by_sex
          FROM app.houses h LEFT JOIN per_sex c ON c.house_id = h.id
         WHERE api.sees(ctx, h.id)
         GROUP BY h.id, h.seq)
    SELECT ROW(200, jsonb_build_object('items', coalesce(jsonb_agg(
               jsonb_build_object('house_id', ph.id, 'beds_total', ph.total, 'beds_occupied', ph.occupied,
                   'beds_free', ph.free, 'beds_out_of_service', ph.oos,
                   'occupancy_rate', ph.occupied::float8 / nullif(ph.total - ph.oos, 0),
                   'by_sex', jsonb_build_object(
                       'male', coalesce(ph.by_sex->'male', '{"beds_total":0,"beds_occupied":0,"beds_free":0,"beds_out_of_service":0}'),
                       'female', coalesce(ph.by_sex->'female', '{"beds_total":0,"beds_occupied":0,"beds_free":0,"beds_out_of_service":0}'),
                       'any', coalesce(ph.by_sex->'any', '{"beds_total":0,"beds_occupied":0,"beds_free":0,"beds_out_of_service":0}')),
                   'residents_out', (SELECT count(*) FROM app.movements m WHERE m.house_id = ph.id AND m.returned_at IS NULL))
               ORDER BY ph.seq), '[]')))::api.reply
      FROM per_house ph);
END $$;

CREATE FUNCTION api.check_range(args jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF (args->>'to')::date < (args->>'from')::date THEN PERFORM api.invalid('to', 'is before from'); END IF;
    -- both ends count: from..to is (to - from + 1) days
    IF (args->>'to')::date - (args->>'from')::date >= 3660 THEN PERFORM api.invalid('to', 'the range exceeds 3660 days'); END IF;
END $$;

-- One row per day: `occupied` counts the stays active at the midnight ending that day (house
-- time), i.e. span @> M(d) with M(d) = (d + 1)::timestamp AT TIME ZONE tz. With m0 = M(from - 1):
--   occupied(d) = #(span @> m0) + #(check-ins in (m0, M(d)]) - #(check-outs in (m0, M(d)])
-- and #(x <= M) is width_bucket(M, sorted x). The check-ins of day d are #(local date <= d)
-- - #(local date <= d - 1), again by width_bucket over the sorted local dates. So the stays
-- overlapping the range (GiST, index only) are read once, whatever the number of days.
CREATE FUNCTION api.op_reports_census(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    h app.houses := api.visible_house(ctx, api.pid(args, 'house_id'));
    f date; t date; n int;
    mids timestamptz[];   -- mids[1] = m0 = M(f - 1), mids[i + 1] = M(f + i - 1): day f + i - 1 ends at mids[i + 1]
    lo timestamptz; hi timestamptz;
BEGIN
    PERFORM api.check_range(args);
    f := (args->>'from')::date;
    t := (args->>'to')::date;
    n := t - f + 1;
    SELECT array_agg((f + i)::timestamp AT TIME ZONE h.timezone ORDER BY i) INTO mids FROM generate_series(0, n) i;
    IF EXISTS (SELECT 1 FROM generate_series(1, n) i WHERE mids[i] >= mids[i + 1]) THEN
        -- midnights that do not increase (no real zone has them): the plain definition
        RETURN (SELECT ROW(200, jsonb_build_object('items', jsonb_agg(jsonb_build_object('date', api.d(g.d::date),
                       'occupied', c.occupied, 'check_ins', c.check_ins, 'check_outs', c.check_outs) ORDER BY g.d)))::api.reply
          FROM generate_series(f, t, interval '1 day') g(d)
         CROSS JOIN LATERAL (
               SELECT count(*) FILTER (WHERE s.span @> ((g.d::date + 1)::timestamp AT TIME ZONE h.timezone)) AS occupied,
                      count(*) FILTER (WHERE (s.checked_in_at AT TIME ZONE h.timezone)::date = g.d::date) AS check_ins,
                      count(*) FILTER (WHERE (s.checked_out_at AT TIME ZONE h.timezone)::date = g.d::date) AS check_outs
                 FROM app.stays s WHERE s.house_id = h.id) c);
    END IF;
    -- a local date and its midnight are at most a day or so apart in any zone
    lo := mids[1] - interval '3 days';
    hi := mids[n + 1] + interval '3 days';
    RETURN (WITH s0 AS (
        SELECT lower(x.span) AS t_in, upper(x.span) AS t_out, x.span
          FROM app.stays x
         WHERE x.house_id = h.id AND x.span && tstzrange(lo, hi, '[]')
        UNION ALL   -- a zero-length stay (empty span) overlaps nothing, yet is a check-in and a check-out
        SELECT x.checked_in_at, x.checked_out_at, x.span
          FROM app.stays x
         WHERE x.house_id = h.id AND x.checked_out_at = x.checked_in_at AND x.checked_in_at BETWEEN lo AND hi),
    s AS (
        SELECT s0.*, (s0.t_in AT TIME ZONE h.timezone)::date AS d_in, (s0.t_out AT TIME ZONE h.timezone)::date AS d_out
          FROM s0),
    a AS (
        SELECT count(*) FILTER (WHERE s.span @> mids[1]) AS base,
               array_agg(s.t_in ORDER BY s.t_in) FILTER (WHERE s.t_in > mids[1] AND s.t_in <= mids[n + 1]) AS ins,
               array_agg(s.t_out ORDER BY s.t_out) FILTER (WHERE s.t_out > mids[1] AND s.t_out <= mids[n + 1]) AS outs,
               array_agg(s.d_in ORDER BY s.d_in) AS in_dates,
               array_agg(s.d_out ORDER BY s.d_out) FILTER (WHERE s.d_out IS NOT NULL) AS out_dates
          FROM s)
    SELECT ROW(200, jsonb_build_object('items', jsonb_agg(jsonb_build_object('date', api.d(f + g.j),
               'occupied', a.base + coalesce(width_bucket(mids[g.j + 2], a.ins), 0)
                                  - coalesce(width_bucket(mids[g.j + 2], a.outs), 0),
               'check_ins', coalesce(width_bucket(f + g.j, a.in_dates) - width_bucket(f + g.j - 1, a.in_dates), 0),
               'check_outs', coalesce(width_bucket(f + g.j, a.out_dates) - width_bucket(f + g.j - 1, a.out_dates), 0))
               ORDER BY g.j)))::api.reply
      FROM a CROSS JOIN generate_series(0, n - 1) g(j));
END $$;

-- Outcomes of the stays checked out in [from, to] (house-local dates); CSV: counts per pair.
CREATE FUNCTION api.op_reports_exits(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE hid uuid := (args->>'house_id')::uuid;
BEGIN
    IF hid IS NOT NULL THEN PERFORM api.visible_house(ctx, hid); END IF;
    PERFORM api.check_range(args);
    RETURN (WITH x AS (
        SELECT s.exit_reason, s.destination, extract(epoch FROM s.checked_out_at - s.checked_in_at) / 86400 AS days
          FROM app.stays s JOIN app.houses h ON h.id = s.house_id
         WHERE api.sees(ctx, s.house_id) AND (hid IS NULL OR s.house_id = hid) AND s.checked_out_at IS NOT NULL
           AND (s.checked_out_at AT TIME ZONE h.timezone)::date BETWEEN (args->>'from')::date AND (args->>'to')::date)
    SELECT ROW(200, CASE WHEN args->>'format' = 'csv' THEN
        jsonb_build_object('items', (SELECT coalesce(jsonb_agg(jsonb_build_object('exit_reason', e.exit_reason,
                   'destination', e.destination, 'count', e.n) ORDER BY e.exit_reason, e.destination), '[]')
              FROM (SELECT exit_reason, destination, count(*) AS n FROM x GROUP BY 1, 2) e))
    ELSE jsonb_build_object('house_id', hid, 'from', args->>'from', 'to', args->>'to',
               'stays_closed', (SELECT count(*) FROM x),
               'average_length_of_stay_days', (SELECT round(avg(days)::numeric, 1) FROM x),
               'by_exit_reason', (SELECT coalesce(jsonb_object_agg(exit_reason, n), '{}')
                                    FROM (SELECT exit_reason, count(*) n FROM x GROUP BY 1) q),
               'by_destination', (SELECT coalesce(jsonb_object_agg(destination, n), '{}')
                                    FROM (SELECT destination, count(*) n FROM x GROUP BY 1) q)) END)::api.reply);
END $$;

-- ================================================================ audit

CREATE FUNCTION api.op_audit_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE hid uuid := (args->>'house_id')::uuid;
BEGIN
    IF hid IS NOT NULL THEN PERFORM api.visible_house(ctx, hid); END IF;
    -- a manager sees only records of its houses (user records have house_id NULL: admin only)
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.pos, api.audit_json(x.a)) ORDER BY x.pos), '[]'),
                                     api.lim(args)))::api.reply
      FROM (SELECT a, a.pos FROM app.audit_log a
             WHERE (ctx.house_ids IS NULL OR a.house_id = ANY (ctx.house_ids))
               AND (hid IS NULL OR a.house_id = hid)
               AND (args->>'entity' IS NULL OR a.entity = args->>'entity')
               AND (args->>'entity_id' IS NULL OR a.entity_id = (args->>'entity_id')::uuid)
               AND a.pos > api.after(args)
             ORDER BY a.pos LIMIT api.lim(args) + 1) x);
END $$;

-- Recompute the chain over every row in one statement (one snapshot, head included).
CREATE FUNCTION api.op_audit_verify(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE sql AS $$
    WITH r AS (
        SELECT a.id, a.pos, a.hash,
               a.hash = sha256(a.prev_hash || convert_to(api.audit_canon(a), 'UTF8'))
               AND a.prev_hash = lag(a.hash, 1, decode(repeat('00', 32), 'hex')) OVER (ORDER BY a.pos) AS good
          FROM app.audit_log a),
    bad AS (SELECT id FROM r WHERE NOT good ORDER BY pos LIMIT 1),
    last AS (SELECT hash FROM r ORDER BY pos DESC LIMIT 1)
    SELECT ROW(200, CASE
        WHEN EXISTS (SELECT 1 FROM bad) THEN jsonb_build_object('ok', false, 'first_bad_id', (SELECT id FROM bad))
        -- rows cut off the end leave the head pointing past the last row
        WHEN (SELECT h.hash FROM app.audit_head h) IS DISTINCT FROM
             coalesce((SELECT hash FROM last), decode(repeat('00', 32), 'hex'))
            THEN jsonb_build_object('ok', false, 'first_bad_id', NULL)
        ELSE jsonb_build_object('ok', true, 'records', (SELECT count(*) FROM r)) END)::api.reply
$$;
