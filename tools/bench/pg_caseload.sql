-- pgbench twin of caseload.lua: GET /api/v1/caseload as the caseworker of the 60 residents
-- (-D cth=\x...), the statement the daemon runs.
SELECT status, length(body::text) FROM api.run(:cth::bytea, 'caseload.list', '{admin,manager,caseworker}'::text[],
    'pgbench', NULL, NULL, '{}'::jsonb, NULL);
