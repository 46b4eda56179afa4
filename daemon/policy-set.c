/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The set of loaded policies. Loading is all-or-nothing: one bad file and
 * the caller keeps what it had, which is what makes SIGHUP safe to send.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "manager.h"

PolicySet *policy_set_free(PolicySet *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n; i++)
                srd_policy_unref(s->policies[i]);
        free(s->policies);
        free(s);
        return NULL;
}

SrdPolicy *policy_set_get(const PolicySet *s, const char *name) {
        if (!s || !name)
                return NULL;
        /* A handful of policies: a linear scan beats any index here. */
        for (size_t i = 0; i < s->n; i++)
                if (streq(srd_policy_name(s->policies[i]), name))
                        return s->policies[i];
        return NULL;
}

/* What the loader found legal but likely not meant: logged, never fatal. */
static void log_warnings(const SrdPolicy *p) {
        const SrdDiagList *w = srd_policy_warnings(p);

        for (size_t i = 0; w && i < w->n; i++) {
                _cleanup_free_ char *line = srd_diag_format(&w->items[i]);

                log_warning("%s", line ?: "(out of memory formatting a warning)");
        }
}

/* The directory as srd_policy_dir_load() reads it, which `seccomp-redirectctl check DIR` shares. */
int policy_set_load(const char *dir, PolicySet **ret, char **ret_error) {
        _cleanup_(policy_set_freep) PolicySet *s = NULL;
        SrdDiagList diag = {};
        SrdPolicy **policies = NULL;
        size_t n = 0;
        int r;

        r = srd_policy_dir_load(dir, &policies, &n, &diag);
        /* Every diagnostic, not just the first: fixing one at a time is painful. */
        for (size_t j = 0; j < diag.n; j++) {
                _cleanup_free_ char *line = srd_diag_format(&diag.items[j]);

                log_error("%s", line ?: "(out of memory formatting a diagnostic)");
                if (j == 0)
                        *ret_error = TAKE_PTR(line);
        }
        if (r < 0 && diag.n == 0) {
                log_error_errno(r, "Failed to load the policies in %s: %m", dir);
                if (asprintf(ret_error, "%s: %s", dir, strerror(-r)) < 0)
                        *ret_error = NULL;
        }
        srd_diag_list_clear(&diag);
        if (r < 0)
                return r;

        s = calloc(1, sizeof(*s));
        if (!s) {
                srd_policy_array_free(policies, n);
                return log_oom();
        }
        s->policies = policies;
        s->n = n;
        for (size_t i = 0; i < n; i++) {
                log_warnings(policies[i]);
                log_debug("Loaded policy \"%s\" from %s (%zu %s).", srd_policy_name(policies[i]),
                          srd_policy_file(policies[i]), srd_policy_n_rules(policies[i]),
                          srd_policy_n_rules(policies[i]) == 1 ? "rule" : "rules");
        }

        *ret = TAKE_PTR(s);
        return 0;
}
