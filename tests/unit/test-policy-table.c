/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Table-driven policy tests: every policy-tables/NAME.table is run through
 * srd_policy_load_file() and srd_policy_evaluate().
 *
 * Table format, one case per line ('#' starts a comment line, blank lines
 * are ignored, tokens are separated by blanks, paths cannot contain blanks):
 *
 *   policy FILE
 *       The policy the following cases run against, relative to the table's
 *       directory. Without it: NAME.json next to NAME.table.
 *
 *   id [ID]
 *       The container id ({id} in redirect targets) of the following cases;
 *       without ID (and before any id line) there is none.
 *
 *   SYSCALL ARG... -> ACTION RULE [DETAIL...]
 *       The left side is exactly what `seccomp-redirectctl explain` takes:
 *       the arguments in the syscall's order, a path string for each path
 *       argument (absolute; it is normalized like the listener does), a
 *       number (decimal, 0x hex, 0 octal, negative) or constants joined with
 *       '|' (O_RDONLY|O_CLOEXEC, AT_FDCWD, AF_PACKET, ...) for the others.
 *       A dirfd may be left out (then AT_FDCWD) when its path follows;
 *       pointers that are not path arguments (symlink's target, buffers)
 *       are given as numbers, e.g. 0. Missing trailing arguments are 0.
 *       openat2's struct open_how is given by its flags (O_WRONLY|O_TRUNC),
 *       which rules naming openat2's "flags" compare.
 *
 *       ACTION  continue | errno | kill | redirect
 *       RULE    the deciding rule's name, or "default" for defaultAction
 *       DETAIL  errno:    the errno first, by name (EACCES) or number;
 *               redirect: one token per path argument in order: the target
 *                         it is rewritten to, or "-" for unchanged (trailing
 *                         "-" may be left out);
 *                         argN=VALUE for each "set" rewrite: the new value
 *                         of argument N (VALUE like a scalar argument);
 *                         error=ENAME: evaluating fails with -ENAME (a
 *                         templated target that renders invalid);
 *               any:      "log" when the rule logs its hits.
 *       Every part of the verdict is checked: a redirect without targets
 *       expects no path rewritten, one without argN= no argument rewritten,
 *       a case without "log" expects no logging.
 *
 * Example:
 *   openat AT_FDCWD /etc/hosts O_RDONLY -> redirect hosts /sandbox/etc/hosts
 *   mkdir /tmp/forbidden-x 0755 -> errno no-forbidden EACCES log
 */

#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "seccomp-redirect.h"
#include "symbols.h"
#include "tests.h"

#define MAX_TOKENS 32

typedef struct Case {
        SrdSyscall sc;
        char paths[SRD_MAX_PATHS][SRD_PATH_MAX + 1];

        SrdAction action;
        char rule[256];
        int error;      /* errno action */
        int eval_error; /* expected negative return of srd_policy_evaluate */
        bool log;
        unsigned to_mask;
        char to[SRD_MAX_PATHS][SRD_PATH_MAX + 1];
        uint32_t args_mask;
        uint64_t args[SRD_ARGS];
} Case;

/* Numbers and constants joined with '|', exactly as explain and policy values read them. */
static int parse_scalar(const char *s, uint64_t *ret) {
        return srd_value_parse(s, ret, NULL, NULL);
}

static int parse_errno(const char *s) {
        uint64_t v;
        int e = srd_errno_from_string(s);

        if (e > 0)
                return e;
        if (parse_scalar(s, &v) < 0 || v == 0 || v > 4095)
                return -EINVAL;
        return (int) v;
}

static int path_index(const SrdSyscallInfo *info, int arg, bool dirfd) {
        for (unsigned k = 0; info && k < info->n_paths; k++)
                if ((dirfd ? info->paths[k].dirfd_arg : info->paths[k].arg) == arg)
                        return (int) k;
        return -1;
}

/* Returns 0, or -EINVAL with *ret_why set. */
static int parse_case(char *line, Case *c, const char **ret_why) {
        char *tok[MAX_TOKENS], *save = NULL;
        size_t n = 0, arrow = SIZE_MAX, t;
        const SrdSyscallInfo *info;
        unsigned target = 0;
        int nr;

        *c = (Case) {};
        for (char *s = strtok_r(line, " \t", &save); s; s = strtok_r(NULL, " \t", &save)) {
                if (n == MAX_TOKENS) {
                        *ret_why = "too many tokens";
                        return -EINVAL;
                }
                if (strcmp(s, "->") == 0 && arrow == SIZE_MAX)
                        arrow = n;
                tok[n++] = s;
        }
        if (arrow == SIZE_MAX || arrow == 0 || n < arrow + 3) {
                *ret_why = "expected SYSCALL ARG... -> ACTION RULE [DETAIL...]";
                return -EINVAL;
        }

        /* The left side, mapped like seccomp-redirectctl explain does. */
        nr = srd_syscall_resolve(tok[0]);
        if (nr < 0) {
                *ret_why = "unknown syscall";
                return -EINVAL;
        }
        c->sc.nr = nr;
        info = srd_syscall_info(nr);
        for (unsigned k = 0; info && k < info->n_paths; k++)
                if (info->paths[k].dirfd_arg >= 0)
                        c->sc.args[info->paths[k].dirfd_arg] = (uint64_t) (int64_t) AT_FDCWD;

        t = 1;
        for (int a = 0; a < SRD_ARGS && t < arrow; a++) {
                int k = path_index(info, a, false);
                uint64_t v;

                if (k >= 0) {
                        if (tok[t][0] != '/' ||
                            srd_path_normalize(tok[t], c->paths[k], sizeof(c->paths[k])) < 0) {
                                *ret_why = "path arguments must be absolute paths";
                                return -EINVAL;
                        }
                        c->sc.paths[k] = c->paths[k];
                        t++;
                        continue;
                }
                if (path_index(info, a, true) >= 0 && parse_scalar(tok[t], &v) < 0)
                        continue; /* dirfd left out */
                if (parse_scalar(tok[t], &v) < 0) {
                        *ret_why = "argument is neither a number nor a known constant";
                        return -EINVAL;
                }
                c->sc.args[a] = v;
                t++;
        }
        if (t < arrow) {
                *ret_why = "too many arguments for the syscall";
                return -EINVAL;
        }
        /* openat2: the token in the place of its struct open_how is open_how.flags. */
        for (unsigned k = 0; info && k < info->n_paths; k++)
                if (info->paths[k].how_arg >= 0) {
                        c->sc.how[0] = c->sc.args[info->paths[k].how_arg];
                        c->sc.how_read = true;
                }

        /* The right side. */
        t = arrow + 1;
        c->action = srd_action_from_string(tok[t]);
        if (c->action < 0) {
                *ret_why = "unknown action";
                return -EINVAL;
        }
        t++;
        if (strlen(tok[t]) >= sizeof(c->rule)) {
                *ret_why = "rule name too long";
                return -EINVAL;
        }
        strcpy(c->rule, tok[t++]);

        if (c->action == SRD_ACTION_ERRNO) {
                if (t >= n || (c->error = parse_errno(tok[t])) < 0) {
                        *ret_why = "errno expects an errno name or number";
                        return -EINVAL;
                }
                t++;
        }
        for (; t < n; t++) {
                unsigned idx;
                uint64_t v;
                char *end;

                if (strcmp(tok[t], "log") == 0)
                        c->log = true;
                else if (strncmp(tok[t], "error=", 6) == 0 && c->action == SRD_ACTION_REDIRECT) {
                        int e = parse_errno(tok[t] + 6);

                        if (e < 0) {
                                *ret_why = "error= expects an errno";
                                return -EINVAL;
                        }
                        c->eval_error = -e;
                } else if (strncmp(tok[t], "arg", 3) == 0 && c->action == SRD_ACTION_REDIRECT) {
                        idx = (unsigned) strtoul(tok[t] + 3, &end, 10);
                        if (end == tok[t] + 3 || *end != '=' || idx >= SRD_ARGS ||
                            parse_scalar(end + 1, &v) < 0) {
                                *ret_why = "expected argN=VALUE";
                                return -EINVAL;
                        }
                        c->args_mask |= 1U << idx;
                        c->args[idx] = v;
                } else if ((tok[t][0] == '/' || strcmp(tok[t], "-") == 0) &&
                           c->action == SRD_ACTION_REDIRECT) {
                        if (target >= SRD_MAX_PATHS) {
                                *ret_why = "more redirect targets than path arguments";
                                return -EINVAL;
                        }
                        if (tok[t][0] == '/') {
                                if (strlen(tok[t]) > SRD_PATH_MAX) {
                                        *ret_why = "target too long";
                                        return -EINVAL;
                                }
                                strcpy(c->to[target], tok[t]);
                                c->to_mask |= 1U << target;
                        }
                        target++;
                } else {
                        *ret_why = "unexpected detail (log, error=E, argN=V, or targets for redirect)";
                        return -EINVAL;
                }
        }
        return 0;
}

static SrdVerdict verdict;

/* Checks one case; prints why and returns false when it does not hold. */
static bool check_case(const SrdPolicy *p, const Case *c, const char *where) {
        int r = srd_policy_evaluate(p, &c->sc, &verdict);
        const char *rule = verdict.rule < 0 ? "default" : srd_policy_rule_name(p, (size_t) verdict.rule);

        if (r != c->eval_error) {
                printf("# %s: evaluate returned %d, expected %d\n", where, r, c->eval_error);
                return false;
        }
        if (!rule || strcmp(rule, c->rule) != 0) {
                printf("# %s: decided by rule \"%s\", expected \"%s\"\n", where, rule ? rule : "?", c->rule);
                return false;
        }
        if (verdict.action != c->action) {
                printf("# %s: action %s, expected %s\n", where, srd_action_to_string(verdict.action),
                       srd_action_to_string(c->action));
                return false;
        }
        if (verdict.log != c->log) {
                printf("# %s: log %d, expected %d\n", where, verdict.log, c->log);
                return false;
        }
        if (c->action == SRD_ACTION_ERRNO && verdict.error != c->error) {
                printf("# %s: errno %d, expected %d\n", where, verdict.error, c->error);
                return false;
        }
        if (c->action != SRD_ACTION_REDIRECT || r < 0)
                return true;

        if (verdict.path_mask != c->to_mask) {
                printf("# %s: paths rewritten 0x%x, expected 0x%x\n", where, verdict.path_mask, c->to_mask);
                return false;
        }
        for (unsigned i = 0; i < SRD_MAX_PATHS; i++)
                if ((c->to_mask & (1U << i)) && strcmp(verdict.to[i], c->to[i]) != 0) {
                        printf("# %s: path %u redirected to %s, expected %s\n", where, i, verdict.to[i],
                               c->to[i]);
                        return false;
                }
        if (verdict.args_mask != c->args_mask) {
                printf("# %s: arguments rewritten 0x%x, expected 0x%x\n", where, verdict.args_mask,
                       c->args_mask);
                return false;
        }
        for (unsigned i = 0; i < SRD_ARGS; i++)
                if ((c->args_mask & (1U << i)) && verdict.args[i] != c->args[i]) {
                        printf("# %s: arg%u set to 0x%" PRIx64 ", expected 0x%" PRIx64 "\n", where, i,
                               verdict.args[i], c->args[i]);
                        return false;
                }
        return true;
}

static SrdPolicy *load(const char *file) {
        SrdDiagList diag = {};
        SrdPolicy *p = NULL;
        int r = srd_policy_load_file(file, &p, &diag);

        if (r < 0) {
                printf("# %s: does not load: %s\n", file, strerror(-r));
                for (size_t i = 0; i < diag.n; i++) {
                        char *s = srd_diag_format(&diag.items[i]);

                        printf("#   %s\n", s ? s : "?");
                        free(s);
                }
        }
        srd_diag_list_clear(&diag);
        return p;
}

/* Runs one table; returns the number of failed cases (or -1 when unusable). */
static int run_table(const char *dir, const char *name, size_t *ret_cases) {
        char path[PATH_MAX], policy[PATH_MAX], where[PATH_MAX + 32], *line = NULL, id[256] = "";
        bool have_id = false;
        SrdPolicy *p = NULL;
        size_t allocated = 0, cases = 0;
        unsigned lineno = 0;
        int failed = 0;
        FILE *f;

        if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int) sizeof(path))
                return -1;
        f = fopen(path, "re");
        if (!f) {
                printf("# %s: %s\n", path, strerror(errno));
                return -1;
        }

        while (getline(&line, &allocated, f) >= 0) {
                static Case c;
                const char *why = NULL;
                char *s = line;

                lineno++;
                s[strcspn(s, "\n")] = '\0';
                while (*s == ' ' || *s == '\t')
                        s++;
                if (*s == '\0' || *s == '#')
                        continue;
                snprintf(where, sizeof(where), "%s:%u", path, lineno);

                if (strncmp(s, "policy ", 7) == 0) {
                        if (snprintf(policy, sizeof(policy), "%s/%s", dir, s + 7) >= (int) sizeof(policy)) {
                                failed = -1;
                                break;
                        }
                        if (p)
                                srd_policy_unref(p);
                        p = load(policy);
                        if (!p) {
                                failed = -1;
                                break;
                        }
                        continue;
                }
                if (!p) {
                        /* the default: NAME.json next to NAME.table */
                        if (snprintf(policy, sizeof(policy), "%s/%.*s.json", dir, (int) (strlen(name) - 6),
                                     name) >= (int) sizeof(policy)) {
                                failed = -1;
                                break;
                        }
                        p = load(policy);
                        if (!p) {
                                failed = -1;
                                break;
                        }
                }

                if (strncmp(s, "id ", 3) == 0 || streq(s, "id")) {
                        /* {id}: the container id the following cases come from; "id" alone: none. */
                        have_id = s[2] == ' ';
                        snprintf(id, sizeof(id), "%s", have_id ? s + 3 : "");
                        continue;
                }
                if (parse_case(s, &c, &why) < 0) {
                        printf("# %s: bad line: %s\n", where, why);
                        failed++;
                        continue;
                }
                c.sc.id = have_id ? id : NULL;
                cases++;
                if (!check_case(p, &c, where))
                        failed++;
        }
        free(line);
        fclose(f);
        srd_policy_unref(p);
        *ret_cases = cases;
        return failed;
}

static const char *tables_dir(char *buf, size_t size) {
        const char *root = getenv("SRD_SOURCE_ROOT");

        if (root)
                snprintf(buf, size, "%s/tests/unit/policy-tables", root);
        else
                snprintf(buf, size, "policy-tables");
        return buf;
}

static int table_filter(const struct dirent *d) {
        size_t l = strlen(d->d_name);

        return l > 6 && strcmp(d->d_name + l - 6, ".table") == 0;
}

TEST(all_tables) {
        struct dirent **names = NULL;
        char dir[PATH_MAX];
        size_t total = 0;
        int n, bad = 0;

        tables_dir(dir, sizeof(dir));
        n = scandir(dir, &names, table_filter, alphasort);
        if (n < 0)
                TEST_FAIL_("%s: %s", dir, strerror(errno));

        for (int i = 0; i < n; i++) {
                size_t cases = 0;
                int failed = run_table(dir, names[i]->d_name, &cases);

                printf("# %s: %zu cases, %d failed\n", names[i]->d_name, cases, failed);
                if (failed != 0 || cases == 0)
                        bad++;
                total += cases;
                free(names[i]);
        }
        free(names);
        printf("# %d tables, %zu cases\n", n, total);
        ASSERT_TRUE(n >= 2);
        ASSERT_EQ(bad, 0);
}

/* The demo policy is the one in policies/, not a copy. */
TEST(demo_table_uses_the_shipped_demo) {
        char dir[PATH_MAX], path[PATH_MAX + 32], line[256];
        bool found = false;
        FILE *f;

        snprintf(path, sizeof(path), "%s/demo.table", tables_dir(dir, sizeof(dir)));
        f = fopen(path, "re");
        ASSERT_NOT_NULL(f);
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "policy ", 7) == 0 && strstr(line, "policies/demo.json"))
                        found = true;
        fclose(f);
        ASSERT_TRUE(found);
}

TEST(bad_lines_are_reported) {
        static const char *const bad[] = {
                "openat /etc/hosts",                          /* no arrow */
                "-> continue default",                        /* no syscall */
                "nosuchcall /x -> continue default",          /* unknown syscall */
                "openat /x O_RDONLY -> frobnicate default",   /* unknown action */
                "openat /x O_BOGUS -> continue default",      /* unknown constant */
                "openat relative O_RDONLY -> continue default", /* relative path */
                "openat /x 0 0 0 0 0 -> continue default",    /* too many arguments */
                "openat /x -> errno r",                       /* errno without errno */
                "openat /x -> errno r ENOTANERRNO",           /* unknown errno */
                "openat /x -> redirect r /a /b /c",           /* more targets than paths */
                "openat /x -> redirect r arg9=1",             /* bad argument index */
                "openat /x -> continue r whatever",           /* unknown detail */
                "openat /x -> continue",                      /* no rule */
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char line[256];
                const char *why = NULL;
                static Case c;

                strcpy(line, bad[i]);
                if (parse_case(line, &c, &why) >= 0)
                        TEST_FAIL_("accepted: %s", bad[i]);
                ASSERT_NOT_NULL(why);
        }
}

TEST(lines_parse_like_explain) {
        char line[256];
        const char *why = NULL;
        static Case c;

        strcpy(line, "openat AT_FDCWD /etc/./hosts O_RDONLY|O_CLOEXEC -> redirect hosts /sandbox/etc/hosts");
        ASSERT_OK(parse_case(line, &c, &why));
        ASSERT_EQ(c.sc.nr, srd_syscall_resolve("openat"));
        ASSERT_EQ((int64_t) c.sc.args[0], AT_FDCWD);
        ASSERT_STREQ(c.sc.paths[0], "/etc/hosts");
        ASSERT_EQ(c.sc.args[2], O_RDONLY | O_CLOEXEC);
        ASSERT_EQ(c.to_mask, 1);

        /* dirfds left out, both paths of a rename, the first one unchanged */
        strcpy(line, "renameat2 /a /b 1 -> redirect r - /x/b");
        ASSERT_OK(parse_case(line, &c, &why));
        ASSERT_EQ((int64_t) c.sc.args[0], AT_FDCWD);
        ASSERT_EQ((int64_t) c.sc.args[2], AT_FDCWD);
        ASSERT_STREQ(c.sc.paths[0], "/a");
        ASSERT_STREQ(c.sc.paths[1], "/b");
        ASSERT_EQ(c.sc.args[4], 1);
        ASSERT_EQ(c.to_mask, 2);

        strcpy(line, "socket AF_PACKET SOCK_RAW -0x1 -> errno r 97 log");
        ASSERT_OK(parse_case(line, &c, &why));
        ASSERT_EQ(c.sc.args[0], AF_PACKET);
        ASSERT_EQ(c.sc.args[2], UINT64_MAX);
        ASSERT_EQ(c.error, 97);
        ASSERT_TRUE(c.log);
}

TESTS_MAIN
