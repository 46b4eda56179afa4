/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Daemon memory with 1,000 supervised container processes: 1,000 targets,
 * each with its own notify filter and listener handed over through the
 * agent socket like runc does. Prints RSS before and after and the cost per
 * container; exit 1 when RSS with 1,000 exceeds 64 MiB. A sample of the
 * targets is asked to make notified syscalls, so that every one of them is
 * known to be really supervised, and all must be freed once they exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest-util.h"

#define N_CONTAINERS 1000
#define TARGET_RSS_KIB (64L * 1024L)

static const char policy[] =
        "{\n"
        "  \"version\": 1,\n"
        "  \"name\": \"mem\",\n"
        "  \"defaultAction\": \"continue\",\n"
        "  \"rules\": [\n"
        "    { \"name\": \"no-forbidden\", \"names\": [\"mkdir\", \"mkdirat\"],\n"
        "      \"path\": { \"glob\": \"/tmp/forbidden*\" }, \"action\": \"errno\", \"errno\": \"EACCES\" }\n"
        "  ]\n"
        "}\n";

static Target targets[N_CONTAINERS];

static int wait_containers(const Daemon *d, size_t want, unsigned timeout_ms) {
        uint64_t end = itest_now_usec() + (uint64_t) timeout_ms * 1000u;

        for (;;) {
                json_object *s = NULL;
                size_t n;
                int r;

                r = control_status(d->control, &s);
                if (r < 0)
                        return r;
                n = status_n_containers(s);
                json_object_put(s);
                if (n == want)
                        return 0;
                if (itest_now_usec() >= end) {
                        fprintf(stderr, "bench-memory: %zu containers in status, expected %zu\n", n, want);
                        return -ETIMEDOUT;
                }
                (void) usleep(50000);
        }
}

int main(int argc, char *argv[]) {
        static const char *const notified[] = {"mkdir", "mkdirat", NULL};
        char dir[ITEST_PATH_MAX], forbidden[64];
        long rss0, rss1, rss2;
        uint64_t t0;
        Daemon d;
        int r;

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (itest_skip_reason()) {
                printf("bench-memory: skipped: %s\n", itest_skip_reason());
                return 77;
        }
        /* Ours: one command socket per target. The daemon's: one listener each (it inherits this). */
        r = itest_raise_nofile(4 * N_CONTAINERS + 256);
        if (r < 0) {
                fprintf(stderr, "bench-memory: cannot raise RLIMIT_NOFILE: %s\n", strerror(-r));
                return 1;
        }

        if ((r = itest_tmpdir("bench-memory", dir, sizeof(dir))) < 0 || (r = daemon_prepare(&d, dir)) < 0 ||
            (r = daemon_add_policy(&d, "mem.json", policy)) < 0 || (r = daemon_start(&d, NULL, NULL)) < 0) {
                fprintf(stderr, "bench-memory: cannot start the daemon: %s\n", strerror(-r));
                return 1;
        }
        /* One container first, so that the baseline includes what any first handoff allocates. */
        if ((r = target_start(&targets[0], notified)) < 0 ||
            (r = target_handoff(&targets[0], d.agent, "mem-0", "policy=mem")) < 0 ||
            (r = wait_containers(&d, 1, 5000)) < 0) {
                fprintf(stderr, "bench-memory: first container: %s\n", strerror(-r));
                return 1;
        }
        rss0 = daemon_rss_kib(&d);

        t0 = itest_now_usec();
        for (int i = 1; i < N_CONTAINERS; i++) {
                char id[32];

                (void) snprintf(id, sizeof(id), "mem-%d", i);
                if ((r = target_start(&targets[i], notified)) < 0 ||
                    (r = target_handoff(&targets[i], d.agent, id, "policy=mem")) < 0) {
                        fprintf(stderr, "bench-memory: container %d: %s\n", i, strerror(-r));
                        return 1;
                }
        }
        if (wait_containers(&d, N_CONTAINERS, 30000) < 0)
                return 1;
        printf("handed over %d containers in %.2f s\n", N_CONTAINERS - 1,
               (double) (itest_now_usec() - t0) / 1e6);

        /* Every tenth one proves it is answered. */
        (void) snprintf(forbidden, sizeof(forbidden), "/tmp/forbidden-mem-%d", (int) getpid());
        for (int i = 0; i < N_CONTAINERS; i += 10) {
                long k = target_mkdir(&targets[i], forbidden);

                if (k != -EACCES) {
                        fprintf(stderr, "bench-memory: container %d: mkdir -> %ld, expected EACCES\n", i, k);
                        return 1;
                }
        }
        rss1 = daemon_rss_kib(&d);

        for (int i = 0; i < N_CONTAINERS; i++)
                (void) kill(targets[i].pid, SIGKILL);
        for (int i = 0; i < N_CONTAINERS; i++)
                (void) target_kill(&targets[i]);
        if (wait_containers(&d, 0, 30000) < 0)
                return 1;
        rss2 = daemon_rss_kib(&d);
        (void) daemon_stop(&d, SIGTERM, 5000, NULL);

        printf("memory: RSS baseline %ld KiB, with %d containers %ld KiB (%.1f MiB, target <= %ld MiB), "
               "%.2f KiB per container; after they exited %ld KiB\n",
               rss0, N_CONTAINERS, rss1, (double) rss1 / 1024.0, TARGET_RSS_KIB / 1024,
               (double) (rss1 - rss0) / (double) (N_CONTAINERS - 1), rss2);
        if (rss0 < 0 || rss1 < 0) {
                printf("FAIL: cannot read the daemon's RSS\n");
                return 1;
        }
        if (rss1 > TARGET_RSS_KIB) {
                printf("FAIL: RSS %ld KiB > %ld KiB\n", rss1, TARGET_RSS_KIB);
                return 1;
        }
        printf("PASS\n");
        return 0;
}
