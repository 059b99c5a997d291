#!/usr/bin/env python3
"""Small clients for tools/bench/run (standard library only).

  clients.py login    --port P --username U --password W       prints the token
  clients.py latency  --port P --token T --path PATH -n N       N sequential requests on one
                     [--churn BED,RESIDENT] [--accept TYPE]      keep-alive connection
  clients.py rollcall --port P --token T --house H -n N          N roll-calls opened and cancelled
  clients.py idle     --port P --token T --path PATH -n N --pids PID,...
  clients.py sse      --port P --token T -n N --pids PID,... [--poke-path PATH --poke-body JSON]

latency prints `LATENCY n=.. mean_ms=.. p50_ms=.. max_ms=.. bytes=.. status=..`; with --churn,
before each timed request (untimed, on another connection) RESIDENT is checked in on BED and
out again, so that every GET of a kept answer (the bed board) meets a changed house; with
--accept, the requests ask for that type (text/html: the print page, in Indonesian).
rollcall opens an extra roll-call of house H and cancels it, N times in turn on one
connection (a house has one open roll-call at a time), and prints `ROLLCALL n=.. open_mean_ms=..
open_p50_ms=.. open_max_ms=.. cancel_mean_ms=.. lines=.. status=..`: the open alone is timed
apart from its cancel.
idle opens N connections, sends one request on each and reads its answer, keeps them open
and idle, and prints the daemons' summed RSS before and after (`IDLE ...`).
sse opens N event streams (GET /api/v1/events), waits for each to say it is connected,
and prints the RSS before and after (`SSE ...`); with --poke-path it then sends one POST
and reports how many streams received an event and how long the slowest took.
"""
import argparse
import json
import selectors
import socket
import sys
import time
import http.client


def rss_kb(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def conn(port):
    return http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def cmd_login(a):
    c = conn(a.port)
    c.request("POST", "/api/v1/auth/login", json.dumps({"username": a.username, "password": a.password}),
              {"Content-Type": "application/json"})
    r = c.getresponse()
    body = r.read()
    if r.status != 200:
        sys.exit(f"login failed: {r.status} {body[:200]!r}")
    print(json.loads(body)["token"])


def must_post(c, path, body, hdr):
    c.request("POST", path, json.dumps(body), dict(hdr, **{"Content-Type": "application/json"}))
    r = c.getresponse()
    data = r.read()
    if r.status not in (200, 201):
        sys.exit(f"POST {path}: {r.status} {data[:200]!r}")
    return json.loads(data)


def churn(c, hdr, bed, resident):
    """A check-in and a check-out: the board of the bed's house changes twice."""
    stay = must_post(c, "/api/v1/stays", {"resident_id": resident, "bed_id": bed, "rules_acknowledged": True}, hdr)
    must_post(c, f"/api/v1/stays/{stay['id']}/checkout", {"exit_reason": "completed", "destination": "family"}, hdr)


def timed(c, method, path, hdr, body=None):
    """One request: (milliseconds, status, body)."""
    t0 = time.perf_counter()
    c.request(method, path, body, hdr)
    r = c.getresponse()
    data = r.read()
    return (time.perf_counter() - t0) * 1000, r.status, data


def stats(times):
    """mean, p50 and max of a list of milliseconds"""
    times = sorted(times)
    return sum(times) / len(times), times[len(times) // 2], times[-1]


def status_list(statuses):
    return ",".join(f"{k}:{v}" for k, v in sorted(statuses.items()))


def cmd_latency(a):
    c = conn(a.port)
    hdr = {"Authorization": "Bearer " + a.token}
    writer = conn(a.port) if a.churn else None
    get_hdr = dict(hdr, **({"Accept": a.accept, "Accept-Language": "id"} if a.accept else {}))
    times, size, statuses = [], 0, {}
    for i in range(a.n + 1):  # the first one warms the connection up and is not counted
        if writer:
            churn(writer, hdr, *a.churn.split(","))
        dt, status, body = timed(c, "GET", a.path, get_hdr)
        if i:
            times.append(dt)
            statuses[status] = statuses.get(status, 0) + 1
            size = len(body)
    print("LATENCY n=%d mean_ms=%.2f p50_ms=%.2f max_ms=%.2f bytes=%d status=%s" % (
        (len(times),) + stats(times) + (size, status_list(statuses))))


def cmd_rollcall(a):
    c = conn(a.port)
    hdr = {"Authorization": "Bearer " + a.token, "Content-Type": "application/json"}
    opens, cancels, lines, statuses = [], [], 0, {}
    for i in range(a.n + 1):  # the first pair warms the connection up and is not counted
        dt, status, body = timed(c, "POST", f"/api/v1/houses/{a.house}/roll-calls", hdr,
                                 json.dumps({"kind": "extra", "note": "benchmark"}))
        if status != 201:
            sys.exit(f"open: {status} {body[:200]!r}")
        rc = json.loads(body)
        dc, cstatus, cbody = timed(c, "POST", f"/api/v1/roll-calls/{rc['id']}/cancel", hdr,
                                   json.dumps({"reason": "benchmark"}))
        if cstatus != 200:
            sys.exit(f"cancel: {cstatus} {cbody[:200]!r}")
        if i:
            opens.append(dt)
            cancels.append(dc)
            statuses[status] = statuses.get(status, 0) + 1
            lines = len(rc["lines"])
    print("ROLLCALL n=%d open_mean_ms=%.2f open_p50_ms=%.2f open_max_ms=%.2f cancel_mean_ms=%.2f lines=%d status=%s" % (
        (len(opens),) + stats(opens) + (stats(cancels)[0], lines, status_list(statuses))))


def open_many(port, n, raw_request, until):
    """n sockets, each sent raw_request; returns them once `until(buffer)` holds for each."""
    sel = selectors.DefaultSelector()
    socks, bufs, done = [], {}, set()
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.setblocking(False)
        s.sendall(raw_request)
        socks.append(s)
        bufs[s] = b""
        sel.register(s, selectors.EVENT_READ)
        if i % 100 == 99:  # let the daemon accept as we go
            drain(sel, bufs, done, until, 0)
    deadline = time.monotonic() + 60
    while len(done) < n and time.monotonic() < deadline:
        drain(sel, bufs, done, until, 0.5)
    return sel, socks, bufs, done


def drain(sel, bufs, done, until, timeout):
    for key, _ in sel.select(timeout):
        s = key.fileobj
        try:
            data = s.recv(65536)
        except BlockingIOError:
            continue
        if not data:
            sel.unregister(s)
            continue
        bufs[s] += data
        if s not in done and until(bufs[s]):
            done.add(s)


def http_complete(buf):
    head, sep, body = buf.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return True


def cmd_idle(a):
    pids = [int(p) for p in a.pids.split(",")]
    before = rss_kb(pids)
    req = (f"GET {a.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {a.token}\r\n\r\n").encode()
    sel, socks, bufs, done = open_many(a.port, a.n, req, http_complete)
    ok = sum(1 for s in done if bufs[s].startswith(b"HTTP/1.1 200"))
    time.sleep(1.0)
    after = rss_kb(pids)
    still_open = sum(1 for s in socks if s.fileno() >= 0 and is_open(s))
    print("IDLE n=%d answered=%d ok=%d open=%d rss_before_kb=%d rss_after_kb=%d delta_kb=%d" % (
        a.n, len(done), ok, still_open, before, after, after - before))
    for s in socks:
        s.close()


def is_open(s):
    try:
        return s.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def cmd_sse(a):
    pids = [int(p) for p in a.pids.split(",")]
    before = rss_kb(pids)
    req = (f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
           f"Authorization: Bearer {a.token}\r\n\r\n").encode()
    sel, socks, bufs, done = open_many(a.port, a.n, req, lambda b: b": connected" in b)
    time.sleep(1.0)
    after = rss_kb(pids)
    line = "SSE n=%d connected=%d rss_before_kb=%d rss_after_kb=%d delta_kb=%d" % (
        a.n, len(done), before, after, after - before)
    if a.poke_path:
        for s in socks:
            bufs[s] = b""
        c = conn(a.port)
        t0 = time.perf_counter()
        c.request("POST", a.poke_path, a.poke_body, {"Authorization": "Bearer " + a.token,
                                                     "Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        got, slowest = set(), 0.0
        deadline = time.monotonic() + 10
        while len(got) < len(done) and time.monotonic() < deadline:
            for key, _ in sel.select(0.5):
                s = key.fileobj
                try:
                    data = s.recv(65536)
                except BlockingIOError:
                    continue
                bufs[s] += data
                if s not in got and b"\nevent: " in b"\n" + bufs[s]:
                    got.add(s)
                    slowest = (time.perf_counter() - t0) * 1000
        line += " poke_status=%d received=%d fanout_ms=%.1f" % (r.status, len(got), slowest)
    print(line)
    for s in socks:
        s.close()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("login", "latency", "rollcall", "idle", "sse"):
        s = sub.add_parser(name)
        s.add_argument("--port", type=int, required=True)
        if name == "login":
            s.add_argument("--username", required=True)
            s.add_argument("--password", required=True)
            continue
        s.add_argument("--token", required=True)
        s.add_argument("-n", type=int, default=20)
        if name in ("latency", "idle"):
            s.add_argument("--path", required=True)
        if name == "latency":
            s.add_argument("--churn", metavar="BED,RESIDENT")
            s.add_argument("--accept", metavar="TYPE")
        if name == "rollcall":
            s.add_argument("--house", required=True)
        if name in ("idle", "sse"):
            s.add_argument("--pids", required=True)
        if name == "sse":
            s.add_argument("--poke-path")
            s.add_argument("--poke-body", default="{}")
    a = p.parse_args()
    {"login": cmd_login, "latency": cmd_latency, "rollcall": cmd_rollcall, "idle": cmd_idle,
     "sse": cmd_sse}[a.cmd](a)


if __name__ == "__main__":
    main()
