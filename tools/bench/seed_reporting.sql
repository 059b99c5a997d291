-- Benchmark seed of the supervision scenarios (issue 15, tools/bench/run), after seed.sql and
-- after the benchmark's users exist: psql -v cw=<caseworker user id> -f seed_reporting.sql.
-- Set-based, straight into the tables (no api.run, no audit records).
--
--   2 000 supervised residents of BENCH-01: the 1 800 in residence and, for each bed 9, one
--     resident who has left (bench.supervised, n = 0..1999 in resident order): each with a
--     current basis (pembebasan_bersyarat, cuti_bersyarat or asimilasi, started 13 months
--     ago, ending 1 to 2 years from today) and a schedule that began 12 months ago: 60 %
--     monthly on day 1..31, 25 % every 7 days, 15 % every 14 days; the reports of 12 months,
--     one per period, on the due date or up to 3 days before, except: 1 in 10 residents
--     missed the last closed period, 1 in 20 the last two (so some alerts of every kind)
--   the calendar's resident (n = 0): every 7 days for 5 years (~260 periods), a report each
--   the caseload: 60 of them (n % 33 = 0, n < 1980) have the caseworker :cw
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET synchronous_commit = off;

BEGIN;

CREATE TABLE bench.supervised (
    n            int PRIMARY KEY,
    resident_id  uuid NOT NULL UNIQUE
);
INSERT INTO bench.supervised
SELECT (row_number() OVER (ORDER BY b) - 1)::int,
       md5('r' || (b + 2000 * CASE WHEN b % 10 < 9 THEN (7 * b) % 50 ELSE (7 * b + 25) % 50 END))::uuid
  FROM generate_series(0, 1999) b;

CREATE TEMP TABLE sv AS
SELECT s.n, s.resident_id, (now() AT TIME ZONE 'Asia/Jakarta')::date AS today,
       (ARRAY['pembebasan_bersyarat', 'cuti_bersyarat', 'asimilasi'])[1 + s.n % 3] AS type,
       CASE WHEN s.n = 0 THEN 1830 ELSE 365 END AS age
  FROM bench.supervised s;

INSERT INTO app.legal_bases (id, resident_id, house_id, type, decree_number, decree_date, issuing_authority,
                             starts_on, supervision_ends_on, caseworker_id)
SELECT md5('lb' || n)::uuid, resident_id, md5('house-bench')::uuid, type, 'PAS-' || n || '/PK.01.05', today - age - 40,
       'Direktorat Jenderal Pemasyarakatan', today - age - 30, today + 365 + (n * 7) % 365,
       CASE WHEN n % 33 = 0 AND n < 1980 THEN :'cw'::uuid END
  FROM sv;
UPDATE app.residents r SET legal_status = api.basis_legal_status(b.type), supervision_ends_on = b.supervision_ends_on,
       caseworker_id = b.caseworker_id
  FROM app.legal_bases b WHERE b.resident_id = r.id AND b.id IN (SELECT md5('lb' || n)::uuid FROM sv);

INSERT INTO app.reporting_schedules (id, resident_id, house_id, frequency, day_of_month, interval_days, starts_on,
                                     grace_days, remote_allowed)
SELECT md5('rs' || n)::uuid, resident_id, md5('house-bench')::uuid,
       CASE WHEN n = 0 OR n % 20 >= 12 THEN 'interval' ELSE 'monthly' END,
       CASE WHEN n <> 0 AND n % 20 < 12 THEN 1 + n % 31 END,
       CASE WHEN n = 0 OR n % 20 BETWEEN 12 AND 16 THEN 7 WHEN n % 20 >= 17 THEN 14 END,
       today - age, 3, n % 4 = 0
  FROM sv;
INSERT INTO app.reporting_schedule_versions (schedule_id, version, frequency, day_of_month, interval_days, starts_on,
                                             grace_days, remote_allowed, set_at)
SELECT s.id, 1, s.frequency, s.day_of_month, s.interval_days, s.starts_on, s.grace_days, s.remote_allowed,
       now() - interval '13 months'
  FROM app.reporting_schedules s WHERE s.house_id = md5('house-bench')::uuid;

-- one report per closed period (and for some an early one in the open period), computed by
-- the daemon's own function; the misses are the last one or two closed periods
INSERT INTO app.reporting_records (resident_id, house_id, reported_at, method, remote_reason, location)
SELECT p.resident_id, md5('house-bench')::uuid,
       ((greatest(p.opens_on, p.due_on - (x.h % 4)::int) + time '09:00' + make_interval(mins => (x.h % 420)::int))
           AT TIME ZONE 'Asia/Jakarta'),
       CASE WHEN x.h % 10 = 0 THEN 'video_call' ELSE 'in_person' END,
       CASE WHEN x.h % 10 = 0 THEN 'Sakit, izin kepala Bapas' END, 'Bapas Kelas I Jambi'
  FROM (SELECT p.*, row_number() OVER (PARTITION BY p.resident_id ORDER BY p.due_on DESC) AS back
          FROM api.reporting_periods(ARRAY(SELECT resident_id FROM bench.supervised)) p
         WHERE p.closes_on < (now() AT TIME ZONE 'Asia/Jakarta')::date) p
  JOIN bench.supervised s ON s.resident_id = p.resident_id
 CROSS JOIN LATERAL (SELECT (hashtext(p.resident_id::text || p.due_on)::bigint & 2147483647) AS h) x
 WHERE NOT (s.n % 10 = 3 AND p.back = 1) AND NOT (s.n % 20 = 7 AND p.back <= 2)
 ORDER BY 3;

COMMIT;

-- statistics for the planner: the supervision tables were empty when the daemon migrated
VACUUM (ANALYZE) app.residents, app.legal_bases, app.reporting_schedules, app.reporting_schedule_versions,
                 app.reporting_records, app.reporting_excuses, bench.supervised;
