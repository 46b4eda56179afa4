/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Whether this host delivers an i386 syscall (int $0x80) from a 64-bit
 * process to a seccomp filter that covers the x86 ABI. Not everywhere: a
 * kernel built without IA32_EMULATION, or booted with ia32_emulation=0,
 * kills the caller of int $0x80 (SIGSEGV) or fails it with ENOSYS, and some
 * sandboxes do not pass the x86 audit arch through. A child loads an
 * ERRNO(EXDEV) rule for i386 getpid (20) and tries it. NULL when it works,
 * else why not. For tests only (static, one copy per test program).
 */

#if defined(__x86_64__)
#include <errno.h>
#include <seccomp.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

static inline const char *host_i386_unsupported(void) {
        static const char *cached;
        static bool probed;
        int status;
        pid_t pid;

        if (probed)
                return cached;
        probed = true;

        pid = fork();
        if (pid < 0)
                return (cached = "fork() for the i386 probe failed");
        if (pid == 0) {
                scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
                long r;

                if (!ctx || seccomp_arch_add(ctx, SCMP_ARCH_X86) < 0 ||
                    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EXDEV), SCMP_SYS(getpid), 0) < 0 ||
                    seccomp_load(ctx) < 0)
                        _exit(2);
                __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
                _exit(r == -EXDEV ? 0 : r == -ENOSYS ? 3 : 4);
        }
        if (waitpid(pid, &status, 0) != pid)
                return (cached = "waitpid() for the i386 probe failed");
        if (WIFSIGNALED(status))
                return (cached = "this host kills a process that makes an i386 syscall (no ia32 emulation)");
        switch (WEXITSTATUS(status)) {
        case 0:
                return (cached = NULL);
        case 2:
                return (cached = "seccomp filters with the x86 arch cannot be loaded here");
        case 3:
                return (cached = "i386 syscalls fail with ENOSYS on this host (ia32 emulation off)");
        default:
                return (cached = "an i386 syscall does not reach a seccomp filter for the x86 arch on this "
                                 "host");
        }
}
#endif
