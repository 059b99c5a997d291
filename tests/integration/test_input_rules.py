"""Input rules of issue 13 (API.md §3, §4).

- test_password_control_characters: a password holding a control character (NUL, tab,
  DEL) is 422 validation_failed with field password on POST /users and PATCH
  /users/{id}, and on login too (no prefix before a NUL ever logs in); `user-add` with
  such a password on standard input exits non-zero and adds nobody.
- test_body_rules: login and an ordinary body-taking route (POST /houses) follow one
  rule: no body at all is 400 invalid_json (also without Content-Type), an empty one
  too; a body without application/json is 415 (text/plain, application/jsonx, a
  Content-Type merely containing the words); application/json in any case and with
  parameters is accepted.
- test_csv_formula_cells: residents whose name or phone begins with =, +, -, @ are
  exported in the residents CSV with a leading ', quoted as RFC 4180 wants; other cells,
  dates and ids are unchanged."""

import csv
import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_problem  # noqa: E402


def expect_field(r, field, what):
    expect_problem(r, 422, "validation_failed")
    fields = [e.get("field") for e in r.json.get("errors", [])]
    expect(field in fields, f"{what}: errors name {fields}, expected {field!r}")


def test_password_control_characters():
    with harness.Instance() as d:  # exit 0 on SIGTERM, so ASan reports fail the test
        token = d.login()
        user = {"role": "staff", "full_name": "Petugas Uji", "house_ids": []}
        bad = (("a\u0000bbbbbbbbbbbbbb", "NUL"), ("tab\tpassword-123", "tab"), ("del\u007fpassword-123", "DEL"))
        for pw, what in bad:
            name = "u-" + harness.uid()
            r = d.request("POST", "/api/v1/users", json_body={"username": name, "password": pw, **user}, token=token)
            expect_field(r, "password", f"POST /users with a {what} in the password")
            expect_problem(d.request("POST", "/api/v1/auth/login", json_body={"username": name, "password": "a"}), 401,
                           "invalid_credentials")
        name, pw = "u-" + harness.uid(), "good-password-" + harness.uid()
        created = d.must("POST", "users", {"username": name, "password": pw, **user}, 201, token=token)
        r = d.request("PATCH", f"/api/v1/users/{created['id']}", json_body={"password": "b\u0000cccccccccccccc"},
                      token=token)
        expect_field(r, "password", "PATCH /users/{id} with a NUL in the password")
        # login: a NUL after the right password is no prefix match, and says so the same way
        r = d.request("POST", "/api/v1/auth/login", json_body={"username": name, "password": pw + "\u0000x"})
        expect_field(r, "password", "login with a NUL after the right password")
        expect(d.request("POST", "/api/v1/auth/login", json_body={"username": name, "password": pw}).status == 200,
               "the right password still logs in")
        cli_name = "cli-" + harness.uid()
        out = d.cli("user-add", cli_name, "--role", "staff", stdin="a\u0000bbbbbbbbbbbbbb\n")
        expect(out.returncode != 0 and "control characters" in out.stderr,
               f"user-add with a NUL in the password: exit {out.returncode}, {out.stderr!r}")
        count = d.psql(f"SELECT count(*) FROM app.users WHERE username = '{cli_name}'").strip()
        expect(count == "0", f"user-add refused the password but {count} user(s) exist")
        print("passwords with NUL, tab, DEL: 422 on create, patch and login; user-add refuses them")


def post(d, path, body, content_type, token=None):
    return d.request("POST", path, body=body, content_type=content_type, token=token)


def test_body_rules():
    with harness.Instance() as d:  # exit 0 on SIGTERM, so ASan reports fail the test
        token = d.login()
        login = "/api/v1/auth/login"
        creds = '{"username": "nobody-x", "password": "whatever-pass"}'
        house = '{"code": "H-%s", "name": "Griya Uji"}'
        for path, tok, body, accepted in ((login, None, creds, 401), ("/api/v1/houses", token, house, 201)):
            fill = (lambda: body % harness.uid()) if "%s" in body else (lambda: body)
            expect_problem(post(d, path, None, None, tok), 400, "invalid_json")
            expect_problem(post(d, path, b"", "application/json", tok), 400, "invalid_json")
            expect_problem(post(d, path, "[]", "application/json", tok), 400, "invalid_json")
            for ctype in (None, "text/plain", "application/jsonx", "text/plain; application/json",
                          "application/json-patch+json", "application/problem+json"):
                r = post(d, path, fill(), ctype, tok)
                expect_problem(r, 415, "unsupported_media_type")
            for ctype in ("application/json", "Application/JSON", "application/json; charset=utf-8",
                          "application/json;charset=UTF-8", " application/json "):
                r = post(d, path, fill(), ctype, tok)
                expect(r.status == accepted, f"POST {path} with Content-Type {ctype!r}: expected {accepted}, got {r}")
        print("login and POST /houses: missing body 400, wrong media type 415, application/json with parameters ok")


def test_csv_formula_cells():
    with harness.Instance() as d:  # exit 0 on SIGTERM, so ASan reports fail the test
        token = d.login()
        house = d.house(token)
        names = {'=HYPERLINK("http://x","y")': "'=HYPERLINK(\"http://x\",\"y\")", "+Budi": "'+Budi",
                 "-Sari": "'-Sari", "@Wati": "'@Wati", "Ani = Ana": "Ani = Ana"}
        made = {}
        for name in names:
            r = d.resident(token, house["id"], full_name=name, phone="+62 811 000", birth_date="1990-01-02")
            made[r["id"]] = name
        r = d.request("GET", f"/api/v1/residents?house_id={house['id']}", headers={"Accept": "text/csv"}, token=token)
        expect(r.status == 200 and r.header("content-type", "").startswith("text/csv"), f"residents CSV: {r}")
        text = r.raw.decode()
        expect('"\'=HYPERLINK(""http://x"",""y"")"' in text,
               f"the formula is not neutralised, as RFC 4180 quotes it:\n{text}")
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        expect(len(rows) == len(names), f"{len(rows)} CSV rows for {len(names)} residents")
        for row in rows:
            want = names[made[row["id"]]]
            expect(row["full_name"] == want, f"full_name {row['full_name']!r}, expected {want!r}")
            expect(row["phone"] == "'+62 811 000", f"phone {row['phone']!r}")
            expect(row["birth_date"] == "1990-01-02" and row["house_id"] == house["id"],
                   f"a date or id cell changed: {row}")
        print(f"residents CSV: {len(rows)} rows, cells beginning with = + - @ prefixed with '")


if __name__ == "__main__":
    harness.main(globals())
