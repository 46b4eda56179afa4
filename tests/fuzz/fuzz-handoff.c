/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The handoff payload comes from whoever can connect to the agent socket:
 * parse arbitrary bytes, pick the policy (per source, too), look for the
 * listener fd, and check the invariants the daemon relies on. Small inputs
 * also go through the socket reader, whole, in pieces and without EOF, which
 * must agree with the parser.
 */
#include <fcntl.h>
#include <json-c/json.h>
#include <stdbool.h>
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
/*
 * Inputs also sent 7 bytes at a time, and the smaller ones a byte at a
 * time: every split point of a short payload is tried, and a send and two
 * receives per byte of a long one would cost a thousand times its parse.
 */
#define READER_CHUNKED_MAX 4096U
#define READER_BYTEWISE_MAX 256U

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

static void check_policy_name(const char *policy) {
        size_t n = strlen(policy);

        CHECK(n >= 1 && n <= 64);
        CHECK(strspn(policy, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n);
        CHECK(!streq(policy, ".") && !streq(policy, ".."));
}

static void check_handoff(const SrdHandoff *h) {
        const char *policy = srd_handoff_policy(h), *from[_SRD_POLICY_SOURCE_MAX];
        int fd, rf[_SRD_POLICY_SOURCE_MAX], r;

        /* Per source: a valid name, none, or "named but invalid"; the combined
         * choice is the metadata's when it names one (validly or not), else the annotation's. */
        for (int s = 0; s < _SRD_POLICY_SOURCE_MAX; s++) {
                rf[s] = srd_handoff_get_policy_from(h, (SrdPolicySource) s, &from[s]);
                CHECK(rf[s] == 0 || rf[s] == -ENOENT || rf[s] == -EBADMSG);
                CHECK((rf[s] == 0) == (from[s] != NULL));
                if (from[s])
                        check_policy_name(from[s]);
                CHECK(srd_policy_source_from_string(srd_policy_source_to_string((SrdPolicySource) s)) == s);
        }
        CHECK(rf[SRD_POLICY_SOURCE_ANNOTATION] == -ENOENT || h->policy_annotation);
        CHECK(rf[SRD_POLICY_SOURCE_METADATA] == -ENOENT || h->metadata);
        r = rf[SRD_POLICY_SOURCE_METADATA] != -ENOENT ? SRD_POLICY_SOURCE_METADATA
                                                      : SRD_POLICY_SOURCE_ANNOTATION;
        if (rf[r] == 0)
                CHECK(policy && streq(policy, from[r]));
        else
                CHECK(!policy);
        CHECK(srd_handoff_get_policy_from(h, _SRD_POLICY_SOURCE_MAX, &from[0]) == -EINVAL);

        CHECK(h->pid > 0);
        CHECK(h->container_id && h->container_id[0]);
        CHECK(h->n_fd_names <= SRD_HANDOFF_MAX_FDS);
        CHECK(h->fd_names && !h->fd_names[h->n_fd_names]);
        for (size_t i = 0; i < h->n_fd_names; i++)
                CHECK(h->fd_names[i]);

        if (policy)
                check_policy_name(policy);

        /* Parsed handoffs carry no fds: any name makes the count mismatch. */
        fd = srd_handoff_listener_fd(h);
        CHECK(fd == (h->n_fd_names > 0 ? -EINVAL : -ENOENT));
}

/* What the reader made of one connection: its result and, on success, the container id. */
typedef struct ReaderResult {
        int r;
        char *id;
} ReaderResult;

/*
 * Send data over a socketpair, chunk bytes at a time (0: all at once) with
 * a feed after each, then close our end unless keep_open and feed until the
 * reader is done (or, with keep_open, until it has nothing more to read).
 */
static ReaderResult read_through_socket(const uint8_t *data, size_t size, size_t chunk, bool keep_open) {
        ReaderResult res = {};
        SrdHandoffReader *reader = NULL;
        SrdHandoff *h = NULL;
        char *error = NULL;
        size_t off = 0;
        int sv[2], r = 0;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                abort();
        CHECK(srd_handoff_reader_new(sv[1], &reader) == 0);
        if (chunk == 0)
                chunk = size;
        while (off < size && r == 0) {
                size_t n = MIN(chunk, size - off);

                if (send(sv[0], data + off, n, MSG_NOSIGNAL) != (ssize_t) n)
                        abort();
                off += n;
                r = srd_handoff_reader_feed(reader, &h, &error);
        }
        if (!keep_open)
                sv[0] = safe_close(sv[0]);
        if (r == 0)
                r = srd_handoff_reader_feed(reader, &h, &error);
        if (r < 0)
                check_error(r, error);
        if (r == 1) {
                CHECK(h && h->n_fds == 0);
                res.id = strdup(h->container_id);
        }
        /* Done or not, nothing is held once the reader is done. */
        if (r != 0)
                CHECK(srd_handoff_reader_allocated(reader) == 0);
        res.r = r;

        srd_handoff_free(h);
        free(error);
        srd_handoff_reader_free(reader);
        safe_close(sv[0]);
        safe_close(sv[1]);
        return res;
}

/* The first prefix of data that ends in '}' and is a complete, valid handoff, as the parser sees it. */
static ReaderResult first_valid_prefix(const uint8_t *data, size_t size) {
        ReaderResult res = {.r = -ENOENT};

        for (size_t end = 1; end <= size; end++) {
                SrdHandoff *h = NULL;

                if (data[end - 1] != '}')
                        continue;
                if (srd_handoff_parse((const char *) data, end, &h, NULL) == 0) {
                        res.r = h->n_fd_names > 0 ? -EINVAL : 1;
                        res.id = h->n_fd_names > 0 ? NULL : strdup(h->container_id);
                        srd_handoff_free(h);
                        break;
                }
        }
        return res;
}

/* What the reader should make of a complete payload of these bytes (no fds sent). */
static ReaderResult expected_from_parse(const uint8_t *data, size_t size) {
        ReaderResult res = {};
        SrdHandoff *h = NULL;

        if (size == 0) {
                res.r = -EBADMSG;
                return res;
        }
        res.r = srd_handoff_parse((const char *) data, size, &h, NULL);
        if (res.r == 0) {
                if (h->n_fd_names > 0)
                        res.r = -EINVAL; /* names without fds */
                else {
                        res.r = 1;
                        res.id = strdup(h->container_id);
                }
        }
        srd_handoff_free(h);
        return res;
}

static bool same_result(const ReaderResult *a, const ReaderResult *b) {
        return a->r == b->r && (a->r != 1 || streq(a->id, b->id));
}

/*
 * The same bytes through a socket. The payload ends at the brace closing
 * the top-level object (what follows is never read) or at EOF, so:
 * - a payload the parser accepts is read the same, whole, in pieces, and
 *   without EOF (runc keeps the connection open): the closing brace is enough;
 * - cut in pieces, the reader agrees with itself reading everything at once;
 * - when the parser refuses the whole input but the reader accepts it, the
 *   reader took a prefix ending in '}' that the parser accepts: the first one;
 *   when both refuse, no such prefix exists.
 */
static void check_reader(const uint8_t *data, size_t size) {
        ReaderResult whole = expected_from_parse(data, size), at_once, pieces, open;

        at_once = read_through_socket(data, size, 0, false);
        if (whole.r == 1)
                CHECK(same_result(&at_once, &whole));
        else if (size <= READER_CHUNKED_MAX && (at_once.r == 1 || whole.r < 0)) {
                ReaderResult prefix = first_valid_prefix(data, size);

                if (at_once.r == 1)
                        CHECK(same_result(&at_once, &prefix));
                else
                        CHECK(prefix.r != 1);
                free(prefix.id);
        }

        if (size <= READER_CHUNKED_MAX) {
                for (size_t chunk = size <= READER_BYTEWISE_MAX ? 1 : 7; chunk <= 7; chunk += 6) {
                        pieces = read_through_socket(data, size, chunk, false);
                        CHECK(same_result(&pieces, &at_once));
                        free(pieces.id);
                }
        }

        open = read_through_socket(data, size, 0, true);
        if (whole.r == 1)
                CHECK(same_result(&open, &whole));
        else
                CHECK(open.r == 0 || same_result(&open, &at_once));

        free(whole.id);
        free(at_once.id);
        free(open.id);
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
                check_reader(data, size);

        srd_handoff_free(h);
        free(error);
        return 0;
}
