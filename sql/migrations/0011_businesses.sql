-- abipraya: micro-businesses (UMKM, contract §16.8, §16.13). What the database enforces: a
-- NIB is 13 digits and unique across the installation (two instances registering one NIB at
-- once end with one row and one 409), the stage history is append-only (UPDATE, DELETE and
-- TRUNCATE are refused), a funded entry carries its capital and no other entry does, one
-- monthly record per (business, month), money is non-negative integer rupiah (bigint: up to
-- 10^13). A business's stage and stage_since are its last history entry, written with it by
-- the stage operation in the same transaction.

CREATE TABLE app.businesses (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    resident_id   uuid NOT NULL REFERENCES app.residents,
    -- the resident's house (a resident never changes house): visibility without a join
    house_id      uuid NOT NULL REFERENCES app.houses,
    name          text NOT NULL CONSTRAINT businesses_name_check CHECK (length(name) BETWEEN 1 AND 200),
    sector        text NOT NULL CONSTRAINT businesses_sector_check CHECK (sector IN
                  ('food_beverage','retail','agriculture','livestock_fishery','crafts','garment','services',
                   'repair','transport','construction','other')),
    description   text,
    started_on    date,
    stage         text NOT NULL CONSTRAINT businesses_stage_check CHECK (stage IN
                  ('idea','business_plan','trained','registered','funded','operating','paused','closed')),
    stage_since   date NOT NULL,
    nib           text CONSTRAINT businesses_nib_check CHECK (nib ~ '^[0-9]{13}$'),
    sku_number    text CONSTRAINT businesses_sku_number_check CHECK (length(sku_number) BETWEEN 1 AND 100),
    sku_issued_on date CONSTRAINT businesses_sku_issued_on_check CHECK (sku_issued_on IS NULL OR sku_number IS NOT NULL),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    version       int NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX businesses_nib_key ON app.businesses (nib);
CREATE INDEX businesses_house_idx ON app.businesses (house_id, seq);
CREATE INDEX businesses_resident_idx ON app.businesses (resident_id);
CREATE TRIGGER businesses_touch BEFORE UPDATE ON app.businesses FOR EACH ROW EXECUTE FUNCTION app.touch();

-- The stage history; a funded entry holds the capital it brought (the business's `capital`).
CREATE TABLE app.business_stages (
    seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    business_id    uuid NOT NULL REFERENCES app.businesses,
    stage          text NOT NULL CONSTRAINT business_stages_stage_check CHECK (stage IN
                   ('idea','business_plan','trained','registered','funded','operating','paused','closed')),
    "on"           date NOT NULL,
    at             timestamptz NOT NULL DEFAULT now(),
    by             uuid REFERENCES app.users,
    note           text,
    capital_source text CONSTRAINT business_stages_capital_source_check CHECK (capital_source IN
                   ('kur','grant','family','savings','cooperative','other')),
    amount_idr     bigint CONSTRAINT business_stages_amount_idr_check CHECK (amount_idr BETWEEN 1 AND 1000000000000),
    CONSTRAINT business_stages_capital_check CHECK ((stage = 'funded') = (capital_source IS NOT NULL)
                                                    AND (capital_source IS NULL) = (amount_idr IS NULL))
);
CREATE INDEX business_stages_business_idx ON app.business_stages (business_id, seq);

CREATE FUNCTION app.business_stages_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'business stage history is append-only' USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER business_stages_append_only BEFORE UPDATE OR DELETE ON app.business_stages
    FOR EACH ROW EXECUTE FUNCTION app.business_stages_append_only();
CREATE TRIGGER business_stages_no_truncate BEFORE TRUNCATE ON app.business_stages
    FOR EACH STATEMENT EXECUTE FUNCTION app.business_stages_append_only();

-- Monthly records: month is the first day of the month.
CREATE TABLE app.business_months (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES app.businesses,
    month       date NOT NULL CONSTRAINT business_months_month_check CHECK (month = date_trunc('month', month)::date),
    revenue_idr bigint NOT NULL CONSTRAINT business_months_revenue_idr_check CHECK (revenue_idr BETWEEN 0 AND 10000000000000),
    costs_idr   bigint NOT NULL CONSTRAINT business_months_costs_idr_check CHECK (costs_idr BETWEEN 0 AND 10000000000000),
    workers     int NOT NULL CONSTRAINT business_months_workers_check CHECK (workers BETWEEN 0 AND 1000),
    note        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    version     int NOT NULL DEFAULT 1,
    CONSTRAINT business_months_key UNIQUE (business_id, month)
);
CREATE TRIGGER business_months_touch BEFORE UPDATE ON app.business_months FOR EACH ROW EXECUTE FUNCTION app.touch();

INSERT INTO api.constraint_problems VALUES
    ('businesses_nib_key',            409, 'conflict', 'nib', 'a business with this NIB exists'),
    ('businesses_nib_check',          422, 'validation_failed', 'nib', 'must be exactly 13 digits'),
    ('businesses_sku_issued_on_check', 422, 'validation_failed', 'sku_issued_on', 'needs a sku_number'),
    ('business_stages_capital_check', 422, 'validation_failed', 'capital_source,amount_idr',
     'are required exactly for the funded stage');
