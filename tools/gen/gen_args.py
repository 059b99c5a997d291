"""What the generators of tools/gen share: their command line and the daemon's tables."""
import json
import os
import subprocess
import sys


def command_line(doc, modes, nargs):
    """(mode, args) from sys.argv: an optional leading mode of MODES (else "write") and
    exactly NARGS more arguments; prints DOC and exits otherwise."""
    args = sys.argv[1:]
    mode = args.pop(0) if args[:1] and args[0] in modes else "write"
    if len(args) != nargs:
        sys.exit(doc)
    return mode, args


def spec_dump(binary):
    """The tables the daemon prints (`abiprayad spec-dump`), parsed."""
    out = subprocess.run([os.path.abspath(binary), "spec-dump"], check=True, capture_output=True).stdout
    return json.loads(out)
