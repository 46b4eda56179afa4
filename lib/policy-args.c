/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A rule's "args" conditions and "set" rewrites. An argument is named by its
 * "index" (a register) or by its role ("arg": "flags"), which the matcher
 * turns into each syscall's own index. Either way the argument must exist
 * on every syscall of the rule, be a number rather than a pointer, and, by
 * index, mean the same on all of them: index 2 is open's mode but openat's
 * flags, and a rule that compares it on both means two different things.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-check.h"
#include "symbols.h"
#include "syscall-args.h"

static const char *const arg_keys[] = {"arg", "index", "op", "value", "valueTwo"};
static const char *const set_keys[] = {"arg", "index", "value", "mask"};

static const char *const cmp_names[_SRD_CMP_MAX] = {
        [SRD_CMP_NE] = "SCMP_CMP_NE",
        [SRD_CMP_LT] = "SCMP_CMP_LT",
        [SRD_CMP_LE] = "SCMP_CMP_LE",
        [SRD_CMP_EQ] = "SCMP_CMP_EQ",
        [SRD_CMP_GE] = "SCMP_CMP_GE",
        [SRD_CMP_GT] = "SCMP_CMP_GT",
        [SRD_CMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

/* A number, or a string of constants and numbers joined with '|': "O_WRONLY|O_TRUNC", "0755". */
static bool get_value(Loader *L, const Val *v, uint64_t *ret) {
        const char *s, *bad = NULL;
        size_t bad_len = 0;

        if (!json_object_is_type(v->o, json_type_string))
                return get_u64(L, v, ret);
        s = json_object_get_string(v->o);
        if (srd_value_parse(s, ret, &bad, &bad_len) >= 0)
                return true;
        if (bad_len == 0) {
                _cleanup_free_ char *q = quoted(L, s);

                fail(L, v, "empty part in value %s (join constants with a single '|')", q);
                return false;
        }
        _cleanup_free_ char *q = srd_quote(bad, bad_len, 64),
                            *hint = did_you_mean(srd_symbol_suggest(bad, bad_len));
        fail(L, v, "unknown constant %s%s (expected a name such as \"O_WRONLY\" or a number)", q ? q : "",
             hint ? hint : "");
        return false;
}

static const char *name_of(int nr) {
        return srd_syscall_name(nr) ?: "?";
}

/* "a, b, c" into buf. */
static void join(const char *const *words, size_t n, char *buf, size_t size) {
        size_t k = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < n && k < size; i++)
                k += (size_t) snprintf(buf + k, size - k, "%s%s", i > 0 ? ", " : "", words[i]);
}

/* For a rewrite: the path and open_how arguments have their own, older messages. */
static bool check_rewrite_target(Loader *L, const Val *at, int nr, unsigned index) {
        const SrdSyscallInfo *info = srd_syscall_info(nr);

        for (unsigned k = 0; info && k < info->n_paths && k < SRD_MAX_PATHS; k++) {
                const SrdPathArg *pa = &info->paths[k];

                if (pa->arg >= 0 && (unsigned) pa->arg == index) {
                        fail(L, at, "argument %u of \"%s\" is a path: rewrite paths with \"to\"", index,
                             name_of(nr));
                        return false;
                }
                if (pa->how_arg >= 0 &&
                    ((unsigned) pa->how_arg == index || (unsigned) pa->how_arg + 1 == index)) {
                        /* openat2: a pointer to struct open_how, then its size. */
                        fail(L, at, "argument %u of \"%s\" is %s struct open_how, not a scalar to set",
                             index, name_of(nr),
                             (unsigned) pa->how_arg == index ? "a pointer to its" : "the size of its");
                        return false;
                }
        }
        if (index >= SRD_ARGS) {
                /* The redirect sends the struct as read; rewriting a field of it is not wired yet. */
                fail(L, at, "%s of \"%s\" cannot be rewritten: \"set\" rewrites registers only",
                     srd_syscall_arg_describe(nr, index) ?: "?", name_of(nr));
                return false;
        }
        return true;
}

/* One argument of one syscall: it exists and holds a number. */
static bool check_one(Loader *L, const Val *at, int nr, unsigned index, bool rewrite) {
        const SrdSyscallArgs *a = srd_syscall_args_nr(nr);

        if (rewrite && !check_rewrite_target(L, at, nr, index))
                return false;
        if (!a)
                return true; /* not in the table (another architecture's name): only 0..5 is known */
        if (index < SRD_ARGS && index >= a->n_args) {
                if (a->n_args == 0)
                        fail(L, at, "argument index %u: \"%s\" takes no arguments", index, name_of(nr));
                else
                        fail(L, at, "argument index %u is beyond the arguments of \"%s\" (0..%u)", index,
                             name_of(nr), a->n_args - 1);
                return false;
        }
        if (srd_syscall_arg_is_pointer(nr, index)) {
                fail(L, at,
                     "argument %u of \"%s\" (\"%s\") is a pointer: %s would %s its address, not what it "
                     "points to",
                     index, name_of(nr), a->args[index].role, rewrite ? "\"set\"" : "a condition",
                     rewrite ? "overwrite" : "compare");
                return false;
        }
        return true;
}

/* By role: every syscall of the rule has it. */
static bool check_role(Loader *L, const Val *at, const SrdRule *r, const char *role, bool rewrite,
                       const char **ret_role) {
        *ret_role = NULL;
        for (size_t i = 0; i < r->n_syscalls; i++) {
                int nr = r->syscalls[i], k = srd_syscall_arg_index(nr, role);

                if (k == -ENODATA) {
                        fail(L, at, "the arguments of \"%s\" are not known by name: use \"index\"",
                             name_of(nr));
                        return false;
                }
                if (k < 0) {
                        _cleanup_free_ char *q = quoted(L, role), *hint = NULL;
                        const char *roles[SRD_ARG_EXT_MAX];
                        size_t n = srd_syscall_arg_roles(nr, roles, ELEMENTSOF(roles));
                        char list[256];

                        join(roles, n, list, sizeof list);
                        hint = did_you_mean(srd_suggest(role, roles, n));
                        fail(L, at, "\"%s\" has no argument %s%s (its arguments: %s)", name_of(nr), q,
                             hint ? hint : "", n > 0 ? list : "none");
                        return false;
                }
                if (!check_one(L, at, nr, (unsigned) k, rewrite))
                        return false;
                /* The table's own string: it outlives the JSON document. */
                if (!*ret_role)
                        *ret_role = srd_syscall_arg_role(nr, (unsigned) k);
        }
        return true;
}

/* By index: it means the same on every syscall of the rule, or the rule means several things. */
static bool check_index(Loader *L, const Val *at, const SrdRule *r, unsigned index, bool rewrite) {
        const char *roles[64], *shown[64];
        char msg[512], list[256];
        size_t n = 0, n_shown = 0, k = 0;
        bool differ = false;

        for (size_t i = 0; i < r->n_syscalls && n < ELEMENTSOF(roles); i++) {
                const char *role = srd_syscall_arg_role(r->syscalls[i], index);

                if (!role)
                        continue;
                roles[n] = role;
                differ = differ || !streq(role, roles[0]);
                n++;
        }
        if (differ) {
                k += (size_t) snprintf(msg, sizeof msg, "argument %u is", index);
                for (size_t i = 0, j = 0; i < r->n_syscalls && j < n && k < sizeof msg; i++) {
                        const char *role = srd_syscall_arg_role(r->syscalls[i], index);

                        if (!role)
                                continue;
                        k += (size_t) snprintf(msg + k, sizeof msg - k, "%s\"%s\" of \"%s\"",
                                               j == 0       ? " "
                                               : j + 1 == n ? " but "
                                                            : ", ",
                                               role, name_of(r->syscalls[i]));
                        j++;
                }
                /* Suggest each role at this index that every syscall of the rule has, as a number. */
                for (size_t j = 0; j < n; j++) {
                        bool everywhere = true, seen = false;

                        for (size_t m = 0; m < n_shown; m++)
                                seen = seen || streq(shown[m], roles[j]);
                        for (size_t i = 0; i < r->n_syscalls && everywhere && !seen; i++) {
                                int nr = r->syscalls[i], x = srd_syscall_arg_index(nr, roles[j]);

                                everywhere = x >= 0 && !srd_syscall_arg_is_pointer(nr, (unsigned) x) &&
                                             (!rewrite || x < SRD_ARGS);
                        }
                        if (everywhere && !seen)
                                shown[n_shown++] = roles[j];
                }
                if (n_shown > 0) {
                        size_t m = 0;

                        for (size_t j = 0; j < n_shown && m < sizeof list; j++)
                                m += (size_t) snprintf(list + m, sizeof list - m, "%s\"arg\": \"%s\"",
                                                       j == 0 ? "" : " or ", shown[j]);
                        fail(L, at, "%s: name the argument by its role instead, %s", msg, list);
                        return false;
                }
                /* No role fits all: a pointer or a missing argument says more than "differs". */
                for (size_t i = 0; i < r->n_syscalls; i++)
                        if (!check_one(L, at, r->syscalls[i], index, rewrite))
                                return false;
                fail(L, at, "%s: split the rule, one per meaning", msg);
                return false;
        }
        for (size_t i = 0; i < r->n_syscalls; i++)
                if (!check_one(L, at, r->syscalls[i], index, rewrite))
                        return false;
        return true;
}

/* "index" or "arg", exactly one of them; ret_at: the value to point at later. */
static bool get_arg_ref(Loader *L, const Val *obj, const char *const *keys, size_t n_keys, const SrdRule *r,
                        bool rewrite, unsigned *ret_index, const char **ret_role, Val *ret_at) {
        Val index = {}, arg = {};
        bool have_index = member(L, obj, "index", &index), have_arg = member(L, obj, "arg", &arg),
             ok = false;
        const char *s;

        *ret_index = 0;
        *ret_role = NULL;
        if (have_index && have_arg) {
                fail_key(L, &arg, "\"index\" and \"arg\" both given: name the argument one way");
                goto out;
        }
        if (!have_index && !have_arg) {
                if (!misspelt(obj, "arg", keys, n_keys) && !misspelt(obj, "index", keys, n_keys))
                        fail(L, obj, "missing required key \"arg\" (or \"index\")");
                goto out;
        }
        if (have_arg) {
                if (get_string(L, &arg, "an argument's role such as \"flags\"", &s))
                        ok = check_role(L, &arg, r, s, rewrite, ret_role);
                *ret_at = arg;
                val_done(&index);
                return ok;
        }
        if (get_arg_index(L, &index, ret_index))
                ok = check_index(L, &index, r, *ret_index, rewrite);
        *ret_at = index;
        val_done(&arg);
        return ok;
out:
        val_done(&index);
        val_done(&arg);
        return false;
}

void parse_args(Loader *L, const Val *rule, SrdRule *r) {
        Val args = {};
        size_t n;

        if (!member(L, rule, "args", &args))
                return;
        if (!expect_type(L, &args, json_type_array, "an array of argument conditions"))
                goto out;
        n = json_object_array_length(args.o);
        r->args = calloc(MAX(n, (size_t) 1), sizeof(SrdArgCond));
        if (!r->args) {
                L->error = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                _cleanup_(val_done) Val a = {}, at = {}, op = {}, value = {}, two = {};
                SrdArgCond c = {.op = _SRD_CMP_INVALID};
                bool ok = true, have_two;
                const char *s;

                element(L, &args, i, &a);
                if (!expect_type(L, &a, json_type_object, "an object with \"arg\", \"op\", \"value\""))
                        continue;
                check_keys(L, &a, arg_keys, ELEMENTSOF(arg_keys));
                if (!get_arg_ref(L, &a, arg_keys, ELEMENTSOF(arg_keys), r, false, &c.index, &c.role, &at))
                        ok = false;
                if (!require(L, &a, "op", arg_keys, ELEMENTSOF(arg_keys), &op))
                        ok = false;
                else if (get_string(L, &op, "a comparator such as \"SCMP_CMP_EQ\"", &s)) {
                        for (int j = SRD_CMP_NE; j < _SRD_CMP_MAX; j++)
                                if (streq(cmp_names[j], s))
                                        c.op = (SrdCmp) j;
                        if (c.op < 0) {
                                _cleanup_free_ char *q = quoted(L, s), *hint = NULL, *full = NULL;
                                const char *sug = srd_suggest(s, cmp_names + 1, _SRD_CMP_MAX - 1);

                                /* "EQ" for "SCMP_CMP_EQ": try again with the prefix. */
                                if (!sug && asprintf(&full, "SCMP_CMP_%s", s) >= 0)
                                        sug = srd_suggest(full, cmp_names + 1, _SRD_CMP_MAX - 1);
                                hint = did_you_mean(sug);

                                fail(L, &op, "unknown comparator %s%s", q, hint ? hint : "");
                                ok = false;
                        }
                } else
                        ok = false;
                if (!require(L, &a, "value", arg_keys, ELEMENTSOF(arg_keys), &value) ||
                    !get_value(L, &value, &c.value))
                        ok = false;
                have_two = member(L, &a, "valueTwo", &two);
                if (have_two && !get_value(L, &two, &c.value_two))
                        ok = false;
                if (!ok)
                        continue;
                if (c.op != SRD_CMP_MASKED_EQ && c.value_two != 0)
                        fail_key(L, &two, "\"valueTwo\" only applies to SCMP_CMP_MASKED_EQ");
                else if (c.op == SRD_CMP_MASKED_EQ && (c.value_two & ~c.value) != 0)
                        fail(L, &two, "can never match: valueTwo has bits outside the mask in \"value\"");
                else
                        r->args[r->n_args++] = c;
        }
out:
        val_done(&args);
}

static int set_index(const SrdArgSet *a, int nr) {
        return a->role ? srd_syscall_arg_index(nr, a->role) : (int) a->index;
}

/* "arg": "flags" and "index": 2 are one register on openat. */
static bool same_argument(const SrdRule *r, const SrdArgSet *a, const SrdArgSet *b) {
        if (!a->role && !b->role)
                return a->index == b->index;
        for (size_t i = 0; i < r->n_syscalls; i++)
                if (set_index(a, r->syscalls[i]) == set_index(b, r->syscalls[i]))
                        return true;
        return false;
}

void parse_set(Loader *L, const Val *set, SrdRule *r) {
        size_t n;

        if (!expect_type(L, set, json_type_array, "an array of argument rewrites"))
                return;
        n = json_object_array_length(set->o);
        r->set = calloc(MAX(n, (size_t) 1), sizeof(SrdArgSet));
        if (!r->set) {
                L->error = -ENOMEM;
                return;
        }
        for (size_t i = 0; i < n; i++) {
                _cleanup_(val_done) Val e = {}, at = {}, value = {}, mask = {};
                SrdArgSet a = {.mask = UINT64_MAX};
                bool ok = true;

                element(L, set, i, &e);
                if (!expect_type(L, &e, json_type_object, "an object with \"arg\", \"value\" and \"mask\""))
                        continue;
                check_keys(L, &e, set_keys, ELEMENTSOF(set_keys));
                if (!get_arg_ref(L, &e, set_keys, ELEMENTSOF(set_keys), r, true, &a.index, &a.role, &at))
                        ok = false;
                if (!require(L, &e, "value", set_keys, ELEMENTSOF(set_keys), &value) ||
                    !get_value(L, &value, &a.value))
                        ok = false;
                if (member(L, &e, "mask", &mask)) {
                        if (!get_value(L, &mask, &a.mask))
                                ok = false;
                        else if (a.mask == 0) {
                                fail(L, &mask,
                                     "mask 0 rewrites no bit: leave \"mask\" out to set the whole "
                                     "argument");
                                ok = false;
                        }
                }
                if (!ok)
                        continue;

                for (size_t j = 0; j < r->n_set; j++)
                        if (same_argument(r, &r->set[j], &a)) {
                                if (a.role)
                                        fail(L, &at, "argument \"%s\" is already rewritten by set[%zu]",
                                             a.role, j);
                                else
                                        fail(L, &at, "argument %u is already rewritten by set[%zu]", a.index,
                                             j);
                                ok = false;
                        }
                if (ok)
                        r->set[r->n_set++] = a;
        }
}
