/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "diag-internal.h"
#include "seccomp-redirect.h"
#include "tests.h"

TEST(format_full) {
        SrdDiag d = {.file = (char *) "web.json",
                     .line = 12,
                     .column = 9,
                     .where = (char *) "rules[2].action",
                     .message = (char *) "unknown action \"redirct\" (did you mean \"redirect\"?)"};
        char *s = srd_diag_format(&d);

        ASSERT_STREQ(
                s,
                "web.json:12:9: rules[2].action: unknown action \"redirct\" (did you mean \"redirect\"?)");
        free(s);
}

TEST(format_partial) {
        SrdDiag d = {.file = (char *) "a.json", .message = (char *) "not a regular file"};
        char *s = srd_diag_format(&d);

        ASSERT_STREQ(s, "a.json: not a regular file");
        free(s);

        d = (SrdDiag){.line = 3, .column = 4, .message = (char *) "m"};
        s = srd_diag_format(&d);
        ASSERT_STREQ(s, "3:4: m");
        free(s);

        d = (SrdDiag){.file = (char *) "f", .line = 3, .where = (char *) "name", .message = (char *) "m"};
        s = srd_diag_format(&d);
        ASSERT_STREQ(s, "f:3: name: m");
        free(s);

        d = (SrdDiag){.where = (char *) "name", .message = (char *) "m"};
        s = srd_diag_format(&d);
        ASSERT_STREQ(s, "name: m");
        free(s);

        ASSERT_NULL(srd_diag_format(NULL));
}

TEST(append_and_clear) {
        SrdDiagList l = {};

        ASSERT_OK(srd_diag_append(&l, "f.json", 1, 2, "version", "bad %s %d", "thing", 7));
        ASSERT_OK(srd_diag_append(&l, NULL, 0, 0, NULL, "plain"));
        ASSERT_OK(srd_diag_append(NULL, "x", 1, 1, NULL, "dropped"));
        ASSERT_EQ(l.n, 2);
        ASSERT_STREQ(l.items[0].file, "f.json");
        ASSERT_EQ(l.items[0].line, 1);
        ASSERT_EQ(l.items[0].column, 2);
        ASSERT_STREQ(l.items[0].where, "version");
        ASSERT_STREQ(l.items[0].message, "bad thing 7");
        ASSERT_NULL(l.items[1].file);
        ASSERT_NULL(l.items[1].where);
        srd_diag_list_clear(&l);
        ASSERT_EQ(l.n, 0);
        ASSERT_NULL(l.items);
        srd_diag_list_clear(&l);
        srd_diag_list_clear(NULL);
}

TEST(append_cap) {
        SrdDiagList l = {};

        for (int i = 0; i < 200; i++)
                ASSERT_OK(srd_diag_append(&l, "f", (unsigned) i + 1, 1, NULL, "error %d", i));
        ASSERT_EQ(l.n, SRD_DIAG_MAX + 1);
        ASSERT_TRUE(srd_diag_full(&l));
        ASSERT_STREQ(l.items[SRD_DIAG_MAX - 1].message, "error 49");
        ASSERT_STREQ(l.items[SRD_DIAG_MAX].message, "too many errors, not showing the rest");
        ASSERT_EQ(l.items[SRD_DIAG_MAX].line, 0);
        srd_diag_list_clear(&l);
}

TEST(quote) {
        char *q;

        q = srd_quote("abc", 3, 64);
        ASSERT_STREQ(q, "\"abc\"");
        free(q);
        q = srd_quote("a\"b\\c\n\x7f\xc3", 8, 64);
        ASSERT_STREQ(q, "\"a\\\"b\\\\c\\x0a\\x7f\\xc3\"");
        free(q);
        q = srd_quote("abcdef", 6, 3);
        ASSERT_STREQ(q, "\"abc\"...");
        free(q);
        q = srd_quote("", 0, 3);
        ASSERT_STREQ(q, "\"\"");
        free(q);
}

TEST(edit_distance) {
        ASSERT_EQ(srd_edit_distance("redirct", "redirect", 3), 1);
        ASSERT_EQ(srd_edit_distance("aciton", "action", 3), 1);
        ASSERT_EQ(srd_edit_distance("ACTION", "action", 3), 0);
        ASSERT_EQ(srd_edit_distance("", "abc", 5), 3);
        ASSERT_EQ(srd_edit_distance("kitten", "sitting", 5), 3);
        /* Capped: far apart words stop early at limit + 1. */
        ASSERT_EQ(srd_edit_distance("abcdefgh", "zzzzzzzz", 2), 3);
        ASSERT_EQ(srd_edit_distance("a", "abcdefgh", 2), 3);
}

TEST(suggest) {
        static const char *const keys[] = {"name", "names", "action", "errno", "to", "set"};

        ASSERT_STREQ(srd_suggest("nme", keys, ELEMENTSOF(keys)), "name");
        ASSERT_STREQ(srd_suggest("Action", keys, ELEMENTSOF(keys)), "action");
        ASSERT_STREQ(srd_suggest("namess", keys, ELEMENTSOF(keys)), "names");
        ASSERT_NULL(srd_suggest("bogus", keys, ELEMENTSOF(keys)));
        ASSERT_NULL(srd_suggest("", keys, ELEMENTSOF(keys)));
        ASSERT_NULL(srd_suggest(NULL, keys, ELEMENTSOF(keys)));
        ASSERT_STREQ(srd_errno_suggest("EPRM"), "EPERM");
        ASSERT_STREQ(srd_errno_suggest("eacces"), "EACCES");
        ASSERT_STREQ(srd_action_suggest("redirct"), "redirect");
        ASSERT_NULL(srd_action_suggest("allow"));
}

TEST(errno_names) {
        ASSERT_EQ(srd_errno_from_string("EPERM"), EPERM);
        ASSERT_EQ(srd_errno_from_string("EACCES"), EACCES);
        ASSERT_EQ(srd_errno_from_string("EROFS"), EROFS);
        ASSERT_EQ(srd_errno_from_string("EAFNOSUPPORT"), EAFNOSUPPORT);
        ASSERT_EQ(srd_errno_from_string("EWOULDBLOCK"), EAGAIN);
        ASSERT_EQ(srd_errno_from_string("ENOTSUP"), EOPNOTSUPP);
        ASSERT_EQ(srd_errno_from_string("EDEADLOCK"), EDEADLK);
        ASSERT_EQ(srd_errno_from_string("EHWPOISON"), EHWPOISON);
        ASSERT_ERROR(srd_errno_from_string("eperm"), EINVAL);
        ASSERT_ERROR(srd_errno_from_string("1"), EINVAL);
        ASSERT_ERROR(srd_errno_from_string(""), EINVAL);
        ASSERT_ERROR(srd_errno_from_string(NULL), EINVAL);
        ASSERT_STREQ(srd_errno_to_string(EPERM), "EPERM");
        ASSERT_STREQ(srd_errno_to_string(EAGAIN), "EAGAIN");
        ASSERT_STREQ(srd_errno_to_string(ENOTRECOVERABLE), "ENOTRECOVERABLE");
        ASSERT_NULL(srd_errno_to_string(0));
        ASSERT_NULL(srd_errno_to_string(-1));
        ASSERT_NULL(srd_errno_to_string(4095));
}

TEST(errno_table_complete) {
        /* Every number the C library has a message for, up to the last Linux errno, has a name,
         * and every name maps back to its number. */
        unsigned n = 0;

        for (int e = 1; e <= EHWPOISON; e++) {
                const char *s = srd_errno_to_string(e);

                if (e == 41 || e == 58) /* unused on Linux (EWOULDBLOCK / EDEADLOCK slots) */
                        continue;
                if (!s)
                        TEST_FAIL_("errno %d has no name", e);
                ASSERT_EQ(srd_errno_from_string(s), e);
                n++;
        }
        ASSERT_EQ(n, 131);
}

TEST(action_names) {
        ASSERT_STREQ(srd_action_to_string(SRD_ACTION_CONTINUE), "continue");
        ASSERT_STREQ(srd_action_to_string(SRD_ACTION_ERRNO), "errno");
        ASSERT_STREQ(srd_action_to_string(SRD_ACTION_KILL), "kill");
        ASSERT_STREQ(srd_action_to_string(SRD_ACTION_REDIRECT), "redirect");
        ASSERT_NULL(srd_action_to_string(_SRD_ACTION_MAX));
        ASSERT_NULL(srd_action_to_string(_SRD_ACTION_INVALID));
        for (int a = 0; a < _SRD_ACTION_MAX; a++)
                ASSERT_EQ(srd_action_from_string(srd_action_to_string(a)), a);
        ASSERT_EQ(srd_action_from_string("Continue"), _SRD_ACTION_INVALID);
        ASSERT_EQ(srd_action_from_string(NULL), _SRD_ACTION_INVALID);
}

TESTS_MAIN
