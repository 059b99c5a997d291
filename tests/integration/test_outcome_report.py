"""The outcome report (contract §18.9) with §18.1's roles and §16.3's small-cell suppression.
One daemon; each test builds its own house (and partner), so the figures are exactly those of
its world. Stays are checked out back-dated (house dates, Asia/Jakarta) and their follow-ups
answered through the API.

- test_counts: a manager's report over a period: stays checked out in it with follow-ups pending
  and not due, pending and due, done reached with outcomes, done unreachable, cancelled, one
  answered before its due_on; a `deceased` exit (with a follow-up written by psql) and stays
  checked out before `from` and after `to` (with answers) left out; a house whose follow_up_days
  changed to [7, 30, 365] before a later check-out gives checkpoints 7 and 365 of that stay
  alone. Every figure equals the test's own computation over the follow-ups (and a few are
  written out); rates to 3 decimals (2/3 -> 0.667), null when the base is 0 (due 0, reached 0);
  suppressed false throughout; without house_id the same checkpoints, house_id null; the
  admin's the same; CSV (CRLF, the header of §18.9, a null an empty cell).
- test_partner_suppression: a partner user's report over ten residents seated in its partner's
  programme (a resident of the house's own programme and one never enrolled are left out): 1-4
  nulled, 0 shown, an outcome count nulled when reached minus it is 1-4, rates null with their
  count, checkpoint and top-level suppressed flags; a checkpoint with nothing hidden and one
  whose rates are null only for a 0 base say false; a period of three exits nulls `exits`;
  without house_id the same numbers; CSV empty cells; the admin sees every number.
- test_refusals: from/to missing, not a date, to before from, 3661 days -> 422 (3660 shown);
  caseworker and staff 403 before any lookup (an unknown house); a manager's other house 404;
  a partner user: a house its partner does not work with 404, an unknown one 404."""

import datetime as dt
import os
import sys
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem  # noqa: E402
from test_programme_report import Report, csv_rows, expect_period_rules  # noqa: E402 - programmes, enrolments, users

JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")
OUTCOMES = ("housing_stable", "employed", "business_operating", "reoffended", "reporting_compliant")
COUNTS = ("scheduled", "due", "reached", "unreachable") + OUTCOMES
CSV_HEAD = ("offset_days,scheduled,due,reached,unreachable,housing_stable,employed,business_operating,reoffended,"
            "reporting_compliant,reached_rate,housing_stable_rate,employed_rate,business_operating_rate,"
            "reoffended_rate,reporting_compliant_rate,suppressed")
NOBODY = "00000000-0000-4000-8000-000000000000"


def today():
    return dt.datetime.now(JAKARTA).date()


def ago(days):
    return today() - dt.timedelta(days=days)


class World(Report):
    def outcomes(self, query, token=None, **kw):
        return self.d.request("GET", "/api/v1/reports/outcomes?" + query, token=token or self.token, **kw)

    def exit(self, house, rid, day, exit_reason="completed"):
        """A stay of RID checked in three days before DAY and out at 10:00 on it (house time)."""
        room = self.d.room(self.token, house)
        bed = self.d.bed(self.token, room["id"])
        at = dt.datetime.combine(day, dt.time(10), JAKARTA)
        stay = self.d.must("POST", "stays", {"resident_id": rid, "bed_id": bed["id"], "rules_acknowledged": True,
                                             "checked_in_at": (at - dt.timedelta(days=3)).isoformat()},
                           201, token=self.token)
        return self.d.must("POST", f"stays/{stay['id']}/checkout", {"exit_reason": exit_reason, "destination": "family",
                                                                    "checked_out_at": at.isoformat()}, token=self.token)

    def follow_ups(self, stay):
        """The stay's follow-ups {offset_days: follow-up}."""
        items = self.d.must("GET", f"follow-ups?stay_id={stay['id']}", token=self.token)["items"]
        return {f["offset_days"]: f for f in items}

    def reached(self, fid, *true):
        """A result: reached, the outcomes named in TRUE true and the others false."""
        self.d.must("PUT", f"follow-ups/{fid}/result", {"method": "phone", **{k: k in true for k in OUTCOMES}},
                    token=self.token)

    def unreachable(self, fid):
        self.d.must("PUT", f"follow-ups/{fid}/result", {"method": "home_visit", "unreachable": True}, token=self.token)

    def cancel(self, fid):
        self.d.must("POST", f"follow-ups/{fid}/cancel", {"reason": "pindah ke luar kota"}, token=self.token)


def world(d):
    return harness.world_of(d, World)


def rate(n, base):
    return None if n is None or base is None or base == 0 else round(n / base, 3)


def computed(follow_ups):
    """The checkpoints §18.9 makes of FOLLOW_UPS (as GET /follow-ups answers them), unsuppressed."""
    out = []
    for off in sorted({f["offset_days"] for f in follow_ups}):
        mine = [f for f in follow_ups if f["offset_days"] == off]
        sched = [f for f in mine if f["status"] != "cancelled"]
        reached = [f for f in sched if f["status"] == "done" and not f["unreachable"]]
        c = {"offset_days": off, "scheduled": len(sched),
             "due": sum(1 for f in sched if f["status"] == "done" or f["due_on"] <= today().isoformat()),
             "reached": len(reached), "unreachable": sum(1 for f in sched if f["status"] == "done" and f["unreachable"])}
        c |= {k: sum(1 for f in reached if f[k]) for k in OUTCOMES}
        c["rates"] = {"reached": rate(c["reached"], c["due"])} | {k: rate(c[k], c["reached"]) for k in OUTCOMES}
        out.append(c | {"suppressed": False})
    return out


def cell(v):
    return "" if v is None else ("true" if v else "false") if isinstance(v, bool) else str(v)


def as_csv(checkpoints):
    return [[cell(c[k]) for k in ("offset_days",) + COUNTS] + [cell(c["rates"][k]) for k in ("reached",) + OUTCOMES]
            + [cell(c["suppressed"])] for c in checkpoints]


def test_counts(d):
    w = world(d)
    h = d.house(w.token)["id"]
    _, manager = d.user(w.token, "manager", [h])
    # five stays checked out 100 days ago: 30 (due 70 days ago), 90 (due 10 days ago), 180 (not due)
    s1, s2, s3 = (w.exit(h, w.resident(h), ago(100)) for _ in range(3))
    f1, f2, f3 = (w.follow_ups(s) for s in (s1, s2, s3))
    w.reached(f1[30]["id"], "housing_stable", "employed", "reporting_compliant")
    w.reached(f1[90]["id"], "housing_stable", "reoffended")      # f1[180]: pending, not due
    w.unreachable(f2[30]["id"])                                  # f2[90]: pending and due
    w.cancel(f2[180]["id"])
    w.cancel(f3[30]["id"])
    w.reached(f3[90]["id"], *OUTCOMES)
    w.reached(f3[180]["id"])                                     # before its due_on: due, all false
    dead = w.exit(h, w.resident(h), ago(100), "deceased")
    expect(w.follow_ups(dead) == {}, "none scheduled for a death")
    d.psql(f"INSERT INTO app.follow_ups (resident_id, house_id, stay_id, offset_days, due_on, status, contacted_at, "
           f"method, unreachable) SELECT resident_id, house_id, id, 30, '{ago(70)}', 'done', now(), 'phone', true "
           f"FROM app.stays WHERE id = '{dead['id']}'")
    before = w.exit(h, w.resident(h), ago(160))
    w.reached(w.follow_ups(before)[30]["id"], *OUTCOMES)
    after = w.exit(h, w.resident(h), ago(10))
    w.unreachable(w.follow_ups(after)[30]["id"])
    d.must("PATCH", f"houses/{h}", {"follow_up_days": [365, 7, 30]}, token=w.token)
    s7 = w.exit(h, w.resident(h), ago(100))
    f7 = w.follow_ups(s7)
    expect(sorted(f7) == [7, 30, 365], f"the house's new offsets: {sorted(f7)}")
    w.reached(f7[30]["id"], "employed")                          # f7[7]: pending, due; f7[365]: not due
    period = f"from={ago(150)}&to={ago(30)}"
    r = w.outcomes(f"house_id={h}&{period}", token=manager)
    expect(r.status == 200, f"report: {r}")
    a = r.json
    expect(set(a) == {"house_id", "from", "to", "exits", "suppressed", "checkpoints"}, f"keys {sorted(a)}")
    expect((a["house_id"], a["from"], a["to"], a["exits"], a["suppressed"])
           == (h, ago(150).isoformat(), ago(30).isoformat(), 4, False), f"{a}")
    mine = [f for fs in (f1, f2, f3, f7) for f in w.follow_ups({"id": fs[30]["stay_id"]}).values()]
    want = computed(mine)
    expect(a["checkpoints"] == want, f"checkpoints\n{a['checkpoints']}\n{want}")
    by = {c["offset_days"]: c for c in a["checkpoints"]}
    expect([c["offset_days"] for c in a["checkpoints"]] == [7, 30, 90, 180, 365], f"offsets {list(by)}")
    expect({k: by[30][k] for k in COUNTS} == {"scheduled": 3, "due": 3, "reached": 2, "unreachable": 1,
                                              "housing_stable": 1, "employed": 2, "business_operating": 0,
                                              "reoffended": 0, "reporting_compliant": 1}, f"30: {by[30]}")
    expect(by[30]["rates"] == {"reached": 0.667, "housing_stable": 0.5, "employed": 1, "business_operating": 0,
                               "reoffended": 0, "reporting_compliant": 0.5}, f"30 rates: {by[30]['rates']}")
    expect((by[90]["scheduled"], by[90]["due"], by[90]["reached"], by[90]["rates"]["reached"]) == (3, 3, 2, 0.667),
           f"90: {by[90]}")
    expect((by[180]["scheduled"], by[180]["due"], by[180]["reached"]) == (2, 1, 1), f"180: {by[180]}")
    expect(by[7]["rates"] == {"reached": 0, **dict.fromkeys(OUTCOMES)} and by[7]["due"] == 1, f"7: {by[7]}")
    expect(by[365]["rates"] == {"reached": None, **dict.fromkeys(OUTCOMES)} and by[365]["scheduled"] == 1
           and by[365]["due"] == 0, f"365: {by[365]}")
    # without house_id: the manager's houses (this one), house_id null; the admin sees the same of it
    b = w.outcomes(period, token=manager).json
    expect(b == a | {"house_id": None}, f"every visible house: {b}")
    expect(w.outcomes(f"house_id={h}&{period}").json == a, "admin")
    # a period that holds the stay checked out after `to`, only
    c = w.outcomes(f"house_id={h}&from={ago(15)}&to={today()}").json
    expect((c["exits"], [x["offset_days"] for x in c["checkpoints"]], c["checkpoints"][0]["unreachable"])
           == (1, [30, 90, 180], 1), f"{c}")
    expect(w.outcomes(f"house_id={h}&from={ago(29)}&to={ago(11)}").json["checkpoints"] == [], "no exits, none")
    rows = csv_rows(w.outcomes(f"house_id={h}&{period}", token=manager, headers={"Accept": "text/csv"}), CSV_HEAD)
    expect(rows == as_csv(a["checkpoints"]), f"csv {rows}")
    expect(rows[1][:5] == ["30", "3", "3", "2", "1"] and rows[0][10:] == ["0", "", "", "", "", "", "false"]
           and rows[4][10] == "" and rows[1][10] == "0.667", f"csv cells {rows}")


def test_partner_suppression(d):
    w = world(d)
    w.a = h = d.house(w.token)["id"]   # the world's programme() creates in w.a
    other = d.house(w.token)["id"]
    pa = w.partner([h])
    pt = w.user("partner", partner_id=pa["id"])
    prog = w.programme(partner_id=pa["id"])
    own = w.programme()   # the house's own: its participants are not the partner's
    seated = [w.resident() for _ in range(10)]
    for rid in seated:
        w.enrolled(prog["id"], rid)
    stays = [w.exit(h, rid, ago(120 if i < 3 else 100)) for i, rid in enumerate(seated)]
    outsider = w.resident()
    w.enrolled(own["id"], outsider)
    never = w.resident()
    for rid in (outsider, never):
        f = w.follow_ups(w.exit(h, rid, ago(100)))
        w.reached(f[30]["id"], "reoffended")
    fs = [w.follow_ups(s) for s in stays]
    # 30: 8 reached (housing 8, employed 6, business 0, reoffended 2, reporting 5), 2 unreachable
    for i, f in enumerate(fs):
        if i < 2:
            w.unreachable(f[30]["id"])
            continue
        true = ["housing_stable"] + ["employed"] * (i < 8) + ["reoffended"] * (i < 4) + ["reporting_compliant"] * (i < 7)
        w.reached(f[30]["id"], *true)
    # 90: five reached (housing and reporting, nothing else), five cancelled: nothing to hide
    for i, f in enumerate(fs):
        if i < 5:
            w.cancel(f[90]["id"])
        else:
            w.reached(f[90]["id"], "housing_stable", "reporting_compliant")
    # 180: ten pending, none due: rates null for a 0 base, not suppressed
    period = f"from={ago(150)}&to={ago(30)}"
    r = w.outcomes(f"house_id={h}&{period}", token=pt)
    expect(r.status == 200, f"partner report: {r}")
    a = r.json
    expect((a["house_id"], a["exits"], a["suppressed"]) == (h, 10, True), f"{a}")
    c30, c90, c180 = a["checkpoints"]
    expect(c30 == {"offset_days": 30, "scheduled": 10, "due": 10, "reached": 8, "unreachable": None,
                   "housing_stable": 8, "employed": None, "business_operating": 0, "reoffended": None,
                   "reporting_compliant": None,
                   "rates": {"reached": 0.8, "housing_stable": 1, "employed": None, "business_operating": 0,
                             "reoffended": None, "reporting_compliant": None},
                   "suppressed": True}, f"30: {c30}")
    expect(c90 == {"offset_days": 90, "scheduled": 5, "due": 5, "reached": 5, "unreachable": 0, "housing_stable": 5,
                   "employed": 0, "business_operating": 0, "reoffended": 0, "reporting_compliant": 5,
                   "rates": {"reached": 1, "housing_stable": 1, "employed": 0, "business_operating": 0,
                             "reoffended": 0, "reporting_compliant": 1},
                   "suppressed": False}, f"90: {c90}")
    expect(c180 == {"offset_days": 180, "scheduled": 10, "due": 0, **dict.fromkeys(COUNTS[2:], 0),
                    "rates": dict.fromkeys(("reached",) + OUTCOMES), "suppressed": False}, f"180: {c180}")
    expect(w.outcomes(period, token=pt).json == a | {"house_id": None}, "without house_id: its partner's houses")
    rows = csv_rows(w.outcomes(f"house_id={h}&{period}", token=pt, headers={"Accept": "text/csv"}), CSV_HEAD)
    expect(rows == as_csv(a["checkpoints"]) and rows[0][4] == "" and rows[0][6] == "" and rows[0][-1] == "true",
           f"csv {rows}")
    # three exits: every count of people 1-4 null
    b = w.outcomes(f"house_id={h}&from={ago(125)}&to={ago(115)}", token=pt).json
    expect((b["exits"], b["suppressed"]) == (None, True), f"{b}")
    none = dict.fromkeys(("reached",) + OUTCOMES)
    # 30: one reached, so business_operating 0 is hidden too (1 - 0); 90: all cancelled, zeros shown
    expect(b["checkpoints"] == [
        {"offset_days": 30, **dict.fromkeys(COUNTS), "rates": none, "suppressed": True},
        {"offset_days": 90, **dict.fromkeys(COUNTS, 0), "rates": none, "suppressed": False},
        {"offset_days": 180, **dict.fromkeys(COUNTS, 0), "scheduled": None, "rates": none, "suppressed": True}],
        f"three exits: {b['checkpoints']}")
    # the admin: every number, the outsiders too
    all_ = w.outcomes(f"house_id={h}&{period}").json
    expect((all_["exits"], all_["suppressed"], all_["checkpoints"][0]["unreachable"],
            all_["checkpoints"][0]["reoffended"], all_["checkpoints"][0]["reached"])
           == (12, False, 2, 4, 10), f"admin {all_}")
    expect(not any(c["suppressed"] for c in all_["checkpoints"]), "admin: nothing suppressed")
    expect_problem(w.outcomes(f"house_id={other}&{period}", token=pt), 404, "not_found")


def test_refusals(d):
    w = world(d)
    h = d.house(w.token)["id"]
    other = d.house(w.token)["id"]
    pa = w.partner([h])
    pt = w.user("partner", partner_id=pa["id"])
    expect_period_rules(w.outcomes)
    q = "from=2026-02-01&to=2026-02-28"
    for role in ("caseworker", "staff"):
        token = w.user(role, [h])
        expect_problem(w.outcomes(q, token=token), 403, "forbidden")
        expect_problem(w.outcomes(q + f"&house_id={NOBODY}", token=token), 403, "forbidden")
    mgr = w.user("manager", [h])
    expect(w.outcomes(q, token=mgr).status == 200, "manager")
    expect_problem(w.outcomes(q + f"&house_id={other}", token=mgr), 404, "not_found")
    expect(w.outcomes(q + f"&house_id={h}", token=pt).status == 200, "partner, its house")
    expect_problem(w.outcomes(q + f"&house_id={other}", token=pt), 404, "not_found")
    expect_problem(w.outcomes(q + f"&house_id={NOBODY}", token=pt), 404, "not_found")
    expect_problem(w.outcomes("from=2026-02-02&to=2026-02-01", token=pt), 422, "validation_failed")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
