-- abipraya: the capacity forecast of a house (contract §17.10), computed on read in one
-- statement: no walk per day and stay. A stay leaves on E' = max(E, today) and an arrival
-- comes on A, so a date's occupancy is the stays still there (E' after it) plus the arrivals
-- come by then: running sums of the departures and arrivals by date, over the N dates.
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

-- The arrivals expected in house H (§17.10's `incoming`): active unexpired holds, then the
-- accepted and pending referrals without one. sup: the supervision end the arrival leaves by
-- under expected_occupied_legal (the resident's, else the referral's expectation).
CREATE OR REPLACE FUNCTION api.forecast_incoming(h app.houses, today date)
RETURNS TABLE (kind text, hold_id uuid, referral_id uuid, resident_id uuid, full_name text, arrival_on date,
               status text, sup date) LANGUAGE sql STABLE AS $$
    SELECT 'hold', x.id, x.referral_id, x.resident_id, coalesce(r.full_name, f.full_name),
           (greatest(x.from_at, now()) AT TIME ZONE h.timezone)::date, 'held',
           CASE WHEN r.id IS NOT NULL THEN r.supervision_ends_on ELSE f.expected_supervision_ends_on END
      FROM app.holds x LEFT JOIN app.residents r ON r.id = x.resident_id
      LEFT JOIN app.referrals f ON f.id = x.referral_id
     WHERE x.house_id = h.id AND x.status = 'active' AND x.until > now()
    UNION ALL   -- a referral with an active hold counts once, as its hold
    SELECT 'referral', NULL::uuid, f.id, f.resident_id, coalesce(r.full_name, f.full_name),
           greatest(f.expected_arrival_on, today), f.status,
           CASE WHEN r.id IS NOT NULL THEN r.supervision_ends_on ELSE f.expected_supervision_ends_on END
      FROM app.referrals f LEFT JOIN app.residents r ON r.id = f.resident_id
     WHERE f.house_id = h.id AND f.status IN ('pending', 'accepted')
       AND NOT EXISTS (SELECT 1 FROM app.holds x WHERE x.referral_id = f.id AND x.status = 'active' AND x.until > now())
$$;

CREATE OR REPLACE FUNCTION api.op_reports_forecast(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    h app.houses := api.visible_house(ctx, api.pid(args, 'house_id'));
    today date := api.today(h.id);
    n int := coalesce((args->>'days')::int, 90);
BEGIN
    RETURN (WITH
    st AS (
        SELECT s.id, s.seq, s.resident_id, r.full_name, o.bed_id, r.supervision_ends_on AS sup,
               coalesce(p.target_exit_on, s.planned_exit_on) AS e,
               CASE WHEN p.stay_id IS NOT NULL THEN 'exit_plan'
                    WHEN s.planned_exit_on IS NOT NULL THEN 'planned_exit' END AS src
          FROM app.stays s
          -- one index probe per stay (OFFSET 0 keeps the subquery apart): as a join the planner
          -- hashes every resident of the installation (100 000 in the benchmark: 40 of 50 ms)
         CROSS JOIN LATERAL (SELECT x.full_name, x.supervision_ends_on FROM app.residents x
                              WHERE x.id = s.resident_id OFFSET 0) r
          LEFT JOIN app.exit_plans p ON p.stay_id = s.id
          LEFT JOIN app.bed_occupants o ON o.stay_id = s.id
         WHERE s.house_id = h.id AND s.checked_out_at IS NULL),
    inc AS (SELECT * FROM api.forecast_incoming(h, today)),
    beds AS (
        SELECT count(*)::int AS total, (count(*) FILTER (WHERE b.status = 'out_of_service'))::int AS oos
          FROM app.beds b WHERE b.house_id = h.id),
    -- (date, what changes on it): departures lower a count from that date on, arrivals raise it
    ev AS (
        SELECT greatest(st.e, today) AS d, 1 AS exits, 0 AS arrivals, 0 AS pending, 0 AS ends, -1 AS occ, 0 AS legal
          FROM st WHERE st.e IS NOT NULL
        UNION ALL
        SELECT greatest(least(st.e, st.sup), today), 0, 0, 0, 0, 0, -1
          FROM st WHERE st.e IS NOT NULL OR st.sup IS NOT NULL
        UNION ALL
        SELECT st.sup, 0, 0, 0, 1, 0, 0 FROM st WHERE st.sup >= today
        UNION ALL
        SELECT inc.arrival_on, 0, 1, 0, 0, 1, 1 FROM inc WHERE inc.status <> 'pending'
        UNION ALL   -- an arrival whose supervision ends before it comes occupies nothing
        SELECT greatest(inc.sup, inc.arrival_on), 0, 0, 0, 0, 0, -1
          FROM inc WHERE inc.status <> 'pending' AND inc.sup IS NOT NULL
        UNION ALL
        SELECT inc.arrival_on, 0, 0, 1, 0, 0, 0 FROM inc WHERE inc.status = 'pending'),
    per AS (
        SELECT ev.d, sum(ev.exits)::int AS exits, sum(ev.arrivals)::int AS arrivals, sum(ev.pending)::int AS pending,
               sum(ev.ends)::int AS ends, sum(ev.occ)::int AS occ, sum(ev.legal)::int AS legal
          FROM ev WHERE ev.d < today + n GROUP BY ev.d),
    day AS (
        SELECT g.d::date AS d, coalesce(per.exits, 0) AS exits, coalesce(per.arrivals, 0) AS arrivals,
               coalesce(per.pending, 0) AS pending, coalesce(per.ends, 0) AS ends,
               (SELECT count(*) FROM st)::int + sum(coalesce(per.occ, 0)) OVER w AS occupied,
               (SELECT count(*) FROM st)::int + sum(coalesce(per.legal, 0)) OVER w AS legal
          FROM generate_series(today, today + n - 1, interval '1 day') g(d)
          LEFT JOIN per ON per.d = g.d::date
        WINDOW w AS (ORDER BY g.d))
    SELECT ROW(200, jsonb_build_object('house_id', h.id, 'from', api.d(today), 'days', n,
        'items', (SELECT jsonb_agg(jsonb_build_object('date', api.d(day.d), 'beds_total', beds.total,
                         'beds_out_of_service', beds.oos, 'expected_occupied', day.occupied,
                         'expected_free', beds.total - beds.oos - day.occupied,
                         'expected_occupied_legal', day.legal, 'exits', day.exits, 'arrivals', day.arrivals,
                         'pending_arrivals', day.pending, 'supervision_ends', day.ends) ORDER BY day.d)
                    FROM day, beds),
        'stays', (SELECT coalesce(jsonb_agg(jsonb_build_object('stay_id', st.id, 'resident_id', st.resident_id,
                         'full_name', st.full_name, 'bed_id', st.bed_id, 'expected_exit_on', api.d(st.e),
                         'exit_source', st.src, 'supervision_ends_on', api.d(st.sup),
                         'supervision_ends_before_exit', st.sup IS NOT NULL AND (st.e IS NULL OR st.sup < st.e))
                         ORDER BY st.seq), '[]') FROM st),
        'incoming', (SELECT coalesce(jsonb_agg(jsonb_build_object('kind', inc.kind, 'hold_id', inc.hold_id,
                         'referral_id', inc.referral_id, 'resident_id', inc.resident_id, 'full_name', inc.full_name,
                         'arrival_on', api.d(inc.arrival_on), 'status', inc.status)
                         ORDER BY inc.arrival_on, inc.kind, inc.full_name), '[]') FROM inc)))::api.reply);
END $$;
