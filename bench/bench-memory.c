/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Daemon memory with 1,000 supervised container processes: 1,000 targets,
 * each with its own notify filter and listener handed over through the
 * agent socket like runc does. Prints RSS before and after and the cost per
 * container, split by where it is (/proc/PID/smaps: the heap, anonymous
 * mappings, which are the workers' stacks, and the rest). A sample of the
 * targets is asked to make notified syscalls, so that every one of them is
 * known to be really supervised (and the sample's workers have been through
 * a path resolution), and all must be freed once they exit.
 *
 * Two runs: the daemon as its systemd unit starts it (the unit's
 * Environment=GLIBC_TUNABLES, read from systemd/seccomp-redirectd.service.in
 * via SRD_UNIT), and with glibc's defaults, as started by hand. Each worker
 * thread carries glibc's thread descriptor and static TLS at the top of its
 * stack, with about 1.5 KiB spare for libraries loaded later; the unit gives
 * that spare up, so that a sleeping worker fits one page of stack, not two.
 *
 * Exit 1 when the unit's run exceeds 8 KiB per container (issue 14), or
 * either run exceeds 64 MiB of RSS with 1,000.
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
#define TARGET_PER_CONTAINER_KIB 8.0

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

/* Rss of /proc/PID/smaps, in KiB: the heap, anonymous mappings (the workers' stacks), everything. */
typedef struct Smaps {
        long heap, anon, total;
} Smaps;

static int read_smaps(pid_t pid, Smaps *ret) {
        char path[64], line[512];
        FILE *f;
        enum { HEAP, ANON, OTHER } kind = OTHER;

        *ret = (Smaps){};
        (void) snprintf(path, sizeof(path), "/proc/%d/smaps", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                unsigned long a, b;
                char perms[8], name[256] = "";
                long kib;

                if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &a, &b, perms, name) >= 3) {
                        kind = strcmp(name, "[heap]") == 0 ? HEAP : name[0] == '\0' ? ANON : OTHER;
                        continue;
                }
                if (sscanf(line, "Rss: %ld kB", &kib) != 1)
                        continue;
                ret->total += kib;
                if (kind == HEAP)
                        ret->heap += kib;
                else if (kind == ANON)
                        ret->anon += kib;
        }
        fclose(f);
        return 0;
}

typedef struct Result {
        long rss0, rss1, rss2;
        Smaps s0, s1;
        double handover_s;
} Result;

/* One daemon, 1,000 containers; GLIBC_TUNABLES for the daemon is tunables (NULL: unset). */
static int run(const char *tunables, Result *res) {
        static const char *const notified[] = {"mkdir", "mkdirat", NULL};
        char dir[ITEST_PATH_MAX], forbidden[64];
        uint64_t t0;
        Daemon d;
        int r;

        /* The daemon inherits it; nothing else here cares. */
        if (tunables)
                r = setenv("GLIBC_TUNABLES", tunables, 1);
        else
                r = unsetenv("GLIBC_TUNABLES");
        if (r < 0)
                return -errno;

        if ((r = itest_tmpdir("bench-memory", dir, sizeof(dir))) < 0 || (r = daemon_prepare(&d, dir)) < 0 ||
            (r = daemon_add_policy(&d, "mem.json", policy)) < 0 || (r = daemon_start(&d, NULL, NULL)) < 0) {
                fprintf(stderr, "bench-memory: cannot start the daemon: %s\n", strerror(-r));
                return r;
        }
        (void) unsetenv("GLIBC_TUNABLES");

        /* One container first, so that the baseline includes what any first handoff allocates. */
        if ((r = target_start(&targets[0], notified)) < 0 ||
            (r = target_handoff(&targets[0], d.agent, "mem-0", "policy=mem")) < 0 ||
            (r = wait_containers(&d, 1, 5000)) < 0) {
                fprintf(stderr, "bench-memory: first container: %s\n", strerror(-r));
                return r;
        }
        res->rss0 = daemon_rss_kib(&d);
        if ((r = read_smaps(d.pid, &res->s0)) < 0)
                return r;

        t0 = itest_now_usec();
        for (int i = 1; i < N_CONTAINERS; i++) {
                char id[32];

                (void) snprintf(id, sizeof(id), "mem-%d", i);
                if ((r = target_start(&targets[i], notified)) < 0 ||
                    (r = target_handoff(&targets[i], d.agent, id, "policy=mem")) < 0) {
                        fprintf(stderr, "bench-memory: container %d: %s\n", i, strerror(-r));
                        return r;
                }
        }
        if ((r = wait_containers(&d, N_CONTAINERS, 30000)) < 0)
                return r;
        res->handover_s = (double) (itest_now_usec() - t0) / 1e6;

        /* Every tenth one proves it is answered. */
        (void) snprintf(forbidden, sizeof(forbidden), "/tmp/forbidden-mem-%d", (int) getpid());
        for (int i = 0; i < N_CONTAINERS; i += 10) {
                long k = target_mkdir(&targets[i], forbidden);

                if (k != -EACCES) {
                        fprintf(stderr, "bench-memory: container %d: mkdir -> %ld, expected EACCES\n", i, k);
                        return -EIO;
                }
        }
        res->rss1 = daemon_rss_kib(&d);
        if ((r = read_smaps(d.pid, &res->s1)) < 0)
                return r;

        for (int i = 0; i < N_CONTAINERS; i++)
                (void) kill(targets[i].pid, SIGKILL);
        for (int i = 0; i < N_CONTAINERS; i++)
                (void) target_kill(&targets[i]);
        if ((r = wait_containers(&d, 0, 30000)) < 0)
                return r;
        res->rss2 = daemon_rss_kib(&d);
        (void) daemon_stop(&d, SIGTERM, 5000, NULL);
        if (res->rss0 < 0 || res->rss1 < 0) {
                fprintf(stderr, "bench-memory: cannot read the daemon's RSS\n");
                return -EIO;
        }
        return 0;
}

static double per_container(long before, long after) {
        return (double) (after - before) / (double) (N_CONTAINERS - 1);
}

static void report(const char *how, const Result *res) {
        printf("memory (%s): RSS baseline %ld KiB, with %d containers %ld KiB (%.1f MiB, target <= %ld MiB), "
               "%.2f KiB per container; after they exited %ld KiB\n",
               how, res->rss0, N_CONTAINERS, res->rss1, (double) res->rss1 / 1024.0, TARGET_RSS_KIB / 1024,
               per_container(res->rss0, res->rss1), res->rss2);
        printf("memory (%s): per container: heap %.2f KiB, worker stacks (anonymous mappings) %.2f KiB, "
               "other %.2f KiB; handover of %d took %.2f s\n",
               how, per_container(res->s0.heap, res->s1.heap), per_container(res->s0.anon, res->s1.anon),
               per_container(res->s0.total - res->s0.heap - res->s0.anon,
                             res->s1.total - res->s1.heap - res->s1.anon),
               N_CONTAINERS - 1, res->handover_s);
}

/* The value of the unit's Environment=GLIBC_TUNABLES=..., into ret (malloc'd); NULL when it sets none. */
static int unit_tunables(const char *unit, char **ret) {
        static const char key[] = "\nEnvironment=GLIBC_TUNABLES=";
        char *text = NULL, *p;
        int r;

        *ret = NULL;
        r = itest_read_file(unit, &text);
        if (r < 0)
                return r;
        p = strstr(text, key);
        if (p) {
                p += strlen(key);
                *ret = strndup(p, strcspn(p, "\n"));
                if (!*ret)
                        r = -ENOMEM;
        }
        free(text);
        return r;
}

int main(int argc, char *argv[]) {
        char *tunables = NULL;
        const char *unit = getenv("SRD_UNIT");
        Result unit_run, plain_run;
        double per;
        int r;

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (itest_skip_reason()) {
                printf("bench-memory: skipped: %s\n", itest_skip_reason());
                return 77;
        }
        if (!unit) {
                fprintf(stderr, "bench-memory: SRD_UNIT (the daemon's systemd unit) is not set\n");
                return 1;
        }
        r = unit_tunables(unit, &tunables);
        if (r < 0) {
                fprintf(stderr, "bench-memory: cannot read %s: %s\n", unit, strerror(-r));
                return 1;
        }
        /* Ours: one command socket per target. The daemon's: one listener each (it inherits this). */
        r = itest_raise_nofile(4 * N_CONTAINERS + 256);
        if (r < 0) {
                fprintf(stderr, "bench-memory: cannot raise RLIMIT_NOFILE: %s\n", strerror(-r));
                return 1;
        }

        if (run(tunables, &unit_run) < 0 || run(NULL, &plain_run) < 0)
                return 1;
        report(tunables ? "as the unit runs it, GLIBC_TUNABLES from the unit" : "as the unit runs it", &unit_run);
        report("glibc defaults, as run by hand", &plain_run);

        per = per_container(unit_run.rss0, unit_run.rss1);
        printf("memory per supervised process: %.2f KiB as the unit runs the daemon (target <= %.0f KiB): %s; "
               "%.2f KiB with glibc's defaults\n",
               per, TARGET_PER_CONTAINER_KIB, per <= TARGET_PER_CONTAINER_KIB ? "PASS" : "FAIL",
               per_container(plain_run.rss0, plain_run.rss1));
        free(tunables);
        if (per > TARGET_PER_CONTAINER_KIB) {
                printf("FAIL: %.2f KiB per container > %.0f KiB\n", per, TARGET_PER_CONTAINER_KIB);
                return 1;
        }
        if (unit_run.rss1 > TARGET_RSS_KIB || plain_run.rss1 > TARGET_RSS_KIB) {
                printf("FAIL: RSS %ld / %ld KiB > %ld KiB\n", unit_run.rss1, plain_run.rss1, TARGET_RSS_KIB);
                return 1;
        }
        printf("PASS\n");
        return 0;
}
