-- abipraya: stays (check-in, transfer, check-out).
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

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

-- Checks check-in and transfer share once the bed is chosen: in service, room for the resident's sex.
CREATE OR REPLACE FUNCTION api.check_bed_usable(b app.beds, resident_sex text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF b.status = 'out_of_service' THEN
        PERFORM api.fail(409, 'bed_out_of_service', 'bed_id', coalesce(b.status_reason, 'the bed is out of service'));
    END IF;
    IF EXISTS (SELECT 1 FROM app.rooms rm WHERE rm.id = b.room_id AND rm.sex NOT IN ('any', resident_sex)) THEN
        PERFORM api.fail(409, 'sex_mismatch', 'bed_id', 'the room is for the other sex');
    END IF;
END $$;

-- A bed named in a body: visible, of the given house, and locked. The lock serialises the
-- check-ins and transfers onto one bed (and beds.update): shared locks let two of them
-- insert conflicting periods and then wait on each other's exclusion check, a deadlock
-- PostgreSQL only breaks after deadlock_timeout.
CREATE OR REPLACE FUNCTION api.body_bed(ctx api.ctx, args jsonb, house_id uuid) RETURNS app.beds LANGUAGE plpgsql AS $$
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
CREATE OR REPLACE FUNCTION api.op_stays_checkin(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    r app.residents; b app.beds; s app.stays; j jsonb;
    at timestamptz;
BEGIN
    IF (args->>'rules_acknowledged')::boolean IS NOT TRUE THEN
        PERFORM api.invalid('rules_acknowledged', 'the house rules must be acknowledged');
    END IF;
    -- locked: the check-ins of one resident run one at a time (see api.body_bed for beds)
    SELECT * INTO r FROM app.residents WHERE id = (args->>'resident_id')::uuid AND api.sees(ctx, house_id)
       FOR NO KEY UPDATE;
    IF NOT FOUND THEN PERFORM api.invalid('resident_id', 'no such resident'); END IF;
    -- "now" after the resident's lock: a cancel of the resident's hold that we waited for
    -- ended its bed time before our check-in begins
    at := coalesce((args->>'checked_in_at')::timestamptz, clock_timestamp());
    b := api.body_bed(ctx, args, r.house_id);
    IF at > api.soon() THEN PERFORM api.invalid('checked_in_at', 'is in the future'); END IF;
    PERFORM api.check_bed_usable(b, r.sex);
    IF EXISTS (SELECT 1 FROM app.stays x WHERE x.resident_id = r.id AND x.span && tstzrange(at, NULL)) THEN
        PERFORM api.fail(409, 'resident_in_residence', 'resident_id', 'the resident already has a stay at that time');
    END IF;
    -- any claim, past ones too: a back-dated check-in must not overlap an earlier stay
    PERFORM api.check_bed_time(b.id, tstzrange(at, NULL), r.id);
    -- under a race the constraints are the final word (mapped to the same codes by api.run)
    INSERT INTO app.stays (house_id, resident_id, checked_in_at, planned_exit_on)
    VALUES (r.house_id, r.id, at, (args->>'planned_exit_on')::date) RETURNING * INTO s;
    PERFORM api.holds_use(ctx, s);                  -- before the bed period: it may be on the held bed
    INSERT INTO app.bed_periods (stay_id, bed_id, house_id, from_at) VALUES (s.id, b.id, s.house_id, at);
    j := api.stay_json(s);
    PERFORM api.referral_arrive(ctx, s);   -- §17.3: an accepted referral arrives (20_referrals.sql)
    PERFORM api.emit(s.house_id, 'stay.checked_in', jsonb_build_object('entity', 'stay', 'id', s.id, 'stay_id', s.id,
                     'resident_id', s.resident_id, 'bed_id', j->'bed_id'));
    PERFORM api.audit(ctx, 'stay.checkin', 'stay', s.id, s.house_id, NULL, j);
    RETURN ROW(201, j);
END $$;

CREATE OR REPLACE FUNCTION api.op_stays_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE FUNCTION api.op_stays_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE sql AS $$
    SELECT ROW(200, api.stay_json(api.visible_stay(ctx, api.pid(args, 'id'))))::api.reply
$$;

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
    PERFORM api.check_bed_time(b.id, tstzrange(at, NULL));
    UPDATE app.bed_periods SET to_at = at WHERE id = p.id;
    PERFORM api.turnover_begin(ctx, s, p.bed_id, at);
    INSERT INTO app.bed_periods (stay_id, bed_id, house_id, from_at) VALUES (s.id, b.id, s.house_id, at);
    UPDATE app.stays SET updated_at = now() WHERE id = s.id RETURNING * INTO s;     -- version +1
    j := api.stay_json(s);
    PERFORM api.emit(s.house_id, 'stay.transferred', jsonb_build_object('entity', 'stay', 'id', s.id, 'stay_id', s.id,
                     'resident_id', s.resident_id, 'bed_id', j->'bed_id'));
    PERFORM api.audit(ctx, 'stay.transfer', 'stay', s.id, s.house_id, jsonb_build_object('bed_id', p.bed_id), j);
    RETURN ROW(200, j);
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
    PERFORM api.turnover_begin(ctx, s, (before->>'bed_id')::uuid, at);
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
    PERFORM api.schedule_follow_ups(ctx, s);     -- §18.8 (28_follow_ups.sql)
    RETURN ROW(200, j);
END $$;
