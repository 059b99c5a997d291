"""docs/openapi.yaml against the code, and the daemon serving it.

Static checks (no PostgreSQL, no server; they always run) against the tables the binary
prints with `abiprayad spec-dump`: the paths and methods of the document are exactly the
routes; each operation's operationId and x-roles are the route's op name and roles;
request bodies have the fields, required members, types, lengths and enums of the route's
body table; query parameters are the route's query table (+ limit and cursor on lists);
text/csv is offered exactly where the route allows it; Problem.code lists the problem
codes.

With a daemon (ABIPRAYA_TEST_PGURL set): GET /api/v1/openapi.yaml answers the very bytes of
docs/openapi.yaml. Exit 77 only when the static checks passed and a daemon test was
selected but ABIPRAYA_TEST_PGURL is unset.

The YAML is read with a small line-based reader (standard library only), so the document
keeps one regular style: two-space indentation, paths at indent 2, methods at indent 4,
operation members at indent 6, flow lists on one line (`x-roles: [a, b]`,
`required: [a, b]`, `enum: [a, b]`), components under `components:` at indent 2/4."""

import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect  # noqa: E402

ROOT = harness.ROOT
DOC = os.path.join(ROOT, "docs", "openapi.yaml")
ROLE_ORDER = ["admin", "manager", "caseworker", "staff"]
METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")


# -------------------------------------------------------------------- the daemon's tables
SPEC = None


def spec_dump_bytes():
    """stdout of `abiprayad spec-dump`, run with a configuration that would not load: the
    tables are compiled in and must not need one."""
    out = subprocess.run([harness.BIN, "spec-dump"], capture_output=True, timeout=60, cwd=ROOT,
                         env=dict(os.environ, ABIPRAYA_SERVER_WORKERS="not-a-number"))
    expect(out.returncode == 0, f"abiprayad spec-dump: exit {out.returncode}: {out.stderr.decode()[-500:]}")
    return out.stdout


def spec():
    """The daemon's tables, read once: {roles, routes, problems}."""
    global SPEC
    if SPEC is None:
        SPEC = json.loads(spec_dump_bytes())
        expect(len(SPEC["routes"]) > 40, f"spec-dump: only {len(SPEC['routes'])} routes")
    return SPEC


def c_routes():
    """The routes in table order, their roles in ROLE_ORDER."""
    routes = spec()["routes"]
    for r in routes:
        expect(all(x in ROLE_ORDER for x in r["roles"]), f"{r['method']} {r['path']}: unknown role in {r['roles']}")
        r["roles"] = sorted(r["roles"], key=ROLE_ORDER.index)
    return routes


# -------------------------------------------------------------------- the YAML side
def indent_of(line):
    return len(line) - len(line.lstrip(" "))


def unquote(s):
    s = s.strip()
    if s.startswith("'") and s.endswith("'") and len(s) >= 2:
        return s[1:-1].replace("''", "'")
    if s.startswith('"'):
        return json.loads(s)
    return s


def flow_list(s):
    """'[a, 'b', null]' -> ['a', 'b', None] (scalars without commas only)."""
    s = s.strip()
    expect(s.startswith("[") and s.endswith("]"), f"not a one-line flow list: {s!r}")
    inner = s[1:-1].strip()
    if not inner:
        return []
    return [None if x.strip() == "null" else unquote(x) for x in inner.split(",")]


def block(lines, i):
    """The lines after lines[i] that are indented deeper than it (blank lines kept)."""
    n = indent_of(lines[i])
    out = []
    for line in lines[i + 1:]:
        if line.strip() and indent_of(line) <= n:
            break
        out.append(line)
    return out


def children(lines, indent):
    """Indices of the lines at exactly INDENT that open a `key:` (mapping members)."""
    return [i for i, line in enumerate(lines) if line.strip() and indent_of(line) == indent]


def find(lines, indent, key):
    """Index of the line `<indent spaces>key:` (with or without a value), or None."""
    for i, line in enumerate(lines):
        if indent_of(line) == indent and re.match(re.escape(key) + r":(\s|$)", line.strip()):
            return i
    return None


def value(lines, indent, key):
    i = find(lines, indent, key)
    if i is None:
        return None
    return lines[i].split(":", 1)[1].strip()


def read_doc():
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    expect("\t" not in text, "docs/openapi.yaml holds a tab")
    lines = [line for line in text.split("\n") if not line.lstrip().startswith("#")]
    top = {}
    for i in children(lines, 0):
        m = re.match(r"^([A-Za-z][\w-]*):", lines[i])
        expect(m, f"docs/openapi.yaml line {i + 1}: not a top-level key: {lines[i]!r}")
        top[m.group(1)] = block(lines, i)
    expect("paths" in top and "components" in top, "docs/openapi.yaml: no paths or no components")
    ops = {}
    plines = top["paths"]
    for i in children(plines, 2):
        m = re.match(r"^  (/\S*):$", plines[i])
        expect(m, f"paths: not a path line: {plines[i]!r}")
        path = unquote(m.group(1))
        item = block(plines, i)
        for k in children(item, 4):
            m = re.match(r"^    (\w+):$", item[k])
            expect(m and m.group(1) in METHODS + ("parameters", "summary", "description"),
                   f"{path}: not a method line: {item[k]!r}")
            if m.group(1) in METHODS:
                key = (m.group(1).upper(), path)
                expect(key not in ops, f"{key} documented twice")
                ops[key] = block(item, k)
    comps = {}
    clines = top["components"]
    for i in children(clines, 2):
        group = clines[i].strip().rstrip(":")
        glines = block(clines, i)
        comps[group] = {glines[k].strip().rstrip(":"): block(glines, k) for k in children(glines, 4)}
    return ops, comps


def ref_name(line, kind):
    m = re.search(r"\$ref: '#/components/" + kind + r"/([\w.-]+)'", line)
    return m.group(1) if m else None


def op_parameters(op, comps):
    """[(name, in, schema lines)] of an operation, $refs resolved."""
    i = find(op, 6, "parameters")
    if i is None:
        return []
    params = block(op, i)
    items = [k for k in children(params, 8) if params[k].lstrip().startswith("- ")]
    out = []
    for n, k in enumerate(items):
        end = items[n + 1] if n + 1 < len(items) else len(params)
        item = ["          " + params[k].lstrip()[2:]] + params[k + 1:end]  # "- a: b" -> "a: b" at indent 10
        ref = ref_name(item[0], "parameters")
        if ref:
            expect(ref in comps.get("parameters", {}), f"unknown parameter {ref}")
            comp = comps["parameters"][ref]
            out.append((unquote(value(comp, 6, "name")), value(comp, 6, "in"), comp, 6))
        else:
            out.append((unquote(value(item, 10, "name")), value(item, 10, "in"), item, 10))
    return out


def schema_facts(lines, indent):
    """The scalar keywords of one schema whose members sit at INDENT."""
    facts = {}
    for k in children(lines, indent):
        m = re.match(r"^\s*(type|format|enum|const|minLength|maxLength|minimum|maximum|maxItems|pattern): (.+)$", lines[k])
        if m:
            v = m.group(2).strip()
            facts[m.group(1)] = flow_list(v) if v.startswith("[") else unquote(v)
    return facts


def check_field(where, f, facts):
    """The documented schema of one field says what the field table says."""
    types = facts.get("type")
    types = types if isinstance(types, list) else [types]
    ftype = f["type"]
    want_type = {"int": "integer", "bool": "boolean", "true": "boolean", "uuid_list": "array"}.get(ftype, "string")
    if ftype == "object":
        return
    expect(want_type in types, f"{where}: type {types}, the field table says {want_type}")
    for key, word in (("max_length", "maxLength"), ("min_length", "minLength"), ("max_items", "maxItems")):
        if key in f:
            expect(facts.get(word) == str(f[key]), f"{where}: {word} {facts.get(word)}, the table says {f[key]}")
    if ftype == "int":
        expect((facts.get("minimum"), facts.get("maximum")) == (str(f["minimum"]), str(f["maximum"])),
               f"{where}: range {facts.get('minimum')}..{facts.get('maximum')}, the table says {f['minimum']}..{f['maximum']}")
    fmt = {"uuid": "uuid", "date": "date", "datetime": "date-time", "password": "password"}.get(ftype)
    if fmt:
        expect(facts.get("format") == fmt, f"{where}: format {facts.get('format')}, the table says {fmt}")
    if ftype == "true":
        expect(facts.get("const") == "true", f"{where}: must be const true")
    if ftype == "digits":
        expect(facts.get("pattern") == "^[0-9]{%d}$" % f["length"], f"{where}: pattern {facts.get('pattern')}")
    if ftype == "time_hm":
        expect(facts.get("pattern"), f"{where}: no pattern for HH:MM")
    if ftype == "enum":
        got = [v for v in facts.get("enum", []) if v is not None]
        expect(got == f["values"], f"{where}: enum {got}, the table says {f['values']}")


# -------------------------------------------------------------------- static tests
def load():
    routes = c_routes()
    ops, comps = read_doc()
    return routes, ops, comps


def test_every_route_is_documented_and_nothing_else():
    routes, ops, _ = load()
    routed = {(r["method"], r["path"]) for r in routes}
    expect(len(routed) == len(routes), "the route table holds a route twice")
    documented = set(ops)
    missing = sorted(routed - documented)
    extra = sorted(documented - routed)
    expect(not missing and not extra,
           "docs/openapi.yaml and the route table differ:\n"
           + "".join(f"  routed, not documented: {m} {p}\n" for m, p in missing)
           + "".join(f"  documented, not routed: {m} {p}\n" for m, p in extra))


def test_operation_ids_and_roles_are_the_route_table_s():
    routes, ops, _ = load()
    seen = {}
    problems = []
    for r in routes:
        op = ops.get((r["method"], r["path"]))
        if op is None:
            continue
        where = f"{r['method']} {r['path']}"
        op_id = unquote(value(op, 6, "operationId") or "")
        if not op_id:
            problems.append(f"{where}: no operationId")
        elif r["op"] and op_id != r["op"]:
            problems.append(f"{where}: operationId {op_id!r}, the route's op is {r['op']!r}")
        if op_id in seen:
            problems.append(f"{where}: operationId {op_id!r} also on {seen[op_id]}")
        seen[op_id] = where
        roles = value(op, 6, "x-roles")
        if roles is None:
            problems.append(f"{where}: no x-roles")
        elif sorted(flow_list(roles), key=lambda x: ROLE_ORDER.index(x) if x in ROLE_ORDER else 9) != r["roles"]:
            problems.append(f"{where}: x-roles {flow_list(roles)}, the route admits {r['roles']}")
        public = value(op, 6, "security") == "[]"
        if public != (not r["roles"]):
            problems.append(f"{where}: `security: []` must be there exactly when the route admits no role (needs no token)")
        if find(op, 6, "responses") is None:
            problems.append(f"{where}: no responses")
    expect(not problems, "\n".join(problems))


def test_request_bodies_are_the_field_tables():
    routes, ops, comps = load()
    schemas = comps.get("schemas", {})
    problems = []
    for r in routes:
        op = ops.get((r["method"], r["path"]))
        if op is None:
            continue
        where = f"{r['method']} {r['path']}"
        i = find(op, 6, "requestBody")
        if r["body"] is None:
            if i is not None:
                problems.append(f"{where}: documents a request body, the route takes none")
            continue
        if i is None:
            problems.append(f"{where}: no requestBody (the route reads {[f['name'] for f in r['body']]})")
            continue
        body = block(op, i)
        if not any(line.strip() == "application/json:" for line in body):
            problems.append(f"{where}: the request body is not application/json")
        optional = r["body_optional"]
        if value(body, 8, "required") != ("false" if optional else "true"):
            problems.append(f"{where}: requestBody.required must be {'false' if optional else 'true'}")
        name = next((ref_name(line, "schemas") for line in body if ref_name(line, "schemas")), None)
        if name not in schemas:
            problems.append(f"{where}: the request body's schema is not a component schema")
            continue
        schema = schemas[name]
        patch = r["method"] == "PATCH"
        fields = [f for f in r["body"] if not (patch and f["create_only"])]
        if value(schema, 6, "additionalProperties") != "false":
            problems.append(f"{name}: additionalProperties must be false (unknown fields are 422)")
        req = value(schema, 6, "required")
        got_req = flow_list(req) if req else []
        want_req = [] if patch else [f["name"] for f in fields if f["required"]]
        if sorted(got_req) != sorted(want_req):
            problems.append(f"{name} ({where}): required {got_req}, the route's body table says {want_req}")
        k = find(schema, 6, "properties")
        props = {}
        if k is not None:
            plines = block(schema, k)
            props = {plines[j].strip().rstrip(":"): block(plines, j) for j in children(plines, 8)}
        want = [f["name"] for f in fields]
        if sorted(props) != sorted(want):
            problems.append(f"{name} ({where}): properties {sorted(props)}, the route's body table has {sorted(want)}")
        for f in fields:
            if f["name"] in props:
                try:
                    check_field(f"{name}.{f['name']}", f, schema_facts(props[f["name"]], 10))
                except AssertionError as e:
                    problems.append(str(e))
    expect(not problems, "\n".join(problems))


def test_parameters_are_the_path_and_query_tables():
    routes, ops, comps = load()
    problems = []
    for r in routes:
        op = ops.get((r["method"], r["path"]))
        if op is None:
            continue
        where = f"{r['method']} {r['path']}"
        params = op_parameters(op, comps)
        path_params = [n for n, where_in, _, _ in params if where_in == "path"]
        want_path = r["path_params"]
        if sorted(path_params) != sorted(want_path):
            problems.append(f"{where}: path parameters {path_params}, the pattern has {want_path}")
        query = {n: (lines, ind) for n, where_in, lines, ind in params if where_in == "query"}
        fields = r["query"] or []
        want = [f["name"] for f in fields] + (["limit", "cursor"] if r["list"] else [])
        if sorted(query) != sorted(want):
            problems.append(f"{where}: query parameters {sorted(query)}, the route reads {sorted(want)}")
        for f in fields:
            if f["name"] not in query:
                continue
            lines, ind = query[f["name"]]
            req = value(lines, ind, "required") == "true"
            if req != f["required"]:
                problems.append(f"{where} ?{f['name']}: required is {req}, the table says {f['required']}")
            s = find(lines, ind, "schema")
            try:
                expect(s is not None, f"{where} ?{f['name']}: no schema")
                check_field(f"{where} ?{f['name']}", f, schema_facts(block(lines, s), ind + 2))
            except AssertionError as e:
                problems.append(str(e))
    expect(not problems, "\n".join(problems))


def test_csv_is_offered_where_the_route_gives_it():
    routes, ops, _ = load()
    problems = []
    for r in routes:
        op = ops.get((r["method"], r["path"]))
        if op is None:
            continue
        csv = any(re.match(r"^\s+text/csv:$", line) for line in op)
        if csv != r["csv"]:
            problems.append(f"{r['method']} {r['path']}: text/csv {'documented' if csv else 'missing'}, "
                            f"the route {'gives' if r['csv'] else 'does not give'} it")
    expect(not problems, "\n".join(problems))


def test_problem_codes_are_the_daemon_s():
    _, _, comps = load()
    problem = comps.get("schemas", {}).get("Problem")
    expect(problem is not None, "no Problem schema")
    k = find(problem, 6, "properties")
    plines = block(problem, k)
    j = find(plines, 8, "code")
    documented = schema_facts(block(plines, j), 10).get("enum", [])
    kinds = [k["code"] for k in spec()["problems"]]
    expect(sorted(documented) == sorted(kinds),
           f"Problem.code enum {sorted(documented)} != the daemon's problem codes {sorted(kinds)}")


def test_spec_dump_is_the_same_bytes_every_time():
    expect(spec_dump_bytes() == spec_dump_bytes(), "two runs of abiprayad spec-dump differ")


STATIC = [test_every_route_is_documented_and_nothing_else, test_operation_ids_and_roles_are_the_route_table_s,
          test_request_bodies_are_the_field_tables, test_parameters_are_the_path_and_query_tables,
          test_csv_is_offered_where_the_route_gives_it, test_problem_codes_are_the_daemon_s,
          test_spec_dump_is_the_same_bytes_every_time]


# -------------------------------------------------------------------- with a daemon
def test_served_document_is_the_file(d):
    with open(DOC, "rb") as f:
        want = f.read()
    r = d.request("GET", "/api/v1/openapi.yaml")
    expect(r.status == 200, f"GET /api/v1/openapi.yaml: {r}")
    expect("yaml" in r.header("content-type", ""), f"content type {r.header('content-type')!r}")
    expect(r.raw == want, f"the served document ({len(r.raw)} bytes) is not docs/openapi.yaml ({len(want)} bytes): "
                          "rebuild the daemon after editing the file")
    etag = r.header("etag")
    if etag:
        again = d.request("GET", "/api/v1/openapi.yaml", headers={"If-None-Match": etag})
        expect(again.status == 304 and again.raw == b"", f"If-None-Match with the ETag: {again}")
    head = d.request("HEAD", "/api/v1/openapi.yaml")
    expect(head.status == 200 and head.raw == b"", f"HEAD: {head}")


DAEMON = [test_served_document_is_the_file]


def main():
    if len(sys.argv) < 2:
        print(f"usage: {sys.argv[0]} PATH-TO-ABIPRAYAD [TEST-NAME-SUBSTRING...]", file=sys.stderr)
        sys.exit(2)
    only = sys.argv[2:]

    def chosen(tests):
        return [f for f in tests if not only or any(s in f.__name__ for s in only)]
    static, daemon = chosen(STATIC), chosen(DAEMON)
    harness.BIN = os.path.abspath(sys.argv[1])
    if not os.access(harness.BIN, os.X_OK):
        print(f"{harness.BIN} is not an executable", file=sys.stderr)
        sys.exit(1)
    failed = sum(harness.run_one(f.__name__, f, None) for f in static)
    passed = len(static) - failed
    if daemon and not failed:
        try:
            harness.pgurl()
        except harness.Skip as e:
            print(f"test_openapi.py: {passed} passed; SKIP the daemon tests: {e}")
            sys.exit(harness.SKIP)
        try:
            instance = harness.Instance()
        except Exception:
            print("FAIL setup of the daemon")
            raise
        try:
            for f in daemon:
                n = harness.run_one(f.__name__, f, instance)
                failed += n
                passed += 1 - n
        finally:
            if failed:
                print(f"----- daemon stderr (last 3000 chars) -----\n{instance.stderr()[-3000:]}\n-----")
            instance.close()
    elif daemon:
        print("the daemon tests are not run while a static check fails")
    print(f"test_openapi.py: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
