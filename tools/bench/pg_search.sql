\set i random(0, 99999)
SELECT status, body, etag FROM api.run(:th::bytea, 'residents.list', '{admin,manager,caseworker,staff}'::text[],
    'pgbench', NULL, NULL, jsonb_build_object('q', lpad(:i::text, 6, '0'), 'limit', 20), NULL);
