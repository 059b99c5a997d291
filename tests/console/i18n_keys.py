#!/usr/bin/env python3
"""Every i18n key the console uses exists in both languages of web/js/i18n.js.

t() shows the key itself for a key it does not know, so a typo or a forgotten entry is
visible only on the page. This reads web/js/*.js and web/views/*.js (standard library only)
and fails when a key used is missing or lacks a language. Keys are found where the code
names them:
  t('key') and t(c ? 'a' : 'b')     the literals of t's first argument
  t('prefix_' + x)                   some key starts with prefix_ (its uses are dynamic)
  f('key') where f = (key, ...) => ... t(key) ...   a local wrapper's literal arguments
  en('kind', v), options('kind'), enumValues('kind')  kind is an enumeration of E
  { name: 'f', label: 'key', enum: 'kind' }  a field of the form builder (web/js/form.js)
Any other t(expression) is listed as not checked. Keys defined but never named anywhere in
the console's code (not even as a string literal) are reported, not failed: a key may be
reached in ways this reader does not follow.

usage: i18n_keys.py [PROJECT-ROOT]"""

import glob
import os
import re
import sys

STRING = r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\""
IDENT = r"[A-Za-z_$][\w$]*"


def unquote(lit):
    return re.sub(r"\\(.)", r"\1", lit[1:-1])


def table(text, name):
    """The lines of `const NAME = { ... };` (at the start of a line)."""
    m = re.search(r"^const " + name + r" = \{(.*?)^\};", text, flags=re.S | re.M)
    if not m:
        sys.exit(f"i18n.js: no `const {name} = {{ ... }};`")
    return m.group(1)


def read_dictionary(path):
    """({key: [id, en]}, {kind: {value: [id, en]}}) of i18n.js."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    words = {}
    for line in table(text, "D").split("\n"):
        line = line.strip()
        if not line or line.startswith("//"):
            continue
        m = re.match(r"^(" + IDENT + r"):\s*\[(.*)\],?$", line)
        if not m:
            sys.exit(f"i18n.js: an entry of D not on one line as `key: ['id', 'en'],`: {line!r}")
        words[m.group(1)] = [unquote(s) for s in re.findall(STRING, m.group(2))]
    kinds = {}
    for m in re.finditer(r"^\s*(" + IDENT + r"):\s*\{(.*)\},?\s*$", table(text, "E"), flags=re.M):
        kinds[m.group(1)] = {v: [unquote(s) for s in re.findall(STRING, body)]
                             for v, body in re.findall(r"(" + IDENT + r"):\s*\[([^\]]*)\]", m.group(2))}
    return words, kinds


def strip_comments(text):
    """The code without // and /* */ comments, strings and template literals kept."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in "'\"`":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("//", i):
            i = text.find("\n", i) if "\n" in text[i:] else n
        elif text.startswith("/*", i):
            i = text.find("*/", i + 2) + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def first_argument(text, start):
    """The text of the first top-level argument of the call whose '(' is at start."""
    depth, i = 0, start
    while i < len(text):
        c = text[i]
        if c in "'\"`":
            j = i + 1
            while j < len(text) and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
        elif c == "," and depth == 1:
            return text[start + 1:i]
        i += 1
    return text[start + 1:]


def calls(text, name):
    """(position, first argument) of every call NAME(...), not a method or a definition."""
    for m in re.finditer(r"(?<![\w$.])" + re.escape(name) + r"\s*\(", text):
        if re.search(r"function\s*$", text[:m.start()]):
            continue
        yield m.start(), first_argument(text, m.end() - 1).strip()


def wrapper(text, pos, param):
    """The name of the nearest function before pos that takes param, or None."""
    best = None
    for m in re.finditer(r"(?:const|let)\s+(" + IDENT + r")\s*=\s*\(([^)]*)\)\s*=>|function\s+(" + IDENT + r")\s*\(([^)]*)\)", text[:pos]):
        params = [p.strip().split("=")[0].strip() for p in (m.group(2) or m.group(4) or "").split(",")]
        if param in params:
            best = m.group(1) or m.group(3)
    return best


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    i18n = os.path.join(root, "web", "js", "i18n.js")
    words, kinds = read_dictionary(i18n)
    files = sorted(glob.glob(os.path.join(root, "web", "js", "*.js")) + glob.glob(os.path.join(root, "web", "views", "*.js")))
    used = {}       # key -> first "file:line"
    prefixes = {}   # prefix -> first "file:line"
    kinds_used = {}
    unchecked = []
    literals = set()
    for path in files:
        with open(path, encoding="utf-8") as f:
            text = strip_comments(f.read())
        rel = os.path.relpath(path, root)

        def where(pos):
            return f"{rel}:{text.count(chr(10), 0, pos) + 1}"
        if path != i18n:
            literals.update(unquote(s) for s in re.findall(STRING, text))
        for pos, arg in calls(text, "t"):
            if re.fullmatch(r"(?:" + STRING + r")", arg):
                used.setdefault(unquote(arg), where(pos))
            elif "?" in re.sub(STRING, "", arg) and re.findall(r"[?:]\s*(" + STRING + r")", arg):
                for lit in re.findall(r"[?:]\s*(" + STRING + r")", arg):  # the branches, not the tests
                    used.setdefault(unquote(lit), where(pos))
            elif re.match(r"(?:" + STRING + r")\s*\+", arg):
                prefixes.setdefault(unquote(re.match(STRING, arg).group(0)), where(pos))
            elif re.fullmatch(IDENT, arg) and (name := wrapper(text, pos, arg)) and name != "t":
                for wpos, warg in calls(text, name):
                    if re.fullmatch(r"(?:" + STRING + r")", warg):
                        used.setdefault(unquote(warg), where(wpos))
            elif path != i18n:
                unchecked.append(f"{where(pos)}: t({arg})")
        # the fields of formFor() (web/js/form.js): label is a key, enum a kind of E
        for prop, seen in (("label", used), ("enum", kinds_used)):
            for m in re.finditer(r"(?<![\w$'\"-])" + prop + r":\s*(" + STRING + r")", text):
                seen.setdefault(unquote(m.group(1)), where(m.start()))
        for fn in ("en", "options", "enumValues"):
            for pos, arg in calls(text, fn):
                if re.fullmatch(r"(?:" + STRING + r")", arg):
                    kinds_used.setdefault(unquote(arg), where(pos))

    problems = []
    for key, at in sorted(used.items()):
        if key not in words:
            problems.append(f"{at}: key {key!r} is not in i18n.js")
        elif len(words[key]) != 2 or not all(w.strip() for w in words[key]):
            problems.append(f"{at}: key {key!r} has not both an Indonesian and an English text: {words[key]}")
    for prefix, at in sorted(prefixes.items()):
        if not any(k.startswith(prefix) for k in words):
            problems.append(f"{at}: no key of i18n.js starts with {prefix!r}")
    for kind, at in sorted(kinds_used.items()):
        if kind not in kinds:
            problems.append(f"{at}: enumeration {kind!r} is not in E of i18n.js")
    for kind, values in sorted(kinds.items()):
        for v, texts in values.items():
            if len(texts) != 2 or not all(w.strip() for w in texts):
                problems.append(f"i18n.js: E.{kind}.{v} has not both an Indonesian and an English text: {texts}")
    for key, texts in sorted(words.items()):
        if len(texts) != 2 or not all(w.strip() for w in texts):
            problems.append(f"i18n.js: D.{key} has not both an Indonesian and an English text: {texts}")

    unused = sorted(k for k in words if k not in used and k not in literals
                    and not any(k.startswith(p) for p in prefixes))
    for line in unchecked:
        print(f"note: not checked (the key is computed): {line}")
    if unused:
        print(f"note: {len(unused)} key(s) defined but never named in the console: {', '.join(unused)}")
    for p in problems:
        print(f"FAIL {p}")
    print(f"i18n_keys: {len(used)} keys used, {len(prefixes)} prefixes, {len(kinds_used)} enumerations, "
          f"{len(words)} defined; {len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
