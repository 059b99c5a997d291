"""Roll-calls (apel, contract §17.7, §17.11-§17.14). One daemon for all tests; the races add a
second instance on its database. Each refused request is checked to have written nothing.

- test_open: the lines are every stay active at `at` (a later check-in and a resident checked
  out before are not on it; one checked out after `at` is), one per resident, in room code, bed
  label, full name order, with the bed held at `at` (a transfer after it keeps the old bed);
  a movement signed out at or before `at` and not back prefills `out` with its movement and
  expected return (a return before `at` does not); the object's keys, totals, ETag, audit
  roll_call.create with the lines, event roll_call.opened with ids only; `at` 422 (ahead, too
  far back), `kind` 422, a second open 409 roll_call_open carrying the open one's id.
- test_marks: 1-500 entries; errors naming marks[i].resident_id (not on it, twice),
  marks[i].status, marks[i].note (excused without a note, out without a sign-out and without
  a note), all of them in one 422, nothing written; a bulk mark and one by one, re-marking,
  marked_by / marked_at, version and ETag, audit roll_call.mark with the lines changed only,
  event roll_call.marked.
- test_close_and_cancel: close with unmarked lines 422 roll_call_incomplete with `unmarked`
  and `errors` (lines.<resident_id>), Indonesian title, nothing changed; a prefilled out counts
  as marked; close 200 closed_at/closed_by/closed_by_name, audit without lines, event; then
  marks, close, cancel 409 roll_call_closed; the line trigger refuses psql; cancel needs a
  reason, then it is cancelled and immutable; a new roll-call may open after each.
- test_line_references: a line naming no stay, another resident's stay or no bed is refused
  (the statement check that replaced the foreign keys); a line's references never change; a
  roll-call is never deleted; nothing written.
- test_list_and_csv: filters status, kind, from/to (house dates), items without lines, paging,
  CSV of the list (totals.*) and of one roll-call (one row per line).
- test_print_page: Accept: text/html gives the self-contained print page: media type, CSP,
  no script/src/link/@import/url(, A4 @media print with a repeated header, one row per line
  with data-resident-id/data-status, the signature column, totals, house, kind, who opened,
  "not closed" / "belum ditutup", every value HTML-escaped; Accept q-values choose.
- test_roles: caseworker 403 on every write (before any lookup: a roll-call of no house too),
  reads allowed; staff may do everything; a user of another house 404; partner 404.
- test_alert_absent: roll_call_absent raised by an absent mark at a closed roll-call (key of
  the first absent of the run, since = its closed_at, details), a second absence keeps the
  key and counts 2, present at a later closed one clears it; an open roll-call does not count.
- test_presence_kept: the kept time of each stay's last presence at a closed roll-call is the
  one its lines give (a back-dated close, a cancelled roll-call).
- test_alert_missed: roll_call_missed for yesterday (no evening/night, fewer than R), its key,
  since, details; cleared by closing the roll-calls of that day; R = 0 raises nothing.
- test_race_open_two_instances: 8 opens of one house over two daemons: one 201, 7 x 409
  roll_call_open naming the winner, one open row; a mark on one daemon racing a close on the
  other: the mark is in the closed roll-call, or it gets 409 roll_call_closed."""

import csv
import datetime as dt
import html.parser
import io
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem, uid  # noqa: E402

TZ = dt.timezone(dt.timedelta(hours=7))
NOBODY = "00000000-0000-4000-8000-000000000000"
KEYS = {"id", "house_id", "kind", "at", "status", "note", "created_by", "created_by_name", "closed_at",
        "closed_by", "closed_by_name", "cancelled_at", "cancel_reason", "totals", "lines", "version",
        "created_at", "updated_at"}
LINE_KEYS = {"resident_id", "full_name", "register_number", "stay_id", "room_code", "bed_id", "bed_label",
             "status", "note", "movement_id", "expected_back_at", "marked_by", "marked_at"}


def iso(t):
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(**kw):
    return iso(dt.datetime.now(dt.timezone.utc) - dt.timedelta(**kw))


class World:
    def __init__(self, d):
        self.d = d
        self.token = d.login()
        self.other = d.house(self.token)["id"]
        self.rooms = {}

    def house(self, **fields):
        return self.d.house(self.token, **fields)

    def user(self, role, houses, **fields):
        password = "pw-" + uid() + uid()
        u = self.d.must("POST", "users", {"username": role[:2] + "-" + uid(), "password": password, "role": role,
                                          "full_name": "Petugas " + uid(), "house_ids": houses, **fields},
                        201, token=self.token)
        return u, self.d.login(u["username"], password)

    def beds(self, hid, room_code, labels):
        """Beds LABELS in room ROOM_CODE of house HID (the room made at its first use)."""
        if (hid, room_code) not in self.rooms:
            self.rooms[hid, room_code] = self.d.room(self.token, hid, code=room_code)["id"]
        return [self.d.bed(self.token, self.rooms[hid, room_code], label=label)["id"] for label in labels]

    def stay(self, hid, bed, since, name=None):
        r = self.d.resident(self.token, hid, **({"full_name": name} if name else {}))
        s = self.d.must("POST", "stays", {"resident_id": r["id"], "bed_id": bed, "checked_in_at": since,
                                          "rules_acknowledged": True}, 201, token=self.token)
        return r, s

    def open(self, hid, token=None, d=None, **body):
        return (d or self.d).request("POST", f"/api/v1/houses/{hid}/roll-calls",
                                     json_body={"kind": "evening", **body}, token=token or self.token, timeout=60)

    def opened(self, hid, **body):
        r = self.open(hid, **body)
        expect(r.status == 201, f"open: {r}")
        return r.json

    def marks(self, rc, marks, token=None, d=None, **kw):
        return (d or self.d).request("POST", f"/api/v1/roll-calls/{rc}/marks", json_body={"marks": marks},
                                     token=token or self.token, timeout=60, **kw)

    def close(self, rc, token=None, d=None, **kw):
        return (d or self.d).request("POST", f"/api/v1/roll-calls/{rc}/close", json_body={},
                                     token=token or self.token, timeout=60, **kw)

    def cancel(self, rc, reason="salah input", token=None):
        return self.d.request("POST", f"/api/v1/roll-calls/{rc}/cancel", json_body={"reason": reason},
                              token=token or self.token)

    def get(self, rc, token=None, **kw):
        return self.d.request("GET", f"/api/v1/roll-calls/{rc}", token=token or self.token, **kw)

    def state(self):
        return self.d.psql("SELECT (SELECT count(*) FROM app.roll_calls), (SELECT count(*) FROM app.roll_call_lines), "
                           "(SELECT count(*) FROM app.audit_log), (SELECT count(*) FROM app.events), "
                           "(SELECT coalesce(sum(version), 0) FROM app.roll_calls), "
                           "(SELECT count(*) FROM app.roll_call_lines WHERE marked_at IS NOT NULL)").strip()

    def small_house(self, n=2, hours=2):
        """A house with N residents in residence since HOURS ago; (house id, [resident ids])."""
        hid = self.house()["id"]
        beds = self.beds(hid, "A", [f"{i + 1}" for i in range(n)])
        return hid, [self.stay(hid, b, ago(hours=hours))[0]["id"] for b in beds]

    def all_present(self, rc, ids):
        r = self.marks(rc, [{"resident_id": i, "status": "present"} for i in ids])
        expect(r.status == 200, f"marks: {r}")
        return r.json


def world(d):
    return harness.world_of(d, World)


def fields(r):
    return [e["field"] for e in r.json.get("errors", [])]


def test_open(d):
    w = world(d)
    hid = w.house()["id"]
    b1, b2 = w.beds(hid, "B", ["2", "1"])       # room B: labels 1, 2
    (a1,) = w.beds(hid, "A", ["9"])
    c1, c2 = w.beds(hid, "C", ["1", "2"])
    since = ago(hours=3)
    zed, zs = w.stay(hid, b1, since, "Zainal")   # B/2
    ali, als = w.stay(hid, b2, since, "Ali")     # B/1
    bud, bus = w.stay(hid, a1, since, "Budi")    # A/9
    out, outs = w.stay(hid, c1, since, "Cahya")  # C/1: signed out an hour ago, not back
    back, backs = w.stay(hid, c2, since, "Dedi")  # C/2: out and back before `at`
    m = w.d.must("POST", f"stays/{outs['id']}/movements",
                 {"purpose": "work", "expected_back_at": iso(dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=5))},
                 201, token=w.token)
    m2 = w.d.must("POST", f"stays/{backs['id']}/movements",
                  {"purpose": "medical", "expected_back_at": iso(dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=5))},
                  201, token=w.token)
    w.d.must("POST", f"movements/{m2['id']}/return", {}, token=w.token)
    # one checked out a minute ago is on a roll-call of 10 minutes ago; one checked in later is not
    (c3,) = w.beds(hid, "D", ["1"])
    gone, gones = w.stay(hid, c3, since, "Eko")
    w.d.must("POST", f"stays/{gones['id']}/checkout", {"checked_out_at": ago(minutes=1), "exit_reason": "completed",
                                                        "destination": "family"}, token=w.token)
    (c4,) = w.beds(hid, "E", ["1"])
    w.stay(hid, c4, ago(minutes=2), "Fajar")
    # a transfer after `at` keeps the bed held at `at`
    (c5,) = w.beds(hid, "E", ["2"])
    w.d.must("POST", f"stays/{zs['id']}/transfer", {"bed_id": c5, "at": ago(minutes=3)}, token=w.token)
    before = w.state()
    for body, field in [({"at": iso(dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=6))}, "at"),
                        ({"at": ago(hours=72, minutes=1)}, "at"), ({"kind": "noon"}, "kind"),
                        ({"kind": None}, "kind"), ({"note": "x" * 1001}, "note"), ({"extra": 1}, "extra")]:
        r = w.open(hid, **body)
        expect_problem(r, 422, "validation_failed")
        expect(field in fields(r), f"{body}: {r.json}")
    expect(w.state() == before, "a refused open wrote something")
    expect_problem(w.open(NOBODY), 404, "not_found")
    expect_problem(w.open(hid, at=ago(hours=80), kind="x"), 422, "validation_failed")

    at = ago(minutes=10)
    r = w.open(hid, at=at, kind="night", note="Apel <malam> & \"cek\"")
    expect(r.status == 201 and r.header("etag") == '"1"', f"{r}")
    rc = r.json
    expect(set(rc) == KEYS, f"keys {set(rc) ^ KEYS}")
    expect((rc["kind"], rc["at"], rc["status"], rc["closed_at"], rc["closed_by"], rc["closed_by_name"],
            rc["cancelled_at"], rc["cancel_reason"], rc["version"]) == ("night", at, "open", None, None, None, None,
                                                                         None, 1), f"{rc}")
    me = w.d.must("GET", "me", token=w.token)
    expect(rc["created_by"] == me["id"] and rc["created_by_name"], f"created_by {rc}")
    names = [x["full_name"] for x in rc["lines"]]
    expect(names == ["Budi", "Ali", "Zainal", "Cahya", "Dedi", "Eko"], f"order {names}")
    expect(all(set(x) == LINE_KEYS for x in rc["lines"]), "line keys")
    by = {x["full_name"]: x for x in rc["lines"]}
    expect((by["Zainal"]["bed_id"], by["Zainal"]["room_code"], by["Zainal"]["bed_label"]) == (b1, "B", "2"),
           f"bed at `at` {by['Zainal']}")
    # Cahya signed out after `at`: not out then
    expect(all(x["status"] == "unmarked" and x["movement_id"] is None for x in rc["lines"]), f"unmarked {rc['lines']}")
    expect(by["Eko"]["stay_id"] == gones["id"] and by["Ali"]["register_number"] == ali["register_number"], "stay, reg")
    expect(rc["totals"] == {"present": 0, "absent": 0, "out": 0, "excused": 0, "unmarked": 6}, f"{rc['totals']}")
    got = w.get(rc["id"])
    expect(got.json == rc and got.header("etag") == '"1"', f"GET {got}")
    audit = w.d.psql(f"SELECT action, jsonb_array_length(after->'lines'), before IS NULL FROM app.audit_log "
                     f"WHERE entity = 'roll_call' AND entity_id = '{rc['id']}'").strip()
    expect(audit == "roll_call.create|6|t", f"audit {audit}")
    ev = w.d.psql(f"SELECT data FROM app.events WHERE name = 'roll_call.opened' AND data->>'id' = '{rc['id']}'").strip()
    expect(ev and set(eval(ev.replace("null", "None"))) == {"house_id", "entity", "id"}, f"event {ev}")
    # one open per house: the problem names the open one
    before = w.state()
    r = w.open(hid, kind="extra")
    expect_problem(r, 409, "roll_call_open")
    expect(r.json.get("roll_call_id") == rc["id"], f"roll_call_id {r.json}")
    expect(w.state() == before, "the refused open wrote something")
    expect(w.cancel(rc["id"]).status == 200, "cancel")
    # now: Cahya is out (prefilled with the movement), Dedi is back, Fajar has come, Eko has gone
    now = w.opened(hid)
    names = [(x["room_code"], x["bed_label"], x["full_name"]) for x in now["lines"]]
    expect(names == [("A", "9", "Budi"), ("B", "1", "Ali"), ("C", "1", "Cahya"), ("C", "2", "Dedi"),
                     ("E", "1", "Fajar"), ("E", "2", "Zainal")], f"now {names}")
    by = {x["full_name"]: x for x in now["lines"]}
    expect((by["Cahya"]["status"], by["Cahya"]["movement_id"], by["Cahya"]["expected_back_at"], by["Cahya"]["marked_by"])
           == ("out", m["id"], m["expected_back_at"], None), f"prefilled {by['Cahya']}")
    expect((by["Dedi"]["status"], by["Dedi"]["movement_id"]) == ("unmarked", None), f"back {by['Dedi']}")
    expect(now["totals"] == {"present": 0, "absent": 0, "out": 1, "excused": 0, "unmarked": 5}, f"{now['totals']}")
    # re-marking the prefilled out needs no note (the movement is the reason); it keeps the movement
    r = w.marks(now["id"], [{"resident_id": out["id"], "status": "out"}])
    line = [x for x in r.json["lines"] if x["resident_id"] == out["id"]][0] if r.status == 200 else r
    expect(r.status == 200 and (line["status"], line["movement_id"], line["marked_by"] is not None)
           == ("out", m["id"], True), f"{line}")
    # another house opens freely
    other, _ = w.small_house(1)
    expect(w.open(other).status == 201, "another house")


def test_marks(d):
    w = world(d)
    hid, (r1, r2, r3) = w.small_house(3)
    stranger = w.small_house(1)[1][0]
    rc = w.opened(hid)
    before = w.state()
    r = w.marks(rc["id"], [{"resident_id": stranger, "status": "present"}, {"resident_id": r1, "status": "excused"},
                           {"resident_id": r2, "status": "out"}, {"resident_id": r3, "status": "present"},
                           {"resident_id": r3, "status": "absent"}, {"resident_id": r1, "status": "sick"}])
    expect_problem(r, 422, "validation_failed")
    expect(fields(r) == ["marks[5].status"], f"C-side first: {r.json}")
    r = w.marks(rc["id"], [{"resident_id": stranger, "status": "present"}, {"resident_id": r1, "status": "excused"},
                           {"resident_id": r2, "status": "out"}, {"resident_id": r3, "status": "present"},
                           {"resident_id": r3, "status": "absent"}])
    expect_problem(r, 422, "validation_failed")
    expect(fields(r) == ["marks[0].resident_id", "marks[1].note", "marks[2].note", "marks[3].resident_id",
                         "marks[4].resident_id"], f"all of them: {r.json}")
    for marks, field in [([], "marks"), ([{"resident_id": r1, "status": "present"}] * 501, "marks"),
                         ([{"resident_id": r1, "status": "unmarked"}], "marks[0].status"),
                         ([{"resident_id": "x", "status": "present"}], "marks[0].resident_id"),
                         ([{"status": "present"}], "marks[0].resident_id"),
                         ([{"resident_id": r1, "status": "excused", "note": ""}], "marks[0].note"),
                         ([{"resident_id": r1, "status": "excused", "note": "x" * 501}], "marks[0].note")]:
        r = w.marks(rc["id"], marks)
        expect_problem(r, 422, "validation_failed")
        expect(field in fields(r), f"{field}: {r.json}")
    expect_problem(w.d.request("POST", f"/api/v1/roll-calls/{rc['id']}/marks", json_body={}, token=w.token),
                   422, "validation_failed")
    expect_problem(w.marks(NOBODY, [{"resident_id": r1, "status": "present"}]), 404, "not_found")
    expect(w.state() == before, "a refused mark wrote something")
    # bulk: two at once, one with a multi-line note
    r = w.marks(rc["id"], [{"resident_id": r1, "status": "present"},
                           {"resident_id": r2, "status": "excused", "note": "izin keluarga\nsampai besok"}])
    expect(r.status == 200 and r.json["version"] == 2 and r.header("etag") == '"2"', f"{r}")
    by = {x["resident_id"]: x for x in r.json["lines"]}
    me = w.d.must("GET", "me", token=w.token)["id"]
    expect((by[r1]["status"], by[r1]["marked_by"]) == ("present", me) and by[r1]["marked_at"], f"{by[r1]}")
    expect((by[r2]["status"], by[r2]["note"]) == ("excused", "izin keluarga\nsampai besok"), f"{by[r2]}")
    expect(by[r3]["status"] == "unmarked" and by[r3]["marked_at"] is None, f"{by[r3]}")
    # one by one, and re-marking while open (out with a note: no sign-out needed then)
    r = w.marks(rc["id"], [{"resident_id": r3, "status": "out", "note": "kerja malam"}])
    expect(r.status == 200 and r.json["totals"] == {"present": 1, "absent": 0, "out": 1, "excused": 1, "unmarked": 0},
           f"{r.json['totals']}")
    r = w.marks(rc["id"], [{"resident_id": r2, "status": "absent"}])
    by = {x["resident_id"]: x for x in r.json["lines"]}
    expect((by[r2]["status"], by[r2]["note"], r.json["version"]) == ("absent", None, 4), f"re-mark {by[r2]}")
    audit = w.d.psql(f"SELECT before, after FROM app.audit_log WHERE entity = 'roll_call' AND entity_id = '{rc['id']}' "
                     f"AND action = 'roll_call.mark' ORDER BY pos DESC LIMIT 1").strip()
    expect(audit.count('"resident_id"') == 2 and r2 in audit and r1 not in audit and '"status": "excused"' in audit
           and '"status": "absent"' in audit, f"mark audit: the lines changed, before and after: {audit}")
    n = w.d.psql(f"SELECT count(*) FROM app.events WHERE name = 'roll_call.marked' AND data->>'id' = '{rc['id']}'")
    expect(n.strip() == "3", f"events {n}")


def test_close_and_cancel(d):
    w = world(d)
    hid, (r1, r2, r3) = w.small_house(3)
    rc = w.opened(hid)
    w.marks(rc["id"], [{"resident_id": r1, "status": "present"}])
    before = w.state()
    r = w.close(rc["id"])
    expect_problem(r, 422, "roll_call_incomplete")
    names = {x["resident_id"]: x["full_name"] for x in rc["lines"]}
    expect(r.json.get("unmarked") == [{"resident_id": i, "full_name": names[i]} for i in (r2, r3)
                                      if i in names] or sorted(x["resident_id"] for x in r.json["unmarked"]) == sorted([r2, r3]),
           f"unmarked {r.json}")
    expect(sorted(fields(r)) == sorted([f"lines.{r2}", f"lines.{r3}"]), f"errors {r.json}")
    r = w.d.request("POST", f"/api/v1/roll-calls/{rc['id']}/close", json_body={"force": True}, token=w.token)
    expect_problem(r, 422, "validation_failed")
    expect(fields(r) == ["force"], f"close takes {{}}: {r.json}")
    r = w.close(rc["id"], headers={"Accept-Language": "id"})
    expect(r.json["title"] == "Apel belum lengkap", f"id title {r.json}")
    expect(w.state() == before, "a refused close wrote something")
    w.marks(rc["id"], [{"resident_id": r2, "status": "absent"}, {"resident_id": r3, "status": "present"}])
    r = w.close(rc["id"])
    me = w.d.must("GET", "me", token=w.token)
    expect(r.status == 200 and r.json["status"] == "closed" and r.json["closed_at"] and r.json["closed_by"] == me["id"]
           and r.json["closed_by_name"] == me["full_name"] and "lines" in r.json, f"close {r}")
    audit = w.d.psql(f"SELECT before ? 'lines', after ? 'lines', after->>'status' FROM app.audit_log "
                     f"WHERE entity_id = '{rc['id']}' AND action = 'roll_call.close'").strip()
    expect(audit == "f|f|closed", f"close audit {audit}")
    ev = w.d.psql(f"SELECT count(*) FROM app.events WHERE name = 'roll_call.closed' AND data->>'id' = '{rc['id']}'")
    expect(ev.strip() == "1", "closed event")
    before = w.state()
    for r in (w.marks(rc["id"], [{"resident_id": r1, "status": "absent"}]), w.close(rc["id"]), w.cancel(rc["id"])):
        expect_problem(r, 409, "roll_call_closed")
    expect(w.state() == before, "a closed roll-call changed")
    try:
        w.d.psql(f"UPDATE app.roll_call_lines SET status = 'absent' WHERE roll_call_id = '{rc['id']}'")
        expect(False, "the trigger let a line of a closed roll-call change")
    except RuntimeError as e:
        expect("api_problem" in str(e), f"{e}")
    # a prefilled out counts as marked; cancel needs a reason and never counts
    rc2 = w.opened(hid, kind="extra")
    for body in ({}, {"reason": ""}, {"reason": "x" * 501}):
        r = w.d.request("POST", f"/api/v1/roll-calls/{rc2['id']}/cancel", json_body=body, token=w.token)
        expect_problem(r, 422, "validation_failed")
        expect(fields(r) == ["reason"], f"{r.json}")
    r = w.cancel(rc2["id"], "dobel")
    expect(r.status == 200 and (r.json["status"], r.json["cancel_reason"]) == ("cancelled", "dobel")
           and r.json["cancelled_at"] and r.json["closed_at"] is None, f"cancel {r}")
    for r in (w.marks(rc2["id"], [{"resident_id": r1, "status": "absent"}]), w.close(rc2["id"]), w.cancel(rc2["id"])):
        expect_problem(r, 409, "roll_call_closed")
    audit = w.d.psql(f"SELECT action FROM app.audit_log WHERE entity_id = '{rc2['id']}' ORDER BY pos").split()
    expect(audit == ["roll_call.create", "roll_call.cancel"], f"{audit}")
    expect(w.opened(hid)["status"] == "open", "a new one opens after a cancel")


def test_line_references(d):
    """The lines' references are checked once per INSERT (0042) where foreign keys were: a line
    naming a stay that does not exist, or the stay of another resident, or no bed, is refused;
    so are changing a line's references and deleting a roll-call. Nothing is written."""
    w = world(d)
    hid, _ = w.small_house(2)
    rc = w.opened(hid, kind="extra")
    line = rc["lines"][0]
    before = w.state()
    cols = "roll_call_id, resident_id, stay_id, bed_id, status"
    for values, what in [(f"'{rc['id']}', gen_random_uuid(), gen_random_uuid(), '{line['bed_id']}', 'unmarked'", "no stay"),
                         (f"'{rc['id']}', gen_random_uuid(), '{line['stay_id']}', '{line['bed_id']}', 'unmarked'",
                          "another resident's stay"),
                         (f"'{rc['id']}', '{line['resident_id']}', '{line['stay_id']}', gen_random_uuid(), 'unmarked'",
                          "no bed")]:
        try:
            # (a resident already on it would fail its key first: the first two name new ones)
            sql = f"INSERT INTO app.roll_call_lines ({cols}) VALUES ({values})"
            if what == "no bed":
                sql = (f"DELETE FROM app.roll_call_lines WHERE roll_call_id = '{rc['id']}' "
                       f"AND resident_id = '{line['resident_id']}'; " + sql)
            w.d.psql("BEGIN; " + sql + "; COMMIT;")
            expect(False, f"a line with {what} was written")
        except RuntimeError as e:
            expect("roll-call line names a stay, resident or bed" in str(e), f"{what}: {e}")
    for sql, words in [(f"UPDATE app.roll_call_lines SET bed_id = gen_random_uuid() WHERE roll_call_id = '{rc['id']}'",
                        "changing the roll-call, resident, stay or bed"),
                       (f"UPDATE app.roll_call_lines SET stay_id = stay_id WHERE roll_call_id = '{rc['id']}'", None),
                       (f"DELETE FROM app.roll_calls WHERE id = '{rc['id']}'", "deleting a roll-call")]:
        try:
            w.d.psql(sql)
            expect(words is None, f"{sql} was let through")
        except RuntimeError as e:
            expect(words is not None and words in str(e), f"{sql}: {e}")
    expect(w.state() == before, "a refused change wrote something")


def test_list_and_csv(d):
    w = world(d)
    hid, (r1,) = w.small_house(1, hours=40)
    first = w.opened(hid, kind="morning", at=ago(hours=30))
    w.all_present(first["id"], [r1])
    w.close(first["id"])
    second = w.opened(hid, kind="evening")
    items = w.d.must("GET", f"houses/{hid}/roll-calls", token=w.token)["items"]
    expect([x["id"] for x in items] == [first["id"], second["id"]] and all("lines" not in x for x in items),
           f"{items}")
    expect(set(items[0]) == KEYS - {"lines"}, "list keys")
    got = lambda q: [x["id"] for x in w.d.must("GET", f"houses/{hid}/roll-calls?{q}", token=w.token)["items"]]  # noqa: E731
    expect(got("status=closed") == [first["id"]] and got("kind=evening") == [second["id"]], "filters")
    today = dt.datetime.now(TZ).date()
    first_day = dt.datetime.fromisoformat(first["at"].replace("Z", "+00:00")).astimezone(TZ).date()
    expect(got(f"from={today}") == ([second["id"]] if first_day < today else [first["id"], second["id"]]), "from")
    expect(got(f"to={first_day}") == ([first["id"]] if first_day < today else [first["id"], second["id"]]), "to")
    page = w.d.must("GET", f"houses/{hid}/roll-calls?limit=1", token=w.token)
    expect([x["id"] for x in page["items"]] == [first["id"]] and page["next_cursor"], "page 1")
    page = w.d.must("GET", f"houses/{hid}/roll-calls?limit=1&cursor={page['next_cursor']}", token=w.token)
    expect([x["id"] for x in page["items"]] == [second["id"]] and not page["next_cursor"], "page 2")
    for q, field in [("status=done", "status"), ("kind=noon", "kind"), ("from=2026-13-01", "from"),
                     (f"from={today}&to={today - dt.timedelta(days=1)}", "from")]:
        r = w.d.request("GET", f"/api/v1/houses/{hid}/roll-calls?{q}", token=w.token)
        expect_problem(r, 422, "validation_failed")
        expect(field in fields(r), f"{q}: {r.json}")
    expect_problem(w.d.request("GET", f"/api/v1/houses/{NOBODY}/roll-calls", token=w.token), 404, "not_found")
    r = w.d.request("GET", f"/api/v1/houses/{hid}/roll-calls", token=w.token, headers={"Accept": "text/csv"})
    expect(r.status == 200 and r.header("content-type").startswith("text/csv"), f"{r}")
    rows = list(csv.DictReader(io.StringIO(r.raw.decode())))
    expect(len(rows) == 2 and rows[0]["totals.present"] == "1" and rows[1]["totals.unmarked"] == "1", f"{rows}")
    r = w.get(first["id"], headers={"Accept": "text/csv"})
    rows = list(csv.DictReader(io.StringIO(r.raw.decode())))
    expect(r.status == 200 and len(rows) == 1 and set(rows[0]) == LINE_KEYS and rows[0]["status"] == "present",
           f"one roll-call as CSV {rows}")


class Tags(html.parser.HTMLParser):
    """Every (tag, attribute name) of a page; a tag without attributes as (tag, "")."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def handle_starttag(self, tag, attrs):
        self.seen += [(tag, a) for a, _ in attrs] or [(tag, "")]


def test_print_page(d):
    w = world(d)
    hid = w.house(name='Griya <b>"Aman"</b> & Co')["id"]
    (b1, b2) = w.beds(hid, "K<1>", ["a&b", "2"])
    evil, _ = w.stay(hid, b1, ago(hours=2), '<script>alert("x")</script>')
    plain, _ = w.stay(hid, b2, ago(hours=2), "Budi Santoso")
    rc = w.opened(hid, kind="night")
    w.marks(rc["id"], [{"resident_id": evil["id"], "status": "excused", "note": "<img src=x onerror=alert(1)>"}])
    for lang, not_closed, title in (("en", "not closed", "Roll-call"), ("id", "belum ditutup", "Apel")):
        r = w.get(rc["id"], headers={"Accept": "text/html", "Accept-Language": lang})
        expect(r.status == 200 and r.header("content-type") == "text/html; charset=utf-8", f"{r}")
        expect(r.header("content-security-policy") == "default-src 'none'; style-src 'unsafe-inline'", "CSP")
        page = r.raw.decode()
        low = page.lower()
        tags = Tags()
        tags.feed(page)
        expect(not {"script", "link", "img", "iframe", "object", "base"} & {t for t, _ in tags.seen}, f"{tags.seen}")
        expect(not [a for _, a in tags.seen if a == "src" or a.startswith("on")], "src or handler attribute")
        for bad in ("@import", "url("):
            expect(bad not in low, f"{bad!r} in the page")
        expect(low.count("<style>") == 1 and "@media print" in page and "a4" in low and "table-header-group" in page,
               "print CSS")
        expect("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page and "&lt;img src=x" in page
               and "Griya &lt;b&gt;&quot;Aman&quot;&lt;/b&gt; &amp; Co" in page and "K&lt;1&gt;" in page
               and "a&amp;b" in page, "escaped values")
        rows = re.findall(r'<tr data-resident-id="([^"]+)" data-status="([^"]+)">', page)
        expect(sorted(rows) == sorted([(evil["id"], "excused"), (plain["id"], "unmarked")]), f"rows {rows}")
        expect(page.count('data-column="signature"') == 1, "signature column")
        for name, n in (("present", 0), ("absent", 0), ("out", 0), ("excused", 1), ("unmarked", 1)):
            expect(f'data-total="{name}">{n}<' in page, f"total {name}")
        expect(not_closed in page and title in page and rc["created_by_name"] in page and "Asia/Jakarta" in page,
               f"{lang}: facts")
        expect(f'<html lang="{lang}">' in page, "lang")
    # Accept chooses by q; JSON stays the default
    for accept, ctype in (("text/html;q=0.5, text/csv", "text/csv"), ("text/csv;q=0.2, text/html;q=0.9", "text/html"),
                          ("application/json", "application/json"), ("*/*", "application/json"),
                          ("text/html;q=0", "application/json"), ("TEXT/HTML", "text/html")):
        r = w.get(rc["id"], headers={"Accept": accept})
        expect(r.status == 200 and r.header("content-type").startswith(ctype), f"{accept}: {r.header('content-type')}")
    # closed: who closed it and when
    w.marks(rc["id"], [{"resident_id": plain["id"], "status": "present"}])
    w.close(rc["id"])
    page = w.get(rc["id"], headers={"Accept": "text/html"}).raw.decode()
    expect("not closed" not in page and 'data-status="present"' in page, "closed page")
    expect_problem(w.get(NOBODY, headers={"Accept": "text/html"}), 404, "not_found")


def test_roles(d):
    w = world(d)
    hid, (r1,) = w.small_house(1)
    _, cw = w.user("caseworker", [hid])
    _, staff = w.user("staff", [hid])
    _, outsider = w.user("manager", [w.other])
    rc = w.opened(hid)
    before = w.state()
    for r in (w.open(hid, token=cw), w.open(NOBODY, token=cw), w.marks(rc["id"], [{"resident_id": r1, "status": "present"}], token=cw),
              w.marks(NOBODY, [{"resident_id": r1, "status": "present"}], token=cw), w.close(rc["id"], token=cw),
              w.cancel(rc["id"], token=cw)):
        expect_problem(r, 403, "forbidden")
    expect(w.state() == before, "a refused write wrote something")
    expect(w.get(rc["id"], token=cw).status == 200, "caseworker reads")
    expect(w.d.request("GET", f"/api/v1/houses/{hid}/roll-calls", token=cw).status == 200, "caseworker lists")
    expect(w.get(rc["id"], token=cw, headers={"Accept": "text/html"}).status == 200, "caseworker prints")
    for r in (w.get(rc["id"], token=outsider), w.open(hid, token=outsider),
              w.marks(rc["id"], [{"resident_id": r1, "status": "present"}], token=outsider),
              w.d.request("GET", f"/api/v1/houses/{hid}/roll-calls", token=outsider)):
        expect_problem(r, 404, "not_found")
    r = w.marks(rc["id"], [{"resident_id": r1, "status": "present"}], token=staff)
    expect(r.status == 200, f"staff marks {r}")
    expect(w.close(rc["id"], token=staff).status == 200, "staff closes")
    rc2 = w.opened(hid)
    expect(w.cancel(rc2["id"], token=staff).status == 200, "staff cancels")
    expect(w.open(hid, token=staff).status == 201, "staff opens")


def alerts(w, hid, kind):
    return w.d.must("GET", f"alerts?house_id={hid}&kind={kind}", token=w.token)["items"]


def closed(w, hid, statuses, **body):
    """A roll-call of HID opened with BODY, marked {resident: status} and closed."""
    rc = w.opened(hid, **body)
    r = w.marks(rc["id"], [{"resident_id": i, "status": s, **({"note": "izin"} if s in ("excused", "out") else {})}
                           for i, s in statuses.items()])
    expect(r.status == 200, f"marks {r}")
    r = w.close(rc["id"])
    expect(r.status == 200, f"close {r}")
    return r.json


def test_alert_absent(d):
    w = world(d)
    hid, (r1, r2) = w.small_house(2)
    stay = w.d.must("GET", f"residents/{r1}", token=w.token)["current_stay_id"]
    first = closed(w, hid, {r1: "absent", r2: "present"}, at=ago(minutes=50))
    items = alerts(w, hid, "roll_call_absent")
    expect(len(items) == 1, f"{items}")
    a = items[0]
    expect((a["key"], a["severity"], a["entity"], a["entity_id"], a["resident_id"], a["stay_id"], a["since"], a["due_at"])
           == (f"roll_call_absent:{first['id']}:{stay}", "critical", "roll_call", first["id"], r1, stay,
               first["closed_at"], None), f"{a}")
    expect(a["details"] == {"roll_call_id": first["id"], "last_roll_call_id": first["id"], "absent_count": 1,
                            "at": first["at"]}, f"details {a['details']}")
    # an open roll-call marking present does not clear it
    rc = w.opened(hid, at=ago(minutes=40))
    w.marks(rc["id"], [{"resident_id": r1, "status": "present"}])
    expect(len(alerts(w, hid, "roll_call_absent")) == 1, "open roll-calls do not count")
    w.cancel(rc["id"])
    second = closed(w, hid, {r1: "absent", r2: "present"}, at=ago(minutes=30))
    items = alerts(w, hid, "roll_call_absent")
    expect(len(items) == 1 and items[0]["key"] == a["key"] and items[0]["details"]["absent_count"] == 2
           and items[0]["details"]["last_roll_call_id"] == second["id"], f"run of two {items}")
    closed(w, hid, {r1: "excused", r2: "present"}, at=ago(minutes=20))
    expect(len(alerts(w, hid, "roll_call_absent")) == 1, "excused does not clear")
    closed(w, hid, {r1: "present", r2: "present"}, at=ago(minutes=10))
    expect(alerts(w, hid, "roll_call_absent") == [], "present clears")
    # a new run is a new key; the stay closing clears it
    third = closed(w, hid, {r1: "absent", r2: "present"}, at=ago(minutes=5))
    expect([x["key"] for x in alerts(w, hid, "roll_call_absent")] == [f"roll_call_absent:{third['id']}:{stay}"], "new run")
    w.d.must("POST", f"stays/{stay}/checkout", {"exit_reason": "absconded", "destination": "unknown"}, token=w.token)
    expect(alerts(w, hid, "roll_call_absent") == [], "the stay closed")
    # staff sees it, may not acknowledge it
    fourth = closed(w, hid, {r2: "absent"})
    _, staff = w.user("staff", [hid])
    seen = w.d.must("GET", f"alerts?house_id={hid}&kind=roll_call_absent", token=staff)["items"]
    expect([x["entity_id"] for x in seen] == [fourth["id"]], f"staff sees {seen}")
    expect_problem(w.d.request("POST", "/api/v1/alerts/acknowledge", json_body={"key": seen[0]["key"]}, token=staff),
                   403, "forbidden")


def test_presence_kept(d):
    """app.roll_call_presence (0039, what roll_call_absent reads) is, for every stay, the `at` of
    the latest closed roll-call that marked it present, computed here from the lines: also when
    a roll-call is closed after a later one (back-dated), and a cancelled one counts nothing."""
    w = world(d)
    hid, (r1, r2, r3) = w.small_house(3, hours=5)
    closed(w, hid, {r1: "present", r2: "absent", r3: "present"}, at=ago(minutes=100))
    closed(w, hid, {r1: "absent", r2: "present", r3: "present"}, at=ago(minutes=60))
    closed(w, hid, {r1: "present", r2: "absent", r3: "absent"}, at=ago(minutes=200))   # back-dated
    rc = w.opened(hid, at=ago(minutes=30))
    w.all_present(rc["id"], [r1, r2, r3])
    w.cancel(rc["id"])
    out = d.psql("SELECT l.stay_id, l.status, c.status, extract(epoch FROM c.at) FROM app.roll_call_lines l "
                 f"JOIN app.roll_calls c ON c.id = l.roll_call_id WHERE c.house_id = '{hid}'")
    want = {}
    for stay, line, status, at in (x.split("|") for x in out.strip().splitlines()):
        if status == "closed" and line == "present":
            want[stay] = max(want.get(stay, 0.0), float(at))
    got = d.psql("SELECT p.stay_id, extract(epoch FROM p.last_present_at) FROM app.roll_call_presence p "
                 f"JOIN app.stays s ON s.id = p.stay_id WHERE s.house_id = '{hid}'")
    got = {x.split("|")[0]: float(x.split("|")[1]) for x in got.strip().splitlines()}
    expect(got == want and len(want) == 3, f"kept {got}\nfrom the lines {want}")
    # r1's absence at -60 follows its presence at -100: a run; r2's and r3's at -200 do not
    expect([a["resident_id"] for a in alerts(w, hid, "roll_call_absent")] == [r1], "the absent after the last presence")


def test_alert_missed(d):
    w = world(d)
    hid, (r1,) = w.small_house(1)
    # the stay began 2 hours ago: nothing of earlier days; back-date one to 3 days ago
    h2 = w.house(roll_calls_per_day=2)["id"]
    (bed,) = w.beds(h2, "A", ["1"])
    res, stay = w.stay(h2, bed, ago(days=3))
    yesterday = dt.datetime.now(TZ).date() - dt.timedelta(days=1)
    keys = lambda: sorted(x["key"] for x in alerts(w, h2, "roll_call_missed"))  # noqa: E731
    dates = [dt.datetime.now(TZ).date() - dt.timedelta(days=n) for n in (3, 2, 1)]
    # the stay was active at the curfew (22:00) of the day it began only if it began before 22:00 that day
    began = dt.datetime.fromisoformat(stay["checked_in_at"].replace("Z", "+00:00")).astimezone(TZ)
    expected = [f"roll_call_missed:{h2}:{x}" for x in dates if x > began.date() or began.time() <= dt.time(22)]
    expect(keys() == expected, f"{keys()} != {expected}")
    a = [x for x in alerts(w, h2, "roll_call_missed") if x["key"].endswith(str(yesterday))][0]
    midnight = dt.datetime.combine(yesterday + dt.timedelta(days=1), dt.time(0), TZ)
    expect((a["severity"], a["entity"], a["entity_id"], a["resident_id"], a["stay_id"], a["since"], a["due_at"])
           == ("warning", "house", h2, None, None, iso(midnight), None), f"{a}")
    expect(a["details"] == {"date": str(yesterday), "required": 2, "closed": 0, "closed_evening_night": 0},
           f"{a['details']}")
    # yesterday: a morning one and an evening one, entered later (paper) within 72 hours
    y_at = lambda clock: iso(dt.datetime.combine(yesterday, clock, TZ))  # noqa: E731
    closed(w, h2, {res["id"]: "present"}, kind="morning", at=y_at(dt.time(7)))
    a = [x for x in alerts(w, h2, "roll_call_missed") if x["key"].endswith(str(yesterday))][0]
    expect((a["details"]["closed"], a["details"]["closed_evening_night"]) == (1, 0), f"{a['details']}")
    closed(w, h2, {res["id"]: "present"}, kind="evening", at=y_at(dt.time(21)))
    expect(f"roll_call_missed:{h2}:{yesterday}" not in keys(), "cleared")
    # R = 0: none
    h = w.d.must("GET", f"houses/{h2}", token=w.token)
    w.d.must("PATCH", f"houses/{h2}", {"roll_calls_per_day": 0}, token=w.token, headers={"If-Match": f'"{h["version"]}"'})
    expect(keys() == [], "R = 0")
    # a house whose residents all came today raises nothing
    expect(alerts(w, hid, "roll_call_missed") == [], "nobody at yesterday's curfew")


def test_race_open_two_instances(d):
    w = world(d)
    hid, (r1,) = w.small_house(1)
    second = harness.Instance(share=d)
    try:
        for _ in range(2):
            results = harness.race([lambda i=i: w.open(hid, d=(d, second)[i % 2], kind="extra") for i in range(8)])
            statuses = sorted(r.status for r in results)
            expect(statuses == [201] + [409] * 7, f"{statuses}")
            winner = [r for r in results if r.status == 201][0].json
            expect(all(r.json.get("code") == "roll_call_open" and r.json.get("roll_call_id") == winner["id"]
                       for r in results if r.status == 409), f"{[r.json for r in results]}")
            n = w.d.psql(f"SELECT count(*) FROM app.roll_calls WHERE house_id = '{hid}' AND status = 'open'")
            expect(n.strip() == "1", n)
            w.cancel(winner["id"])
        # a mark racing a close: in the closed roll-call, or 409; the close 200 or 422
        for _ in range(4):
            rc = w.opened(hid)
            w.marks(rc["id"], [{"resident_id": r1, "status": "absent"}])
            mark, close = harness.race([lambda: w.marks(rc["id"], [{"resident_id": r1, "status": "present"}], d=second),
                                        lambda: w.close(rc["id"])])
            expect(mark.status in (200, 409) and close.status == 200, f"{mark} {close}")
            line = w.get(rc["id"]).json["lines"][0]["status"]
            expect(line == ("present" if mark.status == 200 else "absent"), f"{mark.status} {line}")
    finally:
        second.close()


if __name__ == "__main__":
    harness.main(globals(), harness.Instance)
