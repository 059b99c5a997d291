"""Holds for a referral (contract §17.3 with §17.4, §17.13), where referrals and holds meet.
One daemon for the tests, two for the race. Each refused write writes nothing.

- test_pending_referral_holds_a_bed: 201 with referral_id, resident_id null, the referral's name;
  the board's hold carries them; ?referral_id= filters; a second hold of the referral, or one
  into a room of the other sex -> already_held / sex_mismatch; a referral of another house 422.
- test_accept_moves_the_hold: accept gives the hold the new resident (audit hold.update, event
  hold.updated); the resident's check-in uses it and the referral arrives; an accept whose
  resident already holds another bed -> 409 already_held and nothing changes.
- test_decline_and_cancel_cancel_the_holds: "referral declined" / "referral cancelled", one
  hold.cancel audit record each; a hold for a closed referral -> 409 referral_closed.
- test_sex_change_while_held: PATCH of the referral's sex against the held room -> 409 sex_mismatch.
- test_forecast_and_tonight: a referral with a hold counts once, as the hold (kind hold, status
  held), in the forecast's incoming; tonight's arrivals and hold_expiring name the referral.
- test_database_enforces: a second active hold for one referral through psql fails on
  holds_one_per_referral; a hold naming neither fails holds_person_check.
- test_race_holds_for_one_referral: 8 holds of one referral onto 8 beds through two instances:
  one 201, 7 x already_held."""

import datetime as dt
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_holds  # noqa: E402 - its World, Pair, iso, tally
from harness import expect, expect_problem, uid  # noqa: E402

iso = test_holds.iso


class World(test_holds.World):
    def referral(self, sex="male", house=None, **fields):
        today = dt.date.today().isoformat()
        body = {"house_id": house or self.house, "full_name": "Rujukan " + uid(), "register_number": "LP-" + uid(),
                "sex": sex, "from_institution": "Lapas Kelas IIA Jambi", "expected_legal_basis": "pembebasan_bersyarat",
                "expected_arrival_on": today, **fields}
        return self.d.must("POST", "referrals", body, 201, token=self.token)

    def hold_referral(self, bed, f, **body):
        return self.hold(bed, referral_id=f["id"], **{"until": iso(24 * 60), **body})


def world(d):
    return harness.world_of(d, World)


def test_pending_referral_holds_a_bed(d):
    w = world(d)
    f, bed = w.referral(), w.bed()
    r = w.hold_referral(bed, f, token=w.tokens["staff"])
    expect(r.status == 201, f"hold: {r}")
    h = r.json
    expect(h["referral_id"] == f["id"] and h["resident_id"] is None and h["full_name"] == f["full_name"], f"{h}")
    tile = w.board()[bed]
    expect(tile["state"] == "held" and tile["hold"]["referral_id"] == f["id"]
           and tile["hold"]["full_name"] == f["full_name"] and tile["hold"]["resident_id"] is None, f"board {tile}")
    # the kept board follows a rename of the referral it shows
    renamed = "Rujukan " + uid()
    d.must("PATCH", f"referrals/{f['id']}", {"full_name": renamed}, token=w.token)
    tile = w.board()[bed]
    expect(tile["hold"]["full_name"] == renamed, f"board after the referral's rename: {tile}")
    f["full_name"] = renamed
    listed = d.must("GET", f"holds?referral_id={f['id']}", token=w.token)["items"]
    expect([x["id"] for x in listed] == [h["id"]], f"filter: {listed}")
    ev = d.psql(f"SELECT data->>'referral_id' FROM app.events WHERE name = 'hold.created' AND data->>'id' = '{h['id']}'")
    expect(ev.strip() == f["id"], f"event names the referral: {ev!r}")
    g, other = w.referral(sex="female"), w.referral(house=w.other)
    beds = [w.bed(), w.bed(sex="male"), w.bed()]
    before = w.counts()
    test_holds.refused(w, w.hold_referral(beds[0], f), 409, "already_held", before)
    test_holds.refused(w, w.hold_referral(beds[1], g), 409, "sex_mismatch", before)
    r = w.hold_referral(beds[2], other)
    test_holds.refused(w, r, 422, "validation_failed", before)
    expect([e["field"] for e in r.json["errors"]] == ["referral_id"], f"{r.json['errors']}")


def test_accept_moves_the_hold(d):
    w = world(d)
    f, bed = w.referral(), w.bed()
    h = w.hold_referral(bed, f).json
    a = d.must("POST", f"referrals/{f['id']}/accept", {}, token=w.token)
    got = d.must("GET", f"holds/{h['id']}", token=w.token)
    expect(got["resident_id"] == a["resident_id"] and got["status"] == "active" and got["version"] == 2, f"{got}")
    audit = d.psql(f"SELECT action FROM app.audit_log WHERE entity_id = '{h['id']}' ORDER BY pos").split()
    expect(audit == ["hold.create", "hold.update"], f"audit {audit}")
    r = w.checkin(a["resident_id"], bed)
    expect(r.status == 201, f"the held person checks in on the held bed: {r}")
    got = d.must("GET", f"holds/{h['id']}", token=w.token)
    expect(got["status"] == "used" and got["stay_id"] == r.json["id"], f"used: {got}")
    expect(d.must("GET", f"referrals/{f['id']}", token=w.token)["status"] == "arrived", "arrived")
    # a resident who holds another bed already
    res = w.resident()
    w.must_hold(w.bed(), res)
    g = w.referral()
    w.hold_referral(w.bed(), g)
    before = w.counts() + d.psql(f"SELECT status FROM app.referrals WHERE id = '{g['id']}'")
    r = d.request("POST", f"/api/v1/referrals/{g['id']}/accept", json_body={"resident_id": res}, token=w.token)
    expect_problem(r, 409, "already_held")
    after = w.counts() + d.psql(f"SELECT status FROM app.referrals WHERE id = '{g['id']}'")
    expect(after == before, f"a refused accept wrote something: {before} -> {after}")


def test_decline_and_cancel_cancel_the_holds(d):
    w = world(d)
    for verb, status in (("decline", "declined"), ("cancel", "cancelled")):
        f = w.referral()
        if verb == "cancel":
            f = d.must("POST", f"referrals/{f['id']}/accept", {}, token=w.token)
        h = w.hold_referral(w.bed(), f).json
        d.must("POST", f"referrals/{f['id']}/{verb}", {"reason": "tidak jadi"}, token=w.token)
        bed = w.bed()
        got = d.must("GET", f"holds/{h['id']}", token=w.token)
        expect(got["status"] == "cancelled" and got["cancel_reason"] == f"referral {status}" and got["cancelled_by"],
               f"{verb}: {got}")
        n = d.psql(f"SELECT count(*) FROM app.audit_log WHERE entity_id = '{h['id']}' AND action = 'hold.cancel'")
        expect(n.strip() == "1", f"{verb}: one hold.cancel record, {n}")
        before = w.counts()
        test_holds.refused(w, w.hold_referral(bed, f), 409, "referral_closed", before)


def test_sex_change_while_held(d):
    w = world(d)
    f = w.referral()
    w.hold_referral(w.bed(sex="male"), f)
    before = d.psql(f"SELECT sex, version FROM app.referrals WHERE id = '{f['id']}'")
    r = d.request("PATCH", f"/api/v1/referrals/{f['id']}", json_body={"sex": "female"}, headers={"If-Match": '"1"'},
                  token=w.token)
    expect_problem(r, 409, "sex_mismatch")
    expect(d.psql(f"SELECT sex, version FROM app.referrals WHERE id = '{f['id']}'") == before, "nothing written")
    g = w.referral()
    w.hold_referral(w.bed(sex="any"), g)
    r = d.request("PATCH", f"/api/v1/referrals/{g['id']}", json_body={"sex": "female"}, headers={"If-Match": '"1"'},
                  token=w.token)
    expect(r.status == 200 and r.json["sex"] == "female", f"a room for anyone: {r}")


def test_forecast_and_tonight(d):
    t = d.login()
    house = d.house(t)
    room = d.room(t, house["id"])
    bed = d.bed(t, room["id"])["id"]
    f = d.must("POST", "referrals", {"house_id": house["id"], "full_name": "Rujukan " + uid(),
                                     "register_number": "LP-" + uid(), "sex": "male",
                                     "from_institution": "Rutan Jambi", "expected_legal_basis": "cuti_bersyarat",
                                     "expected_arrival_on": dt.date.today().isoformat()}, 201, token=t)
    h = d.must("POST", f"beds/{bed}/holds", {"referral_id": f["id"], "until": iso(24 * 60)}, 201, token=t)
    inc = d.must("GET", f"houses/{house['id']}/forecast?days=5", token=t)["incoming"]
    expect(len(inc) == 1 and inc[0]["kind"] == "hold" and inc[0]["hold_id"] == h["id"]
           and inc[0]["referral_id"] == f["id"] and inc[0]["status"] == "held"
           and inc[0]["full_name"] == f["full_name"], f"counted once, as the hold: {inc}")
    arr = d.must("GET", f"houses/{house['id']}/tonight", token=t)["arrivals"]
    expect(len(arr) == 1 and arr[0]["referral_id"] == f["id"] and arr[0]["full_name"] == f["full_name"], f"{arr}")
    d.must("PATCH", f"holds/{h['id']}", {"until": iso(2 * 60)}, headers={"If-Match": '"1"'}, token=t)
    alerts = d.must("GET", f"alerts?house_id={house['id']}&kind=hold_expiring", token=t)["items"]
    expect([(a["details"]["hold_id"], a["details"]["referral_id"], a["resident_id"]) for a in alerts]
           == [(h["id"], f["id"], None)], f"hold_expiring names the referral: {alerts}")


def test_database_enforces(d):
    w = world(d)
    f = w.referral()
    h = w.hold_referral(w.bed(), f).json
    uid_ = d.psql(f"SELECT created_by FROM app.holds WHERE id = '{h['id']}'").strip()
    for cols, vals, name in [("referral_id", f"'{f['id']}'", "holds_one_per_referral"),
                             ("referral_id", "NULL", "holds_person_check")]:
        try:
            d.psql(f"INSERT INTO app.holds (house_id, bed_id, {cols}, from_at, until, end_at, created_by) "
                   f"VALUES ('{w.house}', '{w.bed()}', {vals}, now(), now() + interval '1 hour', "
                   f"now() + interval '1 hour', '{uid_}')")
        except Exception as e:  # noqa: BLE001 - the refusal is the point
            expect(name in str(e), f"{name}: {e}")
        else:
            raise AssertionError(f"{name}: accepted")


def test_race_holds_for_one_referral(_d):
    with test_holds.Pair() as p:
        f = p.a.must("POST", "referrals", {"house_id": p.house, "full_name": "Rujukan " + uid(),
                                           "register_number": "LP-" + uid(), "sex": "male",
                                           "from_institution": "Lapas", "expected_legal_basis": "asimilasi",
                                           "expected_arrival_on": dt.date.today().isoformat()}, 201, token=p.token)
        beds = [p.bed() for _ in range(8)]
        results = harness.race([lambda i=i, b=b: p.post(i, f"beds/{b}/holds", {"referral_id": f["id"], "until": iso(60)})
                                for i, b in enumerate(beds)])
        got = test_holds.tally(results)
        expect(got == {"201": 1, "409 already_held": 7}, f"8 holds of one referral: {got}")
        n = p.a.psql(f"SELECT count(*) FROM app.holds WHERE referral_id = '{f['id']}'").strip()
        expect(n == "1", f"{n} holds of the referral")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
