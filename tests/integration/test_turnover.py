"""Turnover (contract §17.5, §17.6, §17.12-§17.14). One daemon for all tests. Each refused write
is checked to have written nothing.

- test_checkout_begins_turnover: with turnover_minutes N > 0 a check-out at t makes a turnover
  [t, t + N) in its transaction (audit turnover.create, event bed.updated); the board shows
  state turnover with its key; a check-in, transfer or hold over it -> 409 bed_turnover, a
  check-in overlapping a later hold too -> bed_held first; out of service is allowed and wins
  on the board; §11 occupancy counts the bed free.
- test_transfer_and_no_turnover: a transfer leaves a turnover on the bed it left; with N = 0
  nothing; a back-dated check-out whose turnover is already over leaves the bed free.
- test_ready: caseworker 403 (before any lookup), partner 404; staff marks it ready (200,
  ready_at, ready_by, note, audit turnover.ready, event bed.updated): the bed is free and may be
  checked into at once; again -> 409 not_in_turnover; `at` more than 5 minutes ahead or
  before the turnover's from -> 422 at; a bed with no turnover -> 409 not_in_turnover; 404 bed.
- test_board_follows_the_clock: a turnover ending by itself changes the kept board with no write."""

import datetime as dt
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem  # noqa: E402
from test_holds import iso, user  # noqa: E402

BOARD_KEYS = {"id", "room_id", "room_code", "label", "state", "status_reason", "occupant"}


def parse(t):
    return dt.datetime.fromisoformat(t.replace("Z", "+00:00"))


class World:
    def __init__(self, d):
        self.d = d
        self.token = d.login()
        self.house = d.house(self.token, turnover_minutes=60)["id"]
        self.room = d.room(self.token, self.house)["id"]
        self.tokens = {r: user(d, self.token, r, [self.house]) for r in ("manager", "caseworker", "staff")}

    def bed(self):
        return self.d.bed(self.token, self.room)["id"]

    def resident(self):
        return self.d.resident(self.token, self.house)["id"]

    def checkin(self, bed, resident=None, **fields):
        return self.d.request("POST", "/api/v1/stays", json_body={"resident_id": resident or self.resident(),
                                                                  "bed_id": bed, "rules_acknowledged": True, **fields},
                              token=self.token)

    def stay(self, bed, **fields):
        r = self.checkin(bed, **fields)
        expect(r.status == 201, f"check-in: {r}")
        return r.json

    def checkout(self, stay, **fields):
        return self.d.must("POST", f"stays/{stay['id']}/checkout", {"exit_reason": "completed",
                                                                    "destination": "family", **fields},
                           token=self.token)

    def left(self, **checkout):
        """A bed just left (checked out), and its stay."""
        bed = self.bed()
        stay = self.stay(bed, checked_in_at=iso(-120))
        return bed, self.checkout(stay, **checkout)

    def board(self):
        return {b["id"]: b for b in self.d.must("GET", f"houses/{self.house}/beds", token=self.token)["items"]}

    def counts(self):
        return self.d.psql("SELECT (SELECT count(*) FROM app.turnovers), (SELECT coalesce(sum(version), 0) "
                           "FROM app.turnovers), (SELECT count(*) FROM app.stays), (SELECT count(*) FROM app.holds), "
                           "(SELECT count(*) FROM app.audit_log), (SELECT count(*) FROM app.events)").strip()

    def ready(self, bed, body=None, token=None):
        return self.d.request("POST", f"/api/v1/beds/{bed}/ready", json_body=body if body is not None else {},
                              token=token or self.tokens["staff"])


def world(d):
    return harness.world_of(d, World)


def refused(w, r, status, code, before):
    expect_problem(r, status, code)
    expect(w.counts() == before, f"a refused write wrote something: {r}")


def turnovers_of(d, bed):
    return d.psql(f"SELECT id, stay_id, from_at = lower(during), until - from_at, ready_at IS NULL "
                  f"FROM app.turnovers WHERE bed_id = '{bed}' ORDER BY from_at").split()


def test_checkout_begins_turnover(d):
    w = world(d)
    events = d.psql("SELECT coalesce(max(id), 0) FROM app.events").strip()
    bed, stay = w.left()
    rows = turnovers_of(d, bed)
    expect(len(rows) == 1 and rows[0].split("|")[1:] == [stay["id"], "t", "01:00:00", "t"], f"turnover: {rows}")
    tid = rows[0].split("|")[0]
    audit = d.psql(f"SELECT action, entity FROM app.audit_log WHERE entity_id = '{tid}'").strip()
    expect(audit == "turnover.create|turnover", f"audit: {audit}")
    ev = d.psql(f"SELECT data->>'bed_id' FROM app.events WHERE id > {events} AND name = 'bed.updated'").strip()
    expect(ev == bed, f"bed.updated: {ev}")
    entry = w.board()[bed]
    expect(entry["state"] == "turnover" and set(entry) == BOARD_KEYS | {"turnover"}, f"board: {entry}")
    key = entry["turnover"]
    expect(set(key) == {"turnover_id", "stay_id", "from", "until"} and key["turnover_id"] == tid
           and key["stay_id"] == stay["id"] and key["from"] == stay["checked_out_at"]
           and parse(key["until"]) - parse(key["from"]) == dt.timedelta(hours=1),
           f"turnover key: {entry['turnover']}")
    expect(bed in {b["id"] for b in d.must("GET", f"houses/{w.house}/beds?state=turnover", token=w.token)["items"]},
           "?state=turnover")
    someone = w.resident()
    before = w.counts()
    refused(w, w.checkin(bed, someone), 409, "bed_turnover", before)
    other = w.stay(w.bed())
    before = w.counts()
    refused(w, d.request("POST", f"/api/v1/stays/{other['id']}/transfer", json_body={"bed_id": bed}, token=w.token),
            409, "bed_turnover", before)
    resident = w.resident()
    before = w.counts()
    refused(w, d.request("POST", f"/api/v1/beds/{bed}/holds", json_body={"resident_id": resident, "until": iso(30)},
                         token=w.token), 409, "bed_turnover", before)
    # a hold after the turnover is fine; a check-in now then meets both: bed_held comes first
    d.must("POST", f"beds/{bed}/holds", {"resident_id": resident, "from": iso(90), "until": iso(120)}, 201,
           token=w.token)
    before = w.counts()
    refused(w, w.checkin(bed, someone), 409, "bed_held", before)
    free = next(x for x in d.must("GET", "occupancy", token=w.token)["items"] if x["house_id"] == w.house)
    expect(free["beds_free"] == free["beds_total"] - free["beds_occupied"] - free["beds_out_of_service"]
           and free["beds_occupied"] == 1, f"occupancy: {free}")
    # out of service during a turnover: allowed (a bed without holds), and the board says so
    bed2, _ = w.left()
    d.must("PATCH", f"beds/{bed2}", {"status": "out_of_service", "status_reason": "karantina"}, token=w.token)
    expect(w.board()[bed2]["state"] == "out_of_service" and "turnover" not in w.board()[bed2], "out of service wins")


def test_transfer_and_no_turnover(d):
    w = world(d)
    a, b = w.bed(), w.bed()
    stay = w.stay(a)
    moved = d.must("POST", f"stays/{stay['id']}/transfer", {"bed_id": b}, token=w.token)
    expect(moved["bed_id"] == b, f"transfer: {moved}")
    expect(len(turnovers_of(d, a)) == 1 and turnovers_of(d, b) == [], "a turnover of the bed left")
    expect(w.board()[a]["state"] == "turnover", "board of the bed left")
    # back-dated: a turnover already over leaves the bed free
    bed, _ = w.left(checked_out_at=iso(-61))
    expect(len(turnovers_of(d, bed)) == 1 and w.board()[bed]["state"] == "free", "a turnover already over")
    w.stay(bed)
    # turnover_minutes 0: nothing
    plain = d.house(w.token)["id"]
    room = d.room(w.token, plain)["id"]
    pbed = d.bed(w.token, room)["id"]
    s = d.must("POST", "stays", {"resident_id": d.resident(w.token, plain)["id"], "bed_id": pbed,
                                 "rules_acknowledged": True}, 201, token=w.token)
    d.must("POST", f"stays/{s['id']}/checkout", {"exit_reason": "completed", "destination": "family"}, token=w.token)
    expect(turnovers_of(d, pbed) == [], "no turnover with turnover_minutes 0")


def test_ready(d):
    w = world(d)
    bed, stay = w.left()
    before = w.counts()
    refused(w, w.ready(bed, token=w.tokens["caseworker"]), 403, "forbidden", before)
    refused(w, w.ready("00000000-0000-4000-8000-000000000000"), 404, "not_found", before)
    refused(w, w.ready(bed, {"at": iso(6)}), 422, "validation_failed", before)
    refused(w, w.ready(bed, {"at": iso(-30)}), 422, "validation_failed", before)   # before the check-out
    refused(w, w.ready(w.bed()), 409, "not_in_turnover", before := w.counts())
    events = d.psql("SELECT coalesce(max(id), 0) FROM app.events").strip()
    r = w.ready(bed, {"note": "Sprei diganti\nlantai dipel"})
    expect(r.status == 200, f"ready: {r}")
    t = r.json
    keys = {"id", "house_id", "bed_id", "stay_id", "from", "until", "ready_at", "ready_by", "note", "version",
            "created_at", "updated_at"}
    expect(set(t) == keys and t["bed_id"] == bed and t["stay_id"] == stay["id"] and t["ready_at"] and t["ready_by"]
           and t["note"] == "Sprei diganti\nlantai dipel" and t["from"] == stay["checked_out_at"], f"turnover: {t}")
    audit = d.psql(f"SELECT action FROM app.audit_log WHERE entity_id = '{t['id']}' ORDER BY pos").split()
    expect(audit == ["turnover.create", "turnover.ready"], f"audit: {audit}")
    ev = d.psql(f"SELECT name, data->>'bed_id' FROM app.events WHERE id > {events}").strip()
    expect(ev == f"bed.updated|{bed}", f"events: {ev}")
    expect(w.board()[bed]["state"] == "free", "free once ready")
    refused(w, w.ready(bed), 409, "not_in_turnover", w.counts())
    w.stay(bed)
    # a manager, with a past `at` inside the turnover
    bed, stay = w.left()
    r = w.ready(bed, {"at": stay["checked_out_at"]}, token=w.tokens["manager"])
    expect(r.status == 200 and r.json["ready_at"] == stay["checked_out_at"], f"ready at from: {r}")


def test_board_follows_the_clock(d):
    w = world(d)
    bed, _ = w.left(checked_out_at=iso(-59.75))      # over in about 15 seconds
    expect(w.board()[bed]["state"] == "turnover", "turnover")
    time.sleep(17)
    expect(w.board()[bed]["state"] == "free", "the kept board after the turnover ended by itself")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
