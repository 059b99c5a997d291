-- Benchmark seed of the house-operations scenarios (issue 17, tools/bench/run), after seed.sql,
-- seed_reporting.sql and seed_programmes.sql, once the benchmark's users exist:
-- psql -v staff=<staff user id> -f seed_house_ops.sql. Set-based, straight into the tables
-- (no api.run, no audit records); ids are md5(kind || n)::uuid.
--
-- Holds and turnovers need free bed time, and the 180 free beds (bed 9 of the rooms) belong
-- to the check-in/check-out pairs (bench.pairs): so 80 of the 1 800 active stays, on bed 8
-- of rooms 20..99 and 110..189 without an open sign-out (the even rooms first, so both
-- sexes), are checked out, and their beds carry the new states:
--   30 turnovers: stays checked out 10 to 125 minutes ago, turnover until 4 hours after the
--     check-out (BENCH-01 keeps turnover_minutes 0: a check-out of the pairs scenarios must not
--     leave a turnover in the way of its next check-in)
--   50 active holds, on the beds of stays checked out 1 to 3 days ago: 20 for pending
--     referrals, 30 for residents without an active stay; 10 began an hour ago (tonight's
--     arrivals), the others 1 to 14 days ahead, each for 3 days
--   40 referrals: the 20 held, 10 pending without a hold (arriving in 5 to 50 days), 5
--     accepted (linked to a resident), 5 declined
--   300 exit plans of active stays (targets 1 to 120 days ahead) for the forecast
--   400 handover notes over the last 20 days (20 a day), the last day's within tonight's window
--   30 closed evening roll-calls (rc1 yesterday .. rc30), 21:00 house time, every stay active
--     then on its line: 97 % present, 2 % out, 1 % absent (the roll_call_absent alerts)
-- In residence after this: 1 720.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET synchronous_commit = off;

BEGIN;

-- the 80 beds: b = 10 r + 8; turnover beds first (x.k 0..29), then the holds' (30..79)
CREATE TEMP TABLE ob AS
SELECT (row_number() OVER (ORDER BY (b / 10) % 2, b) - 1)::int AS k, b, 200000 + b AS i, md5('bed' || b)::uuid AS bed_id,
       md5('s' || (200000 + b))::uuid AS stay_id
  FROM generate_series(0, 1999) b
 WHERE b % 10 = 8 AND (b / 10 BETWEEN 20 AND 99 OR b / 10 BETWEEN 110 AND 189)
   AND NOT EXISTS (SELECT 1 FROM app.movements m WHERE m.stay_id = md5('s' || (200000 + b))::uuid AND m.returned_at IS NULL)
 ORDER BY (b / 10) % 2, b LIMIT 80;
ALTER TABLE ob ADD COLUMN out_at timestamptz;
UPDATE ob SET out_at = CASE WHEN k < 30 THEN now() - make_interval(mins => 10 + k * 4)
                            ELSE now() - make_interval(hours => 24 + (k - 30)) END;

UPDATE app.bed_periods p SET to_at = ob.out_at FROM ob WHERE p.stay_id = ob.stay_id AND p.to_at IS NULL;
UPDATE app.stays s SET checked_out_at = ob.out_at, exit_reason = 'completed', destination = 'family',
                       updated_at = ob.out_at, version = s.version + 1
  FROM ob WHERE s.id = ob.stay_id;

INSERT INTO app.turnovers (id, house_id, bed_id, stay_id, from_at, until, created_at, updated_at)
SELECT md5('to' || k)::uuid, md5('house-bench')::uuid, bed_id, stay_id, out_at, out_at + interval '4 hours', out_at, out_at
  FROM ob WHERE k < 30;

-- referrals f0..f39: 0..19 pending and held, 20..29 pending, 30..34 accepted, 35..39 declined;
-- sex of the bed's room for the held ones (a hold checks it at creation)
INSERT INTO app.referrals (id, house_id, full_name, register_number, sex, birth_date, from_institution, institution_kind,
                           litmas_number, expected_legal_basis, expected_supervision_ends_on, expected_arrival_on,
                           status, status_reason, decided_at, decided_by, resident_id, created_at, updated_at)
SELECT md5('f' || n)::uuid, md5('house-bench')::uuid, 'Rujukan ' || n || ' Saputra', 'REF/2026/' || lpad(n::text, 4, '0'),
       CASE WHEN n < 20 THEN (SELECT CASE WHEN rm.sex = 'female' THEN 'female' ELSE 'male' END
                                FROM ob JOIN app.beds b ON b.id = ob.bed_id JOIN app.rooms rm ON rm.id = b.room_id
                               WHERE ob.k = 30 + n)
            WHEN n % 2 = 0 THEN 'male' ELSE 'female' END,
       date '1985-01-01' + n * 97,
       CASE WHEN n % 3 = 0 THEN 'Rutan Kelas IIB Muara Sabak' ELSE 'Lapas Kelas IIA Jambi' END,
       CASE WHEN n % 3 = 0 THEN 'rutan' ELSE 'lapas' END, 'LITMAS/' || n || '/2026',
       (ARRAY['pembebasan_bersyarat', 'cuti_bersyarat', 'asimilasi', 'cuti_menjelang_bebas'])[1 + n % 4],
       (now() AT TIME ZONE 'Asia/Jakarta')::date + 200 + n * 5,
       (now() AT TIME ZONE 'Asia/Jakarta')::date + CASE WHEN n < 20 THEN n % 15 ELSE 5 + (n - 20) * 2 END,
       CASE WHEN n < 30 THEN 'pending' WHEN n < 35 THEN 'accepted' ELSE 'declined' END,
       CASE WHEN n >= 35 THEN 'Kapasitas penuh pada tanggal itu' END,
       CASE WHEN n >= 30 THEN now() - interval '2 days' END, CASE WHEN n >= 30 THEN :'staff'::uuid END,
       -- an accepted referral names a resident without an active stay (bed 8's, j = 7 b + 21)
       CASE WHEN n BETWEEN 30 AND 34 THEN md5('r' || (10 * n + 8 + 2000 * ((7 * (10 * n + 8) + 21) % 50)))::uuid END,
       now() - interval '10 days', now() - interval '2 days'
  FROM generate_series(0, 39) n;

-- holds h0..h49 on the beds of ob.k = 30..79: h0..h19 for referrals f0..f19, h20..h49 for a
-- resident of the bed's sex without an active stay (resident b + 2000 ((7 b + 13) mod 50))
INSERT INTO app.holds (id, house_id, bed_id, referral_id, resident_id, from_at, until, end_at, reason, created_by,
                       created_at, updated_at)
SELECT md5('h' || x.n)::uuid, md5('house-bench')::uuid, ob.bed_id,
       CASE WHEN x.n < 20 THEN md5('f' || x.n)::uuid END,
       CASE WHEN x.n >= 20 THEN md5('r' || (ob.b + 2000 * ((7 * ob.b + 13) % 50)))::uuid END,
       x.from_at, x.from_at + interval '3 days', x.from_at + interval '3 days',
       CASE WHEN x.n < 20 THEN 'Rujukan dari Lapas' ELSE 'Kembali dari rumah sakit' END, :'staff'::uuid,
       now() - interval '12 hours', now() - interval '12 hours'
  FROM ob
 CROSS JOIN LATERAL (SELECT ob.k - 30 AS n) n0
 CROSS JOIN LATERAL (SELECT n0.n,
                            CASE WHEN n0.n % 5 = 0 THEN now() - interval '1 hour'
                                 ELSE now() + make_interval(days => 1 + n0.n % 14) END AS from_at) x
 WHERE ob.k >= 30;

-- exit plans of 300 active stays (not the checked-out ones): targets 1..120 days ahead
INSERT INTO app.exit_plans (id, stay_id, house_id, target_exit_on, destination_plan, summary)
SELECT md5('ep' || b)::uuid, md5('s' || (200000 + b))::uuid, md5('house-bench')::uuid,
       (now() AT TIME ZONE 'Asia/Jakarta')::date + 1 + (b * 37) % 120,
       (ARRAY['family', 'independent_rental', 'employer_housing'])[1 + b % 3], 'Rencana kembali ke keluarga'
  FROM generate_series(0, 1999) b
 WHERE b % 10 < 8 AND b % 6 = 1
 ORDER BY b LIMIT 300;

-- handover notes: 20 a day over the last 20 days, the newest a few minutes old
INSERT INTO app.handover_notes (house_id, shift, note, flags, author_id, created_at, updated_at)
SELECT md5('house-bench')::uuid, (ARRAY['morning', 'afternoon', 'night'])[1 + n % 3],
       'Serah terima ' || n || ': kamar R' || lpad((1 + n % 200)::text, 3, '0')
           || ' lampu koridor mati, sudah dilaporkan. Dua penghuni pulang terlambat, sudah dicatat.',
       CASE n % 4 WHEN 0 THEN '{maintenance}'::text[] WHEN 1 THEN '{follow_up,security}' ELSE '{}' END,
       :'staff'::uuid, now() - make_interval(mins => 5 + n * 72), now() - make_interval(mins => 5 + n * 72)
  FROM generate_series(0, 399) n
 ORDER BY n DESC;

-- closed evening roll-calls of the last 30 days; their lines are written while they are
-- closed, so the open-only trigger (migration 0021) stays out of the way of the seed
INSERT INTO app.roll_calls (id, house_id, kind, at, status, created_by, closed_at, closed_by, created_at, updated_at)
SELECT md5('rc' || d)::uuid, md5('house-bench')::uuid, 'evening', x.at, 'closed', :'staff'::uuid,
       x.at + interval '25 minutes', :'staff'::uuid, x.at, x.at + interval '25 minutes'
  FROM generate_series(30, 1, -1) d
 CROSS JOIN LATERAL (SELECT (((now() AT TIME ZONE 'Asia/Jakarta')::date - d) + time '21:00') AT TIME ZONE 'Asia/Jakarta' AS at) x;

ALTER TABLE app.roll_call_lines DISABLE TRIGGER roll_call_lines_open_only;
INSERT INTO app.roll_call_lines (roll_call_id, resident_id, stay_id, bed_id, status, note, marked_by, marked_at)
SELECT c.id, s.resident_id, s.id, p.bed_id, y.status, CASE WHEN y.status = 'out' THEN 'Kerja shift malam' END,
       :'staff'::uuid, c.at + interval '20 minutes'
  FROM app.roll_calls c
  JOIN app.stays s ON s.house_id = c.house_id AND s.span @> c.at
  JOIN app.bed_periods p ON p.stay_id = s.id AND p.during @> c.at
 CROSS JOIN LATERAL (SELECT (hashtext(s.id::text || c.id::text)::bigint & 2147483647) % 100 AS h) x
 CROSS JOIN LATERAL (SELECT CASE WHEN x.h = 0 THEN 'absent' WHEN x.h <= 2 THEN 'out' ELSE 'present' END AS status) y
 WHERE c.house_id = md5('house-bench')::uuid;
ALTER TABLE app.roll_call_lines ENABLE TRIGGER roll_call_lines_open_only;

COMMIT;

VACUUM (ANALYZE) app.stays, app.bed_periods, app.bed_occupants, app.bed_claims, app.holds, app.turnovers,
                 app.referrals, app.exit_plans, app.handover_notes, app.roll_calls, app.roll_call_lines, app.board_tags;
