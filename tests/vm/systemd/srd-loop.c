/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The workload of vm-systemd's containers (static; the container's rootfs
 * holds nothing else). Under a seccomp profile that notifies mkdir and
 * mkdirat and a policy that denies /tmp/forbidden* with EACCES and lets the
 * rest continue, it makes both kinds of call in a loop and checks every
 * answer: the deny must give EACCES, the allowed mkdir must succeed. A call
 * answered otherwise (ENOSYS once the daemon's listener is gone, success
 * where the policy denies) is counted wrong and printed.
 *
 * /tmp/progress holds "calls wrong longest_ms" after every call, rewritten
 * in place, so the guest test can see from outside whether the calls go on
 * and how they were answered: a call that never returns (lost) stops the
 * count. It runs until /tmp/stop exists, then prints a summary and exits 0
 * if no call was answered wrongly.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static unsigned long calls, wrong;
static long longest_ms;

static long now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One notified mkdir; expected_errno 0 means it must succeed. */
static void one_call(const char *path, int expected_errno) {
        long t0 = now_ms(), dt;
        int r, e;

        r = mkdir(path, 0755);
        e = r < 0 ? errno : 0;
        dt = now_ms() - t0;
        if (dt > longest_ms)
                longest_ms = dt;
        calls++;
        if (e != expected_errno) {
                wrong++;
                printf("WRONG call %lu: mkdir(%s) gave %s, expected %s (after %ld ms)\n", calls, path,
                       e ? strerror(e) : "success", expected_errno ? strerror(expected_errno) : "success", dt);
                fflush(stdout);
        }
        if (r == 0)
                (void) rmdir(path);
}

int main(void) {
        char path[64], line[64];
        int progress;
        int n;

        progress = open("/tmp/progress", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (progress < 0) {
                perror("open /tmp/progress");
                return 2;
        }
        for (unsigned long i = 0; access("/tmp/stop", F_OK) < 0; i++) {
                snprintf(path, sizeof(path), "/tmp/forbidden-%lu", i);
                one_call(path, EACCES);
                snprintf(path, sizeof(path), "/tmp/ok-%lu", i);
                one_call(path, 0);
                /* Fixed width: each rewrite covers the previous one whole. */
                n = snprintf(line, sizeof(line), "%12lu %12lu %12ld\n", calls, wrong, longest_ms);
                if (pwrite(progress, line, (size_t) n, 0) != n) {
                        perror("pwrite /tmp/progress");
                        return 2;
                }
                /* Paced: the guest has two emulated CPUs for everything. */
                usleep(20 * 1000);
        }
        printf("done calls=%lu wrong=%lu longest_ms=%ld\n", calls, wrong, longest_ms);
        return wrong == 0 ? 0 : 1;
}
