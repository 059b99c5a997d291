-- pgbench twin of sheet.lua: the print page's data of roll-call rc1 (the daemon lays it out
-- in C, src/api/print.c, which this does not pay), as the staff user, with the disclosure
-- descriptor the daemon adds (src/api/op.c): the page names 1 720 residents, so it writes
-- 1 720 export records (§18.4) in the same transaction, as the daemon's read does.
SELECT 1 / (r.status = 200)::int AS ok, length(r.body::text)
  FROM api.run(:th::bytea, 'roll_calls.get', '{admin,manager,caseworker,staff}'::text[], 'pgbench', NULL, NULL,
               jsonb_build_object('id', md5('rc1')::uuid::text, 'format', 'html', 'lang', 'id',
                                  '_disclosure', jsonb_build_object('entity', 'roll_call', 'entity_id', md5('rc1')::uuid::text,
                                                                    'path', '/api/v1/roll-calls/' || md5('rc1')::uuid::text,
                                                                    'request_id', 'pgbench')), NULL) r;
