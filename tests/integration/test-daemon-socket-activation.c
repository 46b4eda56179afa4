/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon as systemd runs it: sockets passed by systemd-socket-activate
 * (named "agent" and "control"), NOTIFY_SOCKET read by the test the way
 * PID 1 reads it: READY=1 with STATUS=, WATCHDOG=1, RELOADING=1 then
 * READY=1 on SIGHUP, STOPPING=1 and exit 0 on SIGTERM. A connection that
 * arrived before the daemon started must be served, the sockets systemd
 * owns must be neither rebound nor removed, and the daemon holds the locks
 * beside them, so that one started by hand on the same paths gives up.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest-util.h"
#include "tests.h"

static const char policy[] = "{\n"
                             "  \"version\": 1,\n"
                             "  \"name\": \"sa\",\n"
                             "  \"defaultAction\": \"continue\",\n"
                             "  \"rules\": [\n"
                             "    { \"name\": \"no-forbidden\", \"names\": [\"mkdir\"], \"path\": { "
                             "\"glob\": \"/tmp/forbidden*\" },\n"
                             "      \"action\": \"errno\", \"errno\": \"EACCES\" }\n"
                             "  ]\n"
                             "}\n";

/* sd_notify messages are multi-line; TAP comments are not. */
static const char *oneline(char *s) {
        for (char *p = s; *p; p++)
                if (*p == '\n')
                        *p = ' ';
        return s;
}

static const char *find_activate(void) {
        static const char *const candidates[] = {"/usr/bin/systemd-socket-activate",
                                                 "/bin/systemd-socket-activate"};

        for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
                if (access(candidates[i], X_OK) == 0)
                        return candidates[i];
        return NULL;
}

static int wait_for_socket(const char *path, ino_t *ret_ino) {
        for (int i = 0; i < 500; i++) {
                struct stat st;

                if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
                        *ret_ino = st.st_ino;
                        return 0;
                }
                (void) usleep(10000);
        }
        return -ETIMEDOUT;
}

static pid_t spawn_activated(Daemon *d, const char *activate) {
        char fdnames[] = "--fdname=agent:control";
        pid_t pid = fork();

        if (pid != 0)
                return pid;

        int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0 || dup2(fd, STDERR_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0)
                _exit(127);
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        (void) setenv("NOTIFY_SOCKET", d->notify_path, 1);
        (void) setenv("WATCHDOG_USEC", "1000000", 1);
        if (itest_daemon_wrapper()) /* systemd-socket-activate execs it: the pid stays */
                execl(activate, activate, "-l", d->agent, "-l", d->control, fdnames, "-E", "NOTIFY_SOCKET", "-E",
                      "WATCHDOG_USEC", "-E", "SRD_VALGRIND_LOGS", itest_daemon_wrapper(), itest_daemon_binary(),
                      "--policy-dir", d->policy_dir, "--control", d->control, "--log-target", "stderr",
                      (char *) NULL);
        else
                execl(activate, activate, "-l", d->agent, "-l", d->control, fdnames, "-E", "NOTIFY_SOCKET", "-E",
                      "WATCHDOG_USEC", itest_daemon_binary(), "--policy-dir", d->policy_dir, "--control",
                      d->control, "--log-target", "stderr", (char *) NULL);
        _exit(127);
}

TEST(socket_activated_lifecycle) {
        static const char *const notified[] = {"mkdir", NULL};
        char dir[ITEST_PATH_MAX], notify[4096], forbidden[64], early_reply[65536];
        const char *activate = find_activate();
        ino_t agent_ino, control_ino, ino;
        json_object *s;
        Daemon d;
        Target t;
        ssize_t n;
        size_t len = 0;
        int early, status;
        uint64_t t0;

        if (itest_skip_reason())
                SKIP(itest_skip_reason());
        if (!activate)
                SKIP("systemd-socket-activate not installed (package systemd)");

        ASSERT_OK(itest_tmpdir("activate", dir, sizeof(dir)));
        ASSERT_OK(daemon_prepare(&d, dir));
        ASSERT_OK(daemon_add_policy(&d, "sa.json", policy));

        d.pid = spawn_activated(&d, activate);
        ASSERT_TRUE(d.pid > 0);
        itest_track_daemon_pid(d.pid);
        ASSERT_OK(wait_for_socket(d.agent, &agent_ino));
        ASSERT_OK(wait_for_socket(d.control, &control_ino));

        /* systemd-socket-activate execs on the first connection: this one is
         * queued before the daemon runs and must still be answered. */
        /* The file appears at bind(), a moment before listen(): until then
         * a connection is refused, not queued. */
        for (int i = 0; i < 200; i++) {
                early = itest_unix_connect(d.control, SOCK_STREAM);
                if (early != -ECONNREFUSED)
                        break;
                (void) usleep(10 * 1000);
        }
        ASSERT_TRUE(early >= 0);
        ASSERT_EQ(write(early, "status\n", 7), 7);

        ASSERT_OK(daemon_wait_notify(&d, "READY=1", 10000, notify, sizeof(notify)));
        printf("# first READY=1 message: %s\n", oneline(notify));
        while (!strstr(notify, "STATUS="))
                ASSERT_OK(daemon_read_notify(&d, 2000, notify, sizeof(notify)));
        printf("# status message: %s\n", oneline(notify));

        while (len < sizeof(early_reply) - 1 &&
               (n = read(early, early_reply + len, sizeof(early_reply) - 1 - len)) > 0)
                len += (size_t) n;
        early_reply[len] = 0;
        close(early);
        s = json_tokener_parse(early_reply);
        ASSERT_NOT_NULL(s);
        ASSERT_TRUE(status_rule_hits(s, "sa", "no-forbidden") == 0);
        json_object_put(s);

        /* The sockets systemd made are the ones in use, not rebound copies. */
        ASSERT_OK(wait_for_socket(d.agent, &ino));
        ASSERT_EQ(ino, agent_ino);
        ASSERT_OK(wait_for_socket(d.control, &ino));
        ASSERT_EQ(ino, control_ino);

        /* And they work: a container handed over on the activated agent socket. */
        ASSERT_OK(target_start(&t, notified));
        ASSERT_OK(target_handoff(&t, d.agent, "c-activated", "policy=sa"));
        (void) snprintf(forbidden, sizeof(forbidden), "/tmp/forbidden-sa-%d", (int) getpid());
        ASSERT_EQ(target_mkdir(&t, forbidden), -EACCES);
        ASSERT_OK(status_wait_container(d.control, "c-activated", true, 2000));

        /* It holds the locks beside systemd's sockets: a daemon started by
         * hand on the same paths gives up and leaves the sockets alone. */
        {
                char dir2[ITEST_PATH_MAX];
                Daemon twin;

                ASSERT_OK(itest_tmpdir("activate-twin", dir2, sizeof(dir2)));
                ASSERT_OK(daemon_prepare(&twin, dir2));
                ASSERT_OK(daemon_add_policy(&twin, "sa.json", policy));
                memcpy(twin.agent, d.agent, sizeof(twin.agent));
                memcpy(twin.control, d.control, sizeof(twin.control));
                status = 0;
                ASSERT_EQ(daemon_start(&twin, NULL, &status), -ECHILD);
                ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
                ASSERT_TRUE(daemon_log_contains(&twin, "Another seccomp-redirectd"));
                ASSERT_OK(wait_for_socket(d.agent, &ino));
                ASSERT_EQ(ino, agent_ino);
                ASSERT_EQ(target_mkdir(&t, forbidden), -EACCES);
        }

        /* WATCHDOG_USEC=1s: pings at least every half period. */
        t0 = itest_now_usec();
        ASSERT_OK(daemon_wait_notify(&d, "WATCHDOG=1", 3000, notify, sizeof(notify)));
        printf("# WATCHDOG=1 after %.2f s\n", (double) (itest_now_usec() - t0) / 1e6);

        ASSERT_EQ(kill(d.pid, SIGHUP), 0);
        ASSERT_OK(daemon_wait_notify(&d, "RELOADING=1", 5000, notify, sizeof(notify)));
        printf("# reload message: %s\n", oneline(notify));
        ASSERT_OK(daemon_wait_notify(&d, "READY=1", 5000, notify, sizeof(notify)));
        ASSERT_EQ(target_mkdir(&t, forbidden), -EACCES);

        ASSERT_EQ(kill(d.pid, SIGTERM), 0);
        ASSERT_OK(daemon_wait_notify(&d, "STOPPING=1", 5000, notify, sizeof(notify)));
        ASSERT_OK(itest_wait_pid(d.pid, 5000, &status));
        d.pid = 0;
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 0);
        /* systemd owns those paths: the daemon must leave them alone. */
        ASSERT_OK(wait_for_socket(d.agent, &ino));
        ASSERT_OK(wait_for_socket(d.control, &ino));
        (void) target_stop(&t);
}

TESTS_MAIN
