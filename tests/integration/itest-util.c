/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "itest-util.h"

/* Cleanup state: process-wide by nature (atexit has no context pointer). */
#define TRACK_MAX 4096
static pid_t tracked_pids[TRACK_MAX];
static size_t n_tracked_pids;
static char *tracked_dirs[64];
static size_t n_tracked_dirs;
static char *tracked_logs[64];
static size_t n_tracked_logs;
static bool cleanup_registered;

static int negative_errno_(void) {
        return errno > 0 ? -errno : -EIO;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) remove(path);
        return 0;
}

/* On failure the tail of each daemon log is the first thing anyone wants to see. */
static void dump_log(const char *path) {
        char *text = NULL, *p, *lines[40] = {};
        size_t n = 0;

        if (itest_read_file(path, &text) < 0)
                return;
        for (p = strtok(text, "\n"); p; p = strtok(NULL, "\n"))
                lines[n++ % 40] = p;
        printf("# --- last lines of %s ---\n", path);
        for (size_t i = n > 40 ? n - 40 : 0; i < n; i++)
                printf("#   %s\n", lines[i % 40]);
        free(text);
}

/*
 * Daemons started under $SRD_DAEMON_WRAPPER (valgrind, via
 * tools/valgrind-daemon): each is judged by "WRAPPER --verdict PID" once
 * reaped. A failure fails the case that stopped it (tests_after_case_), or
 * the whole test when it was still running at exit.
 */
static pid_t judged_pids[256];
static bool judged_done[256];
static size_t n_judged_pids;
static unsigned n_verdict_failed, n_verdict_failed_case, n_verdict_unchecked, n_verdict_clean;

static void judge_pid(pid_t pid) {
        const char *wrapper = itest_daemon_wrapper();
        char arg[32], line[1024];
        int pipefd[2], status = 0;
        FILE *f;
        pid_t child;
        size_t i;

        for (i = 0; i < n_judged_pids; i++)
                if (judged_pids[i] == pid && !judged_done[i])
                        break;
        if (!wrapper || i == n_judged_pids)
                return;
        judged_done[i] = true;

        (void) snprintf(arg, sizeof(arg), "%d", (int) pid);
        fflush(stdout);
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                goto fail;
        child = fork();
        if (child < 0) {
                close(pipefd[0]);
                close(pipefd[1]);
                goto fail;
        }
        if (child == 0) {
                if (dup2(pipefd[1], STDOUT_FILENO) < 0)
                        _exit(126);
                execl(wrapper, wrapper, "--verdict", arg, (char *) NULL);
                _exit(127);
        }
        close(pipefd[1]);
        f = fdopen(pipefd[0], "r");
        while (f && fgets(line, sizeof(line), f))
                printf("# valgrind: %s%s", line, strchr(line, '\n') ? "" : "\n");
        if (f)
                fclose(f);
        else
                close(pipefd[0]);
        if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
                goto fail;
        switch (WEXITSTATUS(status)) {
        case 0:
                n_verdict_clean++;
                return;
        case 3:
                /* SIGKILLed (by the test on purpose, or after not stopping in
                 * time): valgrind never got to its exit checks. Counted. */
                n_verdict_unchecked++;
                return;
        }
fail:
        printf("# valgrind: daemon pid %d FAILED its verdict\n", (int) pid);
        n_verdict_failed++;
        n_verdict_failed_case++;
}

/* tests/tests.h calls it (weakly) after each case. */
int tests_after_case_(void);
int tests_after_case_(void) {
        int r = n_verdict_failed_case > 0 ? -EIO : 0;

        n_verdict_failed_case = 0;
        return r;
}

static bool is_judged_daemon(pid_t pid) {
        for (size_t i = 0; i < n_judged_pids; i++)
                if (judged_pids[i] == pid && !judged_done[i])
                        return true;
        return false;
}

void itest_track_daemon_pid(pid_t pid) {
        itest_track_pid(pid);
        if (itest_daemon_wrapper() && n_judged_pids < sizeof(judged_pids) / sizeof(judged_pids[0]))
                judged_pids[n_judged_pids++] = pid;
}

static void cleanup_all(void) {
        /* Under the wrapper a daemon still running gets SIGTERM first: a
         * clean exit is when valgrind checks for leaks and open fds. */
        if (itest_daemon_wrapper()) {
                uint64_t end = itest_now_usec() + 30u * 1000u * 1000u;

                for (size_t i = 0; i < n_tracked_pids; i++)
                        if (tracked_pids[i] > 0 && is_judged_daemon(tracked_pids[i]))
                                (void) kill(tracked_pids[i], SIGTERM);
                for (size_t i = 0; i < n_tracked_pids; i++)
                        if (tracked_pids[i] > 0 && is_judged_daemon(tracked_pids[i])) {
                                pid_t pid = tracked_pids[i];
                                uint64_t now = itest_now_usec();

                                int r = itest_wait_pid(pid, now < end ? (unsigned) ((end - now) / 1000u) : 0, NULL);

                                if (r == -ECHILD) /* reaped by the test itself: its log still tells */
                                        judge_pid(pid);
                                if (r == -ETIMEDOUT) { /* itest_wait_pid judges what it reaps */
                                        /* Not stopping on SIGTERM is a failure of its own. */
                                        printf("# valgrind: daemon pid %d did not exit within 30 s of SIGTERM\n",
                                               (int) pid);
                                        n_verdict_failed++;
                                        n_verdict_failed_case++;
                                        (void) kill(pid, SIGKILL);
                                        (void) itest_wait_pid(pid, 5000, NULL);
                                }
                        }
        }
        for (size_t i = 0; i < n_tracked_pids; i++)
                if (tracked_pids[i] > 0)
                        (void) kill(tracked_pids[i], SIGKILL);
        for (size_t i = 0; i < n_tracked_pids; i++)
                if (tracked_pids[i] > 0)
                        (void) waitpid(tracked_pids[i], NULL, 0);
        if (getenv("SRD_ITEST_LOGS"))
                for (size_t i = 0; i < n_tracked_logs; i++)
                        dump_log(tracked_logs[i]);
        for (size_t i = 0; i < n_tracked_dirs; i++)
                if (!getenv("SRD_ITEST_KEEP"))
                        (void) nftw(tracked_dirs[i], rm_one, 16, FTW_DEPTH | FTW_PHYS);
        if (itest_daemon_wrapper()) {
                printf("# valgrind: %u daemon runs clean, %u failed, %u unchecked (SIGKILLed)\n",
                       n_verdict_clean, n_verdict_failed, n_verdict_unchecked);
                if (n_verdict_failed_case > 0) {
                        /* Failed after the last case: no case left to fail. */
                        printf("Bail out! valgrind reported errors in a daemon stopped at exit\n");
                        fflush(stdout);
                        _exit(1);
                }
        }
}

static void register_cleanup(void) {
        if (!cleanup_registered) {
                atexit(cleanup_all);
                cleanup_registered = true;
        }
}

void itest_track_pid(pid_t pid) {
        register_cleanup();
        for (size_t i = 0; i < n_tracked_pids; i++)
                if (tracked_pids[i] == 0) {
                        tracked_pids[i] = pid;
                        return;
                }
        if (n_tracked_pids < TRACK_MAX)
                tracked_pids[n_tracked_pids++] = pid;
}

void itest_forget_pid(pid_t pid) {
        for (size_t i = 0; i < n_tracked_pids; i++)
                if (tracked_pids[i] == pid)
                        tracked_pids[i] = 0;
}

const char *itest_daemon_binary(void) {
        return getenv("SRD_DAEMON");
}

const char *itest_ctl_binary(void) {
        return getenv("SRD_CTL");
}

const char *itest_daemon_wrapper(void) {
        const char *w = getenv("SRD_DAEMON_WRAPPER");

        return w && *w ? w : NULL;
}

unsigned itest_timeout_ms(unsigned ms) {
        const char *m = getenv("SRD_TIMEOUT_MULTIPLIER");
        unsigned long k = m ? strtoul(m, NULL, 10) : 1;

        if (k < 1)
                k = 1;
        if (k > 100)
                k = 100;
        return ms > UINT32_MAX / k ? UINT32_MAX : (unsigned) (ms * k);
}

const char *itest_skip_reason(void) {
        if (geteuid() != 0)
                return "needs root (agent socket credentials, seccomp listeners of other processes)";
        if (!itest_daemon_binary() || access(itest_daemon_binary(), X_OK) < 0)
                return "SRD_DAEMON does not name the seccomp-redirectd binary";
        return NULL;
}

uint64_t itest_now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

int itest_raise_nofile(unsigned long n) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return negative_errno_();
        if (rl.rlim_cur >= n)
                return 0;
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < n)
                rl.rlim_max = n; /* root may raise the hard limit too */
        rl.rlim_cur = n;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                return negative_errno_();
        return 0;
}

int itest_tmpdir(const char *tag, char *ret, size_t size) {
        const char *base = getenv("TMPDIR") ?: "/tmp";
        int n;

        n = snprintf(ret, size, "%s/srd-%s-XXXXXX", base, tag);
        if (n < 0 || (size_t) n >= size)
                return -ENAMETOOLONG;
        if (!mkdtemp(ret))
                return negative_errno_();
        /* Non-root peers (the uid test) must reach sockets inside. */
        (void) chmod(ret, 0755);
        register_cleanup();
        if (n_tracked_dirs < sizeof(tracked_dirs) / sizeof(tracked_dirs[0]))
                tracked_dirs[n_tracked_dirs++] = strdup(ret);
        return 0;
}

int itest_write_file(const char *path, const char *content) {
        size_t len = strlen(content), done = 0;
        int fd;

        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return negative_errno_();
        while (done < len) {
                ssize_t k = write(fd, content + done, len - done);
                if (k < 0) {
                        int r = negative_errno_();
                        close(fd);
                        return r;
                }
                done += (size_t) k;
        }
        close(fd);
        return 0;
}

/* Read fd to EOF into a NUL-terminated buffer; closes fd. timeout_ms < 0:
 * plain blocking reads, else each read waits at most that long. */
static int read_fd_all(int fd, int timeout_ms, char **ret) {
        size_t size = 4096, len = 0;
        char *buf = malloc(size);

        for (;;) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                ssize_t k;

                if (!buf) {
                        close(fd);
                        return -ENOMEM;
                }
                if (timeout_ms >= 0 && poll(&p, 1, timeout_ms) <= 0) {
                        free(buf);
                        close(fd);
                        return -ETIMEDOUT;
                }
                k = read(fd, buf + len, size - len - 1);
                if (k < 0) {
                        int r = negative_errno_();
                        free(buf);
                        close(fd);
                        return r;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len + 1 >= size) {
                        char *b = realloc(buf, size * 2);
                        if (!b)
                                free(buf);
                        buf = b;
                        size *= 2;
                }
        }
        close(fd);
        buf[len] = 0;
        *ret = buf;
        return 0;
}

int itest_read_file(const char *path, char **ret) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return negative_errno_();
        return read_fd_all(fd, -1, ret);
}

int itest_wait_pid(pid_t pid, unsigned timeout_ms, int *ret_status) {
        uint64_t end = itest_now_usec() + (uint64_t) timeout_ms * 1000u;
        int status;

        for (;;) {
                pid_t k = waitpid(pid, &status, WNOHANG);

                if (k < 0)
                        return negative_errno_();
                if (k == pid) {
                        itest_forget_pid(pid);
                        judge_pid(pid);
                        if (ret_status)
                                *ret_status = status;
                        return 0;
                }
                if (itest_now_usec() >= end)
                        return -ETIMEDOUT;
                (void) usleep(5000);
        }
}

/* ------------------------------------------------------------------------ */
/* The daemon.                                                               */

/*
 * The daemon's sd_notify() blocks once 10 datagrams wait unread
 * (net.unix.max_dgram_qlen), as it would with a stuck PID 1: a thread keeps
 * the socket drained into a queue, whether or not the test looks.
 */
#define FD_STORE_MAX 256

struct NotifyQueue {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        char **msgs;
        size_t n, next, allocated;
        int fd;
        /* FDSTORE=1, as systemd keeps them: by FDNAME, one per name here. */
        int store_fds[FD_STORE_MAX];
        char *store_names[FD_STORE_MAX];
        size_t n_store;
        /* Daemon.fd_store: keep them; else drop them, as systemd does with
         * FileDescriptorStoreMax=0 (the listeners then go with the daemon). */
        bool keep_fds;
};

static const char *field_of(const char *msg, const char *key, char *buf, size_t size) {
        size_t n = strlen(key);

        for (const char *p = msg; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, key, n) == 0) {
                        (void) snprintf(buf, size, "%.*s", (int) strcspn(p + n, "\n"), p + n);
                        return buf;
                }
        return NULL;
}

/* Under q->lock: what systemd does with the fds of one message. */
static void notify_store(NotifyQueue *q, const char *msg, int *fds, size_t n_fds) {
        char name[256] = "stored", v[8];

        (void) field_of(msg, "FDNAME=", name, sizeof(name));
        if (field_of(msg, "FDSTOREREMOVE=", v, sizeof(v)) && strcmp(v, "1") == 0)
                for (size_t i = 0; i < q->n_store; i++)
                        if (strcmp(q->store_names[i], name) == 0) {
                                close(q->store_fds[i]);
                                free(q->store_names[i]);
                                q->store_fds[i] = q->store_fds[--q->n_store];
                                q->store_names[i] = q->store_names[q->n_store];
                                i--;
                        }
        if (!q->keep_fds || !field_of(msg, "FDSTORE=", v, sizeof(v)) || strcmp(v, "1") != 0) {
                for (size_t i = 0; i < n_fds; i++)
                        close(fds[i]);
                return;
        }
        for (size_t i = 0; i < n_fds; i++) {
                char *copy = strdup(name);

                if (!copy || q->n_store >= FD_STORE_MAX) {
                        free(copy);
                        close(fds[i]);
                        continue;
                }
                q->store_fds[q->n_store] = fds[i];
                q->store_names[q->n_store++] = copy;
        }
}

static void *notify_thread(void *userdata) {
        NotifyQueue *q = userdata;

        for (;;) {
                char buf[4096];
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(16 * sizeof(int))];
                } control;
                struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf) - 1};
                struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                                    .msg_controllen = sizeof(control.buf)};
                int fds[16];
                size_t n_fds = 0;
                ssize_t k = recvmsg(q->fd, &mh, MSG_CMSG_CLOEXEC);
                char *m;

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return NULL;
                }
                buf[k] = 0;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                                size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

                                for (size_t i = 0; i < n && n_fds < 16; i++)
                                        memcpy(&fds[n_fds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                        }
                m = strdup(buf);
                pthread_mutex_lock(&q->lock);
                notify_store(q, buf, fds, n_fds);
                if (q->n == q->allocated) {
                        size_t a = q->allocated ? q->allocated * 2 : 64;
                        char **b = realloc(q->msgs, a * sizeof(char *));
                        if (b) {
                                q->msgs = b;
                                q->allocated = a;
                        }
                }
                if (m && q->n < q->allocated)
                        q->msgs[q->n++] = m;
                else
                        free(m);
                pthread_cond_broadcast(&q->cond);
                pthread_mutex_unlock(&q->lock);
        }
}

static int notify_queue_start(Daemon *d) {
        NotifyQueue *q = calloc(1, sizeof(NotifyQueue));
        pthread_t t;

        if (!q)
                return -ENOMEM;
        pthread_mutex_init(&q->lock, NULL);
        pthread_cond_init(&q->cond, NULL);
        q->fd = d->notify_fd;
        if (pthread_create(&t, NULL, notify_thread, q) != 0) {
                free(q);
                return -EAGAIN;
        }
        (void) pthread_detach(t);
        d->notify = q;
        return 0;
}

static int path_in(char *ret, const char *dir, const char *name) {
        int n = snprintf(ret, ITEST_PATH_MAX, "%s/%s", dir, name);
        return n < 0 || n >= ITEST_PATH_MAX ? -ENAMETOOLONG : 0;
}

int daemon_prepare(Daemon *d, const char *dir) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int r;

        *d = (Daemon){.pid = 0, .notify_fd = -1};
        if (strlen(dir) >= sizeof(d->dir))
                return -ENAMETOOLONG;
        strcpy(d->dir, dir);
        if ((r = path_in(d->agent, dir, "agent.sock")) < 0 ||
            (r = path_in(d->control, dir, "control.sock")) < 0 ||
            (r = path_in(d->policy_dir, dir, "policies.d")) < 0 ||
            (r = path_in(d->log, dir, "daemon.log")) < 0 ||
            (r = path_in(d->notify_path, dir, "notify.sock")) < 0)
                return r;
        if (mkdir(d->policy_dir, 0755) < 0 && errno != EEXIST)
                return negative_errno_();

        if (strlen(d->notify_path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, d->notify_path);
        d->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (d->notify_fd < 0)
                return negative_errno_();
        (void) unlink(d->notify_path);
        if (bind(d->notify_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return negative_errno_();

        if (n_tracked_logs < sizeof(tracked_logs) / sizeof(tracked_logs[0]))
                tracked_logs[n_tracked_logs++] = strdup(d->log);
        return notify_queue_start(d);
}

int daemon_add_policy(const Daemon *d, const char *file, const char *text) {
        char path[ITEST_PATH_MAX * 2];
        char *out, *o;
        const char *p;
        size_t n = 0;
        int r;

        for (p = text; (p = strstr(p, "@TMP@")); p += 5)
                n++;
        out = malloc(strlen(text) + n * strlen(d->dir) + 1);
        if (!out)
                return -ENOMEM;
        for (p = text, o = out; *p;)
                if (strncmp(p, "@TMP@", 5) == 0) {
                        o = stpcpy(o, d->dir);
                        p += 5;
                } else
                        *o++ = *p++;
        *o = 0;

        (void) snprintf(path, sizeof(path), "%s/%s", d->policy_dir, file);
        r = itest_write_file(path, out);
        free(out);
        return r;
}

size_t daemon_fd_store_count(Daemon *d) {
        size_t n;

        pthread_mutex_lock(&d->notify->lock);
        n = d->notify->n_store;
        pthread_mutex_unlock(&d->notify->lock);
        return n;
}

int daemon_read_notify(Daemon *d, unsigned timeout_ms, char *buf, size_t size) {
        NotifyQueue *q = d->notify;
        struct timespec end;
        int r = 0;

        (void) clock_gettime(CLOCK_REALTIME, &end);
        end.tv_sec += timeout_ms / 1000;
        end.tv_nsec += (long) (timeout_ms % 1000) * 1000000L;
        if (end.tv_nsec >= 1000000000L) {
                end.tv_sec++;
                end.tv_nsec -= 1000000000L;
        }

        pthread_mutex_lock(&q->lock);
        while (q->next >= q->n && r == 0)
                r = pthread_cond_timedwait(&q->cond, &q->lock, &end);
        if (q->next < q->n) {
                (void) snprintf(buf, size, "%s", q->msgs[q->next++]);
                r = 0;
        } else
                r = -ETIMEDOUT;
        pthread_mutex_unlock(&q->lock);
        return r;
}

static bool has_line(const char *text, const char *line) {
        size_t n = strlen(line);

        for (const char *p = text; (p = strstr(p, line)); p++)
                if ((p == text || p[-1] == '\n') && (p[n] == 0 || p[n] == '\n'))
                        return true;
        return false;
}

int daemon_wait_notify(Daemon *d, const char *needle, unsigned timeout_ms, char *buf, size_t size) {
        uint64_t end = itest_now_usec() + (uint64_t) itest_timeout_ms(timeout_ms) * 1000u;

        for (;;) {
                uint64_t now = itest_now_usec();
                int r;

                if (now >= end)
                        return -ETIMEDOUT;
                r = daemon_read_notify(d, (unsigned) ((end - now) / 1000u) + 1, buf, size);
                if (r < 0)
                        return r;
                if (has_line(buf, needle))
                        return 0;
        }
}

int daemon_start(Daemon *d, const char *const *extra, int *ret_exit_status) {
        static char names[FD_STORE_MAX * 32];
        int pass[FD_STORE_MAX];
        size_t n_pass;
        char state_dir[ITEST_PATH_MAX + 8];
        const char *argv[64];
        size_t n = 0;
        char buf[1024];
        uint64_t end;
        pid_t pid;

        if (!itest_daemon_binary())
                return -ENOENT;

        if (itest_daemon_wrapper())
                argv[n++] = itest_daemon_wrapper();
        argv[n++] = itest_daemon_binary();
        argv[n++] = "--listen";
        argv[n++] = d->agent;
        if (!d->no_control) {
                argv[n++] = "--control";
                argv[n++] = d->control;
        }
        argv[n++] = "--policy-dir";
        argv[n++] = d->policy_dir;
        argv[n++] = "--log-target";
        argv[n++] = "stderr";
        /* Its own state directory (restarts): never the system's, never another test's.
         * SRD_TEST_STATE_DIR=none turns persistence off, for bench-notify's comparison. */
        argv[n++] = "--state-dir";
        if (getenv("SRD_TEST_STATE_DIR"))
                argv[n++] = getenv("SRD_TEST_STATE_DIR");
        else {
                (void) snprintf(state_dir, sizeof(state_dir), "%s/state", d->dir);
                argv[n++] = state_dir;
        }
        for (size_t i = 0; extra && extra[i] && n < 62; i++)
                argv[n++] = extra[i];
        argv[n] = NULL;

        /* A copy of the store, taken under its lock: the child must not take it. */
        n_pass = 0;
        names[0] = 0;
        pthread_mutex_lock(&d->notify->lock);
        d->notify->keep_fds = d->fd_store;
        pthread_mutex_unlock(&d->notify->lock);
        if (d->fd_store) {
                pthread_mutex_lock(&d->notify->lock);
                for (size_t i = 0; i < d->notify->n_store && n_pass < FD_STORE_MAX; i++) {
                        pass[n_pass++] = d->notify->store_fds[i];
                        if (strlen(names) + strlen(d->notify->store_names[i]) + 2 < sizeof(names)) {
                                if (names[0])
                                        strcat(names, ":");
                                strcat(names, d->notify->store_names[i]);
                        }
                }
                pthread_mutex_unlock(&d->notify->lock);
        }

        pid = fork();
        if (pid < 0)
                return negative_errno_();
        if (pid == 0) {
                int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

                if (fd < 0 || dup2(fd, STDERR_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0)
                        _exit(127);
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                (void) setenv("NOTIFY_SOCKET", d->notify_path, 1);
                (void) unsetenv("LISTEN_FDS");
                (void) unsetenv("LISTEN_PID");
                (void) unsetenv("LISTEN_FDNAMES");
                if (n_pass > 0) {
                        char num[32];
                        int high[FD_STORE_MAX];

                        /* Out of the way first: a stored fd may sit where another one goes. */
                        for (size_t i = 0; i < n_pass; i++)
                                if ((high[i] = fcntl(pass[i], F_DUPFD_CLOEXEC, 1000)) < 0)
                                        _exit(127);
                        for (size_t i = 0; i < n_pass; i++)
                                if (dup2(high[i], 3 + (int) i) < 0)
                                        _exit(127);
                        (void) snprintf(num, sizeof(num), "%zu", n_pass);
                        (void) setenv("LISTEN_FDS", num, 1);
                        (void) setenv("LISTEN_FDNAMES", names, 1);
                        (void) snprintf(num, sizeof(num), "%d", (int) getpid());
                        (void) setenv("LISTEN_PID", num, 1);
                }
                execv(argv[0], (char **) argv);
                _exit(127);
        }
        itest_track_daemon_pid(pid);
        d->pid = pid;

        end = itest_now_usec() + (uint64_t) itest_timeout_ms(10000) * 1000u;
        while (itest_now_usec() < end) {
                int status, r;

                r = daemon_read_notify(d, 50, buf, sizeof(buf));
                if (r == 0 && has_line(buf, "READY=1"))
                        return 0;
                if (waitpid(pid, &status, WNOHANG) == pid) {
                        itest_forget_pid(pid);
                        judge_pid(pid);
                        d->pid = 0;
                        if (ret_exit_status)
                                *ret_exit_status = status;
                        return -ECHILD;
                }
        }
        return -ETIMEDOUT;
}

int daemon_stop(Daemon *d, int sig, unsigned timeout_ms, int *ret_status) {
        int status = 0, r;

        if (d->pid <= 0)
                return -ESRCH;
        (void) kill(d->pid, sig);
        r = itest_wait_pid(d->pid, itest_timeout_ms(timeout_ms), &status);
        if (r == -ETIMEDOUT) {
                (void) kill(d->pid, SIGKILL);
                (void) itest_wait_pid(d->pid, 5000, &status);
        }
        d->pid = 0;
        if (ret_status)
                *ret_status = status;
        return r;
}

size_t daemon_log_size(const Daemon *d) {
        struct stat st;

        return stat(d->log, &st) < 0 ? 0 : (size_t) st.st_size;
}

int daemon_wait_log_after(const Daemon *d, size_t offset, const char *needle, unsigned timeout_ms) {
        uint64_t end = itest_now_usec() + (uint64_t) itest_timeout_ms(timeout_ms) * 1000u;

        for (;;) {
                char *text = NULL;
                bool found = false;

                if (itest_read_file(d->log, &text) >= 0) {
                        found = strlen(text) >= offset && strcasestr(text + offset, needle);
                        free(text);
                }
                if (found)
                        return 0;
                if (itest_now_usec() >= end)
                        return -ETIMEDOUT;
                (void) usleep(10000);
        }
}

int daemon_wait_log(const Daemon *d, const char *needle, unsigned timeout_ms) {
        return daemon_wait_log_after(d, 0, needle, timeout_ms);
}

bool daemon_log_contains(const Daemon *d, const char *needle) {
        return daemon_wait_log_after(d, 0, needle, 0) == 0;
}

int daemon_count_fds(const Daemon *d) {
        char path[64];
        struct dirent *de;
        DIR *dir;
        int n = 0;

        (void) snprintf(path, sizeof(path), "/proc/%d/fd", (int) d->pid);
        dir = opendir(path);
        if (!dir)
                return negative_errno_();
        while ((de = readdir(dir)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(dir);
        return n;
}

long daemon_rss_kib(const Daemon *d) {
        char path[64], *text = NULL, *p;
        long kib = -1;

        (void) snprintf(path, sizeof(path), "/proc/%d/status", (int) d->pid);
        if (itest_read_file(path, &text) < 0)
                return -1;
        p = strstr(text, "\nVmRSS:");
        if (p)
                kib = strtol(p + 7, NULL, 10);
        free(text);
        return kib;
}

/* ------------------------------------------------------------------------ */
/* Control socket.                                                           */

int itest_unix_connect(const char *path, int type) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno_();
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int r = negative_errno_();
                close(fd);
                return r;
        }
        return fd;
}

int control_status(const char *control_path, json_object **ret) {
        char *buf;
        json_object *o;
        int fd, r;

        fd = itest_unix_connect(control_path, SOCK_STREAM);
        if (fd < 0)
                return fd;
        if (write(fd, "status\n", 7) != 7) {
                close(fd);
                return -EIO;
        }
        r = read_fd_all(fd, 5000, &buf);
        if (r < 0)
                return r;
        o = json_tokener_parse(buf);
        if (!o) {
                printf("# status: not JSON: %.200s\n", buf);
                free(buf);
                return -EBADMSG;
        }
        free(buf);
        *ret = o;
        return 0;
}

const char *status_str(json_object *o, const char *key) {
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

long long status_int(json_object *o, const char *key) {
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v))
                return -1;
        if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_boolean))
                return -1;
        return (long long) json_object_get_int64(v);
}

json_object *status_container(json_object *status, const char *id) {
        json_object *arr;

        if (!json_object_object_get_ex(status, "containers", &arr) ||
            !json_object_is_type(arr, json_type_array))
                return NULL;
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                json_object *c = json_object_array_get_idx(arr, i);
                const char *cid = status_str(c, "id");

                if (cid && strcmp(cid, id) == 0)
                        return c;
        }
        return NULL;
}

size_t status_n_containers(json_object *status) {
        json_object *arr;

        if (!json_object_object_get_ex(status, "containers", &arr) ||
            !json_object_is_type(arr, json_type_array))
                return 0;
        return json_object_array_length(arr);
}

long long status_rule_hits(json_object *status, const char *policy, const char *rule) {
        json_object *arr, *rules;

        if (!json_object_object_get_ex(status, "policies", &arr) ||
            !json_object_is_type(arr, json_type_array))
                return -1;
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                json_object *p = json_object_array_get_idx(arr, i);
                const char *name = status_str(p, "name");

                if (!name || strcmp(name, policy) != 0)
                        continue;
                if (!rule)
                        return status_int(p, "defaultHits");
                if (!json_object_object_get_ex(p, "rules", &rules))
                        return -1;
                for (size_t j = 0; j < json_object_array_length(rules); j++) {
                        json_object *r = json_object_array_get_idx(rules, j);
                        const char *rn = status_str(r, "name");

                        if (rn && strcmp(rn, rule) == 0)
                                return status_int(r, "hits");
                }
        }
        return -1;
}

int status_wait_container(const char *control_path, const char *id, bool want, unsigned timeout_ms) {
        uint64_t end = itest_now_usec() + (uint64_t) itest_timeout_ms(timeout_ms) * 1000u;

        for (;;) {
                json_object *s = NULL;
                bool present;
                int r;

                r = control_status(control_path, &s);
                if (r < 0)
                        return r;
                present = status_container(s, id) != NULL;
                json_object_put(s);
                if (present == want)
                        return 0;
                if (itest_now_usec() >= end)
                        return -ETIMEDOUT;
                (void) usleep(20000);
        }
}
