"""Data-subject requests (contract §18.6), the resident's privacy fields, data_request_due
(§18.10), the events (§18.11), request_closed and erasure_blocked (§18.13), what the database
enforces (§18.14). One daemon, two for the race. Each refused write writes nothing.

- test_record_and_read: 201 with every key, due_at = received_at + 72 h, overdue computed (a late
  entry is overdue at once); audit data_request.create; event data_request.received (ids only,
  casework roles); GET with ETag.
- test_create_rules_422: kind, received_at ahead, details too long, consent_id with another kind or
  of another resident -> 422 naming the field; staff 403, partner users 404, another house 404.
- test_lists_order_and_filters: open first by due_at, then closed in creation order; kind, status,
  overdue filters; the worklist's full_name and CSV.
- test_close_rules: response/refusal_reason by status (422), answered_at range (422), If-Match
  (412), already closed -> 409 request_closed; answered_late.
- test_answer_effects: withdrawal of one consent or of all; restriction sets processing_restricted
  (and the partner view names the resident no more); deletion -> 409 erasure_blocked under
  supervision, otherwise erasure_scheduled_at and every active consent withdrawn.
- test_processing_restricted_patch: a caseworker sets and lifts it (audit resident.update); staff
  403; staff's resident has anonymised_at only.
- test_database_enforces: due_at is generated; open <=> answered_at null; refused <=> reason;
  consent_id only for withdrawal; anonymised_at set once.
- test_race_close_two_instances: 6 closes over two daemons -> one 200, five 409 request_closed.
- test_data_request_due_alert: warning 24 h before due_at (key :soon), critical from due_at (key
  :overdue), details; cleared by the close; not for staff."""

import datetime as dt
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_consents  # noqa: E402 - its World (house, caseworker, staff, partner, consents)
from harness import expect, expect_problem, uid  # noqa: E402

KEYS = {"id", "resident_id", "house_id", "kind", "received_at", "due_at", "details", "consent_id", "status", "overdue",
        "answered_at", "answered_late", "response", "refusal_reason", "answered_by", "recorded_by", "version",
        "created_at", "updated_at"}
q = test_consents.q


def utc(t):
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(**kw):
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(**kw)


class World(test_consents.World):
    def request_(self, rid, d=None, token=None, **body):
        return (d or self.d).request("POST", f"/api/v1/residents/{rid}/requests", json_body={"kind": "access", **body},
                                     token=token or self.cw_token)

    def new(self, rid, **body):
        r = self.request_(rid, **body)
        expect(r.status == 201, f"request: {r}")
        return r.json

    def close(self, qid, d=None, headers=None, **body):
        return (d or self.d).request("POST", f"/api/v1/data-requests/{qid}/close", json_body=body, headers=headers,
                                     token=self.cw_token)

    def counts(self):
        return q(self.d, "SELECT (SELECT count(*) FROM app.data_requests), (SELECT sum(version) FROM app.data_requests), "
                         "(SELECT sum(version) FROM app.consents), (SELECT sum(version) FROM app.residents), "
                         "(SELECT count(*) FROM app.audit_log)")


def world(d):
    return harness.world_of(d, World)


def test_record_and_read(d):
    w = world(d)
    rid = w.resident()["id"]
    at = ago(hours=2)
    r = w.new(rid, kind="correction", received_at=at.isoformat(), details="Tanggal lahir salah\nseharusnya 1990")
    expect(set(r) == KEYS, f"keys {sorted(r)}")
    expect((r["status"], r["overdue"], r["answered_at"], r["answered_late"], r["recorded_by"], r["house_id"])
           == ("open", False, None, None, w.cw["id"], w.house), f"{r}")
    expect(r["received_at"] == utc(at) and r["due_at"] == utc(at + dt.timedelta(hours=72)), f"due_at {r}")
    audit = q(d, f"SELECT action FROM app.audit_log WHERE entity_id = '{r['id']}'")
    expect(audit == "data_request.create", f"audit {audit}")
    ev = q(d, f"SELECT data::text || ' ' || roles::text FROM app.events WHERE name = 'data_request.received' "
              f"AND data->>'id' = '{r['id']}'")
    expect(ev == f'{{"id": "{r["id"]}", "entity": "data_request", "house_id": "{w.house}", '
                 f'"resident_id": "{rid}"}} {{admin,manager,caseworker}}', f"event {ev}")
    g = d.request("GET", f"/api/v1/data-requests/{r['id']}", token=w.manager)
    expect(g.status == 200 and g.json == r and g.header("ETag") == '"1"', f"get {g}")
    late = w.new(rid, received_at=ago(hours=73).isoformat())
    expect(late["overdue"] is True, f"a late entry is overdue at once: {late}")


def test_create_rules_422(d):
    w = world(d)
    rid, other = w.resident()["id"], w.resident()["id"]
    theirs = w.consent(other)
    mine = w.consent(rid)
    pa = w.partner_user(w.partner)
    before = w.counts()
    for body, field in (({"kind": "forget"}, "kind"), ({"received_at": (ago(minutes=-10)).isoformat()}, "received_at"),
                        ({"details": "x" * 10001}, "details"), ({"consent_id": mine["id"]}, "consent_id"),
                        ({"kind": "withdrawal", "consent_id": theirs["id"]}, "consent_id")):
        expect_problem(w.request_(rid, **body), 422, "validation_failed", field=field)
    expect_problem(w.request_(rid, token=w.staff), 403, "forbidden")
    expect_problem(w.request_(rid, token=pa), 404, "not_found")
    expect_problem(w.request_(rid, token=w.other_manager), 404, "not_found")
    for path in (f"residents/{rid}/requests", "data-requests"):
        expect_problem(d.request("GET", "/api/v1/" + path, token=w.staff), 403, "forbidden")
    expect(w.counts() == before, "nothing written")
    expect(w.new(rid, kind="withdrawal", consent_id=mine["id"])["consent_id"] == mine["id"], "its own consent")


def test_lists_order_and_filters(d):
    w = world(d)
    res = w.resident()
    rid = res["id"]
    a = w.new(rid, received_at=ago(hours=10).isoformat())
    b = w.new(rid, kind="restriction", received_at=ago(hours=80).isoformat())     # overdue
    c = w.new(rid, received_at=ago(hours=1).isoformat())
    e = w.new(rid)
    expect(w.close(c["id"], status="answered", response="Rekam jejak diserahkan").status == 200, "closed")
    expect(w.close(a["id"], status="refused", refusal_reason="Pasal 43: tugas publik").status == 200, "closed")

    def ids(query="", path=f"residents/{rid}/requests"):
        sep = "&" if "?" in path else "?"
        return [x["id"] for x in d.must("GET", f"{path}{sep}{query}", token=w.cw_token)["items"]]
    expect(ids() == [b["id"], e["id"], a["id"], c["id"]], f"open by due_at, then closed by creation: {ids()}")
    expect(ids("overdue=true") == [b["id"]] and ids("overdue=false") == [e["id"], a["id"], c["id"]], "overdue")
    expect(ids("status=refused") == [a["id"]] and ids("kind=restriction") == [b["id"]], "status, kind")
    work = d.must("GET", f"data-requests?resident_id={rid}", token=w.manager)["items"]
    expect([x["id"] for x in work] == ids() and all(x["full_name"] == res["full_name"] for x in work), f"{work}")
    page = d.must("GET", f"data-requests?resident_id={rid}&limit=2", token=w.manager)
    rest = d.must("GET", f"data-requests?resident_id={rid}&limit=2&cursor={page['next_cursor']}", token=w.manager)
    expect([x["id"] for x in page["items"] + rest["items"]] == ids(), "paged")
    r = d.request("GET", f"/api/v1/data-requests?resident_id={rid}", headers={"Accept": "text/csv"}, token=w.manager)
    lines = r.text.strip().splitlines()
    expect(r.status == 200 and lines[0].startswith("id,resident_id,full_name") and len(lines) == 5
           and res["full_name"] in lines[1], f"csv {lines[:2]}")


def test_close_rules(d):
    w = world(d)
    rid = w.resident()["id"]
    r = w.new(rid, received_at=ago(hours=75).isoformat())
    before = w.counts()
    for body, field in (({"status": "answered"}, "response"),
                        ({"status": "answered", "response": "ok", "refusal_reason": "x"}, "refusal_reason"),
                        ({"status": "refused"}, "refusal_reason"),
                        ({"status": "refused", "refusal_reason": "x", "response": "y"}, "response"),
                        ({"status": "open", "response": "y"}, "status"),
                        ({"status": "answered", "response": "y", "answered_at": ago(hours=76).isoformat()},
                         "answered_at"),
                        ({"status": "answered", "response": "y", "answered_at": ago(minutes=-10).isoformat()},
                         "answered_at")):
        expect_problem(w.close(r["id"], **body), 422, "validation_failed", field=field)
    expect_problem(w.close(r["id"], headers={"If-Match": '"5"'}, status="answered", response="y"), 412,
                   "precondition_failed")
    expect(w.counts() == before, "nothing written")
    ok = w.close(r["id"], headers={"If-Match": '"1"'}, status="answered", response="Salinan data diserahkan")
    expect(ok.status == 200 and ok.json["status"] == "answered" and ok.json["answered_late"] is True
           and ok.json["overdue"] is False and ok.json["answered_by"] == w.cw["id"] and ok.json["version"] == 2,
           f"{ok}")
    ev = q(d, f"SELECT count(*) FROM app.events WHERE name = 'data_request.closed' AND data->>'id' = '{r['id']}'")
    expect(ev == "1", f"event {ev}")
    before = w.counts()
    expect_problem(w.close(r["id"], status="refused", refusal_reason="x"), 409, "request_closed")
    expect(w.counts() == before, "nothing written")
    on_time = w.new(rid)
    expect(w.close(on_time["id"], status="refused", refusal_reason="Pasal 43").json["answered_late"] is False, "late")


def test_answer_effects(d):
    w = world(d)
    rid = w.resident()["id"]
    one, two = w.sharing(rid), w.consent(rid)
    r = w.new(rid, kind="withdrawal", consent_id=one["id"])
    expect(w.close(r["id"], status="answered", response="Dicabut").status == 200, "answered")
    got = {c["id"]: (c["status"], c["withdrawal_reason"])
           for c in d.must("GET", f"residents/{rid}/consents", token=w.cw_token)["items"]}
    expect(got == {one["id"]: ("withdrawn", "permintaan subjek data"), two["id"]: ("active", None)}, f"one: {got}")
    r = w.new(rid, kind="withdrawal")
    w.close(r["id"], status="answered", response="Semua dicabut")
    expect(d.must("GET", f"consents/{two['id']}", token=w.cw_token)["status"] == "withdrawn", "all")
    # restriction: the partner view names them no more
    p = test_consents.programme(w, capacity=10)
    named = w.resident()
    test_consents.enrol(w, p["id"], named["id"])
    w.sharing(named["id"])
    view = f"programmes/{p['id']}/partner-view"
    expect(d.must("GET", view, token=w.manager)["named"] == [{"full_name": named["full_name"]}], "named")
    r = w.new(named["id"], kind="restriction")
    w.close(r["id"], status="answered", response="Dibatasi")
    expect(d.must("GET", f"residents/{named['id']}", token=w.cw_token)["processing_restricted"] is True, "restricted")
    expect(d.must("GET", view, token=w.manager)["named"] == [], "restricted: named nowhere")
    # deletion: blocked under supervision, else scheduled with every consent withdrawn
    supervised = w.d.resident(w.token, w.house, supervision_ends_on=(dt.date.today() + dt.timedelta(days=60)).isoformat())
    r = w.new(supervised["id"], kind="deletion")
    before = w.counts()
    expect_problem(w.close(r["id"], status="answered", response="x"), 409, "erasure_blocked")
    expect(w.counts() == before, "nothing written")
    expect(w.close(r["id"], status="refused", refusal_reason="Masih dalam masa bimbingan").status == 200, "refused")
    free = w.resident()["id"]
    c = w.consent(free)
    r = w.new(free, kind="deletion")
    expect(w.close(r["id"], status="answered", response="Dijadwalkan").status == 200, "scheduled")
    got = d.must("GET", f"residents/{free}", token=w.cw_token)
    expect(got["erasure_scheduled_at"] is not None and got["anonymised_at"] is None, f"{got}")
    expect(d.must("GET", f"consents/{c['id']}", token=w.cw_token)["status"] == "withdrawn", "consents withdrawn")


def test_processing_restricted_patch(d):
    w = world(d)
    res = w.resident()
    path = f"/api/v1/residents/{res['id']}"
    before = w.counts()
    expect_problem(d.request("PATCH", path, json_body={"processing_restricted": True}, token=w.staff), 403, "forbidden")
    expect(w.counts() == before, "nothing written")
    r = d.request("PATCH", path, json_body={"processing_restricted": True}, token=w.cw_token)
    expect(r.status == 200 and r.json["processing_restricted"] is True, f"{r}")
    r = d.request("PATCH", path, json_body={"processing_restricted": False}, token=w.manager)
    expect(r.status == 200 and r.json["processing_restricted"] is False, f"{r}")
    audit = q(d, f"SELECT string_agg(after->>'processing_restricted', ',' ORDER BY pos) FROM app.audit_log "
                 f"WHERE entity_id = '{res['id']}' AND action = 'resident.update'")
    expect(audit == "true,false", f"audit {audit}")
    staff = d.must("GET", f"residents/{res['id']}", token=w.staff)
    expect("anonymised_at" in staff and "processing_restricted" not in staff and "erasure_scheduled_at" not in staff,
           f"staff: {sorted(staff)}")


def test_database_enforces(d):
    w = world(d)
    rid = w.resident()["id"]
    r = w.new(rid)

    def refused(sql):
        return harness.psql_refused(d, sql)
    expect("generated" in refused(f"UPDATE app.data_requests SET due_at = now() WHERE id = '{r['id']}'"), "due_at")
    expect("data_requests_open_check" in refused(
        f"UPDATE app.data_requests SET answered_at = now() WHERE id = '{r['id']}'"), "open <=> answered_at null")
    expect("data_requests_refused_check" in refused(
        f"UPDATE app.data_requests SET outcome = 'refused', answered_at = now() WHERE id = '{r['id']}'"), "reason")
    expect("data_requests_answered_check" in refused(
        f"UPDATE app.data_requests SET outcome = 'answered', answered_at = now() WHERE id = '{r['id']}'"), "response")
    c = w.consent(rid)
    expect("data_requests_consent_check" in refused(
        f"UPDATE app.data_requests SET consent_id = '{c['id']}' WHERE id = '{r['id']}'"), "consent only to withdraw")
    q(d, f"UPDATE app.residents SET anonymised_at = now() WHERE id = '{rid}'")
    expect("anonymised once" in refused(f"UPDATE app.residents SET anonymised_at = NULL WHERE id = '{rid}'"), "once")


def test_race_close_two_instances(d):
    w = world(d)
    r = w.new(w.resident()["id"])
    with harness.Instance(share=d) as other:
        both = [d, other]
        got = harness.race([lambda i=i: w.close(r["id"], d=both[i % 2], status="answered", response=f"jawaban {i}")
                            for i in range(6)])
    statuses = sorted(x.status for x in got)
    codes = sorted(x.json.get("code", "") for x in got if x.status == 409)
    expect(statuses == [200] + [409] * 5 and codes == ["request_closed"] * 5, f"{statuses} {codes}")
    n = q(d, f"SELECT count(*) FROM app.audit_log WHERE entity_id = '{r['id']}' AND action = 'data_request.close'")
    expect(n == "1", f"one audit record: {n}")


def test_data_request_due_alert(d):
    w = world(d)
    rid = w.resident()["id"]

    def alerts(token=None):
        return d.must("GET", f"alerts?house_id={w.house}&kind=data_request_due&resident_id={rid}",
                      token=token or w.cw_token)["items"]
    w.new(rid, received_at=ago(hours=10).isoformat())            # not within 24 h of due_at yet
    expect(alerts() == [], "not yet")
    at = ago(hours=50)
    soon = w.new(rid, kind="deletion", received_at=at.isoformat())
    late_at = ago(hours=80)
    late = w.new(rid, received_at=late_at.isoformat())
    got = {a["key"]: a for a in alerts()}
    s, o = got.get(f"data_request_due:{soon['id']}:soon"), got.get(f"data_request_due:{late['id']}:overdue")
    expect(len(got) == 2 and s and o, f"two alerts: {list(got)}")
    expect((s["severity"], s["since"], s["due_at"], s["entity"], s["entity_id"], s["stay_id"])
           == ("warning", utc(at + dt.timedelta(hours=48)), soon["due_at"], "data_request", soon["id"], None), f"{s}")
    expect(s["details"] == {"kind": "deletion", "received_at": soon["received_at"]}, f"{s['details']}")
    expect((o["severity"], o["since"], o["due_at"]) == ("critical", late["due_at"], late["due_at"]), f"{o}")
    expect(alerts(w.staff) == [], "not for staff")
    w.close(late["id"], status="answered", response="Diserahkan")
    expect([a["key"] for a in alerts()] == [s["key"]], "closed: cleared")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
