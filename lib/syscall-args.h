/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Every syscall's arguments by name ("role") and whether each is a pointer,
 * generated from the kernel's SYSCALL_DEFINEn() (tools/gen-syscall-args).
 * The loader uses it to let "args" and "set" name an argument by what it
 * means, and to refuse an index that means something else, or nothing, on
 * one of the rule's syscalls.
 */

#include <stdbool.h>
#include <stddef.h>

#include "seccomp-redirect.h"

/*
 * openat2 passes its flags, mode and resolve flags in a struct open_how, not
 * in registers: a role names them as arguments past the six registers, and
 * the matcher reads them from SrdSyscall.how.
 */
#define SRD_ARG_HOW_FLAGS (SRD_ARGS + 0)
#define SRD_ARG_HOW_MODE (SRD_ARGS + 1)
#define SRD_ARG_HOW_RESOLVE (SRD_ARGS + 2)
#define SRD_ARG_EXT_MAX (SRD_ARGS + 3)

typedef struct SrdArgDesc {
        const char *role;
        bool pointer;
} SrdArgDesc;

typedef struct SrdSyscallArgs {
        const char *name;
        unsigned n_args;
        SrdArgDesc args[SRD_ARGS];
} SrdSyscallArgs;

/* The table entry of a syscall by its native name; NULL when the table has none. */
const SrdSyscallArgs *srd_syscall_args(const char *name);
/* The same by native number. */
const SrdSyscallArgs *srd_syscall_args_nr(int nr);

/*
 * Where role is on native syscall nr: a register 0..5, or SRD_ARG_HOW_*
 * for openat2's open_how fields. -ENOENT when nr has no such argument,
 * -ENODATA when the table does not know nr.
 */
int srd_syscall_arg_index(int nr, const char *role);
/* What argument index (0..5 or SRD_ARG_HOW_*) of nr is; NULL when none. */
const char *srd_syscall_arg_role(int nr, unsigned index);
/* Whether argument index of nr is a pointer (false for SRD_ARG_HOW_*). */
bool srd_syscall_arg_is_pointer(int nr, unsigned index);
/* "flags" or "open_how.flags": how messages name an argument. */
const char *srd_syscall_arg_describe(int nr, unsigned index);
/* The roles of nr, for did-you-mean (n at most SRD_ARG_EXT_MAX). */
size_t srd_syscall_arg_roles(int nr, const char **ret, size_t n);
