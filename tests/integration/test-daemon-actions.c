/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The real daemon answering real notifications: a target process under a
 * notify filter is handed over the way runc does it, then performs syscalls,
 * and what they return is what the policy says, for every action.
 */
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest-util.h"
#include "tests.h"

static const char policy_itest[] =
        "{\n"
        "  \"version\": 1,\n"
        "  \"name\": \"itest\",\n"
        "  \"defaultAction\": \"continue\",\n"
        "  \"redirectFallback\": { \"action\": \"errno\", \"errno\": \"EXDEV\" },\n"
        "  \"rules\": [\n"
        "    { \"name\": \"no-forbidden\", \"names\": [\"mkdir\", \"mkdirat\"],\n"
        "      \"path\": { \"glob\": \"/tmp/forbidden*\" },\n"
        "      \"action\": \"errno\", \"errno\": \"EACCES\", \"log\": true },\n"
        "    { \"name\": \"read-only\", \"names\": [\"openat\"],\n"
        "      \"path\": { \"prefix\": \"@TMP@/ro/\" }, \"action\": \"errno\", \"errno\": \"EROFS\" },\n"
        "    { \"name\": \"kill-me\", \"names\": [\"mkdir\", \"mkdirat\"],\n"
        "      \"path\": { \"exact\": \"@TMP@/kill-me\" }, \"action\": \"kill\" },\n"
        "    { \"name\": \"redirect-me\", \"names\": [\"openat\"],\n"
        "      \"path\": { \"exact\": \"@TMP@/redirect-me\" }, \"action\": \"redirect\", \"to\": "
        "\"/tmp/elsewhere\" },\n"
        "    { \"name\": \"no-packet-sockets\", \"names\": [\"socket\"],\n"
        "      \"args\": [ { \"index\": 0, \"op\": \"SCMP_CMP_EQ\", \"value\": 17 } ],\n"
        "      \"action\": \"errno\", \"errno\": \"EAFNOSUPPORT\" },\n"
        "    { \"name\": \"relative\", \"names\": [\"openat\"],\n"
        "      \"path\": { \"exact\": \"@TMP@/cwd/target\" }, \"action\": \"errno\", \"errno\": \"ENOTDIR\" "
        "},\n"
        "    { \"name\": \"pathless\", \"names\": [\"openat\"],\n"
        "      \"args\": [ { \"index\": 3, \"op\": \"SCMP_CMP_EQ\", \"value\": 1234 } ],\n"
        "      \"action\": \"errno\", \"errno\": \"ENOKEY\" }\n"
        "  ]\n"
        "}\n";

static const char policy_strict[] =
        "{\n"
        "  \"version\": 1,\n"
        "  \"name\": \"strict\",\n"
        "  \"defaultAction\": \"errno\",\n"
        "  \"defaultErrno\": \"EDOM\",\n"
        "  \"rules\": [\n"
        "    { \"name\": \"dev-null\", \"names\": [\"openat\"],\n"
        "      \"path\": { \"exact\": \"/dev/null\" }, \"action\": \"continue\" }\n"
        "  ]\n"
        "}\n";

static const char *const notified[] = {"openat", "mkdir", "mkdirat", "socket", NULL};

static Daemon daemon_;
static bool started;

static int setup(void) {
        char dir[ITEST_PATH_MAX], path[ITEST_PATH_MAX + 16];
        int r;

        if (started)
                return daemon_.pid > 0 ? 0 : -ESRCH;
        started = true;

        r = itest_tmpdir("actions", dir, sizeof(dir));
        if (r < 0)
                return r;
        r = daemon_prepare(&daemon_, dir);
        if (r < 0)
                return r;
        if ((r = daemon_add_policy(&daemon_, "itest.json", policy_itest)) < 0 ||
            (r = daemon_add_policy(&daemon_, "strict.json", policy_strict)) < 0)
                return r;
        (void) snprintf(path, sizeof(path), "%s/ro", dir);
        (void) mkdir(path, 0755);
        (void) snprintf(path, sizeof(path), "%s/ro/file", dir);
        (void) itest_write_file(path, "read me\n");
        (void) snprintf(path, sizeof(path), "%s/cwd", dir);
        (void) mkdir(path, 0755);
        /* The annotation case below needs the annotation allowed to choose
         * (not the default); test-daemon-sockets checks every combination. */
        return daemon_start(&daemon_, (const char *const[]){"--policy-from", "metadata,annotation", NULL}, NULL);
}

#define SETUP() \
        do { \
                if (itest_skip_reason()) \
                        SKIP(itest_skip_reason()); \
                ASSERT_OK(setup()); \
        } while (0)

static void tmp_path(char *buf, size_t size, const char *name) {
        (void) snprintf(buf, size, "%.400s/%s", daemon_.dir, name);
}

TEST(continue_and_default_action) {
        char path[ITEST_PATH_MAX];
        struct stat st;
        Target t;

        SETUP();
        ASSERT_OK(target_start(&t, notified));
        ASSERT_OK(target_handoff(&t, daemon_.agent, "c-continue", "policy=itest"));

        /* No rule matches: defaultAction continue lets the kernel do it. */
        ASSERT_TRUE(target_openat(&t, "/dev/null", O_RDONLY) >= 0);
        tmp_path(path, sizeof(path), "made-by-target");
        ASSERT_EQ(target_mkdir(&t, path), 0);
        ASSERT_EQ(stat(path, &st), 0);
        ASSERT_TRUE(S_ISDIR(st.st_mode));
        /* The kernel's own error comes through untouched. */
        ASSERT_EQ(target_mkdir(&t, path), -EEXIST);
        ASSERT_EQ(target_openat(&t, "/nonexistent/itest", O_RDONLY), -ENOENT);
        ASSERT_TRUE(WIFEXITED(target_stop(&t)));
}

TEST(errno_actions) {
        char path[ITEST_PATH_MAX], forbidden[64];
        TargetCmd cmd = {.op = TARGET_MKDIRAT};
        struct stat st;
        Target t;

        SETUP();
        ASSERT_OK(target_start(&t, notified));
        ASSERT_OK(target_handoff(&t, daemon_.agent, "c-errno", "policy=itest"));

        (void) snprintf(forbidden, sizeof(forbidden), "/tmp/forbidden-itest-%d", (int) getpid());
        ASSERT_EQ(target_mkdir(&t, forbidden), -EACCES);
        (void) snprintf(cmd.path, sizeof(cmd.path), "%s", forbidden);
        ASSERT_EQ(target_call(&t, &cmd, 5000), -EACCES);
        ASSERT_TRUE(stat(forbidden, &st) < 0);

        tmp_path(path, sizeof(path), "ro/file");
        ASSERT_EQ(target_openat(&t, path, O_RDONLY), -EROFS);
        /* Matching sees the normalized path, not the spelling. */
        tmp_path(path, sizeof(path), "cwd/..//ro/./file");
        ASSERT_EQ(target_openat(&t, path, O_RDONLY), -EROFS);
        /* A relative path is resolved against the target's cwd. */
        tmp_path(cmd.path, sizeof(cmd.path), "cwd");
        cmd.op = TARGET_CHDIR;
        ASSERT_EQ(target_call(&t, &cmd, 5000), 0);
        ASSERT_EQ(target_openat(&t, "target", O_RDONLY), -ENOTDIR);
        ASSERT_EQ(target_openat(&t, "../cwd/./target", O_RDONLY), -ENOTDIR);
        ASSERT_TRUE(WIFEXITED(target_stop(&t)));

        /* "log": true: every hit of no-forbidden is in the log. */
        ASSERT_OK(daemon_wait_log(&daemon_, forbidden, 2000));
}

TEST(args_conditions) {
        TargetCmd cmd = {.op = TARGET_SOCKET, .a = 17 /* AF_PACKET */, .b = SOCK_RAW};
        Target t;

        SETUP();
        ASSERT_OK(target_start(&t, notified));
        ASSERT_OK(target_handoff(&t, daemon_.agent, "c-args", "policy=itest"));
        ASSERT_EQ(target_call(&t, &cmd, 5000), -EAFNOSUPPORT);
        cmd.a = AF_UNIX;
        cmd.b = SOCK_STREAM;
        ASSERT_TRUE(target_call(&t, &cmd, 5000) >= 0);
        /* A rule without a path condition matches on arguments alone. */
        cmd = (TargetCmd){.op = TARGET_OPENAT, .mode = 1234, .flags = O_RDONLY};
        (void) snprintf(cmd.path, sizeof(cmd.path), "/dev/null");
        ASSERT_EQ(target_call(&t, &cmd, 5000), -ENOKEY);
        ASSERT_TRUE(WIFEXITED(target_stop(&t)));
}

TEST(redirect_falls_back_on_this_kernel) {
        char path[ITEST_PATH_MAX];
        json_object *s = NULL;
        const char *support;
        Target t;
        long r;

        SETUP();
        ASSERT_OK(target_start(&t, notified));
        ASSERT_OK(target_handoff(&t, daemon_.agent, "c-redirect", "policy=itest"));
        tmp_path(path, sizeof(path), "redirect-me");
        r = target_openat(&t, path, O_RDONLY);

        ASSERT_OK(control_status(daemon_.control, &s));
        support = status_str(status_container(s, "c-redirect"), "redirect");
        ASSERT_NOT_NULL(support);
        printf("# redirect support reported: %s\n", support);
        /* Our filter has no FLAG_REDIRECT: whatever the kernel, this listener cannot redirect. */
        ASSERT_TRUE(strcmp(support, "unsupported-kernel") == 0 ||
                    strcmp(support, "unsupported-filter") == 0);
        json_object_put(s);
        ASSERT_EQ(r, -EXDEV);
        ASSERT_OK(daemon_wait_log(&daemon_, "redirectFallback", 2000));
        ASSERT_TRUE(WIFEXITED(target_stop(&t)));
}

TEST(kill_action) {
        char path[ITEST_PATH_MAX];
        int status;
        Target t;

        SETUP();
        ASSERT_OK(target_start(&t, notified));
        ASSERT_OK(target_handoff(&t, daemon_.agent, "c-kill", "policy=itest"));
        ASSERT_TRUE(target_openat(&t, "/dev/null", O_RDONLY) >= 0);
        tmp_path(path, sizeof(path), "kill-me");
        ASSERT_EQ(target_mkdir(&t, path), -EPIPE);
        status = target_kill(&t);
        ASSERT_TRUE(WIFSIGNALED(status));
        ASSERT_EQ(WTERMSIG(status), SIGKILL);
        ASSERT_TRUE(access(path, F_OK) < 0);
        ASSERT_OK(status_wait_container(daemon_.control, "c-kill", false, 3000));
}

TEST(default_errno_policy_and_annotation) {
        char json[1024];
        int n;
        Target t;

        SETUP();
        ASSERT_OK(target_start(&t, notified));
        /* No metadata: the policy comes from the annotation. */
        n = snprintf(json, sizeof(json),
                     "{\"ociVersion\":\"1.0.2-dev\",\"fds\":[\"seccompFd\"],\"pid\":%d,"
                     "\"state\":{\"ociVersion\":\"1.0.2-dev\",\"id\":\"c-strict\",\"status\":\"creating\","
                     "\"pid\":%d,\"bundle\":\"/run/itest\",\"annotations\":{\"org.example\":\"x\","
                     "\"seccomp-redirect.policy\":\"strict\"}}}",
                     (int) t.pid, (int) t.pid);
        ASSERT_TRUE(n > 0 && (size_t) n < sizeof(json));
        ASSERT_OK(handoff_send(daemon_.agent, json, (size_t) n, &t.listener, 1, false, NULL));
        close(t.listener);
        t.listener = -1;

        ASSERT_TRUE(target_openat(&t, "/dev/null", O_RDONLY) >= 0);
        ASSERT_EQ(target_openat(&t, "/etc/hostname", O_RDONLY), -EDOM);
        ASSERT_EQ(target_mkdir(&t, "/tmp/anything"), -EDOM);
        ASSERT_TRUE(WIFEXITED(target_stop(&t)));
}

TEST(metadata_with_several_pairs) {
        char path[ITEST_PATH_MAX];
        Target t;

        SETUP();
        ASSERT_OK(target_start(&t, notified));
        ASSERT_OK(target_handoff(&t, daemon_.agent, "c-pairs", "tier=gold,policy=itest"));
        tmp_path(path, sizeof(path), "ro/file");
        ASSERT_EQ(target_openat(&t, path, O_RDONLY), -EROFS);
        ASSERT_TRUE(WIFEXITED(target_stop(&t)));
}

TEST(no_policy_is_refused_and_fails_closed) {
        size_t off;
        Target t;

        SETUP();
        off = daemon_log_size(&daemon_);
        ASSERT_OK(target_start(&t, notified));
        ASSERT_OK(target_handoff(&t, daemon_.agent, "c-nopolicy", NULL));
        /* Refused: the daemon closes the fd and the kernel fails notified syscalls. */
        ASSERT_EQ(target_openat(&t, "/dev/null", O_RDONLY), -ENOSYS);
        ASSERT_OK(daemon_wait_log_after(&daemon_, off, "no policy", 2000));
        ASSERT_TRUE(WIFEXITED(target_stop(&t)));

        off = daemon_log_size(&daemon_);
        ASSERT_OK(target_start(&t, notified));
        ASSERT_OK(target_handoff(&t, daemon_.agent, "c-unknown", "policy=does-not-exist"));
        ASSERT_EQ(target_openat(&t, "/dev/null", O_RDONLY), -ENOSYS);
        ASSERT_OK(daemon_wait_log_after(&daemon_, off, "does-not-exist", 2000));
        ASSERT_TRUE(WIFEXITED(target_stop(&t)));
}

TEST(handoff_connection_left_open_like_runc) {
        char json[1024], path[ITEST_PATH_MAX];
        uint64_t t0, elapsed;
        int conn = -1;
        Target t;
        long r;

        SETUP();
        /* runc 1.1 sends the state and the fd but keeps the connection open
         * until it exits, which is after the container exits: the daemon must
         * act on the complete JSON document, not wait for EOF. */
        ASSERT_OK(target_start(&t, notified));
        ASSERT_TRUE(handoff_json(json, sizeof(json), t.pid, "c-open", "policy=itest") > 0);
        ASSERT_OK(handoff_send(daemon_.agent, json, strlen(json), &t.listener, 1, true, &conn));
        close(t.listener);
        t.listener = -1;

        tmp_path(path, sizeof(path), "ro/file");
        t0 = itest_now_usec();
        r = target_openat(&t, path, O_RDONLY);
        elapsed = itest_now_usec() - t0;
        close(conn);
        ASSERT_EQ(r, -EROFS);
        /* Every runc container and exec waits this long for its first notified syscall. */
        printf("# first answer with the connection left open: %.1f ms\n", (double) elapsed / 1000.0);
        ASSERT_TRUE(elapsed < 1000000u);
        ASSERT_TRUE(WIFEXITED(target_stop(&t)));
}

TEST(handoff_in_two_slow_chunks) {
        char json[1024], path[ITEST_PATH_MAX];
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = {.iov_base = json};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = &control,
                            .msg_controllen = sizeof(control)};
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        size_t len, half;
        ssize_t sent;
        Target t;
        int fd;

        SETUP();
        /* The spec: the payload may come in several sendmsg() calls, fds in the
         * first, and is complete at EOF. A runtime starved of CPU between two
         * of them must not be cut off early. */
        ASSERT_OK(target_start(&t, notified));
        ASSERT_TRUE(handoff_json(json, sizeof(json), t.pid, "c-slow", "policy=itest") > 0);
        len = strlen(json);
        half = len / 2;
        fd = itest_unix_connect(daemon_.agent, SOCK_STREAM);
        ASSERT_TRUE(fd >= 0);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &t.listener, sizeof(int));
        iov.iov_len = half;
        ASSERT_EQ(sendmsg(fd, &mh, MSG_NOSIGNAL), (ssize_t) half);
        close(t.listener);
        t.listener = -1;
        (void) usleep(600000);
        /* EPIPE here means the daemon already gave up on the connection. */
        sent = send(fd, json + half, len - half, MSG_NOSIGNAL);
        if (sent < 0)
                printf("# second chunk: %s\n", strerror(errno));
        close(fd);

        tmp_path(path, sizeof(path), "ro/file");
        ASSERT_EQ(target_openat(&t, path, O_RDONLY), -EROFS);
        ASSERT_TRUE(WIFEXITED(target_stop(&t)));
}

TEST(status_counts_and_frees_on_exit) {
        char forbidden[64];
        json_object *s = NULL, *c;
        long long hits_before, hits_after, defaults_before;
        Target t;

        SETUP();
        ASSERT_OK(control_status(daemon_.control, &s));
        hits_before = status_rule_hits(s, "itest", "no-forbidden");
        defaults_before = status_rule_hits(s, "itest", NULL);
        ASSERT_TRUE(hits_before >= 0);
        ASSERT_TRUE(defaults_before >= 0);
        json_object_put(s);

        ASSERT_OK(target_start(&t, notified));
        ASSERT_OK(target_handoff(&t, daemon_.agent, "c-status", "policy=itest"));
        (void) snprintf(forbidden, sizeof(forbidden), "/tmp/forbidden-status-%d", (int) getpid());
        ASSERT_EQ(target_mkdir(&t, forbidden), -EACCES);
        ASSERT_EQ(target_mkdir(&t, forbidden), -EACCES);
        ASSERT_TRUE(target_openat(&t, "/dev/null", O_RDONLY) >= 0);

        ASSERT_OK(control_status(daemon_.control, &s));
        c = status_container(s, "c-status");
        ASSERT_NOT_NULL(c);
        ASSERT_EQ(status_int(c, "pid"), t.pid);
        ASSERT_STREQ(status_str(c, "policy"), "itest");
        ASSERT_EQ(status_int(c, "notifications"), 3);
        hits_after = status_rule_hits(s, "itest", "no-forbidden");
        ASSERT_EQ(hits_after - hits_before, 2);
        ASSERT_EQ(status_rule_hits(s, "itest", NULL) - defaults_before, 1);
        ASSERT_STREQ(status_str(s, "version"), "0.1");
        json_object_put(s);

        /* The target exits: its listener hangs up and the object goes. */
        ASSERT_TRUE(WIFEXITED(target_stop(&t)));
        ASSERT_OK(status_wait_container(daemon_.control, "c-status", false, 3000));
}

TEST(status_shows_the_path_as_written_and_as_judged) {
        char link[ITEST_PATH_MAX], target[ITEST_PATH_MAX], via[ITEST_PATH_MAX];
        json_object *s = NULL, *c, *last;
        Target t;

        SETUP();
        tmp_path(link, sizeof(link), "ro-link");
        tmp_path(target, sizeof(target), "ro/file");
        (void) unlink(link);
        ASSERT_OK(symlink("ro", link));
        ASSERT_OK(target_start(&t, notified));
        ASSERT_OK(target_handoff(&t, daemon_.agent, "c-names", "policy=itest"));
        /* Another name for the read-only file: the rule judges the file. */
        tmp_path(via, sizeof(via), "ro-link/file");
        ASSERT_EQ(target_openat(&t, via, O_RDONLY), -EROFS);

        /* The worker notes the call after it answered: wait for it. */
        for (int i = 0; i < 300; i++) {
                ASSERT_OK(control_status(daemon_.control, &s));
                c = status_container(s, "c-names");
                ASSERT_NOT_NULL(c);
                if (json_object_object_get_ex(c, "lastDecision", &last) && last)
                        break;
                json_object_put(s);
                s = NULL;
                (void) usleep(10000);
        }
        ASSERT_NOT_NULL(s);
        /* This listener's filter has no FLAG_REDIRECT: nothing can pin a continue. */
        ASSERT_STREQ(status_str(c, "pathRules"), "advisory");
        ASSERT_STREQ(status_str(last, "syscall"), "openat");
        ASSERT_STREQ(status_str(last, "written"), via);
        ASSERT_STREQ(status_str(last, "resolved"), target);
        ASSERT_STREQ(status_str(last, "rule"), "read-only");
        ASSERT_STREQ(status_str(last, "answer"), "errno EROFS");
        json_object_put(s);
        ASSERT_TRUE(WIFEXITED(target_stop(&t)));
}

TEST(ctl_status_talks_to_the_daemon) {
        char cmd[ITEST_PATH_MAX * 2 + 64];
        Target t;
        int status;

        SETUP();
        if (!itest_ctl_binary())
                SKIP("SRD_CTL not set");
        ASSERT_OK(target_start(&t, notified));
        ASSERT_OK(target_handoff(&t, daemon_.agent, "c-ctl", "policy=itest"));
        ASSERT_TRUE(target_openat(&t, "/dev/null", O_RDONLY) >= 0);
        (void) snprintf(cmd, sizeof(cmd), "%s status --control %s | grep -q c-ctl", itest_ctl_binary(),
                        daemon_.control);
        status = system(cmd);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        (void) snprintf(cmd, sizeof(cmd), "%s status --control %s --json | grep -q '\"c-ctl\"'",
                        itest_ctl_binary(), daemon_.control);
        status = system(cmd);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        ASSERT_TRUE(WIFEXITED(target_stop(&t)));
}

TEST(logged_hits_are_rate_limited_per_container) {
        char forbidden[64], *text = NULL;
        unsigned lines = 0;
        Target t;

        SETUP();
        ASSERT_OK(target_start(&t, notified));
        ASSERT_OK(target_handoff(&t, daemon_.agent, "c-ratelimit", "policy=itest"));
        (void) snprintf(forbidden, sizeof(forbidden), "/tmp/forbidden-rl-%d", (int) getpid());
        /* Every hit is answered, but a looping workload cannot flood the log. */
        for (int i = 0; i < 200; i++)
                ASSERT_EQ(target_mkdir(&t, forbidden), -EACCES);
        ASSERT_TRUE(WIFEXITED(target_stop(&t)));
        ASSERT_OK(status_wait_container(daemon_.control, "c-ratelimit", false, 3000));

        ASSERT_OK(itest_read_file(daemon_.log, &text));
        for (char *p = strtok(text, "\n"); p; p = strtok(NULL, "\n"))
                if (strstr(p, "c-ratelimit") && strstr(p, forbidden))
                        lines++;
        free(text);
        printf("# 200 logged hits -> %u log lines\n", lines);
        ASSERT_TRUE(lines >= 1);
        ASSERT_TRUE(lines <= 50);
}

static size_t count_id(json_object *s, const char *id) {
        json_object *arr;
        size_t n = 0;

        if (!json_object_object_get_ex(s, "containers", &arr))
                return 0;
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                const char *cid = status_str(json_object_array_get_idx(arr, i), "id");
                n += cid && strcmp(cid, id) == 0;
        }
        return n;
}

TEST(one_object_per_container_process) {
        char path[ITEST_PATH_MAX];
        json_object *s = NULL;
        Target init, exec;
        size_t n = 0;

        SETUP();
        /* The init process and an `exec` of the same container: two handoffs, two objects. */
        ASSERT_OK(target_start(&init, notified));
        ASSERT_OK(target_handoff(&init, daemon_.agent, "c-same", "policy=itest"));
        ASSERT_OK(target_start(&exec, notified));
        ASSERT_OK(target_handoff(&exec, daemon_.agent, "c-same", "policy=itest"));
        tmp_path(path, sizeof(path), "ro/file");
        ASSERT_EQ(target_openat(&init, path, O_RDONLY), -EROFS);
        ASSERT_EQ(target_openat(&exec, path, O_RDONLY), -EROFS);
        ASSERT_OK(control_status(daemon_.control, &s));
        ASSERT_EQ(count_id(s, "c-same"), 2);
        json_object_put(s);

        /* The exec'd process ends: only its object goes. */
        ASSERT_TRUE(WIFEXITED(target_stop(&exec)));
        for (int i = 0; i < 200; i++) {
                ASSERT_OK(control_status(daemon_.control, &s));
                n = count_id(s, "c-same");
                json_object_put(s);
                if (n == 1)
                        break;
                (void) usleep(10000);
        }
        ASSERT_EQ(n, 1);
        ASSERT_EQ(target_openat(&init, path, O_RDONLY), -EROFS);
        ASSERT_TRUE(WIFEXITED(target_stop(&init)));
        ASSERT_OK(status_wait_container(daemon_.control, "c-same", false, 3000));
}

TEST(allow_uid_admits_that_peer) {
        static const char *const extra[] = {"--allow-uid", "65534", NULL};
        char dir[ITEST_PATH_MAX], forbidden[64];
        static Daemon d2;
        Target t;
        pid_t pid;
        int status;

        SETUP();
        ASSERT_OK(itest_tmpdir("allow-uid", dir, sizeof(dir)));
        ASSERT_OK(daemon_prepare(&d2, dir));
        ASSERT_OK(daemon_add_policy(&d2, "itest.json", policy_itest));
        ASSERT_OK(daemon_start(&d2, extra, NULL));
        ASSERT_EQ(chmod(d2.agent, 0666), 0);
        ASSERT_EQ(chmod(d2.control, 0666), 0);

        ASSERT_OK(target_start(&t, notified));
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                char json[1024];
                json_object *s = NULL;

                if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
                        _exit(10);
                if (handoff_json(json, sizeof(json), t.pid, "c-nobody", "policy=itest") < 0 ||
                    handoff_send(d2.agent, json, strlen(json), &t.listener, 1, false, NULL) < 0)
                        _exit(11);
                /* The same uid may read status too. */
                if (status_wait_container(d2.control, "c-nobody", true, 3000) < 0 ||
                    control_status(d2.control, &s) < 0)
                        _exit(12);
                _exit(0);
        }
        close(t.listener);
        t.listener = -1;
        ASSERT_OK(itest_wait_pid(pid, 10000, &status));
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 0);
        (void) snprintf(forbidden, sizeof(forbidden), "/tmp/forbidden-allow-%d", (int) getpid());
        ASSERT_EQ(target_mkdir(&t, forbidden), -EACCES);
        ASSERT_TRUE(WIFEXITED(target_stop(&t)));
        /* SIGINT stops it like SIGTERM. */
        ASSERT_OK(daemon_stop(&d2, SIGINT, 5000, &status));
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(agent_socket_is_0600) {
        struct stat st;

        SETUP();
        ASSERT_EQ(stat(daemon_.agent, &st), 0);
        ASSERT_TRUE(S_ISSOCK(st.st_mode));
        ASSERT_EQ(st.st_mode & 07777, 0600);
}

TEST(sigterm_exits_zero_and_removes_sockets) {
        int status;

        SETUP();
        ASSERT_OK(daemon_stop(&daemon_, SIGTERM, 5000, &status));
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 0);
        ASSERT_TRUE(access(daemon_.agent, F_OK) < 0);
        ASSERT_TRUE(access(daemon_.control, F_OK) < 0);
}

TESTS_MAIN
