/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The matcher against policies built by hand (no loader involved), and the
 * index against a plain linear reference on random rule sets.
 */

#include <fcntl.h>
#include <stdarg.h>

#include "policy-internal.h"
#include "seccomp-redirect.h"
#include "tests.h"

static int NR_OPENAT, NR_OPEN, NR_MKDIR, NR_RENAMEAT2, NR_SOCKET, NR_READ;

static void resolve_numbers(void) {
        NR_OPENAT = srd_syscall_resolve("openat");
        NR_OPEN = srd_syscall_resolve("open");
        NR_MKDIR = srd_syscall_resolve("mkdir");
        NR_RENAMEAT2 = srd_syscall_resolve("renameat2");
        NR_SOCKET = srd_syscall_resolve("socket");
        NR_READ = srd_syscall_resolve("read");
}

static SrdPolicy *policy_new(SrdAction default_action, int default_error) {
        SrdPolicy *p = calloc(1, sizeof(SrdPolicy));

        if (!p)
                abort();
        resolve_numbers();
        p->n_ref = 1;
        p->name = strdup("test");
        p->default_action = default_action;
        p->default_error = default_error;
        p->fallback_action = SRD_ACTION_ERRNO;
        p->fallback_error = EPERM;
        return p;
}

static void policy_free(SrdPolicy *p) {
        if (!p)
                return;
        for (size_t i = 0; i < p->n_rules; i++) {
                SrdRule *r = &p->rules[i];

                free(r->name);
                free(r->syscalls);
                free(r->path);
                free(r->args);
                free(r->to);
                free(r->set);
        }
        free(p->rules);
        free(p->name);
        srd_matcher_free(p->matcher);
        free(p);
}

/* Syscall numbers end with -1. */
static SrdRule *rule_add(SrdPolicy *p, SrdPathKind kind, const char *path, SrdAction action, ...) {
        SrdRule *r;
        va_list ap;
        int nr;

        p->rules = realloc(p->rules, (p->n_rules + 1) * sizeof(SrdRule));
        if (!p->rules)
                abort();
        r = &p->rules[p->n_rules++];
        *r = (SrdRule) { .path_kind = kind, .path = path ? strdup(path) : NULL, .action = action };
        if (asprintf(&r->name, "rules[%zu]", p->n_rules - 1) < 0)
                abort();
        va_start(ap, action);
        while ((nr = va_arg(ap, int)) != -1) {
                r->syscalls = realloc(r->syscalls, (r->n_syscalls + 1) * sizeof(int));
                r->syscalls[r->n_syscalls++] = nr;
        }
        va_end(ap);
        return r;
}

static void rule_arg(SrdRule *r, unsigned index, SrdCmp op, uint64_t value, uint64_t value_two) {
        r->args = realloc(r->args, (r->n_args + 1) * sizeof(SrdArgCond));
        r->args[r->n_args++] = (SrdArgCond) { index, op, value, value_two };
}

static void rule_set(SrdRule *r, unsigned index, uint64_t value, uint64_t mask) {
        r->set = realloc(r->set, (r->n_set + 1) * sizeof(SrdArgSet));
        r->set[r->n_set++] = (SrdArgSet) { index, value, mask };
}

static void rule_to(SrdRule *r, const char *to) {
        r->to = strdup(to);
        r->to_is_static = !strchr(to, '{');
}

static SrdSyscall sc_path(int nr, const char *path, uint64_t a2) {
        SrdSyscall sc = { .nr = nr, .args = { (uint64_t) AT_FDCWD, 0x1000, a2 } };

        sc.paths[0] = path;
        return sc;
}

static SrdVerdict verdict;

/* The demo policy, by hand. */
static SrdPolicy *demo_policy(void) {
        SrdPolicy *p = policy_new(SRD_ACTION_CONTINUE, 0);
        SrdRule *r;

        r = rule_add(p, SRD_PATH_EXACT, "/etc/hosts", SRD_ACTION_REDIRECT, NR_OPEN, NR_OPENAT,
                     srd_syscall_resolve("openat2"), -1);
        rule_to(r, "/sandbox/etc/hosts");
        r = rule_add(p, SRD_PATH_PREFIX, "/etc/secrets/", SRD_ACTION_REDIRECT, NR_OPENAT,
                     srd_syscall_resolve("newfstatat"), srd_syscall_resolve("statx"), -1);
        rule_to(r, "/sandbox/secrets/{suffix}");
        r = rule_add(p, SRD_PATH_GLOB, "/tmp/forbidden*", SRD_ACTION_ERRNO, NR_MKDIR,
                     srd_syscall_resolve("mkdirat"), -1);
        r->error = EACCES;
        r->log = true;
        r = rule_add(p, SRD_PATH_PREFIX, "/usr/", SRD_ACTION_CONTINUE, NR_OPENAT, -1);
        rule_arg(r, 2, SRD_CMP_MASKED_EQ, 3, 0);
        r = rule_add(p, SRD_PATH_PREFIX, "/usr/", SRD_ACTION_ERRNO, NR_OPENAT, -1);
        r->error = EROFS;
        r = rule_add(p, SRD_PATH_NONE, NULL, SRD_ACTION_ERRNO, NR_SOCKET, -1);
        rule_arg(r, 0, SRD_CMP_EQ, 17, 0);
        r->error = EAFNOSUPPORT;
        r = rule_add(p, SRD_PATH_EXACT, "/etc/motd", SRD_ACTION_REDIRECT, NR_OPENAT, -1);
        rule_set(r, 2, 0, 3);
        if (srd_matcher_build(p) < 0)
                abort();
        return p;
}

TEST(demo_policy) {
        SrdPolicy *p = demo_policy();
        SrdSyscall sc;

        sc = sc_path(NR_OPENAT, "/etc/hosts", O_RDONLY);
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.action, SRD_ACTION_REDIRECT);
        ASSERT_EQ(verdict.rule, 0);
        ASSERT_EQ(verdict.path_mask, 1);
        ASSERT_STREQ(verdict.to[0], "/sandbox/etc/hosts");
        ASSERT_EQ(verdict.args_mask, 0);

        sc = sc_path(NR_OPENAT, "/etc/secrets/db", O_RDONLY);
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, 1);
        ASSERT_STREQ(verdict.to[0], "/sandbox/secrets/db");

        sc = sc_path(NR_OPENAT, "/etc/secrets/a/b", O_RDONLY);
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_STREQ(verdict.to[0], "/sandbox/secrets/a/b");

        /* normalized paths have no trailing slash: the directory itself is not under the prefix */
        sc = sc_path(NR_OPENAT, "/etc/secrets", O_RDONLY);
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, -1);
        ASSERT_EQ(verdict.action, SRD_ACTION_CONTINUE);

        sc = sc_path(NR_MKDIR, "/tmp/forbidden-zone", 0755);
        sc.args[0] = 0x1000;
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, 2);
        ASSERT_EQ(verdict.action, SRD_ACTION_ERRNO);
        ASSERT_EQ(verdict.error, EACCES);
        ASSERT_TRUE(verdict.log);

        sc = sc_path(NR_MKDIR, "/tmp/forbidden/sub", 0755);
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, -1);
        ASSERT_FALSE(verdict.log);

        sc = sc_path(NR_OPENAT, "/usr/lib/libc.so.6", O_RDONLY);
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, 3);
        ASSERT_EQ(verdict.action, SRD_ACTION_CONTINUE);

        sc = sc_path(NR_OPENAT, "/usr/lib/libc.so.6", O_RDWR);
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, 4);
        ASSERT_EQ(verdict.error, EROFS);

        sc = sc_path(NR_OPENAT, "/usr/lib/libc.so.6", O_WRONLY | O_CREAT);
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, 4);

        sc = (SrdSyscall) { .nr = NR_SOCKET, .args = { 17, 3, 0 } };
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, 5);
        ASSERT_EQ(verdict.error, EAFNOSUPPORT);

        sc = (SrdSyscall) { .nr = NR_SOCKET, .args = { 2, 1, 0 } };
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, -1);

        sc = sc_path(NR_OPENAT, "/etc/motd", O_RDWR | O_APPEND);
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, 6);
        ASSERT_EQ(verdict.action, SRD_ACTION_REDIRECT);
        ASSERT_EQ(verdict.path_mask, 0);
        ASSERT_EQ(verdict.args_mask, 1U << 2);
        ASSERT_EQ(verdict.args[2], O_RDONLY | O_APPEND);
        ASSERT_EQ(verdict.args[1], 0x1000);

        /* a syscall the policy does not name */
        sc = sc_path(NR_READ, "/etc/hosts", 0);
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, -1);

        /* the path could not be read: path rules cannot match */
        sc = sc_path(NR_OPENAT, NULL, O_RDONLY);
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, -1);

        policy_free(p);
}

TEST(first_match_in_file_order) {
        SrdPolicy *p = policy_new(SRD_ACTION_CONTINUE, 0);
        SrdSyscall sc = sc_path(0, "/etc/hosts", 0);

        rule_add(p, SRD_PATH_GLOB, "/etc/*", SRD_ACTION_ERRNO, NR_OPENAT, -1)->error = EPERM;
        rule_add(p, SRD_PATH_PREFIX, "/etc/", SRD_ACTION_ERRNO, NR_OPENAT, -1)->error = EACCES;
        rule_add(p, SRD_PATH_EXACT, "/etc/hosts", SRD_ACTION_KILL, NR_OPENAT, -1);
        rule_add(p, SRD_PATH_NONE, NULL, SRD_ACTION_ERRNO, NR_OPENAT, -1)->error = ENOENT;
        ASSERT_OK(srd_matcher_build(p));
        sc.nr = NR_OPENAT;

        for (size_t first = 0; first < 4; first++) {
                /* shift the rules so each one comes first in turn */
                if (first > 0) {
                        SrdRule t = p->rules[0];

                        memmove(p->rules, p->rules + 1, 3 * sizeof(SrdRule));
                        p->rules[3] = t;
                        ASSERT_OK(srd_matcher_build(p));
                }
                ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
                ASSERT_EQ(verdict.rule, 0);
                ASSERT_EQ(verdict.action, p->rules[0].action);
                ASSERT_EQ(verdict.error, p->rules[0].action == SRD_ACTION_ERRNO ? p->rules[0].error : 0);
        }
        policy_free(p);
}

TEST(path_kinds) {
        SrdPolicy *p = policy_new(SRD_ACTION_ERRNO, ENOSYS);
        static const struct {
                const char *path;
                int rule;
        } cases[] = {
                { "/data/exact", 0 },
                { "/data/exact2", 2 },  /* prefix "/data/exact" is not rule 0 */
                { "/data/exactly", 2 }, /* but rule 2's prefix "/data/ex" */
                { "/data/ex", 2 },
                { "/data/e", -1 },
                { "/data", -1 },
                { "/srv/a/log/x.log", 3 },
                { "/srv/a/log/x.txt", -1 },
                { "/srv/a/b/log/x.log", -1 },
                { "/var/cache/x/y/z.tmp", 4 },
                { "/var/cache/z.tmp", 4 },
                { "/var/cache", -1 },
                { "/", 5 },
                { "/anything", 1 },
                { "/dev/tty1", 6 },
                { "/dev/ttyS", -1 },
        };
        SrdRule *r;

        rule_add(p, SRD_PATH_EXACT, "/data/exact", SRD_ACTION_CONTINUE, NR_OPENAT, -1);
        rule_add(p, SRD_PATH_GLOB, "/anything", SRD_ACTION_CONTINUE, NR_OPENAT, -1);
        rule_add(p, SRD_PATH_PREFIX, "/data/ex", SRD_ACTION_CONTINUE, NR_OPENAT, -1);
        rule_add(p, SRD_PATH_GLOB, "/srv/*/log/*.log", SRD_ACTION_CONTINUE, NR_OPENAT, -1);
        rule_add(p, SRD_PATH_GLOB, "/var/cache/**.tmp", SRD_ACTION_CONTINUE, NR_OPENAT, -1);
        rule_add(p, SRD_PATH_EXACT, "/", SRD_ACTION_CONTINUE, NR_OPENAT, -1);
        r = rule_add(p, SRD_PATH_GLOB, "/dev/tty[0-9]", SRD_ACTION_CONTINUE, NR_OPENAT, -1);
        ASSERT_OK(srd_matcher_build(p));
        (void) r;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                SrdSyscall sc = sc_path(NR_OPENAT, cases[i].path, 0);

                ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
                if (verdict.rule != cases[i].rule)
                        TEST_FAIL_("%s: rule %d, want %d", cases[i].path, verdict.rule, cases[i].rule);
                if (verdict.rule < 0) {
                        ASSERT_EQ(verdict.action, SRD_ACTION_ERRNO);
                        ASSERT_EQ(verdict.error, ENOSYS);
                }
        }
        policy_free(p);
}

TEST(arg_operators) {
        static const struct {
                SrdCmp op;
                uint64_t value, value_two, arg;
                bool match;
        } cases[] = {
                { SRD_CMP_NE, 5, 0, 4, true },
                { SRD_CMP_NE, 5, 0, 5, false },
                { SRD_CMP_LT, 5, 0, 4, true },
                { SRD_CMP_LT, 5, 0, 5, false },
                { SRD_CMP_LE, 5, 0, 5, true },
                { SRD_CMP_LE, 5, 0, 6, false },
                { SRD_CMP_EQ, 5, 0, 5, true },
                { SRD_CMP_EQ, 5, 0, 6, false },
                { SRD_CMP_GE, 5, 0, 5, true },
                { SRD_CMP_GE, 5, 0, 4, false },
                { SRD_CMP_GT, 5, 0, 6, true },
                { SRD_CMP_GT, 5, 0, 5, false },
                /* unsigned 64-bit comparisons, like the kernel's */
                { SRD_CMP_GT, 5, 0, UINT64_MAX, true },
                { SRD_CMP_LT, 5, 0, (uint64_t) -1, false },
                { SRD_CMP_EQ, UINT64_MAX, 0, UINT64_MAX, true },
                { SRD_CMP_MASKED_EQ, 3, 0, O_RDONLY, true },
                { SRD_CMP_MASKED_EQ, 3, 0, O_RDONLY | O_CLOEXEC, true },
                { SRD_CMP_MASKED_EQ, 3, 0, O_WRONLY, false },
                { SRD_CMP_MASKED_EQ, 3, 0, O_RDWR, false },
                { SRD_CMP_MASKED_EQ, 0xf0, 0x30, 0x3f, true },
                { SRD_CMP_MASKED_EQ, 0xf0, 0x30, 0x4f, false },
                { SRD_CMP_MASKED_EQ, 0, 0, 12345, true },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                SrdPolicy *p = policy_new(SRD_ACTION_CONTINUE, 0);
                SrdSyscall sc = { .nr = 0 };

                for (unsigned idx = 0; idx < SRD_ARGS; idx += 5) {
                        SrdRule *r = rule_add(p, SRD_PATH_NONE, NULL, SRD_ACTION_KILL, NR_SOCKET, -1);

                        rule_arg(r, idx, cases[i].op, cases[i].value, cases[i].value_two);
                }
                ASSERT_OK(srd_matcher_build(p));
                sc.nr = NR_SOCKET;

                /* the condition on arg 0 (rule 0) and the same one on arg 5 (rule 1) */
                sc.args[0] = cases[i].arg;
                sc.args[5] = ~cases[i].arg;
                ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
                if ((verdict.rule == 0) != cases[i].match)
                        TEST_FAIL_("case %zu: rule %d", i, verdict.rule);
                sc.args[0] = ~cases[i].arg;
                sc.args[5] = cases[i].arg;
                ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
                if (cases[i].match && verdict.rule != 0 && verdict.rule != 1)
                        TEST_FAIL_("case %zu arg 5: rule %d", i, verdict.rule);
                policy_free(p);
        }
}

TEST(all_arg_conditions_must_hold) {
        SrdPolicy *p = policy_new(SRD_ACTION_CONTINUE, 0);
        SrdRule *r = rule_add(p, SRD_PATH_PREFIX, "/x/", SRD_ACTION_KILL, NR_OPENAT, -1);
        SrdSyscall sc = sc_path(NR_OPENAT, "/x/y", O_WRONLY);

        rule_arg(r, 2, SRD_CMP_MASKED_EQ, O_ACCMODE, O_WRONLY);
        rule_arg(r, 3, SRD_CMP_GE, 0600, 0);
        rule_add(p, SRD_PATH_PREFIX, "/x/", SRD_ACTION_ERRNO, NR_OPENAT, -1)->error = EPERM;
        ASSERT_OK(srd_matcher_build(p));

        sc.args[3] = 0644;
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, 0);
        sc.args[3] = 0400;
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, 1);
        sc.args[3] = 0644;
        sc.args[2] = O_RDWR;
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, 1);
        policy_free(p);
}

TEST(set_rewrites) {
        SrdPolicy *p = policy_new(SRD_ACTION_CONTINUE, 0);
        SrdRule *r = rule_add(p, SRD_PATH_NONE, NULL, SRD_ACTION_REDIRECT, NR_SOCKET, -1);
        SrdSyscall sc = { .nr = NR_SOCKET, .args = { 17, 0xffff, 7, 9, 10, 11 } };

        rule_set(r, 0, 2, UINT64_MAX);
        rule_set(r, 1, 0x0a0, 0x0f0);
        rule_set(r, 1, 0x001, 0x001); /* a second set on the same argument applies on top */
        ASSERT_OK(srd_matcher_build(p));

        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.action, SRD_ACTION_REDIRECT);
        ASSERT_EQ(verdict.rule, 0);
        ASSERT_EQ(verdict.args_mask, 0x3);
        ASSERT_EQ(verdict.args[0], 2);
        ASSERT_EQ(verdict.args[1], 0xffaf);
        ASSERT_EQ(verdict.args[2], 7);
        ASSERT_EQ(verdict.args[5], 11);
        /* socket has no path argument */
        ASSERT_EQ(verdict.path_mask, 0);
        policy_free(p);
}

TEST(templates) {
        SrdPolicy *p = policy_new(SRD_ACTION_CONTINUE, 0);
        SrdRule *r;
        SrdSyscall sc;

        r = rule_add(p, SRD_PATH_PREFIX, "/etc/secrets/", SRD_ACTION_REDIRECT, NR_OPENAT, NR_RENAMEAT2, -1);
        rule_to(r, "/sandbox/{suffix}");
        r = rule_add(p, SRD_PATH_GLOB, "/home/*/.ssh/**", SRD_ACTION_REDIRECT, NR_OPENAT, NR_RENAMEAT2, -1);
        rule_to(r, "/jail/{path}/");
        r = rule_add(p, SRD_PATH_PREFIX, "/rel/", SRD_ACTION_REDIRECT, NR_OPENAT, -1);
        rule_to(r, "{suffix}");
        r = rule_add(p, SRD_PATH_PREFIX, "/long/", SRD_ACTION_REDIRECT, NR_OPENAT, -1);
        rule_to(r, "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/{path}");
        r = rule_add(p, SRD_PATH_NONE, NULL, SRD_ACTION_REDIRECT, NR_OPEN, -1);
        rule_to(r, "/dev/null");
        r = rule_add(p, SRD_PATH_EXACT, "/up", SRD_ACTION_REDIRECT, NR_MKDIR, -1);
        rule_to(r, "/a/{path}/../b");
        ASSERT_OK(srd_matcher_build(p));

        sc = sc_path(NR_OPENAT, "/etc/secrets/db", 0);
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_STREQ(verdict.to[0], "/sandbox/db");

        /* the prefix itself leaves an empty suffix */
        sc = sc_path(NR_OPENAT, "/etc/secrets/", 0);
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_STREQ(verdict.to[0], "/sandbox");

        sc = sc_path(NR_OPENAT, "/home/u/.ssh/id_rsa", 0);
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, 1);
        ASSERT_STREQ(verdict.to[0], "/jail/home/u/.ssh/id_rsa");

        /* both paths of a rename, each rewritten by the rule it matched */
        sc = (SrdSyscall) { .nr = NR_RENAMEAT2, .paths = { "/etc/secrets/a", "/etc/secrets/b" } };
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, 0);
        ASSERT_EQ(verdict.path_mask, 3);
        ASSERT_STREQ(verdict.to[0], "/sandbox/a");
        ASSERT_STREQ(verdict.to[1], "/sandbox/b");

        /* only the second path matches: only it is rewritten */
        sc = (SrdSyscall) { .nr = NR_RENAMEAT2, .paths = { "/tmp/a", "/etc/secrets/b" } };
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, 0);
        ASSERT_EQ(verdict.path_mask, 2);
        ASSERT_STREQ(verdict.to[0], "");
        ASSERT_STREQ(verdict.to[1], "/sandbox/b");

        /* relative result */
        sc = sc_path(NR_OPENAT, "/rel/x", 0);
        ASSERT_ERROR(srd_policy_evaluate(p, &sc, &verdict), EINVAL);
        ASSERT_EQ(verdict.rule, 2);
        ASSERT_EQ(verdict.action, SRD_ACTION_REDIRECT);

        /* ".." in the template */
        sc = sc_path(NR_MKDIR, "/up", 0);
        ASSERT_ERROR(srd_policy_evaluate(p, &sc, &verdict), EINVAL);

        /* too long once rendered */
        {
                char longpath[SRD_PATH_MAX + 1];

                memset(longpath, 'x', sizeof(longpath));
                memcpy(longpath, "/long/", 6);
                longpath[SRD_PATH_MAX - 10] = '\0';
                sc = sc_path(NR_OPENAT, longpath, 0);
                ASSERT_ERROR(srd_policy_evaluate(p, &sc, &verdict), ENAMETOOLONG);
                longpath[SRD_PATH_MAX - 60] = '\0';
                ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
                ASSERT_EQ(strlen(verdict.to[0]), SRD_PATH_MAX - 60 + 56);
        }

        /* no path condition: path 0 is rewritten */
        sc = sc_path(NR_OPEN, "/anything", 0);
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, 4);
        ASSERT_EQ(verdict.path_mask, 1);
        ASSERT_STREQ(verdict.to[0], "/dev/null");

        policy_free(p);
}

TEST(template_render_and_validate) {
        SrdRule prefix = {
                .path_kind = SRD_PATH_PREFIX,
                .path = (char *) "/p/",
                .to = (char *) "/t/{suffix}",
        };
        SrdRule exact = { .path_kind = SRD_PATH_EXACT, .path = (char *) "/p", .to = (char *) "/t/{suffix}" };
        SrdRule plain = { .path_kind = SRD_PATH_EXACT, .path = (char *) "/p", .to = (char *) "/t//./x/{y}" };
        char buf[32];

        ASSERT_OK(srd_template_render(&prefix, "/p/a/b", buf, sizeof(buf)));
        ASSERT_STREQ(buf, "/t/a/b");
        ASSERT_ERROR(srd_template_render(&prefix, "/q/a", buf, sizeof(buf)), EINVAL);
        ASSERT_ERROR(srd_template_render(&prefix, NULL, buf, sizeof(buf)), EINVAL);
        /* {suffix} belongs to prefix rules */
        ASSERT_ERROR(srd_template_render(&exact, "/p", buf, sizeof(buf)), EINVAL);
        /* unknown braces are text */
        ASSERT_OK(srd_template_render(&plain, NULL, buf, sizeof(buf)));
        ASSERT_STREQ(buf, "/t/x/{y}");
        ASSERT_ERROR(srd_template_render(&prefix, "/p/0123456789012345678901234567890", buf, sizeof(buf)),
                     ENAMETOOLONG);

        ASSERT_OK(srd_redirect_target_validate("/"));
        ASSERT_OK(srd_redirect_target_validate("/sandbox/etc/hosts"));
        ASSERT_OK(srd_redirect_target_validate("/a/..b/c..")); /* not ".." components */
        ASSERT_ERROR(srd_redirect_target_validate("sandbox"), EINVAL);
        ASSERT_ERROR(srd_redirect_target_validate(""), EINVAL);
        ASSERT_ERROR(srd_redirect_target_validate(NULL), EINVAL);
        ASSERT_ERROR(srd_redirect_target_validate("/a/../b"), EINVAL);
        ASSERT_ERROR(srd_redirect_target_validate("/a/.."), EINVAL);
        ASSERT_ERROR(srd_redirect_target_validate("/.."), EINVAL);
        {
                char big[SRD_PATH_MAX + 2];

                memset(big, 'a', sizeof(big));
                big[0] = '/';
                big[SRD_PATH_MAX + 1] = '\0';
                ASSERT_ERROR(srd_redirect_target_validate(big), ENAMETOOLONG);
                big[SRD_PATH_MAX] = '\0';
                ASSERT_OK(srd_redirect_target_validate(big));
        }
}

TEST(default_action_and_empty_policy) {
        SrdPolicy *p = policy_new(SRD_ACTION_ERRNO, EPERM);
        SrdSyscall sc = sc_path(NR_OPENAT, "/x", 0);

        ASSERT_OK(srd_matcher_build(p));
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, -1);
        ASSERT_EQ(verdict.action, SRD_ACTION_ERRNO);
        ASSERT_EQ(verdict.error, EPERM);
        ASSERT_FALSE(verdict.log);

        p->default_action = SRD_ACTION_KILL;
        sc.nr = -5;
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.action, SRD_ACTION_KILL);
        ASSERT_EQ(verdict.error, 0);
        sc.nr = 1 << 30;
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, -1);

        /* without an index the policy was not loaded properly */
        p->matcher = srd_matcher_free(p->matcher);
        ASSERT_ERROR(srd_policy_evaluate(p, &sc, &verdict), EINVAL);
        ASSERT_ERROR(srd_policy_evaluate(NULL, &sc, &verdict), EINVAL);
        policy_free(p);
}

TEST(build_rejects_broken_rules) {
        SrdPolicy *p = policy_new(SRD_ACTION_CONTINUE, 0);

        rule_add(p, SRD_PATH_EXACT, NULL, SRD_ACTION_CONTINUE, NR_OPENAT, -1);
        ASSERT_ERROR(srd_matcher_build(p), EINVAL);
        ASSERT_NULL(p->matcher);
        ASSERT_ERROR(srd_matcher_build(NULL), EINVAL);
        policy_free(p);
}

TEST(odd_syscall_numbers_are_ignored) {
        SrdPolicy *p = policy_new(SRD_ACTION_CONTINUE, 0);
        SrdSyscall sc = { .nr = 0 };

        /* a rule naming one syscall twice, a pseudo number and an x32 one */
        rule_add(p, SRD_PATH_NONE, NULL, SRD_ACTION_KILL, NR_SOCKET, NR_SOCKET, -101, 0x40000000 | 41, -1);
        ASSERT_OK(srd_matcher_build(p));
        sc.nr = NR_SOCKET;
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, 0);
        sc.nr = 0x40000000 | 41;
        ASSERT_OK(srd_policy_evaluate(p, &sc, &verdict));
        ASSERT_EQ(verdict.rule, -1);
        policy_free(p);
}

/* ------------------------------------------------------------------------ */
/* The index against a linear reference.                                    */

static bool ref_args(const SrdRule *r, const uint64_t *a) {
        for (size_t i = 0; i < r->n_args; i++) {
                const SrdArgCond *c = &r->args[i];
                uint64_t v = a[c->index];
                bool ok = c->op == SRD_CMP_NE          ? v != c->value
                          : c->op == SRD_CMP_LT        ? v < c->value
                          : c->op == SRD_CMP_LE        ? v <= c->value
                          : c->op == SRD_CMP_EQ        ? v == c->value
                          : c->op == SRD_CMP_GE        ? v >= c->value
                          : c->op == SRD_CMP_GT        ? v > c->value
                          : c->op == SRD_CMP_MASKED_EQ ? (v & c->value) == c->value_two
                                                       : false;
                if (!ok)
                        return false;
        }
        return true;
}

static bool ref_path(const SrdRule *r, const char *path) {
        if (!path)
                return false;
        if (r->path_kind == SRD_PATH_EXACT)
                return strcmp(r->path, path) == 0;
        if (r->path_kind == SRD_PATH_PREFIX)
                return strncmp(r->path, path, strlen(r->path)) == 0;
        return srd_glob_match(r->path, path);
}

static int ref_evaluate(const SrdPolicy *p, const SrdSyscall *sc, unsigned *ret_mask) {
        for (size_t i = 0; i < p->n_rules; i++) {
                const SrdRule *r = &p->rules[i];
                bool named = false;
                unsigned mask = 0;

                for (size_t j = 0; j < r->n_syscalls; j++)
                        named = named || r->syscalls[j] == sc->nr;
                if (!named || !ref_args(r, sc->args))
                        continue;
                if (r->path_kind != SRD_PATH_NONE) {
                        for (unsigned k = 0; k < SRD_MAX_PATHS; k++)
                                if (ref_path(r, sc->paths[k]))
                                        mask |= 1U << k;
                        if (mask == 0)
                                continue;
                }
                *ret_mask = r->action == SRD_ACTION_REDIRECT && r->to ? mask : 0;
                return (int) i;
        }
        *ret_mask = 0;
        return -1;
}

static const char *const components[] = { "etc", "usr", "lib", "a", "ab", "b", "x.so", "secrets", "l",
                                           "var", "log", "home", "u", ".ssh", "tmp", "db" };

static void random_path(unsigned *seed, size_t min, char *buf, size_t size) {
        size_t n = min + (size_t) rand_r(seed) % (6 - min), len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                const char *c = components[rand_r(seed) % (sizeof(components) / sizeof(components[0]))];

                len += (size_t) snprintf(buf + len, size - len, "/%s", c);
        }
}

static void random_glob(unsigned *seed, char *buf, size_t size) {
        static const char *const wild[] = { "*", "**", "?", "[a-l]", "[!a]", "*.so", "a*", "l?g", "[dl]*" };
        size_t n = 3 + (size_t) rand_r(seed) % 3, len = 0;

        for (size_t i = 0; i < n; i++) {
                const char *c;

                if (rand_r(seed) % 4 == 0)
                        c = wild[rand_r(seed) % (sizeof(wild) / sizeof(wild[0]))];
                else
                        c = components[rand_r(seed) % (sizeof(components) / sizeof(components[0]))];
                len += (size_t) snprintf(buf + len, size - len, "/%s", c);
        }
}

static SrdPolicy *random_policy(unsigned *seed, size_t n_rules, const int *nrs, size_t n_nrs) {
        SrdPolicy *p = policy_new(SRD_ACTION_ERRNO, ENOSYS);

        for (size_t i = 0; i < n_rules; i++) {
                /* few rules without a path condition, and those with an args
                 * condition: otherwise they decide every query early */
                SrdPathKind kind =
                        rand_r(seed) % 20 == 0 ? SRD_PATH_NONE : (SrdPathKind) (1 + rand_r(seed) % 3);
                SrdAction action = (SrdAction) (rand_r(seed) % 4);
                char path[128];
                SrdRule *r;

                if (kind == SRD_PATH_GLOB)
                        random_glob(seed, path, sizeof(path));
                else
                        random_path(seed, 3, path, sizeof(path));
                if (kind == SRD_PATH_PREFIX)
                        /* prefixes end anywhere, also inside a component */
                        path[strlen(path) / 2 + 1 +
                             (size_t) rand_r(seed) % (strlen(path) - strlen(path) / 2)] = '\0';

                r = rule_add(p, kind, kind == SRD_PATH_NONE ? NULL : path, action, -1);
                for (size_t k = 1 + (size_t) rand_r(seed) % 2; k > 0; k--) {
                        r->syscalls = realloc(r->syscalls, (r->n_syscalls + 1) * sizeof(int));
                        r->syscalls[r->n_syscalls++] = nrs[(size_t) rand_r(seed) % n_nrs];
                }
                r->error = 1 + rand_r(seed) % 100;
                r->log = rand_r(seed) % 2;
                if (kind == SRD_PATH_NONE)
                        rule_arg(r, (unsigned) (rand_r(seed) % 3),
                                 rand_r(seed) % 2 ? SRD_CMP_EQ : SRD_CMP_MASKED_EQ, 15,
                                 (uint64_t) (rand_r(seed) % 16));
                else if (rand_r(seed) % 4 == 0)
                        rule_arg(r, (unsigned) (rand_r(seed) % 3), (SrdCmp) (1 + rand_r(seed) % 7),
                                 (uint64_t) (rand_r(seed) % 16), (uint64_t) (rand_r(seed) % 16));
                if (action == SRD_ACTION_REDIRECT) {
                        if (kind == SRD_PATH_PREFIX && rand_r(seed) % 2)
                                rule_to(r, "/sandbox/{suffix}");
                        else if (kind == SRD_PATH_NONE && rand_r(seed) % 2)
                                /* {path} on an unreadable path would be a render error */
                                rule_to(r, "/sandbox/static");
                        else if (kind != SRD_PATH_NONE && rand_r(seed) % 2)
                                rule_to(r, "/sandbox{path}");
                        else
                                rule_set(r, 2, 1, 3);
                }
        }
        return p;
}

TEST(index_against_linear_reference) {
        unsigned seed = 4242;
        size_t queries = 0, hits = 0, sum_rule = 0;

        resolve_numbers();
        const int nrs[] = { NR_OPENAT, NR_MKDIR, NR_RENAMEAT2, NR_SOCKET };

        /* 4 random policies of 1,000 rules, 25,000 random queries each */
        for (int round = 0; round < 4; round++) {
                SrdPolicy *p = random_policy(&seed, 1000, nrs, 4);

                ASSERT_OK(srd_matcher_build(p));
                for (int q = 0; q < 25000; q++) {
                        char p0[128], p1[128];
                        SrdSyscall sc = { .nr = nrs[rand_r(&seed) % 4] };
                        unsigned mask;
                        int want, r;

                        random_path(&seed, 1, p0, sizeof(p0));
                        random_path(&seed, 1, p1, sizeof(p1));
                        if (sc.nr != NR_SOCKET && rand_r(&seed) % 8 != 0)
                                sc.paths[0] = p0;
                        if (sc.nr == NR_RENAMEAT2)
                                sc.paths[1] = p1;
                        for (int a = 0; a < 3; a++)
                                sc.args[a] = (uint64_t) (rand_r(&seed) % 16);

                        want = ref_evaluate(p, &sc, &mask);
                        r = srd_policy_evaluate(p, &sc, &verdict);
                        ASSERT_OK(r);
                        queries++;
                        if (verdict.rule != want)
                                TEST_FAIL_("round %d query %d: nr %d \"%s\" \"%s\" args %" PRIu64 " %" PRIu64
                                           " %" PRIu64 ": rule %d, reference %d",
                                           round, q, sc.nr, sc.paths[0] ? sc.paths[0] : "(null)",
                                           sc.paths[1] ? sc.paths[1] : "(null)", sc.args[0], sc.args[1],
                                           sc.args[2], verdict.rule, want);
                        if (want < 0) {
                                ASSERT_EQ(verdict.action, SRD_ACTION_ERRNO);
                                ASSERT_EQ(verdict.error, ENOSYS);
                                continue;
                        }
                        hits++;
                        sum_rule += (size_t) want;
                        ASSERT_EQ(verdict.action, p->rules[want].action);
                        ASSERT_EQ(verdict.log, p->rules[want].log);
                        if (verdict.action == SRD_ACTION_ERRNO)
                                ASSERT_EQ(verdict.error, p->rules[want].error);
                        if (p->rules[want].path_kind != SRD_PATH_NONE)
                                ASSERT_EQ(verdict.path_mask, mask);
                        for (unsigned k = 0; k < SRD_MAX_PATHS; k++)
                                if (verdict.path_mask & (1U << k)) {
                                        char want_to[SRD_PATH_MAX + 1];

                                        ASSERT_OK(srd_template_render(&p->rules[want], sc.paths[k], want_to,
                                                                      sizeof(want_to)));
                                        ASSERT_STREQ(verdict.to[k], want_to);
                                }
                }
                policy_free(p);
        }
        ASSERT_EQ(queries, 100000);
        /* the vocabulary is small on purpose: most queries must hit a rule */
        printf("# %zu queries, %zu decided by a rule, mean deciding rule %zu\n", queries, hits,
               hits ? sum_rule / hits : 0);
        ASSERT_TRUE(hits > queries / 4);
        ASSERT_TRUE(hits < queries);
}

TESTS_MAIN
