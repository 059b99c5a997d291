-- abipraya: roll-calls (apel, contract §17.7, §17.13). What the database enforces: one open
-- roll-call per house (a partial unique index, so N simultaneous opens on any number of
-- daemons give one roll-call), one line per resident of a roll-call (the key), and that the
-- lines of a roll-call that is not open never change (a trigger, whichever path writes).
-- Marks and close take the roll-call's row lock first (sql/api/22_roll_calls.sql), so a
-- mark racing a close is either in the closed roll-call or refused.

CREATE TABLE app.roll_calls (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    house_id      uuid NOT NULL REFERENCES app.houses,
    kind          text NOT NULL CONSTRAINT roll_calls_kind_check CHECK (kind IN ('morning','evening','night','extra')),
    at            timestamptz NOT NULL,
    status        text NOT NULL DEFAULT 'open'
                  CONSTRAINT roll_calls_status_check CHECK (status IN ('open','closed','cancelled')),
    note          text,
    created_by    uuid NOT NULL REFERENCES app.users,
    closed_at     timestamptz,
    closed_by     uuid REFERENCES app.users,
    cancelled_at  timestamptz,
    cancelled_by  uuid REFERENCES app.users,
    cancel_reason text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    version       int NOT NULL DEFAULT 1,
    CONSTRAINT roll_calls_closed_check CHECK ((status = 'closed') = (closed_at IS NOT NULL AND closed_by IS NOT NULL)),
    CONSTRAINT roll_calls_cancelled_check CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL AND cancel_reason IS NOT NULL))
);
CREATE UNIQUE INDEX roll_calls_one_open_per_house ON app.roll_calls (house_id) WHERE status = 'open';
CREATE INDEX roll_calls_house_idx ON app.roll_calls (house_id, seq);
-- the alerts read a house's closed roll-calls by time (roll_call_absent, roll_call_missed)
CREATE INDEX roll_calls_closed_at_idx ON app.roll_calls (house_id, at) WHERE status = 'closed';
CREATE TRIGGER roll_calls_touch BEFORE UPDATE ON app.roll_calls FOR EACH ROW EXECUTE FUNCTION app.touch();

-- One line per resident on the roll-call: the stay active at its `at` and the bed held then.
-- A prefilled `out` keeps its movement (and its expected return, read from the movement).
CREATE TABLE app.roll_call_lines (
    roll_call_id uuid NOT NULL REFERENCES app.roll_calls,
    resident_id  uuid NOT NULL REFERENCES app.residents,
    stay_id      uuid NOT NULL REFERENCES app.stays,
    bed_id       uuid NOT NULL REFERENCES app.beds,
    status       text NOT NULL
                 CONSTRAINT roll_call_lines_status_check CHECK (status IN ('unmarked','present','absent','out','excused')),
    note         text,
    movement_id  uuid REFERENCES app.movements,
    marked_by    uuid REFERENCES app.users,
    marked_at    timestamptz,
    PRIMARY KEY (roll_call_id, resident_id)
);
-- roll_call_absent: a stay's lines across roll-calls
CREATE INDEX roll_call_lines_stay_idx ON app.roll_call_lines (stay_id);

-- A line changes only while its roll-call is open (§17.13). The roll-call row is read under
-- the lock the writer already holds (marks and close lock it first).
CREATE FUNCTION app.roll_call_lines_open_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT r.status FROM app.roll_calls r
         WHERE r.id = CASE WHEN TG_OP = 'DELETE' THEN OLD.roll_call_id ELSE NEW.roll_call_id END) IS DISTINCT FROM 'open' THEN
        RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'api_problem',
            DETAIL = jsonb_build_object('status', 409, 'code', 'roll_call_closed',
                                        'detail', 'the roll-call is closed or cancelled')::text;
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER roll_call_lines_open_only BEFORE INSERT OR UPDATE OR DELETE ON app.roll_call_lines
    FOR EACH ROW EXECUTE FUNCTION app.roll_call_lines_open_only();

INSERT INTO api.constraint_problems VALUES
    ('roll_calls_one_open_per_house', 409, 'roll_call_open', NULL, 'another roll-call of the house is open'),
    ('roll_calls_kind_check',         422, 'validation_failed', 'kind', 'must be morning, evening, night or extra'),
    ('roll_call_lines_status_check',  422, 'validation_failed', 'status', 'must be present, absent, out or excused');
