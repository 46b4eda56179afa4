#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every program the project runs comes from a package tools/deps installs.

A program installed by hand once passed CI here and failed for a new user
(rsync, run by the kernel's `make headers_install`). This test lists the
external commands that the scripts run (shell: tools/, tests/, bench/, .ci/;
Python: subprocess calls and shutil.which; meson: find_program; host-side C:
absolute /usr/bin paths), plus the commands the kernel build runs
(kernel/build-commands, recorded from a traced build), and checks that each
one is a shell builtin or keyword, a function of its own script, or a file
that dpkg says is shipped by a package that tools/deps names, by one of
their dependencies (Depends and Pre-Depends, recursively: tools/deps
installs with --no-install-recommends), or by an essential or required
package (present on every Debian system). One TAP case per command.
"""
import ast
import os
import re
import shutil
import subprocess
import sys

TOP = os.environ.get("SRD_SOURCE_ROOT") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.realpath(__file__))))

# Prefixes that run the next word as a command.
WRAPPERS = {"exec", "command", "nice", "time", "env", "xargs", "nohup", "sudo",
            "setsid", "stdbuf", "unshare", "chroot", "timeout", "flock", "ionice"}
# Shell keywords after which a new command starts.
STARTERS = {"then", "do", "else", "elif", "if", "while", "until", "!", "{", "}",
            "fi", "done", "esac"}
NAME_RE = re.compile(r"^[A-Za-z0-9_.+][A-Za-z0-9_.+/-]*$")
ASSIGN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=")


def shell_builtins():
    out = subprocess.run(["bash", "-c", "compgen -b; compgen -k"], capture_output=True,
                         text=True, check=True).stdout
    return set(out.split())


class ShellScan:
    """A small lexer for bash: yields the first word of every simple command,
    including those in $( ), backticks and <( ), and skips quoted text,
    comments, here-documents, [[ ]], (( )), case patterns and for lists."""

    def __init__(self, text):
        self.s = text
        self.i = 0
        self.commands = []
        self.functions = set()

    def scan(self):
        self.seq(None)
        return self.commands, self.functions

    def word(self):
        """Read one word from self.i; returns (text, had_dollar, quoted)."""
        s, out, dollar, quoted = self.s, [], False, False
        while self.i < len(s):
            c = s[self.i]
            if c in " \t\n;&|<>()`":
                break
            if c == "\\":
                out.append(s[self.i + 1:self.i + 2])
                self.i += 2
                continue
            if c == "'":
                j = s.index("'", self.i + 1)
                out.append(s[self.i + 1:j])
                quoted = True
                self.i = j + 1
                continue
            if c == '"':
                quoted = True
                self.i += 1
                out.append(self.dquote())
                continue
            if c == "$":
                dollar = True
                self.dollar()
                continue
            out.append(c)
            self.i += 1
        return "".join(out), dollar, quoted

    def dquote(self):
        s, out = self.s, []
        while self.i < len(s) and s[self.i] != '"':
            c = s[self.i]
            if c == "\\":
                out.append(s[self.i + 1:self.i + 2])
                self.i += 2
            elif c == "$":
                self.dollar()
                out.append("$")
            elif c == "`":
                self.i += 1
                self.seq("`")
            else:
                out.append(c)
                self.i += 1
        self.i += 1
        return "".join(out)

    def dollar(self):
        s = self.s
        self.i += 1
        if s.startswith("((", self.i):
            self.skip_balanced("(", ")")
        elif s.startswith("(", self.i):
            self.i += 1
            self.seq(")")
        elif s.startswith("{", self.i):
            self.skip_balanced("{", "}")
        else:
            while self.i < len(s) and (s[self.i].isalnum() or s[self.i] in "_@*#?$!-"):
                self.i += 1
                if not s[self.i - 1].isalnum() and s[self.i - 1] != "_":
                    break

    def skip_balanced(self, o, c):
        depth = 0
        while self.i < len(self.s):
            ch = self.s[self.i]
            self.i += 1
            if ch == o:
                depth += 1
            elif ch == c:
                depth -= 1
                if depth == 0:
                    return

    def heredoc(self, delim):
        nl = self.s.find("\n", self.i)
        if nl < 0:
            return
        m = re.compile(r"^\t*" + re.escape(delim) + r"$", re.M).search(self.s, nl + 1)
        self.pending_heredoc_end = m.end() if m else len(self.s)

    def seq(self, end):
        """Commands until `end` (")" or "`" or None for end of text)."""
        s = self.s
        at_start = True
        skip_rest = False  # for/case/select lists, [[ ]] contents
        prev_word = None
        self.pending_heredoc_end = None
        while self.i < len(s):
            c = s[self.i]
            if end is not None and c == end:
                self.i += 1
                return
            if c == "\n":
                self.i += 1
                if self.pending_heredoc_end is not None:
                    self.i = self.pending_heredoc_end
                    self.pending_heredoc_end = None
                at_start, skip_rest = True, False
                continue
            if c in " \t":
                self.i += 1
                continue
            if c == "#" and (self.i == 0 or s[self.i - 1] in " \t\n;"):
                nl = s.find("\n", self.i)
                self.i = nl if nl >= 0 else len(s)
                continue
            if s.startswith("<<", self.i) and not s.startswith("<<<", self.i):
                self.i += 2
                if self.i < len(s) and s[self.i] == "-":
                    self.i += 1
                while s[self.i] in " \t":
                    self.i += 1
                delim, _, _ = self.word()
                self.heredoc(delim)
                continue
            if c in ";&|":
                self.i += 1
                if s.startswith(";;", self.i - 1):
                    self.i += 1
                at_start, skip_rest = True, False
                continue
            if c in "<>":
                self.i += 1
                if self.i < len(s) and s[self.i] == "(":
                    self.i += 1
                    self.seq(")")
                    continue
                while self.i < len(s) and s[self.i] in "<>&|":
                    self.i += 1
                while self.i < len(s) and s[self.i] in " \t":
                    self.i += 1
                self.word()  # the redirection's target
                continue
            if c == "(":
                if s.startswith("((", self.i):
                    self.skip_balanced("(", ")")
                    continue
                if prev_word is not None and s.startswith("()", self.i):
                    self.functions.add(prev_word)  # name() { ... }
                    self.i += 2
                    at_start = True
                    continue
                self.i += 1
                self.seq(")")  # subshell
                at_start = False
                continue
            if c == ")":
                # A case pattern: "pat)" ends the pattern, a command follows.
                self.i += 1
                at_start, skip_rest = True, False
                continue
            if c == "`":
                self.i += 1
                self.seq("`")
                continue
            if s.startswith("[[", self.i):
                j = s.find("]]", self.i)
                self.i = j + 2 if j >= 0 else len(s)
                at_start = False
                continue
            w, dollar, quoted = self.word()
            if not w and not dollar:
                self.i += 1
                continue
            prev_word = w
            if w.isdigit() and self.i < len(s) and s[self.i] in "<>":
                continue  # the fd of a redirection: 9>file
            if ASSIGN_RE.match(w) and w.endswith("=") and s.startswith("(", self.i):
                self.skip_balanced("(", ")")  # an array: name=( words )
                continue
            # "pat)" or "pat1 | pat2)" in a case: a word right before ")".
            if self.i < len(s) and s[self.i] == ")" and end != ")":
                at_start = False
                continue
            if not at_start or skip_rest:
                continue
            if w in ("for", "case", "select", "in"):
                skip_rest = True
                continue
            if w == "function":
                self.skip_ws()
                self.functions.add(self.word()[0])
                continue
            if w in STARTERS or ASSIGN_RE.match(w):
                continue
            if w in WRAPPERS:
                if w == "timeout":
                    self.skip_ws()
                    self.word()
                if w == "flock":
                    self.skip_ws()
                    self.word()
                continue
            at_start = False
            if dollar or not NAME_RE.match(w):
                continue
            self.commands.append(w)
        return

    def skip_ws(self):
        while self.i < len(self.s) and self.s[self.i] in " \t":
            self.i += 1


def is_shell_script(path):
    try:
        with open(path, "rb") as f:
            first = f.readline()
    except OSError:
        return False
    return first.startswith(b"#!") and re.search(rb"\b(ba)?sh\b", first) is not None


def is_python_script(path):
    if path.endswith(".py"):
        return True
    try:
        with open(path, "rb") as f:
            return b"python" in f.readline()
    except OSError:
        return False


def python_commands(path):
    tree = ast.parse(open(path).read(), path)
    lists = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    lists.setdefault(t.id, []).append(node.value)
    found = []

    def first_of(lst):
        if lst.elts and isinstance(lst.elts[0], ast.Constant) and isinstance(lst.elts[0].value, str):
            found.append(lst.elts[0].value)

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f"{getattr(f.value, 'id', '')}.{f.attr}" if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        if name in ("subprocess.run", "subprocess.Popen", "subprocess.call",
                    "subprocess.check_call", "subprocess.check_output") and node.args:
            a = node.args[0]
            if isinstance(a, ast.List):
                first_of(a)
            elif isinstance(a, ast.Name):
                for lst in lists.get(a.id, []):
                    first_of(lst)
        elif name == "shutil.which" and node.args and isinstance(node.args[0], ast.Constant):
            found.append(node.args[0].value)
    return found


def scripts():
    for sub in ("tools", "tests", "bench", ".ci"):
        for root, dirs, files in os.walk(os.path.join(TOP, sub)):
            dirs[:] = [d for d in dirs if d not in ("corpus", "__pycache__")]
            for f in sorted(files):
                yield os.path.join(root, f)


def collect():
    """{command: set of places}"""
    cmds = {}
    builtins = shell_builtins()

    def add(cmd, where):
        if os.path.isabs(cmd):
            pass
        elif "/" in cmd or cmd in builtins:
            return  # a path in the repo, or the shell's own
        cmds.setdefault(cmd, set()).add(where)

    for path in scripts():
        rel = os.path.relpath(path, TOP)
        if rel.startswith("tests/vm/e2e/") and path.endswith(".sh"):
            continue  # guest scripts (containers.sh): the guest's busybox and the binaries run-vm copies
        if path.endswith(".c") or path.endswith(".h"):
            if rel.startswith("tests/vm/"):
                continue  # guest programs: the guest's busybox, not the host
            for m in re.finditer(r'"((?:/usr)?/s?bin/[A-Za-z0-9_.+-]+)"', open(path, errors="replace").read()):
                add(m.group(1), rel)
        elif os.path.basename(path) == "meson.build":
            for m in re.finditer(r"find_program\(\s*'([^']+)'", open(path).read()):
                if not os.path.exists(os.path.join(os.path.dirname(path), m.group(1))):
                    add(m.group(1), rel)  # not a script of the repo's own
        elif is_shell_script(path):
            found, functions = ShellScan(open(path).read()).scan()
            for c in found:
                if c not in functions:
                    add(c, rel)
        elif is_python_script(path):
            for c in python_commands(path):
                add(c, rel)
    with open(os.path.join(TOP, "kernel", "build-commands")) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                add(line, "kernel/build-commands")
    return cmds


def dpkg_lines(fmt, *pkgs):
    p = subprocess.run(["dpkg-query", "-W", "-f", fmt, *pkgs], capture_output=True, text=True)
    return p.stdout


def allowed_packages(named):
    """The named packages, what they depend on (installed alternatives and
    providers), and every essential or required package."""
    installed, provides = {}, {}
    info = dpkg_lines("${Package}\t${Status}\t${Essential}\t${Priority}\t${Depends}, ${Pre-Depends}\t${Provides}\n")
    for line in info.splitlines():
        pkg, status, essential, priority, deps, prov = (line.split("\t") + [""] * 6)[:6]
        if "install ok installed" not in status:
            continue
        installed[pkg] = (essential == "yes" or priority == "required", deps)
        for p in prov.split(","):
            p = p.strip().split(" ")[0]
            if p:
                provides.setdefault(p, set()).add(pkg)
    allowed = {p for p, (base, _) in installed.items() if base}
    todo = [p for p in named if p in installed]
    seen = set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        allowed.add(p)
        for alt in installed[p][1].replace("|", ",").split(","):
            name = alt.strip().split(" ")[0].split(":")[0]
            if not name:
                continue
            for q in ({name} if name in installed else set()) | provides.get(name, set()):
                todo.append(q)
    return allowed


def owners(path):
    """Packages that ship path (merged /usr: try both spellings)."""
    cands = {path, os.path.realpath(path)}
    for c in list(cands):
        if c.startswith("/usr/"):
            cands.add(c[4:])
        else:
            cands.add("/usr" + c)
    pkgs = set()
    for c in cands:
        p = subprocess.run(["dpkg-query", "-S", c], capture_output=True, text=True)
        for line in p.stdout.splitlines():
            head, _, shipped = line.rpartition(": ")
            if shipped.strip() == c:
                pkgs.update(x.strip().split(":")[0] for x in head.split(","))
    return pkgs


def check(cmd, allowed):
    """(ok, what to print) for one command."""
    path = cmd if os.path.isabs(cmd) else shutil.which(
        cmd, path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    if not path or not os.path.exists(path):
        return False, "not installed; no package tools/deps names ships it"
    pkgs = owners(path)
    good = pkgs & allowed
    if good:
        return True, f"{path} from {', '.join(sorted(good))}"
    why = f"shipped by {', '.join(sorted(pkgs))}" if pkgs else "no package ships it (installed by hand?)"
    return False, f"{path}: {why}, which tools/deps does not name"


# The lexer on a script whose commands are known.
LEXER_SAMPLE = r"""#!/bin/bash
x=$(basename "$p") ; foo --opt | bar && baz 2>/dev/null
cat <<EOF
notacmd here; nor this
EOF
case $a in
--opt) qux ;;
*) ;;
esac
f() { inner; }
f arg
[[ -f x || -d y ]] && quux
echo "a; b $(zap)"   # comment; notacmd
exec 9>lock
arr=( not a command )
timeout 5 tcmd <(procsub) >"$out"
for i in one two; do loopbody "$i"; done
"""
LEXER_EXPECT = {"basename", "foo", "bar", "baz", "cat", "qux", "inner", "quux", "echo",
                "zap", "tcmd", "procsub", "loopbody"}


def main():
    listed = subprocess.run([os.path.join(TOP, "tools", "deps"), "--list"], capture_output=True,
                            text=True, check=True).stdout.split()
    allowed = allowed_packages(listed)
    cmds = collect()
    print(f"1..{len(cmds) + 3}")
    failed = False

    found, functions = ShellScan(LEXER_SAMPLE).scan()
    got = set(found) - functions
    ok = got == LEXER_EXPECT
    print(f"{'ok' if ok else 'not ok'} 1 - the shell lexer finds exactly the sample's commands")
    if not ok:
        print(f"# missing {sorted(LEXER_EXPECT - got)}, extra {sorted(got - LEXER_EXPECT)}")
    failed |= not ok

    # Teeth: a program shipped by a package that is not named is refused.
    ok = check("ninja", allowed)[0] and not check("ninja", allowed - {"ninja-build"})[0]
    print(f"{'ok' if ok else 'not ok'} 2 - a command from a package tools/deps does not name is refused")
    failed |= not ok

    ok = bool(listed) and "rsync" in cmds and "qemu-system-x86_64" in cmds
    print(f"{'ok' if ok else 'not ok'} 3 - the scan finds the commands ({len(cmds)}, rsync and qemu among them)")
    failed |= not ok
    for n, cmd in enumerate(sorted(cmds), start=4):
        good, msg = check(cmd, allowed)
        where = ", ".join(sorted(cmds[cmd])[:3])
        print(f"{'ok' if good else 'not ok'} {n} - {cmd}: {msg}" + ("" if good else f" (run by {where})"))
        failed |= not good
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
