-- pgbench twin of attendance.lua: PUT /api/v1/sessions/{id}/attendance of one of the 50
-- unrecorded sessions ps<n>-10 (seed_programmes.sql), the whole sheet of its 40, each present
-- (80 %) or absent at random, as the manager (-D mth=\x...). A failed call stops the client.
\set n random(0, 49)
SELECT 1 / (r.status IN (200, 201))::int AS ok
  FROM api.run(:mth::bytea, 'attendance.put', '{admin,manager,caseworker,staff}'::text[], 'pgbench', NULL, NULL,
               jsonb_build_object('id', md5('ps' || :n || '-10')::uuid::text, 'records',
                   (SELECT jsonb_agg(jsonb_build_object('enrolment_id', e.id,
                                         'status', CASE WHEN random() < 0.8 THEN 'present' ELSE 'absent' END)
                                     ORDER BY e.seq)
                      FROM app.enrolments e WHERE e.programme_id = md5('pg' || :n)::uuid)),
               NULL) r;
