"""`abiprayad user-add ... --house CODE` (API.md §1): an unknown house code is an error
(non-zero exit, a message naming the code, no user created) whether or not other houses
exist, also when given next to a known code; known codes give house_ids in the order given."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect  # noqa: E402

PASSWORD = "it-cli-password-123\n"


def users_named(d, name):
    return d.psql(f"SELECT count(*) FROM app.users WHERE username = '{name}'").strip()


def refused(d, name, *houses):
    args = ["user-add", name, "--role", "staff"]
    for code in houses:
        args += ["--house", code]
    out = d.cli(*args, stdin=PASSWORD)
    expect(out.returncode != 0, f"user-add {' '.join(args[1:])} exited 0 with an unknown house code "
                                f"(stdout {out.stdout.strip()[:200]!r})")
    expect("NOPE" in out.stderr, f"the message does not name the unknown code: {out.stderr.strip()[:300]!r}")
    expect(users_named(d, name) == "0", f"user {name} was created despite the unknown house code")


def test_unknown_house_code():
    with harness.Instance() as d:
        refused(d, "cli-a-" + harness.uid(), "NOPE")                   # no house exists yet
        token = d.login()
        one = d.house(token)
        two = d.house(token)
        refused(d, "cli-b-" + harness.uid(), "NOPE")                   # houses exist, none with that code
        refused(d, "cli-c-" + harness.uid(), one["code"], "NOPE")      # a known code next to an unknown one
        name = "cli-d-" + harness.uid()
        out = d.cli("user-add", name, "--role", "manager", "--house", two["code"], "--house", one["code"],
                    stdin=PASSWORD)
        expect(out.returncode == 0, f"user-add with two known houses: {out.returncode} {out.stderr[-300:]}")
        got = d.psql(f"SELECT array_to_string(house_ids, ',') FROM app.users WHERE username = '{name}'").strip()
        expect(got == f"{two['id']},{one['id']}", f"house_ids {got!r}, expected the order given")
        print("cli user-add: unknown --house code refused with and without other houses; order kept")


if __name__ == "__main__":
    harness.main(globals())
