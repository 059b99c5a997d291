-- abipraya: the caseload (contract §15.8), computed on read.
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").
--
-- One list statement over the residents asked for (a caseworker's, by default the caller's;
-- else every resident of the houses): api.reporting_view once with all of them (their
-- reporting state and reporting alerts from one api.reporting_state call), api.alerts once for
-- the houses' other kinds; the unacknowledged alerts counted per resident.
-- The order is not creation order, so the cursor holds the last item's place in it:
-- critical_alerts desc, consecutive_misses desc, next_due_on asc (null last), resident seq.

CREATE OR REPLACE FUNCTION api.caseload_cursor(crit bigint, misses int, next_due date, seq bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT api.opaque('k:' || crit || ':' || misses || ':' || coalesce(to_char(next_due, 'YYYY-MM-DD'), 'none')
                      || ':' || seq)
$$;

-- {critical_alerts, consecutive_misses, next_due_on or 'infinity', seq} of the cursor given,
-- NULL without one (or for CSV, which is the whole list); 422 for text that is no cursor of
-- this list.
CREATE OR REPLACE FUNCTION api.caseload_after(args jsonb) RETURNS text[] LANGUAGE plpgsql STABLE AS $$
DECLARE
    t text := api.cursor_text(args, '^k:[0-9]{1,9}:[0-9]{1,9}:([0-9]{4}-[0-9]{2}-[0-9]{2}|none):[0-9]{1,18}$');
BEGIN
    IF t IS NULL THEN RETURN NULL; END IF;
    IF split_part(t, ':', 4) <> 'none' AND to_char(to_date(split_part(t, ':', 4), 'YYYY-MM-DD'), 'YYYY-MM-DD')
                                           <> split_part(t, ':', 4) THEN
        PERFORM api.invalid('cursor', 'is not a cursor of this list');
    END IF;
    RETURN ARRAY[split_part(t, ':', 2), split_part(t, ':', 3),
                 CASE split_part(t, ':', 4) WHEN 'none' THEN 'infinity' ELSE split_part(t, ':', 4) END,
                 split_part(t, ':', 5)];
END $$;

CREATE OR REPLACE FUNCTION api.op_caseload_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    hid uuid := (args->>'house_id')::uuid;
    cw uuid := CASE WHEN args->>'caseworker_id' IS NOT NULL THEN (args->>'caseworker_id')::uuid
                    WHEN ctx.role = 'caseworker' THEN ctx.user_id END;
    lim int := api.lim(args);
    c text[] := api.caseload_after(args);
    houses uuid[];
    ids uuid[];
    kinds text[] := api.alert_kinds_for(ctx.role, NULL);
    -- the other kinds come from api.alerts; the reporting ones from the view of the state
    others text[] := ARRAY(SELECT k FROM unnest(kinds) k WHERE k <> ALL (api.reporting_kinds()));
    rows jsonb;
BEGIN
    IF hid IS NOT NULL THEN PERFORM api.visible_house(ctx, hid); END IF;
    houses := api.alert_houses(ctx, hid);     -- parameters, not expressions: api.alerts is inlined
    -- a caseworker named must be one of a visible house (else the page is empty, even if
    -- residents still name a caseworker who has since left the house)
    ids := ARRAY(SELECT r.id FROM app.residents r
                  WHERE r.house_id = ANY (houses)
                    AND (cw IS NULL OR r.caseworker_id = cw AND EXISTS (
                             SELECT 1 FROM app.users u WHERE u.id = cw AND u.role = 'caseworker'
                                AND (ctx.house_ids IS NULL OR u.house_ids && ctx.house_ids))));
    WITH rv AS MATERIALIZED (SELECT * FROM api.reporting_view(ids, kinds)),
    st AS (SELECT rv.* FROM rv WHERE (rv.alert).key IS NULL),
    a AS (SELECT a.resident_id, a.severity, a.key FROM api.alerts(houses, others) a WHERE a.resident_id = ANY (ids)
          UNION ALL
          SELECT (rv.alert).resident_id, (rv.alert).severity, (rv.alert).key FROM rv WHERE (rv.alert).key IS NOT NULL),
    al AS (SELECT a.resident_id, count(*) AS open, count(*) FILTER (WHERE a.severity = 'critical') AS crit
             FROM a LEFT JOIN app.alert_acknowledgements k ON k.key = a.key
            WHERE k.id IS NULL
            GROUP BY a.resident_id),
    x AS (SELECT r, st, s.id AS stay_id, b.id AS basis_id, b.type AS basis_type,
                 p.id AS plan_id, p.target_exit_on, coalesce(al.open, 0) AS open, coalesce(al.crit, 0) AS crit,
                 CASE WHEN s.id IS NOT NULL THEN 'in_residence'
                      WHEN EXISTS (SELECT 1 FROM app.stays o WHERE o.resident_id = r.id) THEN 'former'
                      ELSE 'new' END AS status
            FROM st
            JOIN app.residents r ON r.id = st.resident_id
            LEFT JOIN app.stays s ON s.resident_id = r.id AND s.checked_out_at IS NULL
            LEFT JOIN app.legal_bases b ON b.resident_id = r.id AND b.superseded_at IS NULL
            LEFT JOIN app.exit_plans p ON p.stay_id = s.id
            LEFT JOIN al ON al.resident_id = r.id
           WHERE s.id IS NOT NULL OR st.under_supervision),
    page AS (SELECT x.* FROM x
              WHERE c IS NULL OR (-x.crit, -(x.st).consecutive_misses, coalesce((x.st).next_due_on, 'infinity'), (x.r).seq)
                                 > (-c[1]::bigint, -c[2]::int, c[3]::date, c[4]::bigint)
              ORDER BY x.crit DESC, (x.st).consecutive_misses DESC, (x.st).next_due_on ASC NULLS LAST, (x.r).seq
              LIMIT lim + 1)
    SELECT coalesce(jsonb_agg(jsonb_build_array(
               api.caseload_cursor(page.crit, (page.st).consecutive_misses, (page.st).next_due_on, (page.r).seq),
               jsonb_build_object('resident_id', (page.r).id, 'house_id', (page.r).house_id,
                   'full_name', (page.r).full_name, 'register_number', (page.r).register_number,
                   'status', page.status, 'stay_id', page.stay_id, 'caseworker_id', (page.r).caseworker_id,
                   'legal_basis_id', page.basis_id, 'legal_basis_type', page.basis_type,
                   'supervision_ends_on', api.d((page.r).supervision_ends_on), 'under_supervision', (page.st).under_supervision,
                   'next_due_on', api.d((page.st).next_due_on), 'consecutive_misses', (page.st).consecutive_misses,
                   'revocation_risk', (page.st).revocation_risk, 'open_alerts', page.open,
                   'critical_alerts', page.crit,
                   'exit_plan_readiness', CASE WHEN page.plan_id IS NOT NULL THEN api.readiness(page.plan_id) END,
                   'target_exit_on', api.d(page.target_exit_on)))
               ORDER BY page.crit DESC, (page.st).consecutive_misses DESC, (page.st).next_due_on ASC NULLS LAST,
                        (page.r).seq), '[]')
      INTO rows FROM page;
    RETURN ROW(200, jsonb_build_object(
        'items', coalesce((SELECT jsonb_agg(e->1 ORDER BY o) FROM jsonb_array_elements(rows) WITH ORDINALITY r(e, o)
                           WHERE lim IS NULL OR o <= lim), '[]'),
        'next_cursor', CASE WHEN lim IS NOT NULL AND jsonb_array_length(rows) > lim THEN rows->(lim - 1)->>0 END));
END $$;
