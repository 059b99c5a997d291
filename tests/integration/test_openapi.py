"""docs/openapi.yaml against the code, and the daemon serving it.

Static checks (no PostgreSQL, no daemon; they always run): the paths and methods of the
document are exactly the routes of src/api/routes.c; each operation's operationId and
x-roles are the route's op name and roles; request bodies have the fields, required
members, types, lengths and enums of the route's field table in src/domain/*.c; query
parameters are the route's query table (+ limit and cursor on lists); text/csv is offered
exactly where the route allows it.

With a daemon (ABIPRAYA_TEST_PGURL set): GET /api/v1/openapi.yaml answers the very bytes of
docs/openapi.yaml. Exit 77 only when the static checks passed and a daemon test was
selected but ABIPRAYA_TEST_PGURL is unset.

The YAML is read with a small line-based reader (standard library only), so the document
keeps one regular style: two-space indentation, paths at indent 2, methods at indent 4,
operation members at indent 6, flow lists on one line (`x-roles: [a, b]`,
`required: [a, b]`, `enum: [a, b]`), components under `components:` at indent 2/4."""

import glob
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect  # noqa: E402

ROOT = harness.ROOT
DOC = os.path.join(ROOT, "docs", "openapi.yaml")
ROLE_ORDER = ["admin", "manager", "caseworker", "staff"]
METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")


# -------------------------------------------------------------------- the C side
def strip_c_comments(text):
    return re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.S)


def read_c(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as f:
        return strip_c_comments(f.read())


def role_resolver(text):
    bits = {"ROLE_ADMIN": "admin", "ROLE_MANAGER": "manager", "ROLE_CASEWORKER": "caseworker", "ROLE_STAFF": "staff"}
    macros = dict(re.findall(r"#define\s+(\w+)\s+\(?([A-Z_| ]+?)\)?[ \t]*$", text, flags=re.M))

    def resolve(expr, depth=0):
        expr = expr.strip().strip("()").strip()
        if expr == "0":
            return []
        roles = set()
        for part in expr.split("|"):
            part = part.strip()
            if part in bits:
                roles.add(bits[part])
            elif part in macros and depth < 8:
                roles.update(resolve(macros[part], depth + 1))
            else:
                raise AssertionError(f"routes.c: cannot resolve the roles {part!r}")
        return sorted(roles, key=ROLE_ORDER.index)
    return resolve


def c_routes():
    """[{method, path, op, roles, body, query, flags}] in table order."""
    text = read_c("src", "api", "routes.c")
    resolve = role_resolver(text + read_c("include", "abipraya", "domain", "role.h"))
    routes = []
    for m in re.finditer(r'\{\s*"([A-Z]+) (/[^"]*)"\s*,([^{}]*)\}', text):
        rest = [x.strip() for x in re.findall(r'\s*("[^"]*"|[^,]+)', m.group(3))]
        rest = [x for x in rest if x] + ["0"] * 7

        def name(x):
            return None if x in ("NULL", "0") else x
        op = name(rest[0])
        routes.append({"method": m.group(1), "path": m.group(2), "op": op.strip('"') if op else None,
                       "roles": resolve(rest[1]), "body": name(rest[2]), "query": name(rest[3]),
                       "flags": set() if rest[4] == "0" else {f.strip() for f in rest[4].split("|")}})
    expect(len(routes) > 40, f"routes.c: only {len(routes)} routes read; has the table's layout changed?")
    return routes


def c_field_tables():
    """{table name: [{name, type, required, create_only, min, max, values}]}"""
    text = "\n".join(read_c(os.path.relpath(p, ROOT)) for p in sorted(glob.glob(os.path.join(ROOT, "src", "domain", "*.c"))))
    with open(os.path.join(ROOT, "include", "abipraya", "core", "password.h"), encoding="utf-8") as f:
        consts = {k: int(v) for k, v in re.findall(r"#define\s+(\w+)\s+(\d+)\b", f.read())}
    enums = {n: re.findall(r'"([^"]*)"', body)
             for n, body in re.findall(r"const char \*const (\w+)\[\]\s*=\s*\{(.*?)\};", text, flags=re.S)}
    tables = {}
    for tname, body in re.findall(r"const struct field (\w+)\[\]\s*=\s*\{(.*?)\n\};", text, flags=re.S):
        fields = []
        for entry in re.findall(r'\{("\w+",[^{}]*)\}', body):
            parts = [p.strip() for p in entry.split(",")] + ["0"] * 6
            fname, ftype, flags, lo, hi, values = parts[0].strip('"'), parts[1], parts[2], parts[3], parts[4], parts[5]

            def num(x):
                return consts[x] if x in consts else int(x)
            fields.append({"name": fname, "type": ftype, "required": "FIELD_REQUIRED" in flags,
                           "create_only": "FIELD_CREATE_ONLY" in flags, "min": num(lo), "max": num(hi),
                           "values": enums.get(values)})
        tables[tname] = fields
    return tables


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
    want_type = {"FIELD_INT": "integer", "FIELD_BOOL": "boolean", "FIELD_TRUE": "boolean",
                 "FIELD_UUID_LIST": "array"}.get(ftype, "string")
    if ftype == "FIELD_OBJECT":
        return
    expect(want_type in types, f"{where}: type {types}, the field table says {want_type}")
    if ftype in ("FIELD_STRING", "FIELD_TEXT", "FIELD_PASSWORD"):
        if f["max"]:
            expect(facts.get("maxLength") == str(f["max"]), f"{where}: maxLength {facts.get('maxLength')}, the table says {f['max']}")
        if f["min"]:
            expect(facts.get("minLength") == str(f["min"]), f"{where}: minLength {facts.get('minLength')}, the table says {f['min']}")
    if ftype == "FIELD_INT":
        expect((facts.get("minimum"), facts.get("maximum")) == (str(f["min"]), str(f["max"])),
               f"{where}: range {facts.get('minimum')}..{facts.get('maximum')}, the table says {f['min']}..{f['max']}")
    if ftype == "FIELD_UUID_LIST":
        expect(facts.get("maxItems") == str(f["max"]), f"{where}: maxItems {facts.get('maxItems')}, the table says {f['max']}")
    fmt = {"FIELD_UUID": "uuid", "FIELD_DATE": "date", "FIELD_DATETIME": "date-time", "FIELD_PASSWORD": "password"}.get(ftype)
    if fmt:
        expect(facts.get("format") == fmt, f"{where}: format {facts.get('format')}, the table says {fmt}")
    if ftype == "FIELD_TRUE":
        expect(facts.get("const") == "true", f"{where}: must be const true")
    if ftype == "FIELD_DIGITS":
        expect(facts.get("pattern") == "^[0-9]{%d}$" % f["min"], f"{where}: pattern {facts.get('pattern')}")
    if ftype == "FIELD_TIME_HM":
        expect(facts.get("pattern"), f"{where}: no pattern for HH:MM")
    if ftype == "FIELD_ENUM":
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
    expect(len(routed) == len(routes), "routes.c holds a route twice")
    documented = set(ops)
    missing = sorted(routed - documented)
    extra = sorted(documented - routed)
    expect(not missing and not extra,
           "docs/openapi.yaml and src/api/routes.c differ:\n"
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
    tables = c_field_tables()
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
            problems.append(f"{where}: no requestBody (the route reads {r['body']})")
            continue
        body = block(op, i)
        if not any(line.strip() == "application/json:" for line in body):
            problems.append(f"{where}: the request body is not application/json")
        optional = "ROUTE_BODY_OPTIONAL" in r["flags"]
        if value(body, 8, "required") != ("false" if optional else "true"):
            problems.append(f"{where}: requestBody.required must be {'false' if optional else 'true'}")
        name = next((ref_name(line, "schemas") for line in body if ref_name(line, "schemas")), None)
        if name not in schemas:
            problems.append(f"{where}: the request body's schema is not a component schema")
            continue
        schema = schemas[name]
        patch = r["method"] == "PATCH"
        fields = [f for f in tables[r["body"]] if not (patch and f["create_only"])]
        if value(schema, 6, "additionalProperties") != "false":
            problems.append(f"{name}: additionalProperties must be false (unknown fields are 422)")
        req = value(schema, 6, "required")
        got_req = flow_list(req) if req else []
        want_req = [] if patch else [f["name"] for f in fields if f["required"]]
        if sorted(got_req) != sorted(want_req):
            problems.append(f"{name} ({where}): required {got_req}, the table {r['body']} says {want_req}")
        k = find(schema, 6, "properties")
        props = {}
        if k is not None:
            plines = block(schema, k)
            props = {plines[j].strip().rstrip(":"): block(plines, j) for j in children(plines, 8)}
        want = [f["name"] for f in fields]
        if sorted(props) != sorted(want):
            problems.append(f"{name} ({where}): properties {sorted(props)}, the table {r['body']} has {sorted(want)}")
        for f in fields:
            if f["name"] in props:
                try:
                    check_field(f"{name}.{f['name']}", f, schema_facts(props[f["name"]], 10))
                except AssertionError as e:
                    problems.append(str(e))
    expect(not problems, "\n".join(problems))


def test_parameters_are_the_path_and_query_tables():
    routes, ops, comps = load()
    tables = c_field_tables()
    problems = []
    for r in routes:
        op = ops.get((r["method"], r["path"]))
        if op is None:
            continue
        where = f"{r['method']} {r['path']}"
        params = op_parameters(op, comps)
        path_params = [n for n, where_in, _, _ in params if where_in == "path"]
        want_path = re.findall(r"\{(\w+)\}", r["path"])
        if sorted(path_params) != sorted(want_path):
            problems.append(f"{where}: path parameters {path_params}, the pattern has {want_path}")
        query = {n: (lines, ind) for n, where_in, lines, ind in params if where_in == "query"}
        fields = tables.get(r["query"], []) if r["query"] else []
        want = [f["name"] for f in fields] + (["limit", "cursor"] if "ROUTE_LIST" in r["flags"] else [])
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
        if csv != ("ROUTE_CSV" in r["flags"]):
            problems.append(f"{r['method']} {r['path']}: text/csv {'documented' if csv else 'missing'}, "
                            f"the route {'gives' if 'ROUTE_CSV' in r['flags'] else 'does not give'} it")
    expect(not problems, "\n".join(problems))


def test_problem_codes_are_the_daemon_s():
    _, _, comps = load()
    problem = comps.get("schemas", {}).get("Problem")
    expect(problem is not None, "no Problem schema")
    k = find(problem, 6, "properties")
    plines = block(problem, k)
    j = find(plines, 8, "code")
    documented = schema_facts(block(plines, j), 10).get("enum", [])
    with open(os.path.join(ROOT, "src", "domain", "problem.c"), encoding="utf-8") as f:
        kinds = re.findall(r'\{"(\w+)", \d{3},', strip_c_comments(f.read()))
    expect(sorted(documented) == sorted(kinds),
           f"Problem.code enum {sorted(documented)} != the codes of src/domain/problem.c {sorted(kinds)}")


STATIC = [test_every_route_is_documented_and_nothing_else, test_operation_ids_and_roles_are_the_route_table_s,
          test_request_bodies_are_the_field_tables, test_parameters_are_the_path_and_query_tables,
          test_csv_is_offered_where_the_route_gives_it, test_problem_codes_are_the_daemon_s]


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
    failed = sum(harness.run_one(f.__name__, f, None) for f in static)
    passed = len(static) - failed
    if daemon and not failed:
        try:
            harness.pgurl()
        except harness.Skip as e:
            print(f"test_openapi.py: {passed} passed; SKIP the daemon tests: {e}")
            sys.exit(harness.SKIP)
        harness.BIN = os.path.abspath(sys.argv[1])
        if not os.access(harness.BIN, os.X_OK):
            print(f"{harness.BIN} is not an executable", file=sys.stderr)
            sys.exit(1)
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
