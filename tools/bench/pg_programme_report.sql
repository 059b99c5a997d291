-- pgbench twin of programme_report.lua: GET /api/v1/reports/programme of BENCH-01 over the
-- last 365 days (50 programmes, 500 held sessions, 20 000 marks), as the manager.
SELECT 1 / (r.status = 200)::int AS ok, length(r.body::text)
  FROM api.run(:mth::bytea, 'reports.programme', '{admin,manager,partner}'::text[], 'pgbench', NULL, NULL,
               jsonb_build_object('house_id', :house::text,
                                  'from', ((now() AT TIME ZONE 'Asia/Jakarta')::date - 365)::text,
                                  'to', (now() AT TIME ZONE 'Asia/Jakarta')::date::text),
               NULL) r;
