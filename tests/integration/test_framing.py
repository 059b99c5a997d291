"""Request framing at the HTTP edge (API.md §3): chunked bodies by RFC 9112 §7.1 exactly
(oversized chunk sizes 413 at once with nothing buffered, malformed size lines and a
missing CRLF after chunk data 400, bounded size lines and trailers), and the security
headers of every answer: the same list on API and console answers, and
Strict-Transport-Security on a TLS listener only. After an error answer that ends the
connection the daemon lingers (half-closed, reading and dropping, bounded): a client that
sends its whole oversized body before reading gets the 413 over plain TCP and TLS, memory
stays flat, and a lingering connection is the first to go at the cap and goes at SIGTERM."""

import contextlib
import os
import select
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem  # noqa: E402

MAX_BODY = 4096
LOGIN = "/api/v1/auth/login"
SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}
HSTS = "max-age=31536000"


def chunked_head(path=LOGIN):
    return (f"POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()


def closed_after(sock, timeout=3.0):
    """True when the daemon closes SOCK (EOF or reset) within TIMEOUT."""
    sock.settimeout(timeout)
    try:
        while True:
            if not sock.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def exchange(d, payload, timeout=5.0, check_close=True):
    """Sends PAYLOAD on a new connection; returns (response, closed afterwards: None
    without CHECK_CLOSE)."""
    with socket.create_connection(("127.0.0.1", d.port), timeout=timeout) as s:
        s.sendall(payload)
        r = harness.read_raw_response(s, timeout)
        return r, closed_after(s) if check_close else None


def stream(sock, total, stop):
    """Sends TOTAL bytes of hex digits on SOCK until done, STOP is set, or the peer goes."""
    piece = b"a" * 65536
    sent = 0
    try:
        while sent < total and not stop.is_set():
            sock.sendall(piece)
            sent += len(piece)
    except OSError:
        pass


def test_oversized_chunk_size_413_at_once_without_buffering(d):
    """A 1-byte chunk, then a size line past max_body (and past 2^64 - 1 - 1, where the
    old sum wrapped), then 50 MB: 413 within 1 s, the daemon's RSS grows < 5 MB."""
    for size_line in (b"FFFFFFFFFFFFFFFF", b"FFFFFFFFFFFFFFFF;x=y", b"1001"):
        rss_before = harness.rss_kb(d.proc.pid)
        s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
        stop = threading.Event()
        sender = None
        try:
            s.sendall(chunked_head() + b"1\r\na\r\n" + size_line + b"\r\n")
            started = time.monotonic()
            sender = threading.Thread(target=stream, args=(s, 50 * 1024 * 1024, stop), daemon=True)
            sender.start()
            try:
                r = harness.read_raw_response(s, timeout=3)
            except socket.timeout:
                raise AssertionError(f"{size_line!r}: no answer within 3 s "
                                     f"(RSS {rss_before} -> {harness.rss_kb(d.proc.pid)} KiB)")
            elapsed = time.monotonic() - started
            expect_problem(r, 413, "payload_too_large")
            expect(elapsed < 1.0, f"{size_line!r}: 413 after {elapsed:.2f} s")
            expect(closed_after(s), f"{size_line!r}: connection left open after the 413")
        finally:
            stop.set()
            if sender:
                sender.join(10)
            s.close()
        growth = harness.rss_kb(d.proc.pid) - rss_before
        print(f"  {size_line.decode()}: 413 in {elapsed * 1000:.0f} ms, RSS growth {growth} KiB")
        expect(growth < 5 * 1024, f"{size_line!r}: RSS grew {growth} KiB")
    expect(d.request("GET", "/healthz").status == 200, "no /healthz after the 413s")


def test_chunks_summing_past_max_body_413(d):
    # the first chunk fits exactly; one more byte does not
    half = MAX_BODY // 2
    body = f"{half:x}\r\n".encode() + b"x" * half + b"\r\n" + f"{half:x}\r\n".encode() + b"x" * half + b"\r\n"
    r, closed = exchange(d, chunked_head() + body + b"1\r\n")
    expect_problem(r, 413, "payload_too_large")
    expect(closed, "connection open after the 413")


def test_malformed_size_lines_400(d):
    for line in (b"-1", b"+1", b"0x10", b" 1", b"1 ", b"1 2", b"", b"g", b";a", b"1;", b"1;a=",
                 b"00000000000000001", b"1FFFFFFFFFFFFFFFF", b"1\n"):
        # "1\n" and the rest: a line ended by CRLF that is not a chunk size
        r, closed = exchange(d, chunked_head() + line + b"\r\n" + b"a" * 20 + b"\r\n0\r\n\r\n")
        expect_problem(r, 400, "bad_request")
        expect(closed, f"{line!r}: connection open after the 400")


def test_missing_crlf_after_chunk_data_400(d):
    # "a1\r\n": without the check the '1' became the next chunk size
    for body in (b"1\r\na1\r\nb\r\n0\r\n\r\n", b"3\r\nabcXY\r\n0\r\n\r\n", b"3\r\nabc\n0\r\n\r\n",
                 b"3\r\nabc\r\r\n0\r\n\r\n"):
        r, closed = exchange(d, chunked_head() + body)
        expect_problem(r, 400, "bad_request")
        expect(closed, f"{body!r}: connection open after the 400")


def test_size_line_too_long_400_without_its_end(d):
    """An endless size line (or extension) is refused before its CRLF ever comes."""
    for prefix in (b"1;a=", b"0" * 20, b"1;" + b"x" * 10):
        with socket.create_connection(("127.0.0.1", d.port), timeout=5) as s:
            s.sendall(chunked_head() + prefix)
            stop = threading.Event()
            sender = threading.Thread(target=stream, args=(s, 1024 * 1024, stop), daemon=True)
            sender.start()
            try:
                r = harness.read_raw_response(s, timeout=3)
            finally:
                stop.set()
                sender.join(10)
            expect_problem(r, 400, "bad_request")


def test_valid_chunked_body_with_extensions_and_trailer(d):
    body = b'{"username": "nobody-here", "password": "wrong-password-123"}'
    parts = [body[:10], body[10:11], body[11:]]
    wire = (f"{len(parts[0]):X};name\r\n".encode() + parts[0] + b"\r\n" +
            f"{len(parts[1]):x} ; a = b ; q=\"x;\\\"y\"\r\n".encode() + parts[1] + b"\r\n" +
            f"{len(parts[2]):08x}\r\n".encode() + parts[2] + b"\r\n" +
            b"0;last\r\nX-Checksum: abc\r\nX-Other:\r\n\r\n")
    with socket.create_connection(("127.0.0.1", d.port), timeout=5) as s:
        # the same request twice on one connection: the framing left nothing behind
        s.sendall(chunked_head() + wire + chunked_head() + wire)
        for _ in range(2):
            expect_problem(harness.read_raw_response(s, timeout=5), 401, "invalid_credentials")
    # a body of exactly max_body in chunks is read (then judged as JSON)
    exact = f"{MAX_BODY - 1:x}\r\n".encode() + b"x" * (MAX_BODY - 1) + b"\r\n1\r\nx\r\n0\r\n\r\n"
    r, _ = exchange(d, chunked_head() + exact, check_close=False)
    expect_problem(r, 400, "invalid_json")


def test_trailers_checked_and_bounded(d):
    r, closed = exchange(d, chunked_head() + b"2\r\n{}\r\n0\r\nnot a field\r\n\r\n")
    expect_problem(r, 400, "bad_request")
    expect(closed, "connection open after a malformed trailer")
    # many small trailer lines, 16 KiB in all: each line is short, the section is not
    lines = b"".join(b"X-T%05d: %s\r\n" % (i, b"v" * 40) for i in range(500))
    r, closed = exchange(d, chunked_head() + b"2\r\n{}\r\n0\r\n" + lines + b"\r\n")
    expect_problem(r, 431, "bad_request")
    expect(closed, "connection open after an oversized trailer section")


def test_security_headers_on_api_and_console(d):
    """One list on every answer: 200, 404, 413, a protocol 400, and the console's page
    (which keeps its own CSP); no HSTS on a plain listener."""
    answers = {
        "200 /healthz": d.request("GET", "/healthz"),
        "404 /api": d.request("GET", "/api/v1/no-such-thing"),
        "413": d.request("POST", LOGIN, "x" * (MAX_BODY + 1), content_type="application/json"),
        "400 chunked": exchange(d, chunked_head() + b"-1\r\n", check_close=False)[0],
        "console": d.request("GET", "/"),
    }
    expect(answers["console"].status == 200, f"console: {answers['console']}")
    for what, r in answers.items():
        for name, value in SECURITY.items():
            expect(r.header(name) == value, f"{what}: {name} {r.header(name)!r}")
        expect(r.header("strict-transport-security") is None, f"{what}: HSTS on a plain listener")
        csp = r.header("content-security-policy") or ""
        expect("frame-ancestors 'none'" in csp, f"{what}: Content-Security-Policy {csp!r}")
    expect(answers["404 /api"].header("content-security-policy") == "default-src 'none'; frame-ancestors 'none'",
           f"API CSP {answers['404 /api'].header('content-security-policy')!r}")
    expect("script-src 'self'" in answers["console"].header("content-security-policy"),
           "the console's page lost its own CSP")
    for path in ("/", "/api/v1/no-such-thing"):
        r, _ = exchange(d, f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode(),
                        check_close=False)
        for name in list(SECURITY) + ["content-security-policy"]:
            expect(r.names.count(name) == 1, f"{path}: {name} sent {r.names.count(name)} times")


# ------------------------------------------------------------------ lingering close
# After an error answer that ends the connection, the daemon shuts its sending side and
# reads and drops what the client still sends, for LINGER_SECS or LINGER_BYTES, whichever
# first (RFC 9112 section 9.6; docs/openapi.yaml): a client that sends its whole body before
# reading gets the answer, not a reset.
LINGER_SECS = 2
LINGER_BYTES = 4 * 1024 * 1024
BIG = 3 * 1024 * 1024  # far over max_body, under LINGER_BYTES


def oversized(what, length=BIG, body=True):
    """A request the daemon refuses with 413: by Content-Length, or by its first chunk's
    size line; with BODY, the whole body of LENGTH bytes follows."""
    if what == "Content-Length":
        head = (f"POST {LOGIN} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                f"Content-Length: {length}\r\n\r\n").encode()
        return head + (b"x" * length if body else b"")
    head = chunked_head() + f"{length:x}\r\n".encode()
    return head + (b"x" * length + b"\r\n0\r\n\r\n" if body else b"")


def plain_connect(port, sndbuf=None):
    """A connection factory; SNDBUF: the client's send buffer, set before it connects."""
    def connect():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if sndbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
        return s
    return connect


def tls_connect(port, ctx):
    return lambda: ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                   server_hostname="localhost")


def whole_body_then_answer(connect, rounds=30):
    """ROUNDS times each way: the whole BIG body is sent before a byte is read, then the
    whole 413 problem arrives and the connection ends."""
    for what in ("Content-Length", "chunked"):
        wire = oversized(what)
        for i in range(rounds):
            with connect() as s:
                try:
                    s.sendall(wire)
                    r = harness.read_raw_response(s, timeout=5)
                except (OSError, AssertionError) as e:
                    raise AssertionError(f"{what}, round {i + 1}: no whole 413 after sending the body ({e!r})")
                expect_problem(r, 413, "payload_too_large")
                expect(r.header("connection") == "close", f"{what}: Connection {r.header('connection')!r}")
                expect(closed_after(s), f"{what}: the connection stayed open after the 413")


def test_whole_body_sent_before_reading_gets_the_413(d):
    # a small send buffer keeps the body from fitting in the kernel's buffers on loopback at
    # once: the daemon has to read it (without lingering, the body met a reset every time)
    whole_body_then_answer(plain_connect(d.port, sndbuf=64 * 1024))


def test_whole_body_sent_before_reading_gets_the_413_over_tls(_shared):
    """Over TLS a reset used to overtake the 413 in about one run in three."""
    with tls_instance() as (d, ctx):
        whole_body_then_answer(tls_connect(d.port, ctx))


def keep_sending(connect, what, interval, results, i, stop_after=3 * LINGER_SECS + 4):
    """One client: an oversized head, the 413 read, then 64 KiB every INTERVAL seconds (0: as
    fast as it can) until the daemon closes; results[i] = (seconds from the 413 to the
    close, bytes sent after the 413, time.monotonic() at the close), or an error string."""
    piece = b"a" * 65536
    sent = 0
    try:
        with connect() as s:
            s.sendall(oversized(what, body=False))
            expect_problem(harness.read_raw_response(s, timeout=5), 413, "payload_too_large")
            answered = time.monotonic()
            try:
                while time.monotonic() - answered < stop_after:
                    s.sendall(piece)
                    sent += len(piece)
                    if interval:
                        time.sleep(interval)
            except (BrokenPipeError, ConnectionResetError):
                now = time.monotonic()
                results[i] = (now - answered, sent, now)
                return
            results[i] = f"still open {stop_after} s after the 413, {sent} bytes sent"
    except Exception as e:  # noqa: BLE001 - reported by the test
        results[i] = f"{e!r}"


def run_senders(connect, specs):
    """Runs keep_sending for each (what, interval) of SPECS at once; returns the results."""
    results = [None] * len(specs)
    threads = [threading.Thread(target=keep_sending, args=(connect, what, interval, results, i), daemon=True)
               for i, (what, interval) in enumerate(specs)]
    for t in threads:
        t.start()
    return threads, results


def test_lingering_is_bounded_in_time_bytes_and_memory(d):
    """20 clients keep sending ~1 MB/s after their 413 (under LINGER_BYTES in LINGER_SECS):
    the daemon drops it all as it comes (RSS grows < 5 MB) and closes each within the time
    bound; a client sending as fast as it can is closed by the byte bound, sooner."""
    rss_before = harness.rss_kb(d.proc.pid)
    specs = [("Content-Length" if i % 2 else "chunked", 0.06) for i in range(20)] + [("Content-Length", 0)]
    threads, results = run_senders(plain_connect(d.port), specs)
    peak = rss_before
    while any(t.is_alive() for t in threads):
        peak = max(peak, harness.rss_kb(d.proc.pid))
        time.sleep(0.1)
    growth = peak - rss_before
    for i, r in enumerate(results):
        expect(isinstance(r, tuple), f"client {i}: {r}")
    slow = [r for r, (_, interval) in zip(results, specs) if interval]
    fast = results[-1]
    print(f"  20 slow senders closed {min(r[0] for r in slow):.2f}-{max(r[0] for r in slow):.2f} s "
          f"after their 413 ({max(r[1] for r in slow) // 1024} KiB sent at most); the fast one after "
          f"{fast[0]:.2f} s and {fast[1] // 1024} KiB; RSS growth {growth} KiB")
    for t, n, _ in slow:
        # not before the bound (well, a second of slack for a late reader), not long after it
        expect(LINGER_SECS - 1 <= t <= LINGER_SECS + 2.5, f"a slow sender was closed {t:.2f} s after its 413")
        expect(n < LINGER_BYTES, f"a slow sender sent {n} bytes")
    expect(fast[0] < LINGER_SECS, f"the fast sender was closed {fast[0]:.2f} s after its 413")
    expect(growth < 5 * 1024, f"RSS grew {growth} KiB while lingering")
    expect(d.request("GET", "/healthz").status == 200, "no /healthz after lingering")


def lingering(sock):
    """Whether the daemon still holds SOCK, a connection it half-closed after an answer: a
    byte sent to a closed one comes back as a reset, which fails the next send (a read
    would only see the end of the answer)."""
    try:
        sock.send(b"x")
        time.sleep(0.1)
        sock.send(b"x")
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


def test_lingering_goes_first_at_the_cap_and_at_sigterm(_shared):
    """max_connections = 16 on one worker: 8 idle connections, then 8 lingering ones after
    their 413; a new client closes the oldest lingering one, no idle one. At SIGTERM a
    lingering connection is closed at once, not at the end of its bound."""
    cap = 16
    with harness.Instance(config={"server": {"max_connections": str(cap), "workers": "1",
                                             "max_body": str(MAX_BODY)}}) as d:
        idle = [plain_connect(d.port)() for _ in range(cap // 2)]
        held = []
        for _ in range(cap // 2):
            s = plain_connect(d.port)()
            s.sendall(oversized("Content-Length", body=False))
            expect_problem(harness.read_raw_response(s, timeout=5), 413, "payload_too_large")
            held.append(s)
        started = time.monotonic()
        r, _ = exchange(d, b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", check_close=False)
        took = time.monotonic() - started
        expect(r.status == 200 and took < 1.0, f"/healthz at the cap: {r.status} after {took:.2f} s")
        alive = [lingering(s) for s in held]
        expect(alive == [False] + [True] * (len(held) - 1),
               f"lingering connections still held (oldest first): {alive}")
        # the daemon sends nothing on an idle connection: readable means closed
        idle_closed = [i for i, s in enumerate(idle) if select.select([s], [], [], 0)[0]]
        expect(not idle_closed, f"idle connections closed while lingering ones were open: {idle_closed}")
        for s in idle + held:
            s.close()

        # SIGTERM with a client sending after its 413
        threads, results = run_senders(plain_connect(d.port), [("chunked", 0.05)])
        time.sleep(0.5)
        expect(results[0] is None, f"the client's connection did not linger: {results[0]}")
        term = time.monotonic()
        d.proc.send_signal(signal.SIGTERM)
        threads[0].join(10)
        expect(isinstance(results[0], tuple), f"at SIGTERM: {results[0]}")
        after_term = results[0][2] - term
        print(f"  a lingering connection closed {after_term * 1000:.0f} ms after SIGTERM")
        expect(after_term < LINGER_SECS - 0.5, f"closed {after_term:.2f} s after SIGTERM")
        expect(d.proc.wait(30) == 0, f"abiprayad exited with {d.proc.returncode}:\n{d.stderr()[-2000:]}")


def tls_request(port, payload, ctx):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(payload)
            return harness.read_raw_response(s, timeout=5)


@contextlib.contextmanager
def tls_instance(config=None):
    """A daemon of its own on a TLS listener with a fresh self-signed certificate, and a
    client context that trusts it: yields (instance, context)."""
    with tempfile.TemporaryDirectory(prefix="abipraya-framing-") as tmp:
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        out = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                              "-nodes", "-days", "2", "-subj", "/CN=localhost",
                              "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                              "-keyout", key, "-out", cert], capture_output=True, text=True)
        expect(out.returncode == 0, f"openssl req: {out.stderr}")
        os.chmod(key, 0o600)
        ctx = ssl.create_default_context(cafile=cert)
        server = {"tls_cert": cert, "tls_key": key, "max_body": str(MAX_BODY)}
        server.update((config or {}).get("server", {}))
        with harness.Instance(config={**(config or {}), "server": server}, start=False) as d:
            d.start(wait=False)
            healthz = b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
            r = harness.wait_for(lambda: _try_tls(d, healthz, ctx), timeout=30)
            expect(r is not None, f"no TLS /healthz within 30 s:\n{d.stderr()[-2000:]}")
            d.first_answer = r
            yield d, ctx


def test_hsts_on_every_tls_answer(_shared):
    """Its own daemon, on a TLS listener."""
    with tls_instance() as (d, ctx):
        answers = {
            "200": d.first_answer,
            "404": tls_request(d.port, b"GET /api/v1/no-such-thing HTTP/1.1\r\nHost: t\r\n\r\n", ctx),
            "413": tls_request(d.port, b"POST " + LOGIN.encode() + b" HTTP/1.1\r\nHost: t\r\n"
                               b"Content-Type: application/json\r\nContent-Length: 99999\r\n\r\n", ctx),
            "413 chunked": tls_request(d.port, chunked_head() + b"FFFFFFFFFFFFFFFF\r\n", ctx),
        }
        for what, resp in answers.items():
            expect(resp.status == int(what[:3]), f"{what}: {resp}")
            expect(resp.header("strict-transport-security") == HSTS,
                   f"{what} over TLS: Strict-Transport-Security {resp.header('strict-transport-security')!r}")
            for name, value in SECURITY.items():
                expect(resp.header(name) == value, f"{what} over TLS: {name} {resp.header(name)!r}")


def _try_tls(d, payload, ctx):
    if d.proc.poll() is not None:
        raise AssertionError(f"abiprayad exited with {d.proc.returncode}:\n{d.stderr()[-2000:]}")
    try:
        r = tls_request(d.port, payload, ctx)
        return r if r.status == 200 else None
    except (OSError, ssl.SSLError):
        return None


def fixture():
    return harness.Instance(config={"server": {"max_body": str(MAX_BODY), "static_dir": "web"}})


if __name__ == "__main__":
    harness.main(globals(), fixture=fixture)
