"""The kept reporting state (app.reporting_state_kept, 0037_reporting_state_kept.sql):
api.reporting_state answers a resident's state from what an earlier read kept while it is
current, and computes it again when an input changed or a period's status turned with time.
The reference is api.reporting_state_fresh, which computes every time (its own correctness is
test_reporting.py's: the plain reference of §15.3 over random residents).

- test_kept_state_follows_every_input: 40 random supervised residents (two houses); after
  each round of changes straight into the tables (reports made, voided and deleted, excuses
  made and dropped, a new schedule version, a version's grace changed, a basis revoked,
  shortened, superseded, a resident moved to the other house, the other house's zone
  changed) the kept answer equals the fresh one, the changed residents' rev moved and the
  others' did not, and the changes did change some states (the comparison can fail).
- test_kept_state_holds_until_valid_until: the fresh state at every midnight before a
  resident's valid_until (up to 45 days ahead) and just before it equals the state now; a
  kept row past its valid_until is computed again.
- test_a_reader_does_not_wait_for_a_writer_nor_keep_a_stale_state: while a transaction holds
  a resident's row (its report not committed), a read answers at once, and keeps nothing
  for that resident; after the commit the next read has the report.
- test_two_instances: a state kept by one daemon's read is not answered after a report
  through the other daemon."""

import datetime as dt
import os
import random
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_reporting as tr  # noqa: E402
from harness import expect  # noqa: E402

COLUMNS = ("resident_id, house_id, under_supervision, duty_ends_on, schedule_version, next_due_on, "
           "consecutive_misses, revocation_risk, due_opens_on, due_due_on, due_closes_on, missed_due_on, "
           "missed_closes_on, next_undecided_closes_on, due_periods")


class World(tr.World):
    def __init__(self, d):
        super().__init__(d)
        self.other = d.house(self.token)["id"]


def world(d):
    return harness.world_of(d, World)


def arr(ids):
    return "ARRAY[" + ",".join(f"'{r}'::uuid" for r in ids) + "]::uuid[]"


def states(d, fn, ids, as_of=None):
    """{resident: its state's columns as text} from api.reporting_state or _fresh."""
    args = arr(ids) + (f", '{as_of}'::timestamptz" if as_of else "")
    out = d.psql(f"SELECT {COLUMNS} FROM api.{fn}({args})")
    return {line.split("|")[0]: line for line in out.strip().splitlines()}


def kept(d, ids):
    """{resident: (rev, state_rev, valid_until)}."""
    out = d.psql("SELECT resident_id, rev, coalesce(state_rev::text, ''), coalesce(valid_until::text, '') "
                 f"FROM app.reporting_state_kept WHERE resident_id = ANY ({arr(ids)})")
    return {r[0]: tuple(r[1:]) for r in (line.split("|") for line in out.strip().splitlines())}


def population(d, w, rnd, n):
    """N residents of w's house with random bases, schedules, reports and excuses."""
    t = tr.today()
    sql, ids = [], []
    for _ in range(n):
        rid = str(uuid.uuid4())
        ids.append(rid)
        last_day = t + dt.timedelta(days=rnd.choice([-30, 4, 40, 2000]))
        start = t - dt.timedelta(days=rnd.randint(40, 400))
        versions = [(rnd.choice(["monthly", "interval"]), 0, start, rnd.choice([0, 1, 3, 10]))]
        if rnd.random() < 0.3:
            versions.append(("interval", 0, start + dt.timedelta(days=rnd.randint(10, 30)), 3))
        versions = [(f, rnd.randint(1, 31) if f == "monthly" else rnd.choice([3, 7, 14, 30]), s, g)
                    for f, _, s, g in versions]
        sql += tr.supervised_sql(w, rid, t - dt.timedelta(days=500), last_day, versions)
        for _ in range(rnd.randint(0, 20)):
            on = start + dt.timedelta(days=rnd.randint(0, (t - start).days))
            sql.append(tr.record_sql(w, rid, str(uuid.uuid4()), f"{on}T{rnd.choice(['00:00:00', '23:59:59', '09:00:00'])}+07:00",
                                     rnd.random() < 0.1))
    for k in range(0, len(sql), 300):
        d.psql("\n".join(sql[k:k + 300]))
    return ids


# a basis revoked or its end moved, DAYS back from today (within the basis' own checks)
BASIS_EDITS = {"revoke": ("revoked_on = least(supervision_ends_on, '{}')", (0, 60)),
               "shorten": ("supervision_ends_on = greatest(coalesce(revoked_on, starts_on), '{}')", (-5, 20))}


def change(w, rnd, rid):
    """One random change of RID's inputs, as SQL (straight into the tables: the triggers hold
    for any writer)."""
    t = tr.today()
    sch = f"(SELECT id FROM app.reporting_schedules WHERE resident_id = '{rid}')"
    basis = f"(SELECT id FROM app.legal_bases WHERE resident_id = '{rid}' AND superseded_at IS NULL)"
    kind = rnd.choice(["report", "report", "void", "delete", "excuse", "unexcuse", "version", "grace",
                       "revoke", "shorten", "supersede", "move"])
    if kind == "report":
        return tr.record_sql(w, rid, str(uuid.uuid4()), f"{t - dt.timedelta(days=rnd.randint(0, 40))}T08:00:00+07:00",
                             False)
    if kind == "void":
        return (f"UPDATE app.reporting_records SET voided_at = now(), void_reason = 'x' WHERE id = "
                f"(SELECT id FROM app.reporting_records WHERE resident_id = '{rid}' AND voided_at IS NULL "
                "ORDER BY reported_at DESC LIMIT 1);")
    if kind == "delete":
        return (f"DELETE FROM app.reporting_records WHERE id = (SELECT id FROM app.reporting_records "
                f"WHERE resident_id = '{rid}' ORDER BY reported_at DESC LIMIT 1);")
    if kind == "excuse":
        return (f"INSERT INTO app.reporting_excuses (resident_id, house_id, due_on, reason) "
                f"SELECT '{rid}', '{w.house}', s.due_on, 'x' FROM api.reporting_periods(ARRAY['{rid}'::uuid], true) s "
                "WHERE s.status IN ('missed', 'due', 'grace') ORDER BY s.due_on DESC LIMIT 1 ON CONFLICT DO NOTHING;")
    if kind == "unexcuse":
        return f"DELETE FROM app.reporting_excuses WHERE resident_id = '{rid}';"
    if kind == "version":
        start = t - dt.timedelta(days=rnd.randint(0, 20))
        return (f"INSERT INTO app.reporting_schedule_versions (schedule_id, version, frequency, interval_days, "
                f"starts_on, grace_days, remote_allowed) SELECT {sch}, max(version) + 1, 'interval', "
                f"{rnd.choice([2, 5, 9])}, greatest('{start}'::date, max(starts_on)), 1, false "
                f"FROM app.reporting_schedule_versions WHERE schedule_id = {sch};")
    if kind == "grace":
        return (f"UPDATE app.reporting_schedule_versions SET grace_days = least(31, grace_days + {rnd.choice([1, 5])}) "
                f"WHERE schedule_id = {sch};")
    if kind in BASIS_EDITS:
        setter, (lo, hi) = BASIS_EDITS[kind]
        return f"UPDATE app.legal_bases SET {setter.format(t - dt.timedelta(days=rnd.randint(lo, hi)))} WHERE id = {basis};"
    if kind == "supersede":
        return (f"WITH old AS (UPDATE app.legal_bases SET superseded_at = now() WHERE id = {basis} RETURNING *) "
                "INSERT INTO app.legal_bases (resident_id, house_id, type, decree_number, decree_date, starts_on, "
                "supervision_ends_on) SELECT resident_id, house_id, 'cuti_bersyarat', 'D2', decree_date, starts_on, "
                f"'{t + dt.timedelta(days=3)}' FROM old;")
    return f"UPDATE app.residents SET house_id = '{w.other}' WHERE id = '{rid}';"


def test_kept_state_follows_every_input(d):
    rnd = random.Random(int(os.environ.get("REPORTING_SEED", "1234")) + 7)
    w = world(d)
    ids = population(d, w, rnd, 40)
    first = states(d, "reporting_state", ids)
    expect(first == states(d, "reporting_state_fresh", ids), "the first read is not the fresh state")
    before = kept(d, ids)
    expect(all(k[0] == k[1] for k in before.values()), f"the first read kept nothing: {before}")
    changed_states = 0
    for round_ in range(6):
        touched = set(rnd.sample(ids, 8))
        sql = [change(w, rnd, rid) for rid in sorted(touched)]
        # the residents follow their current basis (legal_basis_followed, checked at commit)
        sql.append("UPDATE app.residents r SET supervision_ends_on = b.supervision_ends_on, "
                   "legal_status = api.basis_legal_status(b.type) FROM app.legal_bases b "
                   f"WHERE b.resident_id = r.id AND b.superseded_at IS NULL AND r.id = ANY ({arr(touched)});")
        if round_ == 5:     # a zone: every resident's reports in it are dated anew
            sql.append(f"UPDATE app.houses SET timezone = 'Asia/Jayapura' WHERE id = '{w.other}';")
        old = states(d, "reporting_state", ids)
        d.psql("BEGIN;\n" + "\n".join(sql) + "\nCOMMIT;")
        now_kept = kept(d, ids)
        moved = {rid for rid in ids if now_kept[rid][0] != before[rid][0]}
        # (a change can find nothing to change: a void without a report)
        expect(moved <= touched or round_ == 5, f"round {round_}: revs of unchanged residents moved: {moved - touched}")
        expect(len(moved & touched) >= 4 and (round_ < 5 or moved == set(ids)), f"round {round_}: revs moved: {moved}")
        got, want = states(d, "reporting_state", ids), states(d, "reporting_state_fresh", ids)
        for rid in ids:
            expect(got.get(rid) == want.get(rid), f"round {round_}, {rid}:\n kept  {got.get(rid)}\n fresh {want.get(rid)}")
        changed_states += sum(old[r] != want[r] for r in ids)
        before = kept(d, ids)
        expect(all(k[0] == k[1] for k in before.values()), f"round {round_}: a read left a state unkept")
    expect(changed_states >= 10, f"the changes changed only {changed_states} states")


def test_kept_state_holds_until_valid_until(d):
    rnd = random.Random(int(os.environ.get("REPORTING_SEED", "1234")) + 8)
    w = world(d)
    ids = population(d, w, rnd, 30)
    # and weekly ones with a grace of 3 days in every phase of their period (today in the
    # period's days before due_on, on it, in grace, on closes_on; not started yet)
    t = tr.today()
    for k in range(-3, 14):
        rid = str(uuid.uuid4())
        ids.append(rid)
        d.psql("\n".join(tr.supervised_sql(w, rid, t - dt.timedelta(days=100), t + dt.timedelta(days=900),
                                           [("interval", 7, t - dt.timedelta(days=k), 3)])))
    now = states(d, "reporting_state_fresh", ids)
    later = d.psql(f"SELECT count(*) FROM api.reporting_state_fresh({arr(ids)}) "
                   f"WHERE valid_until > '{t + dt.timedelta(days=2)}T00:00:00+07:00'").strip()
    expect(int(later) >= 10, f"only {later} of {len(ids)} states hold for two days")
    for k in range(1, 46):
        instant = f"'{t + dt.timedelta(days=k)}T00:00:00+07:00'::timestamptz"
        out = d.psql(f"SELECT {COLUMNS} FROM api.reporting_state_fresh(ARRAY(SELECT resident_id FROM "
                     f"api.reporting_state_fresh({arr(ids)}) WHERE valid_until > {instant}), {instant})")
        for line in out.strip().splitlines():
            r = line.split("|")[0]
            expect(line == now[r], f"{r} changed at {instant}, before its valid_until:\n{now[r]}\n{line}")
    row = COLUMNS.replace("resident_id, ", "", 1)
    out = d.psql(f"SELECT x.resident_id, x.line = y.line FROM (SELECT resident_id, ({row})::text AS line, valid_until "
                 f"FROM api.reporting_state_fresh({arr(ids)}) WHERE valid_until < 'infinity') x, LATERAL "
                 f"(SELECT ({row})::text AS line FROM api.reporting_state_fresh(ARRAY[x.resident_id], "
                 "x.valid_until - interval '1 microsecond')) y")
    expect(out.strip() and all(line.endswith("|t") for line in out.strip().splitlines()),
           f"changed just before valid_until: {out}")
    # a kept row whose valid_until has passed is computed again (and kept anew)
    states(d, "reporting_state", ids)
    d.psql(f"UPDATE app.reporting_state_kept SET valid_until = now() - interval '1 second', "
           f"consecutive_misses = 99 WHERE resident_id = ANY ({arr(ids[:5])})")
    expect(states(d, "reporting_state", ids) == now, "an expired kept state was answered")
    expect(d.psql(f"SELECT bool_and(valid_until > now()) FROM app.reporting_state_kept "
                  f"WHERE resident_id = ANY ({arr(ids[:5])})").strip() == "t", "not kept anew")


def test_a_reader_does_not_wait_for_a_writer_nor_keep_a_stale_state(d):
    w = world(d)
    t = tr.today()
    x, y = str(uuid.uuid4()), str(uuid.uuid4())
    for rid in (x, y):    # weekly from 30 days ago, never reported: a run of misses
        d.psql("\n".join(tr.supervised_sql(w, rid, t - dt.timedelta(days=100), t + dt.timedelta(days=900),
                                           [("interval", 7, t - dt.timedelta(days=30), 0)])))
    base = states(d, "reporting_state", [x, y])
    # x's kept state expired: the next read computes it and would keep it
    d.psql(f"UPDATE app.reporting_state_kept SET valid_until = now() - interval '1 second' WHERE resident_id = '{x}'")
    with harness.PsqlSession(d.db) as s:
        s.run("BEGIN")
        s.run(tr.record_sql(w, x, str(uuid.uuid4()), tr.at(t.isoformat()), False))
        t0 = time.monotonic()
        out = subprocess.run([harness.psql_path(), d.db, "-X", "-q", "-t", "-A", "-c", "SET statement_timeout = '3s'",
                              "-c", f"SELECT {COLUMNS} FROM api.reporting_state({arr([x, y])})"],
                             capture_output=True, text=True, timeout=30)
        waited = time.monotonic() - t0
        expect(out.returncode == 0 and waited < 2, f"the read waited {waited:.1f} s: {out.stderr}")
        expect({line.split('|')[0]: line for line in out.stdout.strip().splitlines()} == base,
               "the read saw an uncommitted report")
        expect(d.psql(f"SELECT valid_until < now() FROM app.reporting_state_kept WHERE resident_id = '{x}'").strip()
               == "t", "a state was kept while its row was held")
        s.run("COMMIT")
    after = states(d, "reporting_state", [x, y])
    expect(after == states(d, "reporting_state_fresh", [x, y]) and after[x] != base[x] and after[y] == base[y],
           f"the committed report is not in the state:\n{base[x]}\n{after[x]}")


def test_two_instances(d):
    w = world(d)
    res = w.resident(basis_start=tr.day(-200))
    rid = res["id"]
    w.schedule(rid, frequency="interval", interval_days=7, starts_on=tr.day(-30), grace_days=0)
    with harness.Instance(share=d) as e:
        first = w.cal(rid)
        expect(first["consecutive_misses"] >= 2, f"{first['consecutive_misses']}")
        r = e.request("POST", f"/api/v1/residents/{rid}/reporting/records",
                      json_body={"reported_at": tr.at(tr.today()), "method": "in_person"}, token=w.token)
        expect(r.status == 201, f"report through the second instance: {r}")
        second = w.cal(rid)
        expect(second["consecutive_misses"] == 0 and second["next_due_on"] != first["next_due_on"],
               f"the first instance answered the kept state: {first['next_due_on']} {second}")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
