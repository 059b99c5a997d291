-- abipraya: tables, constraints and indexes (schema app).
-- The database, not only the C code, enforces the invariants of DOMAIN.md:
-- one stay per bed at a time (exclusion), one active stay per resident (partial unique
-- + exclusion on the stay spans), one open movement per stay (partial unique).

CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE SCHEMA IF NOT EXISTS app;

-- Every mutable row: version +1 and updated_at on every change, whatever code path updates
-- it; an UPDATE that changes nothing (a PATCH of {} or of the values already there) is no
-- change.
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW IS NOT DISTINCT FROM OLD THEN
        RETURN NEW;
    END IF;
    NEW.version := OLD.version + 1;
    NEW.updated_at := now();
    RETURN NEW;
END $$;

CREATE TABLE app.houses (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    code        text NOT NULL CONSTRAINT houses_code_key UNIQUE,
    name        text NOT NULL,
    address     text,
    timezone    text NOT NULL DEFAULT 'Asia/Jakarta',
    curfew      time NOT NULL DEFAULT '22:00',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    version     int NOT NULL DEFAULT 1
);

CREATE TABLE app.users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    username      text NOT NULL CONSTRAINT users_username_key UNIQUE,
    password_hash text NOT NULL,
    role          text NOT NULL CONSTRAINT users_role_check CHECK (role IN ('admin','manager','caseworker','staff')),
    full_name     text NOT NULL DEFAULT '',
    house_ids     uuid[] NOT NULL DEFAULT '{}',     -- in the order given
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    version       int NOT NULL DEFAULT 1
);

CREATE TABLE app.sessions (
    token_hash  bytea PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES app.users ON DELETE CASCADE,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_user_idx ON app.sessions (user_id);

CREATE TABLE app.login_failures (
    username    text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_idx ON app.login_failures (username, at);

CREATE TABLE app.rooms (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    house_id    uuid NOT NULL REFERENCES app.houses,
    code        text NOT NULL,
    floor       int,
    sex         text NOT NULL CONSTRAINT rooms_sex_check CHECK (sex IN ('male','female','any')),
    notes       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    version     int NOT NULL DEFAULT 1,
    CONSTRAINT rooms_house_code_key UNIQUE (house_id, code)
);

CREATE TABLE app.beds (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    room_id       uuid NOT NULL REFERENCES app.rooms,
    house_id      uuid NOT NULL REFERENCES app.houses,   -- denormalised: scoping without a join
    label         text NOT NULL,
    status        text NOT NULL DEFAULT 'available'
                  CONSTRAINT beds_status_check CHECK (status IN ('available','out_of_service')),
    status_reason text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    version       int NOT NULL DEFAULT 1,
    CONSTRAINT beds_room_label_key UNIQUE (room_id, label)
);
CREATE INDEX beds_house_idx ON app.beds (house_id);

CREATE TABLE app.residents (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq                 bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    house_id            uuid NOT NULL REFERENCES app.houses,
    full_name           text NOT NULL,
    register_number     text NOT NULL CONSTRAINT residents_register_number_key UNIQUE,
    sex                 text NOT NULL CONSTRAINT residents_sex_check CHECK (sex IN ('male','female')),
    birth_date          date,
    national_id         text,
    legal_status        text NOT NULL CONSTRAINT residents_legal_status_check CHECK (legal_status IN
                        ('parole','conditional_leave','pre_release_leave','assimilation','probation','released')),
    supervision_ends_on date,
    caseworker_id       uuid REFERENCES app.users,
    phone               text,
    notes               text,
    emergency_contact   jsonb,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    version             int NOT NULL DEFAULT 1
);
CREATE INDEX residents_house_idx ON app.residents (house_id, seq);
CREATE INDEX residents_caseworker_idx ON app.residents (caseworker_id);
-- q: case-insensitive substring search of name or register number
CREATE INDEX residents_name_trgm ON app.residents USING gin (lower(full_name) gin_trgm_ops);
CREATE INDEX residents_regno_trgm ON app.residents USING gin (lower(register_number) gin_trgm_ops);

CREATE TABLE app.stays (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq              bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    house_id         uuid NOT NULL REFERENCES app.houses,
    resident_id      uuid NOT NULL REFERENCES app.residents,
    checked_in_at    timestamptz NOT NULL,
    checked_out_at   timestamptz,
    planned_exit_on  date,
    exit_reason      text CONSTRAINT stays_exit_reason_check CHECK (exit_reason IN
                     ('completed','transferred','absconded','revoked','voluntary','deceased','other')),
    destination      text CONSTRAINT stays_destination_check CHECK (destination IN
                     ('family','independent_rental','employer_housing','other_housing','shelter','prison','hospital','unknown')),
    notes            text,
    span             tstzrange GENERATED ALWAYS AS (tstzrange(checked_in_at, checked_out_at, '[)')) STORED,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    version          int NOT NULL DEFAULT 1,
    CONSTRAINT stays_out_after_in CHECK (checked_out_at IS NULL OR checked_out_at >= checked_in_at),
    -- one resident is never in two stays at one moment (also back-dated ones)
    CONSTRAINT stays_resident_no_overlap EXCLUDE USING gist (resident_id WITH =, span WITH &&)
);
-- one active stay per resident
CREATE UNIQUE INDEX stays_one_active_per_resident ON app.stays (resident_id) WHERE checked_out_at IS NULL;
CREATE INDEX stays_house_idx ON app.stays (house_id, seq);
-- census: the stays of a house overlapping a period, and the (rare) zero-length stays, whose
-- empty span overlaps nothing but which still count as a check-in and a check-out
CREATE INDEX stays_house_span_idx ON app.stays USING gist (house_id, span);
CREATE INDEX stays_house_empty_idx ON app.stays (house_id, checked_in_at) WHERE checked_out_at = checked_in_at;
-- A resident's stays: status and current stay come from the index alone. Not a plain btree
-- on resident_id: that one cost the same as the GiST exclusion index (resident_id, span) in
-- the planner's eyes, which then probed the (slower) GiST; this one wins.
CREATE INDEX stays_resident_cover_idx ON app.stays (resident_id) INCLUDE (checked_out_at, id);

-- The beds a stay held: [from_at, to_at), to_at NULL while held. Half-open, so a check-out
-- at T and the next check-in at T on one bed do not overlap.
CREATE TABLE app.bed_periods (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq          bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    stay_id      uuid NOT NULL REFERENCES app.stays,
    bed_id       uuid NOT NULL REFERENCES app.beds,
    house_id     uuid NOT NULL REFERENCES app.houses,
    from_at      timestamptz NOT NULL,
    to_at        timestamptz,
    during       tstzrange GENERATED ALWAYS AS (tstzrange(from_at, to_at, '[)')) STORED,
    CONSTRAINT bed_periods_to_after_from CHECK (to_at IS NULL OR to_at >= from_at),
    CONSTRAINT bed_periods_no_overlap EXCLUDE USING gist (bed_id WITH =, during WITH &&)
);
CREATE INDEX bed_periods_stay_idx ON app.bed_periods (stay_id, from_at);
CREATE INDEX bed_periods_open_idx ON app.bed_periods (bed_id) WHERE to_at IS NULL;

CREATE TABLE app.movements (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq               bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    stay_id           uuid NOT NULL REFERENCES app.stays,
    house_id          uuid NOT NULL REFERENCES app.houses,
    resident_id       uuid NOT NULL REFERENCES app.residents,
    purpose           text NOT NULL CONSTRAINT movements_purpose_check CHECK (purpose IN
                      ('work','training','family_visit','medical','reporting','religious','other')),
    destination       text,
    out_at            timestamptz NOT NULL DEFAULT now(),
    expected_back_at  timestamptz NOT NULL,
    returned_at       timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    version           int NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX movements_one_open_per_stay ON app.movements (stay_id) WHERE returned_at IS NULL;
CREATE INDEX movements_house_idx ON app.movements (house_id, seq);

CREATE TABLE app.rules (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    house_id    uuid NOT NULL REFERENCES app.houses,
    code        text NOT NULL,
    title       text NOT NULL,
    description text,
    severity    text NOT NULL CONSTRAINT rules_severity_check CHECK (severity IN ('minor','major','critical')),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    version     int NOT NULL DEFAULT 1,
    CONSTRAINT rules_house_code_key UNIQUE (house_id, code)
);

CREATE TABLE app.violations (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq          bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    stay_id      uuid NOT NULL REFERENCES app.stays,
    house_id     uuid NOT NULL REFERENCES app.houses,
    resident_id  uuid NOT NULL REFERENCES app.residents,
    rule_id      uuid NOT NULL REFERENCES app.rules,
    occurred_at  timestamptz NOT NULL,
    description  text NOT NULL,
    action_taken text,
    recorded_by  uuid REFERENCES app.users,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    version      int NOT NULL DEFAULT 1
);
CREATE INDEX violations_house_idx ON app.violations (house_id, occurred_at);
CREATE INDEX violations_resident_idx ON app.violations (resident_id);

CREATE TABLE app.exit_plans (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq              bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    stay_id          uuid NOT NULL REFERENCES app.stays CONSTRAINT exit_plans_stay_key UNIQUE,
    house_id         uuid NOT NULL REFERENCES app.houses,
    target_exit_on   date NOT NULL,
    destination_plan text NOT NULL CONSTRAINT exit_plans_destination_check CHECK (destination_plan IN
                     ('family','independent_rental','employer_housing','other_housing','shelter','prison','hospital','unknown')),
    summary          text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    version          int NOT NULL DEFAULT 1
);

CREATE TABLE app.goals (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    plan_id     uuid NOT NULL REFERENCES app.exit_plans,
    stay_id     uuid NOT NULL REFERENCES app.stays,
    house_id    uuid NOT NULL REFERENCES app.houses,
    domain      text NOT NULL CONSTRAINT goals_domain_check CHECK (domain IN ('housing','employment','business',
                'skills_training','education','family','health','documents','finance','legal','other')),
    title       text NOT NULL,
    due_on      date,
    status      text NOT NULL DEFAULT 'planned'
                CONSTRAINT goals_status_check CHECK (status IN ('planned','in_progress','achieved','dropped')),
    note        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    version     int NOT NULL DEFAULT 1
);
CREATE INDEX goals_plan_idx ON app.goals (plan_id, seq);

-- Audit trail: append-only hash chain. hash = sha256(prev_hash || canonical(row)).
CREATE TABLE app.audit_log (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    pos         bigint NOT NULL UNIQUE,
    at          timestamptz NOT NULL DEFAULT now(),
    user_id     uuid,
    action      text NOT NULL,
    entity      text NOT NULL,
    entity_id   uuid,
    house_id    uuid,
    request_id  text,
    before      jsonb,
    after       jsonb,
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL
);
CREATE INDEX audit_log_entity_idx ON app.audit_log (entity_id, pos);
CREATE INDEX audit_log_house_idx ON app.audit_log (house_id, pos);

-- The chain head: one row, locked FOR UPDATE by every append so positions never fork.
CREATE TABLE app.audit_head (
    one   boolean PRIMARY KEY DEFAULT true CHECK (one),
    pos   bigint NOT NULL,
    hash  bytea NOT NULL
);
INSERT INTO app.audit_head VALUES (true, 0, decode(repeat('00', 32), 'hex'));

CREATE TABLE app.idempotency_keys (
    user_id     uuid NOT NULL REFERENCES app.users ON DELETE CASCADE,
    key         text NOT NULL,
    fingerprint text NOT NULL,
    status      int,
    body        jsonb,
    etag        int,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

CREATE TABLE app.events (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    house_id  uuid,
    name      text NOT NULL,
    data      jsonb NOT NULL,
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_house_idx ON app.events (house_id, id);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['houses','users','rooms','beds','residents','stays','movements','rules',
                             'violations','exit_plans','goals'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON app.%I FOR EACH ROW EXECUTE FUNCTION app.touch()',
                       t || '_touch', t);
    END LOOP;
END $$;

-- The occupant of every occupied bed, derived from the open bed periods by the triggers
-- below and written by nothing else: what the bed board shows, so that a board of 2 000 beds
-- joins three small tables instead of looking 1 800 stays and residents up one by one.
-- (At most one open period per bed: bed_periods_no_overlap. No foreign keys: every row
-- comes from a bed period, which has them, and each would cost every check-in a lookup.)
CREATE TABLE app.bed_occupants (
    bed_id       uuid PRIMARY KEY,
    house_id     uuid NOT NULL,
    stay_id      uuid NOT NULL,
    resident_id  uuid NOT NULL,
    full_name    text NOT NULL,
    since        timestamptz NOT NULL
);
CREATE INDEX bed_occupants_house_idx ON app.bed_occupants (house_id);
CREATE INDEX bed_occupants_resident_idx ON app.bed_occupants (resident_id);

-- Bed periods inserted, updated or deleted: the occupant rows of what they were go, those of
-- what they are come if they are open. A statement trigger: one statement, one pass (a seed
-- of 200 000 bed periods included).
CREATE FUNCTION app.occupants_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM app.bed_occupants o USING before b WHERE o.bed_id = b.bed_id AND o.stay_id = b.stay_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO app.bed_occupants (bed_id, house_id, stay_id, resident_id, full_name, since)
        SELECT c.bed_id, c.house_id, c.stay_id, s.resident_id, r.full_name, c.from_at
          FROM changed c JOIN app.stays s ON s.id = c.stay_id JOIN app.residents r ON r.id = s.resident_id
         WHERE c.to_at IS NULL;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER bed_periods_occupants_insert AFTER INSERT ON app.bed_periods
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION app.occupants_follow();
CREATE TRIGGER bed_periods_occupants_update AFTER UPDATE ON app.bed_periods
    REFERENCING OLD TABLE AS before NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION app.occupants_follow();
CREATE TRIGGER bed_periods_occupants_delete AFTER DELETE ON app.bed_periods
    REFERENCING OLD TABLE AS before FOR EACH STATEMENT EXECUTE FUNCTION app.occupants_follow();

CREATE FUNCTION app.occupants_rename() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE app.bed_occupants SET full_name = NEW.full_name WHERE resident_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER residents_occupants AFTER UPDATE OF full_name ON app.residents FOR EACH ROW
    WHEN (OLD.full_name IS DISTINCT FROM NEW.full_name) EXECUTE FUNCTION app.occupants_rename();

-- The bed board's tag: a new random value whenever anything the board shows may have
-- changed (a bed, a room, an occupant), in the transaction of the change, whatever code
-- path makes it. A daemon keeps a rendered board with the tag it was rendered at, and the
-- request's own statement tells it whether that copy is still the house's board
-- (api.direct_beds_board): so a kept board is exact on every instance at once. Random, not
-- a counter: a database restored to an earlier point has that point's tags, which name that
-- point's boards, so no copy of a later board can match.
CREATE TABLE app.board_tags (
    house_id  uuid PRIMARY KEY REFERENCES app.houses,
    tag       uuid NOT NULL DEFAULT gen_random_uuid()
);

CREATE FUNCTION app.board_tag_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO app.board_tags (house_id) SELECT c.id FROM changed c;
    RETURN NULL;
END $$;
CREATE TRIGGER houses_board_tag AFTER INSERT ON app.houses
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION app.board_tag_new();

CREATE FUNCTION app.board_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE app.board_tags t SET tag = gen_random_uuid() WHERE t.house_id IN (SELECT c.house_id FROM changed c);
    RETURN NULL;
END $$;

DO $$
DECLARE t text; ev text;
BEGIN
    FOREACH t IN ARRAY ARRAY['rooms','beds','bed_occupants'] LOOP
        FOREACH ev IN ARRAY ARRAY['INSERT','UPDATE','DELETE'] LOOP
            EXECUTE format('CREATE TRIGGER %I AFTER %s ON app.%I REFERENCING %s TABLE AS changed '
                           'FOR EACH STATEMENT EXECUTE FUNCTION app.board_changed()',
                           t || '_board_' || lower(ev), ev, t, CASE ev WHEN 'DELETE' THEN 'OLD' ELSE 'NEW' END);
        END LOOP;
    END LOOP;
END $$;
