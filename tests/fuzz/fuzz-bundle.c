/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An OCI bundle's config.json as srd_bundle_root_path() reads it: the
 * daemon reads the file of whatever bundle a handoff names.
 *
 * Invariants: it returns 0 with a non-empty NUL-terminated path shorter
 * than PATH_MAX and without embedded NULs, or -EBADMSG, -ENOENT or
 * -EINVAL with nothing returned; and the same bytes always give the same
 * answer.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seccomp-redirect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *a = NULL, *b = NULL;
        int r, r2;

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
