"""Database faults under a steady write load through two instances on one database.

The test starts its own PostgreSQL cluster (harness.PgCluster: it may stop, kill and
freeze it; ABIPRAYA_TEST_PGURL only decides whether the test runs at all). Two daemons
(database.timeout_ms = 2000) share one database; eight client threads create residents
through both, each with a unique register number and X-Request-Id. For each fault:

  fast / immediate restart, SIGKILL of one backend (the postmaster's crash restart),
  SIGKILL of the whole cluster:
    - while PostgreSQL answers, every write gets 201; during the fault only 503
      `unavailable` with Retry-After (never another 5xx, never a dropped connection);
    - every request sent 2 s after PostgreSQL is back gets 201, on both instances, and
      both daemons still run (no restart);
  a freeze (SIGSTOP of every PostgreSQL process for ~6 s, with a burst of 100 concurrent
  requests on top of the load):
    - every request is answered within timeout_ms + 1 s, with 503 `unavailable`;
    - the daemons' RSS grows by less than 64 MiB; service is back within 3 s of SIGCONT;
  and after every fault, from the database: every write that got a 201 is there (with
  its audit record), none that got an error is, except that a 503 means "outcome
  unknown": the daemon sends writes with a deadline before its own, so only a freeze in
  the instant of the commit leaves a 503'd write committed, and then a retry with the
  same Idempotency-Key must replay the 201 (never a second object, never a 409); a
  request without an answer may have gone either way.
"""

import http.client
import json
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect  # noqa: E402

TIMEOUT_MS = 2000
BACK_WITHIN = 2.0       # seconds from PostgreSQL ready to every request succeeding
THAW_WITHIN = 3.0       # seconds from SIGCONT to every request succeeding
RSS_GROWTH_KB = 64 * 1024
THREADS = 8


class World:
    """The private cluster, two instances on one database, a house and an admin token."""

    def __init__(self):
        self.pg = harness.PgCluster()
        self.saved_url = os.environ.get("ABIPRAYA_TEST_PGURL")
        os.environ["ABIPRAYA_TEST_PGURL"] = self.pg.url
        self.instances = []
        try:
            cfg = {"database": {"timeout_ms": str(TIMEOUT_MS), "pool": "4"}, "server": {"workers": "2"},
                   "log": {"level": "warn"}}
            a = harness.Instance(config=cfg)
            self.instances.append(a)
            self.instances.append(harness.Instance(config=cfg, share=a))
            self.db = a.db
            self.token = a.login()
            r = a.request("POST", "/api/v1/houses", json_body={"code": "FLT", "name": "Faults"}, token=self.token)
            expect(r.status == 201, f"house: {r}")
            self.house = r.json["id"]
            self.run = 0
        except BaseException:
            self.close()
            raise

    def stderr(self):
        return "\n".join(f"--- instance {i}\n{d.stderr()[-1500:]}" for i, d in enumerate(self.instances)) + \
            f"\n--- postgres.log\n{self.pg.log_tail(1500)}"

    def close(self):
        for d in self.instances:
            if d.proc is not None and d.proc.poll() is None:
                d.proc.kill()
                d.proc.wait()
            d.owns_db = False  # the databases go with the cluster
            d.close()
        self.pg.close()
        if self.saved_url is not None:
            os.environ["ABIPRAYA_TEST_PGURL"] = self.saved_url


class Load:
    """THREADS clients creating residents through both instances, recording everything."""

    def __init__(self, world, tag):
        world.run += 1
        self.world = world
        self.tag = f"{tag}{world.run}"
        self.records = []
        self.stop_flag = threading.Event()
        self.threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(THREADS)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        for t in self.threads:
            t.join(60)

    def _client(self, index):
        ports = [d.port for d in self.world.instances]
        conns = [None, None]
        n = 0
        while not self.stop_flag.is_set():
            n += 1
            inst = n % 2
            rid = f"{self.tag}-{index}-{n}"
            rec = send(conns, inst, ports[inst], self.world, rid)
            self.records.append(rec)
            if rec["status"] == 503:
                time.sleep(0.02)  # a real client would honour Retry-After; keep the log readable
        for c in conns:
            if c is not None:
                c.close()

    def since(self, t):
        return [r for r in self.records if r["sent"] >= t]


def send(conns, inst, port, world, rid):
    """One resident creation on a keep-alive connection; returns its record."""
    body = json.dumps({"house_id": world.house, "full_name": "Fault " + rid, "register_number": rid,
                       "sex": "female", "legal_status": "parole"})
    headers = {"Authorization": "Bearer " + world.token, "Content-Type": "application/json", "X-Request-Id": rid,
               "Idempotency-Key": rid}
    rec = {"rid": rid, "inst": inst, "status": None, "code": None, "retry_after": None, "error": None,
           "sent": time.monotonic()}
    try:
        if conns[inst] is None:
            conns[inst] = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        conns[inst].request("POST", "/api/v1/residents", body=body, headers=headers)
        r = conns[inst].getresponse()
        raw = r.read()
        rec["status"] = r.status
        rec["retry_after"] = r.getheader("Retry-After")
        try:
            rec["code"] = json.loads(raw).get("code") if r.status >= 400 else None
        except (ValueError, AttributeError):
            rec["code"] = raw[:100]
        if r.will_close:
            conns[inst].close()
            conns[inst] = None
    except (OSError, http.client.HTTPException) as e:
        rec["error"] = f"{type(e).__name__}: {e}"
        if conns[inst] is not None:
            conns[inst].close()
        conns[inst] = None
    rec["answered"] = time.monotonic()
    return rec


def verify_db(world, load):
    """Every 201 in the database with one audit record, no error's write there."""
    found = set(harness.psql(world.db, f"SELECT register_number FROM app.residents "
                                       f"WHERE register_number LIKE '{load.tag}-%'").split())
    audited = harness.psql(world.db, f"SELECT request_id FROM app.audit_log WHERE action = 'resident.create' "
                                     f"AND request_id LIKE '{load.tag}-%'").split()
    problems = []
    for r in load.records:
        if r["status"] == 201:
            if r["rid"] not in found:
                problems.append(f"{r['rid']}: got 201 but is not in the database (lost acknowledged write)")
            elif audited.count(r["rid"]) != 1:
                problems.append(f"{r['rid']}: got 201 but has {audited.count(r['rid'])} audit records")
        elif r["status"] == 503 and r["rid"] in found:
            replay = send([None, None], r["inst"], world.instances[r["inst"]].port, world, r["rid"])
            if replay["status"] != 201:
                problems.append(f"{r['rid']}: got 503, is in the database, and its retry with the same "
                                f"Idempotency-Key answered {replay['status']} {replay['code']}, not the 201")
        elif r["status"] is not None and r["rid"] in found:
            problems.append(f"{r['rid']}: got {r['status']} {r['code']} but is in the database (half-done)")
    unknown = sum(1 for r in load.records if r["status"] is None)
    return problems, len(found), unknown


def summary(load, marks):
    counts = {}
    for r in load.records:
        key = r["status"] if r["status"] is not None else "no answer"
        counts[key] = counts.get(key, 0) + 1
    t0 = load.records[0]["sent"] if load.records else 0
    return (f"{len(load.records)} requests {counts}; "
            + ", ".join(f"{k} at +{v - t0:.2f} s" for k, v in marks.items()))


def check_outage(world, load, t_fault, t_back, back_within, label):
    """The common checks of a fault that ends with PostgreSQL answering again at t_back."""
    problems = []
    for r in load.records:
        if r["answered"] < t_fault and r["status"] != 201:
            problems.append(f"{r['rid']}: {r['status'] or r['error']} {r['code']} before the fault")
        if r["status"] is None:
            if r["sent"] < t_fault or r["sent"] >= t_back:
                problems.append(f"{r['rid']}: no answer ({r['error']})")
            # a connection dropped during the outage: counted (a daemon should answer 503)
        elif r["status"] != 201 and (r["status"] != 503 or r["code"] != "unavailable" or not r["retry_after"]):
            problems.append(f"{r['rid']}: {r['status']} {r['code']} (Retry-After {r['retry_after']}): "
                            f"only 201 or 503 unavailable with Retry-After may happen")
    late = [r for r in load.since(t_back + back_within) if r["status"] != 201]
    for r in late[:10]:
        problems.append(f"{r['rid']}: {r['status'] or r['error']} {r['code']} sent "
                        f"{r['sent'] - t_back:.2f} s after PostgreSQL was back (limit {back_within} s)")
    for inst in (0, 1):
        ok = [r for r in load.since(t_back) if r["inst"] == inst and r["status"] == 201]
        if not ok:
            problems.append(f"instance {inst}: no 201 after PostgreSQL was back")
        else:
            first = min(r["answered"] for r in ok) - t_back
            print(f"  {label}: instance {inst} served a write {first:.2f} s after PostgreSQL was back")
    dropped = sum(1 for r in load.records if r["status"] is None)
    if dropped:
        problems.append(f"{dropped} requests lost their connection instead of getting 503")
    for i, d in enumerate(world.instances):
        if not d.alive():
            problems.append(f"instance {i} died: {d.stderr()[-1500:]}")
    db_problems, n, unknown = verify_db(world, load)
    problems += db_problems
    print(f"  {label}: {n} residents in the database, {unknown} requests without an answer")
    expect(not problems, f"{label}: {len(problems)} problems:\n  " + "\n  ".join(problems[:40]))


def wait_serving(world, timeout=30):
    """Until both instances answer a write with 201 (setup between the tests)."""
    for d in world.instances:
        ok = harness.wait_for(lambda d=d: d.request(
            "POST", "/api/v1/residents", token=world.token,
            json_body={"house_id": world.house, "full_name": "Probe", "register_number": f"probe-{time.monotonic_ns()}",
                       "sex": "male", "legal_status": "parole"}).status == 201, timeout, 0.2)
        expect(ok, f"instance on port {d.port} does not serve writes:\n{d.stderr()[-2000:]}")


def restart_test(world, label, fault):
    wait_serving(world)
    with Load(world, label) as load:
        time.sleep(1.5)
        t_fault = time.monotonic()
        fault()
        t_back = time.monotonic()
        time.sleep(BACK_WITHIN + 2.0)
    print(f"  {label}: {summary(load, {'fault': t_fault, 'back': t_back})}")
    check_outage(world, load, t_fault, t_back, BACK_WITHIN, label)


# ------------------------------------------------------------------ the tests
def test_fast_restart(world):
    def fault():
        world.pg.stop("fast")
        time.sleep(0.5)
        world.pg.start()
    restart_test(world, "fast", fault)


def test_immediate_restart(world):
    def fault():
        world.pg.stop("immediate")
        time.sleep(0.5)
        world.pg.start()
    restart_test(world, "immediate", fault)


def test_backend_sigkill(world):
    """A backend killed with SIGKILL: the postmaster ends every session, recovers and
    accepts connections again by itself."""
    name = harness.urllib.parse.urlsplit(world.db).path.lstrip("/")

    def fault():
        pids = world.pg.backend_pids(name)
        expect(pids, "no backend of the test database")
        os.kill(pids[0], signal.SIGKILL)
        ok = harness.wait_for(lambda: _answers(world.pg.url), 30, 0.05)
        expect(ok, f"PostgreSQL did not come back after a backend was killed:\n{world.pg.log_tail()}")
    restart_test(world, "backend-kill", fault)


def test_cluster_sigkill(world):
    """Every PostgreSQL process killed with SIGKILL, then started again (crash recovery)."""
    def fault():
        world.pg.kill_all()
        time.sleep(0.5)
        world.pg.start()
    restart_test(world, "cluster-kill", fault)


def test_sigstop_freeze(world):
    """Every PostgreSQL process stopped for ~6 s: bounded 503s, bounded memory, then service."""
    wait_serving(world)
    pids = [d.proc.pid for d in world.instances]
    burst = []
    with Load(world, "freeze") as load:
        time.sleep(1.5)
        rss_before = [harness.rss_kb(p) for p in pids]
        t_fault = time.monotonic()
        world.pg.signal_all(signal.SIGSTOP)
        t_frozen = time.monotonic()  # listing the processes takes a moment: frozen from here on
        try:
            time.sleep(1.0)
            # a burst of 100 concurrent requests (own connections) on top of the load
            def one(i):
                burst.append(send([None, None], i % 2, world.instances[i % 2].port, world, f"{load.tag}-burst-{i}"))
            threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(100)]
            for t in threads:
                t.start()
            rss_peak = list(rss_before)
            while time.monotonic() < t_fault + 6.0:
                rss_peak = [max(a, harness.rss_kb(p)) for a, p in zip(rss_peak, pids)]
                time.sleep(0.1)
            for t in threads:
                t.join(30)
        finally:
            world.pg.signal_all(signal.SIGCONT)
        t_back = time.monotonic()
        time.sleep(THAW_WITHIN + 2.0)
    load.records += burst
    print(f"  freeze: {summary(load, {'freeze': t_fault, 'thaw': t_back})}")
    print(f"  freeze: RSS before {rss_before} KiB, peak {rss_peak} KiB")
    problems = []
    limit = TIMEOUT_MS / 1000 + 1.0
    frozen = [r for r in load.records if t_frozen <= r["sent"] < t_back - limit]
    slow = [r for r in frozen if r["status"] is None or r["answered"] - r["sent"] > limit]
    for r in slow[:10]:
        problems.append(f"{r['rid']}: answered after {r['answered'] - r['sent']:.2f} s "
                        f"({r['status'] or r['error']}), limit {limit} s")
    wrong = [r for r in frozen if r["status"] is not None and (r["status"] != 503 or r["code"] != "unavailable")]
    for r in wrong[:10]:
        problems.append(f"{r['rid']}: {r['status']} {r['code']} during the freeze, expected 503 unavailable")
    expect(len(burst) == 100, f"only {len(burst)} of the 100 burst requests finished")
    for before, peak in zip(rss_before, rss_peak):
        if peak - before > RSS_GROWTH_KB:
            problems.append(f"RSS grew from {before} to {peak} KiB during the freeze")
    expect(not problems, "freeze:\n  " + "\n  ".join(problems))
    check_outage(world, load, t_fault, t_back, THAW_WITHIN, "freeze")


def test_zz_daemons_exit_cleanly(world):
    """After all of it, SIGTERM: both daemons exit 0 (under ASan: no leak, no report)."""
    wait_serving(world)
    for i, d in enumerate(world.instances):
        rc = d.stop()
        expect(rc == 0, f"instance {i} exited {rc} on SIGTERM:\n{d.stderr()[-3000:]}")


def _answers(url):
    try:
        return harness.psql(url, "SELECT 1").strip() == "1"
    except Exception:  # noqa: BLE001
        return False


if __name__ == "__main__":
    harness.main(globals(), fixture=World)
