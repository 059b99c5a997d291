-- Benchmark seed (tools/bench/run): one big house, set-based, straight into the tables
-- (no api.run, no audit records). Run with psql on a migrated, empty database.
--
--   house BENCH-01 (Asia/Jakarta): 200 rooms on 10 floors (100 men's, 90 women's, 10 for
--     anyone), 10 beds each = 2 000 beds; 20 beds out of service
--   100 000 residents
--   200 000 closed stays, each with its bed period, over ~7.5 years: bed b holds one stay
--     in each of its 27-day slots k = 0..99 (slots shifted by a phase of 0-26 days per bed;
--     check-in 0-3 days into the slot, 5-24 days long), so no two periods of a bed overlap;
--     stay i = 2000 k + b belongs to resident i mod 100 000, who only ever sleeps on bed b:
--     a resident's two stays are 50 slots apart
--   1 800 active stays (beds 1-9 of every room) that began 5 to 60 days ago, by residents
--     whose earlier stays were on the same bed
--   50 open sign-outs, 5 000 closed ones
--   bench.pairs: for the check-in/check-out scenarios, the 180 free beds (bed 9 of every
--     room, but the 20 out of service) and, for each, 10 residents of the room's sex who
--     have no active stay
--
-- Every id is md5(kind || n)::uuid: random-looking, yet computable by a pgbench script.
-- Resident n (0-based) has sex of the room of bed n mod 2000 (rooms for anyone: by parity).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';

BEGIN;

INSERT INTO app.houses (id, code, name, address, timezone, curfew, created_at, updated_at)
VALUES (md5('house-bench')::uuid, 'BENCH-01', 'Griya Abipraya Benchmark',
        'Jl. Pengukuran No. 1, Kota Jambi', 'Asia/Jakarta', '22:00', now() - interval '8 years',
        now() - interval '8 years');

-- rooms 0..199: floor 1 + r/20; sex by r: < 100 male, < 190 female, else any
INSERT INTO app.rooms (id, house_id, code, floor, sex, notes, created_at, updated_at)
SELECT md5('room' || r)::uuid, md5('house-bench')::uuid, 'R' || lpad((r + 1)::text, 3, '0'), 1 + r / 20,
       CASE WHEN r < 100 THEN 'male' WHEN r < 190 THEN 'female' ELSE 'any' END,
       CASE WHEN r % 17 = 0 THEN 'Dekat ruang piket' END,
       now() - interval '8 years', now() - interval '8 years'
  FROM generate_series(0, 199) r
 ORDER BY r;

-- beds b = 10 r + p; p = 9 in rooms r % 10 = 0 out of service
INSERT INTO app.beds (id, room_id, house_id, label, status, status_reason, created_at, updated_at)
SELECT md5('bed' || b)::uuid, md5('room' || (b / 10))::uuid, md5('house-bench')::uuid,
       'B' || lpad((b % 10 + 1)::text, 2, '0'),
       CASE WHEN b % 10 = 9 AND (b / 10) % 10 = 0 THEN 'out_of_service' ELSE 'available' END,
       CASE WHEN b % 10 = 9 AND (b / 10) % 10 = 0 THEN 'Kasur diganti' END,
       now() - interval '8 years', now() - interval '8 years'
  FROM generate_series(0, 1999) b
 ORDER BY b;

-- residents n = 0..99 999
INSERT INTO app.residents (id, house_id, full_name, register_number, sex, birth_date, national_id,
                           legal_status, supervision_ends_on, phone, notes, emergency_contact,
                           created_at, updated_at)
SELECT md5('r' || n)::uuid, md5('house-bench')::uuid,
       CASE WHEN x.sex = 'male' THEN (ARRAY['Agus','Budi','Cahyo','Dedi','Eko','Fajar','Gilang','Hendra',
                 'Irfan','Joko','Kurniawan','Lukman','Made','Nyoman','Oki','Putu','Rizky','Slamet','Teguh',
                 'Umar','Wahyu','Yusuf','Zainal','Bambang'])[1 + x.h % 24]
            ELSE (ARRAY['Ani','Bunga','Citra','Dewi','Endang','Fitri','Gita','Hana','Indah','Juwita',
                 'Kartini','Lestari','Maya','Nur','Putri','Ratna','Sari','Tuti','Utami','Wulan','Yanti',
                 'Zahra','Rina','Siti'])[1 + x.h % 24] END
           || ' ' || (ARRAY['Santoso','Wijaya','Saputra','Hidayat','Siregar','Nasution','Lubis','Harahap',
                 'Simanjuntak','Pratama','Setiawan','Gunawan','Kusuma','Halim','Sembiring','Tarigan','Ginting',
                 'Situmorang','Wibowo','Susanto','Nugroho','Purba','Panjaitan','Rahman','Syahputra','Manurung',
                 'Hutapea'])[1 + (x.h / 24) % 27],
       'PAS/' || (2016 + n % 9) || '/' || lpad(n::text, 6, '0'), x.sex,
       date '1960-01-01' + (x.h % 15000)::int,
       CASE WHEN n % 7 <> 0 THEN '15' || lpad((x.h % 100000000000000)::text, 14, '0') END,
       (ARRAY['parole','conditional_leave','pre_release_leave','assimilation','probation','released'])[1 + (x.h / 7) % 6],
       CASE WHEN n % 3 = 0 THEN current_date + (x.h % 900)::int - 300 END,
       '08' || lpad(((x.h / 13) % 10000000000)::text, 10, '0'),
       CASE WHEN n % 11 = 0 THEN 'Wajib lapor setiap Senin.' END,
       CASE WHEN n % 4 = 0 THEN jsonb_build_object('name', 'Keluarga ' || n, 'phone', '0812' || lpad((n % 100000000)::text, 8, '0'),
                                                   'relation', 'saudara') END,
       now() - interval '8 years' + make_interval(secs => n * 2300), now() - interval '8 years' + make_interval(secs => n * 2300)
  FROM generate_series(0, 99999) n
 CROSS JOIN LATERAL (SELECT (n::bigint * 2654435761) % 4294967296 AS h,
                            CASE WHEN (n % 2000) / 10 < 100 THEN 'male'
                                 WHEN (n % 2000) / 10 < 190 THEN 'female'
                                 WHEN n % 2 = 0 THEN 'male' ELSE 'female' END AS sex) x
 ORDER BY n;

-- Stays: T0 = 2760 days before today (house time); bed b's slot k starts at
-- T0 + phase(b) + 27 k days, phase(b) = 7919 b mod 27, so every bed's slot 100 (its active
-- stay, if any) starts 33 to 60 days ago and its check-in is 0 to 28 days into that slot.
CREATE TEMP TABLE bench_t0 AS
SELECT ((now() AT TIME ZONE 'Asia/Jakarta')::date - 2760)::timestamp AT TIME ZONE 'Asia/Jakarta' AS t0;

CREATE TEMP TABLE st AS
SELECT i, i % 2000 AS bed, i % 100000 AS res,
       t.t0 + make_interval(days => ((i % 2000) * 7919) % 27 + (i / 2000) * 27, hours => (h % 72)::int) AS t_in,
       t.t0 + make_interval(days => ((i % 2000) * 7919) % 27 + (i / 2000) * 27 + 5,
                            hours => (h % 72)::int + ((h / 72) % 456)::int) AS t_out,
       h
  FROM generate_series(0, 199999) i
 CROSS JOIN bench_t0 t
 CROSS JOIN LATERAL (SELECT (i::bigint * 2246822519) % 4294967291 AS h) x
UNION ALL
-- active stays: beds with p < 9; resident b + 2000 j with j = 7 b mod 50
SELECT 200000 + b, b, b + 2000 * ((7 * b) % 50),
       t.t0 + make_interval(days => (b * 7919) % 27 + 2700, hours => ((b::bigint * 2654435761) % 672)::int), NULL, 0
  FROM generate_series(0, 1999) b CROSS JOIN bench_t0 t
 WHERE b % 10 < 9;

INSERT INTO app.stays (id, house_id, resident_id, checked_in_at, checked_out_at, planned_exit_on,
                       exit_reason, destination, notes, created_at, updated_at, version)
SELECT md5('s' || i)::uuid, md5('house-bench')::uuid, md5('r' || res)::uuid, t_in, t_out,
       CASE WHEN i % 3 = 0 THEN (t_in AT TIME ZONE 'Asia/Jakarta')::date + 60 END,
       CASE WHEN t_out IS NOT NULL THEN (ARRAY['completed','completed','completed','transferred','absconded',
                 'revoked','voluntary','completed','other','completed'])[1 + (h / 5) % 10] END,
       CASE WHEN t_out IS NOT NULL THEN (ARRAY['family','family','independent_rental','employer_housing',
                 'other_housing','shelter','prison','hospital','unknown','family'])[1 + (h / 50) % 10] END,
       CASE WHEN i % 13 = 0 THEN 'Catatan petugas' END,
       t_in, coalesce(t_out, t_in), CASE WHEN t_out IS NULL THEN 1 ELSE 2 END
  FROM st
 ORDER BY t_in, i;

INSERT INTO app.bed_periods (id, stay_id, bed_id, house_id, from_at, to_at)
SELECT md5('p' || i)::uuid, md5('s' || i)::uuid, md5('bed' || bed)::uuid, md5('house-bench')::uuid, t_in, t_out
  FROM st
 ORDER BY t_in, i;

-- sign-outs: 5 000 closed ones inside historical stays, 50 open ones of active stays
INSERT INTO app.movements (stay_id, house_id, resident_id, purpose, destination, out_at, expected_back_at,
                           returned_at, created_at, updated_at, version)
SELECT md5('s' || i)::uuid, md5('house-bench')::uuid, md5('r' || res)::uuid,
       (ARRAY['work','training','family_visit','medical','reporting','religious','other'])[1 + i % 7], 'Kota Jambi',
       t_in + interval '1 day', t_in + interval '1 day 8 hours',
       t_in + interval '1 day 7 hours' + make_interval(mins => (h % 120)::int),
       t_in + interval '1 day', t_in + interval '1 day 7 hours', 2
  FROM st WHERE i < 200000 AND i % 40 = 0
UNION ALL
SELECT md5('s' || i)::uuid, md5('house-bench')::uuid, md5('r' || res)::uuid, 'work', 'Pasar Angso Duo',
       now() - interval '3 hours', now() + make_interval(mins => (bed % 240) - 60), NULL,
       now() - interval '3 hours', now() - interval '3 hours', 1
  FROM st WHERE i >= 200000 AND bed % 36 = 0;

-- what the check-in/check-out scenarios may use: free beds (p = 9, in service), f = 0..179,
-- and for each the residents b + 2000 j, j = 0..9 (none has an active stay: those sit on p < 9)
CREATE SCHEMA bench;
CREATE TABLE bench.pairs (
    f            int NOT NULL,   -- free bed number 0..179 (1000..1179: seed_houses8.sql)
    j            int NOT NULL,   -- resident number of that bed 0..9
    bed_id       uuid NOT NULL,
    resident_id  uuid NOT NULL,
    PRIMARY KEY (f, j)
);
INSERT INTO bench.pairs
SELECT (dense_rank() OVER (ORDER BY b) - 1)::int, j, md5('bed' || b)::uuid, md5('r' || (b + 2000 * j))::uuid
  FROM generate_series(0, 1999) b CROSS JOIN generate_series(0, 9) j
 WHERE b % 10 = 9 AND (b / 10) % 10 <> 0;

COMMIT;

VACUUM (ANALYZE) app.houses, app.rooms, app.beds, app.residents, app.stays, app.bed_periods, app.movements,
                 app.bed_occupants, app.board_tags, bench.pairs;
