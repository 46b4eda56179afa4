/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A minimal TAP harness: TEST(name) { ... } registers a test case, the
 * ASSERT_* macros fail the current case (and return from it), and
 * main() comes from TESTS_MAIN. Exit code 77 when every case skipped.
 * Each case runs in the main process; cases must clean up after themselves.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct TestCase {
        const char *name;
        void (*func)(void);
} TestCase;

extern int test_failed_;
extern const char *test_skip_reason_;

/*
 * Defined by harnesses that judge something after each case (the
 * integration tests: valgrind's verdict on each daemon the case stopped);
 * < 0 fails the case. Weak, so that other tests need not define it.
 */
int tests_after_case_(void) __attribute__((weak));

/*
 * $SRD_TESTS_SKIP: "case=reason;case=reason": cases not run here, reported
 * as TAP skips with the reason (tools/test-valgrind: cases that need a
 * syscall valgrind does not know). NULL when name is not listed.
 */
static inline const char *tests_skip_listed_(const char *name) {
        static char reason[256];
        const char *list = getenv("SRD_TESTS_SKIP"), *p, *end, *eq;
        size_t n = strlen(name);

        for (p = list; p && *p; p = *end ? end + 1 : end) {
                end = strchrnul(p, ';');
                eq = memchr(p, '=', (size_t) (end - p));
                if (eq && (size_t) (eq - p) == n && strncmp(p, name, n) == 0) {
                        (void) snprintf(reason, sizeof(reason), "%.*s", (int) (end - eq - 1), eq + 1);
                        return reason;
                }
        }
        return NULL;
}

#define TESTS_MAX 512
extern TestCase test_cases_[TESTS_MAX];
extern size_t test_n_cases_;

#define TEST(n)                                                                 \
        static void test_##n(void);                                             \
        __attribute__((constructor)) static void test_register_##n(void) {      \
                if (test_n_cases_ < TESTS_MAX)                                  \
                        test_cases_[test_n_cases_++] = (TestCase) { #n, test_##n }; \
        }                                                                       \
        static void test_##n(void)

#define TEST_FAIL_(fmt, ...)                                                    \
        do {                                                                    \
                printf("# %s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__); \
                test_failed_ = 1;                                               \
                return;                                                         \
        } while (0)

#define SKIP(reason)                                                            \
        do {                                                                    \
                test_skip_reason_ = (reason);                                   \
                return;                                                         \
        } while (0)

#define ASSERT_TRUE(e)                                                          \
        do {                                                                    \
                if (!(e))                                                       \
                        TEST_FAIL_("assertion failed: %s", #e);                 \
        } while (0)
#define ASSERT_FALSE(e) ASSERT_TRUE(!(e))

#define ASSERT_EQ(a, b)                                                         \
        do {                                                                    \
                long long a_ = (long long) (a), b_ = (long long) (b);           \
                if (a_ != b_)                                                   \
                        TEST_FAIL_("%s == %s: %lld != %lld", #a, #b, a_, b_);   \
        } while (0)
#define ASSERT_NE(a, b)                                                         \
        do {                                                                    \
                long long a_ = (long long) (a), b_ = (long long) (b);           \
                if (a_ == b_)                                                   \
                        TEST_FAIL_("%s != %s: both %lld", #a, #b, a_);          \
        } while (0)
#define ASSERT_OK(r)                                                            \
        do {                                                                    \
                long long r_ = (long long) (r);                                 \
                if (r_ < 0)                                                     \
                        TEST_FAIL_("%s failed: %lld (%s)", #r, r_, strerror((int) -r_)); \
        } while (0)
#define ASSERT_ERROR(r, err)                                                    \
        do {                                                                    \
                long long r_ = (long long) (r);                                 \
                if (r_ != -(long long) (err))                                   \
                        TEST_FAIL_("%s: expected -%s, got %lld", #r, #err, r_); \
        } while (0)
#define ASSERT_STREQ(a, b)                                                      \
        do {                                                                    \
                const char *a_ = (a), *b_ = (b);                                \
                if (!a_ || !b_ || strcmp(a_, b_) != 0)                          \
                        TEST_FAIL_("%s == %s: \"%s\" != \"%s\"", #a, #b,        \
                                   a_ ? a_ : "(null)", b_ ? b_ : "(null)");     \
        } while (0)
#define ASSERT_NULL(p) ASSERT_TRUE((p) == NULL)
#define ASSERT_NOT_NULL(p) ASSERT_TRUE((p) != NULL)

#define TESTS_MAIN                                                              \
        int test_failed_;                                                       \
        const char *test_skip_reason_;                                          \
        TestCase test_cases_[TESTS_MAX];                                        \
        size_t test_n_cases_;                                                   \
        int main(int argc, char *argv[]) {                                      \
                size_t skipped = 0, failed = 0;                                 \
                setvbuf(stdout, NULL, _IOLBF, 0);                               \
                printf("1..%zu\n", test_n_cases_);                              \
                for (size_t i = 0; i < test_n_cases_; i++) {                    \
                        test_failed_ = 0;                                       \
                        test_skip_reason_ = NULL;                               \
                        test_skip_reason_ = tests_skip_listed_(test_cases_[i].name); \
                        if (!test_skip_reason_)                                 \
                                test_cases_[i].func();                          \
                        if (tests_after_case_ && tests_after_case_() < 0)       \
                                test_failed_ = 1;                               \
                        if (test_failed_) {                                     \
                                failed++;                                       \
                                printf("not ok %zu - %s\n", i + 1, test_cases_[i].name); \
                        } else if (test_skip_reason_) {                         \
                                skipped++;                                      \
                                printf("ok %zu - %s # SKIP %s\n", i + 1,        \
                                       test_cases_[i].name, test_skip_reason_); \
                        } else                                                  \
                                printf("ok %zu - %s\n", i + 1, test_cases_[i].name); \
                }                                                               \
                if (failed)                                                     \
                        return 1;                                               \
                return skipped > 0 && skipped == test_n_cases_ ? 77 : 0;        \
        }
