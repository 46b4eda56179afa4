#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `seccomp-redirectctl check`: exit codes and the file:line:col diagnostics,
# on every shipped policy and on broken ones made here.
set -u
ctl=$(realpath "$1")
src=${SRD_SOURCE_ROOT:?}
. "$(dirname "$0")/tap.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# expect_check EXPECTED_RC FILE [STDERR_REGEX]
expect_check() {
        local want=$1 file=$2 re=${3:-} rc
        "$ctl" check ${STRICT:+--strict} "$file" >"$work/out" 2>"$work/err"
        rc=$?
        if [ "$rc" -ne "$want" ]; then
                echo "check $file: exit $rc, expected $want" | tap_diag
                tap_diag <"$work/err"
                return 1
        fi
        if [ -n "$re" ] && ! grep -Eq -- "$re" "$work/err"; then
                echo "check $file: stderr does not match: $re" | tap_diag
                tap_diag <"$work/err"
                return 1
        fi
        return 0
}

expect_check_strict() {
        STRICT=1 expect_check "$@"
}

write() {
        printf '%s\n' "$2" >"$work/$1"
}

write typo.json '{
  "version": 1,
  "name": "typo",
  "defaultAction": "continue",
  "rules": [
    { "names": ["openat"], "action": "redirct", "to": "/x" }
  ]
}'
write unknown-key.json '{ "version": 1, "name": "k", "defaultAction": "continue", "rules": [], "colour": 1 }'
write bad-json.json '{ "version": 1, "name": '
write bad-syscall.json '{ "version": 1, "name": "s", "defaultAction": "continue",
  "rules": [ { "names": ["opnat"], "action": "continue" } ] }'
write bad-errno.json '{ "version": 1, "name": "e", "defaultAction": "continue",
  "rules": [ { "names": ["mkdir"], "action": "errno", "errno": "EPRM" } ] }'
write relative-target.json '{ "version": 1, "name": "t", "defaultAction": "continue",
  "rules": [ { "names": ["openat"], "path": { "exact": "/a" }, "action": "redirect", "to": "b/c" } ] }'
write redirect-default.json '{ "version": 1, "name": "d", "defaultAction": "redirect", "rules": [] }'
write empty.json ''

# Every policy shipped (the JSON Schema lives there too and is no policy).
policies=()
for p in "$src"/policies/*.json; do
        [ -e "$p" ] && [ "$(basename "$p")" != schema.json ] && policies+=("$p")
done
n_good=${#policies[@]}
tap_plan $((n_good + 22))

for p in "${policies[@]}"; do
        tap_check "shipped policy $(basename "$p") is valid, without warnings" expect_check_strict 0 "$p" ""
done

tap_check "typo in an action: file:line:col, where and did-you-mean" \
        expect_check 1 "$work/typo.json" \
        '^[^ ]*typo\.json:6:[0-9]+: rules\[0\]\.action: .*"redirct".*did you mean "redirect"'
tap_check "unknown key is an error naming the key" \
        expect_check 1 "$work/unknown-key.json" '^[^ ]*unknown-key\.json:1:[0-9]+: .*colour'
tap_check "truncated JSON" expect_check 1 "$work/bad-json.json" '^[^ ]*bad-json\.json:[0-9]+:[0-9]+: '
tap_check "unknown syscall name" expect_check 1 "$work/bad-syscall.json" \
        '^[^ ]*bad-syscall\.json:2:[0-9]+: rules\[0\]\.names\[0\]: .*opnat'
tap_check "unknown errno name" expect_check 1 "$work/bad-errno.json" '^[^ ]*bad-errno\.json:2:[0-9]+: .*EPRM'
tap_check "relative redirect target" expect_check 1 "$work/relative-target.json" \
        '^[^ ]*relative-target\.json:2:[0-9]+: rules\[0\]\.to: '
tap_check "redirect as defaultAction" expect_check 1 "$work/redirect-default.json" \
        '^[^ ]*redirect-default\.json:1:[0-9]+: defaultAction: '
tap_check "empty file" expect_check 1 "$work/empty.json" 'empty\.json'
tap_check "missing file" expect_check 1 "$work/does-not-exist.json" 'does-not-exist\.json: '

both() {
        "$ctl" check "$src/policies/demo.json" "$work/typo.json" >"$work/out" 2>"$work/err"
        [ $? -eq 1 ] && grep -q 'demo.json: ok' "$work/out" && grep -q 'typo.json:' "$work/err"
}
tap_check "several files: one bad one makes exit 1, the good one still reported" both

no_args() {
        "$ctl" check >/dev/null 2>&1
        [ $? -eq 2 ]
}
tap_check "no file is a usage error (exit 2)" no_args

ok_line() {
        "$ctl" check "$src/policies/demo.json" 2>/dev/null | grep -q 'ok (policy "demo", 7 rules)'
}
tap_check "valid file reported on stdout with its name and rule count" ok_line


# Warnings: legal, likely not meant; --strict makes them errors.
write traps.json '{"version": 1, "name": "traps", "defaultAction": "errno", "defaultErrno": "EPERM", "rules": [
{"name": "etc", "names": ["openat"], "path": {"prefix": "/etc/"}, "action": "continue"},
{"name": "shadow", "names": ["openat"], "path": {"exact": "/etc/shadow"}, "action": "errno", "errno": "EACCES"},
{"name": "g1", "names": ["open"], "path": {"glob": "/etc//sh*"}, "action": "continue"},
{"name": "g2", "names": ["open"], "path": {"glob": "/etc/[z-a]"}, "action": "continue"},
{"name": "g3", "names": ["open"], "path": {"glob": "/etc/{passwd,group}"}, "action": "continue"}
]}'
tap_check "warnings: exit 0, counted" bash -c "'$ctl' check '$work/traps.json' 2>'$work/err' | grep -qF 'ok (policy \"traps\", 5 rules, 5 warnings)'"
tap_check "warning: shadowed rule" grep -qF 'traps.json:3:1: rules[1]: warning: rule "shadow" never decides: rule "etc" (rules[0] at 2:1)' "$work/err"
tap_check "warning: glob with //" grep -qF 'rules[2].path.glob: warning: glob "/etc//sh*" can never match' "$work/err"
tap_check "warning: empty class" grep -qF 'warning: character class "[z-a]" matches no character' "$work/err"
tap_check "warning: braces are literal" grep -qF "rules[4].path.glob: warning: '{' and '}' are literal" "$work/err"
tap_check "--strict: warnings fail" bash -c "! '$ctl' check --strict '$work/traps.json' >/dev/null 2>&1"
tap_check "check - reads stdin" bash -c "'$ctl' check - <'$src/policies/demo.json' | grep -qF '<stdin>: ok (policy \"demo\", 7 rules)'"
tap_check "check /dev/stdin reads a pipe" bash -c "cat '$src/policies/demo.json' | '$ctl' check /dev/stdin | grep -qF '/dev/stdin: ok'"
mkdir "$work/dir"
cp "$src/policies/demo.json" "$work/dir/a.json"
cp "$src/policies/demo.json" "$work/dir/b.json"
echo 'not json' >"$work/dir/.hidden.json"
echo 'not json' >"$work/dir/notes.txt"
tap_check "check DIR: two files with one policy name fail as in the daemon" bash -c \
        "! '$ctl' check '$work/dir' 2>'$work/err' >/dev/null && grep -qF 'dir/b.json: policy name \"demo\" already used by $work/dir/a.json' '$work/err'"
rm "$work/dir/b.json"
tap_check "check DIR: hidden and non-.json files are skipped, \"1 policy\"" bash -c \
        "'$ctl' check '$work/dir' | grep -qxF '$work/dir: ok (1 policy)'"
tap_done
