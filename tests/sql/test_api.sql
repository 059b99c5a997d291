-- Scenario tests of api.run, one DO block per area; any failure raises and stops psql.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

-- ---------------------------------------------------------------- auth, users, houses
DO $$
DECLARE
    a uuid := tst.user('t_admin', 'admin');
    h1 jsonb; h2 jsonb; u jsonb; b jsonb; r api.result;
BEGIN
    PERFORM tst.expect(tst.call('nobody', 'me.get'), 401, 'unauthorized', 'no session');
    PERFORM tst.expect(api.run(NULL, 'me.get', '{admin}', 'x', NULL, NULL, '{}', NULL), 401, 'unauthorized', 'null token');
    PERFORM tst.expect(api.run(sha256('tok-t_admin'::bytea), 'users.list', '{manager}', 'x', NULL, NULL, '{}', NULL),
                       403, 'forbidden', 'role');
    r := api.run(sha256('tok-t_admin'::bytea), 'residents.create', '{admin}', 'x', NULL, NULL, '{}',
                 '{"status":422,"code":"validation_failed","errors":[{"field":"sex","message":"x"}]}');
    PERFORM tst.ok(r.status = 422 AND NOT r.body ? 'status' AND r.body->'errors'->0->>'field' = 'sex', 'pre_error');
    PERFORM tst.expect(tst.call('t_admin', 'no.such'), 404, 'not_found', 'unknown op');

    h1 := tst.expect(tst.call('t_admin', 'houses.create', '{"code":"T-H1","name":"House 1"}'), 201, NULL, 'house');
    PERFORM tst.ok(h1->>'timezone' = 'Asia/Jakarta' AND h1->>'curfew' = '22:00' AND h1->>'created_at' LIKE '%Z', 'house defaults');
    h2 := tst.expect(tst.call('t_admin', 'houses.create', '{"code":"T-H2","name":"House 2","curfew":"21:30","timezone":"Asia/Makassar"}'), 201);
    PERFORM tst.expect(tst.call('t_admin', 'houses.create', '{"code":"T-H1","name":"Dup"}'), 409, 'conflict', 'house dup');
    r := tst.call('t_admin', 'houses.create', '{"code":"T-H3","name":"x","timezone":"Nowhere/City"}');
    PERFORM tst.ok(r.status = 422 AND r.body->'errors'->0->>'field' = 'timezone', 'bad tz');
    b := tst.expect(tst.call('t_admin', 'houses.update', jsonb_build_object('id', h1->>'id', 'name', 'Griya', 'curfew', '21:00')), 200);
    PERFORM tst.ok(b->>'curfew' = '21:00' AND (b->>'version')::int = 2, 'house patch');
    PERFORM tst.expect(tst.call('t_admin', 'houses.update', jsonb_build_object('id', h1->>'id', 'name', 'G', 'if_match', 1)),
                       412, 'precondition_failed', 'if_match');
    r := tst.call('t_admin', 'houses.update', jsonb_build_object('id', h1->>'id', 'name', NULL));
    PERFORM tst.ok(r.status = 422 AND r.body->'errors'->0->>'field' = 'name', 'null required field: ' || r.body::text);
    r := tst.call('t_admin', 'houses.get', jsonb_build_object('id', h1->>'id'));
    PERFORM tst.ok(r.status = 200 AND r.etag = 2, 'etag');

    -- users
    u := tst.expect(tst.call('t_admin', 'users.create', jsonb_build_object('username', 't_mgr2', 'password_hash', 'secret-hash',
                    'role', 'manager', 'full_name', 'Ibu', 'house_ids', jsonb_build_array(h2->>'id', h1->>'id'))), 201);
    PERFORM tst.ok(u->'house_ids' = jsonb_build_array(h2->>'id', h1->>'id') AND NOT u::text LIKE '%secret%', 'user json');
    PERFORM tst.expect(tst.call('t_admin', 'users.create', '{"username":"t_mgr2","password_hash":"x","role":"staff","full_name":"x","house_ids":[]}'),
                       409, 'conflict', 'dup user');
    r := tst.call('t_admin', 'users.create', jsonb_build_object('username', 't_x', 'password_hash', 'x', 'role', 'staff',
                  'full_name', 'x', 'house_ids', jsonb_build_array(gen_random_uuid())));
    PERFORM tst.ok(r.status = 422 AND r.body->'errors'->0->>'field' = 'house_ids', 'unknown house_ids');
    -- deactivation kills the sessions at once
    INSERT INTO app.sessions VALUES (sha256('tok-t_mgr2'::bytea), (u->>'id')::uuid, now() + interval '1 hour');
    PERFORM tst.expect(tst.call('t_mgr2', 'me.get'), 200);
    PERFORM tst.expect(tst.call('t_admin', 'users.update', jsonb_build_object('id', u->>'id', 'password_hash', 'new-secret')), 200);
    PERFORM tst.expect(tst.call('t_mgr2', 'me.get'), 401, 'unauthorized', 'password change revokes');
    PERFORM tst.ok(NOT EXISTS (SELECT 1 FROM app.audit_log WHERE before::text LIKE '%secret%' OR after::text LIKE '%secret%'), 'no hash in audit');
    PERFORM tst.ok((SELECT count(*) FROM app.audit_log WHERE entity_id = (u->>'id')::uuid AND house_id IS NULL) = 2, 'user audit');
    b := tst.expect(tst.call('t_admin', 'users.list', '{"limit":1}'), 200);
    PERFORM tst.ok(jsonb_array_length(b->'items') = 1 AND b->>'next_cursor' IS NOT NULL, 'users page 1');
    b := tst.expect(tst.call('t_admin', 'users.list', jsonb_build_object('limit', 1, 'cursor', b->>'next_cursor')), 200);
    PERFORM tst.ok(b->'items'->0->>'username' = (SELECT username FROM app.users ORDER BY seq OFFSET 1 LIMIT 1), 'users page 2');
    r := tst.call('t_admin', 'users.list', '{"cursor":"zzz"}');
    PERFORM tst.ok(r.status = 422 AND r.body->'errors'->0->>'field' = 'cursor', 'bad cursor');

    -- login
    PERFORM tst.ok((SELECT password_hash FROM api.login_begin('t_mgr2', 5, 900)) = 'new-secret', 'login_begin');
    PERFORM tst.ok((SELECT password_hash IS NULL AND NOT throttled FROM api.login_begin('ghost', 5, 900)), 'unknown user');
    -- every attempt counts from login_begin on (the one above is the first of five)
    FOR i IN 1..4 LOOP PERFORM api.login_begin('ghost', 5, 900); END LOOP;
    PERFORM tst.ok((SELECT throttled AND retry_after BETWEEN 899 AND 900 FROM api.login_begin('ghost', 5, 900)), 'throttled');
    PERFORM tst.ok((SELECT "user"->>'username' = 't_mgr2' AND expires_at LIKE '%Z'
                      FROM api.login_finish('t_mgr2', (u->>'id')::uuid, true, sha256('tok-login'::bytea), 60)), 'login_finish');
    PERFORM tst.expect(api.run(sha256('tok-login'::bytea), 'me.get', '{manager}', 'x', NULL, NULL, '{}', NULL), 200);
    PERFORM tst.expect(api.run(sha256('tok-login'::bytea), 'auth.logout', '{manager}', 'x', NULL, NULL, '{}', NULL), 204);
    PERFORM tst.expect(api.run(sha256('tok-login'::bytea), 'me.get', '{manager}', 'x', NULL, NULL, '{}', NULL), 401);
    PERFORM tst.ok((api.cli_user_add('t_cli', 'staff', ARRAY['T-H2'], 'h'))->'house_ids' = jsonb_build_array(h2->>'id'), 'cli');
    BEGIN
        PERFORM api.cli_user_add('t_cli', 'staff', '{}', 'h');
        RAISE EXCEPTION 'FAIL cli duplicate accepted';
    EXCEPTION WHEN unique_violation THEN NULL;
    END;
    PERFORM tst.ok(api.ping(), 'ping');
END $$;

-- ---------------------------------------------------------------- facilities, residents, scoping
DO $$
DECLARE
    h1 uuid := (SELECT id FROM app.houses WHERE code = 'T-H1');
    h2 uuid := (SELECT id FROM app.houses WHERE code = 'T-H2');
    m uuid := tst.user('t_mgr', 'manager', ARRAY[h1]);
    cw uuid := tst.user('t_cw', 'caseworker', ARRAY[h1]);
    st uuid := tst.user('t_staff', 'staff', ARRAY[h1]);
    room jsonb; room2 jsonb; bed jsonb; res jsonb; b jsonb; r api.result; other jsonb;
BEGIN
    room := tst.expect(tst.call('t_mgr', 'rooms.create', jsonb_build_object('house_id', h1, 'code', 'KAMAR-B', 'sex', 'male', 'floor', 1)), 201);
    PERFORM tst.expect(tst.call('t_mgr', 'rooms.create', jsonb_build_object('house_id', h1, 'code', 'KAMAR-B', 'sex', 'any')), 409, 'conflict');
    PERFORM tst.expect(tst.call('t_mgr', 'rooms.create', jsonb_build_object('house_id', h2, 'code', 'X', 'sex', 'any')), 404, 'not_found', 'other house room');
    room2 := tst.expect(tst.call('t_admin', 'rooms.create', jsonb_build_object('house_id', h1, 'code', 'KAMAR-A', 'sex', 'female')), 201);
    FOREACH b IN ARRAY ARRAY['"C"', '"A"', '"B"']::jsonb[] LOOP
        PERFORM tst.expect(tst.call('t_mgr', 'beds.create', jsonb_build_object('room_id', room->>'id', 'label', b)), 201);
        PERFORM tst.expect(tst.call('t_mgr', 'beds.create', jsonb_build_object('room_id', room2->>'id', 'label', b)), 201);
    END LOOP;
    PERFORM tst.expect(tst.call('t_mgr', 'beds.create', jsonb_build_object('room_id', room->>'id', 'label', 'A')), 409, 'conflict');
    b := tst.expect(tst.call('t_mgr', 'beds.board', jsonb_build_object('house_id', h1)), 200);
    PERFORM tst.ok((SELECT string_agg((e->>'room_code') || (e->>'label'), ',') FROM jsonb_array_elements(b->'items') e)
                   = 'KAMAR-AA,KAMAR-AB,KAMAR-AC,KAMAR-BA,KAMAR-BB,KAMAR-BC', 'board order ' || b::text);
    PERFORM tst.ok(NOT b ? 'next_cursor' AND (SELECT bool_and(e->>'state' = 'free') FROM jsonb_array_elements(b->'items') e), 'board free');
    b := tst.expect(tst.call('t_mgr', 'rooms.list', jsonb_build_object('house_id', h1)), 200);
    PERFORM tst.ok(jsonb_array_length(b->'items') = 2 AND jsonb_array_length(b->'items'->0->'beds') = 3, 'rooms list');
    b := tst.expect(tst.call('t_mgr', 'rooms.update', jsonb_build_object('id', room->>'id', 'notes', 'lantai 1')), 200);
    PERFORM tst.ok(b->>'notes' = 'lantai 1' AND b->>'sex' = 'male', 'room patch');
    PERFORM tst.expect(tst.call('t_staff', 'houses.get', jsonb_build_object('id', h2)), 404, 'not_found', 'scoped house');
    b := tst.expect(tst.call('t_staff', 'houses.list'), 200);
    PERFORM tst.ok(jsonb_array_length(b->'items') = 1, 'scoped house list');

    -- residents
    r := tst.call('t_cw', 'residents.create', jsonb_build_object('house_id', h2, 'full_name', 'X', 'register_number', 'T-0',
                  'sex', 'male', 'legal_status', 'parole'));
    PERFORM tst.ok(r.status = 422 AND r.body->'errors'->0->>'field' = 'house_id', 'invisible house_id in body');
    r := tst.call('t_cw', 'residents.create', jsonb_build_object('house_id', h1, 'full_name', 'X', 'register_number', 'T-0',
                  'sex', 'male', 'legal_status', 'parole', 'caseworker_id', m));
    PERFORM tst.ok(r.status = 422 AND r.body->'errors'->0->>'field' = 'caseworker_id', 'caseworker must be caseworker');
    res := tst.expect(tst.call('t_cw', 'residents.create', jsonb_build_object('house_id', h1, 'full_name', 'Budi Santoso',
                  'register_number', 'PB-T-001', 'sex', 'male', 'legal_status', 'parole', 'national_id', '1571010101900001',
                  'notes', 'secret', 'caseworker_id', cw, 'birth_date', '1990-05-17',
                  'emergency_contact', '{"name":"Siti","phone":"0812","relation":"sister"}'::jsonb)), 201);
    PERFORM tst.ok(res->>'status' = 'new' AND res ? 'current_stay_id' AND res->>'national_id' = '1571010101900001'
                   AND res->>'birth_date' = '1990-05-17' AND res->'emergency_contact'->>'name' = 'Siti', 'resident json');
    PERFORM tst.expect(tst.call('t_cw', 'residents.create', jsonb_build_object('house_id', h2, 'full_name', 'Y',
                  'register_number', 'PB-T-001', 'sex', 'male', 'legal_status', 'parole')), 422, 'validation_failed');
    PERFORM tst.expect(tst.call('t_admin', 'residents.create', jsonb_build_object('house_id', h2, 'full_name', 'Y',
                  'register_number', 'PB-T-001', 'sex', 'male', 'legal_status', 'parole')), 409, 'conflict', 'regno unique');
    other := tst.expect(tst.call('t_admin', 'residents.create', jsonb_build_object('house_id', h2, 'full_name', 'Other House',
                  'register_number', 'PB-T-900', 'sex', 'male', 'legal_status', 'parole')), 201);
    b := tst.expect(tst.call('t_staff', 'residents.get', jsonb_build_object('id', res->>'id')), 200);
    PERFORM tst.ok(NOT b ? 'national_id' AND NOT b ? 'notes', 'staff sees no sensitive fields');
    b := tst.expect(tst.call('t_staff', 'residents.list', jsonb_build_object('house_id', h1)), 200);
    PERFORM tst.ok(NOT b->'items'->0 ? 'national_id', 'staff list');
    PERFORM tst.expect(tst.call('t_staff', 'residents.get', jsonb_build_object('id', other->>'id')), 404, 'not_found');
    PERFORM tst.expect(tst.call('t_staff', 'residents.list', jsonb_build_object('house_id', h2)), 404, 'not_found');
    b := tst.expect(tst.call('t_cw', 'residents.update', jsonb_build_object('id', res->>'id', 'phone', '0899', 'if_match', 1)), 200);
    PERFORM tst.ok(b->>'phone' = '0899' AND (b->>'version')::int = 2, 'resident patch');
    b := tst.expect(tst.call('t_admin', 'residents.list', jsonb_build_object('q', 'BUDI san', 'house_id', h1)), 200);
    PERFORM tst.ok(jsonb_array_length(b->'items') = 1, 'q name');
    b := tst.expect(tst.call('t_admin', 'residents.list', '{"q":"pb-t-9"}'), 200);
    PERFORM tst.ok(b->'items'->0->>'id' = other->>'id' AND jsonb_array_length(b->'items') = 1, 'q regno');
    b := tst.expect(tst.call('t_admin', 'residents.list', '{"q":"%"}'), 200);
    PERFORM tst.ok(jsonb_array_length(b->'items') = 0, 'q escapes %');
    b := tst.expect(tst.call('t_mgr', 'residents.list'), 200);
    PERFORM tst.ok(jsonb_array_length(b->'items') = 1, 'manager sees own house residents only');
END $$;

-- ---------------------------------------------------------------- stays, movements
DO $$
DECLARE
    h1 uuid := (SELECT id FROM app.houses WHERE code = 'T-H1');
    h2 uuid := (SELECT id FROM app.houses WHERE code = 'T-H2');
    budi uuid := (SELECT id FROM app.residents WHERE register_number = 'PB-T-001');
    bm uuid[] := (SELECT array_agg(b.id ORDER BY b.label) FROM app.beds b JOIN app.rooms r ON r.id = b.room_id WHERE r.code = 'KAMAR-B');
    bf uuid[] := (SELECT array_agg(b.id ORDER BY b.label) FROM app.beds b JOIN app.rooms r ON r.id = b.room_id WHERE r.code = 'KAMAR-A');
    res2 jsonb; res3 jsonb; s jsonb; s2 jsonb; b jsonb; r api.result; mv jsonb; ev bigint;
BEGIN
    res2 := tst.expect(tst.call('t_admin', 'residents.create', jsonb_build_object('house_id', h1, 'full_name', 'Andi',
                  'register_number', 'PB-T-002', 'sex', 'male', 'legal_status', 'probation')), 201);
    res3 := tst.expect(tst.call('t_admin', 'residents.create', jsonb_build_object('house_id', h1, 'full_name', 'Sari',
                  'register_number', 'PB-T-003', 'sex', 'female', 'legal_status', 'assimilation')), 201);
    r := tst.call('t_staff', 'stays.checkin', jsonb_build_object('resident_id', gen_random_uuid(), 'bed_id', bm[1], 'rules_acknowledged', true));
    PERFORM tst.ok(r.body->'errors'->0->>'field' = 'resident_id', 'unknown resident');
    r := tst.call('t_staff', 'stays.checkin', jsonb_build_object('resident_id', budi, 'bed_id', gen_random_uuid(), 'rules_acknowledged', true));
    PERFORM tst.ok(r.body->'errors'->0->>'field' = 'bed_id', 'unknown bed');
    r := tst.call('t_staff', 'stays.checkin', jsonb_build_object('resident_id', budi, 'bed_id', bm[1], 'rules_acknowledged', true,
                  'checked_in_at', tst.t(60)));
    PERFORM tst.ok(r.body->'errors'->0->>'field' = 'checked_in_at', 'future checkin');
    PERFORM tst.expect(tst.call('t_staff', 'stays.checkin', jsonb_build_object('resident_id', budi, 'bed_id', bf[1], 'rules_acknowledged', true)),
                       409, 'sex_mismatch');
    PERFORM tst.expect(tst.call('t_mgr', 'beds.update', jsonb_build_object('id', bm[3], 'status', 'out_of_service', 'status_reason', 'roof')), 200);
    PERFORM tst.expect(tst.call('t_staff', 'stays.checkin', jsonb_build_object('resident_id', budi, 'bed_id', bm[3], 'rules_acknowledged', true)),
                       409, 'bed_out_of_service');

    ev := coalesce((SELECT max(id) FROM app.events), 0);
    s := tst.expect(tst.call('t_staff', 'stays.checkin', jsonb_build_object('resident_id', budi, 'bed_id', bm[1], 'rules_acknowledged', true,
                    'checked_in_at', tst.t(-60 * 24 * 10), 'planned_exit_on', '2030-01-01')), 201, NULL, 'checkin');
    PERFORM tst.ok(s->>'status' = 'active' AND s->>'bed_id' = bm[1]::text AND jsonb_array_length(s->'beds') = 1
                   AND s->'beds'->0->'to' = 'null' AND s->>'planned_exit_on' = '2030-01-01', 'stay json ' || s::text);
    PERFORM tst.ok(EXISTS (SELECT 1 FROM app.events WHERE id > ev AND name = 'stay.checked_in'
                   AND data->>'id' = s->>'id' AND data->>'bed_id' = bm[1]::text AND data->>'entity' = 'stay'), 'event');
    b := tst.expect(tst.call('t_staff', 'residents.get', jsonb_build_object('id', budi)), 200);
    PERFORM tst.ok(b->>'status' = 'in_residence' AND b->>'current_stay_id' = s->>'id', 'resident status');
    PERFORM tst.expect(tst.call('t_mgr', 'beds.update', jsonb_build_object('id', bm[1], 'status', 'out_of_service')), 409, 'bed_occupied');
    PERFORM tst.expect(tst.call('t_staff', 'stays.checkin', jsonb_build_object('resident_id', budi, 'bed_id', bm[2], 'rules_acknowledged', true)),
                       409, 'resident_in_residence');
    PERFORM tst.expect(tst.call('t_staff', 'stays.checkin', jsonb_build_object('resident_id', res2->>'id', 'bed_id', bm[1], 'rules_acknowledged', true)),
                       409, 'bed_occupied');
    -- back-dated before the active stay on that bed
    PERFORM tst.expect(tst.call('t_staff', 'stays.checkin', jsonb_build_object('resident_id', res2->>'id', 'bed_id', bm[1], 'rules_acknowledged', true,
                       'checked_in_at', tst.t(-60 * 24 * 12))), 409, 'bed_occupied');
    -- transfer
    r := tst.call('t_staff', 'stays.transfer', jsonb_build_object('stay_id', s->>'id', 'bed_id', bm[1]));
    PERFORM tst.ok(r.body->'errors'->0->>'field' = 'bed_id', 'transfer same bed');
    r := tst.call('t_staff', 'stays.transfer', jsonb_build_object('stay_id', s->>'id', 'bed_id', bm[2], 'at', tst.t(-60 * 24 * 11)));
    PERFORM tst.ok(r.body->'errors'->0->>'field' = 'at', 'transfer before period');
    s2 := tst.expect(tst.call('t_staff', 'stays.transfer', jsonb_build_object('stay_id', s->>'id', 'bed_id', bm[2], 'at', tst.t(-60 * 24 * 5))), 200);
    PERFORM tst.ok(s2->>'bed_id' = bm[2]::text AND jsonb_array_length(s2->'beds') = 2 AND s2->'beds'->0->>'to' = s2->'beds'->1->>'from'
                   AND (s2->>'version')::int = 2, 'transfer json');
    -- the old bed is free from the transfer on but not before
    PERFORM tst.expect(tst.call('t_staff', 'stays.checkin', jsonb_build_object('resident_id', res2->>'id', 'bed_id', bm[1], 'rules_acknowledged', true,
                       'checked_in_at', tst.t(-60 * 24 * 6))), 409, 'bed_occupied');
    s := tst.expect(tst.call('t_staff', 'stays.checkin', jsonb_build_object('resident_id', res2->>'id', 'bed_id', bm[1], 'rules_acknowledged', true,
                       'checked_in_at', s2->'beds'->0->>'to')), 201, NULL, 'checkin at transfer instant');
    b := tst.expect(tst.call('t_staff', 'beds.board', jsonb_build_object('house_id', h1, 'state', 'occupied')), 200);
    PERFORM tst.ok(jsonb_array_length(b->'items') = 2 AND b->'items'->0->'occupant'->>'full_name' = 'Andi', 'board occupied ' || b::text);
    b := tst.expect(tst.call('t_staff', 'beds.board', jsonb_build_object('house_id', h1, 'state', 'out_of_service')), 200);
    PERFORM tst.ok(jsonb_array_length(b->'items') = 1 AND b->'items'->0->>'status_reason' = 'roof', 'board oos');

    -- movements
    r := tst.call('t_staff', 'movements.create', jsonb_build_object('stay_id', s->>'id', 'purpose', 'work', 'expected_back_at', tst.t(-1)));
    PERFORM tst.ok(r.body->'errors'->0->>'field' = 'expected_back_at', 'expected back in past');
    mv := tst.expect(tst.call('t_staff', 'movements.create', jsonb_build_object('stay_id', s->>'id', 'purpose', 'work',
                     'destination', 'Pasar', 'expected_back_at', tst.t(120))), 201);
    PERFORM tst.ok(mv->'late' = 'null' AND mv->'overdue' = 'false' AND mv->'returned_at' = 'null', 'movement json');
    PERFORM tst.expect(tst.call('t_staff', 'movements.create', jsonb_build_object('stay_id', s->>'id', 'purpose', 'work',
                     'expected_back_at', tst.t(120))), 409, 'already_out');
    b := tst.expect(tst.call('t_staff', 'movements.list', jsonb_build_object('house_id', h1, 'open', true)), 200);
    PERFORM tst.ok(jsonb_array_length(b->'items') = 1, 'open list');
    b := tst.expect(tst.call('t_staff', 'reports.occupancy'), 200);
    PERFORM tst.ok(b->'items'->0->>'residents_out' = '1' AND (b->'items'->0->>'beds_occupied')::int = 2
                   AND (b->'items'->0->>'beds_out_of_service')::int = 1 AND (b->'items'->0->>'beds_total')::int = 6
                   AND b->'items'->0->'by_sex'->'male'->>'beds_free' = '0', 'occupancy ' || b::text);
    b := tst.expect(tst.call('t_staff', 'movements.return', jsonb_build_object('id', mv->>'id')), 200);
    PERFORM tst.ok(b->'late' = 'false' AND b->>'returned_at' IS NOT NULL, 'return');
    PERFORM tst.expect(tst.call('t_staff', 'movements.return', jsonb_build_object('id', mv->>'id')), 409, 'movement_closed');
    -- a movement still open at checkout is closed by it
    mv := tst.expect(tst.call('t_staff', 'movements.create', jsonb_build_object('stay_id', s->>'id', 'purpose', 'medical',
                     'expected_back_at', tst.t(30))), 201);
    r := tst.call('t_staff', 'stays.checkout', jsonb_build_object('stay_id', s->>'id', 'exit_reason', 'completed',
                  'destination', 'family', 'checked_out_at', tst.t(-60 * 24 * 7)));
    PERFORM tst.ok(r.body->'errors'->0->>'field' = 'checked_out_at', 'checkout before checkin');
    b := tst.expect(tst.call('t_staff', 'stays.checkout', jsonb_build_object('stay_id', s->>'id', 'exit_reason', 'completed',
                    'destination', 'employer_housing', 'notes', 'Works at a mill')), 200);
    PERFORM tst.ok(b->>'status' = 'closed' AND b->>'exit_reason' = 'completed' AND b->'beds'->0->>'to' IS NOT NULL, 'checkout');
    PERFORM tst.ok((SELECT returned_at IS NOT NULL FROM app.movements WHERE id = (mv->>'id')::uuid), 'movement closed by checkout');
    PERFORM tst.expect(tst.call('t_staff', 'stays.checkout', jsonb_build_object('stay_id', s->>'id', 'exit_reason', 'completed',
                    'destination', 'family')), 409, 'stay_closed');
    PERFORM tst.expect(tst.call('t_staff', 'movements.create', jsonb_build_object('stay_id', s->>'id', 'purpose', 'work',
                     'expected_back_at', tst.t(30))), 409, 'stay_closed');
    PERFORM tst.expect(tst.call('t_staff', 'stays.transfer', jsonb_build_object('stay_id', s->>'id', 'bed_id', bm[1])), 409, 'stay_closed');
    b := tst.expect(tst.call('t_staff', 'residents.get', jsonb_build_object('id', res2->>'id')), 200);
    PERFORM tst.ok(b->>'status' = 'former' AND b->'current_stay_id' = 'null', 'former');
    b := tst.expect(tst.call('t_staff', 'stays.list', jsonb_build_object('house_id', h1, 'status', 'active')), 200);
    PERFORM tst.ok(jsonb_array_length(b->'items') = 1, 'stays active');
    b := tst.expect(tst.call('t_staff', 'stays.list', jsonb_build_object('resident_id', res2->>'id')), 200);
    PERFORM tst.ok(jsonb_array_length(b->'items') = 1 AND b->'items'->0->>'status' = 'closed', 'stays by resident');
    b := tst.expect(tst.call('t_staff', 'stays.list', jsonb_build_object('resident_id', gen_random_uuid())), 200);
    PERFORM tst.ok(jsonb_array_length(b->'items') = 0, 'unknown resident filter: empty');
    -- scoping of writes: a manager of H2 only
    PERFORM tst.user('t_mgr_h2', 'manager', ARRAY[h2]);
    PERFORM tst.expect(tst.call('t_mgr_h2', 'stays.get', jsonb_build_object('id', s2->>'id')), 404, 'not_found');
    PERFORM tst.expect(tst.call('t_mgr_h2', 'stays.checkout', jsonb_build_object('stay_id', s2->>'id', 'exit_reason', 'completed',
                       'destination', 'family')), 404, 'not_found');
    PERFORM tst.expect(tst.call('t_mgr_h2', 'beds.update', jsonb_build_object('id', bm[2], 'status', 'available')), 404, 'not_found');
END $$;

-- ---------------------------------------------------------------- rules, violations, exit plans
DO $$
DECLARE
    h1 uuid := (SELECT id FROM app.houses WHERE code = 'T-H1');
    h2 uuid := (SELECT id FROM app.houses WHERE code = 'T-H2');
    s uuid := (SELECT id FROM app.stays WHERE checked_out_at IS NULL AND house_id = h1);
    budi uuid := (SELECT id FROM app.residents WHERE register_number = 'PB-T-001');
    cw uuid := (SELECT id FROM app.users WHERE username = 't_cw');
    ru jsonb; foreign_rule jsonb; v jsonb; b jsonb; r api.result; p jsonb; g jsonb; g2 jsonb;
BEGIN
    ru := tst.expect(tst.call('t_mgr', 'rules.create', jsonb_build_object('house_id', h1, 'code', 'TT-01', 'title', 'No alcohol', 'severity', 'major')), 201);
    PERFORM tst.expect(tst.call('t_mgr', 'rules.create', jsonb_build_object('house_id', h1, 'code', 'TT-01', 'title', 'x', 'severity', 'major')), 409, 'conflict');
    foreign_rule := tst.expect(tst.call('t_admin', 'rules.create', jsonb_build_object('house_id', h2, 'code', 'TT-01', 'title', 'x', 'severity', 'minor')), 201);
    PERFORM tst.expect(tst.call('t_mgr', 'rules.update', jsonb_build_object('id', ru->>'id', 'active', false)), 200);
    b := tst.expect(tst.call('t_mgr', 'rules.list', jsonb_build_object('house_id', h1, 'active', true)), 200);
    PERFORM tst.ok(jsonb_array_length(b->'items') = 0, 'active rules');
    PERFORM tst.expect(tst.call('t_mgr', 'rules.update', jsonb_build_object('id', ru->>'id', 'active', true)), 200);
    r := tst.call('t_staff', 'violations.create', jsonb_build_object('stay_id', s, 'rule_id', foreign_rule->>'id', 'occurred_at', tst.t(-10), 'description', 'x'));
    PERFORM tst.ok(r.body->'errors'->0->>'field' = 'rule_id', 'foreign rule');
    r := tst.call('t_staff', 'violations.create', jsonb_build_object('stay_id', s, 'rule_id', ru->>'id', 'occurred_at', tst.t(-60 * 24 * 30), 'description', 'x'));
    PERFORM tst.ok(r.body->'errors'->0->>'field' = 'occurred_at', 'violation outside stay');
    v := tst.expect(tst.call('t_staff', 'violations.create', jsonb_build_object('stay_id', s, 'rule_id', ru->>'id',
                    'occurred_at', tst.t(-60 * 24 * 8), 'description', 'Came back drunk', 'action_taken', 'warning')), 201);
    v := tst.expect(tst.call('t_cw', 'violations.create', jsonb_build_object('stay_id', s, 'rule_id', ru->>'id',
                    'occurred_at', tst.t(-60), 'description', 'Again')), 201);
    b := tst.expect(tst.call('t_staff', 'violations.list', jsonb_build_object('resident_id', budi)), 200);
    PERFORM tst.ok(jsonb_array_length(b->'items') = 2, 'violations by resident');
    b := tst.expect(tst.call('t_staff', 'violations.list', jsonb_build_object('house_id', h1,
                    'from', api.d(api.today(h1) - 2), 'to', api.d(api.today(h1)))), 200);
    PERFORM tst.ok(jsonb_array_length(b->'items') = 1 AND b->'items'->0->>'id' = v->>'id', 'violations by date');

    -- exit plans
    PERFORM tst.expect(tst.call('t_cw', 'exit_plans.get', jsonb_build_object('stay_id', s)), 404, 'not_found');
    PERFORM tst.expect(tst.call('t_cw', 'goals.create', jsonb_build_object('stay_id', s, 'domain', 'housing', 'title', 'x')), 404, 'not_found');
    p := tst.expect(tst.call('t_cw', 'exit_plans.put', jsonb_build_object('stay_id', s, 'target_exit_on', api.d(api.today(h1) + 60),
                    'destination_plan', 'independent_rental', 'summary', 'Rent a room')), 201);
    PERFORM tst.ok(p->'goals' = '[]' AND p->'readiness' = 'null', 'plan json');
    p := tst.expect(tst.call('t_cw', 'exit_plans.put', jsonb_build_object('stay_id', s, 'target_exit_on', api.d(api.today(h1) + 60),
                    'destination_plan', 'family')), 200);
    PERFORM tst.expect(tst.call('t_cw', 'exit_plans.put', jsonb_build_object('stay_id', s, 'target_exit_on', api.d(api.today(h1) + 60),
                    'destination_plan', 'family', 'if_match', 1)), 412, 'precondition_failed');
    g := tst.expect(tst.call('t_cw', 'goals.create', jsonb_build_object('stay_id', s, 'domain', 'housing', 'title', 'Find a room', 'due_on', api.d(api.today(h1) - 1))), 201);
    g2 := tst.expect(tst.call('t_cw', 'goals.create', jsonb_build_object('stay_id', s, 'domain', 'employment', 'title', 'Job')), 201);
    PERFORM tst.expect(tst.call('t_cw', 'goals.create', jsonb_build_object('stay_id', s, 'domain', 'documents', 'title', 'KTP')), 201);
    PERFORM tst.expect(tst.call('t_cw', 'goals.update', jsonb_build_object('id', g2->>'id', 'status', 'achieved')), 200);
    b := tst.expect(tst.call('t_cw', 'exit_plans.get', jsonb_build_object('stay_id', s)), 200);
    PERFORM tst.ok(abs((b->>'readiness')::float8 - 1.0 / 3) < 1e-9 AND jsonb_array_length(b->'goals') = 3, 'readiness ' || b::text);
    b := tst.expect(tst.call('t_mgr', 'exit_plans.worklist'), 200);
    PERFORM tst.ok(jsonb_array_length(b->'items') = 1 AND b->'items'->0->>'overdue_goals' = '1'
                   AND b->'items'->0->>'full_name' = 'Budi Santoso' AND b->'items'->0->>'resident_id' = budi::text, 'worklist ' || b::text);
    b := tst.expect(tst.call('t_mgr', 'exit_plans.worklist', jsonb_build_object('caseworker_id', gen_random_uuid())), 200);
    PERFORM tst.ok(jsonb_array_length(b->'items') = 0, 'worklist by caseworker');
    b := tst.expect(tst.call('t_mgr', 'exit_plans.worklist', jsonb_build_object('caseworker_id', cw, 'due_within_days', 5)), 200);
    PERFORM tst.ok(jsonb_array_length(b->'items') = 1, 'worklist due within (overdue goal)');
    PERFORM tst.expect(tst.call('t_mgr_h2', 'exit_plans.get', jsonb_build_object('stay_id', s)), 404, 'not_found');
END $$;

-- ---------------------------------------------------------------- reports, audit, idempotency
DO $$
DECLARE
    h uuid; rm jsonb; b1 jsonb; b2 jsonb; r1 jsonb; r2 jsonb; s1 jsonb; s2 jsonb; b jsonb; r api.result; d0 date;
    tz text := 'Asia/Jakarta';
    fp text := 'POST /api/v1/residents abc';
BEGIN
    h := (tst.expect(tst.call('t_admin', 'houses.create', '{"code":"T-R","name":"Reports"}'), 201)->>'id')::uuid;
    d0 := api.today(h);
    rm := tst.expect(tst.call('t_admin', 'rooms.create', jsonb_build_object('house_id', h, 'code', 'R', 'sex', 'any')), 201);
    b1 := tst.expect(tst.call('t_admin', 'beds.create', jsonb_build_object('room_id', rm->>'id', 'label', '1')), 201);
    b2 := tst.expect(tst.call('t_admin', 'beds.create', jsonb_build_object('room_id', rm->>'id', 'label', '2')), 201);
    r1 := tst.expect(tst.call('t_admin', 'residents.create', jsonb_build_object('house_id', h, 'full_name', 'A', 'register_number', 'R-1', 'sex', 'male', 'legal_status', 'parole')), 201);
    r2 := tst.expect(tst.call('t_admin', 'residents.create', jsonb_build_object('house_id', h, 'full_name', 'B', 'register_number', 'R-2', 'sex', 'male', 'legal_status', 'parole')), 201);
    s1 := tst.expect(tst.call('t_admin', 'stays.checkin', jsonb_build_object('resident_id', r1->>'id', 'bed_id', b1->>'id', 'rules_acknowledged', true,
                     'checked_in_at', api.ts(((d0 - 10) + time '10:00') AT TIME ZONE tz))), 201);
    s2 := tst.expect(tst.call('t_admin', 'stays.checkin', jsonb_build_object('resident_id', r2->>'id', 'bed_id', b2->>'id', 'rules_acknowledged', true,
                     'checked_in_at', api.ts(((d0 - 6) + time '10:00') AT TIME ZONE tz))), 201);
    PERFORM tst.expect(tst.call('t_admin', 'stays.checkout', jsonb_build_object('stay_id', s1->>'id', 'exit_reason', 'completed', 'destination', 'family',
                     'checked_out_at', api.ts(((d0 - 4) + time '10:00') AT TIME ZONE tz))), 200);
    PERFORM tst.expect(tst.call('t_admin', 'stays.checkout', jsonb_build_object('stay_id', s2->>'id', 'exit_reason', 'absconded', 'destination', 'unknown',
                     'checked_out_at', api.ts(((d0 - 4) + time '10:00') AT TIME ZONE tz))), 200);
    b := tst.expect(tst.call('t_admin', 'reports.census', jsonb_build_object('house_id', h, 'from', api.d(d0 - 11), 'to', api.d(d0 - 3))), 200);
    PERFORM tst.ok((SELECT string_agg(format('%s/%s/%s', e->'occupied', e->'check_ins', e->'check_outs'), ' ' ORDER BY e->>'date')
                      FROM jsonb_array_elements(b->'items') e) = '0/0/0 1/1/0 1/0/0 1/0/0 1/0/0 2/1/0 2/0/0 0/0/2 0/0/0', 'census ' || b::text);
    r := tst.call('t_admin', 'reports.census', jsonb_build_object('house_id', h, 'from', '2000-01-01', 'to', '2011-01-01'));
    PERFORM tst.ok(r.status = 422 AND r.body->'errors'->0->>'field' = 'to', 'census range');
    b := tst.expect(tst.call('t_admin', 'reports.exits', jsonb_build_object('house_id', h, 'from', api.d(d0 - 30), 'to', api.d(d0))), 200);
    PERFORM tst.ok(b->>'stays_closed' = '2' AND (b->>'average_length_of_stay_days')::numeric = 4
                   AND b->'by_exit_reason' = '{"completed":1,"absconded":1}' AND b->'by_destination' = '{"family":1,"unknown":1}'
                   AND b->>'house_id' = h::text, 'exits ' || b::text);
    b := tst.expect(tst.call('t_admin', 'reports.exits', jsonb_build_object('house_id', h, 'from', api.d(d0 - 30), 'to', api.d(d0), 'format', 'csv')), 200);
    PERFORM tst.ok(jsonb_array_length(b->'items') = 2, 'exits csv');
    b := tst.expect(tst.call('t_admin', 'reports.exits', jsonb_build_object('from', api.d(d0 - 100), 'to', api.d(d0 - 90))), 200);
    PERFORM tst.ok(b->'house_id' = 'null' AND b->>'stays_closed' = '0' AND b->'average_length_of_stay_days' = 'null', 'exits empty');

    -- audit
    b := tst.expect(tst.call('t_admin', 'audit.list', jsonb_build_object('entity_id', r1->>'id')), 200);
    PERFORM tst.ok(jsonb_array_length(b->'items') = 1 AND b->'items'->0->'before' = 'null' AND b->'items'->0->>'request_id' = 'req-test', 'audit list');
    b := tst.expect(tst.call('t_mgr', 'audit.list', '{"limit":200}'), 200);
    PERFORM tst.ok((SELECT bool_and(e->>'house_id' = (SELECT id::text FROM app.houses WHERE code = 'T-H1')) FROM jsonb_array_elements(b->'items') e), 'manager audit scope');
    PERFORM tst.expect(tst.call('t_mgr', 'audit.list', jsonb_build_object('house_id', h)), 404, 'not_found');
    b := tst.expect(tst.call('t_admin', 'audit.verify'), 200);
    PERFORM tst.ok(b->'ok' = 'true' AND (b->>'records')::int = (SELECT count(*) FROM app.audit_log), 'verify ' || b::text);

    -- idempotency
    r := tst.call('t_admin', 'residents.create', jsonb_build_object('house_id', h, 'full_name', 'I', 'register_number', 'R-I', 'sex', 'male', 'legal_status', 'parole'), 'k1', fp);
    PERFORM tst.ok(r.status = 201, 'idem first');
    PERFORM tst.ok((tst.call('t_admin', 'residents.create', '{}', 'k1', fp)).body = r.body, 'idem replay');
    PERFORM tst.expect(tst.call('t_admin', 'residents.create', '{}', 'k1', fp || 'x'), 422, 'idempotency_key_reused');
    r := tst.call('t_admin', 'residents.create', jsonb_build_object('house_id', h, 'full_name', 'I', 'register_number', 'R-I', 'sex', 'male', 'legal_status', 'parole'), 'k2', fp);
    PERFORM tst.ok(r.status = 409 AND (tst.call('t_admin', 'residents.create', '{}', 'k2', fp)).status = 409, 'idem stores errors');
END $$;

-- ---------------------------------------------------------------- tampering breaks the chain
DO $$
DECLARE rec app.audit_log := (SELECT a FROM app.audit_log a ORDER BY pos OFFSET 3 LIMIT 1); b jsonb;
BEGIN
    PERFORM set_config('session_replication_role', 'replica', true);   -- past the append-only trigger
    UPDATE app.audit_log SET action = action || '~' WHERE id = rec.id;
    b := (tst.call('t_admin', 'audit.verify')).body;
    PERFORM tst.ok(b->'ok' = 'false' AND b->>'first_bad_id' = rec.id::text, 'tamper action ' || b::text);
    UPDATE app.audit_log SET action = rec.action, after = after || '{"x":1}' WHERE id = rec.id;
    PERFORM tst.ok((tst.call('t_admin', 'audit.verify')).body->'ok' = 'false', 'tamper after');
    UPDATE app.audit_log SET after = rec.after, at = at + interval '1 microsecond' WHERE id = rec.id;
    PERFORM tst.ok((tst.call('t_admin', 'audit.verify')).body->'ok' = 'false', 'tamper at');
    UPDATE app.audit_log SET at = rec.at, request_id = 'other' WHERE id = rec.id;
    PERFORM tst.ok((tst.call('t_admin', 'audit.verify')).body->'ok' = 'false', 'tamper request_id');
    UPDATE app.audit_log SET request_id = rec.request_id WHERE id = rec.id;
    PERFORM tst.ok((tst.call('t_admin', 'audit.verify')).body->'ok' = 'true', 'restored');
END $$;

SELECT 'test_api.sql: all passed' AS result;
