#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# podman through the wrapper: --runtime names seccomp-redirect-oci, which
# reads /etc/seccomp-redirectd/oci.conf (runtime = /usr/bin/crun there, say)
# and execs the real runtime. The annotation picks a policy where the
# daemon runs with --policy-from metadata,annotation; without it the
# policy= of oci.conf applies.
#
# conmon does not pass podman's environment to the runtime: the
# configuration comes from the file, not $SECCOMP_REDIRECT_OCI_CONFIG.
#
# Do not add --init: the wrapper's seccomp-redirect-init is already PID 1
# and reaps like catatonit. --init-path alone cannot supervise anything:
# the init needs a token that only the host side (the wrapper) makes.
set -eu
podman --runtime /usr/bin/seccomp-redirect-oci run --rm \
        --annotation seccomp-redirect.policy=demo \
        docker.io/library/busybox:latest cat /etc/hosts
