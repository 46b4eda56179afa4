#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Restarts lose no container, on the host kernel, with this script in
systemd's part: a NOTIFY_SOCKET that keeps the fds sent with FDSTORE=1
(and drops them on FDSTOREREMOVE=1), and restarts that pass the sockets
and the stored fds back with LISTEN_FDS/LISTEN_FDNAMES/LISTEN_PID.

A supervised process makes notified calls (mkdir under policies/demo.json:
/tmp/forbidden* is EACCES, anything else continues) in a loop while the
daemon is SIGKILLed and restarted; every call must come back, with the
policy's answer. A notification received and not answered at the kill
(held by --unsafe-test-answer-delay) must be answered after the restart,
and is not without the in-flight record (--unsafe-forget-in-flight, the
negative control). A missing or corrupt state file closes the listener
(the kernel then fails the calls with ENOSYS); a missing policy denies
every call until a reload brings it back."""
import ctypes
import ctypes.util
import errno
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

daemon, ctl = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2])
src = os.environ["SRD_SOURCE_ROOT"]
work = tempfile.mkdtemp(prefix="srd-restart-test-")
n = 0
failed = False
PLAN = 21


def case(name, ok, diag=""):
    global n, failed
    n += 1
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, name), flush=True)
    if not ok:
        failed = True
        for line in str(diag).splitlines()[-60:]:
            print("# " + line)


def wait_for(pred, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


class FakeSystemd:
    """The parts of PID 1 a Type=notify service with an fd store sees."""

    def __init__(self):
        self.notify_path = os.path.join(work, "notify.sock")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        self.notify.setblocking(False)
        self.store = {}  # FDNAME -> fd
        self.messages = []
        self.sockets = []
        for name in ("agent", "control"):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(os.path.join(work, name + ".sock"))
            s.listen(64)
            self.sockets.append((name, s))
        self.agent = os.path.join(work, "agent.sock")
        self.control = os.path.join(work, "control.sock")
        self.proc = None
        self.log = None
        self.lock = threading.Lock()
        self.stop_pump = False
        self.pump_thread = threading.Thread(target=self._pump_loop, daemon=True)
        self.pump_thread.start()

    def _pump_loop(self):
        while not self.stop_pump:
            select.select([self.notify], [], [], 0.05)
            self.pump()

    def pump(self):
        with self.lock:
            while True:
                try:
                    msg, fds, _, _ = socket.recv_fds(self.notify, 4096, 16)
                except (BlockingIOError, InterruptedError):
                    return
                for fd in fds:  # only what LISTEN_FDS names may reach the daemon
                    os.set_inheritable(fd, False)
                text = msg.decode(errors="replace")
                self.messages.append(text)
                fields = dict(line.split("=", 1) for line in text.split("\n") if "=" in line)
                name = fields.get("FDNAME", "stored")
                if fields.get("FDSTORE") == "1":
                    for fd in fds:
                        old = self.store.pop(name, None)
                        if old is not None:
                            os.close(old)
                        self.store[name] = fd
                    continue
                for fd in fds:  # systemd closes fds it was not asked to keep
                    os.close(fd)
                if fields.get("FDSTOREREMOVE") == "1" and name in self.store:
                    os.close(self.store.pop(name))

    def stored_names(self):
        with self.lock:
            return sorted(self.store)

    def saw(self, needle, timeout=10.0):
        return wait_for(lambda: any(needle in m for m in self.messages), timeout)

    def start(self, args, tag):
        with self.lock:
            names = [nm for nm, _ in self.sockets] + sorted(self.store)
            fds = [s.fileno() for _, s in self.sockets] + [self.store[k] for k in sorted(self.store)]
        env = dict(os.environ, NOTIFY_SOCKET=self.notify_path, LISTEN_FDS=str(len(fds)),
                   LISTEN_FDNAMES=":".join(names))
        env.pop("RUNTIME_DIRECTORY", None)

        def renumber():
            # Out of the way first: a source may sit where another goes.
            high = [os.dup(fd) for fd in fds]
            high = [fcntl_dup(fd, 100 + i) for i, fd in enumerate(high)]
            for i, fd in enumerate(high):
                os.dup2(fd, 3 + i)  # inheritable
                os.close(fd)

        self.log_path = os.path.join(work, "daemon-%s.log" % tag)
        self.log = open(self.log_path, "w")
        self.messages.clear()
        # LISTEN_PID is the pid that execs the daemon: the shell's, kept by exec.
        self.proc = subprocess.Popen(
            ["/bin/sh", "-c", 'LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@"', daemon,
             "--log-target", "stderr", "--policy-dir", pol, "--state-dir", state_dir,
             "--control", self.control] + args,
            env=env, stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=renumber, close_fds=False)
        ok = self.saw("READY=1")
        return ok

    def kill(self, sig=signal.SIGKILL):
        self.proc.send_signal(sig)
        rc = self.proc.wait(30)
        self.log.close()
        self.pump()
        return rc

    def output(self):
        with open(self.log_path) as f:
            return f.read()


def fcntl_dup(fd, low):
    import fcntl
    new = fcntl.fcntl(fd, fcntl.F_DUPFD, low)
    os.close(fd)
    return new


def status():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sd.control)
    s.sendall(b"status\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return json.loads(data)


def containers():
    try:
        return status()["containers"]
    except (OSError, ValueError):
        return None


class Supervised:
    """A process under a notify filter for mkdir, handed over like runc does,
    obeying one-letter commands: F forbidden mkdir, A allowed mkdir (then
    rmdir), L alternate both until the next command byte, Q quit. Each call
    reports "KIND ERRNO" on its result pipe."""

    def __init__(self, tag):
        lib = ctypes.CDLL(ctypes.util.find_library("seccomp"), use_errno=True)
        lib.seccomp_init.restype = ctypes.c_void_p
        lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint]
        lib.seccomp_load.argtypes = [ctypes.c_void_p]
        lib.seccomp_notify_fd.argtypes = [ctypes.c_void_p]
        cmd_r, self.cmd_w = os.pipe()
        self.res_r, res_w = os.pipe()
        parent, child = socket.socketpair()
        self.forbidden = "/tmp/forbidden-srd-restart-%d-%s" % (os.getpid(), tag)
        self.allowed = os.path.join(work, "allowed-" + tag)
        pid = os.fork()
        if pid == 0:
            try:
                os.close(self.cmd_w)
                os.close(self.res_r)
                ctx = lib.seccomp_init(0x7fff0000)  # SCMP_ACT_ALLOW
                for name in (b"mkdir", b"mkdirat"):
                    lib.seccomp_rule_add(ctx, 0x7fc00000, lib.seccomp_syscall_resolve_name(name), 0)
                if lib.seccomp_load(ctx) != 0:
                    os._exit(200)
                fd = lib.seccomp_notify_fd(ctx)
                socket.send_fds(child, [b"x"], [fd])
                os.close(fd)
                child.close()
                self._serve(cmd_r, res_w)
                os._exit(0)
            finally:
                os._exit(201)
        os.close(cmd_r)
        os.close(res_w)
        self.pid = pid
        self.id = "restart-%s-%d" % (tag, pid)
        _, fds, _, _ = socket.recv_fds(parent, 1, 1)
        state = {"ociVersion": "1.0.2", "id": self.id, "status": "creating", "pid": pid, "bundle": "/tmp"}
        payload = {"ociVersion": "1.0.2", "fds": ["seccompFd"], "pid": pid, "state": state,
                   "metadata": "policy=demo"}
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sd.agent)
        socket.send_fds(s, [json.dumps(payload).encode()], fds)
        s.close()
        os.close(fds[0])
        self.results = []
        self.buf = b""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _serve(self, cmd_r, res_w):
        def call(kind):
            path = self.forbidden if kind == "F" else self.allowed
            try:
                os.mkdir(path)
                e = 0
                os.rmdir(path)
            except OSError as ex:
                e = ex.errno
            os.write(res_w, b"%s %d\n" % (kind.encode(), e))
        while True:
            c = os.read(cmd_r, 1).decode()
            if c in ("", "Q"):
                return
            if c in ("F", "A"):
                call(c)
            elif c == "L":
                i = 0
                while not select.select([cmd_r], [], [], 0)[0]:
                    call("F" if i % 2 == 0 else "A")
                    i += 1

    def _read(self):
        while True:
            data = os.read(self.res_r, 65536)
            if not data:
                return
            self.buf += data
            *lines, self.buf = self.buf.split(b"\n")
            self.results.extend(tuple(x.decode().split()) for x in lines)

    def send(self, c):
        os.write(self.cmd_w, c.encode())

    def wait_results(self, count, timeout=10.0):
        return wait_for(lambda: len(self.results) >= count, timeout)

    def wrong(self, allowed_errno=0):
        """Results that are not the policy's answer."""
        want = {"F": str(errno.EACCES), "A": str(allowed_errno)}
        return [r for r in self.results if r[1] != want[r[0]]]

    def end(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)


def slot_of(key):
    try:
        with open(os.path.join(state_dir, key + ".state")) as f:
            for line in f:
                if line.startswith("slot="):
                    return int(line[5:])
    except OSError:
        pass
    return None


def listener_names():
    return [k for k in sd.stored_names() if k.startswith("listener-")]


try:
    print("1..%d" % PLAN)
    pol = os.path.join(work, "policies")
    os.mkdir(pol)
    shutil.copy(os.path.join(src, "policies", "demo.json"), pol)
    with open(os.path.join(pol, "other.json"), "w") as f:
        f.write('{ "version": 1, "name": "other", "defaultAction": "continue", "rules": [] }\n')
    state_dir = os.path.join(work, "state")
    sd = FakeSystemd()

    # --- a loop of calls across SIGKILL and SIGTERM restarts -------------------
    ok = sd.start([], "a")
    p = Supervised("loop")
    ok = ok and wait_for(lambda: len(containers() or []) == 1) and wait_for(lambda: len(listener_names()) == 1)
    key = listener_names()[0][len("listener-"):] if listener_names() else "?"
    case("handoff: listener in the fd store, state file written",
         ok and os.path.exists(os.path.join(state_dir, key + ".state"))
         and slot_of(key) is not None and os.path.getsize(os.path.join(state_dir, "inflight")) == 16384 * 256,
         (sd.stored_names(), os.listdir(state_dir) if os.path.isdir(state_dir) else None, sd.output()))

    p.send("L")
    p.wait_results(300)
    before = len(p.results)
    rc = sd.kill(signal.SIGKILL)
    time.sleep(0.5)  # calls queue in the kernel meanwhile
    down = len(p.results)
    ok = sd.start([], "b")
    grew = p.wait_results(down + 300, 20)
    st = containers() or []
    case("SIGKILL mid-stream, restart: the calls go on, the container is back in status",
         rc == -signal.SIGKILL and ok and grew and len(st) == 1 and st[0]["id"] == p.id
         and st[0]["policy"] == "demo" and st[0]["persisted"] and not st[0]["failClosed"]
         and "taken back after a restart" in sd.output(),
         (rc, before, down, len(p.results), st, sd.output()))

    rc = sd.kill(signal.SIGTERM)
    ok = sd.start([], "c")
    grew = p.wait_results(len(p.results) + 300, 20)
    case("SIGTERM (systemctl restart) keeps it too", rc == 0 and ok and grew and len(containers() or []) == 1,
         (rc, sd.output()))

    for i in range(3):
        sd.kill(signal.SIGKILL)
        sd.start([], "k%d" % i)
        p.wait_results(len(p.results) + 100, 20)
    p.send("Q")
    p.reader.join(10)
    _, wst = os.waitpid(p.pid, 0)
    wrong = p.wrong()
    nf = sum(1 for r in p.results if r[0] == "F")
    print("# %d calls across 6 restarts (%d denied by the policy), %d answered wrongly" %
          (len(p.results), nf, len(wrong)))
    case("0 calls lost: the loop ended by itself, every call answered",
         os.waitstatus_to_exitcode(wst) == 0 and len(p.results) > 1000, (wst, len(p.results)))
    case("0 calls answered wrongly: /tmp/forbidden* denied (EACCES) before, between and after restarts",
         not wrong and nf > 500 and not os.path.exists(p.forbidden), wrong[:10])
    case("the container's end removes its fd store entry and state files",
         wait_for(lambda: listener_names() == [] and os.listdir(state_dir) == ["inflight"]),
         (sd.stored_names(), os.listdir(state_dir)))

    # --- several containers at once, restarted twice in quick succession -------
    many = [Supervised("many%d" % i) for i in range(8)]
    wait_for(lambda: len(containers() or []) == 8)
    for x in many:
        x.send("L")
    wait_for(lambda: all(len(x.results) >= 50 for x in many), 20)
    sd.kill(signal.SIGKILL)
    sd.start([], "many-b")
    sd.kill(signal.SIGKILL)  # killed again right after it took them back
    ok = sd.start([], "many-c")
    marks = [len(x.results) for x in many]
    grew = wait_for(lambda: all(len(x.results) >= m + 50 for x, m in zip(many, marks)), 20)
    ids = sorted(c["id"] for c in (containers() or []))
    for x in many:
        x.send("Q")
    for x in many:
        x.reader.join(10)
        os.waitpid(x.pid, 0)
    bad = [r for x in many for r in x.wrong()]
    total = sum(len(x.results) for x in many)
    print("# 8 containers, %d calls across 2 back-to-back SIGKILLs, %d answered wrongly" % (total, len(bad)))
    case("8 containers, SIGKILLed twice back to back: all 8 back, every call answered by the policy",
         ok and grew and ids == sorted(x.id for x in many) and not bad,
         (ids, marks, [len(x.results) for x in many], bad[:5], sd.output()))
    wait_for(lambda: listener_names() == [])

    # --- in flight: received by the killed daemon, not answered ----------------
    def in_flight(kind, extra_b, tag, tamper=None):
        sd.kill(signal.SIGTERM)
        sd.start(["--unsafe-test-answer-delay", "60000"], tag + "-a")
        q = Supervised(tag)
        wait_for(lambda: len(containers() or []) == 1)
        q.send(kind)
        busy = wait_for(lambda: (containers() or [{}])[0].get("busyMs", 0) > 0)
        sd.kill(signal.SIGKILL)
        time.sleep(0.3)
        got_before = len(q.results)
        if tamper:
            k = listener_names()[0][len("listener-"):]
            tamper(slot_of(k))
        sd.start(extra_b, tag + "-b")
        return q, busy, got_before

    q, busy, before = in_flight("F", [], "inflight-deny")
    answered = q.wait_results(1, 10)
    case("in flight at the kill (a deny): answered after the restart, EACCES",
         busy and before == 0 and answered and q.results[0] == ("F", str(errno.EACCES))
         and "the previous daemon received" in sd.output(),
         (busy, before, q.results, sd.output()))
    q.send("F")
    case("...and still under its policy afterwards", q.wait_results(2) and q.results[1] == ("F", "13"),
         q.results)
    q.end()

    q, busy, before = in_flight("A", [], "inflight-cont")
    answered = q.wait_results(1, 10)
    case("in flight at the kill (a continue): runs after the restart",
         busy and before == 0 and answered and q.results[0] == ("A", "0"), (busy, q.results, sd.output()))
    q.end()

    def as_getpid(slot):
        # The container's slot of the in-flight file, 256 bytes each; struct
        # seccomp_notif's data.nr at offset 16. getpid is not in the policy,
        # so the record as written would be a continue.
        with open(os.path.join(state_dir, "inflight"), "r+b") as f:
            f.seek(slot * 256 + 16)
            f.write((39).to_bytes(4, "little"))

    q, busy, before = in_flight("F", [], "inflight-tamper", tamper=as_getpid)
    answered = q.wait_results(1, 10)
    case("an in-flight record rewritten while the daemon was down (mkdir as getpid): denied (EPERM), "
         "not run, logged",
         busy and answered and q.results[0] == ("F", str(errno.EPERM)) and not os.path.exists(q.forbidden)
         and "is not the call the task waits in" in sd.output(), (busy, q.results, sd.output()))
    q.end()

    q, busy, before = in_flight("F", ["--unsafe-trust-in-flight"], "inflight-trust", tamper=as_getpid)
    answered = q.wait_results(1, 10)
    case("negative control: without that check the rewritten record is decided as getpid, and the "
         "forbidden mkdir runs",
         busy and answered and q.results[0] == ("F", "0") and os.path.exists(q.forbidden) is False,
         (busy, q.results, sd.output()))
    q.end()

    q, busy, before = in_flight("F", ["--unsafe-forget-in-flight"], "inflight-forget")
    answered = q.wait_results(1, 3)
    case("negative control: without the in-flight record the call hangs (3 s)",
         busy and not answered and len(containers() or []) == 1, (busy, q.results, sd.output()))
    q.end()
    wait_for(lambda: listener_names() == [])

    # --- damaged records ---------------------------------------------------
    def restart_with(damage, tag, extra=None):
        sd.kill(signal.SIGTERM)
        sd.start([], tag + "-a")
        q = Supervised(tag)
        wait_for(lambda: len(containers() or []) == 1 and len(listener_names()) == 1)
        q.send("A")
        q.wait_results(1)
        k = listener_names()[0][len("listener-"):]
        sd.kill(signal.SIGKILL)
        damage(os.path.join(state_dir, k + ".state"))
        sd.start(extra or [], tag + "-b")
        return q, k

    q, k = restart_with(os.unlink, "nostate")
    q.send("AF")
    got = q.wait_results(3, 10)
    case("state file missing: listener closed and logged, calls fail closed (ENOSYS), fd store entry removed",
         got and q.results[1:] == [("A", str(errno.ENOSYS)), ("F", str(errno.ENOSYS))]
         and "without a valid state file" in sd.output() and containers() == []
         and wait_for(lambda: listener_names() == []),
         (q.results, sd.stored_names(), sd.output()))
    q.end()

    def corrupt(path):
        with open(path, "w") as f:
            f.write("version=1\nid=x\npolicy=../demo\npid=1\nstarttime=0\n")

    q, k = restart_with(corrupt, "corrupt")
    q.send("A")
    got = q.wait_results(2, 10)
    case("state file corrupt (a policy name that is not one): closed, logged, ENOSYS",
         got and q.results[1] == ("A", str(errno.ENOSYS)) and "without a valid state file" in sd.output()
         and containers() == [], (q.results, sd.output()))
    q.end()

    def drop_policy(path):
        os.rename(os.path.join(pol, "demo.json"), os.path.join(work, "demo.json"))

    q, k = restart_with(drop_policy, "nopolicy")
    q.send("A")
    got = q.wait_results(2, 10)
    st = containers() or [{}]
    case("policy gone at the restart: container kept, every call denied (EPERM, not continue), logged",
         got and q.results[1] == ("A", str(errno.EPERM)) and st[0].get("failClosed") is True
         and "every call it notifies is denied" in sd.output(), (q.results, st, sd.output()))
    out = subprocess.run([ctl, "status", "--control", sd.control], capture_output=True, text=True)
    case("seccomp-redirectctl status names it as failing closed",
         "FAILING CLOSED" in out.stdout and q.id in out.stdout, (out.stdout, out.stderr))
    os.rename(os.path.join(work, "demo.json"), os.path.join(pol, "demo.json"))
    sd.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: not (containers() or [{}])[0].get("failClosed", True))
    q.send("AF")
    got = q.wait_results(4, 10)
    case("a reload that brings the policy back ends the fail-closed state",
         got and q.results[2:] == [("A", "0"), ("F", "13")], (q.results, sd.output()))
    q.end()
    wait_for(lambda: listener_names() == [])

    # A record no listener came back for, and one with a name that is not ours.
    sd.kill(signal.SIGTERM)
    with open(os.path.join(state_dir, "0123456789abcdef.state"), "w") as f:
        f.write("version=1\nid=gone\npolicy=demo\npid=1\nstarttime=0\n")
    with open(os.path.join(state_dir, "stray"), "w") as f:
        f.write("x")
    r, w = os.pipe()
    with sd.lock:
        sd.store["listener-nothex"] = r
    ok = sd.start([], "orphans")
    case("state without fd, fd without a valid name: removed and logged, daemon runs",
         ok and os.listdir(state_dir) == ["inflight"] and "no listener came back" in sd.output()
         and "not named by a daemon of ours" in sd.output() and sd.stored_names() == []
         and containers() == [], (os.listdir(state_dir), sd.stored_names(), sd.output()))
    os.close(w)

    # Without NOTIFY_SOCKET nothing is recorded (seccomp-redirectd(8), RESTARTS).
    sd.kill(signal.SIGTERM)
    plain_dir = os.path.join(work, "plain-state")
    agent2 = os.path.join(work, "plain-agent.sock")
    plain_env = {k: v for k, v in os.environ.items() if not k.startswith(("NOTIFY_SOCKET", "LISTEN_"))}
    d = subprocess.Popen([daemon, "--log-target", "stderr", "--listen", agent2, "--control", "none",
                          "--policy-dir", pol, "--state-dir", plain_dir],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=plain_env)
    wait_for(lambda: os.path.exists(agent2))
    saved = sd.agent
    sd.agent = agent2
    q = Supervised("plain")
    sd.agent = saved
    q.send("F")
    q.wait_results(1)
    case("without systemd: supervised, nothing recorded",
         q.results == [("F", "13")] and not os.path.exists(plain_dir), (q.results,))
    d.kill()
    d.wait()
    q.send("A")
    got = q.wait_results(2, 5)
    case("...and a SIGKILL leaves the process's notified calls failing (ENOSYS)",
         got and q.results[1] == ("A", str(errno.ENOSYS)), q.results)
    q.end()
finally:
    try:
        if sd.proc and sd.proc.poll() is None:
            sd.proc.kill()
    except NameError:
        pass
    shutil.rmtree(work, ignore_errors=True)

sys.exit(1 if failed else 0)
