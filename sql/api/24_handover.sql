-- abipraya: shift handover notes (contract §17.9); the night shift's `tonight` view reads
-- them too. Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

CREATE OR REPLACE FUNCTION api.handover_note_json(n app.handover_notes, author_name text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', n.id, 'house_id', n.house_id, 'shift', n.shift, 'note', n.note,
        'flags', to_jsonb(n.flags), 'author_id', n.author_id, 'author_name', author_name,
        'created_at', api.ts(n.created_at), 'updated_at', api.ts(n.updated_at))
$$;

CREATE OR REPLACE FUNCTION api.op_handover_notes_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE h app.houses := api.visible_house(ctx, api.pid(args, 'house_id')); n app.handover_notes; j jsonb;
BEGIN
    INSERT INTO app.handover_notes (house_id, shift, note, flags, author_id)
    VALUES (h.id, args->>'shift', args->>'note',
            coalesce(ARRAY(SELECT jsonb_array_elements_text(args->'flags')), '{}'), ctx.user_id)
    RETURNING * INTO n;
    j := api.handover_note_json(n, (SELECT u.full_name FROM app.users u WHERE u.id = n.author_id));
    PERFORM api.audit(ctx, 'handover_note.create', 'handover_note', n.id, h.id, NULL, j);
    PERFORM api.emit(h.id, 'handover_note.created', jsonb_build_object('entity', 'handover_note', 'id', n.id));
    RETURN ROW(201, j);
END $$;

-- from/to: inclusive dates of created_at in the house's time zone
CREATE OR REPLACE FUNCTION api.op_handover_notes_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE h app.houses := api.visible_house(ctx, api.pid(args, 'house_id'));
BEGIN
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.handover_note_json(x.n, x.author))
                                                        ORDER BY x.seq), '[]'), api.lim(args)))::api.reply
      FROM (SELECT n, n.seq, u.full_name AS author
              FROM app.handover_notes n JOIN app.users u ON u.id = n.author_id
             WHERE n.house_id = h.id
               AND (args->>'shift' IS NULL OR n.shift = args->>'shift')
               AND (args->>'flag' IS NULL OR args->>'flag' = ANY (n.flags))
               AND (args->>'from' IS NULL OR (n.created_at AT TIME ZONE h.timezone)::date >= (args->>'from')::date)
               AND (args->>'to' IS NULL OR (n.created_at AT TIME ZONE h.timezone)::date <= (args->>'to')::date)
               AND n.seq > api.after(args)
             ORDER BY n.seq LIMIT api.lim(args) + 1) x);
END $$;

-- tonight's notes: the house's last 24 hours, newest first, at most 20
CREATE OR REPLACE FUNCTION api.recent_handover_notes(house_id uuid) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(api.handover_note_json(x.n, x.author) ORDER BY x.seq DESC), '[]')
              FROM (SELECT n, n.seq, u.full_name AS author
                      FROM app.handover_notes n JOIN app.users u ON u.id = n.author_id
                     WHERE n.house_id = recent_handover_notes.house_id AND n.created_at > now() - interval '24 hours'
                     ORDER BY n.seq DESC LIMIT 20) x);
END $$;

-- The alerts of tonight: the house's critical ones as GET /alerts gives this user (its role's
-- kinds, acknowledged ones too), at most 50, in the list's order. Only the kinds that may be
-- critical are computed (api.alert_kinds().critical): for staff that leaves out the
-- reporting state, the one expensive part of the alerts. PL/pgSQL: its statement is planned
-- once per session (an SQL function with a FROM is planned again at every call: ~10 ms for
-- the union of the kinds).
CREATE OR REPLACE FUNCTION api.tonight_alerts(ctx api.ctx, house_id uuid) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE houses uuid[] := ARRAY[house_id];   -- parameters, not expressions: api.alerts is inlined
        kinds text[] := ARRAY(SELECT kd.kind FROM api.alert_kinds() kd
                               WHERE kd.critical AND kd.kind = ANY (api.alert_kinds_for(ctx.role, NULL)));
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(api.alert_json(x.a, x.k) ORDER BY (x.a).since, (x.a).key COLLATE "C"), '[]')
              FROM (SELECT a, k FROM api.alerts(houses, kinds) a
                      LEFT JOIN app.alert_acknowledgements k ON k.key = a.key
                     WHERE a.severity = 'critical'
                     ORDER BY a.since, a.key COLLATE "C" LIMIT 50) x);
END $$;

-- The night shift's one request (§17.9), computed now.
CREATE OR REPLACE FUNCTION api.op_houses_tonight(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE h app.houses := api.visible_house(ctx, api.pid(args, 'house_id')); today date := api.today(h.id);
BEGIN
    RETURN (WITH
    beds AS (
        SELECT count(*)::int AS total,
               (count(*) FILTER (WHERE o.bed_id IS NOT NULL))::int AS occupied,
               (count(*) FILTER (WHERE o.bed_id IS NULL AND b.status = 'out_of_service'))::int AS oos,
               (count(*) FILTER (WHERE o.bed_id IS NULL AND b.status <> 'out_of_service' AND t.rank = 1))::int AS turnover,
               (count(*) FILTER (WHERE o.bed_id IS NULL AND b.status <> 'out_of_service' AND t.rank = 2))::int AS held
          FROM app.beds b
          LEFT JOIN app.bed_occupants o ON o.bed_id = b.id
          LEFT JOIN (SELECT x.bed_id, min(x.rank) AS rank FROM api.board_bed_time(h.id) x GROUP BY x.bed_id) t
                 ON t.bed_id = b.id
         WHERE b.house_id = h.id),
    outs AS (
        SELECT m.resident_id, o.full_name, m.stay_id, m.id AS movement_id, m.purpose, m.expected_back_at,
               m.expected_back_at < now() AS overdue
          FROM app.movements m JOIN app.bed_occupants o ON o.stay_id = m.stay_id
         WHERE m.house_id = h.id AND m.returned_at IS NULL),
    arrivals AS (
        SELECT hd.id AS hold_id, hd.bed_id, rm.code AS room_code, b.label AS bed_label, hd.referral_id, hd.resident_id,
               api.hold_name(hd.resident_id, hd.referral_id) AS full_name, hd.from_at, hd.until
          FROM app.holds hd
          JOIN app.beds b ON b.id = hd.bed_id JOIN app.rooms rm ON rm.id = b.room_id
         WHERE hd.house_id = h.id AND hd.status = 'active' AND hd.until > now()
           AND (hd.from_at AT TIME ZONE h.timezone)::date <= today),
    resid AS (SELECT count(*)::int AS n FROM app.bed_occupants o WHERE o.house_id = h.id),
    open_rc AS (SELECT c.* FROM app.roll_calls c WHERE c.house_id = h.id AND c.status = 'open'),
    last_rc AS (SELECT c.* FROM app.roll_calls c WHERE c.house_id = h.id AND c.status = 'closed'
                 ORDER BY c.at DESC, c.seq DESC LIMIT 1)
    SELECT ROW(200, jsonb_build_object('house_id', h.id, 'date', api.d(today), 'curfew', to_char(h.curfew, 'HH24:MI'),
        'counts', (SELECT jsonb_build_object('in_residence', resid.n,
                          'in_house', resid.n - (SELECT count(*) FROM outs),
                          'out', (SELECT count(*) FROM outs), 'overdue', (SELECT count(*) FROM outs WHERE outs.overdue),
                          'arriving_today', (SELECT count(*) FROM arrivals),
                          'beds_total', beds.total, 'beds_occupied', beds.occupied,
                          'beds_free', beds.total - beds.occupied - beds.oos - beds.turnover - beds.held,
                          'beds_held', beds.held, 'beds_turnover', beds.turnover, 'beds_out_of_service', beds.oos)
                     FROM beds, resid),
        'open_roll_call', (SELECT jsonb_build_object('id', c.id, 'kind', c.kind, 'at', api.ts(c.at),
                                  'totals', api.roll_call_totals(c.id)) FROM open_rc c),
        'last_roll_call', (SELECT jsonb_build_object('id', c.id, 'kind', c.kind, 'at', api.ts(c.at),
                                  'closed_at', api.ts(c.closed_at), 'totals', api.roll_call_totals(c.id)) FROM last_rc c),
        'out', (SELECT coalesce(jsonb_agg(jsonb_build_object('resident_id', o.resident_id, 'full_name', o.full_name,
                        'stay_id', o.stay_id, 'movement_id', o.movement_id, 'purpose', o.purpose,
                        'expected_back_at', api.ts(o.expected_back_at), 'overdue', o.overdue)
                        ORDER BY o.expected_back_at, o.movement_id), '[]') FROM outs o),
        'arrivals', (SELECT coalesce(jsonb_agg(jsonb_build_object('hold_id', a.hold_id, 'bed_id', a.bed_id,
                        'room_code', a.room_code, 'bed_label', a.bed_label, 'referral_id', a.referral_id,
                        'resident_id', a.resident_id, 'full_name', a.full_name, 'from', api.ts(a.from_at),
                        'until', api.ts(a.until)) ORDER BY a.from_at, a.hold_id), '[]') FROM arrivals a),
        'handover_notes', api.recent_handover_notes(h.id),
        'alerts', api.tonight_alerts(ctx, h.id)))::api.reply);
END $$;
