/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The validating reader of policy JSON: typed getters that report where a
 * value came from and what was expected, unknown-key checks with
 * did-you-mean suggestions (policy-check.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-check.h"

void val_done(Val *v) {
        free(v->where);
        v->where = NULL;
}

void fail_at(Loader *L, unsigned line, unsigned column, const char *where, const char *format, ...) {
        va_list ap;
        int r;

        L->n_errors++;
        va_start(ap, format);
        r = srd_diag_appendv(L->diag, L->file, line, column, where, format, ap);
        va_end(ap);
        if (r < 0)
                L->error = r;
}

const char *type_name(json_object *o) {
        switch (json_object_get_type(o)) {
        case json_type_null:
                return "null";
        case json_type_boolean:
                return "a boolean";
        case json_type_double:
        case json_type_int:
                return "a number";
        case json_type_string:
                return "a string";
        case json_type_array:
                return "an array";
        case json_type_object:
                return "an object";
        }
        return "something else";
}

/* A quoted copy of a string value for messages; never NULL (OOM is recorded). */
char *quoted(Loader *L, const char *s) {
        char *q = srd_quote(s, strlen(s), 64);

        if (!q) {
                L->error = -ENOMEM;
                return strdup("");
        }
        return q;
}

/* " (did you mean "x"?)" or "" */
char *did_you_mean(const char *suggestion) {
        char *s = NULL;

        if (!suggestion)
                return strdup("");
        if (asprintf(&s, " (did you mean \"%s\"?)", suggestion) < 0)
                return NULL;
        return s;
}

bool member(Loader *L, const Val *obj, const char *key, Val *ret) {
        json_object *o;

        if (!json_object_object_get_ex(obj->o, key, &o))
                return false;
        *ret = (Val){
                .o = o,
                .node = srd_json_pos_member(L->pos, obj->node, key),
                .where = srd_json_path_member(obj->where, key, strlen(key)),
        };
        if (!ret->where)
                L->error = -ENOMEM;
        return true;
}

void element(Loader *L, const Val *arr, size_t i, Val *ret) {
        *ret = (Val){
                .o = json_object_array_get_idx(arr->o, i),
                .node = srd_json_pos_element(L->pos, arr->node, i),
                .where = srd_json_path_element(arr->where, i),
        };
        if (!ret->where)
                L->error = -ENOMEM;
}

bool expect_type(Loader *L, const Val *v, json_type t, const char *what) {
        if (json_object_is_type(v->o, t))
                return true;
        fail(L, v, "expected %s, got %s", what, type_name(v->o));
        return false;
}

/* Every key of obj must be in allowed; the others get a did-you-mean. */
void check_keys(Loader *L, const Val *obj, const char *const *allowed, size_t n) {
        json_object_object_foreach(obj->o, key, value) {
                _cleanup_free_ char *q = NULL, *hint = NULL, *list = NULL;
                bool ok = false;
                Val k = {};

                (void) value;
                for (size_t i = 0; i < n && !ok; i++)
                        ok = streq(key, allowed[i]);
                if (ok)
                        continue;

                (void) member(L, obj, key, &k);
                q = quoted(L, key);
                const char *s = srd_suggest(key, allowed, n);
                if (s)
                        hint = did_you_mean(s);
                else {
                        /* No close match: list what is allowed here. */
                        size_t m = 0;

                        for (size_t i = 0; i < n; i++)
                                m += strlen(allowed[i]) + 2;
                        list = malloc(m + 1);
                        if (list) {
                                list[0] = '\0';
                                for (size_t i = 0; i < n; i++) {
                                        if (i > 0)
                                                strcat(list, ", ");
                                        strcat(list, allowed[i]);
                                }
                                if (asprintf(&hint, " (allowed here: %s)", list) < 0)
                                        hint = NULL;
                        }
                }
                if (!hint)
                        L->error = -ENOMEM;
                fail_key(L, &k, "unknown key %s%s", q, hint ? hint : "");
                val_done(&k);
        }
}

/*
 * A key that must be present: reported at the object's opening brace, unless
 * a misspelling of it is there (its "did you mean" already says it all).
 */
bool misspelt(const Val *obj, const char *key, const char *const *allowed, size_t n) {
        json_object_object_foreach(obj->o, k, value) {
                const char *s = srd_suggest(k, allowed, n);

                (void) value;
                if (s && streq(s, key) && !streq(k, key))
                        return true;
        }
        return false;
}

bool require(Loader *L, const Val *obj, const char *key, const char *const *allowed, size_t n,
                    Val *ret) {
        if (member(L, obj, key, ret))
                return true;
        if (!misspelt(obj, key, allowed, n))
                fail(L, obj, "missing required key \"%s\"", key);
        return false;
}

/*
 * Unsigned 64-bit integers. json-c clamps out-of-range numbers silently, so
 * the check runs on the number's text as the scanner saw it.
 */
bool get_u64(Loader *L, const Val *v, uint64_t *ret) {
        const SrdJsonNode *n = srd_json_pos_node(L->pos, v->node);
        char text[32], *end;
        size_t len;
        unsigned long long x;

        if (!json_object_is_type(v->o, json_type_int) && !json_object_is_type(v->o, json_type_double)) {
                fail(L, v, "expected a non-negative integer, got %s", type_name(v->o));
                return false;
        }
        if (!n || n->end <= n->start)
                return false;
        len = n->end - n->start;
        if (L->buf[n->start] == '-') {
                fail(L, v, "expected a non-negative integer, got %.*s", (int) MIN(len, (size_t) 24),
                     L->buf + n->start);
                return false;
        }
        if (memchr(L->buf + n->start, '.', len) || memchr(L->buf + n->start, 'e', len) ||
            memchr(L->buf + n->start, 'E', len)) {
                fail(L, v, "expected an integer, got %.*s", (int) MIN(len, (size_t) 24), L->buf + n->start);
                return false;
        }
        if (len >= sizeof text) {
                fail(L, v, "number out of range (at most %" PRIu64 ")", UINT64_MAX);
                return false;
        }
        memcpy(text, L->buf + n->start, len);
        text[len] = '\0';
        errno = 0;
        x = strtoull(text, &end, 10);
        if (errno == ERANGE || *end != '\0') {
                fail(L, v, "number %s out of range (at most %" PRIu64 ")", text, UINT64_MAX);
                return false;
        }
        *ret = x;
        return true;
}

bool get_arg_index(Loader *L, const Val *v, unsigned *ret) {
        uint64_t x;

        if (!get_u64(L, v, &x))
                return false;
        if (x >= SRD_ARGS) {
                fail(L, v, "argument index %" PRIu64 " out of range (0..%d)", x, SRD_ARGS - 1);
                return false;
        }
        *ret = (unsigned) x;
        return true;
}

bool get_string(Loader *L, const Val *v, const char *what, const char **ret) {
        if (!expect_type(L, v, json_type_string, what))
                return false;
        *ret = json_object_get_string(v->o);
        return true;
}

/* [A-Za-z0-9._-]{1,64}: safe in logs, journal fields and status output. */
bool identifier_ok(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > NAME_MAX_LEN)
                return false;
        return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

bool get_identifier(Loader *L, const Val *v, const char *what, const char **ret) {
        const char *s;

        if (!get_string(L, v, "a string", &s))
                return false;
        if (!identifier_ok(s)) {
                _cleanup_free_ char *q = quoted(L, s);

                fail(L, v, "invalid %s %s: use 1 to %d characters out of A-Z a-z 0-9 . _ -", what, q,
                     NAME_MAX_LEN);
                return false;
        }
        *ret = s;
        return true;
}

bool get_errno(Loader *L, const Val *v, int *ret) {
        if (json_object_is_type(v->o, json_type_string)) {
                const char *s = json_object_get_string(v->o);
                int e = srd_errno_from_string(s);

                if (e < 0) {
                        _cleanup_free_ char *q = quoted(L, s), *hint = did_you_mean(srd_errno_suggest(s));

                        fail(L, v, "unknown errno %s%s", q, hint ? hint : "");
                        return false;
                }
                *ret = e;
                return true;
        }
        if (json_object_is_type(v->o, json_type_int) || json_object_is_type(v->o, json_type_double)) {
                uint64_t x;

                if (!get_u64(L, v, &x))
                        return false;
                if (x < 1 || x > ERRNO_MAX) {
                        fail(L, v, "errno %" PRIu64 " out of range (1..%d)", x, ERRNO_MAX);
                        return false;
                }
                *ret = (int) x;
                return true;
        }
        fail(L, v, "expected an errno name such as \"EPERM\" or a number, got %s", type_name(v->o));
        return false;
}

bool get_action(Loader *L, const Val *v, SrdAction *ret) {
        const char *s;
        SrdAction a;

        if (!get_string(L, v, "an action (continue, errno, kill or redirect)", &s))
                return false;
        a = srd_action_from_string(s);
        if (a < 0) {
                _cleanup_free_ char *q = quoted(L, s), *hint = NULL;
                const char *sug = srd_action_suggest(s);

                if (sug)
                        hint = did_you_mean(sug);
                else
                        hint = strdup(" (expected continue, errno, kill or redirect)");
                fail(L, v, "unknown action %s%s", q, hint ? hint : "");
                return false;
        }
        *ret = a;
        return true;
}

/* defaultAction and redirectFallback.action: anything but redirect. */
bool get_plain_action(Loader *L, const Val *v, const char *role, SrdAction *ret) {
        SrdAction a;

        if (!get_action(L, v, &a))
                return false;
        if (a == SRD_ACTION_REDIRECT) {
                fail(L, v, "\"redirect\" cannot be %s (use continue, errno or kill)", role);
                return false;
        }
        *ret = a;
        return true;
}

/* "errno" next to an action: required for action errno, refused otherwise. */
void action_errno(Loader *L, const Val *obj, const char *key, bool have_action, SrdAction action,
                         const char *action_key, int default_error, int *ret) {
        Val e = {};

        if (member(L, obj, key, &e)) {
                if (have_action && action != SRD_ACTION_ERRNO)
                        fail_key(L, &e, "\"%s\" only applies when \"%s\" is \"errno\"", key, action_key);
                else
                        (void) get_errno(L, &e, ret);
        } else if (have_action && action == SRD_ACTION_ERRNO) {
                if (default_error > 0)
                        *ret = default_error;
                else
                        fail(L, obj, "missing required key \"%s\" (\"%s\" is \"errno\")", key, action_key);
        }
        val_done(&e);
}

int load_syscall_names(Loader *L) {
        /* Native syscall numbers stay below 1024 on every architecture libseccomp knows. */
        L->syscall_names = calloc(1024, sizeof(char *));
        if (!L->syscall_names)
                return -ENOMEM;
        for (int nr = 0; nr < 1024; nr++) {
                char *s = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

                if (s)
                        L->syscall_names[L->n_syscall_names++] = s;
        }
        return 0;
}
