/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A notification's architecture, number and arguments come from a hostile
 * task. Input: the seccomp_data fields as the kernel lays them out (nr,
 * arch, 8 bytes of instruction pointer, six 64-bit arguments), short input
 * zero-padded. The decoder must never fail other than documented, and what
 * it returns must hold: i386 arguments fit 32 bits, a path table entry
 * only names argument registers that exist, the native number is one.
 */
#include <linux/audit.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "syscall-arch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        uint8_t raw[64] = {};
        uint64_t args[SRD_ARGS];
        DecodedSyscall d;
        uint32_t arch;
        int32_t nr;
        int r;

        memcpy(raw, data, size < sizeof(raw) ? size : sizeof(raw));
        memcpy(&nr, raw, 4);
        memcpy(&arch, raw + 4, 4);
        memcpy(args, raw + 16, sizeof(args));

        r = syscall_decode(AUDIT_ARCH_X86_64, arch, nr, args, &d);
        if (r < 0) {
                if (r != -EAFNOSUPPORT && r != -ENOSYS)
                        abort();
                return 0;
        }
        if (d.abi < 0 || d.abi >= _SYSCALL_ABI_MAX || !syscall_abi_to_string(d.abi))
                abort();
        if (d.abi == SYSCALL_ABI_NATIVE ? d.nr != nr : d.nr < -1)
                abort();
        if (d.abi == SYSCALL_ABI_I386)
                for (size_t i = 0; i < SRD_ARGS; i++)
                        if (d.args[i] > UINT32_MAX || d.args[i] != (uint32_t) args[i])
                                abort();
        if (d.abi != SYSCALL_ABI_I386 && memcmp(d.args, args, sizeof(args)) != 0)
                abort();
        if (d.info) {
                if (d.info->n_paths > SRD_MAX_PATHS)
                        abort();
                for (unsigned i = 0; i < d.info->n_paths; i++)
                        if (d.info->paths[i].arg < 0 || d.info->paths[i].arg >= SRD_ARGS ||
                            d.info->paths[i].dirfd_arg >= SRD_ARGS)
                                abort();
        }
        return 0;
}
