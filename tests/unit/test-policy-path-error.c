/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The policy's "pathError": what a call gets when the daemon cannot place
 * it. The loader refuses every value that would let such a call run, and
 * says where, like for every other key.
 */

#include <seccomp.h>

#include "macro.h"
#include "seccomp-redirect.h"
#include "tests.h"

#define HEAD "{\"version\": 1, \"name\": \"t\", \"defaultAction\": \"continue\", "

/* Loads text; the diagnostics, one per line, or "" when it loaded. */
static char *load(const char *text, SrdPolicy **ret) {
        SrdDiagList d = {};
        char *out = strdup("");

        (void) srd_policy_load_buffer(text, strlen(text), "t.json", ret, &d);
        for (size_t i = 0; i < d.n; i++) {
                char *s = srd_diag_format(&d.items[i]), *t = NULL;

                if (!s || asprintf(&t, "%s%s%s", out, i > 0 ? "\n" : "", s) < 0)
                        abort();
                free(out);
                free(s);
                out = t;
        }
        srd_diag_list_clear(&d);
        return out;
}

static const struct {
        const char *text, *expected;
} refused[] = {
        {HEAD "\"pathError\": {\"action\": \"continue\"}, \"rules\": []}",
         "t.json:1:82: pathError.action: \"continue\" cannot be the pathError action: it would let a call "
         "the "
         "daemon could not check run (use errno or kill)"},
        {HEAD "\"pathError\": {\"action\": \"redirect\"}, \"rules\": []}",
         "t.json:1:82: pathError.action: \"redirect\" cannot be the pathError action: it would let a call "
         "the "
         "daemon could not check run (use errno or kill)"},
        {HEAD "\"pathError\": {\"action\": \"continue\", \"errno\": \"EPERM\"}, \"rules\": []}",
         "t.json:1:82: pathError.action: \"continue\" cannot be the pathError action: it would let a call "
         "the "
         "daemon could not check run (use errno or kill)"},
        {HEAD "\"pathError\": \"errno\", \"rules\": []}",
         "t.json:1:71: pathError: expected an object with \"action\" and \"errno\", got a string"},
        {HEAD "\"pathError\": {}, \"rules\": []}",
         "t.json:1:71: pathError: missing required key \"action\""},
        {HEAD "\"pathError\": {\"action\": \"kill\", \"errno\": \"EPERM\"}, \"rules\": []}",
         "t.json:1:90: pathError.errno: \"errno\" only applies when \"action\" is \"errno\""},
        {HEAD "\"pathError\": {\"action\": \"errno\", \"errno\": \"EPRM\"}, \"rules\": []}",
         "t.json:1:100: pathError.errno: unknown errno \"EPRM\" (did you mean \"EPERM\"?)"},
        {HEAD "\"pathError\": {\"action\": \"deny\"}, \"rules\": []}",
         "t.json:1:82: pathError.action: unknown action \"deny\" (expected continue, errno, kill or "
         "redirect)"},
        {HEAD "\"pathError\": {\"action\": \"kill\", \"log\": true}, \"rules\": []}",
         "t.json:1:90: pathError.log: unknown key \"log\" (allowed here: action, errno)"},
        {HEAD "\"pathEror\": {\"action\": \"kill\"}, \"rules\": []}",
         "t.json:1:58: pathEror: unknown key \"pathEror\" (did you mean \"pathError\"?)"},
};

TEST(path_error_that_lets_the_call_run_or_is_malformed_is_refused_where_it_is) {
        for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
                SrdPolicy *p = NULL;
                char *got = load(refused[i].text, &p);

                if (!streq(got, refused[i].expected) || p) {
                        printf("# case %zu\n#   got:      %s\n#   expected: %s\n", i, got,
                               refused[i].expected);
                        test_failed_ = 1;
                }
                srd_policy_unref(p);
                free(got);
        }
}

TEST(path_error_defaults_to_eacces_and_takes_errno_or_kill) {
        static const struct {
                const char *text;
                SrdAction action;
                int error;
        } ok[] = {
                {HEAD "\"rules\": []}", SRD_ACTION_ERRNO, EACCES},
                {HEAD "\"pathError\": {\"action\": \"errno\"}, \"rules\": []}", SRD_ACTION_ERRNO, EACCES},
                {HEAD "\"pathError\": {\"action\": \"errno\", \"errno\": \"ENOENT\"}, \"rules\": []}",
                 SRD_ACTION_ERRNO, ENOENT},
                {HEAD "\"pathError\": {\"action\": \"errno\", \"errno\": 13}, \"rules\": []}",
                 SRD_ACTION_ERRNO, EACCES},
                {HEAD "\"pathError\": {\"action\": \"kill\"}, \"rules\": []}", SRD_ACTION_KILL, 0},
        };

        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                SrdPolicy *p = NULL;
                _cleanup_free_ char *got = load(ok[i].text, &p);
                SrdAction a;
                int e;

                ASSERT_STREQ(got, "");
                ASSERT_NOT_NULL(p);
                srd_policy_path_error(p, &a, &e);
                ASSERT_EQ(a, ok[i].action);
                ASSERT_EQ(e, ok[i].error);
                srd_policy_unref(p);
        }

        /* No policy at all still never lets the call run. */
        SrdAction a;
        int e;
        srd_policy_path_error(NULL, &a, &e);
        ASSERT_EQ(a, SRD_ACTION_ERRNO);
        ASSERT_EQ(e, EACCES);
}

TEST(has_path_rule_names_exactly_the_syscalls_of_rules_with_a_path_condition) {
        SrdPolicy *p = NULL;
        _cleanup_free_ char *got =
                load(HEAD "\"rules\": ["
                          "{\"names\": [\"openat\", \"open\"], \"path\": {\"exact\": \"/x\"}, \"action\": "
                          "\"continue\"},"
                          "{\"names\": [\"mkdir\"], \"action\": \"errno\", \"errno\": \"EPERM\"},"
                          "{\"names\": [\"getpid\"], \"action\": \"continue\"}]}",
                     &p);

        ASSERT_STREQ(got, "");
        ASSERT_NOT_NULL(p);
        ASSERT_TRUE(srd_policy_has_path_rule(p, SCMP_SYS(openat)));
        ASSERT_TRUE(srd_policy_has_path_rule(p, SCMP_SYS(open)));
        /* A rule without a path condition cares not where the call goes. */
        ASSERT_FALSE(srd_policy_has_path_rule(p, SCMP_SYS(mkdir)));
        ASSERT_FALSE(srd_policy_has_path_rule(p, SCMP_SYS(getpid)));
        ASSERT_FALSE(srd_policy_has_path_rule(p, -1));
        ASSERT_FALSE(srd_policy_has_path_rule(p, 100000));
        ASSERT_FALSE(srd_policy_has_path_rule(NULL, SCMP_SYS(openat)));
        srd_policy_unref(p);
}

TESTS_MAIN
