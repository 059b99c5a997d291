"""The three reporting alert kinds of §15.6 (reporting_due, reporting_missed,
reporting_second_consecutive_miss) over the framework of §15.5. One daemon for all tests, each
test in its own house; time is controlled with back-dated bases and interval schedules (an
interval of 7 days from day S: due on S + 6, S + 13, ...) and explicit reported_at values.

- test_reporting_due: due (days_left >= 0) and grace (negative), since = max(midnight of due_on -
  reporting_due_days, midnight of opens_on), due_at = midnight after closes_on, details exactly;
  none too far ahead; the house's reporting_due_days applies at once; cleared by a report.
- test_reporting_missed: one miss, key on the missed period, since = midnight after its
  closes_on, due_at null, details exactly; stay_id is the active stay, null when not in residence;
  cleared by a later period met, an excuse of the missed one, a back-dated report of it, and the
  end of supervision (revocation).
- test_second_miss: two misses -> critical only (never also reporting_missed), due_at the
  midnight after the next undecided period's closes_on, revocation_risk true for PB and false for
  asimilasi; a third miss gives a new key (the acknowledgement of the old key does not carry over).
- test_staff: staff list reporting_due only; acknowledging it is 403 (listed, not theirs to ack),
  a missed/second key 422 (not listed for them); nothing written; a caseworker acknowledges both.
- test_keys_stable_across_instances: a second daemon lists the very same reporting alerts."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_reporting  # noqa: E402
from harness import expect, expect_problem  # noqa: E402
from test_alerts import midnight, none, one  # noqa: E402
from test_reporting import at, day  # noqa: E402

KINDS = ("reporting_due", "reporting_missed", "reporting_second_consecutive_miss")


class World(test_reporting.World):
    """A house of its own per test, with the reporting calls and the alert list."""

    def weekly(self, start, grace=2, **basis):
        """A resident under supervision with an interval-7 schedule from day(START)."""
        r = self.resident(**basis)
        self.schedule(r["id"], frequency="interval", interval_days=7, starts_on=day(start), grace_days=grace)
        return r

    def now(self, rid):
        """A report now (reported_at left to its default)."""
        r = self.report(rid, {"method": "in_person"})
        expect(r.status == 201, f"report: {r}")
        return r.json

    def check_in(self, rid):
        room = self.d.room(self.token, self.house)["id"]
        bed = self.d.bed(self.token, room)["id"]
        return self.d.must("POST", "stays", {"resident_id": rid, "bed_id": bed, "rules_acknowledged": True}, 201,
                           token=self.token)

    def alerts(self, token=None, rid=None):
        q = f"alerts?house_id={self.house}&limit=200" + (f"&resident_id={rid}" if rid else "")
        return [a for a in self.d.must("GET", q, token=token or self.token)["items"] if a["kind"] in KINDS]

    def ack(self, key, token=None):
        return self.d.request("POST", "/api/v1/alerts/acknowledge", json_body={"key": key},
                              token=token or self.token)

    def written(self):
        return self.d.psql("SELECT (SELECT count(*) FROM app.alert_acknowledgements), "
                           "(SELECT count(*) FROM app.audit_log), (SELECT count(*) FROM app.events)").strip()


def test_reporting_due(d):
    w = World(d)
    a = w.weekly(-3)                          # due +3, closes +5: days_left 3 = reporting_due_days
    g = w.weekly(-8, grace=3)                 # due -2, closes +1: in grace; next due +5 (too far)
    far = w.weekly(-1)                        # due +5: too far
    items = w.alerts()
    x = one(items, resident_id=a["id"])
    expect(x == {**x, "key": f"reporting_due:{a['id']}:{day(3)}", "kind": "reporting_due", "severity": "info",
                 "house_id": w.house, "stay_id": None, "entity": "resident", "entity_id": a["id"],
                 "since": midnight(0), "due_at": midnight(6),
                 "details": {"due_on": day(3), "closes_on": day(5), "days_left": 3}}, f"due: {x}")
    y = one(items, resident_id=g["id"])
    expect(y == {**y, "key": f"reporting_due:{g['id']}:{day(-2)}", "since": midnight(-5), "due_at": midnight(2),
                 "details": {"due_on": day(-2), "closes_on": day(1), "days_left": -2}}, f"grace: {y}")
    none(items, resident_id=far["id"])
    # the house's reporting_due_days: 10 -> far raised, since its opens_on (later than due - 10)
    w.d.must("PATCH", f"houses/{w.house}", {"reporting_due_days": 10}, token=w.token)
    z = one(w.alerts(), resident_id=far["id"])
    expect((z["key"], z["since"], z["details"]["days_left"]) == (f"reporting_due:{far['id']}:{day(5)}",
                                                                 midnight(-1), 5), f"setting raised: {z}")
    expect(one(w.alerts(), resident_id=a["id"])["since"] == midnight(-3), "since: opens_on")
    w.d.must("PATCH", f"houses/{w.house}", {"reporting_due_days": 4}, token=w.token)
    expect(one(w.alerts(), resident_id=a["id"])["since"] == midnight(-1), "since: due_on - 4")
    w.d.must("PATCH", f"houses/{w.house}", {"reporting_due_days": 0}, token=w.token)
    items = w.alerts()
    none(items, resident_id=a["id"])
    none(items, resident_id=far["id"])
    one(items, resident_id=g["id"])           # grace: days_left < 0 <= 0
    w.d.must("PATCH", f"houses/{w.house}", {"reporting_due_days": 3}, token=w.token)
    # a short interval with a long grace: two periods open at once, an alert each
    two = w.resident()
    w.schedule(two["id"], frequency="interval", interval_days=3, starts_on=day(-4), grace_days=3)
    got = sorted((a for a in w.alerts() if a["resident_id"] == two["id"]), key=lambda a: a["details"]["due_on"])
    expect([(a["key"], a["since"], a["due_at"], a["details"]) for a in got] ==
           [(f"reporting_due:{two['id']}:{day(-2)}", midnight(-5 + 1), midnight(2),
             {"due_on": day(-2), "closes_on": day(1), "days_left": -2}),
            (f"reporting_due:{two['id']}:{day(1)}", midnight(-1), midnight(5),
             {"due_on": day(1), "closes_on": day(4), "days_left": 1})], f"two open periods: {got}")
    w.now(two["id"])                          # meets the earlier one only
    expect([a["details"]["due_on"] for a in w.alerts(rid=two["id"])] == [day(1)], "the later one stays")
    # met: the report clears it (a report today in g's grace counts for the period in grace)
    w.now(g["id"])
    none(w.alerts(), resident_id=g["id"])
    w.now(a["id"])
    none(w.alerts(), resident_id=a["id"])


def missed_one(w):
    """Missed the period due -6 (closes -4); the next is due +1 (closes +3)."""
    return w.weekly(-12)


def test_reporting_missed(d):
    w = World(d)
    m = missed_one(w)
    stay = w.check_in(m["id"])
    out = missed_one(w)
    items = w.alerts()
    x = one(items, resident_id=m["id"], kind="reporting_missed")
    expect(x == {**x, "key": f"reporting_missed:{m['id']}:{day(-6)}", "severity": "warning", "house_id": w.house,
                 "stay_id": stay["id"], "entity": "resident", "entity_id": m["id"], "since": midnight(-3),
                 "due_at": None, "details": {"due_on": day(-6), "closes_on": day(-4), "consecutive_misses": 1}},
           f"missed: {x}")
    y = one(items, resident_id=out["id"], kind="reporting_missed")
    expect(y["stay_id"] is None and y["key"] == f"reporting_missed:{out['id']}:{day(-6)}", f"not in residence: {y}")
    one(items, resident_id=out["id"], kind="reporting_due")     # the next period, due +1
    none(items, kind="reporting_second_consecutive_miss")
    # cleared: a later period met
    w.now(m["id"])
    none(w.alerts(), resident_id=m["id"])
    # cleared: the missed period excused (the next one still due)
    e = missed_one(w)
    w.excuse(e["id"], day(-6))
    items = w.alerts(rid=e["id"])
    expect([a["kind"] for a in items] == ["reporting_due"], f"excused: {items}")
    # cleared: a back-dated report of the missed period (23:59:59 of its closes_on)
    b = missed_one(w)
    w.record(b["id"], at(day(-4), "23:59:59"))
    expect([a["kind"] for a in w.alerts(rid=b["id"])] == ["reporting_due"], "back-dated report")
    # 00:00:00 of the next day is too late for it: it meets the next period (-5..+3), which
    # ends the run as well, and leaves nothing due
    b2 = missed_one(w)
    w.record(b2["id"], at(day(-3), "00:00:00"))
    expect(w.cal(b2["id"])["periods"][0]["status"] == "missed", "the missed period stays missed")
    expect(w.alerts(rid=b2["id"]) == [], "a report after closes_on met the next period")
    # cleared: supervision ends (revoked today): neither missed nor due
    v = missed_one(w)
    basis = w.basis(v["id"])
    w.d.must("POST", f"legal-bases/{basis['id']}/revoke", {"revoked_on": day(0), "reason": "pencabutan"},
             token=w.token)
    expect(w.alerts(rid=v["id"]) == [], "supervision ended")
    # the report of one stay does not clear another resident's alert
    one(w.alerts(), resident_id=out["id"], kind="reporting_missed")


def test_second_miss(d):
    w = World(d)
    s = w.weekly(-19)                          # missed -13 and -6, due +1 (closes +3)
    items = w.alerts(rid=s["id"])
    expect(sorted(a["kind"] for a in items) == ["reporting_due", "reporting_second_consecutive_miss"],
           f"at most one of missed/second: {items}")
    x = one(items, kind="reporting_second_consecutive_miss")
    expect(x == {**x, "key": f"reporting_second_consecutive_miss:{s['id']}:{day(-6)}", "severity": "critical",
                 "stay_id": None, "entity": "resident", "entity_id": s["id"], "since": midnight(-3),
                 "due_at": midnight(4), "details": {"due_on": day(-6), "closes_on": day(-4), "consecutive_misses": 2,
                                                    "revocation_risk": True}}, f"second: {x}")
    cal = w.cal(s["id"])
    expect((cal["consecutive_misses"], cal["revocation_risk"]) == (2, True), f"calendar agrees: {cal}")
    # asimilasi: under supervision, no revocation risk
    a = w.weekly(-19, btype="asimilasi")
    y = one(w.alerts(rid=a["id"]), kind="reporting_second_consecutive_miss")
    expect(y["details"]["revocation_risk"] is False, f"asimilasi: {y}")
    # a third miss: new key. Three missed (-20, -13, -6), the newest excused -> two, key on -13
    t = w.weekly(-26)
    ex = w.excuse(t["id"], day(-6)).json
    old = one(w.alerts(rid=t["id"]), kind="reporting_second_consecutive_miss")
    expect((old["key"], old["details"]["consecutive_misses"], old["since"]) ==
           (f"reporting_second_consecutive_miss:{t['id']}:{day(-13)}", 2, midnight(-10)), f"before: {old}")
    expect(old["due_at"] == midnight(4), f"due_at: the next undecided period: {old}")
    expect(w.ack(old["key"]).status == 200, "acknowledged")
    expect(w.d.request("DELETE", f"/api/v1/reporting-excuses/{ex['id']}", token=w.token).status == 204, "delete")
    new = one(w.alerts(rid=t["id"]), kind="reporting_second_consecutive_miss")
    expect((new["key"], new["details"]["consecutive_misses"], new["acknowledged_at"]) ==
           (f"reporting_second_consecutive_miss:{t['id']}:{day(-6)}", 3, None), f"after: {new}")
    # a met report after the run clears it
    w.now(t["id"])
    expect(w.alerts(rid=t["id"]) == [], "met clears")
    # the last period of the duty missed, nothing undecided after it: due_at null
    f = w.resident(ends=day(0))            # L = today: periods -13 and -6 missed, +1 beyond L
    w.schedule(f["id"], frequency="interval", interval_days=7, starts_on=day(-19), grace_days=2)
    z = one(w.alerts(rid=f["id"]), kind="reporting_second_consecutive_miss")
    expect(z["due_at"] is None, f"no undecided period left: {z}")


def test_staff(d):
    w = World(d)
    m = missed_one(w)
    s = w.weekly(-19)
    _, staff = w.user("staff", [w.house])
    _, cw = w.user("caseworker", [w.house])
    mine = w.alerts(token=staff)
    expect({a["kind"] for a in mine} == {"reporting_due"} and len(mine) == 2, f"staff see due only: {mine}")
    due = one(mine, resident_id=m["id"])
    missed = one(w.alerts(), kind="reporting_missed")
    second = one(w.alerts(), kind="reporting_second_consecutive_miss")
    for kind in KINDS[1:]:
        expect(w.d.must("GET", f"alerts?kind={kind}", token=staff)["items"] == [], f"staff filter {kind}")
    other = d.house(w.token)["id"]
    _, cw_other = w.user("caseworker", [other])
    before = w.written()
    expect_problem(w.ack(due["key"], token=staff), 403, "forbidden")
    for a in (missed, second):
        r = w.ack(a["key"], token=staff)
        expect_problem(r, 422, "validation_failed")
        expect(r.json["errors"][0]["field"] == "key", f"{r.json}")
    for a in (due, missed, second):                # another house's key: not listed for them
        expect_problem(w.ack(a["key"], token=cw_other), 422, "validation_failed")
    bogus = f"reporting_missed:{m['id']}:{day(-13)}"
    expect_problem(w.ack(bogus, token=cw), 422, "validation_failed")      # no such period missed
    expect(w.written() == before, "a refused acknowledgement wrote something")
    for a in (due, missed, second):
        r = w.ack(a["key"], token=cw)
        expect(r.status == 200 and r.json["acknowledged_at"] and r.json["key"] == a["key"], f"caseworker ack: {r}")
    expect(s["id"] in {a["resident_id"] for a in w.alerts(token=staff)}, "staff see s's due alert")


def test_keys_stable_across_instances(d):
    w = World(d)
    missed_one(w)
    w.weekly(-19)
    w.weekly(-3)
    first = w.alerts()
    expect(len(first) == 5, f"five reporting alerts: {first}")
    with harness.Instance(share=d) as other:
        second = [a for a in other.must("GET", f"alerts?house_id={w.house}&limit=200", token=w.token)["items"]
                  if a["kind"] in KINDS]
    expect(first == second, f"two instances differ:\n{first}\n{second}")
    expect(w.alerts() == first, "read twice")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
