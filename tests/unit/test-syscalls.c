/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <sys/syscall.h>

#include "seccomp-redirect.h"
#include "tests.h"

typedef struct Expect {
        const char *name;
        unsigned n_paths;
        SrdPathArg paths[SRD_MAX_PATHS];
} Expect;

#define P(a, d, f) { .arg = (a), .dirfd_arg = (d), .flags_arg = (f) }

/* Written from the man pages, independently of lib/syscalls.c. */
static const Expect expected[] = {
        { "open", 1, { P(0, -1, -1) } },
        { "creat", 1, { P(0, -1, -1) } },
        { "openat", 1, { P(1, 0, -1) } },
        { "openat2", 1, { P(1, 0, -1) } },
        { "stat", 1, { P(0, -1, -1) } },
        { "lstat", 1, { P(0, -1, -1) } },
        { "newfstatat", 1, { P(1, 0, 3) } },
        { "statx", 1, { P(1, 0, 2) } },
        { "statfs", 1, { P(0, -1, -1) } },
        { "access", 1, { P(0, -1, -1) } },
        { "faccessat", 1, { P(1, 0, -1) } },
        { "faccessat2", 1, { P(1, 0, 3) } },
        { "execve", 1, { P(0, -1, -1) } },
        { "execveat", 1, { P(1, 0, 4) } },
        { "readlink", 1, { P(0, -1, -1) } },
        { "readlinkat", 1, { P(1, 0, -1) } },
        { "mkdir", 1, { P(0, -1, -1) } },
        { "mkdirat", 1, { P(1, 0, -1) } },
        { "mknod", 1, { P(0, -1, -1) } },
        { "mknodat", 1, { P(1, 0, -1) } },
        { "unlink", 1, { P(0, -1, -1) } },
        { "unlinkat", 1, { P(1, 0, -1) } },
        { "rmdir", 1, { P(0, -1, -1) } },
        { "rename", 2, { P(0, -1, -1), P(1, -1, -1) } },
        { "renameat", 2, { P(1, 0, -1), P(3, 2, -1) } },
        { "renameat2", 2, { P(1, 0, -1), P(3, 2, -1) } },
        { "link", 2, { P(0, -1, -1), P(1, -1, -1) } },
        { "linkat", 2, { P(1, 0, 4), P(3, 2, -1) } },
        { "symlink", 1, { P(1, -1, -1) } },
        { "symlinkat", 1, { P(2, 1, -1) } },
        { "chmod", 1, { P(0, -1, -1) } },
        { "fchmodat", 1, { P(1, 0, -1) } },
        { "fchmodat2", 1, { P(1, 0, 3) } },
        { "chown", 1, { P(0, -1, -1) } },
        { "lchown", 1, { P(0, -1, -1) } },
        { "fchownat", 1, { P(1, 0, 4) } },
        { "truncate", 1, { P(0, -1, -1) } },
        { "chdir", 1, { P(0, -1, -1) } },
        { "chroot", 1, { P(0, -1, -1) } },
        { "utimensat", 1, { P(1, 0, 3) } },
        { "utimes", 1, { P(0, -1, -1) } },
        { "getxattr", 1, { P(0, -1, -1) } },
        { "lgetxattr", 1, { P(0, -1, -1) } },
        { "setxattr", 1, { P(0, -1, -1) } },
        { "lsetxattr", 1, { P(0, -1, -1) } },
        { "listxattr", 1, { P(0, -1, -1) } },
        { "removexattr", 1, { P(0, -1, -1) } },
        { "name_to_handle_at", 1, { P(1, 0, 4) } },
        { "inotify_add_watch", 1, { P(1, -1, -1) } },
        { "fanotify_mark", 1, { P(4, 3, -1) } },
        { "mount", 1, { P(1, -1, -1) } },
        { "umount2", 1, { P(0, -1, -1) } },
        { "pivot_root", 2, { P(0, -1, -1), P(1, -1, -1) } },
        { "open_tree", 1, { P(1, 0, 2) } },
        { "mount_setattr", 1, { P(1, 0, 2) } },
        { "move_mount", 2, { P(1, 0, -1), P(3, 2, -1) } },
        { "fspick", 1, { P(1, 0, -1) } },
        { "swapon", 1, { P(0, -1, -1) } },
        { "acct", 1, { P(0, -1, -1) } },
};

TEST(every_family_present) {
#if !defined(__x86_64__)
        SKIP("the expected table is written for x86_64");
#endif
        for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
                const Expect *e = &expected[i];
                const SrdSyscallInfo *info;
                int nr;

                nr = srd_syscall_resolve(e->name);
                if (nr < 0)
                        TEST_FAIL_("%s does not resolve: %d", e->name, nr);
                info = srd_syscall_info(nr);
                if (!info)
                        TEST_FAIL_("%s (%d) has no path table entry", e->name, nr);
                ASSERT_STREQ(info->name, e->name);
                ASSERT_EQ(info->nr, nr);
                if (info->n_paths != e->n_paths)
                        TEST_FAIL_("%s: %u paths, want %u", e->name, info->n_paths, e->n_paths);
                for (unsigned p = 0; p < e->n_paths; p++)
                        if (info->paths[p].arg != e->paths[p].arg ||
                            info->paths[p].dirfd_arg != e->paths[p].dirfd_arg ||
                            info->paths[p].flags_arg != e->paths[p].flags_arg)
                                TEST_FAIL_("%s path %u: arg %d dirfd %d flags %d, want %d %d %d", e->name, p,
                                           info->paths[p].arg, info->paths[p].dirfd_arg,
                                           info->paths[p].flags_arg, e->paths[p].arg,
                                           e->paths[p].dirfd_arg, e->paths[p].flags_arg);
        }
}

TEST(known_numbers) {
#if !defined(__x86_64__)
        SKIP("x86_64 numbers");
#endif
        ASSERT_EQ(srd_syscall_resolve("read"), 0);
        ASSERT_EQ(srd_syscall_resolve("open"), 2);
        ASSERT_EQ(srd_syscall_resolve("openat"), 257);
        ASSERT_EQ(srd_syscall_resolve("socket"), 41);
        ASSERT_EQ(srd_syscall_resolve("fchmodat2"), 452);
        ASSERT_EQ(srd_syscall_info(257)->paths[0].arg, 1);
        ASSERT_EQ(srd_syscall_info(257)->paths[0].dirfd_arg, 0);
}

/* The table's numbers (from the C library's headers) agree with libseccomp's. */
TEST(table_agrees_with_libseccomp) {
        unsigned n = 0;

        for (int nr = 0; nr < 1024; nr++) {
                const SrdSyscallInfo *info = srd_syscall_info(nr);

                if (!info)
                        continue;
                n++;
                ASSERT_EQ(info->nr, nr);
                ASSERT_EQ(srd_syscall_resolve(info->name), nr);
                ASSERT_STREQ(srd_syscall_name(nr), info->name);
                ASSERT_TRUE(info->n_paths >= 1 && info->n_paths <= SRD_MAX_PATHS);
                for (unsigned p = 0; p < info->n_paths; p++) {
                        const SrdPathArg *a = &info->paths[p];

                        ASSERT_TRUE(a->arg >= 0 && a->arg < SRD_ARGS);
                        ASSERT_TRUE(a->dirfd_arg >= -1 && a->dirfd_arg < SRD_ARGS);
                        ASSERT_TRUE(a->flags_arg >= -1 && a->flags_arg < SRD_ARGS);
                        ASSERT_NE(a->arg, a->dirfd_arg);
                        ASSERT_NE(a->arg, a->flags_arg);
                }
        }
        ASSERT_TRUE(n >= sizeof(expected) / sizeof(expected[0]));
}

TEST(no_path_syscalls) {
        ASSERT_NULL(srd_syscall_info(srd_syscall_resolve("socket")));
        ASSERT_NULL(srd_syscall_info(srd_syscall_resolve("read")));
        ASSERT_NULL(srd_syscall_info(srd_syscall_resolve("fchmod")));
        ASSERT_NULL(srd_syscall_info(-1));
        ASSERT_NULL(srd_syscall_info(100000));
        ASSERT_NULL(srd_syscall_info(INT32_MIN));
}

TEST(names) {
        ASSERT_STREQ(srd_syscall_name(srd_syscall_resolve("openat")), "openat");
        ASSERT_STREQ(srd_syscall_name(srd_syscall_resolve("socket")), "socket");
        ASSERT_STREQ(srd_syscall_name(srd_syscall_resolve("read")), "read");
        /* static storage: the same pointer every time */
        ASSERT_TRUE(srd_syscall_name(0) == srd_syscall_name(0));
        ASSERT_NULL(srd_syscall_name(-1));
        ASSERT_NULL(srd_syscall_name(1000000));
}

TEST(resolve_errors) {
        ASSERT_ERROR(srd_syscall_resolve("no_such_syscall"), EINVAL);
        ASSERT_ERROR(srd_syscall_resolve(""), EINVAL);
        ASSERT_ERROR(srd_syscall_resolve(NULL), EINVAL);
        /* exists on other architectures only: libseccomp's pseudo numbers stay out */
        ASSERT_ERROR(srd_syscall_resolve("socketcall"), EINVAL);
}

TESTS_MAIN
