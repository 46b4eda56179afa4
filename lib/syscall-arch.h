/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Which syscall a notification is, on every architecture a filter can
 * notify: the native one, and on x86_64 also i386 (int $0x80, AUDIT_ARCH_I386)
 * and x32 (AUDIT_ARCH_X86_64 with __X32_SYSCALL_BIT in the number).
 *
 * Rules name syscalls and are resolved to native numbers when a policy is
 * loaded; an i386 or x32 syscall is therefore decoded to the native number
 * of the syscall with the same name (i386 open, 5, is native open, 2), with
 * its arguments as the kernel's syscall function sees them (i386: 32 bits
 * each, zero-extended). A few i386 syscalls that exist natively under
 * another name act on their path the same way (stat64 is stat, chown32 is
 * chown, ...): they decode to that one, so a rule naming it covers them.
 */

#include <stdint.h>

#include "seccomp-redirect.h"

typedef enum SyscallAbi {
        SYSCALL_ABI_NATIVE,
        SYSCALL_ABI_I386,
        SYSCALL_ABI_X32,
        _SYSCALL_ABI_MAX,
        _SYSCALL_ABI_INVALID = -EINVAL,
} SyscallAbi;

typedef struct DecodedSyscall {
        SyscallAbi abi;
        int nr; /* native number of the same syscall, -1: none here */
        uint64_t args[SRD_ARGS]; /* as the syscall's implementation gets them */
        const SrdSyscallInfo *info; /* its path arguments, in this ABI's order; NULL: none */
} DecodedSyscall;

/*
 * Decode the syscall nr of architecture arch (AUDIT_ARCH_*) with args, on a
 * host whose native architecture is native_arch. Returns 0, -EAFNOSUPPORT
 * for an architecture this build cannot decode, -ENOSYS for a number the
 * architecture's syscall table (libseccomp's) does not know.
 */
int syscall_decode(uint32_t native_arch, uint32_t arch, int nr, const uint64_t args[SRD_ARGS],
                   DecodedSyscall *ret);

const char *syscall_abi_to_string(SyscallAbi abi);
