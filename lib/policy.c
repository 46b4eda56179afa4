/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy loader: JSON bytes -> SrdPolicy. json-c builds the values, the
 * json-pos scanner says where each came from. Validation keeps going after an
 * error (up to SRD_DIAG_MAX) so an author sees every problem in one run.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "policy-check.h"
#include "syscall-groups.h"

static const char *const root_keys[] = {
        "version",         "name",      "description", "defaultAction", "defaultErrno",
        "redirectFallback", "pathError", "rules"};
static const char *const rule_keys[] = {"name",   "description", "names", "path", "args",
                                        "action", "errno",       "to",    "set",  "log"};
static const char *const path_keys[] = {"exact", "prefix", "glob"};
static const char *const fallback_keys[] = {"action", "errno"};

/* Add nr to the rule unless it is there; group: the group that named it, NULL when named directly. */
static int add_syscall(SrdRule *r, size_t *allocated, int nr, const char *group, bool *ret_dup_direct) {
        *ret_dup_direct = false;
        for (size_t j = 0; j < r->n_syscalls; j++)
                if (r->syscalls[j] == nr) {
                        /* Named twice directly is a slip; a group overlapping a name or another group is not. */
                        *ret_dup_direct = !group && !r->groups[j];
                        if (!group)
                                r->groups[j] = NULL;
                        return 0;
                }
        if (r->n_syscalls == *allocated) {
                size_t n = MAX((size_t) 8, *allocated * 2);
                int *s = realloc(r->syscalls, n * sizeof(int));

                if (!s)
                        return -ENOMEM;
                r->syscalls = s;
                const char **g = realloc(r->groups, n * sizeof(char *));
                if (!g)
                        return -ENOMEM;
                r->groups = g;
                *allocated = n;
        }
        r->groups[r->n_syscalls] = group;
        r->syscalls[r->n_syscalls++] = nr;
        return 0;
}

/* A native number for a name, -1 when the native architecture lacks it, __NR_SCMP_ERROR when unknown. */
static int resolve_name(const char *s) {
        int nr = seccomp_syscall_resolve_name(s);

        if (nr == __NR_SCMP_ERROR) {
                int k = srd_syscall_resolve(s);

                return k >= 0 ? k : __NR_SCMP_ERROR;
        }
        return nr < 0 ? -1 : nr;
}

static void parse_group(Loader *L, const Val *v, const char *s, SrdRule *r, size_t *allocated) {
        const SrdSyscallGroup *g = srd_syscall_group(s);
        bool dup;

        if (!g) {
                _cleanup_free_ char *q = quoted(L, s), *hint = did_you_mean(srd_syscall_group_suggest(s));

                fail(L, v, "unknown syscall group %s%s (see SYSCALL GROUPS in seccomp-redirectd.policy(5))", q,
                     hint ? hint : "");
                return;
        }
        for (size_t i = 0; i < r->n_syscalls; i++)
                if (r->groups[i] == g->name) {
                        fail(L, v, "syscall group \"%s\" is listed twice", g->name);
                        return;
                }
        for (const char *const *m = g->members; *m; m++) {
                int nr = resolve_name(*m);

                /* Unknown to this libseccomp, or not on this architecture: as for a portable policy. */
                if (nr < 0)
                        continue;
                if (add_syscall(r, allocated, nr, g->name, &dup) < 0) {
                        L->error = -ENOMEM;
                        return;
                }
        }
}

static void parse_names(Loader *L, const Val *rule, SrdRule *r) {
        Val names = {};
        size_t n, allocated = 0;

        if (!require(L, rule, "names", rule_keys, ELEMENTSOF(rule_keys), &names))
                return;
        if (!expect_type(L, &names, json_type_array, "a non-empty array of syscall names"))
                goto out;
        n = json_object_array_length(names.o);
        if (n == 0) {
                fail(L, &names, "expected a non-empty array of syscall names");
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                _cleanup_(val_done) Val v = {};
                const char *s;
                bool dup;
                int nr;

                element(L, &names, i, &v);
                if (!get_string(L, &v, "a syscall name", &s))
                        continue;
                if (s[0] == '@') {
                        parse_group(L, &v, s, r, &allocated);
                        continue;
                }
                nr = seccomp_syscall_resolve_name(s);
                if (nr == __NR_SCMP_ERROR) {
                        _cleanup_free_ char *q = quoted(L, s), *hint = NULL;

                        if (!L->syscall_names && !srd_diag_full(L->diag) && load_syscall_names(L) < 0)
                                L->error = -ENOMEM;
                        if (!srd_diag_full(L->diag))
                                hint = did_you_mean(srd_suggest(s, (const char *const *) L->syscall_names,
                                                                L->n_syscall_names));
                        fail(L, &v, "unknown syscall %s%s", q, hint ? hint : "");
                        continue;
                }
                /* Known to libseccomp but not on this architecture (e.g. "open" on arm64): a portable
                 * policy names it anyway, and it simply never happens here. */
                if (nr < 0)
                        continue;
                if (add_syscall(r, &allocated, nr, NULL, &dup) < 0) {
                        L->error = -ENOMEM;
                        goto out;
                }
                if (dup) {
                        _cleanup_free_ char *q = quoted(L, s);

                        fail(L, &v, "syscall %s is listed twice", q);
                }
        }
out:
        val_done(&names);
}

static bool path_absolute(Loader *L, const Val *v, const char *s, const char *what) {
        if (s[0] == '/')
                return true;
        _cleanup_free_ char *q = quoted(L, s);
        fail(L, v, "%s %s is not an absolute path", what, q);
        return false;
}

static void parse_path(Loader *L, const Val *rule, SrdRule *r) {
        static const SrdPathKind kinds[] = {SRD_PATH_EXACT, SRD_PATH_PREFIX, SRD_PATH_GLOB};
        char buf[SRD_PATH_MAX + 1];
        Val path = {}, v = {};
        const char *s, *key = NULL;
        int k;

        if (!member(L, rule, "path", &path))
                return;
        if (!expect_type(L, &path, json_type_object,
                         "an object with one of \"exact\", \"prefix\", \"glob\""))
                goto out;
        check_keys(L, &path, path_keys, ELEMENTSOF(path_keys));
        for (size_t i = 0; i < ELEMENTSOF(path_keys); i++) {
                Val t = {};

                if (!member(L, &path, path_keys[i], &t))
                        continue;
                if (key) {
                        fail_key(L, &t,
                                 "\"%s\" and \"%s\" both given: use exactly one of \"exact\", "
                                 "\"prefix\", \"glob\"",
                                 key, path_keys[i]);
                        val_done(&t);
                        continue;
                }
                key = path_keys[i];
                r->path_kind = kinds[i];
                v = t;
        }
        if (!key) {
                bool typo = false;

                for (size_t i = 0; i < ELEMENTSOF(path_keys); i++)
                        typo = typo || misspelt(&path, path_keys[i], path_keys, ELEMENTSOF(path_keys));
                if (!typo)
                        fail(L, &path, "expected exactly one of \"exact\", \"prefix\", \"glob\"");
                goto out;
        }
        if (!get_string(L, &v, "a path", &s) || !path_absolute(L, &v, s, "path"))
                goto out;
        if (strlen(s) > SRD_PATH_MAX) {
                fail(L, &v, "path longer than %d bytes", SRD_PATH_MAX);
                goto out;
        }

        switch (r->path_kind) {
        case SRD_PATH_EXACT:
                k = srd_path_normalize(s, buf, sizeof buf);
                if (k < 0) {
                        fail(L, &v, "cannot normalize path: %s", strerror(-k));
                        goto out;
                }
                s = buf;
                break;
        case SRD_PATH_PREFIX: {
                /* Paths are normalized before matching, so a prefix that is not would never match. */
                size_t n;

                k = srd_path_normalize(s, buf, sizeof buf - 1);
                if (k < 0) {
                        fail(L, &v, "cannot normalize prefix: %s", strerror(-k));
                        goto out;
                }
                n = strlen(buf);
                if (s[strlen(s) - 1] == '/' && n > 1) {
                        buf[n] = '/';
                        buf[n + 1] = '\0';
                }
                if (!streq(buf, s)) {
                        _cleanup_free_ char *q = quoted(L, s), *q2 = quoted(L, buf);

                        fail(L, &v, "prefix %s is not normalized and would never match (did you mean %s?)",
                             q, q2);
                        goto out;
                }
                break;
        }
        default: {
                /* A '[' without its ']' would silently match nothing. */
                for (const char *p = s; *p; p++) {
                        if (*p != '[')
                                continue;
                        const char *q = p + 1;

                        if (*q == '!' || *q == '^')
                                q++;
                        if (*q == ']')
                                q++;
                        q = strchr(q, ']');
                        if (!q) {
                                fail(L, &v, "unterminated '[' in glob at offset %zu", (size_t) (p - s));
                                goto out;
                        }
                        p = q;
                }
        }
        }
        if (r->path_kind == SRD_PATH_GLOB)
                warn_glob(L, &v, s);

        r->path = strdup(s);
        if (!r->path)
                L->error = -ENOMEM;
out:
        val_done(&v);
        val_done(&path);
}

/* Syscalls of the rule that have no path argument: a path condition or "to" cannot apply to them. */
static void check_path_syscalls(Loader *L, const Val *rule, SrdRule *r, const char *why) {
        Val names = {};
        size_t k = 0;

        /* A group's calls on an fd (fchmod in @chmod) cannot be what a path rule means: leave them out. */
        for (size_t i = 0; i < r->n_syscalls; i++) {
                const SrdSyscallInfo *info = srd_syscall_info(r->syscalls[i]);

                if (r->groups[i] && !(info && info->n_paths > 0))
                        continue;
                r->groups[k] = r->groups[i];
                r->syscalls[k++] = r->syscalls[i];
        }
        r->n_syscalls = k;

        if (!member(L, rule, "names", &names))
                return;
        for (size_t i = 0; i < r->n_syscalls; i++) {
                const SrdSyscallInfo *info = srd_syscall_info(r->syscalls[i]);
                _cleanup_(val_done) Val v = {};
                const char *name;

                if (info && info->n_paths > 0)
                        continue;
                name = srd_syscall_name(r->syscalls[i]);
                /* Point at the entry that named it. */
                for (size_t j = 0; j < json_object_array_length(names.o); j++) {
                        json_object *e = json_object_array_get_idx(names.o, j);

                        if (json_object_is_type(e, json_type_string) && name &&
                            streq(json_object_get_string(e), name)) {
                                element(L, &names, j, &v);
                                break;
                        }
                }
                if (!v.where)
                        element(L, &names, 0, &v);
                fail(L, &v, "syscall \"%s\" has no path argument, %s", name ? name : "?", why);
        }
        val_done(&names);
}

static void parse_to(Loader *L, const Val *rule, SrdRule *r, const Val *to) {
        char probe[SRD_PATH_MAX * 2 + 16], buf[SRD_PATH_MAX + 1];
        size_t n = 0;
        bool placeholders = false;
        const char *s;
        int k;

        if (!get_string(L, to, "a path or a template with {path}, {suffix} or {id}", &s))
                return;

        /* Render with stand-ins, so the literal parts can be checked now. */
        for (const char *p = s; *p; p++) {
                const char *stand_in = NULL;

                if (*p == '{') {
                        const char *end = strchr(p, '}');
                        size_t len = end ? (size_t) (end - p - 1) : 0;

                        if (end && len == 4 && strncmp(p + 1, "path", 4) == 0) {
                                if (r->path_kind == SRD_PATH_NONE) {
                                        fail(L, to, "{path} needs a \"path\" condition on the rule");
                                        return;
                                }
                                stand_in = "/p";
                        } else if (end && len == 2 && strncmp(p + 1, "id", 2) == 0) {
                                /* One path component of [A-Za-z0-9_.-], checked when rendered. */
                                stand_in = "i";
                        } else if (end && len == 6 && strncmp(p + 1, "suffix", 6) == 0) {
                                if (r->path_kind != SRD_PATH_PREFIX) {
                                        fail(L, to,
                                             "{suffix} needs a \"prefix\" path condition on the rule");
                                        return;
                                }
                                stand_in = "s";
                        } else if (end) {
                                _cleanup_free_ char *q = srd_quote(p, len + 2, 32);

                                fail(L, to,
                                     "unknown placeholder %s in redirect target (use {path}, {suffix} or {id})",
                                     q ? q : "");
                                return;
                        } else {
                                fail(L, to, "unmatched '{' in redirect target");
                                return;
                        }
                        placeholders = true;
                        p = end;
                } else if (*p == '}') {
                        fail(L, to, "unmatched '}' in redirect target");
                        return;
                }
                if (n + (stand_in ? strlen(stand_in) : 1) >= sizeof probe) {
                        fail(L, to, "redirect target longer than %d bytes", SRD_PATH_MAX);
                        return;
                }
                if (stand_in)
                        n = stpcpy(probe + n, stand_in) - probe;
                else
                        probe[n++] = *p;
        }
        probe[n] = '\0';

        if (probe[0] != '/') {
                _cleanup_free_ char *q = quoted(L, s);

                fail(L, to, "redirect target %s is not an absolute path", q);
                return;
        }
        for (const char *p = probe; (p = strstr(p, "..")); p += 2)
                if ((p == probe || p[-1] == '/') && (p[2] == '/' || p[2] == '\0')) {
                        fail(L, to, "redirect target must not contain \"..\"");
                        return;
                }
        if (n > SRD_PATH_MAX) {
                fail(L, to, "redirect target longer than %d bytes", SRD_PATH_MAX);
                return;
        }

        if (!placeholders) {
                k = srd_path_normalize(s, buf, sizeof buf);
                if (k >= 0)
                        k = srd_redirect_target_validate(buf);
                if (k < 0) {
                        _cleanup_free_ char *q = quoted(L, s);

                        fail(L, to, "invalid redirect target %s: %s", q, strerror(-k));
                        return;
                }
                s = buf;
        }
        r->to_is_static = !placeholders;
        r->to = strdup(s);
        if (!r->to)
                L->error = -ENOMEM;
}

static void parse_rule(Loader *L, const Val *rule, size_t i, SrdRule *r) {
        _cleanup_(val_done) Val name = {}, desc = {}, action = {}, to = {}, set = {}, log = {};
        const SrdJsonNode *node = srd_json_pos_node(L->pos, rule->node);
        bool have_action = false;
        const char *s;

        r->action = _SRD_ACTION_INVALID;
        if (node) {
                r->line = node->line;
                r->column = node->column;
        }
        if (!expect_type(L, rule, json_type_object, "a rule object"))
                goto default_name;
        check_keys(L, rule, rule_keys, ELEMENTSOF(rule_keys));

        if (member(L, rule, "name", &name) && get_identifier(L, &name, "rule name", &s)) {
                r->name = strdup(s);
                if (!r->name)
                        L->error = -ENOMEM;
        }
        if (member(L, rule, "description", &desc))
                (void) expect_type(L, &desc, json_type_string, "a string");

        parse_names(L, rule, r);
        parse_path(L, rule, r);
        if (r->path_kind != SRD_PATH_NONE)
                check_path_syscalls(L, rule, r, "so the path condition never matches it");
        parse_args(L, rule, r);

        if (require(L, rule, "action", rule_keys, ELEMENTSOF(rule_keys), &action))
                have_action = get_action(L, &action, &r->action);
        action_errno(L, rule, "errno", have_action, r->action, "action", 0, &r->error);

        if (member(L, rule, "to", &to)) {
                if (have_action && r->action != SRD_ACTION_REDIRECT)
                        fail_key(L, &to, "\"to\" only applies when \"action\" is \"redirect\"");
                else if (have_action) {
                        parse_to(L, rule, r, &to);
                        if (r->path_kind == SRD_PATH_NONE)
                                check_path_syscalls(L, rule, r, "so \"to\" has nothing to rewrite");
                }
        }
        if (member(L, rule, "set", &set)) {
                if (have_action && r->action != SRD_ACTION_REDIRECT)
                        fail_key(L, &set, "\"set\" only applies when \"action\" is \"redirect\"");
                else if (have_action)
                        parse_set(L, &set, r);
        }
        if (have_action && r->action == SRD_ACTION_REDIRECT && !to.o && !set.o)
                fail(L, &action, "a redirect needs \"to\" (a new path) and/or \"set\" (argument rewrites)");

        if (member(L, rule, "log", &log) && expect_type(L, &log, json_type_boolean, "true or false"))
                r->log = json_object_get_boolean(log.o);

default_name:
        if (!r->name && asprintf(&r->name, "rules[%zu]", i) < 0) {
                r->name = NULL;
                L->error = -ENOMEM;
        }
}

typedef struct NameRef {
        const char *name;
        size_t rule;
} NameRef;

static int name_ref_cmp(const void *a, const void *b) {
        const NameRef *x = a, *y = b;
        int c = strcmp(x->name, y->name);

        if (c != 0)
                return c;
        return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* Rule names are unique: sort instead of comparing all pairs (10,000 rules load in milliseconds). */
static void check_rule_names(Loader *L, const Val *rules) {
        SrdPolicy *p = L->policy;
        _cleanup_free_ NameRef *refs = calloc(MAX(p->n_rules, (size_t) 1), sizeof(NameRef));

        if (!refs) {
                L->error = -ENOMEM;
                return;
        }
        for (size_t i = 0; i < p->n_rules; i++)
                refs[i] = (NameRef){p->rules[i].name ? p->rules[i].name : "", i};
        qsort(refs, p->n_rules, sizeof(NameRef), name_ref_cmp);
        for (size_t i = 1; i < p->n_rules; i++) {
                _cleanup_(val_done) Val rule = {}, name = {};
                const SrdRule *first;

                if (!streq(refs[i].name, refs[i - 1].name) || refs[i].name[0] == '\0')
                        continue;
                /* Find the first rule of this run of equal names. */
                size_t j = i - 1;
                while (j > 0 && streq(refs[j - 1].name, refs[i].name))
                        j--;
                first = &p->rules[refs[j].rule];
                element(L, rules, refs[i].rule, &rule);
                if (!member(L, &rule, "name", &name))
                        continue;
                fail(L, &name, "duplicate rule name \"%s\" (already used by rules[%zu] at %u:%u)",
                     refs[i].name, refs[j].rule, first->line, first->column);
        }
}

static void parse_root(Loader *L, const Val *root) {
        _cleanup_(val_done) Val version = {}, name = {}, desc = {}, def = {}, fallback = {}, rules = {};
        SrdPolicy *p = L->policy;
        bool have_default = false;
        const char *s;
        uint64_t v;

        /* Some other JSON file (a schema, a package.json): one line says it, not one per key. */
        bool known = false;
        json_object_object_foreach(root->o, key, value) {
                (void) value;
                known = known ||
                        (!streq(key, "description") && srd_suggest(key, root_keys, ELEMENTSOF(root_keys)));
        }
        if (!known) {
                fail(L, root,
                     "not a seccomp-redirectd policy: expected an object with \"version\", \"name\", "
                     "\"defaultAction\" and \"rules\"");
                return;
        }

        /* Another version may mean other keys: report only the version then. */
        if (require(L, root, "version", root_keys, ELEMENTSOF(root_keys), &version) &&
            get_u64(L, &version, &v) && v != 1) {
                fail(L, &version, "unsupported version %" PRIu64 " (this loader reads version 1)", v);
                return;
        }
        check_keys(L, root, root_keys, ELEMENTSOF(root_keys));

        if (require(L, root, "name", root_keys, ELEMENTSOF(root_keys), &name) &&
            get_identifier(L, &name, "policy name", &s)) {
                p->name = strdup(s);
                if (!p->name)
                        L->error = -ENOMEM;
        }
        if (member(L, root, "description", &desc))
                (void) expect_type(L, &desc, json_type_string, "a string");

        if (require(L, root, "defaultAction", root_keys, ELEMENTSOF(root_keys), &def))
                have_default = get_plain_action(L, &def, "the default action", &p->default_action);
        if (have_default)
                warn_default(L, &def);
        action_errno(L, root, "defaultErrno", have_default, p->default_action, "defaultAction", 0,
                     &p->default_error);

        p->fallback_action = SRD_ACTION_ERRNO;
        p->fallback_error = EPERM;
        if (member(L, root, "redirectFallback", &fallback) &&
            expect_type(L, &fallback, json_type_object, "an object with \"action\" and \"errno\"")) {
                _cleanup_(val_done) Val a = {};
                bool have = false;

                check_keys(L, &fallback, fallback_keys, ELEMENTSOF(fallback_keys));
                if (require(L, &fallback, "action", fallback_keys, ELEMENTSOF(fallback_keys), &a))
                        have = get_plain_action(L, &a, "the fallback of a redirect", &p->fallback_action);
                action_errno(L, &fallback, "errno", have, p->fallback_action, "action", EPERM,
                             &p->fallback_error);
        }

        parse_path_error(L, root);

        if (!require(L, root, "rules", root_keys, ELEMENTSOF(root_keys), &rules) ||
            !expect_type(L, &rules, json_type_array, "an array of rules"))
                return;
        p->n_rules = json_object_array_length(rules.o);
        p->rules = calloc(MAX(p->n_rules, (size_t) 1), sizeof(SrdRule));
        if (!p->rules) {
                p->n_rules = 0;
                L->error = -ENOMEM;
                return;
        }
        for (size_t i = 0; i < p->n_rules && L->error == 0; i++) {
                _cleanup_(val_done) Val rule = {};

                element(L, &rules, i, &rule);
                parse_rule(L, &rule, i, &p->rules[i]);
        }
        if (L->error == 0)
                check_rule_names(L, &rules);
        if (L->error == 0 && L->n_errors == 0) {
                warn_shadowed(L, &rules);
                warn_pathless(L, &rules);
        }
}

static void rule_done(SrdRule *r) {
        free(r->name);
        free(r->syscalls);
        free(r->groups);
        free(r->path);
        free(r->args);
        free(r->to);
        free(r->set);
}

static SrdPolicy *policy_free(SrdPolicy *p) {
        if (!p)
                return NULL;
        srd_matcher_free(p->matcher);
        for (size_t i = 0; i < p->n_rules; i++)
                rule_done(&p->rules[i]);
        free(p->rules);
        free(p->hits);
        free(p->path_rule_nrs);
        srd_diag_list_clear(&p->warnings);
        free(p->name);
        free(p->file);
        free(p);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(SrdPolicy *, policy_free);

static int diag_cmp(const void *a, const void *b) {
        const SrdDiag *x = a, *y = b;

        if (x->line != y->line)
                return x->line < y->line ? -1 : 1;
        return x->column < y->column ? -1 : x->column > y->column;
}

/* Show this load's diagnostics in file order, as a compiler would (the "too many" note stays last). */
static void sort_diags(SrdDiagList *l, size_t first) {
        size_t n;

        if (!l || l->n <= first)
                return;
        n = l->n - first;
        if (l->n > SRD_DIAG_MAX)
                n--;
        qsort(l->items + first, n, sizeof(SrdDiag), diag_cmp);
}

static int load(Loader *L, SrdPolicy **ret) {
        _cleanup_(srd_json_pos_freep) SrdJsonPos *pos = NULL;
        _cleanup_(policy_freep) SrdPolicy *p = NULL;
        json_tokener *tok = NULL;
        json_object *root = NULL;
        int r;

        r = srd_json_pos_scan(L->buf, L->len, L->file, &pos, L->diag);
        if (r < 0)
                return r;
        L->n_errors += (unsigned) r;
        L->pos = pos;

        /* json-c cannot even finish a bare top-level number without a terminator: check the type here. */
        const SrdJsonNode *top = srd_json_pos_node(pos, 0);
        if (top && top->type != SRD_JSON_OBJECT) {
                static const char *const names[_SRD_JSON_TYPE_MAX] = {
                        [SRD_JSON_NULL] = "null",       [SRD_JSON_BOOLEAN] = "a boolean",
                        [SRD_JSON_NUMBER] = "a number", [SRD_JSON_STRING] = "a string",
                        [SRD_JSON_ARRAY] = "an array",  [SRD_JSON_OBJECT] = "an object",
                };

                fail_at(L, top->line, top->column, NULL,
                        "expected a JSON object (one policy per file), got %s",
                        top->type < _SRD_JSON_TYPE_MAX ? names[top->type] : "something else");
                return L->error < 0 ? L->error : -EINVAL;
        }

        /* The scanner is the stricter of the two; json-c failing after it is a json-c quirk, still reported.
         */
        tok = json_tokener_new_ex(SRD_JSON_MAX_DEPTH + 1);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        root = json_tokener_parse_ex(tok, L->buf, (int) L->len);
        if (!root) {
                unsigned line, column;

                srd_json_offset_to_line_col(L->buf, L->len, json_tokener_get_parse_end(tok), &line, &column);
                fail_at(L, line, column, NULL, "invalid JSON: %s",
                        json_tokener_error_desc(json_tokener_get_error(tok)));
                json_tokener_free(tok);
                return L->error < 0 ? L->error : -EINVAL;
        }
        json_tokener_free(tok);

        p = calloc(1, sizeof(SrdPolicy));
        if (!p) {
                json_object_put(root);
                return -ENOMEM;
        }
        p->n_ref = 1;
        L->policy = p;
        if (L->file) {
                p->file = strdup(L->file);
                if (!p->file)
                        L->error = -ENOMEM;
        }

        Val v = {.o = root, .node = 0};
        parse_root(L, &v);
        json_object_put(root);

        if (L->error < 0)
                return L->error;
        if (L->n_errors > 0)
                return -EINVAL;

        p->hits = calloc(p->n_rules + 1, sizeof(uint64_t));
        if (!p->hits)
                return -ENOMEM;
        r = srd_matcher_build(p);
        if (r < 0)
                return r;
        r = policy_index_path_rules(p);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(p);
        return 0;
}

_public_ int srd_policy_load_buffer(const char *buf, size_t len, const char *filename, SrdPolicy **ret,
                                    SrdDiagList *diag) {
        Loader L = {
                .file = filename,
                .buf = buf,
                .len = len,
                .diag = diag,
        };
        size_t first = diag ? diag->n : 0;
        int r;

        if (!ret || (!buf && len > 0))
                return -EINVAL;
        if (len > SRD_JSON_MAX_SIZE || len > INT_MAX) {
                r = srd_diag_append(diag, filename, 0, 0, NULL, "file too large (%zu bytes, at most %u)",
                                    len, SRD_JSON_MAX_SIZE);
                return r < 0 ? r : -EFBIG;
        }
        if (!buf)
                buf = L.buf = "";

        r = load(&L, ret);
        if (r >= 0)
                sort_diags(&(*ret)->warnings, 0);
        for (size_t i = 0; i < L.n_syscall_names; i++)
                free(L.syscall_names[i]);
        free(L.syscall_names);
        sort_diags(diag, first);
        return r;
}

_public_ int srd_policy_load_file(const char *path, SrdPolicy **ret, SrdDiagList *diag) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        struct stat st;
        int r;

        if (!path || !ret)
                return -EINVAL;

        /* O_NONBLOCK: a FIFO planted in the policy directory must not hang the daemon. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                r = negative_errno();
                goto fail;
        }
        if (fstat(fd, &st) < 0) {
                r = negative_errno();
                goto fail;
        }
        if (S_ISDIR(st.st_mode)) {
                r = -EISDIR;
                goto fail;
        }
        if (!S_ISREG(st.st_mode)) {
                r = srd_diag_append(diag, path, 0, 0, NULL, "not a regular file");
                return r < 0 ? r : -EINVAL;
        }
        if (st.st_size > (off_t) SRD_JSON_MAX_SIZE) {
                r = srd_diag_append(diag, path, 0, 0, NULL, "file too large (%jd bytes, at most %u)",
                                    (intmax_t) st.st_size, SRD_JSON_MAX_SIZE);
                return r < 0 ? r : -EFBIG;
        }

        /* Read up to one byte past the limit: the file may grow after fstat(). */
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        for (size_t cap = (size_t) st.st_size + 1;;) {
                ssize_t k;

                if (len == cap) {
                        char *b;

                        if (cap > SRD_JSON_MAX_SIZE) {
                                r = srd_diag_append(diag, path, 0, 0, NULL,
                                                    "file too large (at most %u bytes)", SRD_JSON_MAX_SIZE);
                                return r < 0 ? r : -EFBIG;
                        }
                        cap = MIN(cap * 2, (size_t) SRD_JSON_MAX_SIZE + 1);
                        b = realloc(buf, cap);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                }
                k = read(fd, buf + len, cap - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = negative_errno();
                        goto fail;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }

        return srd_policy_load_buffer(buf, len, path, ret, diag);

fail:
        if (srd_diag_append(diag, path, 0, 0, NULL, "cannot read policy: %s", strerror(-r)) < 0)
                return -ENOMEM;
        return r;
}

_public_ SrdPolicy *srd_policy_ref(SrdPolicy *p) {
        /* Atomic: a daemon thread per listener holds references too. */
        if (p)
                __atomic_add_fetch(&p->n_ref, 1, __ATOMIC_RELAXED);
        return p;
}

_public_ SrdPolicy *srd_policy_unref(SrdPolicy *p) {
        if (!p)
                return NULL;
        if (__atomic_sub_fetch(&p->n_ref, 1, __ATOMIC_ACQ_REL) > 0)
                return NULL;
        return policy_free(p);
}

_public_ const char *srd_policy_name(const SrdPolicy *p) {
        return p ? p->name : NULL;
}

_public_ const char *srd_policy_file(const SrdPolicy *p) {
        return p ? p->file : NULL;
}

_public_ size_t srd_policy_n_rules(const SrdPolicy *p) {
        return p ? p->n_rules : 0;
}

_public_ const char *srd_policy_rule_name(const SrdPolicy *p, size_t rule) {
        if (!p || rule >= p->n_rules)
                return NULL;
        return p->rules[rule].name;
}

_public_ const SrdDiagList *srd_policy_warnings(const SrdPolicy *p) {
        return p ? &p->warnings : NULL;
}

_public_ const char *srd_policy_rule_group(const SrdPolicy *p, size_t rule, int nr) {
        const SrdRule *r;

        if (!p || rule >= p->n_rules)
                return NULL;
        r = &p->rules[rule];
        for (size_t i = 0; r->groups && i < r->n_syscalls; i++)
                if (r->syscalls[i] == nr)
                        return r->groups[i];
        return NULL;
}

_public_ void srd_policy_redirect_fallback(const SrdPolicy *p, SrdAction *ret_action, int *ret_error) {
        if (ret_action)
                *ret_action = p ? p->fallback_action : SRD_ACTION_ERRNO;
        if (ret_error)
                *ret_error = p && p->fallback_action == SRD_ACTION_ERRNO ? p->fallback_error : p ? 0 : EPERM;
}

static uint64_t *hit_slot(const SrdPolicy *p, int rule) {
        if (!p || !p->hits)
                return NULL;
        if (rule == -1)
                return &p->hits[p->n_rules];
        if (rule < 0 || (size_t) rule >= p->n_rules)
                return NULL;
        return &p->hits[rule];
}

_public_ void srd_policy_count_hit(SrdPolicy *p, int rule) {
        uint64_t *h = hit_slot(p, rule);

        /* Relaxed atomics: counters may be bumped from several listener threads. */
        if (h)
                __atomic_fetch_add(h, 1, __ATOMIC_RELAXED);
}

_public_ uint64_t srd_policy_hits(const SrdPolicy *p, int rule) {
        uint64_t *h = hit_slot(p, rule);

        return h ? __atomic_load_n(h, __ATOMIC_RELAXED) : 0;
}

static int int_cmp(const void *a, const void *b) {
        int x = *(const int *) a, y = *(const int *) b;

        return x < y ? -1 : x > y;
}

_public_ int srd_policy_syscalls(const SrdPolicy *p, int **ret_nrs, size_t *ret_n) {
        _cleanup_free_ int *nrs = NULL;
        size_t n = 0, total = 0;

        if (!p || !ret_nrs || !ret_n)
                return -EINVAL;
        for (size_t i = 0; i < p->n_rules; i++)
                total += p->rules[i].n_syscalls;
        nrs = malloc(MAX(total, (size_t) 1) * sizeof(int));
        if (!nrs)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_rules; i++)
                for (size_t j = 0; j < p->rules[i].n_syscalls; j++)
                        nrs[n++] = p->rules[i].syscalls[j];
        qsort(nrs, n, sizeof(int), int_cmp);

        /* Drop duplicates: several rules usually name openat. */
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (k == 0 || nrs[k - 1] != nrs[i])
                        nrs[k++] = nrs[i];

        *ret_nrs = TAKE_PTR(nrs);
        *ret_n = k;
        return 0;
}
