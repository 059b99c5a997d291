-- abipraya: disclosure accounting and the processing history (contract §18.4, §18.5).
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

-- The columns a CSV of these items has: the route's list (csv_columns), an optional "!x"
-- only when some item carries x, as src/api/csv.c writes them.
CREATE OR REPLACE FUNCTION api.csv_columns_shown(spec text, items jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(ltrim(c, '!') ORDER BY o), '{}')
      FROM unnest(string_to_array(spec, ',')) WITH ORDINALITY u(c, o)
     WHERE left(c, 1) <> '!' OR EXISTS (SELECT 1 FROM jsonb_array_elements(items) i
                                         WHERE i ? split_part(ltrim(c, '!'), '.', 1))
$$;

-- The sensitive fields of one object of an answer, by resident; an audit record's are those
-- its before and after hold (of the record's resident).
CREATE OR REPLACE FUNCTION api.item_sensitive(entity text, doc jsonb) RETURNS TABLE (resident_id uuid, field text)
LANGUAGE sql STABLE AS $$
    SELECT api.item_resident(entity, doc), f FROM unnest(api.sensitive_fields(entity, doc)) f WHERE entity <> 'audit'
    UNION ALL
    SELECT api.audit_resident(doc->>'entity', (doc->>'entity_id')::uuid, coalesce(doc->'after', doc->'before')), f
      FROM (VALUES (doc->'before'), (doc->'after')) p(payload)
     CROSS JOIN LATERAL unnest(api.sensitive_fields(doc->>'entity', p.payload)) f
     WHERE entity = 'audit'
$$;

-- The disclosure records of one answer (api.run, before it returns): d is the daemon's
-- descriptor (entity, entity_id, path, purpose, columns of a CSV). A CSV or print page that
-- names residents: one `export` record per resident in it; any other answer: one `read`
-- record per resident whose sensitive fields it carries. One row per resident per answer.
CREATE OR REPLACE FUNCTION api.disclose(ctx api.ctx, d jsonb, format text, body jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    items jsonb := CASE WHEN body ? 'rows' THEN body->'rows' WHEN body ? 'items' THEN body->'items'
                        ELSE jsonb_build_array(body) END;
    export boolean := coalesce(format IN ('csv', 'html'), false);   -- JSON: no format
    cols text[] := CASE WHEN format = 'html'
                        THEN (SELECT array_agg(c->>'name' ORDER BY o) FROM jsonb_array_elements(body->'columns') WITH ORDINALITY x(c, o))
                        WHEN format = 'csv' THEN api.csv_columns_shown(d->>'columns', items) END;
BEGIN
    IF export AND NOT 'full_name' = ANY (cols) THEN RETURN; END IF;
    INSERT INTO app.disclosures (kind, user_id, role, partner_id, resident_id, house_id, entity, entity_id, fields,
                                 purpose, request_id, path)
    SELECT CASE WHEN export THEN 'export' ELSE 'read' END, ctx.user_id, ctx.role,
           CASE WHEN ctx.role = 'partner' THEN api.ctx_partner(ctx) END, r.id, r.house_id, d->>'entity',
           (d->>'entity_id')::uuid, x.fields, d->>'purpose', ctx.request_id, d->>'path'
      FROM (SELECT DISTINCT api.item_resident(d->>'entity', i) AS resident_id, cols AS fields
              FROM jsonb_array_elements(items) i WHERE export
            UNION ALL
            SELECT f.resident_id, array_agg(DISTINCT f.field ORDER BY f.field)
              FROM jsonb_array_elements(items) i CROSS JOIN LATERAL api.item_sensitive(d->>'entity', i) f
             WHERE NOT export GROUP BY f.resident_id) x
      JOIN app.residents r ON r.id = x.resident_id;
END $$;

CREATE OR REPLACE FUNCTION api.disclosure_json(d app.disclosures) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', d.id, 'at', api.ts(d.at), 'kind', d.kind, 'user_id', d.user_id, 'role', d.role,
        'partner_id', d.partner_id, 'resident_id', d.resident_id, 'house_id', d.house_id, 'entity', d.entity,
        'entity_id', d.entity_id, 'fields', to_jsonb(d.fields), 'purpose', d.purpose, 'consent_id', d.consent_id,
        'request_id', d.request_id, 'path', d.path)
$$;

-- GET /disclosures (managers: their houses; admins): creation order; from/to are house dates.
CREATE OR REPLACE FUNCTION api.op_disclosures_list(ctx api.ctx, args jsonb) RETURNS api.reply LANGUAGE plpgsql AS $$
DECLARE hid uuid := (args->>'house_id')::uuid;
BEGIN
    IF hid IS NOT NULL THEN PERFORM api.visible_house(ctx, hid); END IF;
    IF (args->>'to')::date < (args->>'from')::date THEN PERFORM api.invalid('to', 'is before from'); END IF;
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.seq, api.disclosure_json(x.d)) ORDER BY x.seq),
                                              '[]'), api.lim(args)))::api.reply
      FROM (SELECT d, d.seq FROM app.disclosures d JOIN app.houses h ON h.id = d.house_id
             WHERE api.sees(ctx, d.house_id) AND (hid IS NULL OR d.house_id = hid)
               AND (args->>'resident_id' IS NULL OR d.resident_id = (args->>'resident_id')::uuid)
               AND (args->>'user_id' IS NULL OR d.user_id = (args->>'user_id')::uuid)
               AND (args->>'kind' IS NULL OR d.kind = args->>'kind')
               AND (args->>'from' IS NULL OR (d.at AT TIME ZONE h.timezone)::date >= (args->>'from')::date)
               AND (args->>'to' IS NULL OR (d.at AT TIME ZONE h.timezone)::date <= (args->>'to')::date)
               AND d.seq > api.after(args)
             ORDER BY d.seq LIMIT api.lim(args) + 1) x);
END $$;

-- The top-level keys a change changed (§18.5): those whose values differ between before and
-- after, without version and updated_at; every key of after on a creation; sorted.
CREATE OR REPLACE FUNCTION api.changed_fields(before jsonb, after jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_agg(k ORDER BY k COLLATE "C"), '[]')
      FROM (SELECT k FROM jsonb_object_keys(coalesce(after, '{}')) k
            UNION SELECT k FROM jsonb_object_keys(coalesce(before, '{}')) k) u
     WHERE k NOT IN ('version', 'updated_at')
       AND (before IS NULL OR before->k IS DISTINCT FROM after->k)
       AND (before IS NOT NULL OR after ? k)
$$;

-- Who did it, as the processing history names them (NULL: the command line).
CREATE OR REPLACE FUNCTION api.history_user(id uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', u.id, 'full_name', u.full_name, 'role', u.role) FROM app.users u WHERE u.id = history_user.id
$$;

-- One resident's audit records and disclosure records, merged in time order (ties: changes
-- first, then by sequence); pos is the entry's place in that order (the list's cursor). The
-- order is taken on the bare rows, their JSON built for the page only (api.processing_entry).
CREATE OR REPLACE FUNCTION api.processing_rows(resident_id uuid, from_day date, to_day date, tz text)
RETURNS TABLE (pos bigint, at timestamptz, type text, record_id uuid) LANGUAGE sql STABLE AS $$
    SELECT row_number() OVER (ORDER BY e.at, e.type_order, e.seq), e.at, e.type, e.id
      FROM (SELECT a.at, 0 AS type_order, a.pos AS seq, 'change' AS type, a.id
              FROM app.audit_log a WHERE a.resident_id = processing_rows.resident_id
            UNION ALL
            SELECT d.at, 1, d.seq, 'disclosure', d.id
              FROM app.disclosures d WHERE d.resident_id = processing_rows.resident_id) e
     WHERE (from_day IS NULL OR (e.at AT TIME ZONE tz)::date >= from_day)
       AND (to_day IS NULL OR (e.at AT TIME ZONE tz)::date <= to_day)
$$;

CREATE OR REPLACE FUNCTION api.processing_entry(type text, record_id uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN type = 'change' THEN
        (SELECT jsonb_build_object('at', api.ts(a.at), 'type', 'change', 'action', a.action,
                'user', api.history_user(a.user_id), 'partner_id', u.partner_id, 'entity', a.entity,
                'entity_id', a.entity_id,
                'fields', CASE WHEN a.redacted_at IS NOT NULL THEN '[]' ELSE api.changed_fields(a.before, a.after) END,
                'purpose', NULL, 'consent_id', NULL, 'request_id', a.request_id, 'record_id', a.id,
                'redacted', a.redacted_at IS NOT NULL)
           FROM app.audit_log a LEFT JOIN app.users u ON u.id = a.user_id WHERE a.id = record_id)
    ELSE
        (SELECT jsonb_build_object('at', api.ts(d.at), 'type', 'disclosure', 'action', d.kind,
                'user', api.history_user(d.user_id), 'partner_id', d.partner_id, 'entity', d.entity,
                'entity_id', d.entity_id, 'fields', to_jsonb(d.fields), 'purpose', d.purpose,
                'consent_id', d.consent_id, 'request_id', d.request_id, 'record_id', d.id, 'redacted', false)
           FROM app.disclosures d WHERE d.id = record_id) END
$$;

-- The printable page of the history (§18.5): every entry, for handing to the resident.
CREATE OR REPLACE FUNCTION api.processing_sheet(r app.residents, h app.houses, args jsonb) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('lang', lang,
        'title', api.print_label('processing_history', lang) || ' · ' || r.full_name,
        'facts', jsonb_build_array(
            api.print_fact('resident', r.full_name, lang),
            api.print_fact('register_number', r.register_number, lang),
            api.print_fact('house', h.name || ' (' || h.code || ')', lang),
            api.print_fact('period', coalesce(args->>'from', '…') || ' – ' || coalesce(args->>'to', '…'), lang),
            api.print_fact('printed_at', api.house_time(now(), h.timezone), lang)),
        'columns', api.print_columns('{number,at,who,what,fields,purpose}', lang),
        'rows', coalesce((SELECT jsonb_agg(jsonb_build_object(
                    'data', jsonb_build_array(jsonb_build_array('type', e.entry->>'type')),
                    'cells', jsonb_build_array(e.pos::text, to_char(e.at AT TIME ZONE h.timezone, 'YYYY-MM-DD HH24:MI'),
                        CASE WHEN e.entry->'user' IS NULL OR e.entry->'user' = 'null' THEN api.print_label('command_line', lang)
                             WHEN e.entry->>'partner_id' IS NOT NULL THEN
                                 (SELECT p.name FROM app.partners p WHERE p.id = (e.entry->>'partner_id')::uuid)
                                 || ' (' || api.print_label('partner', lang) || ')'
                             ELSE coalesce(nullif(e.entry->'user'->>'full_name', ''), '—') || ' ('
                                  || api.print_label(e.entry->'user'->>'role', lang) || ')' END,
                        CASE WHEN e.entry->>'type' = 'change' THEN e.entry->>'action'
                             ELSE api.print_label(e.entry->>'action', lang) END
                        || CASE WHEN (e.entry->>'redacted')::boolean THEN ' (' || api.print_label('redacted', lang) || ')' ELSE '' END,
                        (SELECT coalesce(string_agg(f, ', '), '') FROM jsonb_array_elements_text(e.entry->'fields') f),
                        coalesce(e.entry->>'purpose', ''))) ORDER BY e.pos)
                  FROM (SELECT x.pos, x.at, api.processing_entry(x.type, x.record_id) AS entry
                          FROM api.processing_rows(r.id, (args->>'from')::date, (args->>'to')::date, h.timezone) x) e), '[]'),
        'totals', jsonb_build_array(jsonb_build_object('name', 'entries', 'label', api.print_label('entries', lang),
            'count', (SELECT count(*) FROM api.processing_rows(r.id, (args->>'from')::date, (args->>'to')::date, h.timezone)))),
        'signatures', '[]'::jsonb)
      FROM (SELECT CASE WHEN args->>'lang' = 'id' THEN 'id' ELSE 'en' END AS lang) l
$$;

-- GET /residents/{id}/processing-history: it carries no field values, so it discloses nothing.
CREATE OR REPLACE FUNCTION api.op_processing_history_get(ctx api.ctx, args jsonb) RETURNS api.reply
LANGUAGE plpgsql AS $$
DECLARE
    r app.residents := api.visible_resident(ctx, api.pid(args, 'id'));
    h app.houses;
BEGIN
    IF (args->>'to')::date < (args->>'from')::date THEN PERFORM api.invalid('to', 'is before from'); END IF;
    SELECT * INTO h FROM app.houses WHERE id = r.house_id;
    IF args->>'format' = 'html' THEN
        RETURN ROW(200, api.processing_sheet(r, h, args));
    END IF;
    RETURN (SELECT ROW(200, api.page(coalesce(jsonb_agg(jsonb_build_array(x.pos, x.entry) ORDER BY x.pos), '[]'),
                                     api.lim(args)))::api.reply
      FROM (SELECT e.pos, api.processing_entry(e.type, e.record_id) AS entry
              FROM (SELECT * FROM api.processing_rows(r.id, (args->>'from')::date, (args->>'to')::date, h.timezone) y
                     WHERE y.pos > api.after(args) ORDER BY y.pos LIMIT api.lim(args) + 1) e) x);
END $$;
