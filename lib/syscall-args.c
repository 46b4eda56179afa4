/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Syscall arguments by role (syscall-args.h): the generated table, looked up
 * by name with a binary search (the table is sorted by name).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "syscall-args.h"

#define ROW(name, n, ...) {name, n, {__VA_ARGS__}},
static const SrdSyscallArgs table[] = {
#include "syscall-args-table.h"
};
#undef ROW

/* openat2's struct open_how, named as open and openat name the same values. */
static const char *const how_roles[] = {
        [SRD_ARG_HOW_FLAGS - SRD_ARGS] = "flags",
        [SRD_ARG_HOW_MODE - SRD_ARGS] = "mode",
        [SRD_ARG_HOW_RESOLVE - SRD_ARGS] = "resolve",
};
static const char *const how_descriptions[] = {
        [SRD_ARG_HOW_FLAGS - SRD_ARGS] = "open_how.flags",
        [SRD_ARG_HOW_MODE - SRD_ARGS] = "open_how.mode",
        [SRD_ARG_HOW_RESOLVE - SRD_ARGS] = "open_how.resolve",
};

static int row_compare(const void *key, const void *row) {
        return strcmp(key, ((const SrdSyscallArgs *) row)->name);
}

const SrdSyscallArgs *srd_syscall_args(const char *name) {
        if (!name)
                return NULL;
        return bsearch(name, table, ELEMENTSOF(table), sizeof(table[0]), row_compare);
}

const SrdSyscallArgs *srd_syscall_args_nr(int nr) {
        return srd_syscall_args(srd_syscall_name(nr));
}

/* Only openat2 passes a struct open_how; its pointer is the argument "how". */
static bool has_open_how(const SrdSyscallArgs *a) {
        return a && streq(a->name, "openat2");
}

int srd_syscall_arg_index(int nr, const char *role) {
        const SrdSyscallArgs *a = srd_syscall_args_nr(nr);

        if (!a)
                return -ENODATA;
        if (!role)
                return -ENOENT;
        /* open_how's fields before the registers: "flags" is open_how.flags, not a register of openat2. */
        if (has_open_how(a))
                for (size_t i = 0; i < ELEMENTSOF(how_roles); i++)
                        if (streq(how_roles[i], role))
                                return SRD_ARGS + (int) i;
        for (unsigned i = 0; i < a->n_args && i < SRD_ARGS; i++)
                if (streq(a->args[i].role, role))
                        return (int) i;
        return -ENOENT;
}

const char *srd_syscall_arg_role(int nr, unsigned index) {
        const SrdSyscallArgs *a = srd_syscall_args_nr(nr);

        if (!a)
                return NULL;
        if (index >= SRD_ARGS && index < SRD_ARG_EXT_MAX)
                return has_open_how(a) ? how_roles[index - SRD_ARGS] : NULL;
        return index < a->n_args ? a->args[index].role : NULL;
}

bool srd_syscall_arg_is_pointer(int nr, unsigned index) {
        const SrdSyscallArgs *a = srd_syscall_args_nr(nr);

        return a && index < a->n_args && index < SRD_ARGS && a->args[index].pointer;
}

const char *srd_syscall_arg_describe(int nr, unsigned index) {
        const SrdSyscallArgs *a = srd_syscall_args_nr(nr);

        if (index >= SRD_ARGS && index < SRD_ARG_EXT_MAX)
                return has_open_how(a) ? how_descriptions[index - SRD_ARGS] : NULL;
        return srd_syscall_arg_role(nr, index);
}

size_t srd_syscall_arg_roles(int nr, const char **ret, size_t n) {
        const SrdSyscallArgs *a = srd_syscall_args_nr(nr);
        size_t k = 0;

        if (!a)
                return 0;
        for (unsigned i = 0; i < a->n_args && i < SRD_ARGS && k < n; i++)
                ret[k++] = a->args[i].role;
        if (has_open_how(a))
                for (size_t i = 0; i < ELEMENTSOF(how_roles) && k < n; i++)
                        ret[k++] = how_roles[i];
        return k;
}
