#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""policies/schema.json against the real loader.

Every example in policies/ must validate against the schema, and for a set
of edits of demo.json the schema and `seccomp-redirectctl check` must agree:
an editor that validates with the schema must not accept what the daemon
refuses, nor flag what it loads. (Checks the schema cannot express are
listed in its description and left out here.)
"""
import copy
import glob
import json
import os
import subprocess
import sys
import tempfile

src = os.environ.get("SRD_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
build = os.environ.get("SRD_BUILD_ROOT", os.path.join(src, "build"))
ctl = os.path.join(build, "daemon", "seccomp-redirectctl")

try:
    import jsonschema
except ImportError:
    # tools/deps installs it: its absence is a broken setup, not a skip.
    print("not ok 1 - python3-jsonschema is importable (apt-get install python3-jsonschema)")
    print("1..1")
    sys.exit(1)

n = 0
failed = 0


def result(ok, name, diag=None):
    global n, failed
    n += 1
    print(("ok" if ok else "not ok") + f" {n} - {name}")
    if not ok:
        failed += 1
        if diag:
            for line in str(diag).splitlines()[:8]:
                print("#   " + line)


with open(os.path.join(src, "policies", "schema.json")) as f:
    schema = json.load(f)
validator_class = jsonschema.validators.validator_for(schema)
try:
    validator_class.check_schema(schema)
    result(True, "schema.json is a valid " + validator_class.__name__ + " schema")
except jsonschema.exceptions.SchemaError as e:
    result(False, "schema.json is a valid schema", e.message)
validator = validator_class(schema)


def schema_ok(doc):
    errors = list(validator.iter_errors(doc))
    return not errors, errors[0].message if errors else ""


def loader_ok(doc):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(doc, f, indent=2)
        path = f.name
    try:
        p = subprocess.run([ctl, "check", path], capture_output=True, text=True)
        return p.returncode == 0, (p.stdout + p.stderr).strip()
    finally:
        os.unlink(path)


for path in sorted(glob.glob(os.path.join(src, "policies", "*.json"))):
    if path.endswith("schema.json"):
        continue
    with open(path) as f:
        doc = json.load(f)
    ok, why = schema_ok(doc)
    result(ok, f"policies/{os.path.basename(path)} validates against the schema", why)

with open(os.path.join(src, "policies", "demo.json")) as f:
    demo = json.load(f)


def edit(fn):
    d = copy.deepcopy(demo)
    fn(d)
    return d


def setitem(path, value):
    def fn(d):
        o = d
        for k in path[:-1]:
            o = o[k]
        o[path[-1]] = value
    return fn


def delitem(path):
    def fn(d):
        o = d
        for k in path[:-1]:
            o = o[k]
        del o[path[-1]]
    return fn


# (name, edit, both accept?)
cases = [
    ("demo as written", lambda d: None, True),
    ("a description", setitem(["description"], "for the README"), True),
    ("log on a rule", setitem(["rules", 0, "log"], True), True),
    ("kill action", lambda d: (setitem(["rules", 2, "action"], "kill")(d), delitem(["rules", 2, "errno"])(d)), True),
    ("kill action keeping its errno", setitem(["rules", 2, "action"], "kill"), False),
    ("errno by number", setitem(["rules", 2, "errno"], 13), True),
    ("fallback continue", setitem(["redirectFallback"], {"action": "continue"}), True),
    ("unknown top-level key", setitem(["defualtAction"], "continue"), False),
    ("unknown rule key", setitem(["rules", 0, "paht"], {"exact": "/x"}), False),
    ("misspelt action", setitem(["rules", 1, "action"], "redirct"), False),
    ("version 2", setitem(["version"], 2), False),
    ("no rules", delitem(["rules"]), False),
    ("no name", delitem(["name"]), False),
    ("relative exact path", setitem(["rules", 0, "path"], {"exact": "etc/hosts"}), False),
    ("relative redirect target", setitem(["rules", 0, "to"], "sandbox/hosts"), False),
    ("two path conditions", setitem(["rules", 0, "path"], {"exact": "/a", "prefix": "/b/"}), False),
    ("args index 6", setitem(["rules", 3, "args", 0, "index"], 6), False),
    ("args by role", setitem(["rules", 3, "args", 0], {"arg": "flags", "op": "SCMP_CMP_MASKED_EQ", "value": 3}), True),
    ("args with both index and arg", setitem(["rules", 3, "args", 0, "arg"], "flags"), False),
    ("args with neither index nor arg", delitem(["rules", 3, "args", 0, "index"]), False),
    ("set by role", setitem(["rules", 6, "set", 0], {"arg": "flags", "value": 0, "mask": 3}), True),
    ("set mask 0", setitem(["rules", 6, "set", 0, "mask"], 0), False),
    ("a syscall group in names", setitem(["rules", 2, "names"], ["@file-write"]), True),
    ("a syscall group and names", setitem(["rules", 2, "names"], ["@chmod", "mkdir"]), True),
    ("a group name with a capital", setitem(["rules", 2, "names"], ["@File-write"]), False),
    ("symbolic value", setitem(["rules", 3, "args", 0, "value"], "O_WRONLY|O_RDWR"), True),
    ("octal mode in a string", setitem(["rules", 3, "args", 0, "value"], "0755"), True),
    ("empty part in a symbolic value", setitem(["rules", 3, "args", 0, "value"], "O_WRONLY||O_RDWR"), False),
    ("set mask 0 in a string", setitem(["rules", 6, "set", 0, "mask"], 0), False),
    ("unknown comparator", setitem(["rules", 3, "args", 0, "op"], "SCMP_CMP_LIKE"), False),
    ("unknown errno name", setitem(["rules", 2, "errno"], "ENOTANERRNO"), False),
    ("errno on a continue rule", setitem(["rules", 3, "errno"], "EPERM"), False),
    ("empty names", setitem(["rules", 0, "names"], []), False),
    ("redirect with neither to nor set", delitem(["rules", 0, "to"]), False),
    ("set index out of range", setitem(["rules", 6, "set", 0, "index"], 9), False),
    ("fallback redirect", setitem(["redirectFallback"], {"action": "redirect"}), False),
    ("pathError errno", setitem(["pathError"], {"action": "errno", "errno": "EPERM"}), True),
    ("pathError errno without errno", setitem(["pathError"], {"action": "errno"}), True),
    ("pathError kill", setitem(["pathError"], {"action": "kill"}), True),
    ("pathError continue", setitem(["pathError"], {"action": "continue"}), False),
    ("pathError redirect", setitem(["pathError"], {"action": "redirect"}), False),
    ("pathError kill with errno", setitem(["pathError"], {"action": "kill", "errno": "EPERM"}), False),
    ("pathError unknown key", setitem(["pathError"], {"action": "kill", "log": True}), False),
    ("name with a slash", setitem(["name"], "a/b"), False),
    ("rules not an array", setitem(["rules"], {}), False),
]

for name, fn, want in cases:
    doc = edit(fn)
    s_ok, s_why = schema_ok(doc)
    l_ok, l_why = loader_ok(doc)
    verdict = "accept" if want else "refuse"
    result(s_ok == want and l_ok == want,
           f"{name}: schema and loader both {verdict}",
           f"schema: {'accepts' if s_ok else 'refuses: ' + s_why}\nloader: {'accepts' if l_ok else 'refuses: ' + l_why}")

print(f"1..{n}")
sys.exit(1 if failed else 0)
