# SPDX-License-Identifier: LGPL-2.1-or-later
"""$SRD_DAEMON_WRAPPER for the Python integration tests, as itest-util.c has
it for the C ones: the daemon starts as "WRAPPER DAEMON ARGS" (the wrapper
execs, so the pid is the daemon's), and once reaped, "WRAPPER --verdict PID"
judges the run (tools/valgrind-daemon: errors, leaks, fds left open)."""
import os
import subprocess

WRAPPER = os.environ.get("SRD_DAEMON_WRAPPER") or None


def argv(daemon_argv):
    """The command line that starts the daemon, under the wrapper if there is one."""
    return ([WRAPPER] if WRAPPER else []) + list(daemon_argv)


def timeout(seconds):
    """A wait scaled by $SRD_TIMEOUT_MULTIPLIER (the daemon is slower under valgrind)."""
    try:
        k = max(1, min(100, int(os.environ.get("SRD_TIMEOUT_MULTIPLIER", "1"))))
    except ValueError:
        k = 1
    return seconds * k


def verdict(pid):
    """(ok, reasons): True when there is no wrapper or it found the run clean.
    A run killed before its exit checks is not clean: callers that mean to
    kill the daemon do not ask."""
    if not WRAPPER:
        return True, ""
    r = subprocess.run([WRAPPER, "--verdict", str(pid)], capture_output=True, text=True)
    return r.returncode == 0, r.stdout + r.stderr
