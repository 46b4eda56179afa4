/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * execve through a redirected path: the target execs a path that does not
 * exist; the supervisor redirects the path (and in the second case argv
 * too, an array of pointers inside the pin) to busybox, whose exit status
 * proves which program ran with which arguments. The pin is gone after
 * the exec, so a redirect aimed at the old address must fail then.
 */
#include "redirect-test.h"

#define PG PAGE_SIZE_
#define BUSYBOX "/bin/busybox"
/* A fixed, normally free address so argv's pointers can be built before sealing. */
#define PIN_ADDR 0x3ee000000000ul
#define ARGV_OFF 256

static int body(void *arg, int ctl)
{
        char *const argv[] = { "sh", "-c", "exec /nonexistent/srd-second", NULL };
        char *const envp[] = { "PATH=/bin", NULL };

        execve("/nonexistent/srd-exec", argv, envp);
        shm->err = errno;
        shm->done = 1;
        return 1;
}

static bool prepare(struct target *t, struct seccomp_notif *n, const char *name)
{
        int r;

        shared_reset();
        r = target_start(t, __NR_execve, REDIRECT_LISTENER, NULL, body, NULL);
        if (r == 0)
                r = notif_recv(t->listener, n, NOTIF_TIMEOUT_MS);
        if (!tap_ok(r == 0 && n->data.nr == __NR_execve, "%s: execve notification (%s)", name, errname(r))) {
                target_kill(t);
                return false;
        }
        return true;
}

static void case_path(void)
{
        const char *name = "path redirected";
        struct seccomp_notif_resp_redirect rr;
        struct seccomp_notif n, n2;
        struct target t;
        uint64_t a = 0;
        int r, st, mfd;

        mfd = memfd_pin(BUSYBOX, sizeof(BUSYBOX), PG);
        if (!tap_ok(mfd >= 0, "%s: sealed memfd", name) || !prepare(&t, &n, name))
                return;
        r = pin_install(t.listener, n.id, mfd, PG, &a);
        rr = redirect_new(n.id);
        redirect_ptr(&rr, 0, a, sizeof(BUSYBOX), mfd);
        if (r == 0)
                r = send_redirect(t.listener, &rr);
        if (!tap_ok(r == 0, "%s: PIN_INSTALL and SEND_REDIRECT (%s)", name, errname(r))) {
                target_kill(&t);
                close(mfd);
                return;
        }
        /* busybox sh now execs again, from the same task with a fresh mm. */
        r = notif_recv(t.listener, &n2, NOTIF_TIMEOUT_MS);
        if (!tap_ok(r == 0 && n2.pid == n.pid && n2.data.nr == __NR_execve,
                    "%s: busybox ran the original argv: its exec is notified from the same task (%s)", name,
                    errname(r))) {
                target_kill(&t);
                close(mfd);
                return;
        }
        rr.id = n2.id;
        r = send_redirect(t.listener, &rr);
        tap_ok(r == -EFAULT, "%s: after the exec the old pin is gone: redirect into it fails with EFAULT (got %s)", name,
               errname(r));
        if (r < 0)
                notif_continue(t.listener, n2.id);
        st = target_wait(&t);
        tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 127, "%s: the un-redirected second exec failed, sh exits 127 (%s)",
               name, status_str(st));
        close(mfd);
}

static void case_path_and_argv(void)
{
        const char *name = "path and argv redirected";
        static const char strings[] = BUSYBOX "\0sh\0-c\0exit 43";
        const size_t sh = sizeof(BUSYBOX), dash_c = sh + 3, script = dash_c + 3;
        struct seccomp_notif_pin_install p;
        struct seccomp_notif_resp_redirect rr;
        struct seccomp_notif n;
        struct target t;
        uint64_t content[PG / 8] = {};
        uint64_t *argv = content + ARGV_OFF / 8;
        int r, st, mfd;

        memcpy(content, strings, sizeof(strings));
        argv[0] = PIN_ADDR + sh;
        argv[1] = PIN_ADDR + dash_c;
        argv[2] = PIN_ADDR + script;
        argv[3] = 0;
        mfd = memfd_pin(content, sizeof(content), PG);
        if (!tap_ok(mfd >= 0, "%s: sealed memfd", name) || !prepare(&t, &n, name))
                return;
        p = (struct seccomp_notif_pin_install) { .id = n.id, .memfd = mfd, .target_addr = PIN_ADDR, .size = PG };
        r = pin_install_full(t.listener, &p);
        tap_ok(r == 0 && p.target_addr == PIN_ADDR, "%s: PIN_INSTALL at a fixed address (%s, %#llx)", name, errname(r),
               (unsigned long long) p.target_addr);
        rr = redirect_new(n.id);
        redirect_ptr(&rr, 0, PIN_ADDR, sizeof(BUSYBOX), mfd);
        redirect_ptr(&rr, 1, PIN_ADDR + ARGV_OFF, 4 * sizeof(uint64_t), mfd);
        if (r == 0)
                r = send_redirect(t.listener, &rr);
        if (!tap_ok(r == 0, "%s: SEND_REDIRECT of two pointers (%s)", name, errname(r))) {
                target_kill(&t);
                close(mfd);
                return;
        }
        st = target_wait(&t);
        tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 43, "%s: busybox ran the pinned argv (sh -c 'exit 43') (%s)", name,
               status_str(st));
        close(mfd);
}

int main(void)
{
        shared_init();
        case_path();
        case_path_and_argv();
        return tap_done();
}
