/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A policy directory, loaded the one way the daemon and
 * `seccomp-redirectctl check DIR` both use: every "*.json" not starting
 * with '.', in alphabetical order, each with all its diagnostics, and no
 * two files with one policy name.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag-internal.h"
#include "macro.h"
#include "seccomp-redirect.h"

static int json_filter(const struct dirent *de) {
        size_t n = strlen(de->d_name);

        if (de->d_name[0] == '.')
                return 0;
        return n > 5 && streq(de->d_name + n - 5, ".json");
}

_public_ SrdPolicy **srd_policy_array_free(SrdPolicy **a, size_t n) {
        for (size_t i = 0; a && i < n; i++)
                srd_policy_unref(a[i]);
        free(a);
        return NULL;
}

_public_ int srd_policy_dir_load(const char *dir, SrdPolicy ***ret, size_t *ret_n, SrdDiagList *diag) {
        struct dirent **des = NULL;
        SrdPolicy **policies = NULL;
        size_t n_policies = 0;
        int n, r = 0;

        if (!dir || !ret || !ret_n)
                return -EINVAL;
        n = scandir(dir, &des, json_filter, alphasort);
        if (n < 0) {
                r = -errno;
                if (srd_diag_append(diag, dir, 0, 0, NULL, "cannot read policy directory: %s",
                                    strerror(-r)) < 0)
                        return -ENOMEM;
                return r;
        }
        policies = calloc(MAX(n, 1), sizeof(SrdPolicy *));
        if (!policies)
                r = -ENOMEM;

        for (int i = 0; i < n && r != -ENOMEM; i++) {
                _cleanup_free_ char *path = NULL;
                SrdPolicy *p = NULL, *other = NULL;
                int k;

                if (asprintf(&path, "%s/%s", dir, des[i]->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                k = srd_policy_load_file(path, &p, diag);
                if (k < 0) {
                        if (r >= 0)
                                r = k;
                        continue;
                }
                for (size_t j = 0; j < n_policies && !other; j++)
                        if (streq(srd_policy_name(policies[j]), srd_policy_name(p)))
                                other = policies[j];
                if (other) {
                        if (srd_diag_append(diag, path, 0, 0, NULL, "policy name \"%s\" already used by %s",
                                            srd_policy_name(p), srd_policy_file(other)) < 0)
                                r = -ENOMEM;
                        else if (r >= 0)
                                r = -EINVAL;
                        srd_policy_unref(p);
                        continue;
                }
                policies[n_policies++] = p;
        }
        for (int i = 0; i < n; i++)
                free(des[i]);
        free(des);

        if (r < 0) {
                srd_policy_array_free(policies, n_policies);
                return r;
        }
        *ret = policies;
        *ret_n = n_policies;
        return 0;
}
