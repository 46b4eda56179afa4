/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The init socket's lines come from inside a container, and the token
 * files are read by the daemon: every parser of init-proto.c on arbitrary
 * bytes, with the invariants the daemon relies on (a token is 32 hex
 * digits, names are in their charset, numbers in range, a parse that
 * succeeds formats back to the same bytes).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(e) \
        do { \
                if (!(e)) { \
                        fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #e); \
                        abort(); \
                } \
        } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *s = (const char *) data;
        char token[SRI_TOKEN_LEN + 1], id[SRI_ID_MAX + 1], policy[SRI_POLICY_MAX + 1];
        char out[SRI_LINE_MAX + 16];
        int nrs[SRI_MAX_SYSCALLS], fd;
        size_t n;

        if (size > 2 * SRI_LINE_MAX)
                return 0;

        if (sri_parse_hello(s, size, token) >= 0) {
                CHECK(strlen(token) == SRI_TOKEN_LEN && sri_token_valid(token, SRI_TOKEN_LEN));
                CHECK(size == strlen(SRI_HELLO) + SRI_TOKEN_LEN);
        }
        if (sri_parse_listener(s, size, &fd) >= 0) {
                CHECK(fd >= 0 && fd <= (1 << 20));
                (void) snprintf(out, sizeof(out), "LISTENER %d", fd);
                CHECK(strlen(out) == size && memcmp(out, s, size) == 0);
        }
        if (sri_parse_syscalls(s, size, nrs, SRI_MAX_SYSCALLS, &n) >= 0) {
                for (size_t i = 0; i < n; i++)
                        CHECK(nrs[i] >= 0 && nrs[i] <= 4095);
                CHECK(sri_format_syscalls(nrs, n, out, sizeof(out)) >= 0);
                CHECK(strlen(out) == size + 1 && memcmp(out, s, size) == 0);
        }
        SriSource source;

        if (sri_parse_token_file(s, size, id, policy, &source) >= 0) {
                CHECK(source == SRI_SOURCE_OPERATOR || source == SRI_SOURCE_ANNOTATION);
                CHECK(sri_name_valid(id, strlen(id), SRI_ID_MAX));
                CHECK(sri_name_valid(policy, strlen(policy), SRI_POLICY_MAX));
                CHECK(size <= SRI_TOKEN_FILE_MAX);
        }
        return 0;
}
