"""The programme report (contract §16.9) with §16.1's roles and §16.3's small-cell
suppression. One daemon; each test builds its own house (and partner), so the figures are
exactly those of its world.

- test_metrics: an admin's report of one house over 2026-02-01..today: a draft programme
  and one that ended before `from` are left out; sessions held in the period (one at 00:30
  house time on 2026-02-01, i.e. 2026-01-31 in UTC) count, a held session before `from` and
  a scheduled one do not; participants (present/late, distinct), attendance_rate
  (excused left out), person-hours (late: the whole session by default), completions and certificates by their own dates; by_kind
  and totals (a resident in two programmes counted once); businesses by their stage on `to`
  (a later entry and a business whose history starts after `to` are not counted; all eight
  keys); exits: a stay closed today whose resident's business is registered; every
  "suppressed" false; CSV one row per programme with the listed columns.
- test_partner_suppression: a partner user's report: programmes of 3 and 7 participants
  of one kind and one of 5 of another: the 3's participants, attendance_rate and
  hours_delivered null with "suppressed": true, the kind's and totals' participants null too
  (subtraction), the 5's kind entry shown; sessions_held shown; zero counts shown; one
  business -> null (a business of a resident seated only in the house's own programme is not
  the partner's); one exit -> null, with_business 0 shown; top-level suppressed; partner_id
  is its own; CSV with empty cells; an admin's report with that partner_id shows every number,
  suppressed false, and without it the house's own programme, business and exit.
- test_exit_bounds: exits count the stays checked out on the period's local days: at 00:00
  house time on `from`, at 23:59:59 on `to`, an empty stay (in and out at one instant)
  inside; not at 00:00 after `to`, nor on the day before `from`.
- test_refusals: from/to missing, not a date, to before from, 3661 days -> 422 (3660 shown);
  caseworker and staff 403; a manager's other house 404; an unknown partner_id 404; a
  partner user: another partner_id 404, a house its partner does not work with 404."""

import datetime as dt
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem  # noqa: E402
from test_attendance import Sheet  # noqa: E402

STAGES = ["idea", "business_plan", "trained", "registered", "funded", "operating", "paused", "closed"]
METRICS = {"participants", "sessions_held", "attendance_rate", "hours_delivered", "completions", "certificates",
           "suppressed"}
CSV_HEAD = ("programme_id,title,kind,house_id,partner_id,status,participants,sessions_held,attendance_rate,"
            "hours_delivered,completions,certificates,suppressed")
NOBODY = "00000000-0000-4000-8000-000000000000"

class Report(Sheet):
    def report(self, query, token=None, **kw):
        return self.d.request("GET", "/api/v1/reports/programme?" + query, token=token or self.token, **kw)

    def held(self, pid, statuses, at):
        """A session at `at` held with the sheet {enrolment_id: status} (recording holds it)."""
        s = self.session(pid, at=at)
        self.record(s["id"], statuses)
        return s

    def business(self, rid, house, history):
        """A business with its stage history [(stage, date)], written as the API keeps it."""
        last = history[-1]
        bid = self.d.psql(f"INSERT INTO app.businesses (resident_id, house_id, name, sector, stage, stage_since) "
                          f"VALUES ('{rid}', '{house}', 'Warung', 'food_beverage', '{last[0]}', '{last[1]}') "
                          f"RETURNING id").strip().splitlines()[0]
        for stage, on in history:
            capital = ", 'grant', 1000000" if stage == "funded" else ", NULL, NULL"
            self.d.psql(f"INSERT INTO app.business_stages (business_id, stage, \"on\", capital_source, amount_idr) "
                        f"VALUES ('{bid}', '{stage}', '{on}'{capital})")

    def stay_closed(self, rid, house, checked_in_at=None, checked_out_at=None):
        """A stay checked in (two days ago by default) and checked out (now by default)."""
        room = self.d.room(self.token, house)
        bed = self.d.bed(self.token, room["id"])
        now = dt.datetime.now(dt.timezone.utc)
        cin = checked_in_at or (now - dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        stay = self.d.must("POST", "stays", {"resident_id": rid, "bed_id": bed["id"], "rules_acknowledged": True,
                                             "checked_in_at": cin}, 201, token=self.token)
        out = {"checked_out_at": checked_out_at} if checked_out_at else {}
        self.d.must("POST", f"stays/{stay['id']}/checkout", {"exit_reason": "completed", "destination": "family", **out},
                    token=self.token)


def world(d):
    return harness.world_of(d, Report)


def csv_rows(r, head=CSV_HEAD):
    """The cells of a CSV answer's rows, after checking its type, header line HEAD and CRLFs."""
    expect(r.status == 200 and r.header("Content-Type", "").startswith("text/csv"), f"csv: {r} {r.headers}")
    lines = r.raw.decode().split("\r\n")
    expect(lines[0] == head and lines[-1] == "", f"csv head: {lines[:1]}")
    return [line.split(",") for line in lines[1:-1]]


def test_metrics(d):
    w = world(d)
    w.a = h = d.house(w.token)["id"]  # the world's helpers create in w.a: a house of this test only
    today = d.psql(f"SELECT api.today('{h}')").strip()
    p1 = w.programme(certificate=True)
    p2 = w.programme(kind="education")
    w.programme(status="draft")
    gone = w.programme(ends_on="2026-01-25")
    r1, r2, r3, r4, r5 = (w.resident() for _ in range(5))
    e1, e2, e3, e4 = (w.enrolled(p1["id"], r)["id"] for r in (r1, r2, r3, r4))
    f1, f5 = (w.enrolled(p2["id"], r)["id"] for r in (r1, r5))
    g1 = w.enrolled(gone["id"], r5)["id"]
    w.held(p1["id"], {e1: "present", e2: "late", e3: "absent", e4: "excused"}, "2026-02-02T09:00:00+07:00")
    # 2026-02-01 in the house, 2026-01-31 in UTC: in the period
    w.held(p1["id"], {e3: "present", e1: "absent", e2: "excused", e4: "excused"},
           "2026-02-01T00:30:00+07:00")
    w.held(p1["id"], {e3: "present", e4: "present", e1: "excused", e2: "excused"},
           "2026-01-20T09:00:00+07:00")  # before from
    w.session(p1["id"], at="2026-02-05T09:00:00+07:00")  # scheduled, not held
    w.held(p2["id"], {f1: "present", f5: "present"}, "2026-02-04T09:00:00+07:00")
    w.held(gone["id"], {g1: "present"}, "2026-01-21T09:00:00+07:00")
    over = {"override_reason": "Dinilai langsung oleh pengelola"}
    d.must("POST", f"enrolments/{e1}/complete", {"completed_on": "2026-02-10"}, token=w.token)
    d.must("POST", f"enrolments/{e2}/complete", {"completed_on": "2026-01-30", "certificate_issued_on": "2026-02-03"},
           token=w.token)
    d.must("POST", f"enrolments/{e4}/complete", {"completed_on": "2026-01-28", **over}, token=w.token)
    # businesses: r1 registered on `to` (funded only after it), r5 an idea, r2's starts after `to`
    w.business(r1, h, [("idea", "2026-01-10"), ("registered", "2026-02-15"), ("funded", "2099-01-01")])
    w.business(r5, h, [("idea", "2026-01-01")])
    w.business(r2, h, [("idea", "2099-01-01")])
    w.stay_closed(r1, h)
    q = f"house_id={h}&from=2026-02-01&to={today}"
    r = w.report(q)
    expect(r.status == 200, f"report: {r}")
    a = r.json
    expect(set(a) == {"house_id", "partner_id", "from", "to", "suppressed", "totals", "by_kind", "programmes",
                      "businesses", "exits"}, f"keys {sorted(a)}")
    expect((a["house_id"], a["partner_id"], a["from"], a["to"], a["suppressed"]) == (h, None, "2026-02-01", today, False),
           f"{a}")
    expect([x["programme_id"] for x in a["programmes"]] == [p1["id"], p2["id"]], f"programmes {a['programmes']}")
    x1, x2 = a["programmes"]
    expect((x1["title"], x1["kind"], x1["house_id"], x1["partner_id"], x1["status"])
           == (p1["title"], "skills_training", h, None, "open"), f"{x1}")
    got = {k: x1[k] for k in METRICS}
    expect(got == {"participants": 3, "sessions_held": 2, "attendance_rate": 0.6, "hours_delivered": 4.5,
                   "completions": 1, "certificates": 2, "suppressed": False}, f"p1 {got}")
    got = {k: x2[k] for k in METRICS}
    expect(got == {"participants": 2, "sessions_held": 1, "attendance_rate": 1, "hours_delivered": 3,
                   "completions": 0, "certificates": 0, "suppressed": False}, f"p2 {got}")
    expect(a["by_kind"] == {"skills_training": got | {k: x1[k] for k in METRICS}, "education": got}, f"{a['by_kind']}")
    t = a["totals"]
    expect(set(t) == METRICS and (t["participants"], t["sessions_held"], t["hours_delivered"], t["completions"],
                                  t["certificates"], t["suppressed"]) == (4, 3, 7.5, 1, 2, False), f"totals {t}")
    expect(abs(t["attendance_rate"] - 5 / 7) < 1e-9, f"rate {t}")
    stages = dict.fromkeys(STAGES, 0) | {"idea": 1, "registered": 1}
    expect(a["businesses"] == {"by_stage": stages, "suppressed": False}, f"{a['businesses']}")
    expect(a["exits"] == {"stays_closed": 1, "with_business": 1, "suppressed": False}, f"{a['exits']}")
    # before the registration the same business was an idea, and the exit had no business
    early = w.report(f"house_id={h}&from=2026-02-01&to=2026-02-14").json
    expect(early["businesses"]["by_stage"] == dict.fromkeys(STAGES, 0) | {"idea": 2}, f"{early['businesses']}")
    expect(early["exits"]["stays_closed"] == 0, f"{early['exits']}")
    rows = csv_rows(w.report(q, headers={"Accept": "text/csv"}))
    expect(rows == [[p1["id"], p1["title"], "skills_training", h, "", "open", "3", "2", "0.6", "4.5", "1", "2", "false"],
                    [p2["id"], p2["title"], "education", h, "", "open", "2", "1", "1", "3", "0", "0", "false"]],
           f"csv {rows}")


def test_partner_suppression(d):
    w = world(d)
    w.a = h = d.house(w.token)["id"]
    today = d.psql(f"SELECT api.today('{h}')").strip()
    pa = w.partner([h])
    pt = w.user("partner", partner_id=pa["id"])
    progs = []
    for kind, n in [("skills_training", 3), ("skills_training", 7), ("education", 5)]:
        p = w.programme(kind=kind, partner_id=pa["id"])
        eids = [w.enrolled(p["id"], w.resident())["id"] for _ in range(n)]
        w.held(p["id"], dict.fromkeys(eids, "present"), "2026-02-02T09:00:00+07:00")
        progs.append((p, eids))
    own = w.programme(kind="health")  # the house's own programme: not the partner's
    w.business(w.enrolled(own["id"], w.resident())["resident_id"], h, [("idea", "2026-01-10")])
    seated = d.psql(f"SELECT resident_id FROM app.enrolments WHERE id = '{progs[0][1][0]}'").strip()
    w.business(seated, h, [("idea", "2026-01-10")])
    w.stay_closed(seated, h)
    q = f"from=2026-02-01&to={today}"
    r = w.report(q, token=pt)
    expect(r.status == 200, f"partner report: {r}")
    a = r.json
    expect((a["partner_id"], a["house_id"], a["suppressed"]) == (pa["id"], None, True), f"{a}")
    x3, x7, x5 = a["programmes"]
    expect([x["programme_id"] for x in a["programmes"]] == [p["id"] for p, _ in progs], f"{a['programmes']}")
    expect({k: x3[k] for k in METRICS} == {"participants": None, "sessions_held": 1, "attendance_rate": None,
                                           "hours_delivered": None, "completions": 0, "certificates": 0,
                                           "suppressed": True}, f"3 {x3}")
    expect((x7["participants"], x7["hours_delivered"], x7["attendance_rate"], x7["suppressed"]) == (7, 10.5, 1, False),
           f"7 {x7}")
    expect((x5["participants"], x5["suppressed"]) == (5, False), f"5 {x5}")
    skills, edu, t = a["by_kind"]["skills_training"], a["by_kind"]["education"], a["totals"]
    # 10 participants of the kind and 15 in total would give the 3 away by subtraction
    for m in (skills, t):
        expect((m["participants"], m["attendance_rate"], m["hours_delivered"], m["suppressed"], m["completions"])
               == (None, None, None, True, 0), f"{m}")
    expect((skills["sessions_held"], t["sessions_held"]) == (2, 3), f"sessions {skills} {t}")
    expect((edu["participants"], edu["hours_delivered"], edu["suppressed"]) == (5, 7.5, False), f"edu {edu}")
    expect(a["businesses"] == {"by_stage": dict.fromkeys(STAGES, 0) | {"idea": None}, "suppressed": True},
           f"{a['businesses']}")
    expect(a["exits"] == {"stays_closed": None, "with_business": 0, "suppressed": True}, f"{a['exits']}")
    expect(w.report(q + f"&partner_id={pa['id']}&house_id={h}", token=pt).json["programmes"] == a["programmes"],
           "own partner_id and house")
    rows = csv_rows(w.report(q, token=pt, headers={"Accept": "text/csv"}))
    expect(rows[0][6:] == ["", "1", "", "", "0", "0", "true"] and rows[1][6:9] == ["7", "1", "1"], f"csv {rows}")
    # the house's admin sees every number of that partner's report
    b = w.report(q + f"&partner_id={pa['id']}").json
    expect((b["suppressed"], b["totals"]["participants"], b["by_kind"]["skills_training"]["participants"],
            b["programmes"][0]["participants"], b["businesses"]["by_stage"]["idea"]) == (False, 15, 10, 3, 1), f"{b}")
    # without the partner: the house's own programme and the business of a resident outside the partner's
    c = w.report(q + f"&house_id={h}").json
    expect((len(c["programmes"]), c["businesses"]["by_stage"]["idea"], c["exits"]["stays_closed"]) == (4, 2, 1), f"{c}")


def test_exit_bounds(d):
    w = world(d)
    w.a = h = d.house(w.token)["id"]
    for cin, cout in [("2026-02-20T10:00:00+07:00", "2026-03-01T00:00:00+07:00"),  # 00:00 on from: in
                      ("2026-03-15T10:00:00+07:00", "2026-03-15T10:00:00+07:00"),  # an empty stay: in
                      ("2026-03-25T10:00:00+07:00", "2026-03-31T23:59:59+07:00"),  # last second of to: in
                      ("2026-03-20T10:00:00+07:00", "2026-04-01T00:00:00+07:00"),  # 00:00 after to: out
                      ("2026-02-01T10:00:00+07:00", "2026-02-28T23:59:59+07:00")]:  # before from: out
        w.stay_closed(w.resident(), h, cin, cout)
    a = w.report(f"house_id={h}&from=2026-03-01&to=2026-03-31").json
    expect(a["exits"] == {"stays_closed": 3, "with_business": 0, "suppressed": False}, f"{a['exits']}")


def expect_period_rules(report):
    """A report's from/to (§16.9, §18.9): missing, not a date, to before from, 3661 days -> 422
    naming the field; 3660 days answer. REPORT(query) -> response."""
    for q, field in [("to=2026-02-01", "from"), ("from=2026-02-01", "to"), ("from=2026-02-30&to=2026-03-01", "from"),
                     ("from=2026-02-01&to=soon", "to"), ("from=2026-02-02&to=2026-02-01", "to"),
                     ("from=2016-01-01&to=2026-01-08", "to")]:
        r = report(q)
        expect_problem(r, 422, "validation_failed")
        expect([e["field"] for e in r.json.get("errors", [])] == [field], f"{q}: {r.json}")
    expect(report("from=2016-01-01&to=2026-01-07").status == 200, "3660 days")


def test_refusals(d):
    w = world(d)
    h = d.house(w.token)["id"]
    other = d.house(w.token)["id"]
    pa = w.partner([h])
    pb = w.partner([other])
    pt = w.user("partner", partner_id=pa["id"])
    expect_period_rules(w.report)
    q = "from=2026-02-01&to=2026-02-28"
    for role in ("caseworker", "staff"):
        expect_problem(w.report(q, token=w.user(role, [h])), 403, "forbidden")
    mgr = w.user("manager", [h])
    expect(w.report(q, token=mgr).status == 200, "manager")
    expect_problem(w.report(q + f"&house_id={other}", token=mgr), 404, "not_found")
    expect_problem(w.report(q + f"&partner_id={pb['id']}", token=mgr), 404, "not_found")
    expect_problem(w.report(q + f"&partner_id={NOBODY}"), 404, "not_found")
    expect_problem(w.report(q + f"&partner_id={pb['id']}", token=pt), 404, "not_found")
    expect_problem(w.report(q + f"&house_id={other}", token=pt), 404, "not_found")
    expect_problem(w.report("from=2026-02-02&to=2026-02-01", token=pt), 422, "validation_failed")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
