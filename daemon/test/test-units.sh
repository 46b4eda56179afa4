#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The shipped units pass `systemd-analyze verify` (with ExecStart and
# ExecReload pointed at the binaries just built: verify insists that they exist).
set -u
daemon=$(realpath "$1")
service=$2
ctl=$(realpath "$3")
src=${SRD_SOURCE_ROOT:?}
. "$(dirname "$0")/tap.sh"

tap_plan 2
if ! command -v systemd-analyze >/dev/null; then
        tap_skip "systemd-analyze verify" "systemd-analyze not installed (apt-get install systemd)"
        tap_skip "units reference each other" "systemd-analyze not installed"
        tap_done
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed -e "s|^ExecStart=.*/seccomp-redirectd|ExecStart=$daemon|" \
        -e "s|^ExecReload=.*/seccomp-redirectctl |ExecReload=$ctl |" "$service" >"$work/seccomp-redirectd.service"
cp "$src/systemd/seccomp-redirectd.socket" "$src/systemd/seccomp-redirectd-control.socket" "$work/"

verify() {
        # Run from the unit directory: verify looks up Service=/Sockets= there.
        (cd "$work" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no \
                "$work/seccomp-redirectd.service" "$work/seccomp-redirectd.socket" \
                "$work/seccomp-redirectd-control.socket") >"$work/out" 2>&1
        local rc=$?
        # Anything said about our units is a finding, even when the exit code is 0.
        if [ $rc -ne 0 ] || grep -q 'seccomp-redirectd' "$work/out"; then
                tap_diag <"$work/out"
                return 1
        fi
        return 0
}
tap_check "systemd-analyze verify is clean" verify

references() {
        grep -q '^Sockets=seccomp-redirectd.socket seccomp-redirectd-control.socket$' "$work/seccomp-redirectd.service" &&
                grep -q '^FileDescriptorName=agent$' "$work/seccomp-redirectd.socket" &&
                grep -q '^FileDescriptorName=control$' "$work/seccomp-redirectd-control.socket" &&
                grep -q '^ListenStream=/run/seccomp-redirectd/agent.sock$' "$work/seccomp-redirectd.socket" &&
                grep -q '^SocketMode=0600$' "$work/seccomp-redirectd.socket"
}
tap_check "units reference each other and name their sockets as the daemon expects" references
tap_done
