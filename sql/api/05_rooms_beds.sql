-- abipraya: rooms, beds and the bed board.
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

CREATE OR REPLACE FUNCTION api.bed_json(b app.beds) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', b.id, 'room_id', b.room_id, 'house_id', b.house_id, 'label', b.label,
        'status', b.status, 'status_reason', b.status_reason, 'created_at', api.ts(b.created_at),
        'updated_at', api.ts(b.updated_at), 'version', b.version)
$$;

CREATE OR REPLACE FUNCTION api.room_json(r app.rooms) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN jsonb_build_object('id', r.id, 'house_id', r.house_id, 'code', r.code, 'floor', r.floor,
        'sex', r.sex, 'notes', r.notes,
        'beds', (SELECT coalesce(jsonb_agg(api.bed_json(b) ORDER BY b.seq), '[]') FROM app.beds b WHERE b.room_id = r.id),
        'created_at', api.ts(r.created_at), 'updated_at', api.ts(r.updated_at), 'version', r.version);
END $$;

CREATE OR REPLACE FUNCTION api.op_rooms_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE h app.houses := api.visible_house(ctx, api.pid(args, 'house_id')); r app.rooms;
BEGIN
    r := jsonb_populate_record(NULL::app.rooms, api.only(args, '{code,floor,sex,notes}'));
    INSERT INTO app.rooms (house_id, code, floor, sex, notes) VALUES (h.id, r.code, r.floor, r.sex, r.notes)
    RETURNING * INTO r;
    PERFORM api.audit(ctx, 'room.create', 'room', r.id, h.id, NULL, api.room_json(r));
    RETURN ROW(201, api.room_json(r));
END $$;

CREATE OR REPLACE FUNCTION api.op_rooms_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE h app.houses := api.visible_house(ctx, api.pid(args, 'house_id'));
BEGIN
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.room_json(x.r)) ORDER BY x.seq), '[]'),
                                     api.lim(args)))::api.reply
              FROM (SELECT r, r.seq FROM app.rooms r WHERE r.house_id = h.id AND r.seq > api.after(args)
                     ORDER BY r.seq LIMIT api.lim(args) + 1) x);
END $$;

CREATE OR REPLACE FUNCTION api.op_rooms_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE r app.rooms;
BEGIN
    SELECT * INTO r FROM app.rooms WHERE id = api.pid(args, 'id') AND api.sees(ctx, house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN ROW(200, api.room_json(r));
END $$;

CREATE OR REPLACE FUNCTION api.op_rooms_update(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE FUNCTION api.op_beds_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE r app.rooms; b app.beds;
BEGIN
    SELECT * INTO r FROM app.rooms WHERE id = api.pid(args, 'room_id') AND api.sees(ctx, house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    INSERT INTO app.beds (room_id, house_id, label) VALUES (r.id, r.house_id, args->>'label') RETURNING * INTO b;
    PERFORM api.audit(ctx, 'bed.create', 'bed', b.id, b.house_id, NULL, api.bed_json(b));
    RETURN ROW(201, api.bed_json(b));
END $$;

CREATE OR REPLACE FUNCTION api.op_beds_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE b app.beds;
BEGIN
    SELECT * INTO b FROM app.beds WHERE id = api.pid(args, 'id') AND api.sees(ctx, house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN ROW(200, api.bed_json(b));
END $$;

CREATE OR REPLACE FUNCTION api.op_beds_update(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
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
    IF n.status = 'out_of_service' AND EXISTS (SELECT 1 FROM app.holds h WHERE h.bed_id = b.id AND h.status = 'active'
                                                  AND h.until > now()) THEN
        PERFORM api.fail(409, 'bed_held', 'status', 'the bed is held for someone');
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
CREATE OR REPLACE FUNCTION api.board_body(house_id uuid, want text) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT '{"items":[' || coalesce(string_agg(
                   '{"id":"' || x.id || '","room_id":"' || x.room_id || '","room_code":' || to_json(x.room_code)
                   || ',"label":' || to_json(x.label) || ',"state":"' || x.state || '","status_reason":'
                   || coalesce(to_json(x.status_reason)::text, 'null') || ',"occupant":'
                   || CASE WHEN x.stay_id IS NOT NULL THEN '{"resident_id":"' || x.resident_id
                           || '","full_name":' || to_json(x.full_name)
                           || ',"stay_id":"' || x.stay_id || '","since":"' || api.ts(x.since) || '"}'
                      ELSE 'null' END
                   || CASE WHEN x.state = x.t_state THEN x.t_key ELSE '' END || '}', ',' ORDER BY x.room_code, x.label), '') || ']}'
      FROM (SELECT b.id, b.room_id, rm.code AS room_code, b.label, b.status_reason,
                   o.resident_id, o.full_name, o.stay_id, o.since,
                   t.state AS t_state, t.key AS t_key,
                   CASE WHEN o.bed_id IS NOT NULL THEN 'occupied'
                        WHEN b.status = 'out_of_service' THEN 'out_of_service'
                        ELSE coalesce(t.state, 'free') END AS state
              FROM app.beds b
              JOIN app.rooms rm ON rm.id = b.room_id
              LEFT JOIN app.bed_occupants o ON o.bed_id = b.id AND o.house_id = board_body.house_id
              LEFT JOIN (SELECT DISTINCT ON (c.bed_id) c.bed_id, c.state, c.key FROM api.board_bed_time(board_body.house_id) c
                          ORDER BY c.bed_id, c.rank, c.from_at) t ON t.bed_id = b.id
             WHERE b.house_id = board_body.house_id
            OFFSET 0) x
     WHERE want IS NULL OR x.state = want);
END $$;

CREATE OR REPLACE FUNCTION api.op_beds_board(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE h app.houses := api.visible_house(ctx, api.pid(args, 'house_id'));
BEGIN
    RETURN ROW(200, api.board_body(h.id, args->>'state')::jsonb);
END $$;

-- The tag a copy of the board is kept under: the house's tag (a change of what the board
-- shows), and the last moment up to now at which a hold or turnover began or ended by the
-- clock alone (a hold's until, a turnover's from and until), which changes states with no
-- write. Three index probes; a house without holds or turnovers keeps its stored tag.
CREATE OR REPLACE FUNCTION api.board_tag(house_id uuid, tag uuid) RETURNS uuid LANGUAGE sql STABLE AS $$
    SELECT coalesce(md5(tag::text || greatest(
               (SELECT max(h.until) FROM app.holds h
                 WHERE h.house_id = board_tag.house_id AND h.status = 'active' AND h.until <= now()),
               (SELECT max(t.until) FROM app.turnovers t
                 WHERE t.house_id = board_tag.house_id AND t.ready_at IS NULL AND t.until <= now()),
               (SELECT max(t.from_at) FROM app.turnovers t
                 WHERE t.house_id = board_tag.house_id AND t.ready_at IS NULL AND t.from_at <= now()))::text)::uuid, tag)
$$;

-- The board's time states of a house's beds (contract §17.6), each with the key its entry
-- then carries, as text: turnover (now inside one not marked ready; rank 1) and held (an
-- active hold not expired, current or upcoming; rank 2, the earliest first). Few rows (the
-- partial indexes of migration 0020): the board joins them once, so that a house without
-- holds and turnovers renders as before.
CREATE OR REPLACE FUNCTION api.board_bed_time(house_id uuid)
RETURNS TABLE (bed_id uuid, rank int, from_at timestamptz, state text, key text) LANGUAGE sql STABLE AS $$
    SELECT t.bed_id, 1, t.from_at, 'turnover',
           ',"turnover":{"turnover_id":"' || t.id || '","stay_id":"' || t.stay_id || '","from":"' || api.ts(t.from_at)
           || '","until":"' || api.ts(t.until) || '"}'
      FROM app.turnovers t
     WHERE t.house_id = board_bed_time.house_id AND t.ready_at IS NULL AND t.until > now() AND t.from_at <= now()
    UNION ALL
    SELECT h.bed_id, 2, h.from_at, 'held',
           ',"hold":{"hold_id":"' || h.id || '","referral_id":' || coalesce('"' || h.referral_id || '"', 'null')
           || ',"resident_id":' || coalesce('"' || h.resident_id || '"', 'null')
           || ',"full_name":' || coalesce(to_json(coalesce(r.full_name, f.full_name))::text, 'null')
           || ',"from":"' || api.ts(h.from_at) || '","until":"' || api.ts(h.until) || '"}'
      FROM app.holds h LEFT JOIN app.residents r ON r.id = h.resident_id
      LEFT JOIN app.referrals f ON f.id = h.referral_id
     WHERE h.house_id = board_bed_time.house_id AND h.status = 'active' AND h.until > now()
$$;

-- The board through the daemon's copy (docs/ops.md, "Direct reads"): the body only when the
-- caller's copy (have: the tag it was rendered at) is not the house's board any more.
-- The board names no resident's sensitive field: no disclosure (§18.4).
DROP FUNCTION IF EXISTS api.direct_beds_board(bytea, text[], jsonb, uuid);  -- before its disclosure column
CREATE OR REPLACE FUNCTION api.direct_beds_board(token_hash bytea, roles text[], args jsonb, have uuid)
RETURNS TABLE (status int, body text, etag int, tag uuid, disclosure jsonb) LANGUAGE sql STABLE AS $$
    SELECT x.status,
           CASE WHEN x.status <> 200 THEN api.direct_problem(x.status)
                WHEN x.tag = direct_beds_board.have THEN NULL
                ELSE api.board_body(x.house_id, args->>'state') END,
           NULL::int, x.tag, NULL::jsonb
      FROM (SELECT api.direct_status(u.user_id, u.role, u.admitted, t.house_id IS NOT NULL) AS status, t.house_id,
                   api.board_tag(t.house_id, t.tag) AS tag
              FROM (SELECT) one
              LEFT JOIN api.session(direct_beds_board.token_hash, direct_beds_board.roles) u ON true
              LEFT JOIN app.board_tags t ON u.admitted AND t.house_id = (args->>'house_id')::uuid
                                        AND (u.house_ids IS NULL OR t.house_id = ANY (u.house_ids))) x
$$;
