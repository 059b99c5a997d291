-- pgbench twin of get_resident_cw.lua: the daemon's statement that reads a resident and writes
-- its disclosure record in one (the direct read's "!disclose" statement, src/api/statements.c).
\set i random(0, 99999)
WITH x AS MATERIALIZED (SELECT * FROM api.direct_residents_get(:cth::bytea, '{admin,manager,caseworker,staff}'::text[],
        jsonb_build_object('id', md5('r' || :i)::uuid::text, '_disclosure', jsonb_build_object('entity', 'resident',
            'entity_id', md5('r' || :i)::uuid::text, 'path', '/api/v1/residents/' || md5('r' || :i)::uuid,
            'request_id', 'pgbench')), NULL::uuid)),
     d AS (INSERT INTO app.disclosures (kind, user_id, role, partner_id, resident_id, house_id, entity, entity_id, fields,
                                        purpose, consent_id, request_id, path)
           SELECT r.kind, r.user_id, r.role, r.partner_id, r.resident_id, r.house_id, r.entity, r.entity_id, r.fields,
                  r.purpose, r.consent_id, r.request_id, r.path
             FROM x CROSS JOIN LATERAL jsonb_populate_recordset(NULL::app.disclosures, x.disclosure) r)
SELECT status, body, etag, tag FROM x;
