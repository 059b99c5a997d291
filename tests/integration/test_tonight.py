"""`tonight` (contract §17.9): the night shift's one request. One daemon; each test its house.

- test_everything_the_night_needs: counts (in residence, in the house, out, overdue, arriving
  today, the beds by the board's five states), the open roll-call and the last closed one with
  their totals, who is out by expected_back_at, the arrivals held from today or before, the last
  24 hours' notes newest first, the house's critical alerts (acknowledged too) — and nothing of
  another house.
- test_roles: every house role 200 (staff sees only the kinds staff see); a user of another house
  and a partner 404.
- test_empty_house: nulls and empty lists, every bed free."""

import datetime as dt
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem  # noqa: E402

KEYS = {"house_id", "date", "curfew", "counts", "open_roll_call", "last_roll_call", "out", "arrivals",
        "handover_notes", "alerts"}
COUNTS = {"in_residence", "in_house", "out", "overdue", "arriving_today", "beds_total", "beds_occupied", "beds_free",
          "beds_held", "beds_turnover", "beds_out_of_service"}


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class House:
    def __init__(self, d, beds):
        self.d, self.t = d, d.login()
        self.h = d.house(self.t, absconding_grace_minutes=0)
        room = d.room(self.t, self.h["id"])
        self.beds = [d.bed(self.t, room["id"])["id"] for _ in range(beds)]

    def check_in(self, bed):
        r = self.d.resident(self.t, self.h["id"])
        s = self.d.must("POST", "stays", {"resident_id": r["id"], "bed_id": bed, "rules_acknowledged": True}, 201,
                        token=self.t)
        return r, s

    def out(self, stay, hours):
        now = dt.datetime.now(dt.timezone.utc)
        m = self.d.must("POST", f"stays/{stay['id']}/movements",
                        {"purpose": "work", "expected_back_at": iso(now + dt.timedelta(hours=abs(hours)))}, 201,
                        token=self.t)
        if hours < 0:   # overdue: the API takes no return time in the past
            self.d.psql(f"UPDATE app.movements SET expected_back_at = now() - interval '{-hours} hours' "
                        f"WHERE id = '{m['id']}'")
        return m

    def tonight(self, token=None):
        return self.d.must("GET", f"houses/{self.h['id']}/tonight", token=token or self.t)


def test_everything_the_night_needs(d):
    w = House(d, 7)
    a, sa = w.check_in(w.beds[0])
    b, sb = w.check_in(w.beds[1])
    c, sc = w.check_in(w.beds[2])
    mb = w.out(sb, 3)
    mc = w.out(sc, -2)
    d.must("PATCH", f"beds/{w.beds[3]}", {"status": "out_of_service", "status_reason": "rusak"}, token=w.t,
           headers={"If-Match": '"1"'})
    held = d.resident(w.t, w.h["id"])
    now = dt.datetime.now(dt.timezone.utc)
    hold = d.must("POST", f"beds/{w.beds[4]}/holds", {"resident_id": held["id"], "until": iso(now + dt.timedelta(days=1))},
                  201, token=w.t)
    house = d.must("GET", f"houses/{w.h['id']}", token=w.t)
    d.must("PATCH", f"houses/{w.h['id']}", {"turnover_minutes": 120}, token=w.t,
           headers={"If-Match": f'"{house["version"]}"'})
    e, se = w.check_in(w.beds[5])
    d.must("POST", f"stays/{se['id']}/checkout", {"exit_reason": "completed", "destination": "family"}, token=w.t)
    first = d.must("POST", f"houses/{w.h['id']}/roll-calls", {"kind": "evening"}, 201, token=w.t)
    d.must("POST", f"roll-calls/{first['id']}/marks", {"marks": [{"resident_id": a["id"], "status": "present"}]},
           token=w.t)
    d.must("POST", f"roll-calls/{first['id']}/close", {}, token=w.t)
    second = d.must("POST", f"houses/{w.h['id']}/roll-calls", {"kind": "night"}, 201, token=w.t)
    n1 = d.must("POST", f"houses/{w.h['id']}/handover-notes", {"shift": "afternoon", "note": "Pertama"}, 201, token=w.t)
    n2 = d.must("POST", f"houses/{w.h['id']}/handover-notes", {"shift": "night", "note": "Kedua"}, 201, token=w.t)
    other = House(d, 1)          # another house's people and notes are not tonight's
    _, so = other.check_in(other.beds[0])
    other.out(so, -2)

    got = w.tonight()
    expect(set(got) == KEYS and set(got["counts"]) == COUNTS, f"keys: {sorted(got)} {sorted(got['counts'])}")
    expect(got["house_id"] == w.h["id"] and got["curfew"] == w.h["curfew"], f"{got['house_id']} {got['curfew']}")
    want = {"in_residence": 3, "in_house": 1, "out": 2, "overdue": 1, "arriving_today": 1, "beds_total": 7,
            "beds_occupied": 3, "beds_free": 1, "beds_held": 1, "beds_turnover": 1, "beds_out_of_service": 1}
    expect(got["counts"] == want, f"counts {got['counts']} != {want}")
    expect(got["open_roll_call"]["id"] == second["id"] and got["open_roll_call"]["kind"] == "night", f"{got['open_roll_call']}")
    expect(got["open_roll_call"]["totals"] == {"present": 0, "absent": 0, "out": 2, "excused": 0, "unmarked": 1},
           f"open totals {got['open_roll_call']['totals']}")
    last = got["last_roll_call"]
    expect(last["id"] == first["id"] and last["closed_at"] and last["totals"]["present"] == 1
           and last["totals"]["out"] == 2, f"last {last}")
    expect([o["movement_id"] for o in got["out"]] == [mc["id"], mb["id"]], f"by expected_back_at: {got['out']}")
    expect(got["out"][0]["overdue"] is True and got["out"][1]["overdue"] is False, f"{got['out']}")
    expect(got["out"][0]["full_name"] == c["full_name"] and got["out"][0]["stay_id"] == sc["id"], f"{got['out'][0]}")
    arr = got["arrivals"]
    expect(len(arr) == 1 and arr[0]["hold_id"] == hold["id"] and arr[0]["resident_id"] == held["id"]
           and arr[0]["full_name"] == held["full_name"] and arr[0]["bed_id"] == w.beds[4] and arr[0]["room_code"]
           and arr[0]["bed_label"] and arr[0]["referral_id"] is None, f"arrivals {arr}")
    expect([n["id"] for n in got["handover_notes"]] == [n2["id"], n1["id"]], "notes newest first")
    keys = [x["key"] for x in got["alerts"]]
    expect(f"movement_overdue:{mc['id']}" in keys and all(x["severity"] == "critical" for x in got["alerts"]),
           f"alerts {got['alerts']}")
    expect(all(x["house_id"] == w.h["id"] for x in got["alerts"]), "another house's alert")
    d.must("POST", "alerts/acknowledge", {"key": f"movement_overdue:{mc['id']}", "note": "ditelepon"}, token=w.t)
    acked = [x for x in w.tonight()["alerts"] if x["key"] == f"movement_overdue:{mc['id']}"]
    expect(len(acked) == 1 and acked[0]["acknowledged_at"] and acked[0]["note"] == "ditelepon", f"acknowledged ones stay: {acked}")


def test_roles(d):
    w = House(d, 2)
    _, s = w.check_in(w.beds[0])
    w.out(s, -1)
    for role in ("manager", "caseworker", "staff"):
        _, tok = d.user(w.t, role, [w.h["id"]])
        got = w.tonight(token=tok)
        expect(got["counts"]["overdue"] == 1 and len(got["alerts"]) == 1, f"{role}: {got['counts']} {got['alerts']}")
    other = House(d, 1)
    _, stranger = d.user(w.t, "staff", [other.h["id"]])
    expect_problem(d.request("GET", f"/api/v1/houses/{w.h['id']}/tonight", token=stranger), 404, "not_found")


def test_empty_house(d):
    w = House(d, 3)
    got = w.tonight()
    expect(got["open_roll_call"] is None and got["last_roll_call"] is None, f"{got}")
    expect(got["out"] == [] and got["arrivals"] == [] and got["handover_notes"] == [] and got["alerts"] == [], f"{got}")
    expect(got["counts"]["beds_free"] == 3 and got["counts"]["in_residence"] == 0, f"{got['counts']}")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
