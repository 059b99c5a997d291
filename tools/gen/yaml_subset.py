"""The YAML of docs/openapi.yaml and docs/openapi/prose.yaml, read and written with the
standard library alone (no PyYAML on the build machines). One block style only:

- mappings `key: value` or `key:` with the value indented two more spaces below;
- sequences `- item` indented two spaces under their key; a sequence of scalars that needs
  no comma is written on one line, `[a, 'b', null]`;
- scalars plain, 'single-quoted' or "double-quoted" (JSON escapes), a `|` / `|-` literal
  block for text of several lines, or a `>-` block for one long line folded at single spaces
  (no blank or more-indented line in it); plain words are null, true, false, integers or strings;
- `{}` and `[]`; whole-line `#` comments.

Anything else (anchors, flow mappings, folded blocks, tabs) is an error naming the line, so
a hand edit never silently means something other than what it says. dump() writes what
load() reads: load(dump(x)) == x."""

import json
import re

PLAIN = re.compile(r"^[A-Za-z_/$.(][^:#'\"\[\],&*!|>%@`\\]*$")
RESERVED = {"null", "true", "false", "yes", "no", "on", "off", "y", "n", "~"}
INT = re.compile(r"^-?(0|[1-9][0-9]*)$")


# ---------------------------------------------------------------------------- writing
def printable(v):
    """No control character (C0, DEL, C1): the rest is written as it is."""
    return all(" " <= c <= "~" or c > "\x9f" for c in v)


def scalar(v):
    if v is None:
        return "null"
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if not isinstance(v, str):
        raise TypeError(f"cannot write {type(v).__name__} {v!r}")
    if not printable(v):
        return json.dumps(v, ensure_ascii=False)
    if PLAIN.match(v) and v.strip() == v and v.lower() not in RESERVED and ": " not in v and " #" not in v:
        return v
    return "'" + v.replace("'", "''") + "'"


def literal_ok(v):
    """A string that a `|` or `|-` block holds exactly."""
    if "\n" not in v.rstrip("\n") or v.endswith("\n\n"):
        return False
    lines = v.rstrip("\n").split("\n")
    return (not lines[0].startswith(" ") and all(line == line.rstrip(" ") for line in lines)
            and printable("".join(lines)))


def flow_ok(items):
    """Scalars that a one-line `[a, b]` holds (and a reader splitting at commas reads back)."""
    return all(not isinstance(x, (dict, list)) and not any(c in scalar(x) for c in ",[]{}") for x in items)


def emit(v, indent, out):
    """The lines of V as the value of a key (or item) at INDENT - 2."""
    pad = " " * indent
    if isinstance(v, dict):
        for k, x in v.items():
            key = scalar(str(k))
            if isinstance(x, (dict, list)) and x and not (isinstance(x, list) and flow_ok(x)):
                out.append(f"{pad}{key}:")
                emit(x, indent + 2, out)
            else:
                out.append(f"{pad}{key}:{inline(x, indent + 2)}")
    elif isinstance(v, list):
        for x in v:
            if isinstance(x, list) and x:
                raise TypeError("a sequence in a sequence")
            if isinstance(x, dict) and x:
                sub = []
                emit(x, indent + 2, sub)
                out.append(f"{pad}- {sub[0][indent + 2:]}")
                out.extend(sub[1:])
            else:
                out.append(f"{pad}-{inline(x, indent + 2)}")


def inline(x, indent):
    """' value' after `key:` (with a literal block's lines), for a scalar or an empty or flow list."""
    if isinstance(x, dict):
        return " {}"
    if isinstance(x, list):
        return " [" + ", ".join(scalar(i) for i in x) + "]"
    if isinstance(x, str) and literal_ok(x):
        body = x.rstrip("\n").split("\n")
        head = " |" if x.endswith("\n") else " |-"
        return head + "".join("\n" + (" " * indent + line if line else "") for line in body)
    if isinstance(x, str) and fold_ok(x, indent):
        return " >-" + "".join("\n" + " " * indent + line for line in wrap(x, WIDTH - indent))
    return " " + scalar(x)


WIDTH = 100


def fold_ok(v, indent):
    """A long one-line string that a `>-` block holds exactly: folded at single spaces."""
    return indent + len(v) > WIDTH and "  " not in v and v == v.strip() and " " in v and printable(v)


def wrap(v, width):
    lines, cur = [], ""
    for word in v.split(" "):
        if cur and len(cur) + 1 + len(word) > max(width, 40):
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}" if cur else word
    return lines + [cur]


def dump(v, header=""):
    out = []
    emit(v, 0, out)
    return header + "\n".join(out) + "\n"


# ---------------------------------------------------------------------------- reading
class Error(ValueError):
    pass


def parse_scalar(s, where):
    s = s.strip()
    if s.startswith("'"):
        if not s.endswith("'") or len(s) < 2 or "'" in s[1:-1].replace("''", ""):
            raise Error(f"{where}: a broken single-quoted string")
        return s[1:-1].replace("''", "'")
    if s.startswith('"'):
        try:
            return json.loads(s)
        except ValueError:
            raise Error(f"{where}: a broken double-quoted string") from None
    if s == "{}":
        return {}
    if s.startswith("["):
        return parse_flow(s, where)
    if s in ("null", "~"):
        return None
    if s in ("true", "false"):
        return s == "true"
    if INT.match(s):
        return int(s)
    if not s or s[0] in "&*!|>%@`{" or " #" in s or ": " in s or s.endswith(":"):
        raise Error(f"{where}: not a value of this YAML subset: {s!r}")
    return s


def parse_flow(s, where):
    if not s.endswith("]"):
        raise Error(f"{where}: a flow list must end on its line")
    inner = s[1:-1].strip()
    if not inner:
        return []
    items, cur, quote = [], "", None
    for c in inner:
        if quote:
            cur += c
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
            cur += c
        elif c == ",":
            items.append(cur)
            cur = ""
        elif c in "[]{}":
            raise Error(f"{where}: nested flow collections are not read")
        else:
            cur += c
    items.append(cur)
    return [parse_scalar(x, where) for x in items]


def load(text, name="<yaml>"):
    if "\t" in text:
        raise Error(f"{name}: holds a tab")
    lines = [(n + 1, line) for n, line in enumerate(text.split("\n"))]
    lines = [(n, line.rstrip(" ")) for n, line in lines]
    pos = [0]

    def skip():
        while pos[0] < len(lines) and (not lines[pos[0]][1].strip() or lines[pos[0]][1].lstrip().startswith("#")):
            pos[0] += 1

    def indent_at():
        skip()
        if pos[0] >= len(lines):
            return -1
        line = lines[pos[0]][1]
        return len(line) - len(line.lstrip(" "))

    def literal(head, indent, where):
        keep = head == "|"
        body = []
        while pos[0] < len(lines):
            n, line = lines[pos[0]]
            if line.strip() and len(line) - len(line.lstrip(" ")) < indent:
                break
            body.append(line[indent:])
            pos[0] += 1
        while body and not body[-1]:
            body.pop()
        if not body:
            raise Error(f"{where}: an empty literal block")
        return "\n".join(body) + ("\n" if keep else "")

    def value_after(rest, indent, where):
        """The value of a key (or item) whose text after `:` (or `- `) is REST."""
        if rest in ("|", "|-"):
            return literal(rest, indent + 2, where)
        if rest == ">-":
            text = literal("|-", indent + 2, where)
            if "\n\n" in text or "\n " in text or text.startswith(" "):
                raise Error(f"{where}: a `>-` block with a blank or more-indented line")
            return text.replace("\n", " ")
        if rest:
            return parse_scalar(rest, where)
        if indent_at() > indent or (indent_at() == indent and lines[pos[0]][1].lstrip().startswith("- ")):
            return node(indent_at())
        raise Error(f"{where}: a key without a value")

    def node(indent):
        n, line = lines[pos[0]]
        return seq(indent) if line.lstrip().startswith("- ") or line.strip() == "-" else mapping(indent)

    def mapping(indent):
        out = {}
        while indent_at() == indent and not lines[pos[0]][1].lstrip().startswith("- "):
            n, line = lines[pos[0]]
            where = f"{name}:{n}"
            m = re.match(r"^ *('(?:[^']|'')*'|\"(?:[^\"\\]|\\.)*\"|[^'\"\s][^:]*?):(?: (.*)|)$", line)
            if not m:
                raise Error(f"{where}: not a `key: value` line: {line.strip()!r}")
            key = parse_scalar(m.group(1), where)
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                raise Error(f"{where}: {key!r} twice")
            pos[0] += 1
            out[key] = value_after((m.group(2) or "").strip(), indent, where)
        if indent_at() > indent:
            raise Error(f"{name}:{lines[pos[0]][0]}: indented deeper than its mapping")
        return out

    def seq(indent):
        out = []
        while indent_at() == indent and lines[pos[0]][1].lstrip().startswith("- "):
            n, line = lines[pos[0]]
            where = f"{name}:{n}"
            rest = line.lstrip()[2:]
            if re.match(r"^('(?:[^']|'')*'|\"(?:[^\"\\]|\\.)*\"|[^'\"\s\[][^:]*?):( |$)", rest):
                # "- key: value": a mapping whose first member sits on the dash's line
                lines[pos[0]] = (n, " " * (indent + 2) + rest)
                out.append(mapping(indent + 2))
            else:
                pos[0] += 1
                out.append(value_after(rest.strip(), indent, where))
        return out

    if indent_at() != 0:
        raise Error(f"{name}: the document does not start at column 0")
    doc = mapping(0)
    if indent_at() != -1:
        raise Error(f"{name}:{lines[pos[0]][0]}: not part of the document")
    return doc
