-- pgbench twin of forecast.lua: the 90-day forecast of BENCH-01 as the manager.
SELECT 1 / (r.status = 200)::int AS ok, length(r.body::text)
  FROM api.run(:mth::bytea, 'reports.forecast', '{admin,manager,caseworker}'::text[], 'pgbench', NULL, NULL,
               jsonb_build_object('house_id', :house::text, 'days', 90), NULL) r;
