/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every row of the error table (shared/spec/kernel-uapi.md section 3), and
 * the check order it defines: the struct is validated before the id is
 * looked up, so probes work without a live notification.
 */
#include <sys/ptrace.h>

#include "redirect-test.h"


#define NR __NR_getppid
#define PG PAGE_SIZE_
#define BOGUS_ID_DELTA 0x100000ULL

static int body_once(void *arg, int ctl)
{
        shm->ret = syscall(NR);
        shm->done = 1;
        return 0;
}

static int body_twice(void *arg, int ctl)
{
        syscall(NR);
        shm->ret = syscall(NR);
        shm->done = 1;
        return 0;
}

/* Maps an anonymous page and a read-only unsealed view of fd 'arg' first. */
static int body_mapped(void *arg, int ctl)
{
        void *a = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        void *b = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, (int) (intptr_t) arg, 0);

        if (a == MAP_FAILED || b == MAP_FAILED)
                return 3;
        shm->addr = (uintptr_t) a;
        shm->v[0] = (uintptr_t) b;
        return body_once(arg, ctl);
}

static void on_usr1(int sig)
{
}

static int body_sigreturn(void *arg, int ctl)
{
        signal(SIGUSR1, on_usr1);
        raise(SIGUSR1);
        shm->done = 1;
        return 0;
}

static int child_install(unsigned long flags1, bool close_first, unsigned long flags2)
{
        pid_t pid;
        int st;

        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                int r;

                prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                if (flags1 != ~0UL) {
                        r = filter_install_nr(NR, SECCOMP_RET_USER_NOTIF, flags1);
                        if (r < 0)
                                _exit(200);
                        if (close_first)
                                close(r);
                }
                r = filter_install_nr(NR, SECCOMP_RET_USER_NOTIF, flags2);
                _exit(r < 0 ? -r : 0);
        }
        waitpid(pid, &st, 0);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

/* child_install()'s status: an errno, or 200 if the first filter was refused. */
static const char *install_result(int r)
{
        return r == 200 ? "first filter refused" : errname(r);
}

static void check(int got, int want, const char *what)
{
        tap_ok(got == -want, "%s: %s (got %s)", what, errname(want), errname(got));
}

static int pin(int listener, uint64_t id, uint32_t flags, int memfd, uint64_t addr, uint64_t size, uint64_t off)
{
        struct seccomp_notif_pin_install p = {
                .id = id, .flags = flags, .memfd = memfd, .target_addr = addr, .size = size, .offset = off,
        };

        return pin_install_full(listener, &p);
}

static void rows_seccomp(void)
{
        int r;

        r = child_install(~0UL, false, SECCOMP_FILTER_FLAG_REDIRECT);
        tap_ok(r == EINVAL, "SET_MODE_FILTER REDIRECT without NEW_LISTENER: EINVAL (got %s)", errname(r));
        r = child_install(REDIRECT_LISTENER, false, REDIRECT_LISTENER);
        tap_ok(r == EBUSY, "SET_MODE_FILTER second REDIRECT filter, first listener open: EBUSY (got %s)",
               install_result(r));
        r = child_install(REDIRECT_LISTENER, true, REDIRECT_LISTENER);
        tap_ok(r == EBUSY, "SET_MODE_FILTER second REDIRECT filter, first listener closed: EBUSY (got %s)",
               install_result(r));
        r = child_install(SECCOMP_FILTER_FLAG_NEW_LISTENER, true, REDIRECT_LISTENER);
        tap_ok(r == 0, "control: REDIRECT filter below a closed plain listener filter is accepted (got %s)",
               install_result(r));
}

/*
 * The flags PTRACE_SECCOMP_GET_METADATA reports for the newest filter of a
 * child that installed one with flags, then stopped; negative errno.
 */
static long metadata_flags(unsigned long flags)
{
        struct __ptrace_seccomp_metadata md = {.filter_off = 0};
        int p[2], st;
        long r;
        pid_t pid;
        char c;

        if (pipe(p) < 0)
                return -errno;
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                close(p[0]);
                prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                if (filter_install_nr(NR, SECCOMP_RET_USER_NOTIF, flags) < 0)
                        _exit(1);
                (void) write(p[1], "i", 1);
                for (;;)
                        pause();
        }
        close(p[1]);
        r = read(p[0], &c, 1) == 1 ? 0 : -EIO;
        close(p[0]);
        if (r == 0 && ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0)
                r = -errno;
        if (r == 0 && waitpid(pid, &st, 0) != pid)
                r = -errno;
        if (r == 0) {
                r = ptrace(PTRACE_SECCOMP_GET_METADATA, pid, (void *) sizeof(md), &md);
                r = r < 0 ? -errno : (long) md.flags;
        }
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        return r;
}

static void rows_metadata(void)
{
        long r;

        r = metadata_flags(REDIRECT_LISTENER);
        tap_ok(r >= 0 && (r & SECCOMP_FILTER_FLAG_REDIRECT),
               "GET_METADATA reports FLAG_REDIRECT of a redirect filter (flags %#lx)", r);
        r = metadata_flags(REDIRECT_LISTENER | SECCOMP_FILTER_FLAG_LOG);
        tap_ok(r >= 0 && (r & SECCOMP_FILTER_FLAG_REDIRECT) && (r & SECCOMP_FILTER_FLAG_LOG),
               "GET_METADATA reports FLAG_REDIRECT beside FLAG_LOG (flags %#lx)", r);
        r = metadata_flags(SECCOMP_FILTER_FLAG_NEW_LISTENER);
        tap_ok(r >= 0 && !(r & SECCOMP_FILTER_FLAG_REDIRECT),
               "control: GET_METADATA of a plain listener filter has no FLAG_REDIRECT (flags %#lx)", r);
}

static void rows_eperm(int mfd)
{
        struct target t;
        struct seccomp_notif n;
        struct seccomp_notif_resp_redirect rr;
        int r;

        shared_reset();
        r = target_start(&t, NR, SECCOMP_FILTER_FLAG_NEW_LISTENER, NULL, body_once, NULL);
        if (r == 0)
                r = notif_recv(t.listener, &n, NOTIF_TIMEOUT_MS);
        if (!tap_ok(r == 0, "EPERM setup: plain listener with a live notification (%s)", errname(r))) {
                target_kill(&t);
                return;
        }
        check(pin(t.listener, n.id, 0, mfd, 0, PG, 0), EPERM, "PIN_INSTALL on a listener without FLAG_REDIRECT");
        rr = redirect_new(n.id);
        redirect_arg(&rr, 0, 1);
        check(send_redirect(t.listener, &rr), EPERM, "SEND_REDIRECT on a listener without FLAG_REDIRECT");
        rr.flags = 0;
        check(send_redirect(t.listener, &rr), EPERM, "order: SEND_REDIRECT without FLAG_REDIRECT and bad flags");
        check(pin(t.listener, n.id, 1, mfd, 0, PG, 0), EPERM, "order: PIN_INSTALL without FLAG_REDIRECT and bad flags");
        rr = redirect_new(n.id + BOGUS_ID_DELTA);
        check(send_redirect(t.listener, &rr), EPERM, "probe: SEND_REDIRECT unknown id without FLAG_REDIRECT");
        notif_continue(t.listener, n.id);
        r = target_wait(&t);
        tap_ok(WIFEXITED(r) && WEXITSTATUS(r) == 0 && shm->done, "EPERM: target completes (%s)", status_str(r));
}

static void rows_einval_ebadf_enoent(int mfd)
{
        struct target t;
        struct seccomp_notif n;
        struct seccomp_notif_resp_redirect rr;
        uint64_t bogus;
        int r, p[2], unsealed, shrink_only, write_only, future_only, sealed_write;

        shared_reset();
        r = target_start(&t, NR, REDIRECT_LISTENER, NULL, body_once, NULL);
        if (r == 0)
                r = notif_recv(t.listener, &n, NOTIF_TIMEOUT_MS);
        if (!tap_ok(r == 0, "EINVAL setup: redirect listener with a live notification (%s)", errname(r))) {
                target_kill(&t);
                return;
        }
        bogus = n.id + BOGUS_ID_DELTA;

        check(pin(t.listener, n.id, 1, mfd, 0, PG, 0), EINVAL, "PIN_INSTALL flags != 0");
        check(pin(t.listener, n.id, 0, mfd, 0, 0, 0), EINVAL, "PIN_INSTALL size 0");
        check(pin(t.listener, n.id, 0, mfd, 0, PG + 100, 0), EINVAL, "PIN_INSTALL size not page aligned");
        check(pin(t.listener, n.id, 0, mfd, 0, PG, 100), EINVAL, "PIN_INSTALL offset not page aligned");
        check(pin(t.listener, n.id, 0, mfd, 0x10000123, PG, 0), EINVAL, "PIN_INSTALL target_addr not page aligned");
        check(pin(t.listener, bogus, 1, mfd, 0, PG, 0), EINVAL, "order: PIN_INSTALL bad flags and unknown id");

        rr = redirect_new(n.id);
        rr.flags = 0;
        check(send_redirect(t.listener, &rr), EINVAL, "SEND_REDIRECT flags 0 (CONTINUE required)");
        rr.flags = SECCOMP_REDIRECT_FLAG_CONTINUE | 2;
        check(send_redirect(t.listener, &rr), EINVAL, "SEND_REDIRECT unknown flag bit");
        rr = redirect_new(n.id);
        rr.args_mask = 1u << 6;
        check(send_redirect(t.listener, &rr), EINVAL, "SEND_REDIRECT args_mask bit 6");
        rr = redirect_new(n.id);
        redirect_arg(&rr, 0, 1);
        rr.ptr_mask = 1u << 1;
        rr.ptr_len[1] = 8;
        rr.memfd = mfd;
        check(send_redirect(t.listener, &rr), EINVAL, "SEND_REDIRECT ptr_mask not a subset of args_mask");
        rr = redirect_new(n.id);
        redirect_ptr(&rr, 0, 0x10000000, 0, mfd);
        check(send_redirect(t.listener, &rr), EINVAL, "SEND_REDIRECT pointer with ptr_len 0");
        rr = redirect_new(n.id);
        redirect_arg(&rr, 0, 1);
        rr.ptr_mask = 1u << 7;
        check(send_redirect(t.listener, &rr), EINVAL, "SEND_REDIRECT ptr_mask bit 7");
        rr = redirect_new(bogus);
        rr.args_mask = 1u << 6;
        check(send_redirect(t.listener, &rr), EINVAL, "order: SEND_REDIRECT bad mask and unknown id");

        check(pin(t.listener, n.id, 0, 999, 0, PG, 0), EBADF, "PIN_INSTALL bad memfd number");
        rr = redirect_new(n.id);
        redirect_ptr(&rr, 0, 0x10000000, 8, 999);
        check(send_redirect(t.listener, &rr), EBADF, "SEND_REDIRECT bad memfd number");
        check(pin(t.listener, bogus, 0, 999, 0, PG, 0), EBADF, "order: PIN_INSTALL bad memfd and unknown id");

        if (pipe2(p, O_CLOEXEC) < 0)
                p[0] = p[1] = -1;
        unsealed = memfd_sealed(NULL, 0, 2 * PG, 0);
        shrink_only = memfd_sealed(NULL, 0, 2 * PG, F_SEAL_SHRINK | F_SEAL_GROW);
        write_only = memfd_sealed(NULL, 0, 2 * PG, F_SEAL_WRITE | F_SEAL_GROW);
        future_only = memfd_sealed(NULL, 0, 2 * PG, F_SEAL_FUTURE_WRITE);
        check(pin(t.listener, n.id, 0, p[0], 0, PG, 0), EINVAL, "PIN_INSTALL fd is a pipe, not a memfd");
        check(pin(t.listener, n.id, 0, unsealed, 0, PG, 0), EINVAL, "PIN_INSTALL memfd without seals");
        check(pin(t.listener, n.id, 0, shrink_only, 0, PG, 0), EINVAL,
              "PIN_INSTALL memfd sealed against shrink/grow but not write");
        /* Without SHRINK an ftruncate through another fd could cut validated pinned bytes. */
        check(pin(t.listener, n.id, 0, write_only, 0, PG, 0), EINVAL,
              "PIN_INSTALL memfd sealed against write/grow but not shrink");
        check(pin(t.listener, n.id, 0, future_only, 0, PG, 0), EINVAL,
              "PIN_INSTALL memfd sealed against future writes but not shrink");
        check(pin(t.listener, bogus, 0, unsealed, 0, PG, 0), EINVAL, "order: PIN_INSTALL unsealed memfd and unknown id");
        rr = redirect_new(n.id);
        redirect_ptr(&rr, 0, 0x10000000, 8, p[0]);
        check(send_redirect(t.listener, &rr), EINVAL, "SEND_REDIRECT fd is a pipe, not a memfd");

        sealed_write = memfd_sealed("w", 1, 2 * PG, F_SEAL_WRITE | F_SEAL_SHRINK);
        r = pin(t.listener, n.id, 0, sealed_write, 0, PG, PG);
        tap_ok(r == 0, "control: PIN_INSTALL of an F_SEAL_WRITE|F_SEAL_SHRINK memfd at an offset works (%s)",
               errname(r));

        check(pin(t.listener, bogus, 0, mfd, 0, PG, 0), ENOENT, "PIN_INSTALL unknown id");
        rr = redirect_new(bogus);
        redirect_arg(&rr, 0, 1);
        check(send_redirect(t.listener, &rr), ENOENT, "probe: SEND_REDIRECT well-formed, unknown id");

        r = notif_continue(t.listener, n.id);
        tap_ok(r == 0, "the notification survived the failed calls (CONTINUE: %s)", errname(r));
        r = target_wait(&t);
        tap_ok(WIFEXITED(r) && WEXITSTATUS(r) == 0 && shm->done, "EINVAL: target completes (%s)", status_str(r));
        close(p[0]);
        close(p[1]);
        close(unsealed);
        close(shrink_only);
        close(write_only);
        close(future_only);
        close(sealed_write);
}

static void rows_task_gone(int mfd)
{
        struct target t;
        struct seccomp_notif n;
        struct seccomp_notif_resp_redirect rr;
        int r;

        shared_reset();
        r = target_start(&t, NR, REDIRECT_LISTENER, NULL, body_once, NULL);
        if (r == 0)
                r = notif_recv(t.listener, &n, NOTIF_TIMEOUT_MS);
        if (!tap_ok(r == 0, "ENOENT setup: live notification (%s)", errname(r))) {
                target_kill(&t);
                return;
        }
        kill(t.pid, SIGKILL);
        target_wait_keep(&t);
        check(pin(t.listener, n.id, 0, mfd, 0, PG, 0), ENOENT, "PIN_INSTALL after the task was killed");
        rr = redirect_new(n.id);
        redirect_arg(&rr, 0, 1);
        check(send_redirect(t.listener, &rr), ENOENT, "SEND_REDIRECT after the task was killed");
        target_wait(&t);
}

static void rows_einprogress(int mfd)
{
        struct target t;
        struct seccomp_notif n;
        struct seccomp_notif_resp_redirect rr;
        struct pollfd pfd;
        uint64_t next;
        int r;

        shared_reset();
        r = target_start(&t, NR, REDIRECT_LISTENER, NULL, body_twice, NULL);
        if (r == 0)
                r = notif_recv(t.listener, &n, NOTIF_TIMEOUT_MS);
        if (r == 0)
                r = notif_continue(t.listener, n.id);
        pfd = (struct pollfd) { .fd = t.listener, .events = POLLIN };
        if (r == 0 && poll(&pfd, 1, NOTIF_TIMEOUT_MS) != 1)
                r = -ETIMEDOUT;
        if (!tap_ok(r == 0, "EINPROGRESS setup: a second notification pending, not received (%s)", errname(r))) {
                target_kill(&t);
                return;
        }
        next = n.id + 1; /* ids are handed out sequentially per listener */
        check(pin(t.listener, next, 0, mfd, 0, PG, 0), EINPROGRESS, "PIN_INSTALL before RECV");
        rr = redirect_new(next);
        redirect_arg(&rr, 0, 1);
        check(send_redirect(t.listener, &rr), EINPROGRESS, "SEND_REDIRECT before RECV");
        r = notif_recv(t.listener, &n, NOTIF_TIMEOUT_MS);
        tap_ok(r == 0 && n.id == next, "EINPROGRESS: the pending id was the next one (%s)", errname(r));
        if (r == 0)
                notif_continue(t.listener, n.id);
        target_wait(&t);
}

static void rows_eexist_efault(int mfd)
{
        struct target t;
        struct seccomp_notif n;
        struct seccomp_notif_resp_redirect rr;
        uint64_t a = 0;
        int r, other;

        shared_reset();
        r = target_start(&t, NR, REDIRECT_LISTENER, NULL, body_mapped, (void *) (intptr_t) mfd);
        if (r == 0)
                r = notif_recv(t.listener, &n, NOTIF_TIMEOUT_MS);
        if (!tap_ok(r == 0 && shm->addr, "EEXIST/EFAULT setup: live notification (%s)", errname(r))) {
                target_kill(&t);
                return;
        }
        check(pin(t.listener, n.id, 0, mfd, shm->addr, PG, 0), EEXIST, "PIN_INSTALL fixed address on a mapping");
        check(pin(t.listener, n.id, 0, mfd, shm->addr - PG, 2 * PG, 0), EEXIST,
              "PIN_INSTALL fixed range overlapping a mapping's first page");
        r = pin_install(t.listener, n.id, mfd, 2 * PG, &a);
        if (!tap_ok(r == 0 && a && a % PG == 0, "PIN_INSTALL kernel-chosen address works (%s, %#llx)", errname(r),
                    (unsigned long long) a)) {
                target_kill(&t);
                return;
        }

        rr = redirect_new(n.id);
        redirect_ptr(&rr, 0, shm->addr, 8, mfd);
        check(send_redirect(t.listener, &rr), EFAULT, "SEND_REDIRECT pointer into ordinary task memory");
        redirect_ptr(&rr, 0, shm->v[0], 8, mfd);
        check(send_redirect(t.listener, &rr), EFAULT,
              "SEND_REDIRECT pointer into the task's own unsealed read-only mapping of the memfd");
        redirect_ptr(&rr, 0, a + 2 * PG - 8, 16, mfd);
        check(send_redirect(t.listener, &rr), EFAULT, "SEND_REDIRECT range running past the pin's end");
        redirect_ptr(&rr, 0, a - 8, 16, mfd);
        check(send_redirect(t.listener, &rr), EFAULT, "SEND_REDIRECT range starting before the pin");
        redirect_ptr(&rr, 0, a, 8, mfd);
        redirect_ptr(&rr, 1, a + PG, 2 * PG, mfd);
        check(send_redirect(t.listener, &rr), EFAULT, "SEND_REDIRECT second pointer's range past the end");
        other = memfd_pin("x", 1, 2 * PG);
        rr = redirect_new(n.id);
        redirect_ptr(&rr, 0, a, 8, other);
        check(send_redirect(t.listener, &rr), EFAULT, "SEND_REDIRECT pin of a different memfd than named");
        close(other);

        rr = redirect_new(n.id);
        redirect_ptr(&rr, 0, a, 2 * PG, mfd);
        redirect_ptr(&rr, 1, a + PG, 8, mfd);
        r = send_redirect(t.listener, &rr);
        tap_ok(r == 0, "control: SEND_REDIRECT with ranges inside the pin succeeds after the failures (%s)",
               errname(r));
        if (r < 0)
                notif_continue(t.listener, n.id);
        r = target_wait(&t);
        tap_ok(WIFEXITED(r) && WEXITSTATUS(r) == 0 && shm->done, "EFAULT: target completes (%s)", status_str(r));
}

static void rows_rt_sigreturn(void)
{
        struct target t;
        struct seccomp_notif n;
        struct seccomp_notif_resp_redirect rr;
        int r;

        shared_reset();
        r = target_start(&t, __NR_rt_sigreturn, REDIRECT_LISTENER, NULL, body_sigreturn, NULL);
        if (r == 0)
                r = notif_recv(t.listener, &n, NOTIF_TIMEOUT_MS);
        if (!tap_ok(r == 0 && n.data.nr == __NR_rt_sigreturn, "rt_sigreturn setup: notification (%s)", errname(r))) {
                target_kill(&t);
                return;
        }
        rr = redirect_new(n.id);
        redirect_arg(&rr, 0, 0);
        check(send_redirect(t.listener, &rr), EINVAL, "SEND_REDIRECT of rt_sigreturn");
        rr = redirect_new(n.id);
        check(send_redirect(t.listener, &rr), EINVAL, "SEND_REDIRECT of rt_sigreturn with no argument replaced");
        notif_continue(t.listener, n.id);
        r = target_wait(&t);
        tap_ok(WIFEXITED(r) && WEXITSTATUS(r) == 0 && shm->done, "rt_sigreturn: target completes (%s)", status_str(r));
}

int main(void)
{
        int mfd;

        shared_init();
        mfd = memfd_pin("srd", 3, 2 * PG);
        if (mfd < 0) {
                tap_ok(false, "sealed memfd (%s)", errname(mfd));
                return tap_done();
        }
        rows_seccomp();
        rows_metadata();
        rows_eperm(mfd);
        rows_einval_ebadf_enoent(mfd);
        rows_task_gone(mfd);
        rows_einprogress(mfd);
        rows_eexist_efault(mfd);
        rows_rt_sigreturn();
        return tap_done();
}
