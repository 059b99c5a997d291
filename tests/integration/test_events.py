"""Live events (API.md §13): a change made through one daemon reaches the event streams
of another daemon on the same database; streams see only their houses; Last-Event-ID
replays what was missed, in order and without duplicates; event ids follow commit order;
a stream needs a token."""

import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Instance, expect, uid  # noqa: E402


class Stream:
    """A raw-socket SSE client that de-chunks and splits frames into (id, event, data)."""

    def __init__(self, inst, token, last_event_id=None):
        self.sock = socket.create_connection(("127.0.0.1", inst.port), timeout=10)
        extra = f"Last-Event-ID: {last_event_id}\r\n" if last_event_id is not None else ""
        self.sock.sendall((f"GET /api/v1/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n"
                           f"{extra}\r\n").encode())
        self.raw = b""
        while b"\r\n\r\n" not in self.raw:
            self.raw += self.sock.recv(65536)
        head, _, self.raw = self.raw.partition(b"\r\n\r\n")
        self.status = int(head.split()[1])
        self.head = head.decode("latin-1").lower()
        self.text = b""

    def _dechunk(self):
        while True:
            end = self.raw.find(b"\r\n")
            if end < 0:
                return
            size = int(self.raw[:end], 16)
            if len(self.raw) < end + 2 + size + 2:
                return
            self.text += self.raw[end + 2:end + 2 + size]
            self.raw = self.raw[end + 4 + size:]

    def events(self, want, timeout=10):
        """Frames until WANT data frames arrived or TIMEOUT; a list of (id, event, data)."""
        got, deadline = [], time.monotonic() + timeout
        while len(got) < want and time.monotonic() < deadline:
            self._dechunk()
            block, sep, rest = self.text.partition(b"\n\n")
            if sep:
                self.text = rest
                fields = dict(line.split(": ", 1) for line in block.decode().split("\n")
                              if ": " in line and not line.startswith(":"))
                if "data" in fields:
                    got.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))
                continue
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            self.raw += chunk
        return got

    def close(self):
        self.sock.close()


def site(inst, token):
    house = inst.house(token)
    room = inst.room(token, house["id"])
    return house, [inst.bed(token, room["id"]) for _ in range(2)]


def test_checkin_through_one_instance_reaches_the_other():
    with Instance() as a, Instance(share=a) as b:
        token = a.login()
        house, beds = site(a, token)
        resident = a.resident(token, house["id"])
        stream = Stream(b, b.login())
        expect(stream.status == 200 and "text/event-stream" in stream.head, stream.head)
        time.sleep(0.3)
        stay = a.must("POST", "stays", {"resident_id": resident["id"], "bed_id": beds[0]["id"],
                                        "rules_acknowledged": True}, 201, token=token)
        got = [e for e in stream.events(1) if e[1] == "stay.checked_in"]
        stream.close()
        expect(got, "no stay.checked_in event on the other instance")
        data = got[0][2]
        expect((data["id"], data["stay_id"], data["bed_id"], data["resident_id"], data["house_id"]) ==
               (stay["id"], stay["id"], beds[0]["id"], resident["id"], house["id"]), data)


def test_streams_see_only_their_houses():
    with Instance() as a:
        token = a.login()
        (mine, my_beds), (other, other_beds) = site(a, token), site(a, token)
        password = "pw-" + uid() + uid()
        staff = a.must("POST", "users", {"username": "staff-" + uid(), "password": password, "role": "staff",
                                         "full_name": "Staff", "house_ids": [mine["id"]]}, 201, token=token)
        stream = Stream(a, a.login(staff["username"], password))
        time.sleep(0.3)
        for bed in (other_beds[0], my_beds[0]):
            a.must("PATCH", f"beds/{bed['id']}", {"status": "out_of_service", "status_reason": "paint"},
                   token=token)
        got = stream.events(2, timeout=3)
        stream.close()
        expect([e[2]["bed_id"] for e in got] == [my_beds[0]["id"]], f"staff saw {got}")


def test_last_event_id_replays_missed_events_once_and_in_order():
    with Instance() as a:
        token = a.login()
        house, beds = site(a, token)
        first = Stream(a, token)
        time.sleep(0.3)
        a.must("PATCH", f"beds/{beds[0]['id']}", {"status": "out_of_service", "status_reason": "x"}, token=token)
        (seen_id, _, _), = first.events(1)
        first.close()
        for reason in ("a", "b", "c"):   # missed while disconnected
            a.must("PATCH", f"beds/{beds[1]['id']}", {"status": "out_of_service", "status_reason": reason},
                   token=token)
        again = Stream(a, token, last_event_id=seen_id)
        missed = again.events(3, timeout=5)
        time.sleep(0.2)
        a.must("PATCH", f"beds/{beds[0]['id']}", {"status": "available"}, token=token)
        live = again.events(1, timeout=5)
        again.close()
        ids = [e[0] for e in missed + live]
        expect(len(missed) == 3 and all(e[2]["bed_id"] == beds[1]["id"] for e in missed), f"missed: {missed}")
        expect(ids == sorted(set(ids)) and ids[0] > seen_id, f"ids out of order or repeated: {ids}")
        expect(live and live[0][2]["bed_id"] == beds[0]["id"], f"no live event after the backlog: {live}")


def test_event_ids_follow_commit_order():
    """Concurrent check-outs through two instances wait for the audit chain's head, held by a
    psql session, and then commit in whatever order the lock goes round: each one's event id
    must still be in commit order (the order of the audit records written in the same
    transactions), or a client resuming after Last-Event-ID could miss one."""
    n = 6  # at most 4 per worker: all of them reach the database while the lock is held
    with Instance() as a, Instance(share=a) as b:
        token = a.login()
        stays = []
        for _ in range(n):  # a house each: nothing else orders them before the audit chain
            house = a.house(token)
            bed = a.bed(token, a.room(token, house["id"])["id"])
            resident = a.resident(token, house["id"])
            stays.append(a.must("POST", "stays", {"resident_id": resident["id"], "bed_id": bed["id"],
                                                  "rules_acknowledged": True}, 201, token=token))
        with harness.PsqlSession(a.db) as lock:
            lock.run("BEGIN; SELECT 1 FROM app.audit_head WHERE one FOR UPDATE")
            done = []
            sender = threading.Thread(target=lambda: done.extend(harness.race([
                lambda i=i: (a if i % 2 else b).request(
                    "POST", f"/api/v1/stays/{stays[i]['id']}/checkout", token=token,
                    json_body={"exit_reason": "completed", "destination": "family"}) for i in range(n)])))
            sender.start()
            harness.wait_for(lambda: int(a.psql(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'").strip()) >= n, 10)
            lock.run("COMMIT")
            sender.join(30)
        expect(len(done) == n and all(not isinstance(r, Exception) and r.status == 200 for r in done),
               f"check-outs: {done}")
        order = a.psql("SELECT e.id, a.pos FROM app.events e JOIN app.audit_log a ON a.xmin = e.xmin "
                       "AND a.action = 'stay.checkout' WHERE e.name = 'stay.checked_out' ORDER BY e.id").split()
        positions = [int(row.split("|")[1]) for row in order]
        expect(len(positions) == n and positions == sorted(positions),
               f"event ids not in commit order (audit positions by event id): {positions}")


def test_an_audience_limits_who_receives():
    """An event with an audience (app.events.roles, contract §15.9: staff never receive
    reporting compliance) reaches only the roles listed, live and in the Last-Event-ID
    backlog; an event without one reaches every role of the house."""
    with Instance() as a:
        token = a.login()
        house, beds = site(a, token)
        streams = {}
        for role in ("staff", "manager"):
            password = "pw-" + uid() + uid()
            user = a.must("POST", "users", {"username": role + "-" + uid(), "password": password, "role": role,
                                            "full_name": "User", "house_ids": [house["id"]]}, 201, token=token)
            streams[role] = (a.login(user["username"], password), None)
        live = {role: Stream(a, tok) for role, (tok, _) in streams.items()}
        time.sleep(0.3)
        before = int(a.psql("SELECT coalesce(max(id), 0) FROM app.events").strip())
        a.psql(f"SELECT api.emit('{house['id']}', 'test.casework', '{{\"entity\": \"x\"}}'::jsonb, "
               "ARRAY['admin', 'manager', 'caseworker'])")
        a.must("PATCH", f"beds/{beds[0]['id']}", {"status": "out_of_service", "status_reason": "x"}, token=token)
        got = {role: [e[1] for e in s.events(2, timeout=3)] for role, s in live.items()}
        for s in live.values():
            s.close()
        expect(got["manager"] == ["test.casework", "bed.updated"], f"manager live: {got['manager']}")
        expect(got["staff"] == ["bed.updated"], f"staff live: {got['staff']}")
        replayed = {}
        for role, (tok, _) in streams.items():
            s = Stream(a, tok, last_event_id=before)
            replayed[role] = [e[1] for e in s.events(2, timeout=3)]
            s.close()
        expect(replayed == got, f"backlog {replayed} is not what was live {got}")


def test_events_need_a_token():
    with Instance() as a:
        r = a.request("GET", "/api/v1/events")
        harness.expect_problem(r, 401, "unauthorized")
        r = a.request("GET", "/api/v1/events", token="not-a-token")
        harness.expect_problem(r, 401, "unauthorized")


if __name__ == "__main__":
    harness.main(globals())
