-- abipraya: house settings (contract §15.7) and the alerts framework (§15.5, §15.11).
-- The settings are columns of the house with their defaults and CHECK ranges (the API checks
-- them first and names the field; these are what holds whatever path writes a house). Alerts
-- are computed at read time (sql/api/14_alerts.sql): no table holds them, only the
-- acknowledgements, one per key (unique), which is what makes N simultaneous acknowledgements
-- of one key one 200 and the rest 409 already_acknowledged on any number of instances.

-- follow_up_days: distinct and ascending (the API sorts what it stores)
CREATE FUNCTION app.strictly_ascending(a int[]) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(bool_and(a[i] < a[i + 1]), true) FROM generate_subscripts(a, 1) i WHERE i < cardinality(a)
$$;

ALTER TABLE app.houses
    ADD COLUMN absconding_grace_minutes  int NOT NULL DEFAULT 120
        CONSTRAINT houses_absconding_grace_minutes_check CHECK (absconding_grace_minutes BETWEEN 0 AND 1440),
    ADD COLUMN supervision_warning_days  int NOT NULL DEFAULT 30
        CONSTRAINT houses_supervision_warning_days_check CHECK (supervision_warning_days BETWEEN 1 AND 365),
    ADD COLUMN supervision_critical_days int NOT NULL DEFAULT 7
        CONSTRAINT houses_supervision_critical_days_check CHECK (supervision_critical_days BETWEEN 0 AND 364),
    ADD COLUMN reporting_due_days        int NOT NULL DEFAULT 3
        CONSTRAINT houses_reporting_due_days_check CHECK (reporting_due_days BETWEEN 0 AND 31),
    ADD COLUMN reporting_grace_days      int NOT NULL DEFAULT 3
        CONSTRAINT houses_reporting_grace_days_check CHECK (reporting_grace_days BETWEEN 0 AND 31),
    ADD COLUMN long_stay_days            int
        CONSTRAINT houses_long_stay_days_check CHECK (long_stay_days BETWEEN 1 AND 3660),
    ADD COLUMN turnover_minutes          int NOT NULL DEFAULT 0
        CONSTRAINT houses_turnover_minutes_check CHECK (turnover_minutes BETWEEN 0 AND 10080),
    ADD COLUMN roll_calls_per_day        int NOT NULL DEFAULT 1
        CONSTRAINT houses_roll_calls_per_day_check CHECK (roll_calls_per_day BETWEEN 0 AND 6),
    ADD COLUMN follow_up_days            int[] NOT NULL DEFAULT '{30,90,180}'
        CONSTRAINT houses_follow_up_days_check CHECK (cardinality(follow_up_days) <= 6
            AND 1 <= ALL (follow_up_days) AND 730 >= ALL (follow_up_days)
            AND array_position(follow_up_days, NULL) IS NULL AND app.strictly_ascending(follow_up_days)),
    ADD CONSTRAINT houses_supervision_days_order CHECK (supervision_critical_days < supervision_warning_days);

-- One alert, whatever its kind (§15.5's item fields but the acknowledgement's): what every
-- api.alerts_<kind>(house_ids uuid[]) returns. A type: changed by a migration only.
CREATE TYPE api.alert AS (
    key         text,
    kind        text,
    severity    text,
    house_id    uuid,
    resident_id uuid,
    stay_id     uuid,
    entity      text,
    entity_id   uuid,
    since       timestamptz,
    due_at      timestamptz,
    details     jsonb
);

CREATE TABLE app.alert_acknowledgements (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    key             text NOT NULL CONSTRAINT alert_acknowledgements_key_key UNIQUE,
    kind            text NOT NULL,
    house_id        uuid NOT NULL REFERENCES app.houses,
    resident_id     uuid REFERENCES app.residents,
    stay_id         uuid REFERENCES app.stays,
    note            text,
    acknowledged_by uuid NOT NULL REFERENCES app.users,
    acknowledged_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_acknowledgements_house_idx ON app.alert_acknowledgements (house_id, seq);

-- movement_overdue reads the open movements of a house; exit plans are found by stay
CREATE INDEX movements_open_house_idx ON app.movements (house_id, expected_back_at) WHERE returned_at IS NULL;
CREATE INDEX stays_active_house_idx ON app.stays (house_id) INCLUDE (resident_id) WHERE checked_out_at IS NULL;

INSERT INTO api.constraint_problems VALUES
    ('alert_acknowledgements_key_key', 409, 'already_acknowledged', 'key', 'the alert is already acknowledged'),
    ('houses_absconding_grace_minutes_check', 422, 'validation_failed', 'absconding_grace_minutes', 'must be between 0 and 1440'),
    ('houses_supervision_warning_days_check', 422, 'validation_failed', 'supervision_warning_days', 'must be between 1 and 365'),
    ('houses_supervision_critical_days_check', 422, 'validation_failed', 'supervision_critical_days', 'must be between 0 and 364'),
    ('houses_reporting_due_days_check', 422, 'validation_failed', 'reporting_due_days', 'must be between 0 and 31'),
    ('houses_reporting_grace_days_check', 422, 'validation_failed', 'reporting_grace_days', 'must be between 0 and 31'),
    ('houses_long_stay_days_check', 422, 'validation_failed', 'long_stay_days', 'must be between 1 and 3660'),
    ('houses_turnover_minutes_check', 422, 'validation_failed', 'turnover_minutes', 'must be between 0 and 10080'),
    ('houses_roll_calls_per_day_check', 422, 'validation_failed', 'roll_calls_per_day', 'must be between 0 and 6'),
    ('houses_follow_up_days_check', 422, 'validation_failed', 'follow_up_days',
     'must be at most 6 distinct integers from 1 to 730'),
    ('houses_supervision_days_order', 422, 'validation_failed', 'supervision_critical_days,supervision_warning_days',
     'supervision_critical_days must be less than supervision_warning_days');
