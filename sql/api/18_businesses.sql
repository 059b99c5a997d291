-- abipraya: micro-businesses (UMKM, contract §16.8): businesses, their stage history and
-- monthly records, and the credit readiness computed on read. Repeatable: re-applied whenever
-- its text changes (docs/ops.md "Migrations").
-- Only admin, manager and caseworker reach these operations (the routes' roles); a business is
-- visible where its house is. Writes on a business lock its row (PATCH, stage changes);
-- monthly records are serialised by their unique (business_id, month), so two instances
-- PUTting one new month end with one row, one 201 and one 200.

-- What a resident's programme enrolments (§16.4, §16.5) add to a business's credit readiness:
-- a completed enrolment in a business_mentoring or skills_training programme, and an enrolled
-- one in a business_mentoring programme (the business's own `trained` stage is
-- api.credit_readiness's, not this function's).
CREATE OR REPLACE FUNCTION api.resident_programme_standing(resident_id uuid, OUT training_completed boolean,
                                                           OUT in_mentoring boolean)
LANGUAGE sql STABLE AS $$
    SELECT coalesce(bool_or(e.stage = 'completed' AND p.kind IN ('business_mentoring', 'skills_training')), false),
           coalesce(bool_or(e.stage = 'enrolled' AND p.kind = 'business_mentoring'), false)
      FROM app.enrolments e JOIN app.programmes p ON p.id = e.programme_id
     WHERE e.resident_id = resident_programme_standing.resident_id
$$;

CREATE OR REPLACE FUNCTION api.business_month_json(m app.business_months) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', m.id, 'business_id', m.business_id, 'month', to_char(m.month, 'YYYY-MM'),
        'revenue_idr', m.revenue_idr, 'costs_idr', m.costs_idr, 'profit_idr', m.revenue_idr - m.costs_idr,
        'workers', m.workers, 'note', m.note, 'version', m.version,
        'created_at', api.ts(m.created_at), 'updated_at', api.ts(m.updated_at))
$$;

-- §16.8's credit readiness (KUR Super Mikro, up to Rp10 000 000): a legal document, and six
-- months of trading or training or mentoring, and a business that is not paused or closed.
-- "Passed the trained stage" is read as: the history holds a `trained` entry.
CREATE OR REPLACE FUNCTION api.credit_readiness(b app.businesses) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    p record;
    months int := (SELECT count(*) FROM app.business_months m WHERE m.business_id = b.id AND m.revenue_idr > 0);
    trained boolean;
    doc text := CASE WHEN b.nib IS NOT NULL THEN 'nib' WHEN b.sku_number IS NOT NULL THEN 'sku' END;
    missing text[] := '{}';
BEGIN
    SELECT * INTO p FROM api.resident_programme_standing(b.resident_id);
    trained := p.training_completed OR EXISTS (SELECT 1 FROM app.business_stages h
                                                WHERE h.business_id = b.id AND h.stage = 'trained');
    IF doc IS NULL THEN missing := missing || 'legal_document'::text; END IF;
    IF NOT (months >= 6 OR trained OR p.in_mentoring) THEN missing := missing || 'trading_or_training'::text; END IF;
    IF b.stage IN ('paused', 'closed') THEN missing := missing || 'active_business'::text; END IF;
    RETURN jsonb_build_object('ready', cardinality(missing) = 0, 'legal_document', doc, 'months_trading', months,
        'training_completed', trained, 'in_mentoring', p.in_mentoring, 'missing', to_jsonb(missing),
        'max_amount_idr', 10000000);
END $$;

-- The business as every reader (and its audit record) sees it.
CREATE OR REPLACE FUNCTION api.business_json(b app.businesses) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN jsonb_build_object('id', b.id, 'resident_id', b.resident_id, 'house_id', b.house_id, 'name', b.name,
        'sector', b.sector, 'description', b.description, 'started_on', api.d(b.started_on), 'stage', b.stage,
        'stage_since', api.d(b.stage_since), 'nib', b.nib, 'sku_number', b.sku_number,
        'sku_issued_on', api.d(b.sku_issued_on),
        'capital', (SELECT coalesce(jsonb_agg(jsonb_build_object('source', h.capital_source, 'amount_idr', h.amount_idr,
                                                                 'on', api.d(h."on")) ORDER BY h.seq), '[]')
                      FROM app.business_stages h WHERE h.business_id = b.id AND h.capital_source IS NOT NULL),
        'history', (SELECT coalesce(jsonb_agg(jsonb_build_object('stage', h.stage, 'on', api.d(h."on"), 'at', api.ts(h.at),
                                                                 'by', h.by, 'note', h.note) ORDER BY h.seq), '[]')
                      FROM app.business_stages h WHERE h.business_id = b.id),
        'latest_month', (SELECT api.business_month_json(m) FROM app.business_months m
                          WHERE m.business_id = b.id ORDER BY m.month DESC LIMIT 1),
        'credit_readiness', api.credit_readiness(b), 'version', b.version,
        'created_at', api.ts(b.created_at), 'updated_at', api.ts(b.updated_at));
END $$;

-- A business named in the path, its row locked when asked: 404 unless visible.
CREATE OR REPLACE FUNCTION api.visible_business(ctx api.ctx, id uuid, lock boolean) RETURNS app.businesses
LANGUAGE plpgsql AS $$
DECLARE b app.businesses;
BEGIN
    IF lock THEN
        SELECT * INTO b FROM app.businesses x WHERE x.id = visible_business.id AND api.sees(ctx, x.house_id) FOR UPDATE;
    ELSE
        SELECT * INTO b FROM app.businesses x WHERE x.id = visible_business.id AND api.sees(ctx, x.house_id);
    END IF;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    RETURN b;
END $$;

-- 422 naming every key of `keys` that args gives a value (null is as good as absent), when
-- `allowed` is false.
CREATE OR REPLACE FUNCTION api.refuse_keys(args jsonb, keys text[], allowed boolean, message text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE given text[] := ARRAY(SELECT k FROM unnest(keys) k WHERE args->>k IS NOT NULL);
BEGIN
    IF NOT allowed AND cardinality(given) > 0 THEN PERFORM api.invalid_fields(given, message); END IF;
END $$;

-- The events of businesses reach admin, manager and caseworker streams (§16.11: staff may not
-- read businesses), with the resident's id.
CREATE OR REPLACE FUNCTION api.emit_business(b app.businesses, name text) RETURNS void LANGUAGE sql AS $$
    SELECT api.emit_casework(b.house_id, name, jsonb_build_object('entity', 'business', 'id', b.id,
                                                                  'resident_id', b.resident_id))
$$;

CREATE OR REPLACE FUNCTION api.op_businesses_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    r app.residents;
    b app.businesses;
    st text := coalesce(args->>'stage', 'idea');
    today date;
    on_ date;
BEGIN
    SELECT * INTO r FROM app.residents x WHERE x.id = (args->>'resident_id')::uuid AND api.sees(ctx, x.house_id);
    IF NOT FOUND THEN PERFORM api.invalid('resident_id', 'is not a resident you see'); END IF;
    today := api.today(r.house_id);
    on_ := coalesce((args->>'on')::date, today);
    PERFORM api.refuse_keys(args, '{nib,sku_number,sku_issued_on}', false,
                            'is set by the registered stage (POST /businesses/{id}/stages)');
    IF st NOT IN ('idea', 'business_plan', 'trained') THEN
        PERFORM api.invalid('stage', 'a business starts as idea, business_plan or trained (later stages need their data)');
    END IF;
    IF (args->>'started_on')::date > today THEN PERFORM api.invalid('started_on', 'is after today'); END IF;
    IF on_ > today THEN PERFORM api.invalid('on', 'is after today'); END IF;
    INSERT INTO app.businesses (resident_id, house_id, name, sector, description, started_on, stage, stage_since)
    VALUES (r.id, r.house_id, args->>'name', args->>'sector', args->>'description', (args->>'started_on')::date,
            st, on_)
    RETURNING * INTO b;
    INSERT INTO app.business_stages (business_id, stage, "on", by) VALUES (b.id, st, on_, ctx.user_id);
    PERFORM api.audit(ctx, 'business.create', 'business', b.id, b.house_id, NULL, api.business_json(b));
    PERFORM api.emit_business(b, 'business.created');
    RETURN ROW(201, api.business_json(b));
END $$;

CREATE OR REPLACE FUNCTION api.op_businesses_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE hid uuid := (args->>'house_id')::uuid;
BEGIN
    IF hid IS NOT NULL THEN PERFORM api.visible_house(ctx, hid); END IF;
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.business_json(x.b))
                                                        ORDER BY x.seq), '[]'), api.lim(args)))::api.reply
      FROM (SELECT b, b.seq FROM app.businesses b
             WHERE api.sees(ctx, b.house_id) AND (hid IS NULL OR b.house_id = hid)
               AND (args->>'resident_id' IS NULL OR b.resident_id = (args->>'resident_id')::uuid)
               AND (args->>'stage' IS NULL OR b.stage = args->>'stage')
               AND (args->>'sector' IS NULL OR b.sector = args->>'sector')
               AND b.seq > api.after(args)
             ORDER BY b.seq LIMIT api.lim(args) + 1) x);
END $$;

CREATE OR REPLACE FUNCTION api.op_businesses_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
BEGIN
    RETURN ROW(200, api.business_json(api.visible_business(ctx, api.pid(args, 'id'), false)));
END $$;

-- Corrections: the stage is the stage endpoint's (a PATCH naming it is 422 before the
-- database). A business that was registered keeps a NIB or an SKU number.
CREATE OR REPLACE FUNCTION api.op_businesses_update(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    b app.businesses := api.visible_business(ctx, api.pid(args, 'id'), true);
    n app.businesses;
    today date := api.today(b.house_id);
BEGIN
    PERFORM api.check_version(args, b.version);
    n := jsonb_populate_record(b, api.only(args, '{name,sector,description,started_on,nib,sku_number,sku_issued_on}'));
    IF n.started_on > today THEN PERFORM api.invalid('started_on', 'is after today'); END IF;
    IF n.sku_issued_on > today THEN PERFORM api.invalid('sku_issued_on', 'is after today'); END IF;
    IF n.sku_issued_on IS NOT NULL AND n.sku_number IS NULL THEN
        PERFORM api.invalid('sku_issued_on', 'needs a sku_number');
    END IF;
    IF n.nib IS NULL AND n.sku_number IS NULL
       AND EXISTS (SELECT 1 FROM app.business_stages h WHERE h.business_id = b.id AND h.stage = 'registered') THEN
        PERFORM api.invalid('nib', 'a registered business keeps a nib or a sku_number');
    END IF;
    UPDATE app.businesses x SET name = n.name, sector = n.sector, description = n.description,
           started_on = n.started_on, nib = n.nib, sku_number = n.sku_number, sku_issued_on = n.sku_issued_on
     WHERE x.id = b.id RETURNING * INTO n;
    IF n.version <> b.version THEN
        PERFORM api.audit(ctx, 'business.update', 'business', b.id, b.house_id, api.business_json(b),
                          api.business_json(n));
        PERFORM api.emit_business(n, 'business.updated');
    END IF;
    RETURN ROW(200, api.business_json(n));
END $$;

-- §16.8's transitions: forward along idea < business_plan < trained < registered < funded <
-- operating (skipping allowed), operating <-> paused, any stage but closed -> closed.
CREATE OR REPLACE FUNCTION api.business_transition_ok(from_stage text, to_stage text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_position(o, to_stage) > array_position(o, from_stage), false)
        OR (from_stage, to_stage) IN (('operating', 'paused'), ('paused', 'operating'))
        OR (to_stage = 'closed' AND from_stage <> 'closed')
      FROM (SELECT '{idea,business_plan,trained,registered,funded,operating}'::text[] AS o) x
$$;

CREATE OR REPLACE FUNCTION api.op_businesses_stage(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    b app.businesses := api.visible_business(ctx, api.pid(args, 'id'), true);
    n app.businesses;
    st text := args->>'stage';
    today date := api.today(b.house_id);
    on_ date := coalesce((args->>'on')::date, today);
    absent text[];
    before jsonb := api.business_json(b);
BEGIN
    PERFORM api.check_version(args, b.version);
    IF NOT api.business_transition_ok(b.stage, st) THEN
        PERFORM api.fail(409, 'invalid_transition', 'stage', format('%s -> %s is not allowed', b.stage, st));
    END IF;
    PERFORM api.refuse_keys(args, CASE WHEN st <> 'registered' THEN '{nib,sku_number,sku_issued_on}'::text[] END
                                  || CASE WHEN st <> 'funded' THEN '{capital_source,amount_idr}'::text[] END,
                            false, 'only with its stage (nib, sku_*: registered; capital_source, amount_idr: funded)');
    IF st = 'registered' AND args->>'nib' IS NULL AND args->>'sku_number' IS NULL THEN
        PERFORM api.invalid('nib', 'the registered stage needs a nib or a sku_number (or both)');
    END IF;
    IF (args->>'sku_issued_on')::date > today THEN PERFORM api.invalid('sku_issued_on', 'is after today'); END IF;
    IF st = 'funded' THEN
        absent := ARRAY(SELECT k FROM unnest('{capital_source,amount_idr}'::text[]) k WHERE args->>k IS NULL);
        IF cardinality(absent) > 0 THEN PERFORM api.invalid_fields(absent, 'is required for the funded stage'); END IF;
    END IF;
    IF on_ > today THEN PERFORM api.invalid('on', 'is after today'); END IF;
    IF on_ < b.stage_since THEN PERFORM api.invalid('on', 'is before the current stage''s on'); END IF;
    UPDATE app.businesses x SET stage = st, stage_since = on_, nib = coalesce(args->>'nib', x.nib),
           sku_number = coalesce(args->>'sku_number', x.sku_number),
           sku_issued_on = coalesce((args->>'sku_issued_on')::date, x.sku_issued_on)
     WHERE x.id = b.id RETURNING * INTO n;
    INSERT INTO app.business_stages (business_id, stage, "on", by, note, capital_source, amount_idr)
    VALUES (b.id, st, on_, ctx.user_id, args->>'note', args->>'capital_source', (args->>'amount_idr')::bigint);
    PERFORM api.audit(ctx, 'business.stage', 'business', b.id, b.house_id, before, api.business_json(n));
    PERFORM api.emit_business(n, 'business.stage_changed');
    RETURN ROW(201, api.business_json(n));
END $$;

-- PUT of one month: 201 when it creates the record, 200 when it replaces it (If-Match on the
-- record's version; an If-Match for a month without a record is 412). A PUT racing another of
-- the same new month waits at the unique key and then replaces the row the other created.
CREATE OR REPLACE FUNCTION api.op_business_months_put(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    b app.businesses := api.visible_business(ctx, api.pid(args, 'id'), false);
    mon date := (args->>'month' || '-01')::date;
    m app.business_months;
    n app.business_months;
BEGIN
    IF mon > date_trunc('month', api.today(b.house_id))::date THEN
        PERFORM api.invalid('month', 'is after the current month');
    END IF;
    SELECT * INTO m FROM app.business_months x WHERE x.business_id = b.id AND x.month = mon FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM api.check_version(args, NULL);
        INSERT INTO app.business_months (business_id, month, revenue_idr, costs_idr, workers, note)
        VALUES (b.id, mon, (args->>'revenue_idr')::bigint, (args->>'costs_idr')::bigint, (args->>'workers')::int,
                args->>'note')
        ON CONFLICT ON CONSTRAINT business_months_key DO NOTHING
        RETURNING * INTO n;
        IF n.id IS NOT NULL THEN
            PERFORM api.audit(ctx, 'business_month.put', 'business_month', n.id, b.house_id, NULL,
                              api.business_month_json(n));
            PERFORM api.emit_business(b, 'business.month_recorded');
            RETURN ROW(201, api.business_month_json(n));
        END IF;
        SELECT * INTO m FROM app.business_months x WHERE x.business_id = b.id AND x.month = mon FOR UPDATE;
    END IF;
    PERFORM api.check_version(args, m.version);
    UPDATE app.business_months x SET revenue_idr = (args->>'revenue_idr')::bigint,
           costs_idr = (args->>'costs_idr')::bigint, workers = (args->>'workers')::int, note = args->>'note'
     WHERE x.id = m.id RETURNING * INTO n;
    IF n.version <> m.version THEN
        PERFORM api.audit(ctx, 'business_month.put', 'business_month', n.id, b.house_id, api.business_month_json(m),
                          api.business_month_json(n));
        PERFORM api.emit_business(b, 'business.month_recorded');
    END IF;
    RETURN ROW(200, api.business_month_json(n));
END $$;

-- Ordered by month; the cursor carries the month as year * 12 + month.
CREATE OR REPLACE FUNCTION api.op_business_months_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE b app.businesses := api.visible_business(ctx, api.pid(args, 'id'), false);
BEGIN
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.k, api.business_month_json(x.m))
                                                        ORDER BY x.k), '[]'), api.lim(args)))::api.reply
      FROM (SELECT m, (extract(year FROM m.month) * 12 + extract(month FROM m.month))::bigint AS k
              FROM app.business_months m
             WHERE m.business_id = b.id
               AND (extract(year FROM m.month) * 12 + extract(month FROM m.month))::bigint > api.after(args)
             ORDER BY m.month LIMIT api.lim(args) + 1) x);
END $$;
