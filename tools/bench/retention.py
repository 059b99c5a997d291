#!/usr/bin/env python3
"""Benchmark of `abiprayad retention` (contract §18.7): how long a run over N former residents
takes, per resident, and how long check-ins wait meanwhile.

    ABIPRAYA_TEST_PGURL=postgresql://postgres@HOST:PORT/postgres \\
        tools/bench/retention.py build-bench/abiprayad [--residents N] [--checkin-clients C]

Starts one daemon on a new database through the integration harness (tests/integration/
harness.py), seeds N due residents (tools/bench/seed_retention.sql: a stay, a consent, a
follow-up and four audit records each), then times `retention --dry-run` and `retention` while
C clients check residents of another house in and out through the API as fast as they can,
and prints the run's time, the time per resident and the check-ins' latencies (max, p99).
The target (§18.7 in docs/ops.md): 100 000 residents in under 60 s, no check-in waiting 1 s."""

import argparse
import datetime as dt
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
import harness  # noqa: E402


def checkin_loop(d, token, pairs, stop, latencies, errors):
    while not stop.is_set():
        for rid, bed in pairs:
            t0 = time.monotonic()
            r = d.request("POST", "/api/v1/stays", json_body={"resident_id": rid, "bed_id": bed,
                                                              "rules_acknowledged": True}, token=token)
            latencies.append(time.monotonic() - t0)
            if r.status != 201:
                errors.append(f"check-in {r}")
                continue
            t0 = time.monotonic()
            r = d.request("POST", f"/api/v1/stays/{r.json['id']}/checkout",
                          json_body={"exit_reason": "completed", "destination": "family"}, token=token)
            latencies.append(time.monotonic() - t0)
            if r.status != 200:
                errors.append(f"check-out {r}")
            if stop.is_set():
                break


def timed(d, *args):
    t0 = time.monotonic()
    out = d.cli("retention", *args, timeout=3600)
    took = time.monotonic() - t0
    if out.returncode != 0:
        sys.exit(f"retention {' '.join(args)} exited {out.returncode}: {out.stderr[-2000:]}")
    return took, out.stdout.splitlines()[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--residents", type=int, default=5000)
    ap.add_argument("--checkin-clients", type=int, default=2)
    a = ap.parse_args()
    harness.BIN = os.path.abspath(a.binary)
    with harness.Instance() as d:
        token = d.login()
        t0 = time.monotonic()
        subprocess.run([harness.psql_path(), d.db, "-X", "-q", "-v", f"n={a.residents}", "-f",
                        os.path.join(HERE, "seed_retention.sql")], check=True, stdout=subprocess.DEVNULL)
        print(f"seeded {a.residents} former residents in {time.monotonic() - t0:.1f} s")
        house = d.house(token, turnover_minutes=0, follow_up_days=[])["id"]
        room = d.room(token, house)["id"]
        clients = []
        for _ in range(a.checkin_clients):
            pairs = [(d.resident(token, house)["id"], d.bed(token, room)["id"]) for _ in range(5)]
            clients.append(pairs)
        dry, dry_line = timed(d, "--dry-run")
        print(f"dry run: {dry:.2f} s ({dry_line})")
        stop, latencies, errors = threading.Event(), [], []
        threads = [threading.Thread(target=checkin_loop, args=(d, token, p, stop, latencies, errors))
                   for p in clients]
        for t in threads:
            t.start()
        time.sleep(1)
        base = len(latencies)
        took, line = timed(d)
        stop.set()
        for t in threads:
            t.join()
        during = sorted(latencies[base:]) or [0.0]
        p99 = during[min(len(during) - 1, int(len(during) * 0.99))]
        print(f"run: {took:.2f} s ({line}), {took / a.residents * 1000:.2f} ms per resident")
        print(f"check-ins/outs during the run: {len(during)}, max {during[-1] * 1000:.1f} ms, "
              f"p99 {p99 * 1000:.1f} ms, errors {len(errors)}")
        for e in errors[:5]:
            print("  " + e)
        print(f"at this rate 100 000 residents take {took / a.residents * 100000:.0f} s "
              f"({dt.timedelta(seconds=round(took / a.residents * 100000))})")
        rc = 1 if errors else 0
    sys.exit(rc)


if __name__ == "__main__":
    main()
