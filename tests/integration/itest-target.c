/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The runtime's side of the agent protocol, and the targets it hands over. */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "itest-util.h"

static int negative_errno_(void) {
        return errno > 0 ? -errno : -EIO;
}

/* ------------------------------------------------------------------------ */
/* The agent protocol.                                                       */

int handoff_json(char *buf, size_t size, pid_t pid, const char *id, const char *metadata) {
        int n;

        /* Field order and spelling as runc 1.1.5 marshals specs.ContainerProcessState. */
        if (metadata)
                n = snprintf(buf, size,
                             "{\"ociVersion\":\"1.0.2-dev\",\"fds\":[\"seccompFd\"],\"pid\":%d,"
                             "\"metadata\":\"%s\",\"state\":{\"ociVersion\":\"1.0.2-dev\",\"id\":\"%s\","
                             "\"status\":\"creating\",\"pid\":%d,\"bundle\":\"/run/itest/%s\"}}",
                             (int) pid, metadata, id, (int) pid, id);
        else
                n = snprintf(buf, size,
                             "{\"ociVersion\":\"1.0.2-dev\",\"fds\":[\"seccompFd\"],\"pid\":%d,"
                             "\"state\":{\"ociVersion\":\"1.0.2-dev\",\"id\":\"%s\","
                             "\"status\":\"creating\",\"pid\":%d,\"bundle\":\"/run/itest/%s\"}}",
                             (int) pid, id, (int) pid, id);
        return n < 0 || (size_t) n >= size ? -ENOBUFS : n;
}

int handoff_send_on(int fd, const void *payload, size_t len, const int *fds, size_t n_fds) {
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * 16)];
        } control = {};
        size_t first = len < 65536 ? len : 65536, done;
        struct iovec iov = {.iov_base = (void *) payload, .iov_len = first};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        ssize_t k;

        if (n_fds > 16)
                return -EINVAL;
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
        /* An empty payload still needs one byte of real data to carry the fds. */
        if (len == 0 && n_fds > 0) {
                static char zero;
                iov.iov_base = &zero;
                iov.iov_len = 0;
        }
        k = sendmsg(fd, &mh, MSG_NOSIGNAL);
        if (k < 0)
                return negative_errno_();
        /* The rest as plain stream data; the daemon may hang up on an oversized one. */
        for (done = (size_t) k; done < len;) {
                k = send(fd, (const char *) payload + done, len - done, MSG_NOSIGNAL);
                if (k <= 0)
                        break;
                done += (size_t) k;
        }
        return 0;
}

int handoff_send(const char *path, const void *payload, size_t len, const int *fds, size_t n_fds,
                 bool keep_open, int *ret_conn) {
        int fd, r;

        if (n_fds > 16)
                return -EINVAL;
        fd = itest_unix_connect(path, SOCK_STREAM);
        if (fd < 0)
                return fd;
        r = handoff_send_on(fd, payload, len, fds, n_fds);
        if (r < 0) {
                close(fd);
                return r;
        }
        if (keep_open && ret_conn) {
                *ret_conn = fd;
                return 0;
        }
        (void) shutdown(fd, SHUT_WR);
        close(fd);
        return 0;
}

/* ------------------------------------------------------------------------ */
/* Targets.                                                                  */

static int send_fd(int sock, int fd) {
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        char byte = 'F';
        struct iovec iov = {.iov_base = &byte, .iov_len = 1};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = &control,
                            .msg_controllen = sizeof(control)};
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? negative_errno_() : 0;
}

static int recv_fd(int sock, unsigned timeout_ms) {
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        char byte;
        struct iovec iov = {.iov_base = &byte, .iov_len = 1};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = &control,
                            .msg_controllen = sizeof(control)};
        struct pollfd p = {.fd = sock, .events = POLLIN};
        struct cmsghdr *c;
        int fd;

        if (poll(&p, 1, (int) timeout_ms) <= 0)
                return -ETIMEDOUT;
        if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) <= 0)
                return -EPIPE;
        c = CMSG_FIRSTHDR(&mh);
        if (!c || c->cmsg_type != SCM_RIGHTS)
                return -EBADMSG;
        memcpy(&fd, CMSG_DATA(c), sizeof(int));
        return fd;
}

/* A page that nobody can read until we die: its faults wait on a
 * userfaultfd that we keep open and never serve. */
static char *uffd_page(size_t pagesize) {
        static int uffd = -1;
        struct uffdio_api api = {.api = UFFD_API};
        struct uffdio_register reg = {.mode = UFFDIO_REGISTER_MODE_MISSING};
        char *p;

        if (uffd < 0) {
                uffd = (int) syscall(SYS_userfaultfd, O_CLOEXEC);
                if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) < 0)
                        return NULL;
        }
        p = mmap(NULL, pagesize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                return NULL;
        reg.range.start = (uintptr_t) p;
        reg.range.len = pagesize;
        if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0)
                return NULL;
        return p;
}

static long target_run(const TargetCmd *cmd) {
        long pagesize = sysconf(_SC_PAGESIZE), r;
        char *p;

        switch (cmd->op) {
        case TARGET_OPENAT:
                r = syscall(SYS_openat, AT_FDCWD, cmd->path, cmd->flags, cmd->mode);
                break;
        case TARGET_MKDIR:
                r = syscall(SYS_mkdir, cmd->path, 0755);
                break;
        case TARGET_MKDIRAT:
                r = syscall(SYS_mkdirat, AT_FDCWD, cmd->path, 0755);
                break;
        case TARGET_CHDIR:
                r = chdir(cmd->path);
                break;
        case TARGET_SOCKET:
                r = syscall(SYS_socket, (int) cmd->a, (int) cmd->b, 0);
                break;
        case TARGET_OPENAT_UNMAPPED:
                p = mmap(NULL, pagesize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED)
                        return -errno;
                (void) munmap(p, pagesize);
                r = syscall(SYS_openat, AT_FDCWD, p + 16, cmd->flags, cmd->mode);
                break;
        case TARGET_OPENAT_UFFD:
                p = uffd_page((size_t) pagesize);
                if (!p)
                        return -errno;
                r = syscall(SYS_openat, AT_FDCWD, p, cmd->flags, cmd->mode);
                break;
        case TARGET_OPENAT_UNTERMINATED:
                /* 100 bytes without NUL, then a hole: neither we nor the daemon may read past it. */
                p = mmap(NULL, 2 * pagesize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED)
                        return -errno;
                (void) munmap(p + pagesize, pagesize);
                memset(p, '/', pagesize);
                memset(p + pagesize - 100, 'u', 100);
                p[pagesize - 100] = '/';
                r = syscall(SYS_openat, AT_FDCWD, p + pagesize - 100, cmd->flags, cmd->mode);
                (void) munmap(p, pagesize);
                break;
        case TARGET_OPENAT_LONG:
                p = malloc((size_t) cmd->a + 2);
                if (!p)
                        return -ENOMEM;
                memset(p, 'l', (size_t) cmd->a + 1);
                p[0] = '/';
                p[cmd->a + 1] = 0;
                r = syscall(SYS_openat, AT_FDCWD, p, cmd->flags, cmd->mode);
                free(p);
                break;
        case TARGET_OPENAT_LOOP: {
                struct timespec a, b;

                (void) clock_gettime(CLOCK_MONOTONIC, &a);
                for (long i = 0; i < cmd->a; i++) {
                        long fd = syscall(SYS_openat, AT_FDCWD, cmd->path, cmd->flags, 0);
                        if (fd < 0)
                                return -errno;
                        (void) close((int) fd);
                }
                (void) clock_gettime(CLOCK_MONOTONIC, &b);
                return (long) ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec));
        }
        case TARGET_CHMOD_LOOP: {
                struct timespec a, b;

                (void) clock_gettime(CLOCK_MONOTONIC, &a);
                for (long i = 0; i < cmd->a; i++)
                        if (syscall(SYS_chmod, cmd->path, (mode_t) cmd->mode) < 0)
                                return -errno;
                (void) clock_gettime(CLOCK_MONOTONIC, &b);
                return (long) ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec));
        }
        default:
                return -EINVAL;
        }
        if (r < 0)
                return -errno;
        if (cmd->op == TARGET_OPENAT || cmd->op == TARGET_SOCKET || cmd->op == TARGET_OPENAT_LONG ||
            cmd->op == TARGET_OPENAT_UNTERMINATED || cmd->op == TARGET_OPENAT_UNMAPPED)
                (void) close((int) r);
        return r;
}

_Noreturn static void target_main(int sock, const char *const *syscalls) {
        scmp_filter_ctx ctx;
        int fd;

        /* Never outlive the test, whatever way it ends. */
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                _exit(120);
        for (size_t i = 0; syscalls[i]; i++) {
                int nr = seccomp_syscall_resolve_name(syscalls[i]);

                if (nr == __NR_SCMP_ERROR || seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0) < 0)
                        _exit(121);
        }
        if (seccomp_load(ctx) < 0)
                _exit(122);
        fd = seccomp_notify_fd(ctx);
        if (fd < 0 || send_fd(sock, fd) < 0)
                _exit(123);
        (void) close(fd);

        for (;;) {
                TargetCmd cmd;
                ssize_t k = recv(sock, &cmd, sizeof(cmd), 0);
                long result;

                if (k != (ssize_t) sizeof(cmd))
                        _exit(0);
                if (cmd.op == TARGET_EXIT)
                        _exit(0);
                result = target_run(&cmd);
                if (send(sock, &result, sizeof(result), MSG_NOSIGNAL) != (ssize_t) sizeof(result))
                        _exit(0);
        }
}

int target_start(Target *t, const char *const *syscalls) {
        int sv[2], fd;
        pid_t pid;

        *t = (Target){.sock = -1, .listener = -1};
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return negative_errno_();
        pid = fork();
        if (pid < 0) {
                int r = negative_errno_();
                close(sv[0]);
                close(sv[1]);
                return r;
        }
        if (pid == 0) {
                close(sv[0]);
                target_main(sv[1], syscalls);
        }
        close(sv[1]);
        itest_track_pid(pid);
        t->pid = pid;
        t->sock = sv[0];

        fd = recv_fd(t->sock, 5000);
        if (fd < 0) {
                (void) target_kill(t);
                return fd;
        }
        t->listener = fd;
        return 0;
}

int target_handoff(Target *t, const char *agent_path, const char *id, const char *metadata) {
        char json[1024];
        int r;

        r = handoff_json(json, sizeof(json), t->pid, id, metadata);
        if (r < 0)
                return r;
        r = handoff_send(agent_path, json, strlen(json), &t->listener, 1, false, NULL);
        close(t->listener);
        t->listener = -1;
        return r;
}

int target_send(Target *t, const TargetCmd *cmd) {
        if (send(t->sock, cmd, sizeof(*cmd), MSG_NOSIGNAL) != (ssize_t) sizeof(*cmd))
                return -EPIPE;
        return 0;
}

long target_call(Target *t, const TargetCmd *cmd, unsigned timeout_ms) {
        struct pollfd p = {.fd = t->sock, .events = POLLIN};
        long result;
        ssize_t k;
        int r;

        r = target_send(t, cmd);
        if (r < 0)
                return r;
        r = poll(&p, 1, (int) itest_timeout_ms(timeout_ms));
        if (r < 0)
                return negative_errno_();
        if (r == 0)
                return -ETIMEDOUT;
        k = recv(t->sock, &result, sizeof(result), 0);
        if (k != (ssize_t) sizeof(result))
                return -EPIPE;
        return result;
}

long target_openat(Target *t, const char *path, int flags) {
        TargetCmd cmd = {.op = TARGET_OPENAT, .flags = flags};

        (void) snprintf(cmd.path, sizeof(cmd.path), "%s", path);
        return target_call(t, &cmd, 5000);
}

long target_mkdir(Target *t, const char *path) {
        TargetCmd cmd = {.op = TARGET_MKDIR};

        (void) snprintf(cmd.path, sizeof(cmd.path), "%s", path);
        return target_call(t, &cmd, 5000);
}

static int target_reap(Target *t, unsigned timeout_ms) {
        int status = -1;

        if (t->pid > 0 && itest_wait_pid(t->pid, timeout_ms, &status) == -ETIMEDOUT) {
                (void) kill(t->pid, SIGKILL);
                (void) itest_wait_pid(t->pid, 5000, &status);
        }
        if (t->sock >= 0)
                close(t->sock);
        if (t->listener >= 0)
                close(t->listener);
        *t = (Target){.sock = -1, .listener = -1};
        return status;
}

int target_stop(Target *t) {
        TargetCmd cmd = {.op = TARGET_EXIT};

        (void) target_send(t, &cmd);
        return target_reap(t, 2000);
}

int target_kill(Target *t) {
        if (t->pid > 0)
                (void) kill(t->pid, SIGKILL);
        return target_reap(t, 5000);
}
