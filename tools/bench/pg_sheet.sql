-- pgbench twin of sheet.lua: the print page's data of roll-call rc1 (the daemon lays it out
-- in C, src/api/print.c, which this does not pay), as the staff user.
SELECT 1 / (r.status = 200)::int AS ok, length(r.body::text)
  FROM api.run(:th::bytea, 'roll_calls.get', '{admin,manager,caseworker,staff}'::text[], 'pgbench', NULL, NULL,
               jsonb_build_object('id', md5('rc1')::uuid::text, 'format', 'html', 'lang', 'id'), NULL) r;
