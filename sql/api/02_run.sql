-- abipraya: the C <-> SQL interface (docs/ops.md): api.run and its error mapping, the
-- direct reads, and what the daemon calls outside api.run (ping, cleanup).
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

-- Map a caught SQL error to a problem (NULL: not ours, re-raise).
CREATE OR REPLACE FUNCTION api.map_error(state text, constraint_name text, column_name text, message text, detail text)
RETURNS api.reply LANGUAGE plpgsql STABLE AS $$
DECLARE
    p jsonb;
    cp api.constraint_problems;
BEGIN
    IF state = 'P0001' AND message = 'api_problem' THEN
        p := detail::jsonb;
        RETURN ROW((p->>'status')::int, api.problem(p->>'code', p->>'field', p->>'detail') || coalesce(p->'extra', '{}'));
    ELSIF state IN ('23505', '23P01', '23503', '23514') THEN
        SELECT * INTO cp FROM api.constraint_problems c WHERE c.constraint_name = map_error.constraint_name;
        IF FOUND AND cp.constraint_name = 'bed_claims_no_overlap' THEN
            -- a bed's one exclusion: the code names the kind of claim there (21_bed_time.sql)
            cp.code := coalesce(api.bed_claim_code(detail), cp.code);
            cp.detail := api.bed_time_detail(cp.code);
        END IF;
        IF FOUND THEN
            RETURN ROW(cp.status, api.problem(cp.code, cp.field, cp.detail));
        END IF;
    ELSIF state = '23502' THEN         -- PATCH with null for a required field
        RETURN ROW(422, api.problem('validation_failed', column_name, 'must not be null'));
    ELSIF state LIKE '22%' THEN        -- bad value the C side let through: still the client's mistake
        RETURN ROW(422, api.problem('validation_failed', NULL, message));
    END IF;
    RETURN NULL;
END $$;

-- The answer to a caller whose role the route does not admit, decided before any lookup:
-- 403 forbidden for a house role (API.md §4); 404 not_found for a partner user, who may call
-- only the routes that name its role and must not tell what else exists (contract §16.3).
-- The one place this is decided: api.run and the direct reads (api.direct_status) ask here.
CREATE OR REPLACE FUNCTION api.refusal(role text) RETURNS int LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN role = 'partner' THEN 404 ELSE 403 END
$$;

-- The ops (the files of sql/api/ from 03 on) are called by name, so their plans are cached
-- (a dynamic EXECUTE would be parsed and planned on every request): the CASE of every op of
-- the route table, most frequent first, is generated (tools/gen/dispatch_sql.py, from the
-- routes' "hot" rank). An op that is no route's is 404 not_found.
CREATE OR REPLACE FUNCTION api.run(token_hash bytea, op text, roles text[], request_id text, idem_key text,
                                   fingerprint text, args jsonb, pre_error jsonb) RETURNS api.result
LANGUAGE plpgsql AS $$
DECLARE
    c api.ctx;
    u_id uuid; u_role text; u_houses uuid[];
    r api.reply;
    k app.idempotency_keys;
    res api.result;
    setting text;
    st text; cn text; col text; msg text; det text;
BEGIN
    SELECT us.id, us.role, us.house_ids INTO u_id, u_role, u_houses
      FROM app.sessions s JOIN app.users us ON us.id = s.user_id
     WHERE s.token_hash = run.token_hash AND s.expires_at > now() AND us.active;
    IF NOT FOUND OR token_hash IS NULL THEN
        RETURN ROW(401, '{"code":"unauthorized"}'::jsonb, NULL::int);
    END IF;
    IF (u_role = ANY (roles)) IS NOT TRUE THEN
        RETURN ROW(api.refusal(u_role), api.direct_problem(api.refusal(u_role))::jsonb, NULL::int);
    END IF;
    c := ROW(u_id, u_role, CASE WHEN u_role = 'admin' THEN NULL ELSE u_houses END, request_id);
    -- for auth.logout (an assignment, not PERFORM: no executor start-up)
    setting := set_config('api.token_hash', encode(token_hash, 'hex'), true);

    IF idem_key IS NOT NULL THEN
        DELETE FROM app.idempotency_keys i
         WHERE i.user_id = u_id AND i.key = idem_key AND i.created_at < now() - interval '24 hours';
        -- a concurrent twin with the same key blocks here until it commits, then we replay it
        INSERT INTO app.idempotency_keys (user_id, key, fingerprint)
        VALUES (u_id, idem_key, coalesce(fingerprint, '')) ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
            SELECT * INTO k FROM app.idempotency_keys i WHERE i.user_id = u_id AND i.key = idem_key;
            IF k.fingerprint IS DISTINCT FROM coalesce(fingerprint, '') THEN
                RETURN ROW(422, api.problem('idempotency_key_reused', NULL,
                                            'the key was used with another request'), NULL::int);
            END IF;
            RETURN ROW(k.status, k.body, k.etag);
        END IF;
    END IF;

    IF pre_error IS NOT NULL THEN
        -- found by the C side (validation, a path id that is no UUID): recorded under the key too
        r := ROW(coalesce((pre_error->>'status')::int, 422), pre_error - 'status');
    ELSE
        FOR attempt IN 1..5 LOOP
            BEGIN
                -- BEGIN dispatch: generated by tools/gen/dispatch_sql.py from `abiprayad spec-dump`, do not edit
                CASE op
                    WHEN 'residents.get' THEN r := api.op_residents_get(c, args);
                    WHEN 'beds.board' THEN r := api.op_beds_board(c, args);
                    WHEN 'stays.checkin' THEN r := api.op_stays_checkin(c, args);
                    WHEN 'stays.checkout' THEN r := api.op_stays_checkout(c, args);
                    WHEN 'reports.occupancy' THEN r := api.op_reports_occupancy(c, args);
                    WHEN 'residents.list' THEN r := api.op_residents_list(c, args);
                    WHEN 'stays.get' THEN r := api.op_stays_get(c, args);
                    WHEN 'stays.list' THEN r := api.op_stays_list(c, args);
                    WHEN 'me.get' THEN r := api.op_me_get(c, args);
                    WHEN 'movements.create' THEN r := api.op_movements_create(c, args);
                    WHEN 'movements.return' THEN r := api.op_movements_return(c, args);
                    WHEN 'movements.list' THEN r := api.op_movements_list(c, args);
                    WHEN 'stays.transfer' THEN r := api.op_stays_transfer(c, args);
                    WHEN 'reports.census' THEN r := api.op_reports_census(c, args);
                    WHEN 'violations.create' THEN r := api.op_violations_create(c, args);
                    WHEN 'violations.list' THEN r := api.op_violations_list(c, args);
                    WHEN 'residents.create' THEN r := api.op_residents_create(c, args);
                    WHEN 'residents.update' THEN r := api.op_residents_update(c, args);
                    WHEN 'houses.get' THEN r := api.op_houses_get(c, args);
                    WHEN 'houses.list' THEN r := api.op_houses_list(c, args);
                    WHEN 'rooms.get' THEN r := api.op_rooms_get(c, args);
                    WHEN 'rooms.list' THEN r := api.op_rooms_list(c, args);
                    WHEN 'beds.get' THEN r := api.op_beds_get(c, args);
                    WHEN 'beds.update' THEN r := api.op_beds_update(c, args);
                    WHEN 'rules.get' THEN r := api.op_rules_get(c, args);
                    WHEN 'rules.list' THEN r := api.op_rules_list(c, args);
                    WHEN 'exit_plans.get' THEN r := api.op_exit_plans_get(c, args);
                    WHEN 'exit_plans.put' THEN r := api.op_exit_plans_put(c, args);
                    WHEN 'exit_plans.worklist' THEN r := api.op_exit_plans_worklist(c, args);
                    WHEN 'goals.create' THEN r := api.op_goals_create(c, args);
                    WHEN 'goals.update' THEN r := api.op_goals_update(c, args);
                    WHEN 'reports.exits' THEN r := api.op_reports_exits(c, args);
                    WHEN 'audit.list' THEN r := api.op_audit_list(c, args);
                    WHEN 'audit.verify' THEN r := api.op_audit_verify(c, args);
                    WHEN 'auth.logout' THEN r := api.op_auth_logout(c, args);
                    WHEN 'users.create' THEN r := api.op_users_create(c, args);
                    WHEN 'users.list' THEN r := api.op_users_list(c, args);
                    WHEN 'users.get' THEN r := api.op_users_get(c, args);
                    WHEN 'users.update' THEN r := api.op_users_update(c, args);
                    WHEN 'houses.create' THEN r := api.op_houses_create(c, args);
                    WHEN 'houses.update' THEN r := api.op_houses_update(c, args);
                    WHEN 'partners.create' THEN r := api.op_partners_create(c, args);
                    WHEN 'partners.list' THEN r := api.op_partners_list(c, args);
                    WHEN 'partners.get' THEN r := api.op_partners_get(c, args);
                    WHEN 'partners.update' THEN r := api.op_partners_update(c, args);
                    WHEN 'programmes.create' THEN r := api.op_programmes_create(c, args);
                    WHEN 'programmes.list' THEN r := api.op_programmes_list(c, args);
                    WHEN 'programmes.get' THEN r := api.op_programmes_get(c, args);
                    WHEN 'programmes.update' THEN r := api.op_programmes_update(c, args);
                    WHEN 'reports.programme' THEN r := api.op_reports_programme(c, args);
                    WHEN 'enrolments.create' THEN r := api.op_enrolments_create(c, args);
                    WHEN 'enrolments.list' THEN r := api.op_enrolments_list(c, args);
                    WHEN 'sessions.create' THEN r := api.op_sessions_create(c, args);
                    WHEN 'sessions.list' THEN r := api.op_sessions_list(c, args);
                    WHEN 'sessions.get' THEN r := api.op_sessions_get(c, args);
                    WHEN 'sessions.update' THEN r := api.op_sessions_update(c, args);
                    WHEN 'attendance.get' THEN r := api.op_attendance_get(c, args);
                    WHEN 'attendance.put' THEN r := api.op_attendance_put(c, args);
                    WHEN 'enrolments.get' THEN r := api.op_enrolments_get(c, args);
                    WHEN 'enrolments.update' THEN r := api.op_enrolments_update(c, args);
                    WHEN 'enrolments.complete' THEN r := api.op_enrolments_complete(c, args);
                    WHEN 'rooms.create' THEN r := api.op_rooms_create(c, args);
                    WHEN 'rooms.update' THEN r := api.op_rooms_update(c, args);
                    WHEN 'beds.create' THEN r := api.op_beds_create(c, args);
                    WHEN 'referrals.create' THEN r := api.op_referrals_create(c, args);
                    WHEN 'referrals.list' THEN r := api.op_referrals_list(c, args);
                    WHEN 'referrals.get' THEN r := api.op_referrals_get(c, args);
                    WHEN 'referrals.update' THEN r := api.op_referrals_update(c, args);
                    WHEN 'referrals.accept' THEN r := api.op_referrals_accept(c, args);
                    WHEN 'referrals.decline' THEN r := api.op_referrals_decline(c, args);
                    WHEN 'referrals.cancel' THEN r := api.op_referrals_cancel(c, args);
                    WHEN 'consents.create' THEN r := api.op_consents_create(c, args);
                    WHEN 'consents.list_resident' THEN r := api.op_consents_list_resident(c, args);
                    WHEN 'consents.list' THEN r := api.op_consents_list(c, args);
                    WHEN 'consents.get' THEN r := api.op_consents_get(c, args);
                    WHEN 'consents.withdraw' THEN r := api.op_consents_withdraw(c, args);
                    WHEN 'programmes.partner_view' THEN r := api.op_programmes_partner_view(c, args);
                    WHEN 'data_requests.create' THEN r := api.op_data_requests_create(c, args);
                    WHEN 'data_requests.list_resident' THEN r := api.op_data_requests_list_resident(c, args);
                    WHEN 'data_requests.list' THEN r := api.op_data_requests_list(c, args);
                    WHEN 'data_requests.get' THEN r := api.op_data_requests_get(c, args);
                    WHEN 'data_requests.close' THEN r := api.op_data_requests_close(c, args);
                    WHEN 'follow_ups.list' THEN r := api.op_follow_ups_list(c, args);
                    WHEN 'follow_ups.get' THEN r := api.op_follow_ups_get(c, args);
                    WHEN 'follow_ups.result' THEN r := api.op_follow_ups_result(c, args);
                    WHEN 'follow_ups.cancel' THEN r := api.op_follow_ups_cancel(c, args);
                    WHEN 'disclosures.list' THEN r := api.op_disclosures_list(c, args);
                    WHEN 'processing_history.get' THEN r := api.op_processing_history_get(c, args);
                    WHEN 'holds.create' THEN r := api.op_holds_create(c, args);
                    WHEN 'holds.list' THEN r := api.op_holds_list(c, args);
                    WHEN 'holds.get' THEN r := api.op_holds_get(c, args);
                    WHEN 'holds.update' THEN r := api.op_holds_update(c, args);
                    WHEN 'holds.cancel' THEN r := api.op_holds_cancel(c, args);
                    WHEN 'turnovers.ready' THEN r := api.op_turnovers_ready(c, args);
                    WHEN 'rules.create' THEN r := api.op_rules_create(c, args);
                    WHEN 'rules.update' THEN r := api.op_rules_update(c, args);
                    WHEN 'legal_bases.create' THEN r := api.op_legal_bases_create(c, args);
                    WHEN 'legal_bases.list' THEN r := api.op_legal_bases_list(c, args);
                    WHEN 'legal_bases.get' THEN r := api.op_legal_bases_get(c, args);
                    WHEN 'legal_bases.correct' THEN r := api.op_legal_bases_correct(c, args);
                    WHEN 'legal_bases.revoke' THEN r := api.op_legal_bases_revoke(c, args);
                    WHEN 'reporting_schedule.put' THEN r := api.op_reporting_schedule_put(c, args);
                    WHEN 'reporting_schedule.get' THEN r := api.op_reporting_schedule_get(c, args);
                    WHEN 'reporting.calendar' THEN r := api.op_reporting_calendar(c, args);
                    WHEN 'reporting_records.create' THEN r := api.op_reporting_records_create(c, args);
                    WHEN 'reporting_records.list' THEN r := api.op_reporting_records_list(c, args);
                    WHEN 'reporting_records.get' THEN r := api.op_reporting_records_get(c, args);
                    WHEN 'reporting_records.void' THEN r := api.op_reporting_records_void(c, args);
                    WHEN 'reporting_excuses.create' THEN r := api.op_reporting_excuses_create(c, args);
                    WHEN 'reporting_excuses.delete' THEN r := api.op_reporting_excuses_delete(c, args);
                    WHEN 'alerts.list' THEN r := api.op_alerts_list(c, args);
                    WHEN 'alerts.acknowledge' THEN r := api.op_alerts_acknowledge(c, args);
                    WHEN 'caseload.list' THEN r := api.op_caseload_list(c, args);
                    WHEN 'businesses.create' THEN r := api.op_businesses_create(c, args);
                    WHEN 'businesses.list' THEN r := api.op_businesses_list(c, args);
                    WHEN 'businesses.get' THEN r := api.op_businesses_get(c, args);
                    WHEN 'businesses.update' THEN r := api.op_businesses_update(c, args);
                    WHEN 'businesses.stage' THEN r := api.op_businesses_stage(c, args);
                    WHEN 'business_months.put' THEN r := api.op_business_months_put(c, args);
                    WHEN 'business_months.list' THEN r := api.op_business_months_list(c, args);
                    WHEN 'handover_notes.create' THEN r := api.op_handover_notes_create(c, args);
                    WHEN 'handover_notes.list' THEN r := api.op_handover_notes_list(c, args);
                    WHEN 'houses.tonight' THEN r := api.op_houses_tonight(c, args);
                    WHEN 'reports.forecast' THEN r := api.op_reports_forecast(c, args);
                    WHEN 'reports.outcomes' THEN r := api.op_reports_outcomes(c, args);
                    WHEN 'roll_calls.create' THEN r := api.op_roll_calls_create(c, args);
                    WHEN 'roll_calls.list' THEN r := api.op_roll_calls_list(c, args);
                    WHEN 'roll_calls.get' THEN r := api.op_roll_calls_get(c, args);
                    WHEN 'roll_calls.marks' THEN r := api.op_roll_calls_marks(c, args);
                    WHEN 'roll_calls.close' THEN r := api.op_roll_calls_close(c, args);
                    WHEN 'roll_calls.cancel' THEN r := api.op_roll_calls_cancel(c, args);
                    WHEN 'roster.get' THEN r := api.op_roster_get(c, args);
                    ELSE r := ROW(404, api.problem('not_found', NULL, 'unknown operation'));
                END CASE;
                -- END dispatch
                EXIT;
            EXCEPTION
                WHEN serialization_failure OR deadlock_detected THEN
                    IF attempt = 5 THEN RAISE; END IF;
                WHEN others THEN
                    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, cn = CONSTRAINT_NAME, col = COLUMN_NAME,
                                            msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
                    r := api.map_error(st, cn, col, msg, det);
                    IF r IS NULL THEN RAISE; END IF;
                    EXIT;
            END;
        END LOOP;
    END IF;

    -- a read that let residents' data out records it in its transaction (contract §18.4);
    -- when it cannot, the caller gets no data
    IF r.status = 200 AND args ? '_disclosure' THEN
        BEGIN
            PERFORM api.disclose(c, args->'_disclosure', args->>'format', r.body);
        EXCEPTION WHEN others THEN
            r := ROW(503, api.problem('unavailable', NULL, 'the disclosure record could not be written'));
        END;
    END IF;
    res := ROW(r.status, r.body,
               CASE WHEN r.status IN (200, 201) AND jsonb_typeof(r.body) = 'object' AND r.body ? 'version'
                    THEN (r.body->>'version')::int END);
    IF idem_key IS NOT NULL THEN
        UPDATE app.idempotency_keys i SET status = res.status, body = res.body, etag = res.etag
         WHERE i.user_id = u_id AND i.key = idem_key;
    END IF;
    RETURN res;
END $$;

-- A write the daemon has already answered 503 must not commit afterwards. The daemon gives
-- up on a call at its deadline (database.timeout_ms) and closes the connection, but a
-- backend that was frozen, or merely slow, may still run the statement later: closing the
-- socket does not stop a statement already in the backend's input. So the daemon sends
-- writes through api.run_by with a deadline a little before its own, and the call rolls
-- itself back when it starts or ends past it. What is left is the commit itself, which
-- takes microseconds. Daemon and database clocks must agree to within the margin the
-- daemon leaves (a second at most).
CREATE OR REPLACE FUNCTION api.run_by(deadline timestamptz, token_hash bytea, op text, roles text[], request_id text,
                                      idem_key text, fingerprint text, args jsonb, pre_error jsonb)
RETURNS api.result LANGUAGE plpgsql AS $$
DECLARE
    res api.result;
BEGIN
    IF clock_timestamp() > deadline THEN
        RAISE EXCEPTION USING ERRCODE = 'query_canceled', MESSAGE = 'the call reached the database after its deadline';
    END IF;
    res := api.run(token_hash, op, roles, request_id, idem_key, fingerprint, args, pre_error);
    IF clock_timestamp() > deadline THEN
        RAISE EXCEPTION USING ERRCODE = 'query_canceled', MESSAGE = 'the call ran past its deadline';
    END IF;
    RETURN res;
END $$;

-- The hottest GETs skip api.run: the daemon prepares `SELECT * FROM api.direct_<op>(token_hash,
-- roles, args, tag)` for them and sends it when the C side found nothing wrong with the
-- request (any problem, and every write, still goes through api.run). A direct function is
-- one SELECT of LANGUAGE sql: inlined into the prepared statement and planned with it once,
-- where api.run pays a PL/pgSQL call, a subtransaction and an executor start-up for each of
-- its statements. It answers (status, body, etag, tag) like api.run: 401/403 (api.refusal) from the
-- session, 404 when the thing is absent or of a house the user does not see.

-- The user of a token, and whether the route admits its role (house_ids NULL for an admin:
-- every house). No row for a missing, expired or revoked token or a deactivated user.
CREATE OR REPLACE FUNCTION api.session(token_hash bytea, roles text[])
RETURNS TABLE (user_id uuid, role text, house_ids uuid[], admitted boolean) LANGUAGE sql STABLE AS $$
    SELECT u.id, u.role, CASE WHEN u.role = 'admin' THEN NULL ELSE u.house_ids END,
           coalesce(u.role = ANY (session.roles), false)
      FROM app.sessions s JOIN app.users u ON u.id = s.user_id
     WHERE s.token_hash = session.token_hash AND s.expires_at > now() AND u.active
$$;

-- Is the token a live one of a caller whom api.refusal answers 404? Asked by the daemon
-- before it answers, outside api.run, a request of /api/v1 that needs no token or names a
-- method the path does not have (src/api/worker.c), so that a partner user gets 404 there too.
CREATE OR REPLACE FUNCTION api.hidden(token_hash bytea) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT api.refusal(s.role) = 404 FROM api.session(hidden.token_hash, '{}'::text[]) s), false)
$$;

-- The status of a direct read, and the problem body of the ones that are not 200.
DROP FUNCTION IF EXISTS api.direct_status(uuid, boolean, boolean);   -- before the caller's role
CREATE OR REPLACE FUNCTION api.direct_status(user_id uuid, role text, admitted boolean, found boolean) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN user_id IS NULL THEN 401 WHEN NOT admitted THEN api.refusal(role) WHEN NOT found THEN 404
                ELSE 200 END
$$;

CREATE OR REPLACE FUNCTION api.direct_problem(status int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE status WHEN 401 THEN '{"code":"unauthorized"}' WHEN 403 THEN '{"code":"forbidden"}'
                       WHEN 404 THEN '{"code":"not_found"}' END
$$;

CREATE OR REPLACE FUNCTION api.ping() RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT true $$;

-- Housekeeping, run every few minutes by one worker of each daemon: what the contract no
-- longer needs after a while (idempotency keys after 24 h, the event backlog and login
-- failures after a day, expired sessions). Idempotent, so several daemons may run it.
CREATE OR REPLACE FUNCTION api.cleanup() RETURNS void LANGUAGE sql AS $$
    DELETE FROM app.idempotency_keys WHERE created_at < now() - interval '25 hours';
    DELETE FROM app.events WHERE at < now() - interval '1 day';
    DELETE FROM app.login_failures WHERE at < now() - interval '1 day';
    DELETE FROM app.sessions WHERE expires_at < now();
$$;
