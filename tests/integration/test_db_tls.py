"""The database over TLS (issue 8): with `sslmode=verify-full` in database.url the daemon
connects (non-blocking, the handshake inside PQconnectPoll) to a PostgreSQL whose
certificate a test CA signed for 127.0.0.1, and serves; with a CA that did not sign it,
it never connects (no fallback to plain text): such a daemon refuses to start, naming the
certificate."""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Instance, PgCluster, expect  # noqa: E402


def openssl(*args, cwd):
    out = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args[:2])} failed: {out.stderr[-500:]}")


def make_certs(d):
    """ca.pem (trusted), other-ca.pem (not), server.pem/server.key for IP 127.0.0.1."""
    for name in ("ca", "other-ca"):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2", "-subj", f"/CN={name}", cwd=d)
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1", cwd=d)
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "san.ext", cwd=d)
    if os.geteuid() == 0:
        for name in ("server.pem", "server.key"):
            shutil.chown(os.path.join(d, name), "postgres", "postgres")
    os.chmod(os.path.join(d, "server.key"), 0o600)
    os.chmod(d, 0o755)


def test_verify_full_connects_and_a_foreign_ca_does_not():
    certs = tempfile.mkdtemp(prefix="abipraya-dbtls-")
    saved = os.environ.get("ABIPRAYA_TEST_PGURL")
    try:
        make_certs(certs)
        settings = {"ssl": "on", "ssl_cert_file": os.path.join(certs, "server.pem"),
                    "ssl_key_file": os.path.join(certs, "server.key")}
        with PgCluster(settings) as pg:
            ca = os.path.join(certs, "ca.pem")
            os.environ["ABIPRAYA_TEST_PGURL"] = f"{pg.url}?sslmode=verify-full&sslrootcert={ca}"
            with Instance() as a:
                expect(a.request("GET", "/readyz").status == 200, "no database over verify-full TLS")
                token = a.login()
                expect(a.must("GET", "me", token=token)["username"] == harness.ADMIN_USER, "me")
                ssl_used = a.psql("SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                                  "WHERE s.ssl AND a.application_name = '' AND a.datname = current_database() "
                                  "AND a.pid <> pg_backend_pid()")
                expect(int(ssl_used) >= 1, f"no TLS connection of the daemon in pg_stat_ssl ({ssl_used})")
                other = a.db.replace(ca, os.path.join(certs, "other-ca.pem"))
                with Instance(share=a, db_url=other, start=False) as b:
                    b.start(wait=False)
                    rc = b.proc.wait(60)
                    expect(rc != 0 and "certificate" in b.stderr(),
                           f"a daemon with a foreign CA exited {rc}: {b.stderr()[-500:]}")
        print("db tls: verify-full serves; with a foreign CA the daemon refuses to start, naming the certificate")
    finally:
        if saved is None:
            os.environ.pop("ABIPRAYA_TEST_PGURL", None)
        else:
            os.environ["ABIPRAYA_TEST_PGURL"] = saved
        shutil.rmtree(certs, ignore_errors=True)


if __name__ == "__main__":
    harness.main(globals())
