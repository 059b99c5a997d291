#!/usr/bin/env python3
"""A Jepsen-style history checker for abiprayad (Python 3 standard library only).

    python3 tests/history/check.py PATH-TO-ABIPRAYAD [--seconds 60] [--threads 16]
            [--beds 6] [--residents 10] [--seed N] [--history FILE]

Two daemons on one database (tests/integration/harness.py makes them; ABIPRAYA_TEST_PGURL
must name a PostgreSQL superuser URL, else the script exits 77). For --seconds, --threads
client threads send random check-ins (some back-dated), transfers, check-outs, sign-outs
and returns on a few beds and residents, each request to a randomly chosen instance over
keep-alive connections. Every request and response is recorded with monotonic and
wall-clock timestamps and a unique X-Request-Id (the audit trail stores it).

Afterwards the checker reads the whole final history from the database (psql) and proves:

  1. no bed ever held two overlapping periods, no resident two overlapping or two active
     stays, every stay's bed periods form one unbroken chain from check-in to check-out,
     no open movement on a closed stay, at most one open movement per stay;
  2. every row (stay, bed period, check-out, movement, return) was made by exactly one
     audited request of this run, and that request got a 2xx (or no answer at all);
  3. every acknowledged request (2xx) is in the database, exactly as its response said
     (ids, beds, times), with exactly one audit record carrying its X-Request-Id, and its
     server-chosen time lies between the request's send and receive time;
  4. no request that got an error left anything behind (no audit record, no row);
  5. every 409 was justified by the state at that moment, as far as the history allows:
     e.g. `bed_occupied` needs a period on that bed that was committed before the 409 was
     received and that either overlaps the requested time or was still open (its closing
     request not yet answered) when the 409 request was sent; codes an operation cannot
     produce here (bed_out_of_service, sex_mismatch, ...) are anomalies.

Prints the counts (ops, 2xx, 409 by code, other errors, transport errors, anomalies) and
exits 1 on any anomaly, 5xx or request without an answer; 0 otherwise.
"""

import argparse
import collections
import datetime
import http.client
import json
import os
import random
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))
import harness  # noqa: E402

API = "/api/v1"
SLACK_US = 2000  # microseconds of tolerance between Python's and PostgreSQL's clock readings
INF = float("inf")

EXPECTED_409 = {
    "checkin": {"bed_occupied", "resident_in_residence"},
    "transfer": {"bed_occupied", "stay_closed"},
    "checkout": {"stay_closed"},
    "signout": {"stay_closed", "already_out"},
    "return": {"movement_closed"},
}
AUDIT_ACTION = {
    "checkin": "stay.checkin",
    "transfer": "stay.transfer",
    "checkout": "stay.checkout",
    "signout": "movement.out",
    "return": "movement.return",
}
EXIT_REASONS = ["completed", "transferred", "absconded", "revoked", "voluntary", "deceased", "other"]
DESTINATIONS = ["family", "independent_rental", "employer_housing", "other_housing", "shelter",
                "prison", "hospital", "unknown"]
PURPOSES = ["work", "training", "family_visit", "medical", "reporting", "religious", "other"]


def now_us():
    return time.time_ns() // 1000


def parse_ts(text):
    """RFC 3339 UTC text of api.ts ('...Z', optional .ffffff) -> epoch microseconds."""
    if text is None:
        return None
    t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (t - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) // datetime.timedelta(microseconds=1)


def fmt_us(us):
    t = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(microseconds=us)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ------------------------------------------------------------------ setup
def must(r, status, what):
    if r.status != status:
        raise AssertionError(f"setup: {what}: expected {status}, got {r}")
    return r.json


def setup_world(d, token, beds, residents):
    """A house with two rooms for anyone, BEDS beds, RESIDENTS residents and a staff user.
    Returns (house_id, [bed ids], [resident ids], staff password)."""
    house = must(d.request("POST", f"{API}/houses", json_body={"code": "HIST", "name": "History house"},
                           token=token), 201, "house")["id"]
    rooms = [must(d.request("POST", f"{API}/houses/{house}/rooms", json_body={"code": f"R{i}", "sex": "any"},
                            token=token), 201, "room")["id"] for i in range(2)]
    bed_ids = [must(d.request("POST", f"{API}/rooms/{rooms[i % 2]}/beds", json_body={"label": f"B{i}"},
                              token=token), 201, "bed")["id"] for i in range(beds)]
    res_ids = []
    for i in range(residents):
        body = {"house_id": house, "full_name": f"Resident {i}", "register_number": f"HIST-{i:04d}",
                "sex": "male" if i % 2 else "female", "legal_status": "parole"}
        res_ids.append(must(d.request("POST", f"{API}/residents", json_body=body, token=token), 201, "resident")["id"])
    password = "history-staff-password"
    must(d.request("POST", f"{API}/users", json_body={"username": "hist-staff", "password": password,
                                                       "role": "staff", "full_name": "History staff",
                                                       "house_ids": [house]}, token=token), 201, "staff user")
    return house, bed_ids, res_ids, password


# ------------------------------------------------------------------ clients
class Knowledge:
    """What the clients believe (from responses): may be stale, which is the point."""

    def __init__(self, beds, residents):
        self.lock = threading.Lock()
        self.beds = beds
        self.residents = residents
        self.stays = {}       # stay id -> {"resident", "bed", "active"}
        self.movements = {}   # movement id -> {"stay", "open"}

    def learn(self, op, status, body):
        if not isinstance(body, dict) or status >= 300:
            if status == 409 and isinstance(body, dict):
                code = body.get("code")
                with self.lock:
                    if code == "stay_closed" and op["stay"] in self.stays:
                        self.stays[op["stay"]]["active"] = False
                    if code == "movement_closed" and op["movement"] in self.movements:
                        self.movements[op["movement"]]["open"] = False
            return
        with self.lock:
            kind = op["op"]
            if kind == "checkin":
                self.stays[body["id"]] = {"resident": op["resident"], "bed": op["bed"], "active": True}
            elif kind == "transfer":
                if op["stay"] in self.stays:
                    self.stays[op["stay"]]["bed"] = op["bed"]
            elif kind == "checkout":
                self.stays[op["stay"]]["active"] = False
                for m in self.movements.values():
                    if m["stay"] == op["stay"]:
                        m["open"] = False
            elif kind == "signout":
                self.movements[body["id"]] = {"stay": op["stay"], "open": True}
            elif kind == "return":
                self.movements[op["movement"]]["open"] = False

    def pick(self, rng):
        """A random operation: {"op", "method", "path", "body", and the ids it names}."""
        with self.lock:
            active = [s for s, v in self.stays.items() if v["active"]]
            all_stays = list(self.stays)[-30:]    # recent ones: some stale, not hopelessly so
            open_moves = [m for m, v in self.movements.items() if v["open"]]
            all_moves = list(self.movements)[-30:]
            kind = rng.choices(["checkin", "transfer", "checkout", "signout", "return"],
                               weights=[30, 22, 14, 20, 14])[0]

            def some_stay(p_active):
                pool = active if active and rng.random() < p_active else all_stays
                return rng.choice(pool) if pool else None

            op = {"op": kind, "stay": None, "movement": None, "resident": None, "bed": None, "at": None}
            if kind == "transfer":
                op["stay"] = some_stay(0.85)
                if op["stay"] is None:
                    kind = op["op"] = "checkin"
                else:
                    believed = self.stays[op["stay"]]["bed"]
                    op["bed"] = rng.choice([b for b in self.beds if b != believed] or self.beds)
                    op["method"], op["path"] = "POST", f"{API}/stays/{op['stay']}/transfer"
                    op["body"] = {"bed_id": op["bed"]}
            elif kind == "checkout":
                op["stay"] = some_stay(0.85)
                if op["stay"] is None:
                    kind = op["op"] = "checkin"
                else:
                    op["method"], op["path"] = "POST", f"{API}/stays/{op['stay']}/checkout"
                    op["body"] = {"exit_reason": rng.choice(EXIT_REASONS), "destination": rng.choice(DESTINATIONS)}
            elif kind == "signout":
                op["stay"] = some_stay(0.85)
                if op["stay"] is None:
                    kind = op["op"] = "checkin"
                else:
                    op["method"], op["path"] = "POST", f"{API}/stays/{op['stay']}/movements"
                    op["body"] = {"purpose": rng.choice(PURPOSES),
                                  "expected_back_at": fmt_us(now_us() + 3600 * 1000000)}
            elif kind == "return":
                pool = open_moves if open_moves and rng.random() < 0.85 else all_moves
                if not pool:
                    kind = op["op"] = "checkin"
                else:
                    op["movement"] = rng.choice(pool)
                    op["stay"] = self.movements[op["movement"]]["stay"]
                    op["method"], op["path"] = "POST", f"{API}/movements/{op['movement']}/return"
                    op["body"] = {}
            if kind == "checkin":
                op["resident"] = rng.choice(self.residents)
                op["bed"] = rng.choice(self.beds)
                op["method"], op["path"] = "POST", f"{API}/stays"
                op["body"] = {"resident_id": op["resident"], "bed_id": op["bed"], "rules_acknowledged": True}
                if rng.random() < 0.2:  # late data entry: up to 3 s in the past
                    op["at"] = now_us() - rng.randrange(0, 3000000)
                    op["body"]["checked_in_at"] = fmt_us(op["at"])
            return op


class Client(threading.Thread):
    def __init__(self, index, bases, token, knowledge, history, deadline, run_id, seed):
        super().__init__(daemon=True, name=f"client-{index}")
        self.index = index
        self.bases = bases          # [(host, port)] of the instances
        self.token = token
        self.knowledge = knowledge
        self.history = history      # shared list, appended under the GIL
        self.deadline = deadline
        self.run_id = run_id
        self.rng = random.Random(seed * 1000 + index)
        self.conns = [None] * len(bases)
        self.n = 0

    def conn(self, i):
        if self.conns[i] is None:
            host, port = self.bases[i]
            self.conns[i] = http.client.HTTPConnection(host, port, timeout=30)
        return self.conns[i]

    def drop(self, i):
        if self.conns[i] is not None:
            self.conns[i].close()
            self.conns[i] = None

    def run(self):
        while time.monotonic() < self.deadline:
            op = self.knowledge.pick(self.rng)
            self.n += 1
            op["rid"] = f"h-{self.run_id}-{self.index}-{self.n}"
            op["instance"] = inst = self.rng.randrange(len(self.bases))
            body = json.dumps(op["body"])
            headers = {"Authorization": "Bearer " + self.token, "Content-Type": "application/json",
                       "X-Request-Id": op["rid"]}
            op["status"] = op["code"] = op["resp"] = op["error"] = None
            op["send_mono"], op["send_us"] = time.monotonic_ns(), now_us()
            try:
                c = self.conn(inst)
                c.request(op["method"], op["path"], body=body, headers=headers)
                r = c.getresponse()
                raw = r.read()
                op["recv_mono"], op["recv_us"] = time.monotonic_ns(), now_us()
                op["status"] = r.status
                try:
                    op["resp"] = json.loads(raw) if raw else None
                except ValueError:
                    op["resp"] = raw.decode("utf-8", "replace")
                if isinstance(op["resp"], dict) and r.status >= 400:
                    op["code"] = op["resp"].get("code")
                if r.getheader("X-Request-Id") != op["rid"]:
                    op["error"] = f"X-Request-Id echoed as {r.getheader('X-Request-Id')!r}"
                if r.will_close:
                    self.drop(inst)
            except (OSError, http.client.HTTPException) as e:
                op["recv_mono"], op["recv_us"] = time.monotonic_ns(), now_us()
                op["error"] = f"{type(e).__name__}: {e}"
                self.drop(inst)
            self.history.append(op)
            if op["status"] is not None:
                self.knowledge.learn(op, op["status"], op["resp"])
        for i in range(len(self.bases)):
            self.drop(i)


# ------------------------------------------------------------------ the final history
def query_json(url, sql):
    out = harness.psql(url, f"SELECT coalesce(json_agg(x), '[]') FROM ({sql}) x").strip()
    return json.loads(out or "[]")


US = "(extract(epoch FROM {0}) * 1000000)::bigint"


def load_db(url, house):
    def us(col):
        return US.format(col)
    db = {}
    db["stays"] = query_json(url, f"""
        SELECT id, resident_id, {us('checked_in_at')} AS in_us, {us('checked_out_at')} AS out_us,
               {us('created_at')} AS created_us, exit_reason, destination, seq
          FROM app.stays WHERE house_id = '{house}' ORDER BY seq""")
    db["periods"] = query_json(url, f"""
        SELECT id, stay_id, bed_id, {us('from_at')} AS from_us, {us('to_at')} AS to_us, seq
          FROM app.bed_periods WHERE house_id = '{house}' ORDER BY seq""")
    db["movements"] = query_json(url, f"""
        SELECT id, stay_id, resident_id, {us('out_at')} AS out_us, {us('returned_at')} AS returned_us,
               {us('created_at')} AS created_us, seq
          FROM app.movements WHERE house_id = '{house}' ORDER BY seq""")
    db["audit"] = query_json(url, f"""
        SELECT pos, {us('at')} AS at_us, action, entity_id, request_id, after
          FROM app.audit_log WHERE house_id = '{house}'
           AND action IN ('stay.checkin', 'stay.transfer', 'stay.checkout', 'movement.out', 'movement.return')
         ORDER BY pos""")
    # the invariants once more, in SQL (independent of the Python below)
    db["sql_bed_overlaps"] = int(harness.psql(url, f"""
        SELECT count(*) FROM app.bed_periods a JOIN app.bed_periods b
          ON a.bed_id = b.bed_id AND a.id < b.id AND a.during && b.during
         WHERE a.house_id = '{house}'""").strip())
    db["sql_resident_overlaps"] = int(harness.psql(url, f"""
        SELECT count(*) FROM app.stays a JOIN app.stays b
          ON a.resident_id = b.resident_id AND a.id < b.id AND a.span && b.span
         WHERE a.house_id = '{house}'""").strip())
    db["sql_two_active"] = int(harness.psql(url, f"""
        SELECT count(*) FROM (SELECT resident_id FROM app.stays WHERE house_id = '{house}'
          AND checked_out_at IS NULL GROUP BY resident_id HAVING count(*) > 1) x""").strip())
    return db


class Checker:
    def __init__(self, history, db):
        self.history = history
        self.db = db
        self.anomalies = []
        self.by_rid = {op["rid"]: op for op in history}

    def anomaly(self, text):
        self.anomalies.append(text)

    def t_recv(self, rid):
        """When the request RID was answered (microseconds); inf when unknown or unanswered."""
        op = self.by_rid.get(rid)
        if op is None or op["status"] is None:
            return INF
        return op["recv_us"]

    def check(self):
        db = self.db
        stays = {s["id"]: s for s in db["stays"]}
        periods = db["periods"]
        moves = {m["id"]: m for m in db["movements"]}
        periods_of = collections.defaultdict(list)
        for p in periods:
            periods_of[p["stay_id"]].append(p)
        on_bed = collections.defaultdict(list)
        for p in periods:
            on_bed[p["bed_id"]].append(p)
        stays_of = collections.defaultdict(list)
        for s in stays.values():
            stays_of[s["resident_id"]].append(s)
        moves_of = collections.defaultdict(list)
        for m in moves.values():
            moves_of[m["stay_id"]].append(m)

        # ---- 1. invariants of the final state
        for what, n in (("overlapping bed periods", db["sql_bed_overlaps"]),
                        ("overlapping stays of one resident", db["sql_resident_overlaps"]),
                        ("residents with two active stays", db["sql_two_active"])):
            if n:
                self.anomaly(f"SQL: {n} {what}")
        for bed, ps in on_bed.items():
            ps = sorted(ps, key=lambda p: p["from_us"])
            for a, b in zip(ps, ps[1:]):
                if a["to_us"] is None or a["to_us"] > b["from_us"]:
                    self.anomaly(f"bed {bed}: periods {a['id']} and {b['id']} overlap")
        for res, ss in stays_of.items():
            ss = sorted(ss, key=lambda s: s["in_us"])
            if sum(1 for s in ss if s["out_us"] is None) > 1:
                self.anomaly(f"resident {res}: two active stays")
            for a, b in zip(ss, ss[1:]):
                if a["out_us"] is None or a["out_us"] > b["in_us"]:
                    self.anomaly(f"resident {res}: stays {a['id']} and {b['id']} overlap")
        for sid, s in stays.items():
            ps = sorted(periods_of.get(sid, []), key=lambda p: p["seq"])
            if not ps:
                self.anomaly(f"stay {sid} has no bed period")
                continue
            if ps[0]["from_us"] != s["in_us"]:
                self.anomaly(f"stay {sid}: first period begins {ps[0]['from_us']}, check-in {s['in_us']}")
            for a, b in zip(ps, ps[1:]):
                if a["to_us"] != b["from_us"]:
                    self.anomaly(f"stay {sid}: chain broken between periods {a['id']} and {b['id']}")
            if ps[-1]["to_us"] != s["out_us"]:
                self.anomaly(f"stay {sid}: last period ends {ps[-1]['to_us']}, check-out {s['out_us']}")
            open_moves = [m for m in moves_of.get(sid, []) if m["returned_us"] is None]
            if len(open_moves) > 1:
                self.anomaly(f"stay {sid}: {len(open_moves)} open movements")
            if open_moves and s["out_us"] is not None:
                self.anomaly(f"stay {sid} is closed but movement {open_moves[0]['id']} is open")

        # ---- 2. every row made by exactly one audited request of this run that did not fail
        audits = db["audit"]
        audit_by_rid = collections.defaultdict(list)
        for a in audits:
            audit_by_rid[a["request_id"]].append(a)
            op = self.by_rid.get(a["request_id"])
            if op is None:
                self.anomaly(f"audit {a['action']} pos {a['pos']}: request id {a['request_id']!r} is not in the history")
            elif op["status"] is not None and op["status"] >= 300:
                self.anomaly(f"audit {a['action']} pos {a['pos']}: request {op['rid']} ({op['op']}) "
                             f"got {op['status']} {op['code']} but left a change (half-done)")
            elif AUDIT_ACTION[op["op"]] != a["action"]:
                self.anomaly(f"audit {a['action']} pos {a['pos']}: made by a {op['op']} request {op['rid']}")
            elif op["op"] in ("transfer", "checkout") and a["entity_id"] != op["stay"]:
                self.anomaly(f"audit {a['action']} of stay {a['entity_id']} made by {op['rid']} for stay {op['stay']}")
            elif op["op"] == "return" and a["entity_id"] != op["movement"]:
                self.anomaly(f"audit {a['action']} of movement {a['entity_id']} made by {op['rid']} for {op['movement']}")
        by_action = collections.defaultdict(lambda: collections.defaultdict(list))
        for a in audits:
            by_action[a["action"]][a["entity_id"]].append(a)

        # creator and closer (request id, lower bound of commit) of every period, stay, movement
        self.period_made = {}    # period id -> (rid, at_us)
        self.period_closed = {}  # period id -> (rid, at_us)
        self.stay_closed = {}    # stay id -> (rid, at_us)
        self.move_made = {}
        self.move_closed = {}
        for sid, s in stays.items():
            ps = sorted(periods_of.get(sid, []), key=lambda p: p["seq"])
            ins = by_action["stay.checkin"].get(sid, [])
            if len(ins) != 1:
                self.anomaly(f"stay {sid}: {len(ins)} check-in audit records")
            elif ps:
                self.period_made[ps[0]["id"]] = (ins[0]["request_id"], ins[0]["at_us"])
            trs = sorted(by_action["stay.transfer"].get(sid, []), key=lambda a: a["pos"])
            if len(trs) != len(ps) - 1:
                self.anomaly(f"stay {sid}: {len(ps)} bed periods but {len(trs)} transfer audit records")
            else:
                for k, a in enumerate(trs):
                    beds = (a["after"] or {}).get("beds") or []
                    new = ps[k + 1]
                    if not beds or beds[-1].get("bed_id") != new["bed_id"] or parse_ts(beds[-1].get("from")) != new["from_us"]:
                        self.anomaly(f"stay {sid}: transfer audit pos {a['pos']} does not match period {new['id']}")
                    self.period_made[new["id"]] = (a["request_id"], a["at_us"])
                    self.period_closed[ps[k]["id"]] = (a["request_id"], a["at_us"])
            outs = by_action["stay.checkout"].get(sid, [])
            if len(outs) != (1 if s["out_us"] is not None else 0):
                self.anomaly(f"stay {sid} (out {s['out_us']}): {len(outs)} check-out audit records")
            elif outs:
                self.stay_closed[sid] = (outs[0]["request_id"], outs[0]["at_us"])
                if ps:
                    self.period_closed[ps[-1]["id"]] = self.stay_closed[sid]
        for a in audits:
            if a["action"].startswith("stay.") and a["entity_id"] not in stays:
                self.anomaly(f"audit {a['action']} pos {a['pos']} names stay {a['entity_id']} that does not exist")
            if a["action"].startswith("movement.") and a["entity_id"] not in moves:
                self.anomaly(f"audit {a['action']} pos {a['pos']} names movement {a['entity_id']} that does not exist")
        for mid, m in moves.items():
            outs = by_action["movement.out"].get(mid, [])
            if len(outs) != 1:
                self.anomaly(f"movement {mid}: {len(outs)} sign-out audit records")
            else:
                self.move_made[mid] = (outs[0]["request_id"], outs[0]["at_us"])
            rets = by_action["movement.return"].get(mid, [])
            if m["returned_us"] is None:
                if rets:
                    self.anomaly(f"movement {mid} is open but has a return audit record")
            elif len(rets) == 1:
                self.move_closed[mid] = (rets[0]["request_id"], rets[0]["at_us"])
            elif len(rets) > 1:
                self.anomaly(f"movement {mid}: {len(rets)} return audit records")
            else:  # closed by the check-out of its stay
                s = stays.get(m["stay_id"])
                if s is None or s["out_us"] is None or m["returned_us"] != max(s["out_us"], m["out_us"]):
                    self.anomaly(f"movement {mid} returned at {m['returned_us']} without a return or check-out")
                else:
                    self.move_closed[mid] = self.stay_closed.get(m["stay_id"], (None, m["returned_us"]))

        # ---- 3. and 4. every request against the database
        for op in self.history:
            rid, st = op["rid"], op["status"]
            mine = audit_by_rid.get(rid, [])
            if st is None or (st >= 500):
                continue  # counted (and flagged) by the caller; no answer: either outcome is fine
            if st >= 300:
                if mine:
                    pass  # reported above as half-done
                if st == 409:
                    self.justify_409(op, stays, moves, on_bed, stays_of, moves_of)
                continue
            if len(mine) != 1:
                self.anomaly(f"{rid} {op['op']} got {st} but has {len(mine)} audit records")
            self.check_ack(op, stays, periods_of, moves)

    def in_window(self, op, us, what):
        if us is None or not (op["send_us"] - SLACK_US <= us <= op["recv_us"] + SLACK_US):
            self.anomaly(f"{op['rid']} {op['op']}: {what} {us} outside the request's "
                         f"[{op['send_us']}, {op['recv_us']}]")

    def check_ack(self, op, stays, periods_of, moves):
        rid, body, kind = op["rid"], op["resp"], op["op"]
        if not isinstance(body, dict):
            self.anomaly(f"{rid} {kind}: 2xx without a JSON object")
            return
        expected = {"checkin": 201, "transfer": 200, "checkout": 200, "signout": 201, "return": 200}[kind]
        if op["status"] != expected:
            self.anomaly(f"{rid} {kind}: status {op['status']}, expected {expected}")
        if kind == "checkin":
            s = stays.get(body.get("id"))
            if s is None:
                self.anomaly(f"{rid} checkin 201: stay {body.get('id')} is not in the database")
                return
            ps = sorted(periods_of.get(s["id"], []), key=lambda p: p["seq"])
            if s["resident_id"] != op["resident"] or not ps or ps[0]["bed_id"] != op["bed"]:
                self.anomaly(f"{rid} checkin 201: stay {s['id']} has another resident or first bed")
            if parse_ts(body.get("checked_in_at")) != s["in_us"]:
                self.anomaly(f"{rid} checkin 201: checked_in_at {body.get('checked_in_at')} != database {s['in_us']}")
            if op["at"] is not None:
                if s["in_us"] != op["at"]:
                    self.anomaly(f"{rid} checkin 201: asked for {op['at']}, stored {s['in_us']}")
            else:
                self.in_window(op, s["in_us"], "checked_in_at")
            self.in_window(op, s["created_us"], "created_at")
        elif kind == "transfer":
            beds = body.get("beds") or []
            if body.get("id") != op["stay"] or not beds or beds[-1].get("bed_id") != op["bed"]:
                self.anomaly(f"{rid} transfer 200: response does not show the stay on bed {op['bed']}")
                return
            at = parse_ts(beds[-1].get("from"))
            if not any(p["bed_id"] == op["bed"] and p["from_us"] == at for p in periods_of.get(op["stay"], [])):
                self.anomaly(f"{rid} transfer 200: no period of stay {op['stay']} on bed {op['bed']} from {at}")
            self.in_window(op, at, "transfer time")
        elif kind == "checkout":
            s = stays.get(op["stay"])
            out = parse_ts(body.get("checked_out_at"))
            if s is None or s["out_us"] is None or s["out_us"] != out:
                self.anomaly(f"{rid} checkout 200: stay {op['stay']} is not checked out at {out} in the database")
                return
            if s["exit_reason"] != op["body"]["exit_reason"] or s["destination"] != op["body"]["destination"]:
                self.anomaly(f"{rid} checkout 200: exit reason/destination differ in the database")
            self.in_window(op, out, "checked_out_at")
        elif kind == "signout":
            m = moves.get(body.get("id"))
            if m is None or m["stay_id"] != op["stay"]:
                self.anomaly(f"{rid} signout 201: movement {body.get('id')} of stay {op['stay']} is not in the database")
                return
            self.in_window(op, m["out_us"], "out_at")
        elif kind == "return":
            m = moves.get(op["movement"])
            ret = parse_ts(body.get("returned_at"))
            if m is None or m["returned_us"] != ret:
                self.anomaly(f"{rid} return 200: movement {op['movement']} not returned at {ret} in the database")
                return
            self.in_window(op, ret, "returned_at")

    def justify_409(self, op, stays, moves, on_bed, stays_of, moves_of):
        """Was the 409 possible? Something must have been committed before the answer
        (its creation's lower bound < recv) and, at the requested time or while the
        request ran, still in the way."""
        kind, code, rid = op["op"], op["code"], op["rid"]
        if code not in EXPECTED_409[kind]:
            self.anomaly(f"{rid} {kind}: 409 {code!r} cannot happen in this history")
            return
        s_us, r_us = op["send_us"] - SLACK_US, op["recv_us"] + SLACK_US
        at_lo = op["at"] if op["at"] is not None else s_us  # the requested time is at least this
        ok = False
        if code == "bed_occupied":
            for p in on_bed.get(op["bed"], []):
                made = self.period_made.get(p["id"], (None, p["from_us"]))[1]
                if made >= r_us or p["stay_id"] == op["stay"]:
                    continue
                closer = self.period_closed.get(p["id"])
                if p["to_us"] is None or p["to_us"] > at_lo or (closer and self.t_recv(closer[0]) > s_us):
                    ok = True
                    break
        elif code == "resident_in_residence":
            for x in stays_of.get(op["resident"], []):
                made = x["created_us"]
                if made >= r_us:
                    continue
                closer = self.stay_closed.get(x["id"])
                if x["out_us"] is None or x["out_us"] > at_lo or (closer and self.t_recv(closer[0]) > s_us):
                    ok = True
                    break
        elif code == "stay_closed":
            closer = self.stay_closed.get(op["stay"])
            ok = closer is not None and closer[1] < r_us
        elif code == "already_out":
            for m in moves_of.get(op["stay"], []):
                made = self.move_made.get(m["id"], (None, m["created_us"]))[1]
                if made >= r_us:
                    continue
                closer = self.move_closed.get(m["id"])
                if m["returned_us"] is None or (closer and self.t_recv(closer[0]) > s_us) or \
                        (closer and closer[0] is None):
                    ok = True
                    break
        elif code == "movement_closed":
            closer = self.move_closed.get(op["movement"])
            ok = closer is not None and closer[1] < r_us
        if not ok:
            self.anomaly(f"{rid} {kind}: 409 {code} not justified by the history "
                         f"(sent {op['send_us']}, answered {op['recv_us']}, bed {op['bed']}, "
                         f"resident {op['resident']}, stay {op['stay']}, movement {op['movement']}, at {op['at']})")


# ------------------------------------------------------------------ main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--beds", type=int, default=6)
    ap.add_argument("--residents", type=int, default=10)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--history", help="write the history (JSON lines) here; on an anomaly it is always kept")
    ap.add_argument("--min-ops", type=int, default=0, help="fail when fewer operations ran")
    ap.add_argument("--sql-patch", help="an SQL file run on the database after the migrations "
                                        "(to try a fix of sql/ before it becomes a migration)")
    args = ap.parse_args()
    harness.BIN = os.path.abspath(args.binary)
    if not os.access(harness.BIN, os.X_OK):
        print(f"{harness.BIN} is not an executable", file=sys.stderr)
        return 2
    try:
        harness.pgurl()
    except harness.Skip as e:
        print(f"check.py: SKIP: {e}")
        return harness.SKIP
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    run_id = f"{seed:x}"
    print(f"history: seed {seed}, {args.seconds:g} s, {args.threads} threads, {args.beds} beds, "
          f"{args.residents} residents, two instances")
    cfg = {"server": {"workers": "2"}, "database": {"pool": "4"}, "log": {"level": "warn"}}
    a = harness.Instance(config=cfg)
    b = None
    try:
        b = harness.Instance(config=cfg, share=a)
        if args.sql_patch:
            with open(args.sql_patch) as f:
                harness.psql(a.db, f.read())
            print(f"history: applied {args.sql_patch}")
        admin = a.login()
        house, beds, residents, staff_pw = setup_world(a, admin, args.beds, args.residents)
        token = b.login("hist-staff", staff_pw)
        knowledge = Knowledge(beds, residents)
        history = []
        deadline = time.monotonic() + args.seconds
        bases = [("127.0.0.1", a.port), ("127.0.0.1", b.port)]
        clients = [Client(i, bases, token, knowledge, history, deadline, run_id, seed) for i in range(args.threads)]
        started = time.monotonic()
        for c in clients:
            c.start()
        for c in clients:
            c.join(args.seconds + 120)
        elapsed = time.monotonic() - started
        exits = []
        for d, name in ((a, "a"), (b, "b")):  # SIGTERM: exit 0 (under ASan: no leak, no report)
            if not d.alive():
                exits.append(f"instance {name} died during the run (exit {d.proc.returncode}): {d.stderr()[-2000:]}")
            else:
                rc = d.stop()
                if rc != 0:
                    exits.append(f"instance {name} exited {rc} on SIGTERM: {d.stderr()[-2000:]}")
        db = load_db(a.db, house)
        checker = Checker(history, db)
        checker.anomalies += exits
        checker.check()

        # ---- counts
        counts = collections.Counter()
        by_op = collections.Counter()
        conflicts = collections.Counter()
        others = collections.Counter()
        for op in history:
            st = op["status"]
            by_op[op["op"]] += 1
            if st is None:
                counts["no answer"] += 1
                checker.anomaly(f"{op['rid']} {op['op']}: no answer: {op['error']}")
            elif op["error"]:
                checker.anomaly(f"{op['rid']} {op['op']}: {op['error']}")
            if st is not None and st < 300:
                counts["2xx"] += 1
            elif st == 409:
                conflicts[op["code"]] += 1
            elif st is not None and st >= 500:
                counts["5xx"] += 1
                others[f"{op['op']} {st} {op['code']}"] += 1
                checker.anomaly(f"{op['rid']} {op['op']}: {st} {op['code']}")
            elif st is not None:
                field = ""
                if isinstance(op["resp"], dict) and op["resp"].get("errors"):
                    field = " " + ",".join(e.get("field") or "?" for e in op["resp"]["errors"])
                others[f"{op['op']} {st} {op['code']}{field}"] += 1
                if st not in (422,):
                    checker.anomaly(f"{op['rid']} {op['op']}: unexpected {st} {op['code']}: {op['resp']}")
        n = len(history)
        if n < args.min_ops:
            checker.anomaly(f"only {n} operations ran (--min-ops {args.min_ops})")
        print(f"history: {n} ops in {elapsed:.1f} s ({n / max(elapsed, 0.001):.0f}/s): "
              + ", ".join(f"{k} {v}" for k, v in sorted(by_op.items())))
        print(f"history: 2xx {counts['2xx']}, 409 {sum(conflicts.values())} "
              f"({', '.join(f'{k} {v}' for k, v in sorted(conflicts.items())) or '-'}), "
              f"other errors {sum(others.values())}, no answer {counts['no answer']}, 5xx {counts['5xx']}")
        for k, v in sorted(others.items()):
            print(f"history:   other: {k}: {v}")
        print(f"history: database: {len(db['stays'])} stays, {len(db['periods'])} bed periods, "
              f"{len(db['movements'])} movements, {len(db['audit'])} audit records")
        print(f"history: anomalies {len(checker.anomalies)}")
        for text in checker.anomalies[:30]:
            print(f"history:   ANOMALY: {text}")
        if len(checker.anomalies) > 30:
            print(f"history:   ... and {len(checker.anomalies) - 30} more")
        path = args.history
        if checker.anomalies and not path:
            path = tempfile.mkstemp(prefix="abipraya-history-", suffix=".jsonl")[1]
        if path:
            with open(path, "w") as f:
                for op in sorted(history, key=lambda o: o["send_mono"]):
                    f.write(json.dumps(op) + "\n")
            print(f"history: written to {path}")
        ok = not checker.anomalies
        print("history: PASSED" if ok else "history: FAILED")
        return 0 if ok else 1
    finally:
        for d in (b, a):
            if d is not None:
                d.close()


if __name__ == "__main__":
    sys.exit(main())
