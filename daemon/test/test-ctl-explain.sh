#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `seccomp-redirectctl explain` on the issue's demo policy: argument mapping
# (implied AT_FDCWD, symbolic constants), the printed verdicts, --json, and
# usage errors.
set -u
ctl=$(realpath "$1")
src=${SRD_SOURCE_ROOT:?}
. "$(dirname "$0")/tap.sh"
demo=$src/policies/demo.json

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# expect_line "EXPECTED STDOUT" ARG...
expect_line() {
        local want=$1 got
        shift
        # The first line is the verdict; what run does with it on this kernel follows (tested below).
        got=$("$ctl" explain --policy "$demo" "$@" 2>"$work/err")
        if [ $? -ne 0 ] || [ "${got%%$'\n'*}" != "$want" ]; then
                printf 'explain %s\n  got:  %s\n  want: %s\n' "$*" "$got" "$want" | tap_diag
                tap_diag <"$work/err"
                return 1
        fi
}

expect_rc() {
        local want=$1
        shift
        "$ctl" explain "$@" >/dev/null 2>&1
        [ $? -eq "$want" ]
}

tap_plan 28
tap_check "exact path rule, dirfd implied" expect_line \
        'openat("/etc/hosts", O_RDONLY) -> rule "hosts" (rules[0]): redirect to /sandbox/etc/hosts' \
        openat /etc/hosts O_RDONLY
tap_check "prefix rule renders {suffix}" expect_line \
        'openat("/etc/secrets/db", O_RDONLY) -> rule "secrets" (rules[1]): redirect to /sandbox/secrets/db' \
        openat /etc/secrets/db O_RDONLY
tap_check "explicit AT_FDCWD is the same" expect_line \
        'openat(AT_FDCWD, "/etc/secrets/db", O_RDONLY) -> rule "secrets" (rules[1]): redirect to /sandbox/secrets/db' \
        openat AT_FDCWD /etc/secrets/db O_RDONLY
tap_check "path is normalized before matching" expect_line \
        'openat("/etc/./x/../secrets//db", O_RDONLY) -> rule "secrets" (rules[1]): redirect to /sandbox/secrets/db' \
        openat /etc/./x/../secrets//db O_RDONLY
tap_check "glob rule with log, octal mode" expect_line \
        'mkdir("/tmp/forbidden-dir", 0755) -> rule "no-forbidden" (rules[2]): errno EACCES (logged)' \
        mkdir /tmp/forbidden-dir 0755
tap_check "masked compare lets read-only opens through" expect_line \
        'openat("/usr/share/dict", O_RDONLY) -> rule "usr-read-only-ok" (rules[3]): continue' \
        openat /usr/share/dict O_RDONLY
tap_check "flag combinations with |" expect_line \
        'openat("/usr/lib/x", O_WRONLY|O_CREAT|O_TRUNC) -> rule "usr-no-writes" (rules[4]): errno EROFS' \
        openat /usr/lib/x 'O_WRONLY|O_CREAT|O_TRUNC'
tap_check "AF_* and SOCK_* constants" expect_line \
        'socket(AF_PACKET, SOCK_RAW, 0) -> rule "no-packet-sockets" (rules[5]): errno EAFNOSUPPORT' \
        socket AF_PACKET SOCK_RAW 0
tap_check "numbers in hex" expect_line \
        'socket(0x11, 3, 0) -> rule "no-packet-sockets" (rules[5]): errno EAFNOSUPPORT' socket 0x11 3 0
tap_check "other families fall through to the default" expect_line \
        'socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0) -> default action: continue' \
        socket AF_INET 'SOCK_STREAM|SOCK_CLOEXEC' 0
tap_check "set rewrite shows the new argument value" expect_line \
        'openat("/etc/motd", O_RDWR) -> rule "force-read-only" (rules[6]): redirect set arg2=0x0' \
        openat /etc/motd O_RDWR
tap_check "relative path resolves against the cwd" \
        bash -c "cd /etc && '$ctl' explain --policy '$demo' openat hosts O_RDONLY | grep -q 'rule \"hosts\"'"

json() {
        "$ctl" explain --json --policy "$demo" openat /etc/secrets/db O_RDONLY >"$work/json" || return 1
        python3 - "$work/json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["syscall"] == "openat", d
assert d["rule"] == 1 and d["ruleName"] == "secrets", d
assert d["action"] == "redirect" and d["to"] == ["/sandbox/secrets/db"], d
assert d["args"][0] == 2**64 - 100, d  # AT_FDCWD as the register holds it
assert d["paths"] == ["/etc/secrets/db"], d
assert d["redirectFallback"] == {"action": "errno", "errno": "EPERM"}, d
assert d["pathError"] == {"action": "errno", "errno": "EACCES"}, d  # demo's path rules name openat
PY
}
tap_check "--json" json
json_no_path_rule() {
        "$ctl" explain --json --policy "$demo" socket AF_INET SOCK_STREAM 0 >"$work/json2" || return 1
        python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["pathError"] is None, d' \
                "$work/json2"
}
tap_check "--json: no pathError for a syscall no path rule names" json_no_path_rule
tap_check "unknown syscall: exit 2" expect_rc 2 --policy "$demo" opnat /x
tap_check "unknown constant: exit 2" expect_rc 2 --policy "$demo" openat /x O_RDONY
tap_check "too many arguments: exit 2" expect_rc 2 --policy "$demo" mkdir /x 1 2 3 4 5 6
expect_stderr() {
        local want=$1
        shift
        "$ctl" explain "$@" >/dev/null 2>"$work/err"
        grep -qF -- "$want" "$work/err" || { tap_diag <"$work/err"; return 1; }
}
tap_check "unknown syscall: did you mean" expect_stderr 'unknown syscall "opnat" (did you mean "openat"?)' \
        --policy "$demo" opnat /x
tap_check "unknown constant: did you mean" expect_stderr '(did you mean "O_RDONLY"?)' \
        --policy "$demo" openat /x O_RDONY
groups=$src/tests/unit/policy-tables/groups.json
tap_check "the group that named the call" bash -c "'$ctl' explain --policy '$groups' umount2 /mnt 0 |
        grep -qxF 'umount2(\"/mnt\", 0) -> rule \"no-admin\" (rules[0]) via @mount: errno EPERM'"
tap_check "--json: group" bash -c "'$ctl' explain --json --policy '$groups' ptrace 16 1 0 0 | grep -qF '\"group\":\"@ptrace\"'"
tap_check "--groups lists @file-write" bash -c "'$ctl' explain --groups | grep -q '^@file-write: '"
tap_check "a redirect says what this kernel does with it under run" bash -c "'$ctl' explain --policy '$demo' openat /etc/hosts O_RDONLY |
        grep -Eqx '  under run here: (errno EPERM: this kernel cannot redirect \(no SECCOMP_FILTER_FLAG_REDIRECT\): redirectFallback applies|redirect: this kernel redirects .*)'"
printf '{ "version": 1, "name": "m", "defaultAction": "errno", "defaultErrno": "EPERM", "rules": [
  { "names": ["openat"], "path": { "prefix": "/tmp/" }, "action": "continue" } ] }\n' >"$work/m.json"
tap_check "a syscall no rule names: not notified under run" bash -c "'$ctl' explain --policy '$work/m.json' mkdir /tmp/x 0755 |
        grep -qxF \"  under run here: continue: no rule names it, so run's filter does not notify it and it runs unchecked (under a runtime, its seccomp profile decides whether the daemon sees it)\""
tap_check "--json: underRun" bash -c "'$ctl' explain --json --policy '$work/m.json' mkdir /tmp/x 0755 |
        grep -qF '\"underRun\":{\"notified\":false,\"action\":\"continue\"'"
creds=$src/policies/per-container-credentials.json
tap_check "--id fills {id}" bash -c "'$ctl' explain --policy '$creds' --id 4f3c openat /etc/app/credentials.json O_RDONLY |
        head -n1 | grep -qF 'redirect to /srv/credentials/4f3c/credentials.json'"
tap_check "--id: run, which knows no id, denies" bash -c "'$ctl' explain --policy '$creds' --id 4f3c openat /etc/app/credentials.json O_RDONLY |
        grep -qF '  under run here: errno EACCES: run knows no container id'"
printf '{ "version": 1, "name": "b", "defaultAction": "nope", "rules": [] }\n' >"$work/bad.json"
tap_check "invalid policy: exit 1" expect_rc 1 --policy "$work/bad.json" mkdir /x
tap_done
