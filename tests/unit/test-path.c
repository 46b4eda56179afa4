/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <time.h>

#include "path-internal.h"
#include "seccomp-redirect.h"
#include "tests.h"

TEST(normalize_table) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "/", "/" },
                { "//", "/" },
                { "/.", "/" },
                { "/..", "/" },
                { "/../..", "/" },
                { "/../etc", "/etc" },
                { "/etc", "/etc" },
                { "/etc/", "/etc" },
                { "/etc//", "/etc" },
                { "/etc/.", "/etc" },
                { "/etc/..", "/" },
                { "/etc/../", "/" },
                { "//etc///hosts", "/etc/hosts" },
                { "/a/./b//c/../d", "/a/b/d" },
                { "/a/b/c/../../d", "/a/d" },
                { "/a/b/../../../..", "/" },
                { "/a/.../b", "/a/.../b" },
                { "/a/..b/c", "/a/..b/c" },
                { "/a/b./c", "/a/b./c" },
                { "/.hidden/./x", "/.hidden/x" },
                { "/tmp/forbidden/", "/tmp/forbidden" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char buf[64];

                ASSERT_OK(srd_path_normalize(cases[i].in, buf, sizeof(buf)));
                ASSERT_STREQ(buf, cases[i].out);
        }
}

TEST(normalize_errors) {
        char buf[8], big[5000];

        ASSERT_ERROR(srd_path_normalize("etc/hosts", buf, sizeof(buf)), EINVAL);
        ASSERT_ERROR(srd_path_normalize("", buf, sizeof(buf)), EINVAL);
        ASSERT_ERROR(srd_path_normalize(NULL, buf, sizeof(buf)), EINVAL);
        ASSERT_ERROR(srd_path_normalize("/a", buf, 0), EINVAL);
        ASSERT_ERROR(srd_path_normalize("/", buf, 1), ENAMETOOLONG);

        /* exactly fits: 7 characters + NUL */
        ASSERT_OK(srd_path_normalize("/abcdef", buf, sizeof(buf)));
        ASSERT_STREQ(buf, "/abcdef");
        ASSERT_ERROR(srd_path_normalize("/abcdefg", buf, sizeof(buf)), ENAMETOOLONG);
        ASSERT_ERROR(srd_path_normalize("/abc/defg", buf, sizeof(buf)), ENAMETOOLONG);

        /* too long on the way, short in the end: ".." takes it back */
        ASSERT_OK(srd_path_normalize("/abc/verylongcomponent/more/../..", buf, sizeof(buf)));
        ASSERT_STREQ(buf, "/abc");
        ASSERT_OK(srd_path_normalize("/verylongcomponent/../x", buf, sizeof(buf)));
        ASSERT_STREQ(buf, "/x");

        /* long inputs against a PATH_MAX buffer */
        memset(big, 'a', sizeof(big));
        big[0] = '/';
        big[sizeof(big) - 1] = '\0';
        {
                char out[SRD_PATH_MAX + 1];

                ASSERT_ERROR(srd_path_normalize(big, out, sizeof(out)), ENAMETOOLONG);
                big[SRD_PATH_MAX] = '\0';
                ASSERT_OK(srd_path_normalize(big, out, sizeof(out)));
                ASSERT_EQ(strlen(out), SRD_PATH_MAX);
        }
}

TEST(join_table) {
        static const struct {
                const char *base, *rel, *out;
        } cases[] = {
                { "/", "etc/hosts", "/etc/hosts" },
                { "/home/u", "file", "/home/u/file" },
                { "/home/u/", "./file", "/home/u/file" },
                { "/home/u", "../v/file", "/home/v/file" },
                { "/home/u", "../../../../x", "/x" },
                { "/home/u", "", "/home/u" },
                { "/home/u", ".", "/home/u" },
                { "/home/u", "..", "/home" },
                { "/home/u", "/etc/hosts", "/etc/hosts" },
                { "/home/u", "//etc/../etc/hosts", "/etc/hosts" },
                { "/a/b", "c/", "/a/b/c" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char buf[64];

                ASSERT_OK(srd_path_join(cases[i].base, cases[i].rel, buf, sizeof(buf)));
                ASSERT_STREQ(buf, cases[i].out);
        }
}

TEST(join_errors) {
        char buf[8];

        ASSERT_ERROR(srd_path_join("relative", "x", buf, sizeof(buf)), EINVAL);
        ASSERT_ERROR(srd_path_join(NULL, "x", buf, sizeof(buf)), EINVAL);
        ASSERT_ERROR(srd_path_join("/", NULL, buf, sizeof(buf)), EINVAL);
        /* an absolute rel does not need a base */
        ASSERT_OK(srd_path_join(NULL, "/x", buf, sizeof(buf)));
        ASSERT_STREQ(buf, "/x");
        ASSERT_ERROR(srd_path_join("/abcd", "efgh", buf, sizeof(buf)), ENAMETOOLONG);
        ASSERT_OK(srd_path_join("/abcd", "efgh/..", buf, sizeof(buf)));
        ASSERT_STREQ(buf, "/abcd");
}

TEST(glob_table) {
        static const struct {
                const char *pattern, *path;
                bool match;
        } cases[] = {
                { "/etc/hosts", "/etc/hosts", true },
                { "/etc/hosts", "/etc/host", false },
                { "/etc/hosts", "/etc/hostss", false },
                { "", "", true },
                { "", "/", false },
                /* * stays inside one component */
                { "/tmp/forbidden*", "/tmp/forbidden", true },
                { "/tmp/forbidden*", "/tmp/forbidden-1", true },
                { "/tmp/forbidden*", "/tmp/forbidden/x", false },
                { "/tmp/*", "/tmp/a", true },
                { "/tmp/*", "/tmp/", true },
                { "/tmp/*", "/tmp/a/b", false },
                { "/*/b", "/a/b", true },
                { "/*/b", "/a/c/b", false },
                { "*", "/a", false },
                { "/*.log", "/x.log", true },
                { "/*.log", "/x.log.1", false },
                { "/a*b*c", "/abc", true },
                { "/a*b*c", "/aXbYbZc", true },
                { "/a*b*c", "/aXbYc/c", false },
                /* ** crosses directories */
                { "/a/**", "/a/", true },
                { "/a/**", "/a/b/c/d", true },
                { "/a/**", "/a", false },
                { "/a/**", "/ab", false },
                { "**", "/anything/at/all", true },
                { "/a/**/b", "/a/x/b", true },
                { "/a/**/b", "/a/x/y/z/b", true },
                { "/a/**/b", "/a/b", false },
                { "/a/**.log", "/a/x/y.log", true },
                { "/a/**.log", "/a/x/y.txt", false },
                { "/**/x*", "/a/x/b/xy", true },
                { "/**/x*", "/a/x/b/y", false },
                { "/**/*.so", "/usr/lib/x86_64/libc.so", true },
                { "/**/*.so", "/usr/lib/x86_64/libc.so.6", false },
                { "/home/**/.ssh/*", "/home/u/.ssh/id_rsa", true },
                { "/home/**/.ssh/*", "/home/u/.ssh/keys/id_rsa", false },
                { "/a/***", "/a/b/c", true },
                /* ? */
                { "/dev/tty?", "/dev/tty1", true },
                { "/dev/tty?", "/dev/tty", false },
                { "/dev/tty?", "/dev/tty12", false },
                { "/a?b", "/a/b", false },
                /* classes */
                { "/dev/tty[0-9]", "/dev/tty5", true },
                { "/dev/tty[0-9]", "/dev/ttyS", false },
                { "/dev/tty[!0-9]", "/dev/ttyS", true },
                { "/dev/tty[!0-9]", "/dev/tty5", false },
                { "/dev/tty[^0-9]", "/dev/ttyS", true },
                { "/x[abc]", "/xb", true },
                { "/x[abc]", "/xd", false },
                { "/x[a-cx-z]", "/xy", true },
                { "/x[a-cx-z]", "/xm", false },
                { "/x[]]", "/x]", true },
                { "/x[!]]", "/x]", false },
                { "/x[!]]", "/xa", true },
                { "/x[a-]", "/x-", true },
                { "/x[\\]a]", "/x]", true },
                { "/a[/]b", "/a/b", false },
                { "/a[!x]b", "/a/b", false },
                /* unterminated class: a literal '[' */
                { "/x[ab", "/x[ab", true },
                { "/x[ab", "/xa", false },
                { "/x[", "/x[", true },
                /* escapes */
                { "/a\\*b", "/a*b", true },
                { "/a\\*b", "/aXb", false },
                { "/a\\?", "/a?", true },
                { "/a\\[x]", "/a[x]", true },
                { "/a\\", "/a\\", true },
                { "/a\\\\b", "/a\\b", true },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                bool m = srd_glob_match(cases[i].pattern, cases[i].path);

                if (m != cases[i].match)
                        TEST_FAIL_("glob \"%s\" vs \"%s\": got %d, want %d", cases[i].pattern,
                                   cases[i].path, m, cases[i].match);
        }
        ASSERT_FALSE(srd_glob_match(NULL, "/a"));
        ASSERT_FALSE(srd_glob_match("/a", NULL));
}

/* Exponential by construction: only for short random inputs. */
static bool glob_reference(const char *p, const char *s) {
        switch (*p) {
        case '\0':
                return *s == '\0';
        case '*':
                if (p[1] == '*') {
                        for (const char *t = s;; t++) {
                                if (glob_reference(p + 2, t))
                                        return true;
                                if (!*t)
                                        return false;
                        }
                }
                for (const char *t = s;; t++) {
                        if (glob_reference(p + 1, t))
                                return true;
                        if (!*t || *t == '/')
                                return false;
                }
        case '?':
                return *s && *s != '/' && glob_reference(p + 1, s + 1);
        case '[': {
                /* the random patterns only use "[ab]" and "[!ab]" */
                bool neg = p[1] == '!';
                const char *set = p + 1 + neg, *end = strchr(set, ']');
                bool in;

                if (!*s || *s == '/')
                        return false;
                in = memchr(set, *s, (size_t) (end - set)) != NULL;
                return in != neg && glob_reference(end + 1, s + 1);
        }
        default:
                return *s == *p && glob_reference(p + 1, s + 1);
        }
}

TEST(glob_random_against_reference) {
        static const char *pieces[] = { "a", "b", "/", "*", "**", "?", "[ab]", "[!a]" };
        static const char alphabet[] = "ab/";
        unsigned seed = 12345;

        for (int round = 0; round < 200000; round++) {
                char pattern[64] = "", path[16];
                size_t np = (size_t) (rand_r(&seed) % 7), ns = (size_t) (rand_r(&seed) % 10);

                for (size_t i = 0; i < np; i++)
                        strcat(pattern, pieces[rand_r(&seed) % (sizeof(pieces) / sizeof(pieces[0]))]);
                for (size_t i = 0; i < ns; i++)
                        path[i] = alphabet[rand_r(&seed) % 3];
                path[ns] = '\0';

                bool want = glob_reference(pattern, path);

                /* both matchers on their own, and the combination */
                if (srd_glob_match(pattern, path) != want || glob_nfa(pattern, path) != want ||
                    glob_backtrack(pattern, path, SIZE_MAX) != want)
                        TEST_FAIL_("glob \"%s\" vs \"%s\": got %d (nfa %d, backtrack %d), reference %d",
                                   pattern, path, srd_glob_match(pattern, path), glob_nfa(pattern, path),
                                   glob_backtrack(pattern, path, SIZE_MAX), want);
        }
}

/* Arbitrary bytes from the special characters: never crashes, never reads
 * past either string (run under -fsanitize=address to see that). */
TEST(glob_garbage) {
        static const char alphabet[] = "[]!^-\\*?/ab";
        unsigned seed = 777;
        size_t matched = 0;

        for (int round = 0; round < 50000; round++) {
                char pattern[16], path[16];
                size_t np = (size_t) (rand_r(&seed) % 15), ns = (size_t) (rand_r(&seed) % 15);

                for (size_t i = 0; i < np; i++)
                        pattern[i] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
                pattern[np] = '\0';
                for (size_t i = 0; i < ns; i++)
                        path[i] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
                path[ns] = '\0';
                matched += srd_glob_match(pattern, path);
                ASSERT_EQ(glob_nfa(pattern, path), glob_backtrack(pattern, path, SIZE_MAX));
                /* a pattern without special characters is a plain comparison */
                if (!strpbrk(pattern, "[\\*?"))
                        ASSERT_EQ(srd_glob_match(pattern, path), strcmp(pattern, path) == 0);
        }
        ASSERT_TRUE(matched > 0);
}

static double now_sec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/*
 * Patterns that make backtracking matchers exponential or cubic. Not a
 * timing test (those live in bench/): the bound is so loose that only an
 * exponential blow-up, which would take hours, can trip it.
 */
TEST(glob_hostile) {
        char pattern[256] = "/", path[SRD_PATH_MAX + 1];
        double t;

        for (int i = 0; i < 30; i++)
                strcat(pattern, "*a");
        strcat(pattern, "*b");
        memset(path, 'a', SRD_PATH_MAX);
        path[0] = '/';
        path[SRD_PATH_MAX] = '\0';

        t = now_sec();
        ASSERT_FALSE(srd_glob_match(pattern, path));

        strcpy(pattern, "/");
        for (int i = 0; i < 30; i++)
                strcat(pattern, "**a");
        strcat(pattern, "**b");
        ASSERT_FALSE(srd_glob_match(pattern, path));

        for (size_t i = 1; i < SRD_PATH_MAX; i += 2)
                path[i] = '/';
        strcpy(pattern, "/");
        for (int i = 0; i < 30; i++)
                strcat(pattern, "**/*a");
        strcat(pattern, "**/b");
        ASSERT_FALSE(srd_glob_match(pattern, path));
        path[SRD_PATH_MAX - 1] = 'b';
        ASSERT_TRUE(srd_glob_match(pattern, path));

        ASSERT_TRUE(now_sec() - t < 10.0);
}

/* The fast matcher gives up on hostile input, the NFA then decides. */
TEST(glob_budget_fallback) {
        char pattern[256] = "**", path[SRD_PATH_MAX + 1];

        for (int i = 0; i < 20; i++)
                strcat(pattern, "*a");
        strcat(pattern, "*b");
        memset(path, 'a', SRD_PATH_MAX);
        path[SRD_PATH_MAX] = '\0';

        ASSERT_EQ(glob_backtrack(pattern, path, 100000), -EAGAIN);
        ASSERT_FALSE(srd_glob_match(pattern, path));
        path[SRD_PATH_MAX - 1] = 'b';
        ASSERT_TRUE(srd_glob_match(pattern, path));
        ASSERT_TRUE(glob_nfa(pattern, path));

        /* ordinary patterns stay well inside the budget */
        ASSERT_EQ(glob_backtrack("/home/*/**/*.log", "/home/u/a/b/c/d/e/f/x.log", 8 * 40 + 64), 1);
        ASSERT_EQ(glob_backtrack("/home/*/**/*.log", "/home/u/a/b/c/d/e/f/x.lo", 8 * 40 + 64), 0);
}

TEST(glob_too_long_pattern) {
        char pattern[SRD_PATH_MAX + 10];

        memset(pattern, '*', sizeof(pattern) - 1);
        pattern[0] = '/';
        pattern[1] = 'x';
        pattern[sizeof(pattern) - 1] = '\0';
        ASSERT_FALSE(srd_glob_match(pattern, "/x"));
}

TESTS_MAIN
