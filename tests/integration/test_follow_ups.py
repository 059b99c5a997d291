"""Post-exit follow-up (contract §18.8), follow_up_due (§18.10), its events (§18.11),
follow_up_closed (§18.13) and what the database enforces (§18.14). One daemon, two for the race.
Each refused write writes nothing.

- test_checkout_schedules: a check-out schedules one follow-up per entry of the house's
  follow_up_days, due on its house date + d, each with an audit record follow_up.create; every key;
  none after a `deceased` check-out; a setting changed applies to later check-outs only.
- test_list_order_filters_csv: pending first by due_on, then the others in creation order; status,
  stay_id, caseworker_id, due_within_days (overdue included); CSV; staff 403, partner users 404.
- test_result_rules: reached needs the five outcomes (422 on each missing), unreachable refuses them
  (422 on each given), contacted_at before the check-out or ahead -> 422, If-Match 412; a result then
  a correction (version +1), audit follow_up.record, event follow_up.recorded with ids only.
- test_cancel: cancel -> cancelled with the reason; again, or cancelling a done one, or a result on
  a cancelled one -> 409 follow_up_closed.
- test_database_enforces: unique (stay_id, offset_days); done <=> contacted_at; unreachable =>
  outcomes null; reached => all five.
- test_race_result_and_cancel: a result and a cancel at once over two daemons: one 200, one 409.
- test_follow_up_due_alert: warning from 7 days before due_on (key :due), critical from 14 days
  after (key :late), since/due_at/details; cleared by the result; not for staff."""

import datetime as dt
import os
import sys
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_consents  # noqa: E402 - its World (house, caseworker, staff, manager, partner)
from harness import expect, expect_problem  # noqa: E402

KEYS = {"id", "resident_id", "full_name", "house_id", "stay_id", "offset_days", "due_on", "status", "overdue",
        "contacted_at", "method", "unreachable", "housing_stable", "employed", "business_operating", "reoffended",
        "reporting_compliant", "note", "cancel_reason", "recorded_by", "version", "created_at", "updated_at"}
OUTCOMES = ("housing_stable", "employed", "business_operating", "reoffended", "reporting_compliant")
REACHED = {"method": "phone", "housing_stable": True, "employed": False, "business_operating": True,
           "reoffended": False, "reporting_compliant": True}
JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")
q = test_consents.q


class World(test_consents.World):
    def __init__(self, d):
        super().__init__(d)
        room = d.room(self.token, self.house)
        self.room = room["id"]

    def former(self, exit_reason="completed", resident=None, **checkout):
        """A resident checked in and out now: (resident, stay after the check-out)."""
        res = resident or self.d.resident(self.token, self.house, caseworker_id=self.cw["id"])
        bed = self.d.bed(self.token, self.room)["id"]
        stay = self.d.must("POST", "stays", {"resident_id": res["id"], "bed_id": bed, "rules_acknowledged": True,
                                             "checked_in_at": (dt.datetime.now(dt.timezone.utc)
                                                               - dt.timedelta(days=3)).isoformat()},
                           201, token=self.token)
        out = self.d.must("POST", f"stays/{stay['id']}/checkout", {"exit_reason": exit_reason, "destination": "family",
                                                                   **checkout}, token=self.token)
        return res, out

    def follow_ups(self, query, token=None):
        return self.d.must("GET", f"follow-ups?{query}", token=token or self.cw_token)["items"]

    def result(self, fid, d=None, headers=None, **body):
        return (d or self.d).request("PUT", f"/api/v1/follow-ups/{fid}/result", json_body=body, headers=headers,
                                     token=self.cw_token)

    def cancel(self, fid, d=None, **body):
        return (d or self.d).request("POST", f"/api/v1/follow-ups/{fid}/cancel",
                                     json_body={"reason": "kembali ke lapas", **body}, token=self.cw_token)

    def counts(self):
        return q(self.d, "SELECT (SELECT count(*) FROM app.follow_ups), (SELECT sum(version) FROM app.follow_ups), "
                         "(SELECT count(*) FROM app.audit_log), (SELECT count(*) FROM app.events)")


def world(d):
    return harness.world_of(d, World)


def house_date(stay):
    t = dt.datetime.fromisoformat(stay["checked_out_at"].replace("Z", "+00:00"))
    return t.astimezone(JAKARTA).date()


def test_checkout_schedules(d):
    w = world(d)
    res, stay = w.former()
    got = w.follow_ups(f"stay_id={stay['id']}")
    day = house_date(stay)
    expect([(f["offset_days"], f["due_on"]) for f in got]
           == [(n, (day + dt.timedelta(days=n)).isoformat()) for n in (30, 90, 180)], f"scheduled: {got}")
    f = got[0]
    expect(set(f) == KEYS, f"keys {sorted(f)}")
    expect((f["status"], f["overdue"], f["resident_id"], f["full_name"], f["house_id"], f["contacted_at"], f["method"])
           == ("pending", False, res["id"], res["full_name"], w.house, None, None), f"{f}")
    audit = q(d, f"SELECT count(*) FROM app.audit_log WHERE action = 'follow_up.create' "
                 f"AND entity_id IN (SELECT id FROM app.follow_ups WHERE stay_id = '{stay['id']}')")
    expect(audit == "3", f"one audit record each: {audit}")
    r = d.request("GET", f"/api/v1/follow-ups/{f['id']}", token=w.manager)
    expect(r.status == 200 and r.json == f and r.header("ETag") == '"1"', f"get {r}")
    _, dead = w.former("deceased")
    expect(w.follow_ups(f"stay_id={dead['id']}") == [], "none after a death")
    d.must("PATCH", f"houses/{w.house}", {"follow_up_days": [7]}, token=w.manager)
    _, later = w.former()
    expect([x["offset_days"] for x in w.follow_ups(f"stay_id={later['id']}")] == [7], "later check-outs")
    expect(len(w.follow_ups(f"stay_id={stay['id']}")) == 3, "earlier ones unchanged")
    d.must("PATCH", f"houses/{w.house}", {"follow_up_days": [30, 90, 180]}, token=w.manager)


def test_list_order_filters_csv(d):
    w = world(d)
    res, stay = w.former()
    mine = w.follow_ups(f"resident_id={res['id']}")
    q(d, f"UPDATE app.follow_ups SET due_on = current_date - 2 WHERE id = '{mine[2]['id']}'")
    w.cancel(mine[0]["id"])
    got = w.follow_ups(f"resident_id={res['id']}")
    expect([x["id"] for x in got] == [mine[2]["id"], mine[1]["id"], mine[0]["id"]]
           and got[0]["overdue"] is True and got[1]["overdue"] is False, f"pending by due_on, then the rest: {got}")
    expect([x["id"] for x in w.follow_ups(f"resident_id={res['id']}&status=cancelled")] == [mine[0]["id"]], "status")
    expect([x["id"] for x in w.follow_ups(f"resident_id={res['id']}&due_within_days=0")] == [mine[2]["id"]],
           "due within: the overdue one")
    expect([x["id"] for x in w.follow_ups(f"resident_id={res['id']}&due_within_days=100")]
           == [mine[2]["id"], mine[1]["id"]], "due within 100 days")
    expect(len(w.follow_ups(f"caseworker_id={w.cw['id']}&stay_id={stay['id']}")) == 3, "caseworker")
    other_cw, _ = d.user(w.token, "caseworker", [w.house])
    expect(w.follow_ups(f"caseworker_id={other_cw['id']}&stay_id={stay['id']}") == [], "another caseworker")
    r = d.request("GET", f"/api/v1/follow-ups?stay_id={stay['id']}", headers={"Accept": "text/csv"}, token=w.manager)
    lines = r.text.strip().splitlines()
    expect(r.status == 200 and lines[0].startswith("id,resident_id,full_name") and len(lines) == 4, f"csv {lines}")
    expect_problem(d.request("GET", "/api/v1/follow-ups", token=w.staff), 403, "forbidden")
    expect_problem(d.request("GET", f"/api/v1/follow-ups/{mine[1]['id']}", token=w.partner_user(w.partner)), 404,
                   "not_found")
    expect_problem(d.request("GET", f"/api/v1/follow-ups/{mine[1]['id']}", token=w.other_manager), 404, "not_found")


def test_result_rules(d):
    w = world(d)
    _, stay = w.former()
    f = w.follow_ups(f"stay_id={stay['id']}")[0]
    before = w.counts()
    for missing in OUTCOMES:
        body = {k: v for k, v in REACHED.items() if k != missing}
        expect_problem(w.result(f["id"], **body), 422, "validation_failed", field=missing)
    for given in OUTCOMES:
        expect_problem(w.result(f["id"], method="phone", unreachable=True, **{given: True}), 422, "validation_failed",
                       field=given)
    out = dt.datetime.fromisoformat(stay["checked_out_at"].replace("Z", "+00:00"))
    expect_problem(w.result(f["id"], contacted_at=(out - dt.timedelta(seconds=1)).isoformat(), **REACHED), 422,
                   "validation_failed", field="contacted_at")
    ahead = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=10)
    expect_problem(w.result(f["id"], contacted_at=ahead.isoformat(), **REACHED), 422, "validation_failed",
                   field="contacted_at")
    expect_problem(w.result(f["id"], **{**REACHED, "method": "telepathy"}), 422, "validation_failed", field="method")
    expect_problem(w.result(f["id"], headers={"If-Match": '"9"'}, **REACHED), 412, "precondition_failed")
    expect(w.counts() == before, "nothing written")
    r = w.result(f["id"], headers={"If-Match": '"1"'}, note="Sudah bekerja di bengkel", **REACHED)
    expect(r.status == 200 and r.json["status"] == "done" and r.json["version"] == 2
           and all(r.json[k] == v for k, v in REACHED.items()) and r.json["unreachable"] is False
           and r.json["recorded_by"] == w.cw["id"], f"{r}")
    r = w.result(f["id"], method="via_family", unreachable=True)
    expect(r.status == 200 and r.json["version"] == 3 and r.json["unreachable"] is True
           and all(r.json[k] is None for k in OUTCOMES), f"a correction: {r}")
    audit = q(d, f"SELECT count(*) FROM app.audit_log WHERE entity_id = '{f['id']}' AND action = 'follow_up.record'")
    ev = q(d, f"SELECT data::text || ' ' || roles::text FROM app.events WHERE name = 'follow_up.recorded' "
              f"AND data->>'id' = '{f['id']}' ORDER BY id LIMIT 1")
    expect(audit == "2" and ev == f'{{"id": "{f["id"]}", "entity": "follow_up", "stay_id": "{stay["id"]}", '
                                  f'"house_id": "{w.house}", "resident_id": "{f["resident_id"]}"}} '
                                  f'{{admin,manager,caseworker}}', f"audit {audit}, event {ev}")


def test_cancel(d):
    w = world(d)
    _, stay = w.former()
    a, b, _ = w.follow_ups(f"stay_id={stay['id']}")
    r = w.cancel(a["id"])
    expect(r.status == 200 and r.json["status"] == "cancelled" and r.json["cancel_reason"] == "kembali ke lapas", f"{r}")
    before = w.counts()
    expect_problem(w.cancel(a["id"]), 409, "follow_up_closed")
    expect_problem(w.result(a["id"], **REACHED), 409, "follow_up_closed")
    expect(w.counts() == before, "nothing written")
    expect(w.result(b["id"], **REACHED).status == 200, "done")
    expect_problem(w.cancel(b["id"]), 409, "follow_up_closed")
    ev = q(d, f"SELECT count(*) FROM app.events WHERE name = 'follow_up.cancelled' AND data->>'id' = '{a['id']}'")
    expect(ev == "1", f"event {ev}")


def test_database_enforces(d):
    w = world(d)
    _, stay = w.former()
    f = w.follow_ups(f"stay_id={stay['id']}")[0]

    def refused(sql):
        return harness.psql_refused(d, sql)
    expect("follow_ups_stay_offset_key" in refused(
        f"INSERT INTO app.follow_ups (resident_id, house_id, stay_id, offset_days, due_on) "
        f"SELECT resident_id, house_id, stay_id, offset_days, due_on FROM app.follow_ups WHERE id = '{f['id']}'"), "uq")
    expect("follow_ups_done_check" in refused(f"UPDATE app.follow_ups SET status = 'done' WHERE id = '{f['id']}'"), "1")
    expect("follow_ups_outcomes_check" in refused(
        f"UPDATE app.follow_ups SET status = 'done', contacted_at = now(), method = 'phone', unreachable = true, "
        f"employed = true WHERE id = '{f['id']}'"), "unreachable => none")
    expect("follow_ups_outcomes_check" in refused(
        f"UPDATE app.follow_ups SET status = 'done', contacted_at = now(), method = 'phone', unreachable = false, "
        f"employed = true WHERE id = '{f['id']}'"), "reached => all five")


def test_race_result_and_cancel(d):
    w = world(d)
    _, stay = w.former()
    f = w.follow_ups(f"stay_id={stay['id']}")[0]
    with harness.Instance(share=d) as other:
        got = harness.race([lambda: w.result(f["id"], **REACHED), lambda: w.cancel(f["id"], d=other)])
    statuses = sorted(r.status for r in got)
    codes = [r.json.get("code") for r in got if r.status == 409]
    expect(statuses == [200, 409] and codes == ["follow_up_closed"], f"{statuses} {codes}")


def test_follow_up_due_alert(d):
    w = world(d)
    res, stay = w.former()
    a, b, c = w.follow_ups(f"stay_id={stay['id']}")
    today = dt.datetime.now(JAKARTA).date()
    q(d, f"UPDATE app.follow_ups SET due_on = '{today + dt.timedelta(days=5)}' WHERE id = '{a['id']}'")
    q(d, f"UPDATE app.follow_ups SET due_on = '{today - dt.timedelta(days=14)}' WHERE id = '{b['id']}'")

    def alerts(token=None):
        return d.must("GET", f"alerts?house_id={w.house}&kind=follow_up_due&resident_id={res['id']}",
                      token=token or w.cw_token)["items"]

    def midnight(day):
        return dt.datetime.combine(day, dt.time(), JAKARTA).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    got = {x["key"]: x for x in alerts()}
    due, late = got.get(f"follow_up_due:{a['id']}:due"), got.get(f"follow_up_due:{b['id']}:late")
    expect(len(got) == 2 and due and late, f"two: {list(got)}")
    expect((due["severity"], due["since"], due["due_at"], due["stay_id"], due["entity"], due["details"])
           == ("warning", midnight(today - dt.timedelta(days=2)), midnight(today + dt.timedelta(days=6)), stay["id"],
               "follow_up", {"offset_days": 30, "due_on": (today + dt.timedelta(days=5)).isoformat()}), f"{due}")
    expect((late["severity"], late["since"]) == ("critical", midnight(today)), f"{late}")
    expect(alerts(w.staff) == [], "not for staff")
    w.result(b["id"], **REACHED)
    expect([x["key"] for x in alerts()] == [due["key"]], "done: cleared")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
