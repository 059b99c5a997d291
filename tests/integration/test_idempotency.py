"""Idempotency-Key on POST (API.md §3, issue 3), across a restart and two instances.

- A POST with a key, replayed after the daemon restarted (and through the other
  instance), returns the identical status and body, creates no second object and appends
  no audit record.
- 10 concurrent POSTs with one key through two instances: one object, 10 identical 201s.
  The same for a check-in (without the key 9 of them would be 409 bed_occupied).
- The same key with another body, or on another path: 422 idempotency_key_reused; the key
  belongs to its user (another user may use the same key for its own request).
- An error response (409 conflict) is stored and replayed as it was, even after the
  cause of the error went away."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem  # noqa: E402

CONCURRENT = 10


def post(d, path, body, token, key):
    return d.request("POST", "/api/v1/" + path, json_body=body, token=token, headers={"Idempotency-Key": key})


def same(r1, r2, what):
    expect(r2.status == r1.status, f"{what}: status {r2.status}, first response {r1.status}")
    expect(r2.json == r1.json, f"{what}: body differs:\n  first:  {r1.text[:400]}\n  replay: {r2.text[:400]}")
    expect(r2.header("content-type") == r1.header("content-type"),
           f"{what}: Content-Type {r2.header('content-type')!r} vs {r1.header('content-type')!r}")


def audit_count(d, token):
    body = d.must("GET", "audit/verify", token=token)
    expect(body.get("ok") is True, f"audit chain broken: {body}")
    return body["records"]


def count(d, sql):
    return int(d.psql(sql).strip())


def test_idempotency():
    with harness.Instance() as a, harness.Instance(share=a) as b:
        token = a.login()
        hid = a.house(token)["id"]
        room = a.room(token, hid)
        summary = []

        # ---- replay after a restart, and through the other instance
        regno = "IDEM-" + harness.uid()
        body = {"house_id": hid, "full_name": "Rudi Hartono", "register_number": regno, "sex": "male",
                "legal_status": "parole"}
        key = "it-idem-restart-" + harness.uid()
        first = post(a, "residents", body, token, key)
        expect(first.status == 201 and first.json and "id" in first.json, f"first POST: {first}")
        records = audit_count(a, token)
        a.restart()
        replay = post(a, "residents", body, token, key)
        same(first, replay, "replay after restart")
        same(first, post(b, "residents", body, token, key), "replay through the other instance")
        n = count(a, f"SELECT count(*) FROM app.residents WHERE register_number = '{regno}'")
        expect(n == 1, f"{n} residents with register number {regno} after 3 requests with one key")
        expect(audit_count(b, token) == records, "a replay appended an audit record")
        summary.append("restart replay identical")

        # ---- 10 concurrent requests with one key, two instances: the work is done once
        regno = "IDEM-" + harness.uid()
        body = dict(body, register_number=regno, full_name="Sari Wulandari", sex="female")
        key = "it-idem-race-" + harness.uid()
        results = harness.race([lambda d=d: post(d, "residents", body, token, key) for d in [a, b] * (CONCURRENT // 2)])
        errors = [r for r in results if isinstance(r, Exception)]
        expect(not errors, f"concurrent requests raised: {errors[:3]}")
        statuses = sorted(r.status for r in results)
        expect(statuses == [201] * CONCURRENT, f"statuses of {CONCURRENT} concurrent requests with one key: {statuses}")
        bodies = {r.text for r in results}
        expect(len({str(r.json) for r in results}) == 1, f"{len(bodies)} different bodies: {list(bodies)[:3]}")
        n = count(a, f"SELECT count(*) FROM app.residents WHERE register_number = '{regno}'")
        expect(n == 1, f"{n} residents created by {CONCURRENT} concurrent requests with one key")
        n = count(a, f"SELECT count(*) FROM app.audit_log WHERE entity_id = '{results[0].json['id']}'")
        expect(n == 1, f"{n} audit records for the resident created by the concurrent requests")

        # the same with a check-in: without the key, 9 of them would be 409 bed_occupied
        bed = a.bed(token, room["id"])
        resident = a.resident(token, hid)
        key = "it-idem-checkin-" + harness.uid()
        checkin = {"resident_id": resident["id"], "bed_id": bed["id"], "rules_acknowledged": True}
        results = harness.race([lambda d=d: post(d, "stays", checkin, token, key) for d in [b, a] * (CONCURRENT // 2)])
        expect(all(not isinstance(r, Exception) and r.status == 201 for r in results),
               f"concurrent check-ins with one key: {[getattr(r, 'status', r) for r in results]}")
        expect(len({str(r.json) for r in results}) == 1, "concurrent check-ins with one key: bodies differ")
        n = count(a, f"SELECT count(*) FROM app.stays WHERE resident_id = '{resident['id']}'")
        expect(n == 1, f"{n} stays created by {CONCURRENT} concurrent check-ins with one key")
        summary.append(f"{CONCURRENT}x2 concurrent one-key requests -> 1 object each")

        # ---- the same key with another body, on another path; another user's key space
        key = "it-idem-reuse-" + harness.uid()
        body = {"code": "H-" + harness.uid(), "name": "Griya Reuse"}
        first = post(a, "houses", body, token, key)
        expect(first.status == 201, f"POST houses: {first}")
        expect_problem(post(b, "houses", dict(body, name="Griya Lain"), token, key), 422, "idempotency_key_reused")
        expect_problem(post(a, "houses", dict(body, code="H-" + harness.uid()), token, key), 422,
                       "idempotency_key_reused")
        expect_problem(post(a, f"houses/{hid}/rooms", {"code": "R-" + harness.uid(), "sex": "any"}, token, key),
                       422, "idempotency_key_reused")
        same(first, post(b, "houses", body, token, key), "replay after a refused reuse")
        n = count(a, "SELECT count(*) FROM app.houses WHERE name = 'Griya Lain'")
        expect(n == 0, "a refused key reuse created a house")
        username, password = "mgr-" + harness.uid(), "it-manager-" + harness.uid()
        a.must("POST", "users", {"username": username, "password": password, "role": "manager",
                                 "full_name": "Manajer", "house_ids": [hid]}, 201, token=token)
        manager = a.login(username, password)
        own = post(b, f"houses/{hid}/rooms", {"code": "R-" + harness.uid(), "sex": "male"}, manager, key)
        expect(own.status == 201, f"another user's request with the same key: {own} (keys are per user)")
        summary.append("reuse -> 422 idempotency_key_reused")

        # ---- an error response is stored and replayed, even after its cause is gone
        taken = a.house(token)
        key = "it-idem-error-" + harness.uid()
        body = {"code": taken["code"], "name": "Griya Duplikat"}
        first = post(a, "houses", body, token, key)
        expect_problem(first, 409, "conflict")
        a.must("PATCH", f"houses/{taken['id']}", {"code": "H-" + harness.uid()}, token=token)
        b.restart()
        replay = post(b, "houses", body, token, key)
        same(first, replay, "replay of a 409 after the conflict went away (and a restart)")
        expect_problem(replay, 409, "conflict")
        n = count(a, "SELECT count(*) FROM app.houses WHERE name = 'Griya Duplikat'")
        expect(n == 0, "the replay of a stored 409 created the house")
        fresh = post(b, "houses", body, token, key + "-new")
        expect(fresh.status == 201, f"the same body under a new key: {fresh}")
        summary.append("409 replayed after its cause went away")
        print("idempotency: " + "; ".join(summary))


if __name__ == "__main__":
    harness.main(globals())
