"""The daemon's tables (`abiprayad spec-dump`) against the database it migrated, one daemon:
- every op of a route has its function api.op_<op with . as _>(api.ctx, jsonb), and every
  such function is some route's op (the dispatch of api.run is generated from the routes);
- every direct route has its api.direct_<op>(bytea, text[], jsonb, uuid), and back;
- every enum field that names the column it is stored in ("column", every body enum must)
  has exactly the values, in order, of that column's CHECK constraint (pg_constraint); a
  query enum without one filters on a state the database derives (a stay's status);
- the `kind` enum of GET /alerts is the first column of api.alert_kinds(), in order (the one
  table of the alert kinds, sql/api/14_alerts.sql), and every kind with a function
  api.alerts_<kind>(uuid[]) is in that table and named in api.alerts;
- the integer house settings (houses.create) have the ranges of their columns' CHECKs;
- every problem code the SQL raises (`api.fail(status, 'code'` in an api function's source,
  a row of api.constraint_problems) is in the daemon's problem table with that status, so
  its English and Indonesian titles are its own (an unknown code would borrow the first
  title of its status)."""

import json
import os
import re
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


def enum_fields(fields, where):
    """(where, field) of every enum of a field table, nested objects included."""
    for f in fields or []:
        if f["type"] in ("enum", "enum_list"):
            yield f"{where}.{f['name']}", f
        elif f["type"] == "object":
            yield from enum_fields(f["fields"], f"{where}.{f['name']}")


def check_values(d, column):
    """The values of the one-column CHECK constraints of SCHEMA.TABLE.COLUMN (IN lists read
    back as `col = ANY (ARRAY['a'::text, ...])`), or None when it has none."""
    table, col = column.rsplit(".", 1)
    defs = d.psql("SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c "
                  "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
                  f"WHERE c.conrelid = '{table}'::regclass AND c.contype = 'c' "
                  f"AND cardinality(c.conkey) = 1 AND a.attname = '{col}'").splitlines()
    if len(defs) != 1:
        return None
    return [v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'::text", defs[0])]


def test_every_enum_equals_the_check_list_of_its_column(d):
    problems, checked = [], 0
    for r in spec()["routes"]:
        name = r["op"] or f"{r['method']} {r['path']}"
        tables = [(f"{name} body", r["body"]), (f"{name} query", r["query"])]
        for where, f in (e for label, t in tables for e in enum_fields(t, label)):
            if "column" not in f:
                if " body." in where:
                    problems.append(f"{where}: a body enum names no column")
                continue
            db = check_values(d, f["column"])
            checked += 1
            if db is None:
                problems.append(f"{where}: {f['column']} has not exactly one CHECK of its own")
            elif db != f["values"]:
                problems.append(f"{where}: C {f['values']} != {f['column']} CHECK {db}")
    expect(checked > 10, f"only {checked} enums name a column")
    expect(not problems, "\n".join(problems))


def test_alert_kinds_are_the_kind_table(d):
    route = next(r for r in spec()["routes"] if r["op"] == "alerts.list")
    c = next(f for f in route["query"] if f["name"] == "kind")["values"]
    db = d.psql("SELECT kind FROM api.alert_kinds()").split()
    expect(c == db, f"C kinds {c} != api.alert_kinds() {db}")
    fns = functions(d, "alerts\\_", "uuid[]")
    expect(fns, "no api.alerts_<kind> function")
    expect({f[len("alerts_"):] for f in fns} <= set(db), f"functions of no kind: {fns}")
    body = d.psql("SELECT prosrc FROM pg_proc WHERE oid = 'api.alerts(uuid[], text[])'::regprocedure")
    missing = [f for f in fns if f"api.{f}(house_ids)" not in body]
    expect(not missing, f"kinds with a function that api.alerts does not call: {missing}")


def test_house_settings_ranges_are_the_checks(d):
    route = next(r for r in spec()["routes"] if r["op"] == "houses.create")
    checked = 0
    for f in route["body"]:
        if f["type"] != "int":
            continue
        defs = d.psql("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                      f"WHERE conname = 'houses_{f['name']}_check'").strip()
        got = [int(n) for n in re.findall(r"[<>]= (-?\d+)", defs)]
        expect(got == [f["minimum"], f["maximum"]], f"{f['name']}: C {f['minimum']}..{f['maximum']}, CHECK {defs}")
        checked += 1
    expect(checked == 8, f"{checked} integer settings checked")




def test_every_code_the_sql_raises_has_its_titles(d):
    table = {(p["code"], p["status"]) for p in spec()["problems"]}
    src = d.psql("SELECT string_agg(p.prosrc, E'\\n') FROM pg_proc p WHERE p.pronamespace = 'api'::regnamespace")
    raised = {(code, int(status)) for status, code in re.findall(r"api\.fail\((\d{3}),\s*'([a-z_]+)'", src)}
    rows = d.psql("SELECT DISTINCT code || ' ' || status FROM api.constraint_problems").split("\n")
    raised |= {(r.split()[0], int(r.split()[1])) for r in rows if r.strip()}
    expect(len(raised) > 20, f"found only {len(raised)} raised codes: {sorted(raised)}")
    expect(raised <= table, f"raised by the SQL, not in the problem table: {sorted(raised - table)}")


if __name__ == "__main__":
    harness.main(globals(), fixture=harness.Instance)
