-- abipraya: partners and partner users (contract §16.2, §16.3, §16.13). What the database
-- enforces: a partner's name unique compared case-insensitively after trimming (an index on
-- the expression, so two instances creating "BLK Surabaya" and " blk surabaya" at once end
-- with one row and one 409), 1 to 50 distinct houses, the agreement's shape; a user has a
-- partner exactly when its role is partner, and a partner user has no houses.

-- How many distinct values an array holds (for CHECKs: a subquery may not stand in one).
CREATE FUNCTION app.distinct_count(ids uuid[]) RETURNS int LANGUAGE sql IMMUTABLE AS $$
    SELECT count(DISTINCT x)::int FROM unnest(ids) x
$$;

CREATE TABLE app.partners (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq                   bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    name                  text NOT NULL,
    kind                  text NOT NULL CONSTRAINT partners_kind_check CHECK (kind IN
                          ('city_government','training_centre','community_group','ngo','business','religious','other')),
    -- houses have no DELETE, so the ids stay valid; visibility is `house_ids && user's`
    house_ids             uuid[] NOT NULL CONSTRAINT partners_house_ids_check
                          CHECK (cardinality(house_ids) BETWEEN 1 AND 50
                                 AND app.distinct_count(house_ids) = cardinality(house_ids)),
    contact               jsonb CONSTRAINT partners_contact_check CHECK (jsonb_typeof(contact) = 'object'),
    address               text,
    agreement_number      text,
    agreement_signed_on   date,
    agreement_valid_until date,
    notes                 text,
    active                boolean NOT NULL DEFAULT true,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    version               int NOT NULL DEFAULT 1,
    CONSTRAINT partners_agreement_check CHECK ((agreement_number IS NULL) = (agreement_signed_on IS NULL)
                                               AND (agreement_valid_until IS NULL OR agreement_number IS NOT NULL)),
    CONSTRAINT partners_agreement_valid_until_check CHECK (agreement_valid_until >= agreement_signed_on)
);
CREATE UNIQUE INDEX partners_name_key ON app.partners (lower(btrim(name)));
CREATE INDEX partners_house_ids_idx ON app.partners USING gin (house_ids);
CREATE TRIGGER partners_touch BEFORE UPDATE ON app.partners FOR EACH ROW EXECUTE FUNCTION app.touch();

ALTER TABLE app.users
    ADD COLUMN partner_id uuid CONSTRAINT users_partner_id_fkey REFERENCES app.partners,
    DROP CONSTRAINT users_role_check,
    ADD CONSTRAINT users_role_check CHECK (role IN ('admin','manager','caseworker','staff','partner')),
    ADD CONSTRAINT users_partner_role CHECK ((role = 'partner') = (partner_id IS NOT NULL)),
    ADD CONSTRAINT users_partner_no_houses CHECK (role <> 'partner' OR house_ids = '{}');
CREATE INDEX users_partner_idx ON app.users (partner_id) WHERE partner_id IS NOT NULL;

-- a user moved to another partner loses its streams too (0004_stream_revocation.sql)
DROP TRIGGER users_revoked ON app.users;
CREATE TRIGGER users_revoked AFTER UPDATE ON app.users
    FOR EACH ROW WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.house_ids IS DISTINCT FROM NEW.house_ids
                       OR OLD.partner_id IS DISTINCT FROM NEW.partner_id
                       OR OLD.active IS DISTINCT FROM NEW.active
                       OR OLD.password_hash IS DISTINCT FROM NEW.password_hash)
    EXECUTE FUNCTION app.notify_user_revoked();

INSERT INTO api.constraint_problems VALUES
    ('partners_name_key',                    409, 'conflict', 'name', 'a partner with this name exists'),
    ('partners_kind_check',                  422, 'validation_failed', 'kind', 'unknown kind'),
    ('partners_house_ids_check',             422, 'validation_failed', 'house_ids', 'must name 1 to 50 distinct houses'),
    ('partners_contact_check',               422, 'validation_failed', 'contact', 'must be an object'),
    ('partners_agreement_check',             422, 'validation_failed', 'agreement', 'needs a number and signed_on'),
    ('partners_agreement_valid_until_check', 422, 'validation_failed', 'agreement.valid_until', 'is before signed_on'),
    ('users_partner_id_fkey',                422, 'validation_failed', 'partner_id', 'no such partner'),
    ('users_partner_role',                   422, 'validation_failed', 'partner_id', 'is required exactly when role is partner'),
    ('users_partner_no_houses',              422, 'validation_failed', 'house_ids', 'must be empty for a partner user');
