/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The container state file (daemon/state.c): what parses, what is refused. */
#include "state.h"
#include "tests.h"

static int parse(const char *s, ContainerState *ret) {
        return container_state_parse(s, strlen(s), ret);
}

TEST(round_trip) {
        ContainerState s = {.id = (char *) "c1\n%x y",
                            .policy = (char *) "demo",
                            .pid = 42,
                            .starttime = 99,
                            .slot = 7,
                            .root = (char *) "/var/lib/x y"};
        ContainerState back = {};
        char *buf = NULL;
        size_t len;

        ASSERT_OK(container_state_format(&s, &buf, &len));
        ASSERT_STREQ(buf, "version=1\nid=c1%0A%25x%20y\npolicy=demo\npid=42\nstarttime=99\nslot=7\nroot=/"
                          "var/lib/x%20y\n");
        ASSERT_OK(container_state_parse(buf, len, &back));
        ASSERT_STREQ(back.id, s.id);
        ASSERT_STREQ(back.policy, "demo");
        ASSERT_EQ(back.pid, 42);
        ASSERT_EQ(back.starttime, (uint64_t) 99);
        ASSERT_STREQ(back.root, s.root);
        ASSERT_EQ(back.slot, (uint32_t) 7);
        container_state_done(&back);
        free(buf);
}

TEST(no_root) {
        ContainerState s = {};

        ASSERT_OK(parse("version=1\nid=a\npolicy=p\npid=1\nstarttime=0\n", &s));
        ASSERT_NULL(s.root);
        ASSERT_EQ(s.slot, STATE_NO_SLOT);
        container_state_done(&s);
}

TEST(refused) {
        static const char *const bad[] = {
                "",
                "version=1\n",
                "version=1\nid=a\npolicy=p\npid=1\nstarttime=0", /* no final newline */
                "version=2\nid=a\npolicy=p\npid=1\nstarttime=0\n", /* later format */
                "id=a\nversion=1\npolicy=p\npid=1\nstarttime=0\n", /* version not first */
                "version=1\nid=a\npolicy=p\npid=1\npid=1\nstarttime=0\n", /* twice */
                "version=1\nid=a\npolicy=p\npid=1\nstarttime=0\nx=1\n", /* unknown field */
                "version=1\nid=a\npolicy=p\npid=1\nstarttime=0\n\n", /* empty line */
                "version=1\nid=a\npolicy=../p\npid=1\nstarttime=0\n", /* not a policy name */
                "version=1\nid=a\npolicy=..\npid=1\nstarttime=0\n",
                "version=1\nid=a\npolicy=p\npid=0\nstarttime=0\n", /* pid 0 */
                "version=1\nid=a\npolicy=p\npid=-1\nstarttime=0\n",
                "version=1\nid=a\npolicy=p\npid=01\nstarttime=0\n", /* leading zero */
                "version=1\nid=a\npolicy=p\npid=2147483648\nstarttime=0\n",
                "version=1\nid=a\npolicy=p\npid=1\nstarttime=18446744073709551616\n",
                "version=1\nid=\npolicy=p\npid=1\nstarttime=0\n", /* empty id */
                "version=1\nid=a b\npolicy=p\npid=1\nstarttime=0\n", /* raw space */
                "version=1\nid=%61\npolicy=p\npid=1\nstarttime=0\n", /* needless escape */
                "version=1\nid=%0a\npolicy=p\npid=1\nstarttime=0\n", /* lower case hex */
                "version=1\nid=%00\npolicy=p\npid=1\nstarttime=0\n", /* NUL */
                "version=1\nid=a%0\npolicy=p\npid=1\nstarttime=0\n", /* short escape */
                "version=1\nid=a\npolicy=p\npid=1\nstarttime=0\nroot=r\n", /* relative root */
                "version=1\nid=a\npolicy=p\npid=1\n", /* missing field */
                "version=1\nid=a\npid=1\npolicy=p\nstarttime=0\n", /* out of order */
                "version=1\nid=a\npolicy=p\npid=1\nstarttime=0\nslot=16384\n", /* slot out of range */
                "version=1\nid=a\npolicy=p\npid=1\nstarttime=0\nroot=/\nslot=1\n", /* slot after root */
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                ContainerState s = {};
                int r = parse(bad[i], &s);

                if (r != -EBADMSG)
                        printf("# accepted or wrong error (%d): %s\n", r, bad[i]);
                ASSERT_EQ(r, -EBADMSG);
        }
}

TEST(keys) {
        ASSERT_TRUE(state_key_valid("0123456789abcdef", 16));
        ASSERT_FALSE(state_key_valid("0123456789ABCDEF", 16));
        ASSERT_FALSE(state_key_valid("0123456789abcde", 15));
        ASSERT_FALSE(state_key_valid("../../etc/passwd", 16));
}

TESTS_MAIN
