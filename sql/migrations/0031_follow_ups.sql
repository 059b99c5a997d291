-- abipraya: post-exit follow-up (pendampingan lanjutan, contract §18.8): one per entry of the
-- house's follow_up_days, scheduled by the check-out, its due_on fixed then.

CREATE TABLE app.follow_ups (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq                 bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    resident_id         uuid NOT NULL REFERENCES app.residents ON DELETE CASCADE,
    house_id            uuid NOT NULL REFERENCES app.houses,
    stay_id             uuid NOT NULL REFERENCES app.stays ON DELETE CASCADE,
    offset_days         int NOT NULL CONSTRAINT follow_ups_offset_days_check CHECK (offset_days BETWEEN 1 AND 730),
    due_on              date NOT NULL,
    status              text NOT NULL DEFAULT 'pending' CONSTRAINT follow_ups_status_check CHECK (status IN
                        ('pending','done','cancelled')),
    contacted_at        timestamptz,
    method              text CONSTRAINT follow_ups_method_check CHECK (method IN
                        ('phone','in_person','home_visit','message','via_family')),
    unreachable         boolean,
    housing_stable      boolean,
    employed            boolean,
    business_operating  boolean,
    reoffended          boolean,
    reporting_compliant boolean,
    note                text CONSTRAINT follow_ups_note_check CHECK (length(note) <= 10000),
    cancel_reason       text CONSTRAINT follow_ups_cancel_reason_check CHECK (length(cancel_reason) BETWEEN 1 AND 1000),
    recorded_by         uuid REFERENCES app.users,
    version             int NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT follow_ups_stay_offset_key UNIQUE (stay_id, offset_days),
    -- done <=> a result: contacted_at, method and unreachable together
    CONSTRAINT follow_ups_done_check CHECK ((status = 'done') = (contacted_at IS NOT NULL)
                                           AND (contacted_at IS NULL) = (method IS NULL)
                                           AND (contacted_at IS NULL) = (unreachable IS NULL)),
    -- unreachable => the outcomes null; reached => all five set
    CONSTRAINT follow_ups_outcomes_check CHECK (
        CASE WHEN unreachable IS DISTINCT FROM false
             THEN num_nonnulls(housing_stable, employed, business_operating, reoffended, reporting_compliant) = 0
             ELSE num_nulls(housing_stable, employed, business_operating, reoffended, reporting_compliant) = 0 END),
    CONSTRAINT follow_ups_cancelled_check CHECK ((status = 'cancelled') = (cancel_reason IS NOT NULL))
);
CREATE INDEX follow_ups_house_pending_idx ON app.follow_ups (house_id, due_on) WHERE status = 'pending';
CREATE INDEX follow_ups_house_idx ON app.follow_ups (house_id, seq);
CREATE INDEX follow_ups_resident_idx ON app.follow_ups (resident_id);

CREATE TRIGGER follow_ups_touch BEFORE UPDATE ON app.follow_ups FOR EACH ROW EXECUTE FUNCTION app.touch();
