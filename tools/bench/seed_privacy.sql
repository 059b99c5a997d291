-- The privacy scenarios (issue 18): resident r1 of tools/bench/seed.sql gets 1 000 audit
-- records (appended by api.audit itself, so the chain stays one) and 1 000 disclosure records
-- spread over a year, for the processing history of one resident. :staff is bench-staff's id.
SELECT api.audit(ROW(:'staff'::uuid, 'admin', NULL::uuid[], 'bench-seed')::api.ctx, 'resident.update', 'resident',
                 md5('r1')::uuid, md5('house-bench')::uuid, jsonb_build_object('phone', '08' || n, 'version', n),
                 jsonb_build_object('phone', '08' || n + 1, 'version', n + 1))
  FROM generate_series(1, 1000) n;

INSERT INTO app.disclosures (at, kind, user_id, role, resident_id, house_id, entity, entity_id, fields, purpose,
                             request_id, path)
SELECT now() - (1000 - n) * interval '8 hours', CASE WHEN n % 5 = 0 THEN 'export' ELSE 'read' END, :'staff'::uuid,
       'caseworker', md5('r1')::uuid, md5('house-bench')::uuid, 'resident', md5('r1')::uuid, '{national_id,notes}',
       CASE WHEN n % 3 = 0 THEN 'kunjungan rumah' END, 'bench-' || n, '/api/v1/residents/' || md5('r1')::uuid
  FROM generate_series(1, 1000) n;
ANALYZE app.audit_log;
ANALYZE app.disclosures;
