"""Request framing at the HTTP edge (API.md §3): chunked bodies by RFC 9112 §7.1 exactly
(oversized chunk sizes 413 at once with nothing buffered, malformed size lines and a
missing CRLF after chunk data 400, bounded size lines and trailers), and the security
headers of every answer: the same list on API and console answers, and
Strict-Transport-Security on a TLS listener only."""

import os
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


def read_response(sock, timeout=5.0):
    """One response from SOCK: a harness.Response (body by Content-Length), and whether the
    daemon closed the connection after it (EOF or reset within a short wait)."""
    sock.settimeout(timeout)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed before a whole head: {buf!r}")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    fields = [(n.strip().lower(), v.strip()) for n, _, v in (line.partition(":") for line in lines[1:])]
    headers = dict(fields)
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("connection closed inside the body")
        rest += chunk
    r = harness.Response(status, headers, rest[:length])
    r.names = [n for n, _ in fields]  # every field name, repeats included
    return r


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
        r = read_response(s, timeout)
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
                r = read_response(s, timeout=3)
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
                r = read_response(s, timeout=3)
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
            expect_problem(read_response(s), 401, "invalid_credentials")
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


def tls_request(port, payload, ctx):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(payload)
            return read_response(s)


def test_hsts_on_every_tls_answer(_shared):
    """Its own daemon, on a TLS listener."""
    with tempfile.TemporaryDirectory(prefix="abipraya-framing-") as tmp:
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        out = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                              "-nodes", "-days", "2", "-subj", "/CN=localhost",
                              "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                              "-keyout", key, "-out", cert], capture_output=True, text=True)
        expect(out.returncode == 0, f"openssl req: {out.stderr}")
        os.chmod(key, 0o600)
        ctx = ssl.create_default_context(cafile=cert)
        config = {"server": {"tls_cert": cert, "tls_key": key, "max_body": str(MAX_BODY)}}
        with harness.Instance(config=config, start=False) as d:
            d.start(wait=False)
            healthz = b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
            r = harness.wait_for(lambda: _try_tls(d, healthz, ctx), timeout=30)
            expect(r is not None, f"no TLS /healthz within 30 s:\n{d.stderr()[-2000:]}")
            answers = {
                "200": r,
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
