"""House settings (contract §15.7, with §15.1's roles, §15.11's CHECKs). One daemon for all tests.
Each refused write is also checked to have written nothing (the house row, the audit count).

- test_defaults_and_every_house_object: a new house has the nine settings with their defaults;
  POST takes them all; follow_up_days is stored ascending; GET, the list and every role that
  reads houses (staff included) get them.
- test_field_rules_422: every range and type of the table -> 422 naming the field, on POST and
  PATCH; a null for a setting that has no "off" -> 422; long_stay_days null is off.
- test_critical_below_warning: supervision_critical_days >= supervision_warning_days -> 422 naming
  both, on POST (one given, the other the default) and PATCH (one field against the stored other).
- test_manager_settings_only: a manager of the house PATCHes settings (200, house.update audit);
  a body with any other field (alone or with settings) -> 403 forbidden, nothing written; If-Match;
  another house -> 404; caseworker and staff -> 403; admin any field.
- test_database_checks: an UPDATE through psql outside the ranges, or critical >= warning, or an
  unsorted follow_up_days fails on the table's CHECKs.
- test_reporting_grace_is_the_default_of_new_schedules: a schedule set without grace_days gets
  the house's reporting_grace_days; a later change of the setting leaves it as it was."""

import datetime as dt
import os
import sys
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem, uid  # noqa: E402

DEFAULTS = {"absconding_grace_minutes": 120, "supervision_warning_days": 30, "supervision_critical_days": 7,
            "reporting_due_days": 3, "reporting_grace_days": 3, "long_stay_days": None, "turnover_minutes": 0,
            "roll_calls_per_day": 1, "follow_up_days": [30, 90, 180]}


def row(d, hid):
    """What a refused write must leave as it was."""
    return d.psql(f"SELECT to_jsonb(h)::text FROM app.houses h WHERE id = '{hid}'").strip() + \
        d.psql("SELECT count(*) FROM app.audit_log").strip()


def settings(house):
    return {k: house[k] for k in DEFAULTS}


def test_defaults_and_every_house_object(d):
    t = d.login()
    h = d.house(t)
    expect(settings(h) == DEFAULTS, f"defaults: {settings(h)}")
    given = {"absconding_grace_minutes": 0, "supervision_warning_days": 365, "supervision_critical_days": 364,
             "reporting_due_days": 31, "reporting_grace_days": 0, "long_stay_days": 3660, "turnover_minutes": 10080,
             "roll_calls_per_day": 6, "follow_up_days": [730, 1, 45]}
    h2 = d.house(t, **given)
    expect(settings(h2) == {**given, "follow_up_days": [1, 45, 730]}, f"given: {settings(h2)}")
    expect(settings(d.must("GET", f"houses/{h2['id']}", token=t)) == settings(h2), "GET")
    listed = [x for x in d.must("GET", "houses?limit=200", token=t)["items"] if x["id"] == h2["id"]]
    expect(listed and settings(listed[0]) == settings(h2), f"list: {listed}")
    expect(d.must("POST", "houses", {"code": "H-" + uid(), "name": "x", "follow_up_days": []}, 201,
                  token=t)["follow_up_days"] == [], "[] = no follow-up")
    for role in ("manager", "caseworker", "staff"):
        _, tok = d.user(t, role, [h2["id"]])
        got = d.must("GET", f"houses/{h2['id']}", token=tok)
        expect(settings(got) == settings(h2), f"{role} reads the settings: {got}")


def test_field_rules_422(d):
    t = d.login()
    h = d.house(t)
    bad = [("absconding_grace_minutes", -1), ("absconding_grace_minutes", 1441), ("absconding_grace_minutes", "5"),
           ("supervision_warning_days", 0), ("supervision_warning_days", 366),
           ("supervision_critical_days", -1), ("supervision_critical_days", 365),
           ("reporting_due_days", 32), ("reporting_due_days", -1), ("reporting_grace_days", 32),
           ("long_stay_days", 0), ("long_stay_days", 3661), ("long_stay_days", 1.5),
           ("turnover_minutes", 10081), ("turnover_minutes", -1), ("roll_calls_per_day", 7), ("roll_calls_per_day", -1),
           ("follow_up_days", [0]), ("follow_up_days", [731]), ("follow_up_days", [30, 30]),
           ("follow_up_days", [1, 2, 3, 4, 5, 6, 7]), ("follow_up_days", 30), ("follow_up_days", ["30"]),
           ("follow_up_days", [None]), ("absconding_grace_minutes", None), ("follow_up_days", None),
           ("roll_calls_per_day", None), ("supervision_warning_days", None)]
    before = row(d, h["id"])
    houses = d.psql("SELECT count(*) FROM app.houses").strip()
    for field, value in bad:
        r = d.request("POST", "/api/v1/houses", token=t, json_body={"code": "H-" + uid(), "name": "x", field: value})
        expect_problem(r, 422, "validation_failed")
        expect([e["field"] for e in r.json["errors"]] == [field], f"POST {field}={value!r}: {r.json}")
        r = d.request("PATCH", f"/api/v1/houses/{h['id']}", token=t, json_body={field: value})
        expect_problem(r, 422, "validation_failed")
        expect([e["field"] for e in r.json["errors"]] == [field], f"PATCH {field}={value!r}: {r.json}")
    expect(row(d, h["id"]) == before, "a refused PATCH wrote something")
    expect(d.psql("SELECT count(*) FROM app.houses").strip() == houses, "a refused POST wrote a house")
    on = d.must("PATCH", f"houses/{h['id']}", {"long_stay_days": 90, "follow_up_days": [7]}, token=t)
    expect(on["long_stay_days"] == 90 and on["follow_up_days"] == [7] and on["version"] == h["version"] + 1, f"{on}")
    off = d.must("PATCH", f"houses/{h['id']}", {"long_stay_days": None}, token=t)
    expect(off["long_stay_days"] is None, f"long_stay_days null is off: {off}")


def test_critical_below_warning(d):
    t = d.login()
    both = {"supervision_critical_days", "supervision_warning_days"}
    for body in ({"supervision_critical_days": 30}, {"supervision_warning_days": 7},
                 {"supervision_warning_days": 10, "supervision_critical_days": 10}):
        n = d.psql("SELECT count(*) FROM app.houses").strip()
        r = d.request("POST", "/api/v1/houses", token=t, json_body={"code": "H-" + uid(), "name": "x", **body})
        expect_problem(r, 422, "validation_failed")
        expect({e["field"] for e in r.json["errors"]} == both, f"POST {body}: {r.json}")
        expect(d.psql("SELECT count(*) FROM app.houses").strip() == n, "a refused POST wrote a house")
    h = d.house(t)
    before = row(d, h["id"])
    for body in ({"supervision_critical_days": 30}, {"supervision_warning_days": 7},
                 {"supervision_warning_days": 5, "supervision_critical_days": 6}):
        r = d.request("PATCH", f"/api/v1/houses/{h['id']}", token=t, json_body=body)
        expect_problem(r, 422, "validation_failed")
        expect({e["field"] for e in r.json["errors"]} == both, f"PATCH {body}: {r.json}")
    expect(row(d, h["id"]) == before, "a refused PATCH wrote something")
    ok = d.must("PATCH", f"houses/{h['id']}", {"supervision_warning_days": 1, "supervision_critical_days": 0}, token=t)
    expect((ok["supervision_warning_days"], ok["supervision_critical_days"]) == (1, 0), f"{ok}")


def test_manager_settings_only(d):
    t = d.login()
    h = d.house(t)
    other = d.house(t)
    _, mgr = d.user(t, "manager", [h["id"]])
    others = [d.user(t, role, [h["id"]])[1] for role in ("caseworker", "staff")]
    r = d.request("PATCH", f"/api/v1/houses/{h['id']}", token=mgr, headers={"If-Match": f'"{h["version"]}"'},
                  json_body={"absconding_grace_minutes": 45, "long_stay_days": 200, "follow_up_days": [60, 14]})
    expect(r.status == 200, f"manager settings PATCH: {r}")
    got = r.json
    expect((got["absconding_grace_minutes"], got["long_stay_days"], got["follow_up_days"]) == (45, 200, [14, 60]),
           f"{got}")
    audit = d.must("GET", f"audit?entity=house&entity_id={h['id']}", token=t)["items"]
    expect(audit[-1]["action"] == "house.update" and audit[-1]["before"]["absconding_grace_minutes"] == 120
           and audit[-1]["after"]["absconding_grace_minutes"] == 45 and audit[-1]["after"]["follow_up_days"] == [14, 60],
           f"audit: {audit[-1]}")
    before = row(d, h["id"])
    for body in ({"name": "Baru"}, {"name": "Baru", "absconding_grace_minutes": 50}, {"timezone": "Asia/Makassar"},
                 {"curfew": "23:00"}, {"code": "X-" + uid()}, {"address": "Jl. Baru"}):
        expect_problem(d.request("PATCH", f"/api/v1/houses/{h['id']}", token=mgr, json_body=body), 403, "forbidden")
    expect(row(d, h["id"]) == before, "a refused manager PATCH wrote something")
    expect_problem(d.request("PATCH", f"/api/v1/houses/{h['id']}", token=mgr, headers={"If-Match": '"1"'},
                             json_body={"turnover_minutes": 5}), 412, "precondition_failed")
    expect_problem(d.request("PATCH", f"/api/v1/houses/{other['id']}", token=mgr,
                             json_body={"turnover_minutes": 5}), 404, "not_found")
    for tok in others:
        expect_problem(d.request("PATCH", f"/api/v1/houses/{h['id']}", token=tok,
                                 json_body={"turnover_minutes": 5}), 403, "forbidden")
    expect_problem(d.request("POST", "/api/v1/houses", token=mgr, json_body={"code": "H-" + uid(), "name": "x"}),
                   403, "forbidden")
    expect(row(d, h["id"]) == before, "a refused PATCH wrote something")
    admin = d.must("PATCH", f"houses/{h['id']}", {"name": "Griya Baru", "roll_calls_per_day": 2}, token=t)
    expect(admin["name"] == "Griya Baru" and admin["roll_calls_per_day"] == 2, f"admin: {admin}")


def test_database_checks(d):
    t = d.login()
    h = d.house(t)
    for sql in ("absconding_grace_minutes = 1441", "supervision_critical_days = 30", "supervision_warning_days = 0",
                "follow_up_days = '{90,30}'", "follow_up_days = '{30,30}'", "follow_up_days = '{1,2,3,4,5,6,7}'",
                "follow_up_days = '{0}'", "follow_up_days = '{731}'", "follow_up_days = '{30,NULL}'",
                "long_stay_days = 0", "reporting_due_days = 32", "reporting_grace_days = -1",
                "roll_calls_per_day = 7", "turnover_minutes = -1"):
        try:
            d.psql(f"UPDATE app.houses SET {sql} WHERE id = '{h['id']}'")
            accepted = True
        except RuntimeError as e:
            accepted = False
            expect("check constraint" in str(e), f"{sql}: {e}")
        expect(not accepted, f"the table accepted {sql}")
    n = d.psql(f"SELECT version FROM app.houses WHERE id = '{h['id']}'").strip()
    expect(n == str(h["version"]), "a refused UPDATE changed the house")


def test_reporting_grace_is_the_default_of_new_schedules(d):
    """reporting_grace_days is the grace_days of a schedule set without one, read when it is set:
    changing the setting afterwards changes no schedule (§15.7)."""
    t = d.login()
    h = d.house(t)
    today = dt.datetime.now(zoneinfo.ZoneInfo(h["timezone"])).date()
    d.must("PATCH", f"houses/{h['id']}", {"reporting_grace_days": 6}, token=t,
           headers={"If-Match": f'"{h["version"]}"'})
    res = d.resident(t, h["id"])
    d.must("POST", f"residents/{res['id']}/legal-bases",
           {"type": "pembebasan_bersyarat", "decree_number": "PAS-" + uid(), "decree_date": str(today),
            "starts_on": str(today), "supervision_ends_on": str(today + dt.timedelta(days=200))}, 201, token=t)
    put = d.must("PUT", f"residents/{res['id']}/reporting/schedule",
                 {"frequency": "monthly", "day_of_month": 10, "starts_on": str(today)}, 201, token=t)
    expect(put["grace_days"] == 6, f"grace_days {put['grace_days']}, not the house's 6")
    house = d.must("GET", f"houses/{h['id']}", token=t)
    d.must("PATCH", f"houses/{h['id']}", {"reporting_grace_days": 1}, token=t,
           headers={"If-Match": f'"{house["version"]}"'})
    got = d.must("GET", f"residents/{res['id']}/reporting/schedule", token=t)
    expect(got["grace_days"] == 6 and got["version"] == 1, f"the schedule changed with the setting: {got}")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
