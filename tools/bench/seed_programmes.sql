-- Benchmark seed of the programme scenarios (issue 16, tools/bench/run), after seed.sql.
-- Set-based, straight into the tables (no api.run, no audit records); ids are
-- md5(kind || n)::uuid so the pgbench scripts can compute them.
--
--   the report's programmes pg0..pg49 of BENCH-01, running since 400 days ago, capacity 40,
--     kinds in turn; 40 enrolled residents each (2 000 enrolments, residents r50000..r51999);
--     10 held sessions each over the last year (ps<n>-0..9: 500 sessions) with the whole
--     sheet recorded: 500 x 40 = 20 000 attendance marks (70 % present, 10 % late, 10 %
--     excused, 10 % absent)
--   the attendance sheets: one more session per programme (ps<n>-10), begun an hour ago and
--     not yet recorded, whose roster is the programme's 40 (the first PUT holds it)
--   the enrolment race: programmes pg50..pg59, open, capacities 10, 40, 90, ... 1000
--     ((n - 49)^2 x 10: the small ones fill within a second, the large ones hardly)
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET synchronous_commit = off;

BEGIN;

CREATE TEMP TABLE pv AS SELECT (now() AT TIME ZONE 'Asia/Jakarta')::date AS today;

INSERT INTO app.programmes (id, house_id, kind, title, starts_on, capacity, planned_sessions, hours_required,
                            certificate, status)
SELECT md5('pg' || n)::uuid, md5('house-bench')::uuid,
       (ARRAY['skills_training', 'personality_development', 'independence_guidance', 'social_activity',
              'business_mentoring', 'religious', 'education', 'health', 'other'])[1 + n % 9],
       'Program ' || n, today - 400,
       CASE WHEN n < 50 THEN 40 ELSE (n - 49) * (n - 49) * 10 END, 12, 24, n % 2 = 0,
       CASE WHEN n < 50 THEN 'running' ELSE 'open' END
  FROM generate_series(0, 59) n, pv;

-- the seats_taken trigger counts them in (one row update each)
INSERT INTO app.enrolments (id, programme_id, house_id, resident_id, stage, enrolled_at, created_at, updated_at)
SELECT md5('en' || e)::uuid, md5('pg' || e / 40)::uuid, md5('house-bench')::uuid, md5('r' || (50000 + e))::uuid,
       'enrolled', (today - 400) + time '09:00', now(), now()
  FROM generate_series(0, 1999) e, pv;

INSERT INTO app.programme_sessions (id, programme_id, house_id, scheduled_at, duration_minutes, topic, status,
                                    attendance_version, attendance_recorded_at)
SELECT md5('ps' || n || '-' || k)::uuid, md5('pg' || n)::uuid, md5('house-bench')::uuid,
       CASE WHEN k < 10 THEN ((today - 360 + 36 * k + n % 30) + time '10:00') AT TIME ZONE 'Asia/Jakarta'
            ELSE now() - interval '1 hour' END,
       120, 'Pertemuan ' || (k + 1), CASE WHEN k < 10 THEN 'held' ELSE 'scheduled' END,
       CASE WHEN k < 10 THEN 1 ELSE 0 END,
       CASE WHEN k < 10 THEN ((today - 360 + 36 * k + n % 30) + time '12:00') AT TIME ZONE 'Asia/Jakarta' END
  FROM generate_series(0, 49) n, generate_series(0, 10) k, pv;

INSERT INTO app.attendance (session_id, programme_id, enrolment_id, status, hours)
SELECT md5('ps' || e / 40 || '-' || k)::uuid, md5('pg' || e / 40)::uuid, md5('en' || e)::uuid, x.status,
       CASE WHEN x.status IN ('present', 'late') THEN 2 ELSE 0 END
  FROM generate_series(0, 1999) e, generate_series(0, 9) k
 CROSS JOIN LATERAL (SELECT CASE WHEN h < 7 THEN 'present' WHEN h = 7 THEN 'late' WHEN h = 8 THEN 'excused'
                                 ELSE 'absent' END AS status
                       FROM (SELECT (hashtext(e || '-' || k) & 2147483647) % 10 AS h) y) x;

COMMIT;

-- statistics for the planner: the programme tables were empty when the daemon migrated
VACUUM (ANALYZE) app.programmes, app.enrolments, app.programme_sessions, app.attendance;
