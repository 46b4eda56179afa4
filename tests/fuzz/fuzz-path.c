/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The path normalizer, join and glob matcher: the task's bytes (through the
 * lexical fallback name) and the policy's patterns reach them. Input: a
 * first byte choosing the split, then "a\0b": a is taken as a path and as
 * a glob, b as a path and as the relative part of a join.
 *
 * Invariants: a normalized path is absolute, has no "//", "/./", "/../",
 * no trailing "/." or "/.." and no trailing slash (but "/"), is never
 * longer than its input, and normalizing it again changes nothing; a join
 * is the normalization of "base/rel"; a glob without metacharacters
 * matches exactly its own text; "**" matches every absolute path.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seccomp-redirect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX 4096

static bool ends_with(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);

        return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void check_normalized(const char *in, const char *out) {
        char again[MAX];

        if (out[0] != '/' || strstr(out, "//") || strstr(out, "/./") || strstr(out, "/../") ||
            ends_with(out, "/.") || ends_with(out, "/..") || (strlen(out) > 1 && ends_with(out, "/")))
                abort();
        if (strlen(out) > strlen(in))
                abort();
        if (srd_path_normalize(out, again, sizeof(again)) < 0 || strcmp(again, out) != 0)
                abort();
}

static void one_path(const char *p) {
        char out[MAX];
        int r = srd_path_normalize(p, out, sizeof(out));

        if (p[0] != '/') {
                if (r != -EINVAL)
                        abort();
                return;
        }
        if (r == 0)
                check_normalized(p, out);
        else if (r != -ENAMETOOLONG)
                abort();
}

static void one_glob(const char *glob, const char *path) {
        /* A backslash escapes the next character: not plain either. */
        bool plain = !strpbrk(glob, "*?[\\");

        if (plain && srd_glob_match(glob, path) != (strcmp(glob, path) == 0))
                abort();
        if (path[0] == '/' && !srd_glob_match("/**", path))
                abort();
        (void) srd_glob_match(glob, glob);
}

static void one_join(const char *base, const char *rel) {
        char joined[MAX], concat[2 * MAX + 2], want[MAX];
        int r, w;

        if (base[0] != '/')
                return;
        r = srd_path_join(base, rel, joined, sizeof(joined));
        if (rel[0] == '/')
                w = srd_path_normalize(rel, want, sizeof(want));
        else {
                (void) snprintf(concat, sizeof(concat), "%s/%s", base, rel);
                w = srd_path_normalize(concat, want, sizeof(want));
        }
        if ((r == 0) != (w == 0))
                abort();
        if (r == 0 && strcmp(joined, want) != 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char a[MAX], b[MAX];
        const char *nul;
        size_t la, lb;

        if (size < 1 || size > 2 * MAX - 2)
                return 0;
        data++;
        size--;
        nul = memchr(data, 0, size);
        la = nul ? (size_t) ((const uint8_t *) nul - data) : size;
        lb = nul ? size - la - 1 : 0;
        if (la >= MAX || lb >= MAX)
                return 0;
        memcpy(a, data, la);
        a[la] = '\0';
        memcpy(b, nul ? (const char *) nul + 1 : "", lb);
        b[lb] = '\0';
        /* Embedded NULs end the strings where C would. */
        one_path(a);
        one_path(b);
        one_glob(a, b);
        one_join(a, b);
        return 0;
}
