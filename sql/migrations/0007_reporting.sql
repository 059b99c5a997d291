-- abipraya: the reporting duty (wajib lapor, contract §15.3, §15.11). Stored: one schedule per
-- resident with every version of it, reports (records) and excuses; periods and their
-- statuses are computed on read (sql/api/13_reporting.sql). Every write locks the resident
-- row first, so PUTs, reports and excuses of one resident are serialised on any instance;
-- the unique indexes below hold whatever path writes.

CREATE TABLE app.reporting_schedules (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    resident_id     uuid NOT NULL CONSTRAINT reporting_schedules_resident_key UNIQUE REFERENCES app.residents,
    house_id        uuid NOT NULL REFERENCES app.houses,
    -- the current version's fields (a copy of its row in reporting_schedule_versions)
    frequency       text NOT NULL CONSTRAINT reporting_schedules_frequency_check CHECK (frequency IN ('monthly','interval')),
    day_of_month    int,
    interval_days   int,
    starts_on       date NOT NULL,
    grace_days      int NOT NULL,
    remote_allowed  boolean NOT NULL DEFAULT false,
    notes           text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         int NOT NULL DEFAULT 1,    -- counts the PUTs (no touch trigger: a same-value PUT counts)
    CONSTRAINT reporting_schedules_rhythm CHECK (
        (frequency = 'monthly' AND day_of_month BETWEEN 1 AND 31 AND interval_days IS NULL) OR
        (frequency = 'interval' AND interval_days BETWEEN 1 AND 366 AND day_of_month IS NULL)),
    CONSTRAINT reporting_schedules_grace CHECK (grace_days BETWEEN 0 AND 31)
);
CREATE INDEX reporting_schedules_house_idx ON app.reporting_schedules (house_id, seq);

CREATE TABLE app.reporting_schedule_versions (
    schedule_id     uuid NOT NULL REFERENCES app.reporting_schedules,
    version         int NOT NULL CHECK (version >= 1),
    frequency       text NOT NULL CONSTRAINT reporting_schedule_versions_frequency_check CHECK (frequency IN ('monthly','interval')),
    day_of_month    int,
    interval_days   int,
    starts_on       date NOT NULL,
    grace_days      int NOT NULL,
    remote_allowed  boolean NOT NULL,
    set_by          uuid REFERENCES app.users,
    set_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reporting_schedule_versions_key PRIMARY KEY (schedule_id, version),
    CONSTRAINT reporting_schedule_versions_rhythm CHECK (
        (frequency = 'monthly' AND day_of_month BETWEEN 1 AND 31 AND interval_days IS NULL) OR
        (frequency = 'interval' AND interval_days BETWEEN 1 AND 366 AND day_of_month IS NULL)),
    CONSTRAINT reporting_schedule_versions_grace CHECK (grace_days BETWEEN 0 AND 31)
);

CREATE TABLE app.reporting_records (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    resident_id     uuid NOT NULL REFERENCES app.residents,
    house_id        uuid NOT NULL REFERENCES app.houses,
    reported_at     timestamptz NOT NULL,
    method          text NOT NULL CONSTRAINT reporting_records_method_check CHECK (method IN
                    ('in_person','video_call','phone','home_visit')),
    remote_reason   text,
    location        text,
    movement_id     uuid REFERENCES app.movements,
    notes           text,
    verified_by     uuid REFERENCES app.users,
    voided_at       timestamptz,
    voided_by       uuid REFERENCES app.users,
    void_reason     text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         int NOT NULL DEFAULT 1,
    CONSTRAINT reporting_records_remote_reason CHECK
        ((method IN ('video_call','phone')) = (remote_reason IS NOT NULL)),
    CONSTRAINT reporting_records_voided CHECK ((voided_at IS NULL) = (void_reason IS NULL))
);
-- one report not voided per movement
CREATE UNIQUE INDEX reporting_records_one_per_movement ON app.reporting_records (movement_id) WHERE voided_at IS NULL;
-- what the periods read: a resident's counting reports in time order
CREATE INDEX reporting_records_resident_idx ON app.reporting_records (resident_id, reported_at) WHERE voided_at IS NULL;
CREATE INDEX reporting_records_house_idx ON app.reporting_records (house_id, seq);
CREATE TRIGGER reporting_records_touch BEFORE UPDATE ON app.reporting_records FOR EACH ROW EXECUTE FUNCTION app.touch();

CREATE TABLE app.reporting_excuses (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    resident_id     uuid NOT NULL REFERENCES app.residents,
    house_id        uuid NOT NULL REFERENCES app.houses,
    due_on          date NOT NULL,
    reason          text NOT NULL,
    excused_by      uuid REFERENCES app.users,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         int NOT NULL DEFAULT 1,
    -- one excuse per period
    CONSTRAINT reporting_excuses_period_key UNIQUE (resident_id, due_on)
);
CREATE TRIGGER reporting_excuses_touch BEFORE UPDATE ON app.reporting_excuses FOR EACH ROW EXECUTE FUNCTION app.touch();

-- what a violation that slips past the operations' own checks answers (api.map_error)
INSERT INTO api.constraint_problems VALUES
    ('reporting_records_one_per_movement', 409, 'conflict', 'movement_id', 'the movement is linked to another report'),
    ('reporting_excuses_period_key',       409, 'conflict', 'due_on', 'the period is already excused');
