/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Decoding notifications of every architecture the filter can notify into
 * native terms (lib/syscall-arch.c): the number by name, the arguments as
 * the kernel's syscall function gets them, the path table of that ABI.
 */

#include <linux/audit.h>
#include <seccomp.h>
#include <sys/syscall.h>

#include "macro.h"
#include "syscall-arch.h"
#include "tests.h"

#define X32_BIT 0x40000000

static const uint64_t wide[SRD_ARGS] = {
        UINT64_C(0xdead000000001234), UINT64_C(0xffffffff80000000), 7, UINT64_C(0x100000000), 0, UINT64_MAX,
};

TEST(native_syscalls_pass_through_whole) {
        DecodedSyscall d;

        ASSERT_OK(syscall_decode(AUDIT_ARCH_X86_64, AUDIT_ARCH_X86_64, SYS_openat, wide, &d));
        ASSERT_EQ(d.abi, SYSCALL_ABI_NATIVE);
        ASSERT_EQ(d.nr, SYS_openat);
        ASSERT_EQ(memcmp(d.args, wide, sizeof(wide)), 0);
        ASSERT_TRUE(d.info == srd_syscall_info(SYS_openat));
        ASSERT_ERROR(syscall_decode(AUDIT_ARCH_X86_64, AUDIT_ARCH_X86_64, SYS_openat, NULL, &d), EINVAL);
}

#if defined(__x86_64__) && !defined(__ILP32__)
TEST(i386_numbers_decode_to_the_native_syscall_of_the_same_name) {
        static const struct {
                int i386, native;
        } cases[] = {
                {5, SYS_open},
                {39, SYS_mkdir},
                {83, SYS_symlink},
                {295, SYS_openat},
                {437, SYS_openat2},
                {11, SYS_execve},
                {38, SYS_rename},
                {20, SYS_getpid},
                /* i386-only names that act on their path like a native one */
                {195, SYS_stat},
                {196, SYS_lstat},
                {300, SYS_newfstatat},
                {212, SYS_chown},
                {198, SYS_lchown},
                {193, SYS_truncate},
                {268, SYS_statfs},
                {22, SYS_umount2},
                {18, SYS_stat},
                {84, SYS_lstat},
                {412, SYS_utimensat},
        };
        DecodedSyscall d;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                ASSERT_OK(syscall_decode(AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, cases[i].i386, wide, &d));
                if (d.nr != cases[i].native)
                        printf("# i386 %d: got native %d, want %d\n", cases[i].i386, d.nr, cases[i].native);
                ASSERT_EQ(d.nr, cases[i].native);
                ASSERT_EQ(d.abi, SYSCALL_ABI_I386);
        }
        /* The native number of i386 open (5) is fstat: not what it means. */
        ASSERT_OK(syscall_decode(AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, 5, wide, &d));
        ASSERT_NE(d.nr, 5);
        ASSERT_TRUE(d.info == srd_syscall_info(SYS_open));
}

TEST(i386_arguments_are_the_low_32_bits) {
        DecodedSyscall d;

        ASSERT_OK(syscall_decode(AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, 5, wide, &d));
        for (size_t i = 0; i < SRD_ARGS; i++)
                ASSERT_EQ(d.args[i], (uint64_t) (uint32_t) wide[i]);
        /* AT_FDCWD as an i386 register: the kernel reads it back as an int. */
        ASSERT_EQ((int) (uint32_t) d.args[1], (int) 0x80000000);
}

TEST(i386_fanotify_mark_has_its_path_one_register_later) {
        DecodedSyscall d;

        /* mask is 64 bits, in two i386 registers: (fd, flags, lo, hi, dirfd, path) */
        ASSERT_OK(syscall_decode(AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, 339, wide, &d));
        ASSERT_EQ(d.nr, SYS_fanotify_mark);
        ASSERT_NOT_NULL(d.info);
        ASSERT_EQ(d.info->paths[0].arg, 5);
        ASSERT_EQ(d.info->paths[0].dirfd_arg, 4);
        /* natively: (fd, flags, mask, dirfd, path) */
        ASSERT_EQ(srd_syscall_info(SYS_fanotify_mark)->paths[0].arg, 4);
}

TEST(i386_syscalls_without_a_native_namesake_have_no_native_number) {
        DecodedSyscall d;

        /* socketcall: known, nothing native of that name, no rule can name it */
        ASSERT_OK(syscall_decode(AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, 102, wide, &d));
        ASSERT_EQ(d.nr, -1);
        ASSERT_NULL(d.info);
        /* numbers the table does not know cannot be decoded */
        ASSERT_ERROR(syscall_decode(AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, 999, wide, &d), ENOSYS);
        ASSERT_ERROR(syscall_decode(AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, -1, wide, &d), ENOSYS);
        ASSERT_ERROR(syscall_decode(AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, 100000, wide, &d), ENOSYS);
}

TEST(x32_numbers_decode_by_name_and_keep_whole_registers) {
        DecodedSyscall d;

        ASSERT_OK(syscall_decode(AUDIT_ARCH_X86_64, AUDIT_ARCH_X86_64, X32_BIT | SYS_mkdir, wide, &d));
        ASSERT_EQ(d.abi, SYSCALL_ABI_X32);
        ASSERT_EQ(d.nr, SYS_mkdir);
        ASSERT_EQ(memcmp(d.args, wide, sizeof(wide)), 0);
        /* x32's own numbers: 520 is execve, 545 execveat */
        ASSERT_OK(syscall_decode(AUDIT_ARCH_X86_64, AUDIT_ARCH_X86_64, X32_BIT | 520, wide, &d));
        ASSERT_EQ(d.nr, SYS_execve);
        ASSERT_TRUE(d.info == srd_syscall_info(SYS_execve));
        ASSERT_OK(syscall_decode(AUDIT_ARCH_X86_64, AUDIT_ARCH_X86_64, X32_BIT | 545, wide, &d));
        ASSERT_EQ(d.nr, SYS_execveat);
        ASSERT_ERROR(syscall_decode(AUDIT_ARCH_X86_64, AUDIT_ARCH_X86_64, X32_BIT | 999, wide, &d), ENOSYS);
}

TEST(every_i386_number_libseccomp_names_decodes_to_that_name_natively) {
        DecodedSyscall d;
        unsigned n = 0;

        for (int nr = 0; nr < 1024; nr++) {
                _cleanup_free_ char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86, nr);
                int native;

                if (!name) {
                        ASSERT_ERROR(syscall_decode(AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, nr, wide, &d),
                                     ENOSYS);
                        continue;
                }
                ASSERT_OK(syscall_decode(AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, nr, wide, &d));
                native = seccomp_syscall_resolve_name_arch(SCMP_ARCH_NATIVE, name);
                if (native >= 0) {
                        if (d.nr != native)
                                printf("# i386 %d (%s): got %d, want %d\n", nr, name, d.nr, native);
                        ASSERT_EQ(d.nr, native);
                        n++;
                }
        }
        /* i386 has some 300 syscalls that x86_64 has too */
        ASSERT_TRUE(n > 250);
}
#endif

TEST(an_architecture_the_daemon_cannot_decode_is_refused) {
        DecodedSyscall d;

        ASSERT_ERROR(syscall_decode(AUDIT_ARCH_X86_64, AUDIT_ARCH_AARCH64, SYS_openat, wide, &d),
                     EAFNOSUPPORT);
        ASSERT_ERROR(syscall_decode(AUDIT_ARCH_X86_64, AUDIT_ARCH_ARM, 5, wide, &d), EAFNOSUPPORT);
        ASSERT_ERROR(syscall_decode(AUDIT_ARCH_X86_64, 0, 5, wide, &d), EAFNOSUPPORT);
}

TEST(abi_names) {
        ASSERT_STREQ(syscall_abi_to_string(SYSCALL_ABI_I386), "i386");
        ASSERT_STREQ(syscall_abi_to_string(SYSCALL_ABI_X32), "x32");
        ASSERT_NULL(syscall_abi_to_string(_SYSCALL_ABI_MAX));
        ASSERT_NULL(syscall_abi_to_string(_SYSCALL_ABI_INVALID));
}

TESTS_MAIN
