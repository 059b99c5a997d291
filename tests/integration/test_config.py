"""Configuration: errors name file, line and key; environment overrides; `serve`
refuses to start while migrations are pending; `migrate` and `serve` refuse a database
whose recorded migrations are not the binary's (another text, no checksum, unknown)."""

import difflib
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect  # noqa: E402

GOOD = """\
# line 1: a comment
[server]
listen = 127.0.0.1:{port}
workers = 2
max_body = 1048576
tls_cert =
tls_key =

[database]
url = {db}
pool = 4

[security]
token_ttl = 43200
login_max_failures = 5
login_window = 900

[log]
level = info
"""


def run_with(text, *args, timeout=20, env=None):
    """Writes TEXT to a config file and runs the daemon on it; a daemon that does not
    exit within TIMEOUT is killed and counts as having started (returncode None)."""
    with tempfile.TemporaryDirectory(prefix="abipraya-cfg-") as tmp:
        path = os.path.join(tmp, "bad.conf")
        with open(path, "w") as f:
            f.write(text)
        try:
            out = harness.cli(*args, config=path, timeout=timeout, env=env)
            return path, out.returncode, out.stdout + out.stderr
        except subprocess.TimeoutExpired as e:
            output = (e.stdout or b"") + (e.stderr or b"")
            return path, None, output.decode(errors="replace") if isinstance(output, bytes) else output


def good(port=None, db="postgresql://postgres@127.0.0.1:1/none"):
    return GOOD.format(port=port or harness.free_port(), db=db)


def insert_after(text, anchor, line):
    """TEXT with LINE inserted after the line ANCHOR; returns (text, 1-based line number)."""
    lines = text.splitlines()
    at = lines.index(anchor) + 1
    lines.insert(at, line)
    return "\n".join(lines) + "\n", at + 1


def expect_startup_error(text, lineno, names):
    path, rc, output = run_with(text)
    expect(rc is not None, f"the daemon kept running on a bad config:\n{text}")
    expect(rc != 0, f"exit status 0 on a bad config; output: {output[-500:]}")
    base = os.path.basename(path)
    expect(base in output, f"the message does not name the file {path}: {output[-500:]}")
    line_named = re.search(rf"({re.escape(base)}:{lineno}\b)|(\bline\W{{0,4}}{lineno}\b)", output, re.I)
    expect(line_named, f"the message does not name line {lineno} (as FILE:{lineno} or 'line {lineno}'): {output[-500:]}")
    for name in names:
        expect(name in output, f"the message does not name {name!r}: {output[-500:]}")


def test_unknown_key():
    text, lineno = insert_after(good(), "workers = 2", "bogus_key = 1")
    expect_startup_error(text, lineno, ["bogus_key"])


def test_bad_value():
    text = good().replace("workers = 2", "workers = banana")
    lineno = text.splitlines().index("workers = banana") + 1
    expect_startup_error(text, lineno, ["workers"])


def test_bad_number_range():
    text = good().replace("max_body = 1048576", "max_body = -5")
    lineno = text.splitlines().index("max_body = -5") + 1
    expect_startup_error(text, lineno, ["max_body"])


def test_unknown_section():
    text = good() + "\n[nonsense]\nkey = 1\n"
    lineno = text.splitlines().index("[nonsense]") + 1
    path, rc, output = run_with(text)
    expect(rc not in (None, 0), f"unknown section accepted (exit {rc}): {output[-500:]}")
    expect("nonsense" in output and os.path.basename(path) in output,
           f"the message names neither the section nor the file: {output[-500:]}")
    expect(re.search(rf"(:{lineno}\b)|(\bline\W{{0,4}}{lineno}\b)", output, re.I) or
           re.search(rf"(:{lineno + 1}\b)|(\bline\W{{0,4}}{lineno + 1}\b)", output, re.I),
           f"the message names no line ({lineno} or {lineno + 1}): {output[-500:]}")


def test_bad_env_override_refused():
    _, rc, output = run_with(good(), env={"ABIPRAYA_SERVER_WORKERS": "lots"})
    expect(rc not in (None, 0), f"a bad ABIPRAYA_SERVER_WORKERS was accepted (exit {rc})")
    expect("ABIPRAYA_SERVER_WORKERS" in output or "workers" in output,
           f"the message does not name the variable: {output[-500:]}")


def test_env_override_listen():
    env_port = harness.free_port()
    with harness.Instance(admin=False, start=False) as d:
        file_port = d.port
        d.start(wait=False, env={"ABIPRAYA_SERVER_LISTEN": f"127.0.0.1:{env_port}"})
        d.wait_healthy(base=f"http://127.0.0.1:{env_port}")
        try:
            d.request("GET", "/healthz", timeout=2)
            raise AssertionError(f"the daemon also listens on the file's port {file_port}")
        except OSError:
            pass
        expect(d.stop() == 0, "exit status on SIGTERM is not 0")


def test_env_override_database_url():
    nowhere = "postgresql://postgres@127.0.0.1:1/nowhere"
    with harness.Instance(migrate=False, admin=False, start=False, db_url=nowhere) as d:
        out = d.cli("migrate", env={"ABIPRAYA_DATABASE_URL": d.db})
        expect(out.returncode == 0, f"migrate with ABIPRAYA_DATABASE_URL failed: {out.stderr[-500:]}")
        d.start(wait=False, env={"ABIPRAYA_DATABASE_URL": d.db})
        d.wait_healthy()
        expect(d.request("GET", "/readyz").status == 200, "ABIPRAYA_DATABASE_URL was not used")
        d.stop()


def test_serve_refuses_pending_migrations():
    with harness.Instance(migrate=False, admin=False, start=False) as d:
        out = None
        try:
            out = d.cli(timeout=20)
        except subprocess.TimeoutExpired:
            raise AssertionError("serve started on a database without migrations")
        expect(out.returncode != 0, "serve exited 0 on a database without migrations")
        text = out.stdout + out.stderr
        expect(re.search(r"migrat", text, re.I), f"the message does not mention migrations: {text[-500:]}")
        # and after migrate it serves
        d.must_cli("migrate")
        d.start()
        expect(d.stop() == 0, "exit status on SIGTERM is not 0")


def expect_serve_refuses(d, names, why):
    """`serve` on D's database exits non-zero at once (no waiting as for a database that
    is not up yet), naming NAMES."""
    started = time.monotonic()
    try:
        out = d.cli(timeout=20)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"serve started on a database {why}")
    text = out.stdout + out.stderr
    expect(time.monotonic() - started < 5, f"serve took {time.monotonic() - started:.1f} s to refuse")
    expect(out.returncode != 0, f"serve exited 0 on a database {why}: {text[-500:]}")
    for name in names:
        expect(name in text, f"serve's message does not name {name}: {text[-800:]}")


def expect_mismatch_refused(tamper, names, why):
    """After TAMPER (SQL) on a migrated database, `migrate` and `serve` refuse, naming
    NAMES, and the refused migrate changed nothing."""
    with harness.Instance(admin=False, start=False) as d:
        d.psql(tamper)
        rows = "SELECT version, checksum, applied_at FROM schema_migrations ORDER BY version"
        before = d.psql(rows)
        out = d.cli("migrate")
        text = out.stdout + out.stderr
        expect(out.returncode != 0, f"migrate exited 0 on a database {why}: {text[-500:]}")
        for name in names:
            expect(name in text, f"migrate's message does not name {name}: {text[-800:]}")
        expect("recreate the database" in text, f"migrate's message gives no advice: {text[-800:]}")
        expect(d.psql(rows) == before, f"the refused migrate changed schema_migrations:\n{before}\n{d.psql(rows)}")
        expect_serve_refuses(d, names, why)


def test_migrated_database_serves_and_migrate_is_idempotent():
    with harness.Instance(admin=False, start=False) as d:
        sums = d.psql("SELECT version, checksum FROM schema_migrations ORDER BY version")
        expect(sums.strip() and all(line.split("|")[1] for line in sums.splitlines()),
               f"a migration was recorded without a checksum:\n{sums}")
        out = d.must_cli("migrate")
        expect("0 migration" in out.stdout, f"a second migrate applied something: {out.stdout}")
        expect(d.psql("SELECT version, checksum FROM schema_migrations ORDER BY version") == sums,
               "a second migrate changed schema_migrations")
        d.start()
        expect(d.stop() == 0, "exit status on SIGTERM is not 0")


def test_changed_migration_refused():
    expect_mismatch_refused("UPDATE schema_migrations SET checksum = 'x' WHERE version = '0002_api_types.sql'",
                            ["0002_api_types.sql"], "migrated with another text of 0002_api_types.sql")


def test_migration_without_checksum_refused():
    expect_mismatch_refused("UPDATE schema_migrations SET checksum = NULL WHERE version = '0002_api_types.sql'",
                            ["0002_api_types.sql"], "where 0002_api_types.sql has no checksum")


def test_changed_retired_migration_refused():
    """A retired version (0002_api.sql of the binaries before sql/ was split) is known by
    its recorded checksum too."""
    expect_mismatch_refused("INSERT INTO schema_migrations (version, checksum) VALUES ('0002_api.sql', 'x')",
                            ["0002_api.sql"], "migrated with another text of the retired 0002_api.sql")


def test_unknown_migration_refused():
    expect_mismatch_refused("INSERT INTO schema_migrations (version) VALUES ('0099_unknown.sql')",
                            ["0099_unknown.sql"], "listing an unknown migration")


def test_table_without_checksum_column_refused():
    """A database migrated by a binary from before checksums: its table has no such
    column, and the refused migrate does not add it."""
    with harness.Instance(admin=False, start=False) as d:
        d.psql("ALTER TABLE schema_migrations DROP COLUMN checksum")
        out = d.cli("migrate")
        text = out.stdout + out.stderr
        expect(out.returncode != 0 and "0001_schema.sql" in text,
               f"migrate accepted a table without checksums (exit {out.returncode}): {text[-500:]}")
        column = "SELECT count(*) FROM pg_attribute WHERE attrelid = 'schema_migrations'::regclass AND attname = 'checksum'"
        expect(d.psql(column).strip() == "0", "the refused migrate added the checksum column")
        expect_serve_refuses(d, ["0001_schema.sql"], "migrated before checksums")


def test_checksum_column_added_to_an_empty_old_table():
    """A table made by an older binary whose first migration failed: migrate adds the
    column and applies everything."""
    with harness.Instance(migrate=False, admin=False, start=False) as d:
        d.psql("CREATE TABLE schema_migrations (version text PRIMARY KEY,"
               " applied_at timestamptz NOT NULL DEFAULT now())")
        d.must_cli("migrate")
        nulls = d.psql("SELECT count(*) FROM schema_migrations WHERE checksum IS NULL").strip()
        expect(nulls == "0", f"{nulls} migration(s) recorded without a checksum")
        d.start()
        expect(d.stop() == 0, "exit status on SIGTERM is not 0")


def test_changed_repeatable_reapplied():
    """A repeatable file (sql/api/) whose recorded checksum is not its text's: serve
    refuses as for a pending migration, migrate applies that file again (and only it) and
    records its checksum, and then it serves."""
    with harness.Instance(admin=False, start=False) as d:
        sums = "SELECT name, checksum FROM schema_repeatables ORDER BY name"
        before = d.psql(sums)
        expect("02_run.sql|" in before, f"02_run.sql is not recorded:\n{before}")
        d.psql("UPDATE schema_repeatables SET checksum = 'x' WHERE name = '02_run.sql';"
               "CREATE OR REPLACE FUNCTION api.ping() RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT false $$")
        expect_serve_refuses(d, ["1 migration(s) pending"], "with a stale repeatable file")
        out = d.must_cli("migrate")
        expect("1 migration(s) applied" in out.stdout, f"migrate did not apply the one stale file: {out.stdout}")
        expect(d.psql(sums) == before, f"the re-applied file's checksum was not recorded:\n{d.psql(sums)}")
        expect(d.psql("SELECT api.ping()").strip() == "t", "the stale file's functions were not re-applied")
        d.start()
        expect(d.stop() == 0, "exit status on SIGTERM is not 0")


def old_database(d, texts):
    """Makes D's database what an abiprayad from before sql/ was split left: each of TEXTS
    ((name, sql)) applied in its own transaction and recorded with its md5."""
    d.psql("CREATE TABLE schema_migrations (version text PRIMARY KEY,"
           " applied_at timestamptz NOT NULL DEFAULT now(), checksum text)")
    for name, sql in texts:
        with tempfile.NamedTemporaryFile("w", suffix=".sql", encoding="utf-8") as f:
            f.write(sql)
            f.flush()
            out = subprocess.run([harness.psql_path(), d.db, "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f", f.name],
                                 capture_output=True, text=True)
        expect(out.returncode == 0, f"{name} failed: {out.stderr[-500:]}")
        d.psql(f"INSERT INTO schema_migrations (version, checksum) VALUES ('{name}', md5(convert_from("
               f"decode('{sql.encode().hex()}', 'hex'), 'UTF8')))")


# The last commit whose sql/ held 0001_schema.sql, 0002_api.sql and 0003_api_ops.sql.
BEFORE_SPLIT = "7cf3dd43da26de77b79930957547395bcbee698f"


def schema_dump(url):
    """pg_dump --schema-only, without its per-run \\restrict key."""
    pg_dump = os.path.join(os.path.dirname(harness.psql_path()), "pg_dump")
    out = subprocess.run([pg_dump, "--schema-only", "-d", url], capture_output=True, text=True, check=True)
    return "\n".join(line for line in out.stdout.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))


def test_database_of_the_unsplit_migrations_migrates_forward():
    """A database migrated before sql/ was split (0001, 0002_api.sql, 0003_api_ops.sql
    recorded) is migrated forward: the retired versions are accepted, 0002_api_types.sql is
    recorded as in effect, every repeatable applied; it serves, and its schema is the one
    of a database migrated from nothing."""
    texts = []
    for name in ("0001_schema.sql", "0002_api.sql", "0003_api_ops.sql"):
        out = subprocess.run(["git", "-C", harness.ROOT, "show", f"{BEFORE_SPLIT}:sql/{name}"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise harness.Skip(f"no git history with {BEFORE_SPLIT}: {out.stderr.strip()}")
        texts.append((name, out.stdout))
    with harness.Instance(migrate=False, admin=False, start=False) as d, harness.Instance(admin=False, start=False) as fresh:
        old_database(d, texts)
        rows = "SELECT version FROM schema_migrations ORDER BY version"
        expect_serve_refuses(d, ["migration(s) pending"], "migrated before the split, not since")
        out = d.must_cli("migrate")
        # the retired 0002/0003 stay recorded beside every versioned migration of today
        today = sorted(os.listdir(os.path.join(harness.ROOT, "sql", "migrations")))
        expect(d.psql(rows).split() == sorted(today + ["0002_api.sql", "0003_api_ops.sql"]),
               f"schema_migrations after the upgrade:\n{d.psql(rows)}")
        expect("0 migration" in d.must_cli("migrate").stdout, "a second migrate applied something")
        old, new = schema_dump(d.db), schema_dump(fresh.db)
        expect(old == new, "the upgraded schema differs from a fresh one:\n" + "\n".join(
            difflib.unified_diff(new.splitlines(), old.splitlines(), "fresh", "upgraded", lineterm="", n=1)))
        d.must_cli("user-add", harness.ADMIN_USER, "--role", "admin", stdin=d.admin_password + "\n")
        d.start()
        token = d.login()
        r = d.request("POST", "/api/v1/houses", json_body={"code": "UP-1", "name": "Upgraded", "timezone": "Asia/Jakarta"},
                      token=token)
        expect(r.status == 201, f"creating a house on the upgraded database: {r}")
        expect(d.stop() == 0, "exit status on SIGTERM is not 0")


def test_failed_migration_leaves_the_database_as_it_was():
    """Everything pending runs in one transaction: a repeatable file failing after the
    versioned migration 0002_api_types.sql ran leaves neither that migration's types nor
    any record behind."""
    with open(os.path.join(harness.ROOT, "sql", "migrations", "0001_schema.sql"), encoding="utf-8") as f:
        schema = f.read()
    with harness.Instance(migrate=False, admin=False, start=False) as d:
        old_database(d, [("0001_schema.sql", schema)])
        # api.ping with another return type: 02_run.sql's CREATE OR REPLACE of it fails
        d.psql("CREATE SCHEMA api; CREATE FUNCTION api.ping() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$")
        out = d.cli("migrate")
        text = out.stdout + out.stderr
        expect(out.returncode != 0 and "02_run.sql" in text, f"migrate did not fail in 02_run.sql: {text[-800:]}")
        expect(d.psql("SELECT version FROM schema_migrations").split() == ["0001_schema.sql"],
               f"the failed migrate recorded something: {d.psql('TABLE schema_migrations')}")
        expect(d.psql("SELECT to_regtype('api.ctx') IS NULL, to_regclass('schema_repeatables') IS NULL").strip() == "t|t",
               "the failed migrate left 0002_api_types.sql's types or schema_repeatables behind")


if __name__ == "__main__":
    harness.main(globals())
