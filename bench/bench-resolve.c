/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * What resolving a path the way the kernel will costs, against today's read
 * (issue 11): for a live task, the same path arguments go through
 * procmem_read_path() (read the string from the task, make it absolute
 * against its cwd, normalize lexically) and through the same read followed
 * by resolve_task_path() (the fd walk: symlinks, '..', magic links). Paths
 * a container opens all the time: an absolute one, a relative one, one
 * through a symlink (/etc/os-release on Debian), and one through a magic
 * link. Rounds alternate between the two, and each figure is the median
 * of the per-round costs, so both see the same machine.
 *
 * No target is set for this line; it prints the ratio for the record.
 */

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procmem.h"
#include "resolve.h"

#define ROUNDS 41
#define PER_ROUND 400

/* The same addresses in the forked task. */
static char paths[][64] = {
        "/usr/lib/os-release",
        "lib/os-release",
        "/etc/os-release",
        "/proc/self/cwd/lib/os-release",
};

static uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return x < y ? -1 : x > y;
}

static double one_round(pid_t pid, bool resolve) {
        static const SrdPathArg pa = {.arg = 1, .dirfd_arg = 0, .flags_arg = -1, .how_arg = -1};
        char raw[PATH_MAX], got[PATH_MAX];
        uint64_t start = now_ns();

        for (int i = 0; i < PER_ROUND; i++)
                for (size_t k = 0; k < sizeof(paths) / sizeof(paths[0]); k++) {
                        uint64_t args[SRD_ARGS] = {(uint64_t) AT_FDCWD, (uintptr_t) paths[k]};
                        int r;

                        if (!resolve)
                                r = procmem_read_path(pid, &pa, args, 0, got, sizeof(got));
                        else {
                                r = procmem_read_string(pid, args[1], raw, sizeof(raw));
                                if (r >= 0)
                                        r = resolve_task_path(pid, AT_FDCWD, raw, RESOLVE_FINAL_FOLLOW, 0,
                                                              got, sizeof(got));
                        }
                        if (r < 0) {
                                fprintf(stderr, "bench-resolve: %s: %s\n", paths[k], strerror(-r));
                                exit(1);
                        }
                }
        return (double) (now_ns() - start) / (PER_ROUND * (sizeof(paths) / sizeof(paths[0])));
}

int main(void) {
        double read_ns[ROUNDS], resolve_ns[ROUNDS];
        pid_t pid;

        if (access("/usr/lib/os-release", R_OK) < 0 || access("/etc/os-release", R_OK) < 0) {
                printf("bench-resolve: no /usr/lib/os-release here, skipped\n");
                return 77;
        }
        pid = fork();
        if (pid < 0)
                return 1;
        if (pid == 0) {
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (chdir("/usr") < 0)
                        _exit(1);
                pause();
                _exit(0);
        }
        usleep(100000);

        for (int r = 0; r < ROUNDS; r++) {
                read_ns[r] = one_round(pid, false);
                resolve_ns[r] = one_round(pid, true);
        }
        kill(pid, SIGKILL);
        (void) waitpid(pid, NULL, 0);

        qsort(read_ns, ROUNDS, sizeof(double), cmp_double);
        qsort(resolve_ns, ROUNDS, sizeof(double), cmp_double);
        printf("resolve: read+normalize %.0f ns/path, read+resolve %.0f ns/path, ratio %.2f (median of %d "
               "rounds)\n",
               read_ns[ROUNDS / 2], resolve_ns[ROUNDS / 2], resolve_ns[ROUNDS / 2] / read_ns[ROUNDS / 2],
               ROUNDS);
        return 0;
}
