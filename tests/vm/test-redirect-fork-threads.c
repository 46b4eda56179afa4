/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Redirects in forked children and in threads: the notification names the
 * calling task, PIN_INSTALL maps into that task's mm, and each redirect is
 * validated against (and applied to) the task that raised it, also when
 * several threads of one process are redirected concurrently.
 */
#include <pthread.h>

#include "redirect-test.h"

#define PG PAGE_SIZE_
#define NTHREADS 2

static int pipes[NTHREADS + 1][2];

static long do_write(int fd)
{
        long r = write(fd, "orig", 4);

        return r < 0 ? -errno : r;
}

static int body_fork(void *arg, int ctl)
{
        pid_t pid;
        int st;

        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                shm->v[0] = getpid();
                shm->ret = do_write(pipes[0][1]);
                _exit(0);
        }
        waitpid(pid, &st, 0);
        shm->v[1] = getpid();
        shm->done = 1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 10;
}

static pthread_barrier_t barrier;

static void *thread_write(void *p)
{
        int i = (int) (intptr_t) p;

        shm->v[10 + i] = gettid();
        pthread_barrier_wait(&barrier);
        shm->v[i] = do_write(pipes[i][1]);
        return NULL;
}

static int body_threads(void *arg, int ctl)
{
        pthread_t th[NTHREADS];

        pthread_barrier_init(&barrier, NULL, NTHREADS);
        for (int i = 0; i < NTHREADS; i++)
                if (pthread_create(&th[i], NULL, thread_write, (void *) (intptr_t) i) != 0)
                        return 3;
        for (int i = 0; i < NTHREADS; i++)
                pthread_join(th[i], NULL);
        shm->done = 1;
        return 0;
}

static int pin_and_redirect(int listener, const struct seccomp_notif *n, const char *text)
{
        struct seccomp_notif_resp_redirect rr;
        uint64_t a = 0;
        int mfd, r;

        mfd = memfd_pin(text, strlen(text), PG);
        if (mfd < 0)
                return mfd;
        r = pin_install(listener, n->id, mfd, PG, &a);
        if (r == 0) {
                rr = redirect_new(n->id);
                redirect_ptr(&rr, 1, a, strlen(text), mfd);
                redirect_arg(&rr, 2, strlen(text));
                r = send_redirect(listener, &rr);
        }
        close(mfd);
        return r;
}

static void case_fork(void)
{
        struct target t;
        struct seccomp_notif n;
        char buf[64];
        int r, st;

        shared_reset();
        r = target_start(&t, __NR_write, REDIRECT_LISTENER, NULL, body_fork, NULL);
        if (r == 0)
                r = notif_recv(t.listener, &n, NOTIF_TIMEOUT_MS);
        if (!tap_ok(r == 0, "fork: notification from the forked child (%s)", errname(r))) {
                target_kill(&t);
                return;
        }
        tap_ok(n.pid == shm->v[0] && (pid_t) n.pid != t.pid, "fork: the notification names the child (pid %u, child %ld, "
               "target %d)", n.pid, shm->v[0], (int) t.pid);
        r = pin_and_redirect(t.listener, &n, "from-the-child");
        tap_ok(r == 0, "fork: PIN_INSTALL into the child and SEND_REDIRECT (%s)", errname(r));
        if (r < 0)
                notif_continue(t.listener, n.id);
        st = target_wait(&t);
        read_pipe(pipes[0][0], buf, sizeof(buf));
        tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && shm->ret == 14 && strcmp(buf, "from-the-child") == 0,
               "fork: the child's write was redirected (%s, ret=%ld, pipe \"%s\")", status_str(st), shm->ret, buf);
}

static void case_threads(void)
{
        struct target t;
        struct seccomp_notif n[NTHREADS];
        char buf[64], text[NTHREADS][32];
        int r = 0, st, ok_pids = 0;

        shared_reset();
        r = target_start(&t, __NR_write, REDIRECT_LISTENER, NULL, body_threads, NULL);
        /* Receive both before answering either: both threads are blocked at once. */
        for (int i = 0; r == 0 && i < NTHREADS; i++)
                r = notif_recv(t.listener, &n[i], NOTIF_TIMEOUT_MS);
        if (!tap_ok(r == 0, "threads: %d concurrent notifications (%s)", NTHREADS, errname(r))) {
                target_kill(&t);
                return;
        }
        for (int i = 0; i < NTHREADS; i++)
                for (int k = 0; k < NTHREADS; k++)
                        ok_pids += n[i].pid == (uint32_t) shm->v[10 + k] && n[i].data.args[0] == (uint64_t) pipes[k][1];
        tap_ok(ok_pids == NTHREADS && n[0].pid != n[1].pid, "threads: each notification names its thread");
        /* Answer in reverse order, each with its own pin in the shared mm. */
        for (int i = NTHREADS - 1; i >= 0; i--) {
                int k = n[i].data.args[0] == (uint64_t) pipes[0][1] ? 0 : 1;

                snprintf(text[k], sizeof(text[k]), "thread-%d-pin", k);
                r = pin_and_redirect(t.listener, &n[i], text[k]);
                tap_ok(r == 0, "threads: PIN_INSTALL and SEND_REDIRECT for thread %d (%s)", k, errname(r));
                if (r < 0)
                        notif_continue(t.listener, n[i].id);
        }
        st = target_wait(&t);
        tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && shm->done, "threads: target completes (%s)", status_str(st));
        for (int k = 0; k < NTHREADS; k++) {
                read_pipe(pipes[k][0], buf, sizeof(buf));
                tap_ok(shm->v[k] == (long) strlen(text[k]) && strcmp(buf, text[k]) == 0,
                       "threads: thread %d's write was redirected to its own pin (ret=%ld, pipe \"%s\")", k, shm->v[k],
                       buf);
        }
}

int main(void)
{
        shared_init();
        for (int i = 0; i <= NTHREADS; i++)
                if (pipe2(pipes[i], O_NONBLOCK) < 0)
                        return tap_ok(false, "pipes"), tap_done();
        case_fork();
        case_threads();
        return tap_done();
}
