"""Shift handover notes (contract §17.9, roles §17.1, audit/events §17.12). One daemon.

- test_every_house_role_writes_a_note: admin, manager, caseworker and staff of the house -> 201
  with every key, flags in the order given, default [], the author's name; audit
  handover_note.create with the note as `after`; event handover_note.created with ids only.
- test_field_rules_422: shift, note (blank after trimming, 5001 characters), flags (unknown,
  repeated, 7 values, not an array) -> 422 naming the field; nothing written.
- test_other_house_404: a user of another house -> 404 on POST and GET; nothing written.
- test_list_filters_and_csv: creation order; shift, flag, from/to (house dates); paging; CSV with
  the columns (no flags) and one row per note.
- test_database_refuses_changes: UPDATE, DELETE and TRUNCATE of a note are refused; flags outside
  the list, repeated or blank notes fail the CHECKs through psql."""

import csv
import datetime as dt
import io
import os
import sys
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem  # noqa: E402

KEYS = {"id", "house_id", "shift", "note", "flags", "author_id", "author_name", "created_at", "updated_at"}


def count(d, hid):
    return d.psql(f"SELECT count(*) FROM app.handover_notes WHERE house_id = '{hid}'").strip() + "/" + \
        d.psql("SELECT count(*) FROM app.audit_log").strip()


def test_every_house_role_writes_a_note(d):
    t = d.login()
    h = d.house(t)
    for role in ("admin", "manager", "caseworker", "staff"):
        u, tok = (None, t) if role == "admin" else d.user(t, role, [h["id"]])
        n = d.must("POST", f"houses/{h['id']}/handover-notes",
                   {"shift": "night", "note": f"  Lampu kamar 2 mati ({role})\n", "flags": ["visitor", "maintenance"]},
                   201, token=tok)
        expect(set(n) == KEYS, f"keys: {sorted(n)}")
        expect(n["flags"] == ["visitor", "maintenance"], f"order kept: {n['flags']}")
        expect(n["note"] == f"Lampu kamar 2 mati ({role})", f"trimmed: {n['note']!r}")
        expect(n["house_id"] == h["id"] and n["shift"] == "night", f"{n}")
        if u:
            expect(n["author_id"] == u["id"] and n["author_name"] == u["full_name"], f"author: {n}")
        audit = d.psql(f"SELECT action || ' ' || entity || ' ' || (after->>'id') FROM app.audit_log "
                       f"WHERE entity_id = '{n['id']}'").strip().split("\n")
        expect(audit == [f"handover_note.create handover_note {n['id']}"], f"audit: {audit}")
        ev = d.psql(f"SELECT data::text FROM app.events WHERE name = 'handover_note.created' "
                    f"AND data->>'id' = '{n['id']}'").strip()
        expect(ev and '"entity": "handover_note"' in ev and "Lampu" not in ev, f"event: {ev!r}")
    plain = d.must("POST", f"houses/{h['id']}/handover-notes", {"shift": "morning", "note": "Aman."}, 201, token=t)
    expect(plain["flags"] == [], f"default flags: {plain['flags']}")


def test_field_rules_422(d):
    t = d.login()
    h = d.house(t)
    path = f"houses/{h['id']}/handover-notes"
    before = count(d, h["id"])
    for field, body in [
        ("shift", {"note": "x"}),
        ("shift", {"shift": "evening", "note": "x"}),
        ("note", {"shift": "night"}),
        ("note", {"shift": "night", "note": " \n\t "}),
        ("note", {"shift": "night", "note": "x" * 5001}),
        ("flags", {"shift": "night", "note": "x", "flags": ["fire"]}),
        ("flags", {"shift": "night", "note": "x", "flags": ["medical", "medical"]}),
        ("flags", {"shift": "night", "note": "x", "flags": ["incident", "medical", "maintenance", "security",
                                                           "follow_up", "visitor", "incident"]}),
        ("flags", {"shift": "night", "note": "x", "flags": "medical"}),
        ("flags", {"shift": "night", "note": "x", "flags": [1]}),
    ]:
        r = d.request("POST", "/api/v1/" + path, json_body=body, token=t)
        expect_problem(r, 422, "validation_failed")
        expect(field in [e["field"] for e in r.json["errors"]], f"{body}: errors {r.json['errors']}")
    six = ["incident", "medical", "maintenance", "security", "follow_up", "visitor"]
    expect(count(d, h["id"]) == before, "a refused note wrote something")
    d.must("POST", path, {"shift": "afternoon", "note": "x" * 5000, "flags": six}, 201, token=t)


def test_other_house_404(d):
    t = d.login()
    h, other = d.house(t), d.house(t)
    _, staff = d.user(t, "staff", [other["id"]])
    before = count(d, h["id"])
    expect_problem(d.request("POST", f"/api/v1/houses/{h['id']}/handover-notes",
                             json_body={"shift": "night", "note": "x"}, token=staff), 404, "not_found")
    expect_problem(d.request("GET", f"/api/v1/houses/{h['id']}/handover-notes", token=staff), 404, "not_found")
    expect(count(d, h["id"]) == before, "a 404 wrote something")


def test_list_filters_and_csv(d):
    t = d.login()
    h = d.house(t)
    path = f"houses/{h['id']}/handover-notes"
    made = [d.must("POST", path, {"shift": s, "note": f"catatan {i}", "flags": f}, 201, token=t)
            for i, (s, f) in enumerate([("morning", []), ("night", ["incident"]), ("night", ["medical", "incident"]),
                                        ("afternoon", ["follow_up"])])]
    ids = [n["id"] for n in made]
    expect([n["id"] for n in d.must("GET", path, token=t)["items"]] == ids, "creation order")
    expect([n["id"] for n in d.must("GET", path + "?shift=night", token=t)["items"]] == ids[1:3], "shift")
    expect([n["id"] for n in d.must("GET", path + "?flag=incident", token=t)["items"]] == ids[1:3], "flag")
    today = dt.datetime.now(zoneinfo.ZoneInfo(h["timezone"])).date()
    yesterday, tomorrow = today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    expect(len(d.must("GET", f"{path}?from={today}&to={today}", token=t)["items"]) == 4, "today's notes")
    expect(d.must("GET", f"{path}?to={yesterday}", token=t)["items"] == [], "before today")
    expect(d.must("GET", f"{path}?from={tomorrow}", token=t)["items"] == [], "after today")
    page = d.must("GET", path + "?limit=3", token=t)
    expect([n["id"] for n in page["items"]] == ids[:3] and page["next_cursor"], f"page 1: {page}")
    rest = d.must("GET", f"{path}?limit=3&cursor={page['next_cursor']}", token=t)
    expect([n["id"] for n in rest["items"]] == ids[3:] and rest["next_cursor"] is None, f"page 2: {rest}")
    expect_problem(d.request("GET", "/api/v1/" + path + "?flag=fire", token=t), 422, "validation_failed")
    r = d.request("GET", "/api/v1/" + path, headers={"Accept": "text/csv"}, token=t)
    expect(r.status == 200 and r.header("content-type").startswith("text/csv"), f"csv: {r}")
    rows = list(csv.reader(io.StringIO(r.text)))
    expect(rows[0] == ["id", "house_id", "shift", "note", "author_id", "author_name", "created_at", "updated_at"],
           f"header: {rows[0]}")
    expect([row[0] for row in rows[1:]] == ids and rows[2][3] == "catatan 1", f"rows: {rows[1:]}")


def test_database_refuses_changes(d):
    t = d.login()
    h = d.house(t)
    n = d.must("POST", f"houses/{h['id']}/handover-notes", {"shift": "night", "note": "tetap"}, 201, token=t)
    user_id = d.psql(f"SELECT author_id FROM app.handover_notes WHERE id = '{n['id']}'").strip()
    for sql in [f"UPDATE app.handover_notes SET note = 'diubah' WHERE id = '{n['id']}'",
                f"DELETE FROM app.handover_notes WHERE id = '{n['id']}'",
                "TRUNCATE app.handover_notes"]:
        try:
            d.psql(sql)
        except Exception as e:  # noqa: BLE001 - psql's failure is the point
            expect("append-only" in str(e), f"{sql}: {e}")
        else:
            raise AssertionError(f"{sql}: accepted")
    for flags, note in [("{fire}", "x"), ("{medical,medical}", "x"), ("{}", "  \n ")]:
        try:
            d.psql(f"INSERT INTO app.handover_notes (house_id, shift, note, flags, author_id) "
                   f"VALUES ('{h['id']}', 'night', E'{note}', '{flags}', '{user_id}')")
        except Exception as e:  # noqa: BLE001
            expect("handover_notes_" in str(e), f"{flags}: {e}")
        else:
            raise AssertionError(f"flags {flags}, note {note!r}: accepted")
    got = d.psql(f"SELECT note FROM app.handover_notes WHERE id = '{n['id']}'").strip()
    expect(got == "tetap", f"the note changed: {got!r}")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
