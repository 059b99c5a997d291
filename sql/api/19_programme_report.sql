-- abipraya: the programme report (contract §16.9), with small-cell suppression for partner
-- users (§16.3). Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").
-- Everything is computed on read from sessions, attendance, enrolments, the business stage
-- history and stays; nothing of it is stored.

-- A business's stage on a day: its last history entry on or before it (NULL before the first).
CREATE OR REPLACE FUNCTION api.business_stage_on(business_id uuid, d date) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT h.stage FROM app.business_stages h
     WHERE h.business_id = business_stage_on.business_id AND h."on" <= d
     ORDER BY h."on" DESC, h.seq DESC LIMIT 1
$$;

-- One METRICS object. hide: the reader is a partner user; inner_*: the same figure of a
-- programme inside this object (totals, by_kind) is suppressed, so this one is too, or it
-- could be found by subtraction. attendance_rate and hours_delivered are derived from the
-- participants, and hidden with them; sessions_held is never hidden.
CREATE OR REPLACE FUNCTION api.report_metrics(participants bigint, sessions_held bigint, attended bigint, counted bigint,
                                              hours numeric, completions bigint, certificates bigint, hide boolean,
                                              inner_p boolean, inner_c boolean, inner_cert boolean)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('participants', CASE WHEN NOT hp THEN participants END,
               'sessions_held', sessions_held,
               'attendance_rate', CASE WHEN NOT hp THEN attended::float8 / nullif(counted, 0) END,
               'hours_delivered', CASE WHEN NOT hp THEN trim_scale(hours) END,
               'completions', CASE WHEN NOT hc THEN completions END,
               'certificates', CASE WHEN NOT hcert THEN certificates END,
               'suppressed', hp OR hc OR hcert)
      FROM (SELECT hide AND (api.small_cell(participants) OR inner_p) AS hp,
                   hide AND (api.small_cell(completions) OR inner_c) AS hc,
                   hide AND (api.small_cell(certificates) OR inner_cert) AS hcert) f
$$;

-- A count of people as a partner user may see it (NULL when hidden).
CREATE OR REPLACE FUNCTION api.report_count(n bigint, hide boolean) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN NOT (hide AND api.small_cell(n)) THEN n END
$$;

-- Planned for each call's own house and dates (a few ms): after five calls on a connection the
-- plan cache would otherwise settle on a generic plan, which knows neither and took three
-- times as long on the benchmark's year (tools/bench/run, docs/benchmarks.md). (Its estimate
-- crosses jit_above_cost: migration 0018 turns JIT off in the database.)
CREATE OR REPLACE FUNCTION api.op_reports_programme(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    hid uuid := (args->>'house_id')::uuid;
    me uuid := api.ctx_partner(ctx);
    pid uuid := (args->>'partner_id')::uuid;
    f date := (args->>'from')::date;
    t date := (args->>'to')::date;
    hide boolean := ctx.role = 'partner';
BEGIN
    -- a partner user's report is always its own partner's: another partner_id is not there
    IF hide AND pid IS DISTINCT FROM me AND pid IS NOT NULL THEN PERFORM api.not_found(); END IF;
    IF NOT hide AND pid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM app.partners p WHERE p.id = pid
                                                       AND api.sees_partner(ctx, p, NULL)) THEN
        PERFORM api.not_found();
    END IF;
    pid := coalesce(me, pid);
    PERFORM api.house_filter(ctx, hid, me);
    PERFORM api.check_range(args);
    RETURN (WITH
    houses AS (SELECT * FROM api.report_houses(ctx, hid, me)),
    progs AS (SELECT p.id, p.seq, p.title, p.kind, p.house_id, p.partner_id, p.status FROM app.programmes p
               WHERE p.house_id IN (SELECT id FROM houses) AND p.status <> 'draft'
                 AND (pid IS NULL OR p.partner_id = pid)
                 AND p.starts_on <= t AND (p.ends_on IS NULL OR p.ends_on >= f)),
    ses AS (SELECT s.id, s.programme_id FROM app.programme_sessions s JOIN houses h ON h.id = s.house_id
             WHERE s.programme_id IN (SELECT id FROM progs) AND s.status = 'held'
               AND (s.scheduled_at AT TIME ZONE h.timezone)::date BETWEEN f AND t),
    rec AS (SELECT a.programme_id, e.resident_id, a.status, a.hours FROM app.attendance a
              JOIN ses ON ses.id = a.session_id JOIN app.enrolments e ON e.id = a.enrolment_id),
    -- the marks summed once per programme (not one pass over all of them per programme and figure)
    recp AS (SELECT r.programme_id,
                    count(DISTINCT r.resident_id) FILTER (WHERE r.status IN ('present', 'late')) AS participants,
                    count(*) FILTER (WHERE r.status IN ('present', 'late')) AS attended,
                    count(*) FILTER (WHERE r.status <> 'excused') AS counted, sum(r.hours) AS hours
               FROM rec r GROUP BY r.programme_id),
    sesp AS (SELECT ses.programme_id, count(*) AS n FROM ses GROUP BY ses.programme_id),
    -- who took part, per kind (totals and by_kind count a resident once); materialized: once,
    -- not once per kind
    seen AS MATERIALIZED (SELECT DISTINCT p.kind, r.resident_id FROM rec r JOIN progs p ON p.id = r.programme_id
              WHERE r.status IN ('present', 'late')),
    raw AS (SELECT p.*, coalesce(x.participants, 0) AS participants, coalesce(sp.n, 0) AS sessions_held,
                   coalesce(x.attended, 0) AS attended, coalesce(x.counted, 0) AS counted,
                   coalesce(x.hours, 0) AS hours,
                   (SELECT count(*) FROM app.enrolments e WHERE e.programme_id = p.id AND e.completed_on BETWEEN f AND t) AS completions,
                   (SELECT count(*) FROM app.enrolments e
                     WHERE e.programme_id = p.id AND e.certificate_issued_on BETWEEN f AND t) AS certificates
              FROM progs p LEFT JOIN recp x ON x.programme_id = p.id LEFT JOIN sesp sp ON sp.programme_id = p.id),
    pm AS (SELECT r.*, hide AND api.small_cell(r.participants) AS hp, hide AND api.small_cell(r.completions) AS hc,
                  hide AND api.small_cell(r.certificates) AS hcert,
                  jsonb_build_object('programme_id', r.id, 'title', r.title, 'kind', r.kind, 'house_id', r.house_id,
                      'partner_id', r.partner_id, 'status', r.status)
                  || api.report_metrics(r.participants, r.sessions_held, r.attended, r.counted, r.hours, r.completions,
                                        r.certificates, hide, false, false, false) AS j
             FROM raw r),
    -- totals (kind NULL) and by_kind: the same sums, with participants counted once a resident
    grp AS (SELECT g.kind, api.report_metrics(
                (SELECT count(DISTINCT seen.resident_id) FROM seen WHERE g.kind IS NULL OR seen.kind = g.kind),
                sum(pm.sessions_held)::bigint, sum(pm.attended)::bigint, sum(pm.counted)::bigint, coalesce(sum(pm.hours), 0),
                coalesce(sum(pm.completions), 0)::bigint, coalesce(sum(pm.certificates), 0)::bigint, hide,
                coalesce(bool_or(pm.hp), false), coalesce(bool_or(pm.hc), false), coalesce(bool_or(pm.hcert), false)) AS j
              FROM pm RIGHT JOIN (SELECT DISTINCT kind FROM progs UNION ALL SELECT NULL) g ON g.kind IS NULL OR pm.kind = g.kind
             GROUP BY g.kind),
    -- with a partner, businesses and exits count only residents who took a seat in its programmes
    people AS (SELECT resident_id FROM api.partner_seated(pid) resident_id),
    biz AS (SELECT api.business_stage_on(b.id, t) AS stage FROM app.businesses b
             WHERE b.house_id IN (SELECT id FROM houses) AND (pid IS NULL OR b.resident_id IN (SELECT resident_id FROM people))),
    stages AS (SELECT s.stage, (SELECT count(*) FROM biz WHERE biz.stage = s.stage) AS n
                 FROM unnest(ARRAY['idea', 'business_plan', 'trained', 'registered', 'funded', 'operating', 'paused',
                                   'closed']) s(stage)),
    exits AS (SELECT count(*) AS stays_closed,
                     -- the IN (one hashed set) spares the stays of residents without a business a probe each
                     count(*) FILTER (WHERE x.resident_id IN (SELECT b.resident_id FROM app.businesses b)
                         AND EXISTS (SELECT 1 FROM app.businesses b WHERE b.resident_id = x.resident_id
                         AND api.business_stage_on(b.id, x.d) IN ('registered', 'funded', 'operating'))) AS with_business
                FROM (SELECT s.resident_id, (s.checked_out_at AT TIME ZONE h.timezone)::date AS d
                        FROM houses h CROSS JOIN LATERAL api.stays_closed(h.id, h.timezone, f, t) s
                       WHERE pid IS NULL OR s.resident_id IN (SELECT resident_id FROM people)) x),
    -- materialized: the final SELECT names a five times, and inlined each would compute it all again
    answer AS MATERIALIZED (SELECT jsonb_build_object('house_id', hid, 'partner_id', pid, 'from', api.d(f), 'to', api.d(t),
                   'totals', (SELECT j FROM grp WHERE kind IS NULL),
                   'by_kind', (SELECT coalesce(jsonb_object_agg(kind, j), '{}') FROM grp WHERE kind IS NOT NULL),
                   'programmes', (SELECT coalesce(jsonb_agg(j ORDER BY seq), '[]') FROM pm),
                   'businesses', (SELECT jsonb_build_object('by_stage', jsonb_object_agg(stage, api.report_count(n, hide)),
                                                            'suppressed', bool_or(hide AND api.small_cell(n))) FROM stages),
                   'exits', (SELECT jsonb_build_object('stays_closed', api.report_count(stays_closed, hide),
                                 'with_business', api.report_count(with_business, hide),
                                 'suppressed', hide AND (api.small_cell(stays_closed) OR api.small_cell(with_business)))
                               FROM exits)) AS a)
    SELECT ROW(200, CASE WHEN args->>'format' = 'csv' THEN jsonb_build_object('items', a->'programmes')
        ELSE a || jsonb_build_object('suppressed', (a->'totals'->>'suppressed')::boolean
                 OR (a->'businesses'->>'suppressed')::boolean OR (a->'exits'->>'suppressed')::boolean
                 OR EXISTS (SELECT 1 FROM jsonb_each(a->'by_kind') k WHERE (k.value->>'suppressed')::boolean)
                 OR EXISTS (SELECT 1 FROM jsonb_array_elements(a->'programmes') p WHERE (p->>'suppressed')::boolean)) END)::api.reply
      FROM answer);
END $$;
