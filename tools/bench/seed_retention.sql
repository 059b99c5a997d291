-- Benchmark seed of retention (contract §18.7, tools/bench/retention.py): psql -v n=<residents>
-- -f seed_retention.sql on a migrated database. Set-based, straight into the tables; ids are
-- md5('ret' || kind || i)::uuid. Each of the n former residents of house RET-01 (Asia/Jakarta)
-- was created 8 years ago with a national ID, phone and notes, stayed once (checked in 7 years
-- ago for 200 days, with notes), has a withdrawn family-contact consent and a done follow-up
-- with a note, and four audit records through api.audit (resident.create, stay.create,
-- stay.checkout, consent.create): so every one of them is due, for reason retention, and its
-- anonymisation clears a few rows and redacts four records.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET synchronous_commit = off;

BEGIN;
INSERT INTO app.houses (id, code, name, timezone) VALUES (md5('rethouse')::uuid, 'RET-01', 'Griya Retensi', 'Asia/Jakarta');
INSERT INTO app.residents (id, house_id, full_name, register_number, sex, national_id, legal_status, phone, notes,
                           created_at)
SELECT md5('retr' || i)::uuid, md5('rethouse')::uuid, 'Klien Lama ' || i, 'RET-' || i,
       CASE WHEN i % 2 = 0 THEN 'male' ELSE 'female' END, lpad(i::text, 16, '3'), 'released', '0812' || i,
       'catatan ' || i, now() - interval '8 years'
  FROM generate_series(1, :n) i;
INSERT INTO app.stays (id, house_id, resident_id, checked_in_at, checked_out_at, exit_reason, destination, notes)
SELECT md5('rets' || i)::uuid, md5('rethouse')::uuid, md5('retr' || i)::uuid, now() - interval '7 years',
       now() - interval '7 years' + interval '200 days', 'completed', 'family', 'keluar ' || i
  FROM generate_series(1, :n) i;
INSERT INTO app.consents (id, resident_id, house_id, purpose, recipient, scope, given_on, expires_on, notice_given,
                          proof_form, proof_document_ref, proof_witness_name, withdrawn_at, withdrawal_reason, withdrawn_by)
SELECT md5('retc' || i)::uuid, md5('retr' || i)::uuid, md5('rethouse')::uuid, 'family_contact', 'Ibu ' || i,
       '{identity}', (now() - interval '7 years')::date, (now() - interval '6 years')::date, true, 'written',
       'PS-' || i, 'Saksi ' || i, now() - interval '6 years 6 months', 'dicabut',
       (SELECT id FROM app.users ORDER BY seq LIMIT 1)
  FROM generate_series(1, :n) i;
INSERT INTO app.follow_ups (resident_id, house_id, stay_id, offset_days, due_on, status, contacted_at, method,
                            unreachable, housing_stable, employed, business_operating, reoffended, reporting_compliant,
                            note)
SELECT md5('retr' || i)::uuid, md5('rethouse')::uuid, md5('rets' || i)::uuid, 30,
       (now() - interval '7 years' + interval '230 days')::date, 'done', now() - interval '7 years' + interval '231 days',
       'phone', false, true, true, false, false, true, 'baik ' || i
  FROM generate_series(1, :n) i;
COMMIT;

-- the audit records, a thousand residents' to a transaction: each api.audit updates the chain
-- head, whose row versions a transaction cannot prune while it runs, so that one statement per
-- action (as before) made every append walk all of that statement's earlier ones (100 000
-- residents took well over 10 minutes)
SELECT set_config('seed.n', :'n', false);
DO $$
DECLARE
    n CONSTANT int := current_setting('seed.n')::int;
    ctx CONSTANT api.ctx := ROW(NULL, 'admin', NULL, 'seed')::api.ctx;
BEGIN
    FOR lo IN 1 .. n BY 1000 LOOP
        PERFORM count(api.audit(ctx, 'resident.create', 'resident', r.id, r.house_id, NULL,
                                jsonb_build_object('id', r.id, 'full_name', r.full_name, 'national_id', r.national_id)))
           FROM generate_series(lo, least(lo + 999, n)) i JOIN app.residents r ON r.id = md5('retr' || i)::uuid;
        PERFORM count(api.audit(ctx, a.action, 'stay', s.id, s.house_id, NULL,
                                jsonb_build_object('id', s.id, 'resident_id', s.resident_id, 'notes', s.notes)))
           FROM generate_series(lo, least(lo + 999, n)) i JOIN app.stays s ON s.id = md5('rets' || i)::uuid
          CROSS JOIN (VALUES ('stay.create'), ('stay.checkout')) a(action);
        PERFORM count(api.audit(ctx, 'consent.create', 'consent', c.id, c.house_id, NULL,
                                jsonb_build_object('id', c.id, 'resident_id', c.resident_id, 'recipient', c.recipient)))
           FROM generate_series(lo, least(lo + 999, n)) i JOIN app.consents c ON c.id = md5('retc' || i)::uuid;
        COMMIT;
    END LOOP;
END $$;
ANALYZE;
