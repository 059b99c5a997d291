"""The audit hash chain under concurrent writers on two daemon instances, and its
tamper evidence (API.md §12, issue 3).

Two daemons share one database. 16 client threads send 40 resident creates and 60
patches (3 of each of 20 earlier residents), alternating between the instances, each
with its own X-Request-Id. Afterwards:
- GET /audit/verify is {"ok": true, "records": N} with N = the records before + every change;
- each change has exactly one audit record (found by its request id), with the right
  action, entity and before/after; each resident's records show versions 1, 2, 3, ... in
  chain order (the chain order is the commit order of the row changes);
- in the table, positions are 1..N without gaps and every prev_hash is the previous hash,
  and the head row points at the last record.
Then each stored column of one record in the middle is changed by hand (psql, with
session_replication_role = replica, as an intruder would), and the record deleted: verify
must say ok false with that record's id as first_bad_id (deletion: the next record's id);
restoring the row must bring ok true and the same count back."""

import json
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect  # noqa: E402

CREATES = 40
PATCHED = 20          # residents created before, each patched PATCHES_EACH times
PATCHES_EACH = 3
THREADS = 16


def verify(d, token):
    return d.must("GET", "audit/verify", token=token)


def all_audit(d, token):
    """Every audit record visible to the admin, following the cursor."""
    items, cursor = [], None
    for _ in range(1000):
        path = "audit?limit=200" + (f"&cursor={cursor}" if cursor else "")
        page = d.must("GET", path, token=token)
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items
    raise AssertionError("next_cursor never ends")


def tamper_and_restore(d, token, record_id, assignment, expect_bad, what, n_records):
    """Hand-edit one column of the record, check verify, restore it, check verify again."""
    d.psql(f"SET session_replication_role = replica; "
           f"UPDATE app.audit_log a SET {assignment} WHERE a.id = '{record_id}'")
    body = verify(d, token)
    expect(body.get("ok") is False, f"verify after tampering with {what}: {body}")
    if expect_bad is not None:
        expect(body.get("first_bad_id") == expect_bad,
               f"tampering with {what}: first_bad_id {body.get('first_bad_id')!r}, expected {expect_bad}")
    # the column list of the backup restores every column, the id last (it may be the tampered one)
    d.psql("SET session_replication_role = replica; "
           "UPDATE app.audit_log a SET (pos, at, user_id, action, entity, entity_id, house_id, request_id, "
           "before, after, prev_hash, hash, id) = (b.pos, b.at, b.user_id, b.action, b.entity, b.entity_id, "
           "b.house_id, b.request_id, b.before, b.after, b.prev_hash, b.hash, b.id) "
           f"FROM public.it_audit_backup b WHERE a.id IN (b.id, '{_current_id[0]}')")
    body = verify(d, token)
    expect(body == {"ok": True, "records": n_records}, f"verify after restoring {what}: {body}")


_current_id = [None]   # the tampered record's id while it is changed (for the restore)


def test_audit_chain_two_writers_and_tamper():
    with harness.Instance() as a, harness.Instance(share=a) as b:
        token = a.login()
        bases = [a, b]
        before = verify(a, token)
        expect(before.get("ok") is True and isinstance(before.get("records"), int), f"verify at start: {before}")
        n0 = before["records"]
        house = a.house(token)
        hid = house["id"]
        changes = 1
        # residents to patch, created one by one
        patched = [a.resident(token, hid) for _ in range(PATCHED)]
        changes += PATCHED

        calls, expected = [], {}
        for i in range(CREATES):
            rid = f"it-audit-create-{i}-{uuid.uuid4().hex[:8]}"
            body = {"house_id": hid, "full_name": f"Warga Audit {i}", "register_number": "AU-" + harness.uid(),
                    "sex": "female" if i % 2 else "male", "legal_status": "probation"}
            d = bases[i % 2]
            calls.append(lambda d=d, body=body, rid=rid: d.request(
                "POST", "/api/v1/residents", json_body=body, token=token, headers={"X-Request-Id": rid}))
            expected[rid] = ("create", body)
        for k in range(PATCHES_EACH):
            for j, r in enumerate(patched):
                rid = f"it-audit-patch-{k}-{j}-{uuid.uuid4().hex[:8]}"
                phone = f"08{k}{j:04d}"
                d = bases[(j + k) % 2]
                calls.append(lambda d=d, r=r, phone=phone, rid=rid: d.request(
                    "PATCH", f"/api/v1/residents/{r['id']}", json_body={"phone": phone}, token=token,
                    headers={"X-Request-Id": rid}))
                expected[rid] = ("patch", r["id"], phone)
        results = harness.race(calls, THREADS)
        rids = list(expected)
        bad = [f"{rid}: {res!r}" for rid, res in zip(rids, results)
               if isinstance(res, Exception) or res.status != (201 if expected[rid][0] == "create" else 200)]
        expect(not bad, f"{len(bad)} of {len(calls)} concurrent changes failed:\n  " + "\n  ".join(bad[:10]))
        changes += len(calls)
        n = n0 + changes

        body = verify(a, token)
        expect(body == {"ok": True, "records": n}, f"verify after {changes} changes (+{n0} before): {body}, "
                                                    f"expected {{'ok': True, 'records': {n}}}")
        expect(verify(b, token) == body, "the two instances disagree about the chain")

        # each change: exactly one record, the right one
        records = all_audit(b, token)
        expect(len(records) == n, f"GET /audit lists {len(records)} records, verify counts {n}")
        by_rid = {}
        for rec in records:
            by_rid.setdefault(rec["request_id"], []).append(rec)
        created_ids = {}
        for rid, (kind, *rest) in expected.items():
            recs = by_rid.get(rid, [])
            expect(len(recs) == 1, f"change {rid} has {len(recs)} audit records (expected exactly 1)")
            rec = recs[0]
            expect(rec["entity"] == "resident" and rec["house_id"] == hid, f"record of {rid}: {rec}")
            if kind == "create":
                expect(rec["before"] is None and rec["after"]["register_number"] == rest[0]["register_number"],
                       f"create record of {rid}: {rec}")
                created_ids[rec["entity_id"]] = rid
            else:
                rid_entity, phone = rest
                expect(rec["entity_id"] == rid_entity and rec["after"]["phone"] == phone,
                       f"patch record of {rid}: {rec}")
                expect(rec["after"]["version"] == rec["before"]["version"] + 1,
                       f"patch record of {rid}: versions {rec['before']['version']} -> {rec['after']['version']}")
        expect(len(created_ids) == CREATES, f"{len(created_ids)} distinct created residents, expected {CREATES}")
        # per resident, in chain order: versions 1, 2, ..., and each record's before is the previous after
        for r in patched:
            chain = [rec for rec in records if rec["entity_id"] == r["id"]]
            versions = [rec["after"]["version"] for rec in chain]
            expect(versions == list(range(1, PATCHES_EACH + 2)),
                   f"resident {r['id']}: versions in chain order {versions}")
            for prev, rec in zip(chain, chain[1:]):
                expect(rec["before"] == prev["after"], f"resident {r['id']}: a record's before is not the "
                                                        f"previous record's after")

        # the table itself: contiguous positions, linked hashes, head at the end
        stats = a.psql("SELECT count(*), count(DISTINCT pos), min(pos), max(pos) FROM app.audit_log").strip()
        expect(stats == f"{n}|{n}|1|{n}", f"positions (count|distinct|min|max) = {stats}, expected {n}|{n}|1|{n}")
        broken = a.psql("SELECT count(*) FROM (SELECT prev_hash, lag(hash) OVER (ORDER BY pos) AS p, pos "
                        "FROM app.audit_log) x WHERE pos > 1 AND prev_hash IS DISTINCT FROM p").strip()
        expect(broken == "0", f"{broken} records whose prev_hash is not the previous record's hash")
        head = a.psql("SELECT h.pos = l.pos AND h.hash = l.hash FROM app.audit_head h, "
                      "(SELECT pos, hash FROM app.audit_log ORDER BY pos DESC LIMIT 1) l").strip()
        expect(head == "t", "the chain head does not point at the last record")

        # tampering: one record in the middle (a concurrent patch), every stored column
        mid = n // 2
        victim = a.psql(f"SELECT id FROM app.audit_log WHERE pos = {mid}").strip()
        after_victim = a.psql(f"SELECT id FROM app.audit_log WHERE pos = {mid + 1}").strip()
        a.psql("DROP TABLE IF EXISTS public.it_audit_backup; "
               f"CREATE TABLE public.it_audit_backup AS SELECT * FROM app.audit_log WHERE id = '{victim}'")
        new_id = str(uuid.uuid4())
        tampers = [
            ("at", "at = a.at + interval '1 microsecond'", victim),
            ("user_id", "user_id = gen_random_uuid()", victim),
            ("action", "action = a.action || '~'", victim),
            ("entity", "entity = a.entity || '~'", victim),
            ("entity_id", "entity_id = gen_random_uuid()", victim),
            ("house_id", "house_id = gen_random_uuid()", victim),
            ("request_id", "request_id = coalesce(a.request_id, '') || '~'", victim),
            ("before", "before = coalesce(a.before, '{}') || '{\"phone\": \"0000\"}'", victim),
            ("after", "after = jsonb_set(a.after, '{full_name}', '\"Nama Palsu\"')", victim),
            ("prev_hash", "prev_hash = sha256('x')", victim),
            ("hash", "hash = sha256('x')", victim),
            ("id", f"id = '{new_id}'", new_id),
            ("pos", "pos = a.pos + 1000000", None),
        ]
        for what, assignment, bad_id in tampers:
            _current_id[0] = new_id if what == "id" else victim
            tamper_and_restore(a, token, victim, assignment, bad_id, what, n)
        # deleting a record in the middle: the next one no longer links
        a.psql(f"SET session_replication_role = replica; DELETE FROM app.audit_log WHERE id = '{victim}'")
        body = verify(b, token)
        expect(body.get("ok") is False and body.get("first_bad_id") == after_victim,
               f"verify after deleting record {mid}: {body}, expected first_bad_id {after_victim}")
        a.psql("SET session_replication_role = replica; INSERT INTO app.audit_log SELECT * FROM public.it_audit_backup")
        expect(verify(b, token) == {"ok": True, "records": n}, "verify after re-inserting the deleted record")
        # deleting the last record: the head points past the end
        a.psql("DROP TABLE public.it_audit_backup; CREATE TABLE public.it_audit_backup AS "
               f"SELECT * FROM app.audit_log WHERE pos = {n}; "
               f"SET session_replication_role = replica; DELETE FROM app.audit_log WHERE pos = {n}")
        body = verify(a, token)
        expect(body.get("ok") is False, f"verify after deleting the last record: {body}")
        a.psql("SET session_replication_role = replica; INSERT INTO app.audit_log SELECT * FROM public.it_audit_backup; "
               "DROP TABLE public.it_audit_backup")
        expect(verify(a, token) == {"ok": True, "records": n}, "verify after re-inserting the last record")
        # and the chain goes on after the restore
        a.resident(token, hid)
        expect(verify(b, token) == {"ok": True, "records": n + 1}, "verify after one more change")
        print(f"audit chain: {len(calls)} concurrent changes via 2 instances + {changes - len(calls)} sequential, "
              f"{n} records verified, {len(tampers)} column tampers + 2 deletions detected and restored")


if __name__ == "__main__":
    harness.main(globals())
