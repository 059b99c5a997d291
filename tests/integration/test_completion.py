"""Completion, certificates and exit-plan goals (contract §16.7), with §16.1's roles, §16.12's
audit and §16.11's event. One daemon for all tests; the race adds a second instance on its
database. Each refused completion is also checked to have written nothing.

- test_complete: a caseworker completes an enrolment whose hours reach hours_required: 200,
  stage completed, completed_on today, certificate 001 issued on completed_on, history,
  enrolment.complete audit and enrolment.updated event; too few hours 409
  requirements_not_met (English and Indonesian titles, a detail); a caseworker's
  override_reason 403; a manager's override 200 with override_reason stored (hidden from
  staff) and certificate 002; a given number already used 409 conflict; a given number is
  kept, and the next automatic one is the lowest not used (a gap is filled); If-Match 412; an
  Idempotency-Key replay writes nothing, another body 422; completing twice 409
  invalid_transition.
- test_refusals: completed_on in the future or before starts_on, certificate_issued_on before
  completed_on or in the future, override_reason empty / too long / multi-line,
  certificate_number too long, either certificate field with certificate: false -> 422 naming
  the field; applied and withdrawn 409 invalid_transition; a cancelled programme 409
  programme_closed; a finished programme's not_completed enrolment completes; without
  hours_required one attended session is needed; staff 403, partner 404, another house 404.
- test_goal: completing an enrolment linked to a goal sets it achieved (version +1, its own
  goal.update audit record), the plan's readiness follows; an achieved goal is left as it is.
- test_race_certificates_two_instances: 10 simultaneous completions over two daemons: all
  200, numbers 001..010 without a gap; the database refuses a repeated number itself."""

import datetime as dt
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem, uid  # noqa: E402
from test_attendance import Sheet  # noqa: E402


class Done(Sheet):
    def __init__(self, d):
        super().__init__(d)
        self.cw = self.user("caseworker", [self.a])
        self.mgr = self.user("manager", [self.a])
        self.staff = self.user("staff", [self.a])

    def complete(self, eid, body=None, token=None, d=None, **kw):
        return (d or self.d).request("POST", f"/api/v1/enrolments/{eid}/complete", json_body=body or {},
                                     token=token or self.token, timeout=60, **kw)

    def today(self):
        return self.d.psql(f"SELECT api.today('{self.a}')").strip()

    def state(self):
        return self.d.psql("SELECT (SELECT count(*) FROM app.audit_log), (SELECT count(*) FROM app.events), "
                           "(SELECT sum(version) FROM app.enrolments), (SELECT count(*) FROM app.enrolment_stages), "
                           "(SELECT sum(version) FROM app.goals)").strip()

    def refused(self, eid, body, status, code, field=None, token=None, **kw):
        before = self.state()
        r = self.complete(eid, body, token=token, **kw)
        expect_problem(r, status, code)
        if field:
            expect([e["field"] for e in r.json.get("errors", [])] == [field], f"{body}: {r.json}")
        expect(self.state() == before, f"{body}: something was written")
        return r

    def attended(self, pid, statuses):
        """Enrols len(statuses) residents, records one held session with those statuses (90
        minutes: 1.5 hours for present); returns the enrolment ids."""
        eids = [self.enrolled(pid, self.resident())["id"] for _ in statuses]
        s = self.session(pid)
        self.record(s["id"], dict(zip(eids, statuses)))
        return eids


def world(d):
    return harness.world_of(d, Done)


def test_complete(d):
    w = world(d)
    p = w.programme(hours_required=1.5, certificate=True)
    e1, e2, e3, e4, e5 = w.attended(p["id"], ["present", "absent", "present", "present", "late"])
    today = w.today()
    r = w.complete(e1, token=w.cw)
    expect(r.status == 200, f"{r}")
    c = r.json
    expect(c["stage"] == "completed" and c["completed_on"] == today and c["certificate_number"] == "001"
           and c["certificate_issued_on"] == today and c["override_reason"] is None, f"{c}")
    expect([h["stage"] for h in c["history"]] == ["enrolled", "completed"] and c["history"][-1]["by"] is not None,
           f"{c['history']}")
    expect(c["attendance"]["hours"] == 1.5 and c["version"] == 2, f"{c}")
    expect(w.audit("enrolment", e1)[-1] == "enrolment.complete|completed|", f"{w.audit('enrolment', e1)}")
    expect(w.events("enrolment.updated", e1) != "", "enrolment.updated")
    # too few hours: requirements_not_met, in both languages
    r = w.refused(e2, {}, 409, "requirements_not_met")
    expect(r.json["title"] == "Completion requirements not met" and r.json.get("detail"), f"{r.json}")
    before = w.state()
    r = w.complete(e2, headers={"Accept-Language": "id"})
    expect_problem(r, 409, "requirements_not_met")
    expect(r.json["title"] == "Syarat kelulusan belum terpenuhi" and w.state() == before, f"{r.json}")
    w.refused(e2, {"override_reason": "Sakit, materi dikejar mandiri"}, 403, "forbidden", token=w.cw)
    r = w.complete(e2, {"override_reason": "Sakit, materi dikejar mandiri"}, token=w.mgr)
    expect(r.status == 200 and r.json["override_reason"] == "Sakit, materi dikejar mandiri"
           and r.json["certificate_number"] == "002", f"{r}")
    seen = w.eget(e2, token=w.staff)
    expect("override_reason" not in seen and "note" not in seen and seen["stage"] == "completed", f"{seen}")
    # certificate numbers: a used one 409, a given one kept, the lowest free one next
    w.refused(e3, {"certificate_number": "002"}, 409, "conflict")
    r = w.complete(e3, {"certificate_number": "005"})
    expect(r.status == 200 and r.json["certificate_number"] == "005", f"{r}")
    r = w.complete(e4, {"certificate_issued_on": today})
    expect(r.status == 200 and r.json["certificate_number"] == "003", f"{r}")
    # If-Match: a stale version 412; a repeated Idempotency-Key replays and writes nothing
    w.refused(e5, {}, 412, "precondition_failed", headers={"If-Match": '"9"'})
    key = {"Idempotency-Key": "done-" + uid()}
    r = w.complete(e5, headers=key)
    expect(r.status == 200 and r.json["certificate_number"] == "004", f"{r}")
    before = w.state()
    again = w.complete(e5, headers=key)
    expect(again.status == 200 and again.json == r.json and w.state() == before, f"{again}")
    expect_problem(w.complete(e5, {"completed_on": "2026-03-01"}, headers=key), 422, "idempotency_key_reused")
    w.refused(e1, {}, 409, "invalid_transition")
    prog = w.get(p["id"])
    expect(prog["version"] == p["version"], f"completions bumped the programme: {prog}")


def test_refusals(d):
    w = world(d)
    p = w.programme(hours_required=1.5, certificate=True)
    (e,) = w.attended(p["id"], ["present"])
    tomorrow = (dt.date.fromisoformat(w.today()) + dt.timedelta(days=1)).isoformat()
    w.refused(e, {"completed_on": tomorrow}, 422, "validation_failed", "completed_on")
    w.refused(e, {"completed_on": "2026-01-04"}, 422, "validation_failed", "completed_on")
    w.refused(e, {"completed_on": "2026-03-01", "certificate_issued_on": "2026-02-28"}, 422, "validation_failed",
              "certificate_issued_on")
    w.refused(e, {"certificate_issued_on": tomorrow}, 422, "validation_failed", "certificate_issued_on")
    w.refused(e, {"override_reason": ""}, 422, "validation_failed", "override_reason")
    w.refused(e, {"override_reason": "x" * 501}, 422, "validation_failed", "override_reason")
    w.refused(e, {"override_reason": "a\nb"}, 422, "validation_failed", "override_reason")
    w.refused(e, {"certificate_number": "n" * 51}, 422, "validation_failed", "certificate_number")
    w.refused(e, {"certificate_number": ""}, 422, "validation_failed", "certificate_number")
    w.refused(e, {"completed_on": "2026-13-01"}, 422, "validation_failed", "completed_on")
    # roles: staff 403, partner 404, a caseworker of another house 404
    w.refused(e, {}, 403, "forbidden", token=w.staff)
    pt = w.user("partner", partner_id=w.partner([w.a])["id"])
    w.refused(e, {}, 404, "not_found", token=pt)
    w.refused(e, {}, 404, "not_found", token=w.user("caseworker", [w.b]))
    w.refused("00000000-0000-4000-8000-000000000000", {}, 404, "not_found")
    r = w.complete(e, {"completed_on": "2026-03-01", "certificate_issued_on": "2026-03-02"})
    expect(r.status == 200 and r.json["completed_on"] == "2026-03-01"
           and r.json["certificate_issued_on"] == "2026-03-02", f"{r}")
    # certificate: false -> either field 422; no hours_required -> one attended session needed
    q = w.programme()
    e_absent, e_there = w.attended(q["id"], ["absent", "present"])
    w.refused(e_there, {"certificate_number": "001"}, 422, "validation_failed", "certificate_number")
    w.refused(e_there, {"certificate_issued_on": w.today()}, 422, "validation_failed", "certificate_issued_on")
    w.refused(e_absent, {}, 409, "requirements_not_met")
    r = w.complete(e_there, token=w.cw)
    expect(r.status == 200 and r.json["certificate_number"] is None and r.json["certificate_issued_on"] is None, f"{r}")
    # stages: applied and withdrawn are not completable
    applied = w.enrolled(q["id"], w.resident(), stage="applied")["id"]
    w.refused(applied, {"override_reason": "x"}, 409, "invalid_transition")
    gone = w.enrolled(q["id"], w.resident())["id"]
    expect(w.epatch(gone, {"stage": "withdrawn", "withdrawal_reason": "moved_away"}).status == 200, "withdraw")
    w.refused(gone, {"override_reason": "x"}, 409, "invalid_transition")
    # a finished programme: not_completed completes; a cancelled one: programme_closed
    f = w.programme()
    late = w.attended(f["id"], ["present"])[0]
    for status in ("running", "finished"):
        expect(w.patch(f["id"], {"status": status}).status == 200, status)
    expect(w.eget(late)["stage"] == "not_completed", "finishing")
    r = w.complete(late)
    expect(r.status == 200 and r.json["stage"] == "completed", f"{r}")
    c = w.programme()
    stuck = w.attended(c["id"], ["present"])[0]
    expect(w.patch(c["id"], {"status": "cancelled"}).status == 200, "cancel")
    w.refused(stuck, {"override_reason": "x"}, 409, "programme_closed")


def _plan(w, domain_status):
    """A resident in residence with an exit plan whose goals have these (domain, status)."""
    rid = w.resident()
    stay = w.d.must("POST", "stays", {"resident_id": rid, "bed_id": w.d.bed(w.token, w.d.room(w.token, w.a)["id"])["id"],
                                      "rules_acknowledged": True}, 201, token=w.token)
    w.d.must("PUT", f"stays/{stay['id']}/exit-plan", {"target_exit_on": "2027-01-01", "destination_plan": "family"},
             201, token=w.token)
    goals = []
    for domain, status in domain_status:
        g = w.d.must("POST", f"stays/{stay['id']}/exit-plan/goals", {"domain": domain, "title": "Tujuan " + uid()},
                     201, token=w.token)
        if status != "planned":
            g = w.d.must("PATCH", f"goals/{g['id']}", {"status": status}, token=w.token)
        goals.append(g)
    return rid, stay, goals


def test_goal(d):
    w = world(d)
    p = w.programme()
    rid, stay, (skill, housing) = _plan(w, [("skills_training", "in_progress"), ("housing", "planned")])
    e = w.enrolled(p["id"], rid, goal_id=skill["id"])["id"]
    s = w.session(p["id"])
    w.record(s["id"], {e: "present"})
    plan = w.d.must("GET", f"stays/{stay['id']}/exit-plan", token=w.token)
    expect(plan["readiness"] == 0, f"{plan['readiness']}")
    r = w.complete(e, token=w.cw)
    expect(r.status == 200 and r.json["goal_id"] == skill["id"], f"{r}")
    g = [x for x in w.d.must("GET", f"stays/{stay['id']}/exit-plan", token=w.token)["goals"] if x["id"] == skill["id"]][0]
    expect(g["status"] == "achieved" and g["version"] == skill["version"] + 1, f"{g}")
    audit = w.d.psql(f"SELECT action, before->>'status', after->>'status' FROM app.audit_log WHERE entity = 'goal' "
                     f"AND entity_id = '{skill['id']}' ORDER BY pos").strip().splitlines()
    expect(audit[-1] == "goal.update|in_progress|achieved", f"{audit}")
    plan = w.d.must("GET", f"stays/{stay['id']}/exit-plan", token=w.token)
    expect(plan["readiness"] == 0.5, f"readiness {plan['readiness']}")
    # a goal already achieved is left alone: no version, no record
    q = w.programme()
    rid2, _, (done,) = _plan(w, [("employment", "achieved")])
    e2 = w.enrolled(q["id"], rid2, goal_id=done["id"])["id"]
    n = w.d.psql(f"SELECT count(*) FROM app.audit_log WHERE entity_id = '{done['id']}'").strip()
    expect(w.complete(e2, {"override_reason": "Lulus uji kompetensi"}).status == 200, "complete")
    after = w.d.psql(f"SELECT version, (SELECT count(*) FROM app.audit_log WHERE entity_id = '{done['id']}') "
                     f"FROM app.goals WHERE id = '{done['id']}'").strip()
    expect(after == f"{done['version']}|{n}", f"{after}")


def test_race_certificates_two_instances(d):
    w = world(d)
    p = w.programme(certificate=True)
    eids = [w.enrolled(p["id"], w.resident())["id"] for _ in range(10)]
    with harness.Instance(share=d) as other:
        both = [d, other]
        got = harness.race([lambda i=i: w.complete(eids[i], {"override_reason": "race"}, d=both[i % 2])
                            for i in range(10)])
    statuses = [getattr(r, "status", repr(r)) for r in got]
    expect(statuses == [200] * 10, f"{statuses}")
    numbers = sorted(r.json["certificate_number"] for r in got)
    expect(numbers == [f"{i:03d}" for i in range(1, 11)], f"{numbers}")
    err = ""
    try:
        d.psql(f"UPDATE app.enrolments SET certificate_number = '001' WHERE id = '{eids[0]}' "
               f"AND certificate_number <> '001'; UPDATE app.enrolments SET certificate_number = '001' "
               f"WHERE programme_id = '{p['id']}'")
    except Exception as e:  # noqa: BLE001 - the message is the answer
        err = str(e)
    expect("enrolments_certificate_key" in err, f"the database took a repeated number: {err!r}")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
