"""Login throttling across two instances, and the cost of the password KDF (API.md §4,
issue 3). Both daemons run with login_max_failures = 3 and login_window = 3 s.

- test_throttle_across_instances: 3 failed logins, alternating between the instances,
  then 429 rate_limited with Retry-After (1..window) on both instances, even with the
  right password; the attempts made while throttled (about one every 0.25 s) do not add to
  the count: right after the window of the first failure passes, the right password
  logs in. A success does not reset the count. An unknown username answers exactly like a
  wrong password and is throttled the same way.
- test_concurrent_guesses_are_throttled: 30 wrong passwords sent at once through both
  instances: at most login_max_failures are checked (401), the rest 429.
- test_kdf_cost_and_event_loop: the daemon's CPU time per login (known user; unknown
  user, which must cost about the same: a dummy KDF), and /healthz latency while 20
  logins run at once. If the KDF ran on an event-loop thread, /healthz would wait for it
  (tens to hundreds of ms); the bound asserted is a generous 100 ms. The figures are printed.
- test_address_limit_before_hashing: login_address_max_failures = 5: after 5 failed logins
  (5 different usernames) from one address, every login from it is 429 + Retry-After, the
  admin's right password too, and costs no KDF (daemon CPU per 429 far below one KDF).
- test_forwarded_for_from_trusted_proxy: with 127.0.0.1 in server.trusted_proxies, two
  X-Forwarded-For addresses are counted apart (the last untrusted hop, over every header
  line); without it the header is ignored and both count as 127.0.0.1.
- test_login_flood: 300 concurrent logins with random names from random forwarded
  addresses: none is 503 (a full hashing queue is 429), and the admin's login meanwhile
  and afterwards is 200 or 429, and 200 once the flood is over."""

import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem  # noqa: E402

MAX_FAILURES = 3
WINDOW = 3
CONFIG = {"security": {"login_max_failures": str(MAX_FAILURES), "login_window": str(WINDOW)}}
BURST = 20
HEALTHZ_BOUND_MS = 100.0


def login(d, username, password):
    return d.request("POST", "/api/v1/auth/login", json_body={"username": username, "password": password})


def make_user(d, token, role="staff"):
    username, password = "u-" + harness.uid(), "it-password-" + harness.uid()
    d.must("POST", "users", {"username": username, "password": password, "role": role,
                             "full_name": "Petugas Uji", "house_ids": []}, 201, token=token)
    return username, password


def expect_throttled(r, what, window=WINDOW):
    expect_problem(r, 429, "rate_limited")
    ra = r.header("retry-after")
    expect(ra is not None and ra.isdigit() and 1 <= int(ra) <= window,
           f"{what}: Retry-After {ra!r}, expected an integer 1..{window}")
    return int(ra)


def test_throttle_across_instances():
    with harness.Instance(config=CONFIG) as a, harness.Instance(config=CONFIG, share=a) as b:
        token = a.login()
        alice, alice_pw = make_user(a, token)

        # wrong user and wrong password: the same answer
        # the server starts the window between these two instants: hammer inside it by the
        # first, wait for its end by the second (a loaded machine can take seconds between them)
        sent = time.monotonic()
        wrong_pw = login(a, alice, "not-the-password-1")
        first_failure = time.monotonic()
        wrong_user = login(b, "nobody-" + harness.uid(), "not-the-password-1")
        expect_problem(wrong_pw, 401, "invalid_credentials")
        expect_problem(wrong_user, 401, "invalid_credentials")
        expect(wrong_pw.json == wrong_user.json, f"unknown user and wrong password answer differently:\n"
                                                  f"  {wrong_pw.text}\n  {wrong_user.text}")
        for i, d in enumerate([b, a][:MAX_FAILURES - 1]):
            expect_problem(login(d, alice, f"not-the-password-{i + 2}"), 401, "invalid_credentials")
        # throttled on both instances, even with the right password
        for d, what in ((a, "instance 1"), (b, "instance 2")):
            expect_throttled(login(d, alice, alice_pw), f"right password after {MAX_FAILURES} failures, {what}")
        # hammer while throttled: none of these may extend the window
        hammered, last_ra = 0, WINDOW
        while time.monotonic() < sent + WINDOW - 0.5:
            d = (a, b)[hammered % 2]
            r = login(d, alice, alice_pw if hammered % 3 else "still-wrong-password")
            ra = expect_throttled(r, f"attempt {hammered} while throttled")
            expect(ra <= last_ra, f"Retry-After grew from {last_ra} to {ra} while throttled")
            last_ra = ra
            hammered += 1
            time.sleep(0.25)
        expect(hammered >= 5, f"only {hammered} attempts while throttled (machine too slow?)")
        # the window of the first failure passes: the right password works at once, on both instances
        time.sleep(max(0.0, first_failure + WINDOW + 0.6 - time.monotonic()))
        r = login(b, alice, alice_pw)
        waited = time.monotonic() - first_failure
        expect(r.status == 200 and "token" in (r.json or {}),
               f"login {waited:.1f} s after the first failure (window {WINDOW} s, {hammered} attempts made "
               f"while throttled): {r}")
        expect(login(a, alice, alice_pw).status == 200, "login on instance 1 after the window")

        # a success does not reset the count
        bob, bob_pw = make_user(a, token)
        expect_problem(login(a, bob, "wrong-password-1"), 401, "invalid_credentials")
        expect(login(b, bob, bob_pw).status == 200, "bob's right password after one failure")
        for i in range(MAX_FAILURES - 1):
            expect_problem(login((b, a)[i % 2], bob, f"wrong-password-{i + 2}"), 401, "invalid_credentials")
        expect_throttled(login(a, bob, bob_pw), f"{MAX_FAILURES} failures around one success")

        # an unknown username is throttled like a known one (no user enumeration)
        ghost = "ghost-" + harness.uid()
        for i in range(MAX_FAILURES):
            expect_problem(login((a, b)[i % 2], ghost, "whatever-password"), 401, "invalid_credentials")
        expect_throttled(login(b, ghost, "whatever-password"), "unknown user after the failures")
        print(f"throttle: {MAX_FAILURES} failures over 2 instances -> 429 on both; {hammered} throttled attempts "
              f"did not extend the {WINDOW} s window (login ok after {waited:.1f} s); success does not reset")


def test_concurrent_guesses_are_throttled():
    """30 wrong passwords for one user at once, through both instances: at most
    login_max_failures of them may be checked (401); the rest must be 429. Otherwise the
    limit is bypassed by sending the guesses in parallel."""
    config = {"security": {"login_max_failures": str(MAX_FAILURES), "login_window": "60"}}
    with harness.Instance(config=config) as a, harness.Instance(config=config, share=a) as b:
        token = a.login()
        user, password = make_user(a, token)
        results = harness.race([lambda d=d, i=i: d.request("POST", "/api/v1/auth/login", timeout=60, json_body={
            "username": user, "password": f"guess-number-{i:04d}"}) for i, d in enumerate([a, b] * 15)])
        errors = [r for r in results if isinstance(r, Exception)]
        expect(not errors, f"guesses raised: {errors[:3]}")
        tally = {s: [r.status for r in results].count(s) for s in {r.status for r in results}}
        expect(set(tally) <= {401, 429}, f"30 concurrent guesses: {tally}")
        checked = tally.get(401, 0)
        print(f"throttle: 30 concurrent wrong passwords through 2 instances -> {tally}")
        expect(checked <= MAX_FAILURES, f"{checked} of 30 concurrent wrong passwords were checked (401) with "
                                        f"login_max_failures = {MAX_FAILURES}: parallel guesses bypass the limit")
        expect_throttled(login(b, user, password), "the right password after the guesses", 60)


def cpu_per_login(d, username, password, n, expect_status):
    """Daemon CPU seconds per sequential login (the KDF dominates)."""
    before = d.cpu_seconds()
    started = time.monotonic()
    for i in range(n):
        user = username(i) if callable(username) else username
        r = login(d, user, password)
        expect(r.status == expect_status, f"login {i} of {user}: {r}")
    return (d.cpu_seconds() - before) / n, (time.monotonic() - started) / n


# /healthz prober in its own process (so the client threads' GIL does not add to the figures):
# probes on new connections until its stdin closes, then prints "seconds-since-start latency-ms".
PROBER = r"""
import http.client, select, sys, time
port, out, t0 = int(sys.argv[1]), [], time.monotonic()
while not select.select([sys.stdin], [], [], 0)[0]:
    t = time.monotonic()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/healthz")
    r = c.getresponse()
    r.read()
    c.close()
    out.append((t, (time.monotonic() - t) * 1000, r.status))
    time.sleep(0.002)
for t, ms, status in out:
    print(f"{t:.4f} {ms:.3f} {status}")
"""


def burst_with_probe(d, user, password):
    """BURST concurrent logins while a separate process probes /healthz; returns
    (latencies in ms of the probes that started during the burst, burst seconds)."""
    prober = subprocess.Popen([sys.executable, "-c", PROBER, str(d.port)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)
        results = []
        logins = [threading.Thread(target=lambda: results.append(login(d, user, password).status), daemon=True)
                  for _ in range(BURST)]
        started = time.monotonic()
        for t in logins:
            t.start()
        for t in logins:
            t.join(60)
        ended = time.monotonic()
        out, _ = prober.communicate("stop\n", timeout=30)
    finally:
        if prober.poll() is None:
            prober.kill()
            prober.wait()
    expect(sorted(results) == [200] * BURST, f"burst logins: {sorted(results)}")
    probes = [line.split() for line in out.splitlines()]
    expect(all(p[2] == "200" for p in probes), "a /healthz probe did not get 200")
    during = [float(ms) for t, ms, _ in probes if started <= float(t) <= ended]
    expect(len(during) >= 5, f"only {len(during)} /healthz probes during a {ended - started:.2f} s burst")
    return during, ended - started


def test_kdf_cost_and_event_loop():
    with harness.Instance(config={"security": {"login_max_failures": "1000"}}) as d:
        token = d.login()
        user, password = make_user(d, token)
        login(d, user, password)  # warm-up
        cpu_ok, wall_ok = cpu_per_login(d, user, password, 8, 200)
        cpu_bad, wall_bad = cpu_per_login(d, lambda i: f"ghost-{i}-{harness.uid()}", "wrong-password-x", 8, 401)
        expect(cpu_bad > cpu_ok * 0.5, f"an unknown user's login costs {cpu_bad * 1000:.0f} ms CPU, a known "
                                       f"user's {cpu_ok * 1000:.0f} ms: no dummy KDF?")

        idle = []
        for _ in range(30):
            t = time.perf_counter()
            d.request("GET", "/healthz")
            idle.append((time.perf_counter() - t) * 1000)
        # the machine may be busy with other work: a second burst when the first exceeds the bound
        # (a KDF on an event loop delays /healthz by hundreds of ms every time)
        figures = []
        for attempt in range(2):
            during, burst = burst_with_probe(d, user, password)
            figures.append(f"p50 {statistics.median(during):.1f} ms p95 "
                           f"{sorted(during)[int(len(during) * 0.95)]:.1f} ms max {max(during):.1f} ms "
                           f"({len(during)} probes in {burst:.2f} s)")
            if max(during) < HEALTHZ_BOUND_MS:
                break
        print(f"kdf: {cpu_ok * 1000:.0f} ms CPU per login (wall {wall_ok * 1000:.0f} ms), unknown user "
              f"{cpu_bad * 1000:.0f} ms CPU (wall {wall_bad * 1000:.0f} ms); /healthz idle p50 "
              f"{statistics.median(idle):.1f} ms max {max(idle):.1f} ms; during {BURST} concurrent logins: "
              + "; retry: ".join(figures))
        expect(max(during) < HEALTHZ_BOUND_MS, f"/healthz took up to {max(during):.1f} ms during the login burst, "
                                               f"twice (bound {HEALTHZ_BOUND_MS} ms): does the KDF block an event loop?")


ADDRESS_MAX = 5


def test_address_limit_before_hashing():
    config = {"security": {"login_address_max_failures": str(ADDRESS_MAX), "login_window": "60"}}
    with harness.Instance(config=config) as d:
        kdf_cpu, _ = cpu_per_login(d, lambda i: f"ghost-{i}-{harness.uid()}", "wrong-password-x", ADDRESS_MAX,
                                   401)
        ra = expect_throttled(login(d, harness.ADMIN_USER, d.admin_password), "right password, address over its limit",
                              window=60)
        n = 20
        before, started = d.cpu_seconds(), time.monotonic()
        for i in range(n):
            expect_throttled(login(d, f"other-{i}-{harness.uid()}", "another-password"), f"throttled attempt {i}",
                             window=60)
        cpu, wall = (d.cpu_seconds() - before) / n, (time.monotonic() - started) / n
        print(f"address limit: after {ADDRESS_MAX} failures 429 (Retry-After {ra}); a failed login costs "
              f"{kdf_cpu * 1000:.0f} ms CPU, a 429 {cpu * 1000:.1f} ms CPU ({wall * 1000:.1f} ms wall)")
        expect(cpu < kdf_cpu / 4, f"a throttled login costs {cpu * 1000:.1f} ms CPU against {kdf_cpu * 1000:.0f} ms "
                                  f"for a checked one: is the KDF run before the address limit?")


def forwarded(d, addresses, username, password, timeout=30):
    """A login through a proxy at 127.0.0.1: one X-Forwarded-For line per item of ADDRESSES."""
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=timeout)
    try:
        body = json.dumps({"username": username, "password": password})
        conn.putrequest("POST", "/api/v1/auth/login")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(len(body)))
        for line in addresses:
            conn.putheader("X-Forwarded-For", line)
        conn.endheaders(body.encode())
        r = conn.getresponse()
        return harness.Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        conn.close()


def fail_logins(d, addresses, n):
    for i in range(n):
        expect_problem(forwarded(d, addresses, f"ghost-{i}-{harness.uid()}", "wrong-password-x"), 401,
                       "invalid_credentials")


def test_forwarded_for_from_trusted_proxy():
    security = {"login_address_max_failures": str(ADDRESS_MAX), "login_window": "60"}
    trusted = {"security": security, "server": {"trusted_proxies": "127.0.0.1, 10.0.0.0/8"}}
    with harness.Instance(config=trusted) as d:
        admin, pw = harness.ADMIN_USER, d.admin_password
        # the client's hop is the last one not a trusted proxy: 10.1.1.1 is one, so 203.0.113.1 is counted
        fail_logins(d, ["198.51.100.7, 203.0.113.1, 10.1.1.1"], ADDRESS_MAX)
        expect_throttled(forwarded(d, ["203.0.113.1"], admin, pw), "forwarded address over its limit", 60)
        # a proxy that adds its own header line: the last line counts, not what the client sent
        expect_throttled(forwarded(d, ["192.0.2.50", "203.0.113.1"], admin, pw), "client's own header line first", 60)
        expect(forwarded(d, ["203.0.113.1", "203.0.113.2"], admin, pw).status == 200,
               "another forwarded address is counted apart")
        expect(forwarded(d, ["::ffff:203.0.113.2"], admin, pw).status == 200, "a mapped IPv6 address")
        expect_throttled(forwarded(d, ["::ffff:203.0.113.1"], admin, pw), "203.0.113.1 written IPv4-mapped", 60)
        expect(forwarded(d, [], admin, pw).status == 200, "the proxy itself, without the header")
    untrusted = {"security": security}
    with harness.Instance(config=untrusted) as d:
        fail_logins(d, ["203.0.113.1"], ADDRESS_MAX)
        expect_throttled(forwarded(d, ["203.0.113.2"], harness.ADMIN_USER, d.admin_password),
                         "X-Forwarded-For from a peer that is not trusted must be ignored", 60)
    print("forwarded-for: believed only from a trusted peer; two forwarded addresses counted apart")


def test_login_flood():
    """Random usernames from random addresses: every one is hashed, until the KDF queue is full."""
    config = {"server": {"trusted_proxies": "127.0.0.1"}}
    with harness.Instance(config=config) as d:
        n = 300
        calls = [lambda i=i: forwarded(d, [f"198.18.{i // 250}.{i % 250 + 1}"], f"flood-{i}-{harness.uid()}",
                                       "flood-password-x", timeout=180) for i in range(n)]
        meanwhile = []

        def real_user():
            time.sleep(0.5)
            meanwhile.append(forwarded(d, ["192.0.2.1"], harness.ADMIN_USER, d.admin_password, timeout=180))

        t = threading.Thread(target=real_user)
        started = time.monotonic()
        t.start()
        results = harness.race(calls, threads=n)
        t.join(180)
        took = time.monotonic() - started
        errors = [r for r in results if isinstance(r, Exception)]
        expect(not errors, f"flood requests raised: {errors[:3]}")
        statuses = [r.status for r in results]
        counts = {s: statuses.count(s) for s in sorted(set(statuses))}
        expect(set(counts) <= {401, 429}, f"flood answers {counts}: only 401 and 429 allowed (never 503)")
        for r in results:
            if r.status == 429:
                expect_throttled(r, "flood login", window=900)
        expect(meanwhile and meanwhile[0].status in (200, 429), f"the real user's login during the flood: "
                                                                f"{meanwhile[0] if meanwhile else 'none'}")
        after = forwarded(d, ["192.0.2.1"], harness.ADMIN_USER, d.admin_password)
        expect(after.status == 200, f"the real user's login after the flood: {after}")
        print(f"flood: {n} concurrent logins in {took:.1f} s: {counts}; real user meanwhile "
              f"{meanwhile[0].status}, afterwards {after.status}")


if __name__ == "__main__":
    harness.main(globals())
