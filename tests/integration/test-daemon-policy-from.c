/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who chooses the policy (--policy-from): every combination of allowed
 * sources, with and without --default-policy, against handoffs that name a
 * policy nowhere, in listenerMetadata, in the annotation, or in both. Each
 * policy fails mkdir of /tmp/forbidden* with its own errno, so the answer
 * tells which policy the container got; a refused handoff leaves its
 * listener closed (ENOSYS) and a log line that says why.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest-util.h"
#include "tests.h"

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define POLICY(name, err) \
        "{ \"version\": 1, \"name\": \"" name "\", \"defaultAction\": \"continue\", \"rules\": [\n" \
        "  { \"name\": \"no-forbidden\", \"names\": [\"mkdir\"], \"path\": { \"glob\": " \
        "\"/tmp/forbidden*\" },\n" \
        "    \"action\": \"errno\", \"errno\": \"" err "\" } ] }\n"

static const char *const notified[] = {"mkdir", NULL};

enum { NAMED_NONE, NAMED_METADATA, NAMED_ANNOTATION, NAMED_BOTH, _NAMED_MAX };
static const char *const named_str[] = {"nowhere", "metadata", "annotation", "both"};

typedef struct Config {
        const char *policy_from; /* NULL: the default */
        bool metadata, annotation; /* what it allows */
        bool default_policy;
} Config;

static const Config configs[] = {
        {NULL, true, false, false},
        {NULL, true, false, true},
        {"metadata", true, false, true},
        {"annotation", false, true, false},
        {"annotation", false, true, true},
        {"metadata,annotation", true, true, false},
        {"annotation,metadata", true, true, true},
        {"none", false, false, false},
        {"none", false, false, true},
};

/* The handoff, runc's shape, with the policy named where asked. */
static int send_handoff(const Daemon *d, Target *t, const char *id, int named) {
        char json[2048];
        int n;

        n = snprintf(json, sizeof(json),
                     "{\"ociVersion\":\"1.0.2-dev\",\"fds\":[\"seccompFd\"],\"pid\":%d,%s"
                     "\"state\":{\"ociVersion\":\"1.0.2-dev\",\"id\":\"%s\",\"status\":\"creating\","
                     "\"pid\":%d,\"bundle\":\"/run/itest\"%s}}",
                     (int) t->pid,
                     named == NAMED_METADATA || named == NAMED_BOTH ? "\"metadata\":\"policy=meta\"," : "",
                     id, (int) t->pid,
                     named == NAMED_ANNOTATION || named == NAMED_BOTH
                             ? ",\"annotations\":{\"seccomp-redirect.policy\":\"ann\"}"
                             : "");
        if (n < 0 || (size_t) n >= sizeof(json))
                return -ENOBUFS;
        n = handoff_send(d->agent, json, (size_t) n, &t->listener, 1, false, NULL);
        close(t->listener);
        t->listener = -1;
        return n;
}

/* What the daemon must do: the errno of the policy applied, or ENOSYS (refused) with a log needle. */
static long expected(const Config *c, int named, const char **ret_needle) {
        bool meta = named == NAMED_METADATA || named == NAMED_BOTH;
        bool ann = named == NAMED_ANNOTATION || named == NAMED_BOTH;

        *ret_needle = NULL;
        if ((meta && !c->metadata) || (ann && !c->annotation)) {
                *ret_needle = "a source not allowed to choose one";
                return -ENOSYS;
        }
        if (meta)
                return -EACCES; /* "meta" */
        if (ann)
                return -EDOM; /* "ann" */
        if (c->default_policy)
                return -ENOKEY; /* "dflt" */
        *ret_needle = "names no policy";
        return -ENOSYS;
}

static int run_config(const Config *c, size_t ci) {
        char dir[ITEST_PATH_MAX], forbidden[64];
        const char *extra[8];
        size_t n = 0;
        Daemon d;
        int r;

        if (c->policy_from) {
                extra[n++] = "--policy-from";
                extra[n++] = c->policy_from;
        }
        if (c->default_policy) {
                extra[n++] = "--default-policy";
                extra[n++] = "dflt";
        }
        extra[n] = NULL;

        if ((r = itest_tmpdir("policy-from", dir, sizeof(dir))) < 0 || (r = daemon_prepare(&d, dir)) < 0 ||
            (r = daemon_add_policy(&d, "meta.json", POLICY("meta", "EACCES"))) < 0 ||
            (r = daemon_add_policy(&d, "ann.json", POLICY("ann", "EDOM"))) < 0 ||
            (r = daemon_add_policy(&d, "dflt.json", POLICY("dflt", "ENOKEY"))) < 0 ||
            (r = daemon_start(&d, extra, NULL)) < 0)
                return r;
        (void) snprintf(forbidden, sizeof(forbidden), "/tmp/forbidden-pf-%d", (int) getpid());

        for (int named = 0; named < _NAMED_MAX; named++) {
                const char *needle;
                long want = expected(c, named, &needle), got;
                size_t off = daemon_log_size(&d);
                char id[64];
                Target t;

                (void) snprintf(id, sizeof(id), "c-%zu-%d", ci, named);
                if ((r = target_start(&t, notified)) < 0)
                        return r;
                r = send_handoff(&d, &t, id, named);
                if (r < 0) {
                        (void) target_kill(&t);
                        return r;
                }
                if (needle) {
                        r = daemon_wait_log_after(&d, off, needle, 3000);
                        if (r < 0)
                                printf("# --policy-from %s%s, named %s: no log line \"%s\"\n",
                                       c->policy_from ?: "(default)",
                                       c->default_policy ? " with default" : "", named_str[named], needle);
                } else
                        r = status_wait_container(d.control, id, true, 3000);
                got = target_mkdir(&t, forbidden);
                (void) target_stop(&t);
                printf("# --policy-from %-19s %-13s named %-10s -> %s%s\n", c->policy_from ?: "(default)",
                       c->default_policy ? "default dflt" : "no default", named_str[named],
                       got == -ENOSYS   ? "refused"
                       : got == -EACCES ? "policy meta"
                       : got == -EDOM   ? "policy ann"
                       : got == -ENOKEY ? "policy dflt"
                                        : "?",
                       got == want ? "" : "  <-- WRONG");
                if (r < 0 || got != want)
                        return -EIO;
        }
        return daemon_stop(&d, SIGTERM, 5000, NULL);
}

TEST(every_source_combination) {
        if (itest_skip_reason())
                SKIP(itest_skip_reason());
        for (size_t i = 0; i < ELEMENTSOF(configs); i++)
                ASSERT_OK(run_config(&configs[i], i));
}

TEST(bad_policy_from_is_a_usage_error) {
        static const char *const bad[] = {"", "annotations", "metadata,bogus", "all", NULL};
        char dir[ITEST_PATH_MAX];
        Daemon d;
        int status;

        if (itest_skip_reason())
                SKIP(itest_skip_reason());
        ASSERT_OK(itest_tmpdir("policy-from-bad", dir, sizeof(dir)));
        ASSERT_OK(daemon_prepare(&d, dir));
        ASSERT_OK(daemon_add_policy(&d, "meta.json", POLICY("meta", "EACCES")));
        for (size_t i = 0; bad[i]; i++) {
                status = 0;
                ASSERT_EQ(daemon_start(&d, (const char *const[]){"--policy-from", bad[i], NULL}, &status),
                          -ECHILD);
                ASSERT_TRUE(WIFEXITED(status));
                ASSERT_EQ(WEXITSTATUS(status), 2);
        }
        ASSERT_TRUE(daemon_log_contains(&d, "--policy-from: expected metadata, annotation"));
}

TESTS_MAIN
