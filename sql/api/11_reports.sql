-- abipraya: reports.
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

-- Occupancy: one pass over the visible beds, grouped by house and room sex.
CREATE OR REPLACE FUNCTION api.op_reports_occupancy(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
BEGIN
    RETURN (WITH beds AS (
        SELECT b.house_id, rm.sex, b.status, o.bed_id IS NOT NULL AS occ
          FROM app.beds b JOIN app.rooms rm ON rm.id = b.room_id
          LEFT JOIN app.bed_occupants o ON o.bed_id = b.id
         WHERE api.sees(ctx, b.house_id)),
    per_sex AS (
        SELECT x.house_id, x.sex, count(*) AS total, count(*) FILTER (WHERE x.occ) AS occupied,
               count(*) FILTER (WHERE NOT x.occ AND x.status <> 'out_of_service') AS free,
               count(*) FILTER (WHERE NOT x.occ AND x.status = 'out_of_service') AS oos
          FROM beds x GROUP BY x.house_id, x.sex),
    per_house AS (
        SELECT h.id, h.seq,
               coalesce(sum(c.total), 0)::bigint AS total, coalesce(sum(c.occupied), 0)::bigint AS occupied,
               coalesce(sum(c.free), 0)::bigint AS free, coalesce(sum(c.oos), 0)::bigint AS oos,
               jsonb_object_agg(c.sex, jsonb_build_object('beds_total', c.total, 'beds_occupied', c.occupied,
                                'beds_free', c.free, 'beds_out_of_service', c.oos)) FILTER (WHERE c.sex IS NOT NULL) AS by_sex
          FROM app.houses h LEFT JOIN per_sex c ON c.house_id = h.id
         WHERE api.sees(ctx, h.id)
         GROUP BY h.id, h.seq)
    SELECT ROW(200, jsonb_build_object('items', coalesce(jsonb_agg(
               jsonb_build_object('house_id', ph.id, 'beds_total', ph.total, 'beds_occupied', ph.occupied,
                   'beds_free', ph.free, 'beds_out_of_service', ph.oos,
                   'occupancy_rate', ph.occupied::float8 / nullif(ph.total - ph.oos, 0),
                   'by_sex', jsonb_build_object(
                       'male', coalesce(ph.by_sex->'male', '{"beds_total":0,"beds_occupied":0,"beds_free":0,"beds_out_of_service":0}'),
                       'female', coalesce(ph.by_sex->'female', '{"beds_total":0,"beds_occupied":0,"beds_free":0,"beds_out_of_service":0}'),
                       'any', coalesce(ph.by_sex->'any', '{"beds_total":0,"beds_occupied":0,"beds_free":0,"beds_out_of_service":0}')),
                   'residents_out', (SELECT count(*) FROM app.movements m WHERE m.house_id = ph.id AND m.returned_at IS NULL))
               ORDER BY ph.seq), '[]')))::api.reply
      FROM per_house ph);
END $$;

CREATE OR REPLACE FUNCTION api.check_range(args jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF (args->>'to')::date < (args->>'from')::date THEN PERFORM api.invalid('to', 'is before from'); END IF;
    -- both ends count: from..to is (to - from + 1) days
    IF (args->>'to')::date - (args->>'from')::date >= 3660 THEN PERFORM api.invalid('to', 'the range exceeds 3660 days'); END IF;
END $$;

-- The stays of a house checked out on the local days f..t (tz: the house's zone): the days as
-- instants, compared as stored, so that stays_house_checked_out_idx finds them (migration 0017).
CREATE OR REPLACE FUNCTION api.stays_closed(house uuid, tz text, f date, t date) RETURNS SETOF app.stays
LANGUAGE sql STABLE AS $$
    SELECT s.* FROM app.stays s
     WHERE s.house_id = house AND s.checked_out_at >= f::timestamp AT TIME ZONE tz
       AND s.checked_out_at < (t + 1)::timestamp AT TIME ZONE tz
$$;

-- One row per day: `occupied` counts the stays active at the midnight ending that day (house
-- time), i.e. span @> M(d) with M(d) = (d + 1)::timestamp AT TIME ZONE tz. With m0 = M(from - 1):
--   occupied(d) = #(span @> m0) + #(check-ins in (m0, M(d)]) - #(check-outs in (m0, M(d)])
-- and #(x <= M) is width_bucket(M, sorted x). The check-ins of day d are #(local date <= d)
-- - #(local date <= d - 1), again by width_bucket over the sorted local dates. So the stays
-- overlapping the range (GiST, index only) are read once, whatever the number of days.
CREATE OR REPLACE FUNCTION api.op_reports_census(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    h app.houses := api.visible_house(ctx, api.pid(args, 'house_id'));
    f date; t date; n int;
    mids timestamptz[];   -- mids[1] = m0 = M(f - 1), mids[i + 1] = M(f + i - 1): day f + i - 1 ends at mids[i + 1]
    lo timestamptz; hi timestamptz;
BEGIN
    PERFORM api.check_range(args);
    f := (args->>'from')::date;
    t := (args->>'to')::date;
    n := t - f + 1;
    SELECT array_agg((f + i)::timestamp AT TIME ZONE h.timezone ORDER BY i) INTO mids FROM generate_series(0, n) i;
    IF EXISTS (SELECT 1 FROM generate_series(1, n) i WHERE mids[i] >= mids[i + 1]) THEN
        -- midnights that do not increase (no real zone has them): the plain definition
        RETURN (SELECT ROW(200, jsonb_build_object('items', jsonb_agg(jsonb_build_object('date', api.d(g.d::date),
                       'occupied', c.occupied, 'check_ins', c.check_ins, 'check_outs', c.check_outs) ORDER BY g.d)))::api.reply
          FROM generate_series(f, t, interval '1 day') g(d)
         CROSS JOIN LATERAL (
               SELECT count(*) FILTER (WHERE s.span @> ((g.d::date + 1)::timestamp AT TIME ZONE h.timezone)) AS occupied,
                      count(*) FILTER (WHERE (s.checked_in_at AT TIME ZONE h.timezone)::date = g.d::date) AS check_ins,
                      count(*) FILTER (WHERE (s.checked_out_at AT TIME ZONE h.timezone)::date = g.d::date) AS check_outs
                 FROM app.stays s WHERE s.house_id = h.id) c);
    END IF;
    -- a local date and its midnight are at most a day or so apart in any zone
    lo := mids[1] - interval '3 days';
    hi := mids[n + 1] + interval '3 days';
    RETURN (WITH s0 AS (
        SELECT lower(x.span) AS t_in, upper(x.span) AS t_out, x.span
          FROM app.stays x
         WHERE x.house_id = h.id AND x.span && tstzrange(lo, hi, '[]')
        UNION ALL   -- a zero-length stay (empty span) overlaps nothing, yet is a check-in and a check-out
        SELECT x.checked_in_at, x.checked_out_at, x.span
          FROM app.stays x
         WHERE x.house_id = h.id AND x.checked_out_at = x.checked_in_at AND x.checked_in_at BETWEEN lo AND hi),
    s AS (
        SELECT s0.*, (s0.t_in AT TIME ZONE h.timezone)::date AS d_in, (s0.t_out AT TIME ZONE h.timezone)::date AS d_out
          FROM s0),
    a AS (
        SELECT count(*) FILTER (WHERE s.span @> mids[1]) AS base,
               array_agg(s.t_in ORDER BY s.t_in) FILTER (WHERE s.t_in > mids[1] AND s.t_in <= mids[n + 1]) AS ins,
               array_agg(s.t_out ORDER BY s.t_out) FILTER (WHERE s.t_out > mids[1] AND s.t_out <= mids[n + 1]) AS outs,
               array_agg(s.d_in ORDER BY s.d_in) AS in_dates,
               array_agg(s.d_out ORDER BY s.d_out) FILTER (WHERE s.d_out IS NOT NULL) AS out_dates
          FROM s)
    SELECT ROW(200, jsonb_build_object('items', jsonb_agg(jsonb_build_object('date', api.d(f + g.j),
               'occupied', a.base + coalesce(width_bucket(mids[g.j + 2], a.ins), 0)
                                  - coalesce(width_bucket(mids[g.j + 2], a.outs), 0),
               'check_ins', coalesce(width_bucket(f + g.j, a.in_dates) - width_bucket(f + g.j - 1, a.in_dates), 0),
               'check_outs', coalesce(width_bucket(f + g.j, a.out_dates) - width_bucket(f + g.j - 1, a.out_dates), 0))
               ORDER BY g.j)))::api.reply
      FROM a CROSS JOIN generate_series(0, n - 1) g(j));
END $$;

-- Outcomes of the stays checked out in [from, to] (house-local dates); CSV: counts per pair.
CREATE OR REPLACE FUNCTION api.op_reports_exits(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE hid uuid := (args->>'house_id')::uuid;
BEGIN
    IF hid IS NOT NULL THEN PERFORM api.visible_house(ctx, hid); END IF;
    PERFORM api.check_range(args);
    RETURN (WITH x AS (
        SELECT s.exit_reason, s.destination, extract(epoch FROM s.checked_out_at - s.checked_in_at) / 86400 AS days
          FROM app.stays s JOIN app.houses h ON h.id = s.house_id
         WHERE api.sees(ctx, s.house_id) AND (hid IS NULL OR s.house_id = hid) AND s.checked_out_at IS NOT NULL
           AND (s.checked_out_at AT TIME ZONE h.timezone)::date BETWEEN (args->>'from')::date AND (args->>'to')::date)
    SELECT ROW(200, CASE WHEN args->>'format' = 'csv' THEN
        jsonb_build_object('items', (SELECT coalesce(jsonb_agg(jsonb_build_object('exit_reason', e.exit_reason,
                   'destination', e.destination, 'count', e.n) ORDER BY e.exit_reason, e.destination), '[]')
              FROM (SELECT exit_reason, destination, count(*) AS n FROM x GROUP BY 1, 2) e))
    ELSE jsonb_build_object('house_id', hid, 'from', args->>'from', 'to', args->>'to',
               'stays_closed', (SELECT count(*) FROM x),
               'average_length_of_stay_days', (SELECT round(avg(days)::numeric, 1) FROM x),
               'by_exit_reason', (SELECT coalesce(jsonb_object_agg(exit_reason, n), '{}')
                                    FROM (SELECT exit_reason, count(*) n FROM x GROUP BY 1) q),
               'by_destination', (SELECT coalesce(jsonb_object_agg(destination, n), '{}')
                                    FROM (SELECT destination, count(*) n FROM x GROUP BY 1) q)) END)::api.reply);
END $$;
