-- abipraya: opening a roll-call writes every line of the house in one INSERT (1 720 in the
-- benchmark's house). Its four foreign keys (roll-call, resident, stay, bed) were four
-- row-by-row lookups a line, ~70 of the open's ~180 ms. They are one check per statement
-- now, over all its lines at once, with the open-only check that already read each line's
-- roll-call. What a foreign key gave besides, and how it holds without one:
-- - the row named exists when the line is written: checked here, for every line;
-- - it is not deleted while a line names it: no role of the daemon deletes a roll-call, a
--   resident, a stay or a bed (the runtime role has no DELETE on them, 90_privileges.sql), and
--   roll-calls refuse DELETE outright (below);
-- - a line's references never change: a trigger refuses an UPDATE of them (marks change the
--   status, note, marker and time only).
-- The movement and marker keys stay foreign keys: they are null in nearly every new line,
-- which costs a foreign key nothing but its call.

ALTER TABLE app.roll_call_lines
    DROP CONSTRAINT roll_call_lines_roll_call_id_fkey,
    DROP CONSTRAINT roll_call_lines_resident_id_fkey,
    DROP CONSTRAINT roll_call_lines_stay_id_fkey,
    DROP CONSTRAINT roll_call_lines_bed_id_fkey;

-- The new lines of one INSERT: each roll-call open (409 roll_call_closed, as before), each
-- line's stay that of its resident, each bed there (23503, as a foreign key would fail).
CREATE FUNCTION app.roll_call_lines_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    PERFORM app.roll_calls_open_only(ARRAY(SELECT DISTINCT n.roll_call_id FROM new_rows n));
    SELECT n.roll_call_id, n.resident_id INTO bad
      FROM new_rows n
      LEFT JOIN app.stays s ON s.id = n.stay_id AND s.resident_id = n.resident_id
      LEFT JOIN app.beds b ON b.id = n.bed_id
     WHERE s.id IS NULL OR b.id IS NULL
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'a roll-call line names a stay, resident or bed that does not exist'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'roll_call_lines_references',
                  DETAIL = format('roll-call %s, resident %s', bad.roll_call_id, bad.resident_id);
    END IF;
    RETURN NULL;
END $$;

-- (the INSERT's trigger keeps its name: what sets the check aside for a seed names it)
DROP TRIGGER roll_call_lines_open_only ON app.roll_call_lines;
CREATE TRIGGER roll_call_lines_open_only AFTER INSERT ON app.roll_call_lines REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION app.roll_call_lines_inserted();
DROP FUNCTION app.roll_call_lines_open_only_inserted();

-- Refuses the change its trigger is for; the trigger names it (its argument).
CREATE FUNCTION app.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'app.%: % refused', TG_TABLE_NAME, TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE TRIGGER roll_call_lines_keys BEFORE UPDATE ON app.roll_call_lines FOR EACH ROW
    WHEN ((NEW.roll_call_id, NEW.resident_id, NEW.stay_id, NEW.bed_id)
          IS DISTINCT FROM (OLD.roll_call_id, OLD.resident_id, OLD.stay_id, OLD.bed_id))
    EXECUTE FUNCTION app.refuse_change('changing the roll-call, resident, stay or bed of a line');
CREATE TRIGGER roll_calls_no_delete BEFORE DELETE ON app.roll_calls FOR EACH ROW
    EXECUTE FUNCTION app.refuse_change('deleting a roll-call (cancel it)');

-- An audit record can be large (a roll-call's opening holds its lines: 0.7 MB of JSON for the
-- benchmark's 1 720): lz4 stores it ~10 ms faster than pglz, the default (measured on that
-- record), at a like size (255 against 267 kB).
ALTER TABLE app.audit_log ALTER COLUMN before SET COMPRESSION lz4, ALTER COLUMN after SET COMPRESSION lz4;
