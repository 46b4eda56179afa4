#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""seccomp-redirectd as its man page promises, on the host kernel: startup
errors (exit 2), sockets (0600, removed on exit), sd_notify READY/RELOADING/
STOPPING, the control protocol, SIGHUP all-or-nothing, one real handoff
(libseccomp through ctypes), socket activation by name, SIGTERM exit 0."""
import ctypes
import ctypes.util
import errno
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

daemon, ctl = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2])
src = os.environ["SRD_SOURCE_ROOT"]
# $SRD_DAEMON_WRAPPER (tools/test-valgrind): the integration tests' helper.
sys.path.insert(0, os.path.join(src, "tests", "integration"))
import daemon_wrapper  # noqa: E402
started = []  # every daemon process, judged at the end under the wrapper
n = 0
failed = False
work = tempfile.mkdtemp(prefix="srd-daemon-test-")
PLAN = 15


def case(name, ok, diag=""):
    global n, failed
    n += 1
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, name))
    if not ok:
        failed = True
        for line in str(diag).splitlines():
            print("# " + line)


def wait_for(pred, timeout=10.0):
    end = time.monotonic() + daemon_wrapper.timeout(timeout)
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return False


def status(control):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(control)
    s.sendall(b"status\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return json.loads(data)


class Notify:
    """A NOTIFY_SOCKET that collects what the daemon says."""

    def __init__(self):
        self.path = os.path.join(work, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.1)
        self.messages = []

    def drain(self):
        try:
            while True:
                self.messages.append(self.sock.recv(4096).decode())
        except (socket.timeout, BlockingIOError):
            pass

    def saw(self, needle, timeout=10.0):
        def pred():
            self.drain()
            return any(needle in m for m in self.messages)
        return wait_for(pred, timeout)


def start(args, env=None, **kw):
    p = subprocess.Popen(daemon_wrapper.argv([daemon, "--log-target", "stderr"] + args), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=env, text=True, **kw)
    started.append(p)
    return p


def supervised_mkdir(agent, metadata, path):
    """A child under a notify filter for mkdir, handed to the daemon like runc does. Returns errno."""
    lib = ctypes.CDLL(ctypes.util.find_library("seccomp"), use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_notify_fd.argtypes = [ctypes.c_void_p]
    parent, child = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        try:
            ctx = lib.seccomp_init(0x7fff0000)  # SCMP_ACT_ALLOW
            for name in (b"mkdir", b"mkdirat"):
                lib.seccomp_rule_add(ctx, 0x7fc00000, lib.seccomp_syscall_resolve_name(name), 0)  # NOTIFY
            if lib.seccomp_load(ctx) != 0:
                os._exit(200)
            fd = lib.seccomp_notify_fd(ctx)
            socket.send_fds(child, [b"x"], [fd])
            os.close(fd)
            child.recv(1)
            try:
                os.mkdir(path)
                os._exit(0)
            except OSError as e:
                os._exit(e.errno)
        finally:
            os._exit(201)
    _, fds, _, _ = socket.recv_fds(parent, 1, 1)
    state = {"ociVersion": "1.0.2", "id": "basic-%d" % pid, "status": "creating", "pid": pid,
             "bundle": "/tmp"}
    payload = {"ociVersion": "1.0.2", "fds": ["seccompFd"], "pid": pid, "state": state}
    if metadata:
        payload["metadata"] = metadata
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(agent)
    socket.send_fds(s, [json.dumps(payload).encode()], fds)
    s.close()
    os.close(fds[0])
    parent.send(b"go")
    _, st = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(st), pid


try:
    print("1..%d" % PLAN)
    pol = os.path.join(work, "policies")
    os.mkdir(pol)
    shutil.copy(os.path.join(src, "policies", "demo.json"), pol)
    run_dir = os.path.join(work, "run")
    agent, control = os.path.join(run_dir, "agent.sock"), os.path.join(run_dir, "control.sock")

    p = start(["--listen", agent, "--control", "none", "--policy-dir", os.path.join(work, "nope")])
    case("missing policy directory: exit 2", p.wait(daemon_wrapper.timeout(30)) == 2, p.stdout.read())
    bad = os.path.join(work, "bad")
    os.mkdir(bad)
    with open(os.path.join(bad, "x.json"), "w") as f:
        f.write('{ "version": 1, "name": "x", "defaultAction": "contnue", "rules": [] }\n')
    p = start(["--listen", agent, "--control", "none", "--policy-dir", bad])
    out = p.stdout.read()
    case("invalid policy at startup: exit 2, diagnostic logged",
         p.wait(daemon_wrapper.timeout(30)) == 2 and "x.json:1:" in out and 'did you mean "continue"' in out, out)
    p = start(["--listen", agent, "--policy-dir", pol, "--default-policy", "nosuch", "--control", "none"])
    case("unknown --default-policy: exit 2", p.wait(daemon_wrapper.timeout(30)) == 2, p.stdout.read())
    warned = os.path.join(work, "warned")
    os.mkdir(warned)
    with open(os.path.join(warned, "w.json"), "w") as f:
        f.write('{ "version": 1, "name": "w", "defaultAction": "continue", "rules": [\n'
                '{ "name": "all", "names": ["mkdir"], "action": "continue" },\n'
                '{ "name": "dead", "names": ["mkdir"], "path": { "glob": "/tmp//x" }, "action": "kill" } ] }\n')
    p = start(["--listen", agent, "--control", "none", "--policy-dir", warned, "--default-policy", "nosuch"])
    out = p.stdout.read()
    case("warnings are logged at load",
         p.wait(daemon_wrapper.timeout(30)) == 2 and 'w.json:3:1: rules[1]: warning: rule "dead" never decides' in out
         and 'warning: glob "/tmp//x" can never match' in out, out)
    p = start(["--bogus"])
    case("unknown option: exit 2", p.wait(daemon_wrapper.timeout(30)) == 2)

    notify = Notify()
    env = dict(os.environ, NOTIFY_SOCKET=notify.path)
    d = start(["--listen", agent, "--control", control, "--policy-dir", pol,
               "--state-dir", os.path.join(work, "state")], env=env)
    ready = notify.saw("READY=1")
    modes = [stat.S_IMODE(os.stat(x).st_mode) for x in (agent, control)] if ready else []
    case("READY=1, sockets created 0600", ready and modes == [0o600, 0o600], "%r %r" % (notify.messages, modes))

    st = status(control)
    case("status: version, policies with rules, no containers, reload ok",
         st["version"] == "0.1" and [x["name"] for x in st["policies"]] == ["demo"]
         and len(st["policies"][0]["rules"]) == 7 and st["containers"] == [] and st["reload"]["ok"] is True
         and st["handoffsRefused"] == 0, st)

    target = os.path.join(tempfile.gettempdir(), "forbidden-srd-basic-%d" % os.getpid())
    code, pid = supervised_mkdir(agent, "policy=demo", target)
    st = status(control)
    hits = {r["name"]: r["hits"] for r in st["policies"][0]["rules"]}
    case("handoff: the rule's errno reaches the process, hit counted",
         code == errno.EACCES and not os.path.exists(target) and hits["no-forbidden"] == 1, (code, st))
    case("container freed when its process is gone", wait_for(lambda: status(control)["containers"] == []),
         status(control))

    code, pid = supervised_mkdir(agent, "", os.path.join(work, "x"))
    case("handoff without a policy (no --default-policy): refused, ENOSYS, counted",
         code == errno.ENOSYS and status(control)["handoffsRefused"] == 1, code)

    with open(os.path.join(pol, "zz-bad.json"), "w") as f:
        f.write('{ "version": 1, "name": "demo2", "defaultAction": "continue", "rules": [], "oops": 1 }\n')
    notify.messages.clear()
    d.send_signal(signal.SIGHUP)
    reloaded = notify.saw("RELOADING=1") and notify.saw("reload failed")
    st = status(control)
    case("SIGHUP with a bad file: old set kept, reload error in status and STATUS=",
         reloaded and st["reload"]["ok"] is False and "zz-bad.json" in st["reload"]["error"]
         and [x["name"] for x in st["policies"]] == ["demo"], (notify.messages, st))

    os.unlink(os.path.join(pol, "zz-bad.json"))
    with open(os.path.join(pol, "other.json"), "w") as f:
        f.write('{ "version": 1, "name": "other", "defaultAction": "continue", "rules": [] }\n')
    d.send_signal(signal.SIGHUP)
    ok = wait_for(lambda: status(control)["reload"]["ok"] is True)
    st = status(control)
    case("SIGHUP after the fix: new set in force",
         ok and sorted(x["name"] for x in st["policies"]) == ["demo", "other"], st)

    notify.messages.clear()
    d.send_signal(signal.SIGTERM)
    rc = d.wait(daemon_wrapper.timeout(30))
    case("SIGTERM: STOPPING=1, exit 0, sockets removed",
         rc == 0 and notify.saw("STOPPING=1", 2) and not os.path.exists(agent) and not os.path.exists(control),
         (rc, notify.messages, d.stdout.read()))

    if shutil.which("systemd-socket-activate"):
        a2, c2 = os.path.join(work, "a2.sock"), os.path.join(work, "c2.sock")
        # It execs the daemon (under the wrapper, if any): the pid stays.
        d = subprocess.Popen(["systemd-socket-activate", "-l", a2, "-l", c2, "--fdname=agent:control",
                              "-E", "SRD_VALGRIND_LOGS"]
                             + daemon_wrapper.argv([daemon, "--log-target", "stderr", "--policy-dir", pol,
                                                    "--default-policy", "demo"]),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started.append(d)
        wait_for(lambda: os.path.exists(a2) and os.path.exists(c2))
        # Activation is lazy: the daemon starts with the first connection, here the control one.
        try:
            st = status(c2)
        except OSError as e:
            st = e
        code, pid = supervised_mkdir(a2, "", target)
        case("socket activation by name: control answers, agent takes handoffs (--default-policy)",
             isinstance(st, dict) and code == errno.EACCES, (st, code))
        d.send_signal(signal.SIGTERM)
        rc = d.wait(daemon_wrapper.timeout(30))
        case("socket-activated daemon: SIGTERM exit 0", rc == 0, d.stdout.read())
    else:
        n += 2
        print("ok %d - socket activation # SKIP systemd-socket-activate not installed" % (n - 1))
        print("ok %d - socket activation exit # SKIP systemd-socket-activate not installed" % n)
finally:
    # Under the wrapper: every daemon run judged (errors, leaks, fds left open).
    for p in started:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(daemon_wrapper.timeout(30))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        clean, why = daemon_wrapper.verdict(p.pid)
        if not clean:
            failed = True
            print("# valgrind: daemon pid %d failed its verdict:" % p.pid)
            for line in why.splitlines():
                print("# valgrind: " + line)
    shutil.rmtree(work, ignore_errors=True)

sys.exit(1 if failed else 0)
