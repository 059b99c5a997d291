-- abipraya: roll-calls (apel, contract §17.7) and what their print pages show.
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").
--
-- A roll-call's lines are written once, by one INSERT ... SELECT over the house's stays active
-- at its `at` (one statement whatever the house's size), and marked by one UPDATE per request.
-- Marks, close and cancel lock the roll-call row first: the line trigger of migration 0021
-- then reads a status no other writer can change under it.
--
-- Print pages (Accept: text/html): the op answers a *sheet*, plain data that src/api/print.c
-- lays out and HTML-escapes: {"lang","title","facts":[{"label","value"}],"columns":[{"label",
-- "name"?}],"rows":[{"data":[[attr, value]],"cells":[text]}],"totals":[{"name","label","count"}],
-- "signatures":[label],"landscape"?}. The words are api.print_label's, in the request's language.
-- A row about a resident has ["resident-id", id] as its first data pair (api.item_resident).

-- A user's name for a page or an object (the id when the user has none).
CREATE OR REPLACE FUNCTION api.user_name(id uuid) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(u.full_name, ''), u.username) FROM app.users u WHERE u.id = user_name.id
$$;

CREATE OR REPLACE FUNCTION api.roll_call_totals(roll_call_id uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('present', count(*) FILTER (WHERE l.status = 'present'),
                              'absent', count(*) FILTER (WHERE l.status = 'absent'),
                              'out', count(*) FILTER (WHERE l.status = 'out'),
                              'excused', count(*) FILTER (WHERE l.status = 'excused'),
                              'unmarked', count(*) FILTER (WHERE l.status = 'unmarked'))
      FROM app.roll_call_lines l WHERE l.roll_call_id = roll_call_totals.roll_call_id
$$;

-- The lines of a roll-call, in the sheet's order (room code, bed label, full name), with
-- their place (n, from 1), each line as its JSON object and the columns a print page shows
-- (a caller that reads only those never builds the JSON: the planner drops an unread column).
-- (Its columns changed: dropped first, CREATE OR REPLACE cannot change them.)
DROP FUNCTION IF EXISTS api.roll_call_rows(uuid);
CREATE OR REPLACE FUNCTION api.roll_call_rows(roll_call_id uuid)
RETURNS TABLE (n bigint, line jsonb, status text, resident_id uuid, expected_back_at timestamptz,
               full_name text, register_number text, room_code text, bed_label text, note text)
LANGUAGE sql STABLE AS $$
    SELECT row_number() OVER (ORDER BY rm.code, b.label, r.full_name, l.resident_id),
           jsonb_build_object('resident_id', l.resident_id, 'full_name', r.full_name,
               'register_number', r.register_number, 'stay_id', l.stay_id, 'room_code', rm.code,
               'bed_id', l.bed_id, 'bed_label', b.label, 'status', l.status, 'note', l.note,
               'movement_id', l.movement_id, 'expected_back_at', api.ts(m.expected_back_at),
               'marked_by', l.marked_by, 'marked_at', api.ts(l.marked_at)),
           l.status, l.resident_id, m.expected_back_at, r.full_name, r.register_number, rm.code, b.label, l.note
      FROM app.roll_call_lines l
      -- each line's resident by its key (OFFSET 0 keeps the planner from making this a hash
      -- join over a scan of every resident, which it priced below 2 000 lookups)
      CROSS JOIN LATERAL (SELECT x.full_name, x.register_number FROM app.residents x
                           WHERE x.id = l.resident_id OFFSET 0) r
      JOIN app.beds b ON b.id = l.bed_id
      JOIN app.rooms rm ON rm.id = b.room_id
      LEFT JOIN app.movements m ON m.id = l.movement_id
     WHERE l.roll_call_id = roll_call_rows.roll_call_id
$$;

CREATE OR REPLACE FUNCTION api.roll_call_lines_json(roll_call_id uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(x.line ORDER BY x.n), '[]') FROM api.roll_call_rows(roll_call_id) x
$$;

-- The roll-call object; with_lines adds `lines` (the list and close's audit record go without).
CREATE OR REPLACE FUNCTION api.roll_call_json(c app.roll_calls, with_lines boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', c.id, 'house_id', c.house_id, 'kind', c.kind, 'at', api.ts(c.at),
               'status', c.status, 'note', c.note, 'created_by', c.created_by,
               'created_by_name', api.user_name(c.created_by), 'closed_at', api.ts(c.closed_at),
               'closed_by', c.closed_by, 'closed_by_name', api.user_name(c.closed_by),
               'cancelled_at', api.ts(c.cancelled_at), 'cancel_reason', c.cancel_reason,
               'totals', api.roll_call_totals(c.id), 'version', c.version,
               'created_at', api.ts(c.created_at), 'updated_at', api.ts(c.updated_at))
        || CASE WHEN with_lines THEN jsonb_build_object('lines', api.roll_call_lines_json(c.id)) ELSE '{}' END
$$;

-- A roll-call named in the path: 404 unless visible. A write locks it (marks, close and
-- cancel are ordered by this lock) and is refused once it is closed or cancelled.
CREATE OR REPLACE FUNCTION api.open_roll_call(ctx api.ctx, id uuid) RETURNS app.roll_calls LANGUAGE plpgsql AS $$
DECLARE c app.roll_calls;
BEGIN
    SELECT * INTO c FROM app.roll_calls x WHERE x.id = open_roll_call.id AND api.sees(ctx, x.house_id) FOR UPDATE;
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    IF c.status <> 'open' THEN
        PERFORM api.fail(409, 'roll_call_closed', NULL, format('the roll-call is %s', c.status));
    END IF;
    RETURN c;
END $$;

CREATE OR REPLACE FUNCTION api.roll_call_event(c app.roll_calls, verb text) RETURNS void LANGUAGE sql AS $$
    SELECT api.emit(c.house_id, 'roll_call.' || verb, jsonb_build_object('entity', 'roll_call', 'id', c.id))
$$;

CREATE OR REPLACE FUNCTION api.op_roll_calls_create(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    h app.houses := api.visible_house(ctx, api.pid(args, 'house_id'));
    at timestamptz := coalesce((args->>'at')::timestamptz, now());
    c app.roll_calls;
    open_id uuid;
    doc jsonb;
BEGIN
    IF at > api.soon() THEN PERFORM api.invalid('at', 'is more than 5 minutes ahead'); END IF;
    IF at < now() - interval '72 hours' THEN PERFORM api.invalid('at', 'is more than 72 hours back'); END IF;
    -- A concurrent open of the house waits here for the other's commit, then finds it open. One
    -- closed or cancelled in between (no open one to name) makes room: the insert is tried again.
    FOR attempt IN 1..3 LOOP
        INSERT INTO app.roll_calls (house_id, kind, at, note, created_by)
        VALUES (h.id, args->>'kind', at, args->>'note', ctx.user_id)
        ON CONFLICT (house_id) WHERE status = 'open' DO NOTHING
        RETURNING * INTO c;
        EXIT WHEN FOUND;
        open_id := (SELECT x.id FROM app.roll_calls x WHERE x.house_id = h.id AND x.status = 'open');
        IF open_id IS NOT NULL OR attempt = 3 THEN
            PERFORM api.fail_with(409, 'roll_call_open', 'another roll-call of the house is open',
                                  jsonb_build_object('roll_call_id', open_id));
        END IF;
    END LOOP;
    -- every stay active at `at`, on the bed it held then; signed out then and not back: `out`.
    -- The stays by the house's indexes (active, or checked out since `at`, which is at most 72 h
    -- back), their bed periods by stay: a span or period test over the whole table read every
    -- stay and bed period the house ever had.
    INSERT INTO app.roll_call_lines (roll_call_id, resident_id, stay_id, bed_id, status, movement_id)
    SELECT c.id, s.resident_id, s.id, p.bed_id, CASE WHEN m.id IS NULL THEN 'unmarked' ELSE 'out' END, m.id
      FROM (SELECT x.id, x.resident_id FROM app.stays x
             WHERE x.house_id = h.id AND x.checked_out_at IS NULL AND x.checked_in_at <= at
            UNION ALL
            SELECT x.id, x.resident_id FROM app.stays x
             WHERE x.house_id = h.id AND x.checked_out_at > at AND x.checked_in_at <= at) s
     CROSS JOIN LATERAL (SELECT b.bed_id FROM app.bed_periods b
                          WHERE b.stay_id = s.id AND b.from_at <= at AND b.during @> at
                          ORDER BY b.from_at DESC LIMIT 1) p
      LEFT JOIN (SELECT DISTINCT ON (o.stay_id) o.stay_id, o.id FROM app.movements o
                  WHERE o.house_id = h.id AND o.out_at <= at AND (o.returned_at IS NULL OR o.returned_at > at)
                  ORDER BY o.stay_id, o.out_at DESC) m ON m.stay_id = s.id;
    doc := api.roll_call_json(c, true);     -- rendered once: the audit record and the answer
    PERFORM api.audit(ctx, 'roll_call.create', 'roll_call', c.id, c.house_id, NULL, doc);
    PERFORM api.roll_call_event(c, 'opened');
    RETURN ROW(201, doc);
END $$;

-- {"lines": [...]} of the lines the marks name (the audit record of a mark).
CREATE OR REPLACE FUNCTION api.roll_call_lines_named(roll_call_id uuid, marks jsonb) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('lines', coalesce(jsonb_agg(x.line ORDER BY x.n), '[]'))
      FROM api.roll_call_rows(roll_call_id) x
     WHERE x.resident_id IN (SELECT (v->>'resident_id')::uuid FROM jsonb_array_elements(marks) v)
$$;

-- All or nothing: every problem of the marks in one 422, naming marks[i].<member>.
CREATE OR REPLACE FUNCTION api.op_roll_calls_marks(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    c app.roll_calls := api.open_roll_call(ctx, api.pid(args, 'id'));
    errors jsonb;
    before jsonb;
BEGIN
    SELECT jsonb_agg(e ORDER BY x.i, e->>'field') INTO errors
      FROM (SELECT (m.i - 1) AS i, m.v->>'resident_id' AS resident_id, m.v->>'status' AS status,
                   nullif(m.v->>'note', '') AS note, l.resident_id IS NOT NULL AS on_it, l.movement_id,
                   count(*) OVER (PARTITION BY m.v->>'resident_id') AS times
              FROM jsonb_array_elements(args->'marks') WITH ORDINALITY m(v, i)
              LEFT JOIN app.roll_call_lines l ON l.roll_call_id = c.id AND l.resident_id = (m.v->>'resident_id')::uuid) x
     CROSS JOIN LATERAL (
            SELECT jsonb_build_object('field', format('marks[%s].resident_id', x.i), 'message', 'is not on this roll-call') e
             WHERE NOT x.on_it
            UNION ALL
            SELECT jsonb_build_object('field', format('marks[%s].resident_id', x.i), 'message', 'is named twice in the request')
             WHERE x.on_it AND x.times > 1
            UNION ALL
            SELECT jsonb_build_object('field', format('marks[%s].note', x.i), 'message',
                       CASE WHEN x.status = 'excused' THEN 'is required to excuse'
                            ELSE 'is required for out without a sign-out' END)
             WHERE x.note IS NULL AND (x.status = 'excused' OR (x.status = 'out' AND x.on_it AND x.movement_id IS NULL))) y;
    IF errors IS NOT NULL THEN
        PERFORM api.fail_with(422, 'validation_failed', NULL, jsonb_build_object('errors', errors));
    END IF;
    before := api.roll_call_lines_named(c.id, args->'marks');
    UPDATE app.roll_call_lines l SET status = k.status, note = nullif(k.note, ''), marked_by = ctx.user_id, marked_at = now()
      FROM jsonb_to_recordset(args->'marks') k(resident_id uuid, status text, note text)
     WHERE l.roll_call_id = c.id AND l.resident_id = k.resident_id;
    UPDATE app.roll_calls SET updated_at = now() WHERE id = c.id RETURNING * INTO c;   -- a new version
    PERFORM api.audit(ctx, 'roll_call.mark', 'roll_call', c.id, c.house_id, before, api.roll_call_lines_named(c.id, args->'marks'));
    PERFORM api.roll_call_event(c, 'marked');
    RETURN ROW(200, api.roll_call_json(c, true));
END $$;

-- What a close and a cancel end with (C before, N after): the audit record (the roll-call
-- without lines), the event, the answer.
CREATE OR REPLACE FUNCTION api.roll_call_ended(ctx api.ctx, c app.roll_calls, n app.roll_calls, action text, verb text)
RETURNS api.reply LANGUAGE plpgsql AS $$
BEGIN
    PERFORM api.audit(ctx, 'roll_call.' || action, 'roll_call', c.id, c.house_id, api.roll_call_json(c, false),
                      api.roll_call_json(n, false));
    PERFORM api.roll_call_event(n, verb);
    RETURN ROW(200, api.roll_call_json(n, true));
END $$;

CREATE OR REPLACE FUNCTION api.op_roll_calls_close(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    c app.roll_calls := api.open_roll_call(ctx, api.pid(args, 'id'));
    n app.roll_calls;
    unmarked jsonb;
BEGIN
    SELECT jsonb_agg(jsonb_build_object('resident_id', x.resident_id, 'full_name', x.line->>'full_name') ORDER BY x.n)
      INTO unmarked FROM api.roll_call_rows(c.id) x WHERE x.status = 'unmarked';
    IF unmarked IS NOT NULL THEN
        PERFORM api.fail_with(422, 'roll_call_incomplete', 'every line must be marked before closing',
            jsonb_build_object('unmarked', unmarked, 'errors',
                (SELECT jsonb_agg(jsonb_build_object('field', 'lines.' || (u->>'resident_id'), 'message', 'is not marked'))
                   FROM jsonb_array_elements(unmarked) u)));
    END IF;
    UPDATE app.roll_calls SET status = 'closed', closed_at = now(), closed_by = ctx.user_id WHERE id = c.id RETURNING * INTO n;
    RETURN api.roll_call_ended(ctx, c, n, 'close', 'closed');
END $$;

CREATE OR REPLACE FUNCTION api.op_roll_calls_cancel(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    c app.roll_calls := api.open_roll_call(ctx, api.pid(args, 'id'));
    n app.roll_calls;
BEGIN
    UPDATE app.roll_calls SET status = 'cancelled', cancelled_at = now(), cancelled_by = ctx.user_id,
                              cancel_reason = args->>'reason'
     WHERE id = c.id RETURNING * INTO n;
    RETURN api.roll_call_ended(ctx, c, n, 'cancel', 'cancelled');
END $$;

-- from/to: inclusive house dates of `at`.
CREATE OR REPLACE FUNCTION api.op_roll_calls_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    h app.houses := api.visible_house(ctx, api.pid(args, 'house_id'));
    skip bigint := api.after(args);
BEGIN
    IF (args->>'from')::date > (args->>'to')::date THEN PERFORM api.invalid_fields('{from,to}', 'from is after to'); END IF;
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.roll_call_json(x.c, false)) ORDER BY x.seq), '[]'),
                                     api.lim(args)))::api.reply
      FROM (SELECT c, c.seq FROM app.roll_calls c
             WHERE c.house_id = h.id AND c.seq > skip
               AND (args->>'status' IS NULL OR c.status = args->>'status')
               AND (args->>'kind' IS NULL OR c.kind = args->>'kind')
               AND (args->>'from' IS NULL OR c.at >= api.midnight((args->>'from')::date, h.timezone))
               AND (args->>'to' IS NULL OR c.at < api.midnight((args->>'to')::date + 1, h.timezone))
             ORDER BY c.seq LIMIT api.lim(args) + 1) x);
END $$;

-- ---------------------------------------------------------------- print pages

-- The words of the print pages: key -> [English, Indonesian]. One expression over a constant
-- (no subquery), so that the planner inlines it: a sheet asks it once per line, and a VALUES
-- list searched by a subquery made every call a function call (~12 us, 20 ms a sheet).
CREATE OR REPLACE FUNCTION api.print_label(key text, lang text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce('{
        "roll_call": ["Roll-call", "Apel"],
        "roster": ["House roster", "Daftar penghuni"],
        "house": ["House", "Rumah"],
        "kind": ["Kind", "Jenis"],
        "at": ["Time", "Waktu"],
        "opened_by": ["Opened by", "Dibuka oleh"],
        "closed": ["Closed", "Ditutup"],
        "not_closed": ["not closed", "belum ditutup"],
        "cancelled": ["Cancelled", "Dibatalkan"],
        "note": ["Note", "Catatan"],
        "printed_at": ["Printed", "Dicetak"],
        "printed_by": ["Printed by", "Dicetak oleh"],
        "number": ["No.", "No."],
        "full_name": ["Name", "Nama"],
        "register_number": ["Register no.", "No. register"],
        "room": ["Room", "Kamar"],
        "bed": ["Bed", "Tempat tidur"],
        "status": ["Status", "Status"],
        "mark": ["Status", "Status"],
        "signature": ["Signature", "Tanda tangan"],
        "out_until": ["Out (back by)", "Keluar (kembali)"],
        "emergency_contact": ["Emergency contact", "Kontak darurat"],
        "officer": ["Officer on duty", "Petugas jaga"],
        "in_residence": ["In residence", "Tinggal"],
        "until": ["back by", "kembali"],
        "overdue": ["overdue", "terlambat"],
        "morning": ["Morning", "Pagi"],
        "evening": ["Evening", "Sore"],
        "night": ["Night", "Malam"],
        "extra": ["Extra", "Tambahan"],
        "present": ["Present", "Hadir"],
        "absent": ["Absent", "Tidak hadir"],
        "out": ["Out", "Di luar"],
        "excused": ["Excused", "Izin"],
        "unmarked": ["Unmarked", "Belum ditandai"],
        "work": ["work", "bekerja"],
        "training": ["training", "pelatihan"],
        "family_visit": ["family visit", "kunjungan keluarga"],
        "medical": ["medical", "berobat"],
        "reporting": ["reporting", "wajib lapor"],
        "religious": ["religious", "ibadah"],
        "other": ["other", "lainnya"],
        "processing_history": ["Processing history", "Rekam jejak pemrosesan"],
        "resident": ["Resident", "Klien"],
        "period": ["Period", "Periode"],
        "entries": ["Entries", "Entri"],
        "who": ["Who", "Oleh"],
        "what": ["What", "Kegiatan"],
        "fields": ["Fields", "Data"],
        "purpose": ["Purpose", "Tujuan"],
        "change": ["change", "perubahan"],
        "read": ["read", "dibaca"],
        "export": ["export", "diekspor"],
        "partner_view": ["partner view", "dilihat mitra"],
        "redacted": ["redacted", "dihapus"],
        "command_line": ["command line", "baris perintah"],
        "admin": ["administrator", "administrator"],
        "manager": ["manager", "manajer"],
        "caseworker": ["caseworker", "pembimbing kemasyarakatan"],
        "staff": ["staff", "petugas"],
        "partner": ["partner", "mitra"]
    }'::jsonb -> key ->> CASE WHEN lang = 'id' THEN 1 ELSE 0 END, key)
$$;

-- An instant as the house's clock shows it, with the zone's name.
CREATE OR REPLACE FUNCTION api.house_time(t timestamptz, tz text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT to_char(t AT TIME ZONE tz, 'YYYY-MM-DD HH24:MI') || ' (' || tz || ')'
$$;

CREATE OR REPLACE FUNCTION api.print_fact(key text, value text, lang text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('label', api.print_label(key, lang), 'value', value)
$$;

CREATE OR REPLACE FUNCTION api.print_columns(keys text[], lang text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_agg(jsonb_build_object('label', api.print_label(k, lang), 'name', k) ORDER BY o)
      FROM unnest(keys) WITH ORDINALITY u(k, o)
$$;

CREATE OR REPLACE FUNCTION api.roll_call_sheet(c app.roll_calls, h app.houses, lang text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('lang', lang,
        'title', api.print_label('roll_call', lang) || ' ' || api.print_label(c.kind, lang) || ' · ' || h.name,
        'facts', jsonb_build_array(
            api.print_fact('house', h.name || ' (' || h.code || ')', lang),
            api.print_fact('kind', api.print_label(c.kind, lang), lang),
            api.print_fact('at', api.house_time(c.at, h.timezone), lang),
            api.print_fact('opened_by', api.user_name(c.created_by), lang),
            CASE WHEN c.status = 'cancelled'
                 THEN api.print_fact('cancelled', api.house_time(c.cancelled_at, h.timezone) || ' · ' || c.cancel_reason, lang)
                 ELSE api.print_fact('closed', coalesce(api.user_name(c.closed_by) || ' · ' || api.house_time(c.closed_at, h.timezone),
                                                       api.print_label('not_closed', lang)), lang) END)
            || CASE WHEN c.note IS NOT NULL THEN jsonb_build_array(api.print_fact('note', c.note, lang)) ELSE '[]' END,
        'columns', api.print_columns('{number,full_name,register_number,room,bed,status,note,signature}', lang),
        'rows', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                     'data', jsonb_build_array(jsonb_build_array('resident-id', x.resident_id), jsonb_build_array('status', x.status)),
                     'cells', jsonb_build_array(x.n::text, x.full_name, x.register_number, x.room_code, x.bed_label,
                         CASE WHEN x.status = 'unmarked' THEN '' ELSE api.print_label(x.status, lang) END,
                         -- a prefilled out without a note of its own: when the resident is due back
                         coalesce(x.note,
                                  CASE WHEN x.status = 'out' AND x.expected_back_at IS NOT NULL
                                       THEN api.print_label('until', lang) || ' '
                                            || to_char(x.expected_back_at AT TIME ZONE h.timezone, 'DD-MM HH24:MI') END,
                                  ''), '')) ORDER BY x.n), '[]')
                   FROM api.roll_call_rows(c.id) x),
        'totals', (SELECT jsonb_agg(jsonb_build_object('name', t.key, 'label', api.print_label(t.key, lang), 'count', t.value::int)
                                    ORDER BY array_position('{present,absent,out,excused,unmarked}'::text[], t.key))
                     FROM jsonb_each_text(api.roll_call_totals(c.id)) t),
        'signatures', jsonb_build_array(api.print_label('officer', lang)))
$$;

CREATE OR REPLACE FUNCTION api.op_roll_calls_get(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE
    c app.roll_calls;
    h app.houses;
BEGIN
    SELECT * INTO c FROM app.roll_calls x WHERE x.id = api.pid(args, 'id') AND api.sees(ctx, x.house_id);
    IF NOT FOUND THEN PERFORM api.not_found(); END IF;
    IF args->>'format' = 'csv' THEN
        RETURN ROW(200, jsonb_build_object('items', api.roll_call_lines_json(c.id)));
    ELSIF args->>'format' = 'html' THEN
        SELECT * INTO h FROM app.houses WHERE id = c.house_id;
        RETURN ROW(200, api.roll_call_sheet(c, h, args->>'lang'));
    END IF;
    RETURN ROW(200, api.roll_call_json(c, true));
END $$;
