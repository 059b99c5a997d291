-- pgbench twin of history.lua: the processing history of r1 as the caseworker.
SELECT 1 / (r.status = 200)::int AS ok, length(r.body::text)
  FROM api.run(:cth::bytea, 'processing_history.get', '{admin,manager,caseworker}'::text[], 'pgbench', NULL, NULL,
               jsonb_build_object('id', md5('r1')::uuid::text, 'limit', 50), NULL) r;
