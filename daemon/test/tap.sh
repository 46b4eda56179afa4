# SPDX-License-Identifier: LGPL-2.1-or-later
# A few lines of TAP for the shell tests of daemon/: plan, ok/not ok, skip.
tap_n=0
tap_failed=0

tap_plan() {
        echo "1..$1"
}

# tap_check NAME COMMAND...: one case, passing when COMMAND succeeds.
tap_check() {
        local name=$1
        shift
        tap_n=$((tap_n + 1))
        if "$@"; then
                echo "ok $tap_n - $name"
        else
                echo "not ok $tap_n - $name"
                tap_failed=1
        fi
}

tap_skip() {
        tap_n=$((tap_n + 1))
        echo "ok $tap_n - $1 # SKIP $2"
}

tap_diag() {
        sed 's/^/# /'
}

tap_done() {
        exit $tap_failed
}
