#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `seccomp-redirectctl run` on the host kernel: the command's syscalls get
# the policy's answers, its exit status comes back, and the listener
# hand-over works even when the policy names the syscalls it needs itself.
set -u
ctl=$(realpath "$1")
src=${SRD_SOURCE_ROOT:?}
. "$(dirname "$0")/tap.sh"
demo=$src/policies/demo.json

work=$(mktemp -d)
forbidden=/tmp/forbidden-srd-test-$$
trap 'rm -rf "$work"; rmdir "$forbidden" 2>/dev/null' EXIT

run() {
        timeout 60 "$ctl" run --policy "$@"
}

rc_is() {
        local want=$1
        shift
        run "$@" >/dev/null 2>&1
        local rc=$?
        [ $rc -eq "$want" ] || { echo "exit $rc, expected $want" | tap_diag; return 1; }
}

tap_plan 13
tap_check "exit status of the command" rc_is 3 "$demo" -- sh -c 'exit 3'
tap_check "killed by a signal: 128+N" rc_is 137 "$demo" -- sh -c 'kill -9 $$'
tap_check "command not found: 127" rc_is 127 "$demo" -- /nonexistent/cmd
printf '{ "version": 1, "name": "b", "defaultAction": "nope", "rules": [] }\n' >"$work/bad.json"
tap_check "invalid policy: 125" rc_is 125 "$work/bad.json" -- true
tap_check "no command: usage error 2" rc_is 2 "$demo"

errno_rule() {
        run "$demo" -- sh -c "mkdir $forbidden" >"$work/out" 2>"$work/err"
        [ ! -d "$forbidden" ] && grep -q 'rule "no-forbidden": errno EACCES (logged)' "$work/err" &&
                grep -qi 'permission denied' "$work/err"
}
tap_check "errno rule denies and its hit is logged" errno_rule

continue_default() {
        run "$demo" -- mkdir "$work/allowed" && [ -d "$work/allowed" ]
}
tap_check "default action continue lets mkdir through" continue_default

grandchild() {
        run "$demo" -- sh -c "sh -c 'mkdir $forbidden' 2>/dev/null; sh -c 'mkdir $forbidden 2>/dev/null || exit 7'"
        [ $? -eq 7 ] && [ ! -d "$forbidden" ]
}
tap_check "the command's children are supervised too" grandchild

redirect_fallback() {
        run "$demo" -- cat /etc/hosts >"$work/out" 2>"$work/err"
        # Stock kernel: redirectFallback (EPERM), logged. Patched kernel: the
        # redirect to /sandbox/etc/hosts happens (and fails, it does not exist).
        grep -q 'redirectFallback errno EPERM' "$work/err" ||
                grep -qi 'No such file' "$work/err" || { tap_diag <"$work/err"; return 1; }
}
tap_check "redirect: fallback on a kernel without the interface, logged" redirect_fallback

cat >"$work/handover.json" <<'JSON'
{ "version": 1, "name": "handover", "defaultAction": "continue",
  "rules": [ { "name": "all", "names": ["execve", "futex", "write", "read", "close", "mmap", "munmap",
                                        "rt_sigprocmask", "brk", "exit_group", "sendmsg", "openat"],
               "action": "continue", "log": true } ] }
JSON
handover() {
        run "$work/handover.json" -- sh -c 'echo hello' >"$work/out" 2>"$work/err" &&
                grep -q '^hello$' "$work/out" && grep -q 'execve(' "$work/err"
}
tap_check "policy naming execve, futex, write, read, mmap...: hand-over still works" handover

cat >"$work/kill.json" <<'JSON'
{ "version": 1, "name": "k", "defaultAction": "continue",
  "rules": [ { "name": "no-mkdir", "names": ["mkdir", "mkdirat"], "action": "kill" } ] }
JSON
kill_rule() {
        run "$work/kill.json" -- mkdir "$work/killed" 2>"$work/err"
        local rc=$?
        [ $rc -eq 137 ] && [ ! -d "$work/killed" ] && grep -q 'rule "no-mkdir": kill' "$work/err"
}
tap_check "kill rule: SIGKILL, exit 137, logged" kill_rule
cat >"$work/missing.json" <<'JSON'
{ "version": 1, "name": "m", "defaultAction": "continue",
  "rules": [ { "name": "nothing-here", "names": ["open", "openat"], "path": { "prefix": "/nonexistent-srd/" },
               "action": "continue" } ] }
JSON
# What the kernel would fail anyway fails the same, without a line; what the
# policy's pathError decides is reported.
quiet_enoent() {
        run "$work/missing.json" -- cat /nonexistent-srd/file >"$work/out" 2>"$work/err"
        grep -qi 'no such file' "$work/err" && ! grep -q 'cannot be placed' "$work/err" ||
                { tap_diag <"$work/err"; return 1; }
}
tap_check "a missing file under a path rule: ENOENT, and no line about it" quiet_enoent

path_error_reported() {
        run "$work/missing.json" -- cat "/$(printf 'x%.0s' $(seq 1 5000))" >"$work/out" 2>"$work/err"
        grep -q 'cannot be placed (the path is longer than PATH_MAX) -> pathError' "$work/err" ||
                { tap_diag <"$work/err"; return 1; }
}
tap_check "a path that cannot be placed: pathError, reported" path_error_reported
tap_done
