-- pgbench twin of get_resident.lua: the daemon's own statement, same token (-D th=\x...).
\set i random(0, 99999)
SELECT status, body, etag FROM api.run(:th::bytea, 'residents.get', '{admin,manager,caseworker,staff}'::text[],
    'pgbench', NULL, NULL, jsonb_build_object('id', md5('r' || :i)::uuid::text), NULL);
