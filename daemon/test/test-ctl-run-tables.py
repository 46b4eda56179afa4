#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every row of the policy tables (tests/unit/policy-tables/*.table) through
`seccomp-redirectctl explain --json` and through `seccomp-redirectctl run`:
what explain says the call gets under run on this machine ("underRun") must
be what a process under run gets when it makes that call.

  errno E    the call fails with E
  kill       the process dies of SIGKILL (run exits 137)
  continue   the call does exactly what it does without run (same result)

"continue" also covers the syscalls run's filter does not notify, which
explain must say. Each call is made for real by a static helper, in an
empty, read-only root (a user and mount namespace over a tmpfs, with /usr
and the source tree read-only), so that whatever runs harms nothing and
leaves nothing for the next call to find. Redirects on a
kernel that can redirect are not compared (the host has no redirect series):
such rows are reported as skipped, not passed.
"""
import errno
import glob
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

ctl = os.path.realpath(sys.argv[1])
helper = os.path.realpath(sys.argv[2])
src = os.path.realpath(os.environ["SRD_SOURCE_ROOT"])
tables_dir = os.path.join(src, "tests", "unit", "policy-tables")
INNER = "SRD_RUN_TABLES_SANDBOX"


def sandbox():
    """Run this script again inside an empty root; returns its exit status."""
    if not shutil.which("unshare") or subprocess.run(["unshare", "-Urm", "true"]).returncode != 0:
        print("1..0 # SKIP cannot make a user and mount namespace (unshare -Urm)")
        return 77
    root = tempfile.mkdtemp(prefix="srd-run-tables-")
    keep = sorted({src, os.path.dirname(ctl), os.path.dirname(helper)})
    cmds = ["mount -t tmpfs none %s" % shlex.quote(root)]
    for d in ["/usr", "/proc", "/dev"] + keep:
        cmds.append("mkdir -p %s" % shlex.quote(root + d))
        cmds.append("mount --rbind %s %s" % (shlex.quote(d), shlex.quote(root + d)))
        if d not in ("/proc", "/dev"):
            cmds.append("mount -o remount,bind,ro %s" % shlex.quote(root + d))
    for link in ("lib", "lib64", "bin", "sbin"):
        if os.path.islink("/" + link):
            cmds.append("ln -s %s %s" % (shlex.quote(os.readlink("/" + link)), shlex.quote(root + "/" + link)))
    # A scratch directory for the policies this script writes, then the root read-only: a call that
    # creates something would otherwise make the next one (with run, or without) find it there.
    cmds.append("mkdir %s/scratch && mount -t tmpfs none %s/scratch" % (shlex.quote(root), shlex.quote(root)))
    cmds.append("mount -o remount,ro %s" % shlex.quote(root))
    cmds.append("cd / && exec chroot %s /usr/bin/python3 %s %s" % (
        shlex.quote(root), " ".join(shlex.quote(a) for a in [os.path.realpath(__file__), ctl, helper]), ""))
    env = dict(os.environ, **{INNER: "1", "SRD_SOURCE_ROOT": src})
    try:
        p = subprocess.run(["unshare", "-Urm", "--propagation", "private", "sh", "-ec", " && ".join(cmds)], env=env)
    finally:
        os.rmdir(root)
    return p.returncode


def rows():
    for table in sorted(glob.glob(os.path.join(tables_dir, "*.table"))):
        name = os.path.basename(table)[:-len(".table")]
        policy = os.path.join(tables_dir, name + ".json")
        with open(table) as f:
            for lineno, line in enumerate(f, 1):
                tokens = line.split()
                if not tokens or tokens[0].startswith("#"):
                    continue
                if tokens[0] == "policy":
                    policy = os.path.normpath(os.path.join(tables_dir, tokens[1]))
                    continue
                if tokens[0] == "id":
                    # run cannot tell its listener a container id: explain is asked without one too.
                    continue
                if "->" in tokens:
                    yield "%s.table:%d" % (name, lineno), policy, tokens[:tokens.index("->")], line.strip()


def with_helper(policy, cache={}):
    """The policy with one rule first that lets run start the helper (a policy may deny other execs)."""
    if policy not in cache:
        with open(policy) as f:
            doc = json.load(f)
        doc["rules"].insert(0, {"name": "run-tables-helper", "names": ["execve"], "path": {"exact": helper},
                                "action": "continue"})
        path = "/scratch/policy-%d.json" % len(cache)
        with open(path, "w") as f:
            json.dump(doc, f)
        cache[policy] = path
    return cache[policy]


def helper_args(d):
    regs = [str(a) for a in d["args"]]
    for k, reg in enumerate(d["pathArgs"]):
        if k < len(d["paths"]) and d["paths"][k] is not None:
            regs[reg] = "@" + d["paths"][k]
    if d["howArg"] is not None:
        regs[d["howArg"]] = "how:%d" % d["args"][d["howArg"]]
    return [helper, str(d["nr"])] + regs


def outcome(p):
    """What a call did: its errno, or just "ok" (a pid or fd differs from run to run)."""
    out = p.stdout.strip()
    return p.returncode, "ok" if out.startswith("ok ") else out


def check(policy, left):
    """None when run does what explain says, "skip: ..." when not comparable, else what differs."""
    p = subprocess.run([ctl, "explain", "--json", "--policy", policy] + left, capture_output=True, text=True)
    if p.returncode != 0:
        return "explain exited %d: %s" % (p.returncode, p.stderr.strip())
    d = json.loads(p.stdout)
    u = d["underRun"]
    if u["action"] == "redirect":
        return "skip: this kernel redirects; the rewritten call is not compared"
    argv = helper_args(d)
    base = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    run = subprocess.run([ctl, "run", "--policy", with_helper(policy), "--"] + argv, capture_output=True,
                         text=True, timeout=30)
    return compare(u, run, base)


def compare(u, run, base):
    got = "exit %d, %s" % (run.returncode, run.stdout.strip() or "no output")
    if u["action"] == "errno":
        want = "errno %d" % getattr(errno, u["errno"])
        if run.returncode != 0 or run.stdout.strip() != want:
            return "explain says errno %s under run, run gave %s (%s)" % (u["errno"], got, run.stderr.strip())
    elif u["action"] == "kill":
        if run.returncode != 128 + 9:
            return "explain says kill under run, run gave %s" % got
    elif u["action"] == "continue":
        if outcome(run) != outcome(base):
            return "explain says it runs as without run (%s), run gave %s (%s)" % (
                "notified" if u["notified"] else "not notified",
                got + "; without run: exit %d, %s" % (base.returncode, base.stdout.strip()), run.stderr.strip())
    else:
        return "unexpected underRun action %r" % u["action"]
    return None


def main():
    if os.environ.get(INNER) != "1":
        return sandbox()
    todo = list(rows())
    if not todo:
        print("1..0 # SKIP no tables")
        return 77
    print("1..%d" % len(todo))
    failed = 0
    for n, (where, policy, left, text) in enumerate(todo, 1):
        try:
            problem = check(policy, left)
        except Exception as e:  # a row this script cannot run is a failure, not a crash
            problem = "cannot check: %r" % e
        if problem:
            problem = " | ".join(problem.splitlines())
        if problem and problem.startswith("skip: "):
            print("ok %d - %s: %s # SKIP %s" % (n, where, text, problem[6:]))
        elif problem:
            failed += 1
            print("not ok %d - %s: %s" % (n, where, text))
            print("# " + problem)
        else:
            print("ok %d - %s: %s" % (n, where, text))
    sys.stdout.flush()
    return 1 if failed else 0


sys.exit(main())
