#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""podman from Debian with --runtime pointing at seccomp-redirect-oci (its
storage in a temp dir, a busybox --rootfs, no network): `podman run` and
`podman exec` (conmon hands the exec a --process file) both get the errno
rule, through seccomp-redirect-init. The control: the same run with plain
runc, where the mkdir succeeds.

conmon does not pass the caller's environment to the runtime, so the
wrapper's configuration is chosen by a two-line shim script here; a real
setup uses /etc/seccomp-redirectd/oci.conf. runc rather than crun: crun
cannot set podman's RLIMIT_NPROC in this test environment (plain crun fails
the same way). TAP on stdout; exit 77 without root."""

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
PODMAN = shutil.which("podman")
RUNC = shutil.which("runc") or "/usr/sbin/runc"
BUSYBOX = next((p for p in ("/bin/busybox", "/usr/bin/busybox") if os.access(p, os.X_OK)), None)
PLAN = 4
results = []
POLICY = {"version": 1, "name": "podman-test", "defaultAction": "continue",
          "rules": [{"name": "no-forbidden", "names": ["mkdir", "mkdirat"], "path": {"glob": "/tmp/forbidden*"},
                     "action": "errno", "errno": "EACCES"}]}


def check(ok, what, diag=None):
    results.append(bool(ok))
    print(("ok" if ok else "not ok") + " %d - %s" % (len(results), what), flush=True)
    if not ok and diag is not None:
        for line in str(diag).splitlines()[-30:]:
            print("#   " + line, flush=True)
    return ok


def out(r):
    return "exit %s\nstdout:\n%s\nstderr:\n%s" % (r.returncode, r.stdout, r.stderr)


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root")
        return 77
    if not (DAEMON and INIT and OCI):
        print("Bail out! SRD_DAEMON / SRD_INIT / SRD_OCI not set")
        return 1
    if not (PODMAN and BUSYBOX):
        print("Bail out! podman or busybox missing (tools/deps)")
        return 1
    print("1..%d" % PLAN, flush=True)
    tmp = tempfile.mkdtemp(prefix="srd-podman-")
    os.chmod(tmp, 0o755)
    log = open(os.path.join(tmp, "daemon.log"), "w+")
    daemon = None
    podman = [PODMAN, "--root", os.path.join(tmp, "storage"), "--runroot", os.path.join(tmp, "run"),
              "--cgroup-manager", "cgroupfs"]
    limits = ["--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
    try:
        pol = os.path.join(tmp, "policies.d")
        os.makedirs(pol)
        with open(os.path.join(pol, "podman-test.json"), "w") as f:
            json.dump(POLICY, f)
        init_dir = os.path.join(tmp, "init")
        daemon = subprocess.Popen([DAEMON, "--listen", os.path.join(tmp, "agent.sock"), "--init-dir", init_dir,
                                   "--policy-dir", pol, "--log-target", "stderr"], stdout=log, stderr=log)
        conf = os.path.join(tmp, "oci.conf")
        with open(conf, "w") as f:
            f.write("runtime=%s\ninit=%s\ninit-dir=%s\npolicy=podman-test\n" % (RUNC, INIT, init_dir))
        shim = os.path.join(tmp, "runtime")
        with open(shim, "w") as f:
            f.write("#!/bin/sh\nSECCOMP_REDIRECT_OCI_CONFIG=%s exec %s \"$@\"\n" % (conf, OCI))
        os.chmod(shim, 0o755)
        rootfs = os.path.join(tmp, "rootfs")
        for d in ("bin", "etc", "tmp", "proc", "dev", "sys"):
            os.makedirs(os.path.join(rootfs, d))
        shutil.copy2(BUSYBOX, os.path.join(rootfs, "bin", "busybox"))
        for applet in ("sh", "mkdir", "sleep"):
            os.symlink("busybox", os.path.join(rootfs, "bin", applet))
        end = time.monotonic() + 10
        while time.monotonic() < end and not os.path.exists(os.path.join(init_dir, "init.sock")):
            time.sleep(0.05)

        script = "mkdir /tmp/forbidden-x; echo forbidden=$?"
        r = subprocess.run(podman + ["--runtime", shim, "run", "--rm"] + limits + ["--rootfs", rootfs, "/bin/sh",
                                                                                  "-c", script],
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0 and "forbidden=1" in r.stdout.splitlines()
              and not os.path.exists(os.path.join(rootfs, "tmp", "forbidden-x")),
              "podman --runtime seccomp-redirect-oci run: the errno rule holds", out(r))
        subprocess.run(podman + ["--runtime", shim, "run", "-d", "--name", "srd-pm"] + limits +
                       ["--rootfs", rootfs, "/bin/sh", "-c", "sleep 20"], capture_output=True, text=True,
                       timeout=120)
        e = subprocess.run(podman + ["--runtime", shim, "exec", "srd-pm", "/bin/sh", "-c",
                                     "mkdir /tmp/forbidden-e; echo forbidden=$?"],
                           capture_output=True, text=True, timeout=120)
        check(e.returncode == 0 and "forbidden=1" in e.stdout.splitlines(),
              "podman exec (conmon's --process file): the exec'd process gets the errno rule", out(e))
        subprocess.run(podman + ["--runtime", shim, "rm", "-f", "-t", "0", "srd-pm"], capture_output=True,
                       timeout=120)
        log.flush()
        dlog = open(log.name).read()
        check(dlog.count("handed over its listener by seccomp-redirect-init") >= 3,
              "the daemon took the run's, the detached container's and the exec's listeners from their inits",
              dlog)
        c = subprocess.run(podman + ["--runtime", RUNC, "run", "--rm"] + limits + ["--rootfs", rootfs, "/bin/sh",
                                                                                  "-c", script],
                           capture_output=True, text=True, timeout=120)
        check("forbidden=0" in c.stdout.splitlines(), "negative control: podman with plain runc, the mkdir succeeds",
              out(c))
    finally:
        if daemon:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(timeout=10)
            except subprocess.TimeoutExpired:
                daemon.kill()
        if not all(results):
            log.flush()
            for line in open(log.name).read().splitlines()[-25:]:
                print("#   log: " + line)
        log.close()
        if not os.environ.get("SRD_ITEST_KEEP"):
            subprocess.run(podman + ["system", "reset", "--force"], capture_output=True, timeout=120)
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if all(results) and len(results) == PLAN else 1


if __name__ == "__main__":
    sys.exit(main())
