"""Stays under concurrency across two daemon instances on one database (API.md §7,
DOMAIN.md "What must never happen", issue 5). The database is checked with psql after
each race, not only the API's answers.

- test_one_bed_48_residents: 48 concurrent check-ins of different residents onto one bed:
  one 201, 47 x 409 bed_occupied; the bed has exactly one bed period, open, of the winner.
- test_one_resident_16_beds: one resident onto 16 beds at once: one 201, 15 x 409
  resident_in_residence; one stay, one open period.
- test_1000_checkins_50_beds: 1000 check-in attempts over 50 beds and 200 residents, 64
  client threads: exactly 50 stays (one per bed: each bed has a resident that tries only
  that bed), no 5xx, every loser 409 bed_occupied / resident_in_residence, no bed or
  resident with two open periods or active stays. Prints throughput and latency.
- test_checkout_races_transfer: 20 times, a check-out and a transfer of one stay at once:
  the stay ends closed with every bed period closed (the last one at the check-out), or
  active with exactly one open period; periods contiguous; the API agrees with the table.
- test_checkout_default_time_after_transfer: a check-out without checked_out_at whose
  transaction started before a transfer committed (made deterministic by holding its
  Idempotency-Key row in an open psql transaction) must still succeed: "now" is when the
  check-out happens, not before the transfer it waited for.
- test_transfer_default_time_after_transfer: the same for a transfer without `at` that
  waited for another transfer of the stay."""

import os
import random
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect  # noqa: E402

LOSERS = ("bed_occupied", "resident_in_residence")


class Pair:
    """Two daemons on one database, an admin token, and psql."""

    def __init__(self):
        self.a = harness.Instance(config={"server": {"workers": "2"}, "database": {"pool": "4"}})
        try:
            self.b = harness.Instance(share=self.a)
        except BaseException:
            self.a.close()
            raise
        self.token = self.a.login()
        self.both = [self.a, self.b]

    def stderr(self):
        return self.a.stderr()[-1500:] + "\n----- instance 2 -----\n" + self.b.stderr()[-1500:]

    def close(self):
        """The first non-zero exit status of the two, like Instance.close()."""
        rcs = [self.b.close(), self.a.close()]
        self.last_stderr = self.a.last_stderr + "\n----- instance 2 -----\n" + self.b.last_stderr
        return next((rc for rc in rcs if rc), rcs[-1])

    def psql(self, sql):
        return self.a.psql(sql).strip()

    def site(self, beds, rooms=1):
        hid = self.a.house(self.token)["id"]
        room_ids = [self.a.room(self.token, hid)["id"] for _ in range(rooms)]
        made = harness.race([lambda i=i: self.a.bed(self.token, room_ids[i % rooms]) for i in range(beds)], 8)
        expect(all(isinstance(b, dict) for b in made), f"creating beds: {made[:3]}")
        return hid, made

    def residents(self, hid, n):
        made = harness.race([lambda i=i: self.both[i % 2].resident(self.token, hid, sex=("male", "female")[i % 2])
                             for i in range(n)], 8)
        expect(all(isinstance(r, dict) for r in made), f"creating residents: {made[:3]}")
        return made

    def checkin(self, d, resident_id, bed_id, **fields):
        return d.request("POST", "/api/v1/stays", json_body={"resident_id": resident_id, "bed_id": bed_id,
                                                            "rules_acknowledged": True, **fields},
                         token=self.token, timeout=60)


def code(r):
    return (r.json or {}).get("code") if not isinstance(r, Exception) else None


def describe(results):
    tally = {}
    for r in results:
        key = repr(r)[:120] if isinstance(r, Exception) else f"{r.status} {code(r) or ''}".strip()
        tally[key] = tally.get(key, 0) + 1
    return tally


def occupants_differ(hid):
    """SQL: how many rows of app.bed_occupants (the board's, kept by triggers) of house HID
    are not exactly the occupants of its open bed periods, and the other way round."""
    return ("WITH want AS (SELECT p.bed_id, p.house_id, p.stay_id, s.resident_id, r.full_name, p.from_at AS since "
            "FROM app.bed_periods p JOIN app.stays s ON s.id = p.stay_id JOIN app.residents r ON r.id = s.resident_id "
            f"WHERE p.to_at IS NULL AND p.house_id = '{hid}'), "
            "have AS (SELECT bed_id, house_id, stay_id, resident_id, full_name, since FROM app.bed_occupants "
            f"WHERE house_id = '{hid}') "
            "SELECT count(*) FROM ((SELECT * FROM want EXCEPT SELECT * FROM have) UNION ALL "
            "(SELECT * FROM have EXCEPT SELECT * FROM want)) x")


def invariants(p, hid):
    """No bed with two open periods, no resident with two active stays, no overlapping
    periods on a bed, every active stay with exactly one open period, every closed one
    with none, the board's occupants those of the open periods (house HID); event ids in
    commit order (the whole database)."""
    checks = {
        "beds with two open periods": "SELECT count(*) FROM (SELECT bed_id FROM app.bed_periods WHERE to_at IS NULL "
                                      f"AND house_id = '{hid}' GROUP BY bed_id HAVING count(*) > 1) x",
        "residents with two active stays": "SELECT count(*) FROM (SELECT resident_id FROM app.stays WHERE "
                                           f"checked_out_at IS NULL AND house_id = '{hid}' GROUP BY resident_id "
                                           "HAVING count(*) > 1) x",
        "overlapping periods on a bed": "SELECT count(*) FROM app.bed_periods x JOIN app.bed_periods y ON "
                                        "x.bed_id = y.bed_id AND x.id < y.id AND x.during && y.during "
                                        f"WHERE x.house_id = '{hid}'",
        "active stays without exactly one open period": "SELECT count(*) FROM app.stays s WHERE s.checked_out_at "
                                                        f"IS NULL AND s.house_id = '{hid}' AND (SELECT count(*) FROM "
                                                        "app.bed_periods p WHERE p.stay_id = s.id AND p.to_at IS "
                                                        "NULL) <> 1",
        "closed stays with an open period": "SELECT count(*) FROM app.stays s WHERE s.checked_out_at IS NOT NULL "
                                            f"AND s.house_id = '{hid}' AND EXISTS (SELECT 1 FROM app.bed_periods p "
                                            "WHERE p.stay_id = s.id AND p.to_at IS NULL)",
        "bed occupants (the board's) that are not those of the open periods": occupants_differ(hid),
        # an event's transaction wrote its audit records too (same xmin; a check-out several: its
        # follow-ups'); the chain is in commit order, so is each transaction's first record
        "events whose ids are not in commit order": "SELECT count(*) FROM (SELECT a.pos, lag(a.pos) OVER "
                                                    "(ORDER BY e.id) AS prev FROM app.events e JOIN "
                                                    "(SELECT xmin::text AS x, min(pos) AS pos FROM app.audit_log "
                                                    "GROUP BY 1) a ON a.x = e.xmin::text) x WHERE x.pos < x.prev",
    }
    for what, sql in checks.items():
        n = p.psql(sql)
        expect(n == "0", f"database: {n} {what}")


def test_one_bed_48_residents(p):
    hid, (bed,) = p.site(1)
    residents = p.residents(hid, 48)
    results = harness.race([lambda r=r, d=p.both[i % 2]: p.checkin(d, r["id"], bed["id"])
                            for i, r in enumerate(residents)])
    tally = describe(results)
    expect(tally == {"201": 1, "409 bed_occupied": 47}, f"48 check-ins onto one bed: {tally}")
    winner = next(r for r in results if r.status == 201).json
    periods = p.psql(f"SELECT stay_id, to_at IS NULL FROM app.bed_periods WHERE bed_id = '{bed['id']}'")
    expect(periods == f"{winner['id']}|t", f"bed periods of the bed: {periods!r}, expected one open of {winner['id']}")
    expect(p.psql(f"SELECT count(*) FROM app.stays WHERE house_id = '{hid}'") == "1", "more than one stay created")
    invariants(p, hid)
    board = p.a.must("GET", f"houses/{hid}/beds", token=p.token)["items"]
    expect(board[0]["state"] == "occupied" and board[0]["occupant"]["stay_id"] == winner["id"],
           f"bed board: {board}")
    print(f"one bed: 48 concurrent check-ins via 2 instances -> {tally}; 1 open period in the database")


def test_one_resident_16_beds(p):
    hid, beds = p.site(16)
    (resident,) = p.residents(hid, 1)
    results = harness.race([lambda b=b, d=p.both[i % 2]: p.checkin(d, resident["id"], b["id"])
                            for i, b in enumerate(beds)])
    tally = describe(results)
    expect(tally == {"201": 1, "409 resident_in_residence": 15}, f"one resident onto 16 beds: {tally}")
    stays = p.psql(f"SELECT count(*) FROM app.stays WHERE resident_id = '{resident['id']}'")
    expect(stays == "1", f"{stays} stays of the resident")
    periods = p.psql(f"SELECT count(*) FROM app.bed_periods WHERE house_id = '{hid}'")
    expect(periods == "1", f"{periods} bed periods in the house")
    got = p.b.must("GET", f"residents/{resident['id']}", token=p.token)
    expect(got["status"] == "in_residence", f"resident status {got['status']}")
    invariants(p, hid)
    print(f"one resident: 16 concurrent check-ins onto 16 beds -> {tally}")


def test_1000_checkins_50_beds(p):
    beds_n, private_n, shared_n, attempts_n, threads = 50, 50, 150, 1000, 64
    hid, beds = p.site(beds_n, rooms=5)
    residents = p.residents(hid, private_n + shared_n)
    private, shared = residents[:private_n], residents[private_n:]
    rng = random.Random(20240605)
    attempts = [(private[i % beds_n], beds[i % beds_n]) for i in range(private_n * 4)]
    attempts += [(rng.choice(shared), rng.choice(beds)) for _ in range(attempts_n - len(attempts))]
    rng.shuffle(attempts)
    latencies = [0.0] * len(attempts)

    def attempt(i, r, b):
        t = time.perf_counter()
        try:
            return p.checkin(p.both[i % 2], r["id"], b["id"])
        finally:
            latencies[i] = (time.perf_counter() - t) * 1000

    started = time.monotonic()
    results = harness.race([lambda i=i, r=r, b=b: attempt(i, r, b) for i, (r, b) in enumerate(attempts)], threads)
    elapsed = time.monotonic() - started
    tally = describe(results)
    errors = [r for r in results if isinstance(r, Exception)]
    expect(not errors, f"{len(errors)} attempts failed at the HTTP level: {errors[:3]}")
    fives = [r for r in results if r.status >= 500]
    expect(not fives, f"{len(fives)} 5xx answers: {fives[:3]}")
    odd = [r for r in results if r.status != 201 and not (r.status == 409 and code(r) in LOSERS)]
    expect(not odd, f"{len(odd)} answers neither 201 nor 409 {LOSERS}: {odd[:3]}; tally {tally}")
    wins = [r for r in results if r.status == 201]
    expect(len(wins) == beds_n, f"{len(wins)} check-ins succeeded, expected {beds_n}; tally {tally}")
    expect(len({w.json["bed_id"] for w in wins}) == beds_n, "two winners on one bed")
    expect(len({w.json["resident_id"] for w in wins}) == beds_n, "one resident won twice")
    stays = p.psql(f"SELECT count(*), count(*) FILTER (WHERE checked_out_at IS NULL) FROM app.stays "
                   f"WHERE house_id = '{hid}'")
    expect(stays == f"{beds_n}|{beds_n}", f"stays in the database (all|active): {stays}, expected {beds_n}|{beds_n}")
    pairs = set(p.psql(f"SELECT s.id || ',' || p.bed_id || ',' || s.resident_id FROM app.stays s JOIN "
                       f"app.bed_periods p ON p.stay_id = s.id WHERE s.house_id = '{hid}'").splitlines())
    expect(pairs == {f"{w.json['id']},{w.json['bed_id']},{w.json['resident_id']}" for w in wins},
           "the stays in the database are not the ones the 201s announced")
    invariants(p, hid)
    occ = {o["house_id"]: o for o in p.b.must("GET", "occupancy", token=p.token)["items"]}[hid]
    expect(occ["beds_occupied"] == beds_n and occ["beds_free"] == 0, f"occupancy after the race: {occ}")
    lat = sorted(latencies)
    print(f"1000 check-ins: {attempts_n} attempts over {beds_n} beds and {len(residents)} residents, {threads} "
          f"threads, 2 instances: {tally}; {attempts_n / elapsed:.0f} req/s, latency p50 "
          f"{statistics.median(lat):.1f} ms p99 {lat[int(len(lat) * 0.99)]:.1f} ms max {lat[-1]:.1f} ms")


def stay_state(p, stay_id):
    """(checked_out_at or '', [(bed_id, from, to or '')] in order) from the database, as epoch text."""
    out = p.psql(f"SELECT coalesce(extract(epoch FROM checked_out_at)::text, '') FROM app.stays WHERE id = '{stay_id}'")
    periods = [tuple(line.split("|")) for line in p.psql(
        "SELECT bed_id, extract(epoch FROM from_at)::text, coalesce(extract(epoch FROM to_at)::text, '') "
        f"FROM app.bed_periods WHERE stay_id = '{stay_id}' ORDER BY from_at, seq").splitlines()]
    return out, periods


def test_checkout_races_transfer(p):
    rounds = 20
    hid, beds = p.site(2 * rounds)
    residents = p.residents(hid, rounds)
    outcomes = {}
    for i in range(rounds):
        x, y = beds[2 * i], beds[2 * i + 1]
        checked_in = p.checkin(p.a, residents[i]["id"], x["id"])
        expect(checked_in.status == 201, f"round {i}: check-in {checked_in}")
        sid = checked_in.json["id"]
        d_out, d_move = (p.a, p.b) if i % 2 else (p.b, p.a)
        checkout, transfer = harness.race([
            lambda: d_out.request("POST", f"/api/v1/stays/{sid}/checkout", token=p.token,
                                  json_body={"exit_reason": "completed", "destination": "family"}),
            lambda: d_move.request("POST", f"/api/v1/stays/{sid}/transfer", token=p.token,
                                   json_body={"bed_id": y["id"]})])
        for r, what in ((checkout, "check-out"), (transfer, "transfer")):
            expect(not isinstance(r, Exception) and r.status < 500, f"round {i}: {what}: {r}")
        key = f"checkout {checkout.status} {code(checkout) or ''}/transfer {transfer.status} {code(transfer) or ''}"
        outcomes[key] = outcomes.get(key, 0) + 1
        out, periods = stay_state(p, sid)
        beds_held = [b for b, _, _ in periods]
        # every period begins where the previous one ended
        expect(all(periods[k][2] == periods[k + 1][1] for k in range(len(periods) - 1)),
               f"round {i}: bed periods not contiguous: {periods}")
        if out:
            expect(all(to for _, _, to in periods) and periods[-1][2] == out,
                   f"round {i}: closed stay (out {out}) with periods {periods}")
        else:
            expect([to for _, _, to in periods].count("") == 1 and periods[-1][2] == "",
                   f"round {i}: active stay with periods {periods}")
        # the answers agree with the table
        if checkout.status == 200:
            expect(out and checkout.json["status"] == "closed", f"round {i}: check-out 200 but stay {out!r}")
        if transfer.status == 200:
            expect(y["id"] in beds_held, f"round {i}: transfer 200 but no period on the new bed: {periods}")
        else:
            expect(transfer.status == 409 and code(transfer) == "stay_closed" and beds_held == [x["id"]],
                   f"round {i}: transfer {transfer} with periods {periods}")
        if checkout.status != 200:
            # the only acceptable failure: the check-out's default time fell before the transfer it waited for
            # (see test_checkout_default_time_after_transfer); the stay must then be active on the new bed
            expect(checkout.status == 422 and transfer.status == 200 and not out and beds_held[-1] == y["id"],
                   f"round {i}: check-out {checkout}, transfer {transfer}, stay out {out!r} periods {periods}")
        got = p.b.must("GET", f"stays/{sid}", token=p.token)
        expect(got["status"] == ("closed" if out else "active") and got["bed_id"] == beds_held[-1],
               f"round {i}: GET stay {got['status']} on {got['bed_id']}, database {out!r} {beds_held}")
    invariants(p, hid)
    print(f"check-out vs transfer: {rounds} rounds, all consistent: {outcomes}")


def held_back(p, send, interloper):
    """Runs SEND(key) so that its api.run starts (fixing its now()) and then waits on its
    Idempotency-Key row, held by an open psql transaction; meanwhile INTERLOPER() runs and
    commits; then the key is released. Returns (SEND's response, INTERLOPER's response)."""
    admin_id = p.a.must("GET", "me", token=p.token)["id"]
    key = "it-race-" + harness.uid()
    box = {}
    with harness.PsqlSession(p.a.db) as s:
        s.run(f"BEGIN; INSERT INTO app.idempotency_keys (user_id, key, fingerprint) "
              f"VALUES ('{admin_id}', '{key}', 'held')")
        t = threading.Thread(target=lambda: box.setdefault("r", send(key)), daemon=True)
        t.start()
        waiting = harness.wait_for(lambda: p.psql(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
            "AND query LIKE '%api.run%'") == "1", 10, 0.05)
        expect(waiting, "the request did not wait for its held Idempotency-Key")
        time.sleep(0.05)
        other = interloper()
        s.run("ROLLBACK")
        t.join(30)
    expect(box.get("r") is not None, "the held-back request did not answer")
    return box["r"], other


def test_checkout_default_time_after_transfer(p):
    hid, (x, y) = p.site(2)
    (resident,) = p.residents(hid, 1)
    checked_in = p.checkin(p.a, resident["id"], x["id"])
    expect(checked_in.status == 201, f"check-in {checked_in}")
    sid = checked_in.json["id"]
    r, moved = held_back(
        p, lambda key: p.a.request("POST", f"/api/v1/stays/{sid}/checkout", token=p.token, timeout=30,
                                   headers={"Idempotency-Key": key},
                                   json_body={"exit_reason": "completed", "destination": "family"}),
        lambda: p.b.request("POST", f"/api/v1/stays/{sid}/transfer", token=p.token, json_body={"bed_id": y["id"]}))
    expect(moved.status == 200, f"transfer while the check-out waits: {moved}")
    out, periods = stay_state(p, sid)
    expect(r.status == 200, f"a check-out without checked_out_at, sent before a transfer committed and run after "
                            f"it, answered {r}; stay out {out!r}, periods {periods}")
    expect(out and periods[-1][0] == y["id"] and periods[-1][2] == out, f"after the check-out: {out!r} {periods}")
    print("check-out default time: later than the transfer it waited for")


def test_transfer_default_time_after_transfer(p):
    hid, (x, y, z) = p.site(3)
    (resident,) = p.residents(hid, 1)
    checked_in = p.checkin(p.a, resident["id"], x["id"])
    expect(checked_in.status == 201, f"check-in {checked_in}")
    sid = checked_in.json["id"]
    r, moved = held_back(
        p, lambda key: p.a.request("POST", f"/api/v1/stays/{sid}/transfer", token=p.token, timeout=30,
                                   headers={"Idempotency-Key": key}, json_body={"bed_id": z["id"]}),
        lambda: p.b.request("POST", f"/api/v1/stays/{sid}/transfer", token=p.token, json_body={"bed_id": y["id"]}))
    expect(moved.status == 200, f"the first transfer: {moved}")
    out, periods = stay_state(p, sid)
    expect(r.status == 200, f"a transfer without `at`, sent before another transfer committed and run after it, "
                            f"answered {r}; periods {periods}")
    expect([b for b, _, _ in periods] == [x["id"], y["id"], z["id"]] and periods[-1][2] == "",
           f"after both transfers: {periods}")
    print("transfer default time: later than the transfer it waited for")


if __name__ == "__main__":
    harness.main(globals(), fixture=Pair)
