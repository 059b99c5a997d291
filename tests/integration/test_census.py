"""The daily census and occupancy (API.md §11, issue 4), checked against numbers this
test computes itself from the stays it made.

A Jakarta house (UTC+7) gets back-dated stays over the last twelve days, with the edge
cases a census gets wrong: a check-in at 02:00 local (the day before in UTC), a stay from
local midnight to local midnight, a transfer in the middle of a stay (one stay, not two),
in and out on one day, a resident who leaves and comes back, a stay checked in now. A
second house in Asia/Jayapura (UTC+9) has a stay of its own, at an instant that is one
date in Jakarta and the next in Jayapura. Then:
- the census over 15 days (into the future) equals the independent computation: per
  local date d, occupied = stays with check-in <= 00:00 of d+1 < check-out (house time),
  check_ins / check_outs = stays whose check-in / check-out has local date d;
- a one-year census (366 rows) equals it too, as does the other house's;
- the CSV form: RFC 4180 with CRLF line ends, a header row, the same numbers;
- occupancy equals the bed board's counts, per room sex too, and today's census.
test_census_range_limits: 3660 days (inclusive) are allowed; 3661 days, to < from and a
missing `to` are 422 validation_failed."""

import csv
import datetime as dt
import io
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem  # noqa: E402

JAKARTA = dt.timezone(dt.timedelta(hours=7))    # Asia/Jakarta: +07:00, no DST since 1964
JAYAPURA = dt.timezone(dt.timedelta(hours=9))   # Asia/Jayapura: +09:00, no DST
UTC = dt.timezone.utc
FIELDS = ("date", "occupied", "check_ins", "check_outs")


def rfc3339(t):
    return t.isoformat()


def parse(text):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def local(day, hour, minute=0, tz=JAKARTA):
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def expected_census(stays, start, end, tz):
    """[(date, occupied, check_ins, check_outs)] from STAYS [(in, out or None)] in zone TZ."""
    rows, day = [], start
    while day <= end:
        midnight = local(day + dt.timedelta(days=1), 0, tz=tz)
        rows.append((day.isoformat(),
                     sum(1 for i, o in stays if i <= midnight and (o is None or midnight < o)),
                     sum(1 for i, _ in stays if i.astimezone(tz).date() == day),
                     sum(1 for _, o in stays if o is not None and o.astimezone(tz).date() == day)))
        day += dt.timedelta(days=1)
    return rows


def census(d, token, hid, start, end, **kw):
    return d.request("GET", f"/api/v1/houses/{hid}/census?from={start}&to={end}", token=token, **kw)


def census_rows(d, token, hid, start, end):
    r = census(d, token, hid, start, end)
    expect(r.status == 200, f"census {start}..{end}: {r}")
    expect(set(r.json) == {"items"} or (set(r.json) == {"items", "next_cursor"} and r.json["next_cursor"] is None),
           f"census is not {{\"items\": [...]}}: {list(r.json)}")
    for row in r.json["items"]:
        expect(set(row) == set(FIELDS), f"census row fields {sorted(row)}")
    return [tuple(row[k] for k in FIELDS) for row in r.json["items"]]


def compare(got, want, what):
    if got == want:
        return
    diff = [f"  {w[0]}: got {g[1:]} expected {w[1:]}" for g, w in zip(got, want) if g != w]
    raise AssertionError(f"{what}: {len(got)} rows (expected {len(want)}); (occupied, check_ins, check_outs) "
                         f"differ on {len(diff)} days:\n" + "\n".join(diff[:15]))


def test_census_and_occupancy():
    # a test and the daemon must agree on today's date: wait out the last minute of a Jakarta day
    now = dt.datetime.now(JAKARTA)
    if now.hour == 23 and now.minute >= 58:
        time.sleep(130 - now.second)
    with harness.Instance() as d:
        token = d.login()
        today = dt.datetime.now(JAKARTA).date()
        D = lambda n: today + dt.timedelta(days=n)  # noqa: E731
        house = d.house(token, timezone="Asia/Jakarta")
        hid = house["id"]
        men = d.room(token, hid, sex="male")
        women = d.room(token, hid, sex="female")
        anyone = d.room(token, hid, sex="any")
        mb = [d.bed(token, men["id"]) for _ in range(5)]
        wb = [d.bed(token, women["id"]) for _ in range(3)]
        ab = [d.bed(token, anyone["id"]) for _ in range(2)]
        d.must("PATCH", f"beds/{wb[2]['id']}", {"status": "out_of_service", "status_reason": "atap bocor"},
               token=token)
        stays = []   # (in, out) instants, as the census must see them

        def checkin(resident, bed, at):
            s = d.must("POST", "stays", {"resident_id": resident["id"], "bed_id": bed["id"],
                                         "checked_in_at": rfc3339(at), "rules_acknowledged": True}, 201, token=token)
            expect(parse(s["checked_in_at"]) == at and s["checked_in_at"].endswith("Z"),
                   f"checked_in_at {s['checked_in_at']} for {at}")
            return s

        def checkout(stay, at):
            s = d.must("POST", f"stays/{stay['id']}/checkout", {"checked_out_at": rfc3339(at),
                       "exit_reason": "completed", "destination": "family"}, 200, token=token)
            expect(s["status"] == "closed" and parse(s["checked_out_at"]) == at, f"checkout: {s}")
            return s

        # S1: D-10 14:00 .. D-4 09:30, and the same resident again from D-2 15:00 (S7), same bed
        r1 = d.resident(token, hid)
        s1 = checkin(r1, mb[0], local(D(-10), 14))
        checkout(s1, local(D(-4), 9, 30))
        stays.append((local(D(-10), 14), local(D(-4), 9, 30)))
        # S2: in at 02:00 local (the day before in UTC), out at 06:30 local (the day before in UTC)
        s2 = checkin(d.resident(token, hid), mb[1], local(D(-7), 2))
        checkout(s2, local(D(-3), 6, 30))
        stays.append((local(D(-7), 2), local(D(-3), 6, 30)))
        # S3: local midnight to local midnight (women's room)
        s3 = checkin(d.resident(token, hid, sex="female"), wb[0], local(D(-6), 0))
        checkout(s3, local(D(-2), 0))
        stays.append((local(D(-6), 0), local(D(-2), 0)))
        # S4: a transfer in the middle of the stay, still active
        s4 = checkin(d.resident(token, hid), mb[2], local(D(-5), 10))
        moved = d.must("POST", f"stays/{s4['id']}/transfer", {"bed_id": ab[0]["id"],
                       "at": rfc3339(local(D(-3), 12))}, 200, token=token)
        expect([p["to"] is None for p in moved["beds"]] == [False, True], f"transfer: {moved}")
        stays.append((local(D(-5), 10), None))
        # S5: in and out on one day
        s5 = checkin(d.resident(token, hid, sex="female"), wb[1], local(D(-1), 8))
        checkout(s5, local(D(-1), 17))
        stays.append((local(D(-1), 8), local(D(-1), 17)))
        # S7: r1 comes back
        checkin(r1, mb[0], local(D(-2), 15))
        stays.append((local(D(-2), 15), None))
        # S6: checked in now (the API's default time)
        s6 = d.must("POST", "stays", {"resident_id": d.resident(token, hid)["id"], "bed_id": mb[3]["id"],
                                      "rules_acknowledged": True}, 201, token=token)
        stays.append((parse(s6["checked_in_at"]), None))
        # signed out now: counted in residents_out, still occupying its bed
        d.must("POST", f"stays/{s6['id']}/movements", {"purpose": "work", "expected_back_at":
               rfc3339(dt.datetime.now(UTC) + dt.timedelta(hours=3))}, 201, token=token)

        # another house, another zone: 23:00 Jakarta D-3 is 01:00 D-2 in Jayapura
        east = d.house(token, timezone="Asia/Jayapura")
        eroom = d.room(token, east["id"])
        ebed = d.bed(token, eroom["id"])
        e_in, e_out = local(D(-3), 23), local(D(-1), 23, 30)
        es = d.must("POST", "stays", {"resident_id": d.resident(token, east["id"])["id"], "bed_id": ebed["id"],
                                      "checked_in_at": rfc3339(e_in), "rules_acknowledged": True}, 201, token=token)
        d.must("POST", f"stays/{es['id']}/checkout", {"checked_out_at": rfc3339(e_out), "exit_reason": "voluntary",
                                                      "destination": "family"}, 200, token=token)

        # ---- census over 15 days, into the future
        got = census_rows(d, token, hid, D(-12), D(2))
        want = expected_census(stays, D(-12), D(2), JAKARTA)
        compare(got, want, f"census {D(-12)}..{D(2)}")
        spot = dict((row[0], row[1:]) for row in want)
        # a few values spelled out, so that the independent computation is itself checked
        expect(spot[D(-8).isoformat()] == (1, 0, 0), f"D-8 {spot[D(-8).isoformat()]}")   # S2 not yet (UTC date)
        expect(spot[D(-7).isoformat()] == (3, 1, 0), f"D-7 {spot[D(-7).isoformat()]}")   # S1, S2, S3 at 00:00 D-6
        expect(spot[D(-1).isoformat()] == (2, 1, 1), f"D-1 {spot[D(-1).isoformat()]}")   # S4, S7; S5 in and out
        # the other house: its own stay, its own zone
        compare(census_rows(d, token, east["id"], D(-4), D(0)),
                expected_census([(e_in, e_out)], D(-4), D(0), JAYAPURA), "census of the Jayapura house")
        expect(census_rows(d, token, east["id"], D(-3), D(-3))[0][2] == 0,
               "the Jayapura check-in counted on its Jakarta date")

        # ---- one year, one query
        started = time.monotonic()
        year = census_rows(d, token, hid, D(-365), D(0))
        elapsed = (time.monotonic() - started) * 1000
        expect(len(year) == 366 and [r[0] for r in year] == [D(n).isoformat() for n in range(-365, 1)],
               f"one-year census: {len(year)} rows, dates not consecutive")
        compare(year, expected_census(stays, D(-365), D(0), JAKARTA), "one-year census")

        # ---- CSV
        r = census(d, token, hid, D(-8), D(0), headers={"Accept": "text/csv"})
        expect(r.status == 200 and r.header("content-type", "").startswith("text/csv"), f"CSV census: {r}")
        text = r.raw.decode("utf-8")
        expect(not text.startswith("\ufeff"), "CSV starts with a BOM")
        lines = text.split("\r\n")
        expect(all("\n" not in line and "\r" not in line for line in lines), "CSV line ends are not all CRLF")
        table = list(csv.reader(io.StringIO(text, newline="")))
        expect(table[0] == list(FIELDS) or sorted(table[0]) == sorted(FIELDS), f"CSV header {table[0]}")
        csv_rows = [tuple(row[table[0].index(k)] for k in FIELDS) for row in table[1:]]
        json_rows = [tuple(str(v) for v in row) for row in expected_census(stays, D(-8), D(0), JAKARTA)]
        expect(csv_rows == json_rows, f"CSV census rows {csv_rows} != {json_rows}")

        # ---- occupancy equals the bed board (and today's census)
        board = d.must("GET", f"houses/{hid}/beds", token=token)["items"]
        expect(len(board) == 10, f"bed board has {len(board)} beds")
        sex_of = {b["id"]: s for beds, s in ((mb, "male"), (wb, "female"), (ab, "any")) for b in beds}
        states = {b["id"]: b["state"] for b in board}
        want_states = {b["id"]: "free" for b in mb + wb + ab}
        want_states.update({mb[0]["id"]: "occupied", ab[0]["id"]: "occupied", mb[3]["id"]: "occupied",
                            wb[2]["id"]: "out_of_service"})
        expect(states == want_states, f"bed board states {states} != {want_states}")

        def counts(ids):
            st = [states[i] for i in ids]
            return {"beds_total": len(st), "beds_occupied": st.count("occupied"), "beds_free": st.count("free"),
                    "beds_out_of_service": st.count("out_of_service")}

        occ = {o["house_id"]: o for o in d.must("GET", "occupancy", token=token)["items"]}
        o = occ[hid]
        whole = counts(list(states))
        for k, v in whole.items():
            expect(o[k] == v, f"occupancy {k} = {o[k]}, the bed board says {v}")
        for sex in ("male", "female", "any"):
            c = counts([i for i in states if sex_of[i] == sex])
            got = {k: o["by_sex"][sex][k] for k in c}
            expect(got == c, f"occupancy by_sex.{sex} {got}, the bed board says {c}")
        rate = whole["beds_occupied"] / (whole["beds_total"] - whole["beds_out_of_service"])
        expect(abs(o["occupancy_rate"] - rate) < 1e-9, f"occupancy_rate {o['occupancy_rate']}, expected {rate}")
        expect(o["residents_out"] == 1, f"residents_out {o['residents_out']}, expected 1")
        expect(census_rows(d, token, hid, D(0), D(0))[0][1] == whole["beds_occupied"],
               "today's census does not count the occupied beds")
        print(f"census: {len(stays)} stays over 12 days match the independent count (15-day, 366-day "
              f"[{elapsed:.0f} ms], other zone, CSV); occupancy = bed board "
              f"({whole['beds_occupied']}/{whole['beds_total']} occupied)")


def test_census_range_limits():
    with harness.Instance() as d:
        token = d.login()
        hid = d.house(token)["id"]
        today = dt.datetime.now(JAKARTA).date()
        D = lambda n: today + dt.timedelta(days=n)  # noqa: E731
        start = dt.date(2000, 1, 1)
        r = census(d, token, hid, start, start + dt.timedelta(days=3659))
        expect(r.status == 200 and len(r.json["items"]) == 3660, f"a 3660-day census: {r.status}, "
                                                                   f"{len((r.json or {}).get('items', []))} rows")
        r = census(d, token, hid, D(0), D(-1))
        expect_problem(r, 422, "validation_failed")
        expect(any(e.get("field") in ("to", "from") for e in r.json.get("errors", [])), f"to < from: {r.json}")
        expect_problem(d.request("GET", f"/api/v1/houses/{hid}/census?from={D(-1)}", token=token), 422,
                       "validation_failed")
        r = census(d, token, hid, start, start + dt.timedelta(days=3660))
        expect(r.status == 422, f"a 3661-day census (from {start} to {start + dt.timedelta(days=3660)}, both "
                                f"inclusive): {r.status} with {len((r.json or {}).get('items', []))} rows; the "
                                f"contract allows at most 3660 days")
        expect_problem(r, 422, "validation_failed")
        print("census range: 3660 days ok; 3661 days, to < from, missing to: 422")


if __name__ == "__main__":
    harness.main(globals())
