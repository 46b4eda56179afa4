/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One task keeping its own mm lock busy must not stall the other tasks of
 * its filter. Target A and its fork child B share one REDIRECT filter. A
 * sibling thread of A populates a large region (MADV_POPULATE_WRITE holds
 * A's mmap lock for reading the whole time) while the supervisor pins into
 * A, so A's mapping waits for the lock. Meanwhile B makes a syscall of the
 * same filter: its notification must reach the supervisor while the
 * PIN_INSTALL is still waiting. Were the mapping made under notify_lock, B
 * (and the supervisor's poll and RECV) would wait for A's mm lock too.
 *
 * The same wait serves to interrupt a PIN_INSTALL in the supervisor: a
 * second request, queued behind the one A is mapping, is withdrawn by a
 * signal (EINTR) and never mapped; the first, already taken by A, is not
 * abandoned by a signal: it reports the pin A made, so that a supervisor
 * does not retry into a second one.
 */
#include <pthread.h>
#include <time.h>

#include "redirect-test.h"

#define NR __NR_getppid
#define PG PAGE_SIZE_
#define BIG (256UL << 20)
#define ROUNDS 3
#define PIN2_AT 0x70000000UL

enum {
        V_POPULATING,   /* A's sibling is inside MADV_POPULATE_WRITE */
        V_POPULATE_MS,  /* how long it took */
        V_GO_B,         /* the supervisor lets B make its syscall */
        V_B_DONE,
        V_PIN2_MAPPED,  /* A: something is mapped at PIN2_AT after its syscall */
};

static long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *populate(void *arg)
{
        char *p = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        long t0;

        if (p == MAP_FAILED)
                return NULL;
        t0 = now_ms();
        shm->v[V_POPULATING] = 1;
        madvise(p, BIG, MADV_POPULATE_WRITE);
        shm->v[V_POPULATE_MS] = now_ms() - t0;
        shm->v[V_POPULATING] = 2;
        munmap(p, BIG);
        return NULL;
}

static int body(void *arg, int ctl)
{
        pthread_t th;
        pid_t b;
        int st;

        fflush(stdout);
        b = fork();
        if (b == 0) {
                while (!shm->v[V_GO_B])
                        usleep(1000);
                syscall(NR);
                shm->v[V_B_DONE] = 1;
                _exit(0);
        }
        if (b < 0 || pthread_create(&th, NULL, populate, NULL) != 0)
                return 3;
        syscall(NR); /* A: pinned into while the sibling holds the lock */
        shm->v[V_PIN2_MAPPED] = msync((void *) PIN2_AT, PG, MS_ASYNC) == 0;
        pthread_join(th, NULL);
        shm->v[V_GO_B] = 1;
        waitpid(b, &st, 0);
        shm->done = 1;
        return 0;
}

struct pin_job {
        int listener, memfd;
        uint64_t id, at;
        long t_start, t_end;
        int r;
};

static void *pin_thread(void *arg)
{
        struct pin_job *j = arg;
        struct seccomp_notif_pin_install p = {
                .id = j->id, .memfd = j->memfd, .target_addr = j->at, .size = PG,
        };

        j->t_start = now_ms();
        j->r = pin_install_full(j->listener, &p);
        j->t_end = now_ms();
        return NULL;
}

static void on_usr1(int sig)
{
}

/* 1: B got through early while the pin waited; 0: it did not; -1: the pin did not wait, try again. */
static int round_once(int mfd, int round)
{
        struct seccomp_notif na, nb;
        struct pin_job job = { .memfd = mfd };
        pthread_t th;
        struct target t;
        long t_b = 0, waited;
        int r, rb = -1, st;

        shared_reset();
        r = target_start(&t, NR, REDIRECT_LISTENER, NULL, body, NULL);
        if (r == 0)
                r = notif_recv(t.listener, &na, NOTIF_TIMEOUT_MS);
        if (!tap_ok(r == 0 && na.pid == (uint32_t) t.pid, "round %d: A notified (%s)", round, errname(r))) {
                target_kill(&t);
                return 0;
        }
        for (int i = 0; i < 10000 && shm->v[V_POPULATING] != 1; i++)
                usleep(1000);
        usleep(100 * 1000);
        job.listener = t.listener;
        job.id = na.id;
        pthread_create(&th, NULL, pin_thread, &job);
        usleep(100 * 1000);
        shm->v[V_GO_B] = 1;
        rb = notif_recv(t.listener, &nb, NOTIF_TIMEOUT_MS);
        t_b = now_ms();
        if (rb == 0)
                notif_continue(t.listener, nb.id);
        pthread_join(th, NULL);
        notif_continue(t.listener, na.id);
        st = target_wait(&t);
        waited = job.t_end - job.t_start;
        tap_diag("round %d: populate %ld ms, PIN_INSTALL %s after %ld ms, B notified %ld ms after the pin started",
                 round, shm->v[V_POPULATE_MS], errname(job.r), waited, t_b - job.t_start);
        if (!tap_ok(job.r == 0 && rb == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && shm->done,
                    "round %d: pin installed, B notified, target done (%s, B recv %s, %s)", round, errname(job.r),
                    errname(rb), status_str(st)))
                return 0;
        if (waited < 250)
                return -1;
        /*
         * Not just "before the pin returned": with notify_lock held by A,
         * B is notified the moment A lets go, which races with the pin
         * thread's return. Through, it is notified right after its go.
         */
        return 2 * (t_b - job.t_start) < waited;
}

/*
 * While A maps a first pin (waiting for its mm lock), a second PIN_INSTALL
 * queues behind it; a signal without SA_RESTART to the thread in the
 * second withdraws it. Returns -1 if the first pin did not wait.
 */
static int round_interrupt(int mfd, int round)
{
        struct sigaction sa = { .sa_handler = on_usr1 };
        struct pin_job j1 = { .memfd = mfd }, j2 = { .memfd = mfd, .at = PIN2_AT };
        struct seccomp_notif na;
        pthread_t th1, th2;
        struct target t;
        int r, st;

        sigaction(SIGUSR1, &sa, NULL);
        shared_reset();
        r = target_start(&t, NR, REDIRECT_LISTENER, NULL, body, NULL);
        if (r == 0)
                r = notif_recv(t.listener, &na, NOTIF_TIMEOUT_MS);
        if (!tap_ok(r == 0, "interrupt round %d: A notified (%s)", round, errname(r))) {
                target_kill(&t);
                return 0;
        }
        for (int i = 0; i < 10000 && shm->v[V_POPULATING] != 1; i++)
                usleep(1000);
        usleep(100 * 1000);
        j1.listener = j2.listener = t.listener;
        j1.id = j2.id = na.id;
        pthread_create(&th1, NULL, pin_thread, &j1);
        usleep(100 * 1000);
        pthread_create(&th2, NULL, pin_thread, &j2);
        usleep(100 * 1000);
        pthread_kill(th2, SIGUSR1);
        pthread_join(th2, NULL);
        pthread_kill(th1, SIGUSR1);
        pthread_join(th1, NULL);
        shm->v[V_GO_B] = 1; /* B's syscall is simply continued below */
        notif_continue(t.listener, na.id);
        {
                struct seccomp_notif nb;

                if (notif_recv(t.listener, &nb, NOTIF_TIMEOUT_MS) == 0)
                        notif_continue(t.listener, nb.id);
        }
        st = target_wait(&t);
        tap_diag("interrupt round %d: first PIN_INSTALL %s after %ld ms, second %s after %ld ms", round,
                 errname(j1.r), j1.t_end - j1.t_start, errname(j2.r), j2.t_end - j2.t_start);
        if (!tap_ok(j1.r == 0 && WIFEXITED(st) && shm->done, "interrupt round %d: first pin installed, target done (%s)",
                    round, status_str(st)))
                return 0;
        if (j1.t_end - j1.t_start < 250 || j2.t_end > j1.t_end)
                return -1;
        return j2.r == -EINTR && !shm->v[V_PIN2_MAPPED] && j1.r == 0;
}

int main(void)
{
        int mfd, r = -1;

        shared_init();
        mfd = memfd_pin("pin", 4, PG);
        if (!tap_ok(mfd >= 0, "sealed memfd (%s)", mfd >= 0 ? "ok" : errname(mfd)))
                return tap_done();
        for (int round = 0; round < ROUNDS && r < 0; round++)
                r = round_once(mfd, round);
        if (r < 0)
                tap_skip("mm lock", "the pin never had to wait for the mm lock, nothing shown");
        else
                tap_ok(r == 1, "another task of the filter was notified in the first half of PIN_INSTALL's wait for the "
                       "mm lock (see the round's figures)");
        r = -1;
        for (int round = 0; round < ROUNDS && r < 0; round++)
                r = round_interrupt(mfd, round);
        if (r < 0)
                tap_skip("interrupted PIN_INSTALL", "the first pin never had to wait, nothing shown");
        else
                tap_ok(r == 1, "a queued PIN_INSTALL interrupted by a signal fails with EINTR and maps nothing (%s); "
                       "the one being mapped, also signalled, reports its pin",
                       shm->v[V_PIN2_MAPPED] ? "mapped" : "not mapped");
        close(mfd);
        return tap_done();
}
