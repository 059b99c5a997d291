-- pgbench twin of tonight.lua: GET /api/v1/houses/{house}/tonight as the staff user.
SELECT 1 / (r.status = 200)::int AS ok, length(r.body::text)
  FROM api.run(:th::bytea, 'houses.tonight', '{admin,manager,caseworker,staff}'::text[], 'pgbench', NULL, NULL,
               jsonb_build_object('house_id', :house::text), NULL) r;
