/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The bypass matrix: a container that knows the policy tries to get past a
 * deny rule (EACCES on D/vault/secret) and a read-only rule (D/vault/ro)
 * under `defaultAction: continue`, by another name for the file and by
 * racing the check. The attacks are in bypass-attacks.c; this driver runs
 * each in a process of its own under a notify filter for open, openat and
 * openat2, and judges what the process reports (bypass.h).
 *
 *  - Names (symlinks, "..", /proc and /dev/fd magic links, chroot, a
 *    removed cwd): the daemon resolves the path as the kernel will, so
 *    every one is refused on any kernel, the stock one too.
 *  - Races: a second thread flips the path buffer or openat2's resolve;
 *    or it swaps a directory or the final name for a symlink; or it
 *    changes the fd behind /proc/self/fd/N (a pipe, or a read-only fd of
 *    the read-only file, reopened for writing; a tenth of the count). On
 *    the patched kernel a pinned continue makes the kernel open exactly
 *    what was checked, openat2 gets RESOLVE_NO_SYMLINKS and open/openat
 *    O_NOFOLLOW, so the count is 0. On a stock kernel path rules are
 *    advisory: the lines report what got through and pass. The fd race
 *    must give 0 on every kernel: an open of an object without a name
 *    (the pipe) is made by the daemon on the object it checked, and the
 *    task gets that fd (SECCOMP_ADDFD_FLAG_SEND).
 *  - No path at all: an io_uring ring's open, and open_by_handle_at. Each
 *    runs once with no filter, the control (it reads the secret, or the
 *    kernel lacks the call and both lines skip), then under run, whose
 *    filter must refuse it (ENOSYS, EPERM), or under the daemon with a
 *    notify filter for the opens only: out of scope there (the runtime's
 *    profile must refuse it), reported.
 *  - Out of scope (SECURITY MODEL in seccomp-redirectd.policy(5)): hard
 *    links, bind mounts, and a directory swapped for a link under open and
 *    openat (which cannot refuse links on the way); they run and report,
 *    labelled, never fail.
 *
 * Modes: by default containers are handed to a real seccomp-redirectd over
 * the agent socket; --run runs each attack under `seccomp-redirectctl run`
 * instead. --negative-control answers with plain CONTINUE
 * (--unsafe-plain-continue) and runs only the races, which must then read
 * the secret (in batches until they do): the proof the races have teeth.
 * --opens N (or $SRD_BYPASS_OPENS; default 100,000) is each race's count.
 * $SRD_BYPASS_REQUIRE_REDIRECT=1 (the VM) fails when the kernel has no
 * redirect, rather than judging it as a stock kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bypass.h"
#include "e2e-util.h"
#include "macro.h"

#define DEFAULT_OPENS 100000L
#define NAME_TIMEOUT_MS 60000u
#define RACE_TIMEOUT_MS 900000u
#define MAX_VARIANTS 32
/* public-names: nine names times three calls, and two scoped openat2. */
#define PUBLIC_VARIANTS 29
/*
 * The fd race's opens resolve /proc/self/fd/N in the daemon, several times
 * the cost of a plain path (~1.5 ms each under TCG); it wins about 3% of
 * the time where it can, so a tenth of the count still shows it about a
 * hundred times per call, and the VM's budget holds.
 */
#define FD_RACE_DIVISOR 10
/* The negative control: batches of opens / this, until the secret was read. */
#define NEGATIVE_BATCH_DIVISOR 20
#define NEGATIVE_MAX_FACTOR 3

static const char policy[] =
        "{\n"
        "  \"version\": 1,\n"
        "  \"name\": \"bypass\",\n"
        "  \"defaultAction\": \"continue\",\n"
        "  \"rules\": [\n"
        "    { \"name\": \"secret\", \"names\": [\"open\", \"openat\", \"openat2\"],\n"
        "      \"path\": { \"exact\": \"@TMP@/vault/secret\" }, \"action\": \"errno\", \"errno\": "
        "\"EACCES\" },\n"
        "    { \"name\": \"ro-read\", \"names\": [\"openat\"],\n"
        "      \"path\": { \"exact\": \"@TMP@/vault/ro\" },\n"
        "      \"args\": [ { \"index\": 2, \"op\": \"SCMP_CMP_MASKED_EQ\", \"value\": 579, \"valueTwo\": 0 "
        "} ],\n"
        "      \"action\": \"continue\" },\n"
        "    { \"name\": \"ro-read-legacy\", \"names\": [\"open\"],\n"
        "      \"path\": { \"exact\": \"@TMP@/vault/ro\" },\n"
        "      \"args\": [ { \"index\": 1, \"op\": \"SCMP_CMP_MASKED_EQ\", \"value\": 579, \"valueTwo\": 0 "
        "} ],\n"
        "      \"action\": \"continue\" },\n"
        "    { \"name\": \"ro-openat2\", \"names\": [\"openat2\"],\n"
        "      \"path\": { \"exact\": \"@TMP@/vault/ro\" }, \"action\": \"errno\", \"errno\": \"ENOSYS\" "
        "},\n"
        "    { \"name\": \"ro-write\", \"names\": [\"open\", \"openat\"],\n"
        "      \"path\": { \"exact\": \"@TMP@/vault/ro\" }, \"action\": \"errno\", \"errno\": \"EROFS\" }\n"
        "  ]\n"
        "}\n";

typedef enum Kind {
        KIND_NAME, /* refused on every kernel */
        KIND_SCOPE, /* out of scope: reported */
        KIND_RACE,
        KIND_PUBLIC, /* the positive control: must open */
        KIND_FILTER, /* no path to judge: run's filter refuses the call, a runtime's profile must */
} Kind;

typedef struct Case {
        const char *attack;
        const char *what;
        Kind kind;
        const char *scope; /* KIND_SCOPE: why */
        bool read_only; /* the read-only rule's case: EROFS, EROFS, ENOSYS */
        bool may_open; /* anything but the secret will do */
        unsigned n_variants; /* KIND_RACE: the variants it reports (else the three calls) */
        unsigned divisor; /* KIND_RACE: makes opens / this (0: 1) */
        int refused; /* KIND_FILTER: the errno run's filter answers */
} Case;

static const Case cases[] = {
        {"symlink-file", "a symlink to the secret", KIND_NAME},
        {"symlink-dir", "the secret through a symlinked directory", KIND_NAME},
        {"dotdot-after-symlink", "y/../secret with y a symlink", KIND_NAME},
        {"proc-self-root", "/proc/self/root/...", KIND_NAME},
        {"proc-self-cwd", "/proc/self/cwd/secret", KIND_NAME},
        {"dev-fd-dir", "/dev/fd/N/secret, N a directory fd", KIND_NAME},
        {"proc-self-fd-dir", "/proc/self/fd/N/secret, N a directory fd", KIND_NAME},
        {"reopen-for-writing", "a read-only fd reopened for writing through /proc/self/fd/N", KIND_NAME,
         .read_only = true},
        {"chroot", "chroot, then an absolute path", KIND_NAME},
        {"removed-cwd", "cd d; rmdir d; open ../secret", KIND_NAME},
        {"proc-pid-root", "/proc/PID/root/... of the task", KIND_NAME},
        {"proc-pid-cwd", "/proc/PID/cwd/secret of the task", KIND_NAME},
        {"openat2-scoped", "openat2 scoped to a directory fd (BENEATH, IN_ROOT, IN_ROOT with /secret)",
         KIND_NAME},
        {"pipe-name", "/proc/self/fd/N of a pipe, a symlink named pipe:[INO] to the secret in the cwd",
         KIND_NAME, .may_open = true},
        {"public-names", "positive control: the same kinds of names for the public twin open it",
         KIND_PUBLIC},
        {"hard-link", "a hard link to the secret", KIND_SCOPE, "hard links (SECURITY MODEL)"},
        {"bind-mount", "the secret bind-mounted over a public file", KIND_SCOPE,
         "bind mounts (SECURITY MODEL)"},
        {"io-uring", "IORING_OP_OPENAT of the secret through an io_uring ring", KIND_FILTER,
         "the runtime's seccomp profile must refuse io_uring (SECURITY MODEL)", .refused = ENOSYS},
        {"open-by-handle", "open_by_handle_at of the secret's handle", KIND_FILTER,
         "the runtime's seccomp profile must refuse open_by_handle_at (SECURITY MODEL)", .refused = EPERM},
        {"race-flip", "flip race (path buffer and open_how)", KIND_RACE, .n_variants = 4},
        {"race-swap", "symlink-swap race (a directory and the final name)", KIND_RACE, .n_variants = 6},
        {"race-fd", "fd race (/proc/self/fd/N for writing, N a pipe or a read-only fd in turn)", KIND_RACE,
         .n_variants = 3, .divisor = FD_RACE_DIVISOR},
};

/*
 * Race variants the security model leaves open ("The window that remains
 * there"): open and openat follow a link that appears on the pinned,
 * link-free path between the daemon's walk and the kernel's. They report,
 * never fail; openat2 (RESOLVE_NO_SYMLINKS) must hold.
 */
#define SWAP_SCOPE \
        "a directory on the pinned path swapped for a link after the check; only openat2 can refuse it " \
        "(SECURITY MODEL)"
static const char *const race_scope[] = {"dir-open", "dir-openat"};

typedef struct Variant {
        char name[32];
        long opens, reads, pub, denied, other;
        int err;
} Variant;

typedef struct Result {
        Variant v[MAX_VARIANTS];
        size_t n;
        long flips;
        unsigned long long usec;
        bool raced;
        char setup_error[256];
        int exit;
} Result;

static Daemon daemon_;
static char dir[ITEST_PATH_MAX], policy_path[ITEST_PATH_MAX + 64], self_exe[PATH_MAX];
static bool run_mode, negative, have_redirect;
static long opens = DEFAULT_OPENS;
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

static const char *p(const char *name) {
        static char buf[4][ITEST_PATH_MAX + 128];
        static unsigned n;
        char *b = buf[n++ % 4];

        (void) snprintf(b, sizeof(buf[0]), "%s/%s", dir, name);
        return b;
}

/* ------------------------------------------------------------------------ */
/* Setup.                                                                    */

static int mkdir_p(const char *path) {
        char buf[PATH_MAX];

        if ((size_t) snprintf(buf, sizeof(buf), "%s", path) >= sizeof(buf))
                return -ENAMETOOLONG;
        for (char *s = buf + 1; *s; s++)
                if (*s == '/') {
                        *s = '\0';
                        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                                return -errno;
                        *s = '/';
                }
        return mkdir(buf, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static int make_files(void) {
        char decoy[PATH_MAX];
        int r;

        (void) snprintf(decoy, sizeof(decoy), "%s/decoy%s/vault", dir, dir);
        if ((r = mkdir_p(p("vault/sub"))) < 0 || (r = mkdir_p(p("sw/d"))) < 0 || (r = mkdir_p(decoy)) < 0)
                return r;
        (void) strcat(decoy, "/secret");
        if ((r = itest_write_file(p("vault/secret"), BYPASS_SECRET "\n")) < 0 ||
            (r = itest_write_file(p("vault/secrex"), BYPASS_PUBLIC "\n")) < 0 ||
            (r = itest_write_file(p("vault/ro"), BYPASS_RO)) < 0 ||
            (r = itest_write_file(p("bindpoint"), BYPASS_BIND "\n")) < 0 ||
            (r = itest_write_file(decoy, BYPASS_DECOY "\n")) < 0 ||
            (r = itest_write_file(p("sw/d/secret"), BYPASS_SWAP_D "\n")) < 0 ||
            (r = itest_write_file(p("sw/f"), BYPASS_SWAP_F "\n")) < 0)
                return r;
        if (symlink("vault/secret", p("link-secret")) < 0 || symlink("vault/secrex", p("link-public")) < 0 ||
            symlink(p("vault"), p("vlink")) < 0 || symlink("vault/sub", p("y")) < 0 ||
            symlink(p("vault"), p("sw/dl")) < 0 || symlink(p("vault/secret"), p("sw/fl")) < 0 ||
            link(p("vault/secret"), p("hardlink")) < 0)
                return -errno;
        /* The VM's devtmpfs has no /dev/fd; udev makes this link elsewhere. */
        if (access("/dev/fd", F_OK) < 0) {
                if (symlink("/proc/self/fd", "/dev/fd") < 0)
                        return -errno;
                printf("# made /dev/fd -> /proc/self/fd (none here)\n");
        }
        return 0;
}

static int setup(void) {
        const char *extra[] = {negative ? "--unsafe-plain-continue" : NULL, NULL};
        int r;

        if (run_mode) {
                r = itest_tmpdir("bypass", dir, sizeof(dir));
                if (r < 0)
                        return r;
                r = daemon_prepare(&daemon_, dir);
        } else {
                r = e2e_daemon_start(&daemon_, "bypass", policy, extra);
                if (r >= 0)
                        memcpy(dir, daemon_.dir, sizeof(dir));
        }
        if (r < 0)
                return r;
        /* The daemon has its copy; run reads this one (same text, @TMP@ filled in). */
        r = daemon_add_policy(&daemon_, "bypass-run.json", policy);
        if (r < 0)
                return r;
        (void) snprintf(policy_path, sizeof(policy_path), "%s/bypass-run.json", daemon_.policy_dir);
        if (readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1) < 0)
                return -errno;
        return make_files();
}

/* ------------------------------------------------------------------------ */
/* Running an attack.                                                        */

static const char *attack_name;
static BypassParams params;

static int attack_body(void *userdata) {
        return bypass_attack(attack_name, &params);
}

static long case_opens(const Case *c) {
        return opens / (c->divisor ?: 1);
}

static void set_params(const Case *c, int out) {
        long n = case_opens(c);

        params = (BypassParams){.dir = dir, .opens = n, .max_opens = n, .out = out};
        if (negative) {
                params.opens = n / NEGATIVE_BATCH_DIVISOR ?: 1;
                params.max_opens = n * NEGATIVE_MAX_FACTOR;
                params.until_win = true;
        }
        attack_name = c->attack;
}

static int spawn_daemon_mode(const Case *c, int out) {
        static const int notified[] = {SYS_open, SYS_openat, SYS_openat2};
        E2eTarget t = {
                .notify = notified,
                .n_notify = ELEMENTSOF(notified),
                .redirect = have_redirect,
                .agent = daemon_.agent,
                .id = c->attack,
        };

        set_params(c, out);
        fflush(stdout);
        return e2e_spawn(&t, attack_body, NULL);
}

/* The attack with no filter at all: the control that it reaches the secret where nothing refuses it. */
static int spawn_plain(const Case *c, int out) {
        pid_t pid;

        set_params(c, out);
        fflush(stdout);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                _exit(attack_body(NULL));
        itest_track_pid(pid);
        return pid;
}

static int spawn_run_mode(const Case *c, int out) {
        char n_opens[32], n_max[32];
        const char *argv[24];
        size_t n = 0;
        pid_t pid;

        set_params(c, out);
        (void) snprintf(n_opens, sizeof(n_opens), "%ld", params.opens);
        (void) snprintf(n_max, sizeof(n_max), "%ld", params.max_opens);
        argv[n++] = itest_ctl_binary();
        argv[n++] = "run";
        if (negative)
                argv[n++] = "--unsafe-plain-continue";
        argv[n++] = "--policy";
        argv[n++] = policy_path;
        argv[n++] = "--";
        argv[n++] = self_exe;
        argv[n++] = "--attack";
        argv[n++] = c->attack;
        argv[n++] = dir;
        argv[n++] = n_opens;
        argv[n++] = n_max;
        argv[n++] = params.until_win ? "1" : "0";
        argv[n] = NULL;

        fflush(stdout);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int err = open(p("run.err"), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

                if (err < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0)
                        _exit(120);
                execv(argv[0], (char **) argv);
                _exit(121);
        }
        itest_track_pid(pid);
        return pid;
}

static void parse_line(Result *res, const char *line) {
        Variant v = {};

        if (line[0] == 'V' && res->n < MAX_VARIANTS &&
            sscanf(line, "V %31s %ld %ld %ld %ld %ld %d", v.name, &v.opens, &v.reads, &v.pub, &v.denied,
                   &v.other, &v.err) == 7)
                res->v[res->n++] = v;
        else if (line[0] == 'R' && sscanf(line, "R %ld %llu", &res->flips, &res->usec) == 2)
                res->raced = true;
        else if (line[0] == 'S')
                (void) snprintf(res->setup_error, sizeof(res->setup_error), "%s", line + 2);
        else if (line[0] == 'D')
                printf("#   %s\n", line + 2);
        else
                printf("#   (unexpected) %s\n", line);
}

static void run_case(const Case *c, bool plain, Result *res) {
        _cleanup_free_ char *text = NULL;
        char out_name[128];
        int out, r;
        pid_t pid;

        *res = (Result){.exit = -1};
        (void) snprintf(out_name, sizeof(out_name), "%s.out", c->attack);
        out = open(p(out_name), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out < 0) {
                snprintf(res->setup_error, sizeof(res->setup_error), "output file: %m");
                return;
        }
        pid = plain ? spawn_plain(c, out) : run_mode ? spawn_run_mode(c, out) : spawn_daemon_mode(c, out);
        close(out);
        if (pid < 0) {
                snprintf(res->setup_error, sizeof(res->setup_error), "spawn: %s", strerror((int) -pid));
                return;
        }
        res->exit = e2e_wait(pid, c->kind == KIND_RACE ? RACE_TIMEOUT_MS : NAME_TIMEOUT_MS);

        printf("# %s%s (exit %d):\n", c->attack, plain ? ", no filter" : "", res->exit);
        r = itest_read_file(p(out_name), &text);
        if (r < 0) {
                snprintf(res->setup_error, sizeof(res->setup_error), "read the report: %s", strerror(-r));
                return;
        }
        for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
                nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                parse_line(res, line);
        }
        if (res->exit != 0 && !res->setup_error[0])
                snprintf(res->setup_error, sizeof(res->setup_error), "the attacking process exited %d",
                         res->exit);
}

/* ------------------------------------------------------------------------ */
/* Judging.                                                                  */

static const char *outcome(const Variant *v, bool read_only, char *buf, size_t size) {
        if (v->reads > 0)
                (void) snprintf(buf, size, "%s", read_only ? "OPENED FOR WRITING" : "READ THE SECRET");
        else if (v->pub > 0)
                (void) snprintf(buf, size, "opened another file");
        else if (v->denied > 0)
                (void) snprintf(buf, size, "EACCES");
        else
                (void) snprintf(buf, size, "%s", strerror(v->err));
        return buf;
}

static void judge_name(const Case *c, const Result *res) {
        static const int ro_expect[] = {EROFS, EROFS, ENOSYS};
        char desc[512] = "", o[64];
        bool ok = !res->setup_error[0] && res->n == 3;
        size_t len = 0;

        for (size_t i = 0; i < res->n; i++) {
                const Variant *v = &res->v[i];
                int want = c->read_only ? ro_expect[i] : EACCES;
                bool refused =
                        v->opens == 1 && v->reads == 0 &&
                        (c->may_open || (v->pub == 0 && (want == EACCES ? v->denied == 1
                                                                        : v->other == 1 && v->err == want)));

                if (c->kind == KIND_NAME)
                        ok = ok && refused;
                len += (size_t) snprintf(desc + len, sizeof(desc) - len, "%s%s %s", i ? ", " : "", v->name,
                                         outcome(v, c->read_only, o, sizeof(o)));
                if (len >= sizeof(desc))
                        break;
        }
        if (res->setup_error[0])
                printf("# %s: not run: %s\n", c->attack, res->setup_error);
        if (c->kind == KIND_NAME)
                tap(ok, "%s: %s", c->what, desc);
        else
                tap(ok, "%s: %s # out of scope: %s", c->what, desc, c->scope);
}

static void judge_public(const Case *c, const Result *res) {
        size_t opened = 0;

        if (res->setup_error[0])
                printf("# %s: not run: %s\n", c->attack, res->setup_error);
        for (size_t i = 0; i < res->n; i++) {
                const Variant *v = &res->v[i];
                char o[64];

                if (v->opens == 1 && v->pub == 1)
                        opened++;
                else
                        printf("# %s %s: %s\n", c->attack, v->name, outcome(v, false, o, sizeof(o)));
        }
        tap(!res->setup_error[0] && res->n == PUBLIC_VARIANTS && opened == res->n, "%s: %zu of %d opened it",
            c->what, opened, PUBLIC_VARIANTS);
}

/*
 * A call that reaches files with no path the daemon sees. Without any
 * filter it must read the secret (else this kernel lacks the call, and
 * there is nothing to refuse: skipped, both lines); under run, its filter
 * answers it with c->refused; under the daemon with a runtime's profile
 * that allows it, it is out of scope and reported.
 */
static void judge_filter(const Case *c, const Result *plain, const Result *res) {
        const Variant *v0 = plain->n == 1 ? &plain->v[0] : NULL, *v = res->n == 1 ? &res->v[0] : NULL;
        char o[64], o0[64];

        if (plain->setup_error[0] || !v0 || (v0->reads != 1 && v0->err != ENOSYS)) {
                tap(false, "%s, no filter: the control did not read the secret (%s)", c->what,
                    plain->setup_error[0] ? plain->setup_error
                    : v0                  ? outcome(v0, false, o0, sizeof(o0))
                                          : "no report");
                tap(false, "%s: not judged without its control", c->what);
                return;
        }
        if (v0->reads != 1) {
                tap(true, "%s, no filter # SKIP this kernel lacks the call (%s)", c->what,
                    strerror(v0->err));
                tap(true, "%s # SKIP nothing to refuse on this kernel", c->what);
                return;
        }
        tap(true, "%s, no filter: read the secret (the control: the attack works where nothing refuses it)",
            c->what);
        if (res->setup_error[0] || !v) {
                tap(false, "%s: %s", c->what, res->setup_error[0] ? res->setup_error : "no report");
                return;
        }
        if (run_mode)
                tap(v->opens == 1 && v->reads == 0 && v->other == 1 && v->err == c->refused,
                    "%s, under run: %s (want %s, run's filter's answer)", c->what,
                    outcome(v, false, o, sizeof(o)), strerror(c->refused));
        else
                tap(true, "%s: %s # out of scope: %s", c->what, outcome(v, false, o, sizeof(o)), c->scope);
}

static const char *variant_scope(const char *variant) {
        for (size_t i = 0; i < ELEMENTSOF(race_scope); i++)
                if (streq(race_scope[i], variant))
                        return SWAP_SCOPE;
        return NULL;
}

static long total_opens(const Result *res) {
        long n = 0;

        for (size_t i = 0; i < res->n; i++)
                n += res->v[i].opens;
        return n;
}

static long total_reads(const Result *res) {
        long n = 0;

        for (size_t i = 0; i < res->n; i++)
                n += res->v[i].reads;
        return n;
}

/* The fd race's variants reopen the read-only file; the others go for the secret. */
static bool is_fd_variant(const Variant *v) {
        return strncmp(v->name, "fd-", 3) == 0;
}

static const char *hit_text(const Variant *v) {
        return is_fd_variant(v) ? "opened the read-only file for writing" : "read the secret";
}

static void print_variants(const Case *c, const Result *res) {
        for (size_t i = 0; i < res->n; i++) {
                const Variant *v = &res->v[i];

                printf("# %s %s: %ld opens: %ld %s, %ld opened another file, %ld EACCES, %ld other errors\n",
                       c->attack, v->name, v->opens, v->reads, hit_text(v), v->pub, v->denied, v->other);
        }
        printf("# %s: %ld rounds of the racing thread, %.1f s, %.1f us per open\n", c->attack, res->flips,
               (double) res->usec / 1e6,
               total_opens(res) ? (double) res->usec / (double) total_opens(res) : 0.0);
}

static bool race_ran(const Case *c, const Result *res) {
        if (res->setup_error[0])
                printf("# %s: not run: %s\n", c->attack, res->setup_error);
        return !res->setup_error[0] && res->exit == 0 && res->raced && res->n == c->n_variants;
}

/*
 * A race the other thread never got into would prove nothing: the check
 * must have refused opens and let others through, in every variant; for
 * the fd race in its variants together, as a pinned openat2 that refuses
 * magic links (RESOLVE_NO_MAGICLINKS) would not reopen the pipe either.
 */
static bool race_reached_check(const Result *res) {
        bool each = true, fd = false, fd_pub = false;

        for (size_t i = 0; i < res->n; i++) {
                const Variant *v = &res->v[i];

                each = each && v->denied + v->other > 0 && (is_fd_variant(v) || v->pub > 0);
                fd = fd || is_fd_variant(v);
                fd_pub = fd_pub || (is_fd_variant(v) && v->pub > 0);
        }
        return each && (!fd || fd_pub);
}

static void judge_race(const Case *c, const Result *res) {
        bool ran = race_ran(c, res);

        print_variants(c, res);
        tap(ran && total_opens(res) == case_opens(c) && res->flips > 0 && race_reached_check(res),
            "%s: %ld opens under the racing thread (%ld rounds); the check both allowed and refused opens",
            c->what, total_opens(res), res->flips);

        for (unsigned i = 0; i < c->n_variants; i++) {
                const Variant *v = i < res->n ? &res->v[i] : &(const Variant){.name = "?"};
                const char *scope = variant_scope(v->name);
                char d[256];

                (void) snprintf(d, sizeof(d), "%s, %s: %ld of %ld opens %s", c->what, v->name, v->reads,
                                v->opens, hit_text(v));
                if (scope)
                        tap(ran, "%s # out of scope: %s", d, scope);
                else if (is_fd_variant(v))
                        /* The daemon opens the checked object itself on any
                         * kernel (reopen.h): no window, stock kernel or not. */
                        tap(ran && v->reads == 0, "%s (the daemon opens the checked object)", d);
                else if (!have_redirect)
                        tap(ran, "%s # stock kernel: path rules advisory", d);
                else
                        tap(ran && v->reads == 0, "%s", d);
        }
}

static void judge_negative(const Case *c, const Result *res) {
        bool ran = race_ran(c, res);

        print_variants(c, res);
        tap(ran && res->flips > 0 && total_reads(res) > 0,
            "negative control (--unsafe-plain-continue): %s: %ld of %ld opens read the secret or opened the "
            "read-only file for writing: the race has teeth",
            c->what, total_reads(res), total_opens(res));
}

static bool file_is(const char *path, const char *want) {
        _cleanup_free_ char *got = NULL;

        return itest_read_file(path, &got) >= 0 && streq(got, want);
}

static int attacker_main(int argc, char *argv[]) {
        BypassParams bp;

        /* --attack NAME DIR OPENS MAX UNTIL_WIN, under `seccomp-redirectctl run`. */
        if (argc != 7)
                return 2;
        bp = (BypassParams){
                .dir = argv[3],
                .opens = atol(argv[4]),
                .max_opens = atol(argv[5]),
                .until_win = streq(argv[6], "1"),
                .out = STDOUT_FILENO,
        };
        /* _exit: after the chroot attack there is no /proc, and
         * LeakSanitizer's check at exit (tools/test-sanitizers) aborts
         * without one. Its results are written already. */
        fflush(stdout);
        _exit(bypass_attack(argv[2], &bp));
}

int main(int argc, char *argv[]) {
        const char *skip = itest_skip_reason(), *env = getenv("SRD_BYPASS_OPENS");
        bool require_redirect =
                getenv("SRD_BYPASS_REQUIRE_REDIRECT") && streq(getenv("SRD_BYPASS_REQUIRE_REDIRECT"), "1");
        uint64_t t0 = itest_now_usec();
        unsigned plan = 0;
        int r;

        if (argc >= 2 && streq(argv[1], "--attack"))
                return attacker_main(argc, argv);

        if (env)
                opens = atol(env);
        for (int i = 1; i < argc; i++) {
                if (streq(argv[i], "--run"))
                        run_mode = true;
                else if (streq(argv[i], "--negative-control"))
                        negative = true;
                else if (streq(argv[i], "--opens") && i + 1 < argc)
                        opens = atol(argv[++i]);
                else {
                        fprintf(stderr, "usage: %s [--run] [--negative-control] [--opens N]\n", argv[0]);
                        return 2;
                }
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (!skip && run_mode && (!itest_ctl_binary() || access(itest_ctl_binary(), X_OK) < 0))
                skip = "SRD_CTL does not name the seccomp-redirectctl binary";
        if (skip) {
                printf("1..0 # SKIP %s\n", skip);
                return 77;
        }
        if (opens < 12) {
                /* Fewer, and a variant of the races would get no open at all. */
                fprintf(stderr, "--opens must be at least 12\n");
                return 2;
        }

        plan = 1;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (cases[i].kind == KIND_RACE)
                        plan += negative ? 1 : 1 + cases[i].n_variants;
                else if (!negative)
                        plan += cases[i].kind == KIND_FILTER ? 2 : 1;
        if (!negative)
                plan++;
        printf("1..%u\n", plan);

        have_redirect = e2e_kernel_has_redirect();
        r = setup();
        if (!tap(r >= 0 && (have_redirect || !require_redirect),
                 "setup: %s, files in place in %s; the kernel %s redirect%s (%d opens per race)",
                 run_mode ? "seccomp-redirectctl run" : "seccomp-redirectd started", dir,
                 have_redirect ? "has" : "lacks",
                 have_redirect || !require_redirect ? "" : ", which this run needs", (int) opens)) {
                printf("# setup: %s\n", r < 0 ? strerror(-r) : "no redirect");
                printf("Bail out! setup failed\n");
                return 1;
        }
        if (negative)
                printf("# negative control: plain CONTINUE; batches of %ld opens until the secret was read, "
                       "at "
                       "most %ld\n",
                       opens / NEGATIVE_BATCH_DIVISOR, opens * NEGATIVE_MAX_FACTOR);

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const Case *c = &cases[i];
                Result res;

                if (negative && c->kind != KIND_RACE)
                        continue;
                run_case(c, false, &res);
                if (c->kind == KIND_FILTER) {
                        Result plain;

                        run_case(c, true, &plain);
                        judge_filter(c, &plain, &res);
                } else if (c->kind == KIND_PUBLIC)
                        judge_public(c, &res);
                else if (c->kind != KIND_RACE)
                        judge_name(c, &res);
                else if (negative)
                        judge_negative(c, &res);
                else
                        judge_race(c, &res);
        }

        if (!negative)
                tap(file_is(p("vault/ro"), BYPASS_RO) && file_is(p("vault/secret"), BYPASS_SECRET "\n") &&
                            (run_mode || kill(daemon_.pid, 0) == 0),
                    "the read-only file and the secret are unchanged%s",
                    run_mode ? "" : ", and the daemon still runs");
        printf("# total %.1f s\n", (double) (itest_now_usec() - t0) / 1e6);
        return all_ok ? 0 : 1;
}
