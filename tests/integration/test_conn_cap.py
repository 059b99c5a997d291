"""Idle connections cannot lock others out (API.md §3): at `server.max_connections` a new
connection closes the one idle longest; event streams and requests in progress are never
closed for it; with none idle, a new client waits until a connection ends.

Private daemons with max_connections = 50. With one worker the accept order is the connect
order, so the connections closed to make room must be exactly the oldest idle ones."""

import os
import re
import select
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Instance, expect, wait_for  # noqa: E402
from test_events import Stream, site  # noqa: E402

CAP = 50
IDLE = 200


def idle_sockets(port, n):
    return [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(n)]


def closed_by_peer(sock):
    """The daemon closed SOCK (it never sent anything on an idle connection)."""
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def timed_healthz(d):
    started = time.monotonic()
    r = d.request("GET", "/healthz", timeout=5)
    return r.status, time.monotonic() - started


def connections_gauge(d):
    r = d.request("GET", "/metrics")
    m = re.search(r"^abipraya_http_connections (\d+)$", r.text, re.M)
    expect(r.status == 200 and m, f"/metrics without abipraya_http_connections: {r}")
    return int(m.group(1))


def test_idle_connections_at_the_cap_make_room_oldest_first():
    with Instance(config={"server": {"max_connections": str(CAP), "workers": "1"}}) as d:
        token = d.login()
        house, beds = site(d, token)
        resident = d.resident(token, house["id"])
        held = idle_sockets(d.port, IDLE // 2)
        stream = Stream(d, token)
        expect(stream.status == 200, stream.head)
        held += idle_sockets(d.port, IDLE // 2)
        # 201 connections on a cap of 50: the stream and the 49 newest idle ones stay
        want = IDLE + 1 - CAP
        expect(wait_for(lambda: sum(map(closed_by_peer, held)) >= want, 10),
               f"the daemon did not close {want} of {IDLE} idle connections")
        closed = [i for i, s in enumerate(held) if closed_by_peer(s)]
        expect(closed == list(range(want)), f"not the oldest idle connections were closed: {closed}")
        for _ in range(5):
            status, took = timed_healthz(d)
            expect(status == 200 and took < 1.0, f"/healthz at the cap: {status} after {took:.2f} s")
        print(f"    /healthz among {IDLE} idle connections on a cap of {CAP}: {took * 1000:.1f} ms")
        gauge = connections_gauge(d)
        expect(gauge <= CAP, f"abipraya_http_connections {gauge} over the cap {CAP}")
        d.must("POST", "stays", {"resident_id": resident["id"], "bed_id": beds[0]["id"],
                                 "rules_acknowledged": True}, 201, token=token)
        got = [e for e in stream.events(1) if e[1] == "stay.checked_in"]
        expect(got, "the event stream did not survive the idle connections")
        for s in held:
            s.close()
        stream.close()
        # the count follows the closes: only /metrics' own connection (and the one before)
        expect(wait_for(lambda: connections_gauge(d) <= 2, 10),
               f"abipraya_http_connections stays at {connections_gauge(d)} after all closed")


def test_healthz_answers_among_idle_connections_on_two_workers():
    with Instance(config={"server": {"max_connections": str(CAP)}}) as d:
        held = idle_sockets(d.port, IDLE)
        try:
            for _ in range(5):
                status, took = timed_healthz(d)
                expect(status == 200 and took < 1.0, f"/healthz at the cap: {status} after {took:.2f} s")
        finally:
            for s in held:
                s.close()


def test_with_none_idle_a_new_client_waits_for_room():
    with Instance(config={"server": {"max_connections": str(CAP), "workers": "1"}}) as d:
        token = d.login()
        streams = [Stream(d, token) for _ in range(CAP)]
        expect(all(s.status == 200 for s in streams), "a stream was refused")
        waiting = socket.create_connection(("127.0.0.1", d.port), timeout=10)
        waiting.sendall(b"GET /healthz HTTP/1.1\r\nHost: it\r\nConnection: close\r\n\r\n")
        readable, _, _ = select.select([waiting], [], [], 1.0)
        expect(not readable, "a stream or a request in progress was closed for a new connection")
        streams.pop().close()
        waiting.settimeout(5)
        answer = waiting.recv(4096)
        expect(answer.startswith(b"HTTP/1.1 200"), f"the waiting client got {answer[:100]!r}")
        waiting.close()
        expect(not any(closed_by_peer(s.sock) for s in streams), "a stream was closed")
        for s in streams:
            s.close()


if __name__ == "__main__":
    harness.main(globals())
