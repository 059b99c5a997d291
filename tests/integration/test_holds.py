"""Bed holds (contract §17.4, §17.6, §17.12-§17.14). One daemon for the tests, two for the races.
Each refused write is checked to have written nothing (holds, claims, audit, events).

- test_create_and_read: 201 with every key, ETag, audit hold.create, event hold.created; GET,
  list filters (house, bed, resident, status), every house role (staff too) may hold and read;
  partner users 404 on every path before any lookup.
- test_field_rules_422: neither or both of referral_id/resident_id (422 naming both), a
  referral_id naming no referral of the house, a resident of another house,
  from too far back or ahead, until missing, not after from, not after now, > 30 days after from.
- test_conflicts_in_order: 404 bed, resident_in_residence, bed_out_of_service, sex_mismatch,
  bed_occupied (an open stay, even for a time after planned_exit_on), bed_held, already_held;
  a check-in or transfer onto a held bed -> bed_held; PATCH bed to out_of_service -> bed_held.
- test_expired_is_computed: a hold whose until passes reads expired (answer, filter), frees the
  bed on the board and for check-ins, PATCH/cancel -> hold_closed; the person may hold again.
- test_update_and_cancel: PATCH extends/shortens (If-Match, 412, 422, conflict), cancel
  ends the range at max(from, now) (a future hold frees its time), hold_closed afterwards.
- test_use_on_checkin: the held person checking in on the held bed, on another bed, early
  (empty range): the hold becomes used in the check-in's transaction (stay_id, used_at, audit
  hold.use, event hold.used), the held bed is free at once.
- test_board_held: state held with its hold key (earliest hold), ?state=held, the kept board
  follows a hold, a cancel and the clock (a hold expiring with no write); occupancy counts the
  bed free.
- test_database_enforces: inserts through psql: any overlap of stay period, hold and turnover on a
  bed is refused by the one exclusion, api.map_error names the kind there; one hold per person.
- test_hold_expiring_alert: a hold in its last 24 hours raises hold_expiring (key with UNTIL as
  YYYYMMDDTHHMMSSZ, warning, since max(until - 24 h, created_at), due_at until, details); staff see
  and acknowledge it; extended beyond 24 h, cancelled or used it clears, and a new until is a new key.
- test_board_on_two_instances: each instance's kept board follows a hold and its cancel made
  through the other.
- test_race_holds_one_bed: 12 holds of 12 people onto one bed through two instances: one 201,
  11 x bed_held; one hold in the database.
- test_race_hold_vs_checkin: a hold and a check-in of another person onto one bed, 10 times:
  exactly one wins, the loser gets bed_occupied (hold) or bed_held (check-in).
- test_race_checkin_vs_cancel: the held person checking in and a cancel of the hold at once:
  the hold ends used or cancelled, never both."""

import datetime as dt
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_races  # noqa: E402
from harness import expect, expect_problem, uid  # noqa: E402

HOLD_KEYS = {"id", "house_id", "bed_id", "referral_id", "resident_id", "full_name", "from", "until", "reason",
             "status", "stay_id", "used_at", "cancelled_at", "cancelled_by", "cancel_reason", "created_by",
             "version", "created_at", "updated_at"}
BOARD_KEYS = {"id", "room_id", "room_code", "label", "state", "status_reason", "occupant"}


def iso(delta_minutes=0.0):
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=delta_minutes)).isoformat(timespec="seconds")


def user(d, token, role, houses):
    password = "pw-" + uid() + uid()
    u = d.must("POST", "users", {"username": role + "-" + uid(), "password": password, "role": role,
                                 "full_name": "User " + role, "house_ids": houses}, 201, token=token)
    return d.login(u["username"], password)


class World:
    def __init__(self, d):
        self.d = d
        self.token = d.login()
        self.house = d.house(self.token)["id"]
        self.other = d.house(self.token)["id"]
        self.tokens = {r: user(d, self.token, r, [self.house]) for r in ("manager", "caseworker", "staff")}
        self.tokens["admin"] = self.token
        partner = d.must("POST", "partners", {"name": "Mitra " + uid(), "kind": "ngo", "house_ids": [self.house]},
                         201, token=self.token)
        password = "pw-" + uid() + uid()
        u = d.must("POST", "users", {"username": "p-" + uid(), "password": password, "role": "partner",
                                     "full_name": "Mitra", "partner_id": partner["id"]}, 201, token=self.token)
        self.partner = d.login(u["username"], password)

    def bed(self, sex="any", house=None):
        room = self.d.room(self.token, house or self.house, sex=sex)
        return self.d.bed(self.token, room["id"])["id"]

    def resident(self, sex="male", house=None):
        return self.d.resident(self.token, house or self.house, sex=sex)["id"]

    def hold(self, bed, token=None, **body):
        return self.d.request("POST", f"/api/v1/beds/{bed}/holds", json_body=body, token=token or self.token)

    def must_hold(self, bed, resident, **body):
        r = self.hold(bed, resident_id=resident, **{"until": iso(24 * 60), **body})
        expect(r.status == 201, f"hold: {r}")
        return r.json

    def checkin(self, resident, bed, **fields):
        return self.d.request("POST", "/api/v1/stays", json_body={"resident_id": resident, "bed_id": bed,
                                                                  "rules_acknowledged": True, **fields},
                              token=self.token)

    def counts(self):
        return self.d.psql("SELECT (SELECT count(*) FROM app.holds), (SELECT coalesce(sum(version), 0) FROM app.holds), "
                           "(SELECT count(*) FROM app.bed_claims), (SELECT count(*) FROM app.audit_log), "
                           "(SELECT count(*) FROM app.events)").strip()

    def board(self, state=None):
        q = f"?state={state}" if state else ""
        return {b["id"]: b for b in self.d.must("GET", f"houses/{self.house}/beds{q}", token=self.token)["items"]}


def world(d):
    return harness.world_of(d, World)


def refused(w, r, status, code, what):
    expect_problem(r, status, code)
    expect(w.counts() == what, f"a refused write wrote something: {r}")


def test_create_and_read(d):
    w = world(d)
    bed, res = w.bed(), w.resident()
    events = d.psql("SELECT coalesce(max(id), 0) FROM app.events").strip()
    r = w.hold(bed, resident_id=res, until=iso(60 * 24), reason="Datang dari\nLapas Jambi", token=w.tokens["staff"])
    expect(r.status == 201 and r.header("etag") == '"1"', f"create: {r}")
    h = r.json
    expect(set(h) == HOLD_KEYS, f"keys: {sorted(set(h) ^ HOLD_KEYS)}")
    expect(h["status"] == "active" and h["resident_id"] == res and h["referral_id"] is None and h["bed_id"] == bed
           and h["house_id"] == w.house and h["full_name"] and h["reason"] == "Datang dari\nLapas Jambi"
           and h["stay_id"] is None and h["version"] == 1, f"hold: {h}")
    audit = d.psql(f"SELECT action, entity FROM app.audit_log WHERE entity_id = '{h['id']}'").strip()
    expect(audit == "hold.create|hold", f"audit: {audit}")
    ev = d.psql(f"SELECT name, data::text FROM app.events WHERE id > {events} AND name LIKE 'hold.%'").strip()
    expect(ev.startswith("hold.created|") and f'"bed_id": "{bed}"' in ev and f'"resident_id": "{res}"' in ev
           and "Datang" not in ev and '"referral_id": null' in ev, f"event: {ev}")
    for role, tok in w.tokens.items():
        got = d.request("GET", f"/api/v1/holds/{h['id']}", token=tok)
        expect(got.status == 200 and got.json == h and got.header("etag") == '"1"', f"{role} GET: {got}")
    for q, found in [(f"house_id={w.house}", True), (f"bed_id={bed}", True), (f"resident_id={res}", True),
                     ("status=active", True), ("status=used", False), (f"bed_id={bed}&status=expired", False)]:
        items = d.must("GET", f"holds?{q}&limit=200", token=w.tokens["caseworker"])["items"]
        expect((h["id"] in [x["id"] for x in items]) == found, f"list ?{q}: {found}")
    expect(d.must("GET", f"holds?bed_id={bed}&referral_id=00000000-0000-4000-8000-000000000000",
                  token=w.token)["items"] == [], "no hold is a referral's")
    expect_problem(d.request("GET", f"/api/v1/holds?house_id={w.other}", token=w.tokens["staff"]), 404, "not_found")
    # partner: 404 everywhere, before any lookup
    before = w.counts()
    for method, path, body in [("POST", f"beds/{bed}/holds", {"resident_id": res, "until": iso(60)}),
                               ("GET", "holds", None), ("GET", f"holds/{h['id']}", None),
                               ("PATCH", f"holds/{h['id']}", {"until": iso(90)}),
                               ("POST", f"holds/{h['id']}/cancel", {"reason": "x"}),
                               ("POST", f"beds/{bed}/ready", {})]:
        r = d.request(method, "/api/v1/" + path, json_body=body, token=w.partner)
        expect_problem(r, 404, "not_found")
    expect(w.counts() == before, "a partner's request wrote something")


def test_field_rules_422(d):
    w = world(d)
    bed, res = w.bed(), w.resident()
    before = w.counts()
    elsewhere = w.resident(house=w.other)
    before = w.counts()

    def bad(fields, **body):
        r = w.hold(bed, **body)
        refused(w, r, 422, "validation_failed", before)
        got = sorted(e["field"] for e in r.json["errors"])
        expect(got == sorted(fields), f"{body}: errors {r.json['errors']}")

    bad(["referral_id", "resident_id"], until=iso(60))
    bad(["referral_id", "resident_id"], until=iso(60), resident_id=res, referral_id=res)
    bad(["referral_id"], until=iso(60), referral_id=res)
    bad(["resident_id"], until=iso(60), resident_id=elsewhere)
    bad(["resident_id"], until=iso(60), resident_id="00000000-0000-4000-8000-000000000000")
    bad(["until"], resident_id=res)
    bad(["from"], resident_id=res, **{"from": iso(-6), "until": iso(60)})
    bad(["from"], resident_id=res, **{"from": iso(60 * 24 * 181), "until": iso(60 * 24 * 182)})
    bad(["until"], resident_id=res, **{"from": iso(120), "until": iso(120)})
    bad(["until"], resident_id=res, **{"from": iso(120), "until": iso(60)})
    bad(["until"], resident_id=res, **{"from": iso(-4), "until": iso(-1)})
    bad(["until"], resident_id=res, **{"from": iso(60), "until": iso(60 + 60 * 24 * 30 + 1)})
    bad(["reason"], resident_id=res, until=iso(60), reason="x" * 501)
    # the edges that pass: from 4 minutes back, until exactly 30 days after from, 180 days ahead
    start = iso(-4)
    end = (dt.datetime.fromisoformat(start) + dt.timedelta(days=30)).isoformat()
    h = w.must_hold(bed, res, **{"from": start, "until": end})
    d.must("POST", f"holds/{h['id']}/cancel", {"reason": "uji"}, token=w.token)
    start = iso(60 * 24 * 179)
    h = w.must_hold(w.bed(), res, **{"from": start, "until": iso(60 * 24 * 180)})
    expect(h["from"] == start.replace("+00:00", "Z"), f"from {h['from']} != {start}")


def test_conflicts_in_order(d):
    w = world(d)
    male_bed, female_bed = w.bed("male"), w.bed("female")
    res, her = w.resident("male"), w.resident("female")
    before = w.counts()
    refused(w, w.hold("00000000-0000-4000-8000-000000000000", resident_id=res, until=iso(60)), 404, "not_found", before)
    elsewhere = w.bed(house=w.other)
    before = w.counts()
    refused(w, w.hold(elsewhere, resident_id=res, until=iso(60), token=w.tokens["staff"]), 404, "not_found", before)
    # in residence comes before the bed's own problems
    stayer = w.resident("male")
    other_bed = w.bed()
    expect(w.checkin(stayer, other_bed).status == 201, "check-in")
    d.must("PATCH", f"beds/{male_bed}", {"status": "out_of_service", "status_reason": "bocor"}, token=w.token)
    before = w.counts()
    refused(w, w.hold(male_bed, resident_id=stayer, until=iso(60)), 409, "resident_in_residence", before)
    refused(w, w.hold(male_bed, resident_id=her, until=iso(60)), 409, "bed_out_of_service", before)
    d.must("PATCH", f"beds/{male_bed}", {"status": "available"}, token=w.token)
    before = w.counts()
    refused(w, w.hold(male_bed, resident_id=her, until=iso(60)), 409, "sex_mismatch", before)
    # an open stay holds its bed with no end, planned_exit_on or not
    occupied = w.bed()
    expect(w.checkin(w.resident(), occupied, planned_exit_on=(dt.date.today() + dt.timedelta(days=1)).isoformat()).status == 201, "check-in")
    before = w.counts()
    refused(w, w.hold(occupied, resident_id=res, until=iso(60 * 24 * 20), **{"from": iso(60 * 24 * 10)}), 409,
            "bed_occupied", before)
    h = w.must_hold(male_bed, res, **{"from": iso(60 * 24), "until": iso(60 * 24 * 2)})
    someone, another, stay, other_bed2 = w.resident(), w.resident(), w.checkin(w.resident(), w.bed()).json, w.bed()
    before = w.counts()
    refused(w, w.hold(male_bed, resident_id=someone, until=iso(60 * 24 * 3)), 409, "bed_held", before)
    refused(w, w.hold(other_bed2, resident_id=res, until=iso(60)), 409, "already_held", before)
    r = d.request("POST", f"/api/v1/beds/{male_bed}/holds", json_body={"resident_id": someone, "until": iso(60 * 72)},
                  headers={"Accept-Language": "id"}, token=w.token)
    expect_problem(r, 409, "bed_held")
    expect(r.json["title"] == "Tempat tidur sudah dipesan", f"Indonesian title: {r.json}")
    # a free bed with a hold from tomorrow cannot be checked into today by anyone else
    refused(w, w.checkin(another, male_bed), 409, "bed_held", before)
    refused(w, d.request("POST", f"/api/v1/stays/{stay['id']}/transfer", json_body={"bed_id": male_bed},
                         token=w.token), 409, "bed_held", before)
    refused(w, d.request("PATCH", f"/api/v1/beds/{male_bed}", json_body={"status": "out_of_service"},
                         token=w.token), 409, "bed_held", before)
    # a hold ending before another begins on the bed is fine (half-open ranges)
    w.must_hold(male_bed, w.resident(), until=h["from"])


def test_expired_is_computed(d):
    w = world(d)
    bed, res = w.bed(), w.resident()
    h = w.must_hold(bed, res, **{"from": iso(-4), "until": iso(0.25)})
    expect(w.board()[bed]["state"] == "held", "held before until")
    time.sleep(16)
    got = d.must("GET", f"holds/{h['id']}", token=w.token)
    expect(got["status"] == "expired", f"status after until: {got['status']}")
    stored = d.psql(f"SELECT status FROM app.holds WHERE id = '{h['id']}'").strip()
    expect(stored == "active", f"stored status {stored}: nothing sweeps")
    ids = [x["id"] for x in d.must("GET", f"holds?bed_id={bed}&status=expired", token=w.token)["items"]]
    expect(ids == [h["id"]], f"?status=expired: {ids}")
    expect(d.must("GET", f"holds?bed_id={bed}&status=active", token=w.token)["items"] == [], "?status=active")
    expect(w.board()[bed]["state"] == "free", "the board after until")
    before = w.counts()
    refused(w, d.request("PATCH", f"/api/v1/holds/{h['id']}", json_body={"until": iso(60)}, token=w.token), 409,
            "hold_closed", before)
    refused(w, d.request("POST", f"/api/v1/holds/{h['id']}/cancel", json_body={"reason": "x"}, token=w.token), 409,
            "hold_closed", before)
    w.must_hold(w.bed(), res)                               # the person may hold again
    expect(w.checkin(w.resident(), bed).status == 201, "check-in onto the bed of an expired hold")


def test_update_and_cancel(d):
    w = world(d)
    bed, res = w.bed(), w.resident()
    h = w.must_hold(bed, res, **{"from": iso(60), "until": iso(120)})
    later = w.must_hold(bed, w.resident(), **{"from": iso(240), "until": iso(300)})
    url = f"/api/v1/holds/{h['id']}"
    before = w.counts()
    refused(w, d.request("PATCH", url, json_body={"until": iso(250)}, token=w.token), 409, "bed_held", before)
    refused(w, d.request("PATCH", url, json_body={"until": iso(50)}, token=w.token), 422, "validation_failed", before)
    refused(w, d.request("PATCH", url, json_body={"until": iso(60 + 60 * 24 * 30 + 1)}, token=w.token), 422,
            "validation_failed", before)
    refused(w, d.request("PATCH", url, json_body={"until": iso(200)}, headers={"If-Match": '"7"'}, token=w.token),
            412, "precondition_failed", before)
    r = d.request("PATCH", url, json_body={"until": iso(230), "reason": "diperpanjang"}, headers={"If-Match": '"1"'},
                  token=w.tokens["staff"])
    expect(r.status == 200 and r.json["version"] == 2 and r.json["reason"] == "diperpanjang"
           and r.header("etag") == '"2"', f"PATCH: {r}")
    audit = d.psql(f"SELECT action FROM app.audit_log WHERE entity_id = '{h['id']}' ORDER BY pos").split()
    expect(audit == ["hold.create", "hold.update"], f"audit: {audit}")
    before = w.counts()
    refused(w, d.request("POST", f"{url}/cancel", json_body={}, token=w.token), 422, "validation_failed", before)
    c = d.must("POST", f"holds/{h['id']}/cancel", {"reason": "batal datang"}, token=w.tokens["caseworker"])
    expect(c["status"] == "cancelled" and c["cancel_reason"] == "batal datang" and c["cancelled_at"]
           and c["cancelled_by"], f"cancel: {c}")
    # a hold that had not begun frees all its time
    expect(d.psql(f"SELECT isempty(during) FROM app.holds WHERE id = '{h['id']}'").strip() == "t", "range not empty")
    w.must_hold(bed, w.resident(), **{"from": iso(60), "until": iso(230)})
    before = w.counts()
    refused(w, d.request("POST", f"{url}/cancel", json_body={"reason": "lagi"}, token=w.token), 409,
            "hold_closed", before)
    refused(w, d.request("PATCH", url, json_body={"reason": "x"}, token=w.token), 409, "hold_closed", before)
    # cancelling a current hold ends it now: the bed is free to check into after it
    d.must("POST", f"holds/{later['id']}/cancel", {"reason": "x"}, token=w.token)
    now_hold = w.must_hold(w.bed(), res, **{"from": iso(-3), "until": iso(60)})
    d.must("POST", f"holds/{now_hold['id']}/cancel", {"reason": "x"}, token=w.token)
    expect(w.checkin(w.resident(), now_hold["bed_id"]).status == 201, "check-in after a cancel")


def test_use_on_checkin(d):
    w = world(d)
    events = d.psql("SELECT coalesce(max(id), 0) FROM app.events").strip()
    # on the held bed, inside the window
    bed, res = w.bed(), w.resident()
    h = w.must_hold(bed, res, **{"from": iso(-4)})
    r = w.checkin(res, bed)
    expect(r.status == 201, f"check-in of the held person on the held bed: {r}")
    got = d.must("GET", f"holds/{h['id']}", token=w.token)
    expect(got["status"] == "used" and got["stay_id"] == r.json["id"] and got["used_at"] == r.json["checked_in_at"],
           f"used: {got}")
    audit = d.psql(f"SELECT action FROM app.audit_log WHERE entity_id = '{h['id']}' ORDER BY pos").split()
    expect(audit == ["hold.create", "hold.use"], f"audit: {audit}")
    ev = d.psql(f"SELECT data->>'stay_id' FROM app.events WHERE id > {events} AND name = 'hold.used'").strip()
    expect(ev == r.json["id"], f"hold.used event: {ev}")
    # early, on another bed: the held bed is free at once
    held, other, res2 = w.bed(), w.bed(), w.resident()
    h2 = w.must_hold(held, res2, **{"from": iso(60 * 24), "until": iso(60 * 48)})
    expect(w.checkin(res2, other).status == 201, "check-in on another bed")
    got = d.must("GET", f"holds/{h2['id']}", token=w.token)
    expect(got["status"] == "used", f"{got}")
    expect(d.psql(f"SELECT isempty(during) FROM app.holds WHERE id = '{h2['id']}'").strip() == "t", "range")
    expect(w.board()[held]["state"] == "free", "the held bed after an early arrival elsewhere")
    expect(w.checkin(w.resident(), held).status == 201, "someone else checks into the freed bed")


def test_board_held(d):
    w = world(d)
    bed, res, res2 = w.bed(), w.resident(), w.resident()
    late = w.must_hold(bed, res2, **{"from": iso(60 * 24 * 3), "until": iso(60 * 24 * 4)})
    early = w.must_hold(bed, res, **{"from": iso(60), "until": iso(120)})
    entry = w.board()[bed]
    expect(entry["state"] == "held" and set(entry) == BOARD_KEYS | {"hold"}, f"board entry: {entry}")
    expect(entry["hold"] == {"hold_id": early["id"], "referral_id": None, "resident_id": res,
                             "full_name": early["full_name"], "from": early["from"], "until": early["until"]},
           f"hold key: {entry['hold']}")
    expect(bed in w.board("held") and bed not in w.board("free"), "?state=held")
    expect(all(set(b) == BOARD_KEYS for b in w.board().values() if b["state"] != "held"), "other entries' keys")
    d.must("POST", f"holds/{early['id']}/cancel", {"reason": "x"}, token=w.token)
    expect(w.board()[bed]["hold"]["hold_id"] == late["id"], "the board after a cancel")
    d.must("PATCH", f"residents/{res2}", {"full_name": "Nama Baru"}, token=w.token)
    expect(w.board()[bed]["hold"]["full_name"] == "Nama Baru", "the board after a rename of the held person")
    d.must("POST", f"holds/{late['id']}/cancel", {"reason": "x"}, token=w.token)
    expect(w.board()[bed]["state"] == "free", "free after both cancels")
    # the clock alone: a hold expiring changes the kept board with no write
    w.must_hold(bed, res, **{"from": iso(-4), "until": iso(0.25)})
    expect(w.board()[bed]["state"] == "held", "held")
    time.sleep(16)
    expect(w.board()[bed]["state"] == "free", "the kept board after the hold expired")
    # §11 occupancy: a held bed counts free
    free = next(x for x in d.must("GET", "occupancy", token=w.token)["items"] if x["house_id"] == w.house)["beds_free"]
    w.must_hold(bed, res)
    house = next(x for x in d.must("GET", "occupancy", token=w.token)["items"] if x["house_id"] == w.house)
    expect(house["beds_free"] == free, f"occupancy with a held bed: {house}")


TRY = """CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE cn text; det text;
BEGIN
    EXECUTE q;
    RETURN 'written';
EXCEPTION WHEN exclusion_violation THEN
    GET STACKED DIAGNOSTICS cn = CONSTRAINT_NAME, det = PG_EXCEPTION_DETAIL;
    RETURN cn || ' ' || ((api.map_error('23P01', cn, NULL, '', det)).body->>'code');
END $f$;
"""


def test_database_enforces(d):
    """Written around the API (psql): the one exclusion refuses any overlap of a stay period, a
    hold and a turnover on one bed, and api.map_error names the kind there (what a race that
    passes the checks gets); one active hold per person."""
    w = world(d)
    bed, stay_bed, turn_bed, res, other = w.bed(), w.bed(), w.bed(), w.resident(), w.resident()
    h = w.must_hold(bed, res, **{"from": iso(60), "until": iso(120)})
    stay = w.checkin(w.resident(), stay_bed).json
    creator = d.psql("SELECT id FROM app.users ORDER BY created_at LIMIT 1").strip()
    d.psql(f"INSERT INTO app.turnovers (house_id, bed_id, stay_id, from_at, until) "
           f"VALUES ('{w.house}', '{turn_bed}', '{stay['id']}', now(), now() + interval '1 hour')")

    longer = iso(60 * 24)

    def hold_sql(bed_id, person, start, end):
        return (f"INSERT INTO app.holds (house_id, bed_id, resident_id, from_at, until, end_at, created_by) "
                f"VALUES ('{w.house}', '{bed_id}', '{person}', '{start}', '{end}', '{end}', '{creator}')")

    def attempt(q):
        return d.psql(TRY + "SELECT pg_temp.try($q$" + q + "$q$)").strip().splitlines()[-1]

    cases = [
        (hold_sql(stay_bed, other, iso(60 * 24), iso(60 * 25)), "bed_claims_no_overlap bed_occupied"),
        (hold_sql(bed, other, iso(90), iso(100)), "bed_claims_no_overlap bed_held"),
        (hold_sql(turn_bed, other, iso(30), iso(90)), "bed_claims_no_overlap bed_turnover"),
        (f"INSERT INTO app.bed_periods (stay_id, bed_id, house_id, from_at) "
         f"VALUES ('{stay['id']}', '{bed}', '{w.house}', now())", "bed_claims_no_overlap bed_held"),
        (f"INSERT INTO app.turnovers (house_id, bed_id, stay_id, from_at, until) VALUES ('{w.house}', '{bed}', "
         f"'{stay['id']}', '{iso(100)}', '{iso(200)}')", "bed_claims_no_overlap bed_held"),
        (f"UPDATE app.holds SET until = '{longer}', end_at = '{longer}' WHERE id = '{h['id']}'", "written"),
        (hold_sql(w.bed(), res, iso(0), iso(30)), "holds_one_per_resident already_held"),
    ]
    for q, want in cases:
        got = attempt(q)
        expect(got == want, f"{q[:60]}...: {got!r}, expected {want!r}")
    claims = d.psql(f"SELECT kind, upper(during) = '{longer}'::timestamptz FROM app.bed_claims "
                    f"WHERE id = '{h['id']}'").strip()
    expect(claims == "hold|t", f"the claim follows its hold: {claims}")


class Pair(test_races.Pair):
    """test_races' two daemons on one database, with a house and a room of this file's own."""

    def __init__(self):
        super().__init__()
        self.house = self.a.house(self.token)["id"]
        self.room = self.a.room(self.token, self.house)["id"]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def bed(self):
        return self.a.bed(self.token, self.room)["id"]

    def people(self, n):
        return [self.a.resident(self.token, self.house)["id"] for _ in range(n)]

    def post(self, i, path, body):
        return self.both[i % 2].request("POST", "/api/v1/" + path, json_body=body, token=self.token, timeout=60)


def tally(results):
    out = {}
    for r in results:
        key = repr(r)[:80] if isinstance(r, Exception) else f"{r.status} {(r.json or {}).get('code') or ''}".strip()
        out[key] = out.get(key, 0) + 1
    return out


def test_board_on_two_instances(_d):
    """A hold made through one instance shows on the board the other keeps, and its cancel too."""
    with Pair() as p:
        bed, (res,) = p.bed(), p.people(1)

        def state(d):
            items = d.must("GET", f"houses/{p.house}/beds", token=p.token)["items"]
            return next(b["state"] for b in items if b["id"] == bed)

        expect(state(p.a) == state(p.b) == "free", "free on both")
        h = p.post(0, f"beds/{bed}/holds", {"resident_id": res, "until": iso(60)}).json
        expect(state(p.b) == state(p.a) == "held", "held on both")
        p.post(1, f"holds/{h['id']}/cancel", {"reason": "x"})
        expect(state(p.a) == state(p.b) == "free", "free on both after the cancel")


def test_race_holds_one_bed(_d):
    with Pair() as p:
        bed, people = p.bed(), p.people(12)
        results = harness.race([lambda i=i, r=r: p.post(i, f"beds/{bed}/holds", {"resident_id": r, "until": iso(60)})
                                for i, r in enumerate(people)])
        got = tally(results)
        expect(got == {"201": 1, "409 bed_held": 11}, f"12 holds onto one bed: {got}")
        n = p.a.psql(f"SELECT count(*) FROM app.holds WHERE bed_id = '{bed}'").strip()
        expect(n == "1", f"{n} holds of the bed")


def test_race_hold_vs_checkin(_d):
    with Pair() as p:
        for i in range(10):
            bed, (holder, stayer) = p.bed(), p.people(2)
            hold, stay = harness.race([
                lambda: p.post(i, f"beds/{bed}/holds", {"resident_id": holder, "until": iso(60)}),
                lambda: p.post(i + 1, "stays", {"resident_id": stayer, "bed_id": bed, "rules_acknowledged": True})])
            got = sorted([f"{hold.status} {(hold.json or {}).get('code', '')}".strip(),
                          f"{stay.status} {(stay.json or {}).get('code', '')}".strip()])
            expect(got in (["201", "409 bed_held"], ["201", "409 bed_occupied"]), f"hold vs check-in: {got}")
            expect((hold.status == 201) == (stay.json.get("code") == "bed_held"), f"who lost with what: {got}")


def test_race_checkin_vs_cancel(_d):
    with Pair() as p:
        for i in range(10):
            bed, (res,) = p.bed(), p.people(1)
            h = p.post(0, f"beds/{bed}/holds", {"resident_id": res, "until": iso(60), "from": iso(-1)}).json
            cancel, stay = harness.race([lambda: p.post(i, f"holds/{h['id']}/cancel", {"reason": "x"}),
                                         lambda: p.post(i + 1, "stays", {"resident_id": res, "bed_id": bed,
                                                                         "rules_acknowledged": True})])
            row = p.a.psql(f"SELECT status, stay_id IS NOT NULL, cancelled_at IS NOT NULL FROM app.holds "
                           f"WHERE id = '{h['id']}'").strip()
            expect(row in ("used|t|f", "cancelled|f|t"), f"hold after check-in vs cancel: {row}")
            expect(stay.status == 201, f"the check-in: {stay}")
            expect((cancel.status == 200) == row.startswith("cancelled"), f"cancel {cancel} vs row {row}")


def test_hold_expiring_alert(d):
    w = world(d)
    bed, res = w.bed(), w.resident()
    far = w.must_hold(bed, res, until=iso(48 * 60))

    def alerts(token=None):
        got = d.must("GET", f"alerts?house_id={w.house}&kind=hold_expiring", token=token or w.token)["items"]
        return [a for a in got if a["entity_id"] == far["id"]]

    expect(alerts() == [], "more than 24 h left: no alert")
    r = d.request("PATCH", f"/api/v1/holds/{far['id']}", json_body={"until": iso(10 * 60)}, headers={"If-Match": '"1"'},
                  token=w.token)
    expect(r.status == 200, f"shorten: {r}")
    until = dt.datetime.fromisoformat(r.json["until"].replace("Z", "+00:00"))
    got = alerts(w.tokens["staff"])
    expect(len(got) == 1, f"staff see it: {got}")
    a = got[0]
    expect(a["key"] == f"hold_expiring:{far['id']}:{until.strftime('%Y%m%dT%H%M%SZ')}", f"key {a['key']}")
    expect(a["severity"] == "warning" and a["entity"] == "hold" and a["resident_id"] == res and a["stay_id"] is None,
           f"{a}")
    expect(a["since"] == far["created_at"] and a["due_at"] == r.json["until"], f"since/due_at: {a}")
    expect(a["details"] == {"hold_id": far["id"], "bed_id": bed, "referral_id": None, "until": r.json["until"]},
           f"details {a['details']}")
    d.must("POST", "alerts/acknowledge", {"key": a["key"], "note": "sudah dikabari"}, token=w.tokens["staff"])
    r = d.request("PATCH", f"/api/v1/holds/{far['id']}", json_body={"until": iso(30 * 60)}, headers={"If-Match": '"2"'},
                  token=w.token)
    expect(r.status == 200 and alerts() == [], f"extended beyond 24 h clears it: {alerts()}")
    r = d.request("PATCH", f"/api/v1/holds/{far['id']}", json_body={"until": iso(5 * 60)}, headers={"If-Match": '"3"'},
                  token=w.token)
    again = alerts()
    expect(len(again) == 1 and again[0]["key"] != a["key"] and again[0]["acknowledged_at"] is None,
           f"a new until is a new key: {again}")
    d.must("POST", f"holds/{far['id']}/cancel", {"reason": "batal"}, token=w.token)
    expect(alerts() == [], "cancelled: cleared")
    # a hold made inside its last day is due from its creation; using it clears it
    bed2, res2 = w.bed(), w.resident()
    near = w.must_hold(bed2, res2, until=iso(60))
    got = [x for x in d.must("GET", f"alerts?house_id={w.house}&kind=hold_expiring", token=w.token)["items"]
           if x["entity_id"] == near["id"]]
    expect(len(got) == 1 and got[0]["since"] == near["created_at"], f"since = created_at: {got}")
    expect(w.checkin(res2, bed2).status == 201, "check-in of the held person")
    got = [x for x in d.must("GET", f"alerts?house_id={w.house}&kind=hold_expiring", token=w.token)["items"]
           if x["entity_id"] == near["id"]]
    expect(got == [], f"used: cleared {got}")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
