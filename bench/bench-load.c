/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Load: 200 supervised processes making notified calls for 60 seconds
 * (SRD_LOAD_PROCS, SRD_LOAD_SECONDS), all at once, against the real daemon.
 * Each process has its own filter and hands its own listener over, like a
 * container's init would; then, on a common start signal, it loops over
 * three calls: openat of an allowed file (a path rule names openat, so the
 * daemon reads and resolves the path and continues), openat of the denied
 * file every 16th round (must fail with EACCES), and getppid (no path rule:
 * nothing read). Each call is timed by the process.
 *
 * Reports: calls made, answers wrong (a denied file opened, an allowed one
 * refused, getppid not the parent), calls lost (a process that did not come
 * back within 30 s of the end), latency p50/p99/p99.9 from quarter-octave
 * histograms, and the daemon's CPU time (utime+stime from /proc) per
 * notification. Exit 1 when anything was lost or wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "itest-util.h"

#define DEFAULT_PROCS 200
#define DEFAULT_SECONDS 60
#define GRACE_MS 30000u
/* Quarter-octave buckets: bucket k holds latencies below 2^((k+1)/4) ns. */
#define BUCKETS 160

typedef struct Slot {
        atomic_long calls, wrong, errors;
        atomic_long hist[BUCKETS];
        atomic_int ready, done;
} Slot;

typedef struct Shared {
        atomic_int go;
        Slot slot[];
} Shared;

static const char policy[] =
        "{\n"
        "  \"version\": 1,\n"
        "  \"name\": \"load\",\n"
        "  \"defaultAction\": \"continue\",\n"
        "  \"rules\": [\n"
        "    { \"name\": \"denied\", \"names\": [\"openat\"],\n"
        "      \"path\": { \"exact\": \"@TMP@/denied\" }, \"action\": \"errno\", \"errno\": \"EACCES\" }\n"
        "  ]\n"
        "}\n";

static uint64_t now_ns(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static unsigned bucket_of(uint64_t ns) {
        unsigned k = ns < 1 ? 0 : (unsigned) floor(4.0 * log2((double) ns));

        return k >= BUCKETS ? BUCKETS - 1 : k;
}

static double bucket_upper_us(unsigned k) {
        return pow(2.0, (double) (k + 1) / 4.0) / 1000.0;
}

static void record(Slot *s, uint64_t t0) {
        atomic_fetch_add_explicit(&s->hist[bucket_of(now_ns() - t0)], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->calls, 1, memory_order_relaxed);
}

/* In the child: filter, handoff, wait for go, loop until the deadline. */
static _Noreturn void worker(Shared *sh, unsigned i, const Daemon *d, const char *allowed,
                             const char *denied, unsigned seconds) {
        Slot *s = &sh->slot[i];
        scmp_filter_ctx ctx;
        char json[512], id[32];
        pid_t parent = getppid();
        uint64_t end;
        int fd, r;

        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(openat), 0) < 0 ||
            seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(getppid), 0) < 0 || seccomp_load(ctx) < 0)
                _exit(2);
        fd = seccomp_notify_fd(ctx);
        (void) snprintf(id, sizeof(id), "load-%u", i);
        if (fd < 0 || handoff_json(json, sizeof(json), getpid(), id, "policy=load") < 0)
                _exit(3);
        r = handoff_send(d->agent, json, strlen(json), &fd, 1, false, NULL);
        if (r < 0)
                _exit(4);
        close(fd);
        atomic_store(&s->ready, 1);
        while (!atomic_load(&sh->go))
                (void) usleep(1000);

        end = now_ns() + (uint64_t) seconds * 1000000000u;
        for (unsigned round = 0; now_ns() < end; round++) {
                uint64_t t0 = now_ns();
                long v = syscall(SYS_openat, AT_FDCWD, allowed, O_RDONLY | O_CLOEXEC);

                record(s, t0);
                if (v < 0)
                        atomic_fetch_add(&s->wrong, 1);
                else
                        close((int) v);

                t0 = now_ns();
                v = syscall(SYS_getppid);
                record(s, t0);
                if (v != parent)
                        atomic_fetch_add(&s->wrong, 1);

                if (round % 16 == 0) {
                        t0 = now_ns();
                        v = syscall(SYS_openat, AT_FDCWD, denied, O_RDONLY | O_CLOEXEC);
                        record(s, t0);
                        if (v >= 0) {
                                close((int) v);
                                atomic_fetch_add(&s->wrong, 1);
                        } else if (errno != EACCES)
                                atomic_fetch_add(&s->wrong, 1);
                }
        }
        atomic_store(&s->done, 1);
        _exit(0);
}

/* utime + stime of pid, in microseconds. */
static double cpu_us(pid_t pid) {
        char p[64], buf[2048], *s;
        unsigned long long ut, st;
        FILE *f;
        size_t n;

        (void) snprintf(p, sizeof(p), "/proc/%d/stat", (int) pid);
        f = fopen(p, "re");
        if (!f)
                return -1;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        s = strrchr(buf, ')');
        if (!s || sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
                return -1;
        return (double) (ut + st) * 1e6 / (double) sysconf(_SC_CLK_TCK);
}

static double percentile_us(const long *hist, long total, double q) {
        long want = (long) ceil(q * (double) total), seen = 0;

        for (unsigned k = 0; k < BUCKETS; k++) {
                seen += hist[k];
                if (seen >= want && want > 0)
                        return bucket_upper_us(k);
        }
        return NAN;
}

int main(void) {
        unsigned procs = DEFAULT_PROCS, seconds = DEFAULT_SECONDS;
        char dir[ITEST_PATH_MAX], allowed[ITEST_PATH_MAX + 16], denied[ITEST_PATH_MAX + 16];
        static long hist[BUCKETS];
        long calls = 0, wrong = 0, lost = 0, notifications;
        size_t shared_size;
        double cpu0, cpu1;
        pid_t *pids;
        Shared *sh;
        Daemon d;
        int r;

        if (getenv("SRD_LOAD_PROCS"))
                procs = (unsigned) strtoul(getenv("SRD_LOAD_PROCS"), NULL, 10);
        if (getenv("SRD_LOAD_SECONDS"))
                seconds = (unsigned) strtoul(getenv("SRD_LOAD_SECONDS"), NULL, 10);
        if (procs == 0 || seconds == 0) {
                fprintf(stderr, "bench-load: SRD_LOAD_PROCS and SRD_LOAD_SECONDS must be positive\n");
                return 2;
        }
        if (itest_skip_reason()) {
                printf("load: skipped: %s\n", itest_skip_reason());
                return 77;
        }
        (void) itest_raise_nofile(4 * procs + 256);

        if (itest_tmpdir("load", dir, sizeof(dir)) < 0 || daemon_prepare(&d, dir) < 0 ||
            daemon_add_policy(&d, "load.json", policy) < 0 || daemon_start(&d, NULL, NULL) < 0) {
                fprintf(stderr, "bench-load: cannot start the daemon\n");
                return 1;
        }
        (void) snprintf(allowed, sizeof(allowed), "%s/allowed", dir);
        (void) snprintf(denied, sizeof(denied), "%s/denied", dir);
        if (itest_write_file(allowed, "a\n") < 0 || itest_write_file(denied, "d\n") < 0)
                return 1;

        shared_size = sizeof(Shared) + procs * sizeof(Slot);
        sh = mmap(NULL, shared_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        pids = calloc(procs, sizeof(pid_t));
        if (sh == MAP_FAILED || !pids)
                return 1;

        for (unsigned i = 0; i < procs; i++) {
                pids[i] = fork();
                if (pids[i] < 0) {
                        fprintf(stderr, "bench-load: fork: %m\n");
                        return 1;
                }
                if (pids[i] == 0)
                        worker(sh, i, &d, allowed, denied, seconds);
                itest_track_pid(pids[i]);
        }
        for (unsigned i = 0; i < procs; i++) {
                uint64_t until = itest_now_usec() + 30000000u;

                while (!atomic_load(&sh->slot[i].ready) && itest_now_usec() < until)
                        (void) usleep(2000);
                if (!atomic_load(&sh->slot[i].ready)) {
                        fprintf(stderr, "bench-load: process %u never got supervised\n", i);
                        return 1;
                }
        }

        cpu0 = cpu_us(d.pid);
        atomic_store(&sh->go, 1);
        for (unsigned i = 0; i < procs; i++) {
                int status;

                r = itest_wait_pid(pids[i], seconds * 1000u + GRACE_MS, &status);
                if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
                    !atomic_load(&sh->slot[i].done)) {
                        /* Still in a call, or died in one: its calls were not all answered. */
                        lost++;
                        (void) kill(pids[i], SIGKILL);
                        (void) waitpid(pids[i], NULL, 0);
                }
                itest_forget_pid(pids[i]);
        }
        cpu1 = cpu_us(d.pid);

        for (unsigned i = 0; i < procs; i++) {
                calls += atomic_load(&sh->slot[i].calls);
                wrong += atomic_load(&sh->slot[i].wrong);
                for (unsigned k = 0; k < BUCKETS; k++)
                        hist[k] += atomic_load(&sh->slot[i].hist[k]);
        }
        notifications = calls;

        printf("load: %u processes, %u s: %ld notified calls (%.0f/s), %ld lost, %ld wrong; latency p50 "
               "%.1f us, "
               "p99 %.1f us, p99.9 %.1f us; daemon CPU %.2f us per notification\n",
               procs, seconds, calls, (double) calls / seconds, lost, wrong,
               percentile_us(hist, calls, 0.50), percentile_us(hist, calls, 0.99),
               percentile_us(hist, calls, 0.999),
               notifications > 0 && cpu0 >= 0 && cpu1 >= 0 ? (cpu1 - cpu0) / (double) notifications : NAN);

        (void) daemon_stop(&d, SIGTERM, 10000, NULL);
        munmap(sh, shared_size);
        free(pids);
        return lost == 0 && wrong == 0 && calls > 0 ? 0 : 1;
}
