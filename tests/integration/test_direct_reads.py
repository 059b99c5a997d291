"""Direct reads and the kept bed board (docs/ops.md, "Direct reads"; issues 4 and 7).

GET of a resident and the bed board skip api.run: one plain statement authenticates and
answers. The daemon keeps each rendered board with the tag the database gave it, and every
request asks the database whether that copy is still the house's board. Checked here:
- through two instances on one database, each holding a copy of the board (whole and
  ?state=free), every kind of change made through the other instance shows at once: a
  check-in, a rename of the occupant, a bed taken out of service, a room code, a transfer, a
  check-out; and so does a change made in the database by hand (the tag is kept by
  triggers, not by the API);
- the tag changes with the board only: a resident's phone, a new rule, the rename of a
  resident who is on no bed leave it as it was; a check-in and an occupant's rename change it;
- the kept copy is the same bytes as the board rendered afresh in SQL, and a GET of a
  resident is the same document as api.run's, for staff (no national_id, notes) and others;
- authentication stays in every request: a logged-out token gets 401 although the board is
  kept, a user of another house 404, a deactivated user 401;
- every role that may see the house reads the one kept board (its body holds no role), and
  only the events the route declares drop it;
- a burst of requests for a board just changed asks the database for one render per worker;
- reads batched on one database connection each get their own answer, and one that fails
  fails alone."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem  # noqa: E402
from test_events import Stream  # noqa: E402
from test_races import occupants_differ  # noqa: E402


def board(d, token, hid, state=None):
    path = f"/api/v1/houses/{hid}/beds" + (f"?state={state}" if state else "")
    r = d.request("GET", path, token=token)
    expect(r.status == 200, f"GET {path}: {r}")
    return r


def beds_of(r):
    return {b["id"]: b for b in r.json["items"]}


def tag(d, hid):
    return d.psql(f"SELECT tag FROM app.board_tags WHERE house_id = '{hid}'").strip()


def setup(a, token):
    house = a.house(token)
    room = a.room(token, house["id"], sex="male")
    beds = [a.bed(token, room["id"], label=label) for label in ("A", "B", "C")]
    resident = a.resident(token, house["id"])
    return house["id"], room, beds, resident


def warm(instances, token, hid):
    """Each instance renders and keeps the whole board and the free beds."""
    for d in instances:
        for state in (None, "free"):
            first, second = board(d, token, hid, state), board(d, token, hid, state)
            expect(first.raw == second.raw, "two reads of an unchanged board differ")


def test_board_follows_every_change_on_both_instances():
    with harness.Instance() as a, harness.Instance(share=a) as b:
        token = a.login()
        hid, room, beds, res = setup(a, token)
        b1, b2, b3 = (x["id"] for x in beds)

        warm((a, b), token, hid)
        stay = a.must("POST", "stays", {"resident_id": res["id"], "bed_id": b1, "rules_acknowledged": True},
                      201, token=token)
        shown = beds_of(board(b, token, hid))[b1]
        expect(shown["state"] == "occupied" and shown["occupant"]["stay_id"] == stay["id"],
               f"instance B after a check-in through A: {shown}")
        expect(b1 not in beds_of(board(b, token, hid, "free")), "the occupied bed is still among the free ones")

        warm((a, b), token, hid)
        a.must("PATCH", f"residents/{res['id']}", {"full_name": "Budi Renamed"}, token=token)
        shown = beds_of(board(b, token, hid))[b1]
        expect(shown["occupant"]["full_name"] == "Budi Renamed", f"B after a rename through A: {shown}")

        warm((a, b), token, hid)
        b.must("PATCH", f"beds/{b2}", {"status": "out_of_service", "status_reason": "bocor"}, token=token)
        shown = beds_of(board(a, token, hid))[b2]
        expect(shown["state"] == "out_of_service" and shown["status_reason"] == "bocor", f"A: {shown}")
        free = [x["id"] for x in board(a, token, hid, "free").json["items"]]
        expect(free == [b3], f"A's free beds after B's change: {free}")

        warm((a, b), token, hid)
        a.must("PATCH", f"rooms/{room['id']}", {"code": "KAMAR-BARU"}, token=token)
        codes = {x["room_code"] for x in board(b, token, hid).json["items"]}
        expect(codes == {"KAMAR-BARU"}, f"B after a room code change through A: {codes}")

        warm((a, b), token, hid)
        b.must("POST", f"stays/{stay['id']}/transfer", {"bed_id": b3}, token=token)
        shown = beds_of(board(a, token, hid))
        expect(shown[b1]["state"] == "free" and shown[b3]["occupant"]["stay_id"] == stay["id"],
               f"A after a transfer through B: {shown[b1]}, {shown[b3]}")

        warm((a, b), token, hid)
        a.psql(f"UPDATE app.beds SET label = 'TANGAN' WHERE id = '{b1}'")
        for d in (a, b):
            expect(beds_of(board(d, token, hid))[b1]["label"] == "TANGAN", "a change made in SQL by hand is not shown")
            expect(beds_of(board(d, token, hid, "free"))[b1]["label"] == "TANGAN", "?state=free kept the old label")

        expect(a.psql(occupants_differ(hid)).strip() == "0", "app.bed_occupants is not the open periods'")
        warm((a, b), token, hid)
        b.must("POST", f"stays/{stay['id']}/checkout", {"exit_reason": "completed", "destination": "family"},
               token=token)
        for d in (a, b):
            shown = beds_of(board(d, token, hid))[b3]
            expect(shown["state"] == "free" and shown["occupant"] is None, f"after the check-out: {shown}")
        expect(a.psql(occupants_differ(hid)).strip() == "0", "app.bed_occupants is not the open periods'")


def test_tag_changes_with_the_board_only():
    with harness.Instance() as d:
        token = d.login()
        hid, _, beds, res = setup(d, token)
        before = tag(d, hid)
        d.must("PATCH", f"residents/{res['id']}", {"phone": "0812000111"}, token=token)
        d.must("POST", f"houses/{hid}/rules", {"code": "R-1", "title": "Jam malam", "severity": "minor"}, 201,
               token=token)
        d.must("PATCH", f"residents/{res['id']}", {"full_name": "Belum Masuk"}, token=token)  # not on a bed
        expect(tag(d, hid) == before, "the tag changed although nothing on the board did")
        d.must("POST", "stays", {"resident_id": res["id"], "bed_id": beds[1]["id"], "rules_acknowledged": True},
               201, token=token)
        checked_in = tag(d, hid)
        expect(checked_in != before, "a check-in did not change the tag")
        d.must("PATCH", f"residents/{res['id']}", {"full_name": "Nama Baru"}, token=token)
        expect(tag(d, hid) != checked_in, "the rename of an occupant did not change the tag")
        other = d.house(token)["id"]
        other_tag = tag(d, other)
        d.must("PATCH", f"beds/{beds[0]['id']}", {"status": "out_of_service"}, token=token)
        expect(tag(d, other) == other_tag, "a change in one house changed another house's tag")


def test_kept_answers_equal_fresh_ones():
    with harness.Instance() as d:
        token = d.login()
        hid, _, beds, res = setup(d, token)
        d.must("POST", "stays", {"resident_id": res["id"], "bed_id": beds[1]["id"], "rules_acknowledged": True},
               201, token=token)
        for state in (None, "occupied", "free", "out_of_service"):
            board(d, token, hid, state)
            kept = board(d, token, hid, state).raw.decode()
            fresh = d.psql(f"SELECT api.board_body('{hid}', {('%s' % repr(state)) if state else 'NULL'})").strip()
            expect(kept == fresh, f"kept board ({state}) differs from a fresh render:\n{kept}\n{fresh}")

        d.must("POST", "users", {"username": "pk-" + harness.uid(), "password": "caseworker-pass-1",
                                 "role": "caseworker", "full_name": "PK", "house_ids": [hid]}, 201, token=token)
        r = d.request("GET", f"/api/v1/residents/{res['id']}", token=token)
        expect(r.status == 200 and r.header("etag") == f'"{res["version"]}"', f"GET resident: {r}")
        for role in ("admin", "caseworker", "staff"):
            sql = (f"SELECT (api.op_residents_get(ROW(NULL, '{role}', ARRAY['{hid}']::uuid[], 'x')::api.ctx, "
                   f"'{{\"id\": \"{res['id']}\"}}')).body")
            via_run = json.loads(d.psql(sql))
            via_direct = json.loads(d.psql(
                f"SELECT v.doc FROM api.resident_view('{res['id']}', '{role}', ARRAY['{hid}']::uuid[]) v"))
            expect(via_run == via_direct, f"{role}: api.run and the direct read differ")
            expect(("national_id" in via_direct) == (role != "staff"), f"{role}: national_id presence wrong")


def test_every_request_is_authenticated():
    with harness.Instance() as d:
        admin = d.login()
        hid, _, _, res = setup(d, admin)
        other = d.house(admin)["id"]
        names = {}
        for who, house in (("staff", hid), ("outsider", other)):
            names[who] = f"{who}-{harness.uid()}"
            d.must("POST", "users", {"username": names[who], "password": "staff-password-1", "role": "staff",
                                     "full_name": who, "house_ids": [house]}, 201, token=admin)
        staff = d.login(names["staff"], "staff-password-1")
        warm((d,), staff, hid)
        board(d, staff, hid)
        d.request("GET", f"/api/v1/residents/{res['id']}", token=staff)

        outsider = d.login(names["outsider"], "staff-password-1")
        expect_problem(d.request("GET", f"/api/v1/houses/{hid}/beds", token=outsider), 404, "not_found")
        expect_problem(d.request("GET", f"/api/v1/residents/{res['id']}", token=outsider), 404, "not_found")

        d.must("POST", "auth/logout", token=staff, status=204)
        expect_problem(d.request("GET", f"/api/v1/houses/{hid}/beds", token=staff), 401, "unauthorized")
        expect_problem(d.request("GET", f"/api/v1/residents/{res['id']}", token=staff), 401, "unauthorized")

        staff = d.login(names["staff"], "staff-password-1")
        board(d, staff, hid)
        uid = d.must("GET", "me", token=staff)["id"]
        d.must("PATCH", f"users/{uid}", {"active": False}, token=admin)
        expect_problem(d.request("GET", f"/api/v1/houses/{hid}/beds", token=staff), 401, "unauthorized")


def test_every_role_reads_the_one_kept_board():
    """The board's body is the same for every role that may see the house (api.board_body
    takes no role), so its kept key holds no role: staff and a caseworker are answered from
    the copy an admin's read rendered, byte for byte, without a render of their own. (A route
    whose body depends on the role is kept per caller: unit_kept checks that key.) An event
    the route does not declare in drop_on (a violation) leaves the copy; one it declares (a
    bed's change) drops it."""
    with harness.Instance() as d:
        admin = d.login()
        hid, _, beds, res = setup(d, admin)
        stay = d.must("POST", "stays", {"resident_id": res["id"], "bed_id": beds[1]["id"],
                                        "rules_acknowledged": True}, 201, token=admin)
        rule = d.must("POST", f"houses/{hid}/rules", {"code": "R-1", "title": "Jam malam", "severity": "minor"},
                      201, token=admin)
        tokens = []
        for role in ("staff", "caseworker"):
            name = f"{role}-{harness.uid()}"
            d.must("POST", "users", {"username": name, "password": "staff-password-1", "role": role,
                                     "full_name": role, "house_ids": [hid]}, 201, token=admin)
            tokens.append(d.login(name, "staff-password-1"))
        first = board(d, admin, hid)
        before = metric(d, "abipraya_answers_rendered_total")
        for token in tokens:
            expect(board(d, token, hid).raw == first.raw, "another role got another board")
        expect(metric(d, "abipraya_answers_rendered_total") == before, "a role had a board rendered of its own")

        stream = Stream(d, admin)
        time.sleep(1.1)  # also: the violation's time is within the stay
        d.must("POST", f"stays/{stay['id']}/violations",
               {"rule_id": rule["id"], "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "description": "Terlambat"}, 201,
               token=admin)
        expect(stream.events(1), "no event of the violation")
        time.sleep(0.3)  # every worker has had the notification
        expect(board(d, tokens[0], hid).raw == first.raw, "the board changed with a violation")
        expect(metric(d, "abipraya_answers_rendered_total") == before, "a violation's event dropped the board")
        d.must("PATCH", f"beds/{beds[0]['id']}", {"label": "A2"}, token=admin)
        expect(stream.events(1), "no event of the bed's change")
        stream.close()
        time.sleep(0.3)
        changed = board(d, tokens[1], hid)
        expect(beds_of(changed)[beds[0]["id"]]["label"] == "A2", "stale board after a bed's change")
        expect(metric(d, "abipraya_answers_rendered_total") == before + 1, "not one render after a bed's change")


def metric(d, name):
    for line in d.request("GET", "/metrics").raw.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"no metric {name}")


def test_pipelined_reads_get_their_own_answers():
    """One worker with one database connection: concurrent reads share its pipeline, and a
    census (not a shared read) among them never queues behind it; every answer is its own."""
    with harness.Instance(config={"server": {"workers": "1"}, "database": {"pool": "1"}}) as d:
        token = d.login()
        hid = d.house(token)["id"]
        residents = [d.resident(token, hid) for _ in range(40)]
        before = metric(d, "abipraya_db_pipelined_total")

        def read(i):
            if i % 25 == 0:
                return i, d.request("GET", f"/api/v1/houses/{hid}/census?from=2026-01-01&to=2026-12-31",
                                    token=token)
            return i, d.request("GET", f"/api/v1/residents/{residents[i % 40]['id']}", token=token)

        for got in harness.race([lambda i=i: read(i) for i in range(600)], threads=32):
            expect(not isinstance(got, Exception), f"a request failed: {got}")
            i, r = got
            expect(r.status == 200, f"request {i}: {r}")
            if i % 25 == 0:
                expect(len(r.json["items"]) == 365, f"request {i}: a census of {len(r.json['items'])} days")
            else:
                expect(r.json["id"] == residents[i % 40]["id"], f"request {i} got another resident's answer")
        pipelined = metric(d, "abipraya_db_pipelined_total") - before
        expect(pipelined > 0, "no statement was ever sent behind another: nothing was pipelined")
        print(f"{pipelined:.0f} of 600 statements sent behind others on the one connection")


def test_a_burst_after_a_change_renders_once_per_worker():
    """The consoles of a house all refetch its board on the event of a change: of 30 such
    requests at once, one per worker asks the database to render it, the others wait for
    that render and are answered from it (after their own statement said it is current)."""
    with harness.Instance() as d:
        token = d.login()
        hid, _, beds, res = setup(d, token)
        warm((d,), token, hid)
        stream = Stream(d, token)
        time.sleep(0.3)
        stay = d.must("POST", "stays", {"resident_id": res["id"], "bed_id": beds[0]["id"],
                                        "rules_acknowledged": True}, 201, token=token)
        expect(stream.events(1), "no event of the check-in")
        stream.close()
        time.sleep(0.3)  # every worker has had the notification
        # a render slow enough for the whole burst to arrive while the first one runs
        body = d.psql("SELECT pg_get_functiondef('api.board_body'::regproc)")
        d.psql(body.replace("BEGIN\n", "BEGIN\n    PERFORM pg_sleep(0.5);\n", 1))
        before = metric(d, "abipraya_answers_rendered_total")
        got = harness.race([lambda: board(d, token, hid) for _ in range(30)])
        expect(all(not isinstance(r, Exception) for r in got), f"a request failed: {got}")
        expect(len({r.raw for r in got}) == 1, "the burst got different boards")
        shown = beds_of(got[0])[beds[0]["id"]]
        expect(shown["occupant"] and shown["occupant"]["stay_id"] == stay["id"], f"stale board: {shown}")
        rendered = metric(d, "abipraya_answers_rendered_total") - before
        expect(1 <= rendered <= 2, f"{rendered:.0f} renders for a burst of 30 (at most one per worker)")


def test_a_failing_read_fails_alone():
    """Batched reads share a transaction: one that fails must not take the others of its
    batch with it (they are retried), nor a write sent after it. A resident's view is made to
    fail in SQL for one resident: its reads get 500, every other read its own 200, every
    write its 201."""
    with harness.Instance(config={"server": {"workers": "1"}, "database": {"pool": "1"}}) as d:
        token = d.login()
        hid = d.house(token)["id"]
        residents = [d.resident(token, hid) for _ in range(12)]
        bad = residents[0]["id"]
        view = d.psql("SELECT pg_get_functiondef('api.resident_view'::regproc)")
        d.psql(view.replace("WHERE r.id = resident_view.id",
                            f"WHERE 1 / (r.id <> '{bad}')::int = 1 AND r.id = resident_view.id"))
        before = metric(d, "abipraya_db_pipelined_total")
        got = []

        def call(i, burst):
            if i % 12 == 6:  # a write among them: its own Sync, never part of a failed batch
                return i, d.request("POST", f"/api/v1/houses/{hid}/rules", token=token,
                                    json_body={"code": f"R-{burst}-{i}", "title": "Tata tertib", "severity": "minor"})
            return i, d.request("GET", f"/api/v1/residents/{residents[i % 12]['id']}", token=token)

        for burst in range(6):  # the failing read meets open batches and closed ones
            got += harness.race([lambda i=i: call(i, burst) for i in range(360)], threads=32)
        for g in got:
            expect(not isinstance(g, Exception), f"a request failed: {g}")
            i, r = g
            if i % 12 == 0:
                expect_problem(r, 500, "internal_error")
            elif i % 12 == 6:
                expect(r.status == 201, f"write {i}: {r}")
            else:
                expect(r.status == 200 and r.json["id"] == residents[i % 12]["id"], f"request {i}: {r}")
        expect(metric(d, "abipraya_db_pipelined_total") > before, "nothing was batched")


if __name__ == "__main__":
    harness.main(globals())
