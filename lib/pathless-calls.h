/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The system calls that reach files with no path a rule could judge:
 * io_uring's submissions (open, stat, rename, unlink, xattrs, ...) run in
 * the kernel and never pass through seccomp, and open_by_handle_at opens a
 * file by its handle. seccomp-redirectctl run and seccomp-redirect-init
 * refuse them with error unless the policy names them (init/notify-filter.c);
 * the daemon warns when a container's OCI profile lets them run (lib/bundle.c).
 * Include only where the table is used.
 */
#include <errno.h>

static const struct {
        const char *name;
        int error; /* what run's and the init's filters answer */
} pathless_calls[] = {
        {"io_uring_setup", ENOSYS}, /* as a kernel built without io_uring: libraries fall back */
        {"io_uring_enter", ENOSYS},
        {"io_uring_register", ENOSYS},
        {"open_by_handle_at", EPERM}, /* as without CAP_DAC_READ_SEARCH */
};
