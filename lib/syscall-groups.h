/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Named sets of syscalls for a rule's "names", in the way of systemd's
 * SystemCallFilter= groups: "@file-write" instead of thirty names that an
 * author would otherwise copy between rules and forget one of.
 */

#include <stddef.h>

typedef struct SrdSyscallGroup {
        const char *name; /* with its '@' */
        const char *description; /* one line, for the man page and explain --groups */
        const char *const *members; /* NULL terminated; names, some unknown on some architectures */
} SrdSyscallGroup;

/* NULL when there is no such group. */
const SrdSyscallGroup *srd_syscall_group(const char *name);
/* All of them, in the order the man page lists them. */
const SrdSyscallGroup *srd_syscall_groups(size_t *n_ret);
/* The closest group name, for did-you-mean; NULL when none is close. */
const char *srd_syscall_group_suggest(const char *name);
