/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Lexical path handling for matching: normalization, joining and globs.
 *
 * Normalization is purely lexical (no symlinks are looked at, the paths come
 * from another process's view of the file system):
 *   - empty components and "." are dropped ("//", "/./"),
 *   - ".." removes the previous component; ".." at the root stays at the root,
 *   - a trailing "/" is dropped ("/tmp/x/" -> "/tmp/x"; "/" stays "/"), so
 *     that a rule on "/tmp/x" cannot be sidestepped by appending "/" or "/.".
 * The result is always absolute, has no ".", ".." or empty components and no
 * trailing slash except for "/" itself.
 */

#include <stdint.h>
#include <string.h>

#include "macro.h"
#include "seccomp-redirect.h"

typedef struct Norm {
        char *buf;
        size_t size;
        size_t len;
        /* Components that did not fit into buf. They still have to be
         * counted: a later ".." may remove them again, so overflowing in the
         * middle is not yet an error, only overflowing at the end is. */
        size_t overflow;
} Norm;

static void norm_feed(Norm *n, const char *s) {
        while (*s) {
                const char *e;
                size_t l;

                while (*s == '/')
                        s++;
                if (!*s)
                        break;
                e = strchrnul(s, '/');
                l = (size_t) (e - s);

                if (l == 1 && s[0] == '.')
                        ;
                else if (l == 2 && s[0] == '.' && s[1] == '.') {
                        if (n->overflow > 0)
                                n->overflow--;
                        else if (n->len > 1) {
                                while (n->len > 0 && n->buf[n->len - 1] != '/')
                                        n->len--;
                                /* drop the separator too, except the root's */
                                if (n->len > 1)
                                        n->len--;
                        }
                } else if (n->overflow > 0)
                        n->overflow++;
                else {
                        size_t need = (n->len > 1 ? 1 : 0) + l;

                        if (n->len + need > n->size - 1)
                                n->overflow = 1;
                        else {
                                if (n->len > 1)
                                        n->buf[n->len++] = '/';
                                memcpy(n->buf + n->len, s, l);
                                n->len += l;
                        }
                }
                s = e;
        }
}

static int norm_finish(Norm *n) {
        if (n->overflow > 0) {
                n->buf[0] = '\0';
                return -ENAMETOOLONG;
        }
        n->buf[n->len] = '\0';
        return 0;
}

static int norm_init(Norm *n, char *ret, size_t size) {
        if (!ret || size == 0)
                return -EINVAL;
        if (size < 2) {
                ret[0] = '\0';
                return -ENAMETOOLONG;
        }
        *n = (Norm) { .buf = ret, .size = size, .len = 1 };
        ret[0] = '/';
        return 0;
}

_public_ int srd_path_normalize(const char *path, char *ret, size_t size) {
        Norm n;
        int r;

        if (!path || path[0] != '/')
                return -EINVAL;
        r = norm_init(&n, ret, size);
        if (r < 0)
                return r;
        norm_feed(&n, path);
        return norm_finish(&n);
}

_public_ int srd_path_join(const char *base, const char *rel, char *ret, size_t size) {
        Norm n;
        int r;

        if (!rel)
                return -EINVAL;
        if (rel[0] == '/')
                return srd_path_normalize(rel, ret, size);
        if (!base || base[0] != '/')
                return -EINVAL;
        r = norm_init(&n, ret, size);
        if (r < 0)
                return r;
        norm_feed(&n, base);
        norm_feed(&n, rel);
        return norm_finish(&n);
}

/*
 * Globs.
 *
 *   ?        one character other than '/'
 *   *        any run of characters without '/'
 *   **       any run of characters, '/' included: "/a/" followed by "**"
 *            matches everything below /a; "/a/", "**", "/b" in a row needs
 *            at least one directory between /a and b
 *   [...]    one character (never '/') from the set: ranges "a-z", negation
 *            "[!...]" or "[^...]", a ']' right after the opening bracket (or
 *            the '!') is literal; an unterminated '[' is a literal '['
 *   \x       the character x literally
 *
 * The pattern must match the whole path.
 *
 * The usual two-pointer matcher (remember the last '*', retry from there on
 * a mismatch) is only correct when every star can absorb everything the
 * stars before it could; with a '*' that stops at '/' next to a '**' that
 * does not, it would have to go back to the '**' and rescan, quadratic in
 * the path for some patterns. Instead the pattern runs as a set of
 * positions (a Thompson NFA without compilation): every path byte advances
 * all live positions at once, so the cost is O(path * pattern) in the worst
 * case, never exponential, and about O(path) for ordinary patterns, which
 * keep only one or two positions alive. Patterns longer than SRD_PATH_MAX
 * never match (the loader rejects them).
 */

#define GLOB_WORDS ((SRD_PATH_MAX + 2 + 63) / 64)

static bool is_special(char c) {
        return c == '*' || c == '?' || c == '[' || c == '\\';
}

/* Offset just past the class starting at p (pattern[p] == '['), 0 when unterminated. */
static size_t class_end(const char *pattern, size_t p) {
        size_t q = p + 1;

        if (pattern[q] == '!' || pattern[q] == '^')
                q++;
        if (pattern[q] == ']')
                q++;
        for (; pattern[q]; q++) {
                if (pattern[q] == '\\' && pattern[q + 1])
                        q++;
                else if (pattern[q] == ']')
                        return q + 1;
        }
        return 0;
}

static bool class_match(const char *pattern, size_t p, size_t end, unsigned char c) {
        size_t q = p + 1, last = end - 1; /* pattern[last] == ']' */
        bool negate = false, found = false;

        if (pattern[q] == '!' || pattern[q] == '^') {
                negate = true;
                q++;
        }
        for (bool first = true; q < last; first = false) {
                unsigned char lo, hi;

                if (pattern[q] == '\\' && q + 1 < last)
                        q++;
                else if (pattern[q] == ']' && !first)
                        break;
                lo = (unsigned char) pattern[q++];
                hi = lo;
                if (pattern[q] == '-' && q + 1 < last) {
                        q++;
                        if (pattern[q] == '\\' && q + 1 < last)
                                q++;
                        hi = (unsigned char) pattern[q++];
                }
                if (c >= lo && c <= hi)
                        found = true;
        }
        return found != negate;
}

/* Add position q and everything reachable from it without consuming input. */
static void glob_add(uint64_t *set, const char *pattern, size_t q) {
        for (;;) {
                set[q / 64] |= UINT64_C(1) << (q % 64);
                if (pattern[q] != '*')
                        return;
                q += pattern[q + 1] == '*' ? 2 : 1;
        }
}

_public_ bool srd_glob_match(const char *pattern, const char *path) {
        uint64_t a[GLOB_WORDS], b[GLOB_WORDS], *cur = a, *next = b;
        size_t m, nw;

        if (!pattern || !path)
                return false;

        /* The literal head needs no state set. */
        while (*pattern && !is_special(*pattern)) {
                if (*pattern != *path)
                        return false;
                pattern++;
                path++;
        }
        if (!*pattern)
                return !*path;
        /* Common tails: a lone "**" or "*" is left. */
        if (pattern[0] == '*' && pattern[1] == '*' && !pattern[2])
                return true;
        if (pattern[0] == '*' && !pattern[1])
                return !strchr(path, '/');

        m = strlen(pattern);
        if (m > SRD_PATH_MAX)
                return false;
        nw = (m + 1 + 63) / 64;
        memset(cur, 0, nw * sizeof(uint64_t));
        glob_add(cur, pattern, 0);

        for (; *path; path++) {
                unsigned char c = (unsigned char) *path;
                bool alive = false;

                memset(next, 0, nw * sizeof(uint64_t));
                for (size_t w = 0; w < nw; w++)
                        for (uint64_t bits = cur[w]; bits; bits &= bits - 1) {
                                size_t s = w * 64 + (size_t) __builtin_ctzll(bits);
                                size_t e;

                                switch (pattern[s]) {
                                case '\0':
                                        break;
                                case '*':
                                        if (pattern[s + 1] == '*' || c != '/')
                                                glob_add(next, pattern, s);
                                        break;
                                case '?':
                                        if (c != '/')
                                                glob_add(next, pattern, s + 1);
                                        break;
                                case '[':
                                        e = class_end(pattern, s);
                                        if (e == 0) {
                                                if (c == '[')
                                                        glob_add(next, pattern, s + 1);
                                        } else if (c != '/' && class_match(pattern, s, e, c))
                                                glob_add(next, pattern, e);
                                        break;
                                case '\\':
                                        if (pattern[s + 1] == '\0') {
                                                if (c == '\\')
                                                        glob_add(next, pattern, s + 1);
                                        } else if (c == (unsigned char) pattern[s + 1])
                                                glob_add(next, pattern, s + 2);
                                        break;
                                default:
                                        if (c == (unsigned char) pattern[s])
                                                glob_add(next, pattern, s + 1);
                                }
                        }

                for (size_t w = 0; w < nw; w++)
                        if (next[w]) {
                                alive = true;
                                break;
                        }
                if (!alive)
                        return false;

                uint64_t *t = cur;
                cur = next;
                next = t;
        }

        return cur[m / 64] & (UINT64_C(1) << (m % 64));
}
