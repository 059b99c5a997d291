-- pgbench twin of rollcall.lua: the open of an extra roll-call of BENCH-01 (its 1 720 lines)
-- and its cancel, the two api.run calls the daemon makes; one client (one open at a time).
-- A failed call stops the client (division by zero).
SELECT r.body->>'id' AS rc_id, 1 / (r.status = 201)::int AS ok
  FROM api.run(:th::bytea, 'roll_calls.create', '{admin,manager,staff}'::text[], 'pgbench', NULL, NULL,
               jsonb_build_object('house_id', :house::text, 'kind', 'extra', 'note', 'benchmark'), NULL) r \gset
SELECT 1 / (r.status = 200)::int AS ok
  FROM api.run(:th::bytea, 'roll_calls.cancel', '{admin,manager,staff}'::text[], 'pgbench', NULL, NULL,
               jsonb_build_object('id', :rc_id::text, 'reason', 'benchmark'), NULL) r;
