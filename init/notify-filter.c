/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The filter of run and the init: see notify-filter.h. */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <seccomp.h>

#include "macro.h"
#include "notify-filter.h"
#include "pathless-calls.h"

static bool named(const int *nrs, size_t n_nrs, int nr) {
        for (size_t i = 0; i < n_nrs; i++)
                if (nrs[i] == nr)
                        return true;
        return false;
}

int sri_filter_refusal(const int *nrs, size_t n_nrs, int nr) {
        if (nr < 0 || named(nrs, n_nrs, nr))
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(pathless_calls); i++)
                if (seccomp_syscall_resolve_name(pathless_calls[i].name) == nr)
                        return pathless_calls[i].error;
        return 0;
}

DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(scmp_filter_ctx, seccomp_release);

static int fail(const char **ret_what, const char *what, int r) {
        if (ret_what)
                *ret_what = what;
        return r;
}

int sri_filter_build(const int *nrs, size_t n_nrs, bool compat_arches, struct sock_fprog *ret,
                     const char **ret_what) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ struct sock_filter *insns = NULL;
        struct stat st;
        ssize_t k;
        size_t n;
        int r;

        ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                return fail(ret_what, "seccomp_init", -ENOMEM);
        /* A 32-bit call of a notified syscall must not slip past: the daemon
         * decodes i386 and x32 by name. Any other architecture is killed
         * (libseccomp's default for an architecture not in the filter). */
        if (compat_arches && seccomp_arch_native() == SCMP_ARCH_X86_64) {
                r = seccomp_arch_add(ctx, SCMP_ARCH_X86);
                if (r < 0 && r != -EEXIST)
                        return fail(ret_what, "adding i386", r);
                r = seccomp_arch_add(ctx, SCMP_ARCH_X32);
                if (r < 0 && r != -EEXIST)
                        return fail(ret_what, "adding x32", r);
        }
        for (size_t i = 0; i < n_nrs; i++) {
                r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nrs[i], 0);
                if (r < 0)
                        return fail(ret_what, "a notify rule", r);
        }
        for (size_t i = 0; i < ELEMENTSOF(pathless_calls); i++) {
                int nr = seccomp_syscall_resolve_name(pathless_calls[i].name);

                /* Not a syscall of this architecture: nothing to refuse. */
                if (nr == __NR_SCMP_ERROR || nr < 0 || named(nrs, n_nrs, nr))
                        continue;
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(pathless_calls[i].error), nr, 0);
                if (r < 0)
                        return fail(ret_what, "a refusal rule", r);
        }

        /* libseccomp 2.5 exports only to an fd; a memfd has no pipe's size limit. */
        fd = memfd_create("srd-notify-filter", MFD_CLOEXEC);
        if (fd < 0)
                return fail(ret_what, "memfd_create", negative_errno());
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return fail(ret_what, "exporting the filter", r);
        if (fstat(fd, &st) < 0)
                return fail(ret_what, "fstat of the exported filter", negative_errno());
        n = (size_t) st.st_size / sizeof(struct sock_filter);
        if (n == 0 || (size_t) st.st_size % sizeof(struct sock_filter) != 0)
                return fail(ret_what, "the exported filter (malformed)", -EBADMSG);
        if (n > BPF_MAXINSNS)
                return fail(ret_what, "the exported filter (more instructions than the kernel takes)",
                            -E2BIG);
        insns = malloc(n * sizeof(struct sock_filter));
        if (!insns)
                return fail(ret_what, "malloc", -ENOMEM);
        k = pread(fd, insns, n * sizeof(struct sock_filter), 0);
        if (k != (ssize_t) (n * sizeof(struct sock_filter)))
                return fail(ret_what, "reading the filter back", k < 0 ? negative_errno() : -EIO);

        *ret = (struct sock_fprog){.len = (unsigned short) n, .filter = TAKE_PTR(insns)};
        return 0;
}
