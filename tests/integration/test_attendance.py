"""Attendance (contract §16.6 from "Roster."): the sheet of a session, the figures computed on
each enrolment, the session's counts, and §16.10's programme_consecutive_absences alert. One
daemon for all tests; the race adds a second instance on its database. Each refused PUT is
also checked to have written nothing.

- test_sheet: GET before the first recording (version 0, nulls, ETag "0"); every refused PUT
  422 naming records / records[i].enrolment_id (unknown, withdrawn before, of another
  programme, repeated) / records[i].hours (over the duration, hours on absent) /
  records[i].status, If-Match "1" 412, nothing written; the first PUT (If-Match "0") 201,
  defaults (present: the duration in hours), the session held with its own version, audit
  and session.updated, attendance.put audit and attendance.recorded event; the same sheet
  again 200, same version, nothing written; a change 200 version 2 with before/after;
  If-Match "0" now 412; the session's headcount/counts; PATCH of scheduled_at, duration or
  status 409 attendance_recorded, topic allowed; enrolments' attendance (JSON and CSV).
- test_refusals: session_cancelled, session_not_started, programme_not_open,
  programme_closed; staff may record; partner users 404 on both routes and a suppressed
  headcount in the partner view of the session.
- test_roster: one withdrawn after being recorded keeps its record and stays on the roster;
  one who joined after the recording is shown excused (counted nowhere) and must be named by
  the next PUT.
- test_consecutive_absences: the run and its reset (excused neither counts nor resets),
  attendance_rate; the alert raised at 3 (key with the run's first session, since the third
  session's time, details, severity, staff sees it and gets 403 acknowledging), cleared by a
  presence, a new run a new key, cleared when the enrolment leaves enrolled; a resident in
  residence: the alert names its active stay.
- test_race_two_instances: 10 simultaneous PUTs of distinct sheets over two daemons: one
  201, the stored sheet exactly one request's records, version = number of requests.
- test_kept_runs_race_two_instances: 24 sheets of 8 sessions saved at once over two daemons:
  every enrolment's kept run of absences (app.absence_runs) is the one its records give."""

import csv
import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem  # noqa: E402
from test_programmes import World  # noqa: E402

SHEET_KEYS = {"session_id", "version", "recorded_at", "recorded_by", "records"}
RECORD_KEYS = {"enrolment_id", "resident_id", "full_name", "status", "hours", "note"}


class Sheet(World):
    def programme(self, **fields):
        return self.create(**{"status": "open", "starts_on": "2026-01-05", "ends_on": "2027-06-30", **fields})

    def session(self, pid, at="2026-02-02T09:00:00+07:00", minutes=90):
        return self.d.must("POST", f"programmes/{pid}/sessions",
                           {"scheduled_at": at, "duration_minutes": minutes, "topic": "Sesi"}, 201, token=self.token)

    def sheet(self, sid, token=None):
        return self.d.request("GET", f"/api/v1/sessions/{sid}/attendance", token=token or self.token)

    def put(self, sid, records, token=None, d=None, **kw):
        return (d or self.d).request("PUT", f"/api/v1/sessions/{sid}/attendance", json_body={"records": records},
                                     token=token or self.token, timeout=60, **kw)

    def record(self, sid, statuses):
        """PUT {enrolment_id: status}; expects 200/201 and returns the sheet."""
        r = self.put(sid, [{"enrolment_id": e, "status": s} for e, s in statuses.items()])
        expect(r.status in (200, 201), f"put: {r}")
        return r.json

    def state(self):
        return self.d.psql("SELECT (SELECT count(*) FROM app.attendance), (SELECT count(*) FROM app.audit_log), "
                           "(SELECT count(*) FROM app.events), (SELECT sum(version + attendance_version) "
                           "FROM app.programme_sessions)").strip()


def world(d):
    return harness.world_of(d, Sheet)


def fields(r):
    return [e["field"] for e in r.json.get("errors", [])]


def test_sheet(d):
    w = world(d)
    p = w.programme()
    e1, e2, e3 = (w.enrolled(p["id"], w.resident())["id"] for _ in range(3))
    gone = w.enrolled(p["id"], w.resident())["id"]
    expect(w.epatch(gone, {"stage": "withdrawn", "withdrawal_reason": "health"}).status == 200, "withdraw")
    other = w.programme()
    stranger = w.enrolled(other["id"], w.resident())["id"]
    s = w.session(p["id"])
    r = w.sheet(s["id"])
    expect(r.status == 200 and set(r.json) == SHEET_KEYS and r.header("ETag") == '"0"', f"{r} {r.headers}")
    expect((r.json["version"], r.json["recorded_at"], r.json["recorded_by"]) == (0, None, None), f"{r.json}")
    expect([x["enrolment_id"] for x in r.json["records"]] == [e1, e2, e3], f"roster {r.json['records']}")
    expect(all(set(x) == RECORD_KEYS and (x["status"], x["hours"], x["note"]) == (None, None, None)
               for x in r.json["records"]), f"{r.json['records']}")
    good = [{"enrolment_id": e1, "status": "present"}, {"enrolment_id": e2, "status": "late", "hours": 1.25},
            {"enrolment_id": e3, "status": "absent", "note": "sakit"}]
    before = w.state()
    for records, field in [
            (good[:2], "records"),
            ([*good, {"enrolment_id": "00000000-0000-4000-8000-000000000001", "status": "absent"}],
             "records[3].enrolment_id"),
            ([*good, {"enrolment_id": gone, "status": "absent"}], "records[3].enrolment_id"),
            ([{"enrolment_id": stranger, "status": "absent"}, *good], "records[0].enrolment_id"),
            ([*good, good[0]], "records[3].enrolment_id"),
            ([good[0], {**good[1], "hours": 1.51}, good[2]], "records[1].hours"),
            ([good[0], good[1], {**good[2], "hours": 1}], "records[2].hours"),
            ([good[0], good[1], {**good[2], "hours": -1}], "records[2].hours"),
            ([good[0], good[1], {**good[2], "hours": 0.123}], "records[2].hours"),
            ([{**good[0], "status": "sick"}, good[1], good[2]], "records[0].status"),
            ([good[0], good[1], {"status": "absent"}], "records[2].enrolment_id"),
            ([good[0], good[1], {**good[2], "note": "a\nb"}], "records[2].note"),
            ([good[0], good[1], {**good[2], "extra": 1}], "records[2].extra"),
            ([good[0], good[1], "x"], "records[2]")]:
        r = w.put(s["id"], records)
        expect_problem(r, 422, "validation_failed")
        expect(field in fields(r), f"{field}: {r.json}")
    expect_problem(w.d.request("PUT", f"/api/v1/sessions/{s['id']}/attendance", json_body={"records": {}},
                               token=w.token), 422, "validation_failed")
    expect_problem(w.d.request("PUT", f"/api/v1/sessions/{s['id']}/attendance", json_body={}, token=w.token),
                   422, "validation_failed")
    expect_problem(w.put(s["id"], good, headers={"If-Match": '"1"'}), 412, "precondition_failed")
    expect(w.state() == before, "a refused PUT wrote something")
    r = w.put(s["id"], good, headers={"If-Match": '"0"'})
    expect(r.status == 201 and r.header("ETag") == '"1"' and r.json["version"] == 1, f"{r}")
    expect(r.json["recorded_by"] == w.user_id and r.json["recorded_at"], f"{r.json}")
    expect([(x["status"], x["hours"], x["note"]) for x in r.json["records"]]
           == [("present", 1.5, None), ("late", 1.25, None), ("absent", 0, "sakit")], f"{r.json['records']}")
    expect(w.sheet(s["id"]).json == r.json, "GET is what PUT answered")
    sess = w.d.must("GET", f"sessions/{s['id']}", token=w.token)
    expect((sess["status"], sess["version"], sess["attendance_version"], sess["headcount"], sess["counts"])
           == ("held", 2, 1, 2, {"present": 1, "late": 1, "excused": 0, "absent": 1}), f"{sess}")
    expect(w.audit("session", s["id"]) == ["session.create||", "session.update||"], "session audit")
    expect(w.events("session.updated", s["id"]), "session.updated")
    audit = w.d.psql(f"SELECT action, before IS NULL, after->'records'->0->>'status' FROM app.audit_log "
                     f"WHERE entity = 'attendance' AND entity_id = '{s['id']}'").strip()
    expect(audit == "attendance.put|t|present", audit)
    ev = w.events("attendance.recorded", s["id"])
    expect(f'"session_id": "{s["id"]}"' in ev and f'"programme_id": "{p["id"]}"' in ev, ev)
    # the same sheet (hours given as the default, in another order) writes nothing
    state = w.state()
    r = w.put(s["id"], [good[2], {**good[0], "hours": 1.5}, good[1]])
    expect(r.status == 200 and r.json["version"] == 1, f"{r}")
    expect(w.state() == state, "an unchanged sheet wrote something")
    r = w.put(s["id"], [good[0], good[1], {"enrolment_id": e3, "status": "excused", "hours": 0}],
              headers={"If-Match": '"1"'})
    expect(r.status == 200 and r.json["version"] == 2 and r.json["records"][2]["status"] == "excused", f"{r}")
    audit = w.d.psql(f"SELECT before->'records'->2->>'status', after->'records'->2->>'status' FROM app.audit_log "
                     f"WHERE entity = 'attendance' AND entity_id = '{s['id']}' ORDER BY pos DESC LIMIT 1").strip()
    expect(audit == "absent|excused", audit)
    expect(len(w.events("attendance.recorded", s["id"]).splitlines()) == 2, "one event per change")
    expect_problem(w.put(s["id"], good, headers={"If-Match": '"0"'}), 412, "precondition_failed")
    sess = w.d.must("GET", f"sessions/{s['id']}", token=w.token)
    expect((sess["version"], sess["attendance_version"]) == (2, 2), f"{sess}")
    # once recorded, when and how long it was are fixed
    for change in [{"scheduled_at": "2026-02-03T09:00:00+07:00"}, {"duration_minutes": 60}, {"status": "scheduled"}]:
        expect_problem(w.d.request("PATCH", f"/api/v1/sessions/{s['id']}", json_body=change, token=w.token),
                       409, "attendance_recorded")
    r = w.d.request("PATCH", f"/api/v1/sessions/{s['id']}", json_body={"topic": "Sesi lanjutan"}, token=w.token)
    expect(r.status == 200 and r.json["version"] == 3, f"{r}")
    a1 = w.eget(e1)["attendance"]
    expect(a1 == {"sessions_recorded": 1, "sessions_attended": 1, "hours": 1.5, "attendance_rate": 1.0,
                  "consecutive_absences": 0}, f"{a1}")
    a3 = w.eget(e3)["attendance"]
    expect(a3 == {"sessions_recorded": 1, "sessions_attended": 0, "hours": 0, "attendance_rate": None,
                  "consecutive_absences": 0}, f"{a3}")
    r = w.d.request("GET", f"/api/v1/enrolments?programme_id={p['id']}", token=w.token,
                    headers={"Accept": "text/csv"})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    row = next(x for x in rows if x["id"] == e2)
    expect((row["attendance.sessions_recorded"], row["attendance.hours"], row["attendance.attendance_rate"])
           == ("1", "1.25", "1"), f"{row}")


def test_refusals(d):
    w = world(d)
    pa = w.partner([w.a])
    p = w.programme(partner_id=pa["id"])
    e = w.enrolled(p["id"], w.resident())["id"]
    rec = [{"enrolment_id": e, "status": "present"}]
    cancelled = w.session(p["id"], at="2026-02-03T09:00:00+07:00")
    w.d.must("PATCH", f"sessions/{cancelled['id']}", {"status": "cancelled"}, token=w.token)
    future = w.session(p["id"], at="2027-01-04T09:00:00+07:00")
    draft = w.session(w.programme(status="draft")["id"])
    pt = w.user("partner", partner_id=pa["id"])
    other_house = w.user("manager", [w.b])
    staff = w.user("staff", [w.a])
    s = w.session(p["id"], at="2026-02-04T09:00:00+07:00")
    before = w.state()
    expect_problem(w.put(cancelled["id"], rec), 409, "session_cancelled")
    expect_problem(w.put(future["id"], rec), 409, "session_not_started")
    expect_problem(w.put(draft["id"], []), 409, "programme_not_open")
    expect_problem(w.sheet(s["id"], token=pt), 404, "not_found")
    expect_problem(w.put(s["id"], rec, token=pt), 404, "not_found")
    expect_problem(w.sheet(s["id"], token=other_house), 404, "not_found")
    expect_problem(w.put(s["id"], rec, token=other_house), 404, "not_found")
    expect(w.state() == before, "a refused PUT wrote something")
    r = w.put(s["id"], rec, token=staff)
    expect(r.status == 201, f"staff records: {r}")
    seen = w.d.must("GET", f"sessions/{s['id']}", token=pt)
    expect(seen["headcount"] is None and seen["suppressed"] is True and "counts" not in seen
           and "attendance_version" not in seen, f"partner view {seen}")
    house = w.d.must("GET", f"sessions/{s['id']}", token=w.token)
    expect(house["headcount"] == 1 and house["suppressed"] is False, f"{house}")
    w.patch(p["id"], {"status": "running"})
    w.patch(p["id"], {"status": "finished"})
    expect_problem(w.put(s["id"], rec), 409, "programme_closed")


def test_roster(d):
    w = world(d)
    p = w.programme()
    e1, e2 = (w.enrolled(p["id"], w.resident())["id"] for _ in range(2))
    s = w.session(p["id"], at="2026-03-02T09:00:00+07:00")
    w.record(s["id"], {e1: "present", e2: "absent"})
    expect(w.epatch(e2, {"stage": "withdrawn", "withdrawal_reason": "moved_away"}).status == 200, "withdraw")
    late = w.enrolled(p["id"], w.resident())["id"]
    sheet = w.sheet(s["id"]).json
    expect([(x["enrolment_id"], x["status"]) for x in sheet["records"]]
           == [(e1, "present"), (e2, "absent"), (late, "excused")], f"{sheet['records']}")
    expect(sheet["records"][2]["hours"] == 0 and sheet["version"] == 1, f"{sheet}")
    a = w.eget(late)["attendance"]
    expect((a["sessions_recorded"], a["attendance_rate"], a["consecutive_absences"]) == (0, None, 0), f"{a}")
    # both are on the roster: a sheet without either misses it
    for keep in ({e1: "present", late: "excused"}, {e1: "present", e2: "absent"}):
        r = w.put(s["id"], [{"enrolment_id": k, "status": v} for k, v in keep.items()])
        expect_problem(r, 422, "validation_failed")
        expect(fields(r) == ["records"], f"{r.json}")
    sheet = w.record(s["id"], {e1: "present", e2: "absent", late: "excused"})
    expect(sheet["version"] == 2 and [x["status"] for x in sheet["records"]] == ["present", "absent", "excused"],
           f"{sheet}")


def test_consecutive_absences(d):
    w = world(d)
    p = w.programme()
    e = w.enrolled(p["id"], w.resident())
    eid = e["id"]
    staff = w.user("staff", [w.a])
    days = [w.session(p["id"], at=f"2026-04-{day:02d}T09:00:00+07:00")["id"] for day in range(1, 11)]

    def alerts(token=None):
        r = w.d.must("GET", f"alerts?kind=programme_consecutive_absences&house_id={w.a}", token=token or w.token)
        return [a for a in r["items"] if a["entity_id"] == eid]

    def run():
        return w.eget(eid)["attendance"]["consecutive_absences"]

    w.record(days[0], {eid: "present"})
    w.record(days[1], {eid: "absent"})
    w.record(days[2], {eid: "excused"})
    w.record(days[3], {eid: "absent"})
    expect(run() == 2 and alerts() == [], "two absences, an excused one between")
    w.record(days[4], {eid: "absent"})
    a = w.eget(eid)["attendance"]
    expect(a["consecutive_absences"] == 3 and abs(a["attendance_rate"] - 0.25) < 1e-9, f"{a}")
    got = alerts()
    expect(len(got) == 1, f"{got}")
    al = got[0]
    when = w.d.must("GET", f"sessions/{days[4]}", token=w.token)["scheduled_at"]
    expect((al["key"], al["kind"], al["severity"], al["entity"], al["resident_id"], al["stay_id"], al["since"],
            al["due_at"]) == (f"programme_consecutive_absences:{eid}:{days[1]}", "programme_consecutive_absences",
                              "warning", "enrolment", e["resident_id"], None, when, None), f"{al}")
    expect(al["details"] == {"programme_id": p["id"], "consecutive_absences": 3, "last_session_id": days[4]},
           f"{al['details']}")
    expect(len(alerts(staff)) == 1, "staff see it")
    expect_problem(w.d.request("POST", "/api/v1/alerts/acknowledge", json_body={"key": al["key"]}, token=staff),
                   403, "forbidden")
    w.record(days[5], {eid: "absent"})
    got = alerts()
    expect(len(got) == 1 and got[0]["key"] == al["key"] and got[0]["details"]["consecutive_absences"] == 4
           and got[0]["details"]["last_session_id"] == days[5] and got[0]["since"] == when, f"{got}")
    w.record(days[6], {eid: "late"})
    expect(run() == 0 and alerts() == [], "a presence ends the run")
    # a resident in residence: the alert names its active stay
    room = w.d.room(w.token, w.a)["id"]
    rid = w.resident()
    stay = w.d.must("POST", "stays", {"resident_id": rid, "bed_id": w.d.bed(w.token, room)["id"],
                                      "rules_acknowledged": True}, 201, token=w.token)
    q = w.programme()
    qe = w.enrolled(q["id"], rid)["id"]
    for day in (1, 2, 3):
        w.record(w.session(q["id"], at=f"2026-04-{day:02d}T10:00:00+07:00")["id"], {qe: "absent"})
    r = w.d.must("GET", f"alerts?kind=programme_consecutive_absences&house_id={w.a}", token=w.token)
    got = [a for a in r["items"] if a["entity_id"] == qe]
    expect(len(got) == 1 and got[0]["stay_id"] == stay["id"] and got[0]["resident_id"] == rid, f"{got}")
    for i in (7, 8, 9):
        w.record(days[i], {eid: "absent"})
    got = alerts()
    expect(len(got) == 1 and got[0]["key"] == f"programme_consecutive_absences:{eid}:{days[7]}", f"{got}")
    expect(w.epatch(eid, {"stage": "withdrawn", "withdrawal_reason": "non_attendance"}).status == 200, "withdraw")
    expect(alerts() == [], "leaving enrolled clears it")


def test_race_two_instances(d):
    w = world(d)
    p = w.programme()
    es = [w.enrolled(p["id"], w.resident())["id"] for _ in range(4)]
    s = w.session(p["id"], at="2026-05-04T09:00:00+07:00")
    statuses = ["present", "late", "excused", "absent"]
    # request i: enrolment j gets statuses[(i + j) % 4] and note "i": every sheet distinct
    sheets = [[{"enrolment_id": e, "status": statuses[(i + j) % 4], "note": str(i)} for j, e in enumerate(es)]
              for i in range(10)]
    with harness.Instance(share=d) as other:
        both = [d, other]
        got = harness.race([lambda i=i: w.put(s["id"], sheets[i], d=both[i % 2]) for i in range(10)])
    codes = sorted(getattr(r, "status", repr(r)) for r in got)
    expect(codes == [200] * 9 + [201], f"{codes}")
    final = w.sheet(s["id"]).json
    expect(final["version"] == 10, f"version {final['version']}")
    stored = [(x["enrolment_id"], x["status"], x["note"]) for x in final["records"]]
    matches = [i for i in range(10) if stored == [(x["enrolment_id"], x["status"], x["note"]) for x in sheets[i]]]
    expect(len(matches) == 1, f"the stored sheet is no one request's: {stored}")
    n = d.psql(f"SELECT count(*), count(DISTINCT note) FROM app.attendance WHERE session_id = '{s['id']}'").strip()
    expect(n == "4|1", f"rows {n}")
    sess = w.d.must("GET", f"sessions/{s['id']}", token=w.token)
    expect((sess["status"], sess["version"], sess["attendance_version"]) == ("held", 2, 10), f"{sess}")


def runs_from_records(d, eids):
    """{enrolment: (n, first session, last session, third's time)} computed here from the records
    (the reference of app.absence_runs, 0038): absent records on held sessions after the
    latest present or late one, in session time order."""
    out = d.psql("SELECT a.enrolment_id, a.status, s.id, extract(epoch FROM s.scheduled_at), s.seq "
                 "FROM app.attendance a JOIN app.programme_sessions s ON s.id = a.session_id AND s.status = 'held' "
                 f"WHERE a.enrolment_id IN ({','.join(repr(e) for e in eids)}) ORDER BY 4, 5")
    runs = {}
    for line in out.strip().splitlines():
        e, status, sid, at, _ = line.split("|")
        if status in ("present", "late"):
            runs.pop(e, None)
        elif status == "absent":
            n, first, _, third, ats = runs.get(e, (0, sid, None, None, []))
            ats = ats + [float(at)]
            runs[e] = (n + 1, first, sid, ats[2] if len(ats) >= 3 else None, ats)
    return {e: r[:4] for e, r in runs.items()}


def test_kept_runs_race_two_instances(d):
    """Sheets of 8 sessions of one programme's 5 enrolments saved at once over two daemons,
    three random sheets per session: each enrolment's kept run (app.absence_runs, written by
    the saves) is the one its records give, and the enrolments' consecutive_absences with it."""
    import random
    rnd = random.Random(int(os.environ.get("REPORTING_SEED", "1234")))
    w = world(d)
    p = w.programme()
    es = [w.enrolled(p["id"], w.resident())["id"] for _ in range(5)]
    ss = [w.session(p["id"], at=f"2026-06-{day:02d}T09:00:00+07:00")["id"] for day in range(1, 9)]
    puts = [(sid, [{"enrolment_id": e, "status": rnd.choice(["absent", "absent", "absent", "present", "excused"])}
                   for e in es]) for sid in ss for _ in range(3)]
    with harness.Instance(share=d) as other:
        both = [d, other]
        got = harness.race([lambda i=i: w.put(puts[i][0], puts[i][1], d=both[i % 2]) for i in range(len(puts))])
    expect(all(getattr(r, "status", None) in (200, 201) for r in got), f"{[getattr(r, 'status', r) for r in got]}")
    want = runs_from_records(d, es)
    out = d.psql("SELECT enrolment_id, n, first_session_id, last_session_id, coalesce(extract(epoch FROM third_at)::text, '') "
                 f"FROM app.absence_runs WHERE n > 0 AND enrolment_id IN ({','.join(repr(e) for e in es)})")
    kept = {e: (int(n), f, la, float(t) if t else None)
            for e, n, f, la, t in (line.split("|") for line in out.strip().splitlines())}
    expect(kept == want, f"kept runs\n {kept}\nfrom the records\n {want}")
    expect(len(want) >= 2, f"only {len(want)} runs: the race proved little")
    for e in es:
        expect(w.eget(e)["attendance"]["consecutive_absences"] == want.get(e, (0,))[0], f"enrolment {e}")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
