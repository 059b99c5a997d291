"""Partner users (contract §16.3, amending §1 and §4): the role `partner`, `partner_id` on users,
and the partner-404 rule. One daemon for all tests; retirement adds a second instance.

- test_user_invariants: role partner <=> partner_id, a partner user has no house_ids: 422 naming
  partner_id or house_ids exactly as §16.3 says, on POST and PATCH (stored or sent); partner_id
  of no partner or a retired one 422; turning a partner user into a house user and back; every
  user object carries partner_id; nothing written on each refusal; the CHECKs refuse psql.
- test_user_add_refuses_partner: `abiprayad user-add --role partner` exits non-zero with
  "partner users are created through the API", no user.
- test_login_and_me_carry_partner_id: the login answer's user and GET /me.
- test_partner_reads_its_own_partner: GET /partners lists only its own (every house id, no notes),
  another partner's id 404, a house_id filter of a house its partner does not work with 404.
- test_every_other_route_is_404: every /api/v1 route of the route table (`abiprayad spec-dump`)
  called with a partner token, with real ids of the partner's house where the path takes one,
  with a valid-looking body, a broken body, a body of another media type, a bad query and an
  Idempotency-Key: 404 not_found on each but the routes §16.3 lists; section 15's paths among
  them; a wrong method on an allowed path and paths §16.3 names that do not exist yet 404 too;
  nothing written (audit, idempotency keys).
- test_partner_stream_gets_no_event: a partner's event stream (live and Last-Event-ID: 0) gets
  none of the house events an admin's stream of the same house gets.
- test_retire_revokes_on_both_instances: retiring the partner makes its user's token 401 at once
  through either instance, ends its stream, its login 401 invalid_credentials on both;
  reactivating lets it log in again (the old token stays dead).
- test_retire_racing_logins: logins through two instances racing the retirement: no session
  survives it, every token a login gave is 401 afterwards."""

import datetime as dt
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_events  # noqa: E402 - its SSE client
import test_openapi as openapi  # noqa: E402 - its reader of `abiprayad spec-dump`
import test_partners  # noqa: E402 - its world: houses, an admin, partners
from harness import expect, expect_problem, uid  # noqa: E402

NOBODY = "00000000-0000-4000-8000-000000000000"
# §16.3's list, as far as this build has those routes (the rest of the list comes with §16.4+)
ALLOWED = {("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/logout"), ("GET", "/api/v1/me"),
           ("GET", "/api/v1/events"), ("GET", "/api/v1/partners"), ("GET", "/api/v1/partners/{id}"),
           ("GET", "/api/v1/programmes"), ("GET", "/api/v1/programmes/{id}"), ("GET", "/api/v1/sessions"),
           ("GET", "/api/v1/sessions/{id}"), ("GET", "/api/v1/reports/programme"),
           ("GET", "/api/v1/programmes/{id}/partner-view"),   # §18.3 (test_consents)
           ("GET", "/api/v1/reports/outcomes")}   # §18.9 (test_outcome_report)


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class World(test_partners.World):
    """test_partners' world (houses a and b, an admin token) with a partner of house a and a
    rival working with a and b."""

    def __init__(self, d):
        super().__init__(d)
        self.house, self.other_house = self.a, self.b
        self.partner = self.new_partner([self.house])
        self.rival = self.new_partner([self.house, self.other_house])

    def new_partner(self, houses, **fields):
        return self.create(house_ids=houses, kind="ngo", notes="house-only notes", **fields)

    def user_body(self, **fields):
        return {"username": "p-" + uid(), "password": "pw-" + uid() + uid(), "role": "partner",
                "full_name": "Mitra User", "partner_id": self.partner["id"], **fields}

    def partner_user(self, partner=None):
        body = self.user_body(partner_id=(partner or self.partner)["id"])
        u = self.d.must("POST", "users", body, 201, token=self.token)
        return u, body["password"]

    def counts(self):
        return self.d.psql("SELECT (SELECT count(*) FROM app.users), (SELECT coalesce(sum(version), 0) "
                           "FROM app.users), (SELECT count(*) FROM app.audit_log), "
                           "(SELECT count(*) FROM app.partners), (SELECT count(*) FROM app.events)").strip()

    def occupied_bed(self, since):
        """A room, bed, resident and the stay that holds it in the partner's house since SINCE."""
        room = self.d.room(self.token, self.house)
        bed = self.d.bed(self.token, room["id"])
        resident = self.d.resident(self.token, self.house)
        stay = self.d.must("POST", "stays", {"resident_id": resident["id"], "bed_id": bed["id"],
                                             "checked_in_at": rfc3339(since), "rules_acknowledged": True},
                           201, token=self.token)
        return room, bed, resident, stay


def world(d):
    return test_partners.world(d, World)


def fields_of(r):
    return sorted(e["field"] for e in r.json.get("errors", []))


def test_user_invariants(d):
    w = world(d)
    retired = w.new_partner([w.house], active=False)
    before = w.counts()
    for body, fields in [
        (w.user_body(partner_id=None), ["partner_id"]),
        ({k: v for k, v in w.user_body().items() if k != "partner_id"}, ["partner_id"]),
        (w.user_body(house_ids=[w.house]), ["house_ids"]),
        (w.user_body(partner_id=None, house_ids=[w.house]), ["house_ids", "partner_id"]),
        (w.user_body(role="staff", house_ids=[w.house]), ["partner_id"]),
        (w.user_body(role="admin"), ["partner_id"]),
        (w.user_body(partner_id=NOBODY), ["partner_id"]),
        (w.user_body(partner_id=retired["id"]), ["partner_id"]),
        (w.user_body(partner_id="not-a-uuid"), ["partner_id"]),
    ]:
        r = d.request("POST", "/api/v1/users", json_body=body, token=w.token)
        expect_problem(r, 422, "validation_failed")
        expect(fields_of(r) == fields, f"{ {k: body.get(k) for k in ('role', 'partner_id', 'house_ids')} }: "
                                       f"{r.json}")
    expect(w.counts() == before, "a refused write wrote something")

    u, _ = w.partner_user()
    expect(u["role"] == "partner" and u["partner_id"] == w.partner["id"] and u["house_ids"] == [], f"{u}")
    staff = d.must("POST", "users", w.user_body(role="staff", partner_id=None, house_ids=[w.house]), 201,
                   token=w.token)
    expect(staff["partner_id"] is None, f"{staff}")
    # every user object carries partner_id
    users = d.must("GET", "users?limit=200", token=w.token)["items"]
    expect(all("partner_id" in x for x in users), "a user object without partner_id")
    expect(d.must("GET", f"users/{u['id']}", token=w.token)["partner_id"] == w.partner["id"], "GET user")

    before = w.counts()
    for uid_, body, fields in [
        (u["id"], {"role": "staff"}, ["partner_id"]),                                   # still stored
        (u["id"], {"role": "staff", "house_ids": [w.house]}, ["partner_id"]),
        (u["id"], {"partner_id": None}, ["partner_id"]),
        (u["id"], {"house_ids": [w.house]}, ["house_ids"]),
        (u["id"], {"partner_id": retired["id"]}, ["partner_id"]),
        (u["id"], {"partner_id": NOBODY}, ["partner_id"]),
        (staff["id"], {"partner_id": w.partner["id"]}, ["partner_id"]),                 # staff with a partner
        (staff["id"], {"role": "partner"}, ["house_ids", "partner_id"]),
        (staff["id"], {"role": "partner", "partner_id": w.partner["id"]}, ["house_ids"]),  # houses stored
    ]:
        r = d.request("PATCH", f"/api/v1/users/{uid_}", json_body=body, token=w.token)
        expect_problem(r, 422, "validation_failed")
        expect(fields_of(r) == fields, f"PATCH {body}: {r.json}")
    expect(w.counts() == before, "a refused write wrote something")

    # a partner user moved to another partner, made a house user, and back
    n = d.must("PATCH", f"users/{u['id']}", {"partner_id": w.rival["id"]}, token=w.token)
    expect(n["partner_id"] == w.rival["id"], f"{n}")
    n = d.must("PATCH", f"users/{u['id']}", {"role": "caseworker", "partner_id": None, "house_ids": [w.house]},
               token=w.token)
    expect(n["role"] == "caseworker" and n["partner_id"] is None and n["house_ids"] == [w.house], f"{n}")
    n = d.must("PATCH", f"users/{u['id']}", {"role": "partner", "partner_id": w.partner["id"], "house_ids": []},
               token=w.token)
    expect(n["role"] == "partner" and n["partner_id"] == w.partner["id"] and n["house_ids"] == [], f"{n}")
    # a stored partner_id of a partner retired since is not checked again for another field
    other = w.new_partner([w.house])
    v, _ = w.partner_user(other)
    d.must("PATCH", f"partners/{other['id']}", {"active": False}, token=w.token)
    expect(d.must("PATCH", f"users/{v['id']}", {"full_name": "Renamed"}, token=w.token)["full_name"] == "Renamed",
           "renaming a retired partner's user")

    # the database's CHECKs
    for sql, name in [(f"UPDATE app.users SET partner_id = NULL WHERE id = '{u['id']}'", "users_partner_role"),
                      (f"UPDATE app.users SET house_ids = ARRAY['{w.house}']::uuid[] WHERE id = '{u['id']}'",
                       "users_partner_no_houses"),
                      (f"UPDATE app.users SET partner_id = '{w.partner['id']}' WHERE id = '{staff['id']}'",
                       "users_partner_role"),
                      (f"UPDATE app.users SET role = 'partner', house_ids = '{{}}' WHERE id = '{staff['id']}'",
                       "users_partner_role")]:
        try:
            d.psql(sql)
            raise AssertionError(f"psql accepted {sql}")
        except RuntimeError as e:
            expect(name in str(e), f"{sql}: {e}")


def test_user_add_refuses_partner(d):
    name = "cli-p-" + uid()
    out = d.cli("user-add", name, "--role", "partner", stdin="it-cli-password-123\n")
    expect(out.returncode != 0, f"user-add --role partner exited 0: {out.stdout!r}")
    expect("partner users are created through the API" in out.stderr, f"message: {out.stderr!r}")
    expect(d.psql(f"SELECT count(*) FROM app.users WHERE username = '{name}'").strip() == "0", "a user was made")


def test_login_and_me_carry_partner_id(d):
    w = world(d)
    u, password = w.partner_user()
    r = d.request("POST", "/api/v1/auth/login", json_body={"username": u["username"], "password": password})
    expect(r.status == 200, f"login: {r}")
    expect(r.json["user"] == {"id": u["id"], "username": u["username"], "role": "partner",
                              "full_name": "Mitra User", "house_ids": [], "partner_id": w.partner["id"]},
           f"login user: {r.json['user']}")
    me = d.must("GET", "me", token=r.json["token"])
    expect(me["partner_id"] == w.partner["id"] and me["role"] == "partner" and me["house_ids"] == [], f"{me}")
    admin = d.must("GET", "me", token=w.token)
    expect("partner_id" in admin and admin["partner_id"] is None, f"admin's me: {admin}")
    r = d.request("POST", "/api/v1/auth/login", json_body={"username": harness.ADMIN_USER,
                                                           "password": d.admin_password})
    expect(r.json["user"]["partner_id"] is None, f"{r.json}")


def test_partner_reads_its_own_partner(d):
    w = world(d)
    u, password = w.partner_user()
    token = d.login(u["username"], password)
    listed = d.must("GET", "partners", token=token)["items"]
    expect([p["id"] for p in listed] == [w.partner["id"]], f"a partner's list: {listed}")
    own = d.must("GET", f"partners/{w.partner['id']}", token=token)
    expect("notes" not in own and own["house_ids"] == [w.house] and own["name"] == w.partner["name"], f"{own}")
    expect(listed[0] == own, "list and GET differ")
    expect_problem(d.request("GET", f"/api/v1/partners/{w.rival['id']}", token=token), 404, "not_found")
    expect_problem(d.request("GET", f"/api/v1/partners/{NOBODY}", token=token), 404, "not_found")
    expect([p["id"] for p in d.must("GET", f"partners?house_id={w.house}", token=token)["items"]]
           == [w.partner["id"]], "house_id filter of its house")
    expect_problem(d.request("GET", f"/api/v1/partners?house_id={w.other_house}", token=token), 404, "not_found")
    expect_problem(d.request("GET", f"/api/v1/partners?house_id={NOBODY}", token=token), 404, "not_found")
    expect(d.must("GET", "partners?kind=city_government", token=token)["items"] == [], "kind filter")
    # the rival, seen by an admin, keeps both houses; the partner user never sees it
    expect(d.must("GET", f"partners/{w.rival['id']}", token=w.token)["house_ids"] == [w.house, w.other_house], "")


def real_ids(d, w):
    """Real objects of the partner's house, so that a 404 cannot be the object's absence."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    room, bed, resident, stay = w.occupied_bed(now - dt.timedelta(days=1))
    user = d.must("GET", "me", token=w.token)
    return {"houses": w.house, "rooms": room["id"], "beds": bed["id"], "residents": resident["id"],
            "stays": stay["id"], "users": user["id"], "partners": w.rival["id"]}


def concrete(path, ids):
    """PATH with each {param} replaced by a real id of the segment before it (else a random one)."""
    parts = path.split("/")
    for i, part in enumerate(parts):
        if part.startswith("{"):
            parts[i] = ids.get(parts[i - 1], NOBODY)
    return "/".join(parts)


def test_every_other_route_is_404(d):
    w = world(d)
    u, password = w.partner_user()
    token = d.login(u["username"], password)
    ids = real_ids(d, w)
    before = w.counts()
    routes = [(r["method"], r["path"]) for r in openapi.c_routes() if r["path"].startswith("/api/v1/")]
    expect(len(routes) > 60, f"only {len(routes)} routes")
    section15 = {p for _, p in routes if any(s in p for s in ("/alerts", "/legal-bases", "/reporting"))}
    expect(len(section15) >= 5, f"section 15's routes missing from the table: {section15}")
    checked = 0
    for method, template in routes:
        if (method, template) in ALLOWED:
            continue
        path = concrete(template, ids)
        tries = [dict(json_body={}), dict(body="{", content_type="application/json"),
                 dict(body="x=1", content_type="text/plain"),
                 dict(json_body={"limit": 0}, headers={"Idempotency-Key": "k-" + uid()})]
        if method == "GET":
            tries = [{}, dict(headers={"Accept": "text/csv"})]
            path_q = [path, path + "?limit=0&house_id=x&cursor=%ff"]
        else:
            path_q = [path]
        for p in path_q:
            for kw in tries:
                r = d.request(method, p, token=token, **kw)
                expect_problem(r, 404, "not_found")
                checked += 1
        # and as a house user's answer is not 404: the route exists (staff gets 403 or an answer)
    expect(checked > 150, f"only {checked} requests")
    # the routes §16.3 lists answer
    expect(d.must("GET", "me", token=token)["id"] == u["id"], "GET /me")
    expect(d.request("GET", "/api/v1/partners", token=token).status == 200, "GET /partners")
    # a method the path does not have, on an allowed path, and §16.3's paths not built yet
    for method, path in [("DELETE", "/api/v1/partners/" + w.partner["id"]), ("PATCH", "/api/v1/me"),
                         ("PUT", "/api/v1/partners"), ("POST", "/api/v1/programmes"), ("GET", "/api/v1/caseload"),
                         ("GET", "/api/v1/referrals"), ("GET", "/api/v1/holds"), ("GET", "/api/v1/roll-calls"),
                         ("GET", "/api/v1/consents"), ("GET", "/api/v1/businesses"), ("GET", "/api/v1/enrolments"),
                         ("DELETE", "/api/v1/residents/" + ids["residents"]), ("GET", "/api/v1/nothing")]:
        expect_problem(d.request(method, path, token=token), 404, "not_found")
    expect(w.counts() == before, "a partner's refused request wrote something")
    keys = d.psql(f"SELECT count(*) FROM app.idempotency_keys WHERE user_id = '{u['id']}'").strip()
    expect(keys == "0", f"idempotency keys recorded for the partner: {keys}")
    # the same routes answer a house role otherwise (the 404 is the partner's, not the route's)
    staff = d.must("POST", "users", {"username": "s-" + uid(), "password": "pw-" + uid() + uid(), "role": "staff",
                                     "full_name": "S", "house_ids": [w.house]}, 201, token=w.token)
    del staff
    for t in (w.token, "not-a-token", None):
        r = d.request("DELETE", f"/api/v1/partners/{w.partner['id']}", token=t)
        expect_problem(r, 405, "method_not_allowed")
        expect(r.header("allow") == "GET, HEAD, PATCH", f"Allow: {r.header('allow')}")
        expect(d.request("GET", "/api/v1/openapi.yaml", token=t).status == 200, "openapi.yaml for a non-partner")
    r = d.request("POST", "/api/v1/houses", json_body={}, token=w.token)
    expect(r.status == 422, f"an admin's POST /houses with {{}}: {r}")
    r = d.request("GET", f"/api/v1/residents/{ids['residents']}", token=w.token)
    expect(r.status == 200, f"the resident exists: {r}")
    print(f"{checked} partner requests answered 404")


def test_partner_stream_gets_no_event(d):
    w = world(d)
    u, password = w.partner_user()
    token = d.login(u["username"], password)
    partner_live = test_events.Stream(d, token)
    admin_live = test_events.Stream(d, w.token)
    expect(partner_live.status == 200 and "text/event-stream" in partner_live.head, f"{partner_live.head}")
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    _, _, _, stay = w.occupied_bed(now - dt.timedelta(hours=1))
    d.must("POST", f"stays/{stay['id']}/movements", {"purpose": "work", "expected_back_at":
                                                     rfc3339(now + dt.timedelta(hours=3))}, 201, token=w.token)
    d.must("PATCH", f"partners/{w.partner['id']}", {"address": "Jl. Event " + uid()}, token=w.token)
    got = admin_live.events(2, timeout=5)
    expect(len(got) >= 2, f"the admin's stream got {got}")
    expect(partner_live.events(1, timeout=1.5) == [], "the partner's stream got an event")
    backlog = test_events.Stream(d, token, last_event_id=0)
    expect(backlog.events(1, timeout=1.5) == [], "the partner's backlog holds an event")
    for s in (partner_live, admin_live, backlog):
        s.close()


def stream_ended(s, timeout):
    """True when the stream S is closed by the daemon within TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s.sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = s.sock.recv(65536)
        except OSError:
            continue
        if not chunk:
            return True
        s.raw += chunk
        if b"0\r\n\r\n" in s.raw:
            return True
    return False


def test_retire_revokes_on_both_instances(d):
    w = world(d)
    partner = w.new_partner([w.house])
    u, password = w.partner_user(partner)
    with harness.Instance(share=d) as other:
        token = d.login(u["username"], password)
        second = other.login(u["username"], password)
        for inst in (d, other):
            for t in (token, second):
                expect(inst.request("GET", "/api/v1/me", token=t).status == 200, "before the retirement")
        stream = test_events.Stream(other, token)
        expect(stream.status == 200, "stream")
        d.must("PATCH", f"partners/{partner['id']}", {"active": False}, token=w.token)
        for inst in (other, d):
            for t in (token, second):
                expect_problem(inst.request("GET", "/api/v1/me", token=t), 401, "unauthorized")
                expect_problem(inst.request("GET", "/api/v1/partners", token=t), 401, "unauthorized")
        expect(stream_ended(stream, 2.5), "the partner user's stream did not end within 2 s")
        stream.close()
        sessions = d.psql(f"SELECT count(*) FROM app.sessions WHERE user_id = '{u['id']}'").strip()
        expect(sessions == "0", f"sessions left: {sessions}")
        for inst in (d, other):
            r = inst.request("POST", "/api/v1/auth/login", json_body={"username": u["username"], "password": password})
            expect_problem(r, 401, "invalid_credentials")
            r = inst.request("POST", "/api/v1/auth/login", json_body={"username": u["username"], "password": "x" * 12})
            expect_problem(r, 401, "invalid_credentials")
        # the user itself stays active: only its partner is retired
        expect(d.must("GET", f"users/{u['id']}", token=w.token)["active"] is True, "the user was deactivated")
        d.must("PATCH", f"partners/{partner['id']}", {"active": True}, token=w.token)
        fresh = other.login(u["username"], password)
        expect(d.must("GET", "me", token=fresh)["id"] == u["id"], "login after reactivation")
        expect_problem(d.request("GET", "/api/v1/me", token=token), 401, "unauthorized")
    # another partner's users are untouched by a retirement
    v, vpw = w.partner_user()
    vt = d.login(v["username"], vpw)
    third = w.new_partner([w.house])
    d.must("PATCH", f"partners/{third['id']}", {"active": False}, token=w.token)
    expect(d.request("GET", "/api/v1/me", token=vt).status == 200, "another partner's user lost its token")


def test_retire_racing_logins(d):
    """Logins of a partner's user through two instances while the partner is retired: whatever
    the order, no session outlives the retirement (the partner row's lock orders each login's
    session before the retirement, which deletes it, or after, which refuses it)."""
    w = world(d)
    with harness.Instance(share=d) as other:
        both = [d, other]
        for round_, delay in enumerate((0.1, 0.25, 0.5, 1.0)):
            partner = w.new_partner([w.house])
            u, password = w.partner_user(partner)

            def login(i):
                return both[i % 2].request("POST", "/api/v1/auth/login", timeout=60,
                                           json_body={"username": u["username"], "password": password})

            def retire():
                time.sleep(delay)  # before, during and after the logins' KDF
                return d.request("PATCH", f"/api/v1/partners/{partner['id']}", json_body={"active": False},
                                 token=w.token, timeout=60)
            got = harness.race([lambda i=i: login(i) for i in range(4)] + [retire])
            expect(got[-1].status == 200, f"retire: {got[-1]}")
            statuses = [getattr(r, "status", repr(r)) for r in got[:-1]]
            expect(all(s in (200, 401) for s in statuses), f"round {round_}: logins {statuses}")
            print(f"  round {round_}: logins {statuses}")
            sessions = d.psql(f"SELECT count(*) FROM app.sessions WHERE user_id = '{u['id']}'").strip()
            expect(sessions == "0", f"round {round_}: {sessions} sessions outlived the retirement ({statuses})")
            for r in got[:-1]:
                if r.status == 200:
                    expect_problem(other.request("GET", "/api/v1/me", token=r.json["token"]), 401, "unauthorized")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
