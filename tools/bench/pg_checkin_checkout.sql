-- pgbench twin of checkin_checkout.lua: the two api.run calls the daemon makes. Of the
-- n = nclients clients, client c owns the free beds fbase + c, fbase + c + n, ... (k <= kmax)
-- of bench.pairs, so clients never race (-D nclients=N -D kmax=floor(180 / N) - 1; fbase 0:
-- the 180 beds of BENCH-01, 1000: those of the eight houses of seed_houses8.sql).
-- A failed call stops the client (division by zero), so a broken run cannot pass unseen.
\set k random(0, :kmax)
\set f :fbase + :client_id + :nclients * :k
SELECT r.body->>'id' AS stay_id, 1 / (r.status = 201)::int AS ok
  FROM bench.pairs p,
       api.run(:th::bytea, 'stays.checkin', '{admin,manager,staff}'::text[], 'pgbench', NULL, NULL,
               jsonb_build_object('resident_id', p.resident_id, 'bed_id', p.bed_id, 'rules_acknowledged', true),
               NULL) r
 WHERE p.f = :f AND p.j = 0 \gset
SELECT status, body, etag, 1 / (status = 200)::int AS ok
  FROM api.run(:th::bytea, 'stays.checkout', '{admin,manager,staff}'::text[], 'pgbench', NULL, NULL,
               jsonb_build_object('stay_id', :stay_id::text, 'exit_reason', 'completed', 'destination', 'family'),
               NULL);
