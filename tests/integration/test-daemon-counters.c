/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Counters and the operator's commands:
 * - counts per container and per rule, in status, that neither a reload
 *   nor the end of a container resets;
 * - `seccomp-redirectctl reload` over the control socket: prints the
 *   result, exits non-zero when the reload failed (old policies kept);
 * - `seccomp-redirectctl metrics`: OpenMetrics text that the strict
 *   checker (tests/openmetrics) accepts, with the figures status shows.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest-util.h"
#include "tests.h"

#define POLICY(extra_rule) \
        "{\n" \
        "  \"version\": 1,\n" \
        "  \"name\": \"cnt\",\n" \
        "  \"defaultAction\": \"continue\",\n" \
        "  \"redirectFallback\": { \"action\": \"errno\", \"errno\": \"EXDEV\" },\n" \
        "  \"rules\": [\n" extra_rule "    { \"name\": \"deny\", \"names\": [\"mkdir\"],\n" \
        "      \"path\": { \"glob\": \"/tmp/cnt-deny*\" }, \"action\": \"errno\", \"errno\": \"EACCES\" " \
        "},\n" \
        "    { \"name\": \"to-elsewhere\", \"names\": [\"openat\"],\n" \
        "      \"path\": { \"exact\": \"@TMP@/redirect-me\" }, \"action\": \"redirect\",\n" \
        "      \"to\": \"/tmp/elsewhere\" }\n" \
        "  ]\n" \
        "}\n"

static const char policy_v1[] = POLICY("");
static const char policy_v2[] =
        POLICY("    { \"name\": \"extra\", \"names\": [\"mkdir\"],\n"
               "      \"path\": { \"exact\": \"/tmp/cnt-extra\" }, \"action\": \"errno\",\n"
               "      \"errno\": \"EPERM\" },\n");

static const char *const notified[] = {"openat", "mkdir", NULL};

static char deny_path[64];

/* Run seccomp-redirectctl with args, stdout to out (and stderr to err) when given: its exit status. */
static int run_ctl(const char *const *args, const char *out, const char *err) {
        const char *argv[16];
        size_t n = 0;
        int status;
        pid_t pid;

        argv[n++] = itest_ctl_binary();
        for (size_t i = 0; args[i] && n < 15; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int fd;

                if (out && ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0 ||
                            dup2(fd, STDOUT_FILENO) < 0))
                        _exit(127);
                if (err && ((fd = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0 ||
                            dup2(fd, STDERR_FILENO) < 0))
                        _exit(127);
                execv(argv[0], (char **) argv);
                _exit(127);
        }
        if (itest_wait_pid(pid, 20000, &status) < 0)
                return -ETIMEDOUT;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static bool file_contains(const char *path, const char *needle) {
        char *s = NULL;
        bool found;

        if (itest_read_file(path, &s) < 0)
                return false;
        found = strstr(s, needle) != NULL;
        if (!found) {
                /* A negative check may be meant to fail: say so as TAP comments, line by line. */
                printf("# %s lacks \"%s\"; it begins:\n", path, needle);
                if (strlen(s) > 600)
                        s[600] = '\0';
                for (char *l = strtok(s, "\n"); l; l = strtok(NULL, "\n"))
                        printf("#   %s\n", l);
        }
        free(s);
        return found;
}

/* The container's count for rule (its "rules" array), -1 when absent. */
static long long container_rule_hits(json_object *c, const char *rule) {
        json_object *rules;

        if (!c || !json_object_object_get_ex(c, "rules", &rules))
                return -1;
        for (size_t i = 0; i < json_object_array_length(rules); i++) {
                json_object *r = json_object_array_get_idx(rules, i);

                if (strcmp(status_str(r, "name") ?: "", rule) == 0)
                        return status_int(r, "hits");
        }
        return -1;
}

static long long container_answers(json_object *c, const char *action) {
        json_object *a;

        if (!c || !json_object_object_get_ex(c, "answers", &a))
                return -1;
        return status_int(a, action);
}

static int setup(Daemon *d, const char *tag) {
        char dir[ITEST_PATH_MAX];
        int r;

        (void) snprintf(deny_path, sizeof(deny_path), "/tmp/cnt-deny-%d", (int) getpid());
        if ((r = itest_tmpdir(tag, dir, sizeof(dir))) < 0 || (r = daemon_prepare(d, dir)) < 0 ||
            (r = daemon_add_policy(d, "cnt.json", policy_v1)) < 0)
                return r;
        return daemon_start(d, (const char *const[]){"--default-policy", "cnt", NULL}, NULL);
}

TEST(counters_per_container_and_rule_survive_reload_and_exit) {
        json_object *s = NULL, *c;
        char out[ITEST_PATH_MAX + 16];
        Target a, b;
        Daemon d;

        if (itest_skip_reason())
                SKIP(itest_skip_reason());
        ASSERT_OK(setup(&d, "counters"));
        (void) snprintf(out, sizeof(out), "%s/ctl.out", d.dir);

        ASSERT_OK(target_start(&a, notified));
        ASSERT_OK(target_handoff(&a, d.agent, "a", NULL));
        ASSERT_OK(status_wait_container(d.control, "a", true, 3000));
        ASSERT_EQ(target_mkdir(&a, deny_path), -EACCES);
        ASSERT_EQ(target_mkdir(&a, deny_path), -EACCES);
        ASSERT_TRUE(target_openat(&a, "/dev/null", O_RDONLY) >= 0);

        ASSERT_OK(control_status(d.control, &s));
        c = status_container(s, "a");
        ASSERT_EQ(container_rule_hits(c, "deny"), 2);
        ASSERT_EQ(container_rule_hits(c, "defaultAction"), 1);
        ASSERT_EQ(container_answers(c, "errno"), 2);
        ASSERT_EQ(container_answers(c, "continue"), 1);
        ASSERT_EQ(status_rule_hits(s, "cnt", "deny"), 2);
        json_object_put(s);

        /* A reload with a changed policy (a new rule first: every index moves). */
        ASSERT_OK(daemon_add_policy(&d, "cnt.json", policy_v2));
        ASSERT_EQ(run_ctl((const char *const[]){"reload", "--control", d.control, NULL}, out, NULL), 0);
        ASSERT_TRUE(file_contains(out, "Reloaded 1 policies."));
        ASSERT_OK(control_status(d.control, &s));
        printf("# after reload: policy cnt rule deny %lld hits, container a %lld\n",
               status_rule_hits(s, "cnt", "deny"), container_rule_hits(status_container(s, "a"), "deny"));
        ASSERT_EQ(status_rule_hits(s, "cnt", "deny"), 2);
        ASSERT_EQ(status_rule_hits(s, "cnt", "extra"), 0);
        ASSERT_EQ(container_rule_hits(status_container(s, "a"), "deny"), 2);
        json_object_put(s);

        /* The new policy is in force, and counts go on from there. */
        ASSERT_EQ(target_mkdir(&a, "/tmp/cnt-extra"), -EPERM);
        ASSERT_EQ(target_mkdir(&a, deny_path), -EACCES);
        ASSERT_OK(control_status(d.control, &s));
        ASSERT_EQ(status_rule_hits(s, "cnt", "deny"), 3);
        ASSERT_EQ(status_rule_hits(s, "cnt", "extra"), 1);
        ASSERT_EQ(container_rule_hits(status_container(s, "a"), "deny"), 3);
        json_object_put(s);

        /* The container goes: its counts stay in the policy's. Another one counts on its own. */
        (void) target_stop(&a);
        ASSERT_OK(status_wait_container(d.control, "a", false, 3000));
        ASSERT_OK(target_start(&b, notified));
        ASSERT_OK(target_handoff(&b, d.agent, "b", NULL));
        ASSERT_OK(status_wait_container(d.control, "b", true, 3000));
        ASSERT_EQ(target_mkdir(&b, deny_path), -EACCES);
        ASSERT_OK(control_status(d.control, &s));
        printf("# after container a went: policy cnt rule deny %lld hits, container b %lld\n",
               status_rule_hits(s, "cnt", "deny"), container_rule_hits(status_container(s, "b"), "deny"));
        ASSERT_EQ(status_rule_hits(s, "cnt", "deny"), 4);
        ASSERT_EQ(container_rule_hits(status_container(s, "b"), "deny"), 1);
        ASSERT_EQ(container_rule_hits(status_container(s, "b"), "extra"), -1);
        json_object_put(s);

        /* The table of `status` shows them too. */
        ASSERT_EQ(run_ctl((const char *const[]){"status", "--control", d.control, NULL}, out, NULL), 0);
        ASSERT_TRUE(file_contains(out, "Container b pid"));
        ASSERT_TRUE(file_contains(out, "rules hit: deny 1"));
        (void) target_stop(&b);
        ASSERT_OK(daemon_stop(&d, SIGTERM, 5000, NULL));
}

TEST(ctl_reload_fails_loudly_and_keeps_the_old_policies) {
        char out[ITEST_PATH_MAX + 16], err[ITEST_PATH_MAX + 16], bad[ITEST_PATH_MAX + 16];
        Target t;
        Daemon d;

        if (itest_skip_reason())
                SKIP(itest_skip_reason());
        ASSERT_OK(setup(&d, "counters-reload"));
        (void) snprintf(out, sizeof(out), "%s/ctl.out", d.dir);
        (void) snprintf(err, sizeof(err), "%s/ctl.err", d.dir);
        (void) snprintf(bad, sizeof(bad), "%s/zz-bad.json", d.policy_dir);

        ASSERT_OK(itest_write_file(bad,
                                   "{ \"version\": 1, \"name\": \"bad\", \"rules\": [], \"oops\": 1 }\n"));
        ASSERT_EQ(run_ctl((const char *const[]){"reload", "--control", d.control, NULL}, out, err), 1);
        ASSERT_TRUE(file_contains(err, "Reload failed"));
        ASSERT_TRUE(file_contains(err, "zz-bad.json"));
        ASSERT_TRUE(daemon_log_contains(&d, "Reload requested by control client"));

        /* The old set answers on. */
        ASSERT_OK(target_start(&t, notified));
        ASSERT_OK(target_handoff(&t, d.agent, "r", NULL));
        ASSERT_OK(status_wait_container(d.control, "r", true, 3000));
        ASSERT_EQ(target_mkdir(&t, deny_path), -EACCES);
        (void) target_stop(&t);

        ASSERT_OK(unlink(bad) < 0 ? -errno : 0);
        ASSERT_EQ(run_ctl((const char *const[]){"reload", "--control", d.control, NULL}, out, err), 0);
        ASSERT_TRUE(file_contains(out, "Reloaded 1 policies."));
        ASSERT_OK(daemon_stop(&d, SIGTERM, 5000, NULL));

        /* No daemon: a failure too, not silence. */
        ASSERT_EQ(run_ctl((const char *const[]){"reload", "--control", d.control, NULL}, out, err), 1);
        ASSERT_TRUE(file_contains(err, "cannot talk to seccomp-redirectd"));
}

/* The Prometheus client's own parser (tests/openmetrics/reference-parse.py) on file. */
static int reference_parse(const char *format, const char *file, const char *report) {
        char cmd[3 * ITEST_PATH_MAX];
        const char *src = getenv("SRD_SOURCE_ROOT");
        int status;

        if (!src)
                return -ENOENT;
        /* Debian's python3: python3-prometheus-client (tools/deps) is there. */
        (void) snprintf(cmd, sizeof(cmd),
                        "/usr/bin/python3 '%s/tests/openmetrics/reference-parse.py' %s '%s' > '%s' 2>&1",
                        src, format, file, report);
        status = system(cmd);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int check_openmetrics(const char *file, const char *report) {
        char cmd[3 * ITEST_PATH_MAX];
        const char *src = getenv("SRD_SOURCE_ROOT");
        int status;

        if (!src)
                return -ENOENT;
        (void) snprintf(cmd, sizeof(cmd),
                        "python3 '%s/tests/openmetrics/openmetrics-check.py' '%s' > '%s' 2>&1", src, file,
                        report);
        status = system(cmd);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(metrics_are_valid_openmetrics_with_the_figures) {
        char out[ITEST_PATH_MAX + 16], report[ITEST_PATH_MAX + 16], prom[ITEST_PATH_MAX + 16],
                redirect[ITEST_PATH_MAX + 32], line[256];
        json_object *s = NULL;
        long long n_notifications;
        const char *support;
        bool fallback;
        Target t, r;
        Daemon d;

        if (itest_skip_reason())
                SKIP(itest_skip_reason());
        ASSERT_OK(setup(&d, "counters-metrics"));
        (void) snprintf(out, sizeof(out), "%s/metrics.om", d.dir);
        (void) snprintf(prom, sizeof(prom), "%s/metrics.prom", d.dir);
        (void) snprintf(report, sizeof(report), "%s/check.out", d.dir);
        (void) snprintf(redirect, sizeof(redirect), "%s/redirect-me", d.dir);

        /* Before any call: valid too, with every rule's series at 0. */
        ASSERT_EQ(run_ctl((const char *const[]){"metrics", "--control", d.control, NULL}, out, NULL), 0);
        ASSERT_EQ(check_openmetrics(out, report), 0);
        ASSERT_TRUE(
                file_contains(out, "\nseccomp_redirectd_rule_hits_total{policy=\"cnt\",rule=\"deny\"} 0\n"));
        ASSERT_TRUE(file_contains(out, "\nseccomp_redirectd_answer_duration_seconds_count 0\n"));

        ASSERT_OK(target_start(&t, notified));
        ASSERT_OK(target_handoff(&t, d.agent, "m", NULL));
        ASSERT_OK(status_wait_container(d.control, "m", true, 3000));
        ASSERT_EQ(target_mkdir(&t, deny_path), -EACCES);
        ASSERT_EQ(target_mkdir(&t, deny_path), -EACCES);
        for (int i = 0; i < 5; i++)
                ASSERT_TRUE(target_openat(&t, "/dev/null", O_RDONLY) >= 0);
        ASSERT_OK(control_status(d.control, &s));
        support = status_str(status_container(s, "m"), "redirect");
        fallback = support && strcmp(support, "supported") != 0;
        json_object_put(s);
        if (fallback)
                ASSERT_EQ(target_openat(&t, redirect, O_RDONLY), -EXDEV);
        /* A refused handoff: a metadata naming a policy that does not exist. */
        ASSERT_OK(target_start(&r, notified));
        ASSERT_OK(target_handoff(&r, d.agent, "refused", "policy=nope"));
        ASSERT_OK(daemon_wait_log(&d, "Refusing handoff", 3000));
        (void) target_kill(&r);

        ASSERT_EQ(run_ctl((const char *const[]){"metrics", "--control", d.control, NULL}, out, NULL), 0);
        ASSERT_EQ(check_openmetrics(out, report), 0);
        ASSERT_TRUE(file_contains(report, "ok: "));
        {
                char *rep = NULL;

                /* Every line a TAP comment: the report may quote the metrics. */
                if (itest_read_file(report, &rep) >= 0)
                        for (char *line_ = strtok(rep, "\n"); line_; line_ = strtok(NULL, "\n"))
                                printf("# checker: %s\n", line_);
                free(rep);
        }
        ASSERT_TRUE(file_contains(out,
                                  "\nseccomp_redirectd_notifications_total{policy=\"cnt\",rule=\"deny\","
                                  "action=\"errno\"} 2\n"));
        ASSERT_TRUE(file_contains(
                out, "\nseccomp_redirectd_notifications_total{policy=\"cnt\",rule=\"defaultAction\","
                     "action=\"continue\"} 5\n"));
        if (fallback)
                ASSERT_TRUE(file_contains(out, "\nseccomp_redirectd_redirect_fallbacks_total{policy=\"cnt\","
                                               "rule=\"to-elsewhere\"} 1\n"));
        ASSERT_TRUE(file_contains(out, "\nseccomp_redirectd_containers{policy=\"cnt\"} 1\n"));
        ASSERT_TRUE(file_contains(out, "\nseccomp_redirectd_handoffs_refused_total 1\n"));
        ASSERT_TRUE(file_contains(out, "\nseccomp_redirectd_answer_duration_seconds_bucket{le=\"+Inf\"} "));
        n_notifications = 7 + (fallback ? 1 : 0);
        (void) snprintf(line, sizeof(line), "\nseccomp_redirectd_answer_duration_seconds_count %lld\n",
                        n_notifications);
        ASSERT_TRUE(file_contains(out, line));
        ASSERT_TRUE(file_contains(out, "\n# EOF\n"));
        ASSERT_EQ(reference_parse("openmetrics", out, report), 0);
        ASSERT_TRUE(file_contains(report, "ok: 9 families"));

        /* The Prometheus text format for node_exporter's textfile collector. */
        ASSERT_EQ(run_ctl((const char *const[]){"metrics", "--format", "prometheus", "--control", d.control,
                                                NULL},
                          prom, NULL),
                  0);
        ASSERT_TRUE(file_contains(prom, "# TYPE seccomp_redirectd_notifications_total counter\n"));
        ASSERT_TRUE(file_contains(prom, "# HELP seccomp_redirectd_notifications_total "));
        ASSERT_TRUE(file_contains(prom, "# TYPE seccomp_redirectd_answer_duration_seconds histogram\n"));
        ASSERT_FALSE(file_contains(prom, "# EOF"));
        ASSERT_FALSE(file_contains(prom, "# UNIT"));
        ASSERT_EQ(reference_parse("prometheus", prom, report), 0);
        ASSERT_TRUE(file_contains(report, "ok: 9 families"));
        /* The control: the OpenMetrics parser refuses the Prometheus text (its counter names clash). */
        ASSERT_EQ(reference_parse("openmetrics", prom, report), 1);

        (void) target_stop(&t);
        ASSERT_OK(daemon_stop(&d, SIGTERM, 5000, NULL));
}

TESTS_MAIN
