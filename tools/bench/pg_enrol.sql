-- pgbench twin of enrol.lua: POST /api/v1/programmes/{id}/enrolments of a random resident
-- (of 100 000) into one of the 10 race programmes pg50..pg59, as the manager. 409
-- (programme_full, already_enrolled) is an answer; a 5xx stops the client.
\set p random(50, 59)
\set r random(0, 99999)
SELECT 1 / (r.status < 500)::int AS ok, r.status
  FROM api.run(:mth::bytea, 'enrolments.create', '{admin,manager,caseworker}'::text[], 'pgbench', NULL, NULL,
               jsonb_build_object('programme_id', md5('pg' || :p)::uuid::text,
                                  'resident_id', md5('r' || :r)::uuid::text),
               NULL) r;
