/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Decoding i386 and x32 notifications into native terms (syscall-arch.h).
 *
 * The number tables come from libseccomp, once per process: the native
 * number for every number of the other ABI, so that decoding costs one load
 * per notification and no allocation. libseccomp hands out malloc'd names,
 * which is fine once but not per notification.
 */

#include <pthread.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "syscall-arch.h"

#define X32_SYSCALL_BIT 0x40000000
/* Higher than any i386 or x32 number (x32's own ones end near 547). */
#define ABI_NR_MAX 1024

enum {
        NR_NONE = -1, /* known to the ABI, no native syscall of that name */
        NR_UNKNOWN = -2, /* the ABI's table does not know the number */
};

static const char *const abi_table[_SYSCALL_ABI_MAX] = {
        [SYSCALL_ABI_NATIVE] = "native",
        [SYSCALL_ABI_I386] = "i386",
        [SYSCALL_ABI_X32] = "x32",
};

const char *syscall_abi_to_string(SyscallAbi abi) {
        if (abi < 0 || abi >= _SYSCALL_ABI_MAX)
                return NULL;
        return abi_table[abi];
}

#if defined(__x86_64__) && !defined(__ILP32__)

/*
 * i386 syscalls without a native namesake that act on their path argument
 * like the native one named here, arguments at the same places as far as
 * the path is concerned (the rest may differ: truncate64 splits its length
 * into two registers).
 */
static const struct {
        const char *i386;
        const char *native;
} i386_aliases[] = {
        {"oldstat", "stat"},
        {"oldlstat", "lstat"},
        {"stat64", "stat"},
        {"lstat64", "lstat"},
        {"fstatat64", "newfstatat"},
        {"statfs64", "statfs"},
        {"truncate64", "truncate"},
        {"chown32", "chown"},
        {"lchown32", "lchown"},
        {"umount", "umount2"},
        {"utimensat_time64", "utimensat"},
};

/* i386 fanotify_mark passes its 64-bit mask in two registers: the dirfd
 * and the path come one later than natively. */
static const SrdSyscallInfo i386_fanotify_mark = {
        .name = "fanotify_mark",
        .nr = SCMP_SYS(fanotify_mark),
        .n_paths = 1,
        .paths = {{.arg = 5, .dirfd_arg = 4, .flags_arg = -1, .how_arg = -1, .null_is_dirfd = 1}},
};

static int16_t i386_to_native[ABI_NR_MAX], x32_to_native[ABI_NR_MAX];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static int16_t native_for(uint32_t arch, int nr) {
        char *name = seccomp_syscall_resolve_num_arch(arch, nr);
        int native;

        if (!name)
                return NR_UNKNOWN;
        native = seccomp_syscall_resolve_name_arch(SCMP_ARCH_NATIVE, name);
        if (native < 0 && arch == SCMP_ARCH_X86)
                for (size_t i = 0; i < ELEMENTSOF(i386_aliases); i++)
                        if (streq(name, i386_aliases[i].i386))
                                native = seccomp_syscall_resolve_name_arch(SCMP_ARCH_NATIVE,
                                                                           i386_aliases[i].native);
        free(name);
        /* libseccomp's negative pseudo numbers: a name that is not native. */
        return native >= 0 && native < INT16_MAX ? (int16_t) native : NR_NONE;
}

static void tables_init(void) {
        for (int nr = 0; nr < ABI_NR_MAX; nr++) {
                i386_to_native[nr] = native_for(SCMP_ARCH_X86, nr);
                x32_to_native[nr] = native_for(SCMP_ARCH_X32, nr | X32_SYSCALL_BIT);
        }
}

int syscall_decode(uint32_t native_arch, uint32_t arch, int nr, const uint64_t args[SRD_ARGS],
                   DecodedSyscall *ret) {
        int16_t native;

        if (!args || !ret)
                return -EINVAL;

        if (arch == native_arch && !(nr & X32_SYSCALL_BIT)) {
                *ret = (DecodedSyscall){
                        .abi = SYSCALL_ABI_NATIVE,
                        .nr = nr,
                        .info = srd_syscall_info(nr),
                };
                memcpy(ret->args, args, sizeof(ret->args));
                return 0;
        }

        (void) pthread_once(&tables_once, tables_init);

        if (arch == native_arch) {
                /* x32: the x86_64 registers, whole: the kernel runs most x32
                 * syscalls through the 64-bit entry points, which use all 64
                 * bits of a pointer, so must we. */
                unsigned idx = (unsigned) nr & ~(unsigned) X32_SYSCALL_BIT;

                native = idx < ABI_NR_MAX ? x32_to_native[idx] : NR_UNKNOWN;
                if (native == NR_UNKNOWN)
                        return -ENOSYS;
                *ret = (DecodedSyscall){
                        .abi = SYSCALL_ABI_X32,
                        .nr = native,
                        .info = native >= 0 ? srd_syscall_info(native) : NULL,
                };
                memcpy(ret->args, args, sizeof(ret->args));
                return 0;
        }

        if (arch == SCMP_ARCH_X86) {
                native = nr >= 0 && nr < ABI_NR_MAX ? i386_to_native[nr] : NR_UNKNOWN;
                if (native == NR_UNKNOWN)
                        return -ENOSYS;
                *ret = (DecodedSyscall){
                        .abi = SYSCALL_ABI_I386,
                        .nr = native,
                        .info = native >= 0 ? srd_syscall_info(native) : NULL,
                };
                if (native == SCMP_SYS(fanotify_mark))
                        ret->info = &i386_fanotify_mark;
                /* The ia32 entry hands the syscall (u32) registers: the upper
                 * halves, whatever the task left there, do not exist for it. */
                for (size_t i = 0; i < SRD_ARGS; i++)
                        ret->args[i] = (uint32_t) args[i];
                return 0;
        }

        return -EAFNOSUPPORT;
}

#else

/* Other hosts: only the native ABI is decoded; any other is refused. */
int syscall_decode(uint32_t native_arch, uint32_t arch, int nr, const uint64_t args[SRD_ARGS],
                   DecodedSyscall *ret) {
        if (!args || !ret)
                return -EINVAL;
        if (arch != native_arch)
                return -EAFNOSUPPORT;
        *ret = (DecodedSyscall){
                .abi = SYSCALL_ABI_NATIVE,
                .nr = nr,
                .info = srd_syscall_info(nr),
        };
        memcpy(ret->args, args, sizeof(ret->args));
        return 0;
}

#endif
