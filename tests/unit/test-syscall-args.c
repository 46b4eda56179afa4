/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The argument table the loader checks "args" and "set" against: generated
 * from the kernel, so check it against what libseccomp and the kernel's
 * documented prototypes say about a few well-known calls.
 */
#include <string.h>

#include "macro.h"
#include "seccomp-redirect.h"
#include "syscall-args.h"
#include "tests.h"

TEST(known_prototypes) {
        static const struct {
                const char *name;
                unsigned n_args;
                const char *roles;
                const char *pointers; /* 'p' where the argument is a pointer */
        } known[] = {
                {"open", 3, "filename flags mode", "p.."},
                {"openat", 4, "dirfd filename flags mode", ".p.."},
                {"openat2", 4, "dirfd filename how usize", ".pp."},
                {"socket", 3, "domain type protocol", "..."},
                {"mount", 5, "dev_name dir_name type flags data", "ppp.p"},
                {"mmap", 6, "addr len prot flags fd off", "......"},
                {"clone", 5, "flags newsp parent_tidptr child_tidptr tls", "..pp."},
                {"getpid", 0, "", ""},
                {"fchmodat", 3, "dirfd filename mode", ".p."},
        };

        for (size_t i = 0; i < ELEMENTSOF(known); i++) {
                const SrdSyscallArgs *a = srd_syscall_args(known[i].name);
                char roles[256] = "";

                ASSERT_NOT_NULL(a);
                ASSERT_EQ(a->n_args, known[i].n_args);
                for (unsigned k = 0; k < a->n_args; k++) {
                        if (k > 0)
                                strcat(roles, " ");
                        strcat(roles, a->args[k].role);
                        ASSERT_EQ(a->args[k].pointer, known[i].pointers[k] == 'p');
                }
                ASSERT_STREQ(roles, known[i].roles);
        }
        ASSERT_NULL(srd_syscall_args("no_such_syscall"));
}

TEST(roles_by_number) {
        int open_nr = srd_syscall_resolve("open"), openat_nr = srd_syscall_resolve("openat"),
            openat2_nr = srd_syscall_resolve("openat2");

        if (open_nr < 0)
                return; /* not on this architecture: nothing to compare */
        ASSERT_EQ(srd_syscall_arg_index(open_nr, "flags"), 1);
        ASSERT_EQ(srd_syscall_arg_index(openat_nr, "flags"), 2);
        ASSERT_EQ(srd_syscall_arg_index(openat2_nr, "flags"), SRD_ARG_HOW_FLAGS);
        ASSERT_EQ(srd_syscall_arg_index(openat2_nr, "resolve"), SRD_ARG_HOW_RESOLVE);
        ASSERT_EQ(srd_syscall_arg_index(openat_nr, "resolve"), -ENOENT);
        ASSERT_EQ(srd_syscall_arg_index(-1, "flags"), -ENODATA);
        ASSERT_STREQ(srd_syscall_arg_describe(openat2_nr, SRD_ARG_HOW_FLAGS), "open_how.flags");
        ASSERT_TRUE(srd_syscall_arg_is_pointer(openat2_nr, 2));
        ASSERT_FALSE(srd_syscall_arg_is_pointer(openat2_nr, SRD_ARG_HOW_FLAGS));
}

/* Every native syscall libseccomp names has a row, and the binary search finds each. */
TEST(covers_native_syscalls) {
        unsigned have = 0, missing = 0;

        for (int nr = 0; nr < 1024; nr++) {
                const char *name = srd_syscall_name(nr);

                if (!name)
                        continue;
                if (srd_syscall_args(name))
                        have++;
                else {
                        missing++;
                        printf("# no row for %s (%d)\n", name, nr);
                }
        }
        printf("# %u native syscalls with a row, %u without\n", have, missing);
        ASSERT_TRUE(have > 300);
        /* Only the ones the kernel does not implement (sys_ni_syscall) may lack one. */
        ASSERT_TRUE(missing <= 20);
}

TESTS_MAIN
