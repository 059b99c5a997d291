-- abipraya: least privilege (contract §18.12 "Roles"): what the runtime role — the one
-- database.url logs in as — may do, granted by `migrate` (connected as database.owner_url's
-- role, which owns every object) at the end of every run. Everything the runtime role holds
-- is revoked first, so a rerun converges on exactly this, whatever was granted by hand.
-- Generic: a new table of app needs no edit here unless it is expiring state (DELETE) or
-- append-only; api's tables are reference data that migrations write (SELECT).
-- Repeatable: re-applied whenever its text changes (docs/ops.md "Migrations").

CREATE OR REPLACE FUNCTION app.grant_runtime(runtime name) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    -- The tables of app the runtime role deletes from, each for a reason of its own:
    deletable CONSTANT text[] := ARRAY[
        'idempotency_keys',   -- expiring state: answers kept 24 h (api.cleanup; api.run drops an expired key)
        'sessions',           -- expiring state: login tokens (api.cleanup, logout, a user or partner deactivated)
        'login_failures',     -- expiring state: the login window (api.cleanup, a successful login)
        'events',             -- expiring state: the event backlog of a day (api.cleanup)
        'bed_occupants',      -- derived state: follows app.bed_periods by trigger (app.occupants_follow,
                              --   which runs as the role whose check-in or move fires it)
        'attendance',         -- a session's attendance is recorded as a whole, replacing the last (§16)
        'reporting_excuses']; -- DELETE /reporting-excuses/{id} (§15)
    -- Append-only (18.12): the runtime role appends and reads, never changes or deletes.
    append_only CONSTANT text[] := ARRAY['audit_log', 'disclosures'];
    -- The bookkeeping of migrate in public, read by serve's check of pending migrations.
    bookkeeping CONSTANT text[] := ARRAY['schema_migrations', 'schema_repeatables'];
    schemas CONSTANT text[] := ARRAY['app', 'api'];
    r record;
    db name := current_database();
BEGIN
    IF runtime = current_user THEN
        RAISE EXCEPTION 'database.url and database.owner_url log in as the same role "%"', runtime;
    END IF;
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM %I', db, runtime);
    -- TEMPORARY is PUBLIC's by default; only the database's owner can take it back
    IF pg_has_role((SELECT datdba FROM pg_database WHERE datname = db), 'USAGE') THEN
        EXECUTE format('REVOKE CREATE, TEMPORARY ON DATABASE %I FROM PUBLIC', db);
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', db, runtime);
    FOR r IN SELECT n.nspname FROM pg_namespace n
              WHERE n.nspname = ANY (schemas || 'public'::text) AND pg_has_role(n.nspowner, 'USAGE') LOOP
        EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %I', r.nspname, runtime);
        EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', r.nspname);
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', r.nspname, runtime);
    END LOOP;
    FOR r IN SELECT c.oid::regclass AS rel, n.nspname, c.relname, c.relkind
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
                AND (n.nspname = ANY (schemas) OR (n.nspname = 'public' AND c.relname = ANY (bookkeeping)))
              ORDER BY 1 LOOP
        EXECUTE format('REVOKE ALL ON %s FROM %I', r.rel, runtime);
        EXECUTE format('GRANT %s ON %s TO %I', CASE
            WHEN r.relkind = 'S' THEN 'USAGE'
            WHEN r.nspname <> 'app' THEN 'SELECT'
            WHEN r.relname = ANY (append_only) THEN 'SELECT, INSERT'
            WHEN r.relname = ANY (deletable) THEN 'SELECT, INSERT, UPDATE, DELETE'
            ELSE 'SELECT, INSERT, UPDATE' END, r.rel, runtime);
    END LOOP;
    -- what serve and user-add call, and what those call in turn (SECURITY INVOKER, all of them)
    FOR r IN SELECT p.oid::regprocedure AS fn, p.oid = 'app.grant_runtime(name)'::regprocedure AS own
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = ANY (schemas) LOOP
        EXECUTE format('REVOKE ALL ON ROUTINE %s FROM %I', r.fn, runtime);
        IF r.own THEN
            EXECUTE format('REVOKE ALL ON ROUTINE %s FROM PUBLIC', r.fn);
        ELSE
            EXECUTE format('GRANT EXECUTE ON ROUTINE %s TO %I', r.fn, runtime);
        END IF;
    END LOOP;
END $$;
