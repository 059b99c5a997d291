-- abipraya: houses and their settings (API.md §5, contract §15.7).
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

-- The house settings of §15.7: the one list of their names. A house object shows them, a
-- create or update writes them, and a manager may PATCH only them. Their ranges are the C
-- field table's (src/resources/houses.c) and the columns' CHECKs; their defaults the columns'.
CREATE OR REPLACE FUNCTION api.house_settings() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT '{absconding_grace_minutes,supervision_warning_days,supervision_critical_days,reporting_due_days,
             reporting_grace_days,long_stay_days,turnover_minutes,roll_calls_per_day,follow_up_days}'::text[]
$$;

CREATE OR REPLACE FUNCTION api.house_json(h app.houses) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', h.id, 'code', h.code, 'name', h.name, 'address', h.address,
        'timezone', h.timezone, 'curfew', to_char(h.curfew, 'HH24:MI'), 'created_at', api.ts(h.created_at),
        'updated_at', api.ts(h.updated_at), 'version', h.version) || api.only(to_jsonb(h), api.house_settings())
$$;

-- The rules between fields that a field table cannot say; follow_up_days is stored ascending
-- (the C side has checked the values distinct and in range). On a create giving one of the
-- two days, the other is the column's default and the table's CHECK names both fields.
CREATE OR REPLACE FUNCTION api.house_checked(h app.houses) RETURNS app.houses LANGUAGE plpgsql AS $$
BEGIN
    IF h.supervision_critical_days >= h.supervision_warning_days THEN
        PERFORM api.invalid_fields('{supervision_critical_days,supervision_warning_days}',
                                   'supervision_critical_days must be less than supervision_warning_days');
    END IF;
    IF h.follow_up_days IS NOT NULL THEN
        h.follow_up_days := ARRAY(SELECT v FROM unnest(h.follow_up_days) v ORDER BY v);
    END IF;
    RETURN h;
END $$;

CREATE OR REPLACE FUNCTION api.op_houses_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    h app.houses;
    -- the settings given; the others take the columns' defaults
    cols text := (SELECT string_agg(quote_ident(k), ', ') FROM unnest('{code,name,address,timezone,curfew}'::text[]
                         || ARRAY(SELECT s FROM unnest(api.house_settings()) s WHERE args ? s)) k);
BEGIN
    h := jsonb_populate_record(NULL::app.houses, api.only(args, '{code,name,address,timezone,curfew}'::text[]
                                                                || api.house_settings()));
    h.timezone := coalesce(h.timezone, 'Asia/Jakarta');
    h.curfew := coalesce(h.curfew, '22:00');
    PERFORM api.check_timezone(h.timezone);
    h := api.house_checked(h);
    EXECUTE format('INSERT INTO app.houses (%1$s) SELECT %1$s FROM jsonb_populate_record(NULL::app.houses, $1) RETURNING *', cols)
       INTO h USING to_jsonb(h);
    PERFORM api.audit(ctx, 'house.create', 'house', h.id, h.id, NULL, api.house_json(h));
    RETURN ROW(201, api.house_json(h));
END $$;

CREATE OR REPLACE FUNCTION api.op_houses_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE sql AS $$
    SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.house_json(x.h)) ORDER BY x.seq), '[]'),
                             api.lim(args)))::api.reply
      FROM (SELECT h, h.seq FROM app.houses h WHERE api.sees(ctx, h.id) AND h.seq > api.after(args)
             ORDER BY h.seq LIMIT api.lim(args) + 1) x
$$;

CREATE OR REPLACE FUNCTION api.op_houses_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE sql AS $$
    SELECT ROW(200, api.house_json(api.visible_house(ctx, api.pid(args, 'id'))))::api.reply
$$;

-- Admin: any field. A manager of the house (the route admits admin and manager): a body of
-- settings only, else 403 before anything is compared or written.
CREATE OR REPLACE FUNCTION api.op_houses_update(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    h app.houses; n app.houses;
    cols text := (SELECT string_agg(quote_ident(k), ', ') FROM unnest('{code,name,address,timezone,curfew}'::text[]
                                                                      || api.house_settings()) k);
BEGIN
    SELECT * INTO h FROM app.houses WHERE id = api.pid(args, 'id') AND api.sees(ctx, id) FOR UPDATE;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    IF ctx.role <> 'admin' AND EXISTS (SELECT 1 FROM jsonb_object_keys(args - '{id,if_match}'::text[]) k
                                        WHERE k <> ALL (api.house_settings())) THEN
        PERFORM api.fail(403, 'forbidden', NULL, 'a manager may change only the house settings');
    END IF;
    PERFORM api.check_version(args, h.version);
    n := jsonb_populate_record(h, api.only(args, '{code,name,address,timezone,curfew}'::text[] || api.house_settings()));
    IF args ? 'timezone' THEN PERFORM api.check_timezone(n.timezone); END IF;
    n := api.house_checked(n);
    EXECUTE format('UPDATE app.houses x SET (%1$s) = (SELECT %1$s FROM jsonb_populate_record(NULL::app.houses, $1)) '
                   'WHERE x.id = $2 RETURNING *', cols) INTO n USING to_jsonb(n), h.id;
    PERFORM api.audit(ctx, 'house.update', 'house', h.id, h.id, api.house_json(h), api.house_json(n));
    RETURN ROW(200, api.house_json(n));
END $$;
