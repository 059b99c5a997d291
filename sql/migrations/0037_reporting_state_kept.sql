-- abipraya: the kept reporting state (§15.3, issue 15's alerts of a 2 000-bed house). A
-- resident's reporting state is a function of what it is computed from (the current basis,
-- the schedule and its versions, the reports, the excuses, the resident's and the houses'
-- zones) and of the house's today, and between two status changes of its periods it does not
-- change with the day. api.reporting_state keeps the last one it computed here with the
-- revision of those inputs it was computed from and the instant until which it holds, and
-- computes again only what is stale: every change of an input bumps `rev` in the same
-- transaction (the triggers below), so a kept state whose state_rev is not the resident's rev
-- is never answered, on any instance.
CREATE TABLE app.reporting_state_kept (
    resident_id              uuid PRIMARY KEY REFERENCES app.residents ON DELETE CASCADE,
    rev                      bigint NOT NULL DEFAULT 0,
    state_rev                bigint,        -- the rev the state below was computed at (null: none)
    valid_until              timestamptz,   -- the first instant at which it may change by time alone
    house_id                 uuid,
    under_supervision        boolean,
    duty_ends_on             date,
    schedule_version         int,
    next_due_on              date,
    consecutive_misses       int,
    revocation_risk          boolean,
    due_opens_on             date,
    due_due_on               date,
    due_closes_on            date,
    missed_due_on            date,
    missed_closes_on         date,
    next_undecided_closes_on date,
    due_periods              date[]
) WITH (fillfactor = 70);  -- room on each page: a state kept anew is a HOT update, no new index entry
INSERT INTO app.reporting_state_kept (resident_id) SELECT r.id FROM app.residents r;

-- Every resident has its row from its first day, so that a change of an input always finds
-- one to bump: a state computed before that change (in an older snapshot) and written after
-- it carries the older rev and is never answered.
CREATE FUNCTION app.reporting_state_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO app.reporting_state_kept (resident_id) VALUES (NEW.id);
    RETURN NULL;
END $$;
CREATE TRIGGER residents_reporting_state AFTER INSERT ON app.residents
    FOR EACH ROW EXECUTE FUNCTION app.reporting_state_row();

-- A changed input: the residents it belongs to (a resident's row, or a row with resident_id,
-- or a schedule's version) get a new rev.
CREATE FUNCTION app.reporting_state_touch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids uuid[];
BEGIN
    IF TG_TABLE_NAME = 'residents' THEN
        ids := ARRAY[NEW.id];
    ELSIF TG_TABLE_NAME = 'reporting_schedule_versions' THEN
        ids := ARRAY(SELECT s.resident_id FROM app.reporting_schedules s
                      WHERE s.id IN (CASE WHEN TG_OP <> 'DELETE' THEN NEW.schedule_id END,
                                     CASE WHEN TG_OP <> 'INSERT' THEN OLD.schedule_id END));
    ELSE
        ids := ARRAY[CASE WHEN TG_OP <> 'DELETE' THEN (to_jsonb(NEW)->>'resident_id')::uuid END,
                     CASE WHEN TG_OP <> 'INSERT' THEN (to_jsonb(OLD)->>'resident_id')::uuid END];
    END IF;
    UPDATE app.reporting_state_kept k SET rev = k.rev + 1 WHERE k.resident_id = ANY (ids);
    RETURN NULL;
END $$;
CREATE TRIGGER legal_bases_reporting_state AFTER INSERT OR UPDATE OR DELETE ON app.legal_bases
    FOR EACH ROW EXECUTE FUNCTION app.reporting_state_touch();
CREATE TRIGGER reporting_schedules_reporting_state AFTER INSERT OR UPDATE OR DELETE ON app.reporting_schedules
    FOR EACH ROW EXECUTE FUNCTION app.reporting_state_touch();
CREATE TRIGGER reporting_schedule_versions_reporting_state
    AFTER INSERT OR UPDATE OR DELETE ON app.reporting_schedule_versions
    FOR EACH ROW EXECUTE FUNCTION app.reporting_state_touch();
CREATE TRIGGER reporting_records_reporting_state AFTER INSERT OR UPDATE OR DELETE ON app.reporting_records
    FOR EACH ROW EXECUTE FUNCTION app.reporting_state_touch();
CREATE TRIGGER reporting_excuses_reporting_state AFTER INSERT OR UPDATE OR DELETE ON app.reporting_excuses
    FOR EACH ROW EXECUTE FUNCTION app.reporting_state_touch();
CREATE TRIGGER residents_house_reporting_state AFTER UPDATE OF house_id ON app.residents
    FOR EACH ROW WHEN (OLD.house_id IS DISTINCT FROM NEW.house_id)
    EXECUTE FUNCTION app.reporting_state_touch();

-- A house's zone dates every report and period made there, of residents now anywhere: all
-- rows (a zone changes once in a house's life, if ever).
CREATE FUNCTION app.reporting_state_zone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE app.reporting_state_kept k SET rev = k.rev + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER houses_reporting_state AFTER UPDATE OF timezone ON app.houses
    FOR EACH ROW WHEN (OLD.timezone IS DISTINCT FROM NEW.timezone)
    EXECUTE FUNCTION app.reporting_state_zone();
