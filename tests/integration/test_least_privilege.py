"""Least privilege (contract §18.12 "Roles"): with `database.owner_url` set, `migrate` owns
everything as the owner role and grants the runtime role (`database.url`'s) exactly CONNECT,
USAGE on the schemas, SELECT/INSERT/UPDATE on the operational tables, DELETE only on the
tables of expiring state, SELECT/INSERT on the audit and disclosure tables, USAGE on the
sequences, EXECUTE on the functions; a second run converges on the same, whatever was
granted by hand in between. `serve` and `user-add` work as the runtime role (a login, a
write, the audit chain verifies); the database refuses the runtime role's UPDATE, DELETE and
TRUNCATE of the audit trail; `serve` refuses to start (non-zero, naming the reason) with a
runtime role that is a superuser, holds UPDATE on app.audit_log, is a member of the owner
role, has CREATEDB, owns a table, or may CREATE in a schema or the database. Single-role
mode (no owner_url) serves and logs one `warn` line that least privilege is off."""

import json
import os
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect  # noqa: E402

PRIVILEGES = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"]
# The contract's list, written here on its own (not read from sql/api/90_privileges.sql)
EXPIRING = {"idempotency_keys", "sessions", "login_failures", "events",
            # derived state a trigger of the runtime's writes deletes, a set replaced as a
            # whole, and a route that deletes (see 90_privileges.sql)
            "bed_occupants", "attendance", "reporting_excuses"}
APPEND_ONLY = {"audit_log", "disclosures"}
READ_ONLY = {"api.constraint_problems", "public.schema_migrations", "public.schema_repeatables"}


def runtime_role(d):
    return urllib.parse.urlsplit(d.app_db).username


def owner_role(d):
    return urllib.parse.urlsplit(d.owner_db).username


def table_privileges(d):
    """{schema.table: "PRIV,PRIV"} of the runtime role over every table of app, api, public."""
    role = runtime_role(d)
    rows = d.psql(f"""SELECT n.nspname || '.' || c.relname,
                             coalesce(string_agg(p, ',' ORDER BY p) FILTER (WHERE has_table_privilege('{role}', c.oid, p)
                                      OR (p IN ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES')
                                          AND has_any_column_privilege('{role}', c.oid, p))), '')
                        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
                             unnest(ARRAY{PRIVILEGES!r}) p
                       WHERE n.nspname IN ('app', 'api', 'public') AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                       GROUP BY 1 ORDER BY 1""")
    return dict(line.split("|") for line in rows.splitlines() if line)


def other_privileges(d):
    """The runtime role's attributes and its privileges on the database, schemas, sequences
    and functions, as one text."""
    role = runtime_role(d)
    return d.psql(f"""
        SELECT 'role', rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication FROM pg_roles WHERE rolname = '{role}'
        UNION ALL SELECT 'database', has_database_privilege('{role}', current_database(), 'CONNECT'),
               has_database_privilege('{role}', current_database(), 'CREATE'),
               has_database_privilege('{role}', current_database(), 'TEMPORARY'), NULL, NULL
        UNION ALL SELECT 'schema ' || nspname, has_schema_privilege('{role}', oid, 'USAGE'),
               has_schema_privilege('{role}', oid, 'CREATE'), NULL, NULL, NULL
          FROM pg_namespace WHERE nspname IN ('app', 'api', 'public')
        UNION ALL SELECT 'sequences', bool_and(has_sequence_privilege('{role}', c.oid, 'USAGE')),
               bool_or(has_sequence_privilege('{role}', c.oid, 'SELECT')),
               bool_or(has_sequence_privilege('{role}', c.oid, 'UPDATE')), NULL, NULL
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'app' AND c.relkind = 'S'
        UNION ALL SELECT 'functions', bool_and(has_function_privilege('{role}', p.oid, 'EXECUTE')), NULL, NULL, NULL, NULL
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname IN ('app', 'api') AND p.proname <> 'grant_runtime'
        UNION ALL SELECT 'grant_runtime', has_function_privilege('{role}', 'app.grant_runtime(name)', 'EXECUTE'),
               NULL, NULL, NULL, NULL
        ORDER BY 1""")


def expected(name):
    if name in READ_ONLY:
        return "SELECT"
    table = name.split(".", 1)[1]
    if table in APPEND_ONLY:
        return "INSERT,SELECT"
    if table in EXPIRING:
        return "DELETE,INSERT,SELECT,UPDATE"
    return "INSERT,SELECT,UPDATE"


def check_exact(d):
    got = table_privileges(d)
    expect(len(got) > 40, f"too few tables seen: {sorted(got)}")
    wrong = {n: (p, expected(n)) for n, p in got.items() if p != expected(n)}
    expect(not wrong, f"runtime privileges (got, expected) differ from the contract's list: {wrong}")
    other = other_privileges(d)
    want = ("database|t|f|f||\nfunctions|t||||\ngrant_runtime|f||||\nrole|f|f|f|f|f\n"
            "schema api|t|f|||\nschema app|t|f|||\nschema public|t|f|||\nsequences|t|f|f||\n")
    expect(other == want, f"the runtime role's other privileges:\n{other}\nexpected:\n{want}")
    return got, other


def serve_refused(d, reason, env=None):
    """serve with D's configuration (on another port) exits non-zero at once, naming REASON."""
    env = dict(env or {}, ABIPRAYA_SERVER_LISTEN=f"127.0.0.1:{harness.free_port()}")
    try:
        out = d.cli("serve", env=env, timeout=30)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"serve started despite: {reason}")
    expect(out.returncode != 0, f"serve exited 0 despite: {reason}")
    msgs = " ".join(json.loads(line)["msg"] for line in out.stderr.splitlines() if line.startswith("{"))
    expect(reason in msgs and "least privilege" in msgs, f"serve's refusal does not name {reason!r}: {msgs[-800:]!r}")


def test_two_roles_serve():
    with harness.Instance(roles=True) as d:
        expect(runtime_role(d) != owner_role(d), "one role")
        owners = d.psql("""SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c
                             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('app', 'api')""").split()
        expect(owners == [owner_role(d)], f"the objects are owned by {owners}, not by the owner role only")
        token = d.login()
        house = d.house(token)
        room = d.room(token, house["id"])
        d.bed(token, room["id"])
        resident = d.resident(token, house["id"])
        d.must("PATCH", f"residents/{resident['id']}", {"notes": "ok"}, token=token)
        verify = d.must("GET", "audit/verify", token=token)
        expect(verify["ok"] and verify["records"] >= 5, f"audit/verify: {verify}")
        # what the runtime role's writes and reads keep by trigger (0037-0039) needs no more
        # than its grants: the kept reporting state, the runs of absences, the presences
        d.psql(f"SET ROLE {runtime_role(d)}; "
               f"SELECT count(*) FROM api.reporting_state(ARRAY['{resident['id']}'::uuid]); "
               f"SELECT app.absence_runs_follow(ARRAY(SELECT id FROM app.enrolments)); "
               "SELECT app.roll_call_presence_add(ARRAY[]::uuid[], ARRAY[]::timestamptz[])")
        d.must("POST", "auth/logout", status=204, token=token)   # a DELETE of expiring state
        warn = [line for line in d.stderr().splitlines() if "least privilege" in line]
        expect(not warn, f"two-role mode logged: {warn}")


def test_privileges_exact_and_converge():
    with harness.Instance(roles=True, start=False) as d:
        first = check_exact(d)
        role = runtime_role(d)
        # granted by hand, and one taken: the next migrate puts it right
        d.psql(f"GRANT TRUNCATE, TRIGGER, REFERENCES ON app.houses TO {role};"
               f"GRANT UPDATE (action) ON app.audit_log TO {role}; GRANT DELETE ON app.disclosures TO {role};"
               f"REVOKE INSERT ON app.stays FROM {role}; GRANT CREATE ON SCHEMA api TO {role}")
        expect(table_privileges(d) != first[0], "the hand grants changed nothing")
        out = d.must_cli("migrate")
        expect("0 migration(s) applied" in out.stdout, f"second migrate: {out.stdout!r}")
        expect(check_exact(d) == first, "a second migrate did not converge on the same privileges")


def test_audit_trail_refused_to_the_runtime_role():
    with harness.Instance(roles=True, start=False) as d:
        for sql in ["UPDATE app.audit_log SET action = 'x'", "DELETE FROM app.audit_log",
                    "TRUNCATE app.audit_log", "UPDATE app.disclosures SET purpose = 'x'",
                    "DELETE FROM app.disclosures", "TRUNCATE app.disclosures"]:
            try:
                harness.psql(d.app_db, sql)
            except RuntimeError as e:
                expect("permission denied" in str(e), f"{sql}: refused, but not for want of privilege: {e}")
                continue
            raise AssertionError(f"the runtime role may run {sql}")
        harness.psql(d.app_db, "SELECT count(*) FROM app.audit_log")


def test_serve_refuses_wrong_setups():
    with harness.Instance(roles=True, start=False) as d:
        role, owner = runtime_role(d), owner_role(d)
        serve_refused(d, "is a superuser", env={"ABIPRAYA_DATABASE_URL": d.db})
        for break_it, reason, mend in [
            (f"GRANT UPDATE ON app.audit_log TO {role}", "holds UPDATE on app.audit_log",
             f"REVOKE UPDATE ON app.audit_log FROM {role}"),
            (f"GRANT TRUNCATE ON app.disclosures TO {role}", "holds TRUNCATE on app.disclosures",
             f"REVOKE TRUNCATE ON app.disclosures FROM {role}"),
            (f"GRANT {owner} TO {role}", f'is a member of the owner role "{owner}"', f"REVOKE {owner} FROM {role}"),
            (f"ALTER ROLE {role} CREATEDB", "has CREATEDB", f"ALTER ROLE {role} NOCREATEDB"),
            (f"ALTER ROLE {role} CREATEROLE", "has CREATEROLE", f"ALTER ROLE {role} NOCREATEROLE"),
            (f"ALTER ROLE {role} BYPASSRLS", "has BYPASSRLS", f"ALTER ROLE {role} NOBYPASSRLS"),
            (f"CREATE TABLE app.mine (x int); ALTER TABLE app.mine OWNER TO {role}", "owns 1 object(s)",
             "DROP TABLE app.mine"),
            (f"GRANT CREATE ON SCHEMA app TO {role}", "may CREATE in schema app",
             f"REVOKE CREATE ON SCHEMA app FROM {role}"),
            (f"GRANT CREATE ON SCHEMA public TO {role}", "may CREATE in schema public",
             f"REVOKE CREATE ON SCHEMA public FROM {role}"),
            (f"GRANT CREATE ON DATABASE {d.db.rpartition('/')[2]} TO {role}", "may CREATE in the database",
             f"REVOKE CREATE ON DATABASE {d.db.rpartition('/')[2]} FROM {role}"),
        ]:
            d.psql(break_it)
            serve_refused(d, reason)
            d.psql(mend)
        # url and owner_url of one role: migrate refuses too
        out = d.cli("migrate", env={"ABIPRAYA_DATABASE_URL": d.owner_db})
        expect(out.returncode != 0 and "same role" in out.stderr, f"migrate with one role: {out.stderr[-500:]!r}")
        d.start()   # mended, it serves
        expect(d.request("GET", "/readyz").status == 200, "not ready after the mends")


def test_single_role_warns():
    with harness.Instance(roles=False) as d:
        lines = [json.loads(line) for line in d.stderr().splitlines() if line.startswith("{")]
        warn = [x for x in lines if "least privilege is off" in x.get("msg", "")]
        expect(len(warn) == 1 and warn[0]["level"] == "warn", f"single-role mode logged {warn}")


def test_owner_url_needs_a_key():
    with harness.Instance(roles=True, migrate=False, admin=False, start=False,
                          config={"audit": {"key_file": ""}}) as d:
        for cmd in ("migrate", "serve"):
            r = d.cli(cmd, timeout=30)
            expect(r.returncode != 0 and "audit.key_file is required when database.owner_url is set" in r.stderr,
                   f"{cmd} without a key in two-role mode: {r.returncode} {r.stderr[-300:]}")
        expect(d.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'app'").strip() == "0", "nothing migrated")


if __name__ == "__main__":
    harness.main(globals())
