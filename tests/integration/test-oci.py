#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""seccomp-redirect-oci, the runtime wrapper: first against a fake runtime
that records its argv and the JSON it would read (pass-through verbatim,
the rewrites of create/run/exec, tokens, failing closed), then with the
real runc on the host and the real daemon: the errno rule in a container
and in a `runc exec`, both through the wrapper.

TAP on stdout; exit 77 without root."""

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

DAEMON = os.environ.get("SRD_DAEMON")
INIT = os.environ.get("SRD_INIT")
OCI = os.environ.get("SRD_OCI")
RUNC = shutil.which("runc") or ("/usr/sbin/runc" if os.access("/usr/sbin/runc", os.X_OK) else None)
BUSYBOX = next((p for p in ("/bin/busybox", "/usr/bin/busybox") if os.access(p, os.X_OK)), None)
PLAN = 19
results = []

FAKE = r'''#!/usr/bin/env python3
import json, os, sys
rec = os.environ["FAKE_RECORD"]
args = sys.argv[1:]
entry = {"argv": args}
def opt(names):
    for i, a in enumerate(args):
        if a in names and i + 1 < len(args):
            return args[i + 1]
        for n in names:
            if a.startswith(n + "="):
                return a[len(n) + 1:]
    return None
if "create" in args or "run" in args:
    b = opt(["--bundle", "-b"]) or "."
    entry["config"] = json.load(open(os.path.join(b, "config.json")))
if "exec" in args:
    p = opt(["--process", "-p"])
    if p:
        entry["process"] = json.load(open(p))
if "state" in args:
    cfg = json.load(open(os.environ["FAKE_BUNDLE"] + "/config.json"))
    print(json.dumps({"id": args[-1], "bundle": os.environ["FAKE_BUNDLE"],
                      "annotations": cfg.get("annotations", {})}))
    sys.exit(0 if os.environ.get("FAKE_STATE_OK", "1") == "1" else 1)
with open(rec, "a") as f:
    f.write(json.dumps(entry) + "\n")
'''

CONFIG = {
    "ociVersion": "1.0.2",
    "process": {"args": ["/bin/sh", "-c", "echo hi"], "env": ["PATH=/bin"], "cwd": "/"},
    "root": {"path": "rootfs"},
    "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
}


def check(ok, what, diag=None):
    results.append(bool(ok))
    print(("ok" if ok else "not ok") + " %d - %s" % (len(results), what), flush=True)
    if not ok and diag is not None:
        for line in str(diag).splitlines()[-30:]:
            print("#   " + line, flush=True)
    return ok


class Fake:
    def __init__(self, tmp):
        self.tmp = tmp
        self.runtime = os.path.join(tmp, "fake-runtime")
        with open(self.runtime, "w") as f:
            f.write(FAKE)
        os.chmod(self.runtime, 0o755)
        self.record = os.path.join(tmp, "record")
        self.init_dir = os.path.join(tmp, "init")
        os.makedirs(os.path.join(self.init_dir, "tokens"), mode=0o700)
        self.bundle = os.path.join(tmp, "bundle")
        os.makedirs(self.bundle)
        self.conf = os.path.join(tmp, "oci.conf")

    def configure(self, policy=None, extra=""):
        with open(self.conf, "w") as f:
            f.write("# test\nruntime = %s\ninit=%s\ninit-dir=%s\n%s%s" % (
                self.runtime, INIT, self.init_dir, "policy=%s\n" % policy if policy else "", extra))

    def bundle_config(self, annotations=None):
        cfg = json.loads(json.dumps(CONFIG))
        if annotations is not None:
            cfg["annotations"] = annotations
        with open(os.path.join(self.bundle, "config.json"), "w") as f:
            json.dump(cfg, f)
        return open(os.path.join(self.bundle, "config.json"), "rb").read()

    def run(self, args, env=None):
        if os.path.exists(self.record):
            os.unlink(self.record)
        e = dict(os.environ, SECCOMP_REDIRECT_OCI_CONFIG=self.conf, FAKE_RECORD=self.record,
                 FAKE_BUNDLE=self.bundle, **(env or {}))
        r = subprocess.run([OCI] + args, env=e, capture_output=True, text=True, timeout=30)
        entries = []
        if os.path.exists(self.record):
            entries = [json.loads(l) for l in open(self.record).read().splitlines()]
        return r, entries

    def tokens(self):
        d = os.path.join(self.init_dir, "tokens")
        out = {}
        for n in os.listdir(d):
            st = os.stat(os.path.join(d, n))
            out[n] = (open(os.path.join(d, n)).read(), stat.S_IMODE(st.st_mode))
        return out

    def clear_tokens(self):
        d = os.path.join(self.init_dir, "tokens")
        for n in os.listdir(d):
            os.unlink(os.path.join(d, n))


def token_env(env):
    return [e for e in env if e.startswith("SECCOMP_REDIRECT_TOKEN=")]


def fake_cases(tmp):
    f = Fake(tmp)
    prefix = ["/.seccomp-redirect-init", "--socket", "/.seccomp-redirect.sock", "--"]

    # 1: global flags and an unrelated subcommand, verbatim.
    f.configure("strict")
    args = ["--root", "/x", "--log-format=json", "--systemd-cgroup", "--debug", "list", "-q"]
    r, rec = f.run(args)
    check(r.returncode == 0 and rec and rec[0]["argv"] == args, "global flags and `list` pass through verbatim",
          (r, rec))

    # 2: no policy anywhere: create passes through untouched, config.json byte for byte.
    f.configure(None)
    before = f.bundle_config()
    args = ["--root", "/x", "create", "--bundle", f.bundle, "--pid-file", "/p", "c1"]
    r, rec = f.run(args)
    after = open(os.path.join(f.bundle, "config.json"), "rb").read()
    check(r.returncode == 0 and rec and rec[0]["argv"] == args and before == after and not f.tokens(),
          "no policy: create passes through, config.json unchanged, no token", (r, rec))

    # 3: the operator's policy: argv verbatim, config.json rewritten, one token file 0600.
    f.configure("strict")
    f.bundle_config()
    args = ["--root=/x", "create", "--bundle=" + f.bundle, "--console-socket", "/cs", "c1"]
    r, rec = f.run(args)
    cfg = rec[0]["config"] if rec else {}
    proc = cfg.get("process", {})
    toks = f.tokens()
    tok = token_env(proc.get("env", []))
    mounts = {m["destination"]: m for m in cfg.get("mounts", [])}
    check(r.returncode == 0 and rec[0]["argv"] == args and proc.get("args") == prefix + CONFIG["process"]["args"],
          "operator policy: argv verbatim, process.args get the init prefix", (r, rec))
    check(len(tok) == 1 and len(toks) == 1 and tok[0].split("=", 1)[1] in toks
          and list(toks.values())[0] == ("container=c1\npolicy=strict\nsource=operator\n", 0o600),
          "one token in process.env and in a 0600 token file naming c1, strict, operator", (tok, toks))
    check(mounts.get("/.seccomp-redirect-init", {}).get("source") == INIT
          and "ro" in mounts.get("/.seccomp-redirect-init", {}).get("options", [])
          and mounts.get("/.seccomp-redirect.sock", {}).get("source") == f.init_dir + "/init.sock"
          and "ro" in mounts.get("/.seccomp-redirect.sock", {}).get("options", [])
          and "/proc" in mounts,
          "the init and the init socket are bind-mounted read-only, the other mounts kept", cfg.get("mounts"))

    # 4: a retried create: no double prefix, still one token in env.
    r, rec = f.run(args)
    proc = rec[0]["config"]["process"] if rec else {}
    check(r.returncode == 0 and proc.get("args") == prefix + CONFIG["process"]["args"]
          and len(token_env(proc.get("env", []))) == 1,
          "a retried create does not put the init in front of itself", proc)
    f.clear_tokens()

    # 5: the annotation names the policy: source=annotation (the daemon's --policy-from judges).
    f.bundle_config({"seccomp-redirect.policy": "web"})
    r, rec = f.run(["run", "-b", f.bundle, "-d", "c2"])
    toks = f.tokens()
    check(r.returncode == 0 and list(toks.values()) == [("container=c2\npolicy=web\nsource=annotation\n", 0o600)],
          "`run` with annotation seccomp-redirect.policy: token with source=annotation", (r, toks))
    f.clear_tokens()

    # 6: a bad annotation fails closed: the runtime is not run.
    f.bundle_config({"seccomp-redirect.policy": "../etc/x"})
    r, rec = f.run(["create", "-b", f.bundle, "c3"])
    check(r.returncode == 1 and not rec and not f.tokens(), "a malformed policy annotation: exit 1, runtime not run",
          (r, rec))

    # 6b: the creator sets the wrapper's own annotations (to pass off a policy as the operator's at exec).
    f.configure(None)
    f.bundle_config({"seccomp-redirect.init.policy": "permissive", "seccomp-redirect.init.source": "operator"})
    r, rec = f.run(["create", "-b", f.bundle, "c3b"])
    check(r.returncode == 1 and not rec and "the wrapper's own" in r.stderr and not f.tokens(),
          "a container that sets the wrapper's own annotations is refused, the runtime not run", (r, rec))
    f.configure("strict")

    # 7: no token directory (daemon without --init-dir): fails closed.
    f.bundle_config()
    os.rename(os.path.join(f.init_dir, "tokens"), os.path.join(f.init_dir, "tokens.off"))
    r, rec = f.run(["create", "-b", f.bundle, "c4"])
    os.rename(os.path.join(f.init_dir, "tokens.off"), os.path.join(f.init_dir, "tokens"))
    check(r.returncode == 1 and not rec and "init-dir" in r.stderr,
          "no token directory: exit 1, the runtime never starts the container unsupervised", r)

    # 8: exec --process FILE: the process file is rewritten, the policy found through `state`.
    f.configure("strict")
    f.bundle_config()
    r, rec = f.run(["create", "-b", f.bundle, "c5"])
    f.clear_tokens()
    pfile = os.path.join(tmp, "process.json")
    with open(pfile, "w") as fh:
        json.dump({"args": ["/bin/ls", "-l"], "env": ["PATH=/bin"], "cwd": "/"}, fh)
    f.configure(None)  # exec must follow what create bound, not the configuration of the moment
    args = ["--root", "/x", "exec", "--process", pfile, "--detach", "c5"]
    r, rec = f.run(args)
    execs = [e for e in rec if "exec" in e["argv"]]
    proc = execs[0].get("process", {}) if execs else {}
    toks = f.tokens()
    check(r.returncode == 0 and execs and execs[0]["argv"] == args and proc.get("args") == prefix + ["/bin/ls", "-l"]
          and len(token_env(proc.get("env", []))) == 1
          and list(toks.values()) == [("container=c5\npolicy=strict\nsource=operator\n", 0o600)],
          "exec --process: file rewritten, argv verbatim, token bound to the container's policy", (r, rec, toks))

    # 9: exec with a command line: --env token and the init inserted, the rest verbatim.
    r, rec = f.run(["exec", "-t", "c5", "sh", "-c", "id"])
    execs = [e for e in rec if "exec" in e["argv"]]
    a = execs[0]["argv"] if execs else []
    check(r.returncode == 0 and len(a) == 12 and a[0] == "exec" and a[1] == "--env"
          and a[2].startswith("SECCOMP_REDIRECT_TOKEN=") and a[3:5] == ["-t", "c5"] and a[5:9] == prefix
          and a[9:] == ["sh", "-c", "id"],
          "exec CMD: --env token and the init in front of CMD", (r, rec))

    # 10: delete removes the container's unspent tokens and no one else's.
    f.clear_tokens()
    f.configure("strict")
    f.run(["create", "-b", f.bundle, "c6"])
    f.run(["create", "-b", f.bundle, "c7"])
    r, rec = f.run(["delete", "--force", "c6"])
    left = [v[0] for v in f.tokens().values()]
    check(r.returncode == 0 and rec and rec[0]["argv"] == ["delete", "--force", "c6"]
          and left == ["container=c7\npolicy=strict\nsource=operator\n"],
          "delete: c6's unspent token goes, c7's stays, argv verbatim", (r, left))
    f.clear_tokens()

    # 11: exec into a container without a policy: untouched.
    f.bundle_config()
    f.configure(None)
    with open(pfile, "w") as fh:
        json.dump({"args": ["/bin/ls"], "env": [], "cwd": "/"}, fh)
    before = open(pfile, "rb").read()
    r, rec = f.run(["exec", "-p", pfile, "c8"])
    check(r.returncode == 0 and open(pfile, "rb").read() == before and not f.tokens(),
          "exec into a container without a policy: the process file is untouched", (r, rec))

    # 12: the runtime's state fails: whether the container has a policy is unknown, the exec does not run.
    f.configure("strict")
    r, rec = f.run(["exec", "-p", pfile, "c9"], env={"FAKE_STATE_OK": "0"})
    check(r.returncode == 1 and not [e for e in rec if "exec" in e["argv"]] and "state" in r.stderr,
          "exec when the runtime's state fails: exit 1, the runtime's exec never runs", (r, rec))


def make_bundle(bundle, script, annotations):
    rootfs = os.path.join(bundle, "rootfs")
    for d in ("bin", "etc", "tmp", "proc", "dev", "sys"):
        os.makedirs(os.path.join(rootfs, d))
    shutil.copy2(BUSYBOX, os.path.join(rootfs, "bin", "busybox"))
    for applet in ("sh", "mkdir", "cat", "ls", "echo", "sleep", "grep", "id"):
        os.symlink("busybox", os.path.join(rootfs, "bin", applet))
    subprocess.run([RUNC, "spec"], cwd=bundle, check=True, timeout=30)
    with open(os.path.join(bundle, "config.json")) as f:
        config = json.load(f)
    config["process"]["terminal"] = False
    config["process"]["args"] = ["/bin/sh", "-c", script]
    config["root"]["readonly"] = False
    config["annotations"] = annotations
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    return rootfs


def runc_cases(tmp):
    if not RUNC or not BUSYBOX:
        for _ in range(PLAN - len(results)):
            check(False, "runc or busybox missing: the runc cases cannot run")
        return
    pol = os.path.join(tmp, "policies.d")
    os.makedirs(pol)
    with open(os.path.join(pol, "strict.json"), "w") as f:
        json.dump({"version": 1, "name": "strict", "defaultAction": "continue",
                   "rules": [{"name": "no-forbidden", "names": ["mkdir", "mkdirat"],
                              "path": {"glob": "/tmp/forbidden*"}, "action": "errno", "errno": "EACCES"}]}, f)
    init_dir = os.path.join(tmp, "rinit")
    control = os.path.join(tmp, "control.sock")
    log = open(os.path.join(tmp, "daemon.log"), "w+")
    daemon = subprocess.Popen([DAEMON, "--listen", os.path.join(tmp, "agent.sock"), "--control", control,
                               "--init-dir", init_dir, "--policy-dir", pol, "--log-target", "stderr"],
                              stdout=log, stderr=log)
    conf = os.path.join(tmp, "runc.conf")
    with open(conf, "w") as f:
        f.write("runtime=%s\ninit=%s\ninit-dir=%s\npolicy=strict\n" % (RUNC, INIT, init_dir))
    env = dict(os.environ, SECCOMP_REDIRECT_OCI_CONFIG=conf)
    state = os.path.join(tmp, "runc-state")
    cid = "srd-oci-%d" % os.getpid()
    try:
        end = time.monotonic() + 10
        while not os.path.exists(control) and time.monotonic() < end:
            time.sleep(0.02)
        bundle = os.path.join(tmp, "rbundle")
        os.makedirs(bundle)
        rootfs = make_bundle(bundle, "mkdir /tmp/forbidden-x; echo forbidden=$?; mkdir /tmp/ok; echo ok=$?; "
                             "echo pid=$$; sleep 2; echo done", {})
        run = subprocess.Popen([OCI, "--root", state, "run", "--bundle", bundle, cid], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.8)
        ex = subprocess.run([OCI, "--root", state, "exec", cid, "sh", "-c",
                             "mkdir /tmp/forbidden-exec; echo exec-forbidden=$?"],
                            env=env, capture_output=True, text=True, timeout=30)
        try:
            out, err = run.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            run.kill()
            out, err = run.communicate()
        t = "exit %s\n%s\n%s\nexec: %s %s %s" % (run.returncode, out, err, ex.returncode, ex.stdout, ex.stderr)
        lines = out.splitlines()
        check(run.returncode == 0 and "forbidden=1" in lines and "ok=0" in lines and "done" in lines
              and not os.path.exists(os.path.join(rootfs, "tmp", "forbidden-x")),
              "runc through the wrapper: the errno rule holds in the container", t)
        check("pid=1" not in lines and "Container %s" % cid in open(log.name).read(),
              "the init is PID 1 (the shell is not) and the daemon took the container from its token", t)
        check(ex.returncode == 0 and "exec-forbidden=1" in ex.stdout
              and not os.path.exists(os.path.join(rootfs, "tmp", "forbidden-exec")),
              "runc exec through the wrapper: the exec'd process is supervised too", t)
        # The control: the same bundle straight through runc, the rule does not apply.
        with open(os.path.join(bundle, "config.json")) as f:
            cfgd = json.load(f)
        cfgd["process"]["args"] = ["/bin/sh", "-c", "mkdir /tmp/forbidden-y; echo forbidden=$?"]
        cfgd["mounts"] = [m for m in cfgd["mounts"] if not m["destination"].startswith("/.seccomp-redirect")]
        with open(os.path.join(bundle, "config.json"), "w") as f:
            json.dump(cfgd, f)
        c = subprocess.run([RUNC, "--root", state, "run", "--bundle", bundle, cid + "-c"], capture_output=True,
                           text=True, timeout=30)
        check("forbidden=0" in c.stdout, "negative control: plain runc, the same mkdir succeeds", c)
        subprocess.run([RUNC, "--root", state, "delete", "--force", cid + "-c"], capture_output=True)
    finally:
        subprocess.run([RUNC, "--root", state, "delete", "--force", cid], capture_output=True)
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()
        if not all(results):
            log.flush()
            for line in open(log.name).read().splitlines()[-30:]:
                print("#   log: " + line)


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root")
        return 77
    if not (DAEMON and INIT and OCI):
        print("Bail out! SRD_DAEMON / SRD_INIT / SRD_OCI not set")
        return 1
    print("1..%d" % PLAN, flush=True)
    tmp = tempfile.mkdtemp(prefix="srd-oci-")
    os.chmod(tmp, 0o755)
    try:
        fake_cases(tmp)
        runc_cases(tmp)
    finally:
        if not os.environ.get("SRD_ITEST_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if all(results) and len(results) == PLAN else 1


if __name__ == "__main__":
    sys.exit(main())
