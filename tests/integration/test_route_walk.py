"""Every route (src/resources/), once, with valid input: each answers its success status,
which docs/openapi.yaml documents for it; the set of routes walked is exactly the route
table (a new route without a step here fails); /metrics then counts each route with that
status (the daemon routed the request where the step meant it to go).

Under tests/tls/run.sh (harness TLS mode) this is the proof that every route answers over
TLS; the route table and the documented statuses come from test_openapi.py's readers."""

import datetime as dt
import os
import re
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_openapi as openapi  # noqa: E402 - its readers of routes.c and docs/openapi.yaml
from harness import Instance, expect, uid  # noqa: E402


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Walk:
    """Sends the walk's requests and notes the route each one was meant for."""

    def __init__(self, d):
        self.d = d
        self.table = {(r["method"], r["path"]) for r in openapi.c_routes()}
        self.ops, _ = openapi.read_doc()
        self.walked = {}  # (method, template) -> status

    def documented(self, key):
        """The statuses docs/openapi.yaml lists for the operation KEY."""
        op = self.ops.get(key)
        expect(op is not None, f"{key} is not documented")
        responses = openapi.block(op, openapi.find(op, 6, "responses"))
        return {int(openapi.unquote(responses[k].strip().rstrip(":"))) for k in openapi.children(responses, 8)}

    def note(self, route, path, status, got):
        """Checks that PATH is an instance of ROUTE ("METHOD /template") and that the answer
        GOT (a Response or a status) is STATUS, a documented one; records the route."""
        method, template = route.split(" ", 1)
        key = (method, template)
        pattern = re.sub(r"\\\{\w+\\\}", "[^/?]+", re.escape(template)) + r"(\?.*)?"
        expect(re.fullmatch(pattern, path), f"{route}: the step's path {path} is not of this route")
        expect(status in self.documented(key), f"{route}: {status} is not a documented status")
        got_status = got if isinstance(got, int) else got.status
        expect(got_status == status, f"{route} ({path}): expected {status}, got {got}")
        self.walked[key] = status

    def call(self, route, status, path=None, **kw):
        """One request to ROUTE at PATH (default: the template itself); returns the Response."""
        path = path or route.split(" ", 1)[1]
        r = self.d.request(route.split(" ", 1)[0], path, **kw)
        self.note(route, path, status, r)
        return r

    def json(self, route, status, path=None, **kw):
        return self.call(route, status, path, **kw).json


def stream_status(d, token):
    """Opens GET /api/v1/events on a raw socket (TLS in TLS mode); returns its status and
    Content-Type once the head arrived, and closes the stream."""
    with socket.create_connection(("127.0.0.1", d.port), timeout=10) as sock:
        sock.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(65536)
            expect(chunk, f"the event stream closed before its head: {head!r}")
            head += chunk
    lines = head.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    ctype = next((line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("content-type:")), "")
    return int(lines[0].split()[1]), ctype


def walk_all(w, d):
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    today = now.date()
    w.call("GET /healthz", 200)
    w.call("GET /readyz", 200)
    w.call("GET /metrics", 200)
    w.call("GET /api/v1/openapi.yaml", 200)
    token = w.json("POST /api/v1/auth/login", 200,
                   json_body={"username": harness.ADMIN_USER, "password": d.admin_password})["token"]
    w.call("GET /api/v1/me", 200, token=token)

    house = w.json("POST /api/v1/houses", 201, json_body={"code": "H-" + uid(), "name": "Griya " + uid()},
                   token=token)
    w.call("GET /api/v1/houses", 200, token=token)
    w.call("GET /api/v1/houses/{id}", 200, f"/api/v1/houses/{house['id']}", token=token)
    w.call("PATCH /api/v1/houses/{id}", 200, f"/api/v1/houses/{house['id']}", json_body={"address": "Jl. Walk 1"},
           token=token)
    hpath = f"/api/v1/houses/{house['id']}"

    user = w.json("POST /api/v1/users", 201, token=token,
                  json_body={"username": "walk-" + uid(), "password": "walk-pw-" + uid() + uid(),
                             "role": "caseworker", "full_name": "Walk Caseworker", "house_ids": [house["id"]]})
    w.call("GET /api/v1/users", 200, token=token)
    w.call("GET /api/v1/users/{id}", 200, f"/api/v1/users/{user['id']}", token=token)
    w.call("PATCH /api/v1/users/{id}", 200, f"/api/v1/users/{user['id']}", json_body={"full_name": "Walk CW"},
           token=token)

    partner = w.json("POST /api/v1/partners", 201, token=token,
                     json_body={"name": "Mitra " + uid(), "kind": "training_centre", "house_ids": [house["id"]],
                                "agreement": {"number": "PKS-" + uid(), "signed_on": today.isoformat()}})
    w.call("GET /api/v1/partners", 200, f"/api/v1/partners?house_id={house['id']}&kind=training_centre", token=token)
    w.call("GET /api/v1/partners/{id}", 200, f"/api/v1/partners/{partner['id']}", token=token)
    w.call("PATCH /api/v1/partners/{id}", 200, f"/api/v1/partners/{partner['id']}",
           json_body={"address": "Jl. Mitra 1"}, token=token)

    programme = w.json("POST /api/v1/programmes", 201, token=token,
                       json_body={"house_id": house["id"], "kind": "skills_training", "title": "Pelatihan walk",
                                  "starts_on": today.isoformat(), "partner_id": partner["id"], "capacity": 5,
                                  "hours_required": 1.5, "status": "open"})
    w.call("GET /api/v1/programmes", 200, f"/api/v1/programmes?house_id={house['id']}&status=open", token=token)
    w.call("GET /api/v1/programmes/{id}", 200, f"/api/v1/programmes/{programme['id']}", token=token)
    w.call("PATCH /api/v1/programmes/{id}", 200, f"/api/v1/programmes/{programme['id']}",
           json_body={"planned_sessions": 8}, token=token)
    session = w.json("POST /api/v1/programmes/{programme_id}/sessions", 201,
                     f"/api/v1/programmes/{programme['id']}/sessions", token=token,
                     json_body={"scheduled_at": now.isoformat(), "duration_minutes": 60, "topic": "Walk"})
    w.call("GET /api/v1/sessions", 200, f"/api/v1/sessions?programme_id={programme['id']}&status=scheduled",
           token=token)
    w.call("GET /api/v1/sessions/{id}", 200, f"/api/v1/sessions/{session['id']}", token=token)
    w.call("PATCH /api/v1/sessions/{id}", 200, f"/api/v1/sessions/{session['id']}", json_body={"status": "held"},
           token=token)
    w.call("GET /api/v1/sessions/{id}/attendance", 200, f"/api/v1/sessions/{session['id']}/attendance", token=token)
    w.call("PUT /api/v1/sessions/{id}/attendance", 201, f"/api/v1/sessions/{session['id']}/attendance",
           json_body={"records": []}, token=token)

    room = w.json("POST /api/v1/houses/{house_id}/rooms", 201, hpath + "/rooms",
                  json_body={"code": "R-" + uid(), "sex": "any"}, token=token)
    w.call("GET /api/v1/houses/{house_id}/rooms", 200, hpath + "/rooms", token=token)
    w.call("GET /api/v1/rooms/{id}", 200, f"/api/v1/rooms/{room['id']}", token=token)
    w.call("PATCH /api/v1/rooms/{id}", 200, f"/api/v1/rooms/{room['id']}", json_body={"floor": 2}, token=token)
    beds = [w.json("POST /api/v1/rooms/{room_id}/beds", 201, f"/api/v1/rooms/{room['id']}/beds",
                   json_body={"label": "B-" + uid()}, token=token) for _ in range(2)]
    w.call("GET /api/v1/beds/{id}", 200, f"/api/v1/beds/{beds[0]['id']}", token=token)
    w.call("PATCH /api/v1/beds/{id}", 200, f"/api/v1/beds/{beds[0]['id']}", json_body={"label": "B-" + uid()},
           token=token)
    w.call("GET /api/v1/houses/{house_id}/beds", 200, hpath + "/beds?state=free", token=token)

    resident = w.json("POST /api/v1/residents", 201, token=token,
                      json_body={"house_id": house["id"], "full_name": "Klien " + uid(),
                                 "register_number": "REG-" + uid(), "sex": "male", "legal_status": "parole"})
    w.call("GET /api/v1/residents", 200, f"/api/v1/residents?house_id={house['id']}", token=token)
    w.call("GET /api/v1/residents/{id}", 200, f"/api/v1/residents/{resident['id']}", token=token)
    w.call("PATCH /api/v1/residents/{id}", 200, f"/api/v1/residents/{resident['id']}",
           json_body={"phone": "0812"}, token=token)
    referrals = [w.json("POST /api/v1/referrals", 201, token=token,
                        json_body={"house_id": house["id"], "full_name": "Rujukan " + uid(),
                                   "register_number": "RJK-" + uid(), "sex": "male",
                                   "from_institution": "Lapas Kelas IIA Jambi",
                                   "expected_legal_basis": "pembebasan_bersyarat",
                                   "expected_arrival_on": today.isoformat()}) for _ in range(3)]
    fpath = [f"/api/v1/referrals/{f['id']}" for f in referrals]
    w.call("GET /api/v1/referrals", 200, f"/api/v1/referrals?house_id={house['id']}&status=pending&q=rujukan",
           token=token)
    w.call("GET /api/v1/referrals/{id}", 200, fpath[0], token=token)
    w.call("PATCH /api/v1/referrals/{id}", 200, fpath[0], json_body={"institution_kind": "lapas"}, token=token)
    w.call("POST /api/v1/referrals/{id}/accept", 200, fpath[0] + "/accept", json_body={}, token=token)
    w.call("POST /api/v1/referrals/{id}/decline", 200, fpath[1] + "/decline", json_body={"reason": "walk"},
           token=token)
    w.call("POST /api/v1/referrals/{id}/cancel", 200, fpath[2] + "/cancel", json_body={"reason": "walk"},
           token=token)
    consent = w.json("POST /api/v1/residents/{id}/consents", 201, f"/api/v1/residents/{resident['id']}/consents",
                     token=token, json_body={"purpose": "family_contact", "scope": ["contact"],
                                             "given_on": today.isoformat(), "notice_given": True,
                                             "proof": {"form": "written", "document_ref": "PS-1",
                                                       "witness_name": "Saksi"}})
    w.call("GET /api/v1/residents/{id}/consents", 200,
           f"/api/v1/residents/{resident['id']}/consents?status=active&purpose=family_contact", token=token)
    w.call("GET /api/v1/consents", 200, f"/api/v1/consents?house_id={house['id']}&expires_within_days=400",
           token=token)
    w.call("GET /api/v1/consents/{id}", 200, f"/api/v1/consents/{consent['id']}", token=token)
    w.call("POST /api/v1/consents/{id}/withdraw", 200, f"/api/v1/consents/{consent['id']}/withdraw",
           json_body={"reason": "walk"}, token=token)
    w.call("GET /api/v1/programmes/{id}/partner-view", 200, f"/api/v1/programmes/{programme['id']}/partner-view",
           token=token)
    request = w.json("POST /api/v1/residents/{id}/requests", 201, f"/api/v1/residents/{resident['id']}/requests",
                     token=token, json_body={"kind": "access", "details": "walk"})
    w.call("GET /api/v1/residents/{id}/requests", 200,
           f"/api/v1/residents/{resident['id']}/requests?kind=access&status=open&overdue=false", token=token)
    w.call("GET /api/v1/data-requests", 200, f"/api/v1/data-requests?house_id={house['id']}&resident_id={resident['id']}",
           token=token)
    w.call("GET /api/v1/data-requests/{id}", 200, f"/api/v1/data-requests/{request['id']}", token=token)
    w.call("POST /api/v1/data-requests/{id}/close", 200, f"/api/v1/data-requests/{request['id']}/close",
           json_body={"status": "answered", "response": "walk"}, token=token)
    enrolment = w.json("POST /api/v1/programmes/{programme_id}/enrolments", 201,
                       f"/api/v1/programmes/{programme['id']}/enrolments", token=token,
                       json_body={"resident_id": resident["id"], "note": "walk"})
    w.call("GET /api/v1/enrolments", 200, f"/api/v1/enrolments?programme_id={programme['id']}&stage=enrolled",
           token=token)
    w.call("GET /api/v1/enrolments/{id}", 200, f"/api/v1/enrolments/{enrolment['id']}", token=token)
    w.call("PATCH /api/v1/enrolments/{id}", 200, f"/api/v1/enrolments/{enrolment['id']}",
           json_body={"note": "walk 2"}, token=token)
    w.call("POST /api/v1/enrolments/{id}/complete", 200, f"/api/v1/enrolments/{enrolment['id']}/complete",
           json_body={"override_reason": "walk"}, token=token)
    basis = w.json("POST /api/v1/residents/{id}/legal-bases", 201, f"/api/v1/residents/{resident['id']}/legal-bases",
                   token=token, json_body={"type": "pembebasan_bersyarat", "decree_number": "PAS-" + uid(),
                                           "decree_date": (today - dt.timedelta(days=40)).isoformat(),
                                           "starts_on": (today - dt.timedelta(days=30)).isoformat(),
                                           "supervision_ends_on": (today + dt.timedelta(days=300)).isoformat()})
    bpath = f"/api/v1/legal-bases/{basis['id']}"
    rpath = f"/api/v1/residents/{resident['id']}/reporting"
    w.call("PUT /api/v1/residents/{id}/reporting/schedule", 201, rpath + "/schedule", token=token,
           json_body={"frequency": "interval", "interval_days": 7, "starts_on": (today - dt.timedelta(days=20)).isoformat()})
    w.call("GET /api/v1/residents/{id}/reporting/schedule", 200, rpath + "/schedule", token=token)
    w.call("GET /api/v1/residents/{id}/reporting", 200, rpath, token=token)
    report = w.json("POST /api/v1/residents/{id}/reporting/records", 201, rpath + "/records", token=token,
                    json_body={"method": "in_person"})
    w.call("GET /api/v1/reporting-records", 200, f"/api/v1/reporting-records?resident_id={resident['id']}",
           token=token)
    w.call("GET /api/v1/reporting-records/{id}", 200, f"/api/v1/reporting-records/{report['id']}", token=token)
    w.call("POST /api/v1/reporting-records/{id}/void", 200, f"/api/v1/reporting-records/{report['id']}/void",
           token=token, json_body={"reason": "wrong resident"})
    excuse = w.json("POST /api/v1/residents/{id}/reporting/excuses", 201, rpath + "/excuses", token=token,
                    json_body={"due_on": (today - dt.timedelta(days=14)).isoformat(), "reason": "hospital"})
    w.call("DELETE /api/v1/reporting-excuses/{id}", 204, f"/api/v1/reporting-excuses/{excuse['id']}", token=token)
    w.call("GET /api/v1/legal-bases", 200, f"/api/v1/legal-bases?resident_id={resident['id']}", token=token)
    w.call("GET /api/v1/legal-bases/{id}", 200, bpath, token=token)
    w.call("PATCH /api/v1/legal-bases/{id}", 200, bpath, json_body={"litmas_number": "LIT-1",
                                                                   "correction_reason": "typo"}, token=token)
    w.call("POST /api/v1/legal-bases/{id}/revoke", 200, bpath + "/revoke", token=token,
           json_body={"revoked_on": (today - dt.timedelta(days=1)).isoformat(), "reason": "wajib lapor missed"})

    hold = w.json("POST /api/v1/beds/{bed_id}/holds", 201, f"/api/v1/beds/{beds[1]['id']}/holds", token=token,
                  json_body={"resident_id": resident["id"], "until": rfc3339(now + dt.timedelta(days=1))})
    w.call("GET /api/v1/holds", 200, f"/api/v1/holds?house_id={house['id']}&status=active", token=token)
    w.call("GET /api/v1/holds/{id}", 200, f"/api/v1/holds/{hold['id']}", token=token)
    w.call("PATCH /api/v1/holds/{id}", 200, f"/api/v1/holds/{hold['id']}", token=token,
           json_body={"until": rfc3339(now + dt.timedelta(days=2))})
    w.call("POST /api/v1/holds/{id}/cancel", 200, f"/api/v1/holds/{hold['id']}/cancel", token=token,
           json_body={"reason": "walk"})
    # the check-out below leaves its bed in turnover, for the ready step
    w.call("PATCH /api/v1/houses/{id}", 200, hpath, json_body={"turnover_minutes": 30}, token=token)

    stay = w.json("POST /api/v1/stays", 201, token=token,
                  json_body={"resident_id": resident["id"], "bed_id": beds[0]["id"],
                             "checked_in_at": rfc3339(now - dt.timedelta(days=2)), "rules_acknowledged": True})
    spath = f"/api/v1/stays/{stay['id']}"
    w.call("GET /api/v1/stays", 200, f"/api/v1/stays?house_id={house['id']}", token=token)
    w.call("GET /api/v1/stays/{id}", 200, spath, token=token)

    movement = w.json("POST /api/v1/stays/{stay_id}/movements", 201, spath + "/movements", token=token,
                      json_body={"purpose": "work", "expected_back_at": rfc3339(now + dt.timedelta(hours=8))})
    w.call("POST /api/v1/movements/{id}/return", 200, f"/api/v1/movements/{movement['id']}/return", token=token)
    w.call("GET /api/v1/houses/{house_id}/movements", 200, hpath + "/movements", token=token)

    # a roll-call of the house (the stay above on it) and its print page; the roster
    roll = w.json("POST /api/v1/houses/{house_id}/roll-calls", 201, hpath + "/roll-calls", token=token,
                  json_body={"kind": "evening"})
    cpath = f"/api/v1/roll-calls/{roll['id']}"
    w.call("POST /api/v1/roll-calls/{id}/marks", 200, cpath + "/marks", token=token,
           json_body={"marks": [{"resident_id": resident["id"], "status": "present"}]})
    w.call("POST /api/v1/roll-calls/{id}/close", 200, cpath + "/close", token=token, json_body={})
    w.call("GET /api/v1/houses/{house_id}/roll-calls", 200, hpath + "/roll-calls", token=token)
    w.call("GET /api/v1/roll-calls/{id}", 200, cpath, token=token, headers={"Accept": "text/html"})
    other = w.json("POST /api/v1/houses/{house_id}/roll-calls", 201, hpath + "/roll-calls", token=token,
                   json_body={"kind": "extra"})
    w.call("POST /api/v1/roll-calls/{id}/cancel", 200, f"/api/v1/roll-calls/{other['id']}/cancel", token=token,
           json_body={"reason": "walk"})
    w.call("GET /api/v1/houses/{house_id}/roster", 200, hpath + "/roster", token=token)

    rule = w.json("POST /api/v1/houses/{house_id}/rules", 201, hpath + "/rules", token=token,
                  json_body={"code": "RULE-" + uid(), "title": "Curfew", "severity": "minor"})
    w.call("GET /api/v1/houses/{house_id}/rules", 200, hpath + "/rules", token=token)
    w.call("GET /api/v1/rules/{id}", 200, f"/api/v1/rules/{rule['id']}", token=token)
    w.call("PATCH /api/v1/rules/{id}", 200, f"/api/v1/rules/{rule['id']}", json_body={"title": "Curfew 22:00"},
           token=token)
    w.call("POST /api/v1/stays/{stay_id}/violations", 201, spath + "/violations", token=token,
           json_body={"rule_id": rule["id"], "occurred_at": rfc3339(now - dt.timedelta(days=1)),
                      "description": "Late back"})
    w.call("GET /api/v1/violations", 200, f"/api/v1/violations?house_id={house['id']}", token=token)

    w.call("POST /api/v1/houses/{house_id}/handover-notes", 201, hpath + "/handover-notes", token=token,
           json_body={"shift": "night", "note": "Semua aman", "flags": ["follow_up"]})
    w.call("GET /api/v1/houses/{house_id}/handover-notes", 200, hpath + "/handover-notes", token=token)
    w.call("GET /api/v1/houses/{house_id}/forecast", 200, hpath + "/forecast?days=30", token=token)
    w.call("GET /api/v1/houses/{house_id}/tonight", 200, hpath + "/tonight", token=token)

    w.call("PUT /api/v1/stays/{stay_id}/exit-plan", 201, spath + "/exit-plan", token=token,
           json_body={"target_exit_on": (today + dt.timedelta(days=90)).isoformat(), "destination_plan": "family"})
    w.call("GET /api/v1/stays/{stay_id}/exit-plan", 200, spath + "/exit-plan", token=token)
    goal = w.json("POST /api/v1/stays/{stay_id}/exit-plan/goals", 201, spath + "/exit-plan/goals", token=token,
                  json_body={"domain": "housing", "title": "Find a room"})
    w.call("PATCH /api/v1/goals/{id}", 200, f"/api/v1/goals/{goal['id']}", json_body={"status": "in_progress"},
           token=token)
    w.call("GET /api/v1/exit-plans", 200, token=token)

    # the revoked basis of a resident in residence: supervision_ended_in_residence
    alerts = w.json("GET /api/v1/alerts", 200, f"/api/v1/alerts?house_id={house['id']}", token=token)["items"]
    expect(alerts, "the walk's house has an alert")
    w.call("POST /api/v1/alerts/acknowledge", 200, token=token, json_body={"key": alerts[0]["key"], "note": "walk"})
    w.call("GET /api/v1/caseload", 200, f"/api/v1/caseload?house_id={house['id']}", token=token)

    business = w.json("POST /api/v1/businesses", 201, token=token,
                      json_body={"resident_id": resident["id"], "name": "Warung " + uid(), "sector": "food_beverage"})
    zpath = f"/api/v1/businesses/{business['id']}"
    w.call("GET /api/v1/businesses", 200, f"/api/v1/businesses?house_id={house['id']}&stage=idea", token=token)
    w.call("GET /api/v1/businesses/{id}", 200, zpath, token=token)
    w.call("PATCH /api/v1/businesses/{id}", 200, zpath, json_body={"description": "nasi gemuk"}, token=token)
    w.call("POST /api/v1/businesses/{id}/stages", 201, zpath + "/stages", token=token,
           json_body={"stage": "registered", "sku_number": "SKU-" + uid()})
    w.call("PUT /api/v1/businesses/{id}/months/{month}", 201, f"{zpath}/months/{today.strftime('%Y-%m')}",
           token=token, json_body={"revenue_idr": 2500000, "costs_idr": 1500000, "workers": 1})
    w.call("GET /api/v1/businesses/{id}/months", 200, zpath + "/months", token=token)

    w.call("POST /api/v1/stays/{stay_id}/transfer", 200, spath + "/transfer", json_body={"bed_id": beds[1]["id"]},
           token=token)
    w.call("POST /api/v1/stays/{stay_id}/checkout", 200, spath + "/checkout", token=token,
           json_body={"exit_reason": "completed", "destination": "family"})
    w.call("POST /api/v1/beds/{bed_id}/ready", 200, f"/api/v1/beds/{beds[1]['id']}/ready", json_body={},
           token=token)
    follow = w.json("GET /api/v1/follow-ups", 200, f"/api/v1/follow-ups?stay_id={stay['id']}&status=pending",
                    token=token)["items"]
    w.call("GET /api/v1/follow-ups/{id}", 200, f"/api/v1/follow-ups/{follow[0]['id']}", token=token)
    w.call("PUT /api/v1/follow-ups/{id}/result", 200, f"/api/v1/follow-ups/{follow[0]['id']}/result", token=token,
           json_body={"method": "phone", "unreachable": True})
    w.call("POST /api/v1/follow-ups/{id}/cancel", 200, f"/api/v1/follow-ups/{follow[1]['id']}/cancel", token=token,
           json_body={"reason": "walk"})
    w.call("GET /api/v1/residents/{id}/processing-history", 200,
           f"/api/v1/residents/{resident['id']}/processing-history?limit=5", token=token)
    w.call("GET /api/v1/disclosures", 200, f"/api/v1/disclosures?resident_id={resident['id']}", token=token)

    span = f"from={(today - dt.timedelta(days=7)).isoformat()}&to={today.isoformat()}"
    w.call("GET /api/v1/occupancy", 200, token=token)
    w.call("GET /api/v1/houses/{house_id}/census", 200, f"{hpath}/census?{span}", token=token)
    w.call("GET /api/v1/reports/exits", 200, f"/api/v1/reports/exits?{span}", token=token)
    w.call("GET /api/v1/reports/programme", 200, f"/api/v1/reports/programme?{span}", token=token)
    w.call("GET /api/v1/reports/outcomes", 200, f"/api/v1/reports/outcomes?{span}", token=token)
    w.call("GET /api/v1/audit", 200, token=token)
    verify = w.json("GET /api/v1/audit/verify", 200, token=token)
    expect(verify.get("ok") is True, f"audit/verify: {verify}")

    status, ctype = stream_status(d, token)
    w.note("GET /api/v1/events", "/api/v1/events", 200, status)
    expect(ctype.startswith("text/event-stream"), f"the event stream's Content-Type is {ctype!r}")
    w.call("POST /api/v1/auth/logout", 204, token=token)


def metrics_counts(d):
    """{(route, status): count} of abipraya_http_requests_total in /metrics."""
    r = d.request("GET", "/metrics")
    expect(r.status == 200, f"/metrics: {r}")
    return {(m.group(1), m.group(2)): int(m.group(3))
            for m in re.finditer(r'^abipraya_http_requests_total\{route="([^"]*)",status="(\w+)"\} (\d+)$',
                                 r.text, flags=re.M)}


def test_every_route_answers_its_documented_status():
    with Instance() as d:
        w = Walk(d)
        walk_all(w, d)
        missing = sorted(w.table - set(w.walked))
        expect(not missing, "routes of the route table this walk does not call (add a step):\n"
               + "".join(f"  {m} {p}\n" for m, p in missing))
        expect(set(w.walked) <= w.table, f"walked routes not in the table: {sorted(set(w.walked) - w.table)}")

        def uncounted():
            counts = metrics_counts(d)
            return [f"{m} {p} {s}" for (m, p), s in sorted(w.walked.items())
                    if counts.get((f"{m} {p}", str(s)), 0) < 1]
        # the event stream is counted once the daemon has seen it close: allow it a moment
        if not harness.wait_for(lambda: not uncounted(), 10):
            raise AssertionError("/metrics does not count these routes with their status:\n  "
                                 + "\n  ".join(uncounted()))
        print(f"walked {len(w.walked)} routes{' over TLS' if d.base.startswith('https:') else ''}")


if __name__ == "__main__":
    harness.main(globals())
