"""Partners (contract §16.2, with §16.1's roles, §16.12's audit, §16.13's invariants). One
daemon for all tests; the race adds a second instance on its database. Each refused write is
also checked to have written nothing (partner rows and versions, audit records).

- test_create_and_read: 201 with ETag and every field; defaults; partner.create audit with
  house_id null; GET one and the list.
- test_agreement_status: none, valid (no end, far end), expiring (today, today + 29),
  valid at today + 30, expired (yesterday), all in Asia/Jakarta.
- test_create_rejects_bad_input: every field rule -> 422 naming the field (nested with dots).
- test_name_unique: case and whitespace variants 409 conflict on POST and PATCH; psql too.
- test_patch: fields, agreement null removes it, contact replaced, If-Match 412, version,
  partner.update audit before/after, a PATCH changing nothing writes no record, 404s.
- test_roles: caseworker and staff 403 on writes, read their houses' partners; a manager creates
  with its own houses only (422 house_ids), changes only partners wholly its own (403), sets
  house_ids only to its own (422), does not see partners of other houses (404).
- test_visibility_and_filters: house_ids shows only the reader's houses; house_id (404 when not
  visible), kind, active filters; paging.
- test_house_removal_with_programme: removing a house in which the partner has a draft, open or
  running programme is 422 house_ids, nothing written; removing it once the programmes there are
  finished or cancelled, or a house without its programmes, is 200.
- test_race_house_removal_two_instances: a programme of the partner created in a house while a
  PATCH removes that house, through two instances: exactly one of the two succeeds (the other
  422), and never a programme left in a house its partner no longer works with.
- test_database_checks: the table's CHECKs and unique index refuse what psql writes outside them.
- test_race_two_instances: creates with names differing only in case and whitespace through two
  instances at once: one 201, the rest 409, one row."""

import datetime as dt
import os
import sys
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem, uid  # noqa: E402

KEYS = {"id", "name", "kind", "house_ids", "contact", "address", "agreement", "agreement_status", "notes",
        "active", "version", "created_at", "updated_at"}


def day(offset):
    """A date relative to today in Asia/Jakarta (where partner agreements are judged)."""
    return (dt.datetime.now(zoneinfo.ZoneInfo("Asia/Jakarta")).date() + dt.timedelta(days=offset)).isoformat()


class World:
    def __init__(self, d):
        self.d = d
        self.token = d.login()
        self.a = d.house(self.token)["id"]
        self.b = d.house(self.token)["id"]

    def body(self, **fields):
        return {"name": "Mitra " + uid(), "kind": "training_centre", "house_ids": [self.a], **fields}

    def post(self, body, token=None, **kw):
        return self.d.request("POST", "/api/v1/partners", json_body=body, token=token or self.token, **kw)

    def create(self, token=None, **fields):
        r = self.post(self.body(**fields), token)
        expect(r.status == 201, f"create: {r}")
        return r.json

    def patch(self, pid, body, token=None, **kw):
        return self.d.request("PATCH", f"/api/v1/partners/{pid}", json_body=body, token=token or self.token, **kw)

    def get(self, pid, token=None):
        return self.d.must("GET", f"partners/{pid}", token=token or self.token)

    def user(self, role, houses):
        password = "pw-" + uid() + uid()
        u = self.d.must("POST", "users", {"username": role + "-" + uid(), "password": password, "role": role,
                                          "full_name": "User " + role, "house_ids": houses}, 201, token=self.token)
        return u, self.d.login(u["username"], password)

    def counts(self):
        """What a refused write must leave as it was."""
        return self.d.psql("SELECT (SELECT count(*) FROM app.partners), (SELECT coalesce(sum(version), 0) "
                           "FROM app.partners), (SELECT count(*) FROM app.audit_log)").strip()

    def audit(self, pid):
        return self.d.must("GET", f"audit?entity=partner&entity_id={pid}", token=self.token)["items"]


def world(d, cls=None):
    """The world of daemon D (CLS: a World of a test that extends this one)."""
    return harness.world_of(d, cls or World)


def test_create_and_read(d):
    w = world(d)
    r = w.post(w.body(name="  Dinas Tenaga Kerja Surabaya " + uid() + "  ", kind="city_government",
                      house_ids=[w.b, w.a], contact={"name": "Bu Rini", "phone": "031-123", "email": "rini@disnaker.go.id"},
                      address="Jl. Jemursari 1", agreement={"number": "PKS-1", "signed_on": day(-10),
                                                            "valid_until": day(200)}, notes="line 1\nline 2"))
    expect(r.status == 201, f"create: {r}")
    p = r.json
    expect(set(p) == KEYS, f"keys: {sorted(p)}")
    expect(r.header("etag") == '"1"' and p["version"] == 1, f"ETag {r.header('etag')}: {p}")
    expect(p["name"].startswith("Dinas Tenaga Kerja Surabaya") and p["name"] == p["name"].strip(), f"name: {p}")
    expect(p["house_ids"] == [w.b, w.a] and p["kind"] == "city_government" and p["active"] is True, f"{p}")
    expect(p["contact"] == {"name": "Bu Rini", "phone": "031-123", "email": "rini@disnaker.go.id"}, f"{p}")
    expect(p["agreement"] == {"number": "PKS-1", "signed_on": day(-10), "valid_until": day(200)}
           and p["agreement_status"] == "valid", f"agreement: {p}")
    expect(p["notes"] == "line 1\nline 2" and p["address"] == "Jl. Jemursari 1", f"{p}")
    expect(w.get(p["id"]) == p, "GET differs from the create's answer")
    listed = d.must("GET", "partners?limit=200", token=w.token)["items"]
    expect(p in listed, "not listed")
    rec = w.audit(p["id"])
    expect(len(rec) == 1 and rec[0]["action"] == "partner.create" and rec[0]["entity"] == "partner"
           and rec[0]["house_id"] is None and rec[0]["before"] is None and rec[0]["after"]["name"] == p["name"],
           f"audit: {rec}")
    bare = w.create()
    expect(bare["contact"] is None and bare["address"] is None and bare["agreement"] is None
           and bare["agreement_status"] == "none" and bare["notes"] is None and bare["active"] is True, f"{bare}")
    retired = w.create(active=False)
    expect(retired["active"] is False, f"{retired}")


def test_agreement_status(d):
    w = world(d)
    cases = [(None, "none"), ({"number": "P", "signed_on": day(-400)}, "valid"),
             ({"number": "P", "signed_on": day(-400), "valid_until": day(400)}, "valid"),
             ({"number": "P", "signed_on": day(-400), "valid_until": day(30)}, "valid"),
             ({"number": "P", "signed_on": day(-400), "valid_until": day(29)}, "expiring"),
             ({"number": "P", "signed_on": day(-400), "valid_until": day(0)}, "expiring"),
             ({"number": "P", "signed_on": day(-400), "valid_until": day(-1)}, "expired"),
             ({"number": "P", "signed_on": day(0), "valid_until": day(0)}, "expiring")]
    for agreement, status in cases:
        p = w.create(agreement=agreement)
        expect(p["agreement_status"] == status, f"{agreement}: {p['agreement_status']}, expected {status}")
        expect(w.get(p["id"])["agreement_status"] == status, f"{agreement} on GET")
    # computed on read: the same stored row reads differently as today moves
    p = w.create(agreement={"number": "P", "signed_on": day(-400), "valid_until": day(100)})
    d.psql(f"UPDATE app.partners SET agreement_valid_until = agreement_valid_until - 100 WHERE id = '{p['id']}'")
    expect(w.get(p["id"])["agreement_status"] == "expiring", "not computed on read")


def test_create_rejects_bad_input(d):
    w = world(d)
    _, manager = w.user("manager", [w.a])
    before = w.counts()
    bad = [
        ({"name": None}, "name"), ({"name": ""}, "name"), ({"name": "   "}, "name"), ({"name": "x" * 201}, "name"),
        ({"name": "a\nb"}, "name"), ({"name": 5}, "name"),
        ({"kind": "school"}, "kind"), ({"kind": None}, "kind"),
        ({"house_ids": []}, "house_ids"), ({"house_ids": None}, "house_ids"),
        ({"house_ids": [w.a, w.a]}, "house_ids"), ({"house_ids": [harness.uid() + "x"]}, "house_ids"),
        ({"house_ids": ["00000000-0000-4000-8000-000000000000"]}, "house_ids"),
        ({"house_ids": [w.a] * 51}, "house_ids"),
        ({"contact": {"email": "rini"}}, "contact.email"), ({"contact": {"email": "rini@"}}, "contact.email"),
        ({"contact": {"email": "@go.id"}}, "contact.email"), ({"contact": {"email": "a b@go.id"}}, "contact.email"),
        ({"contact": {"email": "a@b@go.id"}}, "contact.email"),
        ({"contact": {"email": "a@" + "b" * 253}}, "contact.email"),
        ({"contact": {"name": "x" * 201}}, "contact.name"), ({"contact": {"phone": "1" * 51}}, "contact.phone"),
        ({"contact": {"fax": "1"}}, "contact.fax"), ({"contact": "Bu Rini"}, "contact"),
        ({"address": "a\nb"}, "address"), ({"address": "x" * 501}, "address"),
        ({"agreement": {"signed_on": day(-1)}}, "agreement.number"),
        ({"agreement": {"number": "", "signed_on": day(-1)}}, "agreement.number"),
        ({"agreement": {"number": "x" * 101, "signed_on": day(-1)}}, "agreement.number"),
        ({"agreement": {"number": "P"}}, "agreement.signed_on"),
        ({"agreement": {"number": "P", "signed_on": day(1)}}, "agreement.signed_on"),
        ({"agreement": {"number": "P", "signed_on": "2026-02-30"}}, "agreement.signed_on"),
        ({"agreement": {"number": "P", "signed_on": day(-1), "valid_until": day(-2)}}, "agreement.valid_until"),
        ({"agreement": {"number": "P", "signed_on": day(-1), "valid_until": "soon"}}, "agreement.valid_until"),
        ({"notes": "x" * 10001}, "notes"), ({"active": "yes"}, "active"), ({"colour": "red"}, "colour"),
    ]
    for fields, field in bad:
        r = w.post(w.body(**fields))
        expect_problem(r, 422, "validation_failed")
        expect(field in [e["field"] for e in r.json["errors"]], f"{fields}: errors {r.json['errors']}")
    for missing in ("name", "kind", "house_ids"):
        body = w.body()
        del body[missing]
        r = w.post(body)
        expect_problem(r, 422, "validation_failed")
        expect([e["field"] for e in r.json["errors"]] == [missing], f"without {missing}: {r.json}")
    # a manager names only its own houses
    r = w.post(w.body(house_ids=[w.a, w.b]), manager)
    expect_problem(r, 422, "validation_failed")
    expect([e["field"] for e in r.json["errors"]] == ["house_ids"], f"{r.json}")
    expect_problem(d.request("POST", "/api/v1/partners", body="{", content_type="application/json",
                             token=w.token), 400, "invalid_json")
    expect(w.counts() == before, "a refused write wrote something")
    ok = w.create(contact={"email": "a@b"}, agreement={"number": "P", "signed_on": day(0), "valid_until": day(0)})
    expect(ok["contact"] == {"email": "a@b"}, f"{ok}")


def test_name_unique(d):
    w = world(d)
    name = "Balai Latihan Kerja " + uid()
    first = w.create(name=name)
    before = w.counts()
    for variant in (name, name.upper(), name.lower(), "  " + name.swapcase() + "  "):
        r = w.post(w.body(name=variant, house_ids=[w.b], kind="ngo"))
        expect_problem(r, 409, "conflict")
    other = w.create()
    before = w.counts()
    expect_problem(w.patch(other["id"], {"name": " " + name.upper() + " "}), 409, "conflict")
    expect(w.counts() == before, "a refused write wrote something")
    # renaming to a case variant of its own name is allowed
    r = w.patch(first["id"], {"name": name.upper()})
    expect(r.status == 200 and r.json["name"] == name.upper(), f"{r}")
    rc = psql_fails(d, f"INSERT INTO app.partners (name, kind, house_ids) VALUES (' {name.lower()} ', 'ngo', "
                       f"ARRAY['{w.a}']::uuid[])")
    expect("partners_name_key" in rc, f"psql insert of a case variant: {rc}")


def psql_fails(d, sql):
    """Runs SQL through psql, which must fail; returns its error text."""
    try:
        d.psql(sql)
    except Exception as e:  # noqa: BLE001 - the error text is the point
        return str(e)
    raise AssertionError(f"psql accepted: {sql}")


def test_patch(d):
    w = world(d)
    p = w.create(contact={"name": "Pak Budi", "email": "budi@blk.id"}, notes="n",
                 agreement={"number": "PKS-9", "signed_on": day(-5), "valid_until": day(10)})
    expect(p["agreement_status"] == "expiring", f"{p}")
    r = w.patch(p["id"], {"kind": "ngo", "house_ids": [w.b, w.a], "address": "Jl. Baru 2",
                          "contact": {"phone": "0812"}, "agreement": {"number": "PKS-10", "signed_on": day(-1)}},
                headers={"If-Match": '"1"'})
    expect(r.status == 200 and r.header("etag") == '"2"', f"patch: {r}")
    n = r.json
    expect(n["kind"] == "ngo" and n["house_ids"] == [w.b, w.a] and n["address"] == "Jl. Baru 2"
           and n["contact"] == {"phone": "0812"} and n["agreement"] == {"number": "PKS-10", "signed_on": day(-1),
                                                                         "valid_until": None}
           and n["agreement_status"] == "valid" and n["notes"] == "n" and n["version"] == 2, f"{n}")
    rec = w.audit(p["id"])
    expect([a["action"] for a in rec] == ["partner.create", "partner.update"] and rec[1]["house_id"] is None
           and rec[1]["before"]["kind"] == "training_centre" and rec[1]["after"]["kind"] == "ngo", f"audit: {rec}")
    n = d.must("PATCH", f"partners/{p['id']}", {"agreement": None, "contact": None, "address": None, "notes": None},
               token=w.token)
    expect(n["agreement"] is None and n["agreement_status"] == "none" and n["contact"] is None
           and n["address"] is None and n["notes"] is None and n["version"] == 3, f"{n}")
    before = w.counts()
    same = d.must("PATCH", f"partners/{p['id']}", {"kind": "ngo", "house_ids": [w.b, w.a]}, token=w.token)
    expect(same["version"] == 3, f"a PATCH changing nothing counted a version: {same}")
    expect(w.counts() == before, "a PATCH changing nothing wrote an audit record")
    expect_problem(w.patch(p["id"], {"address": "x"}, headers={"If-Match": '"1"'}), 412, "precondition_failed")
    for body, field in [({"name": None}, "name"), ({"house_ids": []}, "house_ids"),
                        ({"agreement": {"number": "P", "signed_on": day(-1), "valid_until": day(-3)}},
                         "agreement.valid_until"), ({"contact": {"email": "x"}}, "contact.email")]:
        r = w.patch(p["id"], body)
        expect_problem(r, 422, "validation_failed")
        expect([e["field"] for e in r.json["errors"]] == [field], f"{body}: {r.json}")
    expect(w.counts() == before, "a refused write wrote something")
    expect_problem(w.patch("00000000-0000-4000-8000-000000000000", {"address": "x"}), 404, "not_found")
    expect_problem(w.patch("nope", {"address": "x"}), 404, "not_found")
    expect_problem(d.request("GET", "/api/v1/partners/00000000-0000-4000-8000-000000000000", token=w.token),
                   404, "not_found")


def test_roles(d):
    w = world(d)
    _, cw = w.user("caseworker", [w.a])
    _, staff = w.user("staff", [w.a])
    _, mgr = w.user("manager", [w.a])
    mine = w.create(house_ids=[w.a])
    both = w.create(house_ids=[w.a, w.b])
    theirs = w.create(house_ids=[w.b])
    before = w.counts()
    for token in (cw, staff):
        expect_problem(w.post(w.body(), token), 403, "forbidden")
        expect_problem(w.patch(mine["id"], {"address": "x"}, token), 403, "forbidden")
        got = {p["id"] for p in d.must("GET", "partners?limit=200", token=token)["items"]}
        expect(mine["id"] in got and both["id"] in got and theirs["id"] not in got, "a house user's list")
        expect(w.get(mine["id"], token)["id"] == mine["id"], "a house user reads its houses' partners")
    expect(w.counts() == before, "a refused write wrote something")
    # a manager: only partners all of whose houses are its own
    expect_problem(w.patch(both["id"], {"address": "x"}, mgr), 403, "forbidden")
    expect_problem(w.patch(both["id"], {"house_ids": [w.a]}, mgr), 403, "forbidden")
    expect_problem(w.patch(theirs["id"], {"address": "x"}, mgr), 404, "not_found")
    expect_problem(d.request("GET", f"/api/v1/partners/{theirs['id']}", token=mgr), 404, "not_found")
    r = w.patch(mine["id"], {"house_ids": [w.a, w.b]}, mgr)
    expect_problem(r, 422, "validation_failed")
    expect([e["field"] for e in r.json["errors"]] == ["house_ids"], f"{r.json}")
    expect(w.counts() == before, "a refused write wrote something")
    r = w.patch(mine["id"], {"address": "Jl. Manajer"}, mgr)
    expect(r.status == 200 and r.json["address"] == "Jl. Manajer", f"{r}")
    r = w.post(w.body(house_ids=[w.a]), mgr)
    expect(r.status == 201, f"a manager's create: {r}")
    expect(w.audit(r.json["id"])[0]["user_id"] is not None, "audit user")


def test_visibility_and_filters(d):
    w = world(d)
    c = d.house(w.token)["id"]
    _, mgr = w.user("manager", [c])
    _, cw = w.user("caseworker", [w.b, c])
    p = w.create(house_ids=[w.a, c, w.b], kind="religious")
    expect(w.get(p["id"])["house_ids"] == [w.a, c, w.b], "admin sees every house")
    expect(w.get(p["id"], mgr)["house_ids"] == [c], "a manager sees its houses only")
    expect(w.get(p["id"], cw)["house_ids"] == [c, w.b], "in the partner's order, the reader's only")
    listed = d.must("GET", f"partners?house_id={c}", token=mgr)["items"]
    expect([x["id"] for x in listed] == [p["id"]] and listed[0]["house_ids"] == [c], f"{listed}")
    expect_problem(d.request("GET", f"/api/v1/partners?house_id={w.a}", token=mgr), 404, "not_found")
    expect_problem(d.request("GET", "/api/v1/partners?house_id=00000000-0000-4000-8000-000000000000",
                             token=w.token), 404, "not_found")
    expect_problem(d.request("GET", "/api/v1/partners?house_id=x", token=w.token), 422, "validation_failed")
    expect_problem(d.request("GET", "/api/v1/partners?kind=x", token=w.token), 422, "validation_failed")
    expect_problem(d.request("GET", "/api/v1/partners?active=maybe", token=w.token), 422, "validation_failed")
    retired = w.create(house_ids=[c], kind="religious", active=False)
    kind = d.must("GET", f"partners?house_id={c}&kind=religious", token=w.token)["items"]
    expect([x["id"] for x in kind] == [p["id"], retired["id"]], f"kind filter: {kind}")
    act = d.must("GET", f"partners?house_id={c}&active=false", token=w.token)["items"]
    expect([x["id"] for x in act] == [retired["id"]], f"active=false: {act}")
    act = d.must("GET", f"partners?house_id={c}&active=true", token=w.token)["items"]
    expect([x["id"] for x in act] == [p["id"]], f"active=true: {act}")
    expect(d.must("GET", f"partners?house_id={c}&kind=ngo", token=w.token)["items"] == [], "kind ngo")
    # pages in creation order
    ids = [w.create(house_ids=[c])["id"] for _ in range(3)]
    seen, cursor = [], None
    while True:
        page = d.must("GET", f"partners?house_id={c}&limit=2" + (f"&cursor={cursor}" if cursor else ""),
                      token=mgr)
        seen += [x["id"] for x in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    expect(seen == [p["id"], retired["id"]] + ids, f"pages: {seen}")


def test_database_checks(d):
    w = world(d)
    p = w.create()
    for sql, name in [
        (f"UPDATE app.partners SET house_ids = '{{}}' WHERE id = '{p['id']}'", "partners_house_ids_check"),
        (f"UPDATE app.partners SET house_ids = ARRAY['{w.a}', '{w.a}']::uuid[] WHERE id = '{p['id']}'",
         "partners_house_ids_check"),
        (f"UPDATE app.partners SET kind = 'school' WHERE id = '{p['id']}'", "partners_kind_check"),
        (f"UPDATE app.partners SET agreement_number = 'P' WHERE id = '{p['id']}'", "partners_agreement_check"),
        (f"UPDATE app.partners SET agreement_number = 'P', agreement_signed_on = '2026-01-10', "
         f"agreement_valid_until = '2026-01-09' WHERE id = '{p['id']}'", "partners_agreement_valid_until_check"),
    ]:
        err = psql_fails(d, sql)
        expect(name in err, f"{sql}: {err}")


def programme(w, house, partner, d=None):
    return (d or w.d).request("POST", "/api/v1/programmes", token=w.token, timeout=60,
                              json_body={"house_id": house, "kind": "skills_training", "title": "Las " + uid(),
                                         "starts_on": day(-3), "partner_id": partner["id"]})


def test_house_removal_with_programme(d):
    w = world(d)
    for walk in ([], ["open"], ["open", "running"]):
        p = w.create(house_ids=[w.a, w.b])
        g = programme(w, w.b, p).json
        for s in walk:
            d.must("PATCH", f"programmes/{g['id']}", {"status": s}, token=w.token)
        before = w.counts()
        r = w.patch(p["id"], {"house_ids": [w.a]})
        expect_problem(r, 422, "validation_failed")
        expect([e["field"] for e in r.json["errors"]] == ["house_ids"], f"{walk}: {r.json}")
        expect(w.counts() == before and w.get(p["id"])["house_ids"] == [w.a, w.b], f"{walk}: a refused write wrote")
        # the other house goes freely; the programme's house stays
        n = d.must("PATCH", f"partners/{p['id']}", {"house_ids": [w.b]}, token=w.token)
        expect(n["house_ids"] == [w.b], f"{n}")
    for end in (["open", "running", "finished"], ["cancelled"]):
        p = w.create(house_ids=[w.a, w.b])
        g = programme(w, w.b, p).json
        for s in end:
            g = d.must("PATCH", f"programmes/{g['id']}", {"status": s}, token=w.token)
        n = d.must("PATCH", f"partners/{p['id']}", {"house_ids": [w.a]}, token=w.token)
        expect(n["house_ids"] == [w.a], f"{end[-1]} programme: {n}")


def test_race_house_removal_two_instances(d):
    w = world(d)
    with harness.Instance(share=d) as other:
        for round_ in range(6):
            p = w.create(house_ids=[w.a, w.b])
            got = harness.race([lambda: programme(w, w.b, p, d if round_ % 2 else other),
                                lambda: (other if round_ % 2 else d).request(
                                    "PATCH", f"/api/v1/partners/{p['id']}", json_body={"house_ids": [w.a]},
                                    token=w.token, timeout=60)])
            statuses = [getattr(r, "status", repr(r)) for r in got]
            expect(statuses in ([201, 422], [422, 200]), f"round {round_}: {statuses} {got}")
            left = d.psql(f"SELECT count(*) FROM app.programmes g JOIN app.partners x ON x.id = g.partner_id "
                          f"WHERE x.id = '{p['id']}' AND NOT g.house_id = ANY (x.house_ids)").strip()
            expect(left == "0", f"round {round_}: a programme in a house its partner left")


def test_race_two_instances(d):
    w = world(d)
    with harness.Instance(share=d) as other:
        both = [d, other]
        for round_ in range(4):
            base = "Pokmas Lipas " + uid()
            names = [base, "  " + base.upper() + " ", base.lower(), " " + base.swapcase()]
            got = harness.race([lambda i=i: both[i % 2].request(
                "POST", "/api/v1/partners", token=w.token, timeout=60,
                json_body=w.body(name=names[i], kind="community_group")) for i in range(len(names))])
            statuses = sorted(getattr(r, "status", repr(r)) for r in got)
            expect(statuses == [201, 409, 409, 409], f"round {round_}: {statuses} {got[:2]}")
            expect(all(r.json["code"] == "conflict" for r in got if r.status == 409), f"{got}")
            rows = d.psql(f"SELECT count(*) FROM app.partners WHERE lower(btrim(name)) = lower('{base}')").strip()
            expect(rows == "1", f"rows: {rows}")
            n = d.psql("SELECT count(*) FROM app.audit_log WHERE action = 'partner.create' "
                       f"AND lower(after->>'name') = lower('{base}')").strip()
            expect(n == "1", f"partner.create audit records: {n}")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
