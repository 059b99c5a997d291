-- abipraya: consents (persetujuan, contract §18.2). A consent is immutable once recorded; its
-- one change is the withdrawal (all three withdrawal columns set together, once). Its status
-- (active / expired / withdrawn) is computed at every read from the dates, never stored.

CREATE TABLE app.consents (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq               bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    resident_id       uuid NOT NULL REFERENCES app.residents ON DELETE CASCADE,
    -- the resident's house when recorded: whose managers and caseworkers see it
    house_id          uuid NOT NULL REFERENCES app.houses,
    purpose           text NOT NULL CONSTRAINT consents_purpose_check CHECK (purpose IN
                      ('programme_partner_sharing','family_contact','employer_contact','research','media','other')),
    purpose_detail    text CONSTRAINT consents_purpose_detail_check CHECK (length(purpose_detail) BETWEEN 1 AND 500),
    partner_id        uuid REFERENCES app.partners,
    recipient         text CONSTRAINT consents_recipient_check CHECK (length(recipient) BETWEEN 1 AND 200),
    scope             text[] NOT NULL CONSTRAINT consents_scope_check CHECK (
                          scope <@ ARRAY['identity','contact','attendance','programme_outcomes','business',
                                         'legal_status','follow_up_outcomes','image']
                          AND cardinality(scope) >= 1 AND app.distinct_count(scope) = cardinality(scope)),
    given_on          date NOT NULL,
    expires_on        date NOT NULL,
    notice_given      boolean NOT NULL CONSTRAINT consents_notice_given_check CHECK (notice_given),
    proof_form        text NOT NULL CONSTRAINT consents_proof_form_check CHECK (proof_form IN
                      ('written','electronic','recorded')),
    proof_document_ref text NOT NULL CONSTRAINT consents_proof_document_ref_check
                      CHECK (length(proof_document_ref) BETWEEN 1 AND 100),
    proof_witness_name text NOT NULL CONSTRAINT consents_proof_witness_name_check
                      CHECK (length(proof_witness_name) BETWEEN 1 AND 200),
    withdrawn_at      timestamptz,
    withdrawal_reason text CONSTRAINT consents_withdrawal_reason_check CHECK (length(withdrawal_reason) BETWEEN 1 AND 2000),
    withdrawn_by      uuid REFERENCES app.users,
    recorded_by       uuid REFERENCES app.users,
    version           int NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT consents_expires_on_check CHECK (expires_on > given_on
                                                AND expires_on <= (given_on + interval '5 years')::date),
    CONSTRAINT consents_partner_id_check CHECK (purpose <> 'programme_partner_sharing' OR partner_id IS NOT NULL),
    CONSTRAINT consents_purpose_detail_required CHECK (purpose <> 'other' OR purpose_detail IS NOT NULL),
    CONSTRAINT consents_withdrawal_check CHECK ((withdrawn_at IS NULL) = (withdrawal_reason IS NULL)
                                                AND (withdrawn_at IS NULL) = (withdrawn_by IS NULL))
);
CREATE INDEX consents_resident_idx ON app.consents (resident_id, seq);
CREATE INDEX consents_house_idx ON app.consents (house_id, seq);
-- the partner view: a programme's participants' consents for its partner
CREATE INDEX consents_partner_idx ON app.consents (partner_id, resident_id) WHERE purpose = 'programme_partner_sharing';

CREATE TRIGGER consents_touch BEFORE UPDATE ON app.consents FOR EACH ROW EXECUTE FUNCTION app.touch();

-- The withdrawal is the one change, and it happens once: whoever writes (the daemon, the
-- command line, psql), the other columns stay as recorded.
CREATE FUNCTION app.consents_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.withdrawn_at IS NOT NULL
       OR (to_jsonb(NEW) - '{withdrawn_at,withdrawal_reason,withdrawn_by,version,updated_at}'::text[])
          IS DISTINCT FROM (to_jsonb(OLD) - '{withdrawn_at,withdrawal_reason,withdrawn_by,version,updated_at}'::text[]) THEN
        RAISE EXCEPTION 'a consent is immutable but for its one withdrawal' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER consents_immutable BEFORE UPDATE ON app.consents FOR EACH ROW EXECUTE FUNCTION app.consents_immutable();

INSERT INTO api.constraint_problems VALUES
    ('consents_expires_on_check', 422, 'validation_failed', 'expires_on',
     'must be after given_on and at most 5 years after it'),
    ('consents_partner_id_check', 422, 'validation_failed', 'partner_id',
     'is required for programme_partner_sharing'),
    ('consents_purpose_detail_required', 422, 'validation_failed', 'purpose_detail', 'is required for purpose other'),
    ('consents_scope_check', 422, 'validation_failed', 'scope', 'must be distinct values of the list');
