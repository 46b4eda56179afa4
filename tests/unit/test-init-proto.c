/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * init/init-proto.c: what the daemon accepts from an init (inside a
 * container) and from a token file, byte by byte, and what it refuses.
 */
#include <string.h>

#include "init-proto.h"
#include "tests.h"

#define TOKEN "0123456789abcdef0123456789abcdef"
#define L(s) (s), strlen(s)

TEST(token) {
        ASSERT_TRUE(sri_token_valid(L(TOKEN)));
        ASSERT_FALSE(sri_token_valid(L("0123456789ABCDEF0123456789abcdef"))); /* uppercase */
        ASSERT_FALSE(sri_token_valid(L("0123456789abcdef0123456789abcde"))); /* 31 */
        ASSERT_FALSE(sri_token_valid(L(TOKEN "0"))); /* 33 */
        ASSERT_FALSE(sri_token_valid(L("0123456789abcdef0123456789abcdeg")));
}

TEST(hello) {
        char t[SRI_TOKEN_LEN + 1];

        ASSERT_OK(sri_parse_hello(L(SRI_HELLO TOKEN), t));
        ASSERT_STREQ(t, TOKEN);
        /* Anything more than the token is not an init: a weaker policy, a second word. */
        ASSERT_ERROR(sri_parse_hello(L(SRI_HELLO TOKEN " policy=permissive"), t), EBADMSG);
        ASSERT_ERROR(sri_parse_hello(L(SRI_HELLO TOKEN " "), t), EBADMSG);
        ASSERT_ERROR(sri_parse_hello(L("SECCOMP-REDIRECT-INIT 2 " TOKEN), t), EBADMSG);
        ASSERT_ERROR(sri_parse_hello(L("seccomp-redirect-init 1 " TOKEN), t), EBADMSG);
        ASSERT_ERROR(sri_parse_hello(L("{\"metadata\":\"policy=permissive\"}"), t), EBADMSG);
        ASSERT_ERROR(sri_parse_hello("SECCOMP-REDIRECT-INIT 1 0123456789abcdef\0"
                                     "123456789abcde",
                                     strlen(SRI_HELLO) + 32, t),
                     EBADMSG); /* a NUL inside */
}

TEST(listener) {
        int fd = -1;

        ASSERT_OK(sri_parse_listener(L("LISTENER 3"), &fd));
        ASSERT_EQ(fd, 3);
        ASSERT_OK(sri_parse_listener(L("LISTENER 0"), &fd));
        ASSERT_EQ(fd, 0);
        ASSERT_ERROR(sri_parse_listener(L("LISTENER 03"), &fd), EBADMSG);
        ASSERT_ERROR(sri_parse_listener(L("LISTENER -1"), &fd), EBADMSG);
        ASSERT_ERROR(sri_parse_listener(L("LISTENER +1"), &fd), EBADMSG);
        ASSERT_ERROR(sri_parse_listener(L("LISTENER 3 4"), &fd), EBADMSG);
        ASSERT_ERROR(sri_parse_listener(L("LISTENER 99999999999"), &fd), EBADMSG);
        ASSERT_ERROR(sri_parse_listener(L("LISTENER "), &fd), EBADMSG);
}

TEST(syscalls) {
        int nrs[4], all[] = {0, 2, 257, 4095};
        char buf[64];
        size_t n = 0;

        ASSERT_OK(sri_parse_syscalls(L("SYSCALLS 2 257"), nrs, 4, &n));
        ASSERT_EQ(n, 2U);
        ASSERT_EQ(nrs[1], 257);
        ASSERT_OK(sri_parse_syscalls(L("SYSCALLS"), nrs, 4, &n));
        ASSERT_EQ(n, 0U);
        ASSERT_ERROR(sri_parse_syscalls(L("SYSCALLS 4096"), nrs, 4, &n), EBADMSG);
        ASSERT_ERROR(sri_parse_syscalls(L("SYSCALLS  2"), nrs, 4, &n), EBADMSG);
        ASSERT_ERROR(sri_parse_syscalls(L("SYSCALLS 1 2 3 4 5"), nrs, 4, &n), E2BIG);
        ASSERT_OK(sri_format_syscalls(all, 4, buf, sizeof(buf)));
        ASSERT_STREQ(buf, "SYSCALLS 0 2 257 4095\n");
        ASSERT_ERROR(sri_format_syscalls(all, 4, buf, 12), ENOBUFS);
}

TEST(token_file) {
        char id[SRI_ID_MAX + 1], pol[SRI_POLICY_MAX + 1];
        SriSource src;

        ASSERT_OK(sri_parse_token_file(L("container=c1\npolicy=web\n"), id, pol, &src));
        ASSERT_STREQ(id, "c1");
        ASSERT_STREQ(pol, "web");
        ASSERT_EQ(src, SRI_SOURCE_OPERATOR);
        ASSERT_OK(sri_parse_token_file(L("policy=web\nsource=annotation\ncontainer=c1\n"), id, pol, &src));
        ASSERT_EQ(src, SRI_SOURCE_ANNOTATION);
        ASSERT_ERROR(sri_parse_token_file(L("container=c1\npolicy=web"), id, pol, &src), EBADMSG); /* torn */
        ASSERT_ERROR(sri_parse_token_file(L("container=c1\n"), id, pol, &src), EBADMSG);
        ASSERT_ERROR(sri_parse_token_file(L("container=c1\ncontainer=c2\npolicy=web\n"), id, pol, &src),
                     EBADMSG);
        ASSERT_ERROR(sri_parse_token_file(L("container=../x\npolicy=web\n"), id, pol, &src), EBADMSG);
        ASSERT_ERROR(sri_parse_token_file(L("container=c1\npolicy=web\nsource=container\n"), id, pol, &src),
                     EBADMSG);
        ASSERT_ERROR(sri_parse_token_file(L("container=c1\npolicy=web\nextra=1\n"), id, pol, &src), EBADMSG);
        ASSERT_ERROR(sri_parse_token_file(L("container=c 1\npolicy=web\n"), id, pol, &src), EBADMSG);
}

TESTS_MAIN
