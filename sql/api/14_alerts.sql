-- abipraya: alerts (contract §15.5, §15.6), computed from the data at read time; only the
-- acknowledgements are stored (app.alert_acknowledgements, one per key).
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").
--
-- How it is put together (README "Adding an alert kind"):
-- - api.alert_kinds(): the one table of the kinds of every section (§15.6's last table):
--   kind, section, entity, whether staff see it, whether staff may acknowledge it, and whether
--   it may be critical. The
--   `kind` enum of GET /alerts (src/resources/alerts.c) is its first column, in its order
--   (tests/integration/test_spec_db.py). A kind of a section not built yet has a row and no
--   function: it is a valid filter that lists nothing.
-- - api.alerts_<kind>(house_ids uuid[]) RETURNS SETOF api.alert: the kind's conditions in
--   those houses, one LANGUAGE sql STABLE SELECT over whole houses (never a call per
--   resident), so that the planner inlines it into api.alerts.
-- - api.alerts(house_ids, kinds): the UNION ALL of the kinds asked for, one line per kind;
--   a kind not in `kinds` is a one-time filter that never runs its branch. A request is
--   then one statement whatever the number of residents.

DROP FUNCTION IF EXISTS api.absence_run(uuid);        -- kept now: app.absence_runs (0038)

-- kind, section, entity (= the key's ENTITY-ID), staff sees, staff may acknowledge, may be
-- critical (§15.6's severities: `tonight` computes only those, §17.9). Its row type changed
-- (the last column): dropped first, CREATE OR REPLACE cannot change it.
DROP FUNCTION IF EXISTS api.alert_kinds();
CREATE OR REPLACE FUNCTION api.alert_kinds()
RETURNS TABLE (kind text, section text, entity text, staff_sees boolean, staff_acks boolean, critical boolean)
LANGUAGE sql IMMUTABLE AS $$
    VALUES ('supervision_ends_soon',              '15.6',  'legal_basis',  true,  false, true ),
           ('supervision_ended_in_residence',     '15.6',  'legal_basis',  true,  false, true ),
           ('planned_exit_after_supervision_end', '15.6',  'stay',         true,  false, false),
           ('reporting_due',                      '15.6',  'resident',     true,  false, false),
           ('reporting_missed',                   '15.6',  'resident',     false, false, false),
           ('reporting_second_consecutive_miss',  '15.6',  'resident',     false, false, true ),
           ('movement_overdue',                   '15.6',  'movement',     true,  true, true ),
           ('exit_plan_target_passed',            '15.6',  'exit_plan',    true,  false, false),
           ('planned_exit_passed',                '15.6',  'stay',         true,  false, false),
           ('long_stay',                          '15.6',  'stay',         true,  false, false),
           ('programme_consecutive_absences',     '16.10', 'enrolment',    true,  false, false),
           ('partner_agreement_expiring',         '16.10', 'partner',      true,  false, false),
           ('partner_agreement_expired',          '16.10', 'partner',      true,  false, false),
           ('roll_call_absent',                   '17.11', 'roll_call',    true,  false, true ),
           ('roll_call_missed',                   '17.11', 'house',        true,  false, false),
           ('hold_expiring',                      '17.11', 'hold',         true,  true, false),
           ('referral_arrival_overdue',           '17.11', 'referral',     true,  false, false),
           ('data_request_due',                   '18.10', 'data_request', false, false, true ),
           ('follow_up_due',                      '18.10', 'follow_up',    false, false, true ),
           ('consent_expiring',                   '18.10', 'consent',      false, false, false)
$$;

-- The house's 00:00 of a date, as an instant.
CREATE OR REPLACE FUNCTION api.midnight(d date, tz text) RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT d::timestamp AT TIME ZONE tz
$$;

-- ---------------------------------------------------------------- the kinds of §15.6
-- "In residence": an active stay; "under supervision": the current basis is of a supervised
-- type, not revoked, and its end is today or later (api.under_supervision).

CREATE OR REPLACE FUNCTION api.alerts_supervision_ends_soon(house_ids uuid[]) RETURNS SETOF api.alert
LANGUAGE sql STABLE AS $$
    SELECT 'supervision_ends_soon:' || b.id || ':' || api.d(b.supervision_ends_on) || ':' || st.stage,
           'supervision_ends_soon', st.stage, h.id, s.resident_id, s.id, 'legal_basis', b.id,
           greatest(api.midnight(b.supervision_ends_on - st.days, h.timezone), s.checked_in_at),
           api.midnight(b.supervision_ends_on + 1, h.timezone),
           jsonb_build_object('legal_basis_type', b.type, 'supervision_ends_on', api.d(b.supervision_ends_on),
                              'days_left', b.supervision_ends_on - t.today)
      FROM app.houses h
     CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE h.timezone)::date AS today) t
      JOIN app.stays s ON s.house_id = h.id AND s.checked_out_at IS NULL
      JOIN app.legal_bases b ON b.resident_id = s.resident_id AND b.superseded_at IS NULL
     CROSS JOIN LATERAL (SELECT CASE WHEN b.supervision_ends_on - t.today <= h.supervision_critical_days
                                     THEN 'critical' ELSE 'warning' END AS stage,
                                CASE WHEN b.supervision_ends_on - t.today <= h.supervision_critical_days
                                     THEN h.supervision_critical_days ELSE h.supervision_warning_days END AS days) st
     WHERE h.id = ANY (house_ids) AND b.type <> 'released' AND b.revoked_on IS NULL
       AND b.supervision_ends_on - t.today BETWEEN 0 AND h.supervision_warning_days
$$;

CREATE OR REPLACE FUNCTION api.alerts_supervision_ended_in_residence(house_ids uuid[]) RETURNS SETOF api.alert
LANGUAGE sql STABLE AS $$
    SELECT 'supervision_ended_in_residence:' || b.id || ':' || s.id,
           'supervision_ended_in_residence', CASE WHEN b.revoked_on IS NOT NULL THEN 'critical' ELSE 'warning' END,
           h.id, s.resident_id, s.id, 'legal_basis', b.id,
           greatest(CASE WHEN b.revoked_on IS NOT NULL THEN api.midnight(b.revoked_on, h.timezone)
                         ELSE api.midnight(b.supervision_ends_on + 1, h.timezone) END, s.checked_in_at),
           NULL::timestamptz,
           jsonb_build_object('legal_basis_type', b.type, 'supervision_ends_on', api.d(b.supervision_ends_on),
                              'revoked_on', api.d(b.revoked_on))
      FROM app.houses h
      JOIN app.stays s ON s.house_id = h.id AND s.checked_out_at IS NULL
      JOIN app.legal_bases b ON b.resident_id = s.resident_id AND b.superseded_at IS NULL
     WHERE h.id = ANY (house_ids) AND b.type <> 'released'
       AND (b.revoked_on IS NOT NULL OR b.supervision_ends_on < (now() AT TIME ZONE h.timezone)::date)
$$;

CREATE OR REPLACE FUNCTION api.alerts_planned_exit_after_supervision_end(house_ids uuid[]) RETURNS SETOF api.alert
LANGUAGE sql STABLE AS $$
    SELECT 'planned_exit_after_supervision_end:' || s.id || ':' || api.d(b.supervision_ends_on),
           'planned_exit_after_supervision_end', 'warning', h.id, s.resident_id, s.id, 'stay', s.id,
           greatest(s.updated_at, p.updated_at, b.updated_at),
           api.midnight(b.supervision_ends_on + 1, h.timezone),
           jsonb_build_object('supervision_ends_on', api.d(b.supervision_ends_on),
                              'planned_exit_on', api.d(s.planned_exit_on), 'target_exit_on', api.d(p.target_exit_on))
      FROM app.houses h
      JOIN app.stays s ON s.house_id = h.id AND s.checked_out_at IS NULL
      JOIN app.legal_bases b ON b.resident_id = s.resident_id AND b.superseded_at IS NULL
      LEFT JOIN app.exit_plans p ON p.stay_id = s.id
     WHERE h.id = ANY (house_ids)
       AND api.under_supervision(b.type, b.revoked_on, b.supervision_ends_on, (now() AT TIME ZONE h.timezone)::date)
       AND (s.planned_exit_on > b.supervision_ends_on OR p.target_exit_on > b.supervision_ends_on)
$$;

CREATE OR REPLACE FUNCTION api.alerts_movement_overdue(house_ids uuid[]) RETURNS SETOF api.alert
LANGUAGE sql STABLE AS $$
    SELECT 'movement_overdue:' || m.id, 'movement_overdue', 'critical', h.id, m.resident_id, m.stay_id,
           'movement', m.id, m.expected_back_at + make_interval(mins => h.absconding_grace_minutes), NULL::timestamptz,
           jsonb_build_object('movement_id', m.id, 'purpose', m.purpose, 'expected_back_at', api.ts(m.expected_back_at),
                              'minutes_overdue', floor(extract(epoch FROM now() - m.expected_back_at) / 60)::int)
      FROM app.houses h
      JOIN app.movements m ON m.house_id = h.id AND m.returned_at IS NULL
     WHERE h.id = ANY (house_ids) AND m.expected_back_at + make_interval(mins => h.absconding_grace_minutes) < now()
$$;

CREATE OR REPLACE FUNCTION api.alerts_exit_plan_target_passed(house_ids uuid[]) RETURNS SETOF api.alert
LANGUAGE sql STABLE AS $$
    SELECT 'exit_plan_target_passed:' || p.id || ':' || api.d(p.target_exit_on), 'exit_plan_target_passed', 'warning',
           h.id, s.resident_id, s.id, 'exit_plan', p.id, api.midnight(p.target_exit_on + 1, h.timezone),
           NULL::timestamptz,
           jsonb_build_object('target_exit_on', api.d(p.target_exit_on), 'readiness', api.readiness(p.id))
      FROM app.houses h
      JOIN app.stays s ON s.house_id = h.id AND s.checked_out_at IS NULL
      JOIN app.exit_plans p ON p.stay_id = s.id
     WHERE h.id = ANY (house_ids) AND p.target_exit_on < (now() AT TIME ZONE h.timezone)::date
$$;

CREATE OR REPLACE FUNCTION api.alerts_planned_exit_passed(house_ids uuid[]) RETURNS SETOF api.alert
LANGUAGE sql STABLE AS $$
    SELECT 'planned_exit_passed:' || s.id || ':' || api.d(s.planned_exit_on), 'planned_exit_passed', 'warning',
           h.id, s.resident_id, s.id, 'stay', s.id, api.midnight(s.planned_exit_on + 1, h.timezone), NULL::timestamptz,
           jsonb_build_object('planned_exit_on', api.d(s.planned_exit_on))
      FROM app.houses h
      JOIN app.stays s ON s.house_id = h.id AND s.checked_out_at IS NULL
     WHERE h.id = ANY (house_ids) AND s.planned_exit_on < (now() AT TIME ZONE h.timezone)::date
$$;

-- §16.10: an enrolled enrolment with 3 or more absences in a row (its run, app.absence_runs:
-- kept by the writes, 0038_absence_runs.sql); cleared by a presence (the run ends) or by
-- leaving enrolled. The key holds the run's first session: a new run, a new alert.
CREATE OR REPLACE FUNCTION api.alerts_programme_consecutive_absences(house_ids uuid[]) RETURNS SETOF api.alert
LANGUAGE sql STABLE AS $$
    SELECT 'programme_consecutive_absences:' || e.id || ':' || run.first_session_id, 'programme_consecutive_absences',
           'warning', e.house_id, e.resident_id, st.id, 'enrolment', e.id, run.third_at, NULL::timestamptz,
           jsonb_build_object('programme_id', e.programme_id, 'consecutive_absences', run.n,
                              'last_session_id', run.last_session_id)
      FROM app.absence_runs run
      JOIN app.enrolments e ON e.id = run.enrolment_id
      LEFT JOIN app.stays st ON st.resident_id = e.resident_id AND st.checked_out_at IS NULL
     WHERE run.n >= 3 AND e.house_id = ANY (house_ids) AND e.stage = 'enrolled'
$$;

CREATE OR REPLACE FUNCTION api.alerts_long_stay(house_ids uuid[]) RETURNS SETOF api.alert
LANGUAGE sql STABLE AS $$
    SELECT 'long_stay:' || s.id || ':' || h.long_stay_days, 'long_stay', 'info', h.id, s.resident_id, s.id, 'stay', s.id,
           api.midnight(i.day + h.long_stay_days, h.timezone), NULL::timestamptz,
           jsonb_build_object('checked_in_at', api.ts(s.checked_in_at),
                              'days', (now() AT TIME ZONE h.timezone)::date - i.day)
      FROM app.houses h
      JOIN app.stays s ON s.house_id = h.id AND s.checked_out_at IS NULL
     CROSS JOIN LATERAL (SELECT (s.checked_in_at AT TIME ZONE h.timezone)::date AS day) i
     WHERE h.id = ANY (house_ids) AND h.long_stay_days IS NOT NULL
       AND (now() AT TIME ZONE h.timezone)::date - i.day >= h.long_stay_days
$$;

-- The three reporting kinds (§15.6): one computation of the periods for all of them, so one
-- function (not one api.alerts_<kind> each, which would walk every period three times).
-- api.reporting_view(resident_ids, kinds): api.reporting_state called once for those
-- residents; one row per resident (alert null) with what the caseload shows, and one row per
-- alert (the state columns null). Only residents under supervision raise them, in residence
-- or not (stay_id: the active stay, else null). plpgsql: the state it calls writes what it
-- keeps, so this cannot be an inlined SQL function, and a session plans it once.
-- reporting_due: every period in due or grace with due_on - today <= the house's
-- reporting_due_days: reporting_state lists them (due_periods; a later one can be open too
-- when the earliest is in its grace, the next period opening the day after its due_on).
-- Every step reads one row of st and no join pairs the CTEs: their row counts are guesses
-- (an array of residents counts 10 for the planner), and a nested loop over two of them made
-- 2 000 residents' alerts take 15 s.
-- reporting_missed (one miss) or reporting_second_consecutive_miss (two or more), never both:
-- the newest missed period of the run (missed_*), so a met later period, an excuse or a
-- back-dated report of it, or the end of supervision clears it, and a further miss gives a
-- new key.
CREATE OR REPLACE FUNCTION api.reporting_view(resident_ids uuid[], kinds text[])
RETURNS TABLE (resident_id uuid, under_supervision boolean, next_due_on date, consecutive_misses int,
               revocation_risk boolean, alert api.alert)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH st0 AS MATERIALIZED (SELECT * FROM api.reporting_state(resident_ids)),
    st AS MATERIALIZED (
        SELECT st0.*, h.id AS hid, h.timezone AS tz, h.reporting_due_days AS due_days, s.id AS stay_id,
               (now() AT TIME ZONE h.timezone)::date AS today
          FROM st0
          JOIN app.houses h ON h.id = st0.house_id
          LEFT JOIN app.stays s ON s.resident_id = st0.resident_id AND s.checked_out_at IS NULL
         WHERE st0.under_supervision AND st0.schedule_version IS NOT NULL),
    -- every period in due or grace, from the state (no second walk of the periods, no join)
    due AS (
        SELECT st.*, st.due_periods[k][1] AS d_opens_on, st.due_periods[k][2] AS d_due_on,
               st.due_periods[k][3] AS d_closes_on
          FROM st CROSS JOIN LATERAL generate_subscripts(st.due_periods, 1) k)
    SELECT st0.resident_id, st0.under_supervision, st0.next_due_on, st0.consecutive_misses, st0.revocation_risk,
           NULL::api.alert
      FROM st0
    UNION ALL
    SELECT d.resident_id, NULL, NULL, NULL, NULL,
           ROW('reporting_due:' || d.resident_id || ':' || api.d(d.d_due_on), 'reporting_due', 'info',
               d.hid, d.resident_id, d.stay_id, 'resident', d.resident_id,
               greatest(api.midnight(d.d_due_on - d.due_days, d.tz), api.midnight(d.d_opens_on, d.tz)),
               api.midnight(d.d_closes_on + 1, d.tz),
               jsonb_build_object('due_on', api.d(d.d_due_on), 'closes_on', api.d(d.d_closes_on),
                                  'days_left', d.d_due_on - d.today))::api.alert
      FROM due d
     WHERE 'reporting_due' = ANY (kinds) AND d.d_due_on - d.today <= d.due_days
    UNION ALL
    SELECT st.resident_id, NULL, NULL, NULL, NULL,
           ROW(k.kind || ':' || st.resident_id || ':' || api.d(st.missed_due_on), k.kind, k.severity,
               st.hid, st.resident_id, st.stay_id, 'resident', st.resident_id,
               api.midnight(st.missed_closes_on + 1, st.tz),
               CASE WHEN k.second THEN api.midnight(st.next_undecided_closes_on + 1, st.tz) END,
               jsonb_build_object('due_on', api.d(st.missed_due_on), 'closes_on', api.d(st.missed_closes_on),
                                  'consecutive_misses', st.consecutive_misses)
               || CASE WHEN k.second THEN jsonb_build_object('revocation_risk', st.revocation_risk) ELSE '{}' END)::api.alert
      FROM st
     CROSS JOIN LATERAL (SELECT st.consecutive_misses >= 2 AS second,
                                CASE WHEN st.consecutive_misses >= 2 THEN 'reporting_second_consecutive_miss'
                                     ELSE 'reporting_missed' END AS kind,
                                CASE WHEN st.consecutive_misses >= 2 THEN 'critical' ELSE 'warning' END AS severity) k
     WHERE st.consecutive_misses >= 1 AND k.kind = ANY (kinds);
END $$;

-- The reporting alerts of the houses: api.reporting_view over their residents with a schedule.
CREATE OR REPLACE FUNCTION api.reporting_alerts(house_ids uuid[], kinds text[]) RETURNS SETOF api.alert
LANGUAGE sql STABLE AS $$
    SELECT (v.alert).*
      FROM api.reporting_view(ARRAY(SELECT s.resident_id FROM app.reporting_schedules s
                                     WHERE s.house_id = ANY (house_ids)), kinds) v
     WHERE (v.alert).key IS NOT NULL
$$;

-- The reporting kinds, which api.reporting_view gives together.
CREATE OR REPLACE FUNCTION api.reporting_kinds() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT '{reporting_due,reporting_missed,reporting_second_consecutive_miss}'::text[]
$$;

-- ---------------------------------------------------------------- the partner kinds of §16.10
-- An active partner whose agreement is expiring or expired (api.agreement_status, Asia/Jakarta
-- dates), once per house in which it has an open or running programme: both kinds from one
-- SELECT, since the status decides which one a partner is in. The key holds valid_until, so a
-- new date is a new, unacknowledged alert. (The argument is named in full: app.partners has
-- a column house_ids too, which a bare name would mean.)
CREATE OR REPLACE FUNCTION api.partner_agreement_alerts(house_ids uuid[], kinds text[]) RETURNS SETOF api.alert
LANGUAGE sql STABLE AS $$
    SELECT k.kind || ':' || p.id || ':' || h.id || ':' || api.d(p.agreement_valid_until),
           k.kind, CASE st.status WHEN 'expired' THEN 'warning' ELSE 'info' END, h.id, NULL::uuid, NULL::uuid,
           'partner', p.id,
           CASE st.status WHEN 'expired' THEN api.midnight(p.agreement_valid_until + 1, 'Asia/Jakarta')
                ELSE api.midnight(p.agreement_valid_until - 30, 'Asia/Jakarta') END,
           CASE st.status WHEN 'expiring' THEN api.midnight(p.agreement_valid_until + 1, 'Asia/Jakarta') END,
           jsonb_build_object('agreement_number', p.agreement_number, 'valid_until', api.d(p.agreement_valid_until))
      FROM app.partners p
     CROSS JOIN LATERAL (SELECT api.agreement_status(p) AS status) st
     CROSS JOIN LATERAL (SELECT 'partner_agreement_' || st.status AS kind) k
      JOIN app.houses h ON h.id = ANY (p.house_ids) AND h.id = ANY (partner_agreement_alerts.house_ids)
     WHERE p.active AND st.status IN ('expiring', 'expired') AND k.kind = ANY (kinds)
       AND EXISTS (SELECT 1 FROM app.programmes g
                    WHERE g.partner_id = p.id AND g.house_id = h.id AND g.status IN ('open', 'running'))
$$;

-- The partner kinds, which api.partner_agreement_alerts gives together.
CREATE OR REPLACE FUNCTION api.partner_agreement_kinds() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT '{partner_agreement_expiring,partner_agreement_expired}'::text[]
$$;

-- ---------------------------------------------------------------- the kinds of §17.11
-- A referral still open (pending or accepted) from 00:00 after its expected arrival day.
CREATE OR REPLACE FUNCTION api.alerts_referral_arrival_overdue(house_ids uuid[]) RETURNS SETOF api.alert
LANGUAGE sql STABLE AS $$
    SELECT 'referral_arrival_overdue:' || f.id || ':' || api.d(f.expected_arrival_on), 'referral_arrival_overdue',
           'warning', h.id, f.resident_id, NULL::uuid, 'referral', f.id,
           api.midnight(f.expected_arrival_on + 1, h.timezone), NULL::timestamptz,
           jsonb_build_object('referral_id', f.id, 'expected_arrival_on', api.d(f.expected_arrival_on),
                              'status', f.status, 'days_overdue', t.today - f.expected_arrival_on)
      FROM app.houses h
     CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE h.timezone)::date AS today) t
      JOIN app.referrals f ON f.house_id = h.id AND f.status IN ('pending', 'accepted')
     WHERE h.id = ANY (house_ids) AND f.expected_arrival_on < t.today
$$;

-- An active hold in its last 24 hours (expired ones are past `until`: nothing to warn of).
CREATE OR REPLACE FUNCTION api.alerts_hold_expiring(house_ids uuid[]) RETURNS SETOF api.alert
LANGUAGE sql STABLE AS $$
    SELECT 'hold_expiring:' || x.id || ':' || to_char(x.until AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS"Z"'),
           'hold_expiring', 'warning', x.house_id, x.resident_id, NULL::uuid, 'hold', x.id,
           greatest(x.until - interval '24 hours', x.created_at), x.until,
           jsonb_build_object('hold_id', x.id, 'bed_id', x.bed_id, 'referral_id', x.referral_id, 'until', api.ts(x.until))
      FROM app.holds x
     WHERE x.house_id = ANY (house_ids) AND x.status = 'active'
       AND x.until > now() AND x.until - interval '24 hours' <= now()
$$;

-- ---------------------------------------------------------------- the kinds of §18.10
-- An open data-subject request: a warning from 24 hours before due_at, critical (overdue)
-- from due_at, each stage its own key.
CREATE OR REPLACE FUNCTION api.alerts_data_request_due(house_ids uuid[]) RETURNS SETOF api.alert
LANGUAGE sql STABLE AS $$
    SELECT 'data_request_due:' || q.id || ':' || st.stage, 'data_request_due', st.severity, q.house_id,
           q.resident_id, s.id, 'data_request', q.id, st.since, q.due_at,
           jsonb_build_object('kind', q.kind, 'received_at', api.ts(q.received_at))
      FROM app.data_requests q
     CROSS JOIN LATERAL (SELECT CASE WHEN now() >= q.due_at THEN 'overdue' ELSE 'soon' END AS stage,
                                CASE WHEN now() >= q.due_at THEN 'critical' ELSE 'warning' END AS severity,
                                CASE WHEN now() >= q.due_at THEN q.due_at ELSE q.due_at - interval '24 hours' END AS since) st
      LEFT JOIN app.stays s ON s.resident_id = q.resident_id AND s.checked_out_at IS NULL
     WHERE q.house_id = ANY (house_ids) AND q.outcome IS NULL AND now() >= q.due_at - interval '24 hours'
$$;

-- A pending follow-up: a warning from the midnight 7 days before due_on, critical (late) from
-- the midnight 14 days after it, each stage its own key.
CREATE OR REPLACE FUNCTION api.alerts_follow_up_due(house_ids uuid[]) RETURNS SETOF api.alert
LANGUAGE sql STABLE AS $$
    SELECT 'follow_up_due:' || f.id || ':' || st.stage, 'follow_up_due', st.severity, h.id, f.resident_id, f.stay_id,
           'follow_up', f.id, api.midnight(st.from_on, h.timezone), api.midnight(f.due_on + 1, h.timezone),
           jsonb_build_object('offset_days', f.offset_days, 'due_on', api.d(f.due_on))
      FROM app.houses h
     CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE h.timezone)::date AS today) t
      JOIN app.follow_ups f ON f.house_id = h.id AND f.status = 'pending' AND f.due_on - 7 <= t.today
     CROSS JOIN LATERAL (SELECT CASE WHEN t.today >= f.due_on + 14 THEN 'late' ELSE 'due' END AS stage,
                                CASE WHEN t.today >= f.due_on + 14 THEN 'critical' ELSE 'warning' END AS severity,
                                CASE WHEN t.today >= f.due_on + 14 THEN f.due_on + 14 ELSE f.due_on - 7 END AS from_on) st
     WHERE h.id = ANY (house_ids)
$$;

-- An active consent in its last 30 days, unless another active one of the resident with the
-- same purpose and partner expires later (the renewal is done).
CREATE OR REPLACE FUNCTION api.alerts_consent_expiring(house_ids uuid[]) RETURNS SETOF api.alert
LANGUAGE sql STABLE AS $$
    SELECT 'consent_expiring:' || c.id || ':' || api.d(c.expires_on), 'consent_expiring', 'info', h.id,
           c.resident_id, s.id, 'consent', c.id, api.midnight(c.expires_on - 30, h.timezone),
           api.midnight(c.expires_on + 1, h.timezone),
           jsonb_build_object('purpose', c.purpose, 'partner_id', c.partner_id, 'expires_on', api.d(c.expires_on))
      FROM app.houses h
     CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE h.timezone)::date AS today) t
      JOIN app.consents c ON c.house_id = h.id AND c.withdrawn_at IS NULL
                         AND c.expires_on BETWEEN t.today AND t.today + 30
      LEFT JOIN app.stays s ON s.resident_id = c.resident_id AND s.checked_out_at IS NULL
     WHERE h.id = ANY (house_ids)
       AND NOT EXISTS (SELECT 1 FROM app.consents o
                        WHERE o.resident_id = c.resident_id AND o.purpose = c.purpose
                          AND o.partner_id IS NOT DISTINCT FROM c.partner_id AND o.withdrawn_at IS NULL
                          AND o.expires_on > c.expires_on)
$$;

-- Only closed roll-calls count (an open or cancelled one never does).

-- A run of absences: the absent marks of an active stay at closed roll-calls after its last
-- `present` at a closed one (app.roll_call_presence, 0039). One alert per run, named by its
-- first roll-call, so a second absence keeps the key and a new run after a presence gets a
-- new one.
CREATE OR REPLACE FUNCTION api.alerts_roll_call_absent(house_ids uuid[]) RETURNS SETOF api.alert
LANGUAGE sql STABLE AS $$
    SELECT 'roll_call_absent:' || r.first_id || ':' || r.stay_id, 'roll_call_absent', 'critical', r.house_id,
           r.resident_id, r.stay_id, 'roll_call', r.first_id, r.first_closed_at, NULL::timestamptz,
           jsonb_build_object('roll_call_id', r.first_id, 'last_roll_call_id', r.last_id, 'absent_count', r.n,
                              'at', api.ts(r.first_at))
      FROM (SELECT s.house_id, s.resident_id, s.id AS stay_id, count(*) AS n, min(c.at) AS first_at,
                   (array_agg(c.id ORDER BY c.at, c.seq))[1] AS first_id,
                   (array_agg(c.closed_at ORDER BY c.at, c.seq))[1] AS first_closed_at,
                   (array_agg(c.id ORDER BY c.at DESC, c.seq DESC))[1] AS last_id
              FROM app.stays s
              JOIN app.roll_call_lines l ON l.stay_id = s.id AND l.status = 'absent'
              JOIN app.roll_calls c ON c.id = l.roll_call_id AND c.status = 'closed'
              LEFT JOIN app.roll_call_presence p ON p.stay_id = s.id
             WHERE s.house_id = ANY (house_ids) AND s.checked_out_at IS NULL
               AND c.at > coalesce(p.last_present_at, '-infinity')
             GROUP BY s.house_id, s.resident_id, s.id) r
$$;

-- A house date D of the last 7 whose closed roll-calls fall short of the house's
-- roll_calls_per_day R, or hold no evening or night one, while someone was in residence at
-- D's curfew. R is read now, so a change applies to past days too (§17.2).
CREATE OR REPLACE FUNCTION api.alerts_roll_call_missed(house_ids uuid[]) RETURNS SETOF api.alert
LANGUAGE sql STABLE AS $$
    SELECT 'roll_call_missed:' || h.id || ':' || api.d(x.d), 'roll_call_missed', 'warning', h.id, NULL::uuid, NULL::uuid,
           'house', h.id, api.midnight(x.d + 1, h.timezone), NULL::timestamptz,
           jsonb_build_object('date', api.d(x.d), 'required', h.roll_calls_per_day, 'closed', k.closed,
                              'closed_evening_night', k.evening_night)
      FROM app.houses h
     CROSS JOIN LATERAL (SELECT g::date AS d
                           FROM generate_series((now() AT TIME ZONE h.timezone)::date - 7,
                                                (now() AT TIME ZONE h.timezone)::date - 1, interval '1 day') g) x
     CROSS JOIN LATERAL (SELECT count(*) AS closed, count(*) FILTER (WHERE c.kind IN ('evening', 'night')) AS evening_night
                           FROM app.roll_calls c
                          WHERE c.house_id = h.id AND c.status = 'closed' AND c.kind IN ('morning', 'evening', 'night')
                            AND c.at >= api.midnight(x.d, h.timezone) AND c.at < api.midnight(x.d + 1, h.timezone)) k
     WHERE h.id = ANY (house_ids) AND h.roll_calls_per_day > 0
       AND (k.evening_night = 0 OR k.closed < h.roll_calls_per_day)
       AND EXISTS (SELECT 1 FROM app.stays s
                    WHERE s.house_id = h.id AND s.span @> ((x.d + h.curfew) AT TIME ZONE h.timezone))
$$;

-- ---------------------------------------------------------------- the framework
-- Every alert of the kinds asked for in those houses: one line per kind that has a function.
CREATE OR REPLACE FUNCTION api.alerts(house_ids uuid[], kinds text[]) RETURNS SETOF api.alert
LANGUAGE sql STABLE AS $$
              SELECT * FROM api.alerts_supervision_ends_soon(house_ids) WHERE 'supervision_ends_soon' = ANY (kinds)
    UNION ALL SELECT * FROM api.alerts_supervision_ended_in_residence(house_ids) WHERE 'supervision_ended_in_residence' = ANY (kinds)
    UNION ALL SELECT * FROM api.alerts_planned_exit_after_supervision_end(house_ids) WHERE 'planned_exit_after_supervision_end' = ANY (kinds)
    UNION ALL SELECT * FROM api.alerts_movement_overdue(house_ids) WHERE 'movement_overdue' = ANY (kinds)
    UNION ALL SELECT * FROM api.alerts_exit_plan_target_passed(house_ids) WHERE 'exit_plan_target_passed' = ANY (kinds)
    UNION ALL SELECT * FROM api.alerts_planned_exit_passed(house_ids) WHERE 'planned_exit_passed' = ANY (kinds)
    UNION ALL SELECT * FROM api.alerts_long_stay(house_ids) WHERE 'long_stay' = ANY (kinds)
    UNION ALL SELECT * FROM api.alerts_programme_consecutive_absences(house_ids) WHERE 'programme_consecutive_absences' = ANY (kinds)
    UNION ALL SELECT * FROM api.alerts_referral_arrival_overdue(house_ids) WHERE 'referral_arrival_overdue' = ANY (kinds)
    UNION ALL SELECT * FROM api.alerts_roll_call_absent(house_ids) WHERE 'roll_call_absent' = ANY (kinds)
    UNION ALL SELECT * FROM api.alerts_roll_call_missed(house_ids) WHERE 'roll_call_missed' = ANY (kinds)
    UNION ALL SELECT * FROM api.alerts_hold_expiring(house_ids) WHERE 'hold_expiring' = ANY (kinds)
    UNION ALL SELECT * FROM api.alerts_consent_expiring(house_ids) WHERE 'consent_expiring' = ANY (kinds)
    UNION ALL SELECT * FROM api.alerts_data_request_due(house_ids) WHERE 'data_request_due' = ANY (kinds)
    UNION ALL SELECT * FROM api.alerts_follow_up_due(house_ids) WHERE 'follow_up_due' = ANY (kinds)
    UNION ALL SELECT * FROM api.reporting_alerts(house_ids, kinds)
               WHERE kinds && api.reporting_kinds()
    UNION ALL SELECT * FROM api.partner_agreement_alerts(house_ids, kinds)
               WHERE kinds && api.partner_agreement_kinds()
$$;

-- The kinds a role is given (staff: those marked "staff sees"), narrowed to one when asked.
CREATE OR REPLACE FUNCTION api.alert_kinds_for(role text, only_kind text) RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(k.kind), '{}') FROM api.alert_kinds() k
     WHERE (role <> 'staff' OR k.staff_sees) AND (only_kind IS NULL OR k.kind = only_kind)
$$;

-- The houses a request looks at: the one named (its visibility checked by the caller), else
-- every house the user sees.
CREATE OR REPLACE FUNCTION api.alert_houses(ctx api.ctx, house_id uuid) RETURNS uuid[] LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN house_id IS NOT NULL THEN ARRAY[house_id]
                ELSE coalesce(ctx.house_ids, ARRAY(SELECT h.id FROM app.houses h)) END
$$;

-- Who receives the alert.acknowledged event of a kind (§15.9): staff only for kinds they see.
CREATE OR REPLACE FUNCTION api.alert_audience(kind text) RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN (SELECT k.staff_sees FROM api.alert_kinds() k WHERE k.kind = alert_audience.kind)
                THEN '{admin,manager,caseworker,staff}' ELSE '{admin,manager,caseworker}' END::text[]
$$;

CREATE OR REPLACE FUNCTION api.severity_rank(severity text) RETURNS int LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END
$$;

CREATE OR REPLACE FUNCTION api.alert_json(a api.alert, k app.alert_acknowledgements) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('key', a.key, 'kind', a.kind, 'severity', a.severity, 'house_id', a.house_id,
        'resident_id', a.resident_id, 'stay_id', a.stay_id, 'entity', a.entity, 'entity_id', a.entity_id,
        'since', api.ts(a.since), 'due_at', api.ts(a.due_at), 'details', a.details,
        'acknowledged_at', api.ts(k.acknowledged_at), 'acknowledged_by', k.acknowledged_by, 'note', k.note)
$$;

-- The list's cursor: the last item's place in the order (severity, since, key), opaque.
CREATE OR REPLACE FUNCTION api.alert_cursor(a api.alert) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT api.opaque('a:' || api.severity_rank(a.severity) || ':' || (extract(epoch FROM a.since) * 1000000)::bigint
                      || ':' || a.key)
$$;

-- {rank, microseconds since the epoch, key} of the cursor given, NULL without one; 422 for
-- text that is no cursor of this list.
CREATE OR REPLACE FUNCTION api.alert_after(args jsonb) RETURNS text[] LANGUAGE plpgsql STABLE AS $$
DECLARE
    t text := api.cursor_text(args, '^a:[0-2]:-?[0-9]{1,18}:[a-z_]+:.+$');
BEGIN
    IF t IS NULL THEN RETURN NULL; END IF;
    RETURN ARRAY[split_part(t, ':', 2), split_part(t, ':', 3), substr(t, length(split_part(t, ':', 2))
                                                                         + length(split_part(t, ':', 3)) + 5)];
END $$;

-- A generic plan: the kinds not asked for are one-time filters on parameters there too, and
-- planning the UNION of every kind for each request cost 15-20 ms.
CREATE OR REPLACE FUNCTION api.op_alerts_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql
    SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    hid uuid := (args->>'house_id')::uuid;
    lim int := api.lim(args);
    c text[] := api.alert_after(args);
    rows jsonb;
    houses uuid[];
    kinds text[] := api.alert_kinds_for(ctx.role, args->>'kind');
BEGIN
    IF hid IS NOT NULL THEN PERFORM api.visible_house(ctx, hid); END IF;
    houses := api.alert_houses(ctx, hid);    -- parameters, not expressions: api.alerts is inlined
    SELECT coalesce(jsonb_agg(jsonb_build_array(api.alert_cursor(x.a), api.alert_json(x.a, x.k))
                              ORDER BY x.rank, (x.a).since, (x.a).key COLLATE "C"), '[]')
      INTO rows
      FROM (SELECT a, k, api.severity_rank(a.severity) AS rank
              FROM api.alerts(houses, kinds) a
              LEFT JOIN app.alert_acknowledgements k ON k.key = a.key
             WHERE (args->>'severity' IS NULL OR a.severity = args->>'severity')
               AND (args->>'resident_id' IS NULL OR a.resident_id = (args->>'resident_id')::uuid)
               AND (args->>'acknowledged' IS NULL OR (k.id IS NOT NULL) = (args->>'acknowledged')::boolean)
               AND (c IS NULL OR (api.severity_rank(a.severity), a.since, a.key COLLATE "C")
                                 > (c[1]::int, 'epoch'::timestamptz + c[2]::bigint * interval '1 microsecond',
                                    c[3] COLLATE "C"))
             ORDER BY 3, a.since, a.key COLLATE "C"
             LIMIT lim + 1) x;
    RETURN ROW(200, jsonb_build_object(
        'items', coalesce((SELECT jsonb_agg(e->1 ORDER BY o) FROM jsonb_array_elements(rows) WITH ORDINALITY r(e, o)
                           WHERE o <= lim), '[]'),
        'next_cursor', CASE WHEN jsonb_array_length(rows) > lim THEN rows->(lim - 1)->>0 END));
END $$;

-- The key must name an alert listed for the caller now (422 key); the role may acknowledge
-- its kind (403); once per key (409, the unique key deciding a race).
CREATE OR REPLACE FUNCTION api.op_alerts_acknowledge(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    a api.alert;
    kd record;
    k app.alert_acknowledgements;
    houses uuid[] := api.alert_houses(ctx, NULL);
    kinds text[] := api.alert_kinds_for(ctx.role, split_part(args->>'key', ':', 1));
    about text := split_part(args->>'key', ':', 2);
BEGIN
    -- a kind about a resident is looked for in the resident's house alone (when visible), not
    -- in every house of the caller (the reporting kinds walk each resident's periods)
    IF about ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
       AND (SELECT x.entity FROM api.alert_kinds() x WHERE x.kind = split_part(args->>'key', ':', 1)) = 'resident' THEN
        houses := ARRAY(SELECT r.house_id FROM app.residents r WHERE r.id = about::uuid AND r.house_id = ANY (houses));
    END IF;
    SELECT * INTO a FROM api.alerts(houses, kinds) x WHERE x.key = args->>'key';
    IF NOT FOUND THEN PERFORM api.invalid('key', 'names no alert listed for you now'); END IF;
    SELECT * INTO kd FROM api.alert_kinds() x WHERE x.kind = a.kind;
    IF ctx.role = 'staff' AND NOT kd.staff_acks THEN
        PERFORM api.fail(403, 'forbidden', NULL, 'staff may not acknowledge alerts of this kind');
    END IF;
    IF EXISTS (SELECT 1 FROM app.alert_acknowledgements x WHERE x.key = a.key) THEN
        PERFORM api.fail(409, 'already_acknowledged', NULL, 'the alert is already acknowledged');
    END IF;
    INSERT INTO app.alert_acknowledgements (key, kind, house_id, resident_id, stay_id, note, acknowledged_by)
    VALUES (a.key, a.kind, a.house_id, a.resident_id, a.stay_id, args->>'note', ctx.user_id) RETURNING * INTO k;
    PERFORM api.audit(ctx, 'alert.acknowledge', 'alert_acknowledgement', k.id, k.house_id, NULL,
                      jsonb_build_object('id', k.id, 'key', k.key, 'kind', k.kind, 'note', k.note, 'house_id', k.house_id,
                                         'resident_id', k.resident_id, 'stay_id', k.stay_id,
                                         'acknowledged_by', k.acknowledged_by, 'acknowledged_at', api.ts(k.acknowledged_at)));
    PERFORM api.emit(k.house_id, 'alert.acknowledged',
                     jsonb_build_object('entity', 'alert_acknowledgement', 'id', k.id, 'key', k.key, 'kind', k.kind,
                                        'resident_id', k.resident_id, 'stay_id', k.stay_id),
                     api.alert_audience(k.kind));
    RETURN ROW(200, api.alert_json(a, k));
END $$;
