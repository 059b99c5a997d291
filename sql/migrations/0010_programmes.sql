-- abipraya: programmes and enrolments (contract §16.4, §16.5, §16.13). What the database
-- enforces: ends_on >= starts_on; capacity 1..1000 and seats_taken <= capacity, with
-- seats_taken kept equal to the seat-holding enrolments by a trigger (so no code path can
-- over-fill a programme); one enrolment that is not withdrawn per resident and programme;
-- stage and withdrawal reason consistent; an enrolment's house is its programme's
-- (composite foreign key).

CREATE TABLE app.programmes (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq              bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    house_id         uuid NOT NULL REFERENCES app.houses,
    kind             text NOT NULL CONSTRAINT programmes_kind_check CHECK (kind IN
                     ('skills_training','personality_development','independence_guidance','social_activity',
                      'business_mentoring','religious','education','health','other')),
    title            text NOT NULL,
    description      text,
    partner_id       uuid CONSTRAINT programmes_partner_id_fkey REFERENCES app.partners,
    starts_on        date NOT NULL,
    ends_on          date,
    capacity         int CONSTRAINT programmes_capacity_check CHECK (capacity BETWEEN 1 AND 1000),
    planned_sessions int CONSTRAINT programmes_planned_sessions_check CHECK (planned_sessions BETWEEN 1 AND 500),
    hours_required   numeric(7,2) CONSTRAINT programmes_hours_required_check
                     CHECK (hours_required > 0 AND hours_required <= 10000),
    certificate      boolean NOT NULL DEFAULT false,
    status           text NOT NULL DEFAULT 'draft' CONSTRAINT programmes_status_check CHECK (status IN
                     ('draft','open','running','finished','cancelled')),
    -- enrolments in stage enrolled, completed or not_completed: kept by enrolments_seats
    seats_taken      int NOT NULL DEFAULT 0 CONSTRAINT programmes_seats_taken_check CHECK (seats_taken >= 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    version          int NOT NULL DEFAULT 1,
    CONSTRAINT programmes_ends_on_check CHECK (ends_on >= starts_on),
    CONSTRAINT programmes_full CHECK (capacity IS NULL OR seats_taken <= capacity),
    CONSTRAINT programmes_id_house_key UNIQUE (id, house_id)
);
CREATE INDEX programmes_house_idx ON app.programmes (house_id, seq);
CREATE INDEX programmes_partner_idx ON app.programmes (partner_id) WHERE partner_id IS NOT NULL;
-- seats_taken is a count, not a change of the programme (§16.4): it bumps no version
CREATE TRIGGER programmes_touch BEFORE UPDATE ON app.programmes FOR EACH ROW
    WHEN (OLD.seats_taken IS NOT DISTINCT FROM NEW.seats_taken) EXECUTE FUNCTION app.touch();

CREATE TABLE app.enrolments (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq                   bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    programme_id          uuid NOT NULL,
    house_id              uuid NOT NULL,
    resident_id           uuid NOT NULL REFERENCES app.residents,
    stage                 text NOT NULL CONSTRAINT enrolments_stage_check CHECK (stage IN
                          ('applied','waitlisted','enrolled','completed','withdrawn','not_completed')),
    withdrawal_reason     text CONSTRAINT enrolments_withdrawal_reason_check CHECK (withdrawal_reason IN
                          ('resident_choice','employment','moved_away','health','non_attendance','rule_violation',
                           'revoked','other','programme_ended','programme_cancelled')),
    -- what the enrolling request asked for when no seat is left (null: not sent)
    if_full               text CONSTRAINT enrolments_if_full_check CHECK (if_full IN ('reject','waitlist')),
    waitlisted_at         timestamptz,                 -- the rank of a waitlisted enrolment
    enrolled_at           timestamptz,                 -- when it first took a seat
    goal_id               uuid CONSTRAINT enrolments_goal_id_fkey REFERENCES app.goals,
    note                  text,
    completed_on          date,
    certificate_number    text,
    certificate_issued_on date,
    override_reason       text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    version               int NOT NULL DEFAULT 1,
    CONSTRAINT enrolments_programme_fkey FOREIGN KEY (programme_id, house_id) REFERENCES app.programmes (id, house_id),
    CONSTRAINT enrolments_withdrawal_check CHECK ((stage = 'withdrawn') = (withdrawal_reason IS NOT NULL)),
    CONSTRAINT enrolments_waitlist_check CHECK (stage <> 'waitlisted' OR waitlisted_at IS NOT NULL),
    CONSTRAINT enrolments_seat_check CHECK (stage NOT IN ('enrolled','completed','not_completed')
                                            OR enrolled_at IS NOT NULL),
    CONSTRAINT enrolments_completed_check CHECK ((stage = 'completed') = (completed_on IS NOT NULL)),
    -- the attendance of §16.6 names (enrolment, programme): its own programme's enrolments only
    CONSTRAINT enrolments_id_programme_key UNIQUE (id, programme_id)
);
CREATE UNIQUE INDEX enrolments_active_key ON app.enrolments (programme_id, resident_id) WHERE stage <> 'withdrawn';
CREATE INDEX enrolments_resident_idx ON app.enrolments (resident_id);
CREATE TRIGGER enrolments_touch BEFORE UPDATE ON app.enrolments FOR EACH ROW EXECUTE FUNCTION app.touch();

-- every stage an enrolment has been in, oldest first; by NULL: the daemon's own change
CREATE TABLE app.enrolment_stages (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enrolment_id uuid NOT NULL REFERENCES app.enrolments,
    stage        text NOT NULL,
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    by_user      uuid REFERENCES app.users
);
CREATE INDEX enrolment_stages_enrolment_idx ON app.enrolment_stages (enrolment_id, seq);

CREATE FUNCTION app.holds_seat(stage text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT stage IN ('enrolled', 'completed', 'not_completed')
$$;

-- seats_taken follows every enrolment change (the operations lock the programme row first,
-- so the count and the CHECK see changes one at a time).
CREATE FUNCTION app.enrolments_seats() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE delta int := 0;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND app.holds_seat(OLD.stage) THEN delta := delta - 1; END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND app.holds_seat(NEW.stage) THEN delta := delta + 1; END IF;
    IF TG_OP = 'UPDATE' AND OLD.programme_id <> NEW.programme_id THEN
        RAISE EXCEPTION 'an enrolment does not move to another programme';
    END IF;
    IF delta <> 0 THEN
        UPDATE app.programmes SET seats_taken = seats_taken + delta
         WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.programme_id ELSE NEW.programme_id END;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER enrolments_seats AFTER INSERT OR UPDATE OF stage OR DELETE ON app.enrolments
    FOR EACH ROW EXECUTE FUNCTION app.enrolments_seats();

-- the partner whose users receive an event too (§16.11: programme and session events)
ALTER TABLE app.events ADD COLUMN partner_id uuid;

INSERT INTO api.constraint_problems VALUES
    ('programmes_kind_check',             422, 'validation_failed', 'kind', 'unknown kind'),
    ('programmes_status_check',           422, 'validation_failed', 'status', 'unknown status'),
    ('programmes_capacity_check',         422, 'validation_failed', 'capacity', 'must be between 1 and 1000'),
    ('programmes_planned_sessions_check', 422, 'validation_failed', 'planned_sessions', 'must be between 1 and 500'),
    ('programmes_hours_required_check',   422, 'validation_failed', 'hours_required', 'must be more than 0 and at most 10000'),
    ('programmes_ends_on_check',          422, 'validation_failed', 'ends_on', 'is before starts_on'),
    ('programmes_partner_id_fkey',        422, 'validation_failed', 'partner_id', 'no such partner'),
    ('programmes_full',                   409, 'programme_full', NULL, 'no seat left'),
    ('enrolments_active_key',             409, 'already_enrolled', NULL, 'the resident is already in this programme'),
    ('enrolments_goal_id_fkey',           422, 'validation_failed', 'goal_id', 'no such goal'),
    ('enrolments_withdrawal_check',       422, 'validation_failed', 'withdrawal_reason',
                                          'is required exactly when the stage is withdrawn');

-- Sessions of a programme (§16.6). attendance_version follows the attendance sheet, not the
-- session's own fields, so it bumps no version.
CREATE TABLE app.programme_sessions (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq                 bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    programme_id        uuid NOT NULL,
    house_id            uuid NOT NULL,
    scheduled_at        timestamptz NOT NULL,
    duration_minutes    int NOT NULL CONSTRAINT programme_sessions_duration_check CHECK (duration_minutes BETWEEN 1 AND 1440),
    topic               text NOT NULL,
    location            text,
    facilitator_user_id uuid REFERENCES app.users,
    facilitator_name    text,
    status              text NOT NULL DEFAULT 'scheduled' CONSTRAINT programme_sessions_status_check
                        CHECK (status IN ('scheduled','held','cancelled')),
    cancel_reason       text,
    attendance_version  int NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    version             int NOT NULL DEFAULT 1,
    CONSTRAINT programme_sessions_programme_fkey FOREIGN KEY (programme_id, house_id)
        REFERENCES app.programmes (id, house_id),
    CONSTRAINT programme_sessions_cancel_reason_check CHECK (cancel_reason IS NULL OR status = 'cancelled'),
    CONSTRAINT programme_sessions_id_programme_key UNIQUE (id, programme_id)
);
CREATE INDEX programme_sessions_programme_idx ON app.programme_sessions (programme_id, scheduled_at);
CREATE INDEX programme_sessions_house_idx ON app.programme_sessions (house_id, scheduled_at);
CREATE TRIGGER programme_sessions_touch BEFORE UPDATE ON app.programme_sessions FOR EACH ROW
    WHEN (OLD.attendance_version IS NOT DISTINCT FROM NEW.attendance_version) EXECUTE FUNCTION app.touch();
INSERT INTO api.constraint_problems VALUES
    ('programme_sessions_duration_check', 422, 'validation_failed', 'duration_minutes', 'must be between 1 and 1440'),
    ('programme_sessions_cancel_reason_check', 422, 'validation_failed', 'cancel_reason', 'goes only with status cancelled');
