-- abipraya: performance (issues 4 and 7). Same answers, same errors, same audit records and
-- events as 0002/0003; only faster. Measured with tools/bench/run (docs/benchmarks.md).
--
-- What costs time in PostgreSQL 15, and what this file does about it:
-- 1. A LANGUAGE sql function that the planner cannot inline is parsed and planned again in
--    every transaction that calls it (its plan lives in the calling expression's state,
--    not in the session), ~15 us per call site even for api.ts. Functions whose body is one
--    expression are inlined when their volatility allows it: api.ts, api.d and the *_json
--    helpers were declared IMMUTABLE but call STABLE functions (to_char, jsonb_build_object),
--    which forbids inlining; declared STABLE (what they are) they inline, and their plans are
--    cached with the caller's. Helpers that need a query (stay_json, resident_json, ...) are
--    PL/pgSQL, whose statement plans live for the session.
-- 2. api.run found the op with to_regprocedure() and ran it with a dynamic EXECUTE: parsed
--    and planned on every request. It now calls the known ops statically (plans cached);
--    unknown names still take the old dynamic path, so an op added later by another
--    migration works unchanged.
-- 3. Check-in and check-out built the same stay JSON three or four times; the audit record
--    (which locks the single chain head until commit) is now appended last, so the lock that
--    serialises all writers is held for less time.
-- 4. Occupancy counted the beds four times per house (all, then each sex); now once.
-- 5. The census compared every stay of the house with every day (366 x 200 000); now it reads
--    the stays overlapping the range through a GiST index and adds up check-ins and
--    check-outs between midnights (width_bucket over the midnights), plus the stays that
--    span the first midnight.
-- 6. The bed board assembles its JSON text by hand and parses it once.
--
-- This file REPLACES (CREATE OR REPLACE) these functions of 0002/0003: api.run, api.ts,
-- api.resident_status, api.resident_json, api.stay_json, api.room_json, api.readiness,
-- api.plan_json, api.today, api.stay_event, api.op_me_get, api.op_residents_get,
-- api.op_stays_checkin, api.op_stays_checkout, api.op_stays_transfer, api.op_beds_board,
-- api.op_reports_occupancy, api.op_reports_census (their 0003 versions as of commit ff9648f).
-- A later change to one of them belongs in a new migration after this one: an edit of
-- 0002/0003 would be silently undone here.

-- ================================================================ indexes

-- census: the stays of a house overlapping a period, and the (rare) zero-length stays, whose
-- empty span overlaps nothing but which still count as a check-in and a check-out
CREATE INDEX stays_house_span_idx ON app.stays USING gist (house_id, span);
CREATE INDEX stays_house_empty_idx ON app.stays (house_id, checked_in_at) WHERE checked_out_at = checked_in_at;

-- A resident's stays: status and current stay come from the index alone. The plain btree on
-- resident_id cost the same as the GiST exclusion index (resident_id, span) in the planner's
-- eyes, which then probed the (slower) GiST; this one wins, and replaces the plain one.
CREATE INDEX stays_resident_cover_idx ON app.stays (resident_id) INCLUDE (checked_out_at, id);
DROP INDEX app.stays_resident_idx;

-- The bed board names 1 800 occupants: their names come from the index alone (residents
-- change rarely, so their pages stay all-visible), half the cost of visiting the heap.
CREATE INDEX residents_id_name_idx ON app.residents (id) INCLUDE (full_name);

-- ================================================================ inlinable helpers

-- RFC 3339 UTC with Z; a fraction only when there are microseconds (one to_char, not three).
CREATE OR REPLACE FUNCTION api.ts(t timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN date_trunc('second', t AT TIME ZONE 'UTC') = t AT TIME ZONE 'UTC'
                THEN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                ELSE to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END
$$;

ALTER FUNCTION api.d(date) STABLE;
ALTER FUNCTION api.problem(text, text, text) STABLE;
ALTER FUNCTION api.audit_canon(app.audit_log) STABLE;
ALTER FUNCTION api.audit_json(app.audit_log) STABLE;
ALTER FUNCTION api.user_json(app.users) STABLE;
ALTER FUNCTION api.house_json(app.houses) STABLE;
ALTER FUNCTION api.bed_json(app.beds) STABLE;
ALTER FUNCTION api.rule_json(app.rules) STABLE;
ALTER FUNCTION api.violation_json(app.violations) STABLE;
ALTER FUNCTION api.goal_json(app.goals) STABLE;

-- ================================================================ helpers that query: PL/pgSQL

CREATE OR REPLACE FUNCTION api.resident_status(resident_id uuid) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT CASE WHEN bool_or(s.checked_out_at IS NULL) THEN 'in_residence'
                        WHEN count(*) > 0 THEN 'former' ELSE 'new' END
              FROM app.stays s WHERE s.resident_id = resident_status.resident_id);
END $$;

-- The resident object from the row and its stays' count and active stay (one expression:
-- inlined into the caller's query). Staff never get national_id/notes: built without them.
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

CREATE OR REPLACE FUNCTION api.resident_json(r app.residents, role text) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    n bigint;
    cur uuid;
BEGIN
    SELECT count(*), (array_agg(s.id) FILTER (WHERE s.checked_out_at IS NULL))[1] INTO n, cur
      FROM app.stays s WHERE s.resident_id = r.id;
    RETURN api.resident_doc(r, role, n, cur);
END $$;

CREATE OR REPLACE FUNCTION api.stay_json(s app.stays) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
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

CREATE OR REPLACE FUNCTION api.room_json(r app.rooms) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN jsonb_build_object('id', r.id, 'house_id', r.house_id, 'code', r.code, 'floor', r.floor,
        'sex', r.sex, 'notes', r.notes,
        'beds', (SELECT coalesce(jsonb_agg(api.bed_json(b) ORDER BY b.seq), '[]') FROM app.beds b WHERE b.room_id = r.id),
        'created_at', api.ts(r.created_at), 'updated_at', api.ts(r.updated_at), 'version', r.version);
END $$;

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

CREATE OR REPLACE FUNCTION api.today(house_id uuid) RETURNS date LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT (now() AT TIME ZONE h.timezone)::date FROM app.houses h WHERE h.id = today.house_id);
END $$;

CREATE OR REPLACE FUNCTION api.stay_event(s app.stays, name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM api.emit(s.house_id, name, jsonb_build_object('entity', 'stay', 'id', s.id, 'stay_id', s.id,
        'resident_id', s.resident_id, 'bed_id', api.stay_json(s)->'bed_id'));
END $$;

-- ================================================================ ops that were LANGUAGE sql

CREATE OR REPLACE FUNCTION api.op_me_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE u app.users;
BEGIN
    SELECT * INTO u FROM app.users x WHERE x.id = ctx.user_id;
    IF NOT FOUND THEN RETURN NULL; END IF;
    RETURN ROW(200, api.user_json(u));
END $$;

-- ================================================================ residents: one query per request

CREATE OR REPLACE FUNCTION api.op_residents_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE doc jsonb;
BEGIN
    SELECT api.resident_doc(r, ctx.role, a.n, a.cur) INTO doc
      FROM app.residents r
     CROSS JOIN LATERAL (SELECT count(*) AS n, (array_agg(s.id) FILTER (WHERE s.checked_out_at IS NULL))[1] AS cur
                           FROM app.stays s WHERE s.resident_id = r.id) a
     WHERE r.id = api.pid(args, 'id') AND api.sees(ctx, r.house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN ROW(200, doc);
END $$;

-- ================================================================ stays: one stay JSON, audit last

CREATE OR REPLACE FUNCTION api.op_stays_checkin(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE FUNCTION api.op_stays_checkout(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE FUNCTION api.op_stays_transfer(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
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

-- ================================================================ bed board, occupancy, census

-- The bed board: every bed of a house with its state and occupant, in one query. The JSON
-- text is assembled by hand (strings through to_json) and parsed once: for 2 000 beds that is
-- half the time of jsonb_build_object per bed plus jsonb_agg, and gives the same jsonb. The
-- occupant is looked up per occupied bed (cost grows with beds, not with years of stays).
CREATE OR REPLACE FUNCTION api.op_beds_board(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    h app.houses := api.visible_house(ctx, api.pid(args, 'house_id'));
    want text := args->>'state';
BEGIN
    RETURN (SELECT ROW(200, ('{"items":[' || coalesce(string_agg(x.e, ',' ORDER BY x.room_code, x.label), '')
                             || ']}')::jsonb)::api.reply
      FROM (SELECT rm.code AS room_code, b.label,
                   '{"id":"' || b.id || '","room_id":"' || b.room_id || '","room_code":' || to_json(rm.code)
                   || ',"label":' || to_json(b.label) || ',"state":"' || st.state || '","status_reason":'
                   || coalesce(to_json(b.status_reason)::text, 'null') || ',"occupant":'
                   || CASE WHEN p.id IS NOT NULL THEN '{"resident_id":' || coalesce('"' || o.resident_id || '"', 'null')
                           || ',"full_name":' || coalesce(to_json(o.full_name)::text, 'null')
                           || ',"stay_id":"' || p.stay_id || '","since":"' || api.ts(p.from_at) || '"}'
                      ELSE 'null' END || '}' AS e
              FROM app.beds b
              JOIN app.rooms rm ON rm.id = b.room_id
              LEFT JOIN app.bed_periods p ON p.bed_id = b.id AND p.to_at IS NULL
              LEFT JOIN LATERAL (SELECT r.id AS resident_id, r.full_name
                                   FROM app.stays s JOIN app.residents r ON r.id = s.resident_id
                                  WHERE s.id = p.stay_id OFFSET 0) o ON true
              CROSS JOIN LATERAL (SELECT CASE WHEN p.id IS NOT NULL THEN 'occupied'
                                              WHEN b.status = 'out_of_service' THEN 'out_of_service'
                                              ELSE 'free' END AS state) st
             WHERE b.house_id = h.id AND (want IS NULL OR st.state = want)) x);
END $$;

-- Occupancy: one pass over the visible beds, grouped by house and room sex.
CREATE OR REPLACE FUNCTION api.op_reports_occupancy(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
BEGIN
    RETURN (WITH beds AS (
        SELECT b.house_id, rm.sex, b.status, o.bed_id IS NOT NULL AS occ
          FROM app.beds b JOIN app.rooms rm ON rm.id = b.room_id
          LEFT JOIN (SELECT DISTINCT p.bed_id FROM app.bed_periods p WHERE p.to_at IS NULL) o ON o.bed_id = b.id
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

-- One row per day: `occupied` counts the stays active at the midnight ending that day (house
-- time), i.e. span @> M(d) with M(d) = (d + 1)::timestamp AT TIME ZONE tz. With m0 = M(from - 1):
--   occupied(d) = #(span @> m0) + #(check-ins in (m0, M(d)]) - #(check-outs in (m0, M(d)])
-- and #(x <= M) is width_bucket(M, sorted x). The check-ins of day d are #(local date <= d)
-- - #(local date <= d - 1), again by width_bucket over the sorted local dates. So the stays
-- overlapping the range (GiST, index only) are read once, whatever the number of days.
CREATE OR REPLACE FUNCTION api.op_reports_census(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
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

-- ================================================================ api.run: static dispatch

CREATE OR REPLACE FUNCTION api.run(token_hash bytea, op text, roles text[], request_id text, idem_key text,
                                   fingerprint text, args jsonb, pre_error jsonb) RETURNS api.result
LANGUAGE plpgsql AS $$
DECLARE
    c api.ctx;
    u_id uuid; u_role text; u_houses uuid[];
    r api.reply;
    k app.idempotency_keys;
    fn regprocedure;
    res api.result;
    setting text;
    st text; cn text; col text; msg text; det text;
BEGIN
    SELECT us.id, us.role, us.house_ids INTO u_id, u_role, u_houses
      FROM app.sessions s JOIN app.users us ON us.id = s.user_id
     WHERE s.token_hash = run.token_hash AND s.expires_at > now() AND us.active;
    IF NOT FOUND OR token_hash IS NULL THEN
        RETURN ROW(401, '{"code":"unauthorized"}'::jsonb, NULL::int);
    END IF;
    IF (u_role = ANY (roles)) IS NOT TRUE THEN
        RETURN ROW(403, '{"code":"forbidden"}'::jsonb, NULL::int);
    END IF;
    c := ROW(u_id, u_role, CASE WHEN u_role = 'admin' THEN NULL ELSE u_houses END, request_id);
    -- for auth.logout (an assignment, not PERFORM: no executor start-up)
    setting := set_config('api.token_hash', encode(token_hash, 'hex'), true);

    IF idem_key IS NOT NULL THEN
        DELETE FROM app.idempotency_keys i
         WHERE i.user_id = u_id AND i.key = idem_key AND i.created_at < now() - interval '24 hours';
        -- a concurrent twin with the same key blocks here until it commits, then we replay it
        INSERT INTO app.idempotency_keys (user_id, key, fingerprint)
        VALUES (u_id, idem_key, coalesce(fingerprint, '')) ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
            SELECT * INTO k FROM app.idempotency_keys i WHERE i.user_id = u_id AND i.key = idem_key;
            IF k.fingerprint IS DISTINCT FROM coalesce(fingerprint, '') THEN
                RETURN ROW(422, api.problem('idempotency_key_reused', NULL,
                                            'the key was used with another request'), NULL::int);
            END IF;
            RETURN ROW(k.status, k.body, k.etag);
        END IF;
    END IF;

    IF pre_error IS NOT NULL THEN
        -- found by the C side (validation, a path id that is no UUID): recorded under the key too
        r := ROW(coalesce((pre_error->>'status')::int, 422), pre_error - 'status');
    ELSE
        FOR attempt IN 1..5 LOOP
            BEGIN
                -- the ops of 0003 by name, most frequent first (cached plans); any other name as before
                CASE op
                    WHEN 'residents.get' THEN r := api.op_residents_get(c, args);
                    WHEN 'beds.board' THEN r := api.op_beds_board(c, args);
                    WHEN 'stays.checkin' THEN r := api.op_stays_checkin(c, args);
                    WHEN 'stays.checkout' THEN r := api.op_stays_checkout(c, args);
                    WHEN 'reports.occupancy' THEN r := api.op_reports_occupancy(c, args);
                    WHEN 'residents.list' THEN r := api.op_residents_list(c, args);
                    WHEN 'stays.get' THEN r := api.op_stays_get(c, args);
                    WHEN 'stays.list' THEN r := api.op_stays_list(c, args);
                    WHEN 'me.get' THEN r := api.op_me_get(c, args);
                    WHEN 'movements.create' THEN r := api.op_movements_create(c, args);
                    WHEN 'movements.return' THEN r := api.op_movements_return(c, args);
                    WHEN 'movements.list' THEN r := api.op_movements_list(c, args);
                    WHEN 'stays.transfer' THEN r := api.op_stays_transfer(c, args);
                    WHEN 'reports.census' THEN r := api.op_reports_census(c, args);
                    WHEN 'violations.create' THEN r := api.op_violations_create(c, args);
                    WHEN 'violations.list' THEN r := api.op_violations_list(c, args);
                    WHEN 'violations.get' THEN r := api.op_violations_get(c, args);
                    WHEN 'residents.create' THEN r := api.op_residents_create(c, args);
                    WHEN 'residents.update' THEN r := api.op_residents_update(c, args);
                    WHEN 'houses.get' THEN r := api.op_houses_get(c, args);
                    WHEN 'houses.list' THEN r := api.op_houses_list(c, args);
                    WHEN 'rooms.get' THEN r := api.op_rooms_get(c, args);
                    WHEN 'rooms.list' THEN r := api.op_rooms_list(c, args);
                    WHEN 'beds.get' THEN r := api.op_beds_get(c, args);
                    WHEN 'beds.update' THEN r := api.op_beds_update(c, args);
                    WHEN 'rules.get' THEN r := api.op_rules_get(c, args);
                    WHEN 'rules.list' THEN r := api.op_rules_list(c, args);
                    WHEN 'exit_plans.get' THEN r := api.op_exit_plans_get(c, args);
                    WHEN 'exit_plans.put' THEN r := api.op_exit_plans_put(c, args);
                    WHEN 'exit_plans.worklist' THEN r := api.op_exit_plans_worklist(c, args);
                    WHEN 'goals.create' THEN r := api.op_goals_create(c, args);
                    WHEN 'goals.update' THEN r := api.op_goals_update(c, args);
                    WHEN 'reports.exits' THEN r := api.op_reports_exits(c, args);
                    WHEN 'audit.list' THEN r := api.op_audit_list(c, args);
                    WHEN 'audit.verify' THEN r := api.op_audit_verify(c, args);
                    WHEN 'auth.logout' THEN r := api.op_auth_logout(c, args);
                    WHEN 'users.create' THEN r := api.op_users_create(c, args);
                    WHEN 'users.list' THEN r := api.op_users_list(c, args);
                    WHEN 'users.get' THEN r := api.op_users_get(c, args);
                    WHEN 'users.update' THEN r := api.op_users_update(c, args);
                    WHEN 'houses.create' THEN r := api.op_houses_create(c, args);
                    WHEN 'houses.update' THEN r := api.op_houses_update(c, args);
                    WHEN 'rooms.create' THEN r := api.op_rooms_create(c, args);
                    WHEN 'rooms.update' THEN r := api.op_rooms_update(c, args);
                    WHEN 'beds.create' THEN r := api.op_beds_create(c, args);
                    WHEN 'rules.create' THEN r := api.op_rules_create(c, args);
                    WHEN 'rules.update' THEN r := api.op_rules_update(c, args);
                    ELSE
                        fn := to_regprocedure(format('api.%I(api.ctx, jsonb)', 'op_' || replace(op, '.', '_')));
                        IF fn IS NULL THEN
                            r := ROW(404, api.problem('not_found', NULL, 'unknown operation'));
                        ELSE
                            EXECUTE format('SELECT * FROM %s($1, $2)', fn::regproc) INTO r USING c, args;
                        END IF;
                END CASE;
                EXIT;
            EXCEPTION
                WHEN serialization_failure OR deadlock_detected THEN
                    IF attempt = 5 THEN RAISE; END IF;
                WHEN others THEN
                    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, cn = CONSTRAINT_NAME, col = COLUMN_NAME,
                                            msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
                    r := api.map_error(st, cn, col, msg, det);
                    IF r IS NULL THEN RAISE; END IF;
                    EXIT;
            END;
        END LOOP;
    END IF;

    res := ROW(r.status, r.body,
               CASE WHEN r.status IN (200, 201) AND jsonb_typeof(r.body) = 'object' AND r.body ? 'version'
                    THEN (r.body->>'version')::int END);
    IF idem_key IS NOT NULL THEN
        UPDATE app.idempotency_keys i SET status = res.status, body = res.body, etag = res.etag
         WHERE i.user_id = u_id AND i.key = idem_key;
    END IF;
    RETURN res;
END $$;
