-- abipraya: the board shows a pending referral's name on the bed it holds (§17.4), and keeps
-- its answer until the house's tag changes: renaming such a referral is a new board, as
-- renaming a held resident is (0020). One function for both: ids are unique across tables.
CREATE OR REPLACE FUNCTION app.holds_rename() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE app.board_tags t SET tag = gen_random_uuid()
     WHERE t.house_id IN (SELECT h.house_id FROM app.holds h
                           WHERE (h.resident_id = NEW.id OR h.referral_id = NEW.id) AND h.status = 'active');
    RETURN NULL;
END $$;
CREATE TRIGGER referrals_holds AFTER UPDATE OF full_name ON app.referrals FOR EACH ROW
    WHEN (OLD.full_name IS DISTINCT FROM NEW.full_name) EXECUTE FUNCTION app.holds_rename();
