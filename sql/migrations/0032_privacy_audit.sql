-- abipraya: what contract §18.4 and §18.12 store. The audit record names the resident it is
-- about (for the processing history, §18.5, and the redaction of retention, §18.7) and gains
-- the columns of chain format 2 (a salted digest of its payload, so that a redacted payload
-- still verifies). The disclosure log: one row per resident per
-- answer that let that resident's data leave the database, append-only like the audit.

CREATE EXTENSION IF NOT EXISTS pgcrypto;     -- hmac() of the keyed chain (a trusted extension)

ALTER TABLE app.audit_log
    ADD COLUMN resident_id    uuid,
    ADD COLUMN payload_salt   bytea,
    ADD COLUMN payload_digest bytea,
    ADD COLUMN redacted_at    timestamptz,
    ADD COLUMN redacted_by    uuid,
    -- a redaction sets both or neither, and leaves no payload behind
    ADD CONSTRAINT audit_log_redaction_check CHECK ((redacted_at IS NULL) = (redacted_by IS NULL)
        AND (redacted_at IS NULL OR (before IS NULL AND after IS NULL AND payload_salt IS NULL)));
CREATE INDEX audit_log_resident_idx ON app.audit_log (resident_id, pos) WHERE resident_id IS NOT NULL;

CREATE TABLE app.disclosures (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    kind        text NOT NULL CONSTRAINT disclosures_kind_check CHECK (kind IN ('read','export','partner_view')),
    user_id     uuid NOT NULL,
    role        text NOT NULL,
    partner_id  uuid,
    resident_id uuid NOT NULL,
    house_id    uuid NOT NULL,
    entity      text NOT NULL,
    entity_id   uuid,
    fields      text[] NOT NULL CONSTRAINT disclosures_fields_check CHECK (cardinality(fields) > 0),
    -- X-Purpose: 1-200 printable characters (the daemon refuses others with 422 first)
    purpose     text CONSTRAINT disclosures_purpose_check CHECK (length(purpose) BETWEEN 1 AND 200
                     AND purpose !~ '[[:cntrl:]]'),
    consent_id  uuid,
    request_id  text,
    path        text NOT NULL,
    mac         bytea NOT NULL
);
-- no foreign keys: a log outlives nothing it names, and a CSV of 2 000 residents writes 2 000 rows
CREATE INDEX disclosures_resident_idx ON app.disclosures (resident_id, seq);
CREATE INDEX disclosures_house_idx ON app.disclosures (house_id, seq);
