"""docs/openapi.yaml: generated, consistent where it is hand-written, and served.

docs/openapi.yaml is written by tools/gen/openapi.py from the daemon's tables (`abiprayad
spec-dump`: paths, methods, operationId, x-roles, parameters, request bodies, text/csv,
the standard errors, Problem.code) and the hand-written docs/openapi/prose.yaml; the
generator refuses prose that contradicts the tables. Static checks (no PostgreSQL, no
server; they always run): the file is what the generator writes now; spec-dump prints the
same bytes every time; and what the prose supplies holds together: every operation has an
operationId (unique), a summary, a description and tags that the document declares, a
success answer, every answer a description, every $ref names a component that exists.

With a daemon (ABIPRAYA_TEST_PGURL set): GET /api/v1/openapi.yaml answers the very bytes of
docs/openapi.yaml. Exit 77 only when the static checks passed and a daemon test was
selected but ABIPRAYA_TEST_PGURL is unset.

The line-based readers below (read_doc, block, find, ...) serve test_route_walk.py; the
document's style is the one tools/gen/yaml_subset.py writes: two-space indentation, paths at
indent 2, methods at indent 4, operation members at indent 6."""

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
PROSE = os.path.join(ROOT, "docs", "openapi", "prose.yaml")
sys.path.insert(0, os.path.join(ROOT, "tools", "gen"))
import openapi as generator  # noqa: E402 - tools/gen/openapi.py, the generator
import yaml_subset  # noqa: E402

ROLE_ORDER = ["admin", "manager", "caseworker", "staff", "partner"]
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


# -------------------------------------------------------------------- static tests
def generated():
    """What tools/gen/openapi.py writes now from the binary's tables and the prose."""
    with open(PROSE, encoding="utf-8") as f:
        prose = yaml_subset.load(f.read(), PROSE)
    try:
        return generator.render(spec(), prose)
    except generator.Conflict as e:
        raise AssertionError(f"docs/openapi/prose.yaml contradicts the daemon's tables: {e}") from None


def document():
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    return text, yaml_subset.load(text, DOC)


def test_document_is_what_the_generator_writes():
    text = generated()
    with open(DOC, encoding="utf-8") as f:
        expect(f.read() == text, "docs/openapi.yaml is stale: run `python3 tools/gen/openapi.py "
                                 "build-test/abiprayad docs/openapi/prose.yaml docs/openapi.yaml` and rebuild")


def operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield f"{method.upper()} {path}", op


def test_the_prose_of_every_operation():
    _, doc = document()
    tags = {t["name"] for t in doc.get("tags", [])}
    seen = {}
    problems = []
    for where, op in operations(doc):
        op_id = op.get("operationId")
        if not op_id:
            problems.append(f"{where}: no operationId (a route without an op names one in the prose)")
        elif op_id in seen:
            problems.append(f"{where}: operationId {op_id!r} also on {seen[op_id]}")
        seen[op_id] = where
        if not op.get("summary"):
            problems.append(f"{where}: no summary")
        if "\n\n" not in op.get("description", ""):
            problems.append(f"{where}: no description beyond the roles sentence")
        if not op.get("tags") or set(op["tags"]) - tags:
            problems.append(f"{where}: tags {op.get('tags')}, the document declares {sorted(tags)}")
        codes = op.get("responses", {})
        if not any(c.startswith("2") for c in codes):
            problems.append(f"{where}: no success answer")
        for code, answer in codes.items():
            if not answer.get("description") and "$ref" not in answer:
                problems.append(f"{where} {code}: no description")
    expect(not problems, "\n".join(problems))


def test_every_ref_names_a_component():
    text, doc = document()
    problems = []
    for ref in sorted(set(re.findall(r"\$ref: '([^']*)'", text))):
        node = doc
        for part in ref.removeprefix("#/").split("/"):
            node = node.get(part) if isinstance(node, dict) else None
        if not ref.startswith("#/components/") or node is None:
            problems.append(f"$ref {ref!r} names nothing in the document")
    for group, members in doc["components"].items():
        for name, comp in members.items():
            if group in ("responses", "parameters", "headers") and not comp.get("description"):
                problems.append(f"components.{group}.{name}: no description")
    expect(not problems, "\n".join(problems))


def test_spec_dump_is_the_same_bytes_every_time():
    expect(spec_dump_bytes() == spec_dump_bytes(), "two runs of abiprayad spec-dump differ")


STATIC = [test_document_is_what_the_generator_writes, test_the_prose_of_every_operation,
          test_every_ref_names_a_component, test_spec_dump_is_the_same_bytes_every_time]


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
