"""The capacity forecast (contract §17.10, roles §17.1). One daemon; each test its own house.

- test_roles_and_days: staff 403 (before any lookup: another house too), partner 404, a
  caseworker of the house 200, a manager of another house 404; days 0, 367, "x" -> 422 `days`;
  default 90 dates from today; days=1.
- test_stays_occupy_until_their_expected_exit: the exit plan's target wins over planned_exit_on;
  an E before today counts as today; no E occupies every date; exits counted on E; beds_total and
  beds_out_of_service are the beds now; expected_free = total - out of service - occupied; the
  `stays` list in check-in order with its keys.
- test_legal_dates: a supervision end before E makes the stay leave then under
  expected_occupied_legal (and flags supervision_ends_before_exit), counted in supervision_ends on
  its date; no E with a supervision end: flagged too, leaves then; a supervision end after E
  changes nothing.
- test_referral_arrivals: an accepted referral arrives on max(expected_arrival_on, today) and
  occupies from then (its supervision end, the referral's expectation until a resident carries
  one, ends it under the legal figure); a pending one only counts in pending_arrivals; declined
  ones not at all; `incoming` by arrival date with kind, status and name.
- test_csv: one row per date, the item columns in order."""

import csv
import datetime as dt
import io
import os
import sys
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem  # noqa: E402

ITEM = ["date", "beds_total", "beds_out_of_service", "expected_occupied", "expected_free", "expected_occupied_legal",
        "exits", "arrivals", "pending_arrivals", "supervision_ends"]


def today(h):
    return dt.datetime.now(zoneinfo.ZoneInfo(h["timezone"])).date()


class House:
    """A house with beds, and residents checked in on demand."""

    def __init__(self, d, beds=4, out_of_service=0):
        self.d, self.t = d, d.login()
        self.h = d.house(self.t)
        self.today = today(self.h)
        room = d.room(self.t, self.h["id"])
        self.beds = [d.bed(self.t, room["id"])["id"] for _ in range(beds)]
        for b in self.beds[:out_of_service]:
            d.must("PATCH", f"beds/{b}", {"status": "out_of_service", "status_reason": "rusak"},
                   token=self.t, headers={"If-Match": '"1"'})
        self.free = self.beds[out_of_service:]

    def day(self, n):
        return (self.today + dt.timedelta(days=n)).isoformat()

    def stay(self, planned=None, target=None, sup=None):
        r = self.d.resident(self.t, self.h["id"], **({"supervision_ends_on": self.day(sup)} if sup is not None else {}))
        body = {"resident_id": r["id"], "bed_id": self.free.pop(), "rules_acknowledged": True}
        if planned is not None and planned >= 0:
            body["planned_exit_on"] = self.day(planned)
        s = self.d.must("POST", "stays", body, 201, token=self.t)
        if planned is not None and planned < 0:   # a date already passed: the API refuses to set one
            self.d.psql(f"UPDATE app.stays SET planned_exit_on = '{self.day(planned)}' WHERE id = '{s['id']}'")
        if target is not None:
            self.d.must("PUT", f"stays/{s['id']}/exit-plan", {"target_exit_on": self.day(target),
                                                               "destination_plan": "family"}, 201, token=self.t)
        return s

    def forecast(self, days=None, token=None):
        q = f"?days={days}" if days is not None else ""
        return self.d.must("GET", f"houses/{self.h['id']}/forecast{q}", token=token or self.t)


def test_roles_and_days(d):
    w, other = House(d), House(d)
    _, staff = d.user(w.t, "staff", [w.h["id"]])
    _, cw = d.user(w.t, "caseworker", [w.h["id"]])
    _, mgr_other = d.user(w.t, "manager", [other.h["id"]])
    for hid in (w.h["id"], other.h["id"]):
        expect_problem(d.request("GET", f"/api/v1/houses/{hid}/forecast", token=staff), 403, "forbidden")
    expect_problem(d.request("GET", f"/api/v1/houses/{w.h['id']}/forecast", token=mgr_other), 404, "not_found")
    got = w.forecast(token=cw)
    expect(set(got) == {"house_id", "from", "days", "items", "stays", "incoming"}, f"keys: {sorted(got)}")
    expect(got["from"] == w.today.isoformat() and got["days"] == 90 and len(got["items"]) == 90, "default 90")
    expect([i["date"] for i in got["items"]] == [w.day(n) for n in range(90)], "one item per date from today")
    expect(set(got["items"][0]) == set(ITEM), f"item keys: {sorted(got['items'][0])}")
    expect(len(w.forecast(days=1)["items"]) == 1 and len(w.forecast(days=366)["items"]) == 366, "1 and 366")
    for bad in ("0", "367", "x", "-1"):
        r = d.request("GET", f"/api/v1/houses/{w.h['id']}/forecast?days={bad}", token=w.t)
        expect_problem(r, 422, "validation_failed")
        expect([e["field"] for e in r.json["errors"]] == ["days"], f"days={bad}: {r.json['errors']}")


def test_stays_occupy_until_their_expected_exit(d):
    w = House(d, beds=6, out_of_service=1)
    a = w.stay(planned=5)               # leaves on day 5
    b = w.stay(planned=3, target=10)    # the plan wins: day 10
    c = w.stay()                        # never
    e = w.stay(planned=-3)              # passed: counts as today
    got = w.forecast(days=20)
    items = got["items"]
    occ = [i["expected_occupied"] for i in items]
    want = [sum(1 for leave in (5, 10, None, 0) if leave is None or n < leave) for n in range(20)]
    expect(occ == want, f"occupied {occ} != {want}")
    expect([i["exits"] for i in items][:11] == [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], f"exits {[i['exits'] for i in items]}")
    expect(all(i["beds_total"] == 6 and i["beds_out_of_service"] == 1 for i in items), "beds now")
    expect(all(i["expected_free"] == 5 - i["expected_occupied"] for i in items), "free")
    expect(all(i["arrivals"] == 0 and i["pending_arrivals"] == 0 for i in items), "no arrivals")
    stays = got["stays"]
    expect([s["stay_id"] for s in stays] == [a["id"], b["id"], c["id"], e["id"]], "check-in order")
    by = {s["stay_id"]: s for s in stays}
    expect(by[a["id"]]["expected_exit_on"] == w.day(5) and by[a["id"]]["exit_source"] == "planned_exit", f"{by[a['id']]}")
    expect(by[b["id"]]["expected_exit_on"] == w.day(10) and by[b["id"]]["exit_source"] == "exit_plan", f"{by[b['id']]}")
    expect(by[c["id"]]["expected_exit_on"] is None and by[c["id"]]["exit_source"] is None, f"{by[c['id']]}")
    expect(by[e["id"]]["expected_exit_on"] == w.day(-3), f"the raw date: {by[e['id']]}")
    expect(set(stays[0]) == {"stay_id", "resident_id", "full_name", "bed_id", "expected_exit_on", "exit_source",
                             "supervision_ends_on", "supervision_ends_before_exit"}, f"keys {sorted(stays[0])}")
    expect(by[a["id"]]["bed_id"] in w.beds and by[a["id"]]["full_name"].startswith("Klien"), f"{by[a['id']]}")


def test_legal_dates(d):
    w = House(d)
    early = w.stay(planned=10, sup=4)   # legal basis ends before the exit: leaves on day 4
    open_ = w.stay(sup=6)               # no E: leaves on day 6 under the legal figure
    late = w.stay(planned=3, sup=8)     # ends after E: nothing changes
    got = w.forecast(days=12)
    items = got["items"]
    legal = [i["expected_occupied_legal"] for i in items]
    want = [sum(1 for leave in (4, 6, 3) if n < leave) for n in range(12)]
    expect(legal == want, f"legal {legal} != {want}")
    occ = [i["expected_occupied"] for i in items]
    expect(occ == [sum(1 for leave in (10, None, 3) if leave is None or n < leave) for n in range(12)], f"occ {occ}")
    ends = [i["supervision_ends"] for i in items]
    expect([n for n, c in enumerate(ends) if c] == [4, 6, 8] and max(ends) == 1, f"supervision_ends {ends}")
    by = {s["stay_id"]: s for s in got["stays"]}
    expect(by[early["id"]]["supervision_ends_before_exit"] is True, "before E")
    expect(by[open_["id"]]["supervision_ends_before_exit"] is True, "no E")
    expect(by[late["id"]]["supervision_ends_before_exit"] is False, "after E")
    expect(by[early["id"]]["supervision_ends_on"] == w.day(4), f"{by[early['id']]}")


def referral(w, arrival, sup=None, accept=True):
    body = {"house_id": w.h["id"], "full_name": "Rujukan " + harness.uid(), "register_number": "LP-" + harness.uid(),
            "sex": "male", "from_institution": "Lapas Kelas IIA Jambi", "expected_legal_basis": "pembebasan_bersyarat",
            "expected_arrival_on": w.day(arrival)}
    if sup is not None:
        body["expected_supervision_ends_on"] = w.day(sup)
    f = w.d.must("POST", "referrals", body, 201, token=w.t)
    if accept:
        f = w.d.must("POST", f"referrals/{f['id']}/accept", {}, token=w.t)
    return f


def test_referral_arrivals(d):
    w = House(d)
    w.stay(planned=4)
    soon = referral(w, 3, sup=7)
    late = referral(w, -2)                  # overdue: expected today
    pending = referral(w, 2, accept=False)
    gone = referral(w, 1, accept=False)
    d.must("POST", f"referrals/{gone['id']}/decline", {"reason": "penuh"}, token=w.t)
    got = w.forecast(days=10)
    items = got["items"]
    expect([i["arrivals"] for i in items][:4] == [1, 0, 0, 1], f"arrivals {[i['arrivals'] for i in items]}")
    expect([i["pending_arrivals"] for i in items][:3] == [0, 0, 1], f"pending {[i['pending_arrivals'] for i in items]}")
    occ = [i["expected_occupied"] for i in items]
    expect(occ == [int(n < 4) + 1 + int(n >= 3) for n in range(10)], f"occupied {occ}")
    legal = [i["expected_occupied_legal"] for i in items]
    expect(legal == [int(n < 4) + 1 + int(3 <= n < 7) for n in range(10)], f"legal {legal}")
    inc = got["incoming"]
    expect([(x["referral_id"], x["arrival_on"], x["status"], x["kind"]) for x in inc] ==
           [(late["id"], w.day(0), "accepted", "referral"), (pending["id"], w.day(2), "pending", "referral"),
            (soon["id"], w.day(3), "accepted", "referral")], f"incoming {inc}")
    expect(inc[0]["resident_id"] == late["resident_id"] and inc[0]["full_name"] == late["full_name"]
           and inc[0]["hold_id"] is None, f"{inc[0]}")
    expect(inc[1]["resident_id"] is None, f"a pending referral has no resident: {inc[1]}")


def test_csv(d):
    w = House(d)
    w.stay(planned=2)
    r = d.request("GET", f"/api/v1/houses/{w.h['id']}/forecast?days=5", headers={"Accept": "text/csv"}, token=w.t)
    expect(r.status == 200 and r.header("content-type").startswith("text/csv"), f"{r}")
    rows = list(csv.reader(io.StringIO(r.text)))
    expect(rows[0] == ITEM and len(rows) == 6, f"rows: {rows}")
    expect([row[3] for row in rows[1:]] == ["1", "1", "0", "0", "0"], f"occupied column: {rows}")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
