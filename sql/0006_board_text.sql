-- The bed board as text (issue 4: a 2 000-bed board in under 20 ms). 0004 already builds
-- the board's JSON as text, but api.run carries bodies as jsonb: the 700 kB text was parsed
-- into jsonb and printed back out, about half the board's time. Here the rendering moves
-- into api.board_text; beds.board (through api.run) wraps it, and api.run_text serves
-- the GET of operations whose body is rendered as text without that round trip. Anything
-- but a success (401, 403, 404, a C-side problem) goes through api.run, which answers it
-- exactly as before.

CREATE FUNCTION api.board_text(ctx api.ctx, args jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    h app.houses := api.visible_house(ctx, api.pid(args, 'house_id'));
    want text := args->>'state';
BEGIN
    RETURN (SELECT '{"items":[' || coalesce(string_agg(x.e, ',' ORDER BY x.room_code, x.label), '') || ']}'
      FROM (SELECT rm.code AS room_code, b.label,
                   '{"id":"' || b.id || '","room_id":"' || b.room_id || '","room_code":' || to_json(rm.code)
                   || ',"label":' || to_json(b.label) || ',"state":"' || st.state || '","status_reason":'
                   || coalesce(to_json(b.status_reason)::text, 'null') || ',"occupant":'
                   || CASE WHEN p.id IS NOT NULL THEN '{"resident_id":' || coalesce('"' || o.resident_id || '"', 'null')
                           || ',"full_name":' || coalesce(to_json(o.full_name)::text, 'null')
                           || ',"stay_id":"' || p.stay_id || '","since":"' || api.ts(p.from_at) || '"}'
                      ELSE 'null' END || '}' AS e
              FROM app.beds b
              JOIN app.rooms rm ON rm.id = b.room_id
              LEFT JOIN app.bed_periods p ON p.bed_id = b.id AND p.to_at IS NULL
              LEFT JOIN LATERAL (SELECT r.id AS resident_id, r.full_name
                                   FROM app.stays s JOIN app.residents r ON r.id = s.resident_id
                                  WHERE s.id = p.stay_id OFFSET 0) o ON true
              CROSS JOIN LATERAL (SELECT CASE WHEN p.id IS NOT NULL THEN 'occupied'
                                              WHEN b.status = 'out_of_service' THEN 'out_of_service'
                                              ELSE 'free' END AS state) st
             WHERE b.house_id = h.id AND (want IS NULL OR st.state = want)) x);
END $$;

CREATE OR REPLACE FUNCTION api.op_beds_board(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
BEGIN
    RETURN ROW(200, api.board_text(ctx, args)::jsonb);
END $$;

-- The user of a token when the role is one of roles, else NULL (api.run says why).
CREATE FUNCTION api.session_ctx(token_hash bytea, roles text[], request_id text) RETURNS api.ctx
LANGUAGE sql STABLE AS $$
    SELECT ROW(u.id, u.role, CASE WHEN u.role = 'admin' THEN NULL ELSE u.house_ids END, request_id)::api.ctx
      FROM app.sessions s JOIN app.users u ON u.id = s.user_id
     WHERE s.token_hash = session_ctx.token_hash AND s.expires_at > now() AND u.active AND u.role = ANY (roles)
$$;

CREATE FUNCTION api.run_text(token_hash bytea, op text, roles text[], request_id text, idem_key text,
                             fingerprint text, args jsonb, pre_error jsonb)
RETURNS TABLE (status int, body text, etag int) LANGUAGE plpgsql AS $$
DECLARE
    c api.ctx;
    res api.result;
BEGIN
    IF pre_error IS NULL AND op = 'beds.board' THEN
        c := api.session_ctx(token_hash, roles, request_id);
        IF c.user_id IS NOT NULL THEN
            BEGIN
                RETURN QUERY SELECT 200, api.board_text(c, args), NULL::int;
                RETURN;
            EXCEPTION WHEN raise_exception THEN
                NULL;   -- a problem of the operation (404): api.run renders it below
            END;
        END IF;
    END IF;
    res := api.run(token_hash, op, roles, request_id, idem_key, fingerprint, args, pre_error);
    RETURN QUERY SELECT res.status, res.body::text, res.etag;
END $$;
