"""Programmes (contract §16.4) and enrolments (§16.5), with §16.1's roles, §16.11's events,
§16.12's audit and §16.13's invariants. One daemon for all tests; the races add a second
instance on its database. Each refused write is also checked to have written nothing.

- test_create_and_read: 201 with every field and the defaults; programme.create audit and
  programme.created event; GET one and the list with its filters; a partner user sees its
  partner's programmes only, in the partner view (seats_taken suppressed 1..4), 404 others.
- test_create_rejects_bad_input: every field rule -> 422 naming the field (hours: negative,
  3 decimals, a string, 0; status other than draft/open; a partner of another house or
  retired); nothing written.
- test_status_transitions: §16.4's arrows, the same status again and any other 409
  invalid_transition; house_id 422 on PATCH; If-Match 412; finishing moves enrolled to
  not_completed and applied/waitlisted to withdrawn (programme_ended), cancelling withdraws
  (programme_cancelled), each with its audit record; a closed programme's PATCH 409
  programme_closed; enrolments never bump the programme's version.
- test_enrolments: stages on create, programme_not_open/programme_closed, resident of
  another house 422, already_enrolled, programme_full (nothing written) or waitlisted with
  positions, PATCH transitions and their rules, withdrawing a seat promotes the first
  waitlisted (history by null), a raised capacity promotes, capacity below seats 422, staff
  without note, CSV, filters.
- test_roles: caseworker and staff 403 on programme writes, staff 403 on enrolment writes,
  another house's programme and enrolment 404.
- test_database_checks: seats_taken over capacity, two active enrolments of one resident,
  withdrawn without a reason: refused by the database itself.
- test_race_last_seat_two_instances: 10 enrolments into the last seat over two daemons:
  exactly one 201 enrolled, 9 x 409 programme_full (reject) / 9 x 201 waitlisted with
  positions 1..9 (waitlist); seats_taken = capacity.
- test_race_one_resident_two_instances: 8 enrolments of one resident: one 201, 7 x 409
  already_enrolled, one row.
- test_partner_events: a partner user's stream gets programme.created/updated of its
  partner's programmes with exactly house_id, entity, id, partner_id, live and in the
  Last-Event-ID backlog; never another partner's, the house's own, or enrolment events.
- test_sessions: create (every field, 201, audit, session.created with programme_id, the
  partner's users too), the rules 422 (scheduled_at outside the run in the house's time
  zone, both facilitators, a facilitator of another house), programme_closed; PATCH
  transitions (invalid_transition, session_not_started, cancel_reason only with cancelled),
  sessions_held; programme dates leaving a session outside 422; finishing cancels scheduled
  sessions ("programme finished"); list order and filters; partner view without counts.
- test_race_promotion_two_instances: a seat holder withdrawn while new enrolments race for
  the seat: the first waitlisted gets it, the newcomers are waitlisted or refused."""

import csv
import io
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem, uid  # noqa: E402
from test_events import Stream  # noqa: E402

KEYS = {"id", "house_id", "kind", "title", "description", "partner_id", "starts_on", "ends_on", "capacity",
        "planned_sessions", "hours_required", "certificate", "status", "seats_taken", "seats_left",
        "waitlisted_count", "sessions_held", "suppressed", "version", "created_at", "updated_at"}
ENROLMENT_KEYS = {"id", "programme_id", "house_id", "resident_id", "full_name", "stage", "waitlist_position",
                  "withdrawal_reason", "goal_id", "note", "enrolled_at", "completed_on", "certificate_number",
                  "certificate_issued_on", "override_reason", "attendance", "history", "version", "created_at", "updated_at"}


class World:
    def __init__(self, d):
        self.d = d
        self.token = d.login()
        self.a = d.house(self.token)["id"]
        self.b = d.house(self.token)["id"]
        me = d.must("GET", "me", token=self.token)
        self.user_id, self.user_name = me["id"], me["full_name"]

    def body(self, **fields):
        return {"house_id": self.a, "kind": "skills_training", "title": "Pelatihan las " + uid(),
                "starts_on": "2026-01-05", **fields}

    def post(self, body, token=None, **kw):
        return self.d.request("POST", "/api/v1/programmes", json_body=body, token=token or self.token, **kw)

    def create(self, token=None, **fields):
        r = self.post(self.body(**fields), token)
        expect(r.status == 201, f"create: {r}")
        return r.json

    def patch(self, pid, body, token=None, **kw):
        return self.d.request("PATCH", f"/api/v1/programmes/{pid}", json_body=body, token=token or self.token, **kw)

    def get(self, pid, token=None):
        return self.d.must("GET", f"programmes/{pid}", token=token or self.token)

    def resident(self, house=None):
        return self.d.resident(self.token, house or self.a)["id"]

    def enrol(self, pid, rid, token=None, d=None, **fields):
        return (d or self.d).request("POST", f"/api/v1/programmes/{pid}/enrolments", token=token or self.token,
                                     json_body={"resident_id": rid, **fields}, timeout=60)

    def enrolled(self, pid, rid, **fields):
        r = self.enrol(pid, rid, **fields)
        expect(r.status == 201, f"enrol: {r}")
        return r.json

    def epatch(self, eid, body, token=None):
        return self.d.request("PATCH", f"/api/v1/enrolments/{eid}", json_body=body, token=token or self.token)

    def eget(self, eid, token=None):
        return self.d.must("GET", f"enrolments/{eid}", token=token or self.token)

    def user(self, role, houses=None, **fields):
        password = "pw-" + uid() + uid()
        u = self.d.must("POST", "users", {"username": role[:2] + "-" + uid(), "password": password, "role": role,
                                          "full_name": "U " + uid(), "house_ids": houses or [], **fields},
                        201, token=self.token)
        return self.d.login(u["username"], password)

    def partner(self, houses, **fields):
        return self.d.must("POST", "partners", {"name": "Mitra " + uid(), "kind": "training_centre",
                                                "house_ids": houses, **fields}, 201, token=self.token)

    def counts(self):
        return self.d.psql("SELECT (SELECT count(*) FROM app.programmes), (SELECT count(*) FROM app.enrolments), "
                           "(SELECT count(*) FROM app.audit_log), (SELECT sum(version) FROM app.programmes), "
                           "(SELECT sum(version) FROM app.enrolments)").strip()

    def audit(self, entity, eid):
        return self.d.psql(f"SELECT action, after->>'stage', after->>'withdrawal_reason' FROM app.audit_log "
                           f"WHERE entity = '{entity}' AND entity_id = '{eid}' ORDER BY pos").strip().splitlines()

    def events(self, name, eid):
        return self.d.psql(f"SELECT data FROM app.events WHERE name = '{name}' AND data->>'id' = '{eid}'").strip()



def world(d):
    return harness.world_of(d, World)


def test_create_and_read(d):
    w = world(d)
    pa = w.partner([w.a])
    r = w.post(w.body(partner_id=pa["id"], capacity=10, planned_sessions=8, hours_required=12.5,
                      certificate=True, ends_on="2026-03-31", description="Las listrik\ndasar", status="open"))
    expect(r.status == 201, f"{r}")
    p = r.json
    expect(set(p) == KEYS, f"keys: {set(p) ^ KEYS}")
    expect(r.header("etag") == '"1"', f"ETag {r.header('etag')}")
    expect('"hours_required": 12.5' in r.text, f"hours as written: {r.text}")
    expect((p["capacity"], p["seats_taken"], p["seats_left"], p["waitlisted_count"], p["hours_required"],
            p["status"], p["suppressed"], p["version"]) == (10, 0, 10, 0, 12.5, "open", False, 1), f"{p}")
    q = w.create(kind="religious")
    expect((q["status"], q["certificate"], q["capacity"], q["seats_left"], q["partner_id"], q["hours_required"])
           == ("draft", False, None, None, None, None), f"defaults {q}")
    expect(w.audit("programme", p["id"]) == ["programme.create||"], f"{w.audit('programme', p['id'])}")
    ev = w.events("programme.created", p["id"])
    expect(f'"partner_id": "{pa["id"]}"' in ev and "title" not in ev, f"event {ev}")
    expect(w.get(p["id"]) == p, "GET one")
    items = w.d.must("GET", f"programmes?house_id={w.a}&partner_id={pa['id']}", token=w.token)["items"]
    expect([x["id"] for x in items] == [p["id"]], f"partner filter {items}")
    items = w.d.must("GET", f"programmes?house_id={w.a}&kind=religious&status=draft", token=w.token)["items"]
    expect(q["id"] in [x["id"] for x in items] and all(x["kind"] == "religious" for x in items), "kind filter")
    # a partner user: its partner's programmes in the partner view, suppressed 1..4
    pt = w.user("partner", partner_id=pa["id"])
    for _ in range(2):
        w.enrolled(p["id"], w.resident())
    seen = w.get(p["id"], pt)
    expect(set(seen) == KEYS - {"seats_left", "waitlisted_count"}, f"partner keys {set(seen)}")
    expect(seen["seats_taken"] is None and seen["suppressed"] is True, f"suppressed {seen}")
    expect(w.get(p["id"])["seats_taken"] == 2, "house user sees 2")
    expect_problem(w.d.request("GET", f"/api/v1/programmes/{q['id']}", token=pt), 404, "not_found")
    listed = w.d.must("GET", "programmes", token=pt)["items"]
    expect([x["id"] for x in listed] == [p["id"]], f"partner list {listed}")
    expect_problem(w.d.request("GET", f"/api/v1/programmes?house_id={w.b}", token=pt), 404, "not_found")
    for path in (f"/api/v1/enrolments?programme_id={p['id']}", f"/api/v1/enrolments/{w.d.must('GET', 'enrolments?programme_id=' + p['id'], token=w.token)['items'][0]['id']}"):
        expect_problem(w.d.request("GET", path, token=pt), 404, "not_found")
    expect_problem(w.post(w.body(), pt), 404, "not_found")


def test_create_rejects_bad_input(d):
    w = world(d)
    other = w.partner([w.b])
    retired = w.partner([w.a], active=False)
    before = w.counts()
    cases = [({"kind": "cooking"}, "kind"), ({"title": ""}, "title"), ({"title": "x" * 201}, "title"),
             ({"ends_on": "2026-01-04"}, "ends_on"), ({"capacity": 0}, "capacity"), ({"capacity": 1001}, "capacity"),
             ({"planned_sessions": 501}, "planned_sessions"), ({"hours_required": 1.005}, "hours_required"),
             ({"hours_required": -1}, "hours_required"), ({"hours_required": "2"}, "hours_required"),
             ({"hours_required": 0}, "hours_required"), ({"hours_required": 10000.01}, "hours_required"),
             ({"status": "running"}, "status"), ({"status": "finished"}, "status"),
             ({"partner_id": other["id"]}, "partner_id"), ({"partner_id": retired["id"]}, "partner_id"),
             ({"partner_id": "00000000-0000-4000-8000-000000000000"}, "partner_id"),
             ({"house_id": "00000000-0000-4000-8000-000000000000"}, "house_id"), ({"starts_on": "2026-02-30"}, "starts_on"),
             ({"certificate": "yes"}, "certificate"), ({"description": "x" * 10001}, "description")]
    for fields, field in cases:
        r = w.post(w.body(**fields))
        expect_problem(r, 422, "validation_failed")
        expect(field in [e["field"] for e in r.json["errors"]], f"{fields}: {r.json}")
    r = w.post({"kind": "other"})
    expect({"house_id", "title", "starts_on"} <= {e["field"] for e in r.json["errors"]}, f"{r.json}")
    expect(w.counts() == before, "a refused create wrote something")
    ok = w.create(hours_required=1.1)
    expect(ok["hours_required"] == 1.1, f"{ok['hours_required']}")


def test_status_transitions(d):
    w = world(d)
    p = w.create(capacity=2)
    for bad in ("running", "finished", "draft"):
        expect_problem(w.patch(p["id"], {"status": bad}), 409, "invalid_transition")
    expect_problem(w.patch(p["id"], {"house_id": w.b}), 422, "validation_failed")
    expect_problem(w.patch(p["id"], {"title": "x"}, headers={"If-Match": '"7"'}), 412, "precondition_failed")
    r = w.patch(p["id"], {"status": "open"}, headers={"If-Match": '"1"'})
    expect(r.status == 200 and r.json["status"] == "open" and r.json["version"] == 2, f"{r}")
    expect_problem(w.patch(p["id"], {"status": "open"}), 409, "invalid_transition")
    e1 = w.enrolled(p["id"], w.resident())
    e2 = w.enrolled(p["id"], w.resident())
    e3 = w.enrolled(p["id"], w.resident(), if_full="waitlist")
    e4 = w.enrolled(p["id"], w.resident(), stage="applied")
    expect(e3["stage"] == "waitlisted", f"{e3}")
    expect(w.get(p["id"])["version"] == 2, "enrolments bumped the programme's version")
    expect_problem(w.patch(p["id"], {"capacity": 1}), 422, "validation_failed")
    expect(w.patch(p["id"], {"status": "running"}).status == 200, "open -> running")
    r = w.patch(p["id"], {"status": "finished"})
    expect(r.status == 200 and r.json["status"] == "finished" and r.json["seats_taken"] == 2, f"{r}")
    stages = [(w.eget(e["id"])["stage"], w.eget(e["id"])["withdrawal_reason"]) for e in (e1, e2, e3, e4)]
    expect(stages == [("not_completed", None)] * 2 + [("withdrawn", "programme_ended")] * 2, f"{stages}")
    expect(w.eget(e1["id"])["history"][-1]["by"] is None, "a daemon change has by null")
    expect(w.audit("enrolment", e3["id"])[-1] == "enrolment.update|withdrawn|programme_ended", "audit")
    expect(w.audit("programme", p["id"])[-1] == "programme.update||", "programme audit")
    before = w.counts()
    for body in ({"title": "again"}, {"status": "cancelled"}, {}):
        expect_problem(w.patch(p["id"], body), 409, "programme_closed")
    expect_problem(w.epatch(e1["id"], {"stage": "withdrawn", "withdrawal_reason": "health"}), 409, "programme_closed")
    expect(w.counts() == before, "a refused PATCH wrote something")
    r = w.epatch(e1["id"], {"note": "tetap ikut sesi akhir"})
    expect(r.status == 200 and r.json["note"] == "tetap ikut sesi akhir", f"note on a finished programme {r}")
    # cancelling
    c = w.create(status="open")
    ce = [w.enrolled(c["id"], w.resident(), **f) for f in ({}, {"stage": "applied"})]
    r = w.patch(c["id"], {"status": "cancelled"})
    expect(r.status == 200 and r.json["seats_taken"] == 0, f"{r}")
    expect([w.eget(e["id"])["withdrawal_reason"] for e in ce] == ["programme_cancelled"] * 2, "cancel withdraws")
    expect(w.events("enrolment.updated", ce[0]["id"]) != "", "enrolment.updated event")
    d2 = w.create()
    expect(w.patch(d2["id"], {"status": "cancelled"}).status == 200, "draft -> cancelled")


def test_enrolments(d):
    w = world(d)
    p = w.create()
    rid, elsewhere = w.resident(), w.resident(w.b)
    before = w.counts()
    expect_problem(w.enrol(p["id"], rid), 409, "programme_not_open")
    expect(w.counts() == before, "a refused enrolment wrote something")
    w.patch(p["id"], {"status": "open", "capacity": 2})
    before = w.counts()
    expect_problem(w.enrol(p["id"], elsewhere), 422, "validation_failed")
    expect_problem(w.enrol(p["id"], rid, stage="waitlisted"), 422, "validation_failed")
    expect_problem(w.enrol(p["id"], rid, stage="completed"), 422, "validation_failed")
    expect_problem(w.enrol(p["id"], rid, if_full="maybe"), 422, "validation_failed")
    expect_problem(w.enrol(p["id"], rid, goal_id="00000000-0000-4000-8000-000000000000"), 422, "validation_failed")
    expect_problem(w.enrol("00000000-0000-4000-8000-000000000000", rid), 404, "not_found")
    expect(w.counts() == before, "a refused enrolment wrote something")
    r = w.enrol(p["id"], rid, note="minat las")
    expect(r.status == 201, f"{r}")
    e = r.json
    expect(set(e) == ENROLMENT_KEYS, f"keys {set(e) ^ ENROLMENT_KEYS}")
    expect((e["stage"], e["waitlist_position"], e["note"], e["house_id"], e["version"]) == ("enrolled", None, "minat las", w.a, 1),
           f"{e}")
    expect(e["enrolled_at"] and [h["stage"] for h in e["history"]] == ["enrolled"] and e["full_name"].startswith("Klien"), f"{e}")
    expect(w.audit("enrolment", e["id"]) == ["enrolment.create|enrolled|"], "audit")
    ev = w.events("enrolment.created", e["id"])
    expect(f'"programme_id": "{p["id"]}"' in ev and f'"resident_id": "{rid}"' in ev and "note" not in ev, ev)
    expect_problem(w.enrol(p["id"], rid), 409, "already_enrolled")
    second = w.enrolled(p["id"], w.resident())
    third = w.resident()
    before = w.counts()
    expect_problem(w.enrol(p["id"], third), 409, "programme_full")
    expect_problem(w.enrol(p["id"], third, if_full="reject"), 409, "programme_full")
    expect(w.counts() == before, "programme_full wrote something")
    wl = [w.enrolled(p["id"], x, if_full="waitlist") for x in (third, w.resident(), w.resident())]
    expect([x["stage"] for x in wl] == ["waitlisted"] * 3 and [x["waitlist_position"] for x in wl] == [1, 2, 3], f"{wl}")
    ap = w.enrolled(p["id"], w.resident(), stage="applied", if_full="reject")
    expect(ap["stage"] == "applied", "applied ignores if_full")
    prog = w.get(p["id"])
    expect((prog["seats_taken"], prog["seats_left"], prog["waitlisted_count"]) == (2, 0, 3), f"{prog}")
    # PATCH rules
    expect_problem(w.epatch(ap["id"], {"stage": "enrolled"}), 409, "programme_full")
    expect_problem(w.epatch(e["id"], {"stage": "completed"}), 422, "validation_failed")
    expect_problem(w.epatch(e["id"], {"stage": "enrolled"}), 409, "invalid_transition")
    expect_problem(w.epatch(e["id"], {"stage": "applied"}), 409, "invalid_transition")
    expect_problem(w.epatch(e["id"], {"stage": "withdrawn"}), 422, "validation_failed")
    expect_problem(w.epatch(e["id"], {"stage": "withdrawn", "withdrawal_reason": "programme_ended"}), 422,
                   "validation_failed")
    expect_problem(w.epatch(e["id"], {"withdrawal_reason": "health"}), 422, "validation_failed")
    expect_problem(w.epatch(e["id"], {"stage": "not_completed", "withdrawal_reason": "health"}), 422,
                   "validation_failed")
    r = w.d.request("PATCH", f"/api/v1/enrolments/{e['id']}", json_body={"note": "x"}, token=w.token,
                    headers={"If-Match": '"9"'})
    expect_problem(r, 412, "precondition_failed")
    r = w.epatch(ap["id"], {"stage": "waitlisted"})
    expect(r.status == 200 and r.json["waitlist_position"] == 4, f"{r}")
    # a seat holder withdrawn: the first waitlisted moves in, by null
    r = w.epatch(e["id"], {"stage": "withdrawn", "withdrawal_reason": "employment", "note": "bekerja"})
    expect(r.status == 200 and (r.json["stage"], r.json["withdrawal_reason"], r.json["note"], r.json["version"])
           == ("withdrawn", "employment", "bekerja", 2), f"{r}")
    moved = w.eget(wl[0]["id"])
    expect(moved["stage"] == "enrolled" and moved["history"][-1]["by"] is None and moved["enrolled_at"], f"{moved}")
    expect([w.eget(x["id"])["waitlist_position"] for x in wl[1:]] == [1, 2], "positions follow")
    expect(w.audit("enrolment", wl[0]["id"])[-1] == "enrolment.update|enrolled|", "promotion audit")
    # a withdrawn resident may enrol again (waitlisted: full)
    again = w.enrolled(p["id"], rid, if_full="waitlist")
    expect(again["stage"] == "waitlisted" and again["id"] != e["id"], f"{again}")
    expect_problem(w.epatch(e["id"], {"stage": "enrolled"}), 409, "invalid_transition")
    # capacity raised: two more move in, in order
    r = w.patch(p["id"], {"capacity": 4})
    expect(r.status == 200 and r.json["seats_taken"] == 4 and r.json["waitlisted_count"] == 2, f"{r}")
    expect([w.eget(x["id"])["stage"] for x in wl[1:]] == ["enrolled", "enrolled"], "capacity promotion")
    r = w.patch(p["id"], {"capacity": None})
    expect(r.status == 200 and r.json["waitlisted_count"] == 0 and r.json["seats_left"] is None, f"{r}")
    expect(w.eget(second["id"])["stage"] == "enrolled", "")
    r = w.epatch(second["id"], {"stage": "not_completed"})
    expect(r.status == 200 and r.json["stage"] == "not_completed", f"{r}")
    expect_problem(w.epatch(second["id"], {"stage": "withdrawn", "withdrawal_reason": "other"}), 409, "invalid_transition")
    # staff: no note, no override_reason; CSV; filters
    staff = w.user("staff", [w.a])
    s = w.eget(wl[0]["id"], staff)
    expect("note" not in s and "override_reason" not in s, f"staff {s}")
    r = w.d.request("GET", f"/api/v1/enrolments?programme_id={p['id']}", token=w.token, headers={"Accept": "text/csv"})
    expect(r.status == 200 and r.header("content-type", "").startswith("text/csv"), f"{r}")
    table = list(csv.reader(io.StringIO(r.text, newline="")))
    expect(table[0][:6] == ["id", "programme_id", "house_id", "resident_id", "full_name", "stage"] and "history" not in table[0]
           and len(table) == 1 + 7, f"{table[:2]} {len(table)}")
    items = w.d.must("GET", f"enrolments?programme_id={p['id']}&stage=withdrawn", token=w.token)["items"]
    expect([x["id"] for x in items] == [e["id"]], f"{items}")
    items = w.d.must("GET", f"enrolments?resident_id={rid}&house_id={w.a}", token=w.token)["items"]
    expect([x["id"] for x in items] == [e["id"], again["id"]], f"{items}")
    expect_problem(w.d.request("GET", f"/api/v1/enrolments?house_id={w.b}", token=staff), 404, "not_found")


def test_roles(d):
    w = world(d)
    p = w.create(status="open")
    cw = w.user("caseworker", [w.a])
    staff = w.user("staff", [w.a])
    mb = w.user("manager", [w.b])
    for t in (cw, staff):
        expect_problem(w.post(w.body(), t), 403, "forbidden")
        expect_problem(w.patch(p["id"], {"title": "x"}, t), 403, "forbidden")
    expect_problem(w.enrol(p["id"], w.resident(), staff), 403, "forbidden")
    e = w.enrolled(p["id"], w.resident())
    expect(w.enrol(p["id"], w.resident(), cw).status == 201, "caseworker enrols")
    expect(w.epatch(e["id"], {"note": "cw"}, cw).status == 200, "caseworker changes")
    expect_problem(w.epatch(e["id"], {"note": "s"}, staff), 403, "forbidden")
    expect(w.get(p["id"], staff)["id"] == p["id"], "staff reads")
    for path in (f"/api/v1/programmes/{p['id']}", f"/api/v1/enrolments/{e['id']}"):
        expect_problem(w.d.request("GET", path, token=mb), 404, "not_found")
    expect_problem(w.patch(p["id"], {"title": "x"}, mb), 404, "not_found")
    expect_problem(w.enrol(p["id"], w.resident(), mb), 404, "not_found")
    expect_problem(w.post(w.body(), mb), 422, "validation_failed")
    expect(w.d.must("GET", "programmes", token=mb)["items"] == [], "another house's list")


def test_database_checks(d):
    w = world(d)
    p = w.create(status="open", capacity=1)
    e = w.enrolled(p["id"], w.resident())
    for sql, word in [(f"UPDATE app.programmes SET seats_taken = 2 WHERE id = '{p['id']}'", "programmes_full"),
                      (f"INSERT INTO app.enrolments (programme_id, house_id, resident_id, stage, waitlisted_at) "
                       f"SELECT programme_id, house_id, resident_id, 'waitlisted', now() FROM app.enrolments "
                       f"WHERE id = '{e['id']}'", "enrolments_active_key"),
                      (f"UPDATE app.enrolments SET stage = 'withdrawn' WHERE id = '{e['id']}'", "enrolments_withdrawal_check"),
                      (f"UPDATE app.programmes SET ends_on = '2025-01-01' WHERE id = '{p['id']}'", "programmes_ends_on_check"),
                      (f"INSERT INTO app.enrolments (programme_id, house_id, resident_id, stage, enrolled_at) "
                       f"SELECT '{p['id']}', house_id, id, 'enrolled', now() FROM app.residents WHERE house_id = '{w.a}' "
                       f"AND id <> (SELECT resident_id FROM app.enrolments WHERE id = '{e['id']}') LIMIT 1",
                       "programmes_full"),
                      (f"INSERT INTO app.enrolments (programme_id, house_id, resident_id, stage, withdrawal_reason) "
                       f"SELECT '{p['id']}', '{w.b}', resident_id, 'withdrawn', 'other' FROM app.enrolments WHERE id = '{e['id']}'",
                       "enrolments_programme_fkey")]:
        got = _refused(w.d, sql)
        expect(word in got, f"{sql}: {got}")
    expect(w.get(p["id"])["seats_taken"] == 1, "seats")


def _refused(d, sql):
    """The error psql reports for SQL (empty when it ran)."""
    try:
        d.psql(sql)
    except Exception as e:  # noqa: BLE001 - the message is the answer
        return str(e)
    return ""


def test_race_last_seat_two_instances(d):
    w = world(d)
    with harness.Instance(share=d) as other:
        both = [d, other]
        for if_full in ("reject", "waitlist"):
            p = w.create(status="open", capacity=3)
            for _ in range(2):
                w.enrolled(p["id"], w.resident())
            rids = [w.resident() for _ in range(10)]
            got = harness.race([lambda i=i: w.enrol(p["id"], rids[i], d=both[i % 2], if_full=if_full)
                                for i in range(10)])
            statuses = sorted(getattr(r, "status", repr(r)) for r in got)
            stages = sorted(r.json.get("stage") or r.json.get("code") for r in got)
            if if_full == "reject":
                expect(statuses == [201] + [409] * 9 and stages == ["enrolled"] + ["programme_full"] * 9,
                       f"{statuses} {stages}")
            else:
                expect(statuses == [201] * 10 and stages == ["enrolled"] + ["waitlisted"] * 9, f"{stages}")
                positions = sorted(w.eget(r.json["id"])["waitlist_position"] for r in got
                                   if r.json["stage"] == "waitlisted")
                expect(positions == list(range(1, 10)), f"positions {positions}")
            prog = w.get(p["id"])
            expect(prog["seats_taken"] == 3 and prog["seats_left"] == 0, f"{prog}")
            n = d.psql(f"SELECT count(*) FROM app.enrolments WHERE programme_id = '{p['id']}' "
                       f"AND stage = 'enrolled'").strip()
            expect(n == "3", f"enrolled rows {n}")


def test_race_one_resident_two_instances(d):
    w = world(d)
    p = w.create(status="open")
    rid = w.resident()
    with harness.Instance(share=d) as other:
        both = [d, other]
        got = harness.race([lambda i=i: w.enrol(p["id"], rid, d=both[i % 2]) for i in range(8)])
    statuses = sorted(getattr(r, "status", repr(r)) for r in got)
    expect(statuses == [201] + [409] * 7, f"{statuses}")
    expect(all(r.json["code"] == "already_enrolled" for r in got if r.status == 409), f"{got}")
    n = d.psql(f"SELECT count(*) FROM app.enrolments WHERE programme_id = '{p['id']}'").strip()
    expect(n == "1", f"rows {n}")


SESSION_KEYS = {"id", "programme_id", "house_id", "scheduled_at", "duration_minutes", "topic", "location",
                "facilitator_user_id", "facilitator_name", "status", "cancel_reason", "headcount", "counts",
                "attendance_version", "suppressed", "version", "created_at", "updated_at"}


def test_sessions(d):
    w = world(d)
    pa = w.partner([w.a])
    p = w.create(status="open", partner_id=pa["id"], starts_on="2026-01-05", ends_on="2027-06-30")
    spost = lambda body, token=None: d.request("POST", f"/api/v1/programmes/{p['id']}/sessions",  # noqa: E731
                                               json_body=body, token=token or w.token)
    spatch = lambda sid, body: d.request("PATCH", f"/api/v1/sessions/{sid}", json_body=body, token=w.token)  # noqa: E731
    body = {"scheduled_at": "2026-02-02T09:00:00+07:00", "duration_minutes": 90, "topic": "Keselamatan kerja",
            "location": "Bengkel BLK", "facilitator_name": "Pak Hasan"}
    before = w.counts()
    for bad, field in [({"scheduled_at": "2026-01-04T23:30:00+07:00"}, "scheduled_at"),
                       ({"scheduled_at": "2027-06-30T17:30:00Z"}, "scheduled_at"),
                       ({"duration_minutes": 0}, "duration_minutes"), ({"topic": ""}, "topic"),
                       ({"facilitator_user_id": w.user_id}, "facilitator_name")]:
        r = spost({**body, **bad})
        expect_problem(r, 422, "validation_failed")
        expect(field in [e["field"] for e in r.json["errors"]], f"{bad}: {r.json}")
    expect(w.counts() == before, "a refused session wrote something")
    r = spost(body)
    expect(r.status == 201 and set(r.json) == SESSION_KEYS, f"{r} {set(r.json or {}) ^ SESSION_KEYS}")
    s1 = r.json
    expect((s1["status"], s1["headcount"], s1["counts"], s1["attendance_version"], s1["version"], s1["scheduled_at"])
           == ("scheduled", None, None, 0, 1, "2026-02-02T02:00:00Z"), f"{s1}")
    expect(w.audit("session", s1["id"]) == ["session.create||"], "audit")
    ev = w.events("session.created", s1["id"])
    expect(f'"programme_id": "{p["id"]}"' in ev, ev)
    expect(d.psql(f"SELECT partner_id FROM app.events WHERE name = 'session.created' AND data->>'id' = '{s1['id']}'").strip()
           == pa["id"], "partner audience")
    s2 = spost({**body, "scheduled_at": "2026-01-10T09:00:00+07:00", "facilitator_name": None,
                "facilitator_user_id": w.user_id}).json
    expect(s2["facilitator_name"] == w.user_name, f"{s2}")
    future = spost({**body, "scheduled_at": "2027-06-01T09:00:00+07:00"}).json
    # transitions
    expect_problem(spatch(s1["id"], {"status": "scheduled"}), 409, "invalid_transition")
    expect_problem(spatch(future["id"], {"status": "held"}), 409, "session_not_started")
    expect_problem(spatch(s1["id"], {"status": "held", "cancel_reason": "x"}), 422, "validation_failed")
    r = spatch(s1["id"], {"status": "held"})
    expect(r.status == 200 and r.json["status"] == "held" and r.json["version"] == 2, f"{r}")
    expect_problem(spatch(s1["id"], {"status": "cancelled"}), 409, "invalid_transition")
    r = spatch(s2["id"], {"status": "cancelled", "cancel_reason": "hujan deras"})
    expect(r.status == 200 and r.json["cancel_reason"] == "hujan deras", f"{r}")
    r = spatch(s2["id"], {"status": "scheduled"})
    expect(r.status == 200 and r.json["cancel_reason"] is None, f"{r}")
    expect(w.get(p["id"])["sessions_held"] == 1, "sessions_held")
    expect_problem(w.patch(p["id"], {"starts_on": "2026-01-20"}), 422, "validation_failed")
    expect_problem(w.patch(p["id"], {"ends_on": "2027-05-01"}), 422, "validation_failed")
    # list: scheduled_at order, filters, the partner view
    items = d.must("GET", f"sessions?programme_id={p['id']}", token=w.token)["items"]
    expect([x["id"] for x in items] == [s2["id"], s1["id"], future["id"]], f"order {items}")
    items = d.must("GET", f"sessions?programme_id={p['id']}&from=2026-02-01&to=2026-02-02&status=held",
                   token=w.token)["items"]
    expect([x["id"] for x in items] == [s1["id"]], f"filters {items}")
    page = d.must("GET", f"sessions?house_id={w.a}&partner_id={pa['id']}&limit=2", token=w.token)
    rest = d.must("GET", f"sessions?house_id={w.a}&partner_id={pa['id']}&limit=2&cursor={page['next_cursor']}",
                  token=w.token)
    expect([x["id"] for x in page["items"] + rest["items"]] == [s2["id"], s1["id"], future["id"]], "paging")
    pt = w.user("partner", partner_id=pa["id"])
    seen = d.must("GET", f"sessions/{s1['id']}", token=pt)
    expect(set(seen) == SESSION_KEYS - {"counts", "attendance_version"}, f"partner view {seen}")
    expect(len(d.must("GET", "sessions", token=pt)["items"]) == 3, "partner list")
    other = w.create(status="open")
    o1 = d.must("POST", f"programmes/{other['id']}/sessions", {**body}, 201, token=w.token)
    expect_problem(d.request("GET", f"/api/v1/sessions/{o1['id']}", token=pt), 404, "not_found")
    staff = w.user("staff", [w.a])
    expect_problem(spost(body, staff), 403, "forbidden")
    # finishing cancels the scheduled ones
    for status in ("running", "finished"):
        r = w.patch(p["id"], {"status": status})
        expect(r.status == 200, f"{status}: {r}")
    got = {x["id"]: (x["status"], x["cancel_reason"]) for x in d.must("GET", f"sessions?programme_id={p['id']}",
                                                                        token=w.token)["items"]}
    expect(got == {s1["id"]: ("held", None), s2["id"]: ("cancelled", "programme finished"),
                   future["id"]: ("cancelled", "programme finished")}, f"{got}")
    expect_problem(spost(body), 409, "programme_closed")
    expect_problem(spatch(s1["id"], {"topic": "x"}), 409, "programme_closed")


def test_race_promotion_two_instances(d):
    w = world(d)
    p = w.create(status="open", capacity=1)
    holder = w.enrolled(p["id"], w.resident())
    first = w.enrolled(p["id"], w.resident(), if_full="waitlist")
    rids = [w.resident() for _ in range(6)]
    with harness.Instance(share=d) as other:
        both = [d, other]
        calls = [lambda: w.epatch(holder["id"], {"stage": "withdrawn", "withdrawal_reason": "moved_away"})]
        calls += [lambda i=i: w.enrol(p["id"], rids[i], d=both[i % 2], if_full="waitlist") for i in range(6)]
        got = harness.race(calls)
    expect(got[0].status == 200, f"withdraw {got[0]}")
    expect(all(r.status == 201 and r.json["stage"] == "waitlisted" for r in got[1:]), f"{[r.json for r in got[1:]]}")
    expect(w.eget(first["id"])["stage"] == "enrolled", "the first waitlisted took the seat")
    prog = w.get(p["id"])
    expect((prog["seats_taken"], prog["waitlisted_count"]) == (1, 6), f"{prog}")


def test_partner_events(d):
    w = world(d)
    mine, theirs = w.partner([w.a]), w.partner([w.a])
    pt = w.user("partner", partner_id=mine["id"])
    before = int(d.psql("SELECT coalesce(max(id), 0) FROM app.events").strip())
    live = Stream(d, pt)
    time.sleep(0.3)
    w.create(partner_id=theirs["id"], status="open")
    w.create(status="open")
    p = w.create(partner_id=mine["id"], status="open")
    w.enrolled(p["id"], w.resident())
    w.patch(p["id"], {"title": "Las lanjutan"})
    got = live.events(3, timeout=3)
    live.close()
    want = [("programme.created", {"house_id": w.a, "entity": "programme", "id": p["id"], "partner_id": mine["id"]}),
            ("programme.updated", {"house_id": w.a, "entity": "programme", "id": p["id"], "partner_id": mine["id"]})]
    expect([(e[1], e[2]) for e in got] == want, f"live {got}")
    again = Stream(d, pt, last_event_id=before)
    replayed = again.events(3, timeout=3)
    again.close()
    expect(replayed == got, f"backlog {replayed} is not what was live {got}")
    # house users still receive them
    house = Stream(d, w.token, last_event_id=before)
    names = [e[1] for e in house.events(6, timeout=3)]
    house.close()
    expect(names.count("programme.created") == 3 and "enrolment.created" in names, f"house {names}")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
