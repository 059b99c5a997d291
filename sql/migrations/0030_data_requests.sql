-- abipraya: data-subject requests (permintaan subjek data, contract §18.6) and the resident's
-- privacy state (§18.6, §18.7): processing_restricted, erasure_scheduled_at, anonymised_at.

ALTER TABLE app.residents
    ADD COLUMN processing_restricted boolean NOT NULL DEFAULT false,
    ADD COLUMN erasure_scheduled_at timestamptz,
    ADD COLUMN anonymised_at timestamptz;

-- anonymised_at is set once (§18.14): never changed or cleared after, whoever writes
CREATE FUNCTION app.residents_anonymised_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.anonymised_at IS NOT NULL AND NEW.anonymised_at IS DISTINCT FROM OLD.anonymised_at THEN
        RAISE EXCEPTION 'a resident is anonymised once' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER residents_anonymised_once BEFORE UPDATE OF anonymised_at ON app.residents
    FOR EACH ROW EXECUTE FUNCTION app.residents_anonymised_once();

-- 3 x 24 hours exactly: an instant plus a fixed number of hours does not depend on the zone
-- (timestamptz + interval is only STABLE because of days and months)
CREATE FUNCTION app.plus_72_hours(t timestamptz) RETURNS timestamptz LANGUAGE sql IMMUTABLE AS $$
    SELECT t + interval '72 hours'
$$;

CREATE TABLE app.data_requests (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq            bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    resident_id    uuid NOT NULL REFERENCES app.residents ON DELETE CASCADE,
    house_id       uuid NOT NULL REFERENCES app.houses,
    kind           text NOT NULL CONSTRAINT data_requests_kind_check CHECK (kind IN
                   ('access','correction','deletion','restriction','withdrawal')),
    received_at    timestamptz NOT NULL,
    due_at         timestamptz GENERATED ALWAYS AS (app.plus_72_hours(received_at)) STORED,
    details        text CONSTRAINT data_requests_details_check CHECK (length(details) <= 10000),
    consent_id     uuid REFERENCES app.consents,
    -- how it was closed (null while open); status is read from it
    outcome        text CONSTRAINT data_requests_outcome_check CHECK (outcome IN ('answered','refused')),
    status         text GENERATED ALWAYS AS (coalesce(outcome, 'open')) STORED,
    answered_at    timestamptz,
    response       text CONSTRAINT data_requests_response_check CHECK (length(response) BETWEEN 1 AND 10000),
    refusal_reason text CONSTRAINT data_requests_refusal_reason_check CHECK (length(refusal_reason) BETWEEN 1 AND 2000),
    answered_by    uuid REFERENCES app.users,
    recorded_by    uuid REFERENCES app.users,
    version        int NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT data_requests_open_check CHECK ((outcome IS NULL) = (answered_at IS NULL)),
    CONSTRAINT data_requests_refused_check CHECK ((outcome IS NOT DISTINCT FROM 'refused') = (refusal_reason IS NOT NULL)),
    CONSTRAINT data_requests_answered_check CHECK ((outcome IS NOT DISTINCT FROM 'answered') = (response IS NOT NULL)),
    CONSTRAINT data_requests_consent_check CHECK (consent_id IS NULL OR kind = 'withdrawal')
);
CREATE INDEX data_requests_resident_idx ON app.data_requests (resident_id, seq);
CREATE INDEX data_requests_house_open_idx ON app.data_requests (house_id, due_at) WHERE outcome IS NULL;
CREATE INDEX data_requests_house_idx ON app.data_requests (house_id, seq);

CREATE TRIGGER data_requests_touch BEFORE UPDATE ON app.data_requests FOR EACH ROW EXECUTE FUNCTION app.touch();
