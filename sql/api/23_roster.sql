-- abipraya: the house roster (contract §17.8), the paper backup of the bed board: every
-- resident in residence now, in the board's order, who is out and until when. Emergency
-- contacts are for managers and admins only: for other roles the key is not built at all, so
-- JSON, CSV ("!" columns) and the print page (no column) all lack it alike.
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

CREATE OR REPLACE FUNCTION api.roster_rows(house_id uuid, role text)
RETURNS TABLE (n bigint, item jsonb, expected_back_at timestamptz) LANGUAGE sql STABLE AS $$
    SELECT row_number() OVER (ORDER BY rm.code, b.label, r.full_name, r.id),
           jsonb_build_object('resident_id', r.id, 'full_name', r.full_name, 'register_number', r.register_number,
               'sex', r.sex, 'stay_id', s.id, 'room_code', rm.code, 'bed_id', b.id, 'bed_label', b.label,
               'since', api.ts(s.checked_in_at), 'caseworker_id', r.caseworker_id,
               'out', CASE WHEN m.id IS NOT NULL THEN jsonb_build_object('movement_id', m.id, 'purpose', m.purpose,
                          'destination', m.destination, 'expected_back_at', api.ts(m.expected_back_at),
                          'overdue', m.expected_back_at < now()) END)
           || CASE WHEN role IN ('manager', 'admin') THEN jsonb_build_object('emergency_contact', r.emergency_contact)
                   ELSE '{}' END,
           m.expected_back_at
      FROM app.bed_occupants o
      JOIN app.stays s ON s.id = o.stay_id
      JOIN app.residents r ON r.id = o.resident_id
      JOIN app.beds b ON b.id = o.bed_id
      JOIN app.rooms rm ON rm.id = b.room_id
      LEFT JOIN app.movements m ON m.stay_id = s.id AND m.returned_at IS NULL
     WHERE o.house_id = roster_rows.house_id
$$;

CREATE OR REPLACE FUNCTION api.roster_sheet(h app.houses, ctx api.ctx, lang text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('lang', lang,
        'title', api.print_label('roster', lang) || ' · ' || h.name,
        'facts', jsonb_build_array(
            api.print_fact('house', h.name || ' (' || h.code || ')', lang),
            api.print_fact('printed_at', api.house_time(now(), h.timezone), lang),
            api.print_fact('printed_by', api.user_name(ctx.user_id), lang)),
        'columns', api.print_columns(CASE WHEN ctx.role IN ('manager', 'admin')
                       THEN '{number,full_name,register_number,room,bed,out_until,emergency_contact,mark,signature}'::text[]
                       ELSE '{number,full_name,register_number,room,bed,out_until,mark,signature}'::text[] END, lang),
        -- the contacts' column does not leave the names room on portrait paper
        'landscape', ctx.role IN ('manager', 'admin'),
        'rows', coalesce(jsonb_agg(jsonb_build_object(
                    'data', jsonb_build_array(jsonb_build_array('resident-id', x.item->>'resident_id')),
                    'cells', jsonb_build_array(x.n::text, x.item->>'full_name', x.item->>'register_number',
                                 x.item->>'room_code', x.item->>'bed_label',
                                 CASE WHEN x.item->'out' <> 'null' THEN
                                     api.print_label(x.item->'out'->>'purpose', lang) || ', ' || api.print_label('until', lang) || ' '
                                     || to_char(x.expected_back_at AT TIME ZONE h.timezone, 'DD-MM HH24:MI')
                                     || CASE WHEN (x.item->'out'->>'overdue')::boolean
                                             THEN ' · ' || api.print_label('overdue', lang) ELSE '' END
                                 ELSE '' END)
                             || CASE WHEN ctx.role IN ('manager', 'admin') THEN jsonb_build_array(
                                    concat_ws(' · ', x.item->'emergency_contact'->>'name', x.item->'emergency_contact'->>'relation',
                                              x.item->'emergency_contact'->>'phone'))
                                ELSE '[]' END
                             || '["", ""]'::jsonb) ORDER BY x.n), '[]'),
        'totals', jsonb_build_array(
            jsonb_build_object('name', 'in_residence', 'label', api.print_label('in_residence', lang), 'count', count(x.n)),
            jsonb_build_object('name', 'out', 'label', api.print_label('out', lang),
                               'count', count(x.n) FILTER (WHERE x.item->'out' <> 'null'))),
        'signatures', jsonb_build_array(api.print_label('officer', lang)))
      FROM api.roster_rows(h.id, ctx.role) x
$$;

CREATE OR REPLACE FUNCTION api.op_roster_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE h app.houses := api.visible_house(ctx, api.pid(args, 'house_id'));
BEGIN
    IF args->>'format' = 'html' THEN
        RETURN ROW(200, api.roster_sheet(h, ctx, args->>'lang'));
    END IF;
    RETURN ROW(200, jsonb_build_object('items',
        (SELECT coalesce(jsonb_agg(x.item ORDER BY x.n), '[]') FROM api.roster_rows(h.id, ctx.role) x)));
END $$;
