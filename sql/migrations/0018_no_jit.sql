-- abipraya: no JIT compilation in this database. Every statement here is one request's, and
-- the few whose estimates cross jit_above_cost (the alerts of a large house, the programme
-- report) spent 100-200 ms compiling to save less than that: GET /alerts of the benchmark's
-- 2 000 residents took 930 ms with JIT and 700 ms without (docs/benchmarks.md). A database
-- setting applies to every new session of every role, the daemons' and pgbench's alike.
-- ALTER DATABASE needs the owner (or a superuser); a migrating role that is neither leaves
-- the server's setting and says so.
DO $$
BEGIN
    IF (SELECT pg_has_role(d.datdba, 'MEMBER') FROM pg_database d WHERE d.datname = current_database())
       OR (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user) THEN
        EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
    ELSE
        RAISE WARNING 'abipraya: % does not own database %: JIT stays as the server sets it (ALTER DATABASE % SET jit = off)',
            current_user, current_database(), current_database();
    END IF;
END $$;
