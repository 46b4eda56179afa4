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
#include "path-internal.h"
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
 * Two matchers share this syntax:
 *
 * glob_backtrack() is the usual two-pointer matcher, extended to two kinds
 * of star: it remembers the last '**' and the last '*' after it; on a
 * mismatch the '*' takes one more character unless that is a '/' (a '*'
 * cannot cross it, and the pattern's segments after it are then pinned to
 * the path's), else the '**' takes one more character and the pattern
 * after it starts over. A '*' before the last '**' is never revisited: the
 * '**' absorbs whatever a longer match of it would have taken. This is
 * fast (a few steps per path byte for ordinary patterns) but quadratic for
 * hostile ones such as a '**' followed by many '*' in one segment.
 *
 * glob_nfa() runs the pattern as a set of positions (a Thompson NFA without
 * compilation): every path byte advances all live positions at once, so it
 * costs O(path * pattern) at worst, never more, but has a larger constant.
 *
 * srd_glob_match() runs the backtracking matcher with a step budget linear
 * in the input and falls back to the NFA when the budget runs out: the
 * common case stays fast, and a hostile pattern costs at most the budget
 * plus the NFA's bound. Patterns longer than SRD_PATH_MAX never match (the
 * loader rejects them).
 */

#define GLOB_WORDS ((SRD_PATH_MAX + 2 + 63) / 64)

static bool is_special(char c) {
        return c == '*' || c == '?' || c == '[' || c == '\\';
}

/* Length of the class starting at p[0] == '[' including the ']', 0 when unterminated. */
static size_t class_len(const char *p) {
        size_t q = 1;

        if (p[q] == '!' || p[q] == '^')
                q++;
        if (p[q] == ']')
                q++;
        for (; p[q]; q++) {
                if (p[q] == '\\' && p[q + 1])
                        q++;
                else if (p[q] == ']')
                        return q + 1;
        }
        return 0;
}

/* p[0] == '[', p[len - 1] == ']' */
static bool class_match(const char *p, size_t len, unsigned char c) {
        size_t q = 1, last = len - 1;
        bool negate = false, found = false;

        if (p[q] == '!' || p[q] == '^') {
                negate = true;
                q++;
        }
        while (q < last) {
                unsigned char lo, hi;

                if (p[q] == '\\' && q + 1 < last)
                        q++;
                lo = (unsigned char) p[q++];
                hi = lo;
                if (p[q] == '-' && q + 1 < last) {
                        q++;
                        if (p[q] == '\\' && q + 1 < last)
                                q++;
                        hi = (unsigned char) p[q++];
                }
                if (c >= lo && c <= hi)
                        found = true;
        }
        return found != negate;
}

/* How many pattern bytes the token at p consumes matching c; 0: no match.
 * Not for '*' and not for the end of the pattern. */
static size_t token_match(const char *p, unsigned char c) {
        size_t l;

        switch (*p) {
        case '\0':
                return 0;
        case '?':
                return c != '/' ? 1 : 0;
        case '[':
                l = class_len(p);
                if (l == 0)
                        return c == '[' ? 1 : 0;
                return c != '/' && class_match(p, l, c) ? l : 0;
        case '\\':
                if (p[1] == '\0')
                        return c == '\\' ? 1 : 0;
                return c == (unsigned char) p[1] ? 2 : 0;
        default:
                return c == (unsigned char) *p ? 1 : 0;
        }
}

/* 1: match, 0: no match, -EAGAIN: more than budget steps. */
int glob_backtrack(const char *p, const char *s, size_t budget) {
        const char *star_p = NULL, *star_s = NULL;   /* after the last '*' since the last '**' */
        const char *dstar_p = NULL, *dstar_s = NULL; /* after the last '**' */

        for (;; budget--) {
                size_t l;

                if (budget == 0)
                        return -EAGAIN;

                if (*p == '*') {
                        if (p[1] == '*') {
                                /* "**" followed by more stars is still "**" */
                                while (*p == '*')
                                        p++;
                                dstar_p = p;
                                dstar_s = s;
                                star_p = NULL;
                        } else {
                                star_p = ++p;
                                star_s = s;
                        }
                        continue;
                }

                if (*s) {
                        l = token_match(p, (unsigned char) *s);
                        if (l > 0) {
                                p += l;
                                s++;
                                continue;
                        }
                } else if (*p == '\0')
                        return 1;

                if (star_p && *star_s && *star_s != '/') {
                        p = star_p;
                        s = ++star_s;
                } else if (dstar_p && *dstar_s) {
                        p = dstar_p;
                        s = ++dstar_s;
                        star_p = NULL;
                } else
                        return 0;
        }
}

/* Add position q and everything reachable from it without consuming input. */
static void nfa_add(uint64_t *set, const char *pattern, size_t q) {
        for (;;) {
                set[q / 64] |= UINT64_C(1) << (q % 64);
                if (pattern[q] != '*')
                        return;
                q += pattern[q + 1] == '*' ? 2 : 1;
        }
}

bool glob_nfa(const char *pattern, const char *path) {
        uint64_t a[GLOB_WORDS], b[GLOB_WORDS], *cur = a, *next = b;
        size_t m = strlen(pattern), nw;

        if (m > SRD_PATH_MAX)
                return false;
        nw = (m + 1 + 63) / 64;
        memset(cur, 0, nw * sizeof(uint64_t));
        nfa_add(cur, pattern, 0);

        for (; *path; path++) {
                unsigned char c = (unsigned char) *path;
                bool alive = false;

                memset(next, 0, nw * sizeof(uint64_t));
                for (size_t w = 0; w < nw; w++)
                        for (uint64_t bits = cur[w]; bits; bits &= bits - 1) {
                                size_t st = w * 64 + (size_t) __builtin_ctzll(bits), l;

                                if (pattern[st] == '*') {
                                        if (pattern[st + 1] == '*' || c != '/')
                                                nfa_add(next, pattern, st);
                                        continue;
                                }
                                l = token_match(pattern + st, c);
                                if (l > 0)
                                        nfa_add(next, pattern, st + l);
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

_public_ bool srd_glob_match(const char *pattern, const char *path) {
        const char *start = pattern;
        size_t m, budget;
        int r;

        if (!pattern || !path)
                return false;

        /* The literal head needs neither matcher. */
        while (*pattern && !is_special(*pattern)) {
                if (*pattern != *path)
                        return false;
                pattern++;
                path++;
        }
        if (!*pattern)
                return !*path;
        m = strnlen(pattern, SRD_PATH_MAX + 1);
        if ((size_t) (pattern - start) + m > SRD_PATH_MAX)
                return false;
        /* Common tails: a lone "**" or "*" is left. */
        if (pattern[0] == '*' && pattern[1] == '*' && !pattern[2])
                return true;
        if (pattern[0] == '*' && !pattern[1])
                return !strchr(path, '/');

        /* Ordinary patterns need a few steps per byte; hostile ones get
         * cut off here and go to the NFA. */
        budget = 8 * (strnlen(path, SRD_PATH_MAX + 1) + m) + 64;
        r = glob_backtrack(pattern, path, budget);
        if (r >= 0)
                return r;
        return glob_nfa(pattern, path);
}
