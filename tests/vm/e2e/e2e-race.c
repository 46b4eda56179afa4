/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * "The race is gone": the time-of-check/time-of-use race of a notify
 * supervisor, with the real daemon on the patched kernel.
 *
 * A target's main thread makes notified openat() calls on a path buffer
 * while a sibling thread flips one byte of it, in a tight loop, between
 * an allowed path (D/real/A) and a forbidden one (D/real/F). The flipped
 * byte is the last one, so every read of the buffer yields one of the
 * two paths, never a torn mix. After each successful open the target
 * fstat()s the fd and compares the inode with the file the policy chose.
 *
 *  - Policy "race-redirect": A is redirected to D/sb/A, F is denied
 *    (EACCES). The kernel opens the path the daemon put in the pinned
 *    arena, not the user's buffer, so every successful open must be
 *    D/sb/A, whatever the flipper does: 100,000 opens, 0 wrong.
 *  - Policy "race-continue", the classic agent pattern: A is let through
 *    (continue), F denied. A plain CONTINUE lets the kernel read the
 *    user's buffer again after the check; the daemon's pinned continue
 *    points the call at a copy of the checked path instead, so here too:
 *    100,000 opens, 0 wrong, every allowed one answered by a redirect.
 *    (The bypass matrix, e2e-bypass, shows with --unsafe-plain-continue
 *    that the same race does get through a plain CONTINUE.)
 *
 * Both also check, through the daemon's status while the target is still
 * there, that the daemon decided every call with one of the two rules
 * (no default action, i.e. no torn path), and for the redirect policy
 * that every successful open was a redirect and none a fallback.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "e2e-util.h"
#include "macro.h"

/* The issue asks for 100,000 notified opens under the flipping thread. */
#define REDIRECT_OPENS 100000L
#define TARGET_TIMEOUT_MS 600000u
#define GONE_TIMEOUT_MS 30000u
#define PATH_BUF 4096
/* TAP lines per race, see run_race(). */
#define CHECKS_PER_RACE 5u

static const char policy_redirect[] =
        "{\n"
        "  \"version\": 1,\n"
        "  \"name\": \"race-redirect\",\n"
        "  \"defaultAction\": \"continue\",\n"
        "  \"redirectFallback\": { \"action\": \"errno\", \"errno\": \"EPERM\" },\n"
        "  \"rules\": [\n"
        "    { \"name\": \"allowed\", \"names\": [\"openat\"],\n"
        "      \"path\": { \"exact\": \"@TMP@/real/A\" },\n"
        "      \"action\": \"redirect\", \"to\": \"@TMP@/sb/A\" },\n"
        "    { \"name\": \"forbidden\", \"names\": [\"openat\"],\n"
        "      \"path\": { \"exact\": \"@TMP@/real/F\" },\n"
        "      \"action\": \"errno\", \"errno\": \"EACCES\" }\n"
        "  ]\n"
        "}\n";

static const char policy_continue[] =
        "{\n"
        "  \"version\": 1,\n"
        "  \"name\": \"race-continue\",\n"
        "  \"defaultAction\": \"continue\",\n"
        "  \"redirectFallback\": { \"action\": \"errno\", \"errno\": \"EPERM\" },\n"
        "  \"rules\": [\n"
        "    { \"name\": \"allowed\", \"names\": [\"openat\"],\n"
        "      \"path\": { \"exact\": \"@TMP@/real/A\" },\n"
        "      \"action\": \"continue\" },\n"
        "    { \"name\": \"forbidden\", \"names\": [\"openat\"],\n"
        "      \"path\": { \"exact\": \"@TMP@/real/F\" },\n"
        "      \"action\": \"errno\", \"errno\": \"EACCES\" }\n"
        "  ]\n"
        "}\n";

static const int notified[] = {SYS_openat};

/* What the target counted; MAP_SHARED, made before any fork. */
typedef struct Tally {
        long opens; /* openat calls made */
        long ok; /* ... that succeeded */
        long denied; /* ... that failed with EACCES */
        long failed; /* ... that failed otherwise */
        long first_errno;
        long wrong; /* successful opens of a file other than the one the policy chose */
        long got_sb_a, got_real_a, got_real_f, got_other; /* what the successful opens were */
        long flips; /* rounds of the flipping thread */
        uint64_t usec; /* the loop's duration */
        int setup_error;
} Tally;

typedef struct Race {
        const char *name; /* "redirect" or "continue" */
        const char *policy;
        long min_opens, max_opens; /* stop at min once wrong > 0, else go on in batches up to max */
        long batch;
        bool until_wrong;
} Race;

static Tally *tally;
static Daemon daemon_;
static char path_buf[PATH_BUF]; /* the buffer the target passes to openat, flipped */
static size_t flip_at;
static struct stat st_sb_a, st_real_a, st_real_f;
static const struct stat *chosen; /* the file a successful open must be */
static atomic_bool stop_flipping;
static int done_pipe[2] = {-1, -1}, release_pipe[2] = {-1, -1};
static unsigned n_test;
static bool all_ok = true;

static bool tap(bool ok, const char *fmt, ...) _printf_(2, 3);
static bool tap(bool ok, const char *fmt, ...) {
        va_list ap;

        printf("%s %u - ", ok ? "ok" : "not ok", ++n_test);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
        if (!ok)
                all_ok = false;
        return ok;
}

static bool same_file(const struct stat *a, const struct stat *b) {
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* ------------------------------------------------------------------------ */
/* In the target.                                                            */

static void *flipper(void *userdata) {
        volatile char *c = (volatile char *) &path_buf[flip_at];
        long n = 0;

        /*
         * One byte, so a reader sees "A" or "F", nothing in between. One
         * store per round, not "F" then "A" back to back: under TCG a vCPU
         * is interrupted between translated blocks (a round), and a value
         * that lived only inside one would never be seen.
         */
        while (!atomic_load_explicit(&stop_flipping, memory_order_relaxed)) {
                *c = n & 1 ? 'A' : 'F';
                n++;
        }
        *c = 'A';
        tally->flips = n;
        return NULL;
}

static void count_open(long fd) {
        struct stat st;

        tally->opens++;
        if (fd < 0) {
                if (errno == EACCES)
                        tally->denied++;
                else {
                        if (tally->failed++ == 0)
                                tally->first_errno = errno;
                }
                return;
        }
        tally->ok++;
        if (fstat((int) fd, &st) < 0) {
                tally->got_other++;
                tally->wrong++;
                close((int) fd);
                return;
        }
        close((int) fd);
        if (same_file(&st, &st_sb_a))
                tally->got_sb_a++;
        else if (same_file(&st, &st_real_a))
                tally->got_real_a++;
        else if (same_file(&st, &st_real_f))
                tally->got_real_f++;
        else
                tally->got_other++;
        if (!same_file(&st, chosen))
                tally->wrong++;
}

static int race_body(void *userdata) {
        const Race *race = userdata;
        pthread_t th;
        uint64_t t0;
        char b = 0;

        if (pthread_create(&th, NULL, flipper, NULL) != 0) {
                tally->setup_error = 1;
                return 1;
        }
        t0 = itest_now_usec();
        for (;;) {
                for (long i = 0; i < race->batch; i++)
                        count_open(syscall(SYS_openat, AT_FDCWD, path_buf, O_RDONLY | O_CLOEXEC));
                if (tally->opens >= race->max_opens)
                        break;
                if (tally->opens >= race->min_opens && (!race->until_wrong || tally->wrong > 0))
                        break;
        }
        tally->usec = itest_now_usec() - t0;
        atomic_store(&stop_flipping, true);
        pthread_join(th, NULL);

        /* Stay (a container) until the parent has looked at the daemon's counters. */
        if (write(done_pipe[1], "x", 1) != 1)
                return 2;
        if (read(release_pipe[0], &b, 1) < 0)
                return 3;
        return 0;
}

/* ------------------------------------------------------------------------ */
/* In the parent.                                                            */

static int start_daemon(void) {
        char dir[ITEST_PATH_MAX];
        const char *args[] = {"--default-policy", "race-redirect", NULL};
        int r;

        r = itest_tmpdir("e2e-race", dir, sizeof(dir));
        if (r < 0)
                return r;
        r = daemon_prepare(&daemon_, dir);
        if (r < 0)
                return r;
        r = daemon_add_policy(&daemon_, "race-redirect.json", policy_redirect);
        if (r < 0)
                return r;
        r = daemon_add_policy(&daemon_, "race-continue.json", policy_continue);
        if (r < 0)
                return r;
        return daemon_start(&daemon_, args, NULL);
}

static int make_files(void) {
        static const char *const names[] = {"real", "sb"};
        char p[PATH_BUF];
        int r;

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                (void) snprintf(p, sizeof(p), "%s/%s", daemon_.dir, names[i]);
                if (mkdir(p, 0755) < 0)
                        return -errno;
        }
        (void) snprintf(p, sizeof(p), "%s/sb/A", daemon_.dir);
        r = itest_write_file(p, "sandbox:A\n");
        if (r < 0 || stat(p, &st_sb_a) < 0)
                return r < 0 ? r : -errno;
        (void) snprintf(p, sizeof(p), "%s/real/F", daemon_.dir);
        r = itest_write_file(p, "real:F\n");
        if (r < 0 || stat(p, &st_real_f) < 0)
                return r < 0 ? r : -errno;
        (void) snprintf(p, sizeof(p), "%s/real/A", daemon_.dir);
        r = itest_write_file(p, "real:A\n");
        if (r < 0 || stat(p, &st_real_a) < 0)
                return r < 0 ? r : -errno;

        /* The buffer starts as the allowed path; its last byte is the one flipped. */
        (void) snprintf(path_buf, sizeof(path_buf), "%s", p);
        flip_at = strlen(path_buf) - 1;
        return 0;
}

static bool wait_readable(int fd, unsigned timeout_ms) {
        struct pollfd p = {.fd = fd, .events = POLLIN};

        return poll(&p, 1, (int) timeout_ms) == 1;
}

typedef struct Counters {
        long long notifications, redirects, fallbacks, hits_allowed, hits_forbidden, hits_default;
} Counters;

static int read_counters(const char *id, const char *policy, Counters *ret) {
        json_object *s = NULL, *ctr;
        int r;

        r = control_status(daemon_.control, &s);
        if (r < 0)
                return r;
        ctr = status_container(s, id);
        if (!ctr) {
                json_object_put(s);
                return -ENOENT;
        }
        *ret = (Counters){
                .notifications = status_int(ctr, "notifications"),
                .redirects = status_int(ctr, "redirects"),
                .fallbacks = status_int(ctr, "redirectFallbacks"),
                .hits_allowed = status_rule_hits(s, policy, "allowed"),
                .hits_forbidden = status_rule_hits(s, policy, "forbidden"),
                .hits_default = status_rule_hits(s, policy, NULL),
        };
        json_object_put(s);
        return 0;
}

static void diag_tally(const Race *race) {
        const Tally *t = tally;

        printf("# %s: %ld opens, %ld wrong\n", race->name, t->opens, t->wrong);
        printf("# %s: %ld succeeded (sb/A %ld, real/A %ld, real/F %ld, other %ld), %ld denied, %ld failed "
               "otherwise (first: %s); %ld flips; %.1f s, %.1f us per open\n",
               race->name, t->ok, t->got_sb_a, t->got_real_a, t->got_real_f, t->got_other, t->denied,
               t->failed, t->failed ? strerror((int) t->first_errno) : "-", t->flips, (double) t->usec / 1e6,
               t->opens ? (double) t->usec / (double) t->opens : 0.0);
        fflush(stdout);
}

static void run_race(const Race *race, const char *id) {
        E2eTarget t = {
                .notify = notified,
                .n_notify = ELEMENTSOF(notified),
                .redirect = true,
                .agent = daemon_.agent,
                .id = id,
                .policy = race->policy,
        };
        bool redirect = streq(race->name, "redirect");
        Counters k = {};
        uint64_t t0 = itest_now_usec();
        pid_t pid;
        int code, r = 0;
        bool done;

        memset(tally, 0, sizeof(*tally));
        atomic_store(&stop_flipping, false);
        chosen = redirect ? &st_sb_a : &st_real_a;
        if (pipe2(done_pipe, O_CLOEXEC) < 0 || pipe2(release_pipe, O_CLOEXEC) < 0) {
                tap(false, "%s: pipes: %m", race->name);
                return;
        }

        fflush(stdout);
        pid = e2e_spawn(&t, race_body, (void *) race);
        if (pid < 0) {
                tap(false, "%s: spawn the target: %s", race->name, strerror((int) -pid));
                return;
        }
        done = wait_readable(done_pipe[0], TARGET_TIMEOUT_MS);
        if (done)
                r = read_counters(id, race->policy, &k);
        if (write(release_pipe[1], "x", 1) != 1)
                r = r < 0 ? r : -EPIPE;
        code = e2e_wait(pid, done ? GONE_TIMEOUT_MS : 1000);
        safe_close(done_pipe[0]);
        safe_close(done_pipe[1]);
        safe_close(release_pipe[0]);
        safe_close(release_pipe[1]);

        diag_tally(race);
        printf("# %s: daemon: %lld notifications, %lld redirects, %lld fallbacks; rule hits: allowed %lld, "
               "forbidden %lld, default %lld; %.1f s in all\n",
               race->name, k.notifications, k.redirects, k.fallbacks, k.hits_allowed, k.hits_forbidden,
               k.hits_default, (double) (itest_now_usec() - t0) / 1e6);

        if (!tap(done && code == 0 && !tally->setup_error,
                 "%s: the target made its notified opens under the flipping thread and exited (exit %d%s)",
                 race->name, code, done ? "" : ", timed out")) {
                for (unsigned i = 1; i < CHECKS_PER_RACE; i++)
                        tap(false, "%s: (not run: the target failed)", race->name);
                return;
        }

        if (redirect)
                tap(tally->opens == REDIRECT_OPENS && tally->wrong == 0 && tally->failed == 0 &&
                            tally->got_sb_a == tally->ok,
                    "redirect: %ld opens, %ld wrong: every successful open is the sandbox file the policy "
                    "chose (%ld sb/A, %ld real/A, %ld real/F, %ld other; %ld other failures)",
                    tally->opens, tally->wrong, tally->got_sb_a, tally->got_real_a, tally->got_real_f,
                    tally->got_other, tally->failed);
        else
                tap(tally->opens == REDIRECT_OPENS && tally->wrong == 0 && tally->failed == 0 &&
                            tally->got_real_a == tally->ok,
                    "pinned continue: %ld opens, %ld wrong: every successful open is the file that was "
                    "checked (%ld real/A, %ld real/F, %ld other; %ld other failures)",
                    tally->opens, tally->wrong, tally->got_real_a, tally->got_real_f, tally->got_other,
                    tally->failed);

        /* A race test where the flipper never got in would prove nothing. */
        tap(tally->ok > 0 && tally->denied > 0 && tally->flips > 0,
            "%s: the flipping reached the daemon's check: both rules decided calls (%ld allowed, %ld "
            "denied, "
            "%ld flips)",
            race->name, tally->ok, tally->denied, tally->flips);

        tap(r == 0 && k.notifications == tally->opens && k.hits_allowed == tally->ok &&
                    k.hits_forbidden == tally->denied && k.hits_default == 0 &&
                    k.redirects == tally->ok && k.fallbacks == 0,
            "%s: the daemon decided every open with one of the two rules%s (status: %s; %lld notifications, "
            "hits %lld/%lld/%lld, %lld redirects, %lld fallbacks)",
            race->name, redirect ? ", each allowed one by a redirect, none by a fallback"
                                 : ", each allowed one by a pinned continue",
            r < 0 ? strerror(-r) : "read", k.notifications, k.hits_allowed, k.hits_forbidden, k.hits_default,
            k.redirects, k.fallbacks);

        r = status_wait_container(daemon_.control, id, false, GONE_TIMEOUT_MS);
        tap(r >= 0, "%s: container %s left the status after its target exited (%s)", race->name, id,
            r < 0 ? strerror(-r) : "gone");
}

int main(void) {
        static const Race races[] = {
                {
                        .name = "redirect",
                        .policy = "race-redirect",
                        .min_opens = REDIRECT_OPENS,
                        .max_opens = REDIRECT_OPENS,
                        .batch = REDIRECT_OPENS,
                },
                {
                        .name = "continue",
                        .policy = "race-continue",
                        .min_opens = REDIRECT_OPENS,
                        .max_opens = REDIRECT_OPENS,
                        .batch = REDIRECT_OPENS,
                },
        };
        const char *skip = itest_skip_reason();
        uint64_t t0 = itest_now_usec();
        int r;

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (skip) {
                printf("1..0 # SKIP %s\n", skip);
                return 77;
        }
        printf("1..%zu\n", 3 + ELEMENTSOF(races) * CHECKS_PER_RACE);

        tally = mmap(NULL, sizeof(*tally), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (tally == MAP_FAILED) {
                printf("Bail out! mmap: %m\n");
                return 1;
        }

        if (!tap(e2e_kernel_has_redirect(), "the kernel has SECCOMP_FILTER_FLAG_REDIRECT")) {
                printf("Bail out! the race needs the patched kernel\n");
                return 1;
        }
        r = start_daemon();
        if (r >= 0)
                r = make_files();
        if (!tap(r >= 0, "seccomp-redirectd started with the two policies, files in place (%s)",
                 r < 0 ? strerror(-r) : daemon_.dir)) {
                printf("Bail out! no daemon\n");
                return 1;
        }
        printf("# path %s, byte %zu flips between 'A' and 'F'\n", path_buf, flip_at);

        run_race(&races[0], "race-redirect");
        run_race(&races[1], "race-continue");

        tap(kill(daemon_.pid, 0) == 0 && !daemon_log_contains(&daemon_, "redirectFallback"),
            "the daemon is still running and logged no redirectFallback");
        printf("# total %.1f s\n", (double) (itest_now_usec() - t0) / 1e6);
        return all_ok ? 0 : 1;
}
