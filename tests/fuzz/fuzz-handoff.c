/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The handoff payload comes from whoever can connect to the agent socket:
 * parse arbitrary bytes, pick the policy, look for the listener fd, and check
 * the invariants the daemon relies on. Small inputs also go through the
 * socket reader, which must agree with the parser.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "macro.h"
#include "seccomp-redirect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reader inputs must fit the socket buffer: the peer here writes everything before reading. */
#define READER_MAX_INPUT 65536U

#define CHECK(e) \
        do { \
                if (!(e)) { \
                        fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #e); \
                        abort(); \
                } \
        } while (0)

static void check_error(int r, const char *error) {
        CHECK(r < 0);
        /* Messages exist for everything but allocation failures, and all say where they come from. */
        if (r != -ENOMEM) {
                CHECK(error);
                CHECK(strncmp(error, "handoff: ", 9) == 0);
        }
}

static void check_handoff(const SrdHandoff *h) {
        const char *policy = srd_handoff_policy(h);
        int fd;

        CHECK(h->pid > 0);
        CHECK(h->container_id && h->container_id[0]);
        CHECK(h->n_fd_names <= SRD_HANDOFF_MAX_FDS);
        CHECK(h->fd_names && !h->fd_names[h->n_fd_names]);
        for (size_t i = 0; i < h->n_fd_names; i++)
                CHECK(h->fd_names[i]);

        if (policy) {
                size_t n = strlen(policy);

                CHECK(n >= 1 && n <= 64);
                CHECK(strspn(policy, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
                      n);
                CHECK(!streq(policy, ".") && !streq(policy, ".."));
        }

        /* Parsed handoffs carry no fds: any name makes the count mismatch. */
        fd = srd_handoff_listener_fd(h);
        CHECK(fd == (h->n_fd_names > 0 ? -EINVAL : -ENOENT));
}

/* The same bytes through a socket: same verdict, except where fds or EOF matter. */
static void check_reader(const uint8_t *data, size_t size, int parse_result, const SrdHandoff *parsed) {
        SrdHandoffReader *reader = NULL;
        SrdHandoff *h = NULL;
        char *error = NULL;
        int sv[2], r;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return;
        if (size > 0 && send(sv[0], data, size, MSG_NOSIGNAL) != (ssize_t) size)
                abort();
        safe_close(sv[0]);

        CHECK(srd_handoff_reader_new(sv[1], &reader) == 0);
        r = srd_handoff_reader_feed(reader, &h, &error);
        if (size == 0)
                CHECK(r == -EBADMSG);
        else if (parse_result < 0)
                CHECK(r == parse_result);
        else if (parsed->n_fd_names > 0)
                CHECK(r == -EINVAL); /* names without fds */
        else {
                CHECK(r == 1);
                CHECK(h && h->n_fds == 0);
                CHECK(streq(h->container_id, parsed->container_id));
        }
        if (r < 0)
                check_error(r, error);

        srd_handoff_free(h);
        free(error);
        srd_handoff_reader_free(reader);
        safe_close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        SrdHandoff *h = NULL;
        char *error = NULL;
        int r;

        r = srd_handoff_parse((const char *) data, size, &h, &error);
        if (r < 0) {
                check_error(r, error);
                CHECK(!h);
        } else
                check_handoff(h);

        if (size <= READER_MAX_INPUT)
                check_reader(data, size, r, h);

        srd_handoff_free(h);
        free(error);
        return 0;
}
