SELECT status, body, etag FROM api.run(:th::bytea, 'reports.occupancy', '{admin,manager,caseworker,staff}'::text[],
    'pgbench', NULL, NULL, '{}'::jsonb, NULL);
