#!/usr/bin/env python3
"""Write a command's manual page in scdoc from the command's own --help.

    mkman.py WALPULL COMMAND OUT.scd

The options come from the one table each command parses its arguments
with (through --help), so the page and --help never disagree; the
description is the help's introduction. docs/man/COMMAND.extra.scd, when
it exists, is appended (examples, exit status, files).
"""
import os
import re
import subprocess
import sys


def esc(text):
    """Escape scdoc's markup characters in plain text."""
    return re.sub(r"([*_\\])", r"\\\1", text)


def main():
    walpull, command, out = sys.argv[1], sys.argv[2], sys.argv[3]
    args = [walpull] + ([] if command == "walpull" else [command]) + ["--help"]
    text = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    name = "walpull" if command == "walpull" else "walpull-" + command
    lines = text.splitlines()
    intro, usage, options = [], [], []
    part = "intro"
    for line in lines:
        if line.startswith("Usage:"):
            part = "usage"
            continue
        if line.strip() == "Options:" or line.startswith('"walpull COMMAND'):
            part = "options"
            continue
        {"intro": intro, "usage": usage, "options": options}[part].append(line)
    first = []
    for line in intro:
        if not line.strip():
            break
        first.append(line.strip())
    summary = " ".join(first).rstrip(".").split(":")[0]
    summary = re.sub(r"^walpull( %s)?( is)? " % re.escape(command), "", summary)
    page = ["%s(1)" % name, "", "# NAME", "", "%s - %s" % (name, esc(summary)), "",
            "# SYNOPSIS", ""]
    for u in usage:
        if u.strip():
            page += ["*%s*" % esc(u.strip()), ""]
    page += ["# DESCRIPTION", ""]
    # An indented line (an example) keeps its indent, as scdoc wants it: a tab.
    page += ["\t" + esc(l.strip()) if l.startswith(" ") else esc(l) for l in intro] + [""]
    page += ["# OPTIONS", ""]
    for line in options:
        m = re.match(r"^ {2}(?:(-\S), | {4})(--\S+)(?: {2,}(.*))?$", line)
        if m:
            flags = "%s, %s" % (m.group(1), m.group(2)) if m.group(1) else m.group(2)
            page += ["*%s*" % esc(flags)]
            if m.group(3):
                page += ["\t" + esc(m.group(3).strip())]
            page += [""]
        elif line.startswith(" " * 20) and line.strip():
            # The help text of the option above, on a line of its own.
            page.insert(len(page) - 1, "\t" + esc(line.strip()))
        elif line.endswith(":") and not line.startswith(" "):
            page += ["## %s" % esc(line[:-1]), ""]
        elif line.strip():
            page += [esc(line.strip()), ""]
    extra = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "man",
                         command + ".extra.scd")
    if os.path.exists(extra):
        page += [open(extra).read().rstrip(), ""]
    page += ["# SEE ALSO", ""]
    see = ["walpull(1)"] if command != "walpull" else []
    see += ["walpull-%s(1)" % c for c in ("check", "seed", "archive", "restore-wal", "verify", "expire",
                                          "status", "bench", "identify", "slot") if c != command]
    page += [", ".join(see), ""]
    with open(out, "w") as f:
        f.write("\n".join(page) + "\n")


if __name__ == "__main__":
    main()
