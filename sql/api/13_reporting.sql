-- abipraya: the reporting duty (wajib lapor, contract §15.3, §15.4): schedules, periods, reports
-- (records) and excuses. Repeatable: re-applied whenever its text changes (docs/ops.md
-- "Migrations").
--
-- Periods are computed on read, never stored, for any number of residents in one statement:
--   api.reporting_slots(uuid[], near, win)    the periods before reports and statuses
--   api.reporting_periods(uuid[], near, win)  every period with its status, report and excuse
--   api.reporting_state_fresh(uuid[])  one summary row per resident (next_due_on, misses,
--                                 risk, and what the alerts of §15.6 need): from a window of
--                                 periods near today where that is proven exact, else the
--                                 full walk
--   api.reporting_state(uuid[])   the same rows, kept between reads while current (its
--                                 inputs unchanged, no period's status turned since):
--                                 app.reporting_state_kept, 0037_reporting_state_kept.sql
-- The operations call them with one resident; alerts and caseload call them with thousands.
-- They are plpgsql with RETURN QUERY and generic plans so that a session plans each once
-- (an SQL function's statements are planned at every call: ~10-20 ms each, more than the
-- work for one resident).
-- Every write locks the resident row first (api.locked_resident), so PUTs, reports and
-- excuses of one resident are serialised on any instance.

-- The default grace_days of a new schedule: the house's reporting_grace_days (§15.7).
-- CREATE OR REPLACE cannot change a function's row type: dropped first, so that this file
-- may change its columns
DROP FUNCTION IF EXISTS api.reporting_slots(uuid[], boolean);
DROP FUNCTION IF EXISTS api.reporting_slots(uuid[], boolean, boolean);
DROP FUNCTION IF EXISTS api.reporting_periods(uuid[], boolean);
DROP FUNCTION IF EXISTS api.reporting_periods(uuid[], boolean, boolean);
DROP FUNCTION IF EXISTS api.reporting_state(uuid[]);
DROP FUNCTION IF EXISTS api.reporting_slots(uuid[], boolean, boolean, int);
DROP FUNCTION IF EXISTS api.reporting_periods(uuid[], boolean, boolean, int);
DROP FUNCTION IF EXISTS api.reporting_state_fresh(uuid[]);
DROP FUNCTION IF EXISTS api.reporting_state_fresh(uuid[], timestamptz);

CREATE OR REPLACE FUNCTION api.house_reporting_grace(house_id uuid) RETURNS int LANGUAGE sql STABLE AS $$
    SELECT h.reporting_grace_days FROM app.houses h WHERE h.id = house_reporting_grace.house_id
$$;

-- The events of this file reach admin, manager and caseworker streams, never staff (§15.9).
CREATE OR REPLACE FUNCTION api.emit_casework(house_id uuid, name text, data jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM api.emit(house_id, name, data, ARRAY['admin', 'manager', 'caseworker']);
END $$;

-- L, the last day of the duty (§15.3), of a resident's current basis: its supervision_ends_on,
-- the day before revoked_on when revoked, the day before starts_on when released (no duty).
CREATE OR REPLACE FUNCTION api.duty_ends_on(b app.legal_bases) RETURNS date LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN b.type = 'released' THEN b.starts_on - 1
                WHEN b.revoked_on IS NOT NULL THEN b.revoked_on - 1
                ELSE b.supervision_ends_on END
$$;

-- api.reporting_slots(resident_ids uuid[], near boolean, win boolean DEFAULT false, back int
--   DEFAULT 5, as_of timestamptz DEFAULT now()) RETURNS
--   TABLE (resident_id uuid, house_id uuid, today date, opens_on date, due_on date, closes_on
--   date, schedule_version int, grace_days int, remote_allowed boolean, excuse_id uuid, i int,
--   bound date), ordered by resident_id, due_on; i numbers the rows of a resident from 1 in
--   that order.
-- The periods of the residents' schedules up to L, with their excuse, before reports are
-- assigned. A version is in effect from its starts_on until the day before the earliest
-- starts_on of the versions after it; monthly day D is clamped to the month's last day;
-- interval N gives S+N-1, S+2N-1, ...; the first period opens on the first version's starts_on,
-- each next one the day after the previous due_on. Residents without a current basis or
-- without a schedule give no rows. near: only the periods opened by today and the first
-- upcoming one (all that statuses, misses and next_due_on depend on): each version generates
-- its due dates up to today and two more, and the rows after the first upcoming are dropped
-- (the generated ones are a prefix of the true ones that reaches past it).
-- win (the window of api.reporting_state's fast path, with near): only the periods whose
-- due_on >= A0 = least(today, L) - back * the longest period of the resident's versions (31
-- days for monthly), less the first of them (its opens_on, the day after a due_on not
-- generated, is unknown): each version starts its series at the index of A0 (arithmetic, no walk from its
-- starts_on). bound, on the rows of a cut window: an upper bound of the closes_on of every
-- period before the window (the first generated one's, and for each version that started
-- before A0 its last due_on before A0, at most least(its last day, A0 - 1), plus its grace);
-- null when the window holds the resident's first period (first_on >= A0: nothing is cut).
-- api.reporting_periods says when the window's assignment is the whole walk's (see there).
CREATE OR REPLACE FUNCTION api.reporting_slots(resident_ids uuid[], near boolean, win boolean DEFAULT false,
                                               back int DEFAULT 5, as_of timestamptz DEFAULT now())
RETURNS TABLE (resident_id uuid, house_id uuid, today date, opens_on date, due_on date, closes_on date,
               schedule_version int, grace_days int, remote_allowed boolean, excuse_id uuid, i int, bound date)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH v0 AS (
        SELECT s.resident_id, s.house_id, h.timezone AS tz, (as_of AT TIME ZONE h.timezone)::date AS today,
               api.duty_ends_on(b) AS duty_end,
               x.version, x.frequency, x.day_of_month, x.interval_days, x.starts_on, x.grace_days, x.remote_allowed,
               min(x.starts_on) OVER (PARTITION BY x.schedule_id) AS first_on,
               max(coalesce(x.interval_days, 31)) OVER (PARTITION BY x.schedule_id) AS longest,
               least(api.duty_ends_on(b),
                     min(x.starts_on) OVER (PARTITION BY x.schedule_id ORDER BY x.version
                                            ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) - 1) AS last_on
          FROM app.reporting_schedules s
          JOIN app.houses h ON h.id = s.house_id
          JOIN app.legal_bases b ON b.resident_id = s.resident_id AND b.superseded_at IS NULL
          JOIN app.reporting_schedule_versions x ON x.schedule_id = s.id
         WHERE s.resident_id = ANY (resident_ids)),
    -- lo: A0 when the window cuts (win, and the first version starts before it), else null
    v1 AS (
        SELECT v0.*, CASE WHEN win AND near AND v0.first_on < least(v0.today, v0.duty_end) - back * v0.longest
                          THEN least(v0.today, v0.duty_end) - back * v0.longest END AS lo
          FROM v0),
    v AS (
        SELECT v1.*, max(CASE WHEN v1.starts_on < v1.lo THEN least(v1.last_on, v1.lo - 1) + v1.grace_days END)
                         OVER (PARTITION BY v1.resident_id) AS cut_bound
          FROM v1),
    -- months as integers (year * 12 + month - 1), no timestamp arithmetic per period; k0..n:
    -- the k to generate (interval: due S + kN - 1 for k >= 1; monthly: month m0 + k for k >= 0),
    -- k0 the first one whose due_on can be >= lo
    w AS (
        SELECT v.*, (extract(year FROM v.starts_on) * 12 + extract(month FROM v.starts_on) - 1)::int AS m0,
               CASE WHEN v.frequency = 'interval' THEN
                        greatest(1, coalesce((v.lo - v.starts_on + v.interval_days) / v.interval_days, 1))
                    ELSE greatest(0, coalesce((extract(year FROM v.lo) * 12 + extract(month FROM v.lo)
                                               - extract(year FROM v.starts_on) * 12
                                               - extract(month FROM v.starts_on))::int, 0)) END AS k0,
               CASE WHEN v.frequency = 'interval' THEN
                        CASE WHEN near THEN least((v.last_on - v.starts_on + 1) / v.interval_days,
                                                  greatest(0, (v.today - v.starts_on + 1) / v.interval_days) + 2)
                             ELSE (v.last_on - v.starts_on + 1) / v.interval_days END
                    WHEN near THEN
                        least((extract(year FROM v.last_on) * 12 + extract(month FROM v.last_on)
                               - extract(year FROM v.starts_on) * 12 - extract(month FROM v.starts_on))::int,
                              greatest(0, (extract(year FROM v.today) * 12 + extract(month FROM v.today)
                                           - extract(year FROM v.starts_on) * 12 - extract(month FROM v.starts_on))::int) + 2)
                    ELSE (extract(year FROM v.last_on) * 12 + extract(month FROM v.last_on)
                          - extract(year FROM v.starts_on) * 12 - extract(month FROM v.starts_on))::int END AS n
          FROM v),
    -- the series in the select list (one ProjectSet), not a LATERAL function scan per version
    g AS (
        SELECT w.*, generate_series(w.k0, w.n) AS k FROM w),
    d AS (
        SELECT g.*, CASE WHEN g.frequency = 'interval' THEN g.starts_on + (g.interval_days * g.k - 1)
                         ELSE make_date((g.m0 + g.k) / 12, (g.m0 + g.k) % 12 + 1, least(g.day_of_month,
                              CASE WHEN (g.m0 + g.k) % 12 = 1 THEN
                                        CASE WHEN ((g.m0 + g.k) / 12) % 4 = 0 AND (((g.m0 + g.k) / 12) % 100 <> 0
                                                  OR ((g.m0 + g.k) / 12) % 400 = 0) THEN 29 ELSE 28 END
                                   WHEN (g.m0 + g.k) % 12 IN (3, 5, 8, 10) THEN 30 ELSE 31 END)) END AS due
          FROM g OFFSET 0),    -- (a fence: due is computed once per row, not again in each filter)
    o AS (
        SELECT d.resident_id, d.house_id, d.today, coalesce(lag(d.due) OVER r + 1, d.first_on) AS opens_on, d.due,
               d.version, d.grace_days, d.remote_allowed, d.lo, d.cut_bound,
               (row_number() OVER r)::int AS i, first_value(d.due + d.grace_days) OVER r AS first_closes
          FROM d WHERE d.due >= d.starts_on AND d.due <= d.last_on AND d.due >= coalesce(d.lo, '-infinity')
        WINDOW r AS (PARTITION BY d.resident_id ORDER BY d.due)),
    k AS (
        SELECT o.*, min(o.due) FILTER (WHERE o.opens_on > o.today) OVER (PARTITION BY o.resident_id) AS first_upcoming
          FROM o)
    SELECT k.resident_id, k.house_id, k.today, k.opens_on, k.due, k.due + k.grace_days,
           k.version, k.grace_days, k.remote_allowed, e.id, k.i,
           CASE WHEN k.lo IS NOT NULL THEN greatest(k.cut_bound, k.first_closes) END
      FROM k LEFT JOIN app.reporting_excuses e ON e.resident_id = k.resident_id AND e.due_on = k.due
     WHERE (NOT near OR k.opens_on <= k.today OR k.due = k.first_upcoming) AND (k.lo IS NULL OR k.i > 1)
     ORDER BY k.resident_id, k.due;
END
$$;

-- api.reporting_periods(resident_ids uuid[], near boolean DEFAULT false, win boolean DEFAULT
--   false, back int DEFAULT 5, as_of timestamptz DEFAULT now()) RETURNS TABLE (resident_id
--   uuid, opens_on date, due_on date, closes_on date, status text, schedule_version int, record_id uuid, late boolean, excuse_id
--   uuid, grace_days int, cut boolean, exact boolean), ordered by resident_id, due_on.
-- Every period of the residents (api.reporting_slots) with the report assigned to it: the
-- reports not voided, in order of reported_at, each to the earliest period that is not
-- excused, has no report yet and whose opens_on..closes_on holds the report's local date.
-- status: met | excused | missed | grace | due | upcoming in the house's today; late (null
-- unless met): the report's local date is after due_on. near (see api.reporting_slots): only
-- the periods opened by today and the first upcoming one (a report is never assigned to a
-- later one, so their statuses and reports are the same as in the whole list).
-- One statement. Each report's earliest fitting period, set-based: j = the greatest i whose
-- opens_on <= the report's date (opens_on grows with i), m = the least non-excused i whose
-- closes_on >= it; that period is m when m <= j. Where no two reports of a resident share
-- one, this is the greedy assignment (each report's earliest fitting period is still free when
-- it comes); the residents where two do share one are walked report by report (recursive).
-- Only the reports from the first row's opens_on on are read (an earlier one fits no row).
-- win (with near; see api.reporting_slots): only the window of periods near today, back
-- longest periods long (the argument below holds for any back). cut: the window starts after
-- the resident's first period; exact: its rows are the whole walk's.
-- Why: let b be the window's first period and B its bound (>= closes_on of every period
-- before b). A report dated before opens_on(b) fits only periods before b (opens_on grows
-- with the index); when no report is dated in opens_on(b)..B, every report dated from
-- opens_on(b) on is after B and fits only periods from b on. Each report's choice depends
-- only on which of the periods it fits are taken, so the greedy walk over all of them is two
-- independent walks, and the one over the window's periods and reports gives the whole walk's
-- rows there. exact is therefore: nothing cut, or no report in opens_on(b)..B and B before
-- today (so the period before b is decided and none of due/grace/upcoming is outside).
CREATE OR REPLACE FUNCTION api.reporting_periods(resident_ids uuid[], near boolean DEFAULT false,
                                                 win boolean DEFAULT false, back int DEFAULT 5,
                                                 as_of timestamptz DEFAULT now())
RETURNS TABLE (resident_id uuid, opens_on date, due_on date, closes_on date, status text, schedule_version int,
               record_id uuid, late boolean, excuse_id uuid, grace_days int, cut boolean, exact boolean)
-- the sorts of a few thousand residents' periods and reports stay in memory
LANGUAGE plpgsql STABLE SET work_mem = '32MB'
    SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH p AS MATERIALIZED (SELECT * FROM api.reporting_slots(resident_ids, near, win, back, as_of)),
    -- since: the midnight a day before lo in the schedule's house, so that the index
    -- (resident_id, reported_at) finds each resident's reports from there on
    wb AS MATERIALIZED (
        SELECT x.resident_id, x.lo, x.bound, (x.lo - 1)::timestamp AT TIME ZONE h.timezone AS since
          FROM (SELECT p.resident_id, p.house_id, min(p.opens_on) AS lo, max(p.bound) AS bound
                  FROM p GROUP BY p.resident_id, p.house_id) x JOIN app.houses h ON h.id = x.house_id),
    rr AS MATERIALIZED (
        SELECT r.id, r.resident_id, r.reported_at, r.seq, (r.reported_at AT TIME ZONE rh.timezone)::date AS on_,
               wb.bound
          FROM wb JOIN app.reporting_records r ON r.resident_id = wb.resident_id AND r.voided_at IS NULL
                                              AND r.reported_at >= wb.since
          JOIN app.houses rh ON rh.id = r.house_id
         WHERE (r.reported_at AT TIME ZONE rh.timezone)::date >= wb.lo),
    own AS (
        SELECT e.rid, e.resident_id, e.on_, e.reported_at, e.seq,
               max(e.i) OVER (PARTITION BY e.resident_id ORDER BY e.d, e.kind ROWS UNBOUNDED PRECEDING) AS j
          FROM (SELECT p.resident_id, p.opens_on AS d, 0 AS kind, p.i, NULL::uuid AS rid, NULL::date AS on_,
                       NULL::timestamptz AS reported_at, NULL::bigint AS seq FROM p
                UNION ALL
                SELECT rr.resident_id, rr.on_, 1, NULL, rr.id, rr.on_, rr.reported_at, rr.seq FROM rr) e),
    lb AS (
        SELECT e.rid,
               min(e.i) OVER (PARTITION BY e.resident_id ORDER BY e.d DESC, e.kind ROWS UNBOUNDED PRECEDING) AS m
          FROM (SELECT p.resident_id, p.closes_on AS d, 0 AS kind, p.i, NULL::uuid AS rid FROM p
                 WHERE p.excuse_id IS NULL
                UNION ALL
                SELECT rr.resident_id, rr.on_, 1, NULL, rr.id FROM rr) e),
    nv AS MATERIALIZED (
        SELECT own.resident_id, own.rid, own.on_, lb.m AS i
          FROM own JOIN lb ON lb.rid = own.rid
         WHERE own.rid IS NOT NULL AND lb.m <= own.j),
    bad AS MATERIALIZED (SELECT DISTINCT nv.resident_id FROM nv GROUP BY nv.resident_id, nv.i HAVING count(*) > 1),
    -- the greedy walk, for the residents where the short way does not hold. A report dated d
    -- fits the periods i <= j (its own.j) whose closes_on >= d that are not excused. Scanning
    -- the periods in order, one pointer is the whole state: every period before it is taken
    -- or dead (closes_on before the date of the report that passed it, so before every later
    -- report's: a report's local date does not decrease with reported_at); a report takes the
    -- first period from the pointer to j that fits, and the pointer moves past it (or past j
    -- when none fits). So each period is looked at about once; the periods' closes_on (null
    -- when excused) and the reports' ids, dates and j are one array each per resident.
    pc AS (
        SELECT p.resident_id, min(p.i) AS off,
               array_agg(CASE WHEN p.excuse_id IS NULL THEN p.closes_on END ORDER BY p.i) AS closes
          FROM p WHERE p.resident_id IN (SELECT bad.resident_id FROM bad) GROUP BY p.resident_id),
    ca AS MATERIALIZED (
        SELECT pc.resident_id, pc.off, pc.closes, x.total, x.ids, x.ons, x.js
          FROM pc JOIN (SELECT own.resident_id, count(*) AS total,
                               array_agg(own.rid ORDER BY own.reported_at, own.seq) AS ids,
                               array_agg(own.on_ ORDER BY own.reported_at, own.seq) AS ons,
                               array_agg(coalesce(own.j, 0) ORDER BY own.reported_at, own.seq) AS js
                          FROM own WHERE own.rid IS NOT NULL AND own.resident_id IN (SELECT bad.resident_id FROM bad)
                         GROUP BY own.resident_id) x ON x.resident_id = pc.resident_id),
    walk AS (
        WITH RECURSIVE g(resident_id, n, ptr, rid, on_, i) AS (
            SELECT ca.resident_id, 0::bigint, ca.off, NULL::uuid, NULL::date, NULL::int FROM ca
            UNION ALL
            SELECT g.resident_id, g.n + 1, coalesce(x.i, greatest(g.ptr - 1, ca.js[g.n + 1])) + 1,
                   ca.ids[g.n + 1], ca.ons[g.n + 1], x.i
              FROM g JOIN ca ON ca.resident_id = g.resident_id AND g.n < ca.total
             CROSS JOIN LATERAL (SELECT min(k) AS i FROM generate_series(g.ptr, ca.js[g.n + 1]) k
                                  WHERE ca.closes[k - ca.off + 1] >= ca.ons[g.n + 1]) x)
        SELECT g.resident_id, g.rid, g.on_, g.i FROM g WHERE g.i IS NOT NULL),
    a AS (
        SELECT nv.resident_id, nv.rid, nv.on_, nv.i FROM nv WHERE nv.resident_id NOT IN (SELECT bad.resident_id FROM bad)
        UNION ALL
        SELECT walk.resident_id, walk.rid, walk.on_, walk.i FROM walk)
    SELECT p.resident_id, p.opens_on, p.due_on, p.closes_on,
           CASE WHEN a.rid IS NOT NULL THEN 'met'
                WHEN p.excuse_id IS NOT NULL THEN 'excused'
                WHEN p.today > p.closes_on THEN 'missed'
                WHEN p.today > p.due_on THEN 'grace'
                WHEN p.today >= p.opens_on THEN 'due'
                ELSE 'upcoming' END,
           p.schedule_version, a.rid, CASE WHEN a.rid IS NOT NULL THEN a.on_ > p.due_on END, p.excuse_id, p.grace_days,
           p.bound IS NOT NULL,
           p.bound IS NULL OR p.bound < p.today
                              AND p.resident_id NOT IN (SELECT rr.resident_id FROM rr WHERE rr.on_ <= rr.bound)
      FROM p LEFT JOIN a ON a.resident_id = p.resident_id AND a.i = p.i
     ORDER BY p.resident_id, p.due_on;
END
$$;

-- api.reporting_state_fresh(resident_ids uuid[], as_of timestamptz DEFAULT now()) RETURNS
--   TABLE (resident_id uuid, house_id uuid, under_supervision boolean, duty_ends_on date,
--   schedule_version int, next_due_on date, consecutive_misses int, revocation_risk boolean,
--   due_opens_on date, due_due_on date, due_closes_on date, missed_due_on date, missed_closes_on
--   date, next_undecided_closes_on date, due_periods date[], valid_until timestamptz)
-- The state computed (api.reporting_state answers it from what it keeps where it can), in the
-- houses' today at as_of (now; a later instant in the tests of valid_until).
-- One row per resident of the list that exists (any house: the caller filters visibility).
--   under_supervision: the current basis in force and not released; duty_ends_on: L (null
--   without a basis); schedule_version: null without a schedule; next_due_on: due_on of the
--   earliest period due, grace or upcoming; consecutive_misses: the missed periods after the
--   newest met one (excused ones skipped, undecided ones not walked); revocation_risk: PB,
--   CB or CMB, under supervision, consecutive_misses >= 2.
--   For §15.6's alerts: due_opens_on/due_due_on/due_closes_on: the earliest period in status
--   due or grace (reporting_due); missed_due_on/missed_closes_on: the newest missed period
--   (of the run, so null when consecutive_misses = 0; reporting_missed and
--   reporting_second_consecutive_miss); next_undecided_closes_on: closes_on of the earliest
--   period due, grace or upcoming (the second miss's due_at); due_periods: every period in
--   status due or grace, {{opens_on, due_on, closes_on}, ...} in due_on order (null without
--   one), so that the alerts need not ask for the periods a second time.
--   valid_until: the first instant at which a column may change by time alone (infinity:
--   never): the next midnight, in the schedule's house, on which a period due, in grace or
--   upcoming changes its status, or the day after supervision ends, in the resident's house.
CREATE OR REPLACE FUNCTION api.reporting_state_fresh(resident_ids uuid[], as_of timestamptz DEFAULT now())
RETURNS TABLE (resident_id uuid, house_id uuid, under_supervision boolean, duty_ends_on date, schedule_version int,
               next_due_on date, consecutive_misses int, revocation_risk boolean,
               due_opens_on date, due_due_on date, due_closes_on date,
               missed_due_on date, missed_closes_on date, next_undecided_closes_on date, due_periods date[],
               valid_until timestamptz)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    -- the fast path: the window near today (api.reporting_periods, win), where it is exact
    -- and the run of misses ends inside it (at a met period). Two windows: 3 longest periods
    -- back (about 4 rows a resident: enough when the last decided periods are met, most
    -- residents), then 5 back for the others (a run of misses, a report near the cut); the
    -- full walk for the rest. A stage left with no resident is not called (the one-time
    -- filter on its ids: an empty call still costs ~0.6 ms of plan and CTEs)
    WITH f AS MATERIALIZED (SELECT * FROM api.reporting_periods(resident_ids, true, true, 3, as_of)),
    ok AS MATERIALIZED (
        SELECT f.resident_id FROM f GROUP BY f.resident_id
        HAVING bool_and(f.exact) AND (NOT bool_or(f.cut) OR bool_or(f.status = 'met'))),
    r5 AS MATERIALIZED (
        SELECT ARRAY(SELECT x FROM unnest(resident_ids) x WHERE x NOT IN (SELECT ok.resident_id FROM ok)) AS ids),
    f5 AS MATERIALIZED (
        SELECT p.* FROM r5 CROSS JOIN LATERAL api.reporting_periods(r5.ids, true, true, 5, as_of) p
         WHERE cardinality(r5.ids) > 0),
    ok5 AS MATERIALIZED (
        SELECT f5.resident_id FROM f5 GROUP BY f5.resident_id
        HAVING bool_and(f5.exact) AND (NOT bool_or(f5.cut) OR bool_or(f5.status = 'met'))),
    rw AS MATERIALIZED (
        SELECT ARRAY(SELECT x FROM unnest(r5.ids) x WHERE x NOT IN (SELECT ok5.resident_id FROM ok5)) AS ids FROM r5),
    q AS (
        SELECT f.* FROM f WHERE f.resident_id IN (SELECT ok.resident_id FROM ok)
        UNION ALL
        SELECT f5.* FROM f5 WHERE f5.resident_id IN (SELECT ok5.resident_id FROM ok5)
        UNION ALL
        SELECT p.* FROM rw CROSS JOIN LATERAL api.reporting_periods(rw.ids, true, false, 5, as_of) p WHERE cardinality(rw.ids) > 0),
    p AS (
        SELECT q.*, max(q.due_on) FILTER (WHERE q.status = 'met') OVER (PARTITION BY q.resident_id) AS last_met
          FROM q),
    -- the earliest (latest) period of a kind by min (max) of arrays led by due_on: no sort
    -- per aggregate and resident
    a0 AS (
        SELECT p.resident_id,
               count(*) FILTER (WHERE p.status = 'missed' AND p.due_on > coalesce(p.last_met, '-infinity'))::int AS misses,
               min(ARRAY[p.due_on, p.closes_on]) FILTER (WHERE p.status IN ('due', 'grace', 'upcoming')) AS nxt,
               min(ARRAY[p.due_on, p.opens_on, p.closes_on]) FILTER (WHERE p.status IN ('due', 'grace')) AS dus,
               max(ARRAY[p.due_on, p.closes_on]) FILTER (WHERE p.status = 'missed'
                   AND p.due_on > coalesce(p.last_met, '-infinity')) AS mis,
               array_agg(ARRAY[p.opens_on, p.due_on, p.closes_on] ORDER BY p.due_on)
                   FILTER (WHERE p.status IN ('due', 'grace')) AS due_periods,
               -- the first day on which a period's status changes by time alone
               min(CASE p.status WHEN 'upcoming' THEN p.opens_on WHEN 'due' THEN p.due_on + 1
                                 WHEN 'grace' THEN p.closes_on + 1 END) AS turns_on
          FROM p GROUP BY p.resident_id),
    a AS (
        SELECT a0.resident_id, a0.misses, a0.nxt[1] AS next_due, a0.nxt[2] AS next_closes, a0.dus[2] AS due_opens,
               a0.dus[1] AS due_due, a0.dus[3] AS due_closes, a0.mis[1] AS missed_due, a0.mis[2] AS missed_closes,
               a0.due_periods, a0.turns_on
          FROM a0)
    SELECT r.id, r.house_id, sup.v, api.duty_ends_on(b), s.version, a.next_due, coalesce(a.misses, 0),
           coalesce(sup.v AND b.type IN ('pembebasan_bersyarat', 'cuti_bersyarat', 'cuti_menjelang_bebas')
                    AND a.misses >= 2, false),
           a.due_opens, a.due_due, a.due_closes, a.missed_due, a.missed_closes, a.next_closes, a.due_periods,
           -- periods are dated in the schedule's house, supervision in the resident's
           coalesce(least(a.turns_on::timestamp AT TIME ZONE sh.timezone,
                          CASE WHEN sup.v THEN (b.supervision_ends_on + 1)::timestamp AT TIME ZONE h.timezone END),
                    'infinity')
      FROM app.residents r
      JOIN app.houses h ON h.id = r.house_id
      LEFT JOIN app.legal_bases b ON b.resident_id = r.id AND b.superseded_at IS NULL
      LEFT JOIN app.reporting_schedules s ON s.resident_id = r.id
      LEFT JOIN app.houses sh ON sh.id = s.house_id
      LEFT JOIN a ON a.resident_id = r.id
     CROSS JOIN LATERAL (SELECT coalesce(api.under_supervision(b.type, b.revoked_on, b.supervision_ends_on,
                                                               (as_of AT TIME ZONE h.timezone)::date), false) AS v) sup
     WHERE r.id = ANY (resident_ids);
END
$$;

-- api.reporting_state(resident_ids uuid[]): api.reporting_state_fresh's rows (without
-- valid_until), from app.reporting_state_kept where a resident's kept state is current (its
-- state_rev is the resident's rev and its valid_until is still ahead), computed for the others
-- in one call and kept for the next reader (0037_reporting_state_kept.sql). The rev a state
-- is kept with is the one this statement read, in the snapshot the state was computed in:
-- when an input changed since, the row's rev is newer and the row is left as it is (the
-- locking read re-checks it on the newest version). Rows another transaction holds are
-- skipped, not waited for: a reader never blocks on a writer nor on another reader, and the
-- skipped ones are computed again by the next.
CREATE OR REPLACE FUNCTION api.reporting_state(resident_ids uuid[])
RETURNS TABLE (resident_id uuid, house_id uuid, under_supervision boolean, duty_ends_on date, schedule_version int,
               next_due_on date, consecutive_misses int, revocation_risk boolean,
               due_opens_on date, due_due_on date, due_closes_on date,
               missed_due_on date, missed_closes_on date, next_undecided_closes_on date, due_periods date[])
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH k AS MATERIALIZED (
        SELECT x.* FROM app.reporting_state_kept x
         WHERE x.resident_id = ANY (resident_ids) AND x.state_rev = x.rev AND x.valid_until > now()),
    stale AS MATERIALIZED (
        SELECT ARRAY(SELECT i FROM unnest(resident_ids) i WHERE i NOT IN (SELECT k.resident_id FROM k)) AS ids),
    f AS MATERIALIZED (
        SELECT s.*, x.rev FROM stale CROSS JOIN LATERAL api.reporting_state_fresh(stale.ids) s
          LEFT JOIN app.reporting_state_kept x ON x.resident_id = s.resident_id
         WHERE cardinality(stale.ids) > 0),
    lk AS (
        SELECT x.resident_id, f.rev FROM app.reporting_state_kept x JOIN f ON f.resident_id = x.resident_id
         WHERE x.rev = f.rev ORDER BY x.resident_id FOR UPDATE OF x SKIP LOCKED),
    kept AS (
        UPDATE app.reporting_state_kept x
           SET state_rev = lk.rev, valid_until = f.valid_until, house_id = f.house_id,
               under_supervision = f.under_supervision, duty_ends_on = f.duty_ends_on,
               schedule_version = f.schedule_version, next_due_on = f.next_due_on,
               consecutive_misses = f.consecutive_misses, revocation_risk = f.revocation_risk,
               due_opens_on = f.due_opens_on, due_due_on = f.due_due_on, due_closes_on = f.due_closes_on,
               missed_due_on = f.missed_due_on, missed_closes_on = f.missed_closes_on,
               next_undecided_closes_on = f.next_undecided_closes_on, due_periods = f.due_periods
          FROM lk JOIN f ON f.resident_id = lk.resident_id
         WHERE x.resident_id = lk.resident_id)
    SELECT k.resident_id, k.house_id, k.under_supervision, k.duty_ends_on, k.schedule_version, k.next_due_on,
           k.consecutive_misses, k.revocation_risk, k.due_opens_on, k.due_due_on, k.due_closes_on,
           k.missed_due_on, k.missed_closes_on, k.next_undecided_closes_on, k.due_periods
      FROM k
    UNION ALL
    SELECT f.resident_id, f.house_id, f.under_supervision, f.duty_ends_on, f.schedule_version, f.next_due_on,
           f.consecutive_misses, f.revocation_risk, f.due_opens_on, f.due_due_on, f.due_closes_on,
           f.missed_due_on, f.missed_closes_on, f.next_undecided_closes_on, f.due_periods
      FROM f;
END
$$;

-- JSON of the objects ------------------------------------------------------------------

CREATE OR REPLACE FUNCTION api.reporting_schedule_json(s app.reporting_schedules) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN jsonb_build_object('id', s.id, 'resident_id', s.resident_id, 'house_id', s.house_id,
        'frequency', s.frequency, 'day_of_month', s.day_of_month, 'interval_days', s.interval_days,
        'starts_on', api.d(s.starts_on), 'grace_days', s.grace_days, 'remote_allowed', s.remote_allowed,
        'notes', s.notes, 'version', s.version,
        'history', (SELECT jsonb_agg(jsonb_build_object('version', v.version, 'frequency', v.frequency,
                        'day_of_month', v.day_of_month, 'interval_days', v.interval_days,
                        'starts_on', api.d(v.starts_on), 'grace_days', v.grace_days,
                        'remote_allowed', v.remote_allowed, 'set_by', v.set_by, 'set_at', api.ts(v.set_at))
                        ORDER BY v.version)
                      FROM app.reporting_schedule_versions v WHERE v.schedule_id = s.id),
        'created_at', api.ts(s.created_at), 'updated_at', api.ts(s.updated_at));
END $$;

CREATE OR REPLACE FUNCTION api.reporting_record_json(r app.reporting_records, period_due_on date) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', r.id, 'resident_id', r.resident_id, 'house_id', r.house_id,
        'reported_at', api.ts(r.reported_at), 'method', r.method, 'remote_reason', r.remote_reason,
        'location', r.location, 'movement_id', r.movement_id, 'notes', r.notes, 'verified_by', r.verified_by,
        'period_due_on', api.d(period_due_on), 'voided_at', api.ts(r.voided_at), 'voided_by', r.voided_by,
        'void_reason', r.void_reason, 'version', r.version,
        'created_at', api.ts(r.created_at), 'updated_at', api.ts(r.updated_at))
$$;

-- A record with its period_due_on (computed over its resident's periods).
CREATE OR REPLACE FUNCTION api.reporting_record_full(r app.reporting_records) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN api.reporting_record_json(r, (SELECT p.due_on FROM api.reporting_periods(ARRAY[r.resident_id], true) p
                                          WHERE p.record_id = r.id));
END $$;

CREATE OR REPLACE FUNCTION api.reporting_excuse_json(e app.reporting_excuses) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', e.id, 'resident_id', e.resident_id, 'house_id', e.house_id,
        'due_on', api.d(e.due_on), 'reason', e.reason, 'excused_by', e.excused_by,
        'created_at', api.ts(e.created_at), 'updated_at', api.ts(e.updated_at), 'version', e.version)
$$;

CREATE OR REPLACE FUNCTION api.reporting_period_json(p record) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN jsonb_build_object('opens_on', api.d(p.opens_on), 'due_on', api.d(p.due_on), 'closes_on', api.d(p.closes_on),
        'status', p.status, 'schedule_version', p.schedule_version, 'record_id', p.record_id, 'late', p.late,
        'excuse_id', p.excuse_id);
END $$;

-- Schedules -----------------------------------------------------------------------------

-- PUT: the first one creates (201), every later one is a replacement (200), a version more.
-- Rules: the rhythm's shape (422), then a current basis under supervision (409
-- no_supervision), then starts_on within the basis and, on a replacement, not before today.
CREATE OR REPLACE FUNCTION api.op_reporting_schedule_put(ctx api.ctx, args jsonb) RETURNS api.reply
LANGUAGE plpgsql AS $$
DECLARE
    r app.residents := api.locked_resident(ctx, api.pid(args, 'id'));
    b app.legal_bases;
    s app.reporting_schedules;
    n app.reporting_schedules;
    freq text := args->>'frequency';
    dom int := (args->>'day_of_month')::int;
    ivl int := (args->>'interval_days')::int;
    starts date := (args->>'starts_on')::date;
    grace int := coalesce((args->>'grace_days')::int, api.house_reporting_grace(r.house_id));
    remote boolean := coalesce((args->>'remote_allowed')::boolean, false);
    today date := api.today(r.house_id);
    before jsonb;
BEGIN
    IF freq = 'monthly' AND dom IS NULL THEN PERFORM api.invalid('day_of_month', 'is required for monthly'); END IF;
    IF freq = 'interval' AND dom IS NOT NULL THEN PERFORM api.invalid('day_of_month', 'must be absent for interval'); END IF;
    IF freq = 'interval' AND ivl IS NULL THEN PERFORM api.invalid('interval_days', 'is required for interval'); END IF;
    IF freq = 'monthly' AND ivl IS NOT NULL THEN PERFORM api.invalid('interval_days', 'must be absent for monthly'); END IF;
    SELECT * INTO b FROM app.legal_bases x WHERE x.resident_id = r.id AND x.superseded_at IS NULL;
    IF NOT FOUND OR NOT api.under_supervision(b.type, b.revoked_on, b.supervision_ends_on, today) THEN
        PERFORM api.fail(409, 'no_supervision', NULL, 'the resident is not under supervision');
    END IF;
    IF starts < b.starts_on THEN PERFORM api.invalid('starts_on', 'is before the legal basis''s starts_on'); END IF;
    IF starts > b.supervision_ends_on THEN PERFORM api.invalid('starts_on', 'is after supervision_ends_on'); END IF;
    <<again>>
    LOOP
        SELECT * INTO s FROM app.reporting_schedules x WHERE x.resident_id = r.id FOR UPDATE;
        IF NOT FOUND THEN
            PERFORM api.check_version(args, NULL);
            BEGIN
                INSERT INTO app.reporting_schedules (resident_id, house_id, frequency, day_of_month, interval_days,
                                                     starts_on, grace_days, remote_allowed, notes)
                VALUES (r.id, r.house_id, freq, dom, ivl, starts, grace, remote, args->>'notes') RETURNING * INTO n;
            EXCEPTION WHEN unique_violation THEN
                CONTINUE again;    -- another PUT created it meanwhile: this one is a replacement
            END;
            EXIT;
        END IF;
        PERFORM api.check_version(args, s.version);
        before := api.reporting_schedule_json(s);
        IF starts < today THEN
            PERFORM api.invalid('starts_on', 'is before today (a replacement changes no decided period)');
        END IF;
        UPDATE app.reporting_schedules x SET frequency = freq, day_of_month = dom, interval_days = ivl,
               starts_on = starts, grace_days = grace, remote_allowed = remote, notes = args->>'notes',
               version = x.version + 1, updated_at = now()
         WHERE x.id = s.id RETURNING * INTO n;
        EXIT;
    END LOOP;
    INSERT INTO app.reporting_schedule_versions (schedule_id, version, frequency, day_of_month, interval_days,
                                                 starts_on, grace_days, remote_allowed, set_by, set_at)
    VALUES (n.id, n.version, freq, dom, ivl, starts, grace, remote, ctx.user_id, n.updated_at);
    PERFORM api.audit(ctx, CASE WHEN before IS NULL THEN 'reporting_schedule.create' ELSE 'reporting_schedule.update' END,
                      'reporting_schedule', n.id, n.house_id, before, api.reporting_schedule_json(n));
    PERFORM api.emit_casework(n.house_id, 'reporting_schedule.set', jsonb_build_object('entity', 'reporting_schedule',
                              'id', n.id, 'resident_id', n.resident_id));
    RETURN ROW(CASE WHEN before IS NULL THEN 201 ELSE 200 END, api.reporting_schedule_json(n));
END $$;

CREATE OR REPLACE FUNCTION api.op_reporting_schedule_get(ctx api.ctx, args jsonb) RETURNS api.reply
LANGUAGE plpgsql AS $$
DECLARE
    r app.residents := api.visible_resident(ctx, api.pid(args, 'id'));
    s app.reporting_schedules;
BEGIN
    SELECT * INTO s FROM app.reporting_schedules x WHERE x.resident_id = r.id;
    IF NOT FOUND THEN PERFORM api.fail(404, 'not_found', NULL, 'the resident has no reporting schedule'); END IF;
    RETURN ROW(200, api.reporting_schedule_json(s));
END $$;

-- The calendar: the summary and the periods (§15.3), one resident.
CREATE OR REPLACE FUNCTION api.op_reporting_calendar(ctx api.ctx, args jsonb) RETURNS api.reply
LANGUAGE plpgsql AS $$
DECLARE
    r app.residents := api.visible_resident(ctx, api.pid(args, 'id'));
    f date := (args->>'from')::date;
    t date := (args->>'to')::date;
    st record;
    ps jsonb;
BEGIN
    IF t < f THEN PERFORM api.invalid('to', 'is before from'); END IF;
    IF t - f > 3660 THEN PERFORM api.invalid('to', 'is more than 3660 days after from'); END IF;
    SELECT * INTO st FROM api.reporting_state(ARRAY[r.id]);
    IF f IS NULL AND t IS NULL THEN
        -- every period opened by today, then the first upcoming one
        SELECT coalesce(jsonb_agg(api.reporting_period_json(p) ORDER BY p.due_on), '[]') INTO ps
          FROM (SELECT p.*, row_number() OVER (PARTITION BY p.status = 'upcoming' ORDER BY p.due_on) AS k
                  FROM api.reporting_periods(ARRAY[r.id], true) p) p
         WHERE p.status <> 'upcoming' OR p.k = 1;
    ELSE
        SELECT coalesce(jsonb_agg(api.reporting_period_json(p) ORDER BY p.due_on), '[]') INTO ps
          FROM api.reporting_periods(ARRAY[r.id]) p
         WHERE (f IS NULL OR p.due_on >= f) AND (t IS NULL OR p.due_on <= t);
    END IF;
    RETURN ROW(200, jsonb_build_object('resident_id', r.id, 'house_id', r.house_id,
        'under_supervision', st.under_supervision, 'duty_ends_on', api.d(st.duty_ends_on),
        'schedule_version', st.schedule_version, 'next_due_on', api.d(st.next_due_on),
        'consecutive_misses', st.consecutive_misses, 'revocation_risk', st.revocation_risk, 'periods', ps));
END $$;

-- Records -------------------------------------------------------------------------------

-- A report: the body's rules (422) first, then the state (409).
CREATE OR REPLACE FUNCTION api.op_reporting_records_create(ctx api.ctx, args jsonb) RETURNS api.reply
LANGUAGE plpgsql AS $$
DECLARE
    r app.residents := api.locked_resident(ctx, api.pid(args, 'id'));
    b app.legal_bases;
    s app.reporting_schedules;
    m app.movements;
    n app.reporting_records;
    at_ timestamptz := coalesce((args->>'reported_at')::timestamptz, now());
    meth text := args->>'method';
    remote boolean := meth IN ('video_call', 'phone');
    tz text := (SELECT h.timezone FROM app.houses h WHERE h.id = r.house_id);
    on_ date := (at_ AT TIME ZONE tz)::date;
    first_on date;
    mid uuid := (args->>'movement_id')::uuid;
BEGIN
    IF at_ > api.soon() THEN PERFORM api.invalid('reported_at', 'is more than 5 minutes ahead'); END IF;
    IF remote AND args->>'remote_reason' IS NULL THEN
        PERFORM api.invalid('remote_reason', 'is required for a remote method');
    END IF;
    IF NOT remote AND args->>'remote_reason' IS NOT NULL THEN
        PERFORM api.invalid('remote_reason', 'must be absent for a method that is not remote');
    END IF;
    IF mid IS NOT NULL THEN
        SELECT * INTO m FROM app.movements x WHERE x.id = mid AND x.resident_id = r.id AND x.purpose = 'reporting';
        IF NOT FOUND THEN PERFORM api.invalid('movement_id', 'is not a reporting movement of this resident'); END IF;
        IF at_ < m.out_at OR at_ > coalesce(m.returned_at, now()) THEN
            PERFORM api.invalid('reported_at', 'is not within the movement''s out_at and returned_at');
        END IF;
    END IF;
    SELECT * INTO s FROM app.reporting_schedules x WHERE x.resident_id = r.id;
    IF FOUND THEN
        SELECT * INTO b FROM app.legal_bases x WHERE x.resident_id = r.id AND x.superseded_at IS NULL;
        first_on := (SELECT min(v.starts_on) FROM app.reporting_schedule_versions v WHERE v.schedule_id = s.id);
        IF on_ < first_on THEN PERFORM api.invalid('reported_at', 'is before the reporting duty starts'); END IF;
        IF b.id IS NULL OR on_ > api.duty_ends_on(b) THEN
            PERFORM api.invalid('reported_at', 'is after the reporting duty ends');
        END IF;
    ELSE
        PERFORM api.fail(409, 'no_reporting_schedule', NULL, 'the resident has no reporting schedule');
    END IF;
    IF remote AND NOT (SELECT v.remote_allowed FROM app.reporting_schedule_versions v
                        WHERE v.schedule_id = s.id AND v.starts_on <= on_ ORDER BY v.version DESC LIMIT 1) THEN
        PERFORM api.fail(409, 'remote_not_allowed', NULL, 'the schedule does not allow remote reporting');
    END IF;
    IF mid IS NOT NULL AND EXISTS (SELECT 1 FROM app.reporting_records x WHERE x.movement_id = mid AND x.voided_at IS NULL) THEN
        PERFORM api.fail(409, 'conflict', 'movement_id', 'the movement is linked to another report');
    END IF;
    INSERT INTO app.reporting_records (resident_id, house_id, reported_at, method, remote_reason, location, movement_id,
                                       notes, verified_by)
    VALUES (r.id, r.house_id, at_, meth, args->>'remote_reason', args->>'location', mid, args->>'notes', ctx.user_id)
    RETURNING * INTO n;
    PERFORM api.audit(ctx, 'reporting_record.create', 'reporting_record', n.id, n.house_id, NULL,
                      api.reporting_record_full(n));
    PERFORM api.emit_casework(n.house_id, 'reporting_record.recorded', jsonb_build_object('entity', 'reporting_record',
                              'id', n.id, 'resident_id', n.resident_id, 'movement_id', n.movement_id, 'stay_id', m.stay_id));
    RETURN ROW(201, api.reporting_record_full(n));
END $$;

CREATE OR REPLACE FUNCTION api.op_reporting_records_list(ctx api.ctx, args jsonb) RETURNS api.reply
LANGUAGE plpgsql AS $$
DECLARE
    hid uuid := (args->>'house_id')::uuid;
    f date := (args->>'from')::date;
    t date := (args->>'to')::date;
BEGIN
    IF hid IS NOT NULL THEN PERFORM api.visible_house(ctx, hid); END IF;
    RETURN (WITH page AS (
        SELECT x FROM app.reporting_records x JOIN app.houses h ON h.id = x.house_id
         WHERE api.sees(ctx, x.house_id) AND (hid IS NULL OR x.house_id = hid)
           AND (args->>'resident_id' IS NULL OR x.resident_id = (args->>'resident_id')::uuid)
           AND (args->>'method' IS NULL OR x.method = args->>'method')
           AND (f IS NULL OR (x.reported_at AT TIME ZONE h.timezone)::date >= f)
           AND (t IS NULL OR (x.reported_at AT TIME ZONE h.timezone)::date <= t)
           AND x.seq > api.after(args)
         ORDER BY x.seq LIMIT api.lim(args) + 1),
    p AS (SELECT p.record_id, p.due_on
            FROM api.reporting_periods((SELECT array_agg(DISTINCT (page.x).resident_id) FROM page), true) p
           WHERE p.record_id IS NOT NULL)
    SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array((page.x).seq,
                    api.reporting_record_json(page.x, p.due_on)) ORDER BY (page.x).seq), '[]'), api.lim(args)))::api.reply
      FROM page LEFT JOIN p ON p.record_id = (page.x).id);
END $$;

CREATE OR REPLACE FUNCTION api.op_reporting_records_get(ctx api.ctx, args jsonb) RETURNS api.reply
LANGUAGE plpgsql AS $$
DECLARE n app.reporting_records;
BEGIN
    SELECT * INTO n FROM app.reporting_records x WHERE x.id = api.pid(args, 'id') AND api.sees(ctx, x.house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN ROW(200, api.reporting_record_full(n));
END $$;

CREATE OR REPLACE FUNCTION api.op_reporting_records_void(ctx api.ctx, args jsonb) RETURNS api.reply
LANGUAGE plpgsql AS $$
DECLARE
    o app.reporting_records;
    n app.reporting_records;
    before jsonb;
    sid uuid;
BEGIN
    SELECT * INTO o FROM app.reporting_records x WHERE x.id = api.pid(args, 'id') AND api.sees(ctx, x.house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    PERFORM api.locked_resident(ctx, o.resident_id);
    SELECT * INTO o FROM app.reporting_records x WHERE x.id = o.id;    -- as it is under the lock
    PERFORM api.check_version(args, o.version);
    IF o.voided_at IS NOT NULL THEN PERFORM api.fail(409, 'record_voided', NULL, 'the report is already voided'); END IF;
    before := api.reporting_record_full(o);    -- with the period it met, before the void
    UPDATE app.reporting_records x SET voided_at = now(), voided_by = ctx.user_id, void_reason = args->>'reason'
     WHERE x.id = o.id RETURNING * INTO n;
    PERFORM api.audit(ctx, 'reporting_record.void', 'reporting_record', n.id, n.house_id,
                      before, api.reporting_record_json(n, NULL));
    sid := (SELECT m.stay_id FROM app.movements m WHERE m.id = n.movement_id);
    PERFORM api.emit_casework(n.house_id, 'reporting_record.voided', jsonb_build_object('entity', 'reporting_record',
                              'id', n.id, 'resident_id', n.resident_id, 'movement_id', n.movement_id, 'stay_id', sid));
    RETURN ROW(200, api.reporting_record_json(n, NULL));
END $$;

-- Excuses -------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION api.op_reporting_excuses_create(ctx api.ctx, args jsonb) RETURNS api.reply
LANGUAGE plpgsql AS $$
DECLARE
    r app.residents := api.locked_resident(ctx, api.pid(args, 'id'));
    due date := (args->>'due_on')::date;
    st text;
    e app.reporting_excuses;
BEGIN
    SELECT p.status INTO st FROM api.reporting_periods(ARRAY[r.id]) p WHERE p.due_on = due;
    IF NOT FOUND THEN PERFORM api.invalid('due_on', 'is not the due date of a reporting period'); END IF;
    IF st = 'met' THEN PERFORM api.fail(409, 'period_met', NULL, 'the period is already met'); END IF;
    IF st = 'excused' THEN PERFORM api.fail(409, 'conflict', 'due_on', 'the period is already excused'); END IF;
    -- an excuse left from a period that vanished holds the (resident, due_on) key: it is this one's now
    IF EXISTS (SELECT 1 FROM app.reporting_excuses x WHERE x.resident_id = r.id AND x.due_on = due) THEN
        PERFORM api.fail(409, 'conflict', 'due_on', 'the period is already excused');
    END IF;
    INSERT INTO app.reporting_excuses (resident_id, house_id, due_on, reason, excused_by)
    VALUES (r.id, r.house_id, due, args->>'reason', ctx.user_id) RETURNING * INTO e;
    PERFORM api.audit(ctx, 'reporting_excuse.create', 'reporting_excuse', e.id, e.house_id, NULL, api.reporting_excuse_json(e));
    PERFORM api.emit_casework(e.house_id, 'reporting_excuse.created', jsonb_build_object('entity', 'reporting_excuse',
                              'id', e.id, 'resident_id', e.resident_id));
    RETURN ROW(201, api.reporting_excuse_json(e));
END $$;

CREATE OR REPLACE FUNCTION api.op_reporting_excuses_delete(ctx api.ctx, args jsonb) RETURNS api.reply
LANGUAGE plpgsql AS $$
DECLARE e app.reporting_excuses;
BEGIN
    SELECT * INTO e FROM app.reporting_excuses x WHERE x.id = api.pid(args, 'id') AND api.sees(ctx, x.house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    PERFORM api.locked_resident(ctx, e.resident_id);
    DELETE FROM app.reporting_excuses x WHERE x.id = e.id RETURNING * INTO e;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;    -- deleted while this one waited for the lock
    PERFORM api.check_version(args, e.version);
    PERFORM api.audit(ctx, 'reporting_excuse.delete', 'reporting_excuse', e.id, e.house_id, api.reporting_excuse_json(e), NULL);
    PERFORM api.emit_casework(e.house_id, 'reporting_excuse.deleted', jsonb_build_object('entity', 'reporting_excuse',
                              'id', e.id, 'resident_id', e.resident_id));
    RETURN ROW(204, NULL::jsonb);
END $$;
