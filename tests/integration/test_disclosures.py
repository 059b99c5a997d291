"""Disclosure accounting (contract §18.4) and the processing history (§18.5). One daemon.

- test_resident_read: a caseworker's GET of a resident with national_id and notes appends one
  `read` record (fields, entity, entity_id, path, purpose from X-Purpose, request_id, role) per
  answer, committed before the answer; staff (no sensitive field) and a resident whose
  sensitive fields are null append none; a manager's list page records each resident it
  carries sensitive fields of, once.
- test_purpose_422: X-Purpose of 201 characters or with a control character -> 422 naming
  X-Purpose, no data, nothing recorded; 200 characters are recorded whole.
- test_exports: a residents CSV appends one `export` record per resident in it with the CSV's
  columns (national_id and notes only for the roles that get them), whatever the role; the
  roster's print page one per resident in residence with the columns shown; a CSV without
  names (the stays CSV) none.
- test_legal_basis_and_referral: a caseworker's read of a legal basis is `legal_basis`, staff's
  none; a referral's national_id/litmas_number/notes are `referral` once it is linked to a
  resident (accepted), nothing before.
- test_audit_answers: a manager's GET /audit carrying a resident record's national_id is a
  `read` of entity `audit` for that resident.
- test_unavailable: when the record cannot be written the caseworker gets 503 `unavailable`
  and no data, and staff still get theirs.
- test_disclosures_list: managers see their houses' records in creation order, with the
  filters (kind, resident_id, user_id, from/to in house dates), paging and CSV (not itself
  recorded); caseworker and staff 403, another house 404, bad kind 422.
- test_processing_history: the resident's changes (fields changed, sorted, without version and
  updated_at; every key on creation) and disclosures merged by time, changes first on a tie;
  paging by cursor; from/to; reading it records nothing; staff 403, another house 404; the
  print page (CSP, name and register number, escaped, Indonesian with Accept-Language: id)."""

import datetime as dt
import os
import random
import sys
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem, uid  # noqa: E402

JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")
COLUMNS = ("kind, user_id, role, partner_id, resident_id, house_id, entity, entity_id, "
           "array_to_string(fields, ','), purpose, consent_id, request_id, path")


def q(d, sql):
    return d.psql(sql).strip()


class World(harness.HouseTeam):
    def resident(self, **fields):
        return self.d.resident(self.token, self.house, national_id=nik(), notes="catatan " + uid(), **fields)

    def records(self, where):
        return q(self.d, f"SELECT {COLUMNS} FROM app.disclosures WHERE {where} ORDER BY seq").splitlines()

    def count(self, where="true"):
        return int(q(self.d, f"SELECT count(*) FROM app.disclosures WHERE {where}"))


def world(d):
    return harness.world_of(d, World)


def nik():
    return "".join(random.choice("0123456789") for _ in range(16))


def test_resident_read(d):
    w = world(d)
    r = d.resident(w.token, w.house, national_id="3" * 16, notes="alergi")
    path = f"/api/v1/residents/{r['id']}"
    got = d.request("GET", path, token=w.cw_token, headers={"X-Purpose": "kunjungan rumah"})
    expect(got.status == 200 and got.json["national_id"] == "3" * 16, f"caseworker GET: {got}")
    req = got.header("x-request-id")
    rows = w.records(f"request_id = '{req}'")
    want = [f"read|{w.cw['id']}|caseworker||{r['id']}|{w.house}|resident|{r['id']}|national_id,notes|"
            f"kunjungan rumah||{req}|{path}"]
    expect(rows == want, f"one read record: {rows}, expected {want}")
    # every answer its record (the direct read and its repeat alike)
    before = w.count(f"resident_id = '{r['id']}'")
    for _ in range(3):
        d.must("GET", path, token=w.cw_token)
    expect(w.count(f"resident_id = '{r['id']}'") == before + 3, "one record per answer")
    # staff get no sensitive field: nothing recorded
    before = w.count(f"resident_id = '{r['id']}'")
    got = d.must("GET", path, token=w.staff)
    expect("national_id" not in got and w.count(f"resident_id = '{r['id']}'") == before, "staff: no record")
    # nulls carry nothing
    plain = d.resident(w.token, w.house)
    d.must("GET", f"residents/{plain['id']}", token=w.cw_token)
    expect(w.count(f"resident_id = '{plain['id']}'") == 0, "a resident without sensitive values: no record")
    only_notes = d.resident(w.token, w.house, notes="x")
    d.must("GET", f"residents/{only_notes['id']}", token=w.manager)
    expect(w.records(f"resident_id = '{only_notes['id']}'")[0].split("|")[8] == "notes", "only the non-null field")
    # a list page: one record per resident it carries sensitive fields of
    house = d.house(w.token)["id"]
    _, mgr = d.user(w.token, "manager", [house])
    a = d.resident(w.token, house, national_id="1" * 16)
    b = d.resident(w.token, house)
    got = d.request("GET", f"/api/v1/residents?house_id={house}", token=mgr)
    rows = w.records(f"request_id = '{got.header('x-request-id')}'")
    expect(got.status == 200 and len(got.json["items"]) == 2
           and [x.split("|")[4] for x in rows] == [a["id"]] and rows[0].split("|")[7] == "",
           f"list: one record, for {a['id']} only, no entity_id: {rows} (b {b['id']})")


def test_purpose_422(d):
    w = world(d)
    r = w.resident()
    path = f"/api/v1/residents/{r['id']}"
    before = w.count()
    for bad in ("x" * 201, "kunjungan\x01rumah", "tab\there"):
        got = d.request("GET", path, token=w.cw_token, headers={"X-Purpose": bad})
        expect_problem(got, 422, "validation_failed", field="X-Purpose")
        expect("national_id" not in (got.text or ""), "no data with the 422")
    expect(w.count() == before, "nothing recorded for a refused purpose")
    got = d.request("GET", path, token=w.cw_token, headers={"X-Purpose": ("é" * 200).encode()})
    expect(got.status == 200, f"200 characters: {got}")
    expect(q(d, f"SELECT purpose FROM app.disclosures WHERE request_id = '{got.header('x-request-id')}'")
           == "é" * 200, "the purpose recorded whole")


def test_exports(d):
    w = world(d)
    house = d.house(w.token)["id"]
    _, cw = d.user(w.token, "caseworker", [house])
    _, staff = d.user(w.token, "staff", [house])
    people = [d.resident(w.token, house, national_id=str(i) * 16) for i in range(1, 4)]
    for token, role, sensitive in ((cw, "caseworker", True), (staff, "staff", False)):
        got = d.request("GET", f"/api/v1/residents?house_id={house}", token=token, headers={"Accept": "text/csv"})
        header = got.text.splitlines()[0]
        rows = w.records(f"request_id = '{got.header('x-request-id')}'")
        expect(got.status == 200 and sorted(x.split("|")[4] for x in rows) == sorted(p["id"] for p in people),
               f"{role} CSV: one export per resident: {rows}")
        expect(all(x.split("|")[0] == "export" and x.split("|")[8] == header for x in rows),
               f"{role}: fields are the CSV's columns {header}: {rows}")
        expect(("national_id" in header.split(",")) == sensitive, f"{role} CSV columns: {header}")
    # the roster's print page: the residents in residence, the columns shown
    room = d.room(w.token, house)["id"]
    inside = people[:2]
    for p in inside:
        d.must("POST", "stays", {"resident_id": p["id"], "bed_id": d.bed(w.token, room)["id"],
                                 "rules_acknowledged": True}, 201, token=w.token)
    got = d.request("GET", f"/api/v1/houses/{house}/roster", token=staff, headers={"Accept": "text/html"})
    rows = w.records(f"request_id = '{got.header('x-request-id')}'")
    expect(got.status == 200 and sorted(x.split("|")[4] for x in rows) == sorted(p["id"] for p in inside)
           and {x.split("|")[8] for x in rows} == {"number,full_name,register_number,room,bed,out_until,mark,signature"}
           and {x.split("|")[6] for x in rows} == {"roster"} and {x.split("|")[7] for x in rows} == {house},
           f"roster print: {rows}")
    # a CSV that names no one is no export
    before = w.count()
    got = d.request("GET", f"/api/v1/stays?house_id={house}", token=w.token, headers={"Accept": "text/csv"})
    expect(got.status == 200 and w.count() == before, "the stays CSV names no one: no record")


def test_legal_basis_and_referral(d):
    w = world(d)
    r = d.resident(w.token, w.house)
    day = dt.datetime.now(JAKARTA).date()
    basis = d.must("POST", f"residents/{r['id']}/legal-bases",
                   {"type": "pembebasan_bersyarat", "decree_number": "PAS-" + uid(),
                    "decree_date": str(day - dt.timedelta(days=40)), "starts_on": str(day - dt.timedelta(days=30)),
                    "supervision_ends_on": str(day + dt.timedelta(days=300))}, 201, token=w.token)
    got = d.request("GET", f"/api/v1/legal-bases/{basis['id']}", token=w.cw_token)
    rows = w.records(f"request_id = '{got.header('x-request-id')}'")
    expect(got.status == 200 and [x.split("|")[4:10] for x in rows]
           == [[r["id"], w.house, "legal_basis", basis["id"], "legal_basis", ""]], f"legal basis read: {rows}")
    before = w.count()
    d.must("GET", f"legal-bases/{basis['id']}", token=w.staff)
    d.must("GET", f"legal-bases?resident_id={r['id']}", token=w.staff)
    expect(w.count() == before, "staff get no decree: no record")
    got = d.request("GET", f"/api/v1/legal-bases?resident_id={r['id']}", token=w.manager)
    expect(len(w.records(f"request_id = '{got.header('x-request-id')}'")) == 1, "the list: one record")
    # a referral: nothing while it is no one's, `referral` once accepted
    f = d.must("POST", "referrals", {"house_id": w.house, "full_name": "Rujukan " + uid(), "register_number": "W-" + uid(),
                                     "sex": "male", "from_institution": "Lapas Kelas IIA Jambi",
                                     "expected_legal_basis": "pembebasan_bersyarat",
                                     "expected_arrival_on": str(day + dt.timedelta(days=3)), "national_id": nik(),
                                     "litmas_number": "LIT-" + uid()}, 201, token=w.token)
    before = w.count()
    d.must("GET", f"referrals/{f['id']}", token=w.manager)
    expect(w.count() == before, "an unlinked referral: no record")
    accepted = d.must("POST", f"referrals/{f['id']}/accept", None, token=w.manager)
    got = d.request("GET", f"/api/v1/referrals/{f['id']}", token=w.manager)
    rows = w.records(f"request_id = '{got.header('x-request-id')}'")
    expect([x.split("|")[4:9] for x in rows] == [[accepted["resident_id"], w.house, "referral", f["id"], "referral"]],
           f"linked referral read: {rows}")


def test_audit_answers(d):
    w = world(d)
    r = w.resident()
    got = d.request("GET", f"/api/v1/audit?entity_id={r['id']}", token=w.manager)
    rows = w.records(f"request_id = '{got.header('x-request-id')}'")
    expect(got.status == 200 and len(rows) == 1 and rows[0].split("|")[4] == r["id"]
           and rows[0].split("|")[6] == "audit" and rows[0].split("|")[8] == "national_id,notes",
           f"the audit answer's record: {rows}")


def test_unavailable(d):
    w = world(d)
    r = w.resident()
    d.psql("ALTER TABLE app.disclosures ADD CONSTRAINT it_refuse CHECK (false) NOT VALID")
    try:
        got = d.request("GET", f"/api/v1/residents/{r['id']}", token=w.cw_token)
        expect_problem(got, 503, "unavailable")
        expect(r["national_id"] not in got.text, "no data with the 503")
        got = d.request("GET", f"/api/v1/residents?house_id={w.house}", token=w.cw_token)
        expect_problem(got, 503, "unavailable")
        expect(d.request("GET", f"/api/v1/residents/{r['id']}", token=w.staff).status == 200, "staff still served")
    finally:
        d.psql("ALTER TABLE app.disclosures DROP CONSTRAINT it_refuse")
    expect(d.request("GET", f"/api/v1/residents/{r['id']}", token=w.cw_token).status == 200, "served again")


def test_disclosures_list(d):
    w = world(d)
    house = d.house(w.token)["id"]
    _, mgr = d.user(w.token, "manager", [house])
    cw, cw_token = d.user(w.token, "caseworker", [house])
    a = d.resident(w.token, house, national_id="4" * 16)
    b = d.resident(w.token, house, notes="n")
    d.must("GET", f"residents/{a['id']}", token=cw_token)
    d.must("GET", f"residents/{b['id']}", token=mgr, headers={"X-Purpose": "audit internal"})
    d.request("GET", f"/api/v1/residents?house_id={house}", token=mgr, headers={"Accept": "text/csv"})
    items = d.must("GET", f"disclosures?house_id={house}", token=mgr)["items"]
    expect([(i["kind"], i["resident_id"]) for i in items] == [("read", a["id"]), ("read", b["id"])]
           + sorted([("export", a["id"]), ("export", b["id"])], key=lambda x: items[2]["resident_id"] != x[1]),
           f"creation order: {items}")
    first = items[0]
    expect(set(first) == {"id", "at", "kind", "user_id", "role", "partner_id", "resident_id", "house_id", "entity",
                          "entity_id", "fields", "purpose", "consent_id", "request_id", "path"}
           and first["user_id"] == cw["id"] and first["fields"] == ["national_id"] and first["purpose"] is None,
           f"record keys: {first}")
    expect(items[1]["purpose"] == "audit internal", f"purpose: {items[1]}")
    by_kind = d.must("GET", f"disclosures?house_id={house}&kind=export", token=mgr)["items"]
    expect(len(by_kind) == 2 and {i["kind"] for i in by_kind} == {"export"}, f"kind filter: {by_kind}")
    by_res = d.must("GET", f"disclosures?house_id={house}&resident_id={a['id']}", token=mgr)["items"]
    expect({i["resident_id"] for i in by_res} == {a["id"]} and len(by_res) == 2, f"resident filter: {by_res}")
    by_user = d.must("GET", f"disclosures?house_id={house}&user_id={cw['id']}", token=mgr)["items"]
    expect(len(by_user) == 1, f"user filter: {by_user}")
    today = dt.datetime.now(JAKARTA).date()
    expect(len(d.must("GET", f"disclosures?house_id={house}&from={today}&to={today}", token=mgr)["items"]) == 4,
           "today's records")
    tomorrow = today + dt.timedelta(days=1)
    expect(d.must("GET", f"disclosures?house_id={house}&from={tomorrow}", token=mgr)["items"] == [], "none tomorrow")
    page = d.must("GET", f"disclosures?house_id={house}&limit=3", token=mgr)
    rest = d.must("GET", f"disclosures?house_id={house}&limit=3&cursor={page['next_cursor']}", token=mgr)
    expect([i["id"] for i in page["items"] + rest["items"]] == [i["id"] for i in items] and not rest["next_cursor"],
           "paging")
    before = w.count()
    got = d.request("GET", f"/api/v1/disclosures?house_id={house}", token=mgr, headers={"Accept": "text/csv"})
    expect(got.status == 200 and got.text.splitlines()[0].startswith("id,at,kind,user_id,role")
           and len(got.text.splitlines()) == 5 and w.count() == before, "CSV, not itself recorded")
    # only managers' houses, admins everything
    expect(all(i["house_id"] == w.house for i in d.must("GET", "disclosures", token=w.manager)["items"]),
           "a manager's own houses")
    expect_problem(d.request("GET", f"/api/v1/disclosures?house_id={house}", token=w.manager), 404, "not_found")
    expect_problem(d.request("GET", "/api/v1/disclosures", token=cw_token), 403, "forbidden")
    expect_problem(d.request("GET", "/api/v1/disclosures", token=w.staff), 403, "forbidden")
    expect_problem(d.request("GET", "/api/v1/disclosures?kind=peek", token=mgr), 422, "validation_failed", field="kind")
    expect_problem(d.request("GET", f"/api/v1/disclosures?from={tomorrow}&to={today}", token=mgr), 422,
                   "validation_failed", field="to")


def test_processing_history(d):
    w = world(d)
    r = d.resident(w.token, w.house, full_name="Budi <b>&amp;</b>", national_id="5" * 16)
    d.must("PATCH", f"residents/{r['id']}", {"phone": "0812", "notes": "baru"}, token=w.token,
           headers={"If-Match": '"1"'})
    d.must("GET", f"residents/{r['id']}", token=w.cw_token, headers={"X-Purpose": "kunjungan rumah"})
    path = f"residents/{r['id']}/processing-history"
    before = w.count()
    items = d.must("GET", path, token=w.cw_token)["items"]
    expect(w.count() == before, "reading the history records nothing")
    expect([(i["type"], i["action"]) for i in items] == [("change", "resident.create"), ("change", "resident.update"),
                                                         ("disclosure", "read")], f"entries: {items}")
    create, update, read = items
    expect(set(create) == {"at", "type", "action", "user", "partner_id", "entity", "entity_id", "fields", "purpose",
                           "consent_id", "request_id", "record_id", "redacted"}, f"keys: {create}")
    expect("full_name" in create["fields"] and "version" not in create["fields"] and create["fields"] == sorted(
        create["fields"]) and create["user"]["role"] == "admin" and create["redacted"] is False, f"create: {create}")
    expect(update["fields"] == ["notes", "phone"], f"update: the changed fields only: {update['fields']}")
    expect(read["fields"] == ["national_id", "notes"] and read["purpose"] == "kunjungan rumah"
           and read["user"] == {"id": w.cw["id"], "full_name": w.cw["full_name"], "role": "caseworker"}
           and read["redacted"] is False, f"disclosure: {read}")
    # paging over the merged order
    page = d.must("GET", path + "?limit=2", token=w.cw_token)
    rest = d.must("GET", path + f"?limit=2&cursor={page['next_cursor']}", token=w.cw_token)
    expect([i["record_id"] for i in page["items"] + rest["items"]] == [i["record_id"] for i in items], "paging")
    today = dt.datetime.now(JAKARTA).date()
    expect(len(d.must("GET", path + f"?from={today}&to={today}", token=w.cw_token)["items"]) == 3, "today")
    expect(d.must("GET", path + f"?to={today - dt.timedelta(days=1)}", token=w.cw_token)["items"] == [], "before")
    expect_problem(d.request("GET", "/api/v1/" + path, token=w.staff), 403, "forbidden")
    expect_problem(d.request("GET", "/api/v1/" + path, token=w.other_manager), 404, "not_found")
    # the print page
    for lang, title, who in (("id", "Rekam jejak pemrosesan", "pembimbing kemasyarakatan"),
                             ("en", "Processing history", "caseworker")):
        got = d.request("GET", "/api/v1/" + path, token=w.manager,
                        headers={"Accept": "text/html", "Accept-Language": lang})
        expect(got.status == 200 and got.header("content-type") == "text/html; charset=utf-8", f"html: {got}")
        expect(got.header("content-security-policy") == "default-src 'none'; style-src 'unsafe-inline'",
               f"CSP: {got.header('content-security-policy')}")
        html = got.text
        expect(title in html and r["register_number"] in html and "Budi &lt;b&gt;&amp;amp;&lt;/b&gt;" in html
               and "<b>" not in html and "<script" not in html, f"{lang} page: {html[:600]}")
        expect(who in html and "resident.update" in html and "kunjungan rumah" in html, f"{lang} rows: {html[-1500:]}")
    expect(w.count() == before, "the print page records nothing either")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
