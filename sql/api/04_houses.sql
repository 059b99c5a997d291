-- abipraya: houses.
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

CREATE OR REPLACE FUNCTION api.house_json(h app.houses) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', h.id, 'code', h.code, 'name', h.name, 'address', h.address,
        'timezone', h.timezone, 'curfew', to_char(h.curfew, 'HH24:MI'), 'created_at', api.ts(h.created_at),
        'updated_at', api.ts(h.updated_at), 'version', h.version)
$$;

CREATE OR REPLACE FUNCTION api.op_houses_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE h app.houses;
BEGIN
    h := jsonb_populate_record(NULL::app.houses, api.only(args, '{code,name,address,timezone,curfew}'));
    h.timezone := coalesce(h.timezone, 'Asia/Jakarta');
    PERFORM api.check_timezone(h.timezone);
    INSERT INTO app.houses (code, name, address, timezone, curfew)
    VALUES (h.code, h.name, h.address, h.timezone, coalesce(h.curfew, '22:00')) RETURNING * INTO h;
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

CREATE OR REPLACE FUNCTION api.op_houses_update(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE h app.houses; n app.houses;
BEGIN
    SELECT * INTO h FROM app.houses WHERE id = api.pid(args, 'id') AND api.sees(ctx, id) FOR UPDATE;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    PERFORM api.check_version(args, h.version);
    n := jsonb_populate_record(h, api.only(args, '{code,name,address,timezone,curfew}'));
    IF args ? 'timezone' THEN PERFORM api.check_timezone(n.timezone); END IF;
    UPDATE app.houses SET code = n.code, name = n.name, address = n.address, timezone = n.timezone,
                          curfew = n.curfew
     WHERE id = h.id RETURNING * INTO n;
    PERFORM api.audit(ctx, 'house.update', 'house', h.id, h.id, api.house_json(h), api.house_json(n));
    RETURN ROW(200, api.house_json(n));
END $$;
