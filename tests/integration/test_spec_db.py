"""The daemon's tables (`abiprayad spec-dump`) against the database it migrated, one daemon:
- every op of a route has its function api.op_<op with . as _>(api.ctx, jsonb), and every
  such function is some route's op (the dispatch of api.run is generated from the routes);
- every direct route has its api.direct_<op>(bytea, text[], jsonb, uuid), and back."""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect  # noqa: E402


def spec():
    out = subprocess.run([harness.BIN, "spec-dump"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def functions(d, prefix, args):
    """The names of the api functions starting with PREFIX that take ARGS."""
    rows = d.psql("SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'api'::regnamespace "
                  f"AND p.proname LIKE '{prefix}%' AND oidvectortypes(p.proargtypes) = '{args}'")
    return set(rows.split())


def differ(what, routes, db):
    return (f"{what}: of routes without a function {sorted(routes - db)}, "
            f"functions of no route {sorted(db - routes)}")


def test_every_op_has_its_function_and_every_function_a_route(d):
    ops = {"op_" + r["op"].replace(".", "_") for r in spec()["routes"] if r["op"]}
    db = functions(d, "op\\_", "api.ctx, jsonb")
    expect(len(ops) > 40, f"spec-dump names only {len(ops)} ops")
    expect(ops == db, differ("api.op_*", ops, db))


def test_every_direct_route_has_its_function_and_back(d):
    direct = {"direct_" + r["op"].replace(".", "_") for r in spec()["routes"] if r["direct"]}
    db = functions(d, "direct\\_", "bytea, text[], jsonb, uuid")
    expect(direct, "spec-dump names no direct route")
    expect(direct == db, differ("api.direct_*", direct, db))


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
