-- pgbench twin of calendar.lua: GET /api/v1/residents/{id}/reporting of the resident with
-- 5 years of weekly periods (bench.supervised n = 0), as the caseworker (-D cth=\x...).
SELECT status, length(body::text) FROM api.run(:cth::bytea, 'reporting.calendar', '{admin,manager,caseworker}'::text[],
    'pgbench', NULL, NULL, jsonb_build_object('id', :calres::text), NULL);
