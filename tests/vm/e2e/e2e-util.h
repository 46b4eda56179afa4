/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Guest-side plumbing for the daemon end-to-end tests in the VM: start the
 * real seccomp-redirectd (through itest-util), and fork targets that put a
 * redirect-capable notify filter (optionally under an outer filter, as a
 * runtime's profile would be) on themselves, hand the listener to the
 * daemon with the OCI agent protocol, then run a test body.
 *
 * Children must leave with _exit(): itest-util's atexit handler would kill
 * the daemon from a child that calls exit().
 */

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "itest-util.h"

/* Start the daemon in a fresh tmpdir with one policy (file name.json) as the default policy. */
int e2e_daemon_start(Daemon *d, const char *name, const char *policy_json, const char *const *extra_args);
/* The same, with itest-util playing systemd's fd store (Daemon.fd_store). */
int e2e_daemon_start_store(Daemon *d, const char *name, const char *policy_json, const char *const *extra_args);
/* Start it again (after daemon_stop()), with what the store holds. */
int e2e_restart_daemon(Daemon *d, const char *name, const char *const *extra_args);

typedef struct E2eTarget {
        /* Syscall numbers (native) the notify filter sends to the daemon. */
        const int *notify;
        size_t n_notify;
        /* A notify filter of the caller's own instead (e.g. for other ABIs). */
        const struct sock_fprog *notify_prog;
        /* Install the notify filter with SECCOMP_FILTER_FLAG_REDIRECT (else a plain listener). */
        bool redirect;
        /* Optional outer filter, loaded before the notify filter (NULL: none). */
        const struct sock_fprog *outer;
        /* The agent socket and the container id to hand over with; policy=NAME metadata when set. */
        const char *agent;
        const char *id;
        const char *policy;
} E2eTarget;

/*
 * Fork a target: agent connection, no_new_privs, outer filter, notify
 * filter, handoff, then _exit(body(userdata)). The connection comes first,
 * as a runtime hands the listener over from outside the filter: socket()
 * and connect() may be among the notified calls. Returns the pid (tracked
 * by itest-util) or -errno. Setup failures in the child exit with 100 + a
 * step number.
 */
pid_t e2e_spawn(const E2eTarget *t, int (*body)(void *userdata), void *userdata);

/* Wait for pid with a timeout; the exit code, or 128 + signal, or -ETIMEDOUT. */
int e2e_wait(pid_t pid, unsigned timeout_ms);

/* A notify filter program for the given native syscalls (other arches/x32: ALLOW), malloc'd. */
int e2e_notify_prog(const int *nrs, size_t n, struct sock_fprog *ret);

/* Install prog with seccomp(SET_MODE_FILTER, flags); the result (listener fd) or -errno. */
int e2e_seccomp(unsigned long flags, const struct sock_fprog *prog);

/* Does this kernel carry the redirect series? (SECCOMP_FILTER_FLAG_REDIRECT accepted.) */
bool e2e_kernel_has_redirect(void);
