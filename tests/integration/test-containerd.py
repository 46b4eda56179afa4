#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""containerd from Debian (its own instance: root, state and socket in a
temp dir, CRI plugin off) runs a busybox rootfs with `ctr run
--runc-binary seccomp-redirect-oci`: the runc v2 shim calls the wrapper,
which puts seccomp-redirect-init in front; on the host kernel the daemon
applies the errno rule and logs the redirect rule's fallback. The control:
the same `ctr run` with plain runc, where the mkdir succeeds.

TAP on stdout; exit 77 without root. containerd and ctr come from the
containerd package (tools/deps)."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

DAEMON = os.environ.get("SRD_DAEMON")
INIT = os.environ.get("SRD_INIT")
OCI = os.environ.get("SRD_OCI")
CONTAINERD = shutil.which("containerd")
CTR = shutil.which("ctr")
RUNC = shutil.which("runc") or "/usr/sbin/runc"
BUSYBOX = next((p for p in ("/bin/busybox", "/usr/bin/busybox") if os.access(p, os.X_OK)), None)
PLAN = 5
results = []

POLICY = {
    "version": 1, "name": "ctr-test", "defaultAction": "continue",
    "redirectFallback": {"action": "continue"},
    "rules": [
        {"name": "no-forbidden", "names": ["mkdir", "mkdirat"], "path": {"glob": "/tmp/forbidden*"},
         "action": "errno", "errno": "EACCES"},
        {"name": "hello", "names": ["open", "openat"], "path": {"exact": "/etc/hello"},
         "action": "redirect", "to": "/etc/hello-redirected"},
    ],
}
SCRIPT = "mkdir /tmp/forbidden-x; echo forbidden=$?; cat /etc/hello; echo cat=$?; echo pid=$$"


def check(ok, what, diag=None):
    results.append(bool(ok))
    print(("ok" if ok else "not ok") + " %d - %s" % (len(results), what), flush=True)
    if not ok and diag is not None:
        for line in str(diag).splitlines()[-30:]:
            print("#   " + line, flush=True)
    return ok


def make_rootfs(path):
    for d in ("bin", "etc", "tmp", "proc", "dev", "sys"):
        os.makedirs(os.path.join(path, d))
    shutil.copy2(BUSYBOX, os.path.join(path, "bin", "busybox"))
    for applet in ("sh", "mkdir", "cat", "echo"):
        os.symlink("busybox", os.path.join(path, "bin", applet))
    with open(os.path.join(path, "etc", "hello"), "w") as f:
        f.write("original\n")
    with open(os.path.join(path, "etc", "hello-redirected"), "w") as f:
        f.write("redirected\n")


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root")
        return 77
    if not (DAEMON and INIT and OCI):
        print("Bail out! SRD_DAEMON / SRD_INIT / SRD_OCI not set")
        return 1
    if not (CONTAINERD and CTR and BUSYBOX):
        print("Bail out! containerd, ctr or busybox missing (tools/deps)")
        return 1
    print("1..%d" % PLAN, flush=True)
    tmp = tempfile.mkdtemp(prefix="srd-ctrd-")
    os.chmod(tmp, 0o755)
    procs = []
    logs = {}
    try:
        pol = os.path.join(tmp, "policies.d")
        os.makedirs(pol)
        with open(os.path.join(pol, "ctr-test.json"), "w") as f:
            json.dump(POLICY, f)
        init_dir = os.path.join(tmp, "init")
        logs["daemon"] = open(os.path.join(tmp, "daemon.log"), "w+")
        procs.append(subprocess.Popen([DAEMON, "--listen", os.path.join(tmp, "agent.sock"), "--init-dir", init_dir,
                                       "--policy-dir", pol, "--log-target", "stderr"],
                                      stdout=logs["daemon"], stderr=logs["daemon"]))
        conf = os.path.join(tmp, "oci.conf")
        with open(conf, "w") as f:
            f.write("runtime=%s\ninit=%s\ninit-dir=%s\npolicy=ctr-test\n" % (RUNC, INIT, init_dir))

        sock = os.path.join(tmp, "containerd.sock")
        cconf = os.path.join(tmp, "containerd.toml")
        with open(cconf, "w") as f:
            f.write('version = 2\nroot = "%s/root"\nstate = "%s/state"\n'
                    'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "%s"\n'
                    '[ttrpc]\n  address = "%s.ttrpc"\n' % (tmp, tmp, sock, sock))
        logs["containerd"] = open(os.path.join(tmp, "containerd.log"), "w+")
        # The shim, and so the wrapper, inherit containerd's environment.
        procs.append(subprocess.Popen([CONTAINERD, "--config", cconf], stdout=logs["containerd"],
                                      stderr=logs["containerd"],
                                      env=dict(os.environ, SECCOMP_REDIRECT_OCI_CONFIG=conf)))
        end = time.monotonic() + 30
        while time.monotonic() < end and not (os.path.exists(sock) and os.path.exists(
                os.path.join(init_dir, "init.sock"))):
            time.sleep(0.1)
        time.sleep(0.5)

        rootfs = os.path.join(tmp, "rootfs")
        make_rootfs(rootfs)
        ctr = [CTR, "--address", sock, "--namespace", "srd-test"]
        r = subprocess.run(ctr + ["run", "--rm", "--runc-binary", OCI, "--rootfs", rootfs, "srd-ctrd-1",
                                  "/bin/sh", "-c", SCRIPT], capture_output=True, text=True, timeout=120)
        t = "exit %s\nstdout:\n%s\nstderr:\n%s" % (r.returncode, r.stdout, r.stderr)
        lines = r.stdout.splitlines()
        logs["daemon"].flush()
        dlog = open(logs["daemon"].name).read()
        check(r.returncode == 0 and "forbidden=1" in lines and not os.path.exists(
            os.path.join(rootfs, "tmp", "forbidden-x")),
            "ctr run with the wrapper as runc binary: the errno rule holds", t)
        check("Container srd-ctrd-1 pid" in dlog and "seccomp-redirect-init" in dlog,
              "the daemon took the container from seccomp-redirect-init's token", dlog)
        check("cat=0" in lines and "original" in lines
              and "redirectFallback" in dlog and "matched rule \"hello\"" in dlog,
              "on the host kernel the redirect rule takes its fallback, and the daemon logs it", t + "\n" + dlog)
        check("pid=1" not in lines, "the init is PID 1 in the container", t)
        shutil.rmtree(os.path.join(rootfs, "tmp", "forbidden-x"), ignore_errors=True)
        c = subprocess.run(ctr + ["run", "--rm", "--runc-binary", RUNC, "--rootfs", rootfs, "srd-ctrd-2",
                                  "/bin/sh", "-c", SCRIPT], capture_output=True, text=True, timeout=120)
        check("forbidden=0" in c.stdout.splitlines(), "negative control: plain runc, the mkdir succeeds",
              "exit %s\n%s\n%s" % (c.returncode, c.stdout, c.stderr))
    finally:
        for p in reversed(procs):
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if not all(results):
            for name, f in logs.items():
                f.flush()
                for line in open(f.name).read().splitlines()[-25:]:
                    print("#   %s: %s" % (name, line))
        for f in logs.values():
            f.close()
        if not os.environ.get("SRD_ITEST_KEEP"):
            subprocess.run(["umount", "-R", os.path.join(tmp, "state")], capture_output=True)
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if all(results) and len(results) == PLAN else 1


if __name__ == "__main__":
    sys.exit(main())
