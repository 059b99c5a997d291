"""Operations and HTTP edge cases: health, readiness, metrics, request ids, security
headers, and the error answers of the HTTP layer (404, 405, 415, 413, 400)."""

import functools
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem  # noqa: E402

MAX_BODY = 4096
LOGIN = "/api/v1/auth/login"


def test_healthz(d):
    r = d.request("GET", "/healthz")
    expect(r.status == 200, f"/healthz: {r}")
    expect(r.json == {"status": "ok"} or (r.json or {}).get("status") == "ok", f"/healthz body: {r}")


def test_readyz(d):
    r = d.request("GET", "/readyz")
    expect(r.status == 200, f"/readyz: {r}")


def test_metrics_has_histogram(d):
    d.request("GET", "/healthz")
    r = d.request("GET", "/metrics")
    expect(r.status == 200, f"/metrics: {r}")
    ctype = r.header("content-type", "")
    expect(ctype.startswith(("text/plain", "application/openmetrics-text")), f"/metrics content type {ctype!r}")
    expect("# TYPE" in r.text, "no # TYPE lines")
    expect("_bucket{" in r.text and 'le="+Inf"' in r.text, "no histogram buckets (with le=\"+Inf\")")
    expect("_count" in r.text and "_sum" in r.text, "histogram without _sum/_count")


def test_request_id_echoed_or_made(d):
    r = d.request("GET", "/healthz", headers={"X-Request-Id": "it-req-0123456789"})
    expect(r.header("x-request-id") == "it-req-0123456789", f"X-Request-Id not echoed: {r.headers}")
    r = d.request("GET", "/healthz")
    expect(r.header("x-request-id"), "no X-Request-Id made up when the client sent none")
    other = d.request("GET", "/healthz")
    expect(other.header("x-request-id") != r.header("x-request-id"), "two requests got one X-Request-Id")


def test_insane_request_id_replaced(d):
    bad = "x" * 2000
    r = d.request("GET", "/healthz", headers={"X-Request-Id": bad})
    expect(r.status == 200, f"long X-Request-Id: {r}")
    expect(r.header("x-request-id") not in (None, "", bad), "a 2000-char X-Request-Id was echoed")


def test_security_headers(d):
    for path in ("/healthz", "/api/v1/me", "/no-such-path"):
        r = d.request("GET", path)
        expect(r.header("x-content-type-options") == "nosniff", f"{path}: X-Content-Type-Options {r.header('x-content-type-options')!r}")
    r = d.request("GET", "/api/v1/me")
    expect("no-store" in r.header("cache-control", ""), f"/api/: Cache-Control {r.header('cache-control')!r}")


def test_unknown_route_404_problem(d):
    expect_problem(d.request("GET", "/no-such-path"), 404, "not_found")
    token = d.login()
    expect_problem(d.request("GET", "/api/v1/no-such-collection", token=token), 404, "not_found")


def test_wrong_method_405_with_allow(d):
    r = d.request("DELETE", "/healthz")
    expect_problem(r, 405, "method_not_allowed")
    allow = [m.strip() for m in r.header("allow", "").split(",")]
    expect("GET" in allow, f"Allow header {r.header('allow')!r} lacks GET")
    r = d.request("GET", LOGIN)
    expect_problem(r, 405, "method_not_allowed")
    expect("POST" in r.header("allow", ""), f"Allow header {r.header('allow')!r} lacks POST")


def test_body_without_json_content_type_415(d):
    body = '{"username": "admin", "password": "whatever-long-enough"}'
    expect_problem(d.request("POST", LOGIN, body, content_type="text/plain"), 415, "unsupported_media_type")
    expect_problem(d.request("POST", LOGIN, body), 415, "unsupported_media_type")


def test_json_content_type_with_charset_accepted(d):
    r = d.request("POST", LOGIN, '{"username": "admin", "password": "wrong-password-123"}',
                  content_type="application/json; charset=utf-8")
    expect_problem(r, 401, "invalid_credentials")


def test_body_over_max_body_413(d):
    big = '{"username": "' + "a" * (MAX_BODY * 2) + '", "password": "x"}'
    expect_problem(d.request("POST", LOGIN, big, content_type="application/json"), 413, "payload_too_large")
    # the daemon still serves after refusing
    expect(d.request("GET", "/healthz").status == 200, "no /healthz after a 413")


def test_invalid_json_400(d):
    for body in ('{"username": ', "not json", "[1, 2]", "", "null"):
        r = d.request("POST", LOGIN, body, content_type="application/json")
        expect_problem(r, 400, "invalid_json")


def test_problem_in_indonesian(d):
    r = d.request("GET", "/no-such-path", headers={"Accept-Language": "id"})
    en = d.request("GET", "/no-such-path")
    expect_problem(r, 404, "not_found")
    expect(r.json.get("title") and r.json.get("title") != en.json.get("title"),
           f"Accept-Language: id gave the English title {r.json.get('title')!r}")


if __name__ == "__main__":
    harness.main(globals(), fixture=functools.partial(harness.Instance, config={"server": {"max_body": str(MAX_BODY)}}))
