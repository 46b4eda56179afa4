/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What explain's verdict becomes where it is applied: `seccomp-redirectctl
 * run` notifies only the syscalls the rules name (the others run, whatever
 * defaultAction says, but for the few its filter refuses), and a kernel
 * without the redirect series answers a redirect with redirectFallback.
 * explain says all of it, so that it agrees with run on this machine;
 * daemon/test/test-ctl-run-tables.py checks that it does, row by row.
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctl.h"
#include "macro.h"
#include "notify-filter.h"
#include "srd-uapi.h"

bool ctl_notified_by_run(const SrdPolicy *p, int nr) {
        _cleanup_free_ int *nrs = NULL;
        size_t n = 0;

        if (srd_policy_syscalls(p, &nrs, &n) < 0)
                return true; /* cannot tell: claim nothing */
        for (size_t i = 0; i < n; i++)
                if (nrs[i] == nr)
                        return true;
        return false;
}

/* The errno run's filter answers nr with by itself (notify-filter.h), 0: none. */
static int refused_by_run(const SrdPolicy *p, int nr) {
        _cleanup_free_ int *nrs = NULL;
        size_t n = 0;

        if (srd_policy_syscalls(p, &nrs, &n) < 0)
                return 0;
        return sri_filter_refusal(nrs, n, nr);
}

/*
 * The kernel checks a filter's flags before it reads the program: with a
 * NULL program, a kernel that knows SECCOMP_FILTER_FLAG_REDIRECT fails with
 * EFAULT, one that does not with EINVAL. Nothing is installed either way.
 */
SrdRedirectSupport ctl_kernel_redirect_support(void) {
        long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                         SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_REDIRECT, NULL);

        if (r < 0 && errno == EFAULT)
                return SRD_REDIRECT_SUPPORTED;
        return SRD_REDIRECT_UNSUPPORTED_KERNEL;
}

void ctl_under_run(const SrdPolicy *p, int nr, const SrdVerdict *v, int eval_error, bool id_given,
                   CtlUnderRun *ret) {
        *ret = (CtlUnderRun){.action = v->action, .error = v->error, .notified = ctl_notified_by_run(p, nr)};

        if (!ret->notified && (ret->error = refused_by_run(p, nr)) > 0) {
                ret->action = SRD_ACTION_ERRNO;
                ret->why = "no rule names it, so run's filter refuses it: io_uring's submissions and opens "
                           "by handle reach files without passing a path rule";
                return;
        }
        if (!ret->notified) {
                ret->action = SRD_ACTION_CONTINUE;
                ret->error = 0;
                ret->why = "no rule names it, so run's filter does not notify it and it runs unchecked "
                           "(under a runtime, its seccomp profile decides whether the daemon sees it)";
                return;
        }
        if (eval_error < 0) {
                /* A templated target that renders invalid: denied, never redirectFallback. */
                ret->action = SRD_ACTION_ERRNO;
                ret->error = eval_error == -ENAMETOOLONG ? ENAMETOOLONG : EACCES;
                ret->why = v->action == SRD_ACTION_REDIRECT && eval_error == -EINVAL && id_given
                                   ? "run knows no container id, so a target with {id} cannot be made: the "
                                     "call is denied, never given redirectFallback"
                                   : NULL;
                return;
        }
        if (v->action != SRD_ACTION_REDIRECT)
                return;
        ret->kernel = ctl_kernel_redirect_support();
        if (ret->kernel == SRD_REDIRECT_SUPPORTED) {
                ret->why =
                        "this kernel redirects when the filter has SECCOMP_FILTER_FLAG_REDIRECT, as run's "
                        "has (runc's and crun's do not: there redirectFallback applies)";
                return;
        }
        srd_policy_redirect_fallback(p, &ret->action, &ret->error);
        ret->why = "this kernel cannot redirect (no SECCOMP_FILTER_FLAG_REDIRECT): redirectFallback applies";
}
