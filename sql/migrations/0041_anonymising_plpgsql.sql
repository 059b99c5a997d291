-- abipraya: app.anonymising (migration 0035) in PL/pgSQL, same meaning. As an SQL function it
-- is not inlined where the triggers call it (a trigger's WHEN clause is never planned, and its
-- subquery keeps the planner from inlining it elsewhere), so PostgreSQL parsed and planned
-- its body again in every statement that called it: ~0.3 ms of each consent's UPDATE in
-- retention (docs/benchmarks.md). A PL/pgSQL function keeps its plan for the session, and
-- the setting is compared first, so every write but the anonymisation's own stops there.
CREATE OR REPLACE FUNCTION app.anonymising(resident_id uuid) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF resident_id IS NULL OR current_setting('abipraya.anonymise', true) IS DISTINCT FROM resident_id::text THEN
        RETURN false;
    END IF;
    RETURN pg_has_role(current_user, (SELECT n.nspowner FROM pg_namespace n WHERE n.nspname = 'app'), 'MEMBER');
END $$;

CREATE OR REPLACE FUNCTION app.anonymising_business(business_id uuid) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN app.anonymising((SELECT b.resident_id FROM app.businesses b WHERE b.id = business_id));
END $$;

-- The same for the CHECK constraints' app.distinct_count (consents' scope, handover notes'
-- flags, partners' houses; migrations 0009, 0024), planned again in every INSERT or UPDATE
-- of those tables: ~0.1 ms of each consent's UPDATE.
CREATE OR REPLACE FUNCTION app.distinct_count(vals text[]) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN (SELECT count(DISTINCT v)::int FROM unnest(vals) v);
END $$;

CREATE OR REPLACE FUNCTION app.distinct_count(ids uuid[]) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN (SELECT count(DISTINCT x)::int FROM unnest(ids) x);
END $$;
