#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""tools/count-results, the CI's count line, against synthetic meson logs (TAP)."""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.environ.get("SRD_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
TOOL = os.path.join(ROOT, "tools", "count-results")


def entry(name, result, stdout, suite="unit"):
    return {"name": name, "result": result, "stdout": stdout, "suite": ["seccomp-redirectd:" + suite]}


CASES = [
    ("a TAP test counts each case",
     [entry("t", "OK", "1..3\nok 1 - a\nok 2 - b\nok 3 - c\n")], {}, "3 passed, 0 failed", 0),
    ("a plan after a VM's boot log still makes it TAP",
     [entry("vm", "OK", "booting...\n" + "x" * 500 + "\nok 1 - a\nok 2 - b\n1..2\n", "vm")], {},
     "2 passed, 0 failed", 0),
    ("a test without TAP counts once",
     [entry("plain", "OK", "all fine\n")], {}, "1 passed, 0 failed", 0),
    ("a failed case fails",
     [entry("t", "FAIL", "1..2\nok 1 - a\nnot ok 2 - b\n")], {}, "1 passed, 1 failed", 1),
    ("a test that died after its last case fails once more",
     [entry("t", "ERROR", "1..3\nok 1 - a\nok 2 - b\n")], {}, "2 passed, 1 failed", 1),
    ("a skipped case is skipped",
     [entry("t", "OK", "1..2\nok 1 - a\nok 2 - b # SKIP no kernel\n")], {},
     "1 passed, 0 failed, 1 skipped", 0),
    ("a skipped case fails where skipping is a failure",
     [entry("vm", "OK", "1..2\nok 1 - a\nok 2 - b # SKIP no kvm\n", "vm")], {"SRD_SKIP_IS_FAILURE": "vm"},
     "1 passed, 1 failed", 1),
    ("a failed test without TAP fails once",
     [entry("plain", "FAIL", "boom\n")], {}, "0 passed, 1 failed", 1),
    # A list of lists: one log file each (the plain and the sanitizer build).
    ("several logs are summed",
     [[entry("t", "OK", "1..2\nok 1 - a\nok 2 - b\n")],
      [entry("t", "FAIL", "1..2\nok 1 - a\nnot ok 2 - b\n")]], {}, "3 passed, 1 failed", 1),
]


def main():
    print("1..%d" % len(CASES))
    failed = 0
    for i, (what, entries, env, want, want_rc) in enumerate(CASES, 1):
        logs = entries if entries and isinstance(entries[0], list) else [entries]
        paths = []
        for log in logs:
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
                for e in log:
                    f.write(json.dumps(e) + "\n")
                paths.append(f.name)
        try:
            p = subprocess.run([sys.executable, TOOL, *paths], capture_output=True, text=True,
                               env={**os.environ, "SRD_SKIP_IS_FAILURE": "", **env})
        finally:
            for path in paths:
                os.unlink(path)
        got = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
        ok = got == want and p.returncode == want_rc
        if not ok:
            failed += 1
            print("# got %r (exit %d), want %r (exit %d)" % (got, p.returncode, want, want_rc))
        print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
