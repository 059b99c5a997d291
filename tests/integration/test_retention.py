"""Retention and anonymisation (contract §18.7), 409 resident_anonymised (§18.13), the race of
§18.14. One daemon; `abiprayad retention` runs over its whole database, so each test backdates
(by psql) only the residents it means to be due, and the tests run in this order.

- test_eligibility_dry_run: who a dry run lists, with reason and last involvement: never stayed
  (creation date), last check-out, supervision_ends_on, a superseded basis's end (revoked_on - 1),
  each exactly at the boundary of former_resident_years in house time (Asia/Jakarta and
  Asia/Jayapura, a check-out at 00:30 local) and a day past it; an active stay, an open request,
  a recent basis keep one out; an erasure scheduled (reason erasure_request) unless in residence or
  under supervision; the output format; a dry run changes nothing.
- test_run_anonymises_every_field: a resident with every kind of object is anonymised: each field
  rule of §18.7 checked by psql, kept fields untouched, its audit records redacted (named by the
  resident.anonymise record, which states their number and is not redacted itself), old
  idempotency records deleted, GET /audit/verify ok, reads show the anonymised values; the
  output and summary lines exactly; a rerun anonymises nothing.
- test_changes_refused_409: PATCH, check-in, consent, data request, follow-up result, legal
  basis, business of an anonymised resident -> 409 resident_anonymised (Indonesian title), nothing
  written; the database refuses psql writes too.
- test_config_and_arguments: former_resident_years 0, 101 or not a number refused naming the key;
  an unknown argument exits 2; the setting decides (a resident of 2 years due with 1, not with 5).
- test_race_checkin_first: a check-in (a stay row) committing while retention waits on the
  resident's row lock makes the resident ineligible: not anonymised, 0 in the summary.
- test_many_residents: 40 due residents (more than the connections' pipelines hold) with two
  audit records each, one of them failing mid-run: the run exits non-zero naming it, each of
  the others is anonymised at most once with its own resident.anonymise record counting the
  records that name it, none half done; the chain verifies; a rerun does the rest."""

import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem, uid  # noqa: E402

LINE = re.compile(r"^anonymise ([0-9a-f-]{36}) house=(\S+) reason=(retention|erasure_request) last=(\d{4}-\d{2}-\d{2})$")
SUMMARY = re.compile(r"^retention: (\d+) residents anonymised, (\d+) audit records redacted$")
DRY = re.compile(r"^retention: (\d+) residents would be anonymised \(dry run\)$")
YEARS = 5


def q(d, sql):
    return d.psql(sql).strip()


def today(tz):
    return dt.datetime.now(zoneinfo.ZoneInfo(tz)).date()


def years_back(day, n=YEARS):
    try:
        return day.replace(year=day.year - n)
    except ValueError:                      # 29 February -> 28 February, as PostgreSQL's date - interval
        return day.replace(year=day.year - n, day=28)


def local(day, tz, hour=0, minute=30):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(tz)).isoformat()


def rfc3339(t):
    return t.isoformat()


class World:
    def __init__(self, d):
        self.d = d
        self.token = d.login()
        self.admin = q(d, "SELECT id FROM app.users WHERE role = 'admin' ORDER BY seq LIMIT 1")
        self.tz = {"jkt": "Asia/Jakarta", "jpr": "Asia/Jayapura"}
        self.houses = {k: d.house(self.token, timezone=tz) for k, tz in self.tz.items()}
        self.cw, self.cw_token = d.user(self.token, "caseworker", [h["id"] for h in self.houses.values()])
        self.rooms = {k: d.room(self.token, h["id"])["id"] for k, h in self.houses.items()}

    def resident(self, h="jkt", **fields):
        return self.d.resident(self.token, self.houses[h]["id"], caseworker_id=self.cw["id"], **fields)

    def checkin(self, rid, h="jkt"):
        bed = self.d.bed(self.token, self.rooms[h])["id"]
        return self.d.must("POST", "stays", {"resident_id": rid, "bed_id": bed, "rules_acknowledged": True,
                                             "checked_in_at": rfc3339(dt.datetime.now(dt.timezone.utc)
                                                                      - dt.timedelta(days=3))}, 201, token=self.token)

    def checkout(self, stay, **body):
        return self.d.must("POST", f"stays/{stay['id']}/checkout", {"exit_reason": "completed", "destination": "family",
                                                                    **body}, token=self.token)

    def former(self, out_at, h="jkt", resident=None):
        """A resident checked in and out, the check-out moved to OUT_AT (an RFC 3339 time)."""
        res = resident or self.resident(h)
        stay = self.checkout(self.checkin(res["id"], h))
        q(self.d, f"UPDATE app.stays SET checked_in_at = '{out_at}'::timestamptz - interval '30 days', "
                  f"checked_out_at = '{out_at}' WHERE id = '{stay['id']}'")
        return res, stay

    def created(self, rid, at):
        q(self.d, f"UPDATE app.residents SET created_at = '{at}' WHERE id = '{rid}'")

    def run(self, *args):
        out = self.d.cli("retention", *args)
        expect(out.returncode == 0, f"retention {args} exited {out.returncode}: {out.stderr[-2000:]}")
        lines = out.stdout.splitlines()
        expect(lines, f"no output: {out}")
        due = {}
        for line in lines[:-1]:
            m = LINE.match(line)
            expect(m, f"line format: {line!r}")
            due[m.group(1)] = (m.group(2), m.group(3), m.group(4))
        return due, lines[-1]

    def counts(self):
        return q(self.d, "SELECT (SELECT count(*) FROM app.audit_log), (SELECT sum(version) FROM app.residents), "
                         "(SELECT count(*) FROM app.residents WHERE anonymised_at IS NOT NULL), "
                         "(SELECT count(*) FROM app.audit_log WHERE redacted_at IS NOT NULL), "
                         "(SELECT count(*) FROM app.events), (SELECT count(*) FROM app.stays), "
                         "(SELECT count(*) FROM app.consents), (SELECT count(*) FROM app.data_requests)")


def world(d):
    return harness.world_of(d, World)


def test_eligibility_dry_run(d):
    w = world(d)
    want = {}                   # resident id -> (house code, reason, last) for those due
    not_due = []
    for h in ("jkt", "jpr"):
        tz, code = w.tz[h], w.houses[h]["code"]
        edge = years_back(today(tz))
        # never stayed: its creation date, at 00:30 house time (a UTC date would be the day before)
        r = w.resident(h)
        w.created(r["id"], local(edge, tz))
        not_due.append(r["id"])
        r = w.resident(h)
        w.created(r["id"], local(edge - dt.timedelta(days=1), tz))
        want[r["id"]] = (code, "retention", (edge - dt.timedelta(days=1)).isoformat())
        # the last check-out, at 00:30 house time
        r, _ = w.former(local(edge, tz), h)
        not_due.append(r["id"])
        r, _ = w.former(local(edge - dt.timedelta(days=1), tz), h)
        want[r["id"]] = (code, "retention", (edge - dt.timedelta(days=1)).isoformat())
    tz, code = w.tz["jkt"], w.houses["jkt"]["code"]
    edge = years_back(today(tz))
    old = local(edge - dt.timedelta(days=400), tz)
    # the later of two check-outs counts
    r, _ = w.former(local(edge - dt.timedelta(days=300), tz))
    w.former(local(edge, tz), resident=r)
    not_due.append(r["id"])
    # supervision_ends_on (no basis) later than the check-out
    for ends, due in ((edge, False), (edge - dt.timedelta(days=1), True)):
        r, _ = w.former(old)
        q(d, f"UPDATE app.residents SET supervision_ends_on = '{ends}' WHERE id = '{r['id']}'")
        if due:
            want[r["id"]] = (code, "retention", ends.isoformat())
        else:
            not_due.append(r["id"])
    # a superseded basis revoked on X ends on X - 1; the current one is `released`
    for revoked, due in ((edge + dt.timedelta(days=1), False), (edge, True)):
        r = w.resident()
        w.created(r["id"], old)
        q(d, f"""BEGIN;
            INSERT INTO app.legal_bases (resident_id, house_id, type, starts_on, supervision_ends_on, revoked_on,
                                         superseded_at)
            VALUES ('{r['id']}', '{w.houses['jkt']['id']}', 'pembebasan_bersyarat', '{edge - dt.timedelta(days=500)}',
                    '{edge + dt.timedelta(days=300)}', '{revoked}', now());
            INSERT INTO app.legal_bases (resident_id, house_id, type, starts_on)
            VALUES ('{r['id']}', '{w.houses['jkt']['id']}', 'released', '{revoked}');
            UPDATE app.residents SET legal_status = 'released', supervision_ends_on = NULL WHERE id = '{r['id']}';
            COMMIT""")
        if due:
            want[r["id"]] = (code, "retention", (revoked - dt.timedelta(days=1)).isoformat())
        else:
            not_due.append(r["id"])
    # an active stay, an open request keep an old resident out
    r = w.resident()
    w.created(r["id"], old)
    w.checkin(r["id"])
    not_due.append(r["id"])
    r = w.resident()
    w.created(r["id"], old)
    w.d.must("POST", f"residents/{r['id']}/requests", {"kind": "access"}, 201, token=w.cw_token)
    not_due.append(r["id"])
    # erasure scheduled: due at once (its last involvement is today's creation) ...
    r = w.resident()
    q(d, f"UPDATE app.residents SET erasure_scheduled_at = now() WHERE id = '{r['id']}'")
    want[r["id"]] = (code, "erasure_request", today(tz).isoformat())
    # ... unless under supervision (supervision_ends_on today) or in residence
    r = w.resident()
    q(d, f"UPDATE app.residents SET erasure_scheduled_at = now(), supervision_ends_on = '{today(tz)}' "
         f"WHERE id = '{r['id']}'")
    not_due.append(r["id"])
    r = w.resident()
    w.checkin(r["id"])
    q(d, f"UPDATE app.residents SET erasure_scheduled_at = now() WHERE id = '{r['id']}'")
    not_due.append(r["id"])

    before = w.counts()
    due, summary = w.run("--dry-run")
    for rid, line in want.items():
        expect(due.get(rid) == line, f"{rid}: {due.get(rid)} != {line}")
    for rid in not_due:
        expect(rid not in due, f"{rid} listed: {due.get(rid)}")
    m = DRY.match(summary)
    expect(m and int(m.group(1)) == len(due), f"summary: {summary!r} ({len(due)} lines)")
    expect(w.counts() == before, "a dry run changed something")
    w.not_due = not_due


def test_run_anonymises_every_field(d):
    w = world(d)
    d_, tok, cw = w.d, w.token, w.cw_token
    hid, tz = w.houses["jkt"]["id"], w.tz["jkt"]
    now = dt.datetime.now(dt.timezone.utc)
    r = w.resident()
    rid = r["id"]
    q(d, f"""UPDATE app.residents SET national_id = '3201010101010001', birth_date = '1980-01-02', phone = '0812',
             notes = 'catatan', emergency_contact = '{{"name": "Ibu", "phone": "0813"}}' WHERE id = '{rid}'""")
    # a legal basis with every personal field (history: superseded) and the current one, released
    q(d, f"""BEGIN;
        INSERT INTO app.legal_bases (resident_id, house_id, type, decree_number, decree_date, starts_on,
            supervision_ends_on, guarantor, litmas_number, notes, revoked_on, revocation_decree_number,
            revocation_reason, correction_reason, superseded_at)
        VALUES ('{rid}', '{hid}', 'pembebasan_bersyarat', 'PAS-1', '2015-01-01', '2015-01-02', '2018-01-01',
                '{{"name": "Penjamin"}}', 'LIT-9', 'catatan basis', '2017-06-01', 'REV-1', 'alasan', 'koreksi', now());
        INSERT INTO app.legal_bases (resident_id, house_id, type, decree_number, decree_date, starts_on)
        VALUES ('{rid}', '{hid}', 'released', 'PAS-2', '2017-06-02', '2017-06-02');
        UPDATE app.residents SET legal_status = 'released', supervision_ends_on = NULL WHERE id = '{rid}';
        COMMIT""")
    stay = w.checkin(rid)
    sp = f"stays/{stay['id']}"
    mv = d_.must("POST", f"{sp}/movements", {"purpose": "work", "destination": "Pasar Baru",
                                            "expected_back_at": rfc3339(now + dt.timedelta(hours=8))}, 201, token=tok)
    d_.must("POST", f"movements/{mv['id']}/return", token=tok)
    rule = d_.must("POST", f"houses/{hid}/rules", {"code": "R-" + uid(), "title": "Jam malam", "severity": "minor"},
                   201, token=tok)
    d_.must("POST", f"{sp}/violations", {"rule_id": rule["id"], "occurred_at": rfc3339(now - dt.timedelta(hours=1)),
                                        "description": "Terlambat", "action_taken": "Teguran"}, 201, token=tok)
    d_.must("PUT", f"{sp}/exit-plan", {"target_exit_on": (today(tz) + dt.timedelta(days=30)).isoformat(),
                                      "destination_plan": "family", "summary": "Ringkasan"}, 201, token=tok)
    goal = d_.must("POST", f"{sp}/exit-plan/goals", {"domain": "housing", "title": "Cari kos"}, 201, token=tok)
    d_.must("PATCH", f"goals/{goal['id']}", {"note": "dekat pasar"}, token=tok)
    roll = d_.must("POST", f"houses/{hid}/roll-calls", {"kind": "extra"}, 201, token=tok)
    d_.must("POST", f"roll-calls/{roll['id']}/marks",
            {"marks": [{"resident_id": rid, "status": "present", "note": "sakit kepala"}]}, token=tok)
    d_.must("POST", f"roll-calls/{roll['id']}/cancel", {"reason": "uji"}, token=tok)
    biz = d_.must("POST", "businesses", {"resident_id": rid, "name": "Warung Bu Tini", "sector": "food_beverage",
                                         "description": "nasi"}, 201, token=tok)
    d_.must("POST", f"businesses/{biz['id']}/stages", {"stage": "registered", "nib": "1234567890123",
                                                       "sku_number": "SKU-1", "note": "terdaftar"}, 201, token=tok)
    d_.must("PUT", f"businesses/{biz['id']}/months/{today(tz).strftime('%Y-%m')}",
            {"revenue_idr": 100, "costs_idr": 50, "workers": 1, "note": "ramai"}, 201, token=tok)
    base = {"scope": ["identity"], "given_on": today(tz).isoformat(), "notice_given": True,
            "proof": {"form": "written", "document_ref": "PS-1", "witness_name": "Pak Budi"}}
    c1 = d_.must("POST", f"residents/{rid}/consents", {**base, "purpose": "other", "purpose_detail": "Buletin",
                                                       "recipient": "Redaksi"}, 201, token=cw)
    c2 = d_.must("POST", f"residents/{rid}/consents", {**base, "purpose": "family_contact"}, 201, token=cw)
    d_.must("POST", f"consents/{c2['id']}/withdraw", {"reason": "klien mencabut"}, token=cw)
    q1 = d_.must("POST", f"residents/{rid}/requests", {"kind": "access", "details": "minta salinan"}, 201, token=cw)
    d_.must("POST", f"data-requests/{q1['id']}/close", {"status": "answered", "response": "diserahkan"}, token=cw)
    q2 = d_.must("POST", f"residents/{rid}/requests", {"kind": "correction", "details": "ganti"}, 201, token=cw)
    d_.must("POST", f"data-requests/{q2['id']}/close", {"status": "refused", "refusal_reason": "tugas publik"},
            token=cw)
    out = w.checkout(stay, notes="keluar baik")
    fu = d_.must("GET", f"follow-ups?stay_id={stay['id']}", token=cw)["items"][0]
    d_.must("PUT", f"follow-ups/{fu['id']}/result", {"method": "phone", "housing_stable": True, "employed": True,
                                                     "business_operating": True, "reoffended": False,
                                                     "reporting_compliant": True, "note": "baik"}, token=cw)
    bed = d_.bed(tok, w.rooms["jkt"])["id"]
    hold = d_.must("POST", f"beds/{bed}/holds", {"resident_id": rid, "until": rfc3339(now + dt.timedelta(days=1)),
                                                 "reason": "kembali minggu depan"}, 201, token=tok)
    d_.must("POST", f"holds/{hold['id']}/cancel", {"reason": "batal"}, token=tok)
    q(d, f"""INSERT INTO app.reporting_records (resident_id, house_id, reported_at, method, remote_reason, location,
                 notes, voided_at, void_reason)
             VALUES ('{rid}', '{hid}', now() - interval '7 years', 'phone', 'jauh', 'Bapas', 'lapor', now(), 'salah');
             INSERT INTO app.reporting_excuses (resident_id, house_id, due_on, reason)
             VALUES ('{rid}', '{hid}', '2016-01-01', 'opname');
             INSERT INTO app.alert_acknowledgements (key, kind, house_id, resident_id, note, acknowledged_by)
             VALUES ('uji:{rid}', 'follow_up_due', '{hid}', '{rid}', 'sudah ditelepon', '{w.admin}');
             INSERT INTO app.referrals (house_id, full_name, register_number, sex, birth_date, national_id,
                 from_institution, litmas_number, expected_legal_basis, expected_arrival_on, notes, status,
                 status_reason, resident_id)
             VALUES ('{hid}', 'Nama Asli', 'REG-ASLI-{uid()}', 'male', '1980-01-02', '3201010101010002', 'Lapas X',
                     'LIT-R', 'pembebasan_bersyarat', '2016-01-01', 'catatan rujukan', 'declined', 'penuh', '{rid}')""")
    # an old idempotency record goes, a fresh one stays
    q(d, f"""INSERT INTO app.idempotency_keys (user_id, key, fingerprint, created_at)
             VALUES ('{w.admin}', 'old-{uid()}', 'x', now() - interval '25 hours'),
                    ('{w.admin}', 'new-{uid()}', 'x', now() - interval '23 hours')""")
    # six years ago
    q(d, f"UPDATE app.stays SET checked_in_at = checked_in_at - interval '6 years', "
         f"checked_out_at = checked_out_at - interval '6 years' WHERE id = '{stay['id']}'")
    last = (dt.datetime.fromisoformat(out["checked_out_at"].replace("Z", "+00:00")).astimezone(zoneinfo.ZoneInfo(tz))
            .replace(year=dt.date.today().year - 6)).date()
    n_audit = int(q(d, f"SELECT count(*) FROM app.audit_log WHERE resident_id = '{rid}'"))
    expect(n_audit >= 15, f"audit records of R: {n_audit}")
    kept_sql = f"""SELECT r.sex, r.legal_status, r.caseworker_id, s.checked_in_at, s.checked_out_at, s.exit_reason,
                          s.destination, m.purpose, m.out_at, g.domain, g.status, c.purpose, c.scope, c.given_on,
                          b.sector, b.stage, f.housing_stable, f.employed
                     FROM app.residents r JOIN app.stays s ON s.resident_id = r.id
                     JOIN app.movements m ON m.stay_id = s.id JOIN app.goals g ON g.stay_id = s.id
                     JOIN app.consents c ON c.id = '{c1['id']}' JOIN app.businesses b ON b.resident_id = r.id
                     JOIN app.follow_ups f ON f.id = '{fu['id']}' WHERE r.id = '{rid}'"""
    kept = q(d, kept_sql)


    due, summary = w.run()
    code = w.houses["jkt"]["code"]
    expect(due.get(rid) == (code, "retention", last.isoformat()), f"line: {due.get(rid)} (last {last})")
    m = SUMMARY.match(summary)
    expect(m and int(m.group(1)) == len(due), f"summary: {summary!r}")
    redacted_total = int(m.group(2))

    # the resident
    row = q(d, f"SELECT full_name, register_number, national_id, birth_date, phone, notes, emergency_contact, "
               f"anonymised_at IS NOT NULL FROM app.residents WHERE id = '{rid}'")
    expect(row == f"Anonim {rid[:8]}|ANON-{rid}||||||t", f"resident: {row}")
    expect(q(d, f"SELECT count(*) FROM app.legal_bases WHERE resident_id = '{rid}' AND (guarantor IS NOT NULL OR "
                f"litmas_number IS NOT NULL OR revocation_decree_number IS NOT NULL OR notes IS NOT NULL OR "
                f"correction_reason IS NOT NULL OR revocation_reason IS NOT NULL OR decree_number <> '[anonim]')")
           == "0", "legal bases cleared")
    expect(q(d, f"SELECT string_agg(type || ' ' || decree_date || ' ' || coalesce(revoked_on::text, '-'), ',' "
                f"ORDER BY seq) FROM app.legal_bases WHERE resident_id = '{rid}'")
           == "pembebasan_bersyarat 2015-01-01 2017-06-01,released 2017-06-02 -", "legal bases' types and dates kept")
    expect(q(d, f"SELECT name, nib, sku_number, description FROM app.businesses WHERE id = '{biz['id']}'")
           == "[anonim]|||", "business")
    expect(q(d, f"SELECT count(*) FROM app.business_stages WHERE business_id = '{biz['id']}' AND note IS NOT NULL")
           == "0", "stage notes")
    expect(q(d, f"SELECT count(*) FROM app.business_months WHERE business_id = '{biz['id']}' AND note IS NOT NULL")
           == "0", "month notes")
    expect(q(d, f"SELECT full_name, register_number, national_id, birth_date, litmas_number, notes "
                f"FROM app.referrals WHERE resident_id = '{rid}'") == f"Anonim {rid[:8]}|ANON-{rid}||||", "referral")
    expect(q(d, f"SELECT reason IS NULL, cancel_reason FROM app.holds WHERE id = '{hold['id']}'") == "t|batal", "hold")
    expect(q(d, f"SELECT count(*) FROM app.roll_call_lines WHERE resident_id = '{rid}' AND note IS NOT NULL") == "0",
           "roll-call line note")
    expect(q(d, f"SELECT notes IS NULL FROM app.stays WHERE id = '{stay['id']}'") == "t", "stay notes")
    expect(q(d, f"SELECT destination IS NULL FROM app.movements WHERE id = '{mv['id']}'") == "t", "destination")
    expect(q(d, f"SELECT description, action_taken IS NULL FROM app.violations WHERE resident_id = '{rid}'")
           == "[anonim]|t", "violation")
    expect(q(d, f"SELECT summary IS NULL FROM app.exit_plans WHERE stay_id = '{stay['id']}'") == "t", "summary")
    expect(q(d, f"SELECT title, note IS NULL FROM app.goals WHERE stay_id = '{stay['id']}'") == "[anonim]|t", "goal")
    expect(q(d, f"SELECT string_agg(concat_ws(',', coalesce(purpose_detail, '-'), coalesce(recipient, '-'), "
                f"proof_document_ref, proof_witness_name, coalesce(withdrawal_reason, '-')), ';' ORDER BY seq) "
                f"FROM app.consents WHERE resident_id = '{rid}'")
           == "[anonim],-,[anonim],[anonim],-;-,-,[anonim],[anonim],[anonim]", "consents")
    expect(q(d, f"SELECT string_agg(concat_ws(',', coalesce(details, '-'), coalesce(response, '-'), "
                f"coalesce(refusal_reason, '-')), ';' ORDER BY seq) FROM app.data_requests WHERE resident_id = '{rid}'")
           == "-,[anonim],-;-,-,[anonim]", "data requests")
    expect(q(d, f"SELECT note IS NULL, housing_stable FROM app.follow_ups WHERE id = '{fu['id']}'") == "t|t",
           "follow-up note")
    expect(q(d, f"SELECT concat_ws(',', coalesce(location, '-'), coalesce(notes, '-'), remote_reason, void_reason) "
                f"FROM app.reporting_records WHERE resident_id = '{rid}'") == "-,-,[anonim],[anonim]", "reporting")
    expect(q(d, f"SELECT reason FROM app.reporting_excuses WHERE resident_id = '{rid}'") == "[anonim]", "excuse")
    expect(q(d, f"SELECT note IS NULL FROM app.alert_acknowledgements WHERE resident_id = '{rid}'") == "t", "ack")
    kept_after = q(d, kept_sql)

    expect(kept_after == kept, f"kept fields changed: {kept} -> {kept_after}")

    # the audit: every earlier record redacted, named by the one resident.anonymise record
    rec = json.loads(q(d, f"SELECT json_build_object('id', id, 'after', after, 'before', before, 'entity', entity, "
                          f"'entity_id', entity_id, 'user_id', user_id, 'redacted', redacted_at IS NOT NULL) "
                          f"FROM app.audit_log WHERE resident_id = '{rid}' AND action = 'resident.anonymise'"))
    expect(rec["after"] == {"reason": "retention", "redacted_records": n_audit} and rec["before"] is None
           and rec["entity"] == "resident" and rec["entity_id"] == rid and rec["user_id"] is None
           and not rec["redacted"], f"anonymise record: {rec}")
    expect(q(d, f"SELECT count(*) FROM app.audit_log WHERE resident_id = '{rid}' AND redacted_by = '{rec['id']}' "
                f"AND before IS NULL AND after IS NULL AND payload_salt IS NULL AND redacted_at IS NOT NULL")
           == str(n_audit), "records redacted")
    expect(q(d, f"SELECT count(*) FROM app.audit_log WHERE resident_id = '{rid}'") == str(n_audit + 1), "one record")
    expect(redacted_total >= n_audit, f"summary counts {redacted_total} < {n_audit}")
    expect(q(d, "SELECT count(*) FILTER (WHERE key LIKE 'old-%'), count(*) FILTER (WHERE key LIKE 'new-%') "
                "FROM app.idempotency_keys") == "0|1", "idempotency records")
    v = d_.must("GET", "audit/verify", token=tok)
    expect(v["ok"] is True, f"verify: {v}")

    # reads show the anonymised values
    got = d_.must("GET", f"residents/{rid}", token=cw)
    expect((got["full_name"], got["register_number"], got["national_id"], got["notes"])
           == (f"Anonim {rid[:8]}", f"ANON-{rid}", None, None) and got["anonymised_at"], f"read: {got}")
    b = d_.must("GET", f"businesses/{biz['id']}", token=cw)
    expect(b["name"] == "[anonim]" and b["nib"] is None, f"business read: {b}")

    # a rerun: nothing more
    due, summary = w.run()
    expect(not due and summary == "retention: 0 residents anonymised, 0 audit records redacted", f"rerun: {summary}")
    w.anonymised = {"resident": rid, "consent": c1["id"], "follow_up": fu["id"], "business": biz["id"],
                    "basis": q(d, f"SELECT id FROM app.legal_bases WHERE resident_id = '{rid}' "
                                  f"AND superseded_at IS NULL")}


def test_changes_refused_409(d):
    w = world(d)
    a = w.anonymised
    rid, cw = a["resident"], w.cw_token
    bed = w.d.bed(w.token, w.rooms["jkt"])["id"]
    before = w.counts()
    tries = [
        ("PATCH", f"residents/{rid}", {"phone": "0899"}),
        ("PATCH", f"residents/{rid}", {"processing_restricted": True}),
        ("POST", "stays", {"resident_id": rid, "bed_id": bed, "rules_acknowledged": True}),
        ("POST", f"residents/{rid}/consents", {"purpose": "family_contact", "scope": ["identity"],
                                               "given_on": today("Asia/Jakarta").isoformat(), "notice_given": True,
                                               "proof": {"form": "written", "document_ref": "X",
                                                         "witness_name": "Y"}}),
        ("POST", f"residents/{rid}/requests", {"kind": "access"}),
        ("PUT", f"follow-ups/{a['follow_up']}/result", {"method": "phone", "unreachable": True}),
        ("POST", f"residents/{rid}/legal-bases", {"type": "released", "starts_on": today("Asia/Jakarta").isoformat(),
                                                  "supersedes_id": a["basis"]}),
        ("PATCH", f"businesses/{a['business']}", {"description": "baru", "nib": "1234567890123"}),
    ]
    for method, path, body in tries:
        r = w.d.request(method, f"/api/v1/{path}", json_body=body, token=w.token)
        expect(r.status == 409 and r.json.get("code") == "resident_anonymised", f"{method} {path}: {r}")
    r = w.d.request("PATCH", f"/api/v1/residents/{rid}", json_body={"phone": "0899"}, token=cw,
                    headers={"Accept-Language": "id"})
    expect(r.status == 409 and r.json.get("title") == "Data klien sudah dianonimkan", f"Indonesian: {r.json}")
    expect(w.counts() == before, "a refused change wrote something")
    harness.psql_refused(d, f"UPDATE app.consents SET recipient = 'x' WHERE id = '{a['consent']}'")
    harness.psql_refused(d, f"UPDATE app.residents SET phone = '1' WHERE id = '{rid}'")
    # a roll-call line of theirs (the INSERT's guard runs once per statement, 0040)
    rc = w.d.must("POST", f"houses/{w.houses['jkt']['id']}/roll-calls", {"kind": "extra"}, 201, token=w.token)
    err = harness.psql_refused(d, "INSERT INTO app.roll_call_lines (roll_call_id, resident_id, stay_id, bed_id, status) "
                                  f"SELECT '{rc['id']}', s.resident_id, s.id, p.bed_id, 'unmarked' FROM app.stays s "
                                  f"JOIN app.bed_periods p ON p.stay_id = s.id WHERE s.resident_id = '{rid}' LIMIT 1")
    expect("resident_anonymised" in err, f"roll-call line: {err}")
    w.d.must("POST", f"roll-calls/{rc['id']}/cancel", {"reason": "uji"}, token=w.token)
    # reads still work
    w.d.must("GET", f"residents/{rid}/consents", token=cw)
    w.d.must("GET", f"follow-ups/{a['follow_up']}", token=cw)


def test_config_and_arguments(d):
    for bad in ("0", "101", "x"):
        out = d.cli("retention", "--dry-run", env={"ABIPRAYA_RETENTION_FORMER_RESIDENT_YEARS": bad})
        expect(out.returncode != 0 and "former_resident_years" in out.stderr, f"{bad}: {out}")
    out = d.cli("retention", "--now")
    expect(out.returncode == 2 and "--now" in out.stderr and not out.stdout, f"unknown argument: {out}")
    # a year's setting: a resident created 2 years ago is due with 1, not with the default 5
    w = world(d)
    r = w.resident()
    w.created(r["id"], local(years_back(today("Asia/Jakarta"), 2), "Asia/Jakarta"))
    out = d.cli("retention", "--dry-run", env={"ABIPRAYA_RETENTION_FORMER_RESIDENT_YEARS": "1"})
    expect(out.returncode == 0 and f"anonymise {r['id']} " in out.stdout, f"years 1: {out}")
    due, _ = w.run("--dry-run")
    expect(r["id"] not in due, "due with 5 years")
    q(d, f"UPDATE app.residents SET created_at = now() WHERE id = '{r['id']}'")


def test_race_checkin_first(d):
    w = world(d)
    r = w.resident()
    rid = r["id"]
    w.created(rid, local(years_back(today("Asia/Jakarta")) - dt.timedelta(days=10), "Asia/Jakarta"))
    with harness.PsqlSession(d.db) as s:
        s.run(f"BEGIN; SELECT 1 FROM app.residents WHERE id = '{rid}' FOR UPDATE")
        proc = subprocess.Popen([harness.BIN, "--config", d.config, "retention"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=harness.ROOT)
        waited = harness.wait_for(lambda: q(d, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                               "AND query LIKE '%api.anonymise%'") == "1", 20)
        expect(waited, "retention did not wait on the resident's lock")
        # a check-in commits first
        s.run(f"INSERT INTO app.stays (house_id, resident_id, checked_in_at) "
              f"VALUES ('{w.houses['jkt']['id']}', '{rid}', now())")
        t0 = time.monotonic()
        s.run("COMMIT")
        out, err = proc.communicate(timeout=60)
    expect(proc.returncode == 0, f"retention exited {proc.returncode}: {err}")
    expect(out.strip() == "retention: 0 residents anonymised, 0 audit records redacted", f"output: {out!r}")
    expect(q(d, f"SELECT anonymised_at IS NULL FROM app.residents WHERE id = '{rid}'") == "t", "anonymised anyway")
    expect(time.monotonic() - t0 < 30, "slow")


def test_many_residents(d):
    w = world(d)
    day = local(years_back(today("Asia/Jakarta")) - dt.timedelta(days=10), "Asia/Jakarta")
    rids = []
    for i in range(40):
        rid = w.resident()["id"]
        d.must("PATCH", f"residents/{rid}", {"notes": f"catatan {i}"}, token=w.token)
        w.created(rid, day)
        rids.append(rid)
    bad = rids[17]
    # one resident's anonymisation fails in the middle: a trigger of the test refuses its marking
    q(d, "CREATE FUNCTION app.t_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
         "RAISE EXCEPTION 'refused by the test'; END $$")
    q(d, f"CREATE TRIGGER t_fail BEFORE UPDATE ON app.residents FOR EACH ROW "
         f"WHEN (OLD.id = '{bad}' AND NEW.anonymised_at IS NOT NULL) EXECUTE FUNCTION app.t_fail()")
    out = d.cli("retention")
    expect(out.returncode != 0 and f"stopped at resident {bad}" in out.stderr, f"failed run: {out}")
    lines = out.stdout.splitlines()
    done = [LINE.match(x).group(1) for x in lines[:-1]]
    expect(len(done) == len(set(done)) and bad not in done and set(done) <= set(rids), f"lines: {lines}")
    m = SUMMARY.match(lines[-1])
    expect(m and int(m.group(1)) == len(done) and int(m.group(2)) == 2 * len(done), f"summary: {lines[-1]}")

    def check(anonymised):
        got = q(d, "SELECT count(*) FILTER (WHERE r.anonymised_at IS NOT NULL), "
                   "count(*) FILTER (WHERE r.anonymised_at IS NOT NULL AND (SELECT count(*) FROM app.audit_log a "
                   "  WHERE a.resident_id = r.id AND a.redacted_by = z.id AND a.before IS NULL) = 2 "
                   "  AND (z.after->>'redacted_records')::int = 2 AND (SELECT count(*) FROM app.audit_log a "
                   "  WHERE a.resident_id = r.id AND a.redacted_at IS NULL) = 1), "
                   "count(*) FILTER (WHERE r.anonymised_at IS NULL AND NOT EXISTS (SELECT 1 FROM app.audit_log a "
                   "  WHERE a.resident_id = r.id AND a.redacted_at IS NOT NULL) AND z.id IS NULL) "
                   f"FROM app.residents r LEFT JOIN app.audit_log z ON z.resident_id = r.id "
                   f"AND z.action = 'resident.anonymise' WHERE r.id IN ({', '.join(repr(x) for x in rids)})")
        expect(got == f"{anonymised}|{anonymised}|{40 - anonymised}", f"after the run: {got}")
        v = d.must("GET", "audit/verify", token=w.token)
        expect(v["ok"] is True, f"verify: {v}")

    check(len(done))
    q(d, "DROP TRIGGER t_fail ON app.residents; DROP FUNCTION app.t_fail()")
    due, summary = w.run()
    expect(set(due) == set(rids) - set(done) and bad in due
           and summary == f"retention: {40 - len(done)} residents anonymised, {2 * (40 - len(done))} audit records "
                          f"redacted", f"rerun: {summary}")
    check(40)


if __name__ == "__main__":
    harness.main(globals(), harness.Instance)
