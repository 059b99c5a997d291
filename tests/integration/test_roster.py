"""The house roster (contract §17.8), the paper backup of the bed board. One daemon for all tests.

- test_roster_json: every resident in residence now and no one else (checked out, not yet
  checked in), in the bed board's order (room code, bed label), the item's keys, `since` the
  stay's check-in (not the bed period's, after a transfer), `out` the open movement with
  overdue, null when in; emergency_contact for manager and admin only (the key absent for
  caseworker and staff); not paginated; 404 for a house not seen, partner 404.
- test_roster_csv: §3 flattening: out.* columns always (empty when in), emergency_contact.*
  for manager/admin only.
- test_roster_print: the print page: CSP, one <tr data-resident-id> per resident, who is out
  and until when, empty status and signature columns, the house, the time printed and who
  printed it, Indonesian labels, emergency contacts only for managers (on A4 landscape), escaped
  values."""

import csv
import datetime as dt
import io
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem  # noqa: E402
from test_roll_calls import NOBODY, Tags, World, ago, iso  # noqa: E402

KEYS = {"resident_id", "full_name", "register_number", "sex", "stay_id", "room_code", "bed_id", "bed_label",
        "since", "caseworker_id", "out", "emergency_contact"}
OUT_KEYS = {"movement_id", "purpose", "destination", "expected_back_at", "overdue"}
CONTACT = {"name": "Ibu <Siti>", "phone": "+62 811 1234", "relation": "ibu"}


class Roster(World):
    def __init__(self, d):
        super().__init__(d)
        self.hid = self.house(name="Griya <Aman>")["id"]
        self.manager = self.user("manager", [self.hid])[1]
        self.staff = self.user("staff", [self.hid])[1]
        self.cw = self.user("caseworker", [self.hid])[1]
        b2, b1 = self.beds(self.hid, "B", ["2", "1"])
        (a1,) = self.beds(self.hid, "A", ["1"])
        (c1, c2) = self.beds(self.hid, "C", ["1", "2"])
        self.zed, self.zed_stay = self.stay(self.hid, b2, ago(hours=5), "Zainal")
        self.ali, self.ali_stay = self.stay(self.hid, b1, ago(hours=5), "Ali")
        self.budi, self.budi_stay = self.stay(self.hid, a1, ago(hours=5), "Budi")
        d.must("PATCH", f"residents/{self.budi['id']}", {"emergency_contact": CONTACT}, token=self.token,
               headers={"If-Match": f'"{self.budi["version"]}"'})
        gone, gone_stay = self.stay(self.hid, c1, ago(hours=5), "Eko")
        d.must("POST", f"stays/{gone_stay['id']}/checkout", {"exit_reason": "completed", "destination": "family"},
               token=self.token)
        # Zainal moves to C/2 after his check-in: since stays his check-in
        d.must("POST", f"stays/{self.zed_stay['id']}/transfer", {"bed_id": c2, "at": ago(hours=1)}, token=self.token)
        self.back_by = iso(dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=3))
        self.move = d.must("POST", f"stays/{self.ali_stay['id']}/movements",
                           {"purpose": "work", "destination": "Pasar <Baru>", "expected_back_at": self.back_by},
                           201, token=self.token)

    def roster(self, token=None, **kw):
        return self.d.request("GET", f"/api/v1/houses/{self.hid}/roster", token=token or self.token, **kw)


def world(d):
    return harness.world_of(d, Roster)


def test_roster_json(d):
    w = world(d)
    r = w.roster()
    expect(r.status == 200 and set(r.json) == {"items"}, f"{r}")
    items = r.json["items"]
    expect([(x["room_code"], x["bed_label"], x["full_name"]) for x in items]
           == [("A", "1", "Budi"), ("B", "1", "Ali"), ("C", "2", "Zainal")], f"{items}")
    expect(all(set(x) == KEYS for x in items), "keys")
    by = {x["full_name"]: x for x in items}
    expect(by["Zainal"]["since"] == w.zed_stay["checked_in_at"] and by["Zainal"]["stay_id"] == w.zed_stay["id"],
           f"since {by['Zainal']}")
    expect(set(by["Ali"]["out"]) == OUT_KEYS and by["Ali"]["out"] == {
        "movement_id": w.move["id"], "purpose": "work", "destination": "Pasar <Baru>",
        "expected_back_at": w.back_by, "overdue": False}, f"out {by['Ali']['out']}")
    expect(by["Budi"]["out"] is None and by["Budi"]["emergency_contact"] == CONTACT, f"{by['Budi']}")
    expect((by["Budi"]["sex"], by["Budi"]["register_number"]) == ("male", w.budi["register_number"]), "fields")
    expect(w.roster(w.manager).json == r.json, "manager sees the same")
    for token in (w.staff, w.cw):
        seen = w.roster(token).json["items"]
        expect([x["resident_id"] for x in seen] == [x["resident_id"] for x in items], "same residents")
        expect(all(set(x) == KEYS - {"emergency_contact"} for x in seen), f"no emergency_contact: {seen[0]}")
    expect_problem(w.d.request("GET", f"/api/v1/houses/{NOBODY}/roster", token=w.token), 404, "not_found")
    expect_problem(w.d.request("GET", f"/api/v1/houses/{w.hid}/roster", token=w.user("staff", [w.other])[1]),
                   404, "not_found")


def test_roster_csv(d):
    w = world(d)
    r = w.roster(headers={"Accept": "text/csv"})
    expect(r.status == 200 and r.header("content-type").startswith("text/csv"), f"{r}")
    rows = list(csv.DictReader(io.StringIO(r.raw.decode())))
    cols = list(rows[0])
    expect(cols[-8:] == ["out.movement_id", "out.purpose", "out.destination", "out.expected_back_at", "out.overdue",
                         "emergency_contact.name", "emergency_contact.phone", "emergency_contact.relation"], f"{cols}")
    by = {x["full_name"]: x for x in rows}
    expect(by["Ali"]["out.expected_back_at"] == w.back_by and by["Budi"]["out.movement_id"] == "", "out columns")
    expect(by["Budi"]["emergency_contact.phone"] == "'+62 811 1234", f"contact {by['Budi']}")
    for token in (w.staff, w.cw):
        text = w.roster(token, headers={"Accept": "text/csv"}).raw.decode()
        head = text.split("\r\n")[0].split(",")
        expect("out.purpose" in head and not [c for c in head if c.startswith("emergency")], f"{head}")
        expect("Siti" not in text, "no contact value")


def test_roster_print(d):
    w = world(d)
    for token, lang, contact in ((w.manager, "id", True), (w.staff, "en", False), (w.token, "en", True)):
        r = w.roster(token, headers={"Accept": "text/html", "Accept-Language": lang})
        expect(r.status == 200 and r.header("content-type") == "text/html; charset=utf-8", f"{r}")
        expect(r.header("content-security-policy") == "default-src 'none'; style-src 'unsafe-inline'", "CSP")
        page = r.raw.decode()
        tags = Tags()
        tags.feed(page)
        expect("script" not in {t for t, _ in tags.seen} and not [a for _, a in tags.seen if a == "src"
                                                                   or a.startswith("on")], "self-contained")
        ids = re.findall(r'<tr data-resident-id="([^"]+)">', page)
        expect(ids == [w.budi["id"], w.ali["id"], w.zed["id"]], f"rows {ids}")
        expect(page.count('data-column="signature"') == 1 and "Griya &lt;Aman&gt;" in page, "house, signature")
        expect(("Ibu &lt;Siti&gt;" in page) == contact and ("Kontak darurat" in page or "Emergency contact" in page)
               == contact, f"contact {lang}")
        expect(("Dicetak oleh" if lang == "id" else "Printed by") in page and "Asia/Jakarta" in page, "printed")
        expect(("bekerja" if lang == "id" else "work") in page, "who is out")
        # the last two cells of every row (status, signature) are empty
        for row in re.findall(r"<tr data-resident-id=[^>]*>(.*?)</tr>", page):
            expect(row.endswith("<td></td><td></td>"), f"blank columns: {row}")
        expect('data-total="in_residence">3<' in page and 'data-total="out">1<' in page, "totals")
        # the contacts' column turns the paper (A4 landscape); without it A4 portrait
        expect(("A4 landscape" in page) == contact and "size:A4 portrait" in page, "orientation")
    expect_problem(w.d.request("GET", f"/api/v1/houses/{NOBODY}/roster", token=w.token,
                               headers={"Accept": "text/html"}), 404, "not_found")


if __name__ == "__main__":
    harness.main(globals(), harness.Instance)
