"""The audit hash chain under concurrent writers on two daemon instances, and its
tamper evidence (API.md §12, issue 3; chain format 2 with a key, contract §18.12).

Two daemons share one database. 16 client threads send 40 resident creates and 60
patches (3 of each of 20 earlier residents), alternating between the instances, each
with its own X-Request-Id. Afterwards:
- GET /audit/verify is {"ok": true, "records": N, "keyed": true, ...} with N = the records before
  + every change, and head = the last record's hash;
- each change has exactly one audit record (found by its request id), with the right
  action, entity and before/after; each resident's records show versions 1, 2, 3, ... in
  chain order (the chain order is the commit order of the row changes);
- in the table, positions are 1..N without gaps and every prev_hash is the previous hash,
  and the head row points at the last record; every digest and hash is §18.12's under the key
  (recomputed in Python).
Then each stored column of one record in the middle is changed by hand (psql, with
session_replication_role = replica, as an intruder would), and the record deleted: verify
must say ok false with that record's id as first_bad_id (deletion: the next record's id);
restoring the row must bring ok true and the same count back.
Then the append-only rules (UPDATE, DELETE, TRUNCATE refused; a redaction only as 18.7 says and
verifying only with a later resident.anonymise record of the same resident) and the MAC of a
disclosure row (a tampered one is first_bad_disclosure_id)."""

import json
import os
import secrets
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect  # noqa: E402
from test_audit_keyed import chain_rows, check_stored_chain, jcs, mac  # noqa: E402

CREATES = 40
PATCHED = 20          # residents created before, each patched PATCHES_EACH times
PATCHES_EACH = 3
THREADS = 16


def verify(d, token):
    return d.must("GET", "audit/verify", token=token)


def verified(body, n, redacted=0, disclosures=0):
    """Whether BODY is verify's ok answer over N records, keyed."""
    return (body.get("ok") is True and body.get("records") == n and body.get("redacted") == redacted
            and body.get("disclosures") == disclosures and body.get("keyed") is True
            and isinstance(body.get("head"), str) and len(body["head"]) == 64)


COLUMNS = ("pos, at, user_id, action, entity, entity_id, house_id, request_id, before, after, prev_hash, hash, "
           "resident_id, payload_salt, payload_digest, redacted_at, redacted_by")


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
           f"UPDATE app.audit_log a SET ({COLUMNS}, id) = ({', '.join('b.' + c for c in COLUMNS.split(', '))}, b.id) "
           f"FROM public.it_audit_backup b WHERE a.id IN (b.id, '{_current_id[0]}')")
    body = verify(d, token)
    expect(verified(body, n_records), f"verify after restoring {what}: {body}")


_current_id = [None]   # the tampered record's id while it is changed (for the restore)


def test_audit_chain_two_writers_and_tamper():
    with harness.Instance(audit_key=secrets.token_bytes(32)) as a, harness.Instance(share=a) as b:
        token = a.login()
        bases = [a, b]
        before = verify(a, token)
        expect(before.get("ok") is True and isinstance(before.get("records"), int) and before.get("keyed") is True,
               f"verify at start: {before}")
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
        expect(verified(body, n), f"verify after {changes} changes (+{n0} before): {body}, expected {n} records")
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
        rows = chain_rows(a)
        check_stored_chain(rows, a.audit_key)
        expect(body["head"] == rows[-1]["hash"], f"verify's head {body['head']} is not the last record's hash")
        for rec in records:
            expect(rec["redacted"] is False and rec["resident_id"] == (
                   rec["entity_id"] if rec["entity"] == "resident" else None), f"resident_id of {rec}")

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
            ("resident_id", "resident_id = gen_random_uuid()", victim),
            ("payload_digest", "payload_digest = sha256('x')", victim),
            ("payload_salt", "payload_salt = gen_random_bytes(32)", victim),
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
        expect(verified(verify(b, token), n), "verify after re-inserting the deleted record")
        # deleting the last record: the head points past the end
        a.psql("DROP TABLE public.it_audit_backup; CREATE TABLE public.it_audit_backup AS "
               f"SELECT * FROM app.audit_log WHERE pos = {n}; "
               f"SET session_replication_role = replica; DELETE FROM app.audit_log WHERE pos = {n}")
        body = verify(a, token)
        expect(body.get("ok") is False, f"verify after deleting the last record: {body}")
        a.psql("SET session_replication_role = replica; INSERT INTO app.audit_log SELECT * FROM public.it_audit_backup; "
               "DROP TABLE public.it_audit_backup")
        expect(verified(verify(a, token), n), "verify after re-inserting the last record")
        # and the chain goes on after the restore
        a.resident(token, hid)
        expect(verified(verify(b, token), n + 1), "verify after one more change")
        n += 1
        append_only_and_redaction(a, token, patched, n)
        disclosure_mac(a, token, hid, patched[0]["id"])
        print(f"audit chain: {len(calls)} concurrent changes via 2 instances + {changes - len(calls)} sequential, "
              f"{n} records verified, {len(tampers)} column tampers + 2 deletions detected and restored")


def refused(d, sql, what):
    try:
        d.psql(sql)
    except RuntimeError as e:
        expect("append-only" in str(e), f"{what}: refused with {e}")
        return
    raise AssertionError(f"{what}: not refused")


def append_only_and_redaction(d, token, patched, n):
    """The table refuses UPDATE, DELETE and TRUNCATE but for a redaction (18.7); a redaction
    verifies only when its redacted_by names a later resident.anonymise record of the resident."""
    r1, r2 = patched[0]["id"], patched[1]["id"]
    victim = d.psql(f"SELECT id FROM app.audit_log WHERE resident_id = '{r1}' ORDER BY pos LIMIT 1").strip()
    redact = ("UPDATE app.audit_log SET before = NULL, after = NULL, payload_salt = NULL, redacted_at = now(), "
              "redacted_by = '{by}' WHERE {where}")
    refused(d, f"UPDATE app.audit_log SET action = 'x' WHERE id = '{victim}'", "UPDATE")
    refused(d, f"DELETE FROM app.audit_log WHERE id = '{victim}'", "DELETE")
    refused(d, "TRUNCATE app.audit_log", "TRUNCATE")
    refused(d, "TRUNCATE app.disclosures", "TRUNCATE of disclosures")
    refused(d, redact.format(by=uuid.uuid4(), where=f"id = '{victim}'").replace("now()", "now(), action = 'x'"),
            "a redaction that changes another column")
    refused(d, f"UPDATE app.audit_log SET after = NULL, before = NULL, payload_salt = NULL WHERE id = '{victim}'",
            "a redaction without redacted_at and redacted_by")
    # a redaction without an anonymisation record: allowed by the table, refused by verify
    d.psql("DROP TABLE IF EXISTS public.it_audit_backup; "
           f"CREATE TABLE public.it_audit_backup AS SELECT * FROM app.audit_log WHERE resident_id IN ('{r1}', '{r2}')")
    d.psql(redact.format(by=uuid.uuid4(), where=f"id = '{victim}'"))
    body = verify(d, token)
    expect(body.get("ok") is False and body.get("first_bad_id") == victim, f"a redaction by nothing: {body}")
    refused(d, redact.format(by=uuid.uuid4(), where=f"id = '{victim}'"), "redacting twice")

    def restore():
        d.psql("SET session_replication_role = replica; "
               f"UPDATE app.audit_log a SET ({COLUMNS}) = ({', '.join('b.' + c for c in COLUMNS.split(', '))}) "
               "FROM public.it_audit_backup b WHERE a.id = b.id")
        expect(verified(verify(d, token), n), "verify after restoring a redaction")
    restore()
    # the anonymisation records, as retention appends them (through api.audit, with the key)
    for r in (r1, r2):
        d.psql(f"SELECT api.audit(ROW(NULL, 'admin', NULL, 'cli')::api.ctx, 'resident.anonymise', 'resident', '{r}', "
               f"NULL, NULL, '{{\"reason\": \"retention\", \"redacted_records\": 4}}')", keyed=True)
    n += 2
    anon = dict(x.split("|") for x in d.psql("SELECT resident_id, id FROM app.audit_log "
                                             "WHERE action = 'resident.anonymise'").split())
    expect(verified(verify(d, token), n), "verify after the anonymisation records")
    # another resident's anonymisation does not cover it
    d.psql(redact.format(by=anon[r2], where=f"id = '{victim}'"))
    body = verify(d, token)
    expect(body.get("ok") is False and body.get("first_bad_id") == victim, f"a redaction moved to r2: {body}")
    restore_n = n
    d.psql("SET session_replication_role = replica; "
           f"UPDATE app.audit_log a SET ({COLUMNS}) = ({', '.join('b.' + c for c in COLUMNS.split(', '))}) "
           "FROM public.it_audit_backup b WHERE a.id = b.id")
    expect(verified(verify(d, token), restore_n), "verify after restoring")
    # a redaction naming a record written before it: an anonymisation cannot precede what it redacts
    later = d.psql(f"SELECT id FROM app.audit_log WHERE pos > (SELECT pos FROM app.audit_log WHERE id = '{anon[r1]}') "
                   "LIMIT 1").strip()
    expect(later == anon[r2], "the second anonymisation record follows the first")
    # the real thing: every record of r1 before its anonymisation, as retention's UPDATE does it
    d.psql(redact.format(by=anon[r1], where=f"resident_id = '{r1}' AND redacted_at IS NULL "
                                            f"AND action <> 'resident.anonymise'"))
    body = verify(d, token)
    expect(verified(body, n, redacted=4), f"verify after a redaction of the 4 records of r1: {body}")
    recs = d.must("GET", f"audit?resident_id={r1}", token=token)["items"]
    expect([(x["redacted"], x["before"], x["after"] is None) for x in recs[:4]] == [(True, None, True)] * 4
           and recs[4]["action"] == "resident.anonymise" and recs[4]["redacted"] is False, f"redacted records: {recs}")
    d.psql("DROP TABLE public.it_audit_backup")


def disclosure_mac(d, token, hid, rid):
    """A disclosure row's MAC is checked; a tampered row is first_bad_disclosure_id."""
    base = verify(d, token)
    uid = d.psql("SELECT id FROM app.users ORDER BY created_at LIMIT 1").strip()
    did = d.psql("INSERT INTO app.disclosures (kind, user_id, role, resident_id, house_id, entity, entity_id, fields, "
                 f"path) VALUES ('read', '{uid}', 'admin', '{rid}', '{hid}', 'resident', '{rid}', "
                 f"'{{full_name,phone}}', '/api/v1/residents/{rid}') RETURNING id", keyed=True).split()[0]
    body = verify(d, token)
    expect(body.get("ok") is True and body.get("disclosures") == base["disclosures"] + 1, f"verify: {body}")
    # the stored MAC is §18.12's, computed here apart from the database: HMAC(K, C(row without mac)),
    # for a purpose and path that need escaping and fields in a list
    d.psql(f"SET session_replication_role = replica; DELETE FROM app.disclosures WHERE id = '{did}'")
    did = d.psql("INSERT INTO app.disclosures (kind, user_id, role, resident_id, house_id, entity, entity_id, fields, "
                 f"path, purpose) VALUES ('read', '{uid}', 'admin', '{rid}', '{hid}', 'resident', '{rid}', "
                 f"'{{full_name,phone}}', '/api/v1/residents/{rid}?\"x\"', 'kunjungan \"rumah\" \\ é') "
                 "RETURNING id", keyed=True).split()[0]
    row = json.loads(d.psql("SELECT json_build_object('id', id, 'seq', seq, 'at', api.ts_us(at), 'kind', kind, "
                            "'user_id', user_id, 'role', role, 'partner_id', partner_id, 'resident_id', resident_id, "
                            "'house_id', house_id, 'entity', entity, 'entity_id', entity_id, 'fields', fields, "
                            "'purpose', purpose, 'consent_id', consent_id, 'request_id', request_id, 'path', path, "
                            f"'mac', encode(mac, 'hex')) FROM app.disclosures WHERE id = '{did}'"))
    stored = row.pop("mac")
    expect(row["purpose"] == 'kunjungan "rumah" \\ é' and stored == mac(d.audit_key, jcs(row).encode()).hex(),
           f"the disclosure's MAC is not HMAC(K, C(row)): {row}")
    for assignment in ("fields = '{full_name}'", "purpose = 'x'", "at = at + interval '1 microsecond'",
                       "mac = sha256('x')"):
        d.psql(f"SET session_replication_role = replica; UPDATE app.disclosures SET {assignment} WHERE id = '{did}'")
        body = verify(d, token)
        expect(body == {"ok": False, "first_bad_id": None, "first_bad_disclosure_id": did, "keyed": True},
               f"verify after a disclosure's {assignment}: {body}")
        d.psql(f"SET session_replication_role = replica; DELETE FROM app.disclosures WHERE id = '{did}'")
        did = d.psql("INSERT INTO app.disclosures (kind, user_id, role, resident_id, house_id, entity, entity_id, "
                     f"fields, path) VALUES ('read', '{uid}', 'admin', '{rid}', '{hid}', 'resident', '{rid}', "
                     f"'{{full_name,phone}}', '/api/v1/residents/{rid}') RETURNING id", keyed=True).split()[0]
    refused(d, f"DELETE FROM app.disclosures WHERE id = '{did}'", "DELETE of a disclosure")
    refused(d, f"UPDATE app.disclosures SET path = 'x' WHERE id = '{did}'", "UPDATE of a disclosure")
    expect(verify(d, token).get("ok") is True, "verify at the end")


if __name__ == "__main__":
    harness.main(globals())
