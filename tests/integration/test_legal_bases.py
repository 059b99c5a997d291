"""Legal bases of residents (contract §15.2, with §15.1's roles, §15.9's events, §15.10's
audit actions, §15.11's invariants and race, §15.12's codes). One daemon for all tests; the
race adds a second instance on its database. Each refused write is also checked to have
written nothing (no basis row, no audit record, the resident unchanged).

- test_record_and_supersede: 201 with ETag; the resident follows (legal_status,
  supervision_ends_on, version +1, one resident.update audit record); a second basis
  supersedes the first (chain, statuses); legal_basis.record audit; legal_basis.recorded
  events with resident_id and supersedes_id; a value already right gives no resident.update.
- test_record_rejects_bad_input: every field rule of §15.2 -> 422 naming the field.
- test_supersedes_is_the_lock: absent / stale supersedes_id -> 409 legal_basis_superseded,
  another resident's basis -> 422, starts_on before the predecessor's -> 422; Indonesian title.
- test_released_and_ended: released: resident released with no end, not under supervision,
  revoking it 409 no_supervision; a past end date: status ended.
- test_correction: correction_reason required, other fields 422, merged rules, If-Match,
  starts_on between predecessor and successor, legal_basis.correct audit, the resident
  follows a correction of the current basis only, legal_basis.updated event.
- test_revoke: 409s decided before the dates, the date rules, status revoked and still
  current, the resident unchanged, legal_basis.revoke audit, event, revoking twice 409.
- test_patch_resident_governed: PATCH /residents away from the current basis 409
  legal_basis_governs (nothing written), the same value 200; no basis: free fields; an
  UPDATE through psql of either side fails at commit (constraint trigger).
- test_staff_masking: staff see only the listed keys in JSON and CSV, may not write (403).
- test_list_filters: resident_id, current, type, ends_from/ends_to, house_id.
- test_other_house_is_404: every path of a basis of a house the manager does not run.
- test_race_two_instances: 12 POSTs naming one supersedes_id over two daemons: one 201,
  11 x 409 legal_basis_superseded, one current basis in the table, a chain."""

import csv
import datetime as dt
import io
import json
import os
import sys
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem, uid  # noqa: E402

MASKED = {"decree_number", "decree_date", "issuing_authority", "guarantor", "litmas_number", "notes",
          "revocation_decree_number", "revocation_reason", "correction_reason"}
STAFF_KEYS = {"id", "resident_id", "house_id", "type", "starts_on", "supervision_ends_on", "caseworker_id",
              "current", "status", "under_supervision", "supersedes_id", "superseded_by", "superseded_at",
              "revoked_on", "recorded_by", "version", "created_at", "updated_at"}


def day(offset):
    """A date relative to the house's today (houses default to Asia/Jakarta)."""
    return (dt.datetime.now(zoneinfo.ZoneInfo("Asia/Jakarta")).date() + dt.timedelta(days=offset)).isoformat()


def pb(**fields):
    """A valid pembebasan bersyarat body."""
    return {"type": "pembebasan_bersyarat", "decree_number": "PAS-" + uid(), "decree_date": day(-40),
            "starts_on": day(-30), "supervision_ends_on": day(300), **fields}


class World:
    def __init__(self, d):
        self.d = d
        self.token = d.login()
        self.house = d.house(self.token)["id"]

    def resident(self, **fields):
        return self.d.resident(self.token, self.house, **fields)

    def post(self, rid, body, token=None, **kw):
        return self.d.request("POST", f"/api/v1/residents/{rid}/legal-bases", json_body=body,
                              token=token or self.token, **kw)

    def record(self, rid, body):
        r = self.post(rid, body)
        expect(r.status == 201, f"record: {r}")
        return r.json

    def get(self, bid, token=None):
        return self.d.must("GET", f"legal-bases/{bid}", token=token or self.token)

    def user(self, role, houses):
        password = "pw-" + uid() + uid()
        u = self.d.must("POST", "users", {"username": role + "-" + uid(), "password": password, "role": role,
                                          "full_name": "User " + role, "house_ids": houses}, 201, token=self.token)
        return u, self.d.login(u["username"], password)

    def counts(self, rid):
        """What a refused write must leave as it was."""
        return self.d.psql(f"SELECT (SELECT count(*) FROM app.legal_bases WHERE resident_id = '{rid}'), "
                           f"(SELECT max(version) FROM app.legal_bases WHERE resident_id = '{rid}'), "
                           f"(SELECT version FROM app.residents WHERE id = '{rid}'), "
                           "(SELECT count(*) FROM app.audit_log), (SELECT count(*) FROM app.events)").strip()

    def audit(self, entity, eid):
        return self.d.must("GET", f"audit?entity={entity}&entity_id={eid}", token=self.token)["items"]

    def events(self, name, bid):
        out = self.d.psql(f"SELECT data::text FROM app.events WHERE name = '{name}' AND data->>'id' = '{bid}' "
                          "ORDER BY id").strip()
        return [json.loads(line) for line in out.splitlines() if line]


def world(d):
    return harness.world_of(d, World)


def test_record_and_supersede(d):
    w = world(d)
    res = w.resident(legal_status="parole")
    r = w.post(res["id"], pb(type="cuti_bersyarat", guarantor={"name": "Siti Aminah", "relation": "ibu"},
                             litmas_number="LIT-1", issuing_authority="Direktorat Jenderal Pemasyarakatan"))
    expect(r.status == 201, f"record: {r}")
    first = r.json
    expect(r.header("etag") == f'"{first["version"]}"', f"ETag {r.header('etag')} of {first}")
    expect(first["current"] is True and first["status"] == "in_force" and first["under_supervision"] is True
           and first["supersedes_id"] is None and first["superseded_by"] is None, f"first basis: {first}")
    expect(first["guarantor"] == {"name": "Siti Aminah", "relation": "ibu"}, f"guarantor: {first}")
    expect(first["recorded_by"] is not None and first["house_id"] == w.house, f"first: {first}")
    after = d.must("GET", f"residents/{res['id']}", token=w.token)
    expect(after["legal_status"] == "conditional_leave" and after["supervision_ends_on"] == day(300)
           and after["version"] == res["version"] + 1, f"the resident did not follow: {after}")
    updates = [a for a in w.audit("resident", res["id"]) if a["action"] == "resident.update"]
    expect(len(updates) == 1 and updates[0]["after"]["legal_status"] == "conditional_leave"
           and updates[0]["before"]["legal_status"] == "parole", f"resident.update audit: {updates}")
    rec = w.audit("legal_basis", first["id"])
    expect([a["action"] for a in rec] == ["legal_basis.record"] and rec[0]["after"]["litmas_number"] == "LIT-1",
           f"legal_basis audit: {rec}")
    ev = w.events("legal_basis.recorded", first["id"])
    expect(ev == [{"house_id": w.house, "entity": "legal_basis", "id": first["id"], "resident_id": res["id"],
                   "supersedes_id": None}], f"event: {ev}")

    second = w.record(res["id"], pb(type="probation", starts_on=day(-10), supervision_ends_on=day(100),
                                    supersedes_id=first["id"]))
    expect(second["supersedes_id"] == first["id"] and second["current"] is True, f"second: {second}")
    old = w.get(first["id"])
    expect(old["current"] is False and old["status"] == "superseded" and old["superseded_by"] == second["id"]
           and old["superseded_at"] is not None and old["under_supervision"] is False, f"superseded: {old}")
    after = d.must("GET", f"residents/{res['id']}", token=w.token)
    expect(after["legal_status"] == "probation" and after["supervision_ends_on"] == day(100), f"resident: {after}")
    ev = w.events("legal_basis.recorded", second["id"])
    expect(len(ev) == 1 and ev[0]["supersedes_id"] == first["id"], f"event: {ev}")
    n = d.psql(f"SELECT count(*) FROM app.legal_bases WHERE resident_id = '{res['id']}' AND superseded_at IS NULL")
    expect(n.strip() == "1", f"current bases: {n}")

    # a basis giving the values the resident already has: no resident.update
    res2 = w.resident(legal_status="parole", supervision_ends_on=day(300))
    w.record(res2["id"], pb())
    expect(not [a for a in w.audit("resident", res2["id"]) if a["action"] == "resident.update"],
           "a resident.update though nothing changed")
    expect(d.must("GET", f"residents/{res2['id']}", token=w.token)["version"] == res2["version"], "version moved")


def test_record_rejects_bad_input(d):
    w = world(d)
    res = w.resident()
    other = w.resident()
    ob = w.record(other["id"], pb())
    cw, _ = w.user("caseworker", [d.house(w.token)["id"]])
    cases = [
        ({"type": None}, "type"),
        ({"type": "parole"}, "type"),
        ({"decree_number": None}, "decree_number"),
        ({"decree_number": "SK\n1"}, "decree_number"),
        ({"decree_number": "x" * 101}, "decree_number"),
        ({"decree_date": None}, "decree_date"),
        ({"decree_date": day(1)}, "decree_date"),
        ({"starts_on": day(1)}, "starts_on"),
        ({"starts_on": None}, "starts_on"),
        ({"supervision_ends_on": None}, "supervision_ends_on"),
        ({"supervision_ends_on": day(-31)}, "supervision_ends_on"),
        ({"type": "released", "supervision_ends_on": day(10)}, "supervision_ends_on"),
        ({"issuing_authority": "x" * 201}, "issuing_authority"),
        ({"guarantor": {"relation": "ibu"}}, "guarantor.name"),
        ({"guarantor": {"name": "Siti", "age": 50}}, "guarantor.age"),
        ({"guarantor": {"name": "Siti", "phone": "1" * 51}}, "guarantor.phone"),
        ({"litmas_number": "x" * 101}, "litmas_number"),
        ({"notes": "x" * 10001}, "notes"),
        ({"caseworker_id": cw["id"]}, "caseworker_id"),
        ({"supersedes_id": "00000000-0000-4000-8000-000000000000"}, "supersedes_id"),
        ({"supersedes_id": ob["id"]}, "supersedes_id"),
        ({"resident_id": other["id"]}, "resident_id"),
    ]
    before = w.counts(res["id"])
    for change, field in cases:
        body = {k: v for k, v in {**pb(), **change}.items() if v is not None}
        r = w.post(res["id"], body)
        expect_problem(r, 422, "validation_failed")
        fields = [e["field"] for e in r.json.get("errors", [])]
        expect(field in fields, f"{change}: errors {r.json}")
    expect(w.counts(res["id"]) == before, "a refused record wrote something")
    # released: no decree needed, no end
    w.record(res["id"], {"type": "released", "starts_on": day(0)})


def test_supersedes_is_the_lock(d):
    w = world(d)
    res = w.resident()
    first = w.record(res["id"], pb())
    second = w.record(res["id"], pb(supersedes_id=first["id"], starts_on=day(-20)))
    before = w.counts(res["id"])
    for body in (pb(starts_on=day(-5)), pb(starts_on=day(-5), supersedes_id=None),
                 pb(starts_on=day(-5), supersedes_id=first["id"])):
        r = w.post(res["id"], body)
        expect_problem(r, 409, "legal_basis_superseded")
    r = w.post(res["id"], pb(supersedes_id=first["id"]), headers={"Accept-Language": "id"})
    expect_problem(r, 409, "legal_basis_superseded")
    expect(r.json.get("title") == "Dasar hukum sudah diganti", f"Indonesian title: {r.json}")
    r = w.post(res["id"], pb(supersedes_id=second["id"], starts_on=day(-21)))
    expect_problem(r, 422, "validation_failed")
    expect(r.json["errors"][0]["field"] == "starts_on", f"{r.json}")
    expect(w.counts(res["id"]) == before, "a refused record wrote something")
    # the same starts_on as the predecessor's is allowed; a former resident may get one
    w.record(res["id"], pb(supersedes_id=second["id"], starts_on=day(-20)))


def test_released_and_ended(d):
    w = world(d)
    res = w.resident(legal_status="parole", supervision_ends_on=day(30))
    b = w.record(res["id"], {"type": "released", "starts_on": day(-1), "supervision_ends_on": None})
    expect(b["status"] == "in_force" and b["under_supervision"] is False and b["supervision_ends_on"] is None
           and b["decree_number"] is None, f"released: {b}")
    after = d.must("GET", f"residents/{res['id']}", token=w.token)
    expect(after["legal_status"] == "released" and after["supervision_ends_on"] is None, f"resident: {after}")
    before = w.counts(res["id"])
    r = d.request("POST", f"/api/v1/legal-bases/{b['id']}/revoke", token=w.token,
                  json_body={"revoked_on": day(0), "reason": "x"})
    expect_problem(r, 409, "no_supervision")
    expect(w.counts(res["id"]) == before, "a refused revocation wrote something")

    res2 = w.resident()
    ended = w.record(res2["id"], pb(starts_on=day(-30), supervision_ends_on=day(-1)))
    expect(ended["status"] == "ended" and ended["under_supervision"] is False, f"ended: {ended}")
    today = w.record(res2["id"], pb(starts_on=day(-1), supervision_ends_on=day(0), supersedes_id=ended["id"]))
    expect(today["status"] == "in_force" and today["under_supervision"] is True, f"ends today: {today}")


def test_correction(d):
    w = world(d)
    res = w.resident()
    first = w.record(res["id"], pb(starts_on=day(-30)))
    mid = w.record(res["id"], pb(starts_on=day(-20), supersedes_id=first["id"]))
    last = w.record(res["id"], pb(starts_on=day(-10), supervision_ends_on=day(50), supersedes_id=mid["id"]))

    def patch(bid, body, **kw):
        return d.request("PATCH", f"/api/v1/legal-bases/{bid}", json_body=body, token=w.token, **kw)

    before = w.counts(res["id"])
    bad = [
        (mid["id"], {"notes": "x"}, "correction_reason"),
        (mid["id"], {"notes": "x", "correction_reason": ""}, "correction_reason"),
        (mid["id"], {"correction_reason": "x" * 1001}, "correction_reason"),
        (mid["id"], {"resident_id": res["id"], "correction_reason": "x"}, "resident_id"),
        (mid["id"], {"supersedes_id": None, "correction_reason": "x"}, "supersedes_id"),
        (mid["id"], {"revoked_on": day(0), "correction_reason": "x"}, "revoked_on"),
        (mid["id"], {"type": "released", "correction_reason": "x"}, "supervision_ends_on"),
        (mid["id"], {"starts_on": day(-31), "correction_reason": "x"}, "starts_on"),
        (mid["id"], {"starts_on": day(-9), "correction_reason": "x"}, "starts_on"),
        (last["id"], {"starts_on": day(1), "correction_reason": "x"}, "starts_on"),
        (last["id"], {"supervision_ends_on": day(-11), "correction_reason": "x"}, "supervision_ends_on"),
        (last["id"], {"decree_number": None, "correction_reason": "x"}, "decree_number"),
    ]
    for bid, body, field in bad:
        r = patch(bid, body)
        expect_problem(r, 422, "validation_failed")
        expect(field in [e["field"] for e in r.json.get("errors", [])], f"{body}: {r.json}")
    r = patch(last["id"], {"notes": "x", "correction_reason": "typo"}, headers={"If-Match": '"99"'})
    expect_problem(r, 412, "precondition_failed")
    expect(w.counts(res["id"]) == before, "a refused correction wrote something")

    # a superseded basis: corrected, the resident untouched
    rv = d.must("GET", f"residents/{res['id']}", token=w.token)["version"]
    m = patch(mid["id"], {"starts_on": day(-25), "correction_reason": "salah ketik\ntanggal"})
    expect(m.status == 200 and m.json["starts_on"] == day(-25) and m.json["correction_reason"] ==
           "salah ketik\ntanggal" and m.json["version"] == mid["version"] + 2, f"correction: {m}")
    expect(d.must("GET", f"residents/{res['id']}", token=w.token)["version"] == rv, "a superseded basis moved it")
    # the current one: the resident follows
    c = patch(last["id"], {"type": "asimilasi", "supervision_ends_on": day(60), "correction_reason": "wrong SK"},
              headers={"If-Match": f'"{last["version"]}"'})
    expect(c.status == 200 and c.json["type"] == "asimilasi", f"correction: {c}")
    after = d.must("GET", f"residents/{res['id']}", token=w.token)
    expect(after["legal_status"] == "assimilation" and after["supervision_ends_on"] == day(60)
           and after["version"] == rv + 1, f"resident after correction: {after}")
    acts = [a["action"] for a in w.audit("legal_basis", last["id"])]
    expect(acts == ["legal_basis.record", "legal_basis.correct"], f"audit: {acts}")
    ev = w.events("legal_basis.updated", last["id"])
    expect(ev == [{"house_id": w.house, "entity": "legal_basis", "id": last["id"], "resident_id": res["id"]}],
           f"event: {ev}")
    # to released: supervision_ends_on must be set null with it
    rel = patch(last["id"], {"type": "released", "supervision_ends_on": None, "correction_reason": "bebas murni"})
    expect(rel.status == 200 and rel.json["under_supervision"] is False, f"{rel}")
    after = d.must("GET", f"residents/{res['id']}", token=w.token)
    expect(after["legal_status"] == "released" and after["supervision_ends_on"] is None, f"{after}")


def test_revoke(d):
    w = world(d)
    res = w.resident()
    old = w.record(res["id"], pb(starts_on=day(-30)))
    cur = w.record(res["id"], pb(starts_on=day(-20), supervision_ends_on=day(100), supersedes_id=old["id"]))
    resident = d.must("GET", f"residents/{res['id']}", token=w.token)

    def revoke(bid, body, **kw):
        return d.request("POST", f"/api/v1/legal-bases/{bid}/revoke", json_body=body, token=w.token, **kw)

    before = w.counts(res["id"])
    # the 409 comes before the dates are compared
    expect_problem(revoke(old["id"], {"revoked_on": day(5), "reason": "x"}), 409, "legal_basis_superseded")
    for body, field in (({"revoked_on": day(-21), "reason": "x"}, "revoked_on"),
                        ({"revoked_on": day(1), "reason": "x"}, "revoked_on"),
                        ({"reason": "x"}, "revoked_on"),
                        ({"revoked_on": day(0)}, "reason"),
                        ({"revoked_on": day(0), "reason": "x" * 1001}, "reason"),
                        ({"revoked_on": day(0), "reason": "x", "decree_number": "x" * 101}, "decree_number")):
        r = revoke(cur["id"], body)
        expect_problem(r, 422, "validation_failed")
        expect(field in [e["field"] for e in r.json.get("errors", [])], f"{body}: {r.json}")
    expect(w.counts(res["id"]) == before, "a refused revocation wrote something")
    r = revoke(cur["id"], {"revoked_on": day(-5), "reason": "tiga kali\ntidak lapor", "decree_number": "PAS-R-1"})
    expect(r.status == 200 and r.json["status"] == "revoked" and r.json["current"] is True
           and r.json["under_supervision"] is False and r.json["revoked_on"] == day(-5)
           and r.json["revocation_decree_number"] == "PAS-R-1"
           and r.json["revocation_reason"] == "tiga kali\ntidak lapor", f"revoke: {r}")
    expect(r.header("etag") == f'"{r.json["version"]}"', f"ETag: {r}")
    expect(d.must("GET", f"residents/{res['id']}", token=w.token) == resident, "revocation changed the resident")
    acts = [a["action"] for a in w.audit("legal_basis", cur["id"])]
    expect(acts == ["legal_basis.record", "legal_basis.revoke"], f"audit: {acts}")
    expect(len(w.events("legal_basis.updated", cur["id"])) == 1, "no legal_basis.updated event")
    before = w.counts(res["id"])
    r = revoke(cur["id"], {"revoked_on": day(-100), "reason": "x"}, headers={"Accept-Language": "id"})
    expect_problem(r, 409, "legal_basis_revoked")
    expect(r.json.get("title") == "Dasar hukum sudah dicabut", f"{r.json}")
    expect(w.counts(res["id"]) == before, "a refused revocation wrote something")
    # a correction keeps the revocation inside the basis
    before = w.counts(res["id"])
    for body, field in (({"starts_on": day(-4)}, "starts_on"),
                        ({"supervision_ends_on": day(-6)}, "supervision_ends_on"),
                        ({"type": "released", "supervision_ends_on": None}, "type")):
        r = d.request("PATCH", f"/api/v1/legal-bases/{cur['id']}", json_body={**body, "correction_reason": "x"},
                      token=w.token)
        expect_problem(r, 422, "validation_failed")
        expect(field in [e["field"] for e in r.json.get("errors", [])], f"{body}: {r.json}")
    try:
        d.psql(f"UPDATE app.legal_bases SET type = 'released', supervision_ends_on = NULL WHERE id = '{cur['id']}'")
        refused = ""
    except RuntimeError as e:
        refused = str(e)
    expect("legal_bases_revoked_within" in refused, f"the table let a revoked basis become released: {refused}")
    expect(w.counts(res["id"]) == before, "a refused correction wrote something")
    # a new basis supersedes a revoked one
    w.record(res["id"], pb(starts_on=day(0), supersedes_id=cur["id"]))


def test_patch_resident_governed(d):
    w = world(d)
    free = w.resident()
    d.must("PATCH", f"residents/{free['id']}", {"legal_status": "probation", "supervision_ends_on": day(9)},
           token=w.token)
    res = w.resident()
    w.record(res["id"], pb(type="cuti_menjelang_bebas", supervision_ends_on=day(77)))
    res = d.must("GET", f"residents/{res['id']}", token=w.token)
    before = w.counts(res["id"])
    for body in ({"legal_status": "parole"}, {"supervision_ends_on": day(78)}, {"supervision_ends_on": None},
                 {"legal_status": "pre_release_leave", "supervision_ends_on": day(1), "phone": "1"}):
        r = d.request("PATCH", f"/api/v1/residents/{res['id']}", json_body=body, token=w.token,
                      headers={"Accept-Language": "id"})
        expect_problem(r, 409, "legal_basis_governs")
        expect(r.json.get("title") == "Status hukum mengikuti dasar hukum", f"{r.json}")
    expect(w.counts(res["id"]) == before, "a refused PATCH wrote something")
    # the database holds it too, whatever path writes (a constraint trigger, checked at commit)
    for sql in (f"UPDATE app.residents SET legal_status = 'parole' WHERE id = '{res['id']}'",
                f"UPDATE app.legal_bases SET supervision_ends_on = supervision_ends_on + 1 "
                f"WHERE resident_id = '{res['id']}' AND superseded_at IS NULL"):
        try:
            d.psql(sql)
            refused = ""
        except RuntimeError as e:
            refused = str(e)
        expect("must be its current legal basis" in refused, f"{sql}: {refused or 'committed'}")
    expect(w.counts(res["id"]) == before, "a refused UPDATE wrote something")
    ok = d.must("PATCH", f"residents/{res['id']}", {"legal_status": "pre_release_leave",
                                                    "supervision_ends_on": day(77), "phone": "0812"}, token=w.token)
    expect(ok["phone"] == "0812" and ok["legal_status"] == "pre_release_leave", f"{ok}")


def test_staff_masking(d):
    w = world(d)
    res = w.resident()
    b = w.record(res["id"], pb(guarantor={"name": "Budi"}, litmas_number="LIT-9", notes="n"))
    _, staff = w.user("staff", [w.house])
    got = w.get(b["id"], token=staff)
    expect(set(got) == STAFF_KEYS, f"staff keys: {sorted(set(got) ^ STAFF_KEYS)}")
    expect(set(w.get(b["id"])) == STAFF_KEYS | MASKED, "admin keys")
    page = d.must("GET", f"legal-bases?resident_id={res['id']}", token=staff)
    expect(len(page["items"]) == 1 and set(page["items"][0]) == STAFF_KEYS, f"staff list: {page}")
    for token, masked in ((staff, False), (w.token, True)):
        r = d.request("GET", f"/api/v1/legal-bases?resident_id={res['id']}", token=token,
                      headers={"Accept": "text/csv"})
        expect(r.status == 200 and r.header("content-type", "").startswith("text/csv"), f"CSV: {r}")
        table = list(csv.reader(io.StringIO(r.text, newline="")))
        head = set(table[0])
        expect(len(table) == 2, f"CSV rows: {table}")
        expect(("decree_number" in head) == masked and ("guarantor.name" in head) == masked
               and ("notes" in head) == masked and "supervision_ends_on" in head, f"CSV header: {table[0]}")
        if masked:
            expect(table[1][table[0].index("guarantor.name")] == "Budi", f"CSV row: {table}")
    before = w.counts(res["id"])
    expect_problem(w.post(res["id"], pb(supersedes_id=b["id"]), token=staff), 403, "forbidden")
    expect_problem(d.request("PATCH", f"/api/v1/legal-bases/{b['id']}", token=staff,
                             json_body={"notes": "x", "correction_reason": "x"}), 403, "forbidden")
    expect_problem(d.request("POST", f"/api/v1/legal-bases/{b['id']}/revoke", token=staff,
                             json_body={"revoked_on": day(0), "reason": "x"}), 403, "forbidden")
    expect(w.counts(res["id"]) == before, "a refused staff write wrote something")
    # a caseworker of the house records
    _, cw = w.user("caseworker", [w.house])
    expect(w.post(res["id"], pb(supersedes_id=b["id"], starts_on=day(-1)), token=cw).status == 201, "caseworker")


def test_list_filters(d):
    w = world(d)
    house = d.house(w.token)["id"]
    a = d.resident(w.token, house)
    b = d.resident(w.token, house)
    a1 = w.record(a["id"], pb(supervision_ends_on=day(10)))
    a2 = w.record(a["id"], pb(type="asimilasi", supervision_ends_on=day(20), supersedes_id=a1["id"]))
    b1 = w.record(b["id"], {"type": "released", "starts_on": day(-3)})

    def ids(q):
        items = d.must("GET", f"legal-bases?house_id={house}&{q}", token=w.token)["items"]
        return [x["id"] for x in items]

    expect(ids("") == [a1["id"], a2["id"], b1["id"]], "creation order")
    expect(ids(f"resident_id={a['id']}") == [a1["id"], a2["id"]], "resident_id")
    expect(ids("current=true") == [a2["id"], b1["id"]], "current=true")
    expect(ids("current=false") == [a1["id"]], "current=false")
    expect(ids("type=asimilasi") == [a2["id"]], "type")
    expect(ids(f"ends_from={day(10)}&ends_to={day(19)}") == [a1["id"]], "ends_from/ends_to inclusive")
    expect(ids(f"ends_from={day(11)}") == [a2["id"]], "ends_from")
    expect(ids("limit=2") == [a1["id"], a2["id"]], "limit")
    page = d.must("GET", f"legal-bases?house_id={house}&limit=2", token=w.token)
    rest = d.must("GET", f"legal-bases?house_id={house}&limit=2&cursor={page['next_cursor']}", token=w.token)
    expect([x["id"] for x in rest["items"]] == [b1["id"]] and rest["next_cursor"] is None, f"{rest}")
    expect_problem(d.request("GET", "/api/v1/legal-bases?type=parole", token=w.token), 422, "validation_failed")


def test_other_house_is_404(d):
    w = world(d)
    res = w.resident()
    b = w.record(res["id"], pb())
    _, mgr = w.user("manager", [d.house(w.token)["id"]])
    before = w.counts(res["id"])
    expect_problem(d.request("GET", f"/api/v1/legal-bases/{b['id']}", token=mgr), 404, "not_found")
    expect_problem(w.post(res["id"], pb(supersedes_id=b["id"]), token=mgr), 404, "not_found")
    expect_problem(d.request("PATCH", f"/api/v1/legal-bases/{b['id']}", token=mgr,
                             json_body={"notes": "x", "correction_reason": "x"}), 404, "not_found")
    expect_problem(d.request("POST", f"/api/v1/legal-bases/{b['id']}/revoke", token=mgr,
                             json_body={"revoked_on": day(0), "reason": "x"}), 404, "not_found")
    expect_problem(d.request("GET", f"/api/v1/legal-bases?house_id={w.house}", token=mgr), 404, "not_found")
    expect(d.must("GET", f"legal-bases?resident_id={res['id']}", token=mgr)["items"] == [], "listed another house")
    expect(w.counts(res["id"]) == before, "a refused write wrote something")


def test_race_two_instances(d):
    w = world(d)
    res = w.resident()
    cur = w.record(res["id"], pb(starts_on=day(-30)))
    with harness.Instance(share=d) as other:
        both = [d, other]
        got = harness.race([lambda i=i: both[i % 2].request(
            "POST", f"/api/v1/residents/{res['id']}/legal-bases", token=w.token, timeout=60,
            json_body=pb(starts_on=day(-(i % 20)), supersedes_id=cur["id"])) for i in range(12)])
    statuses = sorted(getattr(r, "status", repr(r)) for r in got)
    expect(statuses == [201] + [409] * 11, f"statuses: {statuses} {got[:2]}")
    expect(all(r.json["code"] == "legal_basis_superseded" for r in got if r.status == 409), f"{got}")
    winner = next(r.json for r in got if r.status == 201)
    rows = d.psql(f"SELECT count(*) FILTER (WHERE superseded_at IS NULL), count(*) FROM app.legal_bases "
                  f"WHERE resident_id = '{res['id']}'").strip()
    expect(rows == "1|2", f"(current, all): {rows}")
    expect(w.get(cur["id"])["superseded_by"] == winner["id"], "the chain")
    n = d.psql(f"SELECT count(*) FROM app.audit_log WHERE action = 'legal_basis.record' "
               f"AND after->>'resident_id' = '{res['id']}'").strip()
    expect(n == "2", f"legal_basis.record audit records: {n}")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
