"""Event streams and their lifetime (API.md §13, last paragraph): a stream closed by its client
at any moment, even while its Last-Event-ID backlog is read, costs the daemon nothing (no
sanitizer report, no crash, memory back where it was), also when the daemon stops meanwhile;
a stream ends (a finished chunked response, then the connection closes) within 2 s of its
token's logout or expiry, or of its user being deactivated or getting a new password, role or
house_ids, the change being made through the other instance; other streams, of the same user's
other token or of other users, go on and get nothing of it."""

import hashlib
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
END_WITHIN = 2.0


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


# ---------------------------------------------------------------- revocation

def read_until_end(stream, within):
    """Reads until the daemon closes the connection or WITHIN seconds pass; True when it
    finished the chunked response (the last chunk) and then closed."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        stream.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = stream.sock.recv(65536)
        except socket.timeout:
            return False
        if not chunk:
            return stream.raw.endswith(b"0\r\n\r\n")
        stream.raw += chunk
    return False


def still_open(stream, seconds=0.5):
    """Nothing but keep-alive comments for SECONDS, and no end."""
    before = len(stream.raw)
    if read_until_end(stream, seconds):
        return False
    return b"data:" not in stream.raw[before:]


def revoked_on(a, b, revoke, same_user_survives=False):
    """A user's stream on B ends within 2 s of REVOKE(user, token, admin) made through A;
    another user's stream goes on and sees nothing of it (and, for one token's revocation,
    the same user's stream of another token too)."""
    admin = a.login()
    house = a.house(admin)
    user, password = staff_user(a, admin, [house["id"]])
    other, other_password = staff_user(a, admin, [house["id"]])
    token = b.login(user["username"], password)
    streams = {"revoked": Stream(b, token),
               "other user": Stream(b, b.login(other["username"], other_password)),
               "same user, other token": Stream(b, a.login(user["username"], password))}
    for name, s in streams.items():
        expect(s.status == 200, f"{name}: {s.status}")
    time.sleep(0.3)  # the streams' own session checks are done
    revoke(user, token, admin)
    t0 = time.monotonic()
    expect(read_until_end(streams["revoked"], END_WITHIN + 0.5), "the stream did not end")
    took = time.monotonic() - t0
    print(f"  ended {took * 1000:.0f} ms after the change")
    expect(took <= END_WITHIN, f"the stream ended {took:.2f} s after the change")
    expect(still_open(streams["other user"]), "another user's stream ended or got data")
    expect(still_open(streams["same user, other token"]) == same_user_survives,
           "the same user's other token's stream " + ("ended" if same_user_survives else "went on"))
    # the stream that went on still delivers
    bed = a.bed(admin, a.room(admin, house["id"])["id"])
    a.must("PATCH", f"beds/{bed['id']}", {"status": "out_of_service", "status_reason": "x"}, token=admin)
    got = streams["other user"].events(1, timeout=5)
    expect(got and got[0][2]["bed_id"] == bed["id"], f"the other stream got {got}")
    for s in streams.values():
        s.close()


def test_logout_ends_that_tokens_streams():
    with Instance() as a, Instance(share=a) as b:
        revoked_on(a, b, lambda user, token, admin: a.must("POST", "auth/logout", None, 204, token=token),
                   same_user_survives=True)


def patched(a, field, value):
    return lambda user, token, admin: a.must("PATCH", f"users/{user['id']}", {field: value}, token=admin)


def test_deactivation_ends_the_users_streams():
    with Instance() as a, Instance(share=a) as b:
        revoked_on(a, b, patched(a, "active", False))


def test_new_password_ends_the_users_streams():
    with Instance() as a, Instance(share=a) as b:
        revoked_on(a, b, patched(a, "password", "pw-" + uid() + uid()))


def test_new_role_ends_the_users_streams():
    with Instance() as a, Instance(share=a) as b:
        revoked_on(a, b, patched(a, "role", "caseworker"))


def test_new_house_ids_end_the_users_streams():
    with Instance() as a, Instance(share=a) as b:
        admin = a.login()
        more = a.house(admin)["id"]
        revoked_on(a, b, lambda user, token, admin: a.must(
            "PATCH", f"users/{user['id']}", {"house_ids": user["house_ids"] + [more]}, token=admin))


def test_unchanged_authority_keeps_the_stream():
    """A change of the full name only, and another user's logout, end nothing."""
    with Instance() as a, Instance(share=a) as b:
        admin = a.login()
        user, password = staff_user(a, admin, [])
        stream = Stream(b, b.login(user["username"], password))
        time.sleep(0.3)
        a.must("PATCH", f"users/{user['id']}", {"full_name": "Another Name"}, token=admin)
        a.must("POST", "auth/logout", None, 204, token=a.login())
        expect(still_open(stream, 1.0), "the stream ended")
        stream.close()


def test_stream_ends_at_its_tokens_expiry():
    """The session's expiry is brought 3 s ahead (security.token_ttl is at least 60 s); the
    stream, opened on the other instance after that, ends at it."""
    with Instance() as a, Instance(share=a) as b:
        admin = a.login()
        user, password = staff_user(a, admin, [])
        token = a.login(user["username"], password)
        digest = hashlib.sha256(token.encode()).hexdigest()
        a.psql(f"UPDATE app.sessions SET expires_at = now() + interval '3 s' "
               f"WHERE token_hash = decode('{digest}', 'hex')")
        t0 = time.monotonic()
        stream = Stream(b, token)
        expect(stream.status == 200, stream.status)
        expect(still_open(stream, 1.5), "the stream ended before its token's expiry")
        expect(read_until_end(stream, 3 + END_WITHIN + 0.5 - (time.monotonic() - t0)),
               "the stream did not end at its token's expiry")
        took = time.monotonic() - t0
        print(f"  ended {took:.2f} s after a 3 s expiry was set")
        expect(took <= 3 + END_WITHIN, f"the stream ended {took:.2f} s after the 3 s expiry was set")
        stream.close()
        harness.expect_problem(b.request("GET", "/api/v1/events", token=token), 401, "unauthorized")


if __name__ == "__main__":
    harness.main(globals())
