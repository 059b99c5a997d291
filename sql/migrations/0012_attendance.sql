-- abipraya: the attendance sheet of a session (contract §16.6). What the database enforces:
-- a record names an enrolment of the session's own programme, at most once per session;
-- excused and absent carry no hours; hours are never negative. That hours stay within the
-- session's duration and that a sheet names its roster exactly once are decided by
-- api.op_attendance_put under the session row's lock (17_programmes.sql).

CREATE TABLE app.attendance (
    session_id   uuid NOT NULL,
    programme_id uuid NOT NULL,
    enrolment_id uuid NOT NULL,
    status       text NOT NULL CONSTRAINT attendance_status_check CHECK (status IN ('present','late','excused','absent')),
    hours        numeric(6,2) NOT NULL CONSTRAINT attendance_hours_check CHECK (hours >= 0),
    note         text,
    PRIMARY KEY (session_id, enrolment_id),
    CONSTRAINT attendance_session_fkey FOREIGN KEY (session_id, programme_id)
        REFERENCES app.programme_sessions (id, programme_id),
    CONSTRAINT attendance_enrolment_fkey FOREIGN KEY (enrolment_id, programme_id)
        REFERENCES app.enrolments (id, programme_id),
    CONSTRAINT attendance_absent_hours_check CHECK (status IN ('present','late') OR hours = 0)
);
CREATE INDEX attendance_enrolment_idx ON app.attendance (enrolment_id);

-- the sheet's last change: who and when (attendance_version counts the changes)
ALTER TABLE app.programme_sessions
    ADD COLUMN attendance_recorded_at timestamptz,
    ADD COLUMN attendance_recorded_by uuid REFERENCES app.users;
