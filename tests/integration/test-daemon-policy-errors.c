/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Policy errors as the daemon reports them: at startup every kind of bad
 * policy directory makes it exit 2 with a file:line:col message; on SIGHUP
 * one bad file keeps the whole old set (atomically: a good file changed in
 * the same reload does not take effect either), says so in the log, in
 * STATUS= and in `status`, and a later good reload re-points running
 * containers to the new policies.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest-util.h"
#include "tests.h"

#define HEAD \
        "{\n  \"version\": 1,\n  \"name\": \"bad\",\n  \"defaultAction\": \"continue\",\n  \"rules\": [\n"
#define TAIL "  ]\n}\n"
#define RULE(x) "    { \"name\": \"r\", " x " }\n"

typedef struct BadPolicy {
        const char *what;
        const char *text;
        unsigned line; /* expected line of the diagnostic */
        const char *token; /* the column is where this first appears on that line; NULL: any column */
        const char *needle; /* must appear in the message as well */
} BadPolicy;

static const BadPolicy bad_policies[] = {
        {"syntax error", "{\n  \"version\": 1,\n  \"name\": \"bad\",,\n  \"rules\": []\n}\n", 3, NULL, NULL},
        {"unknown top-level key",
         "{\n  \"version\": 1,\n  \"name\": \"bad\",\n  \"defaultActoin\": \"continue\",\n"
         "  \"rules\": []\n}\n",
         4, "\"defaultActoin\"", "defaultActoin"},
        {"unknown action", HEAD RULE("\"names\": [\"mkdir\"], \"action\": \"redirct\"") TAIL, 6,
         "\"redirct\"", "did you mean \"redirect\""},
        {"unknown syscall", HEAD RULE("\"names\": [\"mkdir\", \"mkdri\"], \"action\": \"continue\"") TAIL, 6,
         "\"mkdri\"", "mkdri"},
        {"unknown errno",
         HEAD RULE("\"names\": [\"mkdir\"], \"action\": \"errno\", \"errno\": \"EPRM\"") TAIL, 6, "\"EPRM\"",
         "EPRM"},
        {"errno out of range",
         HEAD RULE("\"names\": [\"mkdir\"], \"action\": \"errno\", \"errno\": 4096") TAIL, 6, "4096", NULL},
        {"relative redirect target",
         HEAD RULE("\"names\": [\"openat\"], \"path\": { \"exact\": \"/a\" }, \"action\": \"redirect\", "
                   "\"to\": \"relative/x\"") TAIL,
         6, "\"relative/x\"", NULL},
        {"dot-dot in redirect target",
         HEAD RULE("\"names\": [\"openat\"], \"path\": { \"exact\": \"/a\" }, \"action\": \"redirect\", "
                   "\"to\": \"/x/../etc/shadow\"") TAIL,
         6, "\"/x/../etc/shadow\"", NULL},
        {"{suffix} without a prefix condition",
         HEAD RULE("\"names\": [\"openat\"], \"path\": { \"exact\": \"/a\" }, \"action\": \"redirect\", "
                   "\"to\": \"/x/{suffix}\"") TAIL,
         6, "\"/x/{suffix}\"", "suffix"},
        {"redirect as default action",
         "{\n  \"version\": 1,\n  \"name\": \"bad\",\n  \"defaultAction\": \"redirect\",\n"
         "  \"rules\": []\n}\n",
         4, "\"redirect\"", NULL},
        {"unsupported version", "{\n  \"version\": 2,\n  \"name\": \"bad\",\n  \"rules\": []\n}\n", 2, "2",
         NULL},
        {"args index out of range",
         HEAD RULE("\"names\": [\"socket\"], \"args\": [ { \"index\": 6, \"op\": \"SCMP_CMP_EQ\", "
                   "\"value\": 1 } ], "
                   "\"action\": \"continue\"") TAIL,
         6, "6", NULL},
        {"unknown comparator",
         HEAD RULE("\"names\": [\"socket\"], \"args\": [ { \"index\": 0, \"op\": \"SCMP_CMP_EQQ\", "
                   "\"value\": 1 } ], "
                   "\"action\": \"continue\"") TAIL,
         6, "\"SCMP_CMP_EQQ\"", NULL},
        {"unknown key in a rule",
         HEAD RULE("\"names\": [\"mkdir\"], \"action\": \"continue\", \"lgo\": true") TAIL, 6, "\"lgo\"",
         "lgo"},
        {"set on a path argument",
         HEAD RULE("\"names\": [\"openat\"], \"action\": \"redirect\", \"set\": [ { \"index\": 1, "
                   "\"value\": 0 } ]") TAIL,
         6, NULL, NULL},
        {"rule without names", HEAD RULE("\"action\": \"continue\"") TAIL, 6, NULL, NULL},
        {"empty file", "", 0, NULL, NULL},
};

static const char good_policy[] = "{\n"
                                  "  \"version\": 1,\n"
                                  "  \"name\": \"hup\",\n"
                                  "  \"defaultAction\": \"continue\",\n"
                                  "  \"rules\": [\n"
                                  "    { \"name\": \"no-forbidden\", \"names\": [\"mkdir\"], \"path\": { "
                                  "\"glob\": \"/tmp/forbidden*\" },\n"
                                  "      \"action\": \"errno\", \"errno\": \"@ERRNO@\" }\n"
                                  "  ]\n"
                                  "}\n";

/* Start a daemon on a policy dir holding just these files; returns its wait status. */
static int start_expect_exit(const char *tag, const char *const *files, const char *const *texts,
                             const char *const *extra, Daemon *d) {
        char dir[ITEST_PATH_MAX];
        int status = -1, r;

        r = itest_tmpdir(tag, dir, sizeof(dir));
        if (r < 0)
                return r;
        r = daemon_prepare(d, dir);
        if (r < 0)
                return r;
        for (size_t i = 0; files && files[i]; i++) {
                r = daemon_add_policy(d, files[i], texts[i]);
                if (r < 0)
                        return r;
        }
        r = daemon_start(d, extra, &status);
        if (r == 0) {
                (void) daemon_stop(d, SIGKILL, 1000, NULL);
                printf("# the daemon started although it should not have\n");
                return -EEXIST;
        }
        if (r != -ECHILD)
                return r;
        return status;
}

static bool expect_exit_2(int status) {
        if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 2) {
                printf("# wait status %d (%s %d), expected exit 2\n", status,
                       WIFEXITED(status) ? "exit" : "signal",
                       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
                return false;
        }
        return true;
}

static void show_log(const Daemon *d) {
        char *text = NULL;

        if (itest_read_file(d->log, &text) < 0)
                return;
        for (char *p = strtok(text, "\n"); p; p = strtok(NULL, "\n"))
                printf("#   log: %s\n", p);
        free(text);
}

/* The log line that carries the diagnostic, so that the test log shows what users read. */
static void show_line_with(const Daemon *d, const char *what, const char *needle) {
        char *text = NULL;

        if (itest_read_file(d->log, &text) < 0)
                return;
        for (char *p = strtok(text, "\n"); p; p = strtok(NULL, "\n"))
                if (strstr(p, needle)) {
                        printf("# %s: %s\n", what, strstr(p, needle));
                        break;
                }
        free(text);
}

/* "bad.json:L:C:" where C is the 1-based byte column of token on line L of text. */
static void expected_position(const BadPolicy *b, char *buf, size_t size) {
        const char *line = b->text;

        for (unsigned i = 1; i < b->line && line; i++) {
                line = strchr(line, '\n');
                if (line)
                        line++;
        }
        if (b->line == 0 || !line)
                (void) snprintf(buf, size, "bad.json:");
        else if (!b->token)
                (void) snprintf(buf, size, "bad.json:%u:", b->line);
        else
                (void) snprintf(buf, size, "bad.json:%u:%d:", b->line,
                                (int) (strstr(line, b->token) - line) + 1);
}

static void render_good(char *buf, size_t size, const char *name, const char *errno_name) {
        const char *p = strstr(good_policy, "@ERRNO@");

        (void) snprintf(buf, size, "%.*s%s%s", (int) (p - good_policy), good_policy, errno_name, p + 7);
        if (name) {
                char *n = strstr(buf, "\"hup\"");
                char tmp[1024];

                (void) snprintf(tmp, sizeof(tmp), "%.*s\"%s\"%s", (int) (n - buf), buf, name, n + 5);
                (void) snprintf(buf, size, "%s", tmp);
        }
}

TEST(bad_policy_at_startup_exits_2_with_position) {
        unsigned failures = 0;

        if (itest_skip_reason())
                SKIP(itest_skip_reason());

        for (size_t i = 0; i < sizeof(bad_policies) / sizeof(bad_policies[0]); i++) {
                const BadPolicy *b = &bad_policies[i];
                const char *files[] = {"good.json", "bad.json", NULL};
                char good[512], where[64];
                const char *texts[] = {good, b->text};
                Daemon d;
                int status;

                render_good(good, sizeof(good), NULL, "EACCES");

                status = start_expect_exit("policy-err", files, texts, NULL, &d);
                expected_position(b, where, sizeof(where));
                if (!expect_exit_2(status) || !daemon_log_contains(&d, where) ||
                    (b->needle && !daemon_log_contains(&d, b->needle))) {
                        printf("# %s: expected \"%s\"%s%s%s in the log:\n", b->what, where,
                               b->needle ? " and \"" : "", b->needle ?: "", b->needle ? "\"" : "");
                        show_log(&d);
                        failures++;
                } else
                        show_line_with(&d, b->what, where);
        }
        ASSERT_EQ(failures, 0);
}

TEST(bad_directory_and_options_exit_2) {
        const char *files[] = {"a.json", "b.json", NULL};
        char a[1024];
        const char *texts[] = {a, a};
        const char *extra_unknown_default[] = {"--default-policy", "nope", NULL};
        const char *one[] = {"a.json", NULL};
        Daemon d;
        int status;

        if (itest_skip_reason())
                SKIP(itest_skip_reason());
        render_good(a, sizeof(a), NULL, "EACCES");

        /* Two files, one name. */
        status = start_expect_exit("policy-dup", files, texts, NULL, &d);
        ASSERT_TRUE(expect_exit_2(status));
        ASSERT_TRUE(daemon_log_contains(&d, "already used"));

        /* --default-policy naming no loaded policy. */
        status = start_expect_exit("policy-default", one, texts, extra_unknown_default, &d);
        ASSERT_TRUE(expect_exit_2(status));
        ASSERT_TRUE(daemon_log_contains(&d, "nope"));

        /* No such directory. */
        {
                char dir[ITEST_PATH_MAX];
                const char *extra[] = {NULL};

                ASSERT_OK(itest_tmpdir("policy-nodir2", dir, sizeof(dir)));
                ASSERT_OK(daemon_prepare(&d, dir));
                ASSERT_EQ(rmdir(d.policy_dir), 0);
                ASSERT_EQ(daemon_start(&d, extra, &status), -ECHILD);
                ASSERT_TRUE(expect_exit_2(status));
                ASSERT_TRUE(daemon_log_contains(&d, "policies.d"));
        }
        /* Usage errors. */
        {
                static const char *const bad_args[][3] = {
                        {"--log-level", "loud", NULL},       {"--log-target", "syslog", NULL},
                        {"--allow-uid", "root", NULL},       {"--no-such-option", NULL, NULL},
                        {"unexpected-argument", NULL, NULL},
                };

                for (size_t i = 0; i < sizeof(bad_args) / sizeof(bad_args[0]); i++) {
                        char dir[ITEST_PATH_MAX];

                        ASSERT_OK(itest_tmpdir("usage", dir, sizeof(dir)));
                        ASSERT_OK(daemon_prepare(&d, dir));
                        ASSERT_OK(daemon_add_policy(&d, "a.json", a));
                        ASSERT_EQ(daemon_start(&d, bad_args[i], &status), -ECHILD);
                        if (!expect_exit_2(status))
                                printf("# for %s %s\n", bad_args[i][0], bad_args[i][1] ?: "");
                        ASSERT_TRUE(expect_exit_2(status));
                }
        }
        /* A *.json that is a directory. */
        {
                char dir[ITEST_PATH_MAX], sub[ITEST_PATH_MAX + 16];

                ASSERT_OK(itest_tmpdir("policy-isdir", dir, sizeof(dir)));
                ASSERT_OK(daemon_prepare(&d, dir));
                (void) snprintf(sub, sizeof(sub), "%s/x.json", d.policy_dir);
                ASSERT_EQ(mkdir(sub, 0755), 0);
                ASSERT_EQ(daemon_start(&d, NULL, &status), -ECHILD);
                ASSERT_TRUE(expect_exit_2(status));
                ASSERT_TRUE(daemon_log_contains(&d, "x.json"));
        }
}

static Daemon hupd;

static long hup_mkdir(Target *t) {
        char forbidden[64];

        (void) snprintf(forbidden, sizeof(forbidden), "/tmp/forbidden-hup-%d", (int) getpid());
        return target_mkdir(t, forbidden);
}

static int reload(char *notify, size_t size) {
        int r;

        (void) kill(hupd.pid, SIGHUP);
        r = daemon_wait_notify(&hupd, "RELOADING=1", 5000, notify, size);
        if (r < 0)
                return r;
        return daemon_wait_notify(&hupd, "READY=1", 5000, notify, size);
}

TEST(sighup_with_a_bad_file_keeps_the_old_set) {
        static const char *const notified[] = {"mkdir", NULL};
        char dir[ITEST_PATH_MAX], text[1024], notify[1024], path[ITEST_PATH_MAX + 32];
        json_object *s = NULL, *reload_o = NULL;
        const char *err;
        size_t off;
        Target t;
        int status;

        if (itest_skip_reason())
                SKIP(itest_skip_reason());
        ASSERT_OK(itest_tmpdir("hup", dir, sizeof(dir)));
        ASSERT_OK(daemon_prepare(&hupd, dir));
        render_good(text, sizeof(text), NULL, "EACCES");
        ASSERT_OK(daemon_add_policy(&hupd, "hup.json", text));
        ASSERT_OK(daemon_start(&hupd, NULL, NULL));
        ASSERT_OK(target_start(&t, notified));
        ASSERT_OK(target_handoff(&t, hupd.agent, "c-hup", "policy=hup"));
        ASSERT_EQ(hup_mkdir(&t), -EACCES);

        /* A good change and a bad file in one reload: none of it applies. */
        render_good(text, sizeof(text), NULL, "EPERM");
        ASSERT_OK(daemon_add_policy(&hupd, "hup.json", text));
        ASSERT_OK(daemon_add_policy(&hupd, "bad.json", bad_policies[2].text));
        off = daemon_log_size(&hupd);
        ASSERT_OK(reload(notify, sizeof(notify)));
        ASSERT_OK(daemon_wait_log_after(&hupd, off, "keeping", 2000));
        ASSERT_OK(daemon_wait_log_after(&hupd, off, "bad.json:6:", 100));
        /* STATUS= says so: it comes with READY=1 or right after it. */
        while (!(strstr(notify, "STATUS=") && strcasestr(notify, "fail")))
                ASSERT_OK(daemon_read_notify(&hupd, 2000, notify, sizeof(notify)));
        for (char *c = notify; *c; c++)
                if (*c == '\n')
                        *c = ' ';
        printf("# notify after the bad reload: %s\n", notify);

        ASSERT_OK(control_status(hupd.control, &s));
        ASSERT_TRUE(json_object_object_get_ex(s, "reload", &reload_o));
        ASSERT_EQ(status_int(reload_o, "ok"), 0);
        err = status_str(reload_o, "error");
        ASSERT_NOT_NULL(err);
        printf("# status reload.error: %s\n", err);
        ASSERT_TRUE(strstr(err, "bad.json") != NULL);
        json_object_put(s);
        ASSERT_EQ(hup_mkdir(&t), -EACCES);

        /* Fixed: the new hup.json applies, to the running container too. */
        (void) snprintf(path, sizeof(path), "%s/bad.json", hupd.policy_dir);
        ASSERT_EQ(unlink(path), 0);
        ASSERT_OK(reload(notify, sizeof(notify)));
        ASSERT_OK(control_status(hupd.control, &s));
        ASSERT_TRUE(json_object_object_get_ex(s, "reload", &reload_o));
        ASSERT_EQ(status_int(reload_o, "ok"), 1);
        json_object_put(s);
        ASSERT_EQ(hup_mkdir(&t), -EPERM);

        /* The container's policy vanishes from the dir: it keeps the version it has. */
        render_good(text, sizeof(text), "other", "ENOSPC");
        ASSERT_OK(daemon_add_policy(&hupd, "hup.json", text));
        off = daemon_log_size(&hupd);
        ASSERT_OK(reload(notify, sizeof(notify)));
        ASSERT_OK(daemon_wait_log_after(&hupd, off, "no longer exists", 2000));
        ASSERT_EQ(hup_mkdir(&t), -EPERM);

        ASSERT_TRUE(WIFEXITED(target_stop(&t)));
        ASSERT_OK(daemon_stop(&hupd, SIGTERM, 5000, &status));
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TESTS_MAIN
