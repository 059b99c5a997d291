-- pgbench twin of get_resident.lua: the daemon's own statement (a direct read), same token
-- (-D th=\x...).
\set i random(0, 99999)
SELECT status, body, etag, tag FROM api.direct_residents_get(:th::bytea, '{admin,manager,caseworker,staff}'::text[],
    jsonb_build_object('id', md5('r' || :i)::uuid::text), NULL::uuid);
