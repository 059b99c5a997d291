-- abipraya: a bed's time (contract §17.4, §17.5, §17.13): stay bed periods, holds and
-- turnovers all claim it, and one exclusion over all three makes any overlap impossible,
-- whoever writes and on whichever instance. It replaces bed_periods_no_overlap.
--
-- app.bed_claims holds one row per claim (the claim's own id, its kind, its bed and its
-- half-open range), written by the triggers below and by nothing else: the exclusion lives
-- there because PostgreSQL's exclusion constraints span one table. Statement triggers, as
-- for app.bed_occupants: one statement, one pass (a seed of 200 000 bed periods included).

CREATE TABLE app.bed_claims (
    id      uuid PRIMARY KEY,          -- the bed period's, hold's or turnover's id
    kind    text NOT NULL CONSTRAINT bed_claims_kind_check CHECK (kind IN ('stay','hold','turnover')),
    bed_id  uuid NOT NULL,
    during  tstzrange NOT NULL,
    CONSTRAINT bed_claims_no_overlap EXCLUDE USING gist (bed_id WITH =, during WITH &&)
);

-- The claim follows its row: inserted with it, its range (a period closed, a hold cut short,
-- a turnover marked ready) and bed updated with it, deleted with it. TG_ARGV[0]: the kind.
-- Every claiming table has id, bed_id and a generated `during`.
CREATE FUNCTION app.claims_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO app.bed_claims (id, kind, bed_id, during) SELECT c.id, TG_ARGV[0], c.bed_id, c.during FROM changed c;
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE app.bed_claims x SET bed_id = c.bed_id, during = c.during
          FROM changed c WHERE x.id = c.id AND (x.bed_id, x.during) IS DISTINCT FROM (c.bed_id, c.during);
    ELSE
        DELETE FROM app.bed_claims x USING before b WHERE x.id = b.id;
    END IF;
    RETURN NULL;
END $$;

CREATE TABLE app.holds (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq            bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    house_id       uuid NOT NULL REFERENCES app.houses,
    bed_id         uuid NOT NULL REFERENCES app.beds,
    -- the person held; referrals (§17.3) add referral_id and widen holds_person_check to
    -- "referral_id or resident_id" (a referral's hold gets resident_id on acceptance)
    resident_id    uuid REFERENCES app.residents,
    from_at        timestamptz NOT NULL,
    until          timestamptz NOT NULL,
    -- where the hold's bed time ends: until, cut short when used or cancelled
    end_at         timestamptz NOT NULL,
    reason         text,
    status         text NOT NULL DEFAULT 'active' CONSTRAINT holds_status_check CHECK (status IN ('active','used','cancelled')),
    stay_id        uuid REFERENCES app.stays,
    used_at        timestamptz,
    cancelled_at   timestamptz,
    cancelled_by   uuid REFERENCES app.users,
    cancel_reason  text,
    created_by     uuid NOT NULL REFERENCES app.users,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    version        int NOT NULL DEFAULT 1,
    during         tstzrange GENERATED ALWAYS AS (tstzrange(from_at, end_at, '[)')) STORED,
    -- the person's time with this hold: from its creation to its end (until while active,
    -- the moment it was used or cancelled after)
    person_during  tstzrange GENERATED ALWAYS AS (tstzrange(created_at, greatest(created_at,
                       CASE WHEN status = 'active' THEN until ELSE coalesce(used_at, cancelled_at, created_at) END), '[)')) STORED,
    CONSTRAINT holds_person_check CHECK (resident_id IS NOT NULL),
    CONSTRAINT holds_until_after_from CHECK (until > from_at),
    CONSTRAINT holds_end_in_range CHECK (end_at >= from_at AND end_at <= until),
    CONSTRAINT holds_used_stay CHECK (status <> 'used' OR (stay_id IS NOT NULL AND used_at IS NOT NULL)),
    CONSTRAINT holds_cancelled_when CHECK (status <> 'cancelled' OR cancelled_at IS NOT NULL),
    -- one active, unexpired hold per person, on any bed
    CONSTRAINT holds_one_per_resident EXCLUDE USING gist (resident_id WITH =, person_during WITH &&)
);
CREATE INDEX holds_house_idx ON app.holds (house_id, seq);
CREATE INDEX holds_bed_idx ON app.holds (bed_id, seq);
CREATE INDEX holds_resident_idx ON app.holds (resident_id) WHERE status = 'active';
-- the bed board: a house's active holds not expired (expired ones stay 'active' forever,
-- so the range on until keeps them out)
CREATE INDEX holds_board_idx ON app.holds (house_id, until) WHERE status = 'active';

CREATE TABLE app.turnovers (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    house_id    uuid NOT NULL REFERENCES app.houses,
    bed_id      uuid NOT NULL REFERENCES app.beds,
    stay_id     uuid NOT NULL REFERENCES app.stays,
    from_at     timestamptz NOT NULL,
    until       timestamptz NOT NULL,       -- the planned end
    ready_at    timestamptz,
    ready_by    uuid REFERENCES app.users,
    note        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    version     int NOT NULL DEFAULT 1,
    during      tstzrange GENERATED ALWAYS AS (tstzrange(from_at, coalesce(ready_at, until), '[)')) STORED,
    CONSTRAINT turnovers_until_after_from CHECK (until > from_at),
    CONSTRAINT turnovers_ready_in_range CHECK (ready_at IS NULL OR (ready_at >= from_at AND ready_at <= until))
);
CREATE INDEX turnovers_bed_idx ON app.turnovers (bed_id, from_at);
-- the bed board: a house's turnovers not marked ready, by end and by start (its tag, below)
CREATE INDEX turnovers_board_idx ON app.turnovers (house_id, until) WHERE ready_at IS NULL;
CREATE INDEX turnovers_board_from_idx ON app.turnovers (house_id, from_at) WHERE ready_at IS NULL;

-- the claims of what is there: every bed period (closed ones too: a back-dated check-in
-- must not overlap an earlier stay), then the old exclusion goes
INSERT INTO app.bed_claims (id, kind, bed_id, during) SELECT p.id, 'stay', p.bed_id, p.during FROM app.bed_periods p;
ALTER TABLE app.bed_periods DROP CONSTRAINT bed_periods_no_overlap;

DO $$
DECLARE t text; kind text; ev text;
BEGIN
    FOREACH t IN ARRAY ARRAY['bed_periods','holds','turnovers'] LOOP
        kind := CASE t WHEN 'bed_periods' THEN 'stay' WHEN 'holds' THEN 'hold' ELSE 'turnover' END;
        FOREACH ev IN ARRAY ARRAY['INSERT','UPDATE','DELETE'] LOOP
            EXECUTE format('CREATE TRIGGER %I AFTER %s ON app.%I REFERENCING %s TABLE AS %s '
                           'FOR EACH STATEMENT EXECUTE FUNCTION app.claims_follow(%L)',
                           t || '_claims_' || lower(ev), ev, t, CASE ev WHEN 'DELETE' THEN 'OLD' ELSE 'NEW' END,
                           CASE ev WHEN 'DELETE' THEN 'before' ELSE 'changed' END, kind);
        END LOOP;
    END LOOP;
    -- holds and turnovers show on the bed board: a change of one is a new board (0001's tag)
    FOREACH t IN ARRAY ARRAY['holds','turnovers'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON app.%I FOR EACH ROW EXECUTE FUNCTION app.touch()',
                       t || '_touch', t);
        FOREACH ev IN ARRAY ARRAY['INSERT','UPDATE','DELETE'] LOOP
            EXECUTE format('CREATE TRIGGER %I AFTER %s ON app.%I REFERENCING %s TABLE AS changed '
                           'FOR EACH STATEMENT EXECUTE FUNCTION app.board_changed()',
                           t || '_board_' || lower(ev), ev, t, CASE ev WHEN 'DELETE' THEN 'OLD' ELSE 'NEW' END);
        END LOOP;
    END LOOP;
END $$;

-- Under a race the exclusion is the last word: api.map_error names the kind of claim that
-- is there (bed_occupied, bed_held, bed_turnover, in that order); this row is its fallback.
UPDATE api.constraint_problems SET constraint_name = 'bed_claims_no_overlap'
 WHERE constraint_name = 'bed_periods_no_overlap';
INSERT INTO api.constraint_problems VALUES
    ('holds_one_per_resident',    409, 'already_held', 'resident_id', 'the person already holds a bed'),
    ('holds_status_check',        422, 'validation_failed', 'status', 'unknown status'),
    ('holds_until_after_from',    422, 'validation_failed', 'until', 'must be after from'),
    ('turnovers_ready_in_range',  422, 'validation_failed', 'at', 'outside the turnover');

-- The board shows a held person's name: renaming one is a new board (as for occupants, 0001).
CREATE FUNCTION app.holds_rename() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE app.board_tags t SET tag = gen_random_uuid()
     WHERE t.house_id IN (SELECT h.house_id FROM app.holds h WHERE h.resident_id = NEW.id AND h.status = 'active');
    RETURN NULL;
END $$;
CREATE TRIGGER residents_holds AFTER UPDATE OF full_name ON app.residents FOR EACH ROW
    WHEN (OLD.full_name IS DISTINCT FROM NEW.full_name) EXECUTE FUNCTION app.holds_rename();

-- 07_stays.sql now asks api.check_bed_time (21_bed_time.sql), which knows every kind of claim
DROP FUNCTION IF EXISTS api.check_bed_free(app.beds, timestamptz);
