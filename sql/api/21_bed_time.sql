-- abipraya: a bed's time (contract §17.4 holds, §17.5 turnover): what claims it, holds and
-- their use at check-in, turnovers begun by check-out and transfer and marked ready.
-- The one exclusion over stay bed periods, holds and turnovers is app.bed_claims
-- (migration 0020); the checks here name the kind already there before anything is written.
-- Lock order of every write that touches a person and a bed: the resident, then the bed
-- (as a check-in takes them), then the hold.
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

-- The problem code of the first claim on a bed overlapping a range, in the contract's
-- order (stay, hold, turnover), or NULL when the time is free. person: the resident
-- checking in, whose own hold (active, t < until) that check-in uses rather than meets;
-- self: the claim being changed (a hold's new range).
CREATE OR REPLACE FUNCTION api.bed_time_taken(bed_id uuid, during tstzrange, person uuid, self uuid) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    -- PL/pgSQL, not sql: a check-in's statement plan then lives for the session (00_common.sql)
    RETURN (SELECT CASE c.kind WHEN 'stay' THEN 'bed_occupied' WHEN 'hold' THEN 'bed_held' ELSE 'bed_turnover' END
              FROM app.bed_claims c
             WHERE c.bed_id = bed_time_taken.bed_id AND c.during && bed_time_taken.during
               AND c.id IS DISTINCT FROM self
               AND NOT (c.kind = 'hold' AND person IS NOT NULL
                        AND EXISTS (SELECT 1 FROM app.holds h WHERE h.id = c.id AND h.resident_id = person
                                       AND h.status = 'active' AND lower(bed_time_taken.during) < h.until))
             ORDER BY CASE c.kind WHEN 'stay' THEN 1 WHEN 'hold' THEN 2 ELSE 3 END
             LIMIT 1);
END $$;

CREATE OR REPLACE FUNCTION api.bed_time_detail(code text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE code WHEN 'bed_occupied' THEN 'the bed holds another stay at that time'
                     WHEN 'bed_held' THEN 'the bed is held for someone else at that time'
                     ELSE 'the bed is being turned over at that time' END
$$;

CREATE OR REPLACE FUNCTION api.check_bed_time(bed_id uuid, during tstzrange, person uuid DEFAULT NULL,
                                              self uuid DEFAULT NULL) RETURNS void LANGUAGE plpgsql AS $$
DECLARE code text := api.bed_time_taken(bed_id, during, person, self);
BEGIN
    IF code IS NOT NULL THEN PERFORM api.fail(409, code, 'bed_id', api.bed_time_detail(code)); END IF;
END $$;

-- The exclusion's violation under a race (api.map_error): its detail names the new claim's
-- bed and range, "Key (bed_id, during)=(B, R) conflicts with existing key ..."; the code is
-- that of what is there now (the winner has committed). NULL when the detail says nothing.
CREATE OR REPLACE FUNCTION api.bed_claim_code(detail text) RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE m text[] := regexp_match(detail, '^Key \(bed_id, during\)=\(([0-9a-f-]{36}), (.*)\) conflicts with existing key');
BEGIN
    IF m IS NULL THEN RETURN NULL; END IF;
    RETURN api.bed_time_taken(m[1]::uuid, m[2]::tstzrange, NULL, NULL);
END $$;

-- a hold's status as read: a stored active hold whose until has passed reads expired
CREATE OR REPLACE FUNCTION api.hold_status(h app.holds) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN h.status = 'active' AND h.until <= now() THEN 'expired' ELSE h.status END
$$;

-- The held person's name: the resident's, else (a pending referral's hold) the referral's.
CREATE OR REPLACE FUNCTION api.hold_name(resident_id uuid, referral_id uuid) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT r.full_name FROM app.residents r WHERE r.id = hold_name.resident_id),
                    (SELECT f.full_name FROM app.referrals f WHERE f.id = hold_name.referral_id))
$$;

CREATE OR REPLACE FUNCTION api.hold_json(h app.holds) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN jsonb_build_object('id', h.id, 'house_id', h.house_id, 'bed_id', h.bed_id, 'referral_id', h.referral_id,
        'resident_id', h.resident_id, 'full_name', api.hold_name(h.resident_id, h.referral_id),
        'from', api.ts(h.from_at), 'until', api.ts(h.until), 'reason', h.reason, 'status', api.hold_status(h),
        'stay_id', h.stay_id, 'used_at', api.ts(h.used_at), 'cancelled_at', api.ts(h.cancelled_at),
        'cancelled_by', h.cancelled_by, 'cancel_reason', h.cancel_reason, 'created_by', h.created_by,
        'version', h.version, 'created_at', api.ts(h.created_at), 'updated_at', api.ts(h.updated_at));
END $$;

CREATE OR REPLACE FUNCTION api.turnover_json(t app.turnovers) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', t.id, 'house_id', t.house_id, 'bed_id', t.bed_id, 'stay_id', t.stay_id,
        'from', api.ts(t.from_at), 'until', api.ts(t.until), 'ready_at', api.ts(t.ready_at), 'ready_by', t.ready_by,
        'note', t.note, 'version', t.version, 'created_at', api.ts(t.created_at), 'updated_at', api.ts(t.updated_at))
$$;

-- event hold.<verb> and audit hold.<action> of one change
CREATE OR REPLACE FUNCTION api.hold_changed(ctx api.ctx, verb text, action text, before jsonb, h app.holds) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE j jsonb := api.hold_json(h);
BEGIN
    PERFORM api.emit(h.house_id, 'hold.' || verb, jsonb_strip_nulls(jsonb_build_object('entity', 'hold', 'id', h.id,
                     'bed_id', h.bed_id, 'resident_id', h.resident_id, 'stay_id', h.stay_id))
                     || jsonb_build_object('referral_id', h.referral_id));
    PERFORM api.audit(ctx, 'hold.' || action, 'hold', h.id, h.house_id, before, j);
    RETURN j;
END $$;

-- The until of a body (create, PATCH): after `after`, at most 30 days after from.
CREATE OR REPLACE FUNCTION api.check_hold_until(until timestamptz, from_at timestamptz, after timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF until <= after THEN PERFORM api.invalid('until', 'must be after from and after now'); END IF;
    IF until > from_at + interval '30 days' THEN PERFORM api.invalid('until', 'is more than 30 days after from'); END IF;
END $$;

-- The person a new hold is for, locked: a referral of the bed's house (and its resident once
-- accepted), or a resident of it; 422 naming the field otherwise. Lock order: the referral,
-- then the resident (an accept's order), then the bed.
CREATE OR REPLACE FUNCTION api.hold_person(args jsonb, house_id uuid, OUT f app.referrals, OUT r app.residents)
LANGUAGE plpgsql AS $$
BEGIN
    IF (args->>'referral_id' IS NULL) = (args->>'resident_id' IS NULL) THEN
        PERFORM api.invalid_fields('{referral_id,resident_id}', 'give exactly one of referral_id and resident_id');
    END IF;
    IF args->>'referral_id' IS NOT NULL THEN
        SELECT * INTO f FROM app.referrals x WHERE x.id = (args->>'referral_id')::uuid AND x.house_id = hold_person.house_id
           FOR NO KEY UPDATE;
        IF NOT FOUND THEN PERFORM api.invalid('referral_id', 'no such referral in the bed''s house'); END IF;
        SELECT * INTO r FROM app.residents x WHERE x.id = f.resident_id FOR NO KEY UPDATE;
        RETURN;
    END IF;
    SELECT * INTO r FROM app.residents x WHERE x.id = (args->>'resident_id')::uuid AND x.house_id = hold_person.house_id
       FOR NO KEY UPDATE;
    IF NOT FOUND THEN PERFORM api.invalid('resident_id', 'no such resident in the bed''s house'); END IF;
END $$;

CREATE OR REPLACE FUNCTION api.op_holds_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    b app.beds; p record; h app.holds; start_at timestamptz;
    new_until timestamptz := (args->>'until')::timestamptz;
BEGIN
    SELECT * INTO b FROM app.beds x WHERE x.id = api.pid(args, 'bed_id') AND api.sees(ctx, x.house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    p := api.hold_person(args, b.house_id);
    -- locked after the person (the check-in's order): holds and check-ins onto one bed run
    -- one at a time; "now" is read after the locks (a cancel or check-out we waited for ended
    -- its time before this hold begins)
    SELECT * INTO b FROM app.beds x WHERE x.id = b.id FOR NO KEY UPDATE;
    start_at := coalesce((args->>'from')::timestamptz, clock_timestamp());
    IF start_at < now() - interval '5 minutes' THEN PERFORM api.invalid('from', 'is more than 5 minutes in the past'); END IF;
    IF start_at > now() + interval '180 days' THEN PERFORM api.invalid('from', 'is more than 180 days ahead'); END IF;
    PERFORM api.check_hold_until(new_until, start_at, greatest(start_at, now()));
    IF (p.f).status IN ('declined', 'cancelled', 'arrived') THEN
        PERFORM api.fail(409, 'referral_closed', 'referral_id', 'the referral is ' || (p.f).status);
    END IF;
    IF EXISTS (SELECT 1 FROM app.stays s WHERE s.resident_id = (p.r).id AND s.checked_out_at IS NULL) THEN
        PERFORM api.fail(409, 'resident_in_residence', 'resident_id', 'the person has an active stay');
    END IF;
    PERFORM api.check_bed_usable(b, coalesce((p.r).sex, (p.f).sex));
    PERFORM api.check_bed_time(b.id, tstzrange(start_at, new_until, '[)'));
    IF EXISTS (SELECT 1 FROM app.holds x WHERE (x.resident_id = (p.r).id OR x.referral_id = (p.f).id)
                                           AND x.status = 'active' AND x.until > now()) THEN
        PERFORM api.fail(409, 'already_held', CASE WHEN (p.f).id IS NULL THEN 'resident_id' ELSE 'referral_id' END,
                         'the person already holds a bed');
    END IF;
    -- created_at begins the person's one hold (holds_one_per_*): after the locks too
    INSERT INTO app.holds (house_id, bed_id, referral_id, resident_id, from_at, until, end_at, reason, created_by,
                           created_at, updated_at)
    VALUES (b.house_id, b.id, (p.f).id, (p.r).id, start_at, new_until, new_until, args->>'reason', ctx.user_id,
            clock_timestamp(), clock_timestamp()) RETURNING * INTO h;
    RETURN ROW(201, api.hold_changed(ctx, 'created', 'create', NULL, h));
END $$;

CREATE OR REPLACE FUNCTION api.op_holds_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE hid uuid := (args->>'house_id')::uuid;
BEGIN
    IF hid IS NOT NULL THEN PERFORM api.visible_house(ctx, hid); END IF;
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.hold_json(x.h)) ORDER BY x.seq), '[]'),
                                     api.lim(args)))::api.reply
      FROM (SELECT h, h.seq FROM app.holds h
             WHERE api.sees(ctx, h.house_id) AND (hid IS NULL OR h.house_id = hid)
               AND (args->>'bed_id' IS NULL OR h.bed_id = (args->>'bed_id')::uuid)
               AND (args->>'referral_id' IS NULL OR h.referral_id = (args->>'referral_id')::uuid)
               AND (args->>'resident_id' IS NULL OR h.resident_id = (args->>'resident_id')::uuid)
               AND (args->>'status' IS NULL OR api.hold_status(h) = args->>'status')
               AND h.seq > api.after(args)
             ORDER BY h.seq LIMIT api.lim(args) + 1) x);
END $$;

CREATE OR REPLACE FUNCTION api.visible_hold(ctx api.ctx, id uuid) RETURNS app.holds LANGUAGE plpgsql AS $$
DECLARE h app.holds;
BEGIN
    SELECT * INTO h FROM app.holds x WHERE x.id = visible_hold.id AND api.sees(ctx, x.house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN h;
END $$;

CREATE OR REPLACE FUNCTION api.op_holds_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE sql AS $$
    SELECT ROW(200, api.hold_json(api.visible_hold(ctx, api.pid(args, 'id'))))::api.reply
$$;

-- A hold named in the path, for a change: its person and bed locked first (the order a
-- check-in takes), then the hold itself, read again under the locks; 409 hold_closed
-- unless it is active and not expired.
CREATE OR REPLACE FUNCTION api.open_hold(ctx api.ctx, args jsonb) RETURNS app.holds LANGUAGE plpgsql AS $$
DECLARE h app.holds := api.visible_hold(ctx, api.pid(args, 'id'));
BEGIN
    -- a pending referral's hold has no resident yet: its referral is the person (an accept's
    -- first lock); else the resident, as a check-in takes it
    PERFORM 1 FROM app.referrals f WHERE f.id = h.referral_id AND h.resident_id IS NULL FOR NO KEY UPDATE;
    PERFORM 1 FROM app.residents r WHERE r.id = h.resident_id FOR NO KEY UPDATE;
    PERFORM 1 FROM app.beds b WHERE b.id = h.bed_id FOR NO KEY UPDATE;
    SELECT * INTO h FROM app.holds x WHERE x.id = h.id FOR UPDATE;
    PERFORM api.check_version(args, h.version);
    IF api.hold_status(h) <> 'active' THEN
        PERFORM api.fail(409, 'hold_closed', NULL, 'the hold is ' || api.hold_status(h));
    END IF;
    RETURN h;
END $$;

CREATE OR REPLACE FUNCTION api.op_holds_update(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    h app.holds := api.open_hold(ctx, args);
    new_until timestamptz := coalesce((args->>'until')::timestamptz, h.until);
    n app.holds;
BEGIN
    IF args ? 'until' THEN
        PERFORM api.check_hold_until(new_until, h.from_at, greatest(h.from_at, now()));
        PERFORM api.check_bed_time(h.bed_id, tstzrange(h.from_at, new_until, '[)'), NULL, h.id);
    END IF;
    UPDATE app.holds SET until = new_until, end_at = new_until,
                         reason = CASE WHEN args ? 'reason' THEN args->>'reason' ELSE reason END
     WHERE id = h.id RETURNING * INTO n;
    IF n.version = h.version THEN          -- nothing changed: no event, no audit record
        RETURN ROW(200, api.hold_json(n));
    END IF;
    RETURN ROW(200, api.hold_changed(ctx, 'updated', 'update', api.hold_json(h), n));
END $$;

CREATE OR REPLACE FUNCTION api.op_holds_cancel(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    h app.holds := api.open_hold(ctx, args);
    at timestamptz := clock_timestamp();                 -- after the locks
    n app.holds;
BEGIN
    UPDATE app.holds SET status = 'cancelled', cancelled_at = at, cancelled_by = ctx.user_id,
                         cancel_reason = args->>'reason', end_at = greatest(from_at, at)
     WHERE id = h.id RETURNING * INTO n;
    RETURN ROW(200, api.hold_changed(ctx, 'cancelled', 'cancel', api.hold_json(h), n));
END $$;

-- Use (§17.4), in the check-in's transaction, after the stay and before its bed period:
-- the resident's active holds with checked_in_at < until become used, their bed time cut
-- to [from, max(from, t)), so that the held bed is free from the arrival on (the same bed
-- included). The caller holds the resident's lock.
CREATE OR REPLACE FUNCTION api.holds_use(ctx api.ctx, s app.stays) RETURNS void LANGUAGE plpgsql AS $$
DECLARE h app.holds; n app.holds;
BEGIN
    FOR h IN SELECT * FROM app.holds x WHERE x.resident_id = s.resident_id AND x.status = 'active'
                                         AND s.checked_in_at < x.until FOR UPDATE LOOP
        UPDATE app.holds SET status = 'used', stay_id = s.id, used_at = s.checked_in_at,
                             end_at = greatest(from_at, s.checked_in_at)
         WHERE id = h.id RETURNING * INTO n;
        PERFORM api.hold_changed(ctx, 'used', 'use', api.hold_json(h), n);
    END LOOP;
END $$;

-- A bed period of stay s on bed_id ended at t (check-out, transfer): with the house's
-- turnover_minutes N > 0, a turnover over [t, t + N minutes), in the same transaction.
CREATE OR REPLACE FUNCTION api.turnover_begin(ctx api.ctx, s app.stays, bed_id uuid, t timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE n int := (SELECT h.turnover_minutes FROM app.houses h WHERE h.id = s.house_id); v app.turnovers;
BEGIN
    IF n > 0 THEN
        INSERT INTO app.turnovers (house_id, bed_id, stay_id, from_at, until)
        VALUES (s.house_id, turnover_begin.bed_id, s.id, t, t + make_interval(mins => n)) RETURNING * INTO v;
        PERFORM api.emit(v.house_id, 'bed.updated', jsonb_build_object('entity', 'bed', 'id', v.bed_id, 'bed_id', v.bed_id));
        PERFORM api.audit(ctx, 'turnover.create', 'turnover', v.id, v.house_id, NULL, api.turnover_json(v));
    END IF;
END $$;

CREATE OR REPLACE FUNCTION api.op_turnovers_ready(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    b app.beds; t app.turnovers; n app.turnovers; at timestamptz;
BEGIN
    SELECT * INTO b FROM app.beds x WHERE x.id = api.pid(args, 'bed_id') AND api.sees(ctx, x.house_id) FOR NO KEY UPDATE;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    at := coalesce((args->>'at')::timestamptz, clock_timestamp());       -- after the lock
    IF at > api.soon() THEN PERFORM api.invalid('at', 'is more than 5 minutes ahead'); END IF;
    -- the bed's turnover not yet over (not marked ready, its end still ahead): the latest
    SELECT * INTO t FROM app.turnovers x WHERE x.bed_id = b.id AND x.ready_at IS NULL AND x.until > now()
     ORDER BY x.from_at DESC LIMIT 1 FOR UPDATE;
    IF FOUND AND at < t.from_at THEN PERFORM api.invalid('at', 'is before the turnover began'); END IF;
    IF NOT FOUND OR at >= t.until THEN
        PERFORM api.fail(409, 'not_in_turnover', 'bed_id', 'the bed is not in turnover at that time');
    END IF;
    UPDATE app.turnovers SET ready_at = at, ready_by = ctx.user_id, note = args->>'note' WHERE id = t.id RETURNING * INTO n;
    PERFORM api.emit(b.house_id, 'bed.updated', jsonb_build_object('entity', 'bed', 'id', b.id, 'bed_id', b.id));
    PERFORM api.audit(ctx, 'turnover.ready', 'turnover', t.id, t.house_id, api.turnover_json(t), api.turnover_json(n));
    RETURN ROW(200, api.turnover_json(n));
END $$;

-- The referral's active, unexpired holds (§17.3), under the referral's lock.
-- Accepted: they now hold its resident r (409 already_held when r holds another bed).
CREATE OR REPLACE FUNCTION api.referral_holds_accepted(ctx api.ctx, f app.referrals, r app.residents) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE h app.holds; n app.holds;
BEGIN
    FOR h IN SELECT * FROM app.holds x WHERE x.referral_id = f.id AND x.status = 'active' AND x.until > now()
             FOR UPDATE LOOP
        IF EXISTS (SELECT 1 FROM app.holds x WHERE x.resident_id = r.id AND x.id <> h.id
                                               AND x.status = 'active' AND x.until > now()) THEN
            PERFORM api.fail(409, 'already_held', 'resident_id', 'the resident already holds another bed');
        END IF;
        UPDATE app.holds SET resident_id = r.id WHERE id = h.id RETURNING * INTO n;
        PERFORM api.hold_changed(ctx, 'updated', 'update', api.hold_json(h), n);
    END LOOP;
END $$;

-- Declined or cancelled: they are cancelled, one audit record each.
CREATE OR REPLACE FUNCTION api.referral_holds_cancelled(ctx api.ctx, f app.referrals, reason text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE h app.holds; n app.holds; at timestamptz := clock_timestamp();
BEGIN
    FOR h IN SELECT * FROM app.holds x WHERE x.referral_id = f.id AND x.status = 'active' AND x.until > now()
             FOR UPDATE LOOP
        UPDATE app.holds SET status = 'cancelled', cancelled_at = at, cancelled_by = ctx.user_id,
                             cancel_reason = referral_holds_cancelled.reason, end_at = greatest(from_at, at)
         WHERE id = h.id RETURNING * INTO n;
        PERFORM api.hold_changed(ctx, 'cancelled', 'cancel', api.hold_json(h), n);
    END LOOP;
END $$;

-- A referral's sex changing while it holds a bed in a room for the other sex: 409 sex_mismatch.
CREATE OR REPLACE FUNCTION api.referral_holds_sex(f app.referrals, sex text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM app.holds x JOIN app.beds b ON b.id = x.bed_id JOIN app.rooms rm ON rm.id = b.room_id
                WHERE x.referral_id = f.id AND x.status = 'active' AND x.until > now()
                  AND rm.sex NOT IN ('any', referral_holds_sex.sex)) THEN
        PERFORM api.fail(409, 'sex_mismatch', 'sex', 'the referral holds a bed in a room for the other sex');
    END IF;
END $$;
