/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the daemon's log says and where it goes:
 * - --log-target journal with no journal: stderr, with one warning saying
 *   so; with a (fake) journal socket there, the messages go to it instead.
 * - stderr lines carry an ISO 8601 UTC time and a level, except when stderr
 *   is journald's stream (JOURNAL_STREAM names it): then a "<N>" prefix.
 * - the per-container rate limit is per kind: a debug flood of continue
 *   calls does not crowd out a "log": true hit or a redirect fallback, and
 *   what was dropped is counted by kind.
 */
#include <fcntl.h>
#include <regex.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "itest-util.h"
#include "tests.h"

static const char policy[] =
        "{\n"
        "  \"version\": 1,\n"
        "  \"name\": \"logs\",\n"
        "  \"defaultAction\": \"continue\",\n"
        "  \"redirectFallback\": { \"action\": \"errno\", \"errno\": \"EXDEV\" },\n"
        "  \"rules\": [\n"
        "    { \"name\": \"logged-deny\", \"names\": [\"mkdir\"],\n"
        "      \"path\": { \"glob\": \"/tmp/logged*\" }, \"action\": \"errno\", \"errno\": \"EACCES\",\n"
        "      \"log\": true },\n"
        "    { \"name\": \"kill-me\", \"names\": [\"mkdir\"],\n"
        "      \"path\": { \"glob\": \"/tmp/kill-me*\" }, \"action\": \"kill\" },\n"
        "    { \"name\": \"quiet-deny\", \"names\": [\"mkdir\"],\n"
        "      \"path\": { \"glob\": \"/tmp/quiet*\" }, \"action\": \"errno\", \"errno\": \"EPERM\" },\n"
        "    { \"name\": \"to-elsewhere\", \"names\": [\"openat\"],\n"
        "      \"path\": { \"exact\": \"@TMP@/redirect-me\" }, \"action\": \"redirect\",\n"
        "      \"to\": \"/tmp/elsewhere\" }\n"
        "  ]\n"
        "}\n";

static const char *const notified[] = {"openat", "mkdir", NULL};

static int start(Daemon *d, const char *tag, const char *const *extra) {
        char dir[ITEST_PATH_MAX];
        int r;

        if ((r = itest_tmpdir(tag, dir, sizeof(dir))) < 0 || (r = daemon_prepare(d, dir)) < 0 ||
            (r = daemon_add_policy(d, "logs.json", policy)) < 0)
                return r;
        return daemon_start(d, extra, NULL);
}

/* Lines of the log matching a POSIX extended regex. */
static long count_lines(const Daemon *d, const char *re) {
        char *log = NULL;
        regex_t rx;
        long n = 0;

        if (itest_read_file(d->log, &log) < 0 || regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
                return free(log), -1;
        for (char *line = log, *end; line && *line; line = end ? end + 1 : NULL) {
                end = strchr(line, '\n');
                if (end)
                        *end = 0;
                if (regexec(&rx, line, 0, NULL, 0) == 0)
                        n++;
        }
        regfree(&rx);
        free(log);
        return n;
}

static long count_all_lines(const Daemon *d) {
        return count_lines(d, ".");
}

/* A private /run in a mount namespace of our own: the journal socket is ours to make or leave out. */
static int private_run(void) {
        static bool done;

        if (done)
                return 0;
        if (unshare(CLONE_NEWNS) < 0)
                return -errno;
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0)
                return -errno;
        done = true;
        return 0;
}

TEST(journal_missing_falls_back_to_stderr_with_a_warning) {
        Daemon d;

        if (itest_skip_reason())
                SKIP(itest_skip_reason());
        ASSERT_OK(private_run());
        (void) unlink("/run/systemd/journal/socket");
        ASSERT_OK(start(&d, "logs-nojournal", (const char *const[]){"--log-target", "journal", NULL}));
        ASSERT_OK(daemon_stop(&d, SIGTERM, 5000, NULL));
        /* Exactly one warning, first, and the messages after it. */
        ASSERT_EQ(count_lines(&d, "warning: --log-target journal: no journal .* logging to stderr\\.$"), 1);
        ASSERT_EQ(count_lines(&d, "no journal"), 1);
        ASSERT_TRUE(count_lines(&d, "info: Ready: agent socket") == 1);
}

TEST(journal_present_gets_the_messages_and_no_warning) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        char buf[8192];
        bool ready = false;
        Daemon d;
        int fd;

        if (itest_skip_reason())
                SKIP(itest_skip_reason());
        ASSERT_OK(private_run());
        ASSERT_OK(mkdir("/run/systemd", 0755) < 0 && errno != EEXIST ? -errno : 0);
        ASSERT_OK(mkdir("/run/systemd/journal", 0755) < 0 && errno != EEXIST ? -errno : 0);
        (void) unlink("/run/systemd/journal/socket");
        strcpy(sa.sun_path, "/run/systemd/journal/socket");
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        ASSERT_TRUE(fd >= 0);
        ASSERT_OK(bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ? -errno : 0);

        ASSERT_OK(start(&d, "logs-journal", (const char *const[]){"--log-target", "journal", NULL}));
        ASSERT_OK(daemon_stop(&d, SIGTERM, 5000, NULL));
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

                if (n <= 0)
                        break;
                buf[n] = 0;
                if (strstr(buf, "MESSAGE=Ready: agent socket") && strstr(buf, "PRIORITY=6"))
                        ready = true;
        }
        close(fd);
        (void) unlink("/run/systemd/journal/socket");
        /* The control: with a journal there, nothing on stderr at all. */
        ASSERT_TRUE(ready);
        ASSERT_EQ(count_lines(&d, "no journal"), 0);
        ASSERT_EQ(count_all_lines(&d), 0);
}

#define STAMP_LINE \
        "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z " \
        "seccomp-redirectd\\[[0-9]+\\]: "

TEST(stderr_lines_have_time_and_level) {
        Daemon d;
        long all;

        if (itest_skip_reason())
                SKIP(itest_skip_reason());
        (void) unsetenv("JOURNAL_STREAM");
        ASSERT_OK(start(&d, "logs-stamp", NULL));
        ASSERT_OK(daemon_stop(&d, SIGTERM, 5000, NULL));
        all = count_all_lines(&d);
        printf("# %ld lines, %ld with time and level\n", all,
               count_lines(&d, STAMP_LINE "(debug|info|notice|warning|err): "));
        ASSERT_TRUE(all >= 2);
        ASSERT_EQ(count_lines(&d, STAMP_LINE "(debug|info|notice|warning|err): "), all);
        ASSERT_EQ(count_lines(&d, STAMP_LINE "info: Ready: agent socket"), 1);
}

/* JOURNAL_STREAM set to the device:inode of the log file the daemon's stderr goes to. */
static int journal_stream_of(const Daemon *d, bool right) {
        char v[64];
        struct stat st;
        int fd;

        fd = open(d->log, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        close(fd);
        (void) snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long) st.st_dev,
                        (unsigned long long) st.st_ino + (right ? 0 : 1));
        return setenv("JOURNAL_STREAM", v, 1) < 0 ? -errno : 0;
}

TEST(stderr_under_systemd_has_priority_prefix) {
        char dir[ITEST_PATH_MAX];
        Daemon d;
        long all;

        if (itest_skip_reason())
                SKIP(itest_skip_reason());
        ASSERT_OK(itest_tmpdir("logs-prefix", dir, sizeof(dir)));
        ASSERT_OK(daemon_prepare(&d, dir));
        ASSERT_OK(daemon_add_policy(&d, "logs.json", policy));
        ASSERT_OK(journal_stream_of(&d, true));
        ASSERT_OK(daemon_start(&d, NULL, NULL));
        ASSERT_OK(daemon_stop(&d, SIGTERM, 5000, NULL));
        (void) unsetenv("JOURNAL_STREAM");
        all = count_all_lines(&d);
        ASSERT_TRUE(all >= 2);
        ASSERT_EQ(count_lines(&d, "^<[0-7]>seccomp-redirectd: "), all);
        ASSERT_EQ(count_lines(&d, "^<6>seccomp-redirectd: Ready: agent socket"), 1);
        ASSERT_EQ(count_lines(&d, "[0-9]{2}:[0-9]{2}:[0-9]{2}"), 0);
}

TEST(stderr_not_the_journal_stream_keeps_time_and_level) {
        char dir[ITEST_PATH_MAX];
        Daemon d;

        if (itest_skip_reason())
                SKIP(itest_skip_reason());
        /* The control: JOURNAL_STREAM inherited, but naming another file. */
        ASSERT_OK(itest_tmpdir("logs-prefix-no", dir, sizeof(dir)));
        ASSERT_OK(daemon_prepare(&d, dir));
        ASSERT_OK(daemon_add_policy(&d, "logs.json", policy));
        ASSERT_OK(journal_stream_of(&d, false));
        ASSERT_OK(daemon_start(&d, NULL, NULL));
        ASSERT_OK(daemon_stop(&d, SIGTERM, 5000, NULL));
        (void) unsetenv("JOURNAL_STREAM");
        ASSERT_EQ(count_lines(&d, "^<[0-7]>"), 0);
        ASSERT_EQ(count_lines(&d, STAMP_LINE "info: Ready: agent socket"), 1);
}

TEST(debug_flood_does_not_crowd_out_what_matters) {
        TargetCmd loop = {.op = TARGET_OPENAT_LOOP, .a = 500, .flags = O_RDONLY};
        char logged[64], quiet[64], redirect[ITEST_PATH_MAX + 32];
        long continues, quiet_lines;
        json_object *s = NULL;
        const char *support;
        bool fallback;
        Target t;
        Daemon d;

        if (itest_skip_reason())
                SKIP(itest_skip_reason());
        ASSERT_OK(start(&d, "logs-ratelimit",
                        (const char *const[]){"--log-level", "debug", "--default-policy", "logs", NULL}));
        ASSERT_OK(target_start(&t, notified));
        ASSERT_OK(target_handoff(&t, d.agent, "flood", NULL));
        ASSERT_OK(status_wait_container(d.control, "flood", true, 3000));

        /* 500 continued calls, then 30 quiet denies (debug too): the debug
         * budget of the window is long gone when the two that matter come. */
        (void) snprintf(loop.path, sizeof(loop.path), "/dev/null");
        ASSERT_TRUE(target_call(&t, &loop, 20000) >= 0);
        (void) snprintf(quiet, sizeof(quiet), "/tmp/quiet-%d", (int) getpid());
        for (int i = 0; i < 30; i++)
                ASSERT_EQ(target_mkdir(&t, quiet), -EPERM);
        (void) snprintf(logged, sizeof(logged), "/tmp/logged-%d", (int) getpid());
        ASSERT_EQ(target_mkdir(&t, logged), -EACCES);
        (void) snprintf(redirect, sizeof(redirect), "%s/redirect-me", d.dir);
        /* No redirect on this kernel: the fallback answers. Where redirect
         * works there is no fallback to log, and that half is left out. */
        ASSERT_OK(control_status(d.control, &s));
        support = status_str(status_container(s, "flood"), "redirect");
        fallback = support && strcmp(support, "supported") != 0;
        json_object_put(s);
        if (fallback)
                ASSERT_EQ(target_openat(&t, redirect, O_RDONLY), -EXDEV);
        else
                printf("# this kernel redirects: no fallback to log, that half is not run\n");

        ASSERT_OK(daemon_wait_log(&d, "rule \"logged-deny\"", 3000));
        if (fallback)
                ASSERT_OK(daemon_wait_log(&d, "applied redirectFallback", 3000));
        continues = count_lines(&d, "rule \"defaultAction\": continue");
        quiet_lines = count_lines(&d, "rule \"quiet-deny\"");
        printf("# debug lines logged: %ld continue + %ld quiet deny (budget 20 per 5 s); "
               "log:true hit %ld, fallback %ld\n",
               continues, quiet_lines, count_lines(&d, "rule \"logged-deny\""),
               count_lines(&d, "applied redirectFallback"));
        /* The teeth: the flood did use up the debug budget. */
        ASSERT_EQ(continues + quiet_lines, 20);
        ASSERT_EQ(count_lines(&d, "rule \"logged-deny\""), 1);
        ASSERT_EQ(count_lines(&d, "applied redirectFallback"), fallback ? 1 : 0);

        /* The window reopens: what was dropped is said, by kind. */
        usleep(5200 * 1000);
        ASSERT_EQ(target_mkdir(&t, logged), -EACCES);
        ASSERT_OK(daemon_wait_log(&d, "suppressed", 3000));
        /* 530 debug calls, 20 of them logged; only debug lines were dropped. */
        ASSERT_EQ(count_lines(&d, "Container flood: suppressed 510 messages \\(510 debug\\)\\.$"), 1);
        ASSERT_EQ(count_lines(&d, "rule \"logged-deny\""), 2);

        /* Use the debug budget up again, then a kill: it is logged, and
         * the end of the container says what its window dropped. */
        ASSERT_TRUE(target_call(&t, &loop, 20000) >= 0);
        (void) snprintf(logged, sizeof(logged), "/tmp/kill-me-%d", (int) getpid());
        (void) target_mkdir(&t, logged);
        ASSERT_OK(daemon_wait_log(&d, "rule \"kill-me\": kill", 3000));
        ASSERT_OK(daemon_wait_log(&d, "Container flood: suppressed 480 messages (480 debug).", 3000));
        (void) target_kill(&t);
        ASSERT_OK(daemon_stop(&d, SIGTERM, 5000, NULL));
}

TESTS_MAIN
