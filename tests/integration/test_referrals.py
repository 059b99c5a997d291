"""Referrals (rujukan, contract §17.3, with §17.1's roles, the partner 404, §17.11's
referral_arrival_overdue, §17.12's events and audit, §17.13's invariants and races, §17.14's
codes). One daemon for all tests; the races add a second instance on its database. Each
refused write is also checked to have written nothing (no referral, resident, audit record
or event; versions kept).

- test_create_and_read: 201 with every key, ETag, GET, referral.create audit,
  referral.created event (ids only, every house role), an Idempotency-Key replay.
- test_create_rejects_bad_input: every field rule of POST -> 422 naming the field.
- test_register_number_unique_among_open: 409 conflict while pending or accepted, free
  again once declined or cancelled; a PATCH to a taken number; the partial index.
- test_patch: the fields, If-Match 412, house_id 422, an equal PATCH writes nothing, the
  person fields of an accepted referral (409 referral_not_pending, same value fine), a
  final referral 409 referral_closed (Indonesian title).
- test_accept_creates_resident: status, decided_*, the resident made from the referral
  (legal_status by §15.2's mapping), resident.create and referral.accept audit,
  referral.accepted event; accept/decline again 409 referral_not_pending.
- test_accept_links_resident: resident_id given (422 of another house or unknown), the
  house's resident with the register number, one of another house 409 conflict, a resident
  in residence 409 resident_in_residence, one linked to another open referral 409 conflict.
- test_decline_and_cancel: reasons, decided_* kept by cancel, final 409 referral_closed /
  referral_not_pending, reason rules, events and audit.
- test_arrival: a check-in of the accepted referral's resident makes it arrived in the
  check-in's transaction (stay_id, arrived_at), referral.arrive audit, referral.arrived
  event; a refused check-in leaves it accepted.
- test_list_filters_and_csv: house_id (404), status, q (name, register, Litmas; not Litmas
  for staff), paging, CSV (staff without the sensitive columns).
- test_roles: staff read without national_id/litmas_number/notes and 403 on writes;
  caseworker 403 on accept/decline; another house 404/422; a partner user 404 everywhere.
- test_alert_referral_arrival_overdue: raised, its key, since, details, cleared by arrival,
  decline, cancel and a later expected_arrival_on; staff see it.
- test_database_checks: the CHECKs of §17.13 refuse what the operations never write.
- test_race_register_number_two_instances: one 201, the rest 409 conflict.
- test_race_accept_two_instances: one 200, the rest 409 referral_not_pending, one resident."""

import csv
import datetime as dt
import io
import os
import sys
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_businesses  # noqa: E402 - its World
from harness import expect, expect_problem, uid  # noqa: E402
from test_businesses import day, fields_of, today  # noqa: E402

ZONE = zoneinfo.ZoneInfo("Asia/Jakarta")
KEYS = {"id", "house_id", "full_name", "register_number", "sex", "birth_date", "national_id", "from_institution",
        "institution_kind", "litmas_number", "expected_legal_basis", "expected_supervision_ends_on",
        "expected_arrival_on", "caseworker_id", "notes", "status", "status_reason", "decided_at", "decided_by",
        "resident_id", "stay_id", "arrived_at", "version", "created_at", "updated_at"}
SENSITIVE = {"national_id", "litmas_number", "notes"}
NOWHERE = "00000000-0000-4000-8000-000000000000"


def rfc3339(t):
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class World(test_businesses.World):
    """test_businesses' world (a house, an admin token, user(), audit(), req(), refused(),
    events()) with a caseworker of the house and a room for check-ins; counts() is what a
    refused referral write must leave as it was."""

    def __init__(self, d):
        super().__init__(d)
        self.cw_user, self.cw = self.user("caseworker", [self.house])
        self.room = d.room(self.token, self.house)["id"]

    def body(self, house=None, **fields):
        return {"house_id": house or self.house, "full_name": "Budi " + uid(), "register_number": "W-" + uid(),
                "sex": "male", "from_institution": "Lapas Kelas IIA Jambi",
                "expected_legal_basis": "pembebasan_bersyarat", "expected_arrival_on": day(7), **fields}

    def create(self, token=None, **fields):
        r = self.req("POST", "referrals", self.body(**fields), token=token)
        expect(r.status == 201, f"create: {r}")
        return r.json

    def get(self, fid, token=None):
        return self.d.must("GET", f"referrals/{fid}", token=token or self.token)

    def act(self, fid, verb, body=None, status=200, token=None):
        r = self.req("POST", f"referrals/{fid}/{verb}", body if body is not None else {}, token=token)
        expect(r.status == status, f"{verb}: {r}")
        return r.json

    def checkin(self, rid, at=None):
        bed = self.d.bed(self.token, self.room)["id"]
        return self.req("POST", "stays", {"resident_id": rid, "bed_id": bed, "rules_acknowledged": True,
                                          "checked_in_at": rfc3339(at or dt.datetime.now(dt.timezone.utc)
                                                                   - dt.timedelta(minutes=1))})

    def counts(self):
        return self.d.psql("SELECT (SELECT count(*) FROM app.referrals), (SELECT coalesce(sum(version), 0) "
                           "FROM app.referrals), (SELECT count(*) FROM app.residents), "
                           "(SELECT count(*) FROM app.stays), (SELECT count(*) FROM app.audit_log), "
                           "(SELECT count(*) FROM app.events)").strip()

    def alerts(self, token=None):
        return self.d.must("GET", f"alerts?kind=referral_arrival_overdue&house_id={self.house}&limit=200",
                           token=token or self.token)["items"]

    def alert_of(self, fid, token=None):
        return [a for a in self.alerts(token) if a["entity_id"] == fid]


def world(d):
    return harness.world_of(d, World)


def test_create_and_read(d):
    w = world(d)
    body = w.body(full_name="  Budi Santoso ", birth_date="1990-04-01", national_id="3171010101900001",
                  institution_kind="lapas", litmas_number="LIT/2026/17", expected_legal_basis="cuti_bersyarat",
                  expected_supervision_ends_on=day(200), caseworker_id=w.cw_user["id"], notes="Baris satu\nbaris dua")
    r = w.req("POST", "referrals", body)
    expect(r.status == 201, f"create: {r}")
    f = r.json
    expect(set(f) == KEYS, f"keys: {sorted(set(f) ^ KEYS)}")
    expect(r.header("etag") == f'"{f["version"]}"', f"ETag {r.header('etag')}")
    expect(f["full_name"] == "Budi Santoso" and f["status"] == "pending" and f["house_id"] == w.house
           and f["birth_date"] == "1990-04-01" and f["national_id"] == "3171010101900001"
           and f["institution_kind"] == "lapas" and f["litmas_number"] == "LIT/2026/17"
           and f["expected_legal_basis"] == "cuti_bersyarat" and f["expected_supervision_ends_on"] == day(200)
           and f["expected_arrival_on"] == day(7) and f["caseworker_id"] == w.cw_user["id"]
           and f["notes"] == "Baris satu\nbaris dua" and f["version"] == 1, f"{f}")
    expect(all(f[k] is None for k in ("status_reason", "decided_at", "decided_by", "resident_id", "stay_id",
                                      "arrived_at")), f"{f}")
    minimal = w.create()
    expect(all(minimal[k] is None for k in ("birth_date", "national_id", "institution_kind", "litmas_number",
                                            "expected_supervision_ends_on", "caseworker_id", "notes")), f"{minimal}")
    got = w.req("GET", f"referrals/{f['id']}")
    expect(got.status == 200 and got.json == f and got.header("etag") == f'"{f["version"]}"', f"GET: {got}")
    a = w.audit("referral", f["id"])
    expect([x["action"] for x in a] == ["referral.create"] and a[0]["house_id"] == w.house
           and a[0]["before"] is None and a[0]["after"] == f, f"audit: {a}")
    ev = w.events("referral.created", f["id"])
    expect(len(ev) == 1 and ev[0]["data"] == {"house_id": w.house, "entity": "referral", "id": f["id"]}
           and ev[0]["roles"] is None, f"events: {ev}")
    expect_problem(w.req("GET", f"referrals/{NOWHERE}"), 404, "not_found")
    expect_problem(w.req("GET", "referrals/nope"), 404, "not_found")
    # a repeated Idempotency-Key replays the answer and writes nothing
    key = {"Idempotency-Key": "ref-" + uid()}
    body = w.body()
    once = w.req("POST", "referrals", body, headers=key)
    before = w.counts()
    twice = w.req("POST", "referrals", body, headers=key)
    expect(once.status == twice.status == 201 and once.json == twice.json and w.counts() == before, f"{twice}")


def test_create_rejects_bad_input(d):
    w = world(d)
    other = d.house(w.token)["id"]
    other_cw_id = w.user("caseworker", [other])[0]["id"]
    good = w.body()
    without = lambda k: {x: v for x, v in good.items() if x != k}  # noqa: E731
    cases = [(without(k), [k]) for k in ("house_id", "full_name", "register_number", "sex", "from_institution",
                                         "expected_legal_basis", "expected_arrival_on")]
    cases += [
        (dict(good, house_id=NOWHERE), ["house_id"]),
        (dict(good, house_id="nope"), ["house_id"]),
        (dict(good, full_name=""), ["full_name"]),
        (dict(good, full_name="   "), ["full_name"]),
        (dict(good, full_name="x" * 201), ["full_name"]),
        (dict(good, full_name="a\nb"), ["full_name"]),
        (dict(good, register_number=""), ["register_number"]),
        (dict(good, register_number="x" * 51), ["register_number"]),
        (dict(good, sex="other"), ["sex"]),
        (dict(good, birth_date=day(1)), ["birth_date"]),
        (dict(good, birth_date="1990-02-30"), ["birth_date"]),
        (dict(good, national_id="123"), ["national_id"]),
        (dict(good, national_id="31710101019000012"), ["national_id"]),
        (dict(good, national_id="317101010190000a"), ["national_id"]),
        (dict(good, from_institution=""), ["from_institution"]),
        (dict(good, from_institution="x" * 201), ["from_institution"]),
        (dict(good, from_institution="Lapas\nJambi"), ["from_institution"]),
        (dict(good, institution_kind="bapas"), ["institution_kind"]),
        (dict(good, litmas_number=""), ["litmas_number"]),
        (dict(good, litmas_number="x" * 101), ["litmas_number"]),
        (dict(good, expected_legal_basis="parole"), ["expected_legal_basis"]),
        (dict(good, expected_supervision_ends_on="2026-13-01"), ["expected_supervision_ends_on"]),
        (dict(good, expected_arrival_on=day(-31)), ["expected_arrival_on"]),
        (dict(good, expected_arrival_on=day(367)), ["expected_arrival_on"]),
        (dict(good, caseworker_id=NOWHERE), ["caseworker_id"]),
        (dict(good, caseworker_id=other_cw_id), ["caseworker_id"]),
        (dict(good, notes="x" * 10001), ["notes"]),
        (dict(good, status="accepted"), ["status"]),
        (dict(good, resident_id=NOWHERE), ["resident_id"]),
    ]
    for body, errors in cases:
        w.refused("POST", "referrals", body, 422, "validation_failed", errors)
    # the limits themselves are accepted
    for f in (dict(expected_arrival_on=day(-30)), dict(expected_arrival_on=day(366)), dict(birth_date=day(0)),
              dict(full_name="x" * 200, register_number="R" + "x" * 49, litmas_number="x" * 100,
                   notes="x" * 10000, from_institution="x" * 200)):
        w.create(**f)
    for kind in ("lapas", "rutan", "lpka", "lpp", "other"):
        expect(w.create(institution_kind=kind)["institution_kind"] == kind, kind)
    # a manager of another house: the house is 422
    _, mgr = w.user("manager", [other])
    w.refused("POST", "referrals", good, 422, "validation_failed", ["house_id"], token=mgr)


def test_register_number_unique_among_open(d):
    w = world(d)
    other_house = d.house(w.token)["id"]
    f = w.create()
    number = f["register_number"]
    # in another house too: unique in the installation
    for house in (w.house, other_house):
        r = w.refused("POST", "referrals", w.body(house=house, register_number=number), 409, "conflict")
        expect(r.json.get("errors") is None, f"{r.json}")
    w.act(f["id"], "accept")
    w.refused("POST", "referrals", w.body(register_number=number), 409, "conflict")
    w.act(f["id"], "cancel", {"reason": "batal"})
    again = w.create(register_number=number)
    w.act(again["id"], "decline", {"reason": "penuh"})
    w.create(register_number=number)
    n = d.psql(f"SELECT count(*) FROM app.referrals WHERE register_number = '{number}'").strip()
    expect(n == "3", f"referrals with the number: {n}")
    # a PATCH onto an open referral's number
    fourth = w.create()
    w.refused("PATCH", f"referrals/{fourth['id']}", {"register_number": number}, 409, "conflict")


def test_patch(d):
    w = world(d)
    f = w.create()
    path = f"referrals/{f['id']}"
    r = w.req("PATCH", path, {"full_name": "Andi", "notes": "n", "institution_kind": "rutan",
                              "expected_arrival_on": day(3), "expected_legal_basis": "asimilasi",
                              "caseworker_id": w.cw_user["id"]}, headers={"If-Match": f'"{f["version"]}"'})
    expect(r.status == 200 and r.json["full_name"] == "Andi" and r.json["notes"] == "n"
           and r.json["institution_kind"] == "rutan" and r.json["expected_arrival_on"] == day(3)
           and r.json["expected_legal_basis"] == "asimilasi" and r.json["version"] == 2
           and r.header("etag") == '"2"', f"{r}")
    n = r.json
    a = w.audit("referral", f["id"])
    expect([x["action"] for x in a] == ["referral.create", "referral.update"] and a[1]["before"] == f
           and a[1]["after"] == n, f"audit {a}")
    expect(len(w.events("referral.updated", f["id"])) == 1, "referral.updated")
    # null clears an optional field
    x = w.req("PATCH", path, {"notes": None, "institution_kind": None}).json
    expect(x["notes"] is None and x["institution_kind"] is None, f"{x}")
    w.refused("PATCH", path, {"notes": "z"}, 412, "precondition_failed", headers={"If-Match": '"1"'})
    for body, errors in [({"house_id": w.house}, ["house_id"]), ({"full_name": None}, ["full_name"]),
                         ({"expected_arrival_on": day(400)}, ["expected_arrival_on"]),
                         ({"birth_date": day(2)}, ["birth_date"]), ({"caseworker_id": NOWHERE}, ["caseworker_id"]),
                         ({"status": "arrived"}, ["status"]), ({"sex": "x"}, ["sex"])]:
        w.refused("PATCH", path, body, 422, "validation_failed", errors)
    # an equal PATCH changes nothing and records nothing
    cur = w.get(f["id"])
    before = w.counts()
    same = w.req("PATCH", path, {"full_name": cur["full_name"], "expected_arrival_on": cur["expected_arrival_on"]})
    expect(same.status == 200 and same.json == cur and w.counts() == before, f"equal PATCH {same}")
    w.refused("PATCH", f"referrals/{NOWHERE}", {"notes": "z"}, 404, "not_found")
    # accepted: the person fields belong to the resident record now
    w.act(f["id"], "accept")
    cur = w.get(f["id"])
    for body in ({"full_name": "Lain"}, {"register_number": "X-" + uid()}, {"sex": "female"},
                 {"birth_date": "1991-01-01"}, {"national_id": "3171010101900002"}):
        w.refused("PATCH", path, body, 409, "referral_not_pending")
    same = w.req("PATCH", path, {"full_name": cur["full_name"], "sex": cur["sex"], "notes": "masih boleh",
                                 "expected_arrival_on": day(5)})
    expect(same.status == 200 and same.json["notes"] == "masih boleh" and same.json["status"] == "accepted", f"{same}")
    # final: 409 referral_closed, with its Indonesian title
    w.act(f["id"], "cancel", {"reason": "batal"})
    r = w.refused("PATCH", path, {"notes": "z"}, 409, "referral_closed", headers={"Accept-Language": "id"})
    expect(r.json["title"] == "Rujukan sudah ditutup", f"{r.json}")


def test_accept_creates_resident(d):
    w = world(d)
    _, mgr = w.user("manager", [w.house])
    mapping = {"pembebasan_bersyarat": "parole", "cuti_bersyarat": "conditional_leave",
               "cuti_menjelang_bebas": "pre_release_leave", "asimilasi": "assimilation", "probation": "probation",
               "community_service": "probation", "released": "released"}
    for basis, status in mapping.items():
        f = w.create(expected_legal_basis=basis, birth_date="1988-08-08", national_id="3171010101880001",
                     caseworker_id=w.cw_user["id"], expected_supervision_ends_on=day(300), notes="rahasia")
        residents = d.psql("SELECT count(*) FROM app.residents").strip()
        r = w.req("POST", f"referrals/{f['id']}/accept", None, token=mgr)
        expect(r.status == 200, f"accept: {r}")
        a = r.json
        expect(a["status"] == "accepted" and a["decided_at"] and a["resident_id"] and a["version"] == 2
               and r.header("etag") == '"2"', f"{a}")
        mgr_id = d.psql(f"SELECT user_id FROM app.audit_log WHERE entity_id = '{f['id']}' "
                        "AND action = 'referral.accept'").strip()
        expect(a["decided_by"] == mgr_id, f"decided_by {a['decided_by']} {mgr_id}")
        expect(int(d.psql("SELECT count(*) FROM app.residents").strip()) == int(residents) + 1, "one resident")
        res = d.must("GET", f"residents/{a['resident_id']}", token=w.token)
        expect(res["house_id"] == w.house and res["full_name"] == f["full_name"]
               and res["register_number"] == f["register_number"] and res["sex"] == "male"
               and res["birth_date"] == "1988-08-08" and res["national_id"] == "3171010101880001"
               and res["caseworker_id"] == w.cw_user["id"] and res["supervision_ends_on"] == day(300)
               and res["legal_status"] == status and res["status"] == "new" and res["notes"] is None, f"{basis}: {res}")
        bases = d.psql(f"SELECT count(*) FROM app.legal_bases WHERE resident_id = '{a['resident_id']}'").strip()
        expect(bases == "0", "no legal basis recorded")
    audit = w.audit("resident", a["resident_id"])
    expect([x["action"] for x in audit] == ["resident.create"] and audit[0]["after"]["id"] == a["resident_id"],
           f"{audit}")
    ra = w.audit("referral", a["id"])
    expect([x["action"] for x in ra] == ["referral.create", "referral.accept"] and ra[1]["after"] == a, f"{ra}")
    ev = w.events("referral.accepted", a["id"])
    expect(len(ev) == 1 and ev[0]["data"] == {"house_id": w.house, "entity": "referral", "id": a["id"],
                                              "resident_id": a["resident_id"]} and ev[0]["roles"] is None, f"{ev}")
    # decided: accept and decline are 409 referral_not_pending, with the Indonesian title
    r = w.refused("POST", f"referrals/{a['id']}/accept", {}, 409, "referral_not_pending",
                  headers={"Accept-Language": "id"})
    expect(r.json["title"] == "Rujukan sudah diputuskan", f"{r.json}")
    w.refused("POST", f"referrals/{a['id']}/decline", {"reason": "x"}, 409, "referral_not_pending")
    w.refused("POST", f"referrals/{NOWHERE}/accept", {}, 404, "not_found")


def test_accept_links_resident(d):
    w = world(d)
    other = d.house(w.token)["id"]
    # resident_id given: linked as it is (its own number kept)
    res = w.resident()
    f = w.create()
    a = w.act(f["id"], "accept", {"resident_id": res["id"]})
    expect(a["resident_id"] == res["id"], f"{a}")
    expect(d.must("GET", f"residents/{res['id']}", token=w.token) == res, "the linked resident is unchanged")
    expect(w.audit("resident", res["id"])[-1]["action"] == "resident.create"
           and len(w.audit("resident", res["id"])) == 1, "no resident record written")
    # ... of another house, or nothing: 422 resident_id
    far = d.resident(w.token, other)
    g = w.create()
    for rid in (far["id"], NOWHERE):
        w.refused("POST", f"referrals/{g['id']}/accept", {"resident_id": rid}, 422, "validation_failed",
                  ["resident_id"])
    w.refused("POST", f"referrals/{g['id']}/accept", {"resident_id": "nope"}, 422, "validation_failed",
              ["resident_id"])
    # ... linked to another open referral: 409 conflict
    w.refused("POST", f"referrals/{g['id']}/accept", {"resident_id": res["id"]}, 409, "conflict")
    # the house's resident with the register number
    known = w.resident()
    h = w.create(register_number=known["register_number"])
    expect(w.act(h["id"], "accept")["resident_id"] == known["id"], "linked by register number")
    # one of another house with the number: 409 conflict
    k = w.create(register_number=far["register_number"])
    w.refused("POST", f"referrals/{k['id']}/accept", {}, 409, "conflict")
    # in residence: 409 resident_in_residence (given, or by the number)
    inside = w.resident()
    expect(w.checkin(inside["id"]).status == 201, "check-in")
    m = w.create(register_number=inside["register_number"])
    w.refused("POST", f"referrals/{m['id']}/accept", {}, 409, "resident_in_residence")
    w.refused("POST", f"referrals/{g['id']}/accept", {"resident_id": inside["id"]}, 409, "resident_in_residence")
    # a former resident may be referred again
    stay = d.psql(f"SELECT id FROM app.stays WHERE resident_id = '{inside['id']}'").strip()
    d.must("POST", f"stays/{stay}/checkout", {"exit_reason": "completed", "destination": "family"}, token=w.token)
    expect(w.act(m["id"], "accept")["resident_id"] == inside["id"], "a former resident")
    # once the other referral is closed, its resident may be linked again
    w.act(f["id"], "cancel", {"reason": "dobel"})
    expect(w.act(g["id"], "accept", {"resident_id": res["id"]})["resident_id"] == res["id"], "relinked")


def test_decline_and_cancel(d):
    w = world(d)
    f = w.create()
    r = w.req("POST", f"referrals/{f['id']}/decline", {"reason": "  Kamar penuh\nbulan ini "})
    expect(r.status == 200 and r.json["status"] == "declined" and r.json["status_reason"] == "Kamar penuh\nbulan ini"
           and r.json["decided_at"] and r.json["decided_by"] and r.json["resident_id"] is None, f"{r}")
    expect([x["action"] for x in w.audit("referral", f["id"])] == ["referral.create", "referral.decline"], "audit")
    ev = w.events("referral.declined", f["id"])
    expect(len(ev) == 1 and ev[0]["data"] == {"house_id": w.house, "entity": "referral", "id": f["id"]}, f"{ev}")
    w.refused("POST", f"referrals/{f['id']}/decline", {"reason": "x"}, 409, "referral_not_pending")
    w.refused("POST", f"referrals/{f['id']}/accept", {}, 409, "referral_not_pending")
    w.refused("POST", f"referrals/{f['id']}/cancel", {"reason": "x"}, 409, "referral_closed")
    # cancel a pending one: decided_* stay null
    g = w.create()
    c = w.act(g["id"], "cancel", {"reason": "Tidak jadi"}, token=w.cw)
    expect(c["status"] == "cancelled" and c["status_reason"] == "Tidak jadi" and c["decided_at"] is None
           and c["decided_by"] is None, f"{c}")
    expect(len(w.events("referral.cancelled", g["id"])) == 1, "referral.cancelled")
    w.refused("POST", f"referrals/{g['id']}/cancel", {"reason": "x"}, 409, "referral_closed")
    w.refused("POST", f"referrals/{g['id']}/decline", {"reason": "x"}, 409, "referral_not_pending")
    # cancel an accepted one: decided_* kept, resident kept linked
    h = w.create()
    a = w.act(h["id"], "accept")
    c = w.act(h["id"], "cancel", {"reason": "Klien meninggal"})
    expect(c["status"] == "cancelled" and c["decided_at"] == a["decided_at"] and c["decided_by"] == a["decided_by"]
           and c["resident_id"] == a["resident_id"], f"{c}")
    ev = w.events("referral.cancelled", h["id"])
    expect(ev[0]["data"]["resident_id"] == a["resident_id"], f"{ev}")
    expect([x["action"] for x in w.audit("referral", h["id"])][-1] == "referral.cancel", "cancel audit")
    # the reason's rules
    k = w.create()
    for verb in ("decline", "cancel"):
        for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 1001}, {"reason": None}):
            w.refused("POST", f"referrals/{k['id']}/{verb}", body, 422, "validation_failed", ["reason"])
        w.refused("POST", f"referrals/{NOWHERE}/{verb}", {"reason": "x"}, 404, "not_found")
    expect(w.act(k["id"], "decline", {"reason": "x" * 1000})["status"] == "declined", "1000 characters")


def test_arrival(d):
    w = world(d)
    f = w.create()
    a = w.act(f["id"], "accept")
    at = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=3)).replace(microsecond=0)
    r = w.checkin(a["resident_id"], at=at)
    expect(r.status == 201, f"check-in: {r}")
    got = w.get(f["id"])
    expect(got["status"] == "arrived" and got["stay_id"] == r.json["id"] and got["arrived_at"] == rfc3339(at)
           and got["resident_id"] == a["resident_id"] and got["decided_at"] == a["decided_at"], f"{got}")
    au = w.audit("referral", f["id"])
    expect([x["action"] for x in au] == ["referral.create", "referral.accept", "referral.arrive"]
           and au[-1]["before"]["status"] == "accepted" and au[-1]["after"] == got, f"{au}")
    ev = w.events("referral.arrived", f["id"])
    expect(len(ev) == 1 and ev[0]["data"] == {"house_id": w.house, "entity": "referral", "id": f["id"],
                                              "resident_id": a["resident_id"], "stay_id": r.json["id"]}, f"{ev}")
    # arrived is final
    w.refused("POST", f"referrals/{f['id']}/cancel", {"reason": "x"}, 409, "referral_closed")
    w.refused("PATCH", f"referrals/{f['id']}", {"notes": "x"}, 409, "referral_closed")
    w.refused("POST", f"referrals/{f['id']}/accept", {}, 409, "referral_not_pending")
    # a refused check-in (future time) leaves the referral accepted; the next one arrives it
    g = w.create()
    b = w.act(g["id"], "accept")
    bad = w.checkin(b["resident_id"], at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2))
    expect_problem(bad, 422, "validation_failed")
    expect(w.get(g["id"])["status"] == "accepted", "still accepted")
    expect(w.checkin(b["resident_id"]).status == 201 and w.get(g["id"])["status"] == "arrived", "arrived")
    # a check-in of a resident with no referral, or whose referral was cancelled, changes no referral
    h = w.create()
    c = w.act(h["id"], "accept")
    w.act(h["id"], "cancel", {"reason": "x"})
    expect(w.checkin(c["resident_id"]).status == 201 and w.get(h["id"])["status"] == "cancelled", "cancelled stays")
    expect(w.checkin(w.resident()["id"]).status == 201, "no referral")


def test_list_filters_and_csv(d):
    w = world(d)
    house = d.house(w.token)["id"]
    _, staff = w.user("staff", [house])
    tag = uid()
    a = w.create(house=house, full_name=f"Agus {tag}", litmas_number=f"LIT-{tag}-A", national_id="3171010101900003",
                 notes="a, \"b\"\nc")
    b = w.create(house=house, register_number=f"REG-{tag}-B")
    c = w.create(house=house, full_name="100%_x")
    w.act(b["id"], "accept")
    w.act(c["id"], "decline", {"reason": "x"})

    def ids(q, token=None):
        return [x["id"] for x in d.must("GET", f"referrals?house_id={house}&{q}", token=token or w.token)["items"]]

    expect(ids("") == [a["id"], b["id"], c["id"]], "creation order")
    expect(ids("status=pending") == [a["id"]] and ids("status=accepted") == [b["id"]]
           and ids("status=declined") == [c["id"]] and ids("status=arrived") == [], "status")
    expect(ids(f"q=agus%20{tag.upper()}") == [a["id"]], "q: name, case-insensitive")
    expect(ids(f"q=reg-{tag}") == [b["id"]], "q: register number")
    expect(ids(f"q=lit-{tag}") == [a["id"]], "q: Litmas number")
    expect(ids(f"q=lit-{tag}", token=staff) == [], "q: not the Litmas number for staff")
    expect(ids("q=0%25_") == [c["id"]] and ids("q=%25") == [c["id"]], "q: literal % and _")
    page = d.must("GET", f"referrals?house_id={house}&limit=2", token=w.token)
    rest = d.must("GET", f"referrals?house_id={house}&limit=2&cursor={page['next_cursor']}", token=w.token)
    expect([x["id"] for x in page["items"]] == [a["id"], b["id"]] and [x["id"] for x in rest["items"]] == [c["id"]]
           and rest["next_cursor"] is None, f"{rest}")
    expect_problem(w.req("GET", "referrals?status=gone"), 422, "validation_failed")
    expect_problem(w.req("GET", f"referrals?house_id={NOWHERE}"), 404, "not_found")
    expect(all(x["house_id"] in (house, w.house) for x in d.must("GET", "referrals", token=w.token)["items"]),
           "the houses seen")
    # CSV: every key; staff without the sensitive columns
    for token, keys in ((w.token, KEYS), (staff, KEYS - SENSITIVE)):
        r = w.req("GET", f"referrals?house_id={house}", headers={"Accept": "text/csv"}, token=token)
        expect(r.status == 200 and r.header("content-type", "").startswith("text/csv"), f"CSV: {r}")
        table = list(csv.reader(io.StringIO(r.text, newline="")))
        head = table[0]
        expect(set(head) == keys and len(table) == 4, f"CSV head {head}")
        rows = {row[head.index("id")]: dict(zip(head, row)) for row in table[1:]}
        expect(rows[b["id"]]["status"] == "accepted" and rows[a["id"]]["full_name"] == f"Agus {tag}", f"{rows}")
        if token == w.token:
            expect(rows[a["id"]]["notes"] == "a, \"b\"\nc" and rows[a["id"]]["national_id"] == "3171010101900003",
                   f"{rows[a['id']]}")


def test_roles(d):
    w = world(d)
    _, staff = w.user("staff", [w.house])
    f = w.create(national_id="3171010101900004", litmas_number="LIT-S", notes="rahasia")
    # staff: read without the sensitive keys, 403 on every write
    got = w.req("GET", f"referrals/{f['id']}", token=staff)
    expect(got.status == 200 and set(got.json) == KEYS - SENSITIVE, f"staff GET: {got}")
    listed = d.must("GET", f"referrals?house_id={w.house}", token=staff)["items"]
    expect(listed and all(set(x) == KEYS - SENSITIVE for x in listed), "staff list keys")
    writes = [("POST", "referrals", w.body()), ("PATCH", f"referrals/{f['id']}", {"notes": "x"}),
              ("POST", f"referrals/{f['id']}/accept", {}), ("POST", f"referrals/{f['id']}/decline", {"reason": "x"}),
              ("POST", f"referrals/{f['id']}/cancel", {"reason": "x"})]
    for method, path, body in writes:
        w.refused(method, path, body, 403, "forbidden", token=staff)
    # 403 before any lookup
    w.refused("POST", f"referrals/{NOWHERE}/accept", {}, 403, "forbidden", token=staff)
    # caseworker: create, edit, cancel; 403 on accept and decline
    g = w.create(token=w.cw)
    expect(w.req("PATCH", f"referrals/{g['id']}", {"notes": "cw"}, token=w.cw).status == 200, "caseworker PATCH")
    for verb, body in (("accept", {}), ("decline", {"reason": "x"})):
        w.refused("POST", f"referrals/{g['id']}/{verb}", body, 403, "forbidden", token=w.cw)
        w.refused("POST", f"referrals/{NOWHERE}/{verb}", body, 403, "forbidden", token=w.cw)
    expect(w.act(g["id"], "cancel", {"reason": "cw"}, token=w.cw)["status"] == "cancelled", "caseworker cancel")
    # a manager of the house accepts and declines
    _, mgr = w.user("manager", [w.house])
    expect(w.act(w.create()["id"], "decline", {"reason": "m"}, token=mgr)["status"] == "declined", "manager")
    # a manager of another house: 404 on the paths, 422 for the house, 404 for the filter
    _, far = w.user("manager", [d.house(w.token)["id"]])
    for method, path, body in [("GET", f"referrals/{f['id']}", None)] + writes[1:]:
        w.refused(method, path, body, 404, "not_found", token=far)
    expect_problem(w.req("GET", f"referrals?house_id={w.house}", token=far), 404, "not_found")
    expect(all(x["house_id"] != w.house for x in d.must("GET", "referrals", token=far)["items"]), "not listed")
    # a partner user: 404 on every path, before any lookup
    p = d.must("POST", "partners", {"name": "Dinas " + uid(), "kind": "city_government", "house_ids": [w.house]},
               201, token=w.token)
    password = "pw-" + uid() + uid()
    u = d.must("POST", "users", {"username": "p-" + uid(), "password": password, "role": "partner",
                                 "full_name": "Mitra", "partner_id": p["id"]}, 201, token=w.token)
    partner = d.login(u["username"], password)
    for method, path, body in [("GET", "referrals", None), ("GET", f"referrals/{f['id']}", None),
                               ("GET", f"referrals/{NOWHERE}", None), ("POST", f"referrals/{NOWHERE}/accept", {})] + writes:
        w.refused(method, path, body, 404, "not_found", token=partner)


def test_alert_referral_arrival_overdue(d):
    w = world(d)
    _, staff = w.user("staff", [w.house])
    f = w.create(expected_arrival_on=day(-2))
    late = day(-2)
    got = w.alert_of(f["id"])
    since = rfc3339(dt.datetime.combine(today() - dt.timedelta(days=1), dt.time(0), ZONE))
    expect(len(got) == 1, f"alert: {got}")
    al = got[0]
    expect(al["key"] == f"referral_arrival_overdue:{f['id']}:{late}" and al["kind"] == "referral_arrival_overdue"
           and al["severity"] == "warning" and al["house_id"] == w.house and al["resident_id"] is None
           and al["stay_id"] is None and al["entity"] == "referral" and al["since"] == since
           and al["due_at"] is None
           and al["details"] == {"referral_id": f["id"], "expected_arrival_on": late, "status": "pending",
                                 "days_overdue": 2}, f"{al}")
    expect([x["key"] for x in w.alert_of(f["id"], token=staff)] == [al["key"]], "staff see it")
    r = w.req("POST", "alerts/acknowledge", {"key": al["key"]}, token=staff)
    expect_problem(r, 403, "forbidden")
    # today or yesterday + 0: not overdue before 00:00 after the date
    expect(w.alert_of(w.create(expected_arrival_on=day(0))["id"]) == [], "expected today: not yet")
    # accepted: still raised, with the resident and the status
    a = w.act(f["id"], "accept")
    al = w.alert_of(f["id"])
    expect(len(al) == 1 and al[0]["resident_id"] == a["resident_id"] and al[0]["details"]["status"] == "accepted",
           f"{al}")
    # moved to today: cleared; moved back: a new key
    w.req("PATCH", f"referrals/{f['id']}", {"expected_arrival_on": day(0)})
    expect(w.alert_of(f["id"]) == [], "moved to today")
    w.req("PATCH", f"referrals/{f['id']}", {"expected_arrival_on": day(-1)})
    expect([x["key"] for x in w.alert_of(f["id"])] == [f"referral_arrival_overdue:{f['id']}:{day(-1)}"], "moved")
    # arrived: cleared
    expect(w.checkin(a["resident_id"]).status == 201 and w.alert_of(f["id"]) == [], "arrived clears")
    # declined, cancelled: cleared
    for verb in ("decline", "cancel"):
        g = w.create(expected_arrival_on=day(-5))
        expect(len(w.alert_of(g["id"])) == 1, "raised")
        w.act(g["id"], verb, {"reason": "x"})
        expect(w.alert_of(g["id"]) == [], f"{verb} clears")


def refuses(d, sql):
    """True when the database refuses SQL."""
    try:
        d.psql(sql)
    except RuntimeError:
        return True
    return False


def test_database_checks(d):
    w = world(d)
    f = w.create()
    res = w.resident()
    where = f"WHERE id = '{f['id']}'"
    for change in ("status = 'accepted'", "status = 'declined'", "status = 'cancelled'", "status = 'gone'",
                   f"status = 'arrived', resident_id = '{res['id']}'", "national_id = '12'",
                   "institution_kind = 'bapas'", "expected_legal_basis = 'parole'"):
        expect(refuses(d, f"UPDATE app.referrals SET {change} {where}"), f"the database accepted: {change}")
    expect(w.get(f["id"])["status"] == "pending", "unchanged")
    # one open referral per resident
    g = w.create()
    d.psql(f"UPDATE app.referrals SET status = 'accepted', resident_id = '{res['id']}' {where}")
    expect(refuses(d, f"UPDATE app.referrals SET status = 'accepted', resident_id = '{res['id']}' "
                      f"WHERE id = '{g['id']}'"), "two open referrals of one resident")


def test_race_register_number_two_instances(d):
    w = world(d)
    number = "RACE-" + uid()
    with harness.Instance(share=d) as other:
        both = [d, other]
        got = harness.race([lambda i=i: both[i % 2].request(
            "POST", "/api/v1/referrals", token=w.token, timeout=60,
            json_body=w.body(register_number=number)) for i in range(6)])
    statuses = sorted(getattr(r, "status", repr(r)) for r in got)
    expect(statuses == [201] + [409] * 5, f"statuses: {statuses}")
    expect(all(r.json["code"] == "conflict" for r in got if r.status == 409), f"{got}")
    n = d.psql(f"SELECT count(*) FROM app.referrals WHERE register_number = '{number}'").strip()
    expect(n == "1", f"rows with the number: {n}")


def test_race_accept_two_instances(d):
    w = world(d)
    f = w.create()
    residents = int(d.psql("SELECT count(*) FROM app.residents").strip())
    with harness.Instance(share=d) as other:
        both = [d, other]
        got = harness.race([lambda i=i: both[i % 2].request(
            "POST", f"/api/v1/referrals/{f['id']}/accept", token=w.token, timeout=60, json_body={})
            for i in range(6)])
    statuses = sorted(getattr(r, "status", repr(r)) for r in got)
    expect(statuses == [200] + [409] * 5, f"statuses: {statuses} {got[:2]}")
    expect(all(r.json["code"] == "referral_not_pending" for r in got if r.status == 409), f"{got}")
    expect(int(d.psql("SELECT count(*) FROM app.residents").strip()) == residents + 1, "one resident")
    n = d.psql(f"SELECT count(*) FROM app.audit_log WHERE entity_id = '{f['id']}' AND action = 'referral.accept'")
    expect(n.strip() == "1", f"accept records: {n}")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
