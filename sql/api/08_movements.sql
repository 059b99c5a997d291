-- abipraya: movements (signing out and back in).
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

CREATE OR REPLACE FUNCTION api.movement_json(m app.movements) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', m.id, 'stay_id', m.stay_id, 'resident_id', m.resident_id,
        'house_id', m.house_id, 'purpose', m.purpose, 'destination', m.destination,
        'out_at', api.ts(m.out_at), 'expected_back_at', api.ts(m.expected_back_at),
        'returned_at', api.ts(m.returned_at),
        'late', CASE WHEN m.returned_at IS NOT NULL THEN m.returned_at > m.expected_back_at END,
        'overdue', m.returned_at IS NULL AND m.expected_back_at < now(),
        'created_at', api.ts(m.created_at), 'updated_at', api.ts(m.updated_at), 'version', m.version)
$$;

CREATE OR REPLACE FUNCTION api.op_movements_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE FUNCTION api.op_movements_return(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
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
CREATE OR REPLACE FUNCTION api.op_movements_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
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
