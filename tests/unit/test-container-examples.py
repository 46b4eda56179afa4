#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""examples/containers/ as the README and the man pages show them: the
Kubernetes manifests and the containerd snippet parse and agree with each
other, the ConfigMap's policies pass `seccomp-redirectctl check`, the
DaemonSet's daemon options exist, the wrapper configurations load in the
real seccomp-redirect-oci (a broken one is refused: the control), and the
podman script is valid shell. TAP on stdout."""

import json
import os
import subprocess
import sys
import tempfile
import tomllib

import yaml

SRC = os.environ["SRD_SOURCE_ROOT"]
EX = os.path.join(SRC, "examples", "containers")
daemon, ctl, oci = sys.argv[1:4]
results = []


def check(ok, what, diag=None):
    results.append(bool(ok))
    print(("ok" if ok else "not ok") + " %d - %s" % (len(results), what), flush=True)
    if not ok and diag is not None:
        for line in str(diag).splitlines()[-20:]:
            print("#   " + line)


def main():
    print("1..9")
    docs = list(yaml.safe_load_all(open(os.path.join(EX, "kubernetes.yaml"))))
    kinds = [d["kind"] for d in docs]
    check(kinds == ["RuntimeClass", "Namespace", "ConfigMap", "DaemonSet", "Pod"],
          "kubernetes.yaml parses: RuntimeClass, Namespace, ConfigMap, DaemonSet, Pod", kinds)
    by = {d["kind"]: d for d in docs}

    toml = tomllib.load(open(os.path.join(EX, "containerd-config.toml"), "rb"))
    runtimes = toml["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
    handler = by["RuntimeClass"]["handler"]
    rt = runtimes.get(handler, {})
    binary = rt.get("options", {}).get("BinaryName", "")
    check(rt.get("runtime_type") == "io.containerd.runc.v2"
          and by["Pod"]["spec"]["runtimeClassName"] == by["RuntimeClass"]["metadata"]["name"],
          "containerd-config.toml parses; its runtime is the RuntimeClass's handler, the Pod uses the class",
          (handler, sorted(runtimes)))
    conf_name = os.path.basename(binary) + ".conf"
    crio = tomllib.load(open(os.path.join(EX, "crio.conf"), "rb"))["crio"]["runtime"]["runtimes"].get(handler, {})
    check(os.path.exists(os.path.join(EX, conf_name)) and crio.get("runtime_path") == binary
          and crio.get("runtime_type") == "oci",
          "BinaryName %s has its per-handler configuration %s; CRI-O's handler runs the same" % (binary, conf_name),
          crio)

    ok, diag = True, []
    with tempfile.TemporaryDirectory() as tmp:
        for key, text in by["ConfigMap"]["data"].items():
            pol = json.loads(text)
            path = os.path.join(tmp, key)
            with open(path, "w") as f:
                f.write(text)
            r = subprocess.run([ctl, "check", path], capture_output=True, text=True)
            if r.returncode != 0 or key != pol["name"] + ".json":
                ok = False
                diag.append("%s: %s %s" % (key, r.stdout, r.stderr))
    check(ok and by["ConfigMap"]["data"], "the ConfigMap's policies pass seccomp-redirectctl check", "\n".join(diag))

    c = by["DaemonSet"]["spec"]["template"]["spec"]["containers"][0]
    args = c["args"]
    helptext = subprocess.run([daemon, "--help"], capture_output=True, text=True).stdout
    opts = [a for a in args if a.startswith("--")]
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    cm_vol = [v for v in by["DaemonSet"]["spec"]["template"]["spec"]["volumes"] if "configMap" in v]
    check(all(o in helptext for o in opts) and "--init-dir" in opts
          and mounts.get(args[args.index("--policy-dir") + 1]) == cm_vol[0]["name"]
          and cm_vol[0]["configMap"]["name"] == by["ConfigMap"]["metadata"]["name"],
          "the DaemonSet's daemon options exist, its policies come from the ConfigMap", (opts, mounts))

    confs = {}
    for name in ("oci.conf", conf_name):
        path = os.path.join(EX, name)
        confs[name] = dict(l.split("=", 1) for l in
                           (x.replace(" ", "") for x in open(path).read().splitlines())
                           if l and not l.startswith("#"))
        r = subprocess.run([oci, "--version"], env=dict(os.environ, SECCOMP_REDIRECT_OCI_CONFIG=path),
                           capture_output=True, text=True)
        check(r.returncode == 0 and "version" in r.stdout,
              "%s loads in seccomp-redirect-oci (it execs the runtime it names)" % name, r.stdout + r.stderr)
    init_dir = args[args.index("--init-dir") + 1]
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as bad:
        bad.write(open(os.path.join(EX, "oci.conf")).read() + "polciy = demo\n")
        bad.flush()
        r = subprocess.run([oci, "--version"], env=dict(os.environ, SECCOMP_REDIRECT_OCI_CONFIG=bad.name),
                           capture_output=True, text=True)
    check(r.returncode == 1 and "unknown key" in r.stderr
          and all(c.get("init-dir") == init_dir for c in confs.values()),
          "control: a misspelt key is refused; the configurations use the DaemonSet's --init-dir", r.stderr)

    r = subprocess.run(["sh", "-n", os.path.join(EX, "podman.sh")], capture_output=True, text=True)
    text = open(os.path.join(EX, "podman.sh")).read()
    check(r.returncode == 0 and "--runtime /usr/bin/seccomp-redirect-oci" in text,
          "podman.sh is valid shell and runs podman through the wrapper", r.stderr)
    return 0 if all(results) and len(results) == 9 else 1


if __name__ == "__main__":
    sys.exit(main())
