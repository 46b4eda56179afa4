/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OCI listenerPath handoff: the JSON parser, policy selection, and the
 * non-blocking reader against a real AF_UNIX stream socketpair with real
 * SCM_RIGHTS. Every reader test also checks that no fd leaks, by counting
 * /proc/self/fd before and after.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "seccomp-redirect.h"
#include "tests.h"

TESTS_MAIN

DEFINE_TRIVIAL_CLEANUP_FUNC(SrdHandoff *, srd_handoff_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(SrdHandoffReader *, srd_handoff_reader_free);

/* What runc 1.1 sends: Go's encoding/json, compact, no trailing newline. */
static const char runc_payload[] =
        "{\"ociVersion\":\"1.0.2-dev\",\"fds\":[\"seccompFd\"],\"pid\":22563,"
        "\"metadata\":\"policy=demo\",\"state\":{\"ociVersion\":\"1.0.2-dev\",\"id\":\"test3\","
        "\"status\":\"creating\",\"pid\":22563,\"bundle\":\"/tmp/bundle\","
        "\"annotations\":{\"org.opencontainers.image.stopSignal\":\"SIGTERM\"}}}";

/* What crun sends: yajl beautified, "0.2.0" everywhere, a trailing newline. */
static const char crun_payload[] = "{\n"
                                   "    \"ociVersion\": \"0.2.0\",\n"
                                   "    \"fds\": [\n"
                                   "        \"seccompFd\"\n"
                                   "    ],\n"
                                   "    \"pid\": 4242,\n"
                                   "    \"state\": {\n"
                                   "        \"ociVersion\": \"0.2.0\",\n"
                                   "        \"id\": \"web-1\",\n"
                                   "        \"status\": \"running\",\n"
                                   "        \"pid\": 4200,\n"
                                   "        \"bundle\": \"/run/containers/web-1\",\n"
                                   "        \"annotations\": {\n"
                                   "            \"io.container.manager\": \"libpod\",\n"
                                   "            \"seccomp-redirect.policy\": \"web\"\n"
                                   "        }\n"
                                   "    }\n"
                                   "}\n";

static char *strprintf(const char *fmt, ...) _printf_(1, 2);
static char *strprintf(const char *fmt, ...) {
        va_list ap;
        char *s;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                abort();
        va_end(ap);
        return s;
}

/* Table rows report every mismatch, not just the first, then the case fails. */
#define ROW_FAIL(fmt, ...) \
        do { \
                printf("# %s:%d: " fmt "\n", __FILE__, __LINE__, __VA_ARGS__); \
                test_failed_ = 1; \
        } while (0)

static void *mfree(void *p) {
        free(p);
        return NULL;
}

static unsigned count_open_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        unsigned n = 0;

        if (!d)
                abort();
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n - 1; /* the directory's own fd */
}

static bool fd_is_open(int fd) {
        return fcntl(fd, F_GETFD) >= 0;
}

/* A payload with the given metadata / annotation (NULL: left out). */
static char *payload_with(const char *metadata, const char *annotation) {
        _cleanup_free_ char *m = metadata ? strprintf("\"metadata\":\"%s\",", metadata) : strdup("");
        _cleanup_free_ char *a =
                annotation ? strprintf(",\"annotations\":{\"seccomp-redirect.policy\":\"%s\"}", annotation)
                           : strdup("");

        return strprintf("{\"ociVersion\":\"1.0.2-dev\",\"fds\":[\"seccompFd\"],\"pid\":7,%s"
                         "\"state\":{\"id\":\"c\",\"status\":\"creating\"%s}}",
                         m, a);
}

/* A pipe's read end to send; the write end is closed right away. */
static int make_fd(void) {
        int p[2];

        if (pipe2(p, O_CLOEXEC) < 0)
                abort();
        close(p[1]);
        return p[0];
}

static ssize_t send_with_fds(int sock, const void *data, size_t len, const int *fds, size_t n_fds) {
        union {
                struct cmsghdr align;
                uint8_t buf[CMSG_SPACE(sizeof(int) * 64)];
        } control = {};
        struct iovec iov = {(void *) data, len};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

        if (n_fds > 64)
                abort();
        if (n_fds > 0) {
                struct cmsghdr *c;

                mh.msg_control = &control;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
        }
        return sendmsg(sock, &mh, MSG_NOSIGNAL);
}

/*
 * Sends payload over a fresh socketpair in chunks of at most chunk bytes, the
 * fds (closed here afterwards) with the first chunk, feeding the reader in
 * between so that payloads larger than the socket buffer get through; then
 * closes the sending end and feeds once more. Returns the last feed result.
 */
static int exchange(const char *payload, size_t len, size_t chunk, int *fds, size_t n_fds, SrdHandoff **ret,
                    char **ret_error) {
        _cleanup_(srd_handoff_reader_freep) SrdHandoffReader *reader = NULL;
        _cleanup_close_ int sender = -EBADF, receiver = -EBADF;
        size_t off = 0;
        bool first = true;
        int sv[2], r = 0;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                abort();
        sender = sv[0];
        receiver = sv[1];
        if (fcntl(sender, F_SETFL, O_NONBLOCK) < 0)
                abort();
        if (srd_handoff_reader_new(receiver, &reader) < 0)
                abort();

        while (off < len || first) {
                size_t n = MIN(chunk, len - off);
                ssize_t k = send_with_fds(sender, payload + off, n, first ? fds : NULL, first ? n_fds : 0);

                if (k < 0 && errno != EAGAIN)
                        break; /* EPIPE: the reader gave up already */
                if (k > 0 || (k == 0 && first)) {
                        first = false;
                        off += (size_t) MAX(k, 0);
                }
                r = srd_handoff_reader_feed(reader, ret, ret_error);
                if (r != 0)
                        break;
        }
        for (size_t i = 0; i < n_fds; i++)
                fds[i] = safe_close(fds[i]);
        sender = safe_close(sender);
        if (r == 0)
                r = srd_handoff_reader_feed(reader, ret, ret_error);
        return r;
}

/* ------------------------------------------------------------------------ */
/* Parsing.                                                                 */

TEST(parse_runc_compact) {
        _cleanup_(srd_handoff_freep) SrdHandoff *h = NULL;
        _cleanup_free_ char *error = NULL;

        ASSERT_OK(srd_handoff_parse(runc_payload, strlen(runc_payload), &h, &error));
        ASSERT_NULL(error);
        ASSERT_STREQ(h->oci_version, "1.0.2-dev");
        ASSERT_EQ(h->pid, 22563);
        ASSERT_STREQ(h->metadata, "policy=demo");
        ASSERT_STREQ(h->container_id, "test3");
        ASSERT_STREQ(h->status, "creating");
        ASSERT_STREQ(h->bundle, "/tmp/bundle");
        ASSERT_NULL(h->policy_annotation);
        ASSERT_EQ(h->n_fd_names, 1);
        ASSERT_STREQ(h->fd_names[0], "seccompFd");
        ASSERT_NULL(h->fd_names[1]);
        ASSERT_EQ(h->n_fds, 0);
        ASSERT_STREQ(srd_handoff_policy(h), "demo");
        /* One name, no fd: parse alone never has fds. */
        ASSERT_ERROR(srd_handoff_listener_fd(h), EINVAL);
}

TEST(parse_crun_pretty) {
        _cleanup_(srd_handoff_freep) SrdHandoff *h = NULL;

        ASSERT_OK(srd_handoff_parse(crun_payload, strlen(crun_payload), &h, NULL));
        ASSERT_STREQ(h->oci_version, "0.2.0");
        ASSERT_EQ(h->pid, 4242);
        ASSERT_NULL(h->metadata);
        ASSERT_STREQ(h->container_id, "web-1");
        ASSERT_STREQ(h->status, "running");
        ASSERT_STREQ(h->bundle, "/run/containers/web-1");
        ASSERT_STREQ(h->policy_annotation, "web");
        ASSERT_STREQ(srd_handoff_policy(h), "web");
}

TEST(parse_spec_example) {
        /* The runtime-spec's own example (config-linux.md), with a policy added to its metadata:
         * ';' and ',' both separate, so list-valued keys around it do not get in the way. */
        static const char payload[] =
                "{\n"
                "    \"ociVersion\": \"1.0.2\",\n"
                "    \"fds\": [\n"
                "        \"seccompFd\"\n"
                "    ],\n"
                "    \"pid\": 4422,\n"
                "    \"metadata\": \"MKNOD=/dev/null,/dev/net/tun;BPF_MAP_TYPES=hash,array;policy=redis\",\n"
                "    \"state\": {\n"
                "        \"ociVersion\": \"1.0.2\",\n"
                "        \"id\": \"oci-container1\",\n"
                "        \"status\": \"creating\",\n"
                "        \"pid\": 4422,\n"
                "        \"bundle\": \"/containers/redis\",\n"
                "        \"annotations\": {\n"
                "            \"myKey\": \"myValue\"\n"
                "        }\n"
                "    }\n"
                "}\n";
        _cleanup_(srd_handoff_freep) SrdHandoff *h = NULL;

        ASSERT_OK(srd_handoff_parse(payload, strlen(payload), &h, NULL));
        ASSERT_EQ(h->pid, 4422);
        ASSERT_STREQ(h->container_id, "oci-container1");
        ASSERT_STREQ(h->bundle, "/containers/redis");
        ASSERT_STREQ(srd_handoff_policy(h), "redis");
}

TEST(parse_minimal_and_unknown_fields) {
        static const char *const ok[] = {
                "{\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{\"id\":\"x\"}}",
                /* null means absent for optional fields */
                "{\"fds\":[\"seccompFd\"],\"pid\":1,\"metadata\":null,\"ociVersion\":null,"
                "\"state\":{\"id\":\"x\",\"status\":null,\"bundle\":null,\"annotations\":null}}",
                /* unknown fields of any shape, and unused fields with odd types, are ignored */
                "{\"future\":{\"a\":[1,2,{\"b\":null}]},\"fds\":[\"seccompFd\"],\"pid\":1,"
                "\"state\":{\"id\":\"x\",\"pid\":\"odd\",\"ociVersion\":3,\"extra\":true,"
                "\"annotations\":{\"n\":1,\"o\":{}}}}",
                /* no fds at all is a valid payload: the fd count decides later */
                "{\"fds\":[],\"pid\":2147483647,\"state\":{\"id\":\"x\"}}",
                /* the last of repeated keys wins, like Go */
                "{\"fds\":[\"seccompFd\"],\"pid\":\"no\",\"pid\":1,\"state\":{\"id\":\"x\"}}",
                /* surrounding whitespace */
                " \r\n\t{\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{\"id\":\"x\"}} \n\n",
        };

        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                _cleanup_(srd_handoff_freep) SrdHandoff *h = NULL;
                _cleanup_free_ char *error = NULL;
                int r = srd_handoff_parse(ok[i], strlen(ok[i]), &h, &error);

                if (r < 0)
                        TEST_FAIL_("payload %zu: %d %s", i, r, error);
                ASSERT_STREQ(h->container_id, "x");
                ASSERT_NULL(h->metadata);
                ASSERT_NULL(h->status);
                ASSERT_NULL(h->bundle);
                ASSERT_NULL(h->policy_annotation);
                ASSERT_NULL(srd_handoff_policy(h));
                ASSERT_NULL(h->fd_names[h->n_fd_names]);
        }
}

static const struct {
        const char *payload;
        int error;
        const char *message;
} bad_payloads[] = {
        {"", EINVAL, "handoff: the payload is empty"},
        {" \n\t ", EINVAL, "handoff: the payload is empty"},
        {"{\"fds\":[\"seccompFd\"],\"pid\":1,\"sta", EINVAL,
         "handoff: truncated JSON: the payload ends after 33 bytes"},
        {"{\"fds\":[\"seccompFd\"]\"pid\":1}", EINVAL,
         "handoff: invalid JSON at byte 20: object value separator ',' expected"},
        {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", EINVAL,
         "handoff: invalid JSON at byte 0: unexpected character"},
        {"\x89PNG\r\n\x1a\n", EINVAL, "handoff: invalid JSON at byte 0: invalid utf-8 string"},
        {"{\"fds\":[],\"pid\":1,\"state\":{\"id\":\"x\"}} {}", EINVAL,
         "handoff: invalid JSON at byte 38: unexpected character"},
        {"{\"fds\":[],\"pid\":1,\"state\":{\"id\":\"x\",}}", EINVAL,
         "handoff: invalid JSON at byte 36: unexpected character"},
        {"{\"fds\":[],\"pid\":1,\"state\":{\"id\":\"\xc3\x28\"}}", EINVAL,
         "handoff: invalid JSON at byte 34: invalid utf-8 string"},
        {"[\"seccompFd\"]", EINVAL, "handoff: the payload must be a JSON object"},
        {"42", EINVAL, "handoff: the payload must be a JSON object"},
        {"null", EINVAL, "handoff: the payload must be a JSON object"},
        {"{\"pid\":1,\"state\":{\"id\":\"x\"}}", EINVAL, "handoff: \"fds\" is missing"},
        {"{\"fds\":\"seccompFd\",\"pid\":1,\"state\":{\"id\":\"x\"}}", EINVAL,
         "handoff: \"fds\" must be an array of strings"},
        {"{\"fds\":null,\"pid\":1,\"state\":{\"id\":\"x\"}}", EINVAL,
         "handoff: \"fds\" must be an array of strings"},
        {"{\"fds\":[\"seccompFd\",3],\"pid\":1,\"state\":{\"id\":\"x\"}}", EINVAL,
         "handoff: \"fds[1]\" must be a string"},
        {"{\"fds\":[\"a\\u0000b\"],\"pid\":1,\"state\":{\"id\":\"x\"}}", EINVAL,
         "handoff: \"fds[0]\" must not contain NUL characters"},
        {"{\"fds\":[\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\","
         "\"a\",\"a\",\"a\"],\"pid\":1,\"state\":{\"id\":\"x\"}}",
         EINVAL, "handoff: \"fds\" has 17 entries, at most 16 are allowed"},
        {"{\"fds\":[],\"state\":{\"id\":\"x\"}}", EINVAL, "handoff: \"pid\" is missing"},
        {"{\"fds\":[],\"pid\":\"22563\",\"state\":{\"id\":\"x\"}}", EINVAL,
         "handoff: \"pid\" must be a positive integer"},
        {"{\"fds\":[],\"pid\":0,\"state\":{\"id\":\"x\"}}", EINVAL,
         "handoff: \"pid\" must be a positive integer"},
        {"{\"fds\":[],\"pid\":-5,\"state\":{\"id\":\"x\"}}", EINVAL,
         "handoff: \"pid\" must be a positive integer"},
        {"{\"fds\":[],\"pid\":1.5,\"state\":{\"id\":\"x\"}}", EINVAL,
         "handoff: \"pid\" must be a positive integer"},
        {"{\"fds\":[],\"pid\":1e3,\"state\":{\"id\":\"x\"}}", EINVAL,
         "handoff: \"pid\" must be a positive integer"},
        {"{\"fds\":[],\"pid\":2147483648,\"state\":{\"id\":\"x\"}}", EINVAL,
         "handoff: \"pid\" must be a positive integer"},
        {"{\"fds\":[],\"pid\":99999999999999999999999,\"state\":{\"id\":\"x\"}}", EINVAL,
         "handoff: \"pid\" must be a positive integer"},
        {"{\"fds\":[],\"pid\":null,\"state\":{\"id\":\"x\"}}", EINVAL,
         "handoff: \"pid\" must be a positive integer"},
        {"{\"fds\":[],\"pid\":1}", EINVAL, "handoff: \"state\" is missing"},
        {"{\"fds\":[],\"pid\":1,\"state\":[]}", EINVAL, "handoff: \"state\" must be an object"},
        {"{\"fds\":[],\"pid\":1,\"state\":{}}", EINVAL, "handoff: \"state.id\" is missing"},
        {"{\"fds\":[],\"pid\":1,\"state\":{\"id\":\"\"}}", EINVAL,
         "handoff: \"state.id\" must not be empty"},
        {"{\"fds\":[],\"pid\":1,\"state\":{\"id\":7}}", EINVAL, "handoff: \"state.id\" must be a string"},
        {"{\"fds\":[],\"pid\":1,\"state\":{\"id\":null}}", EINVAL, "handoff: \"state.id\" must be a string"},
        {"{\"fds\":[],\"pid\":1,\"state\":{\"id\":\"x\\u0000y\"}}", EINVAL,
         "handoff: \"state.id\" must not contain NUL characters"},
        {"{\"fds\":[],\"pid\":1,\"state\":{\"id\":\"x\",\"status\":1}}", EINVAL,
         "handoff: \"state.status\" must be a string"},
        {"{\"fds\":[],\"pid\":1,\"state\":{\"id\":\"x\",\"bundle\":[]}}", EINVAL,
         "handoff: \"state.bundle\" must be a string"},
        {"{\"fds\":[],\"pid\":1,\"state\":{\"id\":\"x\",\"annotations\":[]}}", EINVAL,
         "handoff: \"state.annotations\" must be an object"},
        {"{\"fds\":[],\"pid\":1,\"state\":{\"id\":\"x\",\"annotations\":{\"seccomp-redirect.policy\":1}}}",
         EINVAL, "handoff: \"state.annotations.seccomp-redirect.policy\" must be a string"},
        {"{\"fds\":[],\"pid\":1,\"metadata\":{},\"state\":{\"id\":\"x\"}}", EINVAL,
         "handoff: \"metadata\" must be a string"},
        {"{\"fds\":[],\"pid\":1,\"metadata\":\"policy=a\\u0000b\",\"state\":{\"id\":\"x\"}}", EINVAL,
         "handoff: \"metadata\" must not contain NUL characters"},
        {"{\"ociVersion\":1,\"fds\":[],\"pid\":1,\"state\":{\"id\":\"x\"}}", EINVAL,
         "handoff: \"ociVersion\" must be a string"},
};

TEST(parse_errors) {
        for (size_t i = 0; i < ELEMENTSOF(bad_payloads); i++) {
                SrdHandoff *h = NULL;
                _cleanup_free_ char *error = NULL;
                int r = srd_handoff_parse(bad_payloads[i].payload, strlen(bad_payloads[i].payload), &h,
                                          &error);

                if (r != -bad_payloads[i].error || !error || !streq(error, bad_payloads[i].message))
                        ROW_FAIL("payload %zu (%s): got %d \"%s\", expected \"%s\"", i,
                                 bad_payloads[i].payload, r, error ? error : "(null)",
                                 bad_payloads[i].message);
                ASSERT_NULL(h);
        }
}

TEST(parse_nul_byte_and_limits) {
        static const char with_nul[] = "{\"fds\":[],\"pid\":1,\"state\":{\"id\":\"x\"}}\0garbage";
        _cleanup_free_ char *error = NULL, *deep = NULL;
        SrdHandoff *h = NULL;
        size_t n = 0;

        ASSERT_ERROR(srd_handoff_parse(with_nul, sizeof(with_nul) - 1, &h, &error), EINVAL);
        ASSERT_STREQ(error, "handoff: the payload contains a NUL byte");
        error = mfree(error);

        /* Bounded nesting: 100 levels of unknown arrays are refused, not recursed into. */
        deep = malloc(512);
        ASSERT_NOT_NULL(deep);
        n += (size_t) sprintf(deep, "{\"fds\":[],\"pid\":1,\"state\":{\"id\":\"x\"},\"x\":");
        for (int i = 0; i < 100; i++)
                deep[n++] = '[';
        for (int i = 0; i < 100; i++)
                deep[n++] = ']';
        deep[n++] = '}';
        ASSERT_ERROR(srd_handoff_parse(deep, n, &h, &error), EINVAL);
        ASSERT_STREQ(error, "handoff: invalid JSON at byte 72: nesting too deep");
        error = mfree(error);

        /* The size limit applies to the parser too; it does not even look at the bytes. */
        ASSERT_ERROR(srd_handoff_parse(deep, (size_t) SRD_HANDOFF_MAX_SIZE + 1, &h, &error), EMSGSIZE);
        ASSERT_STREQ(error, "handoff: the payload is larger than 4194304 bytes");
        ASSERT_NULL(h);

        /* No message wanted: still fails cleanly. */
        ASSERT_ERROR(srd_handoff_parse("{", 1, &h, NULL), EINVAL);
        ASSERT_ERROR(srd_handoff_parse(NULL, 0, &h, NULL), EINVAL);
        ASSERT_ERROR(srd_handoff_parse("{}", 2, NULL, NULL), EINVAL);
        ASSERT_NULL(srd_handoff_free(NULL));
}

/* ------------------------------------------------------------------------ */
/* Choosing the policy.                                                     */

static const struct {
        const char *metadata; /* NULL: no "metadata" key */
        const char *annotation; /* NULL: no annotation */
        const char *policy; /* expected; NULL: none */
} policy_cases[] = {
        {"policy=demo", NULL, "demo"},
        {"policy=demo", "web", "demo"}, /* metadata wins */
        {"foo=bar,policy=web", NULL, "web"},
        {"a=1; policy=web b=2", NULL, "web"},
        {"  policy=web\\t", NULL, "web"},
        {"x=1,,;policy=v1.2_web-3;;", NULL, "v1.2_web-3"},
        {"policy=a b", NULL, "a"}, /* "b" is a separate token */
        {"Policy=web", "ann", "ann"}, /* keys are case-sensitive: not named */
        {"xpolicy=web", "ann", "ann"},
        {"policy", "ann", "ann"}, /* a token without '=' names nothing */
        {"demo", "ann", "ann"},
        {"", "ann", "ann"},
        {"foo=bar", NULL, NULL},
        /* named but invalid: no policy, and no silent fallback to the annotation */
        {"policy=", "ann", NULL},
        {"policy=../etc/passwd", "ann", NULL},
        {"policy=a/b", NULL, NULL},
        {"policy=.", NULL, NULL},
        {"policy=..", "ann", NULL},
        {"policy=web=x", NULL, NULL},
        {"policy=a,policy=b", "ann", NULL},
        {"policy=a,policy=a", NULL, NULL},
        {"policy=caf\xc3\xa9", NULL, NULL},
        {"policy=0123456789012345678901234567890123456789012345678901234567890123", NULL,
         "0123456789012345678901234567890123456789012345678901234567890123"},
        {"policy=01234567890123456789012345678901234567890123456789012345678901234", "ann", NULL},
        /* the annotation, validated the same way */
        {NULL, "web", "web"},
        {NULL, "...", "..."},
        {NULL, "..", NULL},
        {NULL, "", NULL},
        {NULL, "a b", NULL},
        {NULL, "web,other", NULL},
        {NULL, NULL, NULL},
};

TEST(policy_selection) {
        for (size_t i = 0; i < ELEMENTSOF(policy_cases); i++) {
                _cleanup_free_ char *payload =
                        payload_with(policy_cases[i].metadata, policy_cases[i].annotation);
                _cleanup_(srd_handoff_freep) SrdHandoff *h = NULL;
                _cleanup_free_ char *error = NULL;
                const char *p;
                int r = srd_handoff_parse(payload, strlen(payload), &h, &error);

                if (r < 0)
                        TEST_FAIL_("case %zu: %d %s", i, r, error);
                p = srd_handoff_policy(h);
                {
                        const char *q = NULL;
                        int g = srd_handoff_get_policy(h, &q);
                        bool named = (policy_cases[i].metadata && strstr(policy_cases[i].metadata, "policy=")) ||
                                     policy_cases[i].annotation;

                        /* None named: -ENOENT; named but invalid: -EBADMSG; else the name. */
                        if (p ? g != 0 || q != p : g != (named ? -EBADMSG : -ENOENT))
                                ROW_FAIL("case %zu: srd_handoff_get_policy() gave %d", i, g);
                }
                if ((p == NULL) != (policy_cases[i].policy == NULL) ||
                    (p && !streq(p, policy_cases[i].policy)))
                        ROW_FAIL("case %zu (metadata %s, annotation %s): got %s, expected %s", i,
                                 policy_cases[i].metadata ?: "-", policy_cases[i].annotation ?: "-",
                                 p ?: "NULL", policy_cases[i].policy ?: "NULL");
                /* The raw values stay available for logs. */
                if (policy_cases[i].annotation)
                        ASSERT_NOT_NULL(h->policy_annotation);
        }
        ASSERT_NULL(srd_handoff_policy(NULL));
}

TEST(policy_per_source) {
        static const struct {
                const char *metadata, *annotation;
                int meta_r, ann_r; /* 0, -ENOENT or -EBADMSG */
                const char *meta, *ann;
        } cases[] = {
                {NULL, NULL, -ENOENT, -ENOENT, NULL, NULL},
                {"policy=demo", NULL, 0, -ENOENT, "demo", NULL},
                {NULL, "web", -ENOENT, 0, NULL, "web"},
                /* both: each source reports its own, the combined choice stays the metadata's */
                {"policy=demo", "web", 0, 0, "demo", "web"},
                {"policy=../x", "web", -EBADMSG, 0, NULL, "web"},
                {"policy=demo", "a b", 0, -EBADMSG, "demo", NULL},
                {"foo=bar", "", -ENOENT, -EBADMSG, NULL, NULL},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *payload = payload_with(cases[i].metadata, cases[i].annotation);
                _cleanup_(srd_handoff_freep) SrdHandoff *h = NULL;
                const char *m = "x", *a = "x";

                ASSERT_OK(srd_handoff_parse(payload, strlen(payload), &h, NULL));
                ASSERT_EQ(srd_handoff_get_policy_from(h, SRD_POLICY_SOURCE_METADATA, &m), cases[i].meta_r);
                ASSERT_EQ(srd_handoff_get_policy_from(h, SRD_POLICY_SOURCE_ANNOTATION, &a), cases[i].ann_r);
                if ((m == NULL) != (cases[i].meta == NULL) || (m && !streq(m, cases[i].meta)) ||
                    (a == NULL) != (cases[i].ann == NULL) || (a && !streq(a, cases[i].ann)))
                        ROW_FAIL("case %zu: metadata gave %s, annotation %s", i, m ?: "NULL", a ?: "NULL");
                ASSERT_ERROR(srd_handoff_get_policy_from(h, _SRD_POLICY_SOURCE_MAX, &m), EINVAL);
                ASSERT_ERROR(srd_handoff_get_policy_from(h, _SRD_POLICY_SOURCE_INVALID, &m), EINVAL);
        }
        ASSERT_ERROR(srd_handoff_get_policy_from(NULL, SRD_POLICY_SOURCE_METADATA, &(const char *){NULL}),
                     EINVAL);
        ASSERT_STREQ(srd_policy_source_to_string(SRD_POLICY_SOURCE_METADATA), "metadata");
        ASSERT_STREQ(srd_policy_source_to_string(SRD_POLICY_SOURCE_ANNOTATION), "annotation");
        ASSERT_NULL(srd_policy_source_to_string(_SRD_POLICY_SOURCE_MAX));
        ASSERT_EQ(srd_policy_source_from_string("annotation"), SRD_POLICY_SOURCE_ANNOTATION);
        ASSERT_EQ(srd_policy_source_from_string("annotations"), _SRD_POLICY_SOURCE_INVALID);
        ASSERT_EQ(srd_policy_source_from_string(NULL), _SRD_POLICY_SOURCE_INVALID);
}

/* ------------------------------------------------------------------------ */
/* The listener fd.                                                         */

static SrdHandoff *parse_with_fds(const char *names, size_t n_fds) {
        _cleanup_free_ char *payload = strprintf("{\"fds\":%s,\"pid\":1,\"state\":{\"id\":\"x\"}}", names);
        SrdHandoff *h = NULL;

        if (srd_handoff_parse(payload, strlen(payload), &h, NULL) < 0)
                return NULL;
        h->fds = calloc(n_fds + 1, sizeof(int));
        if (!h->fds)
                abort();
        for (size_t i = 0; i < n_fds; i++)
                h->fds[i] = make_fd();
        h->n_fds = n_fds;
        return h;
}

TEST(listener_fd) {
        unsigned n0 = count_open_fds();
        SrdHandoff *h;
        int fd;

        h = parse_with_fds("[\"seccompFd\"]", 1);
        ASSERT_NOT_NULL(h);
        ASSERT_EQ(srd_handoff_listener_fd(h), h->fds[0]);
        fd = h->fds[0];
        ASSERT_TRUE(fd_is_open(fd));
        h = srd_handoff_free(h);
        ASSERT_FALSE(fd_is_open(fd));

        h = parse_with_fds("[\"other\",\"seccompFd\"]", 2);
        ASSERT_NOT_NULL(h);
        ASSERT_EQ(srd_handoff_listener_fd(h), h->fds[1]);
        /* A caller may take the fd over by overwriting it: free then leaves it alone. */
        fd = TAKE_FD(h->fds[1]);
        ASSERT_ERROR(srd_handoff_listener_fd(h), EBADF);
        h = srd_handoff_free(h);
        ASSERT_TRUE(fd_is_open(fd));
        safe_close(fd);

        h = parse_with_fds("[\"seccompFd\",\"seccompFd\"]", 2);
        ASSERT_ERROR(srd_handoff_listener_fd(h), EINVAL);
        h = srd_handoff_free(h);

        h = parse_with_fds("[\"other\"]", 1);
        ASSERT_ERROR(srd_handoff_listener_fd(h), ENOENT);
        h = srd_handoff_free(h);

        h = parse_with_fds("[]", 0);
        ASSERT_ERROR(srd_handoff_listener_fd(h), ENOENT);
        h = srd_handoff_free(h);

        /* Two fds, one name: which is the listener? Neither. */
        h = parse_with_fds("[\"seccompFd\"]", 2);
        ASSERT_ERROR(srd_handoff_listener_fd(h), EINVAL);
        h = srd_handoff_free(h);

        h = parse_with_fds("[\"seccompFd\"]", 0);
        ASSERT_ERROR(srd_handoff_listener_fd(h), EINVAL);
        h = srd_handoff_free(h);

        ASSERT_ERROR(srd_handoff_listener_fd(NULL), EINVAL);
        ASSERT_EQ(count_open_fds(), n0);
}

/* ------------------------------------------------------------------------ */
/* The reader, over a real socket.                                          */

TEST(reader_runc_one_message) {
        unsigned n0 = count_open_fds();
        _cleanup_(srd_handoff_freep) SrdHandoff *h = NULL;
        _cleanup_free_ char *error = NULL;
        int fds[1] = {make_fd()}, fd;
        struct stat st_sent, st_got;

        ASSERT_OK(fstat(fds[0], &st_sent));
        ASSERT_EQ(exchange(runc_payload, strlen(runc_payload), SIZE_MAX, fds, 1, &h, &error), 1);
        ASSERT_NULL(error);
        ASSERT_EQ(h->n_fds, 1);
        fd = srd_handoff_listener_fd(h);
        ASSERT_EQ(fd, h->fds[0]);
        /* The very file that was sent, close-on-exec (MSG_CMSG_CLOEXEC). */
        ASSERT_OK(fstat(fd, &st_got));
        ASSERT_EQ(st_got.st_ino, st_sent.st_ino);
        ASSERT_EQ(st_got.st_dev, st_sent.st_dev);
        ASSERT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
        ASSERT_STREQ(srd_handoff_policy(h), "demo");
        ASSERT_STREQ(h->container_id, "test3");

        h = srd_handoff_free(h);
        ASSERT_FALSE(fd_is_open(fd));
        ASSERT_EQ(count_open_fds(), n0);
}

TEST(reader_crun_split_messages) {
        unsigned n0 = count_open_fds();

        /* 1, 7 and 64 byte pieces: the JSON is cut everywhere, even inside strings. */
        static const size_t chunks[] = {1, 7, 64};
        for (size_t i = 0; i < ELEMENTSOF(chunks); i++) {
                _cleanup_(srd_handoff_freep) SrdHandoff *h = NULL;
                _cleanup_free_ char *error = NULL;
                int fds[1] = {make_fd()};

                ASSERT_EQ(exchange(crun_payload, strlen(crun_payload), chunks[i], fds, 1, &h, &error), 1);
                ASSERT_STREQ(h->oci_version, "0.2.0");
                ASSERT_STREQ(srd_handoff_policy(h), "web");
                ASSERT_EQ(h->n_fds, 1);
                ASSERT_TRUE(srd_handoff_listener_fd(h) >= 0);
        }
        ASSERT_EQ(count_open_fds(), n0);
}

/* A payload whose annotations take about size bytes, the policy annotation last. */
static char *big_payload(size_t size) {
        size_t cap = size + 1024, n = 0;
        char *p = malloc(cap);

        if (!p)
                abort();
        n += (size_t) snprintf(p, cap,
                               "{\"ociVersion\":\"1.0.2-dev\",\"fds\":[\"seccompFd\"],\"pid\":99,"
                               "\"state\":{\"id\":\"big\",\"annotations\":{");
        for (unsigned i = 0; n + 600 < size; i++) {
                n += (size_t) snprintf(p + n, cap - n, "\"org.example.k%u\":\"", i);
                memset(p + n, 'v', 500);
                n += 500;
                n += (size_t) snprintf(p + n, cap - n, "\",");
        }
        /* Pad to exactly size bytes, so the size limit can be hit on the byte. */
        n += (size_t) snprintf(p + n, cap - n, "\"pad\":\"");
        while (n + 36 < size)
                p[n++] = 'p';
        n += (size_t) snprintf(p + n, cap - n, "\",\"seccomp-redirect.policy\":\"big\"}}}");
        if (n > size)
                abort();
        while (n < size)
                p[n++] = ' ';
        p[n] = 0;
        return p;
}

TEST(reader_large_annotations) {
        unsigned n0 = count_open_fds();
        _cleanup_(srd_handoff_freep) SrdHandoff *h = NULL;
        _cleanup_free_ char *error = NULL, *payload = big_payload(200 * 1024);
        int fds[1] = {make_fd()};

        ASSERT_EQ(strlen(payload), 200 * 1024);
        /* Larger than the socket buffer: it only gets through because the reader grows. */
        ASSERT_EQ(exchange(payload, strlen(payload), 16384, fds, 1, &h, &error), 1);
        ASSERT_STREQ(h->container_id, "big");
        ASSERT_STREQ(srd_handoff_policy(h), "big");
        ASSERT_EQ(h->n_fds, 1);
        h = srd_handoff_free(h);
        ASSERT_EQ(count_open_fds(), n0);
}

TEST(reader_size_limit) {
        unsigned n0 = count_open_fds();
        _cleanup_free_ char *exact = big_payload(SRD_HANDOFF_MAX_SIZE);
        _cleanup_free_ char *over = big_payload(SRD_HANDOFF_MAX_SIZE + 1);

        ASSERT_EQ(strlen(exact), SRD_HANDOFF_MAX_SIZE);
        ASSERT_EQ(strlen(over), SRD_HANDOFF_MAX_SIZE + 1);

        {
                _cleanup_(srd_handoff_freep) SrdHandoff *h = NULL;
                _cleanup_free_ char *error = NULL;
                int fds[1] = {make_fd()};

                ASSERT_EQ(exchange(exact, strlen(exact), 65536, fds, 1, &h, &error), 1);
                ASSERT_STREQ(srd_handoff_policy(h), "big");
        }
        {
                SrdHandoff *h = NULL;
                _cleanup_free_ char *error = NULL;
                int fds[2] = {make_fd(), make_fd()};
                unsigned n1 = count_open_fds();

                /* The two fds of ours plus the two the reader received while it read. */
                ASSERT_ERROR(exchange(over, strlen(over), 65536, fds, 2, &h, &error), EMSGSIZE);
                ASSERT_STREQ(error, "handoff: the payload is larger than 4194304 bytes");
                ASSERT_NULL(h);
                ASSERT_EQ(count_open_fds(), n1 - 2);
        }
        ASSERT_EQ(count_open_fds(), n0);
}

/* A socketpair with a reader on [1]; [0] is the peer, blocking. */
static void reader_pair(int sv[2], SrdHandoffReader **ret) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                abort();
        if (srd_handoff_reader_new(sv[1], ret) < 0)
                abort();
}

TEST(reader_max_size_lowered_between_feeds) {
        _cleanup_(srd_handoff_reader_freep) SrdHandoffReader *reader = NULL;
        _cleanup_free_ char *error = NULL, *payload = big_payload(100 * 1024);
        unsigned n0 = count_open_fds();
        SrdHandoff *h = NULL;
        int sv[2], fd = make_fd();

        reader_pair(sv, &reader);
        ASSERT_ERROR(srd_handoff_reader_set_max_size(reader, 0), EINVAL);
        ASSERT_ERROR(srd_handoff_reader_set_max_size(reader, SRD_HANDOFF_MAX_SIZE + 1), EINVAL);
        ASSERT_ERROR(srd_handoff_reader_set_max_size(NULL, 4096), EINVAL);
        ASSERT_EQ(srd_handoff_reader_allocated(reader), 0);

        /* 64 KiB arrive under a 1 MiB limit: held, and reported. */
        ASSERT_EQ(send_with_fds(sv[0], payload, 65536, &fd, 1), 65536);
        fd = safe_close(fd);
        ASSERT_OK(srd_handoff_reader_set_max_size(reader, 1024 * 1024));
        ASSERT_EQ(srd_handoff_reader_feed(reader, &h, &error), 0);
        ASSERT_TRUE(srd_handoff_reader_allocated(reader) >= 65536);
        ASSERT_TRUE(srd_handoff_reader_allocated(reader) <= 2 * 65536);

        /* The caller's budget shrinks below what is held: the next feed fails, reads nothing more. */
        ASSERT_OK(srd_handoff_reader_set_max_size(reader, 32768));
        ASSERT_EQ(send_with_fds(sv[0], payload + 65536, 10, NULL, 0), 10);
        ASSERT_ERROR(srd_handoff_reader_feed(reader, &h, &error), EMSGSIZE);
        ASSERT_STREQ(error, "handoff: the payload is larger than 32768 bytes");
        ASSERT_NULL(h);
        ASSERT_EQ(srd_handoff_reader_allocated(reader), 0);

        reader = srd_handoff_reader_free(reader);
        safe_close(sv[0]);
        safe_close(sv[1]);
        ASSERT_EQ(count_open_fds(), n0);
}

TEST(reader_small_limit_is_exact) {
        _cleanup_free_ char *exact = big_payload(5000), *over = big_payload(5001);

        for (int i = 0; i < 2; i++) {
                _cleanup_(srd_handoff_reader_freep) SrdHandoffReader *reader = NULL;
                _cleanup_free_ char *error = NULL;
                const char *p = i == 0 ? exact : over;
                SrdHandoff *h = NULL;
                int sv[2], fd = make_fd(), r;

                reader_pair(sv, &reader);
                ASSERT_OK(srd_handoff_reader_set_max_size(reader, 5000));
                ASSERT_EQ(send_with_fds(sv[0], p, strlen(p), &fd, 1), (ssize_t) strlen(p));
                fd = safe_close(fd);
                r = srd_handoff_reader_feed(reader, &h, &error);
                if (i == 0) {
                        ASSERT_EQ(r, 1);
                        ASSERT_STREQ(srd_handoff_policy(h), "big");
                } else
                        ASSERT_ERROR(r, EMSGSIZE);
                h = srd_handoff_free(h);
                safe_close(sv[0]);
                safe_close(sv[1]);
        }
}

TEST(reader_ends_at_the_object_and_ignores_what_follows) {
        /* Whatever the peer sends after the closing brace is not part of the payload. */
        static const char *const tails[] = {"", "\n", "garbage", "{\"fds\":[],\"pid\":1}", "\x00\xff"};

        for (size_t i = 0; i < ELEMENTSOF(tails); i++) {
                _cleanup_(srd_handoff_reader_freep) SrdHandoffReader *reader = NULL;
                _cleanup_(srd_handoff_freep) SrdHandoff *h = NULL;
                _cleanup_free_ char *error = NULL;
                size_t len = strlen(runc_payload), tail = i == 4 ? 2 : strlen(tails[i]);
                char buf[1024];
                int sv[2], fd = make_fd();

                memcpy(buf, runc_payload, len);
                memcpy(buf + len, tails[i], tail);
                reader_pair(sv, &reader);
                ASSERT_EQ(send_with_fds(sv[0], buf, len + tail, &fd, 1), (ssize_t) (len + tail));
                fd = safe_close(fd);
                /* No EOF: the brace alone completes it. */
                if (srd_handoff_reader_feed(reader, &h, &error) != 1)
                        ROW_FAIL("tail %zu: %s", i, error ?: "not complete");
                ASSERT_STREQ(h->container_id, "test3");
                safe_close(sv[0]);
                safe_close(sv[1]);
        }
}

/* Sends payload with the given fds in one message, closes, reads: the error cases. */
static int exchange_error(const char *payload, size_t n_fds, char **ret_error) {
        int fds[64];
        SrdHandoff *h = NULL;
        int r;

        for (size_t i = 0; i < n_fds; i++)
                fds[i] = make_fd();
        r = exchange(payload, strlen(payload), SIZE_MAX, fds, n_fds, &h, ret_error);
        if (r >= 0 || h)
                abort();
        return r;
}

TEST(reader_protocol_errors) {
        static const char no_fd_names[] = "{\"fds\":[],\"pid\":1,\"state\":{\"id\":\"x\"}}";
        static const struct {
                const char *payload;
                size_t n_fds;
                int error;
                const char *message;
        } cases[] = {
                /* a peer that sends nothing but closes */
                {"", 0, EBADMSG, "handoff: the peer closed the connection without sending a payload"},
                {"", 1, EBADMSG, "handoff: the peer closed the connection without sending a payload"},
                {"{\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{\"id\":", 1, EINVAL,
                 "handoff: truncated JSON: the payload ends after 43 bytes"},
                {"{\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{\"id\":x}}", 1, EINVAL,
                 "handoff: invalid JSON at byte 43: unexpected character"},
                {"\x01\x02garbage\xff\xfe", 1, EINVAL,
                 "handoff: invalid JSON at byte 0: unexpected character"},
                {"{\"fds\":[\"seccompFd\"],\"pid\":0,\"state\":{\"id\":\"x\"}}", 1, EINVAL,
                 "handoff: \"pid\" must be a positive integer"},
                /* no fd, two fds, and fds without names */
                {runc_payload, 0, EINVAL, "handoff: \"fds\" names 1 fd(s) but 0 were received"},
                {runc_payload, 2, EINVAL, "handoff: \"fds\" names 1 fd(s) but 2 were received"},
                {no_fd_names, 1, EINVAL, "handoff: \"fds\" names 0 fd(s) but 1 were received"},
                {runc_payload, 17, EBADMSG, "handoff: 17 fds sent, at most 16 are allowed"},
                {runc_payload, 64, EBADMSG, "handoff: control data truncated (more than 16 fds sent?)"},
        };
        unsigned n0 = count_open_fds();

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *error = NULL;
                int r = exchange_error(cases[i].payload, cases[i].n_fds, &error);

                if (r != -cases[i].error || !error || !streq(error, cases[i].message))
                        ROW_FAIL("case %zu: got %d \"%s\", expected \"%s\"", i, r, error ?: "(null)",
                                 cases[i].message);
                /* Every fd received before the error is closed again. */
                if (count_open_fds() != n0)
                        ROW_FAIL("case %zu: %u fds open, %u before", i, count_open_fds(), n0);
        }
}

TEST(reader_fds_in_a_later_message) {
        _cleanup_(srd_handoff_reader_freep) SrdHandoffReader *reader = NULL;
        _cleanup_free_ char *error = NULL;
        unsigned n0 = count_open_fds();
        size_t half = strlen(runc_payload) / 2;
        SrdHandoff *h = NULL;
        int sv[2], fds[2] = {make_fd(), make_fd()};

        reader_pair(sv, &reader);
        ASSERT_EQ(send_with_fds(sv[0], runc_payload, half, &fds[0], 1), (ssize_t) half);
        ASSERT_EQ(srd_handoff_reader_feed(reader, &h, &error), 0);
        ASSERT_EQ(send_with_fds(sv[0], runc_payload + half, strlen(runc_payload) - half, &fds[1], 1),
                  (ssize_t) (strlen(runc_payload) - half));
        ASSERT_ERROR(srd_handoff_reader_feed(reader, &h, &error), EBADMSG);
        ASSERT_STREQ(error, "handoff: fds sent in more than one message");
        ASSERT_NULL(h);
        /* The reader is done: no second chance for this connection. */
        error = mfree(error);
        ASSERT_ERROR(srd_handoff_reader_feed(reader, &h, &error), EINVAL);
        ASSERT_STREQ(error, "handoff: the connection was already read to its end");

        reader = srd_handoff_reader_free(reader);
        safe_close(fds[0]);
        safe_close(fds[1]);
        safe_close(sv[0]);
        safe_close(sv[1]);
        ASSERT_EQ(count_open_fds(), n0);
}

TEST(reader_data_before_fds) {
        /* The kernel may merge stream data in front of the fds; what counts is that they come once. */
        _cleanup_(srd_handoff_reader_freep) SrdHandoffReader *reader = NULL;
        _cleanup_(srd_handoff_freep) SrdHandoff *h = NULL;
        unsigned n0 = count_open_fds();
        int sv[2], fd = make_fd();

        reader_pair(sv, &reader);
        ASSERT_EQ(send_with_fds(sv[0], runc_payload, 10, NULL, 0), 10);
        ASSERT_EQ(srd_handoff_reader_feed(reader, &h, NULL), 0);
        ASSERT_EQ(send_with_fds(sv[0], runc_payload + 10, strlen(runc_payload) - 10, &fd, 1),
                  (ssize_t) strlen(runc_payload) - 10);
        fd = safe_close(fd);
        sv[0] = safe_close(sv[0]);
        ASSERT_EQ(srd_handoff_reader_feed(reader, &h, NULL), 1);
        ASSERT_TRUE(srd_handoff_listener_fd(h) >= 0);

        h = srd_handoff_free(h);
        reader = srd_handoff_reader_free(reader);
        safe_close(sv[1]);
        ASSERT_EQ(count_open_fds(), n0);
}

TEST(reader_eagain_until_eof) {
        _cleanup_(srd_handoff_reader_freep) SrdHandoffReader *reader = NULL;
        _cleanup_(srd_handoff_freep) SrdHandoff *h = NULL;
        _cleanup_free_ char *error = NULL;
        unsigned n0 = count_open_fds();
        size_t len = strlen(runc_payload);
        int sv[2], fd = make_fd();

        reader_pair(sv, &reader);
        /* Nothing sent yet, then everything but EOF: the reader keeps waiting, never blocks. */
        ASSERT_EQ(srd_handoff_reader_feed(reader, &h, &error), 0);
        ASSERT_EQ(srd_handoff_reader_feed(reader, &h, &error), 0);
        ASSERT_EQ(send_with_fds(sv[0], runc_payload, 5, &fd, 1), 5);
        fd = safe_close(fd);
        ASSERT_EQ(srd_handoff_reader_feed(reader, &h, &error), 0);
        ASSERT_EQ(send_with_fds(sv[0], runc_payload + 5, len - 5 - 1, NULL, 0), (ssize_t) len - 5 - 1);
        ASSERT_EQ(srd_handoff_reader_feed(reader, &h, &error), 0);
        ASSERT_NULL(h);
        ASSERT_NULL(error);
        /* The closing brace ends the payload even though the peer keeps the
         * connection open, as runc 1.1.5 does. */
        ASSERT_EQ(send_with_fds(sv[0], runc_payload + len - 1, 1, NULL, 0), 1);
        ASSERT_EQ(srd_handoff_reader_feed(reader, &h, &error), 1);
        sv[0] = safe_close(sv[0]);
        ASSERT_NULL(error);
        ASSERT_STREQ(h->container_id, "test3");
        ASSERT_TRUE(srd_handoff_listener_fd(h) >= 0);

        h = srd_handoff_free(h);
        reader = srd_handoff_reader_free(reader);
        /* The reader borrowed the socket: it is still open. */
        ASSERT_TRUE(fd_is_open(sv[1]));
        safe_close(sv[1]);
        ASSERT_EQ(count_open_fds(), n0);
}

TEST(reader_freed_midway) {
        /* A peer that sends its fd and then stalls: the caller's timeout frees the reader. */
        SrdHandoffReader *reader = NULL;
        SrdHandoff *h = NULL;
        unsigned n0 = count_open_fds();
        int sv[2], fd = make_fd();

        reader_pair(sv, &reader);
        ASSERT_EQ(send_with_fds(sv[0], "{", 1, &fd, 1), 1);
        fd = safe_close(fd);
        ASSERT_EQ(srd_handoff_reader_feed(reader, &h, NULL), 0);
        ASSERT_EQ(count_open_fds(), n0 + 3);
        ASSERT_NULL(srd_handoff_reader_free(reader));
        ASSERT_EQ(count_open_fds(), n0 + 2);
        safe_close(sv[0]);
        safe_close(sv[1]);
        ASSERT_EQ(count_open_fds(), n0);
}

TEST(reader_foreign_control_message) {
        /* SO_PASSCRED makes the kernel attach SCM_CREDENTIALS: not part of the protocol. */
        _cleanup_(srd_handoff_reader_freep) SrdHandoffReader *reader = NULL;
        _cleanup_free_ char *error = NULL;
        unsigned n0 = count_open_fds();
        SrdHandoff *h = NULL;
        int sv[2], fd = make_fd(), one = 1;

        reader_pair(sv, &reader);
        ASSERT_OK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)));
        ASSERT_EQ(send_with_fds(sv[0], runc_payload, strlen(runc_payload), &fd, 1),
                  (ssize_t) strlen(runc_payload));
        fd = safe_close(fd);
        sv[0] = safe_close(sv[0]);
        ASSERT_ERROR(srd_handoff_reader_feed(reader, &h, &error), EBADMSG);
        ASSERT_TRUE(strncmp(error, "handoff: unexpected control message (level 1, type 2)", 53) == 0);
        ASSERT_NULL(h);
        reader = srd_handoff_reader_free(reader);
        safe_close(sv[1]);
        ASSERT_EQ(count_open_fds(), n0);
}

TEST(reader_socket_errors) {
        _cleanup_(srd_handoff_reader_freep) SrdHandoffReader *reader = NULL;
        _cleanup_free_ char *error = NULL;
        SrdHandoff *h = NULL;
        int fd = make_fd();

        ASSERT_ERROR(srd_handoff_reader_new(-1, &reader), EINVAL);
        ASSERT_ERROR(srd_handoff_reader_new(fd, NULL), EINVAL);
        ASSERT_NULL(srd_handoff_reader_free(NULL));

        /* Not a socket: the errno comes through, with a message. */
        ASSERT_OK(srd_handoff_reader_new(fd, &reader));
        ASSERT_ERROR(srd_handoff_reader_feed(reader, &h, &error), ENOTSOCK);
        ASSERT_NOT_NULL(error);
        ASSERT_TRUE(strncmp(error, "handoff: receiving failed: ", 27) == 0);
        ASSERT_ERROR(srd_handoff_reader_feed(reader, NULL, NULL), EINVAL);
        safe_close(fd);
}

/* ------------------------------------------------------------------------ */
/* The bundle's rootfs (config.json's root.path).                           */

static int bundle_root(const char *json, char **ret) {
        return srd_bundle_root_path(json, strlen(json), ret);
}

TEST(bundle_root_path_is_read_strictly) {
        static const char nul[] = "{\"root\":{\"path\":\"root\\u0000fs\"}}";
        _cleanup_free_ char *p = NULL;

        ASSERT_OK(bundle_root("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\",\"readonly\":true}}", &p));
        ASSERT_STREQ(p, "rootfs");
        free(p);
        p = NULL;
        ASSERT_OK(bundle_root(" {\"root\":{\"path\":\"/var/lib/c/rootfs\"}}\n", &p));
        ASSERT_STREQ(p, "/var/lib/c/rootfs");
        ASSERT_ERROR(bundle_root("{\"root\":{}}", &p), ENOENT);
        ASSERT_ERROR(bundle_root("{\"process\":{}}", &p), ENOENT);
        ASSERT_ERROR(bundle_root("{\"root\":{\"path\":7}}", &p), ENOENT);
        ASSERT_ERROR(bundle_root("{\"root\":{\"path\":\"\"}}", &p), EBADMSG);
        ASSERT_ERROR(bundle_root("{\"root\":{\"path\":\"rootfs\"}", &p), EBADMSG);
        ASSERT_ERROR(bundle_root("[\"root\"]", &p), EBADMSG);
        ASSERT_ERROR(srd_bundle_root_path(nul, sizeof(nul) - 1, &p), EBADMSG);
}

static int unjudged(const char *seccomp, char **ret) {
        _cleanup_free_ char *json = NULL;

        if (asprintf(&json, "{\"root\":{\"path\":\"rootfs\"},\"linux\":{\"seccomp\":%s}}", seccomp) < 0)
                return -ENOMEM;
        return srd_bundle_profile_unjudged(json, strlen(json), ret);
}

#define ALL_PATHLESS "io_uring_setup, io_uring_enter, io_uring_register, open_by_handle_at"

TEST(bundle_profile_says_what_runs_unseen) {
        char *l = NULL;

        /* runc's test profile: everything allowed but what is notified. */
        ASSERT_OK(unjudged("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"openat\"],"
                           "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
                           &l));
        ASSERT_STREQ(l, ALL_PATHLESS);
        free(l);
        l = NULL;
        /* Docker's and containerd's way: a deny-by-default list that does not name them. */
        ASSERT_OK(unjudged(
                "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,\"syscalls\":[{\"names\":"
                "[\"read\",\"openat\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
                &l));
        ASSERT_NULL(l);
        /* Refused by name under an allowing default, or notified (the policy decides). */
        ASSERT_OK(unjudged(
                "{\"defaultAction\":\"SCMP_ACT_LOG\",\"syscalls\":[{\"names\":[\"io_uring_setup\","
                "\"io_uring_enter\",\"io_uring_register\"],\"action\":\"SCMP_ACT_ERRNO\"},{\"names\":["
                "\"open_by_handle_at\"],\"action\":\"SCMP_ACT_NOTIFY\",\"args\":[]}]}",
                &l));
        ASSERT_NULL(l);
        /* Allowed by name under a denying default; refused only for some arguments. */
        ASSERT_OK(unjudged(
                "{\"defaultAction\":\"SCMP_ACT_KILL\",\"syscalls\":[{\"names\":[\"io_uring_enter\"],"
                "\"action\":\"SCMP_ACT_ALLOW\"}]}",
                &l));
        ASSERT_STREQ(l, "io_uring_enter");
        free(l);
        l = NULL;
        ASSERT_OK(unjudged(
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"io_uring_setup\","
                "\"io_uring_enter\",\"io_uring_register\",\"open_by_handle_at\"],\"action\":"
                "\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                &l));
        ASSERT_STREQ(l, ALL_PATHLESS);
        free(l);
        l = NULL;
        /* An allow entry wins over a refusing one: some call of it runs. */
        ASSERT_OK(unjudged(
                "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"open_by_handle_at\"],"
                "\"action\":\"SCMP_ACT_ERRNO\"},{\"names\":[\"open_by_handle_at\"],\"action\":"
                "\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":2,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                &l));
        ASSERT_STREQ(l, "open_by_handle_at");
        free(l);
        l = NULL;

        ASSERT_ERROR(srd_bundle_profile_unjudged("{\"linux\":{}}", 12, &l), ENOENT);
        ASSERT_ERROR(srd_bundle_profile_unjudged("{\"root\":{}}", 11, &l), ENOENT);
        ASSERT_ERROR(unjudged("{\"syscalls\":[]}", &l), EBADMSG);
        ASSERT_ERROR(unjudged("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}", &l), EBADMSG);
        ASSERT_ERROR(
                unjudged("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[1],\"action\":"
                         "\"SCMP_ACT_ALLOW\"}]}",
                         &l),
                EBADMSG);
        ASSERT_ERROR(
                unjudged("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"]}]}", &l),
                EBADMSG);
        ASSERT_ERROR(srd_bundle_profile_unjudged("{", 1, &l), EBADMSG);
        ASSERT_NULL(l);
}

TEST(bundle_rootfs_is_opened_relative_to_the_bundle) {
        char dir[] = "/tmp/srd-bundle-XXXXXX", q[PATH_MAX], *l = NULL;
        struct stat a, b;
        int fd = -1, c;

        ASSERT_NOT_NULL(mkdtemp(dir));
        snprintf(q, sizeof(q), "%s/rootfs", dir);
        ASSERT_OK(mkdir(q, 0755));
        /* No config.json: the errno, for the caller to log. */
        ASSERT_ERROR(srd_bundle_open_rootfs(dir, &fd), ENOENT);
        snprintf(q, sizeof(q), "%s/config.json", dir);
        c = open(q, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        ASSERT_OK(c);
        ASSERT_TRUE(write(c, "{\"root\":{\"path\":\"rootfs\"}}", 26) == 26);
        close(c);
        ASSERT_OK(srd_bundle_open_rootfs(dir, &fd));
        /* No linux.seccomp in that config.json. */
        ASSERT_ERROR(srd_bundle_unjudged(dir, &l), ENOENT);
        ASSERT_ERROR(srd_bundle_unjudged("relative/bundle", &l), EINVAL);
        snprintf(q, sizeof(q), "%s/rootfs", dir);
        ASSERT_OK(fstat(fd, &a));
        ASSERT_OK(stat(q, &b));
        ASSERT_TRUE(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
        close(fd);
        ASSERT_ERROR(srd_bundle_open_rootfs("relative/bundle", &fd), EINVAL);
        snprintf(q, sizeof(q), "rm -rf '%s'", dir);
        ASSERT_EQ(system(q), 0);
}
