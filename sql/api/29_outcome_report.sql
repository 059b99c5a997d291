-- abipraya: the outcome report (contract §18.9): what the post-exit follow-ups (§18.8) of the
-- stays checked out in a period found, one checkpoint per offset, with small-cell suppression
-- for partner users (§16.3). Repeatable: re-applied whenever its text changes (docs/ops.md
-- "Migrations"). Computed on read from the follow-ups; nothing of it is stored.

-- A rate of the report: n / base to 3 decimals; null when either is (hidden) or the base is 0.
CREATE OR REPLACE FUNCTION api.outcome_rate(n bigint, base bigint) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN base > 0 THEN trim_scale(round(n::numeric / base, 3)) END
$$;

-- One checkpoint as the reader may see it (hide: a partner user). A count of people from 1 to
-- 4 is hidden, and an outcome count is hidden also when reached minus it is from 1 to 4 (it
-- would be found by subtraction); a rate is null when its count or base is. outcomes: the five
-- counts in the order of the names below.
CREATE OR REPLACE FUNCTION api.outcome_checkpoint(offset_days int, scheduled bigint, due bigint, reached bigint,
                                                  unreachable bigint, outcomes bigint[], hide boolean)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    WITH c AS (SELECT api.report_count(scheduled, hide) AS s, api.report_count(due, hide) AS d,
                      api.report_count(reached, hide) AS r, api.report_count(unreachable, hide) AS u),
    o AS (SELECT u.k, CASE WHEN NOT (hide AND (api.small_cell(u.n) OR api.small_cell(reached - u.n))) THEN u.n END AS n
            FROM unnest(ARRAY['housing_stable', 'employed', 'business_operating', 'reoffended', 'reporting_compliant'],
                        outcomes) u(k, n))
    SELECT jsonb_build_object('offset_days', offset_days, 'scheduled', c.s, 'due', c.d, 'reached', c.r,
                              'unreachable', c.u)
           || (SELECT jsonb_object_agg(o.k, o.n) FROM o)
           || jsonb_build_object('rates', jsonb_build_object('reached', api.outcome_rate(c.r, c.d))
                                          || (SELECT jsonb_object_agg(o.k, api.outcome_rate(o.n, c.r)) FROM o),
                                 'suppressed', num_nulls(c.s, c.d, c.r, c.u) > 0
                                               OR (SELECT bool_or(o.n IS NULL) FROM o))
      FROM c
$$;

-- Planned for each call's own houses and dates, as the programme report (19_programme_report.sql).
CREATE OR REPLACE FUNCTION api.op_reports_outcomes(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    hid uuid := (args->>'house_id')::uuid;
    me uuid := api.ctx_partner(ctx);
    f date := (args->>'from')::date;
    t date := (args->>'to')::date;
    hide boolean := ctx.role = 'partner';
BEGIN
    PERFORM api.house_filter(ctx, hid, me);
    PERFORM api.check_range(args);
    RETURN (WITH
    houses AS (SELECT * FROM api.report_houses(ctx, hid, me)),
    -- a partner user's: the stays of residents who took a seat in its partner's programmes
    stays AS MATERIALIZED (SELECT s.id, (now() AT TIME ZONE h.timezone)::date AS today
                             FROM houses h CROSS JOIN LATERAL api.stays_closed(h.id, h.timezone, f, t) s
                            WHERE s.exit_reason IS DISTINCT FROM 'deceased'
                              AND (me IS NULL OR s.resident_id IN (SELECT api.partner_seated(me)))),
    -- unreachable and the outcomes are set only on done ones (0031_follow_ups.sql)
    cp AS (SELECT x.offset_days, count(*) FILTER (WHERE x.status <> 'cancelled') AS scheduled,
                  count(*) FILTER (WHERE x.status = 'done' OR x.status = 'pending' AND x.due_on <= s.today) AS due,
                  count(*) FILTER (WHERE NOT x.unreachable) AS reached, count(*) FILTER (WHERE x.unreachable) AS unreachable,
                  ARRAY[count(*) FILTER (WHERE x.housing_stable), count(*) FILTER (WHERE x.employed),
                        count(*) FILTER (WHERE x.business_operating), count(*) FILTER (WHERE x.reoffended),
                        count(*) FILTER (WHERE x.reporting_compliant)] AS outcomes
             FROM stays s JOIN app.follow_ups x ON x.stay_id = s.id GROUP BY x.offset_days),
    answer AS (SELECT (SELECT count(*) FROM stays) AS exits,
                      (SELECT coalesce(jsonb_agg(api.outcome_checkpoint(cp.offset_days, cp.scheduled, cp.due, cp.reached,
                                                                        cp.unreachable, cp.outcomes, hide)
                                                 ORDER BY cp.offset_days), '[]') FROM cp) AS checkpoints)
    SELECT ROW(200, CASE WHEN args->>'format' = 'csv' THEN
        -- one row per checkpoint, its rates as <name>_rate
        jsonb_build_object('items', (SELECT coalesce(jsonb_agg((c - 'rates')
                                        || (SELECT jsonb_object_agg(r.key || '_rate', r.value) FROM jsonb_each(c->'rates') r)
                                        ORDER BY o), '[]')
                                       FROM jsonb_array_elements(a.checkpoints) WITH ORDINALITY x(c, o)))
    ELSE jsonb_build_object('house_id', hid, 'from', api.d(f), 'to', api.d(t), 'exits', api.report_count(a.exits, hide),
             'suppressed', hide AND api.small_cell(a.exits)
                           OR EXISTS (SELECT 1 FROM jsonb_array_elements(a.checkpoints) c WHERE (c->>'suppressed')::boolean),
             'checkpoints', a.checkpoints) END)::api.reply
      FROM answer a);
END $$;
