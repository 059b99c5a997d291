-- abipraya: retention and anonymisation (contract §18.7), run by `abiprayad retention`
-- (src/api/retention.c): api.retention_candidates finds who is due in one statement,
-- api.anonymise anonymises one resident in one call (its own transaction, one round trip);
-- and the guards that answer 409 resident_anonymised to any change of an anonymised resident
-- or its objects (§18.13), on every path and every daemon, because they are triggers.

-- Why resident r is due today, or no row: not anonymised, no active stay, no open
-- data-subject request, and either an erasure scheduled and no longer blocked (as §18.6
-- judges it, now), or its last involvement more than `years` years before today. The last
-- involvement: the latest of its last check-out, its supervision_ends_on, each legal basis's
-- end (supervision_ends_on, or the day before revoked_on) and, if it never stayed, its
-- creation; each a date of its house (a check-out: of the stay's house). One SELECT, so that
-- the planner inlines it into the candidates' scan.
CREATE OR REPLACE FUNCTION api.retention_due(r app.residents, years int) RETURNS TABLE (reason text, last date)
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN r.erasure_scheduled_at IS NOT NULL AND NOT api.erasure_blocked(r) THEN 'erasure_request'
                WHEN l.last < (api.today(r.house_id) - make_interval(years => years))::date THEN 'retention' END,
           l.last
      FROM (SELECT greatest(
                (SELECT max((s.checked_out_at AT TIME ZONE h.timezone)::date)
                   FROM app.stays s JOIN app.houses h ON h.id = s.house_id WHERE s.resident_id = r.id),
                r.supervision_ends_on,
                (SELECT max(CASE WHEN b.revoked_on IS NOT NULL THEN b.revoked_on - 1 ELSE b.supervision_ends_on END)
                   FROM app.legal_bases b WHERE b.resident_id = r.id),
                CASE WHEN NOT EXISTS (SELECT 1 FROM app.stays s WHERE s.resident_id = r.id)
                     THEN (SELECT (r.created_at AT TIME ZONE h.timezone)::date FROM app.houses h WHERE h.id = r.house_id)
                END) AS last) l
     WHERE r.anonymised_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM app.stays s WHERE s.resident_id = r.id AND s.checked_out_at IS NULL)
       AND NOT EXISTS (SELECT 1 FROM app.data_requests q WHERE q.resident_id = r.id AND q.outcome IS NULL)
$$;

-- The line the command prints for a resident (§18.7 "Output").
CREATE OR REPLACE FUNCTION api.retention_line(id uuid, house_code text, reason text, last date) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('anonymise %s house=%s reason=%s last=%s', id, house_code, reason, api.d(last))
$$;

-- Everyone due, in creation order, with the line a run prints (a dry run prints these).
CREATE OR REPLACE FUNCTION api.retention_candidates(years int) RETURNS TABLE (id uuid, line text)
LANGUAGE sql STABLE AS $$
    SELECT r.id, api.retention_line(r.id, h.code, d.reason, d.last)
      FROM app.residents r JOIN app.houses h ON h.id = r.house_id, LATERAL api.retention_due(r, years) d
     WHERE r.anonymised_at IS NULL AND d.reason IS NOT NULL
     ORDER BY r.seq
$$;

-- Idempotency records older than 24 h (they may hold old answers); once per run.
CREATE OR REPLACE FUNCTION api.retention_sweep() RETURNS bigint LANGUAGE sql AS $$
    WITH d AS (DELETE FROM app.idempotency_keys WHERE created_at < now() - interval '24 hours' RETURNING 1)
    SELECT count(*) FROM d
$$;

-- Redacts the audit records about resident r not yet redacted (§18.7, §18.12), naming the
-- resident.anonymise record rec; how many.
-- (PL/pgSQL: an SQL function with a data-modifying statement is parsed and planned at each call.)
CREATE OR REPLACE FUNCTION api.redact(r uuid, rec uuid) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    n int;
BEGIN
    UPDATE app.audit_log a SET before = NULL, after = NULL, payload_salt = NULL, redacted_at = now(), redacted_by = rec
     WHERE a.resident_id = r AND a.redacted_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- Anonymise resident `id` if it is still due under its row lock (a check-in, a request or a
-- PATCH that committed first makes it ineligible: no row). Returns the line and the number
-- of audit records redacted. The resident's row is locked FOR UPDATE first, which every guard
-- below waits on (FOR KEY SHARE), so a change that comes after gets 409. Its objects are
-- cleared before the resident row is marked (so the guards let this transaction through
-- without an escape); the append-only and immutability triggers of consents, business stage
-- history and closed roll-call lines let it through by app.anonymising (migration 0035). None
-- of these UPDATEs appends an audit record: resident.anonymise covers them.
CREATE OR REPLACE FUNCTION api.anonymise(id uuid, years int) RETURNS TABLE (line text, redacted int)
LANGUAGE plpgsql AS $$
DECLARE
    r app.residents;
    due record;
    code text;
    n int;
    rec uuid;
    has text[];      -- the tables below that hold something of R
BEGIN
    SELECT * INTO r FROM app.residents x WHERE x.id = anonymise.id FOR UPDATE;
    IF NOT FOUND THEN RETURN; END IF;
    SELECT * INTO due FROM api.retention_due(r, years);
    IF due.reason IS NULL THEN RETURN; END IF;
    PERFORM set_config('abipraya.anonymise', r.id::text, true);

    -- The kinds of objects R has, one index probe each: an UPDATE that finds no row still opens
    -- every index of its table and fires its statement triggers (0.1 ms for attendance's), and
    -- most residents have nothing in most of these tables.
    has := ARRAY(SELECT v.t FROM (VALUES
        ('legal_bases', EXISTS (SELECT 1 FROM app.legal_bases x WHERE x.resident_id = r.id)),
        ('businesses', EXISTS (SELECT 1 FROM app.businesses x WHERE x.resident_id = r.id)),
        ('referrals', EXISTS (SELECT 1 FROM app.referrals x WHERE x.resident_id = r.id)),
        ('holds', EXISTS (SELECT 1 FROM app.holds x WHERE x.resident_id = r.id)),
        ('roll_call_lines', EXISTS (SELECT 1 FROM app.roll_call_lines x WHERE x.resident_id = r.id)),
        ('stays', EXISTS (SELECT 1 FROM app.stays x WHERE x.resident_id = r.id)),
        ('movements', EXISTS (SELECT 1 FROM app.movements x WHERE x.resident_id = r.id)),
        ('violations', EXISTS (SELECT 1 FROM app.violations x WHERE x.resident_id = r.id)),
        ('consents', EXISTS (SELECT 1 FROM app.consents x WHERE x.resident_id = r.id)),
        ('data_requests', EXISTS (SELECT 1 FROM app.data_requests x WHERE x.resident_id = r.id)),
        ('follow_ups', EXISTS (SELECT 1 FROM app.follow_ups x WHERE x.resident_id = r.id)),
        ('reporting_records', EXISTS (SELECT 1 FROM app.reporting_records x WHERE x.resident_id = r.id)),
        ('reporting_excuses', EXISTS (SELECT 1 FROM app.reporting_excuses x WHERE x.resident_id = r.id)),
        ('alert_acknowledgements', EXISTS (SELECT 1 FROM app.alert_acknowledgements x WHERE x.resident_id = r.id)),
        ('enrolments', EXISTS (SELECT 1 FROM app.enrolments x WHERE x.resident_id = r.id))) v(t, e)
      WHERE v.e);

    -- §15-17's personal data and the free text of §18.7, nullable -> null, required -> [anonim]
    IF 'legal_bases' = ANY (has) THEN
        UPDATE app.legal_bases b SET guarantor = NULL, litmas_number = NULL, revocation_decree_number = NULL,
               decree_number = CASE WHEN b.decree_number IS NOT NULL THEN '[anonim]' END,
               notes = NULL, correction_reason = NULL, revocation_reason = NULL
         WHERE b.resident_id = r.id;
    END IF;
    IF 'businesses' = ANY (has) THEN
        UPDATE app.businesses b SET nib = NULL, sku_number = NULL, sku_issued_on = NULL, name = '[anonim]',
               description = NULL
         WHERE b.resident_id = r.id;
        UPDATE app.business_stages g SET note = NULL
          FROM app.businesses b WHERE b.resident_id = r.id AND g.business_id = b.id AND g.note IS NOT NULL;
        UPDATE app.business_months m SET note = NULL
          FROM app.businesses b WHERE b.resident_id = r.id AND m.business_id = b.id AND m.note IS NOT NULL;
    END IF;
    IF 'referrals' = ANY (has) THEN      -- §17.12: referrals take the anonymised name and register number
        UPDATE app.referrals f SET full_name = 'Anonim ' || left(r.id::text, 8), register_number = 'ANON-' || r.id,
               national_id = NULL, birth_date = NULL, litmas_number = NULL, notes = NULL
         WHERE f.resident_id = r.id;
    END IF;
    IF 'holds' = ANY (has) THEN
        UPDATE app.holds h SET reason = NULL WHERE h.resident_id = r.id AND h.reason IS NOT NULL;
    END IF;
    IF 'roll_call_lines' = ANY (has) THEN
        UPDATE app.roll_call_lines l SET note = NULL WHERE l.resident_id = r.id AND l.note IS NOT NULL;
    END IF;
    IF 'stays' = ANY (has) THEN
        UPDATE app.stays s SET notes = NULL WHERE s.resident_id = r.id AND s.notes IS NOT NULL;
        UPDATE app.exit_plans p SET summary = NULL
          FROM app.stays s WHERE s.resident_id = r.id AND p.stay_id = s.id AND p.summary IS NOT NULL;
        UPDATE app.goals g SET title = '[anonim]', note = NULL
          FROM app.stays s WHERE s.resident_id = r.id AND g.stay_id = s.id;
    END IF;
    IF 'movements' = ANY (has) THEN
        UPDATE app.movements m SET destination = NULL WHERE m.resident_id = r.id AND m.destination IS NOT NULL;
    END IF;
    IF 'violations' = ANY (has) THEN
        UPDATE app.violations v SET description = '[anonim]', action_taken = NULL WHERE v.resident_id = r.id;
    END IF;
    IF 'consents' = ANY (has) THEN
        UPDATE app.consents c SET purpose_detail = CASE WHEN c.purpose = 'other' THEN '[anonim]' END, recipient = NULL,
               proof_document_ref = '[anonim]', proof_witness_name = '[anonim]',
               withdrawal_reason = CASE WHEN c.withdrawal_reason IS NOT NULL THEN '[anonim]' END
         WHERE c.resident_id = r.id;
    END IF;
    IF 'data_requests' = ANY (has) THEN
        UPDATE app.data_requests q SET details = NULL,
               response = CASE WHEN q.response IS NOT NULL THEN '[anonim]' END,
               refusal_reason = CASE WHEN q.refusal_reason IS NOT NULL THEN '[anonim]' END
         WHERE q.resident_id = r.id;
    END IF;
    IF 'follow_ups' = ANY (has) THEN
        UPDATE app.follow_ups f SET note = NULL WHERE f.resident_id = r.id AND f.note IS NOT NULL;
    END IF;
    IF 'reporting_records' = ANY (has) THEN
        UPDATE app.reporting_records x SET location = NULL, notes = NULL,
               remote_reason = CASE WHEN x.remote_reason IS NOT NULL THEN '[anonim]' END,
               void_reason = CASE WHEN x.void_reason IS NOT NULL THEN '[anonim]' END
         WHERE x.resident_id = r.id;
    END IF;
    IF 'reporting_excuses' = ANY (has) THEN
        UPDATE app.reporting_excuses e SET reason = '[anonim]' WHERE e.resident_id = r.id;
    END IF;
    IF 'alert_acknowledgements' = ANY (has) THEN
        UPDATE app.alert_acknowledgements a SET note = NULL WHERE a.resident_id = r.id AND a.note IS NOT NULL;
    END IF;
    IF 'enrolments' = ANY (has) THEN
        UPDATE app.enrolments e SET note = NULL, override_reason = NULL
         WHERE e.resident_id = r.id AND (e.note IS NOT NULL OR e.override_reason IS NOT NULL);
        UPDATE app.attendance t SET note = NULL
          FROM app.enrolments e WHERE e.resident_id = r.id AND t.enrolment_id = e.id AND t.note IS NOT NULL;
    END IF;
    -- the resident last: from here on every guard answers 409
    UPDATE app.residents x SET full_name = 'Anonim ' || left(r.id::text, 8), register_number = 'ANON-' || r.id,
           national_id = NULL, birth_date = NULL, phone = NULL, notes = NULL, emergency_contact = NULL,
           anonymised_at = now()
     WHERE x.id = r.id;

    -- The audit. The redaction comes first, naming the resident.anonymise record by the id it
    -- is about to get, and mostly outside the chain head's lock, which every write of the
    -- system waits on until this transaction commits. Records about R can hardly be appended
    -- meanwhile (every write to R or its guarded objects waits on R's row, held here); the
    -- second pass, under the head's lock, redacts any that were, so that, as before, every
    -- record about R before resident.anonymise is redacted and counted by it.
    rec := gen_random_uuid();
    n := api.redact(r.id, rec);
    PERFORM 1 FROM app.audit_head WHERE one FOR UPDATE;
    n := n + api.redact(r.id, rec);
    PERFORM api.audit(ROW(NULL, 'admin', NULL, 'cli')::api.ctx, 'resident.anonymise', 'resident', r.id, r.house_id,
                      NULL, jsonb_build_object('reason', due.reason, 'redacted_records', n), rec);

    SELECT h.code INTO code FROM app.houses h WHERE h.id = r.house_id;
    RETURN QUERY SELECT api.retention_line(r.id, code, due.reason, due.last), n;
END $$;

-- 409 resident_anonymised (§18.13) unless none of the residents is anonymised. FOR KEY SHARE
-- waits on an anonymisation in progress (it holds the row FOR UPDATE) and then reads what it
-- committed; it does not conflict with the writes of the daemon (FOR NO KEY UPDATE), and a
-- transaction that holds the row already pays nothing. One primary-key lookup a resident.
DROP FUNCTION IF EXISTS api.refuse_anonymised(uuid);   -- (one resident: the rows' guards pass many)
CREATE OR REPLACE FUNCTION api.refuse_anonymised(resident_ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM (SELECT x.anonymised_at FROM app.residents x
                                WHERE x.id = ANY (resident_ids) FOR KEY SHARE) y
                WHERE y.anonymised_at IS NOT NULL) THEN
        PERFORM api.fail(409, 'resident_anonymised', NULL, 'the resident is anonymised');
    END IF;
END $$;

-- The guards, BEFORE INSERT OR UPDATE (and DELETE where the table has resident_id): of a table
-- with resident_id (nullable in holds and referrals), of a stay's objects (exit plans, goals), of a business's (months, stage history).
CREATE OR REPLACE FUNCTION api.guard_resident_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN                    -- an excuse withdrawn (the only delete of these)
        IF OLD.resident_id IS NOT NULL THEN PERFORM api.refuse_anonymised(ARRAY[OLD.resident_id]); END IF;
        RETURN OLD;
    END IF;
    IF NEW.resident_id IS NULL THEN
        RETURN NEW;
    END IF;
    -- R's own anonymisation clears R's objects holding R's row, not marked yet: nothing to
    -- refuse, and the refusal's check cost it ~60 us a row (migrations 0035, 0041).
    IF app.anonymising(NEW.resident_id) THEN
        RETURN NEW;
    END IF;
    PERFORM api.refuse_anonymised(ARRAY[NEW.resident_id]);
    RETURN NEW;
END $$;

-- The same guard once per INSERT statement, for the table written many rows at a time (a
-- roll-call's lines: one per resident in residence, 1 720 in the benchmark's house, where the
-- row trigger cost 55 ms of the open). Residents in residence need neither the check nor its
-- lock (which cost 23 ms of the open, ~13 us a row): an anonymised resident is never checked
-- in (the stays' guard), and one in residence is never anonymised before the stay ends
-- (api.anonymise re-checks for an active stay under the resident's row lock). Were that
-- check-out to commit while this statement runs, its rows are of what the house held before
-- it, as if written before it; and the anonymisation that may follow finds the stay over.
CREATE OR REPLACE FUNCTION api.guard_resident_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM api.refuse_anonymised(ARRAY(
        SELECT DISTINCT n.resident_id FROM new_rows n
         WHERE NOT EXISTS (SELECT 1 FROM app.stays s WHERE s.resident_id = n.resident_id AND s.checked_out_at IS NULL)));
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION api.guard_stay_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM api.refuse_anonymised(ARRAY(SELECT s.resident_id FROM app.stays s WHERE s.id = NEW.stay_id));
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION api.guard_business_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM api.refuse_anonymised(ARRAY(SELECT b.resident_id FROM app.businesses b WHERE b.id = NEW.business_id));
    RETURN NEW;
END $$;

-- The resident itself: the row being updated is locked already.
CREATE OR REPLACE FUNCTION api.guard_resident() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.anonymised_at IS NOT NULL THEN
        PERFORM api.fail(409, 'resident_anonymised', NULL, 'the resident is anonymised');
    END IF;
    RETURN NEW;
END $$;

DO $$
DECLARE
    t text;
    bulk CONSTANT text[] := ARRAY['roll_call_lines'];   -- a roll-call's open writes every line at once
BEGIN
    FOREACH t IN ARRAY ARRAY['stays', 'movements', 'violations', 'legal_bases', 'reporting_records',
                             'reporting_excuses', 'reporting_schedules', 'enrolments', 'businesses', 'consents',
                             'data_requests', 'follow_ups', 'holds', 'referrals', 'roll_call_lines',
                             'alert_acknowledgements'] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS %1$s_anonymised ON app.%1$s', t);
        EXECUTE format('DROP TRIGGER IF EXISTS %1$s_anonymised_insert ON app.%1$s', t);
        -- a table written in bulk has its INSERTs guarded once per statement
        EXECUTE format('CREATE TRIGGER %1$s_anonymised BEFORE %2$s ON app.%1$s '
                       'FOR EACH ROW EXECUTE FUNCTION api.guard_resident_row()', t,
                       CASE WHEN t = ANY (bulk) THEN 'UPDATE OR DELETE' ELSE 'INSERT OR UPDATE OR DELETE' END);
        IF t = ANY (bulk) THEN
            EXECUTE format('CREATE TRIGGER %1$s_anonymised_insert AFTER INSERT ON app.%1$s REFERENCING NEW TABLE '
                           'AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION api.guard_resident_rows()', t);
        END IF;
    END LOOP;
    FOREACH t IN ARRAY ARRAY['exit_plans', 'goals'] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS %1$s_anonymised ON app.%1$s', t);
        EXECUTE format('CREATE TRIGGER %1$s_anonymised BEFORE INSERT OR UPDATE ON app.%1$s '
                       'FOR EACH ROW EXECUTE FUNCTION api.guard_stay_row()', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['business_months', 'business_stages'] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS %1$s_anonymised ON app.%1$s', t);
        EXECUTE format('CREATE TRIGGER %1$s_anonymised BEFORE INSERT OR UPDATE ON app.%1$s '
                       'FOR EACH ROW EXECUTE FUNCTION api.guard_business_row()', t);
    END LOOP;
END $$;
-- named to fire after residents_anonymised_once (triggers fire in name order), whose own refusal
-- of a changed anonymised_at comes first
DROP TRIGGER IF EXISTS residents_refuse_anonymised ON app.residents;
CREATE TRIGGER residents_refuse_anonymised BEFORE UPDATE ON app.residents FOR EACH ROW
    EXECUTE FUNCTION api.guard_resident();
