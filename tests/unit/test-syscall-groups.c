/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The syscall groups: every member is a syscall name this system knows, and
 * seccomp-redirectd.policy(5) lists each group with exactly its members.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "seccomp-redirect.h"
#include "syscall-groups.h"
#include "tests.h"

TEST(members_are_syscalls) {
        const SrdSyscallGroup *g;
        size_t n;

        g = srd_syscall_groups(&n);
        ASSERT_TRUE(n >= 10);
        for (size_t i = 0; i < n; i++) {
                ASSERT_TRUE(g[i].name[0] == '@');
                ASSERT_TRUE(srd_syscall_group(g[i].name) == &g[i]);
                for (const char *const *m = g[i].members; *m; m++)
                        if (srd_syscall_resolve(*m) < 0) {
                                printf("# %s: unknown member %s\n", g[i].name, *m);
                                test_failed_ = 1;
                        }
        }
        ASSERT_NULL(srd_syscall_group("@nope"));
        ASSERT_STREQ(srd_syscall_group_suggest("@fle-write"), "@file-write");
}

static char *read_man(void) {
        const char *root = getenv("SRD_SOURCE_ROOT");
        char path[4096];
        FILE *f;
        char *buf;
        long len;

        snprintf(path, sizeof path, "%s/man/seccomp-redirectd.policy.5", root ? root : "../..");
        f = fopen(path, "re");
        if (!f)
                return NULL;
        fseek(f, 0, SEEK_END);
        len = ftell(f);
        rewind(f);
        buf = malloc((size_t) len + 1);
        if (buf && fread(buf, 1, (size_t) len, f) != (size_t) len) {
                free(buf);
                buf = NULL;
        }
        if (buf)
                buf[len] = '\0';
        fclose(f);
        return buf;
}

TEST(man_page_lists_them) {
        const SrdSyscallGroup *g;
        char *man = read_man();
        size_t n;

        ASSERT_NOT_NULL(man);
        g = srd_syscall_groups(&n);
        for (size_t i = 0; i < n; i++) {
                char head[128], list[2048] = "";
                const char *at, *end;

                snprintf(head, sizeof head, ".TP\n.B %s\n", g[i].name);
                at = strstr(man, head);
                if (!at) {
                        printf("# %s is not in the man page\n", g[i].name);
                        test_failed_ = 1;
                        continue;
                }
                for (const char *const *m = g[i].members; *m; m++) {
                        strcat(list, *m);
                        strcat(list, m[1] ? ", " : ".\n");
                }
                /* The members are the last line of the entry. */
                end = strstr(at + strlen(head), ".TP\n");
                const char *section = strstr(at, "\n.SH") ? strstr(at, "\n.SH") + 1 : NULL;
                if (!end || (section && section < end))
                        end = section;
                if (!end || (size_t) (end - at) < strlen(list) ||
                    strncmp(end - strlen(list), list, strlen(list)) != 0) {
                        printf("# %s: the man page does not list: %s", g[i].name, list);
                        test_failed_ = 1;
                }
        }
        free(man);
}

TESTS_MAIN
