/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cost of a redirected openat() through the real daemon on the patched
 * kernel (issue 4), side by side in one run:
 *
 *   redirect  a rule "redirect" to a sandbox file, the arena already pinned
 *   continue  the same path rule with action "continue", same kind of listener
 *   plain     openat() in a process without any filter, for scale
 *
 * Each column is a worker process driven over a socketpair. Many short
 * rounds alternate between them (in a rotating order), and the verdict is
 * the median of the per-round redirect/continue ratios: the two run back to
 * back in a round, so a slow spell of a shared host (other guests, builds:
 * it comes and goes over seconds, and moves plain openat by 2x) hits both
 * alike. The ratio of the per-column medians is printed too. Target:
 * redirect/continue <= 1.30.
 *
 * The first redirect of an address space also pins the arena there
 * (PIN_INSTALL; for a new address space of a listener that already pinned
 * elsewhere, after a SEND_REDIRECT that fails with EFAULT). That cost is
 * measured apart: workers that never open the path themselves fork fresh
 * children, one at a time, each timing its first and its second openat();
 * the same is done under the continue policy, alternately, and
 *   pin cost = median over pairs of (first - second | redirect) - (first - second | continue)
 * takes out what a fresh process pays anyway (page faults, cold caches).
 *
 * Every redirected open must return the sandbox file, and the daemon's rule
 * counters must account for every call: a build whose redirect falls back
 * (redirectFallback: EPERM) fails loudly instead of timing the fallback.
 *
 * Runs in the VM (meson: bench-redirect-vm); prints TAP, figures in "# "
 * lines. On a kernel without the series it exits 77, or fails when
 * SRD_BENCH_REQUIRE_REDIRECT=1 (set in the VM). Sizing: SRD_BENCH_ROUNDS,
 * SRD_BENCH_ROUND_MS (time per column and round; calls are sized from a
 * warm-up), SRD_BENCH_FRESH (fresh processes per policy).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "e2e-util.h"

/* Issue 11: pinned continue (every continue answered with SEND_REDIRECT into the
 * arena) against plain continue. A redirect to a path of the same length is
 * the same kernel work as a pinned continue, so the redirect column stands
 * for it; the continue column is plain CONTINUE (the daemon's hidden
 * --unsafe-plain-continue once continue is pinned by default). */
#define TARGET_RATIO 1.15
#define ROUNDS_DEFAULT 45
#define ROUND_MS_DEFAULT 300
#define FRESH_DEFAULT 60
#define SAMPLES_MAX 256
#define CALLS_MIN 100L
#define CALLS_MAX 20000L
#define CALL_TIMEOUT_MS 120000u

#define POLICY_REDIRECT "bench-redirect"
#define POLICY_CONTINUE "bench-continue"
#define TEXT_ORIGINAL "original\n"
#define TEXT_SANDBOX "sandbox\n"

/* Same length as the target path, so the kernel's walk costs the same in every column. */
static const char policy_redirect[] =
        "{ \"version\": 1, \"name\": \"" POLICY_REDIRECT "\", \"defaultAction\": \"continue\",\n"
        "  \"redirectFallback\": { \"action\": \"errno\", \"errno\": \"EPERM\" },\n"
        "  \"rules\": [ { \"name\": \"file\", \"names\": [\"openat\"],\n"
        "                 \"path\": { \"exact\": \"@TMP@/data/file\" },\n"
        "                 \"action\": \"redirect\", \"to\": \"@TMP@/sbox/file\" } ] }\n";

static const char policy_continue[] =
        "{ \"version\": 1, \"name\": \"" POLICY_CONTINUE "\", \"defaultAction\": \"continue\",\n"
        "  \"rules\": [ { \"name\": \"file\", \"names\": [\"openat\"],\n"
        "                 \"path\": { \"exact\": \"@TMP@/data/file\" },\n"
        "                 \"action\": \"continue\" } ] }\n";

/* ------------------------------------------------------------------------ */
/* Workers: processes that run openat() loops on command.                    */

typedef enum WorkerOp {
        OP_LOOP, /* n times openat(path) + close: the elapsed ns */
        OP_CHECK, /* open path and read it: the text */
        OP_FRESH, /* fork a child that times its first and second openat(path), then reads it */
        OP_EXIT,
} WorkerOp;

typedef struct WorkerCmd {
        int op;
        long n;
} WorkerCmd;

typedef struct WorkerReply {
        long r; /* 0 or -errno */
        uint64_t ticks[2];
        char text[32];
} WorkerReply;

typedef struct WorkerArgs {
        int sock; /* the worker's end */
        int other; /* the bench's end, closed in the worker */
        const char *path;
} WorkerArgs;

typedef struct Worker {
        const char *name;
        pid_t pid;
        int sock;
        long opens; /* openat() calls on the path asked of it so far */
} Worker;

static long now_ns(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long) ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/*
 * Under TCG the guest kernel may fail to calibrate the TSC and fall back to
 * a jiffies clocksource: CLOCK_MONOTONIC then moves in 4 ms steps, far too
 * coarse for one openat. So time with the TSC (qemu derives it from the
 * host's, the same on every vCPU) and convert with a rate measured against
 * CLOCK_MONOTONIC over the whole run.
 */
static uint64_t ticks(void) {
#if defined(__x86_64__)
        return __rdtsc();
#else
        return (uint64_t) now_ns();
#endif
}

typedef struct Clock {
        uint64_t t0;
        long ns0;
} Clock;

static double clock_ticks_per_us(const Clock *c) {
        uint64_t t = ticks();
        long ns = now_ns();

        return ns > c->ns0 ? (double) (t - c->t0) * 1000.0 / (double) (ns - c->ns0) : 1.0;
}

static long timed_opens(const char *path, long n, uint64_t *ret_ticks) {
        uint64_t start = ticks();

        for (long i = 0; i < n; i++) {
                int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);

                if (fd < 0)
                        return -errno;
                close(fd);
        }
        *ret_ticks = ticks() - start;
        return 0;
}

static long read_text(const char *path, char *buf, size_t size) {
        ssize_t k;
        int fd;

        fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        k = read(fd, buf, size - 1);
        close(fd);
        if (k < 0)
                return -errno;
        buf[k] = 0;
        return 0;
}

/* In a fresh child of the worker: its address space has never been pinned. */
static void fresh_child(const char *path, int out) {
        WorkerReply rep = {};

        rep.r = timed_opens(path, 1, &rep.ticks[0]);
        if (rep.r == 0)
                rep.r = timed_opens(path, 1, &rep.ticks[1]);
        if (rep.r == 0)
                rep.r = read_text(path, rep.text, sizeof(rep.text));
        _exit(write(out, &rep, sizeof(rep)) == (ssize_t) sizeof(rep) ? 0 : 1);
}

static long fresh(const char *path, WorkerReply *rep) {
        int p[2], status;
        ssize_t k;
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                close(p[0]);
                close(p[1]);
                return -errno;
        }
        if (pid == 0) {
                close(p[0]);
                fresh_child(path, p[1]);
        }
        close(p[1]);
        k = read(p[0], rep, sizeof(*rep));
        close(p[0]);
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        if (k != (ssize_t) sizeof(*rep) || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -ECHILD;
        return rep->r;
}

static int worker_main(void *userdata) {
        const WorkerArgs *a = userdata;

        close(a->other);
        for (;;) {
                WorkerReply rep = {};
                WorkerCmd cmd;
                ssize_t k;

                k = recv(a->sock, &cmd, sizeof(cmd), 0);
                if (k != (ssize_t) sizeof(cmd) || cmd.op == OP_EXIT)
                        return 0;
                switch (cmd.op) {
                case OP_LOOP:
                        rep.r = timed_opens(a->path, cmd.n, &rep.ticks[0]);
                        break;
                case OP_CHECK:
                        rep.r = read_text(a->path, rep.text, sizeof(rep.text));
                        break;
                case OP_FRESH:
                        rep.r = fresh(a->path, &rep);
                        break;
                default:
                        rep.r = -EINVAL;
                }
                if (send(a->sock, &rep, sizeof(rep), MSG_NOSIGNAL) != (ssize_t) sizeof(rep))
                        return 1;
        }
}

/* A worker under a redirect-capable notify filter handed to the daemon with policy, or none (plain). */
static int worker_start(Worker *w, const char *name, const char *agent, const char *policy,
                        const char *path) {
        static const int notify[] = {SYS_openat};
        WorkerArgs args = {.path = path};
        int sv[2];
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        args.sock = sv[1];
        args.other = sv[0];

        if (policy) {
                E2eTarget t = {
                        .notify = notify,
                        .n_notify = 1,
                        .redirect = true,
                        .agent = agent,
                        .id = name,
                        .policy = policy,
                };

                pid = e2e_spawn(&t, worker_main, &args);
        } else {
                pid = fork();
                if (pid == 0) {
                        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                        _exit(worker_main(&args));
                }
                if (pid > 0)
                        itest_track_pid(pid);
                else
                        pid = -errno;
        }
        close(sv[1]);
        if (pid < 0) {
                close(sv[0]);
                return (int) pid;
        }
        *w = (Worker){.name = name, .pid = pid, .sock = sv[0]};
        return 0;
}

static long worker_call(Worker *w, int op, long n, WorkerReply *ret) {
        WorkerCmd cmd = {.op = op, .n = n};
        struct pollfd pfd = {.fd = w->sock, .events = POLLIN};
        ssize_t k;
        int r;

        if (send(w->sock, &cmd, sizeof(cmd), MSG_NOSIGNAL) != (ssize_t) sizeof(cmd))
                return -errno;
        w->opens += op == OP_LOOP ? n : op == OP_CHECK ? 1 : op == OP_FRESH ? 3 : 0;
        r = poll(&pfd, 1, (int) CALL_TIMEOUT_MS);
        if (r < 0)
                return -errno;
        if (r == 0)
                return -ETIMEDOUT;
        k = recv(w->sock, ret, sizeof(*ret), 0);
        if (k < 0)
                return -errno;
        if (k != (ssize_t) sizeof(*ret))
                return -EPIPE; /* the worker died */
        return ret->r;
}

static void worker_stop(Worker *w) {
        WorkerCmd cmd = {.op = OP_EXIT};

        if (w->pid <= 0)
                return;
        (void) send(w->sock, &cmd, sizeof(cmd), MSG_NOSIGNAL);
        if (e2e_wait(w->pid, 5000) < 0) {
                (void) kill(w->pid, SIGKILL);
                (void) e2e_wait(w->pid, 5000);
        }
        close(w->sock);
        w->pid = 0;
}

/* ------------------------------------------------------------------------ */
/* Figures and TAP.                                                          */

static unsigned tap_n, tap_failed;

static bool tap(bool ok, const char *fmt, ...) {
        va_list ap;

        tap_n++;
        if (!ok)
                tap_failed++;
        printf("%s %u - ", ok ? "ok" : "not ok", tap_n);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        return ok;
}

/* Leave with the plan of what was run; the daemon's log tail follows (itest-util, at exit). */
static int finish(void) {
        printf("1..%u\n", tap_n);
        if (tap_failed > 0)
                (void) setenv("SRD_ITEST_LOGS", "1", 1);
        return tap_failed > 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return x < y ? -1 : x > y;
}

static double median(const double *v, size_t n) {
        double s[SAMPLES_MAX];

        if (n == 0 || n > SAMPLES_MAX)
                return -1;
        memcpy(s, v, n * sizeof(double));
        qsort(s, n, sizeof(double), cmp_double);
        return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static long env_long(const char *name, long def, long min, long max) {
        const char *e = getenv(name);
        char *end;
        long v;

        if (!e || !*e)
                return def;
        errno = 0;
        v = strtol(e, &end, 10);
        if (errno != 0 || *end || v < min || v > max) {
                printf("# %s=%s ignored (want %ld..%ld)\n", name, e, min, max);
                return def;
        }
        return v;
}

/* Ticks per call of one OP_LOOP of n calls; -1 and *ret_error on failure. */
static double loop_ticks(Worker *w, long n, long *ret_error) {
        WorkerReply rep;
        long r;

        r = worker_call(w, OP_LOOP, n, &rep);
        if (r < 0) {
                *ret_error = r;
                printf("# %s: openat loop failed: %s\n", w->name, strerror((int) -r));
                return -1;
        }
        return (double) rep.ticks[0] / (double) n;
}

/* The worker's open of the path returns the file whose text is want. */
static bool check_text(Worker *w, const char *want) {
        WorkerReply rep;
        long r;

        r = worker_call(w, OP_CHECK, 0, &rep);
        if (r < 0) {
                printf("# %s: openat failed: %s%s\n", w->name, strerror((int) -r),
                       r == -EPERM ? " (the daemon answered with redirectFallback, not a redirect)" : "");
                return false;
        }
        if (strcmp(rep.text, want) != 0) {
                printf("# %s: read \"%.*s\", expected \"%.*s\"\n", w->name, (int) strcspn(rep.text, "\n"),
                       rep.text, (int) strcspn(want, "\n"), want);
                return false;
        }
        return true;
}

static int write_file_in(const char *dir, const char *sub, const char *text) {
        char p[ITEST_PATH_MAX + 32];

        (void) snprintf(p, sizeof(p), "%s/%s", dir, sub);
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                return -errno;
        (void) snprintf(p, sizeof(p), "%s/%s/file", dir, sub);
        return itest_write_file(p, text);
}

/*
 * The daemon's own account of a redirect container: redirect supported, every
 * open answered with SEND_REDIRECT (none fell back), and pins PIN_INSTALLs.
 */
static bool check_counters(const char *control, const Worker *w, long pins) {
        json_object *st = NULL, *c;
        bool ok;

        if (control_status(control, &st) < 0)
                return false;
        c = status_container(st, w->name);
        if (!c) {
                printf("# %s: not in the daemon's status\n", w->name);
                json_object_put(st);
                return false;
        }
        printf("# daemon status of %s: %s\n", w->name,
               json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN));
        ok = status_str(c, "redirect") && strcmp(status_str(c, "redirect"), "supported") == 0 &&
             status_int(c, "redirects") == w->opens && status_int(c, "redirectFallbacks") == 0 &&
             status_int(c, "pins") == pins;
        if (!ok)
                printf("# %s: expected redirect \"supported\", %ld redirects, no fallback, %ld pins\n",
                       w->name, w->opens, pins);
        json_object_put(st);
        return ok;
}

/*
 * Everything (daemon, workers) on one CPU unless SRD_BENCH_CPU=-1: where the
 * scheduler puts a worker relative to the daemon (same vCPU, or a wake-up
 * across vCPUs, an IPI under TCG) otherwise changes a column's cost from one
 * boot to the next more than the redirect does.
 */
static void pin_cpu(long cpu) {
        cpu_set_t set;

        if (cpu < 0) {
                printf("# CPU affinity left alone\n");
                return;
        }
        CPU_ZERO(&set);
        CPU_SET((int) cpu, &set);
        if (sched_setaffinity(0, sizeof(set), &set) < 0)
                printf("# cannot pin to CPU %ld (%s): running unpinned\n", cpu, strerror(errno));
        else
                printf("# daemon and workers pinned to CPU %ld\n", cpu);
}

/*
 * Interrupts the guest took, by /proc/interrupts name (summed over CPUs):
 * IPIs per call tell a column that makes the kernel wake the other vCPU.
 */
#define N_IRQ_NAMES 4
static const char *const irq_names[N_IRQ_NAMES] = {"RES", "CAL", "TLB", "LOC"};

static void read_irqs(unsigned long long ret[N_IRQ_NAMES]) {
        char *text = NULL, *line, *save = NULL;

        memset(ret, 0, sizeof(unsigned long long) * N_IRQ_NAMES);
        if (itest_read_file("/proc/interrupts", &text) < 0)
                return;
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *p = line + strspn(line, " ");

                for (int k = 0; k < N_IRQ_NAMES; k++) {
                        size_t n = strlen(irq_names[k]);
                        char *end;

                        if (strncmp(p, irq_names[k], n) != 0 || p[n] != ':')
                                continue;
                        p += n + 1;
                        for (;;) {
                                unsigned long long v = strtoull(p, &end, 10);

                                if (end == p)
                                        break;
                                ret[k] += v;
                                p = end;
                        }
                }
        }
        free(text);
}

static void print_irqs_per_call(const char *name, Worker *w, long n) {
        unsigned long long a[N_IRQ_NAMES], b[N_IRQ_NAMES];
        long err = 0;

        read_irqs(a);
        if (loop_ticks(w, n, &err) < 0)
                return;
        read_irqs(b);
        printf("# interrupts per %s call:", name);
        for (int k = 0; k < N_IRQ_NAMES; k++)
                printf(" %s %.3f", irq_names[k], (double) (b[k] - a[k]) / (double) n);
        putchar('\n');
}

/*
 * Where a column's time goes: CPU time of the daemon and of the worker
 * (utime, stime of /proc/PID/stat, in clock ticks: sampled, but over a whole
 * column of rounds the sample is large), summed around every loop.
 */
typedef struct CpuSplit {
        unsigned long long v[4]; /* daemon user, daemon sys, worker user, worker sys */
} CpuSplit;

static int read_cpu(pid_t pid, unsigned long long *ret_user, unsigned long long *ret_sys) {
        char p[64], *text = NULL, *q;
        int r;

        (void) snprintf(p, sizeof(p), "/proc/%d/stat", (int) pid);
        r = itest_read_file(p, &text);
        if (r < 0)
                return r;
        /* After the ")" of comm: state is field 3, utime 14, stime 15. */
        q = strrchr(text, ')');
        r = q && sscanf(q + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", ret_user,
                        ret_sys) == 2
                    ? 0
                    : -EBADMSG;
        free(text);
        return r;
}

static void cpu_sample(pid_t daemon_pid, pid_t worker, unsigned long long ret[4]) {
        if (read_cpu(daemon_pid, &ret[0], &ret[1]) < 0 || read_cpu(worker, &ret[2], &ret[3]) < 0)
                memset(ret, 0, sizeof(unsigned long long) * 4);
}

static void print_clocksource(void) {
        char *text = NULL;

        if (itest_read_file("/sys/devices/system/clocksource/clocksource0/current_clocksource", &text) < 0)
                return;
        printf("# guest clocksource: %.*s (timing uses the TSC, see ticks())\n", (int) strcspn(text, "\n"),
               text);
        free(text);
}

int main(int argc, char *argv[]) {
        /* K: the continue policy on the main daemon, pinned continue once it
         * pins; C: plain continue. */
        enum { R, C, P, K, _COLUMNS };
        long rounds = env_long("SRD_BENCH_ROUNDS", ROUNDS_DEFAULT, 3, SAMPLES_MAX);
        long n_fresh = env_long("SRD_BENCH_FRESH", FRESH_DEFAULT, 3, SAMPLES_MAX);
        double seconds = (double) env_long("SRD_BENCH_ROUND_MS", ROUND_MS_DEFAULT, 10, 60000) / 1000.0;
        bool require =
                getenv("SRD_BENCH_REQUIRE_REDIRECT") && !strcmp(getenv("SRD_BENCH_REQUIRE_REDIRECT"), "1");
        /* Raw figures in TSC ticks (per call), converted with the rate of the whole run at the end. */
        double tk[_COLUMNS][SAMPLES_MAX], med[_COLUMNS], warm[_COLUMNS], paired[SAMPLES_MAX],
                paired_k[SAMPLES_MAX], ratio_k;
        double first[2][SAMPLES_MAX], second[2][SAMPLES_MAX], delta[2][SAMPLES_MAX], pin[SAMPLES_MAX];
        double f_first[2], f_second[2], f_delta[2];
        char dir[ITEST_PATH_MAX], path[ITEST_PATH_MAX + 32];
        Worker w[_COLUMNS] = {}, fw[2] = {};
        CpuSplit cpu[_COLUMNS] = {};
        long calls, err = 0, hits_r, hits_c;
        const char *skip = itest_skip_reason();
        json_object *st = NULL;
        double ratio, ratio_of_medians, rate, pin_us;
        Clock clk;
        bool ok, plain = false;
        Daemon d, dp = {};
        char dirp[ITEST_PATH_MAX];
        const Daemon *dc = &d;
        int r;

        setvbuf(stdout, NULL, _IOLBF, 0);
        clk = (Clock){.t0 = ticks(), .ns0 = now_ns()};

        if (!skip && !e2e_kernel_has_redirect())
                skip = "the kernel lacks the redirect series (SECCOMP_FILTER_FLAG_REDIRECT refused); "
                       "run it in the VM: meson test -C build --benchmark bench-redirect-vm";
        if (skip) {
                if (require) {
                        tap(false, "the patched kernel and the daemon are there: %s", skip);
                        return finish();
                }
                printf("1..0 # SKIP %s\n", skip);
                return 77;
        }
        print_clocksource();
        pin_cpu(env_long("SRD_BENCH_CPU", 0, -1, CPU_SETSIZE - 1));

        /* The daemon, with both policies; the containers pick theirs with policy=NAME. */
        r = itest_tmpdir("bench-redirect", dir, sizeof(dir));
        if (r >= 0)
                r = daemon_prepare(&d, dir);
        if (r >= 0)
                r = write_file_in(dir, "data", TEXT_ORIGINAL);
        if (r >= 0)
                r = write_file_in(dir, "sbox", TEXT_SANDBOX);
        if (r >= 0)
                r = daemon_add_policy(&d, POLICY_REDIRECT ".json", policy_redirect);
        if (r >= 0)
                r = daemon_add_policy(&d, POLICY_CONTINUE ".json", policy_continue);
        if (r >= 0)
                r = daemon_start(&d, NULL, NULL);
        if (!tap(r >= 0, "the daemon starts with a redirect and a continue policy")) {
                printf("# %s\n", strerror(-r));
                return finish();
        }

        /*
         * Plain continue for the continue column: a second daemon with
         * --unsafe-plain-continue if this one has it (continue is pinned by
         * default then); without it, the first daemon's continue is plain.
         * Its policy names the first daemon's directory, where the file is.
         */
        if (itest_tmpdir("bench-redirect-plain", dirp, sizeof(dirp)) >= 0 &&
            daemon_prepare(&dp, dirp) >= 0) {
                const char *const extra[] = {"--unsafe-plain-continue", NULL};
                char text[sizeof(policy_continue) + 2 * ITEST_PATH_MAX], *at;

                (void) snprintf(text, sizeof(text), "%s", policy_continue);
                at = strstr(text, "@TMP@");
                if (at && strlen(text) + strlen(dir) < sizeof(text)) {
                        memmove(at + strlen(dir), at + 5, strlen(at + 5) + 1);
                        memcpy(at, dir, strlen(dir));
                }
                if (daemon_add_policy(&dp, POLICY_CONTINUE ".json", text) >= 0 &&
                    daemon_start(&dp, extra, NULL) >= 0) {
                        plain = true;
                        dc = &dp;
                }
        }
        printf("# continue column: %s\n",
               plain ? "plain continue (a second daemon, --unsafe-plain-continue)"
                     : "the daemon's continue (it has no --unsafe-plain-continue: "
                       "continue is plain CONTINUE)");

        /* Every worker opens the same path; only what the daemon answers differs. */
        (void) snprintf(path, sizeof(path), "%s/data/file", dir);
        r = worker_start(&w[R], "bench-redirect", d.agent, POLICY_REDIRECT, path);
        if (r >= 0)
                r = worker_start(&w[C], "bench-continue", dc->agent, POLICY_CONTINUE, path);
        if (r >= 0)
                r = worker_start(&w[P], "plain", NULL, NULL, path);
        if (r >= 0)
                r = worker_start(&w[K], "bench-pinned", d.agent, POLICY_CONTINUE, path);
        if (r >= 0)
                r = worker_start(&fw[R], "bench-first-redirect", d.agent, POLICY_REDIRECT, path);
        if (r >= 0)
                r = worker_start(&fw[C], "bench-first-continue", dc->agent, POLICY_CONTINUE, path);
        if (!tap(r >= 0,
                 "six workers run (redirect, continue, plain, pinned; two forking fresh processes)")) {
                printf("# %s\n", strerror(-r));
                return finish();
        }

        /* A fallback (EPERM) or a redirect to the wrong place must not be timed. */
        ok = check_text(&w[R], TEXT_SANDBOX);
        ok = check_text(&w[C], TEXT_ORIGINAL) && ok;
        ok = check_text(&w[P], TEXT_ORIGINAL) && ok;
        ok = check_text(&w[K], TEXT_ORIGINAL) && ok;
        if (!tap(ok, "redirected openat returns the sandbox file; continue and plain the original"))
                return finish();

        /* Warm up (the redirect worker's arena is pinned by now), then size the
         * rounds: each column gets about `seconds` per round. The clock rate
         * needs a few jiffies behind it for that. */
        for (int k = 0; k < 2; k++)
                for (int c = 0; c < _COLUMNS && err == 0; c++)
                        warm[c] = loop_ticks(&w[c], 50, &err);
        if (err < 0) {
                tap(false, "warm-up loops of 50 openat calls succeed");
                return finish();
        }
        while (now_ns() - clk.ns0 < 250000000L)
                (void) usleep(10000);
        rate = clock_ticks_per_us(&clk);
        calls = (long) (seconds * 1e6 * rate / (warm[R] > warm[C] ? warm[R] : warm[C]));
        calls = calls < CALLS_MIN ? CALLS_MIN : calls > CALLS_MAX ? CALLS_MAX : calls;
        printf("# warm-up: redirect %.2f us, continue %.2f us, plain %.2f us per openat; "
               "%ld rounds of %ld calls per column\n",
               warm[R] / rate, warm[C] / rate, warm[P] / rate, rounds, calls);

        for (long i = 0; i < rounds && err == 0; i++)
                /* Rotate the order, so that no column always runs right after another. */
                for (int k = 0; k < _COLUMNS && err == 0; k++) {
                        int c = (int) ((i + k) % _COLUMNS);

                        unsigned long long a[4], b[4];

                        cpu_sample(c == C ? dc->pid : d.pid, w[c].pid, a);
                        tk[c][i] = loop_ticks(&w[c], calls, &err);
                        cpu_sample(c == C ? dc->pid : d.pid, w[c].pid, b);
                        for (int j = 0; j < 4; j++)
                                cpu[c].v[j] += b[j] - a[j];
                }
        if (!tap(err == 0, "%ld rounds of %ld openat calls per column succeed", rounds, calls))
                return finish();
        for (int c = 0; c < _COLUMNS; c++)
                med[c] = median(tk[c], (size_t) rounds);

        for (int c = 0; c < _COLUMNS; c++) {
                double per = 1e6 / (double) sysconf(_SC_CLK_TCK) / (double) (rounds * calls);

                printf("# CPU per %s call (tick-sampled): daemon user %.1f us, sys %.1f us; worker user "
                       "%.1f us, "
                       "sys %.1f us\n",
                       c == R   ? "redirect"
                       : c == C ? "continue"
                       : c == K ? "pinned continue"
                                : "plain",
                       (double) cpu[c].v[0] * per, (double) cpu[c].v[1] * per, (double) cpu[c].v[2] * per,
                       (double) cpu[c].v[3] * per);
        }
        print_irqs_per_call("redirect", &w[R], calls);
        print_irqs_per_call("continue", &w[C], calls);
        print_irqs_per_call("plain", &w[P], calls);
        print_irqs_per_call("pinned continue", &w[K], calls);

        /* Still redirected after all of that (the arena did not fill up, nothing fell back). */
        ok = check_text(&w[R], TEXT_SANDBOX);
        tap(ok, "redirected openat still returns the sandbox file after %ld calls", w[R].opens);

        /* First redirect of a fresh address space, against the same under continue. */
        ok = true;
        for (long i = 0; i < n_fresh && ok; i++)
                for (int k = 0; k < 2 && ok; k++) {
                        int c = (int) ((i + k) % 2);
                        WorkerReply rep;
                        long rr;

                        rr = worker_call(&fw[c], OP_FRESH, 0, &rep);
                        if (rr < 0) {
                                printf("# %s: fresh process: %s%s\n", fw[c].name, strerror((int) -rr),
                                       rr == -EPERM ? " (redirectFallback, not a redirect)" : "");
                                ok = false;
                        } else if (strcmp(rep.text, c == R ? TEXT_SANDBOX : TEXT_ORIGINAL) != 0) {
                                printf("# %s: fresh process read \"%.*s\"\n", fw[c].name,
                                       (int) strcspn(rep.text, "\n"), rep.text);
                                ok = false;
                        } else {
                                first[c][i] = (double) rep.ticks[0];
                                second[c][i] = (double) rep.ticks[1];
                                delta[c][i] = first[c][i] - second[c][i];
                        }
                }
        if (!tap(ok, "%ld fresh processes each redirect their first openat to the sandbox file", n_fresh))
                return finish();

        /* The daemon answered every one of those calls through its rule. */
        r = control_status(d.control, &st);
        hits_r = r < 0 ? -1 : (long) status_rule_hits(st, POLICY_REDIRECT, "file");
        json_object_put(st);
        st = NULL;
        r = control_status(dc->control, &st);
        hits_c = r < 0 ? -1 : (long) status_rule_hits(st, POLICY_CONTINUE, "file");
        json_object_put(st);
        /* The pinned worker's calls count on the main daemon's continue rule. */
        if (plain) {
                st = NULL;
                r = control_status(d.control, &st);
                ok = r >= 0 && (long) status_rule_hits(st, POLICY_CONTINUE, "file") == w[K].opens;
                json_object_put(st);
        } else {
                ok = true;
                hits_c -= w[K].opens;
        }
        tap(ok && hits_r == w[R].opens + fw[R].opens && hits_c == w[C].opens + fw[C].opens,
            "the daemon counted every openat on its rule: redirect %ld of %ld, continue %ld of %ld", hits_r,
            w[R].opens + fw[R].opens, hits_c, w[C].opens + fw[C].opens);
        ok = check_counters(d.control, &w[R], 1);
        ok = check_counters(d.control, &fw[R], n_fresh) && ok;
        tap(ok, "the daemon redirected every one of them, pinned once in the redirect worker "
                "and once in each fresh process");

        /* The figures, in us with the clock rate of the whole run. */
        rate = clock_ticks_per_us(&clk);
        printf("# clock: %.1f TSC ticks per us, over %.1f s of CLOCK_MONOTONIC\n", rate,
               (double) (now_ns() - clk.ns0) / 1e9);
        for (long i = 0; i < rounds; i++) {
                paired[i] = tk[R][i] / tk[C][i];
                paired_k[i] = tk[K][i] / tk[C][i];
                printf("# round %ld: redirect %.2f us, continue %.2f us, plain %.2f us; redirect/continue "
                       "%.2f\n",
                       i + 1, tk[R][i] / rate, tk[C][i] / rate, tk[P][i] / rate, paired[i]);
        }
        /* The verdict takes the median of the per-round ratios: the two columns
         * of a round run back to back, so a slow spell of the host (other
         * guests, builds) that spans several rounds cancels out in each. */
        ratio = median(paired, (size_t) rounds);
        ratio_k = median(paired_k, (size_t) rounds);
        ratio_of_medians = med[R] / med[C];
        printf("# openat round trip, median of %ld rounds x %ld calls: redirect %.2f us (%.0f/s), "
               "continue %.2f us (%.0f/s), plain %.2f us (%.0f/s)\n",
               rounds, calls, med[R] / rate, 1e6 * rate / med[R], med[C] / rate, 1e6 * rate / med[C],
               med[P] / rate, 1e6 * rate / med[P]);
        printf("# ratio redirect/continue %.2f (target <= %.2f), median of the per-round ratios; "
               "ratio of the medians %.2f; redirect/plain %.2f, continue/plain %.2f\n",
               ratio, TARGET_RATIO, ratio_of_medians, med[R] / med[P], med[C] / med[P]);
        printf("# ratio pinned continue/plain continue %.3f (target <= %.2f), median of the per-round "
               "ratios: "
               "%s; pinned %.2f us, plain %.2f us\n",
               plain ? ratio_k : ratio, TARGET_RATIO,
               plain ? "continue on the daemon against continue on one with --unsafe-plain-continue"
                     : "no --unsafe-plain-continue here, so the redirect to a path of the same length "
                       "stands "
                       "for it",
               (plain ? med[K] : med[R]) / rate, med[C] / rate);

        /* Fresh processes: pair i is a redirect and a continue child forked back to back. */
        for (long i = 0; i < n_fresh; i++)
                pin[i] = delta[R][i] - delta[C][i];
        for (int c = 0; c < 2; c++) {
                f_first[c] = median(first[c], (size_t) n_fresh) / rate;
                f_second[c] = median(second[c], (size_t) n_fresh) / rate;
                f_delta[c] = median(delta[c], (size_t) n_fresh) / rate;
        }
        pin_us = median(pin, (size_t) n_fresh) / rate;
        printf("# first openat in a fresh process, median of %ld: redirect %.2f us (its second, pinned: "
               "%.2f us), "
               "continue %.2f us (its second %.2f us)\n",
               n_fresh, f_first[R], f_second[R], f_first[C], f_second[C]);
        printf("# first-redirect cost (pin install) %.2f us: median over pairs of (first - second | "
               "redirect) - "
               "(first - second | continue); medians of those %.2f us and %.2f us\n",
               pin_us, f_delta[R], f_delta[C]);

        tap(ratio <= TARGET_RATIO, "redirect/continue ratio %.2f %s %.2f", ratio,
            ratio <= TARGET_RATIO ? "within" : "exceeds", TARGET_RATIO);
        if (plain)
                tap(ratio_k <= TARGET_RATIO, "pinned continue/plain continue ratio %.3f %s %.2f", ratio_k,
                    ratio_k <= TARGET_RATIO ? "within" : "exceeds", TARGET_RATIO);

        for (int c = 0; c < _COLUMNS; c++)
                worker_stop(&w[c]);
        worker_stop(&fw[R]);
        worker_stop(&fw[C]);
        (void) daemon_stop(&d, SIGTERM, 5000, NULL);
        if (plain)
                (void) daemon_stop(&dp, SIGTERM, 5000, NULL);
        return finish();
}
