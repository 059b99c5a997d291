-- abipraya: what retention's anonymisation (contract §18.7) needs of the schema: a way for the
-- anonymising transaction, and it only, past the append-only and immutability triggers that
-- guard a resident's objects (consents, business stage history, closed roll-call lines), and
-- indexes so that clearing one resident's objects is index lookups only.

-- True inside the anonymisation of that resident: api.anonymise (sql/api/30_retention.sql)
-- sets abipraya.anonymise to the resident's id for its transaction only (set_config(..., true)),
-- and it counts only for a member of the schema's owner (the role retention connects as when
-- database.owner_url is set, §18.12), never for the runtime role of serve.
CREATE FUNCTION app.anonymising(resident_id uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('abipraya.anonymise', true) = resident_id::text, false)
       AND pg_has_role(current_user, (SELECT n.nspowner FROM pg_namespace n WHERE n.nspname = 'app'), 'MEMBER')
$$;

CREATE FUNCTION app.anonymising_business(business_id uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT app.anonymising((SELECT b.resident_id FROM app.businesses b WHERE b.id = business_id))
$$;

-- The triggers that refuse changes let that one transaction through (their functions unchanged):
-- a consent's free text (purposes, scopes and dates stay), the notes of the business stage
-- history, the notes of closed roll-call lines (§17.12).
DROP TRIGGER consents_immutable ON app.consents;
CREATE TRIGGER consents_immutable BEFORE UPDATE ON app.consents FOR EACH ROW
    WHEN (NOT app.anonymising(OLD.resident_id)) EXECUTE FUNCTION app.consents_immutable();
DROP TRIGGER business_stages_append_only ON app.business_stages;
CREATE TRIGGER business_stages_append_only BEFORE DELETE ON app.business_stages
    FOR EACH ROW EXECUTE FUNCTION app.business_stages_append_only();
CREATE TRIGGER business_stages_append_only_update BEFORE UPDATE ON app.business_stages FOR EACH ROW
    WHEN (NEW.note IS NOT NULL OR NOT app.anonymising_business(OLD.business_id))
    EXECUTE FUNCTION app.business_stages_append_only();
DROP TRIGGER roll_call_lines_open_only ON app.roll_call_lines;
CREATE TRIGGER roll_call_lines_open_only BEFORE INSERT OR DELETE ON app.roll_call_lines
    FOR EACH ROW EXECUTE FUNCTION app.roll_call_lines_open_only();
CREATE TRIGGER roll_call_lines_open_only_update BEFORE UPDATE ON app.roll_call_lines FOR EACH ROW
    WHEN (NOT app.anonymising(OLD.resident_id)) EXECUTE FUNCTION app.roll_call_lines_open_only();

-- one resident's objects by index (the existing ones are partial or lead with another column)
CREATE INDEX movements_resident_idx ON app.movements (resident_id);
CREATE INDEX reporting_records_resident_all_idx ON app.reporting_records (resident_id);
CREATE INDEX referrals_resident_idx ON app.referrals (resident_id) WHERE resident_id IS NOT NULL;
CREATE INDEX holds_resident_all_idx ON app.holds (resident_id) WHERE resident_id IS NOT NULL;
CREATE INDEX roll_call_lines_resident_idx ON app.roll_call_lines (resident_id);
CREATE INDEX alert_acknowledgements_resident_idx ON app.alert_acknowledgements (resident_id) WHERE resident_id IS NOT NULL;
