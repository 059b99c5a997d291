-- Eight small houses for the multi-house write scenario `checkin8` of tools/bench/run
-- (issue 19, goal 2): check-ins and check-outs spread over eight houses at once, against
-- the one-house `checkin` figure of the same run. Set-based, straight into the tables, after
-- seed.sql (it adds to bench.pairs).
--
--   houses BENCH8-0 .. BENCH8-7 (Asia/Jakarta): 3 rooms for anyone of 8 beds each, all free
--   bench.pairs f = 1000 + x, x = 0..179: free bed x / 8 of house x % 8, and for each bed 10
--     residents j = 0..9 of that house, none with a stay
--
-- The one-house scenario's f = 0..179 keep their meaning, and the same wrk script and
-- pgbench twin (pg_checkin_checkout.sql, -D fbase=1000) drive both: client c owns the beds
-- f = 1000 + c + n k, so with n = 32 clients each house is written by 4 of them (the house
-- of f is c mod 8), and a wrk thread's queue of free beds cycles through the eight houses.
-- Ids are md5(kind || n)::uuid as in seed.sql, with kinds of their own.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET synchronous_commit = off;

BEGIN;

INSERT INTO app.houses (id, code, name, address, timezone, curfew)
SELECT md5('house8-' || h)::uuid, 'BENCH8-' || h, 'Griya Abipraya Benchmark ' || h,
       'Jl. Pengukuran No. ' || (10 + h) || ', Kota Jambi', 'Asia/Jakarta', '22:00'
  FROM generate_series(0, 7) h;

-- room r = 0..2 of house h; bed i = 0..23 of house h sits in room i / 8
INSERT INTO app.rooms (id, house_id, code, floor, sex)
SELECT md5('room8-' || h || '-' || r)::uuid, md5('house8-' || h)::uuid, 'R' || (r + 1), 1, 'any'
  FROM generate_series(0, 7) h CROSS JOIN generate_series(0, 2) r;

INSERT INTO app.beds (id, room_id, house_id, label)
SELECT md5('bed8-' || h || '-' || i)::uuid, md5('room8-' || h || '-' || (i / 8))::uuid, md5('house8-' || h)::uuid,
       'B' || lpad((i % 8 + 1)::text, 2, '0')
  FROM generate_series(0, 7) h CROSS JOIN generate_series(0, 23) i;

-- resident (x, j) of free bed x; either sex, as the rooms are for anyone
INSERT INTO app.residents (id, house_id, full_name, register_number, sex, legal_status)
SELECT md5('r8-' || x || '-' || j)::uuid, md5('house8-' || (x % 8))::uuid, 'Warga Uji ' || x || '-' || j,
       'PAS8/' || lpad(x::text, 3, '0') || '/' || j, CASE WHEN (x + j) % 2 = 0 THEN 'male' ELSE 'female' END, 'parole'
  FROM generate_series(0, 179) x CROSS JOIN generate_series(0, 9) j;

INSERT INTO bench.pairs
SELECT 1000 + x, j, md5('bed8-' || (x % 8) || '-' || (x / 8))::uuid, md5('r8-' || x || '-' || j)::uuid
  FROM generate_series(0, 179) x CROSS JOIN generate_series(0, 9) j;

COMMIT;

VACUUM (ANALYZE) app.houses, app.rooms, app.beds, app.residents, app.board_tags, bench.pairs;
