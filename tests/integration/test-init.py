#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""seccomp-redirect-init against the real daemon (--init-dir) on the host
kernel: the handoff, the policy's errno rule on the workload, PID 1 duties
(signals, orphans), no_new_privs, and the trust attacks of issue 13 made
from inside a supervised workload: a weaker policy, a second listener, a
spent or forged token, another container's identity. Each attack has a
negative control that shows the test can fail.

TAP on stdout; exit 77 without root."""

import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

DAEMON = os.environ.get("SRD_DAEMON")
INIT = os.environ.get("SRD_INIT")
results = []

STRICT = {
    "version": 1, "name": "strict", "defaultAction": "continue",
    "rules": [{"name": "no-forbidden", "names": ["mkdir", "mkdirat"], "path": {"glob": "/tmp/srd-forbidden*"},
               "action": "errno", "errno": "EACCES"}],
}
PERMISSIVE = {
    "version": 1, "name": "permissive", "defaultAction": "continue",
    "rules": [{"name": "nothing", "names": ["mkdir"], "path": {"exact": "/nonexistent"}, "action": "continue"}],
}

# Run by the supervised workload: every attack it can make on the init
# socket and the kernel, one JSON line of results.
ATTACKER = r'''
import ctypes, json, os, secrets, socket, sys
sock_path, spent, other_id = sys.argv[1], sys.argv[2], sys.argv[3]
res = {}
def talk(lines, wait=3.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(wait)
    s.connect(sock_path)
    for l in lines:
        s.sendall(l)
    try:
        data = s.recv(4096)
    except socket.timeout:
        data = b"(timeout)"
    s.close()
    return data.decode(errors="replace").strip()
res["spent"] = talk([b"SECCOMP-REDIRECT-INIT 1 " + spent.encode() + b"\n"])
res["forged"] = [talk([b"SECCOMP-REDIRECT-INIT 1 " + secrets.token_hex(16).encode() + b"\n"]) for _ in range(20)]
res["weaker"] = talk([b"SECCOMP-REDIRECT-INIT 1 " + spent.encode() + b" policy=permissive\n"])
res["metadata"] = talk([json.dumps({"ociVersion": "1.0.2", "fds": ["seccompFd"], "pid": os.getpid(),
                                    "metadata": "policy=permissive", "state": {"id": other_id}}).encode() + b"\n"])
res["other-id"] = talk([b"SECCOMP-REDIRECT-INIT 1 " + other_id.encode() + b"\n"])
libc = ctypes.CDLL(None, use_errno=True)
# Calls that reach files with no path a rule sees (x86_64 numbers), with
# NULL pointers: EFAULT wherever they run, the filter's answer where not.
def call(nr, *args):
    return "ok" if libc.syscall(nr, *args) >= 0 else os.strerror(ctypes.get_errno())
res["io_uring_setup"] = call(425, 1, None)
res["open_by_handle_at"] = call(304, -100, None, 0)
# A second listener of our own: the kernel allows one listener per task chain.
class F(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]
class P(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(F))]
insn = (F * 1)(F(0x06, 0, 0, 0x7fff0000))
prog = P(1, insn)
libc.prctl(38, 1, 0, 0, 0)
fd = libc.syscall(317, 1, 8, ctypes.byref(prog))
res["second-listener"] = "fd" if fd >= 0 else os.strerror(ctypes.get_errno())
# Our own token, from anywhere the init left it.
env = open("/proc/self/environ", "rb").read()
res["token-in-environ"] = spent.encode() in env
def link(d):
    try:
        return os.readlink("/proc/self/fd/" + d)
    except OSError:
        return ""
res["listener-fds"] = sum(1 for d in os.listdir("/proc/self/fd") if link(d) == "anon_inode:seccomp notify")
print(json.dumps(res), flush=True)
'''


def check(ok, what, diag=None):
    results.append(bool(ok))
    print(("ok" if ok else "not ok") + " %d - %s" % (len(results), what), flush=True)
    if not ok and diag is not None:
        for line in str(diag).splitlines()[-30:]:
            print("#   " + line, flush=True)
    return ok


class Env:
    def __init__(self, tmp):
        self.tmp = tmp
        self.init_dir = os.path.join(tmp, "init")
        self.sock = os.path.join(self.init_dir, "init.sock")
        self.control = os.path.join(tmp, "control.sock")
        pol = os.path.join(tmp, "policies.d")
        os.makedirs(pol)
        for p in (STRICT, PERMISSIVE):
            with open(os.path.join(pol, p["name"] + ".json"), "w") as f:
                json.dump(p, f)
        self.log = open(os.path.join(tmp, "daemon.log"), "w+")
        self.daemon = subprocess.Popen([DAEMON, "--listen", os.path.join(tmp, "agent.sock"), "--control",
                                        self.control, "--init-dir", self.init_dir, "--policy-dir", pol,
                                        "--log-target", "stderr", "--handoff-timeout", "2s"],
                                       stdout=self.log, stderr=self.log)
        end = time.monotonic() + 10
        while not os.path.exists(self.control) and time.monotonic() < end:
            time.sleep(0.02)

    def token(self, cid, policy, extra="", mode=0o600):
        t = secrets.token_hex(16)
        path = os.path.join(self.init_dir, "tokens", t)
        fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        os.fchmod(fd, mode)
        os.write(fd, ("container=%s\npolicy=%s\n%s" % (cid, policy, extra)).encode())
        os.close(fd)
        os.rename(path + ".tmp", path)
        return t

    def run(self, token, cmd, pre=(), init_args=(), timeout=30, **kw):
        env = dict(os.environ, SECCOMP_REDIRECT_TOKEN=token)
        return subprocess.run(list(pre) + [INIT, "--socket", self.sock] + list(init_args) + ["--"] + cmd,
                              env=env, capture_output=True, text=True, timeout=timeout, **kw)

    def status(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.control)
        s.sendall(b"status\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return json.loads(data)

    def log_text(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()


def out(r):
    return "exit %s\nstdout:\n%s\nstderr:\n%s" % (r.returncode, r.stdout, r.stderr)


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root")
        return 77
    if not DAEMON or not INIT:
        print("Bail out! SRD_DAEMON / SRD_INIT not set")
        return 1
    print("1..23", flush=True)
    tmp = tempfile.mkdtemp(prefix="srd-init-")
    os.chmod(tmp, 0o755)
    e = Env(tmp)
    mk = ["sh", "-c", "mkdir %s/srd-forbidden-x; echo forbidden=$?; mkdir %s/ok && echo ok" % ("/tmp", tmp)]
    try:
        # 1-3: the handoff and the errno rule; without the init the same call succeeds.
        shutil.rmtree("/tmp/srd-forbidden-x", ignore_errors=True)
        t = e.token("c-strict", "strict")
        r = e.run(t, mk)
        check(r.returncode == 0 and "forbidden=1" in r.stdout and "ok" in r.stdout.split()
              and not os.path.exists("/tmp/srd-forbidden-x"),
              "the workload runs under the policy: mkdir /tmp/srd-forbidden-x gets EACCES", out(r))
        host_redirect = "no SECCOMP_FILTER_FLAG_REDIRECT" in r.stderr
        check(host_redirect or "redirect supported" in e.log_text(),
              "the init says when the kernel has no redirect series (fallback)", out(r))
        shutil.rmtree(os.path.join(tmp, "ok"), ignore_errors=True)
        c = subprocess.run(mk, capture_output=True, text=True)
        check("forbidden=0" in c.stdout, "negative control: without the init the mkdir succeeds", out(c))
        shutil.rmtree("/tmp/srd-forbidden-x", ignore_errors=True)
        shutil.rmtree(os.path.join(tmp, "ok"), ignore_errors=True)

        # 4: a spent token is refused and the workload never runs.
        marker = os.path.join(tmp, "ran")
        r = e.run(t, ["touch", marker])
        check(r.returncode == 125 and not os.path.exists(marker) and "already used" in r.stderr,
              "a spent token: refused, exit 125, the workload does not run", out(r))

        # 5: no token at all: the init refuses to run the workload unsupervised.
        env = dict(os.environ)
        env.pop("SECCOMP_REDIRECT_TOKEN", None)
        r = subprocess.run([INIT, "--socket", e.sock, "--", "touch", marker], env=env, capture_output=True,
                           text=True, timeout=10)
        check(r.returncode == 125 and not os.path.exists(marker), "no token: exit 125, nothing runs", out(r))

        # 6-13: attacks from inside a supervised workload (container A).
        ta = e.token("c-a", "strict")
        tb = e.token("c-b", "strict")
        r = e.run(ta, [sys.executable, "-c", ATTACKER, e.sock, ta, "c-b"], timeout=120)
        try:
            res = json.loads(r.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            res = {}
        check("already used" in res.get("spent", ""), "attack: replaying the container's own token is refused",
              out(r))
        forged = res.get("forged", [])
        check(len(forged) == 20 and all("unknown or already used" in x for x in forged),
              "attack: 20 guessed tokens are refused", out(r))
        check("malformed hello" in res.get("weaker", ""),
              "attack: naming a weaker policy in the hello is refused", out(r))
        check("ERROR" in res.get("metadata", ""),
              "attack: an OCI handoff with metadata policy=permissive on the init socket is refused", out(r))
        check("malformed hello" in res.get("other-id", ""),
              "attack: another container's id in place of a token is refused", out(r))
        check(res.get("second-listener") == os.strerror(16),
              "attack: a second listener filter inside the workload fails with EBUSY", out(r))
        check(res.get("token-in-environ") is False and res.get("listener-fds") == 0,
              "the workload sees neither its token nor a listener fd", out(r))
        check(res.get("io_uring_setup") == os.strerror(38) and res.get("open_by_handle_at") == os.strerror(1),
              "the init's filter refuses io_uring_setup (ENOSYS) and open_by_handle_at (EPERM), which no rule "
              "names: what they reach has no path to judge", out(r))
        c = subprocess.run([sys.executable, "-c", ATTACKER, e.sock, "0" * 32, "c-b"], capture_output=True,
                           text=True, timeout=120)
        try:
            cres = json.loads(c.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            cres = {}
        check(cres.get("second-listener") == "fd",
              "negative control: outside the init the same second-listener load succeeds", out(c))
        check(cres.get("io_uring_setup") == os.strerror(14) and cres.get("open_by_handle_at") == os.strerror(14),
              "negative control: outside the init both calls run (EFAULT on their NULL arguments)", out(c))

        # 14: container B's init still works with B's token, and B is B with B's policy.
        r = e.run(tb, ["sleep", "1"], timeout=30)
        st = e.status()
        names = {(x.get("id"), x.get("policy")) for x in st.get("containers", [])}
        check(r.returncode == 0 and "Container c-b" in e.log_text() and "Container c-a" in e.log_text(),
              "container B hands over after A's attacks; the daemon recorded A and B from their tokens",
              out(r) + "\n" + json.dumps(st))

        # 15: no_new_privs is set, and said, without CAP_SYS_ADMIN.
        t = e.token("c-nobody", "strict")
        r = e.run(t, ["grep", "NoNewPrivs", "/proc/self/status"],
                  pre=["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "--inh-caps=-all"])
        check(r.returncode == 0 and "no_new_privs" in r.stderr and "NoNewPrivs:\t1" in r.stdout,
              "without CAP_SYS_ADMIN the init sets no_new_privs and says so", out(r))

        # 16: as PID 1 it forwards signals to the workload.
        t = e.token("c-pid1", "strict")
        env = dict(os.environ, SECCOMP_REDIRECT_TOKEN=t)
        p = subprocess.Popen(["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", INIT, "--socket",
                              e.sock, "--", "sh", "-c", "trap 'echo got-term; exit 3' TERM; echo up; "
                              "while :; do sleep 0.1; done"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = p.stdout.readline()
        init_pid = None
        for _ in range(100):
            try:
                kids = open("/proc/%d/task/%d/children" % (p.pid, p.pid)).read().split()
            except OSError:
                kids = []
            if kids:
                init_pid = int(kids[0])
                break
            time.sleep(0.05)
        if init_pid:
            os.kill(init_pid, signal.SIGTERM)
        so, se = p.communicate(timeout=20)
        check(line.strip() == "up" and "got-term" in so and p.returncode == 3,
              "as PID 1: SIGTERM reaches the workload, whose exit status is the init's",
              "first %r\nexit %s\n%s\n%s" % (line, p.returncode, so, se))

        # 17: as PID 1 it reaps orphans; with --no-reaper (the control) python as PID 1 leaves a zombie.
        zombie = ("import os,time\npid=os.fork()\nif pid==0:\n    if os.fork()==0:\n        time.sleep(0.1)\n"
                  "        os._exit(0)\n    os._exit(0)\nos.waitpid(pid,0)\ntime.sleep(0.6)\n"
                  "print('zombies', sum(1 for d in os.listdir('/proc') if d.isdigit() and "
                  "open('/proc/'+d+'/stat').read().rsplit(')',1)[1].split()[0]=='Z'))\n")
        counts = []
        for extra in ((), ("--no-reaper",)):
            t = e.token("c-reap", "strict")
            r = e.run(t, [sys.executable, "-c", zombie], init_args=extra,
                      pre=["unshare", "--pid", "--fork", "--kill-child", "--mount-proc"])
            counts.append(r.stdout.strip())
        check(counts == ["zombies 0", "zombies 1"],
              "as PID 1 orphans are reaped (0 zombies); control with --no-reaper: 1 zombie", repr(counts))

        # 18-19: the daemon's --policy-from judges who chose the policy (default: metadata, i.e. the
        # operator's wrapper configuration); a token file others could read or write is not honoured.
        t = e.token("c-annot", "permissive", "source=annotation\n")
        r = e.run(t, ["touch", marker])
        t2 = e.token("c-op", "permissive", "source=operator\n")
        r2 = e.run(t2, ["true"])
        check(r.returncode == 125 and "not allowed" in r.stderr and not os.path.exists(marker)
              and r2.returncode == 0,
              "a policy chosen by annotation is refused under --policy-from metadata; by the operator, taken",
              out(r) + out(r2))
        # 20: a flood of empty connections (anyone in any container can connect) does not push out
        # an init that has shown its token: the limit drops connections without one first.
        import threading
        stop = threading.Event()

        def flood():
            held = []
            while not stop.is_set():
                try:
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.connect(e.sock)
                    held.append(s)
                except OSError:
                    time.sleep(0.001)
                if len(held) > 300:
                    held.pop(0).close()
            for s in held:
                s.close()

        refused_before = e.status().get("handoffsRefused", 0)
        th = threading.Thread(target=flood)
        th.start()
        time.sleep(0.3)
        oks = 0
        for i in range(5):
            t = e.token("c-flood-%d" % i, "strict")
            r = e.run(t, ["true"])
            oks += r.returncode == 0
        stop.set()
        th.join()
        # The log is rate-limited; the count in status is exact.
        dropped = e.status().get("handoffsRefused", 0) - refused_before
        check(oks == 5 and dropped > 100,
              "under a flood of empty connections (%d dropped) 5 of 5 inits hand over" % dropped,
              "%d of 5, %d dropped" % (oks, dropped))

        t = e.token("c-mode", "strict", mode=0o644)
        r = e.run(t, ["touch", marker])
        check(r.returncode == 125 and "bad token file" in r.stderr and not os.path.exists(marker),
              "a token file with group/other access is refused", out(r))

        # 21: the daemon exits 0 on SIGTERM (under the sanitizers: no leak, no report).
        e.daemon.send_signal(signal.SIGTERM)
        try:
            rc = e.daemon.wait(timeout=15)
        except subprocess.TimeoutExpired:
            rc = None
        check(rc == 0, "the daemon exits 0 on SIGTERM", "exit %s" % rc)
    finally:
        if e.daemon.poll() is None:
            e.daemon.send_signal(signal.SIGTERM)
        try:
            e.daemon.wait(timeout=10)
        except subprocess.TimeoutExpired:
            e.daemon.kill()
        if not all(results):
            for line in e.log_text().splitlines()[-40:]:
                print("#   log: " + line)
        if not os.environ.get("SRD_ITEST_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if all(results) and len(results) == 23 else 1


if __name__ == "__main__":
    sys.exit(main())
