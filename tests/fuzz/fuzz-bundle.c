/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An OCI bundle's config.json as srd_bundle_root_path() and
 * srd_bundle_profile_unjudged() read it: the daemon reads the file of
 * whatever bundle a handoff names.
 *
 * Invariants: root_path returns 0 with a non-empty NUL-terminated path
 * shorter than PATH_MAX and without embedded NULs, or -EBADMSG, -ENOENT or
 * -EINVAL with nothing returned; profile_unjudged returns 0 with NULL or
 * a ", "-separated list of distinct names of the calls it knows, in their
 * order, or one of those errors with nothing returned; and the same bytes
 * always give the same answers.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seccomp-redirect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_unjudged(const uint8_t *data, size_t size) {
        static const char *const known[] = {"io_uring_setup", "io_uring_enter", "io_uring_register",
                                            "open_by_handle_at"};
        char *a = NULL, *b = NULL;
        int r, r2;

        r = srd_bundle_profile_unjudged((const char *) data, size, &a);
        r2 = srd_bundle_profile_unjudged((const char *) data, size, &b);
        if (r != r2 || (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
                abort();
        if (r < 0) {
                if ((r != -EBADMSG && r != -ENOENT && r != -EINVAL && r != -ENOMEM) || a)
                        abort();
                return;
        }
        if (r != 0)
                abort();
        if (a) {
                const char *s = a;
                size_t next = 0;

                /* Each name known, once, in the table's order, separated by ", ". */
                while (*s) {
                        size_t i, n;

                        for (i = next; i < sizeof(known) / sizeof(known[0]); i++) {
                                n = strlen(known[i]);
                                if (strncmp(s, known[i], n) == 0 &&
                                    (s[n] == '\0' || strncmp(s + n, ", ", 2) == 0))
                                        break;
                        }
                        if (i == sizeof(known) / sizeof(known[0]))
                                abort();
                        next = i + 1;
                        s += n;
                        if (*s)
                                s += 2;
                }
        }
        free(a);
        free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *a = NULL, *b = NULL;
        int r, r2;

        check_unjudged(data, size);

        r = srd_bundle_root_path((const char *) data, size, &a);
        r2 = srd_bundle_root_path((const char *) data, size, &b);
        if (r != r2)
                abort();
        if (r == 0) {
                size_t n = strlen(a);

                if (n == 0 || n >= PATH_MAX || strcmp(a, b) != 0)
                        abort();
                free(a);
                free(b);
        } else if ((r != -EBADMSG && r != -ENOENT && r != -EINVAL && r != -ENOMEM) || a || b)
                abort();
        return 0;
}
