-- abipraya: each enrolment's current run of absences (§16.6, the programme_consecutive_absences
-- alert of §16.10 and an enrolment's consecutive_absences), kept as the records change rather
-- than computed from every record at every read: the alerts of a house with 2 000 enrolments
-- and 20 000 records spent 25-35 ms on it. A run depends on the records and the sessions'
-- status and time only (not on the day), so it is recomputed by the writes that change those,
-- in their transaction.
-- A row per enrolment with records: n, its absent records on held sessions since its latest
-- present or late one (excused records neither count nor end it; 0: no run).
-- first_session_id: the run's first session (a new run, a new alert key); third_at: when it
-- reached 3. A run that ends is n = 0, not a deleted row: the runtime role deletes only from
-- the tables of §18.12's list.
CREATE TABLE app.absence_runs (
    enrolment_id     uuid PRIMARY KEY REFERENCES app.enrolments ON DELETE CASCADE,
    n                bigint NOT NULL CONSTRAINT absence_runs_n_check CHECK (n >= 0),
    first_session_id uuid,
    last_session_id  uuid,
    third_at         timestamptz,
    CONSTRAINT absence_runs_sessions CHECK ((n = 0) = (first_session_id IS NULL AND last_session_id IS NULL))
);

-- The runs of the enrolments IDS computed again. A lock of each enrolment's run is taken
-- first (in order: no deadlock between two writers) and the runs computed by the next
-- statements, each in a snapshot of its own taken after the lock (read committed): of two
-- transactions recording the same enrolments the later one waits, then sees the first one's
-- records, so the run it leaves holds both. The locks are advisory ones that nothing else
-- takes (a row lock of the enrolments would meet the withdrawals and promotions that lock
-- them before the audit head): a writer takes them before its audit record, so they never
-- wait in a cycle with the head.
CREATE FUNCTION app.absence_runs_follow(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(x.k)
       FROM (SELECT DISTINCT hashtextextended('absence_run:' || i::text, 0) AS k FROM unnest(ids) i ORDER BY 1) x;
    INSERT INTO app.absence_runs AS x (enrolment_id, n, first_session_id, last_session_id, third_at)
    WITH r AS MATERIALIZED (
        SELECT a.enrolment_id, a.status, s.id, s.scheduled_at, s.seq
          FROM app.attendance a
          JOIN app.programme_sessions s ON s.id = a.session_id AND s.status = 'held'
         WHERE a.enrolment_id = ANY (ids)),
    lp AS (
        SELECT r.enrolment_id, max(r.scheduled_at) FILTER (WHERE r.status IN ('present', 'late')) AS since
          FROM r GROUP BY r.enrolment_id),
    runs AS (
        SELECT r.enrolment_id, count(*) AS n, (array_agg(r.id ORDER BY r.scheduled_at, r.seq))[1] AS first_id,
               (array_agg(r.id ORDER BY r.scheduled_at DESC, r.seq DESC))[1] AS last_id,
               (array_agg(r.scheduled_at ORDER BY r.scheduled_at, r.seq))[3] AS third_at
          FROM r JOIN lp ON lp.enrolment_id = r.enrolment_id
         WHERE r.status = 'absent' AND r.scheduled_at > coalesce(lp.since, '-infinity')
         GROUP BY r.enrolment_id)
    SELECT e.id, coalesce(runs.n, 0), runs.first_id, runs.last_id, runs.third_at
      FROM app.enrolments e LEFT JOIN runs ON runs.enrolment_id = e.id
     WHERE e.id = ANY (ids)
        ON CONFLICT (enrolment_id) DO UPDATE
       SET n = EXCLUDED.n, first_session_id = EXCLUDED.first_session_id,
           last_session_id = EXCLUDED.last_session_id, third_at = EXCLUDED.third_at;
END $$;

-- A statement on the records: the enrolments of the rows it wrote or removed.
CREATE FUNCTION app.absence_runs_of_records() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM app.absence_runs_follow(ARRAY(SELECT DISTINCT n.enrolment_id FROM new_rows n));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM app.absence_runs_follow(ARRAY(SELECT DISTINCT o.enrolment_id FROM old_rows o));
    ELSE
        PERFORM app.absence_runs_follow(ARRAY(SELECT n.enrolment_id FROM new_rows n
                                              UNION SELECT o.enrolment_id FROM old_rows o));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER attendance_runs_insert AFTER INSERT ON app.attendance REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION app.absence_runs_of_records();
CREATE TRIGGER attendance_runs_update AFTER UPDATE ON app.attendance
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION app.absence_runs_of_records();
CREATE TRIGGER attendance_runs_delete AFTER DELETE ON app.attendance REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION app.absence_runs_of_records();

-- A session held, cancelled or moved in time: the enrolments with a record on it.
CREATE FUNCTION app.absence_runs_of_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM app.absence_runs_follow(ARRAY(SELECT a.enrolment_id FROM app.attendance a WHERE a.session_id = NEW.id));
    RETURN NULL;
END $$;
CREATE TRIGGER programme_sessions_runs AFTER UPDATE OF status, scheduled_at ON app.programme_sessions
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.scheduled_at IS DISTINCT FROM NEW.scheduled_at)
    EXECUTE FUNCTION app.absence_runs_of_session();

SELECT app.absence_runs_follow(ARRAY(SELECT DISTINCT a.enrolment_id FROM app.attendance a));
