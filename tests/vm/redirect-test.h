/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Shared plumbing of the guest redirect tests: filter installation, a
 * filtered target process whose listener is passed to the (unfiltered)
 * parent acting as supervisor, the notification ioctls returning -errno,
 * and sealed memfds. Header-only so every test stays one static binary.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/filter.h>

#include "srd-uapi.h"
#include "tap.h"

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define PAGE_SIZE_ 4096UL
/* Generous: the guest runs under TCG on a shared host. */
#define NOTIF_TIMEOUT_MS 20000

/* Results the target process hands back to the supervisor. */
struct shared {
        volatile long ret;
        volatile int err;
        volatile int done;
        volatile uint64_t addr;
        volatile long v[32];
};

static struct shared *shm;

static inline void shared_init(void)
{
        shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (shm == MAP_FAILED) {
                perror("mmap shared");
                exit(EXIT_FAILURE);
        }
}

static inline void shared_reset(void)
{
        memset((void *) shm, 0, sizeof(*shm));
}

static inline bool expect_hole(void)
{
        const char *e = getenv("SRD_EXPECT_HOLE");
        return e && *e == '1';
}

static inline int sys_seccomp(unsigned op, unsigned long flags, void *args)
{
        long r = syscall(__NR_seccomp, op, flags, args);
        return r < 0 ? -errno : (int) r;
}

static inline int filter_install(struct sock_filter *f, unsigned short len, unsigned long flags)
{
        struct sock_fprog prog = { .len = len, .filter = f };

        return sys_seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog);
}

/* action if nr matches and the low 32 bits of args[argi] == val, else ALLOW. */
static inline int filter_install_match(int nr, unsigned argi, uint32_t val, uint32_t action, unsigned long flags)
{
        struct sock_filter f[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 3),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args) + 8 * argi),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, val, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, action),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };

        return filter_install(f, ELEMENTSOF(f), flags);
}

/* action for syscall nr whatever its arguments, else ALLOW. */
static inline int filter_install_nr(int nr, uint32_t action, unsigned long flags)
{
        struct sock_filter f[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, action),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };

        return filter_install(f, ELEMENTSOF(f), flags);
}

#define REDIRECT_LISTENER (SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_REDIRECT)

static inline int send_fds(int sock, int err, int fd1, int fd2)
{
        char cbuf[CMSG_SPACE(2 * sizeof(int))] = {};
        struct iovec iov = { .iov_base = &err, .iov_len = sizeof(err) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        int fds[2] = { fd1, fd2 }, n = (fd1 >= 0) + (fd2 >= 0);

        if (n > 0) {
                struct cmsghdr *c;

                mh.msg_control = cbuf;
                mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(n * sizeof(int));
                memcpy(CMSG_DATA(c), fd1 >= 0 ? fds : fds + 1, n * sizeof(int));
        }
        return sendmsg(sock, &mh, 0) < 0 ? -errno : 0;
}

/* Receives err and up to two fds; returns the number of fds or -errno. */
static inline int recv_fds(int sock, int *err, int fds[2])
{
        char cbuf[CMSG_SPACE(2 * sizeof(int))] = {};
        struct iovec iov = { .iov_base = err, .iov_len = sizeof(*err) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
        struct cmsghdr *c;
        ssize_t n;

        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        if (n < 0)
                return -errno;
        if (n != sizeof(*err))
                return -EPIPE;
        c = CMSG_FIRSTHDR(&mh);
        if (!c)
                return 0;
        n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        memcpy(fds, CMSG_DATA(c), n * sizeof(int));
        return (int) n;
}

struct target {
        pid_t pid;
        int listener;
        int extra_fd; /* returned by setup(), e.g. an outer listener */
        int ctl;      /* socket to the target, for sync bytes */
};

typedef int (*target_fn)(void *arg, int ctl);

/*
 * Forks a target: it sets NO_NEW_PRIVS, runs setup() (outer filters;
 * returns an fd to hand over, 0 for none, or -errno), installs the
 * notifier for syscall nr with the given flags, hands the fds over and
 * exits with body()'s return value. Returns 0 or the child's -errno.
 */
static inline int target_start(struct target *t, int nr, unsigned long flags, target_fn setup,
                               target_fn body, void *arg)
{
        int sv[2], fds[2] = { -1, -1 }, err = 0, n;

        *t = (struct target) { .pid = -1, .listener = -1, .extra_fd = -1, .ctl = -1 };
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        fflush(stdout);
        t->pid = fork();
        if (t->pid < 0)
                return -errno;
        if (t->pid == 0) {
                int extra = 0, l;

                close(sv[0]);
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(100);
                if (setup) {
                        extra = setup(arg, sv[1]);
                        if (extra < 0) {
                                send_fds(sv[1], extra, -1, -1);
                                _exit(101);
                        }
                }
                l = filter_install_nr(nr, SECCOMP_RET_USER_NOTIF, flags);
                if (l < 0) {
                        send_fds(sv[1], l, -1, -1);
                        _exit(102);
                }
                send_fds(sv[1], 0, l, extra > 0 ? extra : -1);
                close(l);
                if (extra > 0)
                        close(extra);
                _exit(body(arg, sv[1]));
        }
        close(sv[1]);
        t->ctl = sv[0];
        n = recv_fds(t->ctl, &err, fds);
        if (n < 0)
                return n;
        if (err < 0)
                return err;
        t->listener = fds[0];
        t->extra_fd = n > 1 ? fds[1] : -1;
        return 0;
}

/* Reaps the target, keeping its fds; returns its wait status. */
static inline int target_wait_keep(struct target *t)
{
        int st = 0;

        if (t->pid > 0)
                while (waitpid(t->pid, &st, __WALL) < 0 && errno == EINTR)
                        ;
        t->pid = -1;
        return st;
}

/* Reaps the target and closes its fds; returns its wait status. */
static inline int target_wait(struct target *t)
{
        int st = target_wait_keep(t);

        if (t->listener >= 0)
                close(t->listener);
        if (t->extra_fd >= 0)
                close(t->extra_fd);
        if (t->ctl >= 0)
                close(t->ctl);
        t->listener = t->extra_fd = t->ctl = -1;
        return st;
}

static inline void target_kill(struct target *t)
{
        if (t->pid > 0)
                kill(t->pid, SIGKILL);
        target_wait(t);
}

static inline int sync_send(int ctl)
{
        char c = 1;

        return write(ctl, &c, 1) == 1 ? 0 : -errno;
}

static inline int sync_recv(int ctl)
{
        char c;

        return read(ctl, &c, 1) == 1 ? 0 : -EPIPE;
}

static inline int notif_recv(int listener, struct seccomp_notif *n, int timeout_ms)
{
        struct pollfd p = { .fd = listener, .events = POLLIN };
        int r;

        r = poll(&p, 1, timeout_ms);
        if (r < 0)
                return -errno;
        if (r == 0)
                return -ETIMEDOUT;
        memset(n, 0, sizeof(*n));
        return ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, n) < 0 ? -errno : 0;
}

static inline int notif_send(int listener, uint64_t id, int error, uint32_t flags)
{
        struct seccomp_notif_resp r = { .id = id, .error = error, .flags = flags };

        return ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &r) < 0 ? -errno : 0;
}

static inline int notif_continue(int listener, uint64_t id)
{
        return notif_send(listener, id, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
}

static inline int pin_install_full(int listener, struct seccomp_notif_pin_install *p)
{
        return ioctl(listener, SECCOMP_IOCTL_NOTIF_PIN_INSTALL, p) < 0 ? -errno : 0;
}

static inline int pin_install(int listener, uint64_t id, int memfd, uint64_t size, uint64_t *ret_addr)
{
        struct seccomp_notif_pin_install p = { .id = id, .memfd = memfd, .size = size };
        int r;

        r = pin_install_full(listener, &p);
        if (r < 0)
                return r;
        *ret_addr = p.target_addr;
        return 0;
}

static inline struct seccomp_notif_resp_redirect redirect_new(uint64_t id)
{
        return (struct seccomp_notif_resp_redirect) { .id = id, .flags = SECCOMP_REDIRECT_FLAG_CONTINUE };
}

static inline void redirect_arg(struct seccomp_notif_resp_redirect *r, unsigned i, uint64_t v)
{
        r->args_mask |= 1u << i;
        r->args[i] = v;
}

static inline void redirect_ptr(struct seccomp_notif_resp_redirect *r, unsigned i, uint64_t v, uint64_t len, int memfd)
{
        redirect_arg(r, i, v);
        r->ptr_mask |= 1u << i;
        r->ptr_len[i] = len;
        r->memfd = memfd;
}

static inline int send_redirect(int listener, const struct seccomp_notif_resp_redirect *r)
{
        return ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND_REDIRECT, r) < 0 ? -errno : 0;
}

/* Reads what a (non-blocking) pipe holds as a string; returns read()'s result. */
static inline ssize_t read_pipe(int fd, char *buf, size_t size)
{
        ssize_t n = read(fd, buf, size - 1);

        buf[n > 0 ? n : 0] = 0;
        return n;
}

/* A memfd of size bytes starting with data, write-sealed with seals. */
static inline int memfd_sealed(const void *data, size_t len, size_t size, unsigned seals)
{
        int fd = memfd_create("srd-pin", MFD_ALLOW_SEALING | MFD_CLOEXEC);

        if (fd < 0)
                return -errno;
        if (ftruncate(fd, size) < 0 || (len && pwrite(fd, data, len, 0) != (ssize_t) len) ||
            (seals && fcntl(fd, F_ADD_SEALS, seals) < 0)) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

static inline int memfd_pin(const void *data, size_t len, size_t size)
{
        return memfd_sealed(data, len, size, F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK);
}

/* "EPERM" for -EPERM or EPERM, "0" for 0: a glibc constant, safe to use twice in one printf. */
static inline const char *errname(int e)
{
        if (e == 0)
                return "0";
        return strerrorname_np(e < 0 ? -e : e) ?: "unknown-errno";
}

static inline const char *status_str(int st)
{
        static char buf[64];

        if (WIFEXITED(st))
                snprintf(buf, sizeof(buf), "exit %d", WEXITSTATUS(st));
        else if (WIFSIGNALED(st))
                snprintf(buf, sizeof(buf), "signal %s", sigabbrev_np(WTERMSIG(st)) ?: "?");
        else
                snprintf(buf, sizeof(buf), "status 0x%x", st);
        return buf;
}

#ifdef __x86_64__
/*
 * Issues syscall nr with all six argument registers set from in[] and
 * reads the same registers back into out[] after the syscall instruction,
 * so callers can check the kernel preserved them.
 */
static inline long raw_syscall6(long nr, const long in[6], long out[6])
{
        register long rdi asm("rdi") = in[0];
        register long rsi asm("rsi") = in[1];
        register long rdx asm("rdx") = in[2];
        register long r10 asm("r10") = in[3];
        register long r8 asm("r8") = in[4];
        register long r9 asm("r9") = in[5];
        long rax = nr;

        asm volatile("syscall"
                     : "+a"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8), "+r"(r9)
                     :
                     : "rcx", "r11", "memory");
        out[0] = rdi;
        out[1] = rsi;
        out[2] = rdx;
        out[3] = r10;
        out[4] = r8;
        out[5] = r9;
        return rax;
}
#endif

static inline bool regs_equal(const long a[6], const volatile long b[6])
{
        for (unsigned i = 0; i < 6; i++)
                if (a[i] != b[i])
                        return false;
        return true;
}
