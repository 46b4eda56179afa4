/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A redirected syscall's life beyond the plain case:
 *
 *  - the task is killed around SEND_REDIRECT (just before, just after,
 *    while the pointer check runs): the ioctl answers 0 or ENOENT, the task
 *    dies of SIGKILL, and the kernel log stays clean (run-vm checks it);
 *  - clone() itself redirected: the child is created with the substituted
 *    flags (its exit signal), and parent and child both return with the
 *    task's own argument registers;
 *  - -ERESTART_RESTARTBLOCK: a redirected clock_nanosleep stopped and
 *    continued is resumed by restart_syscall from the state captured from
 *    the substituted arguments (the pinned, shorter timespec), without a
 *    second notification;
 *  - the ptrace syscall-exit stop sees the task's registers, not the
 *    redirect's;
 *  - so does the core dump of a task that an outer KILL_PROCESS killed for
 *    the rewritten syscall;
 *  - the audit SYSCALL record shows the arguments the syscall ran with.
 */
#include <elf.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <sys/procfs.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/user.h>
#include <time.h>

#include "redirect-test.h"

#define PG PAGE_SIZE_
#define MAGIC 0x5eed0u

static long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* getpgid(0), then linger so that a kill always finds the task. */
static int body_linger(void *arg, int ctl)
{
        shm->ret = syscall(__NR_getpgid, 0);
        shm->done = 1;
        sleep(30);
        return 0;
}

enum { KILL_BEFORE, KILL_AFTER, KILL_PTR_BEFORE, KILL_PTR_AFTER, _KILL_MAX };

static void case_killed(int mfd)
{
        static const char *const names[_KILL_MAX] = {
                [KILL_BEFORE] = "SIGKILL just before SEND_REDIRECT",
                [KILL_AFTER] = "SIGKILL just after SEND_REDIRECT",
                [KILL_PTR_BEFORE] = "SIGKILL just before a pointer SEND_REDIRECT (check without notify_lock)",
                [KILL_PTR_AFTER] = "SIGKILL just after a pointer SEND_REDIRECT",
        };

        for (int round = 0; round < 3 * _KILL_MAX; round++) {
                int how = round % _KILL_MAX, r, st;
                struct seccomp_notif_resp_redirect rr;
                struct seccomp_notif n;
                struct target t;
                uint64_t a = 0;
                bool ok;

                shared_reset();
                r = target_start(&t, __NR_getpgid, REDIRECT_LISTENER, NULL, body_linger, NULL);
                if (r == 0)
                        r = notif_recv(t.listener, &n, NOTIF_TIMEOUT_MS);
                if (r == 0 && (how == KILL_PTR_BEFORE || how == KILL_PTR_AFTER))
                        r = pin_install(t.listener, n.id, mfd, PG, &a);
                if (!tap_ok(r == 0, "%s (round %d): set up (%s)", names[how], round, errname(r))) {
                        target_kill(&t);
                        continue;
                }
                rr = redirect_new(n.id);
                redirect_arg(&rr, 0, MAGIC);
                if (a)
                        redirect_ptr(&rr, 1, a, 8, mfd);
                if (how == KILL_BEFORE || how == KILL_PTR_BEFORE)
                        kill(t.pid, SIGKILL);
                r = send_redirect(t.listener, &rr);
                if (how == KILL_AFTER || how == KILL_PTR_AFTER)
                        kill(t.pid, SIGKILL);
                st = target_wait(&t);
                ok = (r == 0 || r == -ENOENT) && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
                /* If the redirect won, the rewritten call ran before the kill landed. */
                if (ok && shm->done)
                        ok = shm->ret == -1;
                tap_ok(ok, "%s (round %d): SEND_REDIRECT %s, task %s, call %s", names[how], round, errname(r),
                       status_str(st), shm->done ? "returned" : "never returned");
        }
}

/* raw clone(SIGCHLD) with marks in the registers clone does not use here. */
static const long clone_regs[6] = { SIGCHLD, 0, 0, 0, 0x4444, 0x5555 };

static int body_clone(void *arg, int ctl)
{
        sigset_t set;
        siginfo_t si;
        struct timespec to = { .tv_sec = 20 };
        long out[6], r;
        pid_t child;
        int st;

        sigemptyset(&set);
        sigaddset(&set, SIGUSR2);
        sigaddset(&set, SIGCHLD);
        sigprocmask(SIG_BLOCK, &set, NULL);
        r = raw_syscall6(__NR_clone, clone_regs, out);
        if (r == 0) {
                /* The child: its registers, then out without touching libc state. */
                for (int i = 0; i < 6; i++)
                        shm->v[8 + i] = out[i];
                shm->v[14] = 1;
                syscall(__NR_exit, 0);
        }
        for (int i = 0; i < 6; i++)
                shm->v[i] = out[i];
        child = (pid_t) r;
        /* The child's exit signal is the one the supervisor put into the flags. */
        shm->v[6] = sigtimedwait(&set, &si, &to);
        shm->v[7] = waitpid(child, &st, __WALL) == child && WIFEXITED(st);
        shm->ret = r;
        shm->done = 1;
        return 0;
}

static void case_clone(void)
{
        const char *name = "clone() redirected: exit signal SIGCHLD -> SIGUSR2";
        struct seccomp_notif_resp_redirect rr;
        struct seccomp_notif n;
        struct target t;
        int r, st;

        shared_reset();
        r = target_start(&t, __NR_clone, REDIRECT_LISTENER, NULL, body_clone, NULL);
        if (r == 0)
                r = notif_recv(t.listener, &n, NOTIF_TIMEOUT_MS);
        if (!tap_ok(r == 0 && n.data.args[0] == SIGCHLD, "%s: notification of clone(SIGCHLD) (%s)", name, errname(r))) {
                target_kill(&t);
                return;
        }
        rr = redirect_new(n.id);
        redirect_arg(&rr, 0, SIGUSR2);
        redirect_arg(&rr, 4, 0x7777);
        redirect_arg(&rr, 5, 0x8888);
        r = send_redirect(t.listener, &rr);
        tap_ok(r == 0, "%s: SEND_REDIRECT accepted (%s)", name, errname(r));
        st = target_wait(&t);
        if (!tap_ok(WIFEXITED(st) && shm->done && shm->ret > 0, "%s: the parent got a child pid (%s, ret=%ld)", name,
                    status_str(st), shm->ret))
                return;
        tap_ok(shm->v[6] == SIGUSR2 && shm->v[7] == 1, "%s: the child's exit signalled SIGUSR2 (got %ld, reaped %ld)",
               name, shm->v[6], shm->v[7]);
        tap_ok(regs_equal(clone_regs, shm->v), "%s: the parent's six registers are the task's own afterwards", name);
        tap_ok(shm->v[14] == 1 && regs_equal(clone_regs, &shm->v[8]),
               "%s: the child's six registers are the task's own too (%#lx %#lx %#lx %#lx %#lx %#lx)", name,
               shm->v[8], shm->v[9], shm->v[10], shm->v[11], shm->v[12], shm->v[13]);
}

static struct timespec long_sleep = { .tv_sec = 8 };
static const struct timespec short_sleep = { .tv_sec = 2 };

static int body_sleep(void *arg, int ctl)
{
        long in[6] = { CLOCK_MONOTONIC, 0, (long) &long_sleep, 0, 0x4444, 0x5555 }, out[6], t0;

        t0 = now_ms();
        shm->ret = raw_syscall6(__NR_clock_nanosleep, in, out);
        shm->v[6] = now_ms() - t0;
        for (int i = 0; i < 6; i++)
                shm->v[i] = out[i];
        shm->v[7] = regs_equal(in, shm->v);
        shm->done = 1;
        return 0;
}

static void case_restart_block(void)
{
        const char *name = "clock_nanosleep redirected to the pin's 2 s, stopped and continued";
        struct seccomp_notif_resp_redirect rr;
        struct seccomp_notif n;
        struct pollfd p;
        struct target t;
        uint64_t a = 0;
        int r, st, mfd;

        shared_reset();
        mfd = memfd_pin(&short_sleep, sizeof(short_sleep), PG);
        r = mfd < 0 ? mfd : target_start(&t, __NR_clock_nanosleep, REDIRECT_LISTENER, NULL, body_sleep, NULL);
        if (r == 0)
                r = notif_recv(t.listener, &n, NOTIF_TIMEOUT_MS);
        if (r == 0)
                r = pin_install(t.listener, n.id, mfd, PG, &a);
        if (!tap_ok(r == 0, "%s: notification and pin (%s)", name, errname(r))) {
                if (mfd >= 0)
                        target_kill(&t);
                return;
        }
        rr = redirect_new(n.id);
        redirect_ptr(&rr, 2, a, sizeof(short_sleep), mfd);
        r = send_redirect(t.listener, &rr);
        tap_ok(r == 0, "%s: SEND_REDIRECT of the timespec accepted (%s)", name, errname(r));
        usleep(500 * 1000);
        kill(t.pid, SIGSTOP);
        r = waitpid(t.pid, &st, WUNTRACED) == t.pid && WIFSTOPPED(st) ? 0 : -errno;
        usleep(300 * 1000);
        kill(t.pid, SIGCONT);
        tap_ok(r == 0, "%s: the target stopped in the sleep (%s)", name, errname(r));
        p = (struct pollfd) { .fd = t.listener, .events = POLLIN };
        /* POLLHUP once the target has exited; POLLIN would be a second notification. */
        r = poll(&p, 1, 3000);
        st = target_wait(&t);
        tap_ok(r >= 0 && !(p.revents & POLLIN) && WIFEXITED(st) && shm->done && shm->ret == 0,
               "%s: restart_syscall finished the sleep without a new notification (%s, ret=%ld, revents=%#x)", name,
               status_str(st), shm->ret, p.revents);
        tap_ok(shm->v[6] >= 1900 && shm->v[6] < 6000,
               "%s: it slept the substituted 2 s, not the task's 8 s (%ld ms)", name, shm->v[6]);
        tap_ok(shm->v[7] == 1, "%s: the six registers are the task's own afterwards", name);
        close(mfd);
}

static int body_traced(void *arg, int ctl)
{
        sync_recv(ctl);
        shm->ret = syscall(__NR_getpgid, 0);
        shm->err = errno;
        shm->done = 1;
        return 0;
}

static void case_ptrace_exit_stop(void)
{
        const char *name = "ptrace syscall-exit stop of a redirected getpgid";
        struct user_regs_struct entry = {}, exit_ = {};
        struct target t;
        int r, st = 0, stops = 0;
        bool exited = false;

        shared_reset();
        r = target_start(&t, __NR_getpgid, REDIRECT_LISTENER, NULL, body_traced, NULL);
        if (r == 0)
                r = ptrace(PTRACE_SEIZE, t.pid, 0, PTRACE_O_TRACESYSGOOD) < 0 ? -errno : 0;
        if (r == 0)
                r = ptrace(PTRACE_INTERRUPT, t.pid, 0, 0) < 0 ? -errno : 0;
        if (!tap_ok(r == 0, "%s: target seized (%s)", name, errname(r))) {
                target_kill(&t);
                return;
        }
        sync_send(t.ctl);
        for (int spins = 0; !exited && spins < 3000; spins++) {
                struct seccomp_notif n;
                pid_t w;

                if (notif_recv(t.listener, &n, 10) == 0) {
                        struct seccomp_notif_resp_redirect rr = redirect_new(n.id);

                        redirect_arg(&rr, 0, MAGIC);
                        send_redirect(t.listener, &rr);
                }
                w = waitpid(t.pid, &st, WNOHANG | __WALL);
                if (w != t.pid)
                        continue;
                if (WIFEXITED(st) || WIFSIGNALED(st)) {
                        exited = true;
                        break;
                }
                if (WIFSTOPPED(st) && WSTOPSIG(st) == (SIGTRAP | 0x80)) {
                        struct user_regs_struct regs = {};

                        ptrace(PTRACE_GETREGS, t.pid, 0, &regs);
                        if (regs.orig_rax == __NR_getpgid) {
                                if (stops++ % 2 == 0)
                                        entry = regs;
                                else
                                        exit_ = regs;
                        }
                }
                ptrace(PTRACE_SYSCALL, t.pid, 0,
                       WIFSTOPPED(st) && WSTOPSIG(st) != (SIGTRAP | 0x80) && WSTOPSIG(st) != SIGTRAP &&
                                       st >> 16 == 0 ? WSTOPSIG(st) : 0);
        }
        t.pid = exited ? -1 : t.pid;
        target_kill(&t);
        tap_ok(exited && shm->done && shm->ret == -1 && shm->err == ESRCH,
               "%s: the rewritten call ran (ESRCH) (%s, errno=%s)", name, status_str(st), errname(shm->err));
        tap_ok(stops == 2 && entry.rdi == 0 && exit_.rdi == 0 && (long) exit_.rax == -ESRCH,
               "%s: entry and exit stops show rdi=0, the exit stop rax=-ESRCH (stops=%d, rdi=%#llx/%#llx, rax=%lld)",
               name, stops, entry.rdi, exit_.rdi, (long long) exit_.rax);
}

#define CORE_PATTERN "/tmp/srd-core.%p"

/* Outer: KILL_PROCESS for getpgid(MAGIC); and let the target dump core. */
static int setup_kill_magic(void *arg, int ctl)
{
        struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
        struct sock_filter f[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getpgid, 0, 3),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, MAGIC, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };

        if (setrlimit(RLIMIT_CORE, &rl) < 0 || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
                return -errno;
        return filter_install(f, ELEMENTSOF(f), 0);
}

static int body_getpgid(void *arg, int ctl)
{
        shm->ret = syscall(__NR_getpgid, 0);
        shm->done = 1;
        return 0;
}

/* The NT_PRSTATUS registers of a core file; -errno, or 0. */
static int core_regs(const char *path, struct user_regs_struct *regs)
{
        static char buf[1 << 20];
        const Elf64_Ehdr *eh = (const void *) buf;
        ssize_t n;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf));
        close(fd);
        if (n < (ssize_t) sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
            eh->e_phoff + (size_t) eh->e_phnum * sizeof(Elf64_Phdr) > (size_t) n)
                return -EBADMSG;
        for (int i = 0; i < eh->e_phnum; i++) {
                const Elf64_Phdr *ph = (const void *) (buf + eh->e_phoff + i * sizeof(Elf64_Phdr));
                size_t off = ph->p_offset, end = ph->p_offset + ph->p_filesz;

                if (ph->p_type != PT_NOTE || end > (size_t) n)
                        continue;
                while (off + sizeof(Elf64_Nhdr) <= end) {
                        const Elf64_Nhdr *nh = (const void *) (buf + off);
                        size_t desc = off + sizeof(*nh) + ((nh->n_namesz + 3) & ~3u);

                        if (desc + nh->n_descsz > end)
                                break;
                        if (nh->n_type == NT_PRSTATUS && nh->n_descsz >= sizeof(struct elf_prstatus)) {
                                const struct elf_prstatus *ps = (const void *) (buf + desc);

                                memcpy(regs, &ps->pr_reg, sizeof(*regs));
                                return 0;
                        }
                        off = desc + ((nh->n_descsz + 3) & ~3u);
                }
        }
        return -ENOENT;
}

static void case_core_dump(void)
{
        const char *name = "core dump after an outer KILL_PROCESS of the rewritten getpgid";
        struct seccomp_notif_resp_redirect rr;
        struct user_regs_struct regs = {};
        struct seccomp_notif n;
        struct target t;
        char path[64];
        pid_t pid;
        int r, st, fd;

        fd = open("/proc/sys/kernel/core_pattern", O_WRONLY | O_CLOEXEC);
        r = fd >= 0 && write(fd, CORE_PATTERN, strlen(CORE_PATTERN)) == (ssize_t) strlen(CORE_PATTERN) ? 0 : -errno;
        if (fd >= 0)
                close(fd);
        if (!tap_ok(r == 0, "%s: core_pattern set (%s)", name, errname(r)))
                return;
        shared_reset();
        r = target_start(&t, __NR_getpgid, REDIRECT_LISTENER, setup_kill_magic, body_getpgid, NULL);
        if (r == 0)
                r = notif_recv(t.listener, &n, NOTIF_TIMEOUT_MS);
        if (!tap_ok(r == 0, "%s: notification (%s)", name, errname(r))) {
                target_kill(&t);
                return;
        }
        pid = t.pid;
        rr = redirect_new(n.id);
        redirect_arg(&rr, 0, MAGIC);
        r = send_redirect(t.listener, &rr);
        st = target_wait(&t);
        if (!tap_ok(r == 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS && WCOREDUMP(st),
                    "%s: killed by SIGSYS with a core dump (%s, %s)", name, errname(r), status_str(st)))
                return;
        snprintf(path, sizeof(path), "/tmp/srd-core.%d", (int) pid);
        r = core_regs(path, &regs);
        tap_ok(r == 0 && regs.rdi == 0 && regs.orig_rax == __NR_getpgid,
               "%s: the dump's registers are the task's: rdi=0, not MAGIC (%s, rdi=%#llx, orig_rax=%lld)", name,
               errname(r), regs.rdi, (long long) regs.orig_rax);
        unlink(path);
}

/*
 * Sends one audit netlink request and returns the kernel's ack (0 or
 * -errno), skipping the records that reach us meanwhile as the audit
 * daemon.
 */
static int audit_request(int fd, int type, const void *data, size_t len)
{
        static unsigned seq;
        union {
                struct nlmsghdr nh;
                char buf[NLMSG_SPACE(sizeof(struct audit_rule_data))];
        } m = {};
        union {
                struct nlmsghdr nh;
                char buf[8192];
        } ack;
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

        if (NLMSG_LENGTH(len) > sizeof(m))
                return -E2BIG;
        m.nh.nlmsg_len = NLMSG_LENGTH(len);
        m.nh.nlmsg_type = type;
        m.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
        m.nh.nlmsg_seq = ++seq;
        memcpy(NLMSG_DATA(&m.nh), data, len);
        if (sendto(fd, &m, m.nh.nlmsg_len, 0, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        for (int i = 0; i < 100; i++) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;

                if (poll(&p, 1, 2000) <= 0)
                        return -ETIMEDOUT;
                n = recv(fd, &ack, sizeof(ack), 0);
                if (n < 0)
                        return -errno;
                if (n >= (ssize_t) NLMSG_LENGTH(sizeof(struct nlmsgerr)) && ack.nh.nlmsg_type == NLMSG_ERROR &&
                    ack.nh.nlmsg_seq == seq)
                        return ((struct nlmsgerr *) NLMSG_DATA(&ack.nh))->error;
        }
        return -EPROTO;
}

/*
 * Enabled, and records sent to us instead of the rate-limited kernel log
 * (earlier tests of the same boot fill its budget with seccomp records).
 */
static int audit_enable(int fd, bool on)
{
        struct audit_status st = {
                .mask = AUDIT_STATUS_ENABLED | AUDIT_STATUS_PID,
                .enabled = on,
                .pid = on ? (uint32_t) getpid() : 0,
        };

        return audit_request(fd, AUDIT_SET, &st, sizeof(st));
}

/* An exit,always rule for x86_64 getpgid. */
static int audit_rule(int fd, int type)
{
        struct audit_rule_data rule = {
                .flags = AUDIT_FILTER_EXIT,
                .action = AUDIT_ALWAYS,
                .field_count = 1,
                .fields = { AUDIT_ARCH },
                .values = { AUDIT_ARCH_X86_64 },
                .fieldflags = { AUDIT_EQUAL },
        };

        rule.mask[__NR_getpgid / 32] |= 1u << (__NR_getpgid % 32);
        return audit_request(fd, type, &rule, sizeof(rule));
}

/* Waits for the SYSCALL record of getpgid by pid on the audit socket; copies it to line. */
static bool audit_syscall_record(int fd, pid_t pid, char *line, size_t size)
{
        char pidstr[32];
        union {
                struct nlmsghdr nh;
                char buf[8192];
        } m;

        snprintf(pidstr, sizeof(pidstr), " pid=%d ", (int) pid);
        for (int i = 0; i < 200; i++) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;
                char *text;

                if (poll(&p, 1, 3000) <= 0)
                        return false;
                n = recv(fd, &m, sizeof(m) - 1, 0);
                if (n < (ssize_t) NLMSG_HDRLEN || m.nh.nlmsg_type != AUDIT_SYSCALL)
                        continue;
                text = NLMSG_DATA(&m.nh);
                ((char *) &m)[n] = 0;
                if (strstr(text, " syscall=121 ") && strstr(text, pidstr)) {
                        snprintf(line, size, "%s", text);
                        return true;
                }
        }
        return false;
}

static void case_audit(void)
{
        const char *name = "audit SYSCALL record of a redirected getpgid";
        struct seccomp_notif_resp_redirect rr;
        struct seccomp_notif n;
        struct target t;
        char line[1024] = "";
        int afd, r, st;
        pid_t pid;
        bool found;

        afd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
        r = afd < 0 ? -errno : 0;
        if (r == 0)
                r = audit_enable(afd, true);
        if (r == 0)
                r = audit_rule(afd, AUDIT_ADD_RULE);
        if (!tap_ok(r == 0, "%s: audit enabled with an exit,always rule for getpgid (%s)", name, errname(r)))
                goto out;
        shared_reset();
        r = target_start(&t, __NR_getpgid, REDIRECT_LISTENER, NULL, body_getpgid, NULL);
        if (r == 0)
                r = notif_recv(t.listener, &n, NOTIF_TIMEOUT_MS);
        if (!tap_ok(r == 0, "%s: notification (%s)", name, errname(r))) {
                target_kill(&t);
                goto out_rule;
        }
        pid = t.pid;
        rr = redirect_new(n.id);
        redirect_arg(&rr, 0, MAGIC);
        r = send_redirect(t.listener, &rr);
        st = target_wait(&t);
        found = audit_syscall_record(afd, pid, line, sizeof(line));
        tap_ok(r == 0 && WIFEXITED(st) && found && strstr(line, " a0=5eed0 ") && strstr(line, " exit=-3 "),
               "%s: the record shows a0=5eed0 and exit=-3 (ESRCH), what ran (%s, %s: %s)", name, errname(r),
               status_str(st), found ? line : "no record");
out_rule:
        audit_rule(afd, AUDIT_DEL_RULE);
        audit_enable(afd, false);
out:
        if (afd >= 0)
                close(afd);
}

int main(void)
{
        int mfd;

        shared_init();
        mfd = memfd_pin("pin", 4, PG);
        if (!tap_ok(mfd >= 0, "sealed memfd (%s)", mfd >= 0 ? "ok" : errname(mfd)))
                return tap_done();
        case_killed(mfd);
        case_clone();
        case_restart_block();
        case_ptrace_exit_stop();
        case_core_dump();
        case_audit();
        close(mfd);
        return tap_done();
}
