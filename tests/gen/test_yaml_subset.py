#!/usr/bin/env python3
"""tools/gen/yaml_subset.py, which writes docs/openapi.yaml and reads docs/openapi/prose.yaml:
values that are easy to get wrong read back as written, and what the subset does not read
is an error instead of a different value. (The generator also reads back the whole document
it writes; this covers the strings the document does not hold yet.)

usage: test_yaml_subset.py SOURCE-ROOT"""

import os
import sys

sys.path.insert(0, os.path.join(sys.argv[1] if len(sys.argv) > 1 else ".", "tools", "gen"))
import yaml_subset as Y  # noqa: E402

TRICKY = {
    "plain": "word", "colon": "a: b", "hash": "a #b", "quote": "it's", "double": 'say "x"',
    "lead": " x", "trail": "x ", "empty": "", "null word": "null", "true word": "true", "number": "200",
    "negative": "-1", "dash": "- x", "ref": "#/components/x", "path": "/api/v1/{id}", "unicode": "né ±",
    "tab": "a\tb", "control": "a\x01b", "lines": "a\n\nb\n", "no final newline": "a\nb", "indented": "  a\nb\n",
    "two final newlines": "a\nb\n\n", "long": "word " * 40 + "end", "long, double spaces": "a  b " * 30,
    "hash line": "x\n# not a comment\n", "percent": "%x", "star": "*x", "off": "off", "y": "y",
    "null": None, "true": True, "false": False, "int": 42, "negative int": -7,
    "scalars": ["a", "b, c", None, "1", "[x]"], "flow": ["a", "b"], "no items": [], "no members": {},
    "items": [{"a": 1, "b": ["x"]}, {"c": "d\ne\n"}], "nested": {"x": {"y": [{"z": {}}]}}, "'quoted key'": 2,
}
NOT_READ = {
    "a tab": "a:\tb\n", "an anchor": "a: &x 1\n", "an alias": "a: *x\n", "a flow mapping": "a: {b: 1}\n",
    "a nested flow list": "a: [[b]]\n", "a folded block with a blank line": "a: >-\n  b\n\n  c\n",
    "a key twice": "a: 1\na: 2\n", "a broken indent": "a:\n    b: 1\n  c: 2\n", "a key without value": "a:\n",
    "an open quote": "a: 'b\n",
}


def main():
    failures = []
    text = Y.dump(TRICKY)
    back = Y.load(text)
    failures += [f"{k!r}: wrote {TRICKY[k]!r}, read {back.get(k)!r}" for k in TRICKY if back.get(k) != TRICKY[k]]
    if Y.dump(back) != text:
        failures.append("writing twice gives other bytes")
    for what, src in NOT_READ.items():
        try:
            got = Y.load(src)
            failures.append(f"{what}: read as {got!r}, not refused")
        except Y.Error:
            pass
    if failures:
        sys.exit("\n".join(failures))
    print(f"yaml_subset: {len(TRICKY)} values read back, {len(NOT_READ)} unsupported inputs refused")


if __name__ == "__main__":
    main()
