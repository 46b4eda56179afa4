/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pathError: what a call gets when the daemon cannot establish what it
 * would act on (its path cannot be read or placed, its architecture cannot
 * be decoded) while the policy has a path rule naming it. Such a call is
 * not "unmatched": a path rule might have matched it, so the default action
 * would be a guess, and with a "continue" default a bypass. The loader
 * therefore refuses any pathError that lets the call run.
 */
#include <stdlib.h>

#include "policy-check.h"
#include "syscall-args.h"

static const char *const path_error_keys[] = {"action", "errno"};

void parse_path_error(Loader *L, const Val *root) {
        _cleanup_(val_done) Val obj = {}, a = {};
        SrdPolicy *p = L->policy;
        bool have = false;

        p->path_error_action = SRD_ACTION_ERRNO;
        p->path_error_error = EACCES;
        if (!member(L, root, "pathError", &obj) ||
            !expect_type(L, &obj, json_type_object, "an object with \"action\" and \"errno\""))
                return;

        check_keys(L, &obj, path_error_keys, ELEMENTSOF(path_error_keys));
        if (require(L, &obj, "action", path_error_keys, ELEMENTSOF(path_error_keys), &a) &&
            get_action(L, &a, &p->path_error_action)) {
                if (p->path_error_action == SRD_ACTION_CONTINUE ||
                    p->path_error_action == SRD_ACTION_REDIRECT) {
                        fail(L, &a,
                             "\"%s\" cannot be the pathError action: it would let a call the daemon could "
                             "not check run (use errno or kill)",
                             srd_action_to_string(p->path_error_action));
                        p->path_error_action = SRD_ACTION_ERRNO;
                } else
                        have = true;
        }
        action_errno(L, &obj, "errno", have, p->path_error_action, "action", EACCES, &p->path_error_error);
}

/* A rule that compares openat2's open_how depends on the task's memory as a path rule does. */
static bool rule_reads_open_how(const SrdRule *r, int nr) {
        for (size_t i = 0; i < r->n_args; i++)
                if (r->args[i].role && srd_syscall_arg_index(nr, r->args[i].role) >= SRD_ARGS)
                        return true;
        return false;
}

int policy_index_path_rules(SrdPolicy *p) {
        p->path_rule_nrs = calloc(POLICY_NR_MAX + 1, sizeof(bool));
        if (!p->path_rule_nrs)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_rules; i++) {
                const SrdRule *r = &p->rules[i];

                for (size_t j = 0; j < r->n_syscalls; j++) {
                        int nr = r->syscalls[j];

                        if (nr >= 0 && nr <= POLICY_NR_MAX &&
                            (r->path_kind != SRD_PATH_NONE || rule_reads_open_how(r, nr)))
                                p->path_rule_nrs[nr] = true;
                }
        }
        return 0;
}

_public_ bool srd_policy_has_path_rule(const SrdPolicy *p, int nr) {
        if (!p || !p->path_rule_nrs || nr < 0 || nr > POLICY_NR_MAX)
                return false;
        return p->path_rule_nrs[nr];
}

_public_ void srd_policy_path_error(const SrdPolicy *p, SrdAction *ret_action, int *ret_error) {
        SrdAction a = p ? p->path_error_action : SRD_ACTION_ERRNO;

        /* Never anything that lets the call run, whatever the policy says. */
        if (a != SRD_ACTION_KILL)
                a = SRD_ACTION_ERRNO;
        if (ret_action)
                *ret_action = a;
        if (ret_error)
                *ret_error = a == SRD_ACTION_ERRNO
                                     ? (p && p->path_error_error > 0 ? p->path_error_error : EACCES)
                                     : 0;
}
