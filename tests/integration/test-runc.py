#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The real runc running a busybox bundle whose seccomp listenerPath points
at the real daemon: mkdir and openat are notified; the policy denies
/tmp/forbidden* and /etc/secret with EACCES and lets the rest continue;
status shows the container while it runs and drops it when it exits.

TAP on stdout. Exit 77 (skip) only when runc is not installed."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import daemon_wrapper

DAEMON = os.environ.get("SRD_DAEMON")
CTL = os.environ.get("SRD_CTL")
RUNC = shutil.which("runc") or ("/usr/sbin/runc" if os.access("/usr/sbin/runc", os.X_OK) else None)
BUSYBOX = next((p for p in ("/bin/busybox", "/usr/bin/busybox") if os.access(p, os.X_OK)), None)

POLICY = {
    "version": 1,
    "name": "runc-itest",
    "defaultAction": "continue",
    "rules": [
        {"name": "no-forbidden", "names": ["mkdir", "mkdirat"],
         "path": {"glob": "/tmp/forbidden*"}, "action": "errno", "errno": "EACCES", "log": True},
        {"name": "no-secret", "names": ["openat"],
         "path": {"exact": "/etc/secret"}, "action": "errno", "errno": "EACCES"},
    ],
}

# The first thing the container does is chroot into /etc (runc runs it on
# once the listener is sent): /secret there is the container's /etc/secret,
# and the daemon names it so (the bundle's rootfs, not the jail).
SCRIPT = (
    "chroot /etc /busybox cat /secret; echo jail=$?; "
    "mkdir /tmp/forbidden-x; echo forbidden=$?; "
    "mkdir /tmp/ok; echo ok=$?; "
    "cat /etc/hello; echo cat=$?; "
    "cat /etc/secret; echo secret=$?; "
    "sleep 3; echo done"
)

results = []


def check(ok, what, diag=None):
    results.append(bool(ok))
    print(("ok" if ok else "not ok") + " %d - %s" % (len(results), what), flush=True)
    if not ok and diag:
        for line in str(diag).splitlines()[-40:]:
            print("#   " + line, flush=True)
    return ok


class Notify:
    """Our NOTIFY_SOCKET, drained all the time (sd_notify blocks on a full queue)."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.msgs = []
        self.cond = threading.Condition()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            data = self.sock.recv(4096).decode(errors="replace")
            with self.cond:
                self.msgs.append(data)
                self.cond.notify_all()

    def wait(self, line, timeout):
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                if any(line in m.split("\n") for m in self.msgs):
                    return True
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)


def status(control):
    out = subprocess.run([CTL, "status", "--control", control, "--json"], capture_output=True, text=True,
                         timeout=10)
    if out.returncode != 0:
        raise RuntimeError("seccomp-redirectctl status failed: " + out.stderr)
    return json.loads(out.stdout)


def rule_hits(st, policy, rule):
    for p in st.get("policies", []):
        if p.get("name") == policy:
            for r in p.get("rules", []):
                if r.get("name") == rule:
                    return r.get("hits")
    return None


def make_bundle(bundle, agent):
    rootfs = os.path.join(bundle, "rootfs")
    for d in ("bin", "etc", "tmp", "proc", "dev", "sys"):
        os.makedirs(os.path.join(rootfs, d))
    shutil.copy2(BUSYBOX, os.path.join(rootfs, "bin", "busybox"))
    shutil.copy2(BUSYBOX, os.path.join(rootfs, "etc", "busybox"))
    for applet in ("sh", "mkdir", "cat", "ls", "echo", "sleep", "chroot"):
        os.symlink("busybox", os.path.join(rootfs, "bin", applet))
    with open(os.path.join(rootfs, "etc", "hello"), "w") as f:
        f.write("hello from the bundle\n")
    with open(os.path.join(rootfs, "etc", "secret"), "w") as f:
        f.write("nobody may read this\n")

    subprocess.run([RUNC, "spec"], cwd=bundle, check=True, timeout=30)
    with open(os.path.join(bundle, "config.json")) as f:
        config = json.load(f)
    config["process"]["terminal"] = False
    config["process"]["args"] = ["/bin/sh", "-c", SCRIPT]
    config["root"]["readonly"] = False
    config["hostname"] = "itest"
    for kind in ("bounding", "effective", "permitted"):
        config["process"]["capabilities"][kind].append("CAP_SYS_CHROOT")
    config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "listenerPath": agent,
        "listenerMetadata": "policy=runc-itest",
        "architectures": ["SCMP_ARCH_X86_64"] if os.uname().machine == "x86_64" else [],
        "syscalls": [{"names": ["mkdir", "mkdirat", "openat"], "action": "SCMP_ACT_NOTIFY"}],
    }
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    return rootfs


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root")
        return 77
    if not RUNC:
        print("1..0 # SKIP runc is not installed")
        return 77
    if not DAEMON or not CTL:
        print("Bail out! SRD_DAEMON / SRD_CTL not set")
        return 1
    if not BUSYBOX:
        print("Bail out! busybox (busybox-static) is not installed")
        return 1

    print("1..12", flush=True)
    tmp = tempfile.mkdtemp(prefix="srd-runc-")
    os.chmod(tmp, 0o755)
    agent = os.path.join(tmp, "agent.sock")
    control = os.path.join(tmp, "control.sock")
    policies = os.path.join(tmp, "policies.d")
    log_path = os.path.join(tmp, "daemon.log")
    state = os.path.join(tmp, "runc-state")
    cid = "srd-itest-%d" % os.getpid()
    os.makedirs(policies)
    with open(os.path.join(policies, "runc-itest.json"), "w") as f:
        json.dump(POLICY, f, indent=2)

    notify = Notify(os.path.join(tmp, "notify.sock"))
    env = dict(os.environ, NOTIFY_SOCKET=os.path.join(tmp, "notify.sock"))
    log = open(log_path, "w")
    daemon = subprocess.Popen(daemon_wrapper.argv([DAEMON, "--listen", agent, "--control", control,
                                                   "--policy-dir", policies, "--log-target", "stderr"]),
                              stdout=log, stderr=log, env=env)
    runc = None
    try:
        if not notify.wait("READY=1", daemon_wrapper.timeout(10)):
            print("Bail out! the daemon did not get ready")
            return 1
        bundle = os.path.join(tmp, "bundle")
        os.makedirs(bundle)
        rootfs = make_bundle(bundle, agent)

        runc = subprocess.Popen([RUNC, "--root", state, "run", "--bundle", bundle, cid],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # While the container sleeps it must be in status.
        seen = None
        end = time.monotonic() + daemon_wrapper.timeout(20)
        while time.monotonic() < end and runc.poll() is None and not seen:
            st = status(control)
            seen = next((c for c in st.get("containers", []) if c.get("id") == cid), None)
            time.sleep(0.05)
        # Each `runc exec` process is handed over on its own connection.
        try:
            ex = subprocess.run([RUNC, "--root", state, "exec", cid, "/bin/sh", "-c",
                                 "mkdir /tmp/forbidden-exec; echo exec-forbidden=$?; cat /etc/hello"],
                                capture_output=True, text=True, timeout=daemon_wrapper.timeout(20))
            exec_out = "exit %s\nstdout:\n%s\nstderr:\n%s" % (ex.returncode, ex.stdout, ex.stderr)
            exec_ok = (ex.returncode == 0 and "exec-forbidden=1" in ex.stdout.splitlines()
                       and "hello from the bundle" in ex.stdout and "Permission denied" in ex.stderr)
        except subprocess.TimeoutExpired:
            exec_out, exec_ok = "runc exec timed out", False
        try:
            out, err = runc.communicate(timeout=daemon_wrapper.timeout(30))
        except subprocess.TimeoutExpired:
            subprocess.run([RUNC, "--root", state, "kill", cid, "KILL"], capture_output=True)
            out, err = runc.communicate(timeout=10)
            err += "\n(runc run timed out after 30 s and was killed)"
        transcript = "runc exit %s\nstdout:\n%s\nstderr:\n%s" % (runc.returncode, out, err)
        lines = out.splitlines()

        check(runc.returncode == 0 and "done" in lines, "runc ran the busybox container to its end", transcript)
        check("forbidden=1" in lines and "Permission denied" in err
              and not os.path.exists(os.path.join(rootfs, "tmp", "forbidden-x")),
              "mkdir /tmp/forbidden-x fails with EACCES (rule no-forbidden)", transcript)
        check("ok=0" in lines and os.path.isdir(os.path.join(rootfs, "tmp", "ok")),
              "mkdir /tmp/ok continues and the directory exists", transcript)
        check("hello from the bundle" in lines and "cat=0" in lines,
              "cat /etc/hello: openat continues", transcript)
        check("secret=1" in lines and "nobody may read this" not in out,
              "cat /etc/secret: openat fails with EACCES (rule no-secret)", transcript)
        with open(log_path) as f:
            daemon_log = f.read()
        check("jail=1" in lines and "cannot read the rootfs of bundle" not in daemon_log,
              "chroot /etc at once, then cat /secret: named /etc/secret under the bundle's rootfs, EACCES",
              transcript + "\n" + daemon_log)
        # The profile's defaultAction is SCMP_ACT_ALLOW: io_uring and open_by_handle_at run unseen.
        check("its seccomp profile lets io_uring_setup, io_uring_enter, io_uring_register, open_by_handle_at "
              "run without notifying the daemon" in daemon_log,
              "the daemon warns that the bundle's profile lets io_uring and open_by_handle_at run unseen",
              daemon_log)
        check(exec_ok and not os.path.exists(os.path.join(rootfs, "tmp", "forbidden-exec")),
              "runc exec: the exec'd process is supervised too (EACCES, then cat works)", exec_out)
        check(seen is not None and seen.get("policy") == "runc-itest" and seen.get("pid", 0) > 0
              and seen.get("redirect") in ("unsupported-kernel", "unsupported-filter", "supported"),
              "status shows the running container with its policy and pid", json.dumps(seen))

        gone = False
        end = time.monotonic() + daemon_wrapper.timeout(5)
        while time.monotonic() < end and not gone:
            st = status(control)
            gone = not any(c.get("id") == cid for c in st.get("containers", []))
            time.sleep(0.05)
        check(gone, "the container exited and the daemon freed its object", json.dumps(st))
        check((rule_hits(st, "runc-itest", "no-forbidden") or 0) >= 1
              and (rule_hits(st, "runc-itest", "no-secret") or 0) >= 1
              and st.get("handoffsRefused") == 0,
              "rule hits counted, no handoff refused", json.dumps(st))

        daemon.send_signal(signal.SIGTERM)
        rc = daemon.wait(timeout=daemon_wrapper.timeout(10))
        # Under valgrind: and a clean run (no error, no leak, no fd left open).
        clean, why = daemon_wrapper.verdict(daemon.pid)
        check(rc == 0 and clean, "the daemon exits 0 on SIGTERM", "exit %s\n%s" % (rc, why))
    finally:
        if runc and runc.poll() is None:
            runc.kill()
        subprocess.run([RUNC, "--root", state, "delete", "--force", cid], capture_output=True)
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        log.close()
        if not all(results):
            with open(log_path) as f:
                for line in f.read().splitlines()[-40:]:
                    print("#   log: " + line)
        if not os.environ.get("SRD_ITEST_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if all(results) and len(results) == 12 else 1


if __name__ == "__main__":
    sys.exit(main())
