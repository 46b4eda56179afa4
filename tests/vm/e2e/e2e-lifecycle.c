/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Redirect under load and across the life of processes, with the real
 * daemon on the patched kernel:
 *
 *  - 64 threads of one target redirecting concurrently (one pin, one mm,
 *    many notifications in flight), then the same in an exec'd image that
 *    had to get its pin away from the container's first pin address;
 *  - 1,000 short-lived processes forked from a target that has its pin:
 *    each inherits the filter and the pin's mapping and does one redirect;
 *  - a process that redirects, execs itself, and redirects again, several
 *    times over: each exec drops the pin, the daemon must install another,
 *    exactly one per image, elsewhere when the old address is taken;
 *  - afterwards the daemon's RSS, open fds and memfd mappings are back to
 *    what they were before (after a warm-up container).
 *
 * Every redirected open must read back the sandbox file's content: a
 * fallback (EPERM) or a syscall let through unchanged (the real file) is
 * counted as a failure, and the daemon's log must have no fallback line.
 * The policy's rule does not log, so the only lines about a container are
 * its handover, a fallback warning and its end.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e-util.h"
#include "macro.h"

#define POLICY "life"
#define N_THREADS 64
#define THREAD_OPENS 200
#define N_PROCS 1000
#define PROC_BATCH 50
#define PROC_FILES 16
#define EXEC_STAGES 8
#define STAGE_OPENS 4
#define RSS_TOLERANCE_KIB 512
#define TARGET_TIMEOUT_MS 240000u
#define GONE_TIMEOUT_MS 30000u
#define PATH_BUF 4096
#define STR_(x) #x
#define STR(x) STR_(x)

static const char policy_json[] =
        "{\n"
        "  \"version\": 1,\n"
        "  \"name\": \"" POLICY "\",\n"
        "  \"defaultAction\": \"continue\",\n"
        "  \"redirectFallback\": { \"action\": \"errno\", \"errno\": \"EPERM\" },\n"
        "  \"rules\": [\n"
        "    { \"name\": \"sandbox\", \"names\": [\"open\"],\n"
        "      \"path\": { \"prefix\": \"@TMP@/real/\" },\n"
        "      \"action\": \"redirect\", \"to\": \"@TMP@/sb/{suffix}\" }\n"
        "  ]\n"
        "}\n";

/*
 * open(2) is the redirected call; execve is let through, but is notified as
 * a runtime's profile would. Not openat: a path rule on it would pin every
 * openat (pinned continue), the dynamic loader's after an exec too, before
 * an image could take the old pin's address.
 */
static const int notified[] = {SYS_open, SYS_execve};

/* Counters the targets (threads, forked children) add to; MAP_SHARED. */
typedef struct Shared {
        long ok, bad, failed; /* read the sandbox content / read something else / the open failed */
        long first_errno;
        char first_bad[256];
        long children_bad_exit;
        long children_sampled, children_own_pin; /* children with a pin besides the inherited one */
        uint64_t usec;
        int warm; /* the warm-up target has done its redirect */
} Shared;

static Shared *sh;
static Daemon daemon_;
static char real_dir[ITEST_PATH_MAX + 16], sb_dir[ITEST_PATH_MAX + 16];
static pthread_barrier_t barrier;

static const char *join(char *buf, size_t size, const char *dir, const char *name) {
        if ((size_t) snprintf(buf, size, "%s/%s", dir, name) >= size)
                abort(); /* a bug in this test: its paths are short */
        return buf;
}

/* memfd mappings of pid (the daemon: its arenas; a target: its pins). */
static int memfd_maps(pid_t pid) {
        char path[64], *text = NULL;
        int n = 0;

        (void) snprintf(path, sizeof(path), "/proc/%d/maps", (int) pid);
        if (itest_read_file(path, &text) < 0)
                return -1;
        for (const char *p = text; (p = strstr(p, "/memfd:")); p++)
                n++;
        free(text);
        return n;
}

/* ------------------------------------------------------------------------ */
/* In the targets.                                                           */

/* One redirected open of real/name: 1 read the sandbox's content, 0 something else, -errno failed. */
static int open_one(const char *dir, const char *name, char *got, size_t size) {
        char path[PATH_BUF], want[256], buf[256];
        ssize_t k;
        int fd;

        fd = (int) syscall(SYS_open, join(path, sizeof(path), dir, name), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        k = pread(fd, buf, sizeof(buf) - 1, 0);
        close(fd);
        if (k < 0)
                return -errno;
        buf[k] = '\0';
        (void) snprintf(want, sizeof(want), "sandbox:%s\n", name);
        if (strcmp(buf, want) == 0)
                return 1;
        if (got)
                (void) snprintf(got, size, "%s", buf);
        return 0;
}

static void count(int r, const char *name) {
        if (r > 0) {
                __atomic_fetch_add(&sh->ok, 1, __ATOMIC_RELAXED);
                return;
        }
        if (r == 0)
                __atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED);
        else
                __atomic_fetch_add(&sh->failed, 1, __ATOMIC_RELAXED);
        /* Racy among threads, but only the first one matters and any one will do. */
        if (sh->first_bad[0] == '\0') {
                (void) snprintf(sh->first_bad, sizeof(sh->first_bad), "%s: %s", name,
                                r < 0 ? strerror(-r) : "wrong content");
                sh->first_errno = r < 0 ? -r : 0;
        }
}

static void *thread_main(void *userdata) {
        long i = (long) userdata;
        char name[32];

        (void) snprintf(name, sizeof(name), "thread-%02ld", i);
        (void) pthread_barrier_wait(&barrier);
        for (int k = 0; k < THREAD_OPENS; k++)
                count(open_one(real_dir, name, NULL, 0), name);
        return NULL;
}

static int body_threads(void *userdata) {
        pthread_t th[N_THREADS];
        uint64_t t0;
        int n = 0;

        if (pthread_barrier_init(&barrier, NULL, N_THREADS + 1) != 0)
                return 10;
        for (long i = 0; i < N_THREADS; i++) {
                if (pthread_create(&th[i], NULL, thread_main, (void *) i) != 0)
                        break;
                n++;
        }
        if (n != N_THREADS)
                /* The barrier would never open: leave, and let the parent report it. */
                return 11;
        t0 = itest_now_usec();
        (void) pthread_barrier_wait(&barrier);
        for (int i = 0; i < n; i++)
                (void) pthread_join(th[i], NULL);
        sh->usec = itest_now_usec() - t0;
        return 0;
}

static int body_procs(void *userdata) {
        uint64_t t0;
        char name[32];

        /* The target's own redirect first: the pin is in its mm, and every
         * child forked after this inherits the mapping. */
        count(open_one(real_dir, "proc-00", NULL, 0), "proc-00 (forking target)");

        t0 = itest_now_usec();
        for (int done = 0; done < N_PROCS;) {
                int batch = N_PROCS - done < PROC_BATCH ? N_PROCS - done : PROC_BATCH, started = 0;

                for (int i = 0; i < batch; i++) {
                        pid_t pid = fork();

                        if (pid < 0)
                                break;
                        if (pid == 0) {
                                (void) snprintf(name, sizeof(name), "proc-%02d", (done + i) % PROC_FILES);
                                count(open_one(real_dir, name, NULL, 0), name);
                                if (done == 0) {
                                        /* For the diagnostics: did the daemon reuse the inherited pin? */
                                        __atomic_fetch_add(&sh->children_sampled, 1, __ATOMIC_RELAXED);
                                        if (memfd_maps(getpid()) > 1)
                                                __atomic_fetch_add(&sh->children_own_pin, 1,
                                                                   __ATOMIC_RELAXED);
                                }
                                _exit(0);
                        }
                        started++;
                }
                for (int i = 0; i < started; i++) {
                        int st;

                        if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
                                sh->children_bad_exit++;
                }
                if (started < batch) {
                        sh->children_bad_exit += batch - started;
                        return 12;
                }
                done += batch;
        }
        sh->usec = itest_now_usec() - t0;
        return 0;
}

/* The pins in this address space: how many, and where the first one is. */
static int own_pins(uint64_t *ret_addr) {
        char line[512];
        FILE *f = fopen("/proc/self/maps", "re");
        int n = 0;

        *ret_addr = 0;
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f))
                if (strstr(line, "/memfd:")) {
                        if (n++ == 0)
                                *ret_addr = strtoull(line, NULL, 16);
                }
        fclose(f);
        return n;
}

/*
 * One stage of the exec chain: STAGE_OPENS redirected opens, half of them
 * of a path this stage is the first to use, then exec the next stage. Odd
 * stages first put a page of their own where the previous image had its
 * pin, so the daemon cannot pin there again and must find another place.
 * Either way the image must end up with exactly one pin.
 *
 * argv: --exec-stage STAGE OK FAILED REAL_DIR REPORT_FD PREV_PIN_ADDR. The
 * last stage writes "OK FAILED MOVED first-failure" to REPORT_FD.
 */
static int exec_stage(int stage, long ok, long failed, long moved, const char *dir, int report_fd,
                      uint64_t prev_pin) {
        char name[32], got[256] = "", first[300] = "";
        char a_stage[16], a_ok[32], a_failed[32], a_moved[32], a_fd[16], a_pin[32];
        bool occupied = false;
        uint64_t pin;
        int pins;

        if (stage % 2 == 1 && prev_pin) {
                void *p = mmap((void *) prev_pin, 4096, PROT_READ,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

                occupied = p == (void *) prev_pin;
        }

        for (int k = 0; k < STAGE_OPENS; k++) {
                int r;

                if (k % 2 == 0)
                        (void) snprintf(name, sizeof(name), "exec-common");
                else
                        (void) snprintf(name, sizeof(name), "exec-stage-%d", stage);
                r = open_one(dir, name, got, sizeof(got));
                if (r > 0)
                        ok++;
                else {
                        failed++;
                        if (!first[0])
                                (void) snprintf(first, sizeof(first), "stage %d %s: %s", stage, name,
                                                r < 0 ? strerror(-r) : got);
                }
        }

        pins = own_pins(&pin);
        if (pins != 1 || (occupied && pin == prev_pin)) {
                failed++;
                if (!first[0])
                        (void) snprintf(first, sizeof(first),
                                        "stage %d: %d pins in the address space, first at %#llx%s", stage,
                                        pins, (unsigned long long) pin,
                                        occupied ? " (previous pin's address occupied)" : "");
        }
        if (occupied && pins == 1 && pin != prev_pin)
                moved++;

        if (stage >= EXEC_STAGES) {
                char report[512];
                int n = snprintf(report, sizeof(report), "%ld %ld %ld %s", ok, failed, moved, first);

                return write(report_fd, report, (size_t) n) == n && failed == 0 ? 0 : 1;
        }
        if (first[0])
                /* Only numbers travel in argv: say what went wrong now. */
                fprintf(stderr, "# exec chain: %s\n", first);
        (void) snprintf(a_stage, sizeof(a_stage), "%d", stage + 1);
        (void) snprintf(a_ok, sizeof(a_ok), "%ld", ok);
        (void) snprintf(a_failed, sizeof(a_failed), "%ld", failed);
        (void) snprintf(a_moved, sizeof(a_moved), "%ld", moved);
        (void) snprintf(a_fd, sizeof(a_fd), "%d", report_fd);
        (void) snprintf(a_pin, sizeof(a_pin), "%#llx", (unsigned long long) pin);
        execl("/proc/self/exe", "e2e-lifecycle", "--exec-stage", a_stage, a_ok, a_failed, a_moved, dir, a_fd,
              a_pin, (char *) NULL);
        return 20;
}

static int exec_report[2] = {-1, -1};

static int body_exec(void *userdata) {
        /* The write end must survive the execs. */
        if (fcntl(exec_report[1], F_SETFD, 0) < 0)
                return 21;
        close(exec_report[0]);
        return exec_stage(0, 0, 0, 0, real_dir, exec_report[1], 0);
}

/*
 * The threads again, in an image whose pin is not where the container's
 * first pin went: exec'd, with a page of its own at the old address before
 * its first redirect. argv: --threads-moved REAL_DIR REPORT_FD PREV_PIN_ADDR.
 * Writes "OK BAD FAILED USEC PINS MOVED" to REPORT_FD.
 */
static int threads_moved_stage(const char *dir, int report_fd, uint64_t prev_pin) {
        char report[256];
        uint64_t pin;
        void *p;
        int r, pins, n;

        (void) snprintf(real_dir, sizeof(real_dir), "%s", dir);
        sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (sh == MAP_FAILED)
                return 40;
        p = mmap((void *) prev_pin, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
                 0);
        if (p != (void *) prev_pin)
                return 41;
        r = body_threads(NULL);
        pins = own_pins(&pin);
        n = snprintf(report, sizeof(report), "%ld %ld %ld %llu %d %d", sh->ok, sh->bad, sh->failed,
                     (unsigned long long) sh->usec, pins, pins == 1 && pin != prev_pin);
        if (write(report_fd, report, (size_t) n) != n)
                return 42;
        return r;
}

static int body_threads_moved(void *userdata) {
        char a_fd[16], a_pin[32];
        uint64_t pin;

        if (fcntl(exec_report[1], F_SETFD, 0) < 0)
                return 21;
        close(exec_report[0]);
        /* The container's first pin, in this image. */
        count(open_one(real_dir, "thread-00", NULL, 0), "thread-00 (before the exec)");
        if (own_pins(&pin) != 1)
                return 22;
        (void) snprintf(a_fd, sizeof(a_fd), "%d", exec_report[1]);
        (void) snprintf(a_pin, sizeof(a_pin), "%#llx", (unsigned long long) pin);
        execl("/proc/self/exe", "e2e-lifecycle", "--threads-moved", real_dir, a_fd, a_pin, (char *) NULL);
        return 23;
}

static int warmup_release[2] = {-1, -1};

/* One redirect, then stay until the parent has looked at the daemon's maps. */
static int body_warmup(void *userdata) {
        char b;

        count(open_one(real_dir, "warmup", NULL, 0), "warmup");
        __atomic_store_n(&sh->warm, 1, __ATOMIC_RELEASE);
        return read(warmup_release[0], &b, 1) == 1 ? 0 : 13;
}

/* ------------------------------------------------------------------------ */
/* In the parent.                                                            */

static int put_file(const char *dir, const char *name, const char *tag) {
        char path[PATH_BUF], content[256];

        (void) snprintf(content, sizeof(content), "%s:%s\n", tag, name);
        return itest_write_file(join(path, sizeof(path), dir, name), content);
}

static int make_files(const char *name) {
        int r = put_file(real_dir, name, "real");

        return r < 0 ? r : put_file(sb_dir, name, "sandbox");
}

static int setup(void) {
        char name[32];
        int r;

        r = e2e_daemon_start(&daemon_, POLICY, policy_json, NULL);
        if (r < 0)
                return r;
        (void) snprintf(real_dir, sizeof(real_dir), "%s/real", daemon_.dir);
        (void) snprintf(sb_dir, sizeof(sb_dir), "%s/sb", daemon_.dir);
        if (mkdir(real_dir, 0755) < 0 || mkdir(sb_dir, 0755) < 0)
                return -errno;
        if ((r = make_files("warmup")) < 0 || (r = make_files("exec-common")) < 0)
                return r;
        for (int i = 0; i < N_THREADS; i++) {
                (void) snprintf(name, sizeof(name), "thread-%02d", i);
                if ((r = make_files(name)) < 0)
                        return r;
        }
        for (int i = 0; i < PROC_FILES; i++) {
                (void) snprintf(name, sizeof(name), "proc-%02d", i);
                if ((r = make_files(name)) < 0)
                        return r;
        }
        for (int i = 0; i <= EXEC_STAGES; i++) {
                (void) snprintf(name, sizeof(name), "exec-stage-%d", i);
                if ((r = make_files(name)) < 0)
                        return r;
        }
        sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (sh == MAP_FAILED)
                return -errno;
        return 0;
}

typedef struct Run {
        const char *id;
        int code;
        int live_memfd, live_fds; /* sampled while the warm-up target lived */
        uint64_t usec; /* spawn to container gone */
        char gone_line[256];
} Run;

/* Spawn a target under id, wait for it and for its container to be gone. */
static int run_target(const char *id, int (*body)(void *), Run *ret) {
        E2eTarget t = {
                .notify = notified,
                .n_notify = ELEMENTSOF(notified),
                .redirect = true,
                .agent = daemon_.agent,
                .id = id,
        };
        uint64_t t0 = itest_now_usec();
        pid_t pid;
        int r;

        memset(sh, 0, sizeof(*sh));
        *ret = (Run){.id = id};
        fflush(stdout);
        fflush(stderr);
        pid = e2e_spawn(&t, body, NULL);
        if (pid < 0)
                return (int) pid;
        if (exec_report[1] >= 0) {
                close(exec_report[1]);
                exec_report[1] = -1;
        }
        if (body == body_warmup) {
                uint64_t end = itest_now_usec() + GONE_TIMEOUT_MS * 1000ull;

                while (!__atomic_load_n(&sh->warm, __ATOMIC_ACQUIRE) && itest_now_usec() < end)
                        (void) usleep(5000);
                ret->live_memfd = memfd_maps(daemon_.pid);
                ret->live_fds = daemon_count_fds(&daemon_);
                if (write(warmup_release[1], "x", 1) != 1)
                        ret->live_memfd = -1;
        }
        ret->code = e2e_wait(pid, TARGET_TIMEOUT_MS);
        r = status_wait_container(daemon_.control, id, false, GONE_TIMEOUT_MS);
        ret->usec = itest_now_usec() - t0;
        return r;
}

/* What the last stage of an exec'd target wrote before it exited (a broken chain leaves EOF). */
static ssize_t read_report(char *buf, size_t size) {
        struct pollfd pfd = {.fd = exec_report[0], .events = POLLIN};
        ssize_t k;

        k = poll(&pfd, 1, 1000) > 0 ? read(exec_report[0], buf, size - 1) : -1;
        close(exec_report[0]);
        exec_report[0] = -1;
        buf[k > 0 ? k : 0] = '\0';
        return k;
}

/* The log about container id: no fallback line; its "gone" line for the diagnostics. */
static bool log_clean(const char *id, size_t offset, Run *run, char *why, size_t n) {
        char *text = NULL, prefix[64], *line, *save = NULL;
        bool ok = true;

        (void) snprintf(prefix, sizeof(prefix), "Container %s pid ", id);
        if (itest_read_file(daemon_.log, &text) < 0 || strlen(text) < offset) {
                free(text);
                (void) snprintf(why, n, "cannot read the daemon log");
                return false;
        }
        for (line = strtok_r(text + offset, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (!strstr(line, prefix))
                        continue;
                if (ok && (strstr(line, "redirectFallback") || strstr(line, "suppressed"))) {
                        (void) snprintf(why, n, "daemon log: %.400s", line);
                        ok = false;
                }
                if (strstr(line, " gone "))
                        (void) snprintf(run->gone_line, sizeof(run->gone_line), "%s", strstr(line, prefix));
        }
        free(text);
        return ok;
}

static bool counts_ok(long want, const Run *run, size_t offset, char *why, size_t n) {
        Run copy = *run;

        if (run->code != 0) {
                (void) snprintf(why, n, "target exited with %d; %ld ok, %ld wrong, %ld failed (first: %s)",
                                run->code, sh->ok, sh->bad, sh->failed, sh->first_bad);
                return false;
        }
        if (sh->ok != want || sh->bad != 0 || sh->failed != 0 || sh->children_bad_exit != 0) {
                (void) snprintf(
                        why, n,
                        "%ld of %ld opens read the sandbox file, %ld wrong, %ld failed, %ld bad exits"
                        " (first: %s)",
                        sh->ok, want, sh->bad, sh->failed, sh->children_bad_exit, sh->first_bad);
                return false;
        }
        if (!log_clean(run->id, offset, &copy, why, n))
                return false;
        printf("# %s: %ld redirected opens, all from the sandbox; %.2f s in the workload, %.2f s spawn to "
               "gone\n",
               run->id, want, (double) sh->usec / 1e6, (double) run->usec / 1e6);
        if (copy.gone_line[0])
                printf("# %s\n", copy.gone_line);
        if (sh->children_sampled > 0)
                printf("# %ld of the first %ld children had a pin of their own besides the inherited one\n",
                       sh->children_own_pin, sh->children_sampled);
        return true;
}

static const char *const case_names[] = {
        "warm-up: one redirected open, container gone afterwards",
        STR(N_THREADS) " threads x " STR(
                THREAD_OPENS) " concurrent redirected opens: all read the sandbox file",
        "the same threads after an exec whose image has the container's first pin address taken",
        STR(N_PROCS) " short-lived forked processes (filter and pin inherited), one redirected open each",
        "execve between redirects: " STR(EXEC_STAGES) " execs of itself, " STR(
                STAGE_OPENS) " redirected opens per image, one pin per image (every other one with the old "
                             "pin's address taken)",
        "daemon memory after all targets exited: fds and memfd mappings at baseline, RSS within +" STR(
                RSS_TOLERANCE_KIB) " KiB",
};

static int all_fail(const char *reason) {
        printf("1..%zu\n", ELEMENTSOF(case_names));
        for (size_t i = 0; i < ELEMENTSOF(case_names); i++)
                printf("not ok %zu - %s # %s\n", i + 1, case_names[i], reason);
        return EXIT_FAILURE;
}

static unsigned n_test, n_failed;

static void tap(bool ok, const char *why) {
        n_test++;
        if (!ok)
                n_failed++;
        printf("%sok %u - %s\n", ok ? "" : "not ", n_test, case_names[n_test - 1]);
        if (why && why[0])
                printf("# %s\n", why);
        fflush(stdout);
}

int main(int argc, char *argv[]) {
        uint64_t threads_usec;
        long base_rss, rss;
        int base_fds, fds, base_memfd, memfd, r;
        char why[1024];
        const char *skip;
        size_t offset;
        Run run;
        bool ok;

        if (argc >= 2 && streq(argv[1], "--exec-stage")) {
                if (argc != 9)
                        _exit(30);
                _exit(exec_stage(atoi(argv[2]), atol(argv[3]), atol(argv[4]), atol(argv[5]), argv[6],
                                 atoi(argv[7]), strtoull(argv[8], NULL, 0)));
        }

        if (argc >= 2 && streq(argv[1], "--threads-moved")) {
                if (argc != 5)
                        _exit(30);
                _exit(threads_moved_stage(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 0)));
        }

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (!e2e_kernel_has_redirect())
                return all_fail("kernel lacks the redirect series");
        skip = itest_skip_reason();
        if (skip)
                return all_fail(skip);
        r = itest_raise_nofile(4096);
        if (r < 0)
                printf("# raising RLIMIT_NOFILE: %s\n", strerror(-r));
        r = setup();
        if (r < 0) {
                printf("# setup: %s\n", strerror(-r));
                return all_fail("setup failed");
        }
        printf("1..%zu\n", ELEMENTSOF(case_names));
        printf("# daemon dir %s\n", daemon_.dir);

        /* 1: warm-up, then the baseline. */
        why[0] = '\0';
        offset = daemon_log_size(&daemon_);
        if (pipe2(warmup_release, O_CLOEXEC) < 0)
                return all_fail("pipe failed");
        r = run_target("warmup", body_warmup, &run);
        ok = r == 0 && counts_ok(1, &run, offset, why, sizeof(why));
        if (r < 0)
                (void) snprintf(why, sizeof(why), "warmup: %s", strerror(-r));
        else if (ok && run.live_memfd < 1) {
                /* Else "back to the baseline" below would prove nothing about arenas. */
                (void) snprintf(why, sizeof(why),
                                "no arena (memfd mapping) in the daemon's maps while it lived");
                ok = false;
        }
        printf("# while the warm-up container lived: %d memfd mappings, %d fds in the daemon\n",
               run.live_memfd, run.live_fds);
        tap(ok, why);
        base_rss = daemon_rss_kib(&daemon_);
        base_fds = daemon_count_fds(&daemon_);
        base_memfd = memfd_maps(daemon_.pid);
        printf("# baseline after the warm-up: RSS %ld KiB, %d fds, %d memfd mappings\n", base_rss, base_fds,
               base_memfd);

        /* 2: threads. */
        why[0] = '\0';
        offset = daemon_log_size(&daemon_);
        r = run_target("threads", body_threads, &run);
        ok = r == 0 && counts_ok((long) N_THREADS * THREAD_OPENS, &run, offset, why, sizeof(why));
        if (r < 0)
                (void) snprintf(why, sizeof(why), "threads: %s", strerror(-r));
        tap(ok, why);
        threads_usec = sh->usec;

        /* 2b: threads in an image whose pin is not at the listener's first address. */
        why[0] = '\0';
        offset = daemon_log_size(&daemon_);
        if (pipe2(exec_report, O_CLOEXEC) < 0) {
                (void) snprintf(why, sizeof(why), "pipe: %m");
                tap(false, why);
        } else {
                char report[512] = "";
                long got_ok = -1, got_bad = -1, got_failed = -1;
                unsigned long long usec = 0;
                int pins = -1, moved = -1;

                r = run_target("threads-moved", body_threads_moved, &run);
                if (read_report(report, sizeof(report)) > 0)
                        (void) sscanf(report, "%ld %ld %ld %llu %d %d", &got_ok, &got_bad, &got_failed,
                                      &usec, &pins, &moved);
                /* The open before the exec went to the shared counters. */
                sh->ok += got_ok;
                sh->bad += got_bad;
                sh->failed += got_failed;
                sh->usec = usec;
                ok = r == 0 &&
                     counts_ok((long) N_THREADS * THREAD_OPENS + 1, &run, offset, why, sizeof(why));
                if (ok && (pins != 1 || moved != 1)) {
                        (void) snprintf(why, sizeof(why), "%d pins in the exec'd image, %s the old address",
                                        pins, moved == 1 ? "away from" : "at");
                        ok = false;
                }
                if (r < 0)
                        (void) snprintf(why, sizeof(why), "threads-moved: %s", strerror(-r));
                if (ok && threads_usec > 0)
                        printf("# %.1f us per redirected open, %.1f us with the pin at the first address "
                               "(x%.1f)\n",
                               (double) usec / (N_THREADS * THREAD_OPENS),
                               (double) threads_usec / (N_THREADS * THREAD_OPENS),
                               (double) usec / (double) threads_usec);
                tap(ok, why);
        }

        /* 3: forked processes (and the forking target's own open). */
        why[0] = '\0';
        offset = daemon_log_size(&daemon_);
        r = run_target("procs", body_procs, &run);
        ok = r == 0 && counts_ok(N_PROCS + 1, &run, offset, why, sizeof(why));
        if (r < 0)
                (void) snprintf(why, sizeof(why), "procs: %s", strerror(-r));
        tap(ok, why);

        /* 4: the exec chain; its counts come through the report pipe. */
        why[0] = '\0';
        offset = daemon_log_size(&daemon_);
        if (pipe2(exec_report, O_CLOEXEC) < 0) {
                (void) snprintf(why, sizeof(why), "pipe: %m");
                tap(false, why);
        } else {
                char report[512] = "";
                long want = (long) (EXEC_STAGES + 1) * STAGE_OPENS, got_ok = -1, got_failed = -1, moved = -1;
                ssize_t k;
                int consumed = 0;

                r = run_target("exec", body_exec, &run);
                k = read_report(report, sizeof(report));
                if (k > 0) {
                        (void) sscanf(report, "%ld %ld %ld %n", &got_ok, &got_failed, &moved, &consumed);
                }
                sh->ok = got_ok;
                sh->usec = run.usec;
                if (got_failed > 0) {
                        sh->failed = got_failed;
                        (void) snprintf(sh->first_bad, sizeof(sh->first_bad), "%s", report + consumed);
                }
                ok = r == 0 && counts_ok(want, &run, offset, why, sizeof(why));
                if (ok && moved != EXEC_STAGES / 2) {
                        (void) snprintf(why, sizeof(why),
                                        "%ld of %d images pinned elsewhere when the old address was taken",
                                        moved, EXEC_STAGES / 2);
                        ok = false;
                } else if (ok)
                        printf("# %ld images found the old pin address taken and got their pin elsewhere; "
                               "one pin "
                               "per image\n",
                               moved);
                if (r < 0)
                        (void) snprintf(why, sizeof(why), "exec: %s", strerror(-r));
                else if (k <= 0 && !why[0])
                        (void) snprintf(why, sizeof(why), "no report from the last stage");
                tap(ok, why);
        }

        /* 5: memory. Every container must be gone first. */
        why[0] = '\0';
        {
                json_object *s = NULL;
                size_t n_containers = (size_t) -1;

                if (control_status(daemon_.control, &s) == 0) {
                        n_containers = status_n_containers(s);
                        json_object_put(s);
                }
                rss = daemon_rss_kib(&daemon_);
                fds = daemon_count_fds(&daemon_);
                memfd = memfd_maps(daemon_.pid);
                (void) snprintf(
                        why, sizeof(why),
                        "%zu containers left; RSS %ld KiB (baseline %ld, %+ld), %d fds (baseline %d), "
                        "%d memfd mappings (baseline %d)",
                        n_containers, rss, base_rss, rss - base_rss, fds, base_fds, memfd, base_memfd);
                ok = n_containers == 0 && base_rss > 0 && rss > 0 && rss <= base_rss + RSS_TOLERANCE_KIB &&
                     base_fds > 0 && fds == base_fds && base_memfd >= 0 && memfd == base_memfd;
                tap(ok, why);
        }

        return n_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
