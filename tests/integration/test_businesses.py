"""Micro-businesses (UMKM, contract §16.8, with §16.1's roles, §16.3's partner 404, §16.11's
events, §16.12's audit, §16.13's invariants and race, §16.14's codes). One daemon for all
tests; the race adds a second instance on its database. Each refused write is also checked
to have written nothing (no business, history, month, audit record or event; versions kept).

- test_create_and_read: 201 with every field, history of one entry, capital [], ETag,
  latest_month null, credit_readiness of a new business; business.create audit,
  business.created event (ids only, casework roles); GET; Idempotency-Key replay; initial
  stages.
- test_create_rejects_bad_input: every field rule of POST -> 422 naming the field.
- test_patch: the fields, If-Match 412, stage/resident_id/on 422, NIB correction, a
  registered business keeps a NIB or an SKU, an equal PATCH writes nothing.
- test_stage_transitions: every allowed and refused pair of §16.8's table (409
  invalid_transition with the Indonesian title), skipping, history append-only order.
- test_stage_data: registered needs nib or sku_number (422 nib), NIB 13 digits, NIB unique
  (409 conflict across businesses), funded needs capital_source + amount_idr (appended to
  capital), stage-specific fields with another stage 422, `on` not in the future nor before
  the current stage's, note length; business.stage audit, business.stage_changed event.
- test_history_append_only: UPDATE, DELETE and TRUNCATE of app.business_stages fail.
- test_months: 201 then 200, If-Match, profit_idr, ranges (10^13 ok, 10^13+1 422), workers,
  month path rules (malformed, 13th month, next month 422), latest_month, the list ordered
  by month with a cursor; business_month.put audit, business.month_recorded event; an equal
  PUT writes nothing.
- test_credit_readiness: every leg: legal_document nib/sku/null, months_trading (revenue > 0
  only), six months, trained stage, paused/closed, `missing` order.
- test_credit_readiness_from_programmes: an enrolled seat in a business_mentoring programme
  is in_mentoring (not in a skills_training one, not waitlisted, not after withdrawing); a
  completed skills_training or business_mentoring enrolment is training_completed (the
  completion is written by SQL: §16.7's route is not built), a completed social_activity
  one is not.
- test_list_filters_and_csv: house_id (404 for a house not seen), resident_id, stage, sector,
  paging, CSV without arrays.
- test_roles_and_houses: staff 403 on every route, a manager of another house 404 (and 422
  resident_id on create, an empty list), a partner user 404 on every route.
- test_race_new_month_two_instances: simultaneous PUTs of one new month over two daemons:
  one 201, the rest 200, one row, one creation audit record.
- test_race_nib_two_instances: two businesses registering one NIB at once: one 201, one 409."""

import csv
import datetime as dt
import io
import json
import os
import sys
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_legal_bases  # noqa: E402 - its World
from harness import expect, expect_problem, uid  # noqa: E402

STAGES = ["idea", "business_plan", "trained", "registered", "funded", "operating", "paused", "closed"]
KEYS = {"id", "resident_id", "house_id", "name", "sector", "description", "started_on", "stage", "stage_since",
        "nib", "sku_number", "sku_issued_on", "capital", "history", "latest_month", "credit_readiness", "version",
        "created_at", "updated_at"}
MONTH_KEYS = {"id", "business_id", "month", "revenue_idr", "costs_idr", "profit_idr", "workers", "note", "version",
              "created_at", "updated_at"}


def today():
    return dt.datetime.now(zoneinfo.ZoneInfo("Asia/Jakarta")).date()


def day(offset):
    """A date relative to the house's today (houses default to Asia/Jakarta)."""
    return (today() + dt.timedelta(days=offset)).isoformat()


def month(offset):
    """YYYY-MM of the month OFFSET months from the house's current one."""
    t = today()
    n = t.year * 12 + t.month - 1 + offset
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def nib():
    return "".join(str(int(c, 16) % 10) for c in (uid() + uid() + uid())[:13])


def fields_of(r):
    return sorted(e["field"] for e in r.json.get("errors", []))


class World(test_legal_bases.World):
    """test_legal_bases' world (a house, an admin token, user(), audit()) with a resident who
    owns the businesses."""

    def __init__(self, d):
        super().__init__(d)
        self.owner = d.resident(self.token, self.house)["id"]

    def req(self, method, path, body=None, token=None, **kw):
        return self.d.request(method, "/api/v1/" + path, json_body=body, token=token or self.token, **kw)

    def create(self, **fields):
        body = {"resident_id": self.owner, "name": "Warung " + uid(), "sector": "food_beverage", **fields}
        r = self.req("POST", "businesses", body)
        expect(r.status == 201, f"create: {r}")
        return r.json

    def stage(self, bid, stage, **fields):
        r = self.req("POST", f"businesses/{bid}/stages", {"stage": stage, **fields})
        expect(r.status == 201, f"stage {stage}: {r}")
        return r.json

    def put_month(self, bid, m, revenue=1000, costs=400, workers=1, note=None, **kw):
        body = {"revenue_idr": revenue, "costs_idr": costs, "workers": workers}
        return self.req("PUT", f"businesses/{bid}/months/{m}", dict(body, note=note) if note else body, **kw)

    def get(self, bid):
        return self.d.must("GET", f"businesses/{bid}", token=self.token)

    def counts(self):
        """What a refused write must leave as it was."""
        return self.d.psql("SELECT (SELECT count(*) FROM app.businesses), (SELECT coalesce(sum(version), 0) "
                           "FROM app.businesses), (SELECT count(*) FROM app.business_stages), "
                           "(SELECT count(*) FROM app.business_months), (SELECT coalesce(sum(version), 0) "
                           "FROM app.business_months), (SELECT count(*) FROM app.audit_log), "
                           "(SELECT count(*) FROM app.events)").strip()

    def refused(self, method, path, body, status, code, errors=None, token=None, headers=None):
        before = self.counts()
        r = self.req(method, path, body, token=token, headers=headers)
        expect_problem(r, status, code)
        if errors is not None:
            expect(fields_of(r) == sorted(errors), f"{method} {path} {body}: errors {r.json}")
        expect(self.counts() == before, f"{method} {path} {body}: a refused write wrote something")
        return r

    def events(self, name, bid):
        out = self.d.psql(f"SELECT jsonb_build_object('data', data, 'roles', roles)::text FROM app.events "
                          f"WHERE name = '{name}' AND data->>'id' = '{bid}' ORDER BY id").strip()
        return [json.loads(line) for line in out.splitlines() if line]


def world(d):
    return harness.world_of(d, World)


def test_create_and_read(d):
    w = world(d)
    r = w.req("POST", "businesses", {"resident_id": w.owner, "name": "  Warung Bu Sri ", "sector": "food_beverage",
                                     "description": "Nasi gemuk\nlauk", "started_on": day(-40)})
    expect(r.status == 201, f"create: {r}")
    b = r.json
    expect(set(b) == KEYS, f"keys: {sorted(set(b) ^ KEYS)}")
    expect(r.header("etag") == f'"{b["version"]}"', f"ETag {r.header('etag')}")
    expect(b["name"] == "Warung Bu Sri" and b["house_id"] == w.house and b["stage"] == "idea"
           and b["stage_since"] == day(0) and b["started_on"] == day(-40) and b["capital"] == []
           and b["latest_month"] is None and b["nib"] is None and b["sku_number"] is None, f"{b}")
    expect(len(b["history"]) == 1 and b["history"][0]["stage"] == "idea" and b["history"][0]["on"] == day(0)
           and b["history"][0]["by"] and b["history"][0]["note"] is None and b["history"][0]["at"], f"{b['history']}")
    expect(b["credit_readiness"] == {"ready": False, "legal_document": None, "months_trading": 0,
                                     "training_completed": False, "in_mentoring": False,
                                     "missing": ["legal_document", "trading_or_training"],
                                     "max_amount_idr": 10000000}, f"{b['credit_readiness']}")
    got = w.req("GET", f"businesses/{b['id']}")
    expect(got.status == 200 and got.json == b and got.header("etag") == f'"{b["version"]}"', f"GET: {got}")
    a = w.audit("business", b["id"])
    expect([x["action"] for x in a] == ["business.create"] and a[0]["house_id"] == w.house
           and a[0]["after"]["name"] == "Warung Bu Sri", f"audit: {a}")
    ev = w.events("business.created", b["id"])
    expect(len(ev) == 1 and ev[0]["data"] == {"house_id": w.house, "entity": "business", "id": b["id"],
                                              "resident_id": w.owner}
           and sorted(ev[0]["roles"]) == ["admin", "caseworker", "manager"], f"events: {ev}")
    # a repeated Idempotency-Key replays the answer and writes nothing
    key = {"Idempotency-Key": "biz-" + uid()}
    body = {"resident_id": w.owner, "name": "Kios " + uid(), "sector": "retail"}
    once = w.req("POST", "businesses", body, headers=key)
    before = w.counts()
    twice = w.req("POST", "businesses", body, headers=key)
    expect(once.status == twice.status == 201 and once.json == twice.json and w.counts() == before, f"{twice}")
    expect_problem(w.req("POST", "businesses", dict(body, name="Lain"), headers=key), 422, "idempotency_key_reused")
    for st in ("business_plan", "trained"):
        x = w.create(stage=st, on=day(-5))
        expect(x["stage"] == st and x["stage_since"] == day(-5) and x["history"][0]["stage"] == st, f"{x}")
    # a resident may have several businesses
    n = d.psql(f"SELECT count(*) FROM app.businesses WHERE resident_id = '{w.owner}'").strip()
    expect(int(n) >= 3, f"businesses of the resident: {n}")


def test_create_rejects_bad_input(d):
    w = world(d)
    other = d.house(w.token)["id"]
    _, mgr = w.user("manager", [other])
    good = {"resident_id": w.owner, "name": "Bengkel", "sector": "repair"}
    for body, errors in [
        ({k: v for k, v in good.items() if k != "resident_id"}, ["resident_id"]),
        (dict(good, resident_id=harness.uid() and "00000000-0000-4000-8000-000000000000"), ["resident_id"]),
        (dict(good, resident_id="nope"), ["resident_id"]),
        ({k: v for k, v in good.items() if k != "name"}, ["name"]),
        (dict(good, name=""), ["name"]),
        (dict(good, name="   "), ["name"]),
        (dict(good, name="x" * 201), ["name"]),
        (dict(good, name="a\nb"), ["name"]),
        ({k: v for k, v in good.items() if k != "sector"}, ["sector"]),
        (dict(good, sector="mining"), ["sector"]),
        (dict(good, description="x" * 10001), ["description"]),
        (dict(good, started_on=day(1)), ["started_on"]),
        (dict(good, started_on="2026-02-30"), ["started_on"]),
        (dict(good, stage="registered"), ["stage"]),
        (dict(good, stage="funded"), ["stage"]),
        (dict(good, stage="operating"), ["stage"]),
        (dict(good, stage="closed"), ["stage"]),
        (dict(good, stage="dreaming"), ["stage"]),
        (dict(good, on=day(1)), ["on"]),
        (dict(good, nib=nib()), ["nib"]),
        (dict(good, sku_number="SKU-1"), ["sku_number"]),
        (dict(good, colour="red"), ["colour"]),
    ]:
        w.refused("POST", "businesses", body, 422, "validation_failed", errors)
    # a resident of a house the manager does not see is a 422 too
    w.refused("POST", "businesses", good, 422, "validation_failed", ["resident_id"], token=mgr)
    expect(len(w.create(description="x" * 10000, name="y" * 200)["name"]) == 200, "the limits themselves")


def test_patch(d):
    w = world(d)
    b = w.create(started_on=day(-10))
    r = w.req("PATCH", f"businesses/{b['id']}", {"name": "Warung Baru", "sector": "retail", "description": "d",
                                                 "started_on": day(-20)}, headers={"If-Match": f'"{b["version"]}"'})
    expect(r.status == 200 and r.json["name"] == "Warung Baru" and r.json["sector"] == "retail"
           and r.json["version"] == b["version"] + 1 and r.header("etag") == f'"{b["version"] + 1}"', f"{r}")
    p = r.json
    a = w.audit("business", b["id"])
    expect([x["action"] for x in a] == ["business.create", "business.update"]
           and a[1]["before"]["name"] == b["name"] and a[1]["after"]["name"] == "Warung Baru", f"{a}")
    expect(len(w.events("business.updated", b["id"])) == 1, "business.updated event")
    path = f"businesses/{b['id']}"
    w.refused("PATCH", path, {"name": "x"}, 412, "precondition_failed", headers={"If-Match": f'"{b["version"]}"'})
    for body, errors in [({"stage": "trained"}, ["stage"]), ({"resident_id": w.owner}, ["resident_id"]),
                         ({"on": day(0)}, ["on"]), ({"name": None}, ["name"]), ({"sector": "x"}, ["sector"]),
                         ({"started_on": day(1)}, ["started_on"]), ({"nib": "123"}, ["nib"]),
                         ({"nib": "12345678901234"}, ["nib"]), ({"nib": "123456789012a"}, ["nib"]),
                         ({"sku_issued_on": day(-1)}, ["sku_issued_on"]),
                         ({"sku_number": "S-1", "sku_issued_on": day(1)}, ["sku_issued_on"])]:
        w.refused("PATCH", path, body, 422, "validation_failed", errors)
    # an equal PATCH: 200, no version, no audit, no event
    before = w.counts()
    same = w.req("PATCH", path, {"name": "Warung Baru"})
    expect(same.status == 200 and same.json["version"] == p["version"] and w.counts() == before, f"{same}")
    # corrections of the legal document of a registered business
    reg = w.stage(b["id"], "registered", nib=nib())
    fixed = nib()
    c = d.must("PATCH", path, {"nib": fixed, "sku_number": "SKU-9", "sku_issued_on": day(-2)}, token=w.token)
    expect(c["nib"] == fixed and c["sku_number"] == "SKU-9" and c["version"] == reg["version"] + 1, f"{c}")
    c = d.must("PATCH", path, {"nib": None}, token=w.token)
    expect(c["nib"] is None and c["credit_readiness"]["legal_document"] == "sku", f"{c}")
    w.refused("PATCH", path, {"sku_number": None, "sku_issued_on": None}, 422, "validation_failed", ["nib"])
    # a NIB another business holds
    other = w.create()
    w.stage(other["id"], "registered", nib=fixed)
    w.refused("PATCH", path, {"nib": fixed}, 409, "conflict")


def test_stage_transitions(d):
    w = world(d)
    data = {"registered": {"sku_number": "SKU-" + uid()}, "funded": {"capital_source": "savings", "amount_idr": 5}}

    def at(stage):
        """A business brought to STAGE by the shortest allowed route."""
        b = w.create(stage="trained" if STAGES.index(stage) >= 2 else stage,
                     **({} if STAGES.index(stage) >= 2 else {}))
        if stage in ("idea", "business_plan", "trained"):
            return b
        path = ["operating", "paused"] if stage == "paused" else [stage]
        for s in path:
            b = w.stage(b["id"], s, **{k: v for k, v in data.get(s, {}).items()})
        return b

    order = STAGES[:6]
    for frm in STAGES:
        for to in STAGES:
            allowed = ((frm in order and to in order and order.index(to) > order.index(frm))
                       or (frm, to) in (("operating", "paused"), ("paused", "operating"))
                       or (to == "closed" and frm != "closed"))
            b = at(frm) if frm != "closed" else w.stage(w.create()["id"], "closed")
            body = {"stage": to, **data.get(to, {})}
            if to == "registered":
                body["sku_number"] = "SKU-" + uid()
            if allowed:
                x = w.stage(b["id"], to, **{k: v for k, v in body.items() if k != "stage"})
                expect(x["stage"] == to and x["history"][-1]["stage"] == to
                       and [h["stage"] for h in x["history"]][:-1] == [h["stage"] for h in b["history"]], f"{x}")
            else:
                r = w.refused("POST", f"businesses/{b['id']}/stages", body, 409, "invalid_transition")
    r = w.req("POST", f"businesses/{w.create()['id']}/stages", {"stage": "idea"}, headers={"Accept-Language": "id"})
    expect_problem(r, 409, "invalid_transition")
    expect(r.json["title"] == "Perubahan tahap tidak diizinkan", f"{r.json}")


def test_stage_data(d):
    w = world(d)
    b = w.create(on=day(-30))
    path = f"businesses/{b['id']}/stages"
    for body, errors in [
        ({"stage": "registered"}, ["nib"]),
        ({"stage": "registered", "sku_issued_on": day(-1)}, ["nib"]),
        ({"stage": "registered", "nib": "123456789012"}, ["nib"]),
        ({"stage": "registered", "nib": "1234567890123 "}, ["nib"]),
        ({"stage": "registered", "nib": 1234567890123}, ["nib"]),
        ({"stage": "registered", "sku_number": ""}, ["sku_number"]),
        ({"stage": "registered", "sku_number": "x" * 101}, ["sku_number"]),
        ({"stage": "registered", "sku_number": "S", "sku_issued_on": day(1)}, ["sku_issued_on"]),
        ({"stage": "registered", "nib": nib(), "sku_issued_on": day(-1)}, ["sku_issued_on"]),
        ({"stage": "registered", "nib": nib(), "capital_source": "kur"}, ["capital_source"]),
        ({"stage": "funded"}, ["amount_idr", "capital_source"]),
        ({"stage": "funded", "capital_source": "kur"}, ["amount_idr"]),
        ({"stage": "funded", "amount_idr": 100}, ["capital_source"]),
        ({"stage": "funded", "capital_source": "bank", "amount_idr": 100}, ["capital_source"]),
        ({"stage": "funded", "capital_source": "kur", "amount_idr": 0}, ["amount_idr"]),
        ({"stage": "funded", "capital_source": "kur", "amount_idr": 10 ** 12 + 1}, ["amount_idr"]),
        ({"stage": "funded", "capital_source": "kur", "amount_idr": 1.5}, ["amount_idr"]),
        ({"stage": "funded", "capital_source": "kur", "amount_idr": "100"}, ["amount_idr"]),
        ({"stage": "funded", "capital_source": "kur", "amount_idr": 5, "nib": nib()}, ["nib"]),
        ({"stage": "trained", "nib": nib(), "amount_idr": 4}, ["amount_idr", "nib"]),
        ({"stage": "trained", "on": day(1)}, ["on"]),
        ({"stage": "trained", "on": day(-31)}, ["on"]),
        ({"stage": "trained", "note": "x" * 2001}, ["note"]),
        ({"stage": "sleeping"}, ["stage"]),
        ({}, ["stage"]),
    ]:
        w.refused("POST", path, body, 422, "validation_failed", errors)
    t = w.stage(b["id"], "trained", on=day(-30), note="SIYB\nkelas 1", nib=None, amount_idr=None)
    expect(t["history"][-1] == {**t["history"][-1], "stage": "trained", "on": day(-30), "note": "SIYB\nkelas 1"}
           and t["stage_since"] == day(-30), f"{t}")
    the_nib = nib()
    r = w.stage(b["id"], "registered", nib=the_nib, sku_number="SKU-7", sku_issued_on=day(-3), on=day(-3))
    expect(r["nib"] == the_nib and r["sku_number"] == "SKU-7" and r["sku_issued_on"] == day(-3)
           and r["credit_readiness"]["legal_document"] == "nib", f"{r}")
    # the NIB is unique across the installation (another house too)
    other_res = d.resident(w.token, d.house(w.token)["id"])["id"]
    o = w.req("POST", "businesses", {"resident_id": other_res, "name": "Lain", "sector": "crafts"}).json
    w.refused("POST", f"businesses/{o['id']}/stages", {"stage": "registered", "nib": the_nib}, 409, "conflict")
    f = w.stage(b["id"], "funded", capital_source="kur", amount_idr=10 ** 12, on=day(-2))
    expect(f["capital"] == [{"source": "kur", "amount_idr": 10 ** 12, "on": day(-2)}], f"{f['capital']}")
    op = w.stage(b["id"], "operating")
    expect(op["capital"] == f["capital"] and op["stage_since"] == day(0), f"{op}")
    a = w.audit("business", b["id"])
    expect([x["action"] for x in a] == ["business.create"] + ["business.stage"] * 4
           and a[2]["before"]["stage"] == "trained" and a[2]["after"]["stage"] == "registered", f"{a}")
    ev = w.events("business.stage_changed", b["id"])
    expect(len(ev) == 4 and all(e["data"] == {"house_id": w.house, "entity": "business", "id": b["id"],
                                              "resident_id": w.owner} for e in ev), f"{ev}")
    # If-Match on the business
    w.refused("POST", path, {"stage": "paused"}, 412, "precondition_failed", headers={"If-Match": '"1"'})


def test_history_append_only(d):
    w = world(d)
    b = w.create()
    w.stage(b["id"], "trained")
    for sql in (f"UPDATE app.business_stages SET note = 'x' WHERE business_id = '{b['id']}'",
                f"DELETE FROM app.business_stages WHERE business_id = '{b['id']}'",
                "TRUNCATE app.business_stages CASCADE"):
        try:
            d.psql(sql)
            refused = ""
        except RuntimeError as e:
            refused = str(e)
        expect("append-only" in refused, f"{sql}: {refused or 'committed'}")
    expect([h["stage"] for h in w.get(b["id"])["history"]] == ["idea", "trained"], "history kept")


def test_months(d):
    w = world(d)
    b = w.create()
    m = month(-1)
    r = w.put_month(b["id"], m, revenue=10 ** 13, costs=3 * 10 ** 12, workers=1000)
    expect(r.status == 201 and set(r.json) == MONTH_KEYS and r.json["month"] == m
           and r.json["profit_idr"] == 7 * 10 ** 12 and r.json["business_id"] == b["id"] and r.json["version"] == 1
           and r.header("etag") == '"1"', f"{r}")
    first = r.json
    r = w.put_month(b["id"], m, revenue=100, costs=300, workers=0, headers={"If-Match": '"1"'})
    expect(r.status == 200 and r.json["profit_idr"] == -200 and r.json["version"] == 2 and r.json["id"] == first["id"]
           and r.json["note"] is None, f"{r}")
    path = f"businesses/{b['id']}/months/{m}"
    good = {"revenue_idr": 1, "costs_idr": 1, "workers": 1}
    w.refused("PUT", path, good, 412, "precondition_failed", headers={"If-Match": '"1"'})
    w.refused("PUT", f"businesses/{b['id']}/months/{month(-2)}", good, 412, "precondition_failed",
              headers={"If-Match": '"1"'})
    for body, errors in [({}, ["costs_idr", "revenue_idr", "workers"]),
                         (dict(good, revenue_idr=-1), ["revenue_idr"]),
                         (dict(good, revenue_idr=10 ** 13 + 1), ["revenue_idr"]),
                         (dict(good, costs_idr=1.5), ["costs_idr"]),
                         (dict(good, costs_idr="5"), ["costs_idr"]),
                         (dict(good, workers=1001), ["workers"]),
                         (dict(good, workers=-1), ["workers"]),
                         (dict(good, note="x" * 10001), ["note"]),
                         (dict(good, profit_idr=0), ["profit_idr"])]:
        w.refused("PUT", path, body, 422, "validation_failed", errors)
    for seg in ("2026-13", "2026-00", "0000-01", "2026-1", "202601", "2026-01-01", "abcd-ef", month(1), "%FF%FE%FD%FC%FB%FA%F9"):
        w.refused("PUT", f"businesses/{b['id']}/months/{seg}", good, 422, "validation_failed", ["month"])
    w.refused("PUT", f"businesses/00000000-0000-4000-8000-000000000000/months/{m}", good, 404, "not_found")
    # the current month is allowed; an equal PUT writes nothing
    cur = w.put_month(b["id"], month(0), revenue=50, costs=10, note="pasar malam")
    expect(cur.status == 201 and cur.json["note"] == "pasar malam", f"{cur}")
    before = w.counts()
    again = w.put_month(b["id"], month(0), revenue=50, costs=10)
    expect(again.status == 200 and again.json["version"] == 2 and again.json["note"] is None, f"{again}")
    before = w.counts()
    same = w.req("PUT", f"businesses/{b['id']}/months/{month(0)}", {"revenue_idr": 50, "costs_idr": 10, "workers": 1})
    expect(same.status == 200 and same.json["version"] == 2 and w.counts() == before, f"{same}")
    w.put_month(b["id"], month(-12))
    got = w.get(b["id"])
    expect(got["latest_month"]["month"] == month(0) and got["version"] == b["version"], f"{got['latest_month']}")
    page = d.must("GET", f"businesses/{b['id']}/months?limit=2", token=w.token)
    expect([x["month"] for x in page["items"]] == [month(-12), month(-1)] and page["next_cursor"], f"{page}")
    rest = d.must("GET", f"businesses/{b['id']}/months?limit=2&cursor={page['next_cursor']}", token=w.token)
    expect([x["month"] for x in rest["items"]] == [month(0)] and rest["next_cursor"] is None, f"{rest}")
    a = w.audit("business_month", first["id"])
    expect([x["action"] for x in a] == ["business_month.put"] * 2 and a[0]["before"] is None
           and a[1]["before"]["revenue_idr"] == 10 ** 13 and a[0]["house_id"] == w.house, f"{a}")
    ev = w.events("business.month_recorded", b["id"])
    expect(len(ev) == 5 and ev[0]["data"] == {"house_id": w.house, "entity": "business", "id": b["id"],
                                              "resident_id": w.owner}, f"{len(ev)} {ev[:1]}")
    expect_problem(w.req("GET", "businesses/00000000-0000-4000-8000-000000000000/months"), 404, "not_found")


def test_credit_readiness(d):
    w = world(d)

    def cr(bid):
        return w.get(bid)["credit_readiness"]

    b = w.create()
    expect(cr(b["id"])["missing"] == ["legal_document", "trading_or_training"], "new")
    w.stage(b["id"], "registered", sku_number="SKU-" + uid())
    c = cr(b["id"])
    expect(c["legal_document"] == "sku" and c["missing"] == ["trading_or_training"] and not c["ready"], f"{c}")
    # revenue 0 is not trading; five months are not six
    w.put_month(b["id"], month(-7), revenue=0)
    for i in range(1, 6):
        w.put_month(b["id"], month(-i))
    c = cr(b["id"])
    expect(c["months_trading"] == 5 and not c["ready"], f"{c}")
    w.put_month(b["id"], month(-6))
    c = cr(b["id"])
    expect(c["months_trading"] == 6 and c["ready"] and c["missing"] == [] and not c["training_completed"], f"{c}")
    w.stage(b["id"], "operating")
    w.stage(b["id"], "paused")
    c = cr(b["id"])
    expect(not c["ready"] and c["missing"] == ["active_business"], f"{c}")
    w.stage(b["id"], "closed")
    expect(cr(b["id"])["missing"] == ["active_business"], "closed")
    # the trained stage stands for training; a nib is the legal document
    t = w.create(stage="trained")
    c = cr(t["id"])
    expect(c["training_completed"] and c["missing"] == ["legal_document"], f"{c}")
    w.stage(t["id"], "registered", nib=nib(), sku_number="S-2")
    c = cr(t["id"])
    expect(c["ready"] and c["legal_document"] == "nib" and c["months_trading"] == 0, f"{c}")
    # skipping the trained stage is no training
    s = w.create(stage="business_plan")
    w.stage(s["id"], "registered", nib=nib())
    c = cr(s["id"])
    expect(not c["training_completed"] and c["missing"] == ["trading_or_training"], f"{c}")
    # closed from idea: every leg missing, in order
    z = w.create()
    w.stage(z["id"], "closed")
    expect(cr(z["id"])["missing"] == ["legal_document", "trading_or_training", "active_business"], "all missing")


def test_credit_readiness_from_programmes(d):
    w = world(d)
    b = w.create()
    w.stage(b["id"], "registered", sku_number="SKU-" + uid())

    def cr():
        return w.get(b["id"])["credit_readiness"]

    def programme(kind, **f):
        body = {"house_id": w.house, "kind": kind, "title": "Kegiatan " + uid(), "starts_on": day(-30),
                "status": "open", **f}
        r = w.req("POST", "programmes", body)
        expect(r.status == 201, f"programme: {r}")
        return r.json["id"]

    def enrol(pid, **f):
        r = w.req("POST", f"programmes/{pid}/enrolments", {"resident_id": w.owner, **f})
        expect(r.status == 201, f"enrol: {r}")
        return r.json

    # a seat in skills training is no mentoring; waitlisted for mentoring is none either
    enrol(programme("skills_training"))
    full = programme("business_mentoring", capacity=1)
    w.req("POST", f"programmes/{full}/enrolments", {"resident_id": d.resident(w.token, w.house)["id"]})
    enrol(full, if_full="waitlist")
    c = cr()
    expect(not c["in_mentoring"] and not c["training_completed"] and not c["ready"], f"{c}")
    mentoring = enrol(programme("business_mentoring"))
    c = cr()
    expect(c["in_mentoring"] and not c["training_completed"] and c["ready"] and c["missing"] == [], f"{c}")
    r = w.req("PATCH", f"enrolments/{mentoring['id']}", {"stage": "withdrawn", "withdrawal_reason": "other"})
    expect(r.status == 200, f"withdraw: {r}")
    expect(not cr()["in_mentoring"], "withdrawn is not mentoring")

    def completed(kind):
        e = enrol(programme(kind))
        d.psql(f"UPDATE app.enrolments SET stage = 'completed', completed_on = current_date WHERE id = '{e['id']}'")

    completed("social_activity")
    expect(not cr()["training_completed"], "a social activity is no training")
    completed("skills_training")
    c = cr()
    expect(c["training_completed"] and c["ready"], f"{c}")


def test_list_filters_and_csv(d):
    w = world(d)
    house = d.house(w.token)["id"]
    r1 = d.resident(w.token, house)["id"]
    r2 = d.resident(w.token, house)["id"]

    def make(rid, **f):
        return w.req("POST", "businesses", {"resident_id": rid, "name": "U " + uid(), "sector": "retail", **f}).json

    a = make(r1)
    b = make(r1, sector="crafts", stage="trained", description="a, \"b\"\nc")
    c = make(r2)
    w.stage(c["id"], "registered", nib=nib())
    w.put_month(c["id"], month(0))

    def ids(q):
        return [x["id"] for x in d.must("GET", f"businesses?house_id={house}&{q}", token=w.token)["items"]]

    expect(ids("") == [a["id"], b["id"], c["id"]], "creation order")
    expect(ids(f"resident_id={r1}") == [a["id"], b["id"]], "resident_id")
    expect(ids("stage=registered") == [c["id"]], "stage")
    expect(ids("sector=crafts") == [b["id"]], "sector")
    expect(ids("sector=retail&stage=idea") == [a["id"]], "both")
    page = d.must("GET", f"businesses?house_id={house}&limit=2", token=w.token)
    rest = d.must("GET", f"businesses?house_id={house}&limit=2&cursor={page['next_cursor']}", token=w.token)
    expect([x["id"] for x in rest["items"]] == [c["id"]] and rest["next_cursor"] is None, f"{rest}")
    expect_problem(w.req("GET", "businesses?stage=dreaming"), 422, "validation_failed")
    expect_problem(w.req("GET", "businesses?sector=mining"), 422, "validation_failed")
    expect_problem(w.req("GET", "businesses?house_id=00000000-0000-4000-8000-000000000000"), 404, "not_found")
    expect(d.must("GET", "businesses?resident_id=00000000-0000-4000-8000-000000000000", token=w.token)["items"] == [],
           "unknown resident: empty")
    r = w.req("GET", f"businesses?house_id={house}", headers={"Accept": "text/csv"})
    expect(r.status == 200 and r.header("content-type", "").startswith("text/csv"), f"CSV: {r}")
    table = list(csv.reader(io.StringIO(r.text, newline="")))
    head = table[0]
    expect(len(table) == 4 and not {"capital", "history", "credit_readiness.missing"} & set(head)
           and "credit_readiness.ready" in head and "latest_month.revenue_idr" in head and "nib" in head, f"{head}")
    rows = {row[head.index("id")]: dict(zip(head, row)) for row in table[1:]}
    expect(rows[b["id"]]["description"] == "a, \"b\"\nc" and rows[c["id"]]["latest_month.revenue_idr"] == "1000"
           and rows[c["id"]]["stage"] == "registered" and rows[a["id"]]["latest_month.month"] == "", f"{rows}")


def test_roles_and_houses(d):
    w = world(d)
    b = w.create()
    m = month(0)
    w.put_month(b["id"], m)
    calls = [("POST", "businesses", {"resident_id": w.owner, "name": "x", "sector": "retail"}),
             ("GET", "businesses", None), ("GET", f"businesses/{b['id']}", None),
             ("PATCH", f"businesses/{b['id']}", {"name": "y"}),
             ("POST", f"businesses/{b['id']}/stages", {"stage": "trained"}),
             ("PUT", f"businesses/{b['id']}/months/{m}", {"revenue_idr": 9, "costs_idr": 1, "workers": 1}),
             ("GET", f"businesses/{b['id']}/months", None)]
    _, staff = w.user("staff", [w.house])
    for method, path, body in calls:
        w.refused(method, path, body, 403, "forbidden", token=staff)
    # a manager of another house: 404 for the business, 422 for the resident, empty lists
    _, mgr = w.user("manager", [d.house(w.token)["id"]])
    for method, path, body in calls[2:]:
        w.refused(method, path, body, 404, "not_found", token=mgr)
    w.refused(*calls[0], 422, "validation_failed", ["resident_id"], token=mgr)
    expect(d.must("GET", f"businesses?resident_id={w.owner}", token=mgr)["items"] == [], "another house listed")
    expect_problem(w.req("GET", f"businesses?house_id={w.house}", token=mgr), 404, "not_found")
    # a caseworker of the house does everything
    _, cw = w.user("caseworker", [w.house])
    expect(w.req("POST", f"businesses/{b['id']}/stages", {"stage": "trained"}, token=cw).status == 201, "caseworker")
    # a partner user: 404 on every route, before any lookup
    p = d.must("POST", "partners", {"name": "Dinas Koperasi " + uid(), "kind": "city_government",
                                    "house_ids": [w.house]}, 201, token=w.token)
    password = "pw-" + uid() + uid()
    u = d.must("POST", "users", {"username": "p-" + uid(), "password": password, "role": "partner",
                                 "full_name": "Mitra", "partner_id": p["id"]}, 201, token=w.token)
    partner = d.login(u["username"], password)
    for method, path, body in calls:
        w.refused(method, path, body, 404, "not_found", token=partner)


def test_race_new_month_two_instances(d):
    w = world(d)
    b = w.create()
    m = month(-3)
    with harness.Instance(share=d) as other:
        both = [d, other]
        got = harness.race([lambda i=i: both[i % 2].request(
            "PUT", f"/api/v1/businesses/{b['id']}/months/{m}", token=w.token, timeout=60,
            json_body={"revenue_idr": 1000 + i, "costs_idr": 10, "workers": 2}) for i in range(8)])
    statuses = sorted(getattr(r, "status", repr(r)) for r in got)
    expect(statuses == [200] * 7 + [201], f"statuses: {statuses} {got[:2]}")
    rows = d.psql(f"SELECT count(*), max(version) FROM app.business_months WHERE business_id = '{b['id']}'").strip()
    expect(rows.startswith("1|"), f"rows: {rows}")
    created = next(r.json for r in got if r.status == 201)
    n = d.psql(f"SELECT count(*) FILTER (WHERE before IS NULL), count(*) FROM app.audit_log "
               f"WHERE entity = 'business_month' AND entity_id = '{created['id']}'").strip()
    expect(n.startswith("1|"), f"audit (creations, all): {n}")


def test_race_nib_two_instances(d):
    w = world(d)
    the_nib = nib()
    bs = [w.create() for _ in range(6)]
    with harness.Instance(share=d) as other:
        both = [d, other]
        got = harness.race([lambda i=i: both[i % 2].request(
            "POST", f"/api/v1/businesses/{bs[i]['id']}/stages", token=w.token, timeout=60,
            json_body={"stage": "registered", "nib": the_nib}) for i in range(6)])
    statuses = sorted(getattr(r, "status", repr(r)) for r in got)
    expect(statuses == [201] + [409] * 5, f"statuses: {statuses}")
    expect(all(r.json["code"] == "conflict" for r in got if r.status == 409), f"{got}")
    n = d.psql(f"SELECT count(*) FROM app.businesses WHERE nib = '{the_nib}'").strip()
    expect(n == "1", f"rows with the NIB: {n}")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
