"""Consents (contract §18.2), the partner view (§18.3), consent_expiring (§18.10), their events
(§18.11), consent_withdrawn (§18.13) and what the database enforces (§18.14). One daemon, two for
the race. Each refused write writes nothing.

- test_record_and_read: 201 with every key, status computed, expires_on's default (+1 year, 29
  February -> 28 February, so a late entry is `expired` at once); audit consent.create, event
  consent.recorded with ids only; GET with ETag; the resident's list; GET /consents with full_name.
- test_field_rules_422: every rule of the body's table -> 422 naming the field; nothing written.
- test_roles: staff 403 before any lookup, partner users 404, another house's manager 404.
- test_withdraw: 200 withdrawn with version 2 (audit consent.withdraw, event consent.withdrawn);
  again -> 409 consent_withdrawn; a stale If-Match -> 412; withdrawn_at ahead or before given_on
  -> 422; an expired consent may be withdrawn; PATCH/PUT/DELETE -> 405.
- test_lists_filter: status, purpose, partner_id; expires_within_days is the renewal worklist in
  expires_on order, active only; paging.
- test_database_enforces: a changed consent, a second withdrawal, a half withdrawal, a scope
  repeat, an indefinite or far expiry, a partner sharing without partner fail through psql.
- test_race_withdraw_two_instances: 8 withdrawals of one consent over two daemons -> one 200, seven
  409 consent_withdrawn, one audit record.
- test_partner_view: participants once each (waitlisted not counted), named by an active consent
  with attendance for the programme's partner only, in enrolment order; a withdrawal un-names at
  once; 1-4 hides both counts; the partner user sees the same, another partner 404, staff 403.
- test_consent_expiring_alert: raised 30 days before expires_on with its key, since, due_at and
  details; not for staff; a later consent of the same purpose and partner clears it, and so does
  a withdrawal."""

import datetime as dt
import os
import sys
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem, uid  # noqa: E402

KEYS = {"id", "resident_id", "house_id", "purpose", "purpose_detail", "partner_id", "recipient", "scope", "given_on",
        "expires_on", "notice_given", "proof", "status", "withdrawn_at", "withdrawal_reason", "withdrawn_by",
        "recorded_by", "version", "created_at", "updated_at"}
JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")


def q(d, sql):
    return d.psql(sql).strip()


def today():
    return dt.datetime.now(JAKARTA).date()


class World(harness.HouseTeam):
    def __init__(self, d):
        super().__init__(d)
        self.partner = self.new_partner()

    def new_partner(self, houses=None):
        return self.d.must("POST", "partners", {"name": "Mitra " + uid(), "kind": "training_centre",
                                                "house_ids": houses or [self.house]}, 201, token=self.token)["id"]

    def partner_user(self, partner):
        password = "pw-" + uid() + uid()
        u = self.d.must("POST", "users", {"username": "pa-" + uid(), "password": password, "role": "partner",
                                          "full_name": "Mitra " + uid(), "house_ids": [], "partner_id": partner},
                        201, token=self.token)
        return self.d.login(u["username"], password)

    def resident(self, house=None):
        return self.d.resident(self.token, house or self.house)

    def body(self, **fields):
        return {"purpose": "family_contact", "recipient": "Ibu Siti (kakak)", "scope": ["identity", "contact"],
                "given_on": today().isoformat(), "notice_given": True,
                "proof": {"form": "written", "document_ref": "PS-" + uid(), "witness_name": "Pak Budi"}, **fields}

    def post(self, rid, body, token=None, d=None):
        return (d or self.d).request("POST", f"/api/v1/residents/{rid}/consents", json_body=body,
                                     token=token or self.cw_token)

    def consent(self, rid, token=None, **fields):
        r = self.post(rid, self.body(**fields), token)
        expect(r.status == 201, f"consent: {r}")
        return r.json

    def sharing(self, rid, partner=None, scope=("attendance",), **fields):
        return self.consent(rid, purpose="programme_partner_sharing", partner_id=partner or self.partner,
                            scope=list(scope), **fields)

    def withdraw(self, cid, d=None, headers=None, **body):
        return (d or self.d).request("POST", f"/api/v1/consents/{cid}/withdraw",
                                     json_body={"reason": "klien mencabut", **body}, headers=headers,
                                     token=self.cw_token)

    def counts(self):
        return q(self.d, "SELECT (SELECT count(*) FROM app.consents), (SELECT sum(version) FROM app.consents), "
                           "(SELECT count(*) FROM app.audit_log), (SELECT count(*) FROM app.events)").strip()


def world(d):
    return harness.world_of(d, World)


def test_record_and_read(d):
    w = world(d)
    res = w.resident()
    c = w.consent(res["id"], purpose="other", purpose_detail="Wawancara untuk buletin Bapas",
                  expires_on=(today() + dt.timedelta(days=400)).isoformat())
    expect(set(c) == KEYS, f"keys: {sorted(c)}")
    expect((c["status"], c["resident_id"], c["house_id"], c["recorded_by"], c["version"], c["withdrawn_at"])
           == ("active", res["id"], w.house, w.cw["id"], 1, None), f"{c}")
    expect(c["scope"] == ["identity", "contact"] and c["proof"]["form"] == "written"
           and c["proof"]["witness_name"] == "Pak Budi" and c["notice_given"] is True, f"{c}")
    audit = q(d, f"SELECT action || ' ' || (after->>'status') FROM app.audit_log WHERE entity_id = '{c['id']}'")
    expect(audit.split("\n") == ["consent.create active"], f"audit: {audit}")
    ev = q(d, f"SELECT data::text || ' ' || roles::text FROM app.events WHERE name = 'consent.recorded' "
                f"AND data->>'id' = '{c['id']}'")
    expect(ev == f'{{"id": "{c["id"]}", "entity": "consent", "house_id": "{w.house}", '
                 f'"resident_id": "{res["id"]}"}} {{admin,manager,caseworker}}', f"event: {ev}")
    r = d.request("GET", f"/api/v1/consents/{c['id']}", token=w.manager)
    expect(r.status == 200 and r.json == c and r.header("ETag") == '"1"', f"get: {r} {r.header('ETag')}")
    # a consent given and expired in the past, entered late; the default +1 year from 29 February
    late = w.consent(res["id"], given_on="2024-02-29")
    expect(late["expires_on"] == "2025-02-28" and late["status"] == "expired", f"late: {late}")
    mine = d.must("GET", f"residents/{res['id']}/consents", token=w.cw_token)["items"]
    expect([x["id"] for x in mine] == [c["id"], late["id"]] and mine[0] == c, f"resident's list: {mine}")
    listed = d.must("GET", f"consents?house_id={w.house}", token=w.manager)["items"]
    expect([x["id"] for x in listed][-2:] == [c["id"], late["id"]]
           and listed[-1]["full_name"] == res["full_name"], f"list: {listed[-2:]}")


def test_field_rules_422(d):
    w = world(d)
    rid = w.resident()["id"]
    tomorrow = today() + dt.timedelta(days=1)
    stranger = w.new_partner([w.other_house])
    cases = [
        ({"purpose": "gossip"}, "purpose"),
        ({"purpose": "other"}, "purpose_detail"),
        ({"purpose": "programme_partner_sharing"}, "partner_id"),
        ({"partner_id": stranger}, "partner_id"),
        ({"partner_id": "00000000-0000-4000-8000-000000000000"}, "partner_id"),
        ({"recipient": "x" * 201}, "recipient"),
        ({"scope": []}, "scope"),
        ({"scope": ["identity", "identity"]}, "scope"),
        ({"scope": ["identity", "criminal_record"]}, "scope"),
        ({"given_on": tomorrow.isoformat()}, "given_on"),
        ({"expires_on": None}, "expires_on"),
        ({"expires_on": today().isoformat()}, "expires_on"),
        ({"given_on": "2024-02-29", "expires_on": "2029-03-01"}, "expires_on"),
        ({"notice_given": False}, "notice_given"),
        ({"proof": None}, "proof"),
        ({"proof": {"form": "oral", "document_ref": "A-1", "witness_name": "B"}}, "proof.form"),
        ({"proof": {"form": "written", "witness_name": "B"}}, "proof.document_ref"),
        ({"proof": {"form": "written", "document_ref": "A-1", "witness_name": ""}}, "proof.witness_name"),
        ({"purpose_detail": "x" * 501}, "purpose_detail"),
    ]
    before = w.counts()
    for fields, field in cases:
        expect_problem(w.post(rid, w.body(**fields)), 422, "validation_failed", field=field)
    body = w.body()
    del body["scope"]
    expect_problem(w.post(rid, body), 422, "validation_failed", field="scope")
    expect(w.counts() == before, "nothing written by the refused ones")
    # the longest allowed expiry is accepted: 5 years to the day
    ok = w.consent(rid, given_on="2024-02-29", expires_on="2029-02-28")
    expect(ok["expires_on"] == "2029-02-28", f"{ok}")


def test_roles(d):
    w = world(d)
    rid = w.resident()["id"]
    c = w.consent(rid)
    missing = "00000000-0000-4000-8000-000000000000"
    pa = w.partner_user(w.partner)
    before = w.counts()
    for path in (f"residents/{rid}/consents", f"residents/{missing}/consents", "consents", f"consents/{c['id']}",
                 f"consents/{missing}"):
        expect_problem(d.request("GET", "/api/v1/" + path, token=w.staff), 403, "forbidden")
        expect_problem(d.request("GET", "/api/v1/" + path, token=pa), 404, "not_found")
    expect_problem(w.post(rid, w.body(), token=w.staff), 403, "forbidden")
    expect_problem(w.post(missing, w.body(), token=w.staff), 403, "forbidden")
    expect_problem(w.post(rid, w.body(), token=pa), 404, "not_found")
    expect_problem(d.request("POST", f"/api/v1/consents/{c['id']}/withdraw", json_body={"reason": "x"},
                             token=w.staff), 403, "forbidden")
    for path in (f"residents/{rid}/consents", f"consents/{c['id']}"):
        expect_problem(d.request("GET", "/api/v1/" + path, token=w.other_manager), 404, "not_found")
    expect_problem(w.post(rid, w.body(), token=w.other_manager), 404, "not_found")
    expect_problem(d.request("POST", f"/api/v1/consents/{c['id']}/withdraw", json_body={"reason": "x"},
                             token=w.other_manager), 404, "not_found")
    expect_problem(d.request("GET", f"/api/v1/consents?house_id={w.house}", token=w.other_manager), 404, "not_found")
    expect(all(x["house_id"] != w.house for x in d.must("GET", "consents", token=w.other_manager)["items"]),
           "another house's manager lists none of this house")
    expect(w.counts() == before, "nothing written")


def test_withdraw(d):
    w = world(d)
    rid = w.resident()["id"]
    c = w.consent(rid, given_on=(today() - dt.timedelta(days=3)).isoformat())
    before = w.counts()
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=10)
    expect_problem(w.withdraw(c["id"], withdrawn_at=soon.isoformat()), 422, "validation_failed", field="withdrawn_at")
    given_midnight = dt.datetime.combine(today() - dt.timedelta(days=3), dt.time(), JAKARTA)
    expect_problem(w.withdraw(c["id"], withdrawn_at=(given_midnight - dt.timedelta(seconds=1)).isoformat()),
                   422, "validation_failed", field="withdrawn_at")
    expect_problem(w.withdraw(c["id"], headers={"If-Match": '"7"'}), 412, "precondition_failed")
    expect_problem(d.request("POST", f"/api/v1/consents/{c['id']}/withdraw", json_body={}, token=w.cw_token),
                   422, "validation_failed", field="reason")
    for method in ("PATCH", "PUT", "DELETE"):
        r = d.request(method, f"/api/v1/consents/{c['id']}", json_body={"purpose": "media"}, token=w.cw_token)
        expect_problem(r, 405, "method_not_allowed")
    expect(w.counts() == before, "nothing written by the refused ones")
    r = w.withdraw(c["id"], headers={"If-Match": '"1"'}, withdrawn_at=given_midnight.isoformat())
    expect(r.status == 200, f"withdraw: {r}")
    n = r.json
    expect((n["status"], n["version"], n["withdrawal_reason"], n["withdrawn_by"])
           == ("withdrawn", 2, "klien mencabut", w.cw["id"]) and n["withdrawn_at"].startswith(
        given_midnight.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")), f"{n}")
    expect({k: v for k, v in n.items() if k not in ("status", "version", "withdrawn_at", "withdrawal_reason",
                                                    "withdrawn_by", "updated_at")}
           == {k: v for k, v in c.items() if k not in ("status", "version", "withdrawn_at", "withdrawal_reason",
                                                       "withdrawn_by", "updated_at")}, "nothing else changed")
    audit = q(d, f"SELECT action || ' ' || coalesce(before->>'status', '-') || ' ' || (after->>'status') "
                   f"FROM app.audit_log WHERE entity_id = '{c['id']}' ORDER BY pos").split("\n")
    expect(audit == ["consent.create - active", "consent.withdraw active withdrawn"], f"audit: {audit}")
    ev = q(d, f"SELECT data->>'resident_id' FROM app.events WHERE name = 'consent.withdrawn' "
                f"AND data->>'id' = '{c['id']}'")
    expect(ev == rid, f"event: {ev}")
    before = w.counts()
    expect_problem(w.withdraw(c["id"]), 409, "consent_withdrawn")
    expect(w.counts() == before, "the second withdrawal writes nothing")
    expect(d.must("GET", f"consents/{c['id']}", token=w.cw_token)["status"] == "withdrawn", "read back")
    old = w.consent(rid, given_on="2024-01-10")
    expect(old["status"] == "expired", f"{old}")
    r = w.withdraw(old["id"], withdrawn_at="2024-06-01T10:00:00+07:00")
    expect(r.status == 200 and r.json["status"] == "withdrawn"
           and r.json["withdrawn_at"] == "2024-06-01T03:00:00Z", f"an expired consent may be withdrawn: {r}")


def test_lists_filter(d):
    w = world(d)
    rid = w.resident()["id"]
    other = w.new_partner()
    a = w.sharing(rid, expires_on=(today() + dt.timedelta(days=20)).isoformat())
    b = w.sharing(rid, partner=other, expires_on=(today() + dt.timedelta(days=5)).isoformat())
    c = w.consent(rid, expires_on=(today() + dt.timedelta(days=10)).isoformat())
    e = w.consent(rid, given_on="2024-01-10")
    f = w.consent(rid, expires_on=(today() + dt.timedelta(days=2)).isoformat())
    w.withdraw(f["id"])

    def ids(query, path=f"residents/{rid}/consents"):
        sep = "&" if "?" in path else "?"
        return [x["id"] for x in d.must("GET", f"{path}{sep}{query}", token=w.cw_token)["items"]]
    expect(ids("") == [a["id"], b["id"], c["id"], e["id"], f["id"]], "creation order")
    expect(ids("status=active") == [a["id"], b["id"], c["id"]], "active")
    expect(ids("status=expired") == [e["id"]] and ids("status=withdrawn") == [f["id"]], "expired, withdrawn")
    expect(ids("purpose=programme_partner_sharing") == [a["id"], b["id"]], "purpose")
    expect(ids(f"partner_id={other}") == [b["id"]], "partner")
    house = f"consents?house_id={w.house}"
    expect(ids("expires_within_days=30", house)[-3:] == [b["id"], c["id"], a["id"]]
           and set(ids("expires_within_days=30", house)) >= {a["id"], b["id"], c["id"]}
           and f["id"] not in ids("expires_within_days=30", house), "worklist by expires_on, active only")
    expect(b["id"] in ids("expires_within_days=5", house) and c["id"] not in ids("expires_within_days=5", house),
           "within N days")
    page1 = d.must("GET", f"{house}&expires_within_days=30&limit=2", token=w.cw_token)
    page2 = d.must("GET", f"{house}&expires_within_days=30&limit=2&cursor={page1['next_cursor']}", token=w.cw_token)
    got = [x["id"] for x in page1["items"] + page2["items"]]
    expect(got == ids("expires_within_days=30", house)[:len(got)], f"paging the worklist: {got}")
    expect_problem(d.request("GET", f"/api/v1/consents?status=gone", token=w.cw_token), 422, "validation_failed",
                   field="status")


def test_database_enforces(d):
    w = world(d)
    rid = w.resident()["id"]
    c = w.consent(rid)

    def refused(sql, _what):
        return harness.psql_refused(d, sql)
    expect("immutable" in refused(f"UPDATE app.consents SET purpose = 'media' WHERE id = '{c['id']}'", "change"), "1")
    expect("consents_withdrawal_check" in refused(
        f"UPDATE app.consents SET withdrawn_at = now() WHERE id = '{c['id']}'", "half"), "half a withdrawal")
    q(d, f"UPDATE app.consents SET withdrawn_at = now(), withdrawal_reason = 'x', withdrawn_by = "
           f"'{w.cw['id']}' WHERE id = '{c['id']}'")
    expect("immutable" in refused(f"UPDATE app.consents SET withdrawal_reason = 'y' WHERE id = '{c['id']}'",
                                  "second withdrawal"), "withdrawn once")
    ins = ("INSERT INTO app.consents (resident_id, house_id, purpose, partner_id, scope, given_on, expires_on, "
           "notice_given, proof_form, proof_document_ref, proof_witness_name) VALUES "
           f"('{rid}', '{w.house}', '{{purpose}}', NULL, '{{scope}}', '2025-01-01', '{{expires}}', true, 'written', "
           "'A', 'B')")
    for purpose, scope, expires, constraint in (
            ("family_contact", "{identity,identity}", "2025-06-01", "consents_scope_check"),
            ("family_contact", "{}", "2025-06-01", "consents_scope_check"),
            ("family_contact", "{identity}", "2030-01-02", "consents_expires_on_check"),
            ("family_contact", "{identity}", "2025-01-01", "consents_expires_on_check"),
            ("programme_partner_sharing", "{attendance}", "2025-06-01", "consents_partner_id_check"),
            ("other", "{identity}", "2025-06-01", "consents_purpose_detail_required")):
        err = refused(ins.format(purpose=purpose, scope=scope, expires=expires), constraint)
        expect(constraint in err, f"{constraint}: {err}")
    expect("null value" in refused(ins.replace("'{expires}'", "NULL").format(purpose="family_contact",
                                                                           scope="{identity}", expires=""),
                                   "indefinite"), "no consent is indefinite")


def test_race_withdraw_two_instances(d):
    w = world(d)
    c = w.consent(w.resident()["id"])
    with harness.Instance(share=d) as other:
        both = [d, other]
        got = harness.race([lambda i=i: w.withdraw(c["id"], d=both[i % 2]) for i in range(8)])
    statuses = sorted(r.status for r in got)
    codes = sorted(r.json.get("code", "") for r in got if r.status == 409)
    expect(statuses == [200] + [409] * 7 and codes == ["consent_withdrawn"] * 7, f"{statuses} {codes}")
    n = q(d, f"SELECT count(*) FROM app.audit_log WHERE entity_id = '{c['id']}' AND action = 'consent.withdraw'")
    expect(n == "1", f"one audit record: {n}")


def programme(w, **fields):
    return w.d.must("POST", "programmes", {"house_id": w.house, "kind": "skills_training", "title": "Las " + uid(),
                                          "starts_on": "2026-01-05", "status": "open", "partner_id": w.partner,
                                          **fields}, 201, token=w.token)


def enrol(w, pid, rid, **fields):
    return w.d.must("POST", f"programmes/{pid}/enrolments", {"resident_id": rid, **fields}, 201, token=w.token)


def test_partner_view(d):
    w = world(d)
    p = programme(w, capacity=8)
    people = [w.resident() for _ in range(9)]
    for r in people[:8]:
        enrol(w, p["id"], r["id"])
    enrol(w, p["id"], people[8]["id"], if_full="waitlist")     # waitlisted: not a participant
    view = f"programmes/{p['id']}/partner-view"
    got = d.must("GET", view, token=w.manager)
    expect(got == {"programme_id": p["id"], "partner_id": w.partner, "participants": 8, "named": [],
                   "anonymous": 8, "suppressed": False}, f"nobody named: {got}")
    other = w.new_partner()
    c5 = w.sharing(people[5]["id"])
    c2 = w.sharing(people[1]["id"], scope=("identity", "attendance"))
    w.sharing(people[2]["id"], scope=("identity",))                   # no attendance: not named
    w.sharing(people[3]["id"], partner=other)                        # another partner: not named
    w.consent(people[4]["id"])                                       # another purpose
    w.sharing(people[6]["id"], given_on="2024-01-10")                # expired
    got = d.must("GET", view, token=w.cw_token)
    expect(got["named"] == [{"full_name": people[1]["full_name"]}, {"full_name": people[5]["full_name"]}]
           and (got["participants"], got["anonymous"], got["suppressed"]) == (8, 6, False), f"named two: {got}")
    pa = w.partner_user(w.partner)
    expect(d.must("GET", view, token=pa) == got, "the partner user sees the same")
    # each name shown is a partner_view disclosure (§18.4), under the consent that covers it
    r = d.request("GET", "/api/v1/" + view, token=pa, headers={"X-Purpose": "absensi pelatihan"})
    rows = q(d, "SELECT resident_id, kind, partner_id, consent_id, array_to_string(fields, ','), purpose, entity, "
                f"entity_id, path FROM app.disclosures WHERE request_id = '{r.header('x-request-id')}' ORDER BY 1")
    want = sorted(f"{c['resident_id']}|partner_view|{w.partner}|{c['id']}|full_name|absensi pelatihan|programme|"
                  f"{p['id']}|/api/v1/{view}" for c in (c2, c5))
    expect(r.status == 200 and rows.splitlines() == want, f"partner_view records: {rows!r}, expected {want}")
    expect(d.must("GET", view, token=w.token) == got, "and admin")
    expect_problem(d.request("GET", "/api/v1/" + view, token=w.partner_user(other)), 404, "not_found")
    expect_problem(d.request("GET", "/api/v1/" + view, token=w.staff), 403, "forbidden")
    expect_problem(d.request("GET", "/api/v1/" + view, token=w.other_manager), 404, "not_found")
    expect(w.withdraw(c2["id"]).status == 200, "withdrawn")
    got = d.must("GET", view, token=pa)
    expect(got["named"] == [{"full_name": people[5]["full_name"]}] and got["anonymous"] == 7,
           f"un-named at once: {got}")
    # two anonymous: both counts hidden (with `named` either gives the other)
    for r in people[:3] + people[6:8]:
        w.sharing(r["id"])
    got = d.must("GET", view, token=pa)
    expect(len(got["named"]) == 6 and got["participants"] is None and got["anonymous"] is None
           and got["suppressed"] is True, f"suppressed: {got}")
    small = programme(w, capacity=5)
    for r in people[:3]:
        enrol(w, small["id"], r["id"])
    got = d.must("GET", f"programmes/{small['id']}/partner-view", token=w.manager)
    expect(got["participants"] is None and got["anonymous"] is None and got["suppressed"] is True
           and len(got["named"]) == 3, f"three participants: {got}")


def test_consent_expiring_alert(d):
    w = world(d)
    rid = w.resident()["id"]
    expires = today() + dt.timedelta(days=10)
    c = w.sharing(rid, expires_on=expires.isoformat())
    w.consent(rid, expires_on=(today() + dt.timedelta(days=40)).isoformat())     # not yet in its 30 days

    def alerts(token=None):
        return d.must("GET", f"alerts?house_id={w.house}&kind=consent_expiring&resident_id={rid}",
                      token=token or w.cw_token)["items"]
    got = alerts()
    expect(len(got) == 1, f"one alert: {got}")
    a = got[0]
    midnight = dt.datetime.combine(expires - dt.timedelta(days=30), dt.time(), JAKARTA).astimezone(dt.timezone.utc)
    due = dt.datetime.combine(expires + dt.timedelta(days=1), dt.time(), JAKARTA).astimezone(dt.timezone.utc)
    expect(a["key"] == f"consent_expiring:{c['id']}:{expires.isoformat()}" and a["severity"] == "info"
           and a["entity"] == "consent" and a["entity_id"] == c["id"] and a["resident_id"] == rid
           and a["stay_id"] is None, f"{a}")
    expect(a["since"] == midnight.strftime("%Y-%m-%dT%H:%M:%SZ") and a["due_at"] == due.strftime("%Y-%m-%dT%H:%M:%SZ"),
           f"since/due_at: {a}")
    expect(a["details"] == {"purpose": "programme_partner_sharing", "partner_id": w.partner,
                            "expires_on": expires.isoformat()}, f"details {a['details']}")
    expect(alerts(w.staff) == [], "staff do not see it")
    expect_problem(d.request("POST", "/api/v1/alerts/acknowledge", json_body={"key": a["key"]}, token=w.staff),
                   422, "validation_failed", field="key")
    renewal = w.sharing(rid, expires_on=(today() + dt.timedelta(days=300)).isoformat())
    expect(alerts() == [], "renewed: cleared")
    w.withdraw(renewal["id"])
    expect([x["key"] for x in alerts()] == [a["key"]], "the renewal withdrawn: raised again, same key")
    w.withdraw(c["id"])
    expect(alerts() == [], "withdrawn: cleared")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
