"""Event streams and their lifetime (API.md §13, last paragraph): a stream closed by its client
at any moment, even while its Last-Event-ID backlog is read, costs the daemon nothing (no
sanitizer report, no crash, memory back where it was), also when the daemon stops meanwhile."""

import os
import random
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Instance, expect, uid  # noqa: E402
from test_events import Stream  # noqa: E402

BACKLOG = 500  # the backlog query's LIMIT: each replay has the most work it can have


def asan_build():
    with open(harness.BIN, "rb") as f:
        return b"__asan_init" in f.read()


def rss_kb(inst):
    with open(f"/proc/{inst.proc.pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def sanitizer_report(inst):
    err = inst.stderr()
    for mark in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
        if mark in err:
            return err[err.index(mark) - 200:][:3000]
    return None


def staff_user(inst, admin, house_ids, role="staff"):
    password = "pw-" + uid() + uid()
    user = inst.must("POST", "users", {"username": role + "-" + uid(), "password": password, "role": role,
                                       "full_name": "Stream User", "house_ids": house_ids}, 201, token=admin)
    return user, password


def demo_house_with_events(inst, admin):
    """A house whose backlog is full: a few real events through the API, the rest written
    straight into app.events the way api.emit writes them."""
    house = inst.house(admin)
    bed = inst.bed(admin, inst.room(admin, house["id"])["id"])
    for status in ("out_of_service", "available") * 3:
        inst.must("PATCH", f"beds/{bed['id']}", {"status": status, "status_reason": "paint"}, token=admin)
    inst.psql(f"""INSERT INTO app.events (house_id, name, data)
                  SELECT '{house['id']}', 'bed.updated',
                         jsonb_build_object('house_id', '{house['id']}', 'entity', 'bed', 'id', '{bed['id']}',
                                            'bed_id', '{bed['id']}', 'note', repeat('x', 200), 'n', n)
                    FROM generate_series(1, {BACKLOG}) n""")
    return house


def open_and_drop(inst, token, rng):
    """GET /events with Last-Event-ID: 0, closed at a random moment: before the answer, just
    after its head, or some way into the backlog; half of them with a reset."""
    sock = socket.create_connection(("127.0.0.1", inst.port), timeout=10)
    try:
        sock.sendall((f"GET /api/v1/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n"
                      "Last-Event-ID: 0\r\n\r\n").encode())
        moment = rng.random()
        if moment > 0.3:
            time.sleep(rng.uniform(0, 0.03))
        if moment > 0.6:
            try:
                sock.recv(rng.choice([1, 200, 4096]))
            except OSError:
                pass
        if rng.random() < 0.5:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        sock.close()


def drop_streams(inst, tokens, n, seed, threads=10):
    failures = []

    def run(k):
        rng = random.Random(seed * 100 + k)
        try:
            for i in range(k, n, threads):
                open_and_drop(inst, tokens[i % len(tokens)], rng)
        except Exception as e:  # noqa: BLE001 - reported below
            failures.append(e)

    workers = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    expect(inst.alive(), f"the daemon died:\n{sanitizer_report(inst) or inst.stderr()[-3000:]}")
    expect(not failures, f"the client side failed: {failures[:3]}")


def settled_rss(inst):
    """RSS once the streams are gone (the daemon counts them in /metrics)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = inst.request("GET", "/metrics").text
        if any(line.split()[-1] == "0" for line in text.splitlines()
               if line.startswith("abipraya_event_streams")):
            break
        time.sleep(0.2)
    time.sleep(0.5)
    return rss_kb(inst)


def test_streams_dropped_during_their_backlog_cost_nothing():
    with Instance() as a, Instance(share=a) as b:
        admin = a.login()
        house = demo_house_with_events(a, admin)
        staff, password = staff_user(a, admin, [house["id"]])
        tokens = {inst: [inst.login(), inst.login(staff["username"], password)] for inst in (a, b)}
        for inst in (a, b):  # a first round: pools, arenas and thread caches grow to their size
            drop_streams(inst, tokens[inst], 100, seed=1)
        before = {inst: settled_rss(inst) for inst in (a, b)}
        for inst in (a, b):
            drop_streams(inst, tokens[inst], 500, seed=2)
        for inst in (a, b):
            expect(inst.alive(), f"the daemon died:\n{sanitizer_report(inst) or inst.stderr()[-3000:]}")
            report = sanitizer_report(inst)
            expect(report is None, f"sanitizer report:\n{report}")
            expect(inst.request("GET", "/healthz").status == 200, "no /healthz after the dropped streams")
            grown = settled_rss(inst) - before[inst]
            print(f"  RSS after 500 dropped streams: {grown:+d} kB")
            # ASan keeps freed memory in quarantine (256 MB) to catch a use after free: its RSS
            # only grows; LeakSanitizer at the SIGTERM of close() checks that nothing was lost
            expect(asan_build() or grown < 2048, f"RSS grew by {grown} kB")
        # a stream still works: the whole backlog, in order
        stream = Stream(b, tokens[b][1], last_event_id=0)
        got = stream.events(BACKLOG, timeout=20)
        stream.close()
        ids = [e[0] for e in got]
        expect(len(got) == BACKLOG and ids == sorted(set(ids)), f"backlog of {len(got)} events")


def test_stop_while_backlogs_are_read():
    """SIGTERM with streams mid-replay, some of their clients gone, the others not reading, and
    subscriptions still being checked: exit 0 at once (under ASan: no leak, no use after
    free)."""
    with Instance() as a:
        admin = a.login()
        demo_house_with_events(a, admin)
        socks = []
        for i in range(60):
            sock = socket.create_connection(("127.0.0.1", a.port), timeout=10)
            sock.sendall((f"GET /api/v1/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {admin}\r\n"
                          "Last-Event-ID: 0\r\n\r\n").encode())
            socks.append(sock)
        time.sleep(0.05)
        for sock in socks[::2]:
            sock.close()
        t0 = time.monotonic()
        rc = a.stop()
        took = time.monotonic() - t0
        for sock in socks[1::2]:
            sock.close()
        expect(rc == 0, f"exit status {rc} on SIGTERM:\n{a.stderr()[-3000:]}")
        # the drain gives up after 10 s: a stream let in during it would hold it that long
        expect(took < 8, f"the stop took {took:.1f} s")
        expect(sanitizer_report(a) is None, f"sanitizer report:\n{sanitizer_report(a)}")


if __name__ == "__main__":
    harness.main(globals())
