#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Guest side of vm-containers (tests/vm/e2e/meson.build): the real runc and
# crun, each through seccomp-redirect-oci, on the patched kernel with the
# real daemon. Per runtime, in one container run:
#   - an openat redirect seen from inside (cat /etc/hello prints the target);
#   - an errno rule (mkdir /tmp/forbidden-x);
#   - the runtime's own profile (the outer filter) rejecting a redirected
#     call: the policy's "set" makes an O_RDONLY openat O_RDWR, the profile
#     answers O_RDWR openat with EREMOTEIO; the control opens O_RDWR
#     directly and gets the same errno, and O_RDONLY elsewhere works;
#   - `exec` into the running container through the wrapper, redirected too;
#   - after exit: no container left in the daemon, its thread and fd
#     counts back where they were.
# Then crun's own listenerPath handoff without the wrapper (plain notify):
# the errno rule holds, and the redirect rule takes redirectFallback.
# SRD_EXPECT_HOLE=1 (the kernel without re-validation, the negative
# control): the redirected O_RDWR openat must get past the profile there.
# SRD_RUNTIMES="NAME:PATH ..." picks the runtimes. Prints TAP.
set -u

n=0
failed=0
W=/run/srdw
RUNTIMES=${SRD_RUNTIMES:-"runc:/usr/sbin/runc crun:/usr/bin/crun"}

ok() {
        n=$((n + 1))
        echo "ok $n - $1"
}
not_ok() {
        n=$((n + 1))
        failed=1
        echo "not ok $n - $1"
        shift
        for f in "$@"; do
                [ -e "$f" ] && sed 's/^/#   /' "$f" | tail -n 30
        done
}
check() { # DESC FILE-TO-SHOW-ON-FAILURE COMMAND...
        desc=$1
        show=$2
        shift 2
        if "$@"; then ok "$desc"; else not_ok "$desc" "$show" "$W/daemon.log"; fi
}
has() { grep -q -- "$2" "$1"; }
lacks() { ! grep -q -- "$2" "$1"; }

mkdir -p "$W/pol"
cat >"$W/pol/ctr.json" <<'EOF'
{
  "version": 1, "name": "ctr", "defaultAction": "continue",
  "redirectFallback": { "action": "errno", "errno": "EPERM" },
  "rules": [
    { "name": "hello", "names": ["open", "openat"], "path": { "exact": "/etc/hello" },
      "action": "redirect", "to": "/etc/hello-redirected" },
    { "name": "no-forbidden", "names": ["mkdir", "mkdirat"], "path": { "glob": "/tmp/forbidden*" },
      "action": "errno", "errno": "EACCES" },
    { "name": "make-rdwr", "names": ["openat"], "path": { "exact": "/etc/rw-probe" },
      "action": "redirect", "set": [ { "index": 2, "value": 2, "mask": 3 } ] }
  ]
}
EOF

seccomp-redirectd --listen "$W/agent.sock" --control "$W/control.sock" --init-dir "$W/init" \
        --policy-dir "$W/pol" --log-target stderr >"$W/daemon.log" 2>&1 &
DPID=$!
i=0
while [ ! -S "$W/init/init.sock" ] || [ ! -S "$W/control.sock" ]; do
        i=$((i + 1))
        [ $i -gt 200 ] && break
        sleep 0.05
done
sleep 0.2
threads() { grep '^Threads:' "/proc/$DPID/status" | tr -dc 0-9; }
nfds() { ls "/proc/$DPID/fd" | wc -l; }
rss() { grep '^VmRSS:' "/proc/$DPID/status" | tr -dc 0-9; }
BASE_THREADS=$(threads)
BASE_FDS=$(nfds)
BASE_RSS=$(rss)
# What a finished container may leave in the daemon's RSS: heap the
# allocator keeps, nothing per container (KiB).
RSS_SLACK=1024
BB=/bin/busybox

# mkbundle DIR ARGS-JSON EXTRA-LINUX-JSON
mkbundle() {
        rm -rf "$1"
        mkdir -p "$1/rootfs/bin" "$1/rootfs/etc" "$1/rootfs/tmp" "$1/rootfs/proc" "$1/rootfs/dev"
        cp "$BB" "$1/rootfs/bin/busybox"
        for a in sh cat mkdir echo sleep ls grep test; do ln -s busybox "$1/rootfs/bin/$a"; done
        echo original >"$1/rootfs/etc/hello"
        echo redirected >"$1/rootfs/etc/hello-redirected"
        echo probe >"$1/rootfs/etc/rw-probe"
        echo direct >"$1/rootfs/etc/rw-direct"
        cat >"$1/config.json" <<EOF
{"ociVersion": "1.0.2",
 "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": $2,
             "env": ["PATH=/bin"], "cwd": "/", "noNewPrivileges": true,
             "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}},
 "root": {"path": "rootfs", "readonly": false},
 "hostname": "c",
 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]}],
 "linux": {"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]$3}}
EOF
}

OUTER=',"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "syscalls": [{"names": ["openat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 121,
                "args": [{"index": 2, "value": 3, "valueTwo": 2, "op": "SCMP_CMP_MASKED_EQ"}]}]}'

SCRIPT='cat /etc/hello; mkdir /tmp/forbidden-x; echo mk=$?; cat /etc/rw-probe; echo rw=$?;
echo x 1<>/etc/rw-direct; echo direct=$?; cat /etc/hello-redirected; echo plain=$?;
while ! test -e /tmp/stop; do sleep 0.1; done; echo done'

for rt in $RUNTIMES; do
        name=${rt%%:*}
        path=${rt#*:}
        B="$W/bundle-$name"
        id="srd-$name"
        printf 'runtime=%s\ninit=/usr/libexec/seccomp-redirect-init\ninit-dir=%s/init\npolicy=ctr\n' \
                "$path" "$W" >"$W/oci-$name.conf"
        export SECCOMP_REDIRECT_OCI_CONFIG="$W/oci-$name.conf"
        mkbundle "$B" '["/bin/sh", "-c", "'"$(echo "$SCRIPT" | tr '\n' ' ')"'"]' "$OUTER"

        seccomp-redirect-oci --root "$W/state-$name" run --bundle "$B" "$id" >"$W/$name.out" 2>"$W/$name.err" &
        RPID=$!
        i=0
        while ! grep -q '^plain=' "$W/$name.out" 2>/dev/null; do
                i=$((i + 1))
                [ $i -gt 600 ] && break
                sleep 0.1
        done
        seccomp-redirect-oci --root "$W/state-$name" exec "$id" cat /etc/hello >"$W/$name-exec.out" 2>&1
        seccomp-redirect-oci --root "$W/state-$name" exec "$id" mkdir /tmp/forbidden-exec \
                >"$W/$name-exec2.out" 2>&1
        echo "exec-mkdir=$?" >>"$W/$name-exec2.out"
        # The form containerd and podman use: a process file.
        printf '{"args": ["cat", "/etc/hello"], "env": ["PATH=/bin"], "cwd": "/", "user": {"uid": 0, "gid": 0}}' \
                >"$W/$name-process.json"
        seccomp-redirect-oci --root "$W/state-$name" exec --process "$W/$name-process.json" "$id" \
                >"$W/$name-exec3.out" 2>&1
        seccomp-redirectctl status --control "$W/control.sock" --json 2>&1 | tr -d ' \n' >"$W/$name-status.json"
        touch "$B/rootfs/tmp/stop"
        wait $RPID
        echo "exit=$?" >>"$W/$name.out"
        cat "$W/$name.err" >>"$W/$name.out"

        check "$name: openat of /etc/hello is redirected, seen from inside" "$W/$name.out" \
                sh -c "grep -qx redirected '$W/$name.out' && ! grep -qx original '$W/$name.out'"
        check "$name: the errno rule (mkdir /tmp/forbidden-x: EACCES)" "$W/$name.out" \
                sh -c "grep -qx mk=1 '$W/$name.out' && grep -q 'Permission denied' '$W/$name.out' &&
                       [ ! -e '$B/rootfs/tmp/forbidden-x' ]"
        if [ "${SRD_EXPECT_HOLE:-0}" = 1 ]; then
                # The kernel without re-validation: the rewritten call gets past the profile.
                check "$name: hole: the redirected O_RDWR openat gets past the runtime's profile" "$W/$name.out" \
                        sh -c "grep -qx rw=0 '$W/$name.out' && grep -qx probe '$W/$name.out'"
        else
                check "$name: the runtime's profile rejects the redirected O_RDWR openat (EREMOTEIO)" \
                        "$W/$name.out" sh -c "grep -qx rw=1 '$W/$name.out' &&
                        grep -q 'rw-probe.*Remote I/O error' '$W/$name.out' && ! grep -qx probe '$W/$name.out'"
        fi
        check "$name: control: the profile rejects an O_RDWR openat made directly, O_RDONLY passes" \
                "$W/$name.out" sh -c "grep -qx direct=1 '$W/$name.out' && grep -qx plain=0 '$W/$name.out'"
        check "$name: the daemon's handoff came from the init, with redirect supported" "$W/daemon.log" \
                grep -q "Container $id pid .*seccomp-redirect-init.*redirect supported" "$W/daemon.log"
        check "$name: exec through the wrapper is redirected too" "$W/$name-exec.out" \
                grep -qx redirected "$W/$name-exec.out"
        check "$name: exec --process FILE through the wrapper is redirected too" "$W/$name-exec3.out" \
                grep -qx redirected "$W/$name-exec3.out"
        check "$name: exec through the wrapper gets the errno rule" "$W/$name-exec2.out" \
                sh -c "grep -qx exec-mkdir=1 '$W/$name-exec2.out' && [ ! -e '$B/rootfs/tmp/forbidden-exec' ]"
        check "$name: status listed the container with policy ctr while it ran" "$W/$name-status.json" \
                grep -q "\"id\":\"$id\"[^}]*\"policy\":\"ctr\"" "$W/$name-status.json"
        check "$name: the container ran to its end (exit 0)" "$W/$name.out" \
                sh -c "grep -qx done '$W/$name.out' && grep -qx exit=0 '$W/$name.out'"
        seccomp-redirect-oci --root "$W/state-$name" delete --force "$id" >/dev/null 2>&1
        i=0
        while [ $i -lt 100 ]; do
                seccomp-redirectctl status --control "$W/control.sock" --json 2>&1 | tr -d ' \n' >"$W/$name-after.json"
                grep -q '"containers":\[\]' "$W/$name-after.json" && [ "$(threads)" = "$BASE_THREADS" ] &&
                        [ "$(nfds)" = "$BASE_FDS" ] && [ "$(rss)" -le $((BASE_RSS + RSS_SLACK)) ] && break
                i=$((i + 1))
                sleep 0.05
        done
        echo "" >>"$W/$name-after.json"
        echo "threads $(threads) (base $BASE_THREADS), fds $(nfds) (base $BASE_FDS)," \
                "RSS $(rss) KiB (base $BASE_RSS KiB)" >>"$W/$name-after.json"
        check "$name: after exit no container, thread, fd or memory is left in the daemon" "$W/$name-after.json" \
                sh -c "grep -q '\"containers\":\[\]' '$W/$name-after.json' &&
                       [ \"\$(grep '^Threads:' /proc/$DPID/status | tr -dc 0-9)\" = '$BASE_THREADS' ] &&
                       [ \"\$(ls /proc/$DPID/fd | wc -l)\" = '$BASE_FDS' ] &&
                       [ \"\$(grep '^VmRSS:' /proc/$DPID/status | tr -dc 0-9)\" -le $((BASE_RSS + RSS_SLACK)) ]"
        echo "# $name: daemon $(threads) threads, $(nfds) fds, RSS $(rss) KiB; before any container" \
                "$BASE_THREADS, $BASE_FDS, $BASE_RSS KiB"
done

# A malicious container (runc, through the wrapper): init-attacker tries the
# trust attacks from inside and prints TAP, renumbered here.
if [ -x /usr/bin/init-attacker ]; then
        B="$W/bundle-attacker"
        mkbundle "$B" '["/bin/init-attacker"]' "$OUTER"
        cp /usr/bin/init-attacker "$B/rootfs/bin/init-attacker"
        printf 'runtime=/usr/sbin/runc\ninit=/usr/libexec/seccomp-redirect-init\ninit-dir=%s/init\npolicy=ctr\n' \
                "$W" >"$W/oci-attacker.conf"
        SECCOMP_REDIRECT_OCI_CONFIG="$W/oci-attacker.conf" seccomp-redirect-oci --root "$W/state-attacker" \
                run --bundle "$B" srd-attacker >"$W/attacker.out" 2>&1
        echo "exit=$?" >>"$W/attacker.out"
        attacks=0
        while IFS= read -r line; do
                case "$line" in
                "ok "*) attacks=$((attacks + 1)); ok "attacker: ${line#* - }" ;;
                "not ok "*) attacks=$((attacks + 1)); not_ok "attacker: ${line#* - }" "$W/attacker.out" ;;
                esac
        done <"$W/attacker.out"
        check "attacker: all 8 attacks ran and the container exited 0" "$W/attacker.out" \
                sh -c "[ $attacks = 8 ] && grep -qx exit=0 '$W/attacker.out'"
fi

# crun's own handoff (listenerPath), no wrapper: a plain notify filter.
if echo "$RUNTIMES" | grep -q crun; then
        B="$W/bundle-crun-plain"
        LP=',"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "'"$W"'/agent.sock",
          "listenerMetadata": "policy=ctr",
          "architectures": ["SCMP_ARCH_X86_64"],
          "syscalls": [{"names": ["mkdir", "mkdirat", "openat"], "action": "SCMP_ACT_NOTIFY"}]}'
        mkbundle "$B" '["/bin/sh", "-c", "mkdir /tmp/forbidden-y; echo mk=$?; cat /etc/hello; echo cat=$?"]' "$LP"
        /usr/bin/crun --root "$W/state-plain" run --bundle "$B" srd-crun-plain >"$W/plain.out" 2>&1
        echo "exit=$?" >>"$W/plain.out"
        check "crun listenerPath (no wrapper): the errno rule holds" "$W/plain.out" \
                sh -c "grep -qx mk=1 '$W/plain.out' && [ ! -e '$B/rootfs/tmp/forbidden-y' ]"
        check "crun listenerPath (no wrapper): the redirect rule takes redirectFallback (EPERM)" "$W/plain.out" \
                sh -c "grep -qx cat=1 '$W/plain.out' && grep -q 'Operation not permitted' '$W/plain.out' &&
                       ! grep -qx redirected '$W/plain.out'"
        check "crun listenerPath: the daemon says the filter cannot redirect" "$W/daemon.log" \
                grep -q "Container srd-crun-plain .*redirect unsupported-filter" "$W/daemon.log"
fi

kill "$DPID"
wait "$DPID"
check "the daemon exits 0 on SIGTERM" "$W/daemon.log" test $? -eq 0
echo "1..$n"
exit $failed
