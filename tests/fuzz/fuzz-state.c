/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The container state files (daemon/state.c) are read back by a restarted
 * daemon and decide which policy a listener gets: arbitrary bytes must
 * parse or be refused, never crash, and whatever parses must hold the
 * invariants the daemon relies on (a policy name in its charset, a pid
 * above 0, an absolute root, no NUL inside the strings) and format back to
 * exactly the same bytes (one spelling per state).
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(e) \
        do { \
                if (!(e)) { \
                        fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #e); \
                        abort(); \
                } \
        } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ContainerState s = {};
        char *out = NULL;
        size_t len = 0;

        (void) state_key_valid((const char *) data, size);
        if (container_state_parse((const char *) data, size, &s) < 0)
                return 0;

        CHECK(s.id && s.id[0] && strlen(s.id) <= STATE_ID_MAX);
        CHECK(s.policy && state_policy_name_valid(s.policy, strlen(s.policy)));
        CHECK(s.pid > 0);
        CHECK(s.slot == STATE_NO_SLOT || s.slot < STATE_SLOT_MAX);
        CHECK(!s.root || (s.root[0] == '/' && strlen(s.root) <= STATE_ROOT_MAX));
        CHECK(container_state_format(&s, &out, &len) == 0);
        CHECK(len == size && memcmp(out, data, size) == 0);
        free(out);
        container_state_done(&s);
        return 0;
}
