/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "seccomp-redirect.h"

/* Exit codes shared by the verbs: 0 ok, 1 "no" (invalid policy, daemon
 * unreachable), 2 usage; `run` passes the command's own status through and
 * uses 125 for its own failures, like env(1) and timeout(1). */
#define CTL_EXIT_USAGE 2
#define CTL_EXIT_RUN_FAILED 125

int verb_check(int argc, char *argv[]);
int verb_explain(int argc, char *argv[]);
int verb_status(int argc, char *argv[]);
int verb_run(int argc, char *argv[]);
int verb_reload(int argc, char *argv[]);
int verb_metrics(int argc, char *argv[]);

/* Send one command line to the daemon's control socket; its whole answer, malloc'd. */
int ctl_control_request(const char *path, const char *command, char **ret, size_t *ret_len);

/* Load one policy, printing every diagnostic to stderr. */
int ctl_load_policy(const char *path, SrdPolicy **ret);

/* "O_RDONLY|O_CREAT", "AT_FDCWD", "0x10", "-100", "0755": 0 or -EINVAL. */
int ctl_parse_scalar(const char *s, uint64_t *ret);

/* One line describing what a verdict does, e.g. "redirect to /x", "errno EPERM". malloc'd. */
char *ctl_describe_verdict(const SrdPolicy *p, const SrdVerdict *v);
