"""Losing the database: the daemon reaches PostgreSQL through a TCP proxy of this test;
cutting the proxy must make /readyz 503 and API calls 503 `unavailable` with Retry-After
within two seconds, without the daemon dying; restoring it must bring both back to 200.
And a multi-host database.url whose first host never answers still gets through to the
second."""

import os
import socket
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem, wait_for  # noqa: E402

CUT_DEADLINE = 2.0     # seconds from the cut to the 503s (contract: promptly; the brief: 1-2 s)
RESTORE_DEADLINE = 10.0


class Proxy:
    """A TCP proxy 127.0.0.1:port -> upstream. cut() closes every connection and closes
    new ones at once; restore() lets them through again. Daemon threads, no cleanup needed."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.lock = threading.Lock()
        self.socks = set()
        self.up = True
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                up = self.up
            if not up:
                self._kill(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                self._kill(client)
                continue
            with self.lock:
                self.socks.update((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            self._kill(s)

    def _kill(self, s):
        with self.lock:
            self.socks.discard(s)
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()

    def cut(self):
        with self.lock:
            self.up = False
            socks = list(self.socks)
        for s in socks:
            self._kill(s)

    def restore(self):
        with self.lock:
            self.up = True


def test_database_loss_and_return():
    host, port = harness.hostport(harness.pgurl())
    proxy = Proxy((host, port))
    # migrate and user-add go straight to PostgreSQL (the config's URL); the daemon itself
    # goes through the proxy (an environment override)
    with harness.Instance(start=False) as d:
        d.start(wait=False, env={"ABIPRAYA_DATABASE_URL": harness.with_hostport(d.db, "127.0.0.1", proxy.port)})
        d.wait_healthy()
        token = d.login()
        expect(d.request("GET", "/readyz").status == 200, "/readyz not 200 with the database up")
        expect(d.request("GET", "/api/v1/me", token=token).status == 200, "/api/v1/me not 200 with the database up")

        proxy.cut()
        cut_at = time.monotonic()
        r = wait_for(lambda: (lambda r: r if r.status == 503 else None)(d.request("GET", "/readyz", timeout=5)),
                     CUT_DEADLINE, interval=0.05)
        expect(r is not None, f"/readyz not 503 within {CUT_DEADLINE} s of losing the database")
        me = wait_for(lambda: (lambda r: r if r.status == 503 else None)(d.request("GET", "/api/v1/me", token=token, timeout=5)),
                      max(0.2, CUT_DEADLINE - (time.monotonic() - cut_at)), interval=0.05)
        expect(me is not None, f"/api/v1/me not 503 within {CUT_DEADLINE} s of losing the database")
        expect_problem(me, 503, "unavailable")
        expect(me.header("retry-after", "").strip().isdigit(), f"503 without a Retry-After in seconds: {me.headers}")
        expect(d.request("GET", "/healthz").status == 200, "/healthz not 200 without the database")
        expect(d.alive(), "the daemon died without its database")

        proxy.restore()
        ok = wait_for(lambda: d.request("GET", "/readyz", timeout=5).status == 200, RESTORE_DEADLINE, interval=0.2)
        expect(ok, f"/readyz not back to 200 within {RESTORE_DEADLINE} s of the database's return")
        ok = wait_for(lambda: d.request("GET", "/api/v1/me", token=token, timeout=5).status == 200, RESTORE_DEADLINE, interval=0.2)
        expect(ok, f"/api/v1/me not back to 200 within {RESTORE_DEADLINE} s of the database's return")
        rc = d.stop()
        expect(rc == 0, f"exit status {rc} on SIGTERM after the outage (contract: 0)")


def test_a_first_host_that_never_answers():
    """database.url names two hosts, and the first accepts connections but never answers
    (a listening socket nobody reads). Each connection attempt of the pool begins at another
    host, so the daemon serves through the second within a deadline or two, where an attempt
    that always began at the first would wait for it forever."""
    host, port = harness.hostport(harness.pgurl())
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(64)
    try:
        with harness.Instance(start=False, config={"database": {"timeout_ms": "1000"}}) as d:
            url = urllib.parse.urlsplit(d.db)
            two = url._replace(netloc=f"{url.username}@127.0.0.1:{hole.getsockname()[1]},{host}:{port}",
                               query="connect_timeout=2")  # the blocking startup check waits 2 s for it
            d.start(wait=False, env={"ABIPRAYA_DATABASE_URL": urllib.parse.urlunsplit(two)})
            d.wait_healthy()
            ready = wait_for(lambda: d.request("GET", "/readyz", timeout=5).status == 200, 10, interval=0.2)
            expect(ready, "/readyz not 200 within 10 s although the second host answers")
            token = d.login()
            expect(d.request("GET", "/api/v1/me", token=token).status == 200, "/api/v1/me through the second host")
            expect(d.stop() == 0, "exit status on SIGTERM")
    finally:
        hole.close()


if __name__ == "__main__":
    harness.main(globals())
