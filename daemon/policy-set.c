/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The set of loaded policies. Loading is all-or-nothing: one bad file and
 * the caller keeps what it had, which is what makes SIGHUP safe to send.
 */
#include <dirent.h>
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

static int json_filter(const struct dirent *de) {
        size_t n = strlen(de->d_name);

        if (de->d_name[0] == '.')
                return 0;
        return n > 5 && streq(de->d_name + n - 5, ".json");
}

static void free_dirents(struct dirent **des, int n) {
        for (int i = 0; i < n; i++)
                free(des[i]);
        free(des);
}

int policy_set_load(const char *dir, PolicySet **ret, char **ret_error) {
        _cleanup_(policy_set_freep) PolicySet *s = NULL;
        _cleanup_free_ char *first_error = NULL;
        struct dirent **des = NULL;
        int n, r = 0;

        n = scandir(dir, &des, json_filter, alphasort);
        if (n < 0) {
                r = -errno;
                log_error_errno(r, "Failed to read policy directory %s: %m", dir);
                if (asprintf(ret_error, "cannot read %s: %s", dir, strerror(-r)) < 0)
                        *ret_error = NULL;
                return r;
        }

        s = calloc(1, sizeof(*s));
        if (!s || (n > 0 && !(s->policies = calloc((size_t) n, sizeof(SrdPolicy *))))) {
                free_dirents(des, n);
                return log_oom();
        }

        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                SrdDiagList diag = {};
                SrdPolicy *p = NULL;
                size_t n_diag;
                int k;

                if (asprintf(&path, "%s/%s", dir, des[i]->d_name) < 0) {
                        r = log_oom();
                        break;
                }

                k = srd_policy_load_file(path, &p, &diag);
                /* Every diagnostic, not just the first: fixing one at a time is painful. */
                for (size_t j = 0; j < diag.n; j++) {
                        _cleanup_free_ char *line = srd_diag_format(&diag.items[j]);

                        log_error("%s", line ?: "(out of memory formatting a diagnostic)");
                        if (!first_error && line)
                                first_error = TAKE_PTR(line);
                }
                n_diag = diag.n;
                srd_diag_list_clear(&diag);
                if (k < 0) {
                        if (n_diag == 0) {
                                log_error_errno(k, "Failed to load policy %s: %m", path);
                                if (!first_error && asprintf(&first_error, "%s: %s", path, strerror(-k)) < 0)
                                        first_error = NULL;
                        }
                        if (r >= 0)
                                r = k;
                        continue;
                }

                if (policy_set_get(s, srd_policy_name(p))) {
                        _cleanup_free_ char *msg = NULL;

                        if (asprintf(&msg, "%s: policy name \"%s\" already used by %s", path,
                                     srd_policy_name(p),
                                     srd_policy_file(policy_set_get(s, srd_policy_name(p)))) < 0)
                                msg = NULL;
                        log_error("%s", msg ?: "duplicate policy name");
                        if (!first_error)
                                first_error = TAKE_PTR(msg);
                        srd_policy_unref(p);
                        if (r >= 0)
                                r = -EINVAL;
                        continue;
                }
                s->policies[s->n++] = p;
                log_debug("Loaded policy \"%s\" from %s (%zu rules).", srd_policy_name(p), path,
                          srd_policy_n_rules(p));
        }
        free_dirents(des, n);

        if (r < 0) {
                *ret_error = TAKE_PTR(first_error);
                return r;
        }

        *ret = TAKE_PTR(s);
        return 0;
}
