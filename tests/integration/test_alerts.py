"""Alerts (contract §15.5, the kinds of §15.6 but the reporting ones, §15.1's roles, §15.9's
event, §15.10's audit, §15.11's race, §15.12's already_acknowledged). One daemon for all tests,
each test in its own house(s); time is controlled with back-dated data (check-ins, dates in the
past, movements whose expected_back_at is moved into the past through psql). Each refused
acknowledgement is also checked to have written nothing (acknowledgements, audit, events).

- test_supervision_ends_soon: warning and critical stages with days_left, since (the stage's
  midnight, or the check-in when later), due_at, details; none out of residence, too far, for a
  released basis; clears on check-out, revocation (then supervision_ended_in_residence) and a
  correction of the end; the thresholds are the house's settings.
- test_supervision_ended_in_residence: warning after the end, critical when revoked (since the
  revocation's midnight, or the check-in); a released basis that supersedes it clears it.
- test_planned_exit_after_supervision_end: the stay's planned_exit_on or the plan's target after
  the end; since the newest updated_at; clears when the target moves back.
- test_movement_overdue: expected_back_at + the house's absconding_grace_minutes; since, details,
  minutes_overdue; a grace changed applies at once; the return clears it.
- test_exit_plan_target_passed, test_planned_exit_passed, test_long_stay: raised, details,
  since, cleared (target moved, check-out, long_stay_days raised or cleared); an acknowledgement
  belongs to its key for good (long_stay back with the same key is acknowledged still).
- test_order_and_paging: critical, warning, info; then since; then key (byte order); pages of
  every limit concatenate to the whole list; a cursor that is no cursor -> 422.
- test_filters: kind, severity, resident_id, acknowledged, house_id; their 422s; a kind of a later
  section is a valid filter that lists nothing; a house not visible -> 404, a resident not
  visible -> empty page.
- test_keys_stable_across_instances: a second daemon lists the very same items.
- test_acknowledge: 200 with acknowledged_at/by/note, the list shows it, alert.acknowledge audit
  (entity alert_acknowledgement, after with key/kind/note), the alert.acknowledged event (data,
  audience), twice -> 409 already_acknowledged (Indonesian title), note rules, unknown or cleared
  key -> 422; nothing written on each refusal.
- test_staff_rules: staff list the kinds they see, acknowledge movement_overdue (200) but not the
  others (403 forbidden, nothing written); another house's key -> 422 for staff and caseworker;
  the event of a kind staff may not acknowledge still reaches staff (they see it).
- test_ack_race_two_instances: 12 acknowledgements of one key over two daemons: one 200, 11 x 409
  already_acknowledged, one row, one audit record, one event."""

import datetime as dt
import json
import os
import sys
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem, uid  # noqa: E402

TZ = zoneinfo.ZoneInfo("Asia/Jakarta")
ITEM_KEYS = {"key", "kind", "severity", "house_id", "resident_id", "stay_id", "entity", "entity_id", "since",
             "due_at", "details", "acknowledged_at", "acknowledged_by", "note"}
RANK = {"critical": 0, "warning": 1, "info": 2}


def today():
    return dt.datetime.now(TZ).date()


def day(offset):
    return (today() + dt.timedelta(days=offset)).isoformat()


def ts(t):
    """RFC 3339 UTC as the daemon writes it (whole seconds)."""
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def midnight(offset):
    """The house's 00:00 of today + OFFSET days, as the daemon writes an instant."""
    d = today() + dt.timedelta(days=offset)
    return ts(dt.datetime(d.year, d.month, d.day, tzinfo=TZ))


def ago(**kw):
    return (dt.datetime.now(dt.timezone.utc) - dt.timedelta(**kw)).replace(microsecond=0)


def pb(ends, **fields):
    return {"type": "pembebasan_bersyarat", "decree_number": "PAS-" + uid(), "decree_date": day(-400),
            "starts_on": day(-300), "supervision_ends_on": day(ends), **fields}


class Home:
    """One house of a test, with an admin token, beds on demand and helpers."""

    def __init__(self, d, **settings):
        self.d = d
        self.t = d.login()
        self.h = d.house(self.t, **settings)
        self.id = self.h["id"]
        self.room = d.room(self.t, self.id)["id"]

    def resident(self, days_in=None, at=None, planned_exit_on=None):
        """A resident; with DAYS_IN (or AT), checked in that long ago. Returns (resident, stay)."""
        r = self.d.resident(self.t, self.id)
        if days_in is None and at is None:
            return r, None
        bed = self.d.bed(self.t, self.room)["id"]
        body = {"resident_id": r["id"], "bed_id": bed, "rules_acknowledged": True,
                "checked_in_at": ts(at or ago(days=days_in))}
        if planned_exit_on:
            body["planned_exit_on"] = planned_exit_on
        return r, self.d.must("POST", "stays", body, 201, token=self.t)

    def basis(self, rid, ends, **fields):
        return self.d.must("POST", f"residents/{rid}/legal-bases", pb(ends, **fields), 201, token=self.t)

    def list(self, token=None, query="", status=200):
        q = f"alerts?house_id={self.id}&limit=200" + (("&" + query) if query else "")
        return self.d.must("GET", q, token=token or self.t, status=status)["items"]

    def kind(self, kind, token=None):
        return [a for a in self.list(token) if a["kind"] == kind]

    def ack(self, key, token=None, note=None, **kw):
        body = {"key": key} if note is None else {"key": key, "note": note}
        return self.d.request("POST", "/api/v1/alerts/acknowledge", json_body=body, token=token or self.t, **kw)

    def checkout(self, stay):
        self.d.must("POST", f"stays/{stay['id']}/checkout", {"exit_reason": "completed", "destination": "family"},
                    token=self.t)

    def user(self, role, houses=None):
        password = "pw-" + uid() + uid()
        u = self.d.must("POST", "users", {"username": role + "-" + uid(), "password": password, "role": role,
                                          "full_name": "User " + role, "house_ids": houses or [self.id]}, 201,
                        token=self.t)
        return u, self.d.login(u["username"], password)

    def written(self):
        """What a refused acknowledgement must leave as it was."""
        return self.d.psql("SELECT (SELECT count(*) FROM app.alert_acknowledgements), "
                           "(SELECT count(*) FROM app.audit_log), (SELECT count(*) FROM app.events)").strip()


def one(items, **match):
    got = [a for a in items if all(a.get(k) == v for k, v in match.items())]
    expect(len(got) == 1, f"expected one alert {match}, got {got} of {items}")
    a = got[0]
    expect(set(a) == ITEM_KEYS, f"item fields: {sorted(a)}")
    expect(a["acknowledged_at"] is None and a["acknowledged_by"] is None and a["note"] is None or a["acknowledged_at"],
           f"acknowledgement fields: {a}")
    return a


def none(items, **match):
    got = [a for a in items if all(a.get(k) == v for k, v in match.items())]
    expect(not got, f"expected no alert {match}, got {got}")


def test_supervision_ends_soon(d):
    w = Home(d)
    ra, sa = w.resident(days_in=40)
    ba = w.basis(ra["id"], 20)                                   # warning: 7 < 20 <= 30
    rb, sb = w.resident(days_in=40)
    bb = w.basis(rb["id"], 5)                                    # critical
    rc, sc = w.resident(at=ago(hours=1))
    bc = w.basis(rc["id"], 5)                                    # critical, checked in after the stage began
    re_, se = w.resident(days_in=3)
    be = w.basis(re_["id"], 0)                                   # critical, the last day
    rf, _ = w.resident()
    w.basis(rf["id"], 5)                                         # not in residence
    rg, _ = w.resident(days_in=3)
    w.basis(rg["id"], 31)                                        # too far
    rh, _ = w.resident(days_in=3)
    w.d.must("POST", f"residents/{rh['id']}/legal-bases", {"type": "released", "starts_on": day(-1)}, 201, token=w.t)
    items = w.kind("supervision_ends_soon")
    expect(len(items) == 4, f"four alerts: {items}")
    a = one(items, resident_id=ra["id"])
    expect(a == {**a, "key": f"supervision_ends_soon:{ba['id']}:{day(20)}:warning", "severity": "warning",
                 "house_id": w.id, "stay_id": sa["id"], "entity": "legal_basis", "entity_id": ba["id"],
                 "since": midnight(20 - 30), "due_at": midnight(21),
                 "details": {"legal_basis_type": "pembebasan_bersyarat", "supervision_ends_on": day(20),
                             "days_left": 20}}, f"warning: {a}")
    b = one(items, resident_id=rb["id"])
    expect((b["key"], b["severity"], b["since"], b["details"]["days_left"]) ==
           (f"supervision_ends_soon:{bb['id']}:{day(5)}:critical", "critical", midnight(5 - 7), 5), f"critical: {b}")
    c = one(items, resident_id=rc["id"])
    expect(c["since"] == sc["checked_in_at"] and c["severity"] == "critical", f"since the check-in: {c}")
    e = one(items, resident_id=re_["id"])
    expect(e["details"]["days_left"] == 0 and e["key"].endswith(":critical") and e["since"] == se["checked_in_at"]
           and e["entity_id"] == be["id"] and e["stay_id"] == se["id"], f"the last day: {e}")
    # the thresholds are the house's: warning 3, critical 1 -> b is 5 days out: nothing
    w.d.must("PATCH", f"houses/{w.id}", {"supervision_critical_days": 1, "supervision_warning_days": 6}, token=w.t)
    items = w.kind("supervision_ends_soon")
    b2 = one(items, resident_id=rb["id"])
    expect(b2["severity"] == "warning" and b2["key"].endswith(":warning") and b2["since"] == midnight(5 - 6), f"{b2}")
    none(items, resident_id=ra["id"])
    w.d.must("PATCH", f"houses/{w.id}", {"supervision_critical_days": 7, "supervision_warning_days": 30}, token=w.t)
    # clears: check-out, revocation, a correction of the end
    w.checkout(sa)
    w.d.must("POST", f"legal-bases/{bb['id']}/revoke", {"revoked_on": day(0), "reason": "pencabutan"}, token=w.t)
    w.d.must("PATCH", f"legal-bases/{bc['id']}", {"supervision_ends_on": day(100), "correction_reason": "salah ketik"},
             token=w.t)
    items = w.kind("supervision_ends_soon")
    expect([x["resident_id"] for x in items] == [re_["id"]], f"after the clears: {items}")
    moved = one(w.kind("supervision_ended_in_residence"), resident_id=rb["id"])
    expect(moved["severity"] == "critical", f"revoked: {moved}")


def test_supervision_ended_in_residence(d):
    w = Home(d)
    ra, sa = w.resident(days_in=30)
    ba = w.basis(ra["id"], -3, starts_on=day(-200))
    rb, sb = w.resident(days_in=30)
    bb = w.basis(rb["id"], 50)
    w.d.must("POST", f"legal-bases/{bb['id']}/revoke", {"revoked_on": day(-2), "reason": "pencabutan"}, token=w.t)
    rc, sc = w.resident(at=ago(hours=2))
    bc = w.basis(rc["id"], -10, starts_on=day(-200))
    rd, _ = w.resident()
    w.basis(rd["id"], -3, starts_on=day(-200))                   # not in residence
    items = w.kind("supervision_ended_in_residence")
    expect(len(items) == 3, f"three: {items}")
    a = one(items, resident_id=ra["id"])
    expect(a == {**a, "key": f"supervision_ended_in_residence:{ba['id']}:{sa['id']}", "severity": "warning",
                 "entity": "legal_basis", "entity_id": ba["id"], "stay_id": sa["id"], "since": midnight(-2),
                 "due_at": None, "details": {"legal_basis_type": "pembebasan_bersyarat",
                                             "supervision_ends_on": day(-3), "revoked_on": None}}, f"ended: {a}")
    b = one(items, resident_id=rb["id"])
    expect((b["severity"], b["since"], b["details"]["revoked_on"]) == ("critical", midnight(-2), day(-2)),
           f"revoked: {b}")
    none(w.kind("supervision_ends_soon"), resident_id=rb["id"])
    c = one(items, resident_id=rc["id"])
    expect(c["since"] == sc["checked_in_at"], f"since the check-in: {c}")
    # a released basis (a voluntary stay) clears it; a check-out clears it
    w.d.must("POST", f"residents/{ra['id']}/legal-bases", {"type": "released", "starts_on": day(0),
                                                            "supersedes_id": ba["id"]}, 201, token=w.t)
    w.checkout(sc)
    items = w.kind("supervision_ended_in_residence")
    expect([x["resident_id"] for x in items] == [rb["id"]], f"after the clears: {items} {bc['id']}")


def test_planned_exit_after_supervision_end(d):
    w = Home(d)
    ra, sa = w.resident(days_in=10, planned_exit_on=day(20))
    ba = w.basis(ra["id"], 10)
    rb, sb = w.resident(days_in=10)
    bb = w.basis(rb["id"], 10)
    plan = w.d.must("PUT", f"stays/{sb['id']}/exit-plan", {"target_exit_on": day(40), "destination_plan": "family"},
                    201, token=w.t)
    rc, sc = w.resident(days_in=10, planned_exit_on=day(5))
    w.basis(rc["id"], 10)                                         # before the end: nothing
    items = w.kind("planned_exit_after_supervision_end")
    expect(len(items) == 2, f"two: {items}")
    a = one(items, resident_id=ra["id"])
    expect(a == {**a, "key": f"planned_exit_after_supervision_end:{sa['id']}:{day(10)}", "severity": "warning",
                 "entity": "stay", "entity_id": sa["id"], "stay_id": sa["id"], "since": ba["updated_at"],
                 "due_at": midnight(11),
                 "details": {"supervision_ends_on": day(10), "planned_exit_on": day(20), "target_exit_on": None}},
           f"planned: {a}")
    b = one(items, resident_id=rb["id"])
    expect(b["details"] == {"supervision_ends_on": day(10), "planned_exit_on": None, "target_exit_on": day(40)}
           and b["since"] == plan["updated_at"], f"target: {b}")
    w.d.must("PUT", f"stays/{sb['id']}/exit-plan", {"target_exit_on": day(10), "destination_plan": "family"},
             token=w.t)
    w.d.must("PATCH", f"legal-bases/{ba['id']}", {"supervision_ends_on": day(25), "correction_reason": "salah"},
             token=w.t)
    expect(w.kind("planned_exit_after_supervision_end") == [], "cleared")


def test_movement_overdue(d):
    w = Home(d, absconding_grace_minutes=120)
    ra, sa = w.resident(days_in=5)
    rb, sb = w.resident(days_in=5)
    ma = w.d.must("POST", f"stays/{sa['id']}/movements", {"purpose": "work", "expected_back_at": ts(ago(hours=-1))},
                  201, token=w.t)
    mb = w.d.must("POST", f"stays/{sb['id']}/movements", {"purpose": "medical", "expected_back_at": ts(ago(hours=-1))},
                  201, token=w.t)
    back_a, back_b = ago(hours=3), ago(hours=1)
    w.d.psql(f"UPDATE app.movements SET expected_back_at = '{back_a.isoformat()}' WHERE id = '{ma['id']}'")
    w.d.psql(f"UPDATE app.movements SET expected_back_at = '{back_b.isoformat()}' WHERE id = '{mb['id']}'")
    items = w.kind("movement_overdue")
    expect(len(items) == 1, f"only the one past its grace: {items}")
    a = one(items, resident_id=ra["id"])
    expect(a == {**a, "key": f"movement_overdue:{ma['id']}", "severity": "critical", "entity": "movement",
                 "entity_id": ma["id"], "stay_id": sa["id"], "since": ts(back_a + dt.timedelta(hours=2)),
                 "due_at": None}, f"overdue: {a}")
    expect(set(a["details"]) == {"movement_id", "purpose", "expected_back_at", "minutes_overdue"}
           and a["details"]["movement_id"] == ma["id"] and a["details"]["purpose"] == "work"
           and a["details"]["expected_back_at"] == ts(back_a) and 179 <= a["details"]["minutes_overdue"] <= 181,
           f"details: {a['details']}")
    w.d.must("PATCH", f"houses/{w.id}", {"absconding_grace_minutes": 30}, token=w.t)
    items = w.kind("movement_overdue")
    b = one(items, resident_id=rb["id"])
    expect(b["since"] == ts(back_b + dt.timedelta(minutes=30)) and 59 <= b["details"]["minutes_overdue"] <= 61, f"{b}")
    w.d.must("POST", f"movements/{ma['id']}/return", {}, token=w.t)
    w.checkout(sb)                                               # closes its movement
    expect(w.kind("movement_overdue") == [], "cleared by the return and the check-out")


def test_exit_plan_target_passed(d):
    w = Home(d)
    ra, sa = w.resident(days_in=60)
    plan = w.d.must("PUT", f"stays/{sa['id']}/exit-plan", {"target_exit_on": day(-4), "destination_plan": "family"},
                    201, token=w.t)
    rb, sb = w.resident(days_in=60)
    pb_ = w.d.must("PUT", f"stays/{sb['id']}/exit-plan", {"target_exit_on": day(-1), "destination_plan": "shelter"},
                   201, token=w.t)
    g = w.d.must("POST", f"stays/{sb['id']}/exit-plan/goals", {"domain": "housing", "title": "Kos"}, 201, token=w.t)
    w.d.must("POST", f"stays/{sb['id']}/exit-plan/goals", {"domain": "employment", "title": "Kerja"}, 201, token=w.t)
    w.d.must("PATCH", f"goals/{g['id']}", {"status": "achieved"}, token=w.t)
    rc, sc = w.resident(days_in=60)
    w.d.must("PUT", f"stays/{sc['id']}/exit-plan", {"target_exit_on": day(0), "destination_plan": "family"}, 201,
             token=w.t)                                          # today: not passed
    items = w.kind("exit_plan_target_passed")
    expect(len(items) == 2, f"two: {items}")
    a = one(items, resident_id=ra["id"])
    expect(a == {**a, "key": f"exit_plan_target_passed:{plan['id']}:{day(-4)}", "severity": "warning",
                 "entity": "exit_plan", "entity_id": plan["id"], "stay_id": sa["id"], "since": midnight(-3),
                 "due_at": None, "details": {"target_exit_on": day(-4), "readiness": None}}, f"{a}")
    b = one(items, resident_id=rb["id"])
    expect(b["details"] == {"target_exit_on": day(-1), "readiness": 0.5} and b["entity_id"] == pb_["id"], f"{b}")
    w.d.must("PUT", f"stays/{sa['id']}/exit-plan", {"target_exit_on": day(3), "destination_plan": "family"}, token=w.t)
    w.checkout(sb)
    expect(w.kind("exit_plan_target_passed") == [], "cleared")


def test_planned_exit_passed(d):
    w = Home(d)
    ra, sa = w.resident(days_in=30, planned_exit_on=day(-2))
    rb, sb = w.resident(days_in=30, planned_exit_on=day(0))
    items = w.kind("planned_exit_passed")
    a = one(items, resident_id=ra["id"])
    expect(len(items) == 1 and a == {**a, "key": f"planned_exit_passed:{sa['id']}:{day(-2)}", "severity": "warning",
                                     "entity": "stay", "entity_id": sa["id"], "stay_id": sa["id"],
                                     "since": midnight(-1), "due_at": None,
                                     "details": {"planned_exit_on": day(-2)}}, f"{items}")
    w.checkout(sa)
    expect(w.kind("planned_exit_passed") == [], f"cleared {sb['id']}")


def test_long_stay(d):
    w = Home(d)
    ra, sa = w.resident(days_in=12)
    rb, sb = w.resident(days_in=5)
    expect(w.kind("long_stay") == [], "off by default")
    w.d.must("PATCH", f"houses/{w.id}", {"long_stay_days": 10}, token=w.t)
    items = w.kind("long_stay")
    a = one(items, resident_id=ra["id"])
    checked_in = dt.datetime.fromisoformat(sa["checked_in_at"].replace("Z", "+00:00")).astimezone(TZ).date()
    since = dt.datetime.combine(checked_in + dt.timedelta(days=10), dt.time(), TZ)
    expect(len(items) == 1 and a == {**a, "key": f"long_stay:{sa['id']}:10", "severity": "info", "entity": "stay",
                                     "entity_id": sa["id"], "stay_id": sa["id"], "since": ts(since), "due_at": None,
                                     "details": {"checked_in_at": sa["checked_in_at"],
                                                 "days": (today() - checked_in).days}}, f"{items}")
    expect(w.ack(a["key"]).status == 200, "acknowledged")
    w.d.must("PATCH", f"houses/{w.id}", {"long_stay_days": 20}, token=w.t)
    expect(w.kind("long_stay") == [], "raised: cleared")
    w.d.must("PATCH", f"houses/{w.id}", {"long_stay_days": 3}, token=w.t)
    items = w.kind("long_stay")
    expect(sorted(x["key"] for x in items) == sorted([f"long_stay:{sa['id']}:3", f"long_stay:{sb['id']}:3"])
           and all(x["acknowledged_at"] is None for x in items), f"a new key, a new acknowledgement: {items}")
    w.d.must("PATCH", f"houses/{w.id}", {"long_stay_days": 10}, token=w.t)
    back = one(w.kind("long_stay"), key=a["key"])
    expect(back["acknowledged_at"] is not None, f"the same key comes back acknowledged: {back}")
    w.d.must("PATCH", f"houses/{w.id}", {"long_stay_days": None}, token=w.t)
    expect(w.kind("long_stay") == [], "cleared")


def busy(w):
    """A house with alerts of every severity and several of each, some at one since."""
    w.d.must("PATCH", f"houses/{w.id}", {"long_stay_days": 1}, token=w.t)
    rows = []
    for i in range(3):
        r, s = w.resident(days_in=20 + i, planned_exit_on=day(-1 - (i % 2)))
        w.basis(r["id"], 3 + i)
        rows.append((r, s))
    return rows


def test_order_and_paging(d):
    w = Home(d)
    busy(w)
    items = w.list()
    expect(len(items) >= 9, f"alerts: {len(items)}")
    order = [(RANK[a["severity"]], a["since"], a["key"].encode()) for a in items]
    expect(order == sorted(order), f"order: {order}")
    expect([a["severity"] for a in items][:3] == ["critical"] * 3 and items[-1]["severity"] == "info", f"{items}")
    for limit in (1, 2, 4, 200):
        got, cursor = [], None
        while True:
            page = w.d.must("GET", f"alerts?house_id={w.id}&limit={limit}" + (f"&cursor={cursor}" if cursor else ""),
                            token=w.t)
            expect(len(page["items"]) <= limit, f"limit {limit}: {len(page['items'])}")
            got += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        expect([a["key"] for a in got] == [a["key"] for a in items], f"limit {limit}: pages != the list")
    for bad in ("x", "YTox", "bm9wZQ", "a" * 201):
        expect_problem(w.d.request("GET", f"/api/v1/alerts?cursor={bad}", token=w.t), 422, "validation_failed")
    for bad in ("0", "201", "x"):
        expect_problem(w.d.request("GET", f"/api/v1/alerts?limit={bad}", token=w.t), 422, "validation_failed")


def test_filters(d):
    w = Home(d)
    rows = busy(w)
    other = Home(d)
    ro, so = other.resident(days_in=3, planned_exit_on=day(-1))
    items = w.list()
    r0 = rows[0][0]["id"]
    expect({a["kind"] for a in w.list(query="kind=long_stay")} == {"long_stay"}, "kind")
    expect(len(w.list(query="kind=long_stay")) == 3, "kind: every one")
    expect({a["severity"] for a in w.list(query="severity=warning")} == {"warning"}, "severity")
    expect([a["key"] for a in w.list(query=f"resident_id={r0}")] ==
           [a["key"] for a in items if a["resident_id"] == r0], "resident_id")
    expect(w.list(query="kind=roll_call_absent") == [] and w.list(query="kind=reporting_missed") == [],
           "a kind of a later section lists nothing")
    acked = items[0]["key"]
    expect(w.ack(acked).status == 200, "ack")
    expect([a["key"] for a in w.list(query="acknowledged=true")] == [acked], "acknowledged=true")
    expect(acked not in [a["key"] for a in w.list(query="acknowledged=false")]
           and len(w.list(query="acknowledged=false")) == len(items) - 1, "acknowledged=false")
    both = w.d.must("GET", "alerts?limit=200", token=w.t)["items"]
    expect({a["house_id"] for a in both} >= {w.id, other.id}, "no house_id: every visible house")
    for q in ("kind=bogus", "severity=high", "acknowledged=yes", "house_id=nope", "resident_id=1"):
        r = w.d.request("GET", f"/api/v1/alerts?{q}", token=w.t)
        expect_problem(r, 422, "validation_failed")
        expect(r.json["errors"][0]["field"] == q.split("=")[0], f"{q}: {r.json}")
    _, mgr = w.user("manager")
    expect_problem(w.d.request("GET", f"/api/v1/alerts?house_id={other.id}", token=mgr), 404, "not_found")
    expect(w.d.must("GET", f"alerts?resident_id={ro['id']}", token=mgr)["items"] == [], "a resident not visible")
    mine = w.d.must("GET", "alerts?limit=200", token=mgr)["items"]
    expect({a["house_id"] for a in mine} == {w.id}, "a manager's houses only")
    expect(so["id"] not in {a["stay_id"] for a in mine}, "another house")


def test_keys_stable_across_instances(d):
    w = Home(d)
    busy(w)
    first = w.list()
    with harness.Instance(share=d) as other:
        second = other.must("GET", f"alerts?house_id={w.id}&limit=200", token=w.t)["items"]
    expect(first == second, f"two instances differ:\n{first}\n{second}")
    expect(w.list() == first, "read twice")


def test_acknowledge(d):
    w = Home(d)
    r, s = w.resident(days_in=30, planned_exit_on=day(-3))
    key = f"planned_exit_passed:{s['id']}:{day(-3)}"
    _, cw = w.user("caseworker")
    before = w.written()
    for body, field in (({"key": key, "note": "x" * 2001}, "note"), ({"key": key, "note": "a\u0000b"}, "note"),
                        ({"note": "x"}, "key"), ({"key": ""}, "key"), ({"key": key, "extra": 1}, "extra"),
                        ({"key": "planned_exit_passed:" + s["id"] + ":" + day(-4)}, "key"),
                        ({"key": "bogus:1"}, "key"), ({"key": f"long_stay:{s['id']}:10"}, "key")):
        rr = w.d.request("POST", "/api/v1/alerts/acknowledge", json_body=body, token=cw)
        expect_problem(rr, 422, "validation_failed")
        expect([e["field"] for e in rr.json["errors"]] == [field], f"{body}: {rr.json}")
    expect(w.written() == before, "a refused acknowledgement wrote something")
    got = w.ack(key, token=cw, note="Sudah dibicarakan\ndengan keluarga")
    expect(got.status == 200, f"ack: {got}")
    a = got.json
    cw_id = d.psql(f"SELECT user_id FROM app.sessions s JOIN app.users u ON u.id = s.user_id "
                   f"WHERE u.role = 'caseworker' AND '{w.id}' = ANY (u.house_ids)").strip()
    expect(set(a) == ITEM_KEYS and a["key"] == key and a["acknowledged_by"] == cw_id
           and a["note"] == "Sudah dibicarakan\ndengan keluarga" and a["acknowledged_at"], f"{a}")
    listed = one(w.kind("planned_exit_passed"), key=key)
    expect(listed == a, f"listed as answered: {listed} vs {a}")
    ack_id = d.psql(f"SELECT id FROM app.alert_acknowledgements WHERE key = '{key}'").strip()
    audit = d.must("GET", f"audit?entity=alert_acknowledgement&entity_id={ack_id}", token=w.t)["items"]
    expect(len(audit) == 1 and audit[0]["action"] == "alert.acknowledge" and audit[0]["house_id"] == w.id
           and audit[0]["before"] is None and audit[0]["after"]["key"] == key
           and audit[0]["after"]["kind"] == "planned_exit_passed" and audit[0]["after"]["note"] == a["note"],
           f"audit: {audit}")
    ev = d.psql(f"SELECT data::text, coalesce(array_to_string(roles, ','), 'all') FROM app.events "
                f"WHERE name = 'alert.acknowledged' AND data->>'id' = '{ack_id}'").strip().split("|")
    data = json.loads(ev[0])
    expect(data == {"house_id": w.id, "entity": "alert_acknowledgement", "id": ack_id, "key": key,
                    "kind": "planned_exit_passed", "resident_id": r["id"], "stay_id": s["id"]}, f"event: {data}")
    expect("staff" in ev[1].split(",") or ev[1] == "all", f"staff see planned_exit_passed: {ev[1]}")
    before = w.written()
    again = w.ack(key, headers={"Accept-Language": "id"})
    expect_problem(again, 409, "already_acknowledged")
    expect(again.json["title"] == "Peringatan sudah ditanggapi", f"Indonesian title: {again.json}")
    expect_problem(w.ack(key, token=cw), 409, "already_acknowledged")
    expect(w.ack(key).json["title"] == "Alert already acknowledged", "English title")
    expect(w.written() == before, "a refused acknowledgement wrote something")
    w.checkout(s)
    before = w.written()
    expect_problem(w.ack(key), 422, "validation_failed")       # cleared: listed no more
    expect(w.written() == before, "nothing written")


def test_staff_rules(d):
    # no roll-call duty: its days of residence would raise roll_call_missed (§17.11), staff see it too
    w = Home(d, absconding_grace_minutes=0, roll_calls_per_day=0)
    r, s = w.resident(days_in=30, planned_exit_on=day(-3))
    m = d.must("POST", f"stays/{s['id']}/movements", {"purpose": "family_visit", "expected_back_at": ts(ago(hours=-1))},
               201, token=w.t)
    d.psql(f"UPDATE app.movements SET expected_back_at = now() - interval '5 minutes' WHERE id = '{m['id']}'")
    other = Home(d)
    ro, so = other.resident(days_in=3, planned_exit_on=day(-1))
    _, staff = w.user("staff")
    _, cw = w.user("caseworker")
    items = w.list(token=staff)
    expect({a["kind"] for a in items} == {"planned_exit_passed", "movement_overdue"}, f"staff see: {items}")
    expect(w.list(token=staff, query="kind=reporting_missed") == [], "a kind staff may not see: empty")
    before = w.written()
    planned = f"planned_exit_passed:{s['id']}:{day(-3)}"
    expect_problem(w.ack(planned, token=staff), 403, "forbidden")
    foreign = f"planned_exit_passed:{so['id']}:{day(-1)}"
    for tok in (staff, cw):
        rr = w.ack(foreign, token=tok)
        expect_problem(rr, 422, "validation_failed")
        expect(rr.json["errors"][0]["field"] == "key", f"{rr.json}")
    expect(w.written() == before, "a refused acknowledgement wrote something")
    got = w.ack(f"movement_overdue:{m['id']}", token=staff)
    expect(got.status == 200 and got.json["acknowledged_at"], f"staff acknowledge movement_overdue: {got}")
    ev = d.psql("SELECT coalesce(array_to_string(roles, ','), 'all') FROM app.events WHERE name = 'alert.acknowledged' "
                f"AND data->>'key' = 'movement_overdue:{m['id']}'").strip()
    expect(ev == "all" or "staff" in ev.split(","), f"the event reaches staff: {ev}")
    expect(w.ack(planned, token=cw).status == 200, "a caseworker acknowledges it")
    # the audience of every kind of the table: staff only where they see the kind (reporting_missed, §18's: never)
    aud = dict(line.split("|") for line in d.psql(
        "SELECT kind, array_to_string(api.alert_audience(kind), ',') FROM api.alert_kinds()").split())
    expect(aud["reporting_missed"] == "admin,manager,caseworker" and aud["consent_expiring"] == "admin,manager,caseworker"
           and aud["movement_overdue"] == "admin,manager,caseworker,staff"
           and aud["reporting_due"] == "admin,manager,caseworker,staff", f"audiences: {aud}")


def test_ack_race_two_instances(d):
    w = Home(d)
    r, s = w.resident(days_in=30, planned_exit_on=day(-3))
    key = f"planned_exit_passed:{s['id']}:{day(-3)}"
    with harness.Instance(share=d) as other:
        both = [d, other]
        got = harness.race([lambda i=i: both[i % 2].request(
            "POST", "/api/v1/alerts/acknowledge", token=w.t, timeout=60,
            json_body={"key": key, "note": f"n{i}"}) for i in range(12)])
    statuses = sorted(getattr(x, "status", repr(x)) for x in got)
    expect(statuses == [200] + [409] * 11, f"statuses: {statuses} {got[:2]}")
    expect(all(x.json["code"] == "already_acknowledged" for x in got if x.status == 409), f"{got}")
    counts = d.psql(f"SELECT (SELECT count(*) FROM app.alert_acknowledgements WHERE key = '{key}'), "
                    f"(SELECT count(*) FROM app.audit_log WHERE action = 'alert.acknowledge' AND after->>'key' = '{key}'), "
                    f"(SELECT count(*) FROM app.events WHERE name = 'alert.acknowledged' AND data->>'key' = '{key}')").strip()
    expect(counts == "1|1|1", f"(rows, audit, events): {counts}")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
