/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The seccomp filter that seccomp-redirectctl run and seccomp-redirect-init
 * load in front of a workload: it notifies the syscalls the policy names
 * and lets the others run, except those that reach files without a path
 * the daemon could judge. io_uring's submissions (open, stat, rename,
 * unlink, xattrs, ...) run in the kernel and never pass through seccomp,
 * and open_by_handle_at opens a file by handle: a rule on a path cannot
 * see either. Unless the policy names them (then its rules decide them),
 * the filter answers them itself: io_uring's calls with ENOSYS, as a
 * kernel built without io_uring does (libraries fall back to plain
 * syscalls), open_by_handle_at with EPERM, as without CAP_DAC_READ_SEARCH.
 *
 * Shared by run (daemon/ctl-run.c, and explain, which must agree with it)
 * and the init (linked statically).
 */
#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>

/* The errno the filter answers the native syscall nr with, 0 when it does not refuse it. */
int sri_filter_refusal(const int *nrs, size_t n_nrs, int nr);

/*
 * The filter as classic BPF: nrs (native numbers) notified, the refusals
 * above for those not among them, everything else allowed. With
 * compat_arches, on x86_64 the i386 and x32 forms are treated alike;
 * calls of any architecture not in the filter are killed. On failure,
 * *ret_what names the step that failed.
 */
int sri_filter_build(const int *nrs, size_t n_nrs, bool compat_arches, struct sock_fprog *ret,
                     const char **ret_what);
