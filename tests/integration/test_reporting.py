"""The reporting duty (wajib lapor, contract §15.3, §15.4, with §15.1's roles, §15.9's events,
§15.10's audit actions, §15.11's invariants and races, §15.12's codes). One daemon for all
tests; the races add a second instance on its database. Time is controlled with back-dated
bases and schedules and explicit reported_at values with offsets; the house is in
Asia/Jakarta (+07:00). Each refused write is checked to have written nothing.

- test_schedule_put_get: 404 before the first PUT, 201 then 200 with version/history, ETag,
  grace default 3, audit create/update with full objects, reporting_schedule.set event (ids
  only), field rules 422, starts_on rules (basis, end, today on replacement), 409
  no_supervision (no basis, released, revoked, ended), If-Match 412.
- test_monthly_dates: D = 31 from the 31st (February in leap and non-leap years, April 30),
  D = S's day due on S, a start on the 20th with D = 10 first due on the 10th next month.
- test_interval_and_replacement: blocks S+N-1; a replacement mid-period cuts the old version,
  the first new period opens the day after the last old one kept; old grace kept.
- test_assignment_and_statuses: reports in reported_at order to the earliest free period,
  late in grace, 23:59:59 on closes_on counts, 00:00:00 next day goes to the next period,
  extra reports count for the next period or nothing, missed/grace/due/upcoming, the default
  selection, from/to and its 422s, consecutive misses, revocation_risk, next_due_on.
- test_duty_end: revoked basis ends the duty the day before revoked_on, ended supervision,
  released basis (no periods), checked-out resident still under supervision.
- test_record_rules: every 422 of a report (ahead, duty dates, remote_reason, movement),
  the 409s in order (no_reporting_schedule, remote_not_allowed, conflict), body before
  state, audit and event, Indonesian titles, nothing written on each refusal.
- test_void: void, period freed, 409 record_voided, audit before/after, event.
- test_excuses: 422 due_on, 409 period_met, 409 conflict, excused skipped in the misses walk,
  DELETE 204 audited, the period back; upcoming excusable.
- test_roles_and_houses: staff 403 on every route before any lookup (another house too),
  caseworker of another house 404, list filters and CSV.
- test_staff_stream_gets_no_reporting_events: a staff stream of the house gets none of them
  while an admin stream gets them all.
- test_state_of_many_residents_in_one_call: api.reporting_state / api.reporting_periods over
  several residents at once equal each one's calendar, with the alert columns.
- test_periods_equal_a_plain_reference_over_random_residents: random rhythms, versions,
  reports and excuses of 60 residents: api.reporting_periods (all and near) equals a plain
  Python transcription of §15.3.
- test_state_fast_path_equals_the_full_walk_over_random_residents: api.reporting_state (its
  window near today, or the full walk where the window is not proven) equals the reference's
  summary over 150 random residents with long histories; the window is taken for many.
- test_races_two_instances: N first PUTs (one 201, rest 200, version N), N reports linking one
  movement (one 201, rest 409 conflict), N excuses of one period (one 201, rest 409)."""

import csv
import datetime as dt
import io
import os
import sys
import time
import uuid
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_legal_bases  # noqa: E402
from harness import expect, expect_problem, uid  # noqa: E402

TZ = zoneinfo.ZoneInfo("Asia/Jakarta")


def today():
    return dt.datetime.now(TZ).date()


def day(offset):
    return (today() + dt.timedelta(days=offset)).isoformat()


def at(date, clock="12:00:00"):
    """An instant on the house's local DATE (written with the +07:00 offset). On today a clock
    still ahead becomes a moment ago (not before midnight): a report may not be in the future,
    and the tests that report "today" must pass at any hour."""
    when = dt.datetime.fromisoformat(f"{date}T{clock}+07:00")
    now = dt.datetime.now(TZ)
    if when > now and when.date() == now.date():
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        when = max(midnight, now - dt.timedelta(seconds=5))
    return when.isoformat(timespec="seconds")


class World(test_legal_bases.World):
    """The legal-bases world (admin token, a house, user(), audit(), events()) with the reporting
    calls."""

    def resident(self, basis_start="2020-01-01", ends="2035-12-31", btype="pembebasan_bersyarat", house=None):
        res = self.d.resident(self.token, house or self.house)
        if btype:
            body = {"type": btype, "starts_on": basis_start}
            if btype != "released":
                body.update(decree_number="PAS-" + uid(), decree_date=basis_start, supervision_ends_on=ends)
            self.d.must("POST", f"residents/{res['id']}/legal-bases", body, 201, token=self.token)
        return res

    def basis(self, rid):
        return self.d.must("GET", f"legal-bases?resident_id={rid}&current=true", token=self.token)["items"][0]

    def put(self, rid, body, token=None, **kw):
        return self.d.request("PUT", f"/api/v1/residents/{rid}/reporting/schedule", json_body=body,
                              token=token or self.token, **kw)

    def schedule(self, rid, **body):
        r = self.put(rid, body)
        expect(r.status in (200, 201), f"schedule: {r}")
        return r.json

    def report(self, rid, body, token=None, **kw):
        return self.d.request("POST", f"/api/v1/residents/{rid}/reporting/records", json_body=body,
                              token=token or self.token, **kw)

    def record(self, rid, when, method="in_person", **body):
        r = self.report(rid, {"reported_at": when, "method": method, **body})
        expect(r.status == 201, f"report: {r}")
        return r.json

    def excuse(self, rid, due_on, token=None, **kw):
        return self.d.request("POST", f"/api/v1/residents/{rid}/reporting/excuses",
                              json_body={"due_on": due_on, "reason": "Bapas mengizinkan"}, token=token or self.token,
                              **kw)

    def cal(self, rid, q=""):
        return self.d.must("GET", f"residents/{rid}/reporting{q}", token=self.token)

    def periods(self, rid, f, t):
        return self.cal(rid, f"?from={f}&to={t}")["periods"]

    def counts(self, rid):
        return self.d.psql(
            f"SELECT (SELECT count(*) FROM app.reporting_schedules WHERE resident_id = '{rid}'), "
            f"(SELECT count(*) FROM app.reporting_schedule_versions v JOIN app.reporting_schedules s "
            f"   ON s.id = v.schedule_id WHERE s.resident_id = '{rid}'), "
            f"(SELECT count(*) FROM app.reporting_records WHERE resident_id = '{rid}'), "
            f"(SELECT count(*) FROM app.reporting_records WHERE resident_id = '{rid}' AND voided_at IS NOT NULL), "
            f"(SELECT count(*) FROM app.reporting_excuses WHERE resident_id = '{rid}'), "
            "(SELECT count(*) FROM app.audit_log), (SELECT count(*) FROM app.events)").strip()


def world(d):
    return harness.world_of(d, World)


def dues(periods):
    return [p["due_on"] for p in periods]


def test_schedule_put_get(d):
    w = world(d)
    res = w.resident()
    rid = res["id"]
    expect_problem(d.request("GET", f"/api/v1/residents/{rid}/reporting/schedule", token=w.token), 404, "not_found")
    r = w.put(rid, {"frequency": "monthly", "day_of_month": 5, "starts_on": "2024-01-01", "notes": "lapor"})
    expect(r.status == 201, f"first PUT: {r}")
    s = r.json
    expect(set(s) == {"id", "resident_id", "house_id", "frequency", "day_of_month", "interval_days", "starts_on",
                      "grace_days", "remote_allowed", "notes", "version", "history", "created_at", "updated_at"},
           f"keys {sorted(s)}")
    expect(s["version"] == 1 and s["grace_days"] == 3 and s["remote_allowed"] is False
           and s["interval_days"] is None and s["house_id"] == w.house, f"{s}")
    expect(len(s["history"]) == 1 and set(s["history"][0]) == {"version", "frequency", "day_of_month",
           "interval_days", "starts_on", "grace_days", "remote_allowed", "set_by", "set_at"}, f"{s['history']}")
    expect(r.header("etag") == '"1"', f"ETag {r.header('etag')}")
    g = d.request("GET", f"/api/v1/residents/{rid}/reporting/schedule", token=w.token)
    expect(g.status == 200 and g.json == s and g.header("etag") == '"1"', f"GET {g}")
    a = w.audit("reporting_schedule", s["id"])
    expect([x["action"] for x in a] == ["reporting_schedule.create"] and a[0]["after"] == s, f"audit {a}")
    ev = w.events("reporting_schedule.set", s["id"])
    expect(ev == [{"house_id": w.house, "entity": "reporting_schedule", "id": s["id"], "resident_id": rid}],
           f"event {ev}")
    # a replacement: 200, version 2, history in order; starts_on before today refused
    before = w.counts(rid)
    e = w.put(rid, {"frequency": "interval", "interval_days": 14, "starts_on": day(-1)})
    expect_problem(e, 422, "validation_failed")
    expect(e.json["errors"][0]["field"] == "starts_on", f"{e.json}")
    expect(w.counts(rid) == before, "a refused replacement wrote something")
    expect_problem(w.put(rid, {"frequency": "interval", "interval_days": 14, "starts_on": day(0)},
                         headers={"If-Match": '"7"'}), 412, "precondition_failed")
    r = w.put(rid, {"frequency": "interval", "interval_days": 14, "starts_on": day(0), "grace_days": 0,
                    "remote_allowed": True}, headers={"If-Match": '"1"'})
    expect(r.status == 200 and r.json["version"] == 2 and r.json["day_of_month"] is None
           and r.json["notes"] is None and [h["version"] for h in r.json["history"]] == [1, 2]
           and r.json["history"][0]["frequency"] == "monthly" and r.json["grace_days"] == 0, f"replacement {r}")
    a = w.audit("reporting_schedule", s["id"])
    expect([x["action"] for x in a] == ["reporting_schedule.create", "reporting_schedule.update"]
           and a[1]["before"] == s and a[1]["after"] == r.json, f"audit {a}")
    # the same body again still counts a PUT
    r2 = w.put(rid, {"frequency": "interval", "interval_days": 14, "starts_on": day(0), "grace_days": 0,
                     "remote_allowed": True})
    expect(r2.status == 200 and r2.json["version"] == 3, f"same PUT {r2}")
    # field rules
    res2 = w.resident()
    before = w.counts(res2["id"])
    for body, field in [
        ({"day_of_month": 5, "starts_on": "2024-01-01"}, "frequency"),
        ({"frequency": "weekly", "day_of_month": 5, "starts_on": "2024-01-01"}, "frequency"),
        ({"frequency": "monthly", "starts_on": "2024-01-01"}, "day_of_month"),
        ({"frequency": "monthly", "day_of_month": 32, "starts_on": "2024-01-01"}, "day_of_month"),
        ({"frequency": "monthly", "day_of_month": 0, "starts_on": "2024-01-01"}, "day_of_month"),
        ({"frequency": "monthly", "day_of_month": 5, "interval_days": 7, "starts_on": "2024-01-01"}, "interval_days"),
        ({"frequency": "interval", "starts_on": "2024-01-01"}, "interval_days"),
        ({"frequency": "interval", "interval_days": 367, "starts_on": "2024-01-01"}, "interval_days"),
        ({"frequency": "interval", "interval_days": 7, "day_of_month": 3, "starts_on": "2024-01-01"}, "day_of_month"),
        ({"frequency": "monthly", "day_of_month": 5}, "starts_on"),
        ({"frequency": "monthly", "day_of_month": 5, "starts_on": "2024-01-01", "grace_days": 32}, "grace_days"),
        ({"frequency": "monthly", "day_of_month": 5, "starts_on": "2024-01-01", "grace_days": -1}, "grace_days"),
        ({"frequency": "monthly", "day_of_month": 5, "starts_on": "2024-01-01", "remote_allowed": "yes"},
         "remote_allowed"),
        ({"frequency": "monthly", "day_of_month": 5, "starts_on": "2024-01-01", "notes": "x" * 10001}, "notes"),
        ({"frequency": "monthly", "day_of_month": 5, "starts_on": "2024-01-01", "paused": True}, "paused"),
        ({"frequency": "monthly", "day_of_month": 5, "starts_on": "2019-12-31"}, "starts_on"),
        ({"frequency": "monthly", "day_of_month": 5, "starts_on": "2036-01-01"}, "starts_on"),
    ]:
        e = w.put(res2["id"], body)
        expect_problem(e, 422, "validation_failed")
        expect(field in [x["field"] for x in e.json["errors"]], f"{body}: {e.json}")
    expect(w.counts(res2["id"]) == before, "a refused PUT wrote something")
    # 409 no_supervision: no basis, released, revoked, ended
    ok = {"frequency": "monthly", "day_of_month": 5, "starts_on": day(0)}
    for res3 in (w.resident(btype=None), w.resident(basis_start=day(-10), btype="released"),
                 w.resident(basis_start="2020-01-01", ends=day(-1))):
        before = w.counts(res3["id"])
        e = w.put(res3["id"], ok, headers={"Accept-Language": "id"})
        expect_problem(e, 409, "no_supervision")
        expect(e.json["title"] == "Klien tidak dalam pengawasan", f"{e.json}")
        expect(w.counts(res3["id"]) == before, "a refused PUT wrote something")
    res4 = w.resident()
    b = w.basis(res4["id"])
    d.must("POST", f"legal-bases/{b['id']}/revoke", {"revoked_on": day(0), "reason": "dicabut"}, token=w.token)
    expect_problem(w.put(res4["id"], ok), 409, "no_supervision")


def test_monthly_dates(d):
    w = world(d)
    res = w.resident()
    w.schedule(res["id"], frequency="monthly", day_of_month=31, starts_on="2023-01-31", grace_days=2)
    p = w.periods(res["id"], "2023-01-01", "2023-05-31")
    expect(dues(p) == ["2023-01-31", "2023-02-28", "2023-03-31", "2023-04-30", "2023-05-31"], f"{dues(p)}")
    expect(p[0]["opens_on"] == "2023-01-31" and p[1]["opens_on"] == "2023-02-01"
           and p[1]["closes_on"] == "2023-03-02" and p[3]["closes_on"] == "2023-05-02", f"{p[:4]}")
    expect(all(x["status"] == "missed" and x["schedule_version"] == 1 and x["record_id"] is None
               and x["late"] is None and x["excuse_id"] is None for x in p), f"{p}")
    expect(set(p[0]) == {"opens_on", "due_on", "closes_on", "status", "schedule_version", "record_id", "late",
                         "excuse_id"}, f"{p[0]}")
    p = w.periods(res["id"], "2024-02-01", "2024-02-29")
    expect(dues(p) == ["2024-02-29"] and p[0]["opens_on"] == "2024-02-01", f"leap year {p}")
    # D equal to S's day: due on S itself
    r2 = w.resident()
    w.schedule(r2["id"], frequency="monthly", day_of_month=15, starts_on="2024-03-15")
    expect(dues(w.periods(r2["id"], "2024-01-01", "2024-05-31")) == ["2024-03-15", "2024-04-15", "2024-05-15"], "D=S")
    # a start on the 20th with D = 10: first due on the 10th of the next month
    r3 = w.resident()
    w.schedule(r3["id"], frequency="monthly", day_of_month=10, starts_on="2024-03-20")
    p = w.periods(r3["id"], "2024-01-01", "2024-05-31")
    expect(dues(p) == ["2024-04-10", "2024-05-10"] and p[0]["opens_on"] == "2024-03-20", f"{p}")


def test_interval_and_replacement(d):
    w = world(d)
    res = w.resident()
    rid = res["id"]
    start = today() - dt.timedelta(days=25)
    w.schedule(rid, frequency="interval", interval_days=10, starts_on=start.isoformat(), grace_days=5)
    p = w.cal(rid)["periods"]
    want = [(start + dt.timedelta(days=k * 10 - 1)).isoformat() for k in (1, 2, 3, 4)]
    expect(dues(p) == want, f"blocks {dues(p)} != {want}")
    expect(p[0]["opens_on"] == start.isoformat() and p[1]["opens_on"] == (start + dt.timedelta(days=10)).isoformat(),
           f"{p}")
    # today = start + 25: p1 (due +9, closes +14) missed, p2 (due +19, closes +24) missed, p3 due (+20..+29),
    # then the first upcoming one
    expect([x["status"] for x in p] == ["missed", "missed", "due", "upcoming"], f"{p}")
    # a replacement from tomorrow, monthly: the old version keeps only due dates before it
    new_start = today() + dt.timedelta(days=1)
    s = w.schedule(rid, frequency="monthly", day_of_month=new_start.day, starts_on=new_start.isoformat(),
                   grace_days=1)
    expect(s["version"] == 2, f"{s}")
    p = w.cal(rid)["periods"]
    expect(dues(p)[:3] == want[:2] + [new_start.isoformat()] and len(p) == 4 and p[3]["status"] == "upcoming",
           f"after replacement {dues(p)}")
    expect(p[2]["opens_on"] == (start + dt.timedelta(days=20)).isoformat() and p[2]["schedule_version"] == 2
           and p[2]["closes_on"] == (new_start + dt.timedelta(days=1)).isoformat() and p[2]["status"] == "due",
           f"first new period {p[2]}")
    expect(p[0]["closes_on"] == (start + dt.timedelta(days=14)).isoformat(), "old grace kept")
    # a report made in the meantime counts for the first new period
    rec = w.record(rid, at(day(0)))
    expect(rec["period_due_on"] == new_start.isoformat(), f"{rec}")


def test_assignment_and_statuses(d):
    w = world(d)
    res = w.resident()
    rid = res["id"]
    t = today()
    # interval 10 with grace 3, start 40 days ago: dues at -31, -21, -11, -1, +9, +19
    start = t - dt.timedelta(days=40)
    w.schedule(rid, frequency="interval", interval_days=10, starts_on=start.isoformat(), grace_days=3)

    def dd(k):
        return (start + dt.timedelta(days=10 * k - 1)).isoformat()

    cal = w.cal(rid)
    expect(dues(cal["periods"]) == [dd(1), dd(2), dd(3), dd(4), dd(5), dd(6)],
           f"default selection {dues(cal['periods'])}")
    expect([p["status"] for p in cal["periods"]] == ["missed", "missed", "missed", "grace", "due", "upcoming"],
           f"{cal['periods']}")
    expect(cal["consecutive_misses"] == 3 and cal["revocation_risk"] is True and cal["next_due_on"] == dd(4)
           and cal["under_supervision"] is True and cal["duty_ends_on"] == "2035-12-31"
           and cal["schedule_version"] == 1 and cal["resident_id"] == rid and cal["house_id"] == w.house, f"{cal}")
    # 23:59:59 on closes_on of period 1 counts (late); 00:00:00 the next day goes to period 2
    c1 = (start + dt.timedelta(days=9 + 3)).isoformat()
    r1 = w.record(rid, at(c1, "23:59:59"))
    expect(r1["period_due_on"] == dd(1), f"23:59:59 {r1}")
    nxt = (start + dt.timedelta(days=13)).isoformat()
    r2 = w.record(rid, f"{nxt}T00:00:00+07:00")
    expect(r2["period_due_on"] == dd(2), f"00:00:00 {r2}")
    # the same instant written in UTC is the same local date
    r3 = w.record(rid, f"{(start + dt.timedelta(days=14)).isoformat()}T16:59:59Z")   # 23:59:59 local, +14
    expect(r3["period_due_on"] is None, f"a third report in a window held by met periods: {r3}")
    p = w.cal(rid)["periods"]
    expect(p[0]["status"] == "met" and p[0]["late"] is True and p[0]["record_id"] == r1["id"], f"{p[0]}")
    expect(p[1]["status"] == "met" and p[1]["late"] is False and p[1]["record_id"] == r2["id"], f"{p[1]}")
    cal = w.cal(rid)
    expect(cal["consecutive_misses"] == 1 and cal["revocation_risk"] is False, f"{cal}")
    # a report today goes to period 4 (in grace: late)
    r4 = w.record(rid, at(day(0), "08:00:00"))
    expect(r4["period_due_on"] == dd(4), f"{r4}")
    p = w.cal(rid)["periods"]
    expect(p[3]["status"] == "met" and p[3]["late"] is True, f"{p[3]}")
    cal = w.cal(rid)
    expect(cal["consecutive_misses"] == 0 and cal["next_due_on"] == dd(5), f"{cal}")
    # from/to
    expect(dues(w.cal(rid, f"?from={dd(2)}&to={dd(3)}")["periods"]) == [dd(2), dd(3)], "from/to")
    expect(dues(w.cal(rid, f"?from={dd(5)}")["periods"])[:3] == [dd(5), (start + dt.timedelta(days=59)).isoformat(),
                                                                  (start + dt.timedelta(days=69)).isoformat()],
           "from only: up to L")
    expect(dues(w.cal(rid, f"?to={dd(2)}")["periods"]) == [dd(1), dd(2)], "to only")
    for q in (f"?from={dd(3)}&to={dd(2)}", "?from=2020-01-01&to=2030-01-20", "?from=x"):
        expect_problem(d.request("GET", f"/api/v1/residents/{rid}/reporting{q}", token=w.token), 422,
                       "validation_failed")
    expect(w.cal(rid, "?from=2020-01-01&to=2030-01-08") is not None, "3660 days apart allowed")
    # no schedule: the object with periods []
    other = w.resident()
    c = w.cal(other["id"])
    expect(c["periods"] == [] and c["schedule_version"] is None and c["next_due_on"] is None
           and c["consecutive_misses"] == 0 and c["under_supervision"] is True, f"{c}")
    c = w.cal(w.resident(btype=None)["id"])
    expect(c["duty_ends_on"] is None and c["under_supervision"] is False, f"{c}")


def test_duty_end(d):
    w = world(d)
    # revoked: duty ends the day before revoked_on
    res = w.resident()
    rid = res["id"]
    w.schedule(rid, frequency="interval", interval_days=5, starts_on=day(-30), grace_days=0)
    b = w.basis(rid)
    d.must("POST", f"legal-bases/{b['id']}/revoke", {"revoked_on": day(-10), "reason": "dicabut"}, token=w.token)
    cal = w.cal(rid)
    expect(cal["duty_ends_on"] == day(-11) and cal["under_supervision"] is False and cal["next_due_on"] is None,
           f"{cal}")
    expect(dues(cal["periods"]) == [day(-26), day(-21), day(-16), day(-11)], f"{dues(cal['periods'])}")
    expect(cal["consecutive_misses"] == 4 and cal["revocation_risk"] is False, "no risk once revoked")
    e = w.report(rid, {"reported_at": at(day(-10)), "method": "in_person"})
    expect_problem(e, 422, "validation_failed")
    expect(e.json["errors"][0]["field"] == "reported_at", f"{e.json}")
    # supervision ends: last period is on or before the end
    r2 = w.resident(basis_start="2024-01-01", ends="2024-03-20")
    # a schedule can only be PUT while under supervision: write it as it was (the basis ended since)
    d.psql(f"UPDATE app.legal_bases SET supervision_ends_on = '2035-01-01' WHERE resident_id = '{r2['id']}';"
           f"UPDATE app.residents SET supervision_ends_on = '2035-01-01' WHERE id = '{r2['id']}'")
    w.schedule(r2["id"], frequency="monthly", day_of_month=10, starts_on="2024-01-01")
    d.psql(f"UPDATE app.legal_bases SET supervision_ends_on = '2024-03-20' WHERE resident_id = '{r2['id']}';"
           f"UPDATE app.residents SET supervision_ends_on = '2024-03-20' WHERE id = '{r2['id']}'")
    cal = w.cal(r2["id"])
    expect(dues(cal["periods"]) == ["2024-01-10", "2024-02-10", "2024-03-10"] and cal["duty_ends_on"] == "2024-03-20"
           and cal["under_supervision"] is False, f"ended {cal}")
    # a released basis supersedes: no periods at all (L = the day before its starts_on)
    r3 = w.resident(basis_start="2024-01-01")
    w.schedule(r3["id"], frequency="monthly", day_of_month=10, starts_on="2024-01-01")
    b = w.basis(r3["id"])
    d.must("POST", f"residents/{r3['id']}/legal-bases", {"type": "released", "starts_on": "2024-02-15",
                                                         "supersedes_id": b["id"]}, 201, token=w.token)
    cal = w.cal(r3["id"])
    expect(cal["duty_ends_on"] == "2024-02-14" and dues(cal["periods"]) == ["2024-01-10", "2024-02-10"]
           and cal["under_supervision"] is False, f"released {cal}")
    # checked out: still under supervision, still has periods
    r4 = w.resident()
    room = d.room(w.token, w.house)
    bed = d.bed(w.token, room["id"])
    stay = d.must("POST", "stays", {"resident_id": r4["id"], "bed_id": bed["id"], "rules_acknowledged": True}, 201, token=w.token)
    d.must("POST", f"stays/{stay['id']}/checkout", {"exit_reason": "completed", "destination": "family"}, token=w.token)
    w.schedule(r4["id"], frequency="interval", interval_days=7, starts_on=day(-3))
    cal = w.cal(r4["id"])
    expect(cal["under_supervision"] is True and cal["periods"][0]["status"] == "due", f"checked out {cal}")
    expect(w.record(r4["id"], at(day(0), "06:00:00"))["period_due_on"] == day(3), "report after check-out")


def test_record_rules(d):
    w = world(d)
    res = w.resident()
    rid = res["id"]
    # no schedule: 409 no_reporting_schedule (after the body's 422s)
    before = w.counts(rid)
    e = w.report(rid, {"method": "in_person"}, headers={"Accept-Language": "id"})
    expect_problem(e, 409, "no_reporting_schedule")
    expect(e.json["title"] == "Belum ada jadwal wajib lapor", f"{e.json}")
    e = w.report(rid, {"method": "in_person"})
    expect_problem(e, 409, "no_reporting_schedule")
    expect(e.json["title"] == "No reporting schedule", f"{e.json}")
    expect_problem(w.report(rid, {"method": "phone"}), 422, "validation_failed")   # body first
    expect(w.counts(rid) == before, "a refused report wrote something")
    w.schedule(rid, frequency="interval", interval_days=7, starts_on=day(-20))
    room = d.room(w.token, w.house)
    bed = d.bed(w.token, room["id"])
    stay = d.must("POST", "stays", {"resident_id": rid, "bed_id": bed["id"], "rules_acknowledged": True}, 201, token=w.token)
    mv = d.must("POST", f"stays/{stay['id']}/movements", {"purpose": "reporting", "destination": "Bapas",
                "expected_back_at": (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=3)).isoformat()},
                201, token=w.token)
    time.sleep(1.1)
    before = w.counts(rid)
    soon = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=6)).isoformat()
    for body, field in [
        ({}, "method"),
        ({"method": "fax"}, "method"),
        ({"method": "in_person", "reported_at": soon}, "reported_at"),
        ({"method": "in_person", "reported_at": "2024-01-01"}, "reported_at"),
        ({"method": "in_person", "reported_at": at(day(-21))}, "reported_at"),
        ({"method": "phone"}, "remote_reason"),
        ({"method": "video_call", "remote_reason": ""}, "remote_reason"),
        ({"method": "phone", "remote_reason": "x" * 501}, "remote_reason"),
        ({"method": "in_person", "remote_reason": "sakit"}, "remote_reason"),
        ({"method": "in_person", "location": "a\nb"}, "location"),
        ({"method": "in_person", "location": "x" * 201}, "location"),
        ({"method": "in_person", "notes": "x" * 10001}, "notes"),
        ({"method": "in_person", "movement_id": "nope"}, "movement_id"),
        ({"method": "in_person", "movement_id": "00000000-0000-4000-8000-000000000000"}, "movement_id"),
        ({"method": "in_person", "movement_id": mv["id"], "reported_at": at(day(-1))}, "reported_at"),
        ({"method": "in_person", "verified_by": rid}, "verified_by"),
    ]:
        e = w.report(rid, body)
        expect_problem(e, 422, "validation_failed")
        expect(field in [x["field"] for x in e.json["errors"]], f"{body}: {e.json}")
    expect(w.counts(rid) == before, "a refused report wrote something")
    # a movement of another purpose / of another resident: 422 movement_id
    d.must("POST", f"movements/{mv['id']}/return", {}, token=w.token)
    mv2 = d.must("POST", f"stays/{stay['id']}/movements", {"purpose": "work",
                 "expected_back_at": (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=3)).isoformat()},
                 201, token=w.token)
    e = w.report(rid, {"method": "in_person", "movement_id": mv2["id"]})
    expect_problem(e, 422, "validation_failed")
    expect(e.json["errors"][0]["field"] == "movement_id", f"{e.json}")
    d.must("POST", f"movements/{mv2['id']}/return", {}, token=w.token)
    before = w.counts(rid)
    # after the return: reported_at after returned_at 422
    e = w.report(rid, {"method": "in_person", "movement_id": mv["id"]})
    expect_problem(e, 422, "validation_failed")
    expect(e.json["errors"][0]["field"] == "reported_at", f"{e.json}")
    # remote not allowed: 409 (Indonesian title)
    e = w.report(rid, {"method": "phone", "remote_reason": "sakit"}, headers={"Accept-Language": "id"})
    expect_problem(e, 409, "remote_not_allowed")
    expect(e.json["title"] == "Lapor jarak jauh tidak diizinkan", f"{e.json}")
    expect(w.counts(rid) == before, "a refused report wrote something")
    # a linked report: within out_at..returned_at
    out_at = d.psql(f"SELECT to_char(out_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
                    f"FROM app.movements WHERE id = '{mv['id']}'").strip()
    when = (dt.datetime.fromisoformat(out_at.replace("Z", "+00:00")) + dt.timedelta(milliseconds=500)).isoformat()
    r = w.report(rid, {"method": "in_person", "movement_id": mv["id"], "reported_at": when,
                       "location": "Kantor Bapas Jambi", "notes": "tepat waktu"})
    expect(r.status == 201, f"linked {r}")
    rec = r.json
    expect(set(rec) == {"id", "resident_id", "house_id", "reported_at", "method", "remote_reason", "location",
                        "movement_id", "notes", "verified_by", "period_due_on", "voided_at", "voided_by",
                        "void_reason", "version", "created_at", "updated_at"}, f"{sorted(rec)}")
    expect(rec["verified_by"] is not None and rec["voided_at"] is None and rec["period_due_on"] is not None
           and rec["location"] == "Kantor Bapas Jambi", f"{rec}")
    a = w.audit("reporting_record", rec["id"])
    expect([x["action"] for x in a] == ["reporting_record.create"] and a[0]["after"] == rec, f"{a}")
    ev = w.events("reporting_record.recorded", rec["id"])
    expect(ev == [{"house_id": w.house, "entity": "reporting_record", "id": rec["id"], "resident_id": rid,
                   "movement_id": mv["id"], "stay_id": stay["id"]}], f"{ev}")
    expect(d.must("GET", f"reporting-records/{rec['id']}", token=w.token) == rec, "GET record")
    # the movement linked twice: 409 conflict
    before = w.counts(rid)
    expect_problem(w.report(rid, {"method": "in_person", "movement_id": mv["id"], "reported_at": when}), 409,
                   "conflict")
    expect(w.counts(rid) == before, "a refused report wrote something")
    # remote allowed after a replacement (from today)
    w.schedule(rid, frequency="interval", interval_days=7, starts_on=day(0), remote_allowed=True)
    r = w.report(rid, {"method": "video_call", "remote_reason": "sakit"})
    expect(r.status == 201 and r.json["remote_reason"] == "sakit", f"remote {r}")
    # a report back-dated into the first version (remote forbidden there): 409
    e = w.report(rid, {"method": "phone", "remote_reason": "x", "reported_at": at(day(-2))})
    expect_problem(e, 409, "remote_not_allowed")
    expect(e.json["title"] == "Remote reporting is not allowed", f"{e.json}")
    ev = w.events("reporting_record.recorded", r.json["id"])
    expect(ev[0]["movement_id"] is None and ev[0]["stay_id"] is None, f"{ev}")


def test_void(d):
    w = world(d)
    res = w.resident()
    rid = res["id"]
    w.schedule(rid, frequency="interval", interval_days=7, starts_on=day(-20), grace_days=0)
    rec = w.record(rid, at(day(-17)))
    expect(rec["period_due_on"] == day(-14), f"{rec}")
    before = w.counts(rid)
    e = d.request("POST", f"/api/v1/reporting-records/{rec['id']}/void", json_body={}, token=w.token)
    expect_problem(e, 422, "validation_failed")
    expect(w.counts(rid) == before, "a refused void wrote something")
    v = d.must("POST", f"reporting-records/{rec['id']}/void", {"reason": "salah klien"}, token=w.token)
    expect(v["voided_at"] is not None and v["voided_by"] is not None and v["void_reason"] == "salah klien"
           and v["period_due_on"] is None and v["version"] == 2, f"{v}")
    p = w.cal(rid)["periods"]
    expect(p[0]["status"] == "missed" and p[0]["record_id"] is None, f"voided counts for nothing {p[0]}")
    a = w.audit("reporting_record", rec["id"])
    expect([x["action"] for x in a] == ["reporting_record.create", "reporting_record.void"]
           and a[1]["before"] == rec and a[1]["after"] == v, f"{a}")
    expect(w.events("reporting_record.voided", rec["id"]) == [{"house_id": w.house, "entity": "reporting_record",
           "id": rec["id"], "resident_id": rid, "movement_id": None, "stay_id": None}], "void event")
    before = w.counts(rid)
    e = d.request("POST", f"/api/v1/reporting-records/{rec['id']}/void", json_body={"reason": "lagi"}, token=w.token,
                  headers={"Accept-Language": "id"})
    expect_problem(e, 409, "record_voided")
    expect(e.json["title"] == "Catatan lapor sudah dibatalkan", f"{e.json}")
    e = d.request("POST", f"/api/v1/reporting-records/{rec['id']}/void", json_body={"reason": "lagi"}, token=w.token)
    expect_problem(e, 409, "record_voided")
    expect(e.json["title"] == "Report is already voided", f"{e.json}")
    expect(w.counts(rid) == before, "a refused void wrote something")
    # still listed
    items = d.must("GET", f"reporting-records?resident_id={rid}", token=w.token)["items"]
    expect([x["id"] for x in items] == [rec["id"]] and items[0]["voided_at"] is not None, f"{items}")


def test_excuses(d):
    w = world(d)
    res = w.resident()
    rid = res["id"]
    w.schedule(rid, frequency="interval", interval_days=10, starts_on=day(-40), grace_days=0)
    # dues: -31 -21 -11 -1 +9
    w.record(rid, at(day(-35)))
    cal = w.cal(rid)
    expect(cal["consecutive_misses"] == 3, f"{cal}")
    before = w.counts(rid)
    for due in (day(-30), "2019-01-01"):
        e = w.excuse(rid, due)
        expect_problem(e, 422, "validation_failed")
        expect(e.json["errors"][0]["field"] == "due_on", f"{e.json}")
    e = w.excuse(rid, day(-31), headers={"Accept-Language": "id"})
    expect_problem(e, 409, "period_met")
    expect(e.json["title"] == "Periode lapor sudah terpenuhi", f"{e.json}")
    e = w.excuse(rid, day(-31))
    expect(e.json["title"] == "Reporting period already met", f"{e.json}")
    expect_problem(d.request("POST", f"/api/v1/residents/{rid}/reporting/excuses", json_body={"due_on": day(-21)},
                             token=w.token), 422, "validation_failed")
    expect(w.counts(rid) == before, "a refused excuse wrote something")
    r = w.excuse(rid, day(-11))
    expect(r.status == 201, f"{r}")
    ex = r.json
    expect(set(ex) == {"id", "resident_id", "house_id", "due_on", "reason", "excused_by", "created_at",
                       "updated_at", "version"} and ex["due_on"] == day(-11), f"{ex}")
    cal = w.cal(rid)
    p = {x["due_on"]: x for x in cal["periods"]}
    expect(p[day(-11)]["status"] == "excused" and p[day(-11)]["excuse_id"] == ex["id"], f"{p}")
    expect(cal["consecutive_misses"] == 2, f"excused skipped, not breaking the run: {cal}")
    # a report in the excused window goes to the next free period
    before = w.counts(rid)
    e = w.excuse(rid, day(-11))
    expect_problem(e, 409, "conflict")
    expect(w.counts(rid) == before, "a refused excuse wrote something")
    expect(w.excuse(rid, day(9)).status == 201, "an upcoming period may be excused ahead")
    a = w.audit("reporting_excuse", ex["id"])
    expect([x["action"] for x in a] == ["reporting_excuse.create"] and a[0]["after"] == ex, f"{a}")
    expect(w.events("reporting_excuse.created", ex["id"]) == [{"house_id": w.house, "entity": "reporting_excuse",
           "id": ex["id"], "resident_id": rid}], "excuse event")
    r = d.request("DELETE", f"/api/v1/reporting-excuses/{ex['id']}", token=w.token)
    expect(r.status == 204 and not r.raw, f"{r}")
    a = w.audit("reporting_excuse", ex["id"])
    expect([x["action"] for x in a] == ["reporting_excuse.create", "reporting_excuse.delete"]
           and a[1]["before"] == ex and a[1]["after"] is None, f"{a}")
    expect(len(w.events("reporting_excuse.deleted", ex["id"])) == 1, "delete event")
    expect(w.cal(rid)["consecutive_misses"] == 3, "the period is what it would be without it")
    expect_problem(d.request("DELETE", f"/api/v1/reporting-excuses/{ex['id']}", token=w.token), 404, "not_found")


def test_roles_and_houses(d):
    w = world(d)
    res = w.resident()
    rid = res["id"]
    w.schedule(rid, frequency="interval", interval_days=7, starts_on=day(-10))
    rec = w.record(rid, at(day(-1)), location="=SUM(A1)")
    ex = w.excuse(rid, day(3)).json
    other = d.house(w.token)["id"]
    _, staff = w.user("staff", [w.house])
    _, staff_other = w.user("staff", [other])
    _, cw_other = w.user("caseworker", [other])
    _, cw = w.user("caseworker", [w.house])
    paths = [("PUT", f"/api/v1/residents/{rid}/reporting/schedule",
              {"frequency": "monthly", "day_of_month": 1, "starts_on": day(0)}),
             ("GET", f"/api/v1/residents/{rid}/reporting/schedule", None),
             ("GET", f"/api/v1/residents/{rid}/reporting", None),
             ("POST", f"/api/v1/residents/{rid}/reporting/records", {"method": "in_person"}),
             ("GET", "/api/v1/reporting-records", None),
             ("GET", f"/api/v1/reporting-records/{rec['id']}", None),
             ("POST", f"/api/v1/reporting-records/{rec['id']}/void", {"reason": "x"}),
             ("POST", f"/api/v1/residents/{rid}/reporting/excuses", {"due_on": day(-4), "reason": "x"}),
             ("DELETE", f"/api/v1/reporting-excuses/{ex['id']}", None)]
    before = w.counts(rid)
    for method, path, body in paths:
        for tok in (staff, staff_other):
            expect_problem(d.request(method, path, json_body=body, token=tok), 403, "forbidden")
        if path != "/api/v1/reporting-records":
            expect_problem(d.request(method, path, json_body=body, token=cw_other), 404, "not_found")
    expect_problem(d.request("GET", "/api/v1/residents/00000000-0000-4000-8000-000000000000/reporting",
                             token=staff), 403, "forbidden")
    expect(w.counts(rid) == before, "a refused request wrote something")
    expect(d.must("GET", "reporting-records", token=cw_other)["items"] == [], "another house listed")
    expect_problem(d.request("GET", f"/api/v1/reporting-records?house_id={w.house}", token=cw_other), 404,
                   "not_found")
    # a caseworker of the house may do all of it
    expect(d.must("GET", f"residents/{rid}/reporting", token=cw)["schedule_version"] == 1, "caseworker reads")
    r = w.report(rid, {"method": "home_visit", "reported_at": at(day(0), "01:00:00")}, token=cw)
    expect(r.status == 201, f"caseworker records {r}")
    # list filters and CSV
    items = d.must("GET", f"reporting-records?resident_id={rid}&method=home_visit", token=w.token)["items"]
    expect([x["id"] for x in items] == [r.json["id"]], f"method filter {items}")
    items = d.must("GET", f"reporting-records?house_id={w.house}&from={day(-1)}&to={day(-1)}", token=w.token)["items"]
    expect([x["id"] for x in items] == [rec["id"]], f"from/to {items}")
    items = d.must("GET", f"reporting-records?resident_id={rid}&limit=1", token=w.token)
    expect(len(items["items"]) == 1 and items["next_cursor"], f"{items}")
    expect_problem(d.request("GET", "/api/v1/reporting-records?method=fax", token=w.token), 422, "validation_failed")
    c = d.request("GET", f"/api/v1/reporting-records?resident_id={rid}", token=w.token,
                  headers={"Accept": "text/csv"})
    expect(c.status == 200 and c.header("content-type", "").startswith("text/csv"), f"{c}")
    rows = list(csv.reader(io.StringIO(c.text)))
    expect(rows[0][:5] == ["id", "resident_id", "house_id", "reported_at", "method"] and len(rows) == 3
           and rows[1][0] == rec["id"] and rows[1][rows[0].index("location")] == "'=SUM(A1)"
           and rows[1][rows[0].index("period_due_on")] == rec["period_due_on"], f"{rows}")


def test_staff_stream_gets_no_reporting_events(d):
    w = world(d)
    from test_events import Stream
    _, staff = w.user("staff", [w.house])
    s_staff = Stream(d, staff)
    s_admin = Stream(d, w.token)
    time.sleep(0.3)
    res = w.resident()
    rid = res["id"]
    w.schedule(rid, frequency="interval", interval_days=7, starts_on=day(-10))
    rec = w.record(rid, at(day(-1)))
    d.must("POST", f"reporting-records/{rec['id']}/void", {"reason": "x"}, token=w.token)
    ex = w.excuse(rid, day(-4)).json
    expect(d.request("DELETE", f"/api/v1/reporting-excuses/{ex['id']}", token=w.token).status == 204, "delete")
    # the staff stream gets the resident and basis events, never the reporting ones
    got_admin = s_admin.events(7, timeout=5)
    got_staff = s_staff.events(7, timeout=3)
    s_admin.close()
    s_staff.close()
    names_admin = [e[1] for e in got_admin]
    names_staff = [e[1] for e in got_staff]
    want = ["reporting_schedule.set", "reporting_record.recorded", "reporting_record.voided",
            "reporting_excuse.created", "reporting_excuse.deleted"]
    expect(all(n in names_admin for n in want), f"admin stream {names_admin}")
    expect("legal_basis.recorded" in names_staff, f"staff stream got nothing at all: {names_staff}")
    expect(not any(n.startswith("reporting_") for n in names_staff), f"staff stream {names_staff}")


def test_state_of_many_residents_in_one_call(d):
    """api.reporting_state / api.reporting_periods (the functions alerts and caseload reuse)
    over several residents at once give what each resident's calendar gives, plus the
    alert columns; the loop path (two reports on one period) and the set-based one agree."""
    w = world(d)
    rids = []
    for k, grace in enumerate((0, 3, 10)):
        res = w.resident()
        rids.append(res["id"])
        w.schedule(res["id"], frequency="interval", interval_days=7, starts_on=day(-30 - k), grace_days=grace)
        for back in (29, 27, 12):     # two in the first week (the second spills over or counts for nothing)
            w.record(res["id"], at(day(-back)))
    w.excuse(rids[2], w.cal(rids[2])["periods"][2]["due_on"])
    arr = "ARRAY[" + ",".join(f"'{r}'::uuid" for r in rids) + "]"
    rows = d.psql("SELECT resident_id, house_id, under_supervision, duty_ends_on, schedule_version, next_due_on, "
                  "consecutive_misses, revocation_risk, due_opens_on, due_due_on, due_closes_on, missed_due_on, "
                  f"missed_closes_on, next_undecided_closes_on FROM api.reporting_state({arr})").strip().splitlines()
    state = {r.split("|")[0]: r.split("|") for r in rows}
    expect(sorted(state) == sorted(rids), f"{rows}")
    everything = d.psql("SELECT resident_id, due_on, status, coalesce(record_id::text, ''), "
                        f"coalesce(late::text, '') FROM api.reporting_periods({arr}) ORDER BY resident_id, due_on")
    per = {}
    for line in everything.strip().splitlines():
        rid, due, status, rec, late = line.split("|")
        per.setdefault(rid, []).append((due, status, rec or None, {"true": True, "false": False}.get(late)))
    for rid in rids:
        cal = w.cal(rid, f"?from={day(-40)}&to=2035-12-31")
        st = state[rid]
        expect(st[1] == w.house and st[2] == "t" and st[3] == "2035-12-31" and st[4] == "1"
               and st[5] == (cal["next_due_on"] or "") and int(st[6]) == cal["consecutive_misses"]
               and (st[7] == "t") == cal["revocation_risk"], f"state {st} vs {cal}")
        want = [(p["due_on"], p["status"], p["record_id"], p["late"]) for p in cal["periods"]]
        expect(per[rid] == want, f"periods of {rid}: {per[rid]} != {want}")
        open_ = [p for p in cal["periods"] if p["status"] in ("due", "grace")]
        expect(st[9] == (open_[0]["due_on"] if open_ else "") and st[8] == (open_[0]["opens_on"] if open_ else "")
               and st[10] == (open_[0]["closes_on"] if open_ else ""), f"due columns {st}")
        undecided = [p for p in cal["periods"] if p["status"] in ("due", "grace", "upcoming")]
        expect(st[13] == undecided[0]["closes_on"], f"next undecided {st}")
        missed = [p for p in cal["periods"] if p["status"] == "missed"]
        if cal["consecutive_misses"]:
            expect(st[11] == missed[-1]["due_on"] and st[12] == missed[-1]["closes_on"], f"missed columns {st}")
        else:
            expect(st[11] == "" and st[12] == "", f"no run, no missed period: {st}")
    # a resident without basis or schedule still gets its row
    bare = w.resident(btype=None)["id"]
    row = d.psql(f"SELECT under_supervision, duty_ends_on, schedule_version, consecutive_misses "
                 f"FROM api.reporting_state(ARRAY['{bare}'::uuid])").strip()
    expect(row == "f|||0", f"{row}")


def reference_periods(versions, last_day, first_on, excuses, reports, today_):
    """§15.3 written out plainly: the periods of one resident with their status and report.
    versions: [(frequency, day_or_n, starts_on, grace)] in version order; reports: local dates
    in reported_at order."""
    import calendar
    dues = []
    for k, (freq, x, start, grace) in enumerate(versions):
        later = [v[2] for v in versions[k + 1:]]
        end = min([last_day] + [s - dt.timedelta(days=1) for s in later])
        if freq == "interval":
            due = start + dt.timedelta(days=x - 1)
            while due <= end:
                dues.append((due, k + 1, grace))
                due += dt.timedelta(days=x)
        else:
            y, m = start.year, start.month
            while (y, m) <= (end.year, end.month):
                due = dt.date(y, m, min(x, calendar.monthrange(y, m)[1]))
                if start <= due <= end:
                    dues.append((due, k + 1, grace))
                y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    periods = []
    for i, (due, version, grace) in enumerate(dues):
        opens = first_on if i == 0 else dues[i - 1][0] + dt.timedelta(days=1)
        periods.append({"opens": opens, "due": due, "closes": due + dt.timedelta(days=grace), "version": version,
                        "record": None, "on": None, "excused": due in excuses})
    for rid, on in reports:
        for p in periods:
            if not p["excused"] and p["record"] is None and p["opens"] <= on <= p["closes"]:
                p["record"], p["on"] = rid, on
                break
    out = []
    for p in periods:
        status = ("met" if p["record"] else "excused" if p["excused"] else "missed" if today_ > p["closes"]
                  else "grace" if today_ > p["due"] else "due" if today_ >= p["opens"] else "upcoming")
        out.append((p["opens"].isoformat(), p["due"].isoformat(), p["closes"].isoformat(), status, p["version"],
                    p["record"], (p["on"] > p["due"]) if p["record"] else None))
    return out


def supervised_sql(w, rid, basis_start, last_day, versions):
    """The SQL of a resident of w's house with a current PB basis and a schedule of versions
    [(frequency, day_or_n, starts_on, grace)], written straight into the tables."""
    sid = str(uuid.uuid4())
    freq, x, start0, grace0 = versions[-1]
    sql = [f"INSERT INTO app.residents (id, house_id, full_name, register_number, sex, legal_status, "
           f"supervision_ends_on) VALUES ('{rid}', '{w.house}', 'K', 'RND-{uid()}', 'male', 'parole', '{last_day}');",
           f"INSERT INTO app.legal_bases (resident_id, house_id, type, decree_number, decree_date, starts_on, "
           f"supervision_ends_on) VALUES ('{rid}', '{w.house}', 'pembebasan_bersyarat', 'D', '{basis_start}', "
           f"'{basis_start}', '{last_day}');",
           f"INSERT INTO app.reporting_schedules (id, resident_id, house_id, frequency, day_of_month, "
           f"interval_days, starts_on, grace_days, version) VALUES ('{sid}', '{rid}', '{w.house}', '{freq}', "
           f"{x if freq == 'monthly' else 'NULL'}, {x if freq == 'interval' else 'NULL'}, '{start0}', "
           f"{grace0}, {len(versions)});"]
    for k, (freq, x, start, grace) in enumerate(versions):
        sql.append(f"INSERT INTO app.reporting_schedule_versions (schedule_id, version, frequency, day_of_month, "
                   f"interval_days, starts_on, grace_days, remote_allowed) VALUES ('{sid}', {k + 1}, '{freq}', "
                   f"{x if freq == 'monthly' else 'NULL'}, {x if freq == 'interval' else 'NULL'}, '{start}', "
                   f"{grace}, false);")
    return sql


def record_sql(w, rid, rec, reported_at, voided):
    return (f"INSERT INTO app.reporting_records (id, resident_id, house_id, reported_at, method, voided_at, "
            f"void_reason) VALUES ('{rec}', '{rid}', '{w.house}', '{reported_at}', 'in_person', "
            f"{'now()' if voided else 'NULL'}, {chr(39) + 'x' + chr(39) if voided else 'NULL'});")


def test_periods_equal_a_plain_reference_over_random_residents(d):
    """60 residents with random rhythms (monthly and interval, 1-3 versions, graces 0-31),
    random reports (some at 23:59:59 and 00:00:00, several in one period, some voided) and
    excuses, written straight into the tables: api.reporting_periods over all of them at once
    (and near) equals reference_periods, resident by resident."""
    import random
    rnd = random.Random(int(os.environ.get("REPORTING_SEED", "1234")))
    w = world(d)
    t = today()
    sql, expected = [], {}
    for n in range(60):
        rid = str(uuid.uuid4())
        last_day = t + dt.timedelta(days=rnd.choice([-40, 10, 200, 2000]))
        basis_start = t - dt.timedelta(days=900)
        versions = []
        start = t - dt.timedelta(days=rnd.randint(30, 700))
        for k in range(rnd.randint(1, 3)):
            freq = rnd.choice(["monthly", "interval"])
            x = rnd.randint(1, 31) if freq == "monthly" else rnd.choice([1, 3, 7, 14, 30, 45])
            versions.append((freq, x, start, rnd.choice([0, 1, 3, 10, 31])))
            start = start + dt.timedelta(days=rnd.randint(-20, 200))
        sql += supervised_sql(w, rid, basis_start, last_day, versions)
        first_on = min(v[2] for v in versions)
        reports = []
        for j in range(rnd.randint(0, 40)):
            on = first_on + dt.timedelta(days=rnd.randint(-3, max(0, (t - first_on).days)))
            clock = rnd.choice(["00:00:00", "08:30:00", "23:59:59"])
            voided = rnd.random() < 0.1
            rec = str(uuid.uuid4())
            sql.append(record_sql(w, rid, rec, f"{on}T{clock}+07:00", voided))
            if not voided:
                reports.append((f"{on}T{clock}", rec, on))
        reports.sort(key=lambda r: r[0])
        excuses = set()
        for j in range(rnd.randint(0, 3)):
            due = first_on + dt.timedelta(days=rnd.randint(0, 400))
            excuses.add(due)
            sql.append(f"INSERT INTO app.reporting_excuses (resident_id, house_id, due_on, reason) VALUES "
                       f"('{rid}', '{w.house}', '{due}', 'x') ON CONFLICT DO NOTHING;")
        expected[rid] = reference_periods(versions, last_day, first_on, excuses, [(r[1], r[2]) for r in reports], t)
    for k in range(0, len(sql), 300):
        d.psql("\n".join(sql[k:k + 300]))
    arr = "ARRAY[" + ",".join(f"'{r}'::uuid" for r in expected) + "]"
    for near in ("false", "true"):
        out = d.psql("SELECT resident_id, opens_on, due_on, closes_on, status, schedule_version, "
                     "coalesce(record_id::text, ''), coalesce(late::text, '') "
                     f"FROM api.reporting_periods({arr}, {near}) ORDER BY resident_id, due_on")
        got = {}
        for line in out.strip().splitlines():
            rid, o, du, c, st, v, rec, late = line.split("|")
            got.setdefault(rid, []).append((o, du, c, st, int(v), rec or None,
                                            {"true": True, "false": False}.get(late)))
        for rid, want in expected.items():
            if near == "true":
                opened = [p for p in want if p[0] <= t.isoformat()]
                want = opened + [p for p in want if p[0] > t.isoformat()][:1]
            expect(got.get(rid, []) == want, f"near={near} resident {rid}:\n got {got.get(rid)}\nwant {want}")


def test_state_fast_path_equals_the_full_walk_over_random_residents(d):
    """api.reporting_state takes a window of periods near today where it is proven exact (see
    api.reporting_periods) and the full walk elsewhere: over 150 random residents with long
    histories (monthly on day 1-31 and intervals, 1-3 versions, graces 0-31, supervision ended
    or not, reports in most periods: early, on the day, late, at 23:59:59 and 00:00:00 of the
    next day, extra ones, voided ones, runs of misses, excuses) every column of the state equals
    what the plain reference of §15.3 gives; the window is taken for many of them."""
    import random
    rnd = random.Random(int(os.environ.get("REPORTING_SEED", "1234")) + 1)
    w = world(d)
    t = today()
    one = dt.timedelta(days=1)
    sql, expected = [], {}
    for n in range(150):
        rid = str(uuid.uuid4())
        last_day = t + dt.timedelta(days=rnd.choice([-100, -3, 10, 2000, 2000]))
        basis_start = t - dt.timedelta(days=1100)
        versions = []
        start = t - dt.timedelta(days=rnd.randint(60, 1000))
        for k in range(rnd.choice([1, 1, 1, 2, 3])):
            freq = rnd.choice(["monthly", "interval"])
            x = rnd.choice([1, 15, 28, 29, 30, 31, rnd.randint(1, 31)]) if freq == "monthly" \
                else rnd.choice([1, 2, 7, 7, 14, 30, 45, 90])
            versions.append((freq, x, start, rnd.choice([0, 1, 3, 3, 10, 31])))
            start = start + dt.timedelta(days=rnd.randint(-20, 400))
        sql += supervised_sql(w, rid, basis_start, last_day, versions)
        first_on = min(v[2] for v in versions)
        bare = reference_periods(versions, last_day, first_on, set(), [], t)
        run = rnd.choice([0, 0, 0, 1, 2, 3, 8])     # the newest closed periods left without a report
        closed = [p for p in bare if p[2] < t.isoformat()]
        skip = {p[1] for p in closed[len(closed) - run:]} if run else set()
        reports, excuses = [], set()
        for o, du, c, *_ in bare:
            if o > t.isoformat():
                break
            if rnd.random() < 0.03:
                excuses.add(dt.date.fromisoformat(du))
            if du in skip or rnd.random() < 0.08:
                continue
            lo, hi = dt.date.fromisoformat(o), min(dt.date.fromisoformat(c) + one, t)
            for _ in range(rnd.choice([1, 1, 1, 1, 2])):
                on = lo + dt.timedelta(days=rnd.randint(0, max(0, (hi - lo).days)))
                # (never after today: a report is not made ahead)
                on = min(t, rnd.choice([on, on, dt.date.fromisoformat(du), dt.date.fromisoformat(c), hi]))
                clock = rnd.choice(["00:00:00", "08:30:00", "08:30:00", "23:59:59"])
                voided = rnd.random() < 0.05
                rec = str(uuid.uuid4())
                sql.append(record_sql(w, rid, rec, f"{on}T{clock}+07:00", voided))
                if not voided:
                    reports.append((f"{on}T{clock}", rec, on))
        for due in excuses:
            sql.append(f"INSERT INTO app.reporting_excuses (resident_id, house_id, due_on, reason) VALUES "
                       f"('{rid}', '{w.house}', '{due}', 'x');")
        reports.sort(key=lambda r: r[0])
        expected[rid] = reference_periods(versions, last_day, first_on, excuses, [(r[1], r[2]) for r in reports], t)
    for k in range(0, len(sql), 300):
        d.psql("\n".join(sql[k:k + 300]))
    arr = "ARRAY[" + ",".join(f"'{r}'::uuid" for r in expected) + "]"
    got = {}
    ids = list(expected)
    for k in range(0, len(ids), 40):    # several residents per call, each call well inside psql's timeout
        part = "ARRAY[" + ",".join(f"'{r}'::uuid" for r in ids[k:k + 40]) + "]"
        out = d.psql("SELECT resident_id, coalesce(next_due_on::text, ''), consecutive_misses, "
                     "coalesce(due_opens_on::text, ''), coalesce(due_due_on::text, ''), "
                     "coalesce(due_closes_on::text, ''), coalesce(missed_due_on::text, ''), "
                     "coalesce(missed_closes_on::text, ''), coalesce(next_undecided_closes_on::text, ''), "
                     f"coalesce(due_periods::text, '') FROM api.reporting_state({part})")
        got.update({line.split("|")[0]: line.split("|")[1:] for line in out.strip().splitlines()})
    for rid, ps in expected.items():
        undecided = [p for p in ps if p[3] in ("due", "grace", "upcoming")]
        open_ = [p for p in ps if p[3] in ("due", "grace")]
        misses, newest = 0, None
        for p in reversed(ps):
            if p[3] == "met":
                break
            if p[3] == "missed":
                misses += 1
                newest = newest or p
        want = [undecided[0][1] if undecided else "", str(misses),
                open_[0][0] if open_ else "", open_[0][1] if open_ else "", open_[0][2] if open_ else "",
                newest[1] if newest else "", newest[2] if newest else "",
                undecided[0][2] if undecided else "",
                ("{" + ",".join("{" + ",".join(p[:3]) + "}" for p in open_) + "}") if open_ else ""]
        expect(got.get(rid) == want, f"state of {rid}:\n got {got.get(rid)}\nwant {want}\n{ps}")
    fast = d.psql("SELECT count(*) FROM (SELECT f.resident_id FROM api.reporting_periods("
                  f"{arr}, true, true) f GROUP BY 1 HAVING bool_and(f.exact) AND bool_or(f.cut) "
                  "AND bool_or(f.status = 'met')) x").strip()
    expect(int(fast) >= 40, f"the window was proven for only {fast} of 150 residents")


def put_race(w, instances, rid, n):
    calls = [lambda i=i: instances[i % 2].request("PUT", f"/api/v1/residents/{rid}/reporting/schedule",
             json_body={"frequency": "interval", "interval_days": 7 + i, "starts_on": day(0)}, token=w.token)
             for i in range(n)]
    return harness.race(calls)


def test_races_two_instances(d):
    w = world(d)
    with harness.Instance(share=d) as e:
        inst = [d, e]
        res = w.resident()
        rid = res["id"]
        out = put_race(w, inst, rid, 12)
        statuses = sorted(r.status for r in out)
        expect(statuses == [200] * 11 + [201], f"PUT race {statuses}")
        s = d.must("GET", f"residents/{rid}/reporting/schedule", token=w.token)
        expect(s["version"] == 12 and len(s["history"]) == 12, f"{s['version']}")
        # N reports linking one movement
        room = d.room(w.token, w.house)
        bed = d.bed(w.token, room["id"])
        stay = d.must("POST", "stays", {"resident_id": rid, "bed_id": bed["id"], "rules_acknowledged": True}, 201, token=w.token)
        mv = d.must("POST", f"stays/{stay['id']}/movements", {"purpose": "reporting",
                    "expected_back_at": (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=3)).isoformat()},
                    201, token=w.token)
        time.sleep(0.5)
        out = harness.race([lambda i=i: inst[i % 2].request("POST", f"/api/v1/residents/{rid}/reporting/records",
                            json_body={"method": "in_person", "movement_id": mv["id"]}, token=w.token)
                            for i in range(12)])
        statuses = sorted(r.status for r in out)
        expect(statuses == [201] + [409] * 11 and all(r.json["code"] == "conflict" for r in out if r.status == 409),
               f"movement race {statuses}")
        # N excuses of one period
        due = w.cal(rid)["periods"][-1]["due_on"]
        out = harness.race([lambda i=i: inst[i % 2].request("POST", f"/api/v1/residents/{rid}/reporting/excuses",
                            json_body={"due_on": due, "reason": "x"}, token=w.token) for i in range(12)])
        statuses = sorted(r.status for r in out)
        expect(statuses == [201] + [409] * 11 and all(r.json["code"] == "conflict" for r in out if r.status == 409),
               f"excuse race {statuses} {[r.json for r in out if r.status not in (201, 409)]}")
        n = d.psql(f"SELECT count(*) FROM app.reporting_excuses WHERE resident_id = '{rid}'").strip()
        expect(n == "1", f"{n} excuses")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
