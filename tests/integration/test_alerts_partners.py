"""The partner alert kinds (contract §16.10) in the alerts framework of §15.5. One daemon for
all tests. Agreement dates are Asia/Jakarta dates (§16.2), as are the instants of since and due_at.

- test_expiring_raised: an active partner whose agreement is expiring, with an open programme in
  a house: one alert (key, severity info, house, entity partner, resident/stay null, since
  00:00 of valid_until - 30, due_at 00:00 of the day after, details exactly); one per house (two
  programmes in a house still one; a house of the partner without such a programme none).
- test_not_raised_without_programme: draft, finished, cancelled programmes, a programme the
  house runs itself, a valid agreement and one without an end: no alert.
- test_expired: valid_until passed: the expiring alert is gone, the expired one (warning, since
  00:00 of the day after valid_until, due_at null) is there; running programmes count too.
- test_cleared: each listed cause clears it: valid_until changes (a new key, the old gone and its
  acknowledgement not carried), the agreement removed, the partner retired, the last open
  programme finished or cancelled, valid_until moved out of the 30 days.
- test_acknowledge: caseworker, manager and admin acknowledge (200); staff see the kinds and get
  403 `forbidden`, nothing written; partner users 404 on /alerts and /alerts/acknowledge."""

import datetime as dt
import os
import sys
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem, uid  # noqa: E402

TZ = zoneinfo.ZoneInfo("Asia/Jakarta")
ITEM_KEYS = {"key", "kind", "severity", "house_id", "resident_id", "stay_id", "entity", "entity_id", "since",
             "due_at", "details", "acknowledged_at", "acknowledged_by", "note"}
KINDS = ("partner_agreement_expiring", "partner_agreement_expired")


def day(offset):
    return (dt.datetime.now(TZ).date() + dt.timedelta(days=offset)).isoformat()


def midnight(offset):
    """00:00 Asia/Jakarta of today + OFFSET days, as the daemon writes an instant."""
    d = dt.datetime.now(TZ).date() + dt.timedelta(days=offset)
    return dt.datetime(d.year, d.month, d.day, tzinfo=TZ).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def agreement(valid_until):
    return {"number": "PKS-" + uid(), "signed_on": day(-200), "valid_until": day(valid_until)}


class World:
    def __init__(self, d):
        self.d = d
        self.t = d.login()
        self.a = d.house(self.t)["id"]
        self.b = d.house(self.t)["id"]
        self.c = d.house(self.t)["id"]

    def partner(self, houses=None, **fields):
        return self.d.must("POST", "partners", {"name": "Mitra " + uid(), "kind": "training_centre",
                                                "house_ids": houses or [self.a], **fields}, 201, token=self.t)

    def ppatch(self, p, body):
        return self.d.must("PATCH", f"partners/{p['id']}", body, token=self.t)

    def programme(self, house, partner, status="open"):
        """A programme of PARTNER in HOUSE, walked to STATUS (draft, open, running, finished, cancelled)."""
        g = self.d.must("POST", "programmes", {"house_id": house, "kind": "skills_training", "title": "Las " + uid(),
                                               "starts_on": day(-10), "partner_id": partner and partner["id"]},
                        201, token=self.t)
        path = {"draft": [], "open": ["open"], "running": ["open", "running"], "finished": ["open", "running", "finished"],
                "cancelled": ["open", "cancelled"]}[status]
        for s in path:
            g = self.status(g, s)
        return g

    def status(self, g, s):
        return self.d.must("PATCH", f"programmes/{g['id']}", {"status": s}, token=self.t)

    def alerts(self, token=None, house=None):
        got = []
        for kind in KINDS:
            q = f"alerts?kind={kind}&limit=200" + (f"&house_id={house}" if house else "")
            got += self.d.must("GET", q, token=token or self.t)["items"]
        return got

    def of(self, p, token=None):
        return [a for a in self.alerts(token) if a["entity_id"] == p["id"]]

    def ack(self, key, token=None):
        return self.d.request("POST", "/api/v1/alerts/acknowledge", json_body={"key": key}, token=token or self.t)

    def user(self, role, houses=None, **fields):
        password = "pw-" + uid() + uid()
        u = self.d.must("POST", "users", {"username": role[:2] + "-" + uid(), "password": password, "role": role,
                                          "full_name": "U " + uid(), "house_ids": houses or [], **fields},
                        201, token=self.t)
        return self.d.login(u["username"], password)

    def written(self):
        return self.d.psql("SELECT (SELECT count(*) FROM app.alert_acknowledgements), "
                           "(SELECT count(*) FROM app.audit_log), (SELECT count(*) FROM app.events)").strip()



def world(d):
    return harness.world_of(d, World)


def keys(items):
    return sorted(a["key"] for a in items)


def test_expiring_raised(d):
    w = world(d)
    p = w.partner([w.a, w.b, w.c], agreement=agreement(10))
    w.programme(w.a, p)
    w.programme(w.a, p, "running")
    w.programme(w.b, p)
    w.programme(w.c, p, "draft")
    got = sorted(w.of(p), key=lambda a: a["house_id"] == w.b)
    expect(len(got) == 2, f"one per house with an open/running programme: {got}")
    a = got[0]
    expect(set(a) == ITEM_KEYS, f"item fields: {sorted(a)}")
    expect(a == {"key": f"partner_agreement_expiring:{p['id']}:{w.a}:{day(10)}", "kind": "partner_agreement_expiring",
                 "severity": "info", "house_id": w.a, "resident_id": None, "stay_id": None, "entity": "partner",
                 "entity_id": p["id"], "since": midnight(10 - 30), "due_at": midnight(11),
                 "details": {"agreement_number": p["agreement"]["number"], "valid_until": day(10)},
                 "acknowledged_at": None, "acknowledged_by": None, "note": None}, f"alert: {a}")
    expect(got[1]["house_id"] == w.b and got[1]["key"] == f"partner_agreement_expiring:{p['id']}:{w.b}:{day(10)}",
           f"house b: {got[1]}")
    inb = [x["house_id"] for x in w.alerts(house=w.b) if x["entity_id"] == p["id"]]
    expect(inb == [w.b], f"house_id filter: {inb}")
    expect(not [x for x in w.alerts(house=w.c) if x["entity_id"] == p["id"]], "a draft programme raises nothing")
    # the edges of expiring: today and today + 29 (since before today is allowed: 30 days before the end)
    for offset in (0, 29):
        q = w.partner(agreement=agreement(offset))
        w.programme(w.a, q)
        got = w.of(q)
        expect(len(got) == 1 and got[0]["kind"] == "partner_agreement_expiring"
               and got[0]["since"] == midnight(offset - 30) and got[0]["due_at"] == midnight(offset + 1), f"{got}")


def test_not_raised_without_programme(d):
    w = world(d)
    p = w.partner([w.a, w.b], agreement=agreement(5))
    expect(w.of(p) == [], "no programme")
    for s in ("draft", "finished", "cancelled"):
        w.programme(w.a, p, s)
    w.programme(w.b, None)
    expect(w.of(p) == [], f"draft/finished/cancelled or the house's own programme: {w.of(p)}")
    for ag in (agreement(30), {"number": "PKS-" + uid(), "signed_on": day(-10)}, None):
        q = w.partner(agreement=ag)
        w.programme(w.a, q)
        expect(w.of(q) == [], f"agreement {ag}: {w.of(q)}")


def test_expired(d):
    w = world(d)
    p = w.partner([w.a], agreement=agreement(-1))
    w.programme(w.a, p, "running")
    got = w.of(p)
    expect(len(got) == 1, f"{got}")
    a = got[0]
    expect(a["key"] == f"partner_agreement_expired:{p['id']}:{w.a}:{day(-1)}" and a["kind"] == "partner_agreement_expired"
           and a["severity"] == "warning" and a["house_id"] == w.a and a["entity"] == "partner"
           and a["resident_id"] is None and a["stay_id"] is None and a["since"] == midnight(0) and a["due_at"] is None
           and a["details"] == {"agreement_number": p["agreement"]["number"], "valid_until": day(-1)}, f"{a}")
    # valid_until passing: the expiring alert gives way to the expired one (the stored date moved back)
    q = w.partner([w.a], agreement=agreement(0))
    w.programme(w.a, q)
    expect([x["kind"] for x in w.of(q)] == ["partner_agreement_expiring"], f"{w.of(q)}")
    d.psql(f"UPDATE app.partners SET agreement_valid_until = agreement_valid_until - 1 WHERE id = '{q['id']}'")
    got = w.of(q)
    expect(len(got) == 1 and got[0]["kind"] == "partner_agreement_expired" and got[0]["since"] == midnight(0)
           and got[0]["key"] == f"partner_agreement_expired:{q['id']}:{w.a}:{day(-1)}", f"passed: {got}")
    long_ago = w.partner([w.a], agreement=agreement(-90))
    w.programme(w.a, long_ago)
    got = w.of(long_ago)
    expect(len(got) == 1 and got[0]["since"] == midnight(-89), f"since is the day after valid_until: {got}")


def test_cleared(d):
    w = world(d)
    # valid_until changes: a new key, the old one gone with its acknowledgement left behind
    p = w.partner([w.a], agreement=agreement(10))
    w.programme(w.a, p)
    old = w.of(p)[0]["key"]
    expect(w.ack(old).status == 200, "ack")
    w.ppatch(p, {"agreement": {**p["agreement"], "valid_until": day(20)}})
    got = w.of(p)
    expect(keys(got) == [f"partner_agreement_expiring:{p['id']}:{w.a}:{day(20)}"] and got[0]["acknowledged_at"] is None,
           f"a new valid_until is a new alert: {got}")
    w.ppatch(p, {"agreement": {**p["agreement"], "valid_until": day(30)}})
    expect(w.of(p) == [], "valid again: cleared")
    # the agreement removed
    p = w.partner([w.a], agreement=agreement(3))
    w.programme(w.a, p)
    expect(len(w.of(p)) == 1, "raised")
    w.ppatch(p, {"agreement": None})
    expect(w.of(p) == [], "agreement removed")
    # the partner retired (expiring and expired alike)
    for offset in (3, -3):
        p = w.partner([w.a], agreement=agreement(offset))
        w.programme(w.a, p)
        expect(len(w.of(p)) == 1, "raised")
        w.ppatch(p, {"active": False})
        expect(w.of(p) == [], f"retired ({offset})")
    # no open or running programme remains: finished, cancelled
    for end in ("finished", "cancelled"):
        p = w.partner([w.a], agreement=agreement(3))
        g1 = w.programme(w.a, p, "running")
        g2 = w.programme(w.a, p)
        w.status(g1, "finished")
        expect(len(w.of(p)) == 1, "another programme still open")
        if end == "finished":
            w.status(w.status(g2, "running"), "finished")
        else:
            w.status(g2, "cancelled")
        expect(w.of(p) == [], f"last programme {end}")


def test_acknowledge(d):
    w = world(d)
    p = w.partner([w.a], agreement=agreement(7))
    q = w.partner([w.a], agreement=agreement(-7))
    r = w.partner([w.a], agreement=agreement(12))
    for x in (p, q, r):
        w.programme(w.a, x)
    staff = w.user("staff", [w.a])
    seen = keys(a for a in w.alerts(staff) if a["entity_id"] in (p["id"], q["id"], r["id"]))
    expect(len(seen) == 3, f"staff see both kinds: {seen}")
    before = w.written()
    for key in seen:
        expect_problem(w.ack(key, staff), 403, "forbidden")
    expect(w.written() == before, "a refused acknowledgement wrote something")
    for x, tok in zip((p, q, r), (w.user("caseworker", [w.a]), w.user("manager", [w.a]), w.t)):
        key = w.of(x)[0]["key"]
        got = w.ack(key, tok)
        expect(got.status == 200 and got.json["key"] == key and got.json["acknowledged_at"], f"{got}")
        expect_problem(w.ack(key, tok), 409, "already_acknowledged")
        expect(w.of(x)[0]["acknowledged_at"] == got.json["acknowledged_at"], "listed acknowledged")
    pt = w.user("partner", partner_id=p["id"])
    expect_problem(d.request("GET", "/api/v1/alerts", token=pt), 404, "not_found")
    expect_problem(d.request("POST", "/api/v1/alerts/acknowledge", json_body={"key": w.of(p)[0]["key"]}, token=pt),
                   404, "not_found")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
