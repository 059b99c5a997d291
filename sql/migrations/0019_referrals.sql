-- abipraya: referrals (rujukan from a Lapas or Rutan, contract §17.3, §17.13). What the
-- database enforces: a register number is unique among the open referrals (pending,
-- accepted) of the installation, and so is a linked resident (two instances creating one
-- number, or linking one resident, at once end with one open row and one 409); an accepted
-- or arrived referral names its resident, an arrived one its stay, a declined or cancelled
-- one its reason. The statuses and their moves are the operations' (sql/api/20_referrals.sql).

CREATE TABLE app.referrals (
    id                           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq                          bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    house_id                     uuid NOT NULL REFERENCES app.houses,
    full_name                    text NOT NULL CONSTRAINT referrals_full_name_check
                                 CHECK (length(full_name) BETWEEN 1 AND 200),
    register_number              text NOT NULL CONSTRAINT referrals_register_number_check
                                 CHECK (length(register_number) BETWEEN 1 AND 50),
    sex                          text NOT NULL CONSTRAINT referrals_sex_check CHECK (sex IN ('male','female')),
    birth_date                   date,
    national_id                  text CONSTRAINT referrals_national_id_check CHECK (national_id ~ '^[0-9]{16}$'),
    from_institution             text NOT NULL CONSTRAINT referrals_from_institution_check
                                 CHECK (length(from_institution) BETWEEN 1 AND 200),
    institution_kind             text CONSTRAINT referrals_institution_kind_check CHECK (institution_kind IN
                                 ('lapas','rutan','lpka','lpp','other')),
    litmas_number                text CONSTRAINT referrals_litmas_number_check
                                 CHECK (length(litmas_number) BETWEEN 1 AND 100),
    expected_legal_basis         text NOT NULL CONSTRAINT referrals_expected_legal_basis_check CHECK (expected_legal_basis IN
                                 ('pembebasan_bersyarat','cuti_bersyarat','cuti_menjelang_bebas','asimilasi','probation',
                                  'community_service','released')),
    expected_supervision_ends_on date,
    expected_arrival_on          date NOT NULL,
    caseworker_id                uuid REFERENCES app.users,
    notes                        text,
    status                       text NOT NULL DEFAULT 'pending' CONSTRAINT referrals_status_check CHECK (status IN
                                 ('pending','accepted','declined','cancelled','arrived')),
    status_reason                text,
    decided_at                   timestamptz,
    decided_by                   uuid REFERENCES app.users,
    resident_id                  uuid REFERENCES app.residents,
    stay_id                      uuid REFERENCES app.stays,
    arrived_at                   timestamptz,
    created_at                   timestamptz NOT NULL DEFAULT now(),
    updated_at                   timestamptz NOT NULL DEFAULT now(),
    version                      int NOT NULL DEFAULT 1,
    CONSTRAINT referrals_resident_check CHECK (status NOT IN ('accepted','arrived') OR resident_id IS NOT NULL),
    CONSTRAINT referrals_arrival_check CHECK (status <> 'arrived' OR (stay_id IS NOT NULL AND arrived_at IS NOT NULL)),
    CONSTRAINT referrals_reason_check CHECK (status NOT IN ('declined','cancelled') OR status_reason IS NOT NULL)
);
CREATE UNIQUE INDEX referrals_open_register_number_key ON app.referrals (register_number)
    WHERE status IN ('pending','accepted');
CREATE UNIQUE INDEX referrals_open_resident_key ON app.referrals (resident_id)
    WHERE status IN ('pending','accepted');
CREATE INDEX referrals_house_idx ON app.referrals (house_id, seq);
-- the alert reads the open ones (a check-in finds its resident's accepted one by the key above)
CREATE INDEX referrals_open_arrival_idx ON app.referrals (house_id, expected_arrival_on)
    WHERE status IN ('pending','accepted');
CREATE TRIGGER referrals_touch BEFORE UPDATE ON app.referrals FOR EACH ROW EXECUTE FUNCTION app.touch();

INSERT INTO api.constraint_problems VALUES
    ('referrals_open_register_number_key', 409, 'conflict', 'register_number',
     'an open referral with this register number exists'),
    ('referrals_open_resident_key',        409, 'conflict', 'resident_id',
     'the resident is linked to another open referral');
