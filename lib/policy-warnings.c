/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Warnings: what loads but is very likely not what the author meant. A rule
 * that an earlier one shadows never decides anything; a glob that only a
 * path with "//" or "/../" could match never matches, as paths are
 * normalized first; "{a,b}" is no alternation here; and a default action
 * other than continue applies only to the syscalls a filter notifies.
 * `seccomp-redirectctl check` prints them (--strict makes them errors), the
 * daemon logs them at load.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <seccomp.h>

#include "pathless-calls.h"
#include "policy-check.h"
#include "syscall-args.h"

void warn_at(Loader *L, unsigned line, unsigned column, const char *where, const char *format, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&msg, format, ap);
        va_end(ap);
        if (r < 0) {
                L->error = -ENOMEM;
                return;
        }
        r = srd_diag_append(&L->policy->warnings, L->file, line, column, where, "warning: %s", msg);
        if (r < 0)
                L->error = r;
}

#define warn(L, v, ...) \
        do { \
                const SrdJsonNode *n_ = srd_json_pos_node((L)->pos, (v)->node); \
                warn_at((L), n_ ? n_->line : 0, n_ ? n_->column : 0, (v)->where, __VA_ARGS__); \
        } while (0)

/* A class [...] at p of len bytes: whether some character other than '/' is in it; *ret_reversed set to the
 * first reversed range ("z-a"), NULL when none. */
static bool class_can_match(const char *p, size_t len, const char **ret_reversed) {
        size_t q = 1, last = len - 1;
        bool negate = false, any = false;

        *ret_reversed = NULL;
        if (p[q] == '!' || p[q] == '^') {
                negate = true;
                q++;
        }
        while (q < last) {
                unsigned char lo, hi;
                const char *at;

                if (p[q] == '\\' && q + 1 < last)
                        q++;
                at = p + q;
                lo = (unsigned char) p[q++];
                hi = lo;
                if (p[q] == '-' && q + 1 < last) {
                        q++;
                        if (p[q] == '\\' && q + 1 < last)
                                q++;
                        hi = (unsigned char) p[q++];
                }
                if (lo > hi) {
                        if (!*ret_reversed)
                                *ret_reversed = at;
                        continue;
                }
                /* A class never matches '/': [/] is empty. */
                if (!(lo == '/' && hi == '/'))
                        any = true;
        }
        return negate || any;
}

void warn_glob(Loader *L, const Val *v, const char *glob) {
        char buf[SRD_PATH_MAX + 1];
        const char *brace;

        /* Paths are normalized before matching: a glob that is not could only match a path that is not. */
        if (srd_path_normalize(glob, buf, sizeof buf) >= 0 && !streq(buf, glob)) {
                _cleanup_free_ char *q = quoted(L, glob), *q2 = quoted(L, buf);

                warn(L, v,
                     "glob %s can never match: paths are matched normalized, without \"//\", \"/./\", "
                     "\"/../\" "
                     "or a trailing \"/\" (did you mean %s?)",
                     q, q2);
        }

        for (const char *p = glob; *p; p++) {
                const char *end, *reversed;
                size_t len;

                if (*p == '\\' && p[1]) {
                        p++;
                        continue;
                }
                if (*p != '[')
                        continue;
                end = p + 1;
                if (*end == '!' || *end == '^')
                        end++;
                if (*end == ']')
                        end++;
                while (*end && *end != ']') {
                        if (*end == '\\' && end[1])
                                end++;
                        end++;
                }
                if (!*end)
                        break; /* unterminated: the loader has said so */
                len = (size_t) (end - p) + 1;
                if (!class_can_match(p, len, &reversed)) {
                        _cleanup_free_ char *q = srd_quote(p, len, 32);

                        warn(L, v, "character class %s matches no character, so the glob never matches%s",
                             q ? q : "", reversed ? " (a range is written high to low)" : "");
                } else if (reversed) {
                        _cleanup_free_ char *q = srd_quote(reversed, 3, 8);

                        warn(L, v, "range %s in a character class is empty (written high to low)",
                             q ? q : "");
                }
                p = end;
        }

        /* Shell brace expansion is not glob syntax: {a,b} is five literal characters. */
        brace = strchr(glob, '{');
        if (brace && strchr(brace, ',') && strchr(brace, '}'))
                warn(L, v,
                     "'{' and '}' are literal in a glob: {a,b} matches the text \"{a,b}\", not a or b "
                     "(write one "
                     "rule per alternative)");
}

static int cond_index(const SrdArgCond *c, int nr) {
        return c->role ? srd_syscall_arg_index(nr, c->role) : (int) c->index;
}

/* Every condition of a (an earlier rule) is one of b's on each of b's syscalls, whether named by role or
 * by index: a holds whenever b does. */
static bool args_weaker(const SrdRule *a, const SrdRule *b) {
        for (size_t k = 0; k < b->n_syscalls; k++) {
                int nr = b->syscalls[k];

                for (size_t i = 0; i < a->n_args; i++) {
                        const SrdArgCond *x = &a->args[i];
                        bool found = false;

                        for (size_t j = 0; j < b->n_args && !found; j++) {
                                const SrdArgCond *y = &b->args[j];

                                found = x->op == y->op && x->value == y->value &&
                                        x->value_two == y->value_two &&
                                        cond_index(x, nr) == cond_index(y, nr);
                        }
                        if (!found)
                                return false;
                }
        }
        return true;
}

static bool syscalls_cover(const SrdRule *a, const SrdRule *b) {
        for (size_t i = 0; i < b->n_syscalls; i++) {
                bool found = false;

                for (size_t j = 0; j < a->n_syscalls && !found; j++)
                        found = a->syscalls[j] == b->syscalls[i];
                if (!found)
                        return false;
        }
        return b->n_syscalls > 0;
}

/* The literal text every path b matches starts with (a glob's head before its first wildcard). */
static size_t literal_head(const SrdRule *b) {
        if (b->path_kind == SRD_PATH_GLOB)
                return strcspn(b->path, "*?[\\");
        return strlen(b->path);
}

/* Whether a's path condition holds for every path b's does. */
static bool path_covers(const SrdRule *a, const SrdRule *b) {
        switch (a->path_kind) {
        case SRD_PATH_NONE:
                return true;
        case SRD_PATH_PREFIX:
                return b->path_kind != SRD_PATH_NONE && literal_head(b) >= strlen(a->path) &&
                       strncmp(b->path, a->path, strlen(a->path)) == 0;
        case SRD_PATH_EXACT:
                return b->path_kind == SRD_PATH_EXACT && streq(a->path, b->path);
        case SRD_PATH_GLOB:
                return (b->path_kind == SRD_PATH_GLOB && streq(a->path, b->path)) ||
                       (b->path_kind == SRD_PATH_EXACT && srd_glob_match(a->path, b->path));
        default:
                return false;
        }
}

#define SHADOW_CANDIDATES_MAX 64

typedef struct Key {
        SrdPathKind kind;
        const char *s;
        size_t len;
        size_t rule;
} Key;

static int key_cmp(const void *x, const void *y) {
        const Key *a = x, *b = y;
        int c;

        if (a->kind != b->kind)
                return a->kind < b->kind ? -1 : 1;
        if (a->len != b->len)
                return a->len < b->len ? -1 : 1;
        c = memcmp(a->s, b->s, a->len);
        if (c != 0)
                return c;
        return a->rule < b->rule ? -1 : a->rule > b->rule;
}

/* The smallest rule < before with this key that shadows b; SIZE_MAX when none. */
static size_t find_shadow(const SrdPolicy *p, const Key *keys, size_t n, SrdPathKind kind, const char *s,
                          size_t len, size_t before, size_t best) {
        Key k = {kind, s, len, 0};
        size_t lo = 0, hi = n;

        /* First entry >= (kind, s, rule 0), then along the run of equal keys in rule order. */
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;

                if (key_cmp(&keys[mid], &k) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        /* Many rules on one key (10,000 with one prefix and different args) would make this quadratic:
         * look at the first few only. A warning is a help, not a guarantee. */
        for (size_t seen = 0; lo < n && seen < SHADOW_CANDIDATES_MAX && keys[lo].kind == kind &&
                              keys[lo].len == len && memcmp(keys[lo].s, s, len) == 0;
             lo++, seen++) {
                size_t i = keys[lo].rule;
                const SrdRule *a = &p->rules[i], *b = &p->rules[before];

                if (i >= before || i >= best)
                        break;
                if (syscalls_cover(a, b) && path_covers(a, b) && args_weaker(a, b))
                        return i;
        }
        return best;
}

/*
 * Rules that never decide: an earlier rule names all their syscalls, its
 * path condition holds wherever theirs does and its args conditions are a
 * subset of theirs. Candidates are found by key (the earlier rule's prefix
 * is a prefix of the later rule's path), so 10,000 rules take no pairwise
 * pass; an earlier glob is only compared with later exact paths when there
 * are few globs.
 */
void warn_shadowed(Loader *L, const Val *rules) {
        const SrdPolicy *p = L->policy;
        _cleanup_free_ Key *keys = calloc(MAX(p->n_rules, (size_t) 1), sizeof(Key));
        _cleanup_free_ size_t *globs = NULL;
        size_t n_globs = 0;

        if (!keys) {
                L->error = -ENOMEM;
                return;
        }
        for (size_t i = 0; i < p->n_rules; i++) {
                const SrdRule *r = &p->rules[i];

                keys[i] = (Key){r->path_kind, r->path ?: "", r->path ? strlen(r->path) : 0, i};
                n_globs += r->path_kind == SRD_PATH_GLOB;
        }
        qsort(keys, p->n_rules, sizeof(Key), key_cmp);
        if (n_globs <= 64) {
                globs = calloc(MAX(n_globs, (size_t) 1), sizeof(size_t));
                if (!globs) {
                        L->error = -ENOMEM;
                        return;
                }
                n_globs = 0;
                for (size_t i = 0; i < p->n_rules; i++)
                        if (p->rules[i].path_kind == SRD_PATH_GLOB)
                                globs[n_globs++] = i;
        }

        for (size_t j = 1; j < p->n_rules && !srd_diag_full(&L->policy->warnings); j++) {
                const SrdRule *b = &p->rules[j];
                size_t best = SIZE_MAX;

                best = find_shadow(p, keys, p->n_rules, SRD_PATH_NONE, "", 0, j, best);
                if (b->path_kind != SRD_PATH_NONE) {
                        size_t head = literal_head(b);

                        for (size_t len = 1; len <= head; len++)
                                best = find_shadow(p, keys, p->n_rules, SRD_PATH_PREFIX, b->path, len, j,
                                                   best);
                        best = find_shadow(p, keys, p->n_rules, b->path_kind, b->path, strlen(b->path), j,
                                           best);
                }
                for (size_t g = 0;
                     globs && b->path_kind == SRD_PATH_EXACT && g < n_globs && globs[g] < MIN(j, best);
                     g++) {
                        const SrdRule *a = &p->rules[globs[g]];

                        if (syscalls_cover(a, b) && path_covers(a, b) && args_weaker(a, b))
                                best = globs[g];
                }
                if (best == SIZE_MAX)
                        continue;

                _cleanup_(val_done) Val rule = {};
                element(L, rules, j, &rule);
                warn(L, &rule,
                     "rule \"%s\" never decides: rule \"%s\" (rules[%zu] at %u:%u) comes first and matches "
                     "every call it matches",
                     b->name, p->rules[best].name, best, p->rules[best].line, p->rules[best].column);
        }
}

/* A default action that denies applies only to what a filter notifies. */
void warn_default(Loader *L, const Val *def) {
        if (L->policy->default_action == SRD_ACTION_CONTINUE)
                return;
        warn(L, def,
             "defaultAction \"%s\" decides only the syscalls a filter notifies: seccomp-redirectctl run "
             "notifies "
             "the syscalls the rules name, and no other (under a runtime, its profile decides)",
             srd_action_to_string(L->policy->default_action));
}

/* The name of the pathless call nr is (pathless-calls.h), NULL when it is none. */
static const char *pathless_name(int nr) {
        for (size_t i = 0; i < ELEMENTSOF(pathless_calls); i++)
                if (seccomp_syscall_resolve_name(pathless_calls[i].name) == nr)
                        return pathless_calls[i].name;
        return NULL;
}

/*
 * A rule that lets io_uring or open_by_handle_at continue, in a policy
 * with path rules: what those calls reach never passes a path rule (run
 * and the init refuse them only while no rule names them).
 */
void warn_pathless(Loader *L, const Val *rules) {
        const SrdPolicy *p = L->policy;
        size_t first_path = SIZE_MAX;

        for (size_t i = 0; i < p->n_rules && first_path == SIZE_MAX; i++)
                if (p->rules[i].path_kind != SRD_PATH_NONE)
                        first_path = i;
        if (first_path == SIZE_MAX)
                return;

        for (size_t i = 0; i < p->n_rules && !srd_diag_full(&L->policy->warnings); i++) {
                const SrdRule *r = &p->rules[i], *pr = &p->rules[first_path];
                const char *name = NULL;

                if (r->action != SRD_ACTION_CONTINUE)
                        continue;
                for (size_t k = 0; k < r->n_syscalls && !name; k++)
                        name = pathless_name(r->syscalls[k]);
                if (!name)
                        continue;

                _cleanup_(val_done) Val rule = {};
                element(L, rules, i, &rule);
                warn(L, &rule,
                     "rule \"%s\" lets %s continue: %s pass none of this policy's path rules, such "
                     "as \"%s\" (rules[%zu] at %u:%u)",
                     r->name, name,
                     strncmp(name, "io_uring", 8) == 0 ? "a ring's opens, stats, renames and unlinks"
                                                       : "the files it opens by handle",
                     pr->name, first_path, pr->line, pr->column);
        }
}
