-- abipraya: legal bases of residents (contract §15.2, §15.11). The database keeps the
-- history a chain: at most one current basis per resident (superseded_at IS NULL), each
-- basis superseded by at most one (unique supersedes_id), and the shape of each basis in
-- CHECKs. The operations (sql/api/12_legal_bases.sql) supersede and insert in one
-- transaction under a lock on the resident row, so a resident with any basis always has
-- exactly one current.

CREATE TABLE app.legal_bases (
    id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq                      bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    resident_id              uuid NOT NULL REFERENCES app.residents,
    house_id                 uuid NOT NULL REFERENCES app.houses,
    type                     text NOT NULL CONSTRAINT legal_bases_type_check CHECK (type IN
                             ('pembebasan_bersyarat','cuti_bersyarat','cuti_menjelang_bebas','asimilasi',
                              'probation','community_service','released')),
    decree_number            text,
    decree_date              date,
    issuing_authority        text,
    starts_on                date NOT NULL,
    supervision_ends_on      date,
    guarantor                jsonb,
    litmas_number            text,
    caseworker_id            uuid REFERENCES app.users,
    notes                    text,
    supersedes_id            uuid CONSTRAINT legal_bases_supersedes_key UNIQUE REFERENCES app.legal_bases,
    superseded_at            timestamptz,
    revoked_on               date,
    revocation_decree_number text,
    revocation_reason        text,
    correction_reason        text,
    recorded_by              uuid REFERENCES app.users,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    version                  int NOT NULL DEFAULT 1,
    CONSTRAINT legal_bases_released_unsupervised CHECK ((type = 'released') = (supervision_ends_on IS NULL)),
    CONSTRAINT legal_bases_ends_after_start CHECK (supervision_ends_on >= starts_on),
    -- a null end would make BETWEEN null (a pass): a released basis is never revoked
    CONSTRAINT legal_bases_revoked_within CHECK (revoked_on IS NULL OR
                                                 (supervision_ends_on IS NOT NULL AND
                                                  revoked_on BETWEEN starts_on AND supervision_ends_on)),
    CONSTRAINT legal_bases_decree_dated CHECK (decree_number IS NULL OR decree_date IS NOT NULL)
);
-- one current basis per resident
CREATE UNIQUE INDEX legal_bases_one_current ON app.legal_bases (resident_id) WHERE superseded_at IS NULL;
CREATE INDEX legal_bases_resident_idx ON app.legal_bases (resident_id, seq);
CREATE INDEX legal_bases_house_idx ON app.legal_bases (house_id, seq);
CREATE TRIGGER legal_bases_touch BEFORE UPDATE ON app.legal_bases FOR EACH ROW EXECUTE FUNCTION app.touch();

-- The resident follows its current basis (§15.2): whatever path writes a basis or a resident
-- (the API, psql), at commit the resident's legal_status and supervision_ends_on must be
-- those of its current basis. Deferred, because a record inserts the basis before it sets
-- the resident. The mapping is api.basis_legal_status (sql/api/12_legal_bases.sql).
CREATE FUNCTION app.check_basis_followed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE rid uuid;
BEGIN
    IF TG_TABLE_NAME = 'residents' THEN
        rid := NEW.id;
    ELSE
        rid := NEW.resident_id;
    END IF;
    IF EXISTS (SELECT 1 FROM app.legal_bases b JOIN app.residents r ON r.id = b.resident_id
                WHERE b.resident_id = rid AND b.superseded_at IS NULL
                  AND (r.legal_status <> api.basis_legal_status(b.type)
                       OR r.supervision_ends_on IS DISTINCT FROM b.supervision_ends_on)) THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'legal_basis_followed',
            MESSAGE = 'a resident''s legal_status and supervision_ends_on must be its current legal basis''s';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER legal_bases_followed AFTER INSERT OR UPDATE ON app.legal_bases
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION app.check_basis_followed();
CREATE CONSTRAINT TRIGGER residents_follow_basis AFTER UPDATE OF legal_status, supervision_ends_on ON app.residents
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION app.check_basis_followed();
