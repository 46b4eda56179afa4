#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`seccomp-redirectctl explain` against the matcher's policy tables
(tests/unit/policy-tables/*.table, format in tests/unit/test-policy-table.c):
every row's left side goes through explain --json, and the verdict must be
the row's right side. test-policy-table checks the same rows through the
library directly; together they show that explain and the matcher agree."""
import errno
import glob
import json
import os
import socket
import stat
import subprocess
import sys

ctl = os.path.realpath(sys.argv[1])
tables_dir = os.path.join(os.environ["SRD_SOURCE_ROOT"], "tests", "unit", "policy-tables")


def errno_number(s):
    if s.lstrip("-").isdigit():
        return int(s)
    return getattr(errno, s, None)


def scalar(s):
    """A table VALUE: numbers (0x, 0 octal, negative) or constants joined with '|', as a u64."""
    v = 0
    for part in s.split("|"):
        part = part.strip()
        if part == "AT_FDCWD":
            x = -100
        elif part.lstrip("-").isdigit() or part.lower().startswith(("0x", "-0x")):
            neg = part.startswith("-")
            body = part[1:] if neg else part
            x = int(body, 16) if body.lower().startswith("0x") else (
                int(body, 8) if len(body) > 1 and body.startswith("0") else int(body))
            x = -x if neg else x
        else:
            x = next((getattr(m, part) for m in (os, socket, stat) if hasattr(m, part)), None)
            if x is None:
                raise ValueError("unknown constant " + part)
        v |= x & (2**64 - 1)
    return v


def check_row(policy, cid, left, right):
    """Returns None when explain agrees with the row, else what differs."""
    p = subprocess.run([ctl, "explain", "--json", "--policy", policy] + (["--id", cid] if cid is not None else [])
                       + left, capture_output=True, text=True)
    if p.returncode != 0:
        return "explain exited %d: %s" % (p.returncode, p.stderr.strip())
    got = json.loads(p.stdout)
    action, rule, details = right[0], right[1], right[2:]
    problems = []
    if got["action"] != action:
        problems.append("action %s, expected %s" % (got["action"], action))
    got_rule = "default" if got["rule"] < 0 else got["ruleName"]
    if got_rule != rule:
        problems.append("rule %s, expected %s" % (got_rule, rule))
    want_log = "log" in details
    details = [d for d in details if d != "log"]
    if bool(got["log"]) != want_log:
        problems.append("log %s, expected %s" % (got["log"], want_log))

    if action == "errno":
        want = errno_number(details[0]) if details else None
        if errno_number(got.get("errno", "")) != want:
            problems.append("errno %s, expected %s" % (got.get("errno"), details[:1]))
    elif action == "redirect":
        targets = [d for d in details if "=" not in d]
        sets = dict((int(d[3:].split("=", 1)[0]), scalar(d.split("=", 1)[1]))
                    for d in details if d.startswith("arg"))
        err = [d.split("=", 1)[1] for d in details if d.startswith("error=")]
        if err:
            if got.get("error") is None or errno_number(got["error"]) != errno_number(err[0]):
                problems.append("error %s, expected %s" % (got.get("error"), err[0]))
            return "; ".join(problems) or None
        got_to = [t if t is not None else "-" for t in got.get("to", [])]
        while got_to and got_to[-1] == "-":
            got_to.pop()
        while targets and targets[-1] == "-":
            targets.pop()
        if got_to != targets:
            problems.append("targets %s, expected %s" % (got_to, targets))
        got_sets = dict((s["index"], s["value"]) for s in got.get("set", []))
        if got_sets != sets:
            problems.append("set %s, expected %s" % (got_sets, sets))
    return "; ".join(problems) or None


rows = []
for table in sorted(glob.glob(os.path.join(tables_dir, "*.table"))):
    name = os.path.basename(table)[:-len(".table")]
    policy = os.path.join(tables_dir, name + ".json")
    cid = None
    with open(table) as f:
        for lineno, line in enumerate(f, 1):
            tokens = line.split()
            if not tokens or tokens[0].startswith("#"):
                continue
            if tokens[0] == "id":
                cid = tokens[1] if len(tokens) > 1 else None
                continue
            if tokens[0] == "policy":
                policy = os.path.normpath(os.path.join(tables_dir, tokens[1]))
                continue
            if "->" not in tokens:
                continue
            i = tokens.index("->")
            rows.append(("%s.table:%d" % (name, lineno), policy, cid, tokens[:i], tokens[i + 1:], line.strip()))

if not rows:
    print("1..0 # SKIP no tests/unit/policy-tables/*.table")
    sys.exit(77)

print("1..%d" % len(rows))
failed = False
for n, (where, policy, cid, left, right, text) in enumerate(rows, 1):
    try:
        problem = check_row(policy, cid, left, right)
    except Exception as e:  # a row this script cannot read is a failure, not a crash
        problem = "cannot check: %r" % e
    if problem:
        failed = True
        print("not ok %d - %s: %s" % (n, where, text))
        print("# " + problem)
    else:
        print("ok %d - %s: %s" % (n, where, text))
sys.exit(1 if failed else 0)
