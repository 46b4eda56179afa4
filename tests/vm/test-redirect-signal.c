/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A signal interrupting a redirected restartable syscall. The target calls
 * read(pipe A) with raw inline asm; the supervisor redirects the fd to the
 * empty pipe B, so the rewritten read blocks; then the target gets a
 * signal. With SA_RESTART the restarted read must be the original one
 * again (original registers, so a new notification with fd A, which the
 * supervisor redirects once more); without it read fails with EINTR. In
 * both cases every argument register is intact afterwards.
 */
#include "redirect-test.h"

static int pipe_a[2], pipe_b[2];
static volatile int handled;
static char rbuf[64];

static void on_usr1(int sig)
{
        handled++;
}

static int body(void *arg, int ctl)
{
        struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = arg ? SA_RESTART : 0 };
        long in[6] = { pipe_a[0], (long) rbuf, sizeof(rbuf) - 1, 0x4141, 0x4242, 0x4343 }, out[6];

        sigaction(SIGUSR1, &sa, NULL);
        shm->ret = raw_syscall6(__NR_read, in, out);
        for (int i = 0; i < 6; i++)
                shm->v[i] = out[i];
        shm->v[6] = handled;
        shm->v[7] = regs_equal(in, shm->v);
        memcpy((void *) &shm->v[8], rbuf, 8);
        shm->done = 1;
        return 0;
}

/* Waits until /proc/pid/syscall shows read() blocked on fd. */
static bool wait_blocked_in_read(pid_t pid, int fd)
{
        char path[64], want[32], line[256];

        snprintf(path, sizeof(path), "/proc/%d/syscall", (int) pid);
        snprintf(want, sizeof(want), "%d 0x%x ", __NR_read, fd);
        for (int i = 0; i < 2000; i++) {
                FILE *f = fopen(path, "re");
                bool found = f && fgets(line, sizeof(line), f) && strncmp(line, want, strlen(want)) == 0;

                if (f)
                        fclose(f);
                if (found)
                        return true;
                usleep(10 * 1000);
        }
        return false;
}

static int redirect_to_b(int listener, struct seccomp_notif *n)
{
        struct seccomp_notif_resp_redirect rr;
        int r = notif_recv(listener, n, NOTIF_TIMEOUT_MS);

        if (r < 0)
                return r;
        if (n->data.nr != __NR_read)
                return -EPROTO;
        rr = redirect_new(n->id);
        redirect_arg(&rr, 0, pipe_b[0]);
        return send_redirect(listener, &rr);
}

static void run(bool restart)
{
        const char *name = restart ? "SA_RESTART" : "no SA_RESTART";
        struct target t;
        struct seccomp_notif n;
        int r, st;

        shared_reset();
        r = target_start(&t, __NR_read, REDIRECT_LISTENER, NULL, body, restart ? (void *) 1 : NULL);
        if (r == 0)
                r = redirect_to_b(t.listener, &n);
        if (!tap_ok(r == 0 && n.data.args[0] == (uint64_t) pipe_a[0], "%s: read(A) notified and redirected to B (%s)",
                    name, errname(r))) {
                target_kill(&t);
                return;
        }
        if (!tap_ok(wait_blocked_in_read(t.pid, pipe_b[0]), "%s: the task blocks in the rewritten read(B)", name)) {
                target_kill(&t);
                return;
        }
        kill(t.pid, SIGUSR1);
        if (restart) {
                r = redirect_to_b(t.listener, &n);
                tap_ok(r == 0 && n.data.args[0] == (uint64_t) pipe_a[0] && n.data.args[3] == 0x4141,
                       "%s: the restarted syscall is the original read(A) and is notified again (%s, fd %llu)", name,
                       errname(r), r == 0 ? (unsigned long long) n.data.args[0] : 0ULL);
                if (r < 0 || !wait_blocked_in_read(t.pid, pipe_b[0])) {
                        target_kill(&t);
                        return;
                }
                if (write(pipe_b[1], "xyz", 3) != 3)
                        tap_diag("write to pipe B failed");
        }
        st = target_wait(&t);
        if (restart)
                tap_ok(WIFEXITED(st) && shm->done && shm->ret == 3 && memcmp((void *) &shm->v[8], "xyz", 3) == 0 &&
                       shm->v[6] == 1, "%s: the restarted read returned B's data after one handler run (%s, ret=%ld)",
                       name, status_str(st), shm->ret);
        else
                tap_ok(WIFEXITED(st) && shm->done && shm->ret == -EINTR && shm->v[6] == 1,
                       "%s: read failed with EINTR after the handler ran (%s, ret=%ld)", name, status_str(st), shm->ret);
        tap_ok(shm->v[7] == 1, "%s: all six argument registers restored (rdi=%#lx rsi=%#lx rdx=%#lx r10=%#lx r8=%#lx "
               "r9=%#lx)", name, shm->v[0], shm->v[1], shm->v[2], shm->v[3], shm->v[4], shm->v[5]);
}

int main(void)
{
        shared_init();
        if (pipe2(pipe_a, 0) < 0 || pipe2(pipe_b, 0) < 0)
                return tap_ok(false, "pipes"), tap_done();
        run(true);
        run(false);
        return tap_done();
}
