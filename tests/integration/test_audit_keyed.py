"""The keyed audit chain of contract §18.12: audit.key_file, format 2, migrate's rechain, and
serve's refusal of a chain it cannot verify.

- key_file: missing, open to group or others, too short -> every command refuses to start,
  naming the file and never printing the key; 32 bytes and a trailing newline are fine.
- A superuser who rewrites a record's `after` and recomputes its digest and every later hash
  with the unkeyed formula (written here in Python: JCS + SHA-256) makes verify fail in keyed
  mode; the same recomputation passes in unkeyed mode (which proves it right). The stored
  hashes of a keyed chain are recomputed here with HMAC-SHA-256 under the key too.
- serve refuses a wrong key, a keyed chain without a key, an unkeyed chain with a key, and a
  chain of format 1; migrate moves a format-1 chain (made here by SQL, as the migrations of
  before §18.12 left it) and an unkeyed one to the key, appending audit.rechain
  {"records","keyed","old_head"}; a format-1 chain that does not verify is refused, as it was."""

import hashlib
import hmac
import json
import os
import secrets
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect  # noqa: E402


# ------------------------------------------------------------ the formulas of §18.12, in Python
def jcs(value):
    """RFC 8785 for what the audit holds (ASCII keys, integers, strings): sorted keys, no spaces,
    strings escaped as JSON requires only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def mac(key, msg):
    return hmac.new(key, msg, hashlib.sha256).digest() if key else hashlib.sha256(msg).digest()


def payload_digest(salt, before, after):
    return hashlib.sha256(salt + jcs({"before": before, "after": after}).encode()).digest()


def record_hash(key, prev_hex, row):
    core = {k: row[k] for k in ("id", "seq", "at", "user_id", "action", "entity", "entity_id", "house_id",
                                "resident_id", "request_id", "payload_digest")}
    return mac(key, (prev_hex + "\n" + jcs(core)).encode())


def chain_rows(d):
    """Every audit row in seq order, as the canonical forms need them (times with microseconds)."""
    out = d.psql("SELECT coalesce(json_agg(json_build_object('id', id, 'seq', pos, 'at', api.ts_us(at), "
                 "'user_id', user_id, 'action', action, 'entity', entity, 'entity_id', entity_id, "
                 "'house_id', house_id, 'resident_id', resident_id, 'request_id', request_id, "
                 "'payload_digest', encode(payload_digest, 'hex'), 'payload_salt', encode(payload_salt, 'hex'), "
                 "'before', before, 'after', after, 'prev_hash', encode(prev_hash, 'hex'), "
                 "'hash', encode(hash, 'hex'), 'redacted', redacted_at IS NOT NULL) ORDER BY pos), '[]') "
                 "FROM app.audit_log")
    return json.loads(out)


def check_stored_chain(rows, key):
    """The stored digests and hashes are exactly §18.12's under KEY (None: unkeyed)."""
    prev = ""
    for row in rows:
        expect(row["prev_hash"] == prev, f"record {row['seq']}: prev_hash {row['prev_hash']!r}, expected {prev!r}")
        if not row["redacted"]:
            digest = payload_digest(bytes.fromhex(row["payload_salt"]), row["before"], row["after"]).hex()
            expect(len(row["payload_salt"]) == 64 and row["payload_digest"] == digest,
                   f"record {row['seq']}: payload_digest is not SHA-256(salt || C(payload))")
        h = record_hash(key, prev, row).hex()
        expect(row["hash"] == h, f"record {row['seq']} ({row['action']}): stored hash is not §18.12's")
        prev = h


def rewrite_after(d, rows, index, new_after, key):
    """As a superuser with a formula but not the key would: row INDEX gets NEW_AFTER, a
    matching digest, and it and every later row a hash recomputed under KEY; the head follows."""
    rows = [dict(r) for r in rows]
    target = rows[index]
    target["after"] = new_after
    target["payload_digest"] = payload_digest(bytes.fromhex(target["payload_salt"]), target["before"],
                                              new_after).hex()
    prev = rows[index - 1]["hash"] if index else ""
    sql = ["SET session_replication_role = replica",
           f"UPDATE app.audit_log SET after = '{json.dumps(new_after).replace(chr(39), chr(39) * 2)}'::jsonb, "
           f"payload_digest = '\\x{target['payload_digest']}' WHERE id = '{target['id']}'"]
    for row in rows[index:]:
        h = record_hash(key, prev, row).hex()
        sql.append(f"UPDATE app.audit_log SET prev_hash = '\\x{prev}', hash = '\\x{h}' WHERE id = '{row['id']}'")
        prev = h
    sql.append(f"UPDATE app.audit_head SET hash = '\\x{prev}'")
    d.psql("; ".join(sql))


def verify(d, token):
    return d.must("GET", "audit/verify", token=token)


def a_few_records(d, token):
    house = d.house(token)
    res = d.resident(token, house["id"], notes="baris satu\nbaris \"dua\"\t\\ tiga")
    d.must("PATCH", f"residents/{res['id']}", {"phone": "0812345"}, token=token)
    return house, res


# ------------------------------------------------------------------------------ the tests
def write_key(dirname, name, data, mode=0o600):
    path = os.path.join(dirname, name)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    return path


def test_key_file_errors():
    d = harness.Instance(migrate=False, admin=False, start=False)
    try:
        key = secrets.token_hex(16).encode()             # 32 bytes of text
        good = write_key(d.dir, "good.key", key + b"\n")
        cases = [
            ("missing", os.path.join(d.dir, "no-such.key"), "cannot open"),
            ("group-readable", write_key(d.dir, "group.key", key, 0o640), "group or others"),
            ("other-writable", write_key(d.dir, "other.key", key, 0o602), "group or others"),
            ("short", write_key(d.dir, "short.key", key[:31] + b"\n"), "32 to"),
            ("a directory", d.dir, "not a regular file"),
        ]
        for what, path, why in cases:
            for cmd in (["migrate"], ["serve"], ["user-add", "x", "--role", "admin"]):
                r = d.cli(*cmd, env={"ABIPRAYA_AUDIT_KEY_FILE": path}, stdin="secret-password\n", timeout=30)
                expect(r.returncode != 0, f"{what} key file: {cmd[0]} exits {r.returncode}")
                expect(path in r.stderr and why in r.stderr, f"{what} key file: {cmd[0]} says {r.stderr!r}")
                expect(key.decode()[:31] not in r.stderr + r.stdout, f"{what}: the key is printed")
        # exactly 32 bytes after its one newline: accepted, and the chain is keyed at once
        r = d.cli("migrate", env={"ABIPRAYA_AUDIT_KEY_FILE": good})
        expect(r.returncode == 0, f"migrate with a good key file: {r.returncode} {r.stderr}")
        expect(key.decode() not in r.stdout + r.stderr and key.hex() not in r.stdout + r.stderr,
               "migrate prints the key")
        expect(d.psql("SELECT format || ',' || keyed FROM app.audit_head").strip() == "2,true",
               "a fresh database migrated with a key: head not format 2, keyed")
    finally:
        d.close()


def test_superuser_rewrite_needs_the_key():
    key = secrets.token_bytes(48)
    for keyed in (True, False):
        with harness.Instance(audit_key=key if keyed else None) as d:
            token = d.login()
            a_few_records(d, token)
            body = verify(d, token)
            expect(body.get("ok") is True and body.get("keyed") is keyed, f"keyed={keyed}: verify {body}")
            rows = chain_rows(d)
            check_stored_chain(rows, key if keyed else None)
            expect(body["head"] == rows[-1]["hash"] and body["records"] == len(rows), f"verify {body}")
            index = next(i for i, r in enumerate(rows) if r["action"] == "resident.create")
            forged = dict(rows[index]["after"], full_name="Nama Palsu")
            rewrite_after(d, rows, index, forged, None)      # the unkeyed formula: no key known
            body = verify(d, token)
            if keyed:
                expect(body == {"ok": False, "first_bad_id": rows[index]["id"], "first_bad_disclosure_id": None,
                                "keyed": True}, f"keyed: verify after an unkeyed rewrite: {body}")
                r = d.cli("serve", timeout=30)
                expect(r.returncode != 0 and "does not verify" in r.stderr,
                       f"serve on a rewritten keyed chain: {r.returncode} {r.stderr[-300:]}")
            else:
                expect(body.get("ok") is True and body.get("records") == len(rows),
                       f"unkeyed: the same recomputation must verify (else the test's formula is wrong): {body}")
                got = d.must("GET", f"audit?entity_id={rows[index]['entity_id']}", token=token)["items"][0]
                expect(got["after"]["full_name"] == "Nama Palsu", f"the rewrite did not take: {got}")
        expect(key.hex() not in d.last_stderr, "the daemon logged the key")


def test_serve_refuses_and_migrate_rechains():
    key, other = secrets.token_bytes(32), secrets.token_bytes(32)
    with harness.Instance() as d:                    # unkeyed
        token = d.login()
        _, res = a_few_records(d, token)
        d.stop()
        key_file = write_key(d.dir, "k.key", key + b"\n")
        other_file = write_key(d.dir, "o.key", other)
        keyed = {"ABIPRAYA_AUDIT_KEY_FILE": key_file}

        def refused(env, why, what):
            r = d.cli("serve", env=env, timeout=30)
            expect(r.returncode != 0 and why in r.stderr, f"serve with {what}: {r.returncode} {r.stderr[-400:]}")
            expect(key.hex() not in r.stderr and other.hex() not in r.stderr, f"serve with {what}: logs the key")

        refused(keyed, "unkeyed but audit.key_file is set", "a key on an unkeyed chain")
        # format 1, as the migrations of before §18.12 left a chain: by SQL
        n = int(d.psql("SELECT count(*) FROM app.audit_log"))
        d.psql("""SET session_replication_role = replica; DO $$
            DECLARE a app.audit_log; prev bytea := decode(repeat('00', 32), 'hex');
            BEGIN
                FOR a IN SELECT * FROM app.audit_log ORDER BY pos LOOP
                    a.prev_hash := prev; a.hash := sha256(prev || convert_to(api.audit_canon(a), 'UTF8'));
                    UPDATE app.audit_log SET resident_id = NULL, payload_salt = NULL, payload_digest = NULL,
                           prev_hash = a.prev_hash, hash = a.hash WHERE id = a.id;
                    prev := a.hash;
                END LOOP;
                UPDATE app.audit_head SET hash = prev, format = 1, keyed = false, key_check = NULL;
            END $$""")
        old_head = d.psql("SELECT encode(hash, 'hex') FROM app.audit_head").strip()
        refused({}, "format 1", "a format-1 chain")
        # a format-1 chain that does not verify: refused, nothing changed
        d.psql("SET session_replication_role = replica; UPDATE app.audit_log SET action = action || '~' WHERE pos = 2")
        r = d.cli("migrate", env=keyed)
        expect(r.returncode != 0 and "does not verify" in r.stderr, f"migrate of a bad chain: {r.returncode} {r.stderr}")
        expect(d.psql("SELECT format FROM app.audit_head").strip() == "1", "a refused rechain changed the head")
        d.psql("SET session_replication_role = replica; UPDATE app.audit_log SET action = rtrim(action, '~') WHERE pos = 2")
        # the rechain: format 1 to format 2 under the key
        r = d.cli("migrate", env=keyed)
        expect(r.returncode == 0 and f"{n} record(s) moved to format 2, keyed" in r.stdout,
               f"migrate rechain: {r.returncode} {r.stdout} {r.stderr}")
        expect(key.hex() not in r.stdout + r.stderr, "migrate prints the key")
        rows = chain_rows(d)
        expect(len(rows) == n + 1, f"{len(rows)} records after the rechain, expected {n} + audit.rechain")
        last = json.loads(d.psql("SELECT json_build_object('action', action, 'entity', entity, 'after', after, "
                                 "'user_id', user_id) FROM app.audit_log ORDER BY pos DESC LIMIT 1"))
        expect(last == {"action": "audit.rechain", "entity": "audit", "user_id": None,
                        "after": {"records": n, "keyed": True, "old_head": old_head}}, f"the rechain record: {last}")
        check_stored_chain(rows, key)
        filled = d.psql(f"SELECT count(*) FROM app.audit_log WHERE resident_id = '{res['id']}'").strip()
        expect(filled == "2", f"resident_id filled from the live tables on {filled} records, expected 2")
        r = d.cli("migrate", env=keyed)
        expect(r.returncode == 0 and "moved" not in r.stdout, f"a second migrate: {r.stdout} {r.stderr}")
        # a keyed chain: another key and no key are refused by serve and migrate
        refused({"ABIPRAYA_AUDIT_KEY_FILE": other_file}, "another key", "another key")
        refused({}, "keyed but no audit.key_file", "no key")
        for env, why in (({"ABIPRAYA_AUDIT_KEY_FILE": other_file}, "another key"), ({}, "keyed but no")):
            r = d.cli("migrate", env=env)
            expect(r.returncode != 0 and why in r.stderr, f"migrate with {why}: {r.returncode} {r.stderr}")
        # the right key: serve starts, the chain verifies and goes on, keyed
        d.env = keyed
        d.audit_key = key
        d.start()
        token = d.login()
        body = verify(d, token)
        expect(body.get("ok") is True and body.get("keyed") is True and body.get("records") == n + 1,
               f"verify after the rechain: {body}")
        recs = d.must("GET", f"audit?resident_id={res['id']}", token=token)["items"]
        expect([x["action"] for x in recs] == ["resident.create", "resident.update"]
               and all(x["resident_id"] == res["id"] and x["redacted"] is False for x in recs),
               f"GET /audit?resident_id=: {recs}")
        d.resident(token, d.house(token)["id"])
        check_stored_chain(chain_rows(d), key)


if __name__ == "__main__":
    harness.main(globals())
