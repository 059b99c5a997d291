"""Integration test harness for abiprayad (Python 3 standard library only).

A test script is run as `python3 tests/integration/test_x.py <path-to-abiprayad>` and
exits 0 (passed), 1 (failed) or 77 (skipped: ABIPRAYA_TEST_PGURL is not set). It defines
`test_*` functions and ends with `harness.main(globals())`.

ABIPRAYA_TEST_PGURL names a PostgreSQL superuser connection to an existing database
(e.g. postgresql://postgres@127.0.0.1:5432/postgres); every `Instance` creates its own
database `t_<random>` from it and drops it again. `psql` must be on PATH or in
/usr/lib/postgresql/*/bin.

TLS mode: when ABIPRAYA_TEST_TLS names a directory holding cert.pem and key.pem (a
certificate valid for 127.0.0.1), every `Instance` is configured with server.tls_cert and
server.tls_key, its `base` is https://, and every socket.create_connection() to the port of
a live Instance of this process is wrapped in TLS (verified against cert.pem). request(),
http.client connections and the tests' raw sockets and event streams thus speak TLS
without a change to the tests. tests/tls/run.sh runs a subset of the tests this way.
"""

import glob
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

SKIP = 77
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ADMIN_USER = "admin"
BIN = None  # set by main() from argv[1]


class Skip(Exception):
    """Raise to skip the current test script (exit 77)."""


def pgurl():
    url = os.environ.get("ABIPRAYA_TEST_PGURL", "")
    if not url:
        raise Skip("ABIPRAYA_TEST_PGURL is not set")
    return url


def psql_path():
    found = shutil.which("psql")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"),
                        key=lambda p: int(re.search(r"/(\d+)/bin", p).group(1)))
    if not candidates:
        raise Skip("no psql")
    return candidates[-1]


def psql(url, sql, audit_key=None):
    """Runs SQL through psql against URL; returns stdout; raises on error. audit_key (bytes): the
    session's abipraya.audit_key, as the daemon sets it (contract §18.12)."""
    env = dict(os.environ, PGOPTIONS=f"-c abipraya.audit_key={audit_key.hex()}") if audit_key else None
    out = subprocess.run([psql_path(), url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         capture_output=True, text=True, timeout=60, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"psql failed: {out.stderr.strip()}")
    return out.stdout


class PsqlSession:
    """One long-lived psql session (to hold a transaction open across HTTP requests):

        with PsqlSession(d.db) as s:
            s.run("BEGIN; SELECT 1 FROM app.stays WHERE id = '...' FOR UPDATE")
            ...                     # requests that must wait for the lock
            s.run("ROLLBACK")

    run() returns the statement's output (-t -A) once psql has executed it."""

    MARK = "__it_psql_done__"

    def __init__(self, url):
        self.proc = subprocess.Popen([psql_path(), url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, bufsize=1)

    def run(self, sql):
        self.proc.stdin.write(sql.rstrip().rstrip(";") + ";\n\\echo " + self.MARK + "\n")
        self.proc.stdin.flush()
        lines = []
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"psql session ended: {''.join(lines)[-1000:]}")
            if line.rstrip("\n") == self.MARK:
                return "".join(lines)
            lines.append(line)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(10)
            except Exception:  # noqa: BLE001
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def with_database(url, name):
    """URL with its database (path) replaced by NAME."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def with_hostport(url, host, port):
    """URL with host and port replaced (user and password kept)."""
    parts = urllib.parse.urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (userinfo + "@" if userinfo else "") + f"{host}:{port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def hostport(url):
    parts = urllib.parse.urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 5432


def create_database():
    """Creates t_<random> and returns its URL."""
    base = pgurl()
    name = "t_" + secrets.token_hex(6)
    psql(base, f"CREATE DATABASE {name}")
    return with_database(base, name)


def with_user(url, user, password):
    """URL logging in as USER with PASSWORD (host, port and database kept)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}"))


def create_roles(db):
    """Two-role mode (contract 18.12) on database DB (a URL): an owner role that owns DB and
    a runtime login role, both named after DB (roles are cluster-wide; DB's name is unique).
    Returns (owner URL, runtime URL); drop_roles(DB) drops them."""
    name = urllib.parse.urlsplit(db).path.lstrip("/")
    urls = []
    for role in (name + "_owner", name + "_app"):
        password = secrets.token_hex(12)
        psql(db, f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        urls.append(with_user(db, role, password))
    psql(db, f"ALTER DATABASE {name} OWNER TO {name}_owner")
    return tuple(urls)


def _drop(url, sql, what):
    """SQL (about the database of URL, "{name}") run from the postgres database."""
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    try:
        psql(with_database(pgurl(), "postgres"), sql.format(name=name))
    except Exception as e:  # leftovers in a throwaway cluster are harmless
        print(f"harness: could not drop {what.format(name=name)}: {e}", file=sys.stderr)


def drop_roles(db):
    """Drops the roles of create_roles(DB), after DB itself was dropped."""
    _drop(db, "DROP ROLE IF EXISTS {name}_app; DROP ROLE IF EXISTS {name}_owner", "the roles of {name}")


def drop_database(url):
    _drop(url, "DROP DATABASE IF EXISTS {name} WITH (FORCE)", "{name}")


# -------------------------------------------------------------------- TLS mode
_plain_create_connection = socket.create_connection
_tls_ports = set()  # ports of the live Instances that listen with TLS
_tls_context = None  # the client context of TLS mode, made on first use
_tls_reported = False  # the first TLS connection prints its protocol and cipher


def tls_files():
    """(cert.pem, key.pem) of the directory ABIPRAYA_TEST_TLS names, or None (plain mode)."""
    d = os.environ.get("ABIPRAYA_TEST_TLS", "")
    if not d:
        return None
    files = (os.path.abspath(os.path.join(d, "cert.pem")), os.path.abspath(os.path.join(d, "key.pem")))
    for f in files:
        if not os.access(f, os.R_OK):
            raise AssertionError(f"ABIPRAYA_TEST_TLS={d}: cannot read {f}")
    return files


def _tls_create_connection(address, *args, **kw):
    """socket.create_connection in TLS mode: TLS to the ports in _tls_ports, else plain."""
    global _tls_reported
    sock = _plain_create_connection(address, *args, **kw)
    if address[1] not in _tls_ports:
        return sock
    try:
        tls = _tls_context.wrap_socket(sock, server_hostname=address[0])
    except BaseException:
        sock.close()
        raise
    if not _tls_reported:
        _tls_reported = True
        print(f"harness: TLS mode: {tls.version()} {tls.cipher()[0]}", flush=True)
    return tls


def _tls_listen(port, cert):
    """Makes connections to PORT speak TLS, trusting CERT (installed on first use)."""
    global _tls_context
    if _tls_context is None:
        _tls_context = ssl.create_default_context(cafile=cert)
        socket.create_connection = _tls_create_connection
    _tls_ports.add(port)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


DEFAULT_CONFIG = {
    "server": {"listen": None, "workers": "2", "max_body": "1048576", "tls_cert": "", "tls_key": ""},
    "database": {"url": None, "pool": "4"},
    "security": {"token_ttl": "43200", "login_max_failures": "5", "login_window": "900"},
    "log": {"level": "info"},
}


def config_text(sections):
    """INI text of {section: {key: value}}."""
    lines = ["# written by tests/integration/harness.py"]
    for section, keys in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {value}" for key, value in keys.items()]
        lines.append("")
    return "\n".join(lines)


def cli(*args, config=None, stdin=None, env=None, timeout=60):
    """Runs the daemon binary with ARGS (after --config CONFIG) from the project root."""
    argv = [BIN] + (["--config", config] if config else []) + list(args)
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env=dict(os.environ, **(env or {})))


class Response:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers  # lower-case names
        self.raw = raw
        self.text = raw.decode("utf-8", "replace")
        try:
            self.json = json.loads(self.text) if raw else None
        except ValueError:
            self.json = None

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def __repr__(self):
        return f"<{self.status} {self.header('content-type')} {self.text[:300]!r}>"


def read_raw_response(sock, timeout=30):
    """One HTTP/1.1 response read from a raw socket (body by Content-Length, else to the
    close): a Response with `names` (every field name, repeats included) and `rest` (bytes
    after the body: a second response on the connection)."""
    sock.settimeout(timeout)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed before a whole head: {buf[:200]!r}")
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = [(n.strip().lower(), v.strip()) for n, _, v in (line.partition(":") for line in lines[1:])]
    headers = dict(fields)
    if headers.get("transfer-encoding", "").lower() == "chunked":
        raise AssertionError("a chunked response: not expected from a raw-socket test")
    length = int(headers["content-length"]) if "content-length" in headers else None
    while length is None or len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            if length is not None:
                raise AssertionError(f"connection closed after {len(body)} of {length} body bytes")
            break
        body += chunk
    r = Response(int(lines[0].split()[1]), headers, body if length is None else body[:length])
    r.names = [n for n, _ in fields]
    r.rest = b"" if length is None else body[length:]
    return r


class Instance:
    """One daemon on its own database and port:

        with Instance(config={"server": {"max_body": "4096"}}) as d:
            r = d.request("GET", "/healthz")

    Setup: create database, write config, `migrate` (unless migrate=False), `user-add admin
    --role admin` (unless admin=False), start the daemon (unless start=False) and wait for
    /healthz. `db_url` overrides the database URL written into the config (a proxy, say).

    audit_key=BYTES: the audit chain is keyed (contract §18.12): the key is written to a file
    of mode 0600 that [audit] key_file names (default: unkeyed, the development mode).

    share=OTHER: a second daemon on OTHER's database (no new database, no migrate, no
    user-add; the admin password and audit key are OTHER's; close() leaves the database to OTHER):

        with Instance() as a, Instance(share=a) as b:   # two instances, one database

    roles=True: two-role mode (contract 18.12) instead of the default single-role mode: the
    database is owned by a new owner role (database.owner_url, `owner_db`) and the daemon
    logs in as a new runtime role (database.url, `app_db`); close() drops both. `db` stays
    the superuser's URL. ABIPRAYA_TEST_ROLES=1 makes two-role mode the default of every
    Instance (to run any test script that way).
    """

    def __init__(self, config=None, migrate=True, admin=True, start=True, db_url=None, env=None, share=None,
                 audit_key=None, roles=None):
        tls = tls_files()
        self.dir = tempfile.mkdtemp(prefix="abipraya-it-")
        self.owns_db = share is None
        self.db = create_database() if share is None else share.db
        if share is not None:
            migrate = admin = False
        if roles is None:  # ABIPRAYA_TEST_ROLES=1 runs a test script's instances in two-role mode
            roles = os.environ.get("ABIPRAYA_TEST_ROLES", "") == "1"
        self.roles = share.roles if share is not None else roles
        self.owner_db = self.app_db = None
        if share is not None:
            self.owner_db, self.app_db = share.owner_db, share.app_db
        elif roles:
            try:
                self.owner_db, self.app_db = create_roles(self.db)
            except BaseException:
                drop_database(self.db)
                drop_roles(self.db)
                raise
        self.port = free_port()
        self.base = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.admin_password = "it-admin-" + secrets.token_hex(8) if share is None else share.admin_password
        self.env = env or {}
        self.proc = None
        self.stderr_path = os.path.join(self.dir, "daemon.err")
        self.stdout_path = os.path.join(self.dir, "daemon.out")
        sections = {s: dict(k) for s, k in DEFAULT_CONFIG.items()}
        sections["server"]["listen"] = f"127.0.0.1:{self.port}"
        sections["database"]["url"] = db_url or self.app_db or self.db
        if self.owner_db:
            sections["database"]["owner_url"] = self.owner_db
        if tls:
            sections["server"]["tls_cert"], sections["server"]["tls_key"] = tls
            _tls_listen(self.port, tls[0])
        # two-role mode is keyed (contract 18.12: key_file is required with owner_url)
        self.audit_key = share.audit_key if share is not None else (
            audit_key or (secrets.token_bytes(24).hex().encode() if roles else None))
        if self.audit_key:
            key_file = os.path.join(self.dir, "audit.key")
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(self.audit_key + b"\n")
            sections["audit"] = {"key_file": key_file}
        for section, keys in (config or {}).items():
            sections.setdefault(section, {}).update(keys)
        self.config = os.path.join(self.dir, "abipraya.conf")
        with open(self.config, "w") as f:
            f.write(config_text(sections))
        try:
            if migrate:
                self.must_cli("migrate")
            if admin:
                self.must_cli("user-add", ADMIN_USER, "--role", "admin", stdin=self.admin_password + "\n")
            if start:
                self.start()
        except BaseException:
            self.close()
            raise

    # ---------------------------------------------------------------- process
    def cli(self, *args, stdin=None, env=None, timeout=60):
        return cli(*args, config=self.config, stdin=stdin, env=dict(self.env, **(env or {})), timeout=timeout)

    def must_cli(self, *args, stdin=None):
        out = self.cli(*args, stdin=stdin)
        if out.returncode != 0:
            raise AssertionError(f"abiprayad {' '.join(args)} exited {out.returncode}: {out.stderr[-1000:]}")
        return out

    def start(self, wait=True, env=None):
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            self.proc = subprocess.Popen([BIN, "--config", self.config], cwd=ROOT,
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                         env=dict(os.environ, **self.env, **(env or {})))
        if wait:
            self.wait_healthy()
        return self.proc

    def wait_healthy(self, timeout=30, base=None):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"abiprayad exited with {self.proc.returncode} during startup:\n{self.stderr()[-2000:]}")
            try:
                if self.request("GET", "/healthz", timeout=2, base=base).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"no /healthz answer within {timeout} s:\n{self.stderr()[-2000:]}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def restart(self):
        """SIGTERM (must exit 0), then start again on the same port and wait for /healthz."""
        rc = self.stop()
        expect(rc == 0, f"exit status {rc} after SIGTERM\n{self.stderr()[-1500:]}")
        self.start()

    def cpu_seconds(self):
        """User + system CPU time the daemon process has used so far (Linux /proc)."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def psql(self, sql, keyed=False):
        """SQL against this daemon's database as the superuser; returns psql's -t -A output.
        keyed: with the instance's audit key set in the session, as the daemon's."""
        return psql(self.db, sql, self.audit_key if keyed else None)

    def stop(self, timeout=30):
        """SIGTERM, wait; returns the exit code (or raises when it does not exit)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"abiprayad did not exit within {timeout} s of SIGTERM")
        return self.proc.returncode

    def stderr(self):
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def close(self):
        """Stops the daemon with SIGTERM (it must exit 0: under ASan a leak or a sanitizer
        report makes it exit non-zero) and removes what the instance made; returns the exit
        status (None if it was not running)."""
        rc = None
        if self.proc is not None and self.proc.poll() is None:
            try:
                rc = self.stop()
            except AssertionError:
                rc = "no exit within 30 s of SIGTERM"
        self.last_stderr = self.stderr()
        _tls_ports.discard(self.port)  # the port may be another's next
        if self.owns_db:
            drop_database(self.db)
            if self.roles:
                drop_roles(self.db)
        shutil.rmtree(self.dir, ignore_errors=True)
        return rc

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None and self.proc is not None:
            print(f"----- daemon stderr (last 3000 chars) -----\n{self.stderr()[-3000:]}\n-----", file=sys.stderr)
        rc = self.close()
        if exc[0] is None and rc not in (None, 0):
            raise AssertionError(f"abiprayad exited with {rc} on SIGTERM:\n{self.last_stderr[-3000:]}")

    # ---------------------------------------------------------------- HTTP
    def request(self, method, path, body=None, *, json_body=None, headers=None, token=None,
                content_type=None, timeout=10, base=None):
        """One HTTP request on a new connection. json_body is serialised with
        Content-Type application/json; body (bytes or str) is sent as is with
        content_type (if given). Returns a Response."""
        url = urllib.parse.urlsplit(base or self.base)
        hdrs = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body)
            content_type = content_type or "application/json"
        if isinstance(body, str):
            body = body.encode()
        if content_type:
            hdrs["Content-Type"] = content_type
        if token:
            hdrs["Authorization"] = "Bearer " + token
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            raw = r.read()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, raw)
        finally:
            conn.close()

    def must(self, method, path, json_body=None, status=200, **kw):
        """request() that must answer STATUS; returns the JSON body. Paths without a
        leading / are under /api/v1/."""
        if not path.startswith("/"):
            path = "/api/v1/" + path
        r = self.request(method, path, json_body=json_body, **kw)
        expect(r.status == status, f"{method} {path}: expected {status}, got {r}")
        return r.json

    # fixtures: fresh objects with unique codes (TOKEN: an admin's or manager's)
    def house(self, token, **fields):
        return self.must("POST", "houses", {"code": "H-" + uid(), "name": "Griya " + uid(), **fields}, 201, token=token)

    def room(self, token, house_id, sex="any", **fields):
        return self.must("POST", f"houses/{house_id}/rooms", {"code": "R-" + uid(), "sex": sex, **fields}, 201,
                         token=token)

    def bed(self, token, room_id, **fields):
        return self.must("POST", f"rooms/{room_id}/beds", {"label": "B-" + uid(), **fields}, 201, token=token)

    def resident(self, token, house_id, sex="male", **fields):
        body = {"house_id": house_id, "full_name": "Klien " + uid(), "register_number": "REG-" + uid(),
                "sex": sex, "legal_status": "parole", **fields}
        return self.must("POST", "residents", body, 201, token=token)

    def user(self, token, role, house_ids, **fields):
        """A new user of ROLE in HOUSE_IDS, made by TOKEN (an admin's): (the user, its token)."""
        password = "pw-" + uid() + uid()
        u = self.must("POST", "users", {"username": role + "-" + uid(), "password": password, "role": role,
                                        "full_name": "User " + role, "house_ids": house_ids, **fields}, 201,
                      token=token)
        return u, self.login(u["username"], password)

    def login(self, username=ADMIN_USER, password=None):
        r = self.request("POST", "/api/v1/auth/login",
                         json_body={"username": username, "password": password or self.admin_password})
        if r.status != 200 or not r.json or "token" not in r.json:
            raise AssertionError(f"login as {username} failed: {r}")
        return r.json["token"]


_worlds = {}


class HouseTeam:
    """A world of two houses and the people of the first (a base for world_of classes): the
    admin's token, a caseworker (user and token), staff, a manager, and the other house's
    manager."""

    def __init__(self, d):
        self.d = d
        self.token = d.login()
        self.house = d.house(self.token)["id"]
        self.other_house = d.house(self.token)["id"]
        self.cw, self.cw_token = d.user(self.token, "caseworker", [self.house])
        self.staff_user, self.staff = d.user(self.token, "staff", [self.house])
        self.manager_user, self.manager = d.user(self.token, "manager", [self.house])
        _, self.other_manager = d.user(self.token, "manager", [self.other_house])


def world_of(d, cls):
    """The CLS world (a house, users, tokens: set up by requests) of daemon D, made once: the
    tests of a file share one daemon, and each builds on that world instead of its own."""
    w = _worlds.get(cls)
    if w is None or w.d is not d:
        w = _worlds[cls] = cls(d)
    return w


def uid():
    """A short random identifier for unique codes and names."""
    return secrets.token_hex(5)


def race(calls, threads=None):
    """Runs the callables CALLS at once (THREADS at a time, default all; each starts when
    all threads are ready) and returns their results in order. An exception a call raises
    is returned in its place."""
    n = min(len(calls), threads or len(calls))
    results = [None] * len(calls)
    barrier = threading.Barrier(n)
    lock = threading.Lock()
    todo = iter(range(len(calls)))

    def worker():
        try:
            barrier.wait(30)
        except threading.BrokenBarrierError:
            pass
        while True:
            with lock:
                i = next(todo, None)
            if i is None:
                return
            try:
                results[i] = calls[i]()
            except Exception as e:  # noqa: BLE001 - the caller judges
                results[i] = e

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(n)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(300)
    return results


# -------------------------------------------------------------------- checks
def expect(cond, message):
    if not cond:
        raise AssertionError(message)


def expect_problem(r, status, code=None, field=None):
    """R is an RFC 9457 problem with STATUS (and CODE; and FIELD among its `errors`)."""
    expect(r.status == status, f"expected {status}, got {r}")
    ctype = r.header("content-type", "")
    expect(ctype.startswith("application/problem+json"), f"expected application/problem+json, got {ctype!r}: {r}")
    expect(isinstance(r.json, dict), f"problem body is not a JSON object: {r}")
    expect(r.json.get("status") == status, f"problem status field {r.json.get('status')!r} != {status}")
    if code is not None:
        expect(r.json.get("code") == code, f"expected code {code!r}, got {r.json.get('code')!r}")
    if field is not None:
        fields = [e.get("field") for e in r.json.get("errors", [])]
        expect(field in fields, f"expected an error naming {field!r}, got {fields}")


def psql_refused(d, sql):
    """SQL that the database must refuse through psql (a constraint, a trigger): its error."""
    try:
        d.psql(sql)
    except RuntimeError as e:
        return str(e)
    raise AssertionError(f"psql accepted {sql}")


def wait_for(predicate, timeout, interval=0.1):
    """Calls PREDICATE until it returns a truthy value (returned) or TIMEOUT passes (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


# -------------------------------------------------------------------- runner
def main(namespace, fixture=None):
    """Runs the test_* functions of NAMESPACE in definition order; exits 0, 1 or 77.
    With FIXTURE (e.g. Instance), one FIXTURE() is made for all and passed to each test,
    and closed at the end. Arguments after the binary select tests by name substring; one
    starting with "-" leaves out the tests whose name holds the rest."""
    global BIN
    if len(sys.argv) < 2:
        print(f"usage: {sys.argv[0]} PATH-TO-ABIPRAYAD [[-]TEST-NAME-SUBSTRING...]", file=sys.stderr)
        sys.exit(2)
    BIN = os.path.abspath(sys.argv[1])
    only = [a for a in sys.argv[2:] if not a.startswith("-")]
    leave_out = [a[1:] for a in sys.argv[2:] if a.startswith("-")]
    if not os.access(BIN, os.X_OK):
        print(f"{BIN} is not an executable", file=sys.stderr)
        sys.exit(1)
    tests = [(n, f) for n, f in namespace.items() if n.startswith("test_") and callable(f)]
    tests = [(n, f) for n, f in tests if (not only or any(s in n for s in only))
             and not any(s in n for s in leave_out)]
    script = os.path.basename(namespace.get("__file__", sys.argv[0]))
    try:
        pgurl()
    except Skip as e:
        print(f"{script}: SKIP: {e}")
        sys.exit(SKIP)
    failed = 0
    shared = None
    if fixture is not None and tests:
        try:
            shared = fixture()
        except Exception:
            print(f"FAIL setup of {script}")
            traceback.print_exc(file=sys.stdout)
            sys.exit(1)
    try:
        for name, func in tests:
            failed += run_one(name, func, shared)
    finally:
        if shared is not None:
            if failed:
                print(f"----- daemon stderr (last 3000 chars) -----\n{shared.stderr()[-3000:]}\n-----")
            rc = shared.close()
            # the shared daemon must exit 0 too: under ASan a leak or a report at exit is a failure
            if rc not in (0, None):
                print(f"FAIL the shared daemon of {script} exited {rc} at SIGTERM")
                print(f"----- daemon stderr (last 3000 chars) -----\n{getattr(shared, 'last_stderr', '')[-3000:]}\n-----")
                failed += 1
    print(f"{script}: {len(tests) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


def run_one(name, func, shared):
    """Runs one test; returns 1 when it failed."""
    started = time.monotonic()
    try:
        if shared is None:
            func()
        else:
            func(shared)
    except Skip as e:
        print(f"SKIP {name}: {e}")
        return 0
    except Exception:
        print(f"FAIL {name} ({time.monotonic() - started:.1f} s)")
        traceback.print_exc(file=sys.stdout)
        return 1
    print(f"ok   {name} ({time.monotonic() - started:.1f} s)")
    return 0


# -------------------------------------------------------------------- a private cluster
def pg_bindir():
    """The directory of initdb/pg_ctl (PostgreSQL 15 when present, else the newest)."""
    if os.access("/usr/lib/postgresql/15/bin/initdb", os.X_OK):
        return "/usr/lib/postgresql/15/bin"
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(re.search(r"/(\d+)/bin", p).group(1)))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    if not initdb:
        raise Skip("no initdb")
    return os.path.dirname(initdb)


def rss_kb(pid):
    """Resident set size of PID in KiB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class PgCluster:
    """A throwaway PostgreSQL cluster of one test, which it may stop, kill and freeze:

        with PgCluster() as pg:
            os.environ["ABIPRAYA_TEST_PGURL"] = pg.url     # Instances now land here
            pg.stop("immediate"); pg.start()
            pg.signal_all(signal.SIGSTOP); ...; pg.signal_all(signal.SIGCONT)

    initdb under /tmp (as the postgres user when we are root, as scripts/lib.sh does),
    trust auth, fsync off but synchronous_commit on (an acknowledged commit survives a
    killed server: the operating system keeps the WAL)."""

    def __init__(self, settings=None):
        self.bindir = pg_bindir()
        self.dir = tempfile.mkdtemp(prefix="abipraya-pg-")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "postgres.log")
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.settings = {"listen_addresses": "127.0.0.1", "port": str(self.port), "unix_socket_directories": self.dir,
                         "fsync": "off", "full_page_writes": "off", "synchronous_commit": "on",
                         "max_connections": "200"}
        self.settings.update(settings or {})
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        os.chmod(self.dir, 0o700)
        try:
            out = self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                            "--locale=C.UTF-8", timeout=120)
            if out.returncode != 0:
                out = self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                                "--no-locale", timeout=120)
            if out.returncode != 0:
                raise AssertionError(f"initdb failed: {out.stdout[-1000:]}{out.stderr[-1000:]}")
            self.start()
        except BaseException:
            self.close()
            raise

    def _run(self, prog, *args, timeout=60):
        argv = [os.path.join(self.bindir, prog), *args]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd="/")

    def start(self, timeout=60):
        opts = " ".join(f"-c {k}={v}" for k, v in self.settings.items())
        out = self._run("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", str(timeout), "start", "-o", opts,
                        timeout=timeout + 10)
        if out.returncode != 0:
            raise AssertionError(f"pg_ctl start failed: {out.stdout[-500:]}{out.stderr[-500:]}\n{self.log_tail()}")

    def stop(self, mode="fast", timeout=60):
        out = self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", str(timeout), "stop", timeout=timeout + 10)
        if out.returncode != 0:
            raise AssertionError(f"pg_ctl stop -m {mode} failed: {out.stdout[-500:]}{out.stderr[-500:]}")

    def postmaster_pid(self):
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                return int(f.readline())
        except (OSError, ValueError):
            return None

    def pids(self):
        """The postmaster and all its children (backends, auxiliary processes)."""
        pm = self.postmaster_pid()
        if pm is None or not os.path.exists(f"/proc/{pm}"):
            return []
        found = [pm]
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pm:
                found.append(int(entry))
        return found

    def backend_pids(self, datname=None):
        """Client backends (from pg_stat_activity), optionally of one database."""
        where = "backend_type = 'client backend' AND pid <> pg_backend_pid()"
        if datname:
            where += f" AND datname = '{datname}'"
        return [int(x) for x in psql(self.url, f"SELECT pid FROM pg_stat_activity WHERE {where}").split()]

    def signal_all(self, sig):
        """Sends SIG to the postmaster and every child (SIGSTOP/SIGCONT: freeze/thaw the server)."""
        pids = self.pids()
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        return pids

    def kill_all(self, timeout=30):
        """SIGKILL to the whole cluster (a machine losing power, an OOM kill of everything);
        waits until every process is gone."""
        pids = self.signal_all(signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while any(os.path.exists(f"/proc/{p}") and not _zombie(p) for p in pids):
            if time.monotonic() > deadline:
                raise AssertionError("PostgreSQL processes survived SIGKILL")
            time.sleep(0.05)
        # a killed postmaster may linger as a zombie (a container's init need not reap it),
        # and then its lock files make the next start refuse: remove the stale ones
        for path in [os.path.join(self.data, "postmaster.pid")] + glob.glob(os.path.join(self.dir, ".s.PGSQL.*")):
            try:
                os.unlink(path)
            except OSError:
                pass
        return pids

    def log_tail(self, n=3000):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()[-n:]
        except OSError:
            return ""

    def close(self):
        if self.postmaster_pid() and self.pids():
            self.signal_all(signal.SIGCONT)
            try:
                self.stop("immediate", timeout=30)
            except Exception:  # noqa: BLE001 - whatever is left is killed
                self.kill_all()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] == "Z"
    except OSError:
        return True
