/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Register restore: after a redirected syscall returns, all six argument
 * registers hold what the task put there, whatever the redirect replaced
 * and whether the rewritten call succeeded or failed; and the rewritten
 * call really ran with the substituted arguments.
 *
 * The target issues write(pipe A, "orig", 4) with raw inline asm, with
 * recognisable values in the three registers write ignores. Last, a read()
 * whose buffer is redirected into the pin must fail with EFAULT: the pin is
 * read-only, so only input pointers can be redirected.
 */
#include "redirect-test.h"

#define PG PAGE_SIZE_
#define PIN_TEXT "redirected!"

static int pipe_a[2], pipe_b[2];
static long orig_regs[6];

static int body(void *arg, int ctl)
{
        long out[6];

        shm->ret = raw_syscall6(__NR_write, orig_regs, out);
        for (int i = 0; i < 6; i++)
                shm->v[i] = out[i];
        shm->done = 1;
        return 0;
}

static char read_buf[16];
static long read_regs[6];

static int body_read(void *arg, int ctl)
{
        long out[6];

        shm->ret = raw_syscall6(__NR_read, read_regs, out);
        for (int i = 0; i < 6; i++)
                shm->v[i] = out[i];
        shm->done = 1;
        return 0;
}

static void case_read_into_pin(int mfd)
{
        const char *name = "read() into the pin";
        struct target t;
        struct seccomp_notif n;
        struct seccomp_notif_resp_redirect rr;
        uint64_t a = 0;
        char buf[64];
        int r, st;

        shared_reset();
        if (write(pipe_b[1], "data", 4) != 4)
                tap_diag("%s: filling pipe B failed", name);
        read_regs[0] = pipe_b[0];
        read_regs[1] = (long) read_buf;
        read_regs[2] = sizeof(read_buf);
        read_regs[3] = 0x4040404040404040l;
        read_regs[4] = 0x5050505050505050l;
        read_regs[5] = 0x6060606060606060l;
        r = target_start(&t, __NR_read, REDIRECT_LISTENER, NULL, body_read, NULL);
        if (r == 0)
                r = notif_recv(t.listener, &n, NOTIF_TIMEOUT_MS);
        if (r == 0)
                r = pin_install(t.listener, n.id, mfd, PG, &a);
        if (r == 0) {
                rr = redirect_new(n.id);
                redirect_ptr(&rr, 1, a, 4, mfd);
                redirect_arg(&rr, 2, 4);
                r = send_redirect(t.listener, &rr);
        }
        if (!tap_ok(r == 0, "%s: notification, pin and SEND_REDIRECT (%s)", name, errname(r))) {
                target_kill(&t);
                return;
        }
        st = target_wait(&t);
        tap_ok(WIFEXITED(st) && shm->done && shm->ret == -EFAULT, "%s: the rewritten read fails with EFAULT (got %ld, %s)",
               name, shm->ret, status_str(st));
        tap_ok(regs_equal(read_regs, shm->v), "%s: all six argument registers restored", name);
        read_pipe(pipe_b[0], buf, sizeof(buf)); /* empty it for nothing else to see */
        memset(buf, 0, sizeof(buf));
        r = (int) pread(mfd, buf, sizeof(PIN_TEXT), 0);
        tap_ok(r == sizeof(PIN_TEXT) && strcmp(buf, PIN_TEXT) == 0, "%s: the pin's content is unchanged (\"%s\")",
               name, buf);
}

struct regs_case {
        const char *name;
        uint32_t mask;     /* registers to replace */
        bool bad_fd;       /* redirect to a closed fd: the call fails */
        long want_ret;
        int want_pipe;     /* 0: A, 1: B, -1: none */
        const char *want_data;
};

static void run_case(const struct regs_case *c, int mfd)
{
        struct target t;
        struct seccomp_notif n;
        struct seccomp_notif_resp_redirect rr;
        uint64_t a = 0;
        char buf[64];
        int r, st;
        bool args_ok;

        shared_reset();
        r = target_start(&t, __NR_write, REDIRECT_LISTENER, NULL, body, NULL);
        if (r == 0)
                r = notif_recv(t.listener, &n, NOTIF_TIMEOUT_MS);
        if (r == 0)
                r = pin_install(t.listener, n.id, mfd, PG, &a);
        if (!tap_ok(r == 0, "%s: notification and pin (%s)", c->name, errname(r))) {
                target_kill(&t);
                return;
        }
        args_ok = n.data.nr == __NR_write;
        for (int i = 0; i < 6; i++)
                args_ok = args_ok && n.data.args[i] == (uint64_t) orig_regs[i];
        tap_ok(args_ok, "%s: the notification carries the original six arguments", c->name);

        rr = redirect_new(n.id);
        if (c->mask & 1)
                redirect_arg(&rr, 0, c->bad_fd ? 999 : pipe_b[1]);
        if (c->mask & 2)
                redirect_ptr(&rr, 1, a, sizeof(PIN_TEXT) - 1, mfd);
        if (c->mask & 4)
                redirect_arg(&rr, 2, c->mask & 2 ? sizeof(PIN_TEXT) - 1 : 2);
        for (int i = 3; i < 6; i++)
                if (c->mask & (1u << i))
                        redirect_arg(&rr, i, 0x5151000000000000ul | i);
        r = send_redirect(t.listener, &rr);
        if (!tap_ok(r == 0, "%s: SEND_REDIRECT (%s)", c->name, errname(r))) {
                target_kill(&t);
                return;
        }
        st = target_wait(&t);
        tap_ok(WIFEXITED(st) && shm->done && shm->ret == c->want_ret, "%s: the rewritten write returned %ld (got %ld, %s)",
               c->name, c->want_ret, shm->ret, status_str(st));
        tap_ok(regs_equal(orig_regs, shm->v),
               "%s: all six argument registers restored (rdi=%#lx rsi=%#lx rdx=%#lx r10=%#lx r8=%#lx r9=%#lx)", c->name,
               shm->v[0], shm->v[1], shm->v[2], shm->v[3], shm->v[4], shm->v[5]);
        if (c->want_pipe >= 0) {
                read_pipe(c->want_pipe ? pipe_b[0] : pipe_a[0], buf, sizeof(buf));
                tap_ok(strcmp(buf, c->want_data) == 0, "%s: pipe %c received \"%s\" (got \"%s\")", c->name,
                       c->want_pipe ? 'B' : 'A', c->want_data, buf);
        }
        r = (int) read_pipe(c->want_pipe == 1 ? pipe_a[0] : pipe_b[0], buf, sizeof(buf));
        tap_ok(r < 0 && errno == EAGAIN, "%s: the other pipe received nothing", c->name);
}

int main(void)
{
        static const struct regs_case cases[] = {
                { "all six replaced", 0x3f, false, sizeof(PIN_TEXT) - 1, 1, PIN_TEXT },
                { "only the count replaced", 0x04, false, 2, 0, "or" },
                { "fd and buffer replaced", 0x03, false, 4, 1, "redi" },
                { "redirect to a closed fd fails", 0x3f, true, -EBADF, -1, NULL },
        };
        int mfd;

        shared_init();
        if (pipe2(pipe_a, O_NONBLOCK) < 0 || pipe2(pipe_b, O_NONBLOCK) < 0)
                return tap_ok(false, "pipes"), tap_done();
        orig_regs[0] = pipe_a[1];
        orig_regs[1] = (long) "orig";
        orig_regs[2] = 4;
        orig_regs[3] = 0x1010101010101010l;
        orig_regs[4] = 0x2020202020202020l;
        orig_regs[5] = 0x3030303030303030l;
        mfd = memfd_pin(PIN_TEXT, sizeof(PIN_TEXT), PG);
        if (!tap_ok(mfd >= 0, "sealed memfd (%s)", errname(mfd)))
                return tap_done();
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                run_case(&cases[i], mfd);
        case_read_into_pin(mfd);
        return tap_done();
}
