/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The listener tests' target process, policy and scratch directory. */

#include <fcntl.h>
#include <ftw.h>
#include <linux/filter.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "listener-target.h"
#include "srd-uapi.h"

const int notified[5] = {SYS_mkdir, SYS_mkdirat, SYS_newfstatat, SYS_getppid, SYS_openat2};

/* ------------------------------------------------------------------------ */
/* The target process.                                                      */

static long target_run_syscall(Cmd *c) {
        static char scratch[2][4096];
        uint64_t a[6];
        unsigned s = 0, b = 0;
        long r;

        for (size_t i = 0; i < 6; i++) {
                a[i] = c->args[i];
                if (c->str_mask & (1u << i))
                        a[i] = (uintptr_t) c->str[s++ % 2];
                else if (c->buf_mask & (1u << i))
                        a[i] = (uintptr_t) scratch[b++ % 2];
        }
        r = syscall(c->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        return r < 0 ? -errno : r;
}

#if defined(__x86_64__)
/* The i386 ABI from a 64-bit process: pointers must fit in 32 bits. */
static long target_int80(Cmd *c) {
        static char *low;
        long r;

        if (!low) {
                low = mmap(NULL, 2 * sizeof(c->str[0]), PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
                if (low == MAP_FAILED)
                        return -errno;
        }
        memcpy(low, c->str[0], sizeof(c->str[0]));
        memcpy(low + sizeof(c->str[0]), c->str[1], sizeof(c->str[1]));
        __asm__ volatile("int $0x80"
                         : "=a"(r)
                         : "a"(c->nr), "b"((uintptr_t) low), "c"((uintptr_t) (low + sizeof(c->str[0])))
                         : "memory");
        return (int) r;
}

/* Registers like target_run_syscall(), strings copied below 4 GiB, and the
 * upper halves of c->high[], which the kernel drops. */
static long target_int80_args(Cmd *c) {
        static char *low;
        size_t page = (size_t) getpagesize(), slot = sizeof(c->str[0]);
        size_t area = (2 * slot + page - 1) / page * page;
        uint64_t a[6];
        unsigned s = 0;
        long r;

        if (!low) {
                low = mmap(NULL, area, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
                if (low == MAP_FAILED)
                        return -errno;
        }
        for (size_t i = 0; i < 6; i++) {
                a[i] = c->args[i];
                if (c->str_mask & (1u << i)) {
                        char *dst = low + (s++ % 2) * slot;

                        memcpy(dst, c->str[(s - 1) % 2], slot);
                        a[i] = (uintptr_t) dst;
                        if (c->high[i]) {
                                /* The same bytes 4 GiB (or so) higher, with
                                 * the decoy where the string is. */
                                char *hi = mmap(low + c->high[i], area, PROT_READ | PROT_WRITE,
                                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

                                if (hi == MAP_FAILED && errno != EEXIST)
                                        return -errno;
                                hi = low + c->high[i];
                                memcpy(hi + (dst - low), c->decoy, sizeof(c->decoy));
                        }
                }
                a[i] |= c->high[i];
        }
        /* ebp, the sixth, is not needed by any case. */
        __asm__ volatile("int $0x80"
                         : "=a"(r)
                         : "a"(c->nr), "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4])
                         : "memory");
        return (int) r;
}
#endif

static void *thread_run(void *userdata) {
        return (void *) target_run_syscall(userdata);
}

/* A page guarded by userfaultfd: whoever reads it first waits for us. */
static long target_uffd_mkdir(int sock) {
        size_t page = (size_t) getpagesize();
        struct uffdio_api api = {.api = UFFD_API};
        struct uffdio_register reg = {};
        struct msghdr mh = {};
        struct cmsghdr *cm;
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        char dummy = 'u';
        struct iovec iov = {.iov_base = &dummy, .iov_len = 1};
        void *m;
        int uffd;

        uffd = (int) syscall(SYS_userfaultfd, O_CLOEXEC);
        if (uffd < 0)
                return -errno;
        if (ioctl(uffd, UFFDIO_API, &api) < 0)
                return -errno;
        m = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
                return -errno;
        reg.range.start = (uintptr_t) m;
        reg.range.len = page;
        reg.mode = UFFDIO_REGISTER_MODE_MISSING;
        if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0)
                return -errno;

        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = &control;
        mh.msg_controllen = sizeof(control.buf);
        cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &uffd, sizeof(int));
        if (sendmsg(sock, &mh, 0) < 0)
                return -errno;
        close(uffd);

        return syscall(SYS_mkdir, m, 0700) < 0 ? -errno : 0;
}

int send_fd(int sock, int fd) {
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        char dummy = 'x';
        struct iovec iov = {.iov_base = &dummy, .iov_len = 1};
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof(control.buf),
        };
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        return sendmsg(sock, &mh, 0) < 0 ? -errno : 0;
}

/* An fd, or -EBADMSG when the message carried none (then *ret_payload is its data). */
int recv_fd_or_payload(int sock, long *ret_payload) {
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        long payload = 0;
        struct iovec iov = {.iov_base = &payload, .iov_len = sizeof(payload)};
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof(control.buf),
        };
        struct cmsghdr *cm;
        struct pollfd p = {.fd = sock, .events = POLLIN};
        int fd;

        if (poll(&p, 1, TIMEOUT_MS) <= 0)
                return -ETIMEDOUT;
        if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) <= 0)
                return -EIO;
        cm = CMSG_FIRSTHDR(&mh);
        if (!cm || cm->cmsg_type != SCM_RIGHTS) {
                if (ret_payload)
                        *ret_payload = payload;
                return -EBADMSG;
        }
        memcpy(&fd, CMSG_DATA(cm), sizeof(int));
        return fd;
}

static int recv_fd(int sock) {
        return recv_fd_or_payload(sock, NULL);
}

bool target_x86;
bool target_x32;
const int *target_notify_extra;
size_t target_n_notify_extra;

bool target_redirect;

/*
 * libseccomp knows no SECCOMP_FILTER_FLAG_REDIRECT: take its program and
 * install it ourselves, with the flag. Exits where the kernel refuses, so
 * the caller's target_start() fails; REQUIRE_REDIRECT() probes first.
 */
static int load_redirect_filter(scmp_filter_ctx ctx) {
        static struct sock_filter insns[4096];
        struct sock_fprog prog = {};
        int pipefd[2], fd;
        ssize_t n;

        if (pipe(pipefd) < 0 || seccomp_export_bpf(ctx, pipefd[1]) < 0)
                _exit(4);
        close(pipefd[1]);
        n = read(pipefd[0], insns, sizeof(insns));
        close(pipefd[0]);
        if (n <= 0 || n % (ssize_t) sizeof(insns[0]) != 0)
                _exit(4);
        prog.len = (unsigned short) (n / (ssize_t) sizeof(insns[0]));
        prog.filter = insns;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                _exit(4);
        fd = (int) syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                           SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_REDIRECT, &prog);
        if (fd < 0)
                _exit(4);
        return fd;
}

/* The target: setup (before the filter), then the filter, then commands. */
static _Noreturn void target_main(int sock, void (*setup)(void)) {
        scmp_filter_ctx ctx;
        static Cmd c;
        int fd;

        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (setup)
                setup();

        ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                _exit(2);
        if (target_x86 && seccomp_arch_add(ctx, SCMP_ARCH_X86) < 0)
                _exit(3);
        if (target_x32 && seccomp_arch_add(ctx, SCMP_ARCH_X32) < 0)
                _exit(3);
        for (size_t i = 0; i < target_n_notify_extra; i++)
                if (seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, target_notify_extra[i], 0) < 0)
                        _exit(3);
        for (size_t i = 0; i < ELEMENTSOF(notified); i++)
                if (seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, notified[i], 0) < 0)
                        _exit(3);
        /* libseccomp adds it for every arch of the filter, by name. */
        if (target_x86 && seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(symlink), 0) < 0)
                _exit(3);
        if (target_redirect)
                fd = load_redirect_filter(ctx);
        else if (seccomp_load(ctx) < 0)
                _exit(4);
        else
                fd = seccomp_notify_fd(ctx);
        if (fd < 0 || send_fd(sock, fd) < 0)
                _exit(5);
        close(fd);
        seccomp_release(ctx);

        for (;;) {
                long r;

                if (recv(sock, &c, sizeof(c), 0) != sizeof(c))
                        _exit(0);
                switch (c.op) {
                case CMD_SYSCALL_IN_THREAD: {
                        pthread_t t;
                        void *v;

                        if (pthread_create(&t, NULL, thread_run, &c) != 0)
                                _exit(6);
                        (void) pthread_join(t, &v);
                        r = (long) v;
                        break;
                }
                case CMD_UFFD_MKDIR:
                        r = target_uffd_mkdir(sock);
                        break;
#if defined(__x86_64__)
                case CMD_INT80:
                        r = target_int80(&c);
                        break;
                case CMD_INT80_ARGS:
                        r = target_int80_args(&c);
                        break;
#endif
                default:
                        r = target_run_syscall(&c);
                }
                if (send(sock, &r, sizeof(r), 0) != sizeof(r))
                        _exit(7);
        }
}

const char *target_fd100_path;

void target_setup_fd100(void) {
        int fd = open(target_fd100_path, O_RDONLY | O_DIRECTORY);

        if (fd < 0 || dup2(fd, 100) < 0)
                _exit(11);
}

static void on_sigusr1(int sig) {
}

void target_setup_sigusr1_interrupts(void) {
        struct sigaction sa = {.sa_handler = on_sigusr1};

        (void) sigaction(SIGUSR1, &sa, NULL);
}

int target_vanish_notification(Target *t) {
        _cleanup_free_ Cmd *c = cmd_new(SYS_getppid);
        struct pollfd pf = {.fd = srd_listener_fd(t->listener), .events = POLLIN};
        long res;
        int r;

        if (!c)
                return -ENOMEM;
        r = target_send(t, c);
        if (r < 0)
                return r;
        if (poll(&pf, 1, TIMEOUT_MS) != 1)
                return -ETIMEDOUT;
        if (kill(t->pid, SIGUSR1) < 0)
                return -errno;
        r = target_result(t, &res);
        if (r < 0)
                return r;
        return res == -EINTR ? 0 : -EBADMSG;
}

void target_stop(Target *t) {
        /* "Target t = {}" never started (a test that skipped first): its
         * sock 0 is not ours, it is stdin. */
        if (t->pid == 0 && !t->listener && t->sock == 0)
                return;
        t->listener = srd_listener_free(t->listener);
        t->sock = safe_close(t->sock);
        if (t->pid > 0) {
                (void) kill(t->pid, SIGKILL);
                (void) waitpid(t->pid, NULL, 0);
                t->pid = 0;
        }
}

int target_start(Target *t, void (*setup)(void)) {
        int sv[2], fd, r;

        *t = (Target){.sock = -EBADF};
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        t->pid = fork();
        if (t->pid < 0) {
                close(sv[0]);
                close(sv[1]);
                return -errno;
        }
        if (t->pid == 0) {
                close(sv[0]);
                target_main(sv[1], setup);
        }
        close(sv[1]);
        t->sock = sv[0];

        fd = recv_fd(t->sock);
        if (fd < 0)
                return fd;
        r = srd_listener_new(fd, &t->listener);
        if (r < 0)
                return r;
        return 0;
}

int target_send(Target *t, const Cmd *c) {
        return send(t->sock, c, sizeof(*c), 0) == sizeof(*c) ? 0 : -errno;
}

/* What the target's last command returned (a negative errno for failures). */
int target_result(Target *t, long *ret) {
        struct pollfd p = {.fd = t->sock, .events = POLLIN};

        if (poll(&p, 1, TIMEOUT_MS) <= 0)
                return -ETIMEDOUT;
        if (recv(t->sock, ret, sizeof(*ret), 0) != sizeof(*ret))
                return -EIO;
        return 0;
}

/* Wait for a notification, then handle exactly one. */
int serve(Target *t, SrdPolicy *p, SrdEvent *e) {
        struct pollfd pf = {.fd = srd_listener_fd(t->listener), .events = POLLIN};

        if (poll(&pf, 1, TIMEOUT_MS) <= 0)
                return -ETIMEDOUT;
        return srd_listener_handle(t->listener, p, 0, e);
}

/* How the target ended: the signal that killed it, 0 for a normal exit, <0 on timeout. */
int target_wait_death(Target *t) {
        int status;

        for (int i = 0; i < TIMEOUT_MS / 10; i++) {
                pid_t p = waitpid(t->pid, &status, WNOHANG);

                if (p == t->pid) {
                        t->pid = 0;
                        return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
                }
                usleep(10 * 1000);
        }
        return -ETIMEDOUT;
}

Cmd *cmd_new(long nr) {
        Cmd *c = calloc(1, sizeof(Cmd));

        if (c)
                c->nr = nr;
        return c;
}

/* ------------------------------------------------------------------------ */
/* Policies and scratch directories.                                        */

char tmpdir[PATH_MAX];

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *f) {
        (void) remove(p);
        return 0;
}

static void cleanup_tmpdir(void) {
        if (tmpdir[0])
                (void) nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

const char *tmp(const char *name) {
        static char buf[4][PATH_MAX + 64];
        static unsigned i;
        char *b = buf[i++ % ELEMENTSOF(buf)];

        snprintf(b, sizeof(buf[0]), "%s/%s", tmpdir, name);
        return b;
}

static const char policy_fmt[] =
        "{\n"
        "  \"version\": 1,\n"
        "  \"name\": \"listener-test\",\n"
        "  \"defaultAction\": \"errno\", \"defaultErrno\": \"EROFS\",\n"
        "  \"redirectFallback\": %s,\n"
        "  \"rules\": [\n"
        "    { \"name\": \"deny\", \"names\": [\"mkdir\", \"mkdirat\"],\n"
        "      \"path\": { \"glob\": \"/tmp/srd-listener-*/deny*\" },\n"
        "      \"action\": \"errno\", \"errno\": \"EACCES\", \"log\": true },\n"
        "    { \"name\": \"kill\", \"names\": [\"mkdir\", \"mkdirat\"],\n"
        "      \"path\": { \"glob\": \"/tmp/srd-listener-*/kill*\" }, \"action\": \"kill\" },\n"
        "    { \"name\": \"redirect\", \"names\": [\"mkdir\", \"mkdirat\"],\n"
        "      \"path\": { \"glob\": \"/tmp/srd-listener-*/redirect*\" },\n"
        "      \"action\": \"redirect\", \"to\": \"/tmp/elsewhere\" },\n"
        "    { \"name\": \"bad-template\", \"names\": [\"mkdir\"],\n"
        "      \"path\": { \"prefix\": \"/tmp/srd-bad\" },\n"
        "      \"action\": \"redirect\", \"to\": \"/sandbox/{suffix}\" },\n"
        "    { \"name\": \"stat-dirs\", \"names\": [\"newfstatat\"],\n"
        "      \"path\": { \"glob\": \"/tmp/srd-listener-*/statme\" },\n"
        "      \"action\": \"errno\", \"errno\": \"ENOTSUP\" },\n"
        "    { \"name\": \"allow\", \"names\": [\"mkdir\", \"mkdirat\", \"newfstatat\"],\n"
        "      \"path\": { \"prefix\": \"/tmp/srd-listener-\" }, \"action\": \"continue\" },\n"
        "    { \"name\": \"getppid\", \"names\": [\"getppid\"], \"action\": \"continue\" },\n"
        "    { \"name\": \"redirect-o2\", \"names\": [\"openat2\"],\n"
        "      \"path\": { \"glob\": \"/**/srd-o2-redirect\" }, \"action\": \"redirect\", \"to\": \"/tmp/elsewhere\" }\n"
        "  ]\n"
        "}\n";

int policy_load(const char *fallback, SrdPolicy **ret) {
        SrdDiagList diag = {};
        char buf[sizeof(policy_fmt) + 256];
        int r;

        snprintf(buf, sizeof(buf), policy_fmt, fallback);
        r = srd_policy_load_buffer(buf, strlen(buf), "listener-test.json", ret, &diag);
        for (size_t i = 0; i < diag.n; i++) {
                _cleanup_free_ char *s = srd_diag_format(&diag.items[i]);

                printf("# %s\n", s ? s : "?");
        }
        srd_diag_list_clear(&diag);
        return r;
}

bool have_seccomp_notify(void) {
        static int cached = -1;
        Target t;

        if (cached < 0) {
                /* The whole round trip, once: filter, listener fd, handoff. */
                cached = target_start(&t, NULL) >= 0;
                target_stop(&t);
        }
        return cached;
}

const char *redirect_unsupported(void) {
        static int cached = -1;
        Target t;

        if (cached < 0) {
                /* A target whose filter has the flag, and a listener that
                 * says it can redirect. */
                target_redirect = true;
                cached = target_start(&t, NULL) >= 0 &&
                         srd_listener_redirect_support(t.listener) == SRD_REDIRECT_SUPPORTED;
                target_redirect = false;
                target_stop(&t);
        }
        return cached ? NULL : "the kernel has no SECCOMP_FILTER_FLAG_REDIRECT (not the patched kernel)";
}

/* Before main: every test file that links this has its scratch directory. */
static int tests_setup(void) {
        strcpy(tmpdir, "/tmp/srd-listener-XXXXXX");
        if (!mkdtemp(tmpdir)) {
                tmpdir[0] = '\0';
                return -errno;
        }
        return 0;
}

__attribute__((constructor)) static void tests_init(void) {
        if (tests_setup() < 0)
                abort();
        atexit(cleanup_tmpdir);
}
