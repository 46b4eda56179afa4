/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Policy files are what an administrator (or a compromised config pipeline) writes: any bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seccomp-redirect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        SrdDiagList d = {};
        SrdPolicy *p = NULL;
        int r;

        r = srd_policy_load_buffer((const char *) data, size, "fuzz.json", &p, &d);
        /* Every failure explains itself; success leaves nothing to explain. */
        if ((r == -EINVAL) != (d.n > 0) || (r == 0) != (p != NULL))
                abort();
        for (size_t i = 0; i < d.n; i++) {
                const SrdDiag *g = &d.items[i];
                char *s = srd_diag_format(g);

                if (!s)
                        abort();
                free(s);
                /* Every complaint about a value has its position: the scanner and json-c saw the same
                 * document. And json-c never fails where the (stricter) scanner passed. */
                if ((g->where && (g->line == 0 || g->column == 0)) ||
                    strncmp(g->message, "invalid JSON", 12) == 0)
                        abort();
        }
        srd_diag_list_clear(&d);

        if (p) {
                int *nrs = NULL;
                size_t n = 0;
                SrdAction a;
                int e;

                for (size_t i = 0; i < srd_policy_n_rules(p); i++)
                        if (!srd_policy_rule_name(p, i))
                                abort();
                if (srd_policy_syscalls(p, &nrs, &n) < 0)
                        abort();
                free(nrs);
                srd_policy_redirect_fallback(p, &a, &e);
                srd_policy_count_hit(p, -1);
                srd_policy_count_hit(p, 0);
                (void) srd_policy_hits(p, 0);
                srd_policy_unref(p);
        }
        return 0;
}
