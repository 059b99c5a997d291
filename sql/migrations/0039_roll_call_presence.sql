-- abipraya: when each stay was last marked present at a closed roll-call (§17.7's
-- roll_call_absent: the absences after it are the run). Kept as roll-calls close, so that the
-- alert reads the absent lines and one row per stay, not every later present line of each
-- (an anti-join of 13-28 ms for the 471 absent lines of the bench's 30 roll-calls). A closed
-- roll-call never changes (§17.13), so the time only moves forward: greatest() makes the
-- writers' order irrelevant.
CREATE TABLE app.roll_call_presence (
    stay_id         uuid PRIMARY KEY REFERENCES app.stays ON DELETE CASCADE,
    last_present_at timestamptz NOT NULL
);

-- Stays marked present at those instants (pairwise).
CREATE FUNCTION app.roll_call_presence_add(stay_ids uuid[], ats timestamptz[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO app.roll_call_presence AS p (stay_id, last_present_at)
    SELECT x.stay_id, max(x.at) FROM unnest(stay_ids, ats) AS x(stay_id, at) GROUP BY x.stay_id
        ON CONFLICT (stay_id) DO UPDATE SET last_present_at = greatest(p.last_present_at, EXCLUDED.last_present_at)
$$;

-- A roll-call closed: its present lines.
CREATE FUNCTION app.roll_call_presence_closed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM app.roll_call_presence_add(array_agg(l.stay_id), array_agg(NEW.at))
       FROM app.roll_call_lines l WHERE l.roll_call_id = NEW.id AND l.status = 'present';
    RETURN NULL;
END $$;
CREATE TRIGGER roll_calls_presence AFTER UPDATE OF status ON app.roll_calls
    FOR EACH ROW WHEN (NEW.status = 'closed' AND OLD.status IS DISTINCT FROM 'closed')
    EXECUTE FUNCTION app.roll_call_presence_closed();

-- Lines written into a roll-call that is closed already (only a writer that set aside
-- roll_call_lines_open_only can, as the benchmark's seed does): theirs too.
CREATE FUNCTION app.roll_call_presence_lines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM app.roll_call_presence_add(array_agg(n.stay_id), array_agg(c.at))
       FROM new_rows n JOIN app.roll_calls c ON c.id = n.roll_call_id
      WHERE c.status = 'closed' AND n.status = 'present';
    RETURN NULL;
END $$;
CREATE TRIGGER roll_call_lines_presence AFTER INSERT ON app.roll_call_lines REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION app.roll_call_presence_lines();

SELECT app.roll_call_presence_add(array_agg(l.stay_id), array_agg(c.at))
  FROM app.roll_call_lines l JOIN app.roll_calls c ON c.id = l.roll_call_id
 WHERE c.status = 'closed' AND l.status = 'present';
