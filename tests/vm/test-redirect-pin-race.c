/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A sibling thread racing PIN_INSTALL at a fixed address. While one thread
 * of the target waits in a notified syscall, another keeps mapping its own
 * writable page over the address the supervisor pins at, writing to it and
 * unmapping it again. Each PIN_INSTALL either finds the sibling's mapping
 * (EEXIST, MAP_FIXED_NOREPLACE never replaces it) or lands; once it has
 * landed, the sibling can neither map over it nor unmap it (EPERM), and the
 * address holds the pinned bytes, sealed. The VMA is born sealed, so there
 * is no window in which the sibling could swap it for its own.
 */
#include <pthread.h>
#include <time.h>

#include "redirect-test.h"

#define NR __NR_getppid
#define PG PAGE_SIZE_
#define PIN_AT 0x60000000UL
#define CONTENT "pinned-against-a-racing-sibling"
/* Tries until the address is free at the moment of one: the sibling
 * leaves it free only between its munmap and its next mmap, and under
 * TCG on a loaded host 400 tries once all found it mapped. */
#define ATTEMPT_USEC (60ULL * 1000 * 1000)

enum {
        V_MAPPED,   /* sibling: its own mapping at PIN_AT made */
        V_REFUSED,  /* sibling: MAP_FIXED over PIN_AT refused with EPERM */
        V_OTHER,    /* sibling: any other failure */
        V_UNMAP_EPERM,
        V_CONTENT,  /* target: PIN_AT holds CONTENT afterwards */
        V_SEALED,   /* target: smaps shows sl and no mw at PIN_AT */
        V_STORE_SIG,
};

static volatile int stop;

static unsigned long long now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (unsigned long long) ts.tv_sec * 1000000ULL + (unsigned long long) ts.tv_nsec / 1000;
}

static void *sibling(void *arg)
{
        while (!stop) {
                char *p = mmap((void *) PIN_AT, PG, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS,
                               -1, 0);

                if (p == MAP_FAILED) {
                        shm->v[errno == EPERM ? V_REFUSED : V_OTHER]++;
                        continue;
                }
                shm->v[V_MAPPED]++;
                p[0] = 'S';
                if (munmap(p, PG) < 0)
                        shm->v[errno == EPERM ? V_UNMAP_EPERM : V_OTHER]++;
        }
        return NULL;
}

static int smaps_sealed(uintptr_t a)
{
        char line[512], start[32];
        bool in = false;
        FILE *f = fopen("/proc/self/smaps", "re");
        int r = 0;

        if (!f)
                return -1;
        snprintf(start, sizeof(start), "%lx-", (unsigned long) a);
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, start, strlen(start)) == 0)
                        in = true;
                else if (in && strncmp(line, "VmFlags:", 8) == 0) {
                        r = strstr(line, " sl") && !strstr(line, " mw");
                        break;
                }
        }
        fclose(f);
        return r;
}

static int body(void *arg, int ctl)
{
        pthread_t th;
        pid_t pid;
        int st;

        if (pthread_create(&th, NULL, sibling, NULL) != 0)
                return 3;
        /* Let the sibling get going before the notification. */
        for (int i = 0; i < 10000 && shm->v[V_MAPPED] < 10; i++)
                usleep(1000);
        syscall(NR);
        /* The pin is in: give the sibling time to run into it. */
        for (long i = 0, seen = shm->v[V_REFUSED]; i < 10000 && shm->v[V_REFUSED] < seen + 100; i++)
                usleep(1000);
        stop = 1;
        pthread_join(th, NULL);
        shm->v[V_CONTENT] = memcmp((void *) PIN_AT, CONTENT, sizeof(CONTENT)) == 0;
        shm->v[V_SEALED] = smaps_sealed(PIN_AT);
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                *(volatile char *) PIN_AT = 'X';
                _exit(0);
        }
        waitpid(pid, &st, 0);
        shm->v[V_STORE_SIG] = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
        shm->done = 1;
        return 0;
}

int main(void)
{
        struct seccomp_notif_pin_install pin;
        struct seccomp_notif n;
        struct target t;
        int r, mfd, st, eexist = 0, tries = 0;

        shared_init();
        mfd = memfd_pin(CONTENT, sizeof(CONTENT), PG);
        r = mfd < 0 ? mfd : target_start(&t, NR, REDIRECT_LISTENER, NULL, body, NULL);
        if (r == 0)
                r = notif_recv(t.listener, &n, NOTIF_TIMEOUT_MS);
        if (!tap_ok(r == 0, "target with a racing sibling notified (%s)", errname(r))) {
                if (mfd >= 0)
                        target_kill(&t);
                return tap_done();
        }
        for (unsigned long long t0 = now_usec(); now_usec() - t0 < ATTEMPT_USEC; tries++) {
                pin = (struct seccomp_notif_pin_install) { .id = n.id, .memfd = mfd, .target_addr = PIN_AT, .size = PG };
                r = pin_install_full(t.listener, &pin);
                if (r != -EEXIST)
                        break;
                eexist++;
        }
        tap_diag("PIN_INSTALL at %#lx: %d EEXIST before the result", PIN_AT, eexist);
        if (!tap_ok(r == 0 && pin.target_addr == PIN_AT,
                    "PIN_INSTALL at the sibling's address lands or says EEXIST, never anything else (%s after %d tries)",
                    errname(r), tries + 1)) {
                target_kill(&t);
                return tap_done();
        }
        r = notif_continue(t.listener, n.id);
        st = target_wait(&t);
        if (!tap_ok(r == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && shm->done, "target finished (%s)",
                    status_str(st)))
                return tap_done();
        tap_diag("sibling: %ld own mappings, %ld refused, %ld munmap EPERM, %ld other failures", shm->v[V_MAPPED],
                 shm->v[V_REFUSED], shm->v[V_UNMAP_EPERM], shm->v[V_OTHER]);
        tap_ok(shm->v[V_REFUSED] >= 100, "the sibling's MAP_FIXED over the pin is refused with EPERM (%ld times)",
               shm->v[V_REFUSED]);
        tap_ok(shm->v[V_OTHER] == 0 && shm->v[V_UNMAP_EPERM] == 0,
               "the sibling's munmap of its own mapping always worked, and nothing else failed");
        tap_ok(shm->v[V_CONTENT] == 1, "the address holds the pinned bytes, not the sibling's");
        tap_ok(shm->v[V_SEALED] == 1, "smaps: the pin is sealed and never writable");
        tap_ok(shm->v[V_STORE_SIG] == SIGSEGV, "a store to it faults (signal %ld)", shm->v[V_STORE_SIG]);
        close(mfd);
        return tap_done();
}
