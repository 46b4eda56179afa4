/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Outer-filter re-validation of a redirected syscall (patch 4 of the
 * series, shared/seeds/000_*): every verdict an outer filter can return on
 * the substituted registers, and a stack deeper than 30 filters.
 *
 * The target calls getpgid(0), which outer filters allow; the inner
 * REDIRECT notifier's supervisor rewrites the argument to MAGIC, a pid
 * that does not exist, which outer filters act on. If the rewritten call
 * gets through it fails with ESRCH.
 *
 * A plain CONTINUE on the REDIRECT listener is judged the same way, on the
 * unchanged registers: with an outer listener on the same syscall (the
 * inner filter wins the first pass's tie) the outer listener must still be
 * asked. And a second, different redirect in the recheck after a TRACE
 * stop must reach the tracer and the filters outer to it.
 *
 * With SRD_EXPECT_HOLE=1 (the negative-control kernel without patch 4)
 * every case asserts the opposite: the redirect or the CONTINUE bypasses
 * the outer filter.
 */
#include <pthread.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <time.h>

#include "redirect-test.h"

#define NR __NR_getpgid
#define MAGIC 0x5eed0u
#define MAGIC2 0x5eed1u
#define TRAP_DATA 0x2a
#define TRACE_DATA 0x77
#define AUDIT_SECCOMP_RECORD "type=1326"

static int body_getpgid(void *arg, int ctl)
{
        if (arg)
                sync_recv(ctl); /* wait until the tracer is attached */
        shm->ret = syscall(NR, 0);
        shm->err = errno;
        shm->done = 1;
        return 0;
}

/* Receives the inner notification and redirects getpgid's pid to MAGIC. */
static int redirect_magic(struct target *t)
{
        struct seccomp_notif n;
        struct seccomp_notif_resp_redirect r;
        int k;

        k = notif_recv(t->listener, &n, NOTIF_TIMEOUT_MS);
        if (k < 0)
                return k;
        if (n.data.nr != NR || n.data.args[0] != 0)
                return -EPROTO;
        r = redirect_new(n.id);
        redirect_arg(&r, 0, MAGIC);
        return send_redirect(t->listener, &r);
}

static int root_errno_exdev(void)
{
        return filter_install_match(NR, 0, MAGIC, SECCOMP_RET_ERRNO | EXDEV, 0);
}

static int setup_allow(void *arg, int ctl)
{
        int r = root_errno_exdev();

        return r < 0 ? r : filter_install_match(NR, 0, MAGIC, SECCOMP_RET_ALLOW, 0);
}

static int setup_log(void *arg, int ctl)
{
        int r = root_errno_exdev();

        return r < 0 ? r : filter_install_match(NR, 0, MAGIC, SECCOMP_RET_LOG, 0);
}

static int setup_errno(void *arg, int ctl)
{
        return root_errno_exdev();
}

static int setup_trap(void *arg, int ctl)
{
        return filter_install_match(NR, 0, MAGIC, SECCOMP_RET_TRAP | TRAP_DATA, 0);
}

static int setup_kill_thread(void *arg, int ctl)
{
        return filter_install_match(NR, 0, MAGIC, SECCOMP_RET_KILL_THREAD, 0);
}

static int setup_kill_process(void *arg, int ctl)
{
        return filter_install_match(NR, 0, MAGIC, SECCOMP_RET_KILL_PROCESS, 0);
}

static int setup_trace(void *arg, int ctl)
{
        return filter_install_match(NR, 0, MAGIC, SECCOMP_RET_TRACE | TRACE_DATA, 0);
}

/* root ERRNO(EXDEV) on MAGIC, then an outer notifier on MAGIC (returned). */
static int setup_outer_notif(void *arg, int ctl)
{
        int r = root_errno_exdev();

        return r < 0 ? r : filter_install_match(NR, 0, MAGIC, SECCOMP_RET_USER_NOTIF, SECCOMP_FILTER_FLAG_NEW_LISTENER);
}

/* An outer listener on every getpgid, whatever its argument (returned). */
static int setup_outer_notif_all(void *arg, int ctl)
{
        return filter_install_nr(NR, SECCOMP_RET_USER_NOTIF, SECCOMP_FILTER_FLAG_NEW_LISTENER);
}

/* RET_TRACE on every getpgid; without a tracer that is ENOSYS. */
static int setup_trace_all(void *arg, int ctl)
{
        return filter_install_nr(NR, SECCOMP_RET_TRACE | TRACE_DATA, 0);
}

/* root ERRNO(EXDEV) on getpgid(MAGIC2), then TRACE on every getpgid. */
static int setup_trace_then_errno2(void *arg, int ctl)
{
        int r = filter_install_match(NR, 0, MAGIC2, SECCOMP_RET_ERRNO | EXDEV, 0);

        return r < 0 ? r : setup_trace_all(arg, ctl);
}

#define DEEP_FILLERS 40

/* root ERRNO(EXDEV) on MAGIC below 40 filters that allow getpgid(MAGIC). */
static int setup_deep(void *arg, int ctl)
{
        int r = root_errno_exdev();

        for (unsigned i = 0; r >= 0 && i < DEEP_FILLERS; i++)
                r = i % 2 ? filter_install_match(NR, 1, 0xdead0000u + i, SECCOMP_RET_ERRNO | EPERM, 0)
                          : filter_install_match(NR, 0, MAGIC, i % 4 ? SECCOMP_RET_LOG : SECCOMP_RET_ALLOW, 0);
        return r;
}

static bool start(const char *name, struct target *t, target_fn setup, target_fn body, void *arg)
{
        int r;

        shared_reset();
        r = target_start(t, NR, REDIRECT_LISTENER, setup, body, arg);
        if (!tap_ok(r == 0, "%s: target with its filter stack set up (%s)", name, errname(r))) {
                target_kill(t);
                return false;
        }
        return true;
}

static bool redirect(const char *name, struct target *t)
{
        int r = redirect_magic(t);

        if (!tap_ok(r == 0, "%s: SEND_REDIRECT of getpgid(0) to getpgid(MAGIC) accepted (%s)", name, errname(r))) {
                target_kill(t);
                return false;
        }
        return true;
}

/* The outcome when the rewritten syscall bypassed the outer filters. */
static bool got_through(int st)
{
        return WIFEXITED(st) && WEXITSTATUS(st) == 0 && shm->done && shm->ret == -1 && shm->err == ESRCH;
}

static void check_errno_result(const char *name, int st, int want)
{
        if (expect_hole())
                want = ESRCH;
        tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && shm->done && shm->ret == -1 && shm->err == want,
               "%s: redirected call fails with %s (%s, ret=%ld errno=%s)", name, errname(want), status_str(st),
               shm->ret, errname(shm->err));
}

/* ALLOW, ERRNO and a deep stack: the outcome is an errno. */
static void case_errno(const char *name, target_fn setup, int want)
{
        struct target t;

        if (!start(name, &t, setup, body_getpgid, NULL) || !redirect(name, &t))
                return;
        check_errno_result(name, target_wait(&t), want);
}

/* Looks for the audit record of a SECCOMP_RET_LOG of NR by pid. */
static bool kmsg_has_log(int kfd, pid_t pid, int wait_ms)
{
        char pidstr[32], nrstr[32], buf[8192];
        struct timespec ts;
        long deadline;

        snprintf(pidstr, sizeof(pidstr), " pid=%d ", (int) pid);
        snprintf(nrstr, sizeof(nrstr), " syscall=%d ", NR);
        clock_gettime(CLOCK_MONOTONIC, &ts);
        deadline = ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + wait_ms;
        for (;;) {
                ssize_t n = read(kfd, buf, sizeof(buf) - 1);

                if (n > 0) {
                        buf[n] = 0;
                        if (strstr(buf, AUDIT_SECCOMP_RECORD) && strstr(buf, pidstr) && strstr(buf, nrstr) &&
                            strstr(buf, "code=0x7ffc0000"))
                                return true;
                        continue;
                }
                if (n < 0 && errno == EPIPE)
                        continue;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                if (ts.tv_sec * 1000 + ts.tv_nsec / 1000000 > deadline)
                        return false;
                usleep(50 * 1000);
        }
}

static void case_log(void)
{
        const char *name = "LOG logs and the walk continues to the root's ERRNO";
        struct target t;
        pid_t pid;
        int kfd, st;
        bool logged;

        kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (kfd < 0 || lseek(kfd, 0, SEEK_END) < 0) {
                tap_ok(false, "LOG: open /dev/kmsg (%s)", errname(errno));
                return;
        }
        if (!start(name, &t, setup_log, body_getpgid, NULL) || !redirect(name, &t)) {
                close(kfd);
                return;
        }
        pid = t.pid;
        st = target_wait(&t);
        check_errno_result(name, st, EXDEV);
        logged = kmsg_has_log(kfd, pid, 3000);
        tap_ok(logged != expect_hole(), "%s: the outer LOG filter %s an audit record for getpgid(MAGIC)", name,
               expect_hole() ? "did not emit" : "emitted");
        close(kfd);
}

static volatile int trap_hit, trap_syscall, trap_data;
static volatile long trap_rdi = -1;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
        trap_hit = 1;
        trap_syscall = si->si_syscall;
        trap_data = si->si_errno;
        trap_rdi = ((ucontext_t *) uc)->uc_mcontext.gregs[REG_RDI];
}

static int body_trap(void *arg, int ctl)
{
        struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

        sigaction(SIGSYS, &sa, NULL);
        body_getpgid(NULL, ctl);
        shm->v[0] = trap_hit;
        shm->v[1] = trap_syscall;
        shm->v[2] = trap_data;
        shm->v[3] = trap_rdi;
        return 0;
}

static void case_trap(void)
{
        const char *name = "TRAP";
        struct target t;
        int st;

        if (!start(name, &t, setup_trap, body_trap, NULL) || !redirect(name, &t))
                return;
        st = target_wait(&t);
        if (expect_hole())
                tap_ok(got_through(st) && !shm->v[0], "%s: no SIGSYS, the rewritten call ran (%s, errno=%s)", name,
                       status_str(st), errname(shm->err));
        else
                tap_ok(WIFEXITED(st) && shm->v[0] == 1 && shm->v[1] == NR && shm->v[2] == TRAP_DATA && shm->v[3] == 0,
                       "%s: SIGSYS for getpgid with the filter's data, the handler sees the task's rdi=0, not MAGIC "
                       "(%s, hit=%ld syscall=%ld data=%ld rdi=%#lx)",
                       name, status_str(st), shm->v[0], shm->v[1], shm->v[2], shm->v[3]);
}

static void *thread_getpgid(void *p)
{
        body_getpgid(NULL, -1);
        shm->v[0] = 1; /* the thread came back from the syscall */
        return NULL;
}

static int body_kill_thread(void *arg, int ctl)
{
        pthread_t th;

        if (pthread_create(&th, NULL, thread_getpgid, NULL) != 0)
                return 3;
        pthread_join(th, NULL);
        shm->v[1] = 1; /* the process survived */
        return 0;
}

static void case_kill_thread(void)
{
        const char *name = "KILL_THREAD";
        struct target t;
        int st;

        if (!start(name, &t, setup_kill_thread, body_kill_thread, NULL) || !redirect(name, &t))
                return;
        st = target_wait(&t);
        if (expect_hole())
                tap_ok(got_through(st) && shm->v[0] == 1, "%s: the thread survived, the rewritten call ran (%s, errno=%s)",
                       name, status_str(st), errname(shm->err));
        else
                tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && shm->v[0] == 0 && shm->v[1] == 1,
                       "%s: only the calling thread died (%s, thread returned=%ld, process survived=%ld)", name,
                       status_str(st), shm->v[0], shm->v[1]);
}

static void case_kill_process(void)
{
        const char *name = "KILL_PROCESS";
        struct target t;
        int st;

        if (!start(name, &t, setup_kill_process, body_getpgid, NULL) || !redirect(name, &t))
                return;
        st = target_wait(&t);
        if (expect_hole())
                tap_ok(got_through(st), "%s: the process survived, the rewritten call ran (%s, errno=%s)", name,
                       status_str(st), errname(shm->err));
        else
                tap_ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS && !shm->done,
                       "%s: the process was killed by SIGSYS (%s)", name, status_str(st));
}

/*
 * The supervisor is also the tracer. After the tracer resumes a seccomp
 * stop the kernel re-runs the whole stack on the (rewritten) registers,
 * so the inner notifier fires once more; that one is just continued.
 */
static void case_trace(void)
{
        const char *name = "TRACE";
        struct target t;
        int st = 0, r, notifs = 0, events = 0;
        unsigned long msg = 0;
        struct user_regs_struct regs = {};
        bool exited = false;

        if (!start(name, &t, setup_trace, body_getpgid, (void *) 1))
                return;
        r = ptrace(PTRACE_SEIZE, t.pid, 0, PTRACE_O_TRACESECCOMP) < 0 ? -errno : 0;
        if (!tap_ok(r == 0, "%s: PTRACE_SEIZE (%s)", name, errname(r))) {
                target_kill(&t);
                return;
        }
        sync_send(t.ctl);
        if (!redirect(name, &t))
                return;
        notifs = 1;
        for (int spins = 0; !exited && spins < 2000; spins++) {
                struct seccomp_notif n;
                pid_t w;

                if (notif_recv(t.listener, &n, 10) == 0) {
                        notifs++;
                        notif_continue(t.listener, n.id);
                }
                w = waitpid(t.pid, &st, WNOHANG | __WALL);
                if (w != t.pid)
                        continue;
                if (WIFEXITED(st) || WIFSIGNALED(st)) {
                        exited = true;
                        break;
                }
                if (WIFSTOPPED(st) && st >> 8 == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8))) {
                        events++;
                        ptrace(PTRACE_GETEVENTMSG, t.pid, 0, &msg);
                        ptrace(PTRACE_GETREGS, t.pid, 0, &regs);
                }
                ptrace(PTRACE_CONT, t.pid, 0, WIFSTOPPED(st) && WSTOPSIG(st) != SIGTRAP ? WSTOPSIG(st) : 0);
        }
        t.pid = exited ? -1 : t.pid;
        target_kill(&t);
        if (expect_hole())
                tap_ok(exited && got_through(st) && events == 0,
                       "%s: no seccomp trace stop, the rewritten call ran (%s, stops=%d, errno=%s)", name,
                       status_str(st), events, errname(shm->err));
        else
                tap_ok(exited && events == 1 && msg == TRACE_DATA && regs.orig_rax == NR && regs.rdi == MAGIC,
                       "%s: one PTRACE_EVENT_SECCOMP stop with the filter's data on getpgid(MAGIC) (%s, stops=%d, "
                       "msg=%#lx, orig_rax=%llu, rdi=%#llx, notifications=%d)",
                       name, status_str(st), events, msg, regs.orig_rax, regs.rdi, notifs);
}

static void case_outer_notif(bool answer_continue)
{
        const char *name = answer_continue ? "outer USER_NOTIF answering CONTINUE, walk goes on to the root's ERRNO"
                                           : "outer USER_NOTIF answering an errno";
        struct target t;
        struct seccomp_notif n;
        int st, r;

        if (!start(name, &t, setup_outer_notif, body_getpgid, NULL))
                return;
        if (!tap_ok(t.extra_fd >= 0, "%s: outer listener handed over", name)) {
                target_kill(&t);
                return;
        }
        if (!redirect(name, &t))
                return;
        if (expect_hole()) {
                /* Bounded: on a kernel with the re-validation the target waits for the outer answer. */
                for (int i = 0; !shm->done && i < NOTIF_TIMEOUT_MS / 10; i++)
                        usleep(10 * 1000);
                r = notif_recv(t.extra_fd, &n, 0);
                if (!shm->done)
                        kill(t.pid, SIGKILL);
                st = target_wait(&t);
                tap_ok(got_through(st) && r < 0, "%s: the outer listener saw nothing, the rewritten call ran "
                       "(%s, errno=%s, outer recv=%s)", name, status_str(st), errname(shm->err), errname(r));
                return;
        }
        r = notif_recv(t.extra_fd, &n, NOTIF_TIMEOUT_MS);
        if (!tap_ok(r == 0 && n.data.nr == NR && n.data.args[0] == MAGIC,
                    "%s: outer listener notified of getpgid(MAGIC) (%s, nr=%d, arg0=%#llx)", name, errname(r),
                    r == 0 ? n.data.nr : -1, r == 0 ? (unsigned long long) n.data.args[0] : 0ULL)) {
                target_kill(&t);
                return;
        }
        r = answer_continue ? notif_continue(t.extra_fd, n.id) : notif_send(t.extra_fd, n.id, -EL2HLT, 0);
        tap_ok(r == 0, "%s: outer answer accepted (%s)", name, errname(r));
        check_errno_result(name, target_wait(&t), answer_continue ? EXDEV : EL2HLT);
}

/* Receives the inner notification of getpgid(0) and answers a plain CONTINUE. */
static int continue_plain(struct target *t)
{
        struct seccomp_notif n;
        int k;

        k = notif_recv(t->listener, &n, NOTIF_TIMEOUT_MS);
        if (k < 0)
                return k;
        if (n.data.nr != NR || n.data.args[0] != 0)
                return -EPROTO;
        return notif_continue(t->listener, n.id);
}

/* The unchanged getpgid(0) ran: it returned the target's process group. */
static bool plain_got_through(int st)
{
        return WIFEXITED(st) && WEXITSTATUS(st) == 0 && shm->done && shm->ret >= 0;
}

static bool plain_continue(const char *name, struct target *t)
{
        int r = continue_plain(t);

        if (!tap_ok(r == 0, "%s: plain CONTINUE of getpgid(0) on the REDIRECT listener accepted (%s)", name,
                    errname(r))) {
                target_kill(t);
                return false;
        }
        return true;
}

/*
 * Both filters notify every getpgid; the inner REDIRECT listener wins the
 * tie and answers a plain CONTINUE. The outer listener must get the
 * syscall all the same, or a task could hide its syscalls from a container
 * manager's listener by installing a REDIRECT listener of its own.
 */
static void case_plain_continue_outer_notif(bool answer_continue)
{
        const char *name = answer_continue ? "plain CONTINUE, outer listener on the same syscall answers CONTINUE"
                                           : "plain CONTINUE, outer listener on the same syscall answers an errno";
        struct target t;
        struct seccomp_notif n;
        int st, r;

        if (!start(name, &t, setup_outer_notif_all, body_getpgid, NULL))
                return;
        if (!tap_ok(t.extra_fd >= 0, "%s: outer listener handed over", name)) {
                target_kill(&t);
                return;
        }
        if (!plain_continue(name, &t))
                return;
        if (expect_hole()) {
                for (int i = 0; !shm->done && i < NOTIF_TIMEOUT_MS / 10; i++)
                        usleep(10 * 1000);
                r = notif_recv(t.extra_fd, &n, 0);
                if (!shm->done)
                        kill(t.pid, SIGKILL);
                st = target_wait(&t);
                tap_ok(plain_got_through(st) && r < 0,
                       "%s: the outer listener saw nothing, getpgid(0) ran (%s, ret=%ld, outer recv=%s)", name,
                       status_str(st), shm->ret, errname(r));
                return;
        }
        r = notif_recv(t.extra_fd, &n, NOTIF_TIMEOUT_MS);
        if (!tap_ok(r == 0 && n.data.nr == NR && n.data.args[0] == 0,
                    "%s: outer listener notified of getpgid(0) (%s, nr=%d, arg0=%#llx)", name, errname(r),
                    r == 0 ? n.data.nr : -1, r == 0 ? (unsigned long long) n.data.args[0] : 0ULL)) {
                target_kill(&t);
                return;
        }
        r = answer_continue ? notif_continue(t.extra_fd, n.id) : notif_send(t.extra_fd, n.id, -EL2HLT, 0);
        tap_ok(r == 0, "%s: outer answer accepted (%s)", name, errname(r));
        st = target_wait(&t);
        if (answer_continue)
                tap_ok(plain_got_through(st), "%s: getpgid(0) ran (%s, ret=%ld errno=%s)", name, status_str(st),
                       shm->ret, errname(shm->err));
        else
                tap_ok(WIFEXITED(st) && shm->done && shm->ret == -1 && shm->err == EL2HLT,
                       "%s: getpgid(0) fails with the outer listener's EL2HLT (%s, ret=%ld errno=%s)", name,
                       status_str(st), shm->ret, errname(shm->err));
}

/*
 * An outer RET_TRACE loses the first pass to the inner USER_NOTIF; with no
 * tracer attached it means ENOSYS, which a plain CONTINUE must not skip.
 */
static void case_plain_continue_outer_trace(void)
{
        const char *name = "plain CONTINUE, outer TRACE without a tracer";
        struct target t;
        int st;

        if (!start(name, &t, setup_trace_all, body_getpgid, NULL) || !plain_continue(name, &t))
                return;
        st = target_wait(&t);
        if (expect_hole())
                tap_ok(plain_got_through(st), "%s: no ENOSYS, getpgid(0) ran (%s, ret=%ld errno=%s)", name,
                       status_str(st), shm->ret, errname(shm->err));
        else
                tap_ok(WIFEXITED(st) && shm->done && shm->ret == -1 && shm->err == ENOSYS,
                       "%s: getpgid(0) fails with ENOSYS (%s, ret=%ld errno=%s)", name, status_str(st), shm->ret,
                       errname(shm->err));
}

/* getpgid(0) -> MAGIC; in the recheck MAGIC -> MAGIC2; anything else CONTINUE. */
static int answer_redirect_twice(int listener, const struct seccomp_notif *n)
{
        struct seccomp_notif_resp_redirect r = redirect_new(n->id);

        if (n->data.args[0] == 0)
                redirect_arg(&r, 0, MAGIC);
        else if (n->data.args[0] == MAGIC)
                redirect_arg(&r, 0, MAGIC2);
        else
                return notif_continue(listener, n->id);
        return send_redirect(listener, &r);
}

/*
 * Root ERRNO(EXDEV) on getpgid(MAGIC2), TRACE on every getpgid, the inner
 * REDIRECT listener. The supervisor (also the tracer) redirects getpgid(0)
 * to MAGIC; the walk meets TRACE and the tracer sees MAGIC; in the recheck
 * the listener is notified again and now redirects to MAGIC2. That second
 * substitution must not pass on the strength of the first trace stop: the
 * tracer must see it, and the root must judge it (EXDEV).
 */
static void case_trace_recheck_redirect(void)
{
        const char *name = "TRACE, then a different redirect in the post-trace recheck";
        unsigned long long rdi[4] = {};
        struct target t;
        int st = 0, r, notifs = 0, events = 0;
        bool exited = false;

        if (!start(name, &t, setup_trace_then_errno2, body_getpgid, (void *) 1))
                return;
        r = ptrace(PTRACE_SEIZE, t.pid, 0, PTRACE_O_TRACESECCOMP) < 0 ? -errno : 0;
        if (!tap_ok(r == 0, "%s: PTRACE_SEIZE (%s)", name, errname(r))) {
                target_kill(&t);
                return;
        }
        sync_send(t.ctl);
        for (int spins = 0; !exited && spins < 3000; spins++) {
                struct seccomp_notif n;
                pid_t w;

                if (notif_recv(t.listener, &n, 10) == 0) {
                        notifs++;
                        r = answer_redirect_twice(t.listener, &n);
                        if (r < 0)
                                tap_diag("%s: answer to arg0=%#llx failed: %s", name,
                                         (unsigned long long) n.data.args[0], errname(r));
                }
                w = waitpid(t.pid, &st, WNOHANG | __WALL);
                if (w != t.pid)
                        continue;
                if (WIFEXITED(st) || WIFSIGNALED(st)) {
                        exited = true;
                        break;
                }
                if (WIFSTOPPED(st) && st >> 8 == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8))) {
                        struct user_regs_struct regs = {};

                        ptrace(PTRACE_GETREGS, t.pid, 0, &regs);
                        if (events < (int) ELEMENTSOF(rdi))
                                rdi[events] = regs.rdi;
                        events++;
                }
                ptrace(PTRACE_CONT, t.pid, 0, WIFSTOPPED(st) && WSTOPSIG(st) != SIGTRAP ? WSTOPSIG(st) : 0);
        }
        t.pid = exited ? -1 : t.pid;
        target_kill(&t);
        if (expect_hole())
                tap_ok(exited && got_through(st) && events == 0,
                       "%s: no trace stop, getpgid(MAGIC) ran (%s, stops=%d, errno=%s)", name, status_str(st),
                       events, errname(shm->err));
        else
                tap_ok(exited && WIFEXITED(st) && shm->done && shm->ret == -1 && shm->err == EXDEV && events == 2 &&
                               rdi[0] == MAGIC && rdi[1] == MAGIC2,
                       "%s: the tracer sees getpgid(MAGIC), then getpgid(MAGIC2), and the root's ERRNO applies "
                       "(%s, ret=%ld errno=%s, stops=%d, rdi=%#llx,%#llx, notifications=%d)",
                       name, status_str(st), shm->ret, errname(shm->err), events, rdi[0], rdi[1], notifs);
}

/* Nothing outer: the call runs, and the notifying filter is not asked again. */
static void case_no_outer(void)
{
        const char *name = "no outer filter";
        struct target t;
        struct pollfd p;
        int st;

        if (!start(name, &t, NULL, body_getpgid, NULL) || !redirect(name, &t))
                return;
        for (int i = 0; !shm->done && i < 2000; i++)
                usleep(10 * 1000);
        p = (struct pollfd) { .fd = t.listener, .events = POLLIN };
        poll(&p, 1, 0);
        st = target_wait(&t);
        tap_ok(got_through(st) && !(p.revents & POLLIN),
               "%s: the rewritten call runs and the notifier is not consulted again (%s, errno=%s, revents=%#x)", name,
               status_str(st), errname(shm->err), p.revents);
}

int main(void)
{
        shared_init();
        tap_diag("mode: %s", expect_hole() ? "expect-hole (kernel without re-validation)" : "patched");
        case_no_outer();
        case_errno("ALLOW continues to the root's ERRNO", setup_allow, EXDEV);
        case_log();
        case_errno("ERRNO", setup_errno, EXDEV);
        case_trap();
        case_kill_thread();
        case_kill_process();
        case_trace();
        case_outer_notif(true);
        case_outer_notif(false);
        case_errno("stack of 42 filters, ERRNO at the root", setup_deep, EXDEV);
        case_plain_continue_outer_notif(false);
        case_plain_continue_outer_notif(true);
        case_plain_continue_outer_trace();
        case_trace_recheck_redirect();
        return tap_done();
}
