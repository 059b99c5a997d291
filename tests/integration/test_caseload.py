"""The caseload (contract §15.8): GET /api/v1/caseload. One daemon, one house per test; time is
controlled with back-dated bases and interval-7 schedules (as test_alerts_reporting.py).

- test_items_order_and_counts: a caseworker's default is itself; item fields exactly (status,
  stay, basis, reporting state, counts, exit plan); the order critical_alerts desc,
  consecutive_misses desc, next_due_on asc (null last), creation order; who drops out (no stay
  and not under supervision: never checked in without a basis, checked out with a released or
  ended basis); open_alerts counts every kind (planned_exit_passed too), an acknowledgement
  lowers the counts and moves the resident.
- test_who_asks: a colleague's id (cover), a manager/admin without it sees every caseworker's
  residents and the unassigned, house_id narrows; an invisible caseworker's id or an unknown one:
  an empty page; a non-UUID id 422; another house 404; staff 403 before any lookup.
- test_paging_and_csv: pages of every limit concatenate to the whole list in its order; a bad
  cursor 422; CSV has the item fields as columns and every item."""

import csv
import datetime as dt
import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_alerts_reporting  # noqa: E402
from harness import expect, expect_problem  # noqa: E402
from test_reporting import day  # noqa: E402

ITEM_KEYS = ["resident_id", "house_id", "full_name", "register_number", "status", "stay_id", "caseworker_id",
             "legal_basis_id", "legal_basis_type", "supervision_ends_on", "under_supervision", "next_due_on",
             "consecutive_misses", "revocation_risk", "open_alerts", "critical_alerts", "exit_plan_readiness",
             "target_exit_on"]


class World(test_alerts_reporting.World):
    def __init__(self, d):
        super().__init__(d)
        self.cw1, self.t1 = self.user("caseworker", [self.house])
        self.cw2, self.t2 = self.user("caseworker", [self.house])

    def person(self, cw, start=None, btype="pembebasan_bersyarat", ends="2035-12-31", **stay):
        """A resident of caseworker CW (a user or None); with START an interval-7 schedule from
        day(START); STAY: check in (with planned_exit_on when given)."""
        r = self.d.resident(self.token, self.house, caseworker_id=cw and cw["id"])
        if btype:
            body = {"type": btype, "starts_on": "2020-01-01"}
            if btype != "released":
                body.update(decree_number="PAS-" + harness.uid(), decree_date="2020-01-01", supervision_ends_on=ends)
            self.d.must("POST", f"residents/{r['id']}/legal-bases", body, 201, token=self.token)
        if start is not None:
            self.schedule(r["id"], frequency="interval", interval_days=7, starts_on=day(start), grace_days=2)
        s = None
        if stay:
            room = self.d.room(self.token, self.house)["id"]
            bed = self.d.bed(self.token, room)["id"]
            s = self.d.must("POST", "stays", {"resident_id": r["id"], "bed_id": bed, "rules_acknowledged": True,
                                              **{k: v for k, v in stay.items() if k != "in_residence"}}, 201,
                            token=self.token)
        return r, s

    def caseload(self, token=None, q="", status=200):
        return self.d.must("GET", "caseload?limit=200" + q, token=token or self.token, status=status)["items"]


def ids(items):
    return [x["resident_id"] for x in items]


def test_items_order_and_counts(d):
    w = World(d)
    r1, s1 = w.person(w.cw1, btype=None, planned_exit_on=day(-3))   # in residence, no basis, planned exit passed
    r2, _ = w.person(w.cw1, start=-19)                                 # two misses: critical
    r3, _ = w.person(w.cw1, start=-12)                                 # one miss
    r4, _ = w.person(w.cw1, start=-3)                                  # due +3
    r5, _ = w.person(w.cw1)                                            # under supervision, no schedule
    r6, _ = w.person(w.cw1, btype=None)                                # new, no basis: out
    r7, s7 = w.person(w.cw1, in_residence=True)                        # former, under supervision
    r8, s8 = w.person(w.cw1, btype="released", in_residence=True)      # former, released: out
    r9, _ = w.person(w.cw2, start=-5)                                  # a colleague's
    r10 = w.d.resident(w.token, w.house, caseworker_id=w.cw1["id"], supervision_ends_on=day(30))
    s10 = w.check_in(r10["id"])                                        # no basis, a date on the resident
    for s in (s7, s8):
        w.d.must("POST", f"stays/{s['id']}/checkout", {"exit_reason": "completed", "destination": "family"},
                 token=w.token)
    plan = w.d.must("PUT", f"stays/{s1['id']}/exit-plan", {"target_exit_on": day(60), "destination_plan": "family"}, 201,
                    token=w.token)
    for title, status in (("Find a room", "achieved"), ("Find work", None), ("Old", "dropped")):
        g = w.d.must("POST", f"stays/{s1['id']}/exit-plan/goals", {"domain": "housing", "title": title}, 201,
                     token=w.token)
        if status:
            w.d.must("PATCH", f"goals/{g['id']}", {"status": status}, token=w.token)
    items = w.caseload(w.t1)
    expect(ids(items) == [r2["id"], r3["id"], r4["id"], r1["id"], r5["id"], r7["id"], r10["id"]], f"order: {items}")
    expect(all(set(x) == set(ITEM_KEYS) for x in items), f"fields: {items[0]}")
    by = {x["resident_id"]: x for x in items}
    b2 = w.basis(r2["id"])
    expect(by[r2["id"]] == {"resident_id": r2["id"], "house_id": w.house, "full_name": r2["full_name"],
                            "register_number": r2["register_number"], "status": "new", "stay_id": None,
                            "caseworker_id": w.cw1["id"], "legal_basis_id": b2["id"],
                            "legal_basis_type": "pembebasan_bersyarat", "supervision_ends_on": "2035-12-31",
                            "under_supervision": True, "next_due_on": day(1), "consecutive_misses": 2,
                            "revocation_risk": True, "open_alerts": 2, "critical_alerts": 1,
                            "exit_plan_readiness": None, "target_exit_on": None}, f"r2: {by[r2['id']]}")
    expect(by[r1["id"]] == {**by[r1["id"]], "status": "in_residence", "stay_id": s1["id"], "legal_basis_id": None,
                            "legal_basis_type": None, "supervision_ends_on": None, "under_supervision": False,
                            "next_due_on": None, "consecutive_misses": 0, "revocation_risk": False,
                            "open_alerts": 1, "critical_alerts": 0, "exit_plan_readiness": 0.5,
                            "target_exit_on": plan["target_exit_on"]}, f"r1: {by[r1['id']]}")
    expect((by[r3["id"]]["consecutive_misses"], by[r3["id"]]["open_alerts"], by[r3["id"]]["critical_alerts"],
            by[r3["id"]]["revocation_risk"]) == (1, 2, 0, False), f"r3: {by[r3['id']]}")
    expect((by[r4["id"]]["next_due_on"], by[r4["id"]]["open_alerts"]) == (day(3), 1), f"r4: {by[r4['id']]}")
    expect((by[r5["id"]]["next_due_on"], by[r5["id"]]["open_alerts"], by[r5["id"]]["under_supervision"]) ==
           (None, 0, True), f"r5: {by[r5['id']]}")
    expect((by[r7["id"]]["status"], by[r7["id"]]["stay_id"]) == ("former", None), f"r7: {by[r7['id']]}")
    expect((by[r10["id"]]["supervision_ends_on"], by[r10["id"]]["legal_basis_id"], by[r10["id"]]["stay_id"],
            by[r10["id"]]["under_supervision"]) == (day(30), None, s10["id"], False), f"r10: {by[r10['id']]}")
    expect(r6["id"] not in by and r8["id"] not in by and r9["id"] not in by, "dropped out or a colleague's")
    # acknowledging r2's critical alert: critical 0, open 1; still first by its misses
    key = next(a["key"] for a in w.alerts(rid=r2["id"]) if a["severity"] == "critical")
    expect(w.ack(key, token=w.t1).status == 200, "ack")
    items = w.caseload(w.t1)
    expect(ids(items)[:2] == [r2["id"], r3["id"]] and (items[0]["open_alerts"], items[0]["critical_alerts"]) ==
           (1, 0), f"after the ack: {items[:2]}")
    # a critical alert of another kind (r4 checked in, its movement overdue) puts r4 first
    room = w.d.room(w.token, w.house)["id"]
    bed = w.d.bed(w.token, room)["id"]
    s4 = w.d.must("POST", "stays", {"resident_id": r4["id"], "bed_id": bed, "rules_acknowledged": True}, 201,
                  token=w.token)
    soon = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    m = w.d.must("POST", f"stays/{s4['id']}/movements", {"purpose": "work", "expected_back_at": soon}, 201,
                 token=w.token)
    w.d.psql(f"UPDATE app.movements SET expected_back_at = now() - interval '5 hours' WHERE id = '{m['id']}'")
    items = w.caseload(w.t1)
    expect(items[0]["resident_id"] == r4["id"] and (items[0]["critical_alerts"], items[0]["open_alerts"],
                                                    items[0]["stay_id"], items[0]["status"]) ==
           (1, 2, s4["id"], "in_residence"), f"movement_overdue counts: {items[0]}")
    # supervision ends (revoked today): r3 drops out (not in residence)
    w.d.must("POST", f"legal-bases/{w.basis(r3['id'])['id']}/revoke", {"revoked_on": day(0), "reason": "pencabutan"},
             token=w.token)
    expect(r3["id"] not in ids(w.caseload(w.t1)), "revoked and not in residence: out")


def test_who_asks(d):
    w = World(d)
    a, _ = w.person(w.cw1, start=-3)
    b, _ = w.person(w.cw2, start=-12)
    c, _ = w.person(None, start=-19)
    other = d.house(w.token)["id"]
    _, cw_other = w.user("caseworker", [other])
    o = d.resident(w.token, other)
    d.must("POST", f"residents/{o['id']}/legal-bases", {"type": "pembebasan_bersyarat", "starts_on": "2020-01-01",
                                                        "decree_number": "PAS-" + harness.uid(),
                                                        "decree_date": "2020-01-01",
                                                        "supervision_ends_on": "2035-12-31"}, 201, token=w.token)
    _, mgr = w.user("manager", [w.house])
    _, staff = w.user("staff", [w.house])
    expect(ids(w.caseload(w.t1)) == [a["id"]], "cw1 by default")
    expect(ids(w.caseload(w.t2)) == [b["id"]], "cw2 by default")
    expect(ids(w.caseload(w.t1, f"&caseworker_id={w.cw2['id']}")) == [b["id"]], "cover for a colleague")
    expect(ids(w.caseload(mgr)) == [c["id"], b["id"], a["id"]], "manager: everyone, the unassigned too")
    expect(ids(w.caseload(mgr, f"&caseworker_id={w.cw1['id']}")) == [a["id"]], "manager names one")
    expect(ids(w.caseload(w.token, f"&house_id={w.house}")) == [c["id"], b["id"], a["id"]], "admin, one house")
    expect(o["id"] in ids(w.caseload(w.token)), "admin, every house")
    expect(o["id"] not in ids(w.caseload(mgr)), "a manager's houses only")
    cwo = d.must("GET", "me", token=cw_other)
    expect(w.caseload(w.t1, f"&caseworker_id={cwo['id']}") == [], "an invisible caseworker: empty")
    # a caseworker moved to another house: its old residents still name it, but it is not visible
    gone, _ = w.user("caseworker", [w.house])
    g, _ = w.person(gone, start=-3)
    expect(ids(w.caseload(mgr, f"&caseworker_id={gone['id']}")) == [g["id"]], "before the move")
    d.psql(f"UPDATE app.users SET house_ids = ARRAY['{other}'::uuid] WHERE id = '{gone['id']}'")
    expect(w.caseload(mgr, f"&caseworker_id={gone['id']}") == [], "no longer a visible caseworker")
    expect(g["id"] in ids(w.caseload(mgr)), "still listed without the filter")
    expect(g["id"] in ids(w.caseload(w.token, f"&caseworker_id={gone['id']}")), "admin sees every caseworker")
    expect(w.caseload(mgr, "&caseworker_id=00000000-0000-4000-8000-000000000000") == [], "unknown: empty")
    expect(w.caseload(cw_other) == [], "the other house's caseworker has none")
    r = d.request("GET", "/api/v1/caseload?caseworker_id=nope", token=w.t1)
    expect_problem(r, 422, "validation_failed")
    expect(r.json["errors"][0]["field"] == "caseworker_id", f"{r.json}")
    expect_problem(d.request("GET", f"/api/v1/caseload?house_id={other}", token=w.t1), 404, "not_found")
    expect_problem(d.request("GET", "/api/v1/caseload?house_id=00000000-0000-4000-8000-000000000000",
                             token=mgr), 404, "not_found")
    for q in ("", f"?house_id={other}", "?caseworker_id=nope"):
        expect_problem(d.request("GET", "/api/v1/caseload" + q, token=staff), 403, "forbidden")


def test_paging_and_csv(d):
    w = World(d)
    made = [w.person(w.cw1, start=s)[0]["id"] for s in (-3, -12, -19, -5, -26, -1, -12, -19)]
    made.append(w.person(w.cw1)[0]["id"])
    whole = w.caseload(w.t1)
    expect(sorted(ids(whole)) == sorted(made), f"all of them: {whole}")
    keyed = [(-x["critical_alerts"], -x["consecutive_misses"], x["next_due_on"] or "9999") for x in whole]
    expect(keyed == sorted(keyed), f"the order: {keyed}")
    seq = {rid: i for i, rid in enumerate(made)}
    for i in range(len(whole) - 1):
        if keyed[i] == keyed[i + 1]:
            expect(seq[whole[i]["resident_id"]] < seq[whole[i + 1]["resident_id"]], "creation order last")
    for lim in (1, 2, 4, 9):
        got, cursor, pages = [], None, 0
        while True:
            page = d.must("GET", f"caseload?limit={lim}" + (f"&cursor={cursor}" if cursor else ""), token=w.t1)
            got += page["items"]
            pages += 1
            cursor = page["next_cursor"]
            expect(len(page["items"]) <= lim, "page size")
            if not cursor:
                break
        expect(got == whole, f"limit {lim}: pages differ from the whole list")
        expect(pages == -(-len(whole) // lim), f"limit {lim}: {pages} pages")
    import base64
    forged = base64.urlsafe_b64encode(b"k:0:0:2026-13-45:1").decode().rstrip("=")
    for bad in ("nope", "YzE6MTI", "azox", forged):
        expect_problem(d.request("GET", f"/api/v1/caseload?cursor={bad}", token=w.t1), 422, "validation_failed")
    r = d.request("GET", "/api/v1/caseload", token=w.t1, headers={"Accept": "text/csv"})
    expect(r.status == 200 and r.header("content-type", "").startswith("text/csv"), f"{r}")
    rows = list(csv.reader(io.StringIO(r.text)))
    expect(rows[0] == ITEM_KEYS, f"CSV columns: {rows[0]}")
    expect([row[0] for row in rows[1:]] == ids(whole), "CSV rows in the list's order")
    first = dict(zip(rows[0], rows[1]))
    expect(first["consecutive_misses"] == str(whole[0]["consecutive_misses"])
           and first["full_name"] == whole[0]["full_name"], f"CSV values: {first}")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
