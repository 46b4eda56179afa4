/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One daemon per socket path. A second daemon on the same paths exits
 * non-zero with a clear message and the first keeps serving; a socket a
 * dead daemon left behind is replaced; a socket something else listens on
 * is not; on exit a daemon removes only the socket it made; and --listen
 * alone leaves the system's control socket alone.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest-util.h"
#include "tests.h"

static const char policy[] =
        "{ \"version\": 1, \"name\": \"one\", \"defaultAction\": \"continue\", \"rules\": [\n"
        "  { \"name\": \"no-forbidden\", \"names\": [\"mkdir\"], \"path\": { \"glob\": \"/tmp/forbidden*\" "
        "},\n"
        "    \"action\": \"errno\", \"errno\": \"EACCES\" } ] }\n";

static const char *const notified[] = {"mkdir", NULL};

static ino_t inode_of(const char *path) {
        struct stat st;

        return lstat(path, &st) < 0 ? 0 : st.st_ino;
}

/* The daemon answers: a container handed over now gets its policy. */
static int serves(const Daemon *d, const char *id) {
        char forbidden[64];
        Target t;
        long r;

        if ((r = target_start(&t, notified)) < 0)
                return (int) r;
        if ((r = target_handoff(&t, d->agent, id, "policy=one")) < 0) {
                (void) target_kill(&t);
                return (int) r;
        }
        (void) snprintf(forbidden, sizeof(forbidden), "/tmp/forbidden-one-%d", (int) getpid());
        r = target_mkdir(&t, forbidden);
        (void) target_stop(&t);
        if (r != -EACCES) {
                printf("# %s: mkdir -> %ld, expected -EACCES\n", id, r);
                return -EIO;
        }
        return 0;
}

static int prepare(Daemon *d, const char *tag) {
        char dir[ITEST_PATH_MAX];
        int r;

        if ((r = itest_tmpdir(tag, dir, sizeof(dir))) < 0 || (r = daemon_prepare(d, dir)) < 0)
                return r;
        return daemon_add_policy(d, "one.json", policy);
}

/* A second Daemon on the same paths as first, with its own log and notify socket. */
static int prepare_twin(Daemon *twin, const Daemon *first, const char *tag) {
        int r = prepare(twin, tag);

        if (r < 0)
                return r;
        memcpy(twin->agent, first->agent, sizeof(twin->agent));
        memcpy(twin->control, first->control, sizeof(twin->control));
        return 0;
}

TEST(second_daemon_on_the_same_paths_exits_and_the_first_keeps_serving) {
        ino_t agent_ino, control_ino;
        Daemon first, second;
        json_object *s = NULL;
        int status = 0;

        if (itest_skip_reason())
                SKIP(itest_skip_reason());
        ASSERT_OK(prepare(&first, "one-first"));
        ASSERT_OK(daemon_start(&first, NULL, NULL));
        ASSERT_OK(serves(&first, "c-before"));
        agent_ino = inode_of(first.agent);
        control_ino = inode_of(first.control);

        ASSERT_OK(prepare_twin(&second, &first, "one-second"));
        ASSERT_EQ(daemon_start(&second, NULL, &status), -ECHILD);
        ASSERT_TRUE(WIFEXITED(status));
        printf("# second daemon exit status %d\n", WEXITSTATUS(status));
        ASSERT_EQ(WEXITSTATUS(status), 1);
        ASSERT_TRUE(daemon_log_contains(&second, "Another seccomp-redirectd (pid"));
        ASSERT_TRUE(daemon_log_contains(&second, "Not starting a second daemon"));

        /* Same sockets, same daemon, still answering on both. */
        ASSERT_EQ(inode_of(first.agent), agent_ino);
        ASSERT_EQ(inode_of(first.control), control_ino);
        ASSERT_OK(serves(&first, "c-after"));
        ASSERT_OK(control_status(first.control, &s));
        json_object_put(s);

        /* Also when only the control socket is shared. */
        ASSERT_OK(prepare(&second, "one-second-ctl"));
        memcpy(second.control, first.control, sizeof(second.control));
        status = 0;
        ASSERT_EQ(daemon_start(&second, NULL, &status), -ECHILD);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
        ASSERT_EQ(inode_of(first.control), control_ino);
        /* It gave up before touching its own agent path too. */
        ASSERT_EQ(inode_of(second.agent), 0);
        ASSERT_OK(control_status(first.control, &s));
        json_object_put(s);

        ASSERT_OK(daemon_stop(&first, SIGTERM, 5000, &status));
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        ASSERT_EQ(inode_of(first.agent), 0);
}

TEST(stale_socket_of_a_dead_daemon_is_replaced) {
        Daemon first, next;
        int status;

        if (itest_skip_reason())
                SKIP(itest_skip_reason());
        ASSERT_OK(prepare(&first, "one-stale"));
        ASSERT_OK(daemon_start(&first, NULL, NULL));
        ASSERT_OK(daemon_stop(&first, SIGKILL, 5000, &status));
        /* Killed: its sockets stay, nobody listens, its lock went with it. */
        ASSERT_TRUE(inode_of(first.agent) != 0);
        ASSERT_OK(prepare_twin(&next, &first, "one-stale-next"));
        ASSERT_OK(daemon_start(&next, NULL, NULL));
        ASSERT_TRUE(daemon_log_contains(&next, "a socket nobody listens on"));
        ASSERT_OK(serves(&next, "c-next"));
        ASSERT_OK(daemon_stop(&next, SIGTERM, 5000, NULL));
}

/* A listening socket at path that is no daemon of ours (an old daemon, a socket unit). */
static int listen_at(const char *path) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 16) < 0)
                return -errno;
        return fd;
}

TEST(socket_something_else_listens_on_is_left_alone) {
        Daemon d;
        ino_t ino;
        int fd, status = 0;

        if (itest_skip_reason())
                SKIP(itest_skip_reason());
        ASSERT_OK(prepare(&d, "one-foreign"));
        fd = listen_at(d.agent);
        ASSERT_TRUE(fd >= 0);
        ino = inode_of(d.agent);
        ASSERT_EQ(daemon_start(&d, NULL, &status), -ECHILD);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
        ASSERT_TRUE(daemon_log_contains(&d, "not replacing it"));
        ASSERT_EQ(inode_of(d.agent), ino);
        close(fd);
}

TEST(exit_removes_only_the_socket_it_made) {
        Daemon d;
        ino_t ino;
        int fd, status;

        if (itest_skip_reason())
                SKIP(itest_skip_reason());
        ASSERT_OK(prepare(&d, "one-replaced"));
        ASSERT_OK(daemon_start(&d, NULL, NULL));
        /* Someone (an old daemon without the lock) took the path over meanwhile. */
        ASSERT_EQ(unlink(d.agent), 0);
        fd = listen_at(d.agent);
        ASSERT_TRUE(fd >= 0);
        ino = inode_of(d.agent);
        ASSERT_OK(daemon_stop(&d, SIGTERM, 5000, &status));
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        ASSERT_EQ(inode_of(d.agent), ino);
        ASSERT_TRUE(daemon_log_contains(&d, "no longer the socket this daemon bound"));
        /* Its own control socket it did remove. */
        ASSERT_EQ(inode_of(d.control), 0);
        close(fd);
}

/* The built-in control socket path, as --help states it. */
static int default_control_path(char *ret, size_t size) {
        char cmd[ITEST_PATH_MAX + 32], line[512];
        FILE *f;
        int r = -ENOENT;

        (void) snprintf(cmd, sizeof(cmd), "%s --help", itest_daemon_binary());
        f = popen(cmd, "r");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                char *p = strstr(line, "Control socket (default ");

                if (!p)
                        continue;
                p += strlen("Control socket (default ");
                p[strcspn(p, ";)")] = 0;
                (void) snprintf(ret, size, "%s", p);
                r = p[0] == '/' ? 0 : -EINVAL;
        }
        (void) pclose(f);
        return r;
}

TEST(listen_alone_leaves_the_system_control_socket_alone) {
        char control_socket[ITEST_PATH_MAX], lock[ITEST_PATH_MAX + 8];
        ino_t control_before, lock_before;
        json_object *s = NULL;
        Daemon d;
        int status;

        if (itest_skip_reason())
                SKIP(itest_skip_reason());
        ASSERT_OK(default_control_path(control_socket, sizeof(control_socket)));
        (void) snprintf(lock, sizeof(lock), "%s.lock", control_socket);
        control_before = inode_of(control_socket);
        lock_before = inode_of(lock);
        printf("# %s: %s before\n", control_socket, control_before ? "present" : "absent");

        ASSERT_OK(prepare(&d, "one-listen-only"));
        d.no_control = true;
        ASSERT_OK(daemon_start(&d, NULL, NULL));
        ASSERT_OK(serves(&d, "c-listen-only"));
        ASSERT_EQ(inode_of(control_socket), control_before);
        ASSERT_EQ(inode_of(lock), lock_before);
        /* No control socket at all, not one beside the agent socket either. */
        ASSERT_EQ(inode_of(d.control), 0);
        ASSERT_TRUE(control_status(d.control, &s) < 0);
        ASSERT_OK(daemon_stop(&d, SIGTERM, 5000, &status));
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        ASSERT_EQ(inode_of(control_socket), control_before);
        ASSERT_EQ(inode_of(lock), lock_before);
}

TESTS_MAIN
