-- abipraya: shift handover notes (contract §17.9); the night shift's `tonight` view reads
-- them too. Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

CREATE OR REPLACE FUNCTION api.handover_note_json(n app.handover_notes, author_name text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', n.id, 'house_id', n.house_id, 'shift', n.shift, 'note', n.note,
        'flags', to_jsonb(n.flags), 'author_id', n.author_id, 'author_name', author_name,
        'created_at', api.ts(n.created_at), 'updated_at', api.ts(n.updated_at))
$$;

CREATE OR REPLACE FUNCTION api.op_handover_notes_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE h app.houses := api.visible_house(ctx, api.pid(args, 'house_id')); n app.handover_notes; j jsonb;
BEGIN
    INSERT INTO app.handover_notes (house_id, shift, note, flags, author_id)
    VALUES (h.id, args->>'shift', args->>'note',
            coalesce(ARRAY(SELECT jsonb_array_elements_text(args->'flags')), '{}'), ctx.user_id)
    RETURNING * INTO n;
    j := api.handover_note_json(n, (SELECT u.full_name FROM app.users u WHERE u.id = n.author_id));
    PERFORM api.audit(ctx, 'handover_note.create', 'handover_note', n.id, h.id, NULL, j);
    PERFORM api.emit(h.id, 'handover_note.created', jsonb_build_object('entity', 'handover_note', 'id', n.id));
    RETURN ROW(201, j);
END $$;

-- from/to: inclusive dates of created_at in the house's time zone
CREATE OR REPLACE FUNCTION api.op_handover_notes_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE h app.houses := api.visible_house(ctx, api.pid(args, 'house_id'));
BEGIN
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.handover_note_json(x.n, x.author))
                                                        ORDER BY x.seq), '[]'), api.lim(args)))::api.reply
      FROM (SELECT n, n.seq, u.full_name AS author
              FROM app.handover_notes n JOIN app.users u ON u.id = n.author_id
             WHERE n.house_id = h.id
               AND (args->>'shift' IS NULL OR n.shift = args->>'shift')
               AND (args->>'flag' IS NULL OR args->>'flag' = ANY (n.flags))
               AND (args->>'from' IS NULL OR (n.created_at AT TIME ZONE h.timezone)::date >= (args->>'from')::date)
               AND (args->>'to' IS NULL OR (n.created_at AT TIME ZONE h.timezone)::date <= (args->>'to')::date)
               AND n.seq > api.after(args)
             ORDER BY n.seq LIMIT api.lim(args) + 1) x);
END $$;

-- tonight's notes: the house's last 24 hours, newest first, at most 20
CREATE OR REPLACE FUNCTION api.recent_handover_notes(house_id uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(api.handover_note_json(x.n, x.author) ORDER BY x.seq DESC), '[]')
      FROM (SELECT n, n.seq, u.full_name AS author
              FROM app.handover_notes n JOIN app.users u ON u.id = n.author_id
             WHERE n.house_id = recent_handover_notes.house_id AND n.created_at > now() - interval '24 hours'
             ORDER BY n.seq DESC LIMIT 20) x
$$;
