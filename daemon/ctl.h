/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
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
char *ctl_describe_verdict(const SrdPolicy *p, const SrdEventVerdict *v);
/* The same fields of v, its targets pointed at rather than copied (valid as long as v). */
void ctl_verdict_view(const SrdVerdict *v, SrdEventVerdict *ret);

/* What a verdict becomes under `run` on this machine (ctl-explain-run.c). */
typedef struct CtlUnderRun {
        bool notified;               /* run's filter notifies the syscall */
        SrdRedirectSupport kernel;   /* for a redirect: what this kernel can do */
        SrdAction action;            /* what the call gets */
        int error;                   /* for SRD_ACTION_ERRNO */
        const char *why;             /* why it differs from the verdict, or NULL */
} CtlUnderRun;

bool ctl_notified_by_run(const SrdPolicy *p, int nr);
SrdRedirectSupport ctl_kernel_redirect_support(void);
/* id_given: explain rendered the verdict with --id; eval_error is that of an evaluation without it. */
void ctl_under_run(const SrdPolicy *p, int nr, const SrdVerdict *v, int eval_error, bool id_given,
                   CtlUnderRun *ret);
