/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `seccomp-redirectctl run` on the patched kernel: the same command line a
 * user types on a stock kernel, but redirect rules are carried out by the
 * kernel instead of falling back. Every check looks at what the command
 * itself saw (its output, its exit status, the files it touched), so a
 * fallback (EPERM), a plain continue or a wrong target all fail.
 *
 * Guest program: $SRD_CTL is the seccomp-redirectctl binary; commands are
 * busybox applets from /bin. TAP on stdout, exit 0 iff every check passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e-util.h"
#include "macro.h"

#define RUN_TIMEOUT_MS (90 * 1000)
#define N_TESTS 12

static unsigned n_tests, n_failed;

static bool check(bool ok, const char *name) {
        n_tests++;
        if (!ok)
                n_failed++;
        printf("%sok %u - %s\n", ok ? "" : "not ", n_tests, name);
        fflush(stdout);
        return ok;
}

static void diag_text(const char *label, const char *text) {
        const char *p = text ?: "(null)";

        printf("# %s:\n", label);
        while (*p) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);

                printf("#   %.*s\n", (int) len, p);
                p += len + (nl ? 1 : 0);
        }
        fflush(stdout);
}

typedef struct RunResult {
        int status; /* exit code, 128 + signal, or -errno (-ETIMEDOUT) */
        char *out;
        char *err;
} RunResult;

static void run_result_clear(RunResult *r) {
        free(r->out);
        free(r->err);
        *r = (RunResult){};
}

static void run_result_diag(const RunResult *r) {
        printf("# exit status %d\n", r->status);
        diag_text("stdout", r->out);
        diag_text("stderr", r->err);
}

static char dir[ITEST_PATH_MAX];

/* `seccomp-redirectctl run --policy POLICY -- CMD...`, stdout and stderr captured. */
static int run_ctl(const char *policy, const char *const *cmd, RunResult *ret) {
        char out_path[ITEST_PATH_MAX + 16], err_path[ITEST_PATH_MAX + 16];
        const char *argv[32];
        size_t n = 0;
        pid_t pid;
        int r;

        *ret = (RunResult){};
        argv[n++] = itest_ctl_binary();
        argv[n++] = "run";
        argv[n++] = "--policy";
        argv[n++] = policy;
        argv[n++] = "--";
        for (size_t i = 0; cmd[i] && n < ELEMENTSOF(argv) - 1; i++)
                argv[n++] = cmd[i];
        argv[n] = NULL;

        (void) snprintf(out_path, sizeof(out_path), "%s/run.out", dir);
        (void) snprintf(err_path, sizeof(err_path), "%s/run.err", dir);

        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int in = open("/dev/null", O_RDONLY);
                int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
                int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

                if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
                        _exit(120);
                execv(argv[0], (char **) argv);
                _exit(121);
        }
        itest_track_pid(pid);
        ret->status = e2e_wait(pid, RUN_TIMEOUT_MS);
        if (ret->status == -ETIMEDOUT) {
                (void) kill(pid, SIGKILL);
                (void) e2e_wait(pid, 10 * 1000);
        }

        r = itest_read_file(out_path, &ret->out);
        if (r < 0)
                return r;
        return itest_read_file(err_path, &ret->err);
}

static bool file_is(const char *path, const char *want) {
        _cleanup_free_ char *got = NULL;

        if (itest_read_file(path, &got) < 0)
                return false;
        return streq(got, want);
}

static int write_in_dir(const char *name, const char *content) {
        char path[ITEST_PATH_MAX + 64];

        (void) snprintf(path, sizeof(path), "%s/%s", dir, name);
        return itest_write_file(path, content);
}

static int make_policy(char *ret, size_t size) {
        char json[4096];
        int r;

        /* orig: exact path; etc/: prefix with {suffix}; motd: scalar rewrite
         * only (write opens become read-only); log: both at once. */
        r = snprintf(json, sizeof(json),
                     "{ \"version\": 1, \"name\": \"e2e-ctl-run\", \"defaultAction\": \"continue\",\n"
                     "  \"redirectFallback\": { \"action\": \"errno\", \"errno\": \"EPERM\" },\n"
                     "  \"rules\": [\n"
                     "    { \"name\": \"orig\", \"names\": [\"open\", \"openat\"],\n"
                     "      \"path\": { \"exact\": \"%1$s/orig\" },\n"
                     "      \"action\": \"redirect\", \"to\": \"%1$s/sandbox\", \"log\": true },\n"
                     "    { \"name\": \"etc\", \"names\": [\"open\", \"openat\"],\n"
                     "      \"path\": { \"prefix\": \"%1$s/etc/\" },\n"
                     "      \"action\": \"redirect\", \"to\": \"%1$s/sandbox-etc/{suffix}\" },\n"
                     "    { \"name\": \"motd-read-only\", \"names\": [\"openat\"],\n"
                     "      \"path\": { \"exact\": \"%1$s/motd\" },\n"
                     "      \"action\": \"redirect\", \"set\": [ { \"index\": 2, \"value\": 0, \"mask\": 3 "
                     "} ] },\n"
                     "    { \"name\": \"log-both\", \"names\": [\"openat\"],\n"
                     "      \"path\": { \"exact\": \"%1$s/log\" },\n"
                     "      \"action\": \"redirect\", \"to\": \"%1$s/sandbox-log\",\n"
                     "      \"set\": [ { \"index\": 2, \"value\": 0, \"mask\": 3 } ] }\n"
                     "  ] }\n",
                     dir);
        if (r < 0 || (size_t) r >= sizeof(json))
                return -ENOBUFS;
        (void) snprintf(ret, size, "%s/policy.json", dir);
        return itest_write_file(ret, json);
}

static int setup(char *policy, size_t size) {
        char path[ITEST_PATH_MAX + 64];
        int r;

        r = itest_tmpdir("ctl-run", dir, sizeof(dir));
        if (r < 0)
                return r;
        (void) snprintf(path, sizeof(path), "%s/etc", dir);
        if (mkdir(path, 0755) < 0)
                return -errno;
        (void) snprintf(path, sizeof(path), "%s/sandbox-etc", dir);
        if (mkdir(path, 0755) < 0)
                return -errno;
        if ((r = write_in_dir("orig", "original\n")) < 0 || (r = write_in_dir("sandbox", "sandbox\n")) < 0 ||
            (r = write_in_dir("other", "other\n")) < 0 ||
            (r = write_in_dir("etc/conf", "host conf\n")) < 0 ||
            (r = write_in_dir("sandbox-etc/conf", "sandboxed conf\n")) < 0 ||
            (r = write_in_dir("motd", "motd\n")) < 0 ||
            (r = write_in_dir("sandbox-log", "sandbox log\n")) < 0)
                return r;
        return make_policy(policy, size);
}

/* Run a shell line under the policy, expecting exit 0 and exactly this stdout. */
static bool shell_prints(const char *policy, const char *line, const char *want, const char *name) {
        const char *cmd[] = {"/bin/sh", "-c", line, NULL};
        RunResult res;
        bool ok;
        int r;

        r = run_ctl(policy, cmd, &res);
        ok = r >= 0 && res.status == 0 && res.out && streq(res.out, want);
        if (!check(ok, name)) {
                if (r < 0)
                        printf("# running %s failed: %s\n", itest_ctl_binary(), strerror(-r));
                printf("# command: %s\n", line);
                diag_text("expected stdout", want);
                run_result_diag(&res);
        }
        run_result_clear(&res);
        return ok;
}

int main(void) {
        char policy[ITEST_PATH_MAX + 32], line[4 * ITEST_PATH_MAX], path[ITEST_PATH_MAX + 64];
        char orig[ITEST_PATH_MAX + 32];
        const char *ctl = itest_ctl_binary();
        RunResult res = {};
        bool ok;
        int r;

        printf("1..%d\n", N_TESTS);
        fflush(stdout);

        if (!ctl || access(ctl, X_OK) < 0) {
                printf("# SRD_CTL does not name the seccomp-redirectctl binary\n");
                return EXIT_FAILURE;
        }
        r = setup(policy, sizeof(policy));
        if (r < 0) {
                printf("# setup failed: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }
        (void) snprintf(orig, sizeof(orig), "%s/orig", dir);

        /* Without the series every check below would fail for that reason alone: say so first. */
        check(e2e_kernel_has_redirect(), "the kernel carries the redirect series (FLAG_REDIRECT accepted)");

        {
                const char *cmd[] = {"/bin/cat", orig, NULL};

                r = run_ctl(policy, cmd, &res);
                ok = r >= 0 && res.status == 0 && res.out && streq(res.out, "sandbox\n");
                if (!check(ok, "exact rule: cat of the original path prints the sandbox file")) {
                        if (r < 0)
                                printf("# running %s failed: %s\n", ctl, strerror(-r));
                        run_result_diag(&res);
                }
                ok = res.err && strstr(res.err, "redirects: through the kernel (SEND_REDIRECT)") &&
                     !strstr(res.err, "not supported by this kernel") &&
                     !strstr(res.err, "redirectFallback errno");
                if (!check(ok, "stderr says redirects go through the kernel, no fallback logged"))
                        run_result_diag(&res);
                /* The rule has "log": true: the hit is reported with its target. */
                (void) snprintf(path, sizeof(path), "rule \"orig\": redirect to %s/sandbox", dir);
                if (!check(res.err && strstr(res.err, path), "the logged hit names the rule and its target"))
                        run_result_diag(&res);
                run_result_clear(&res);
        }

        (void) snprintf(path, sizeof(path), "%s/other", dir);
        {
                const char *cmd[] = {"/bin/cat", path, NULL};

                r = run_ctl(policy, cmd, &res);
                ok = r >= 0 && res.status == 0 && res.out && streq(res.out, "other\n");
                if (!check(ok, "a path no rule names is opened as is"))
                        run_result_diag(&res);
                run_result_clear(&res);
        }

        /* The shell's own address space, a forked child that execs (a fresh
         * mm, pinned anew), then the shell again (its pin still there). */
        (void) snprintf(line, sizeof(line), "read l <%1$s; echo \"$l\"; cat %1$s; read l <%1$s; echo \"$l\"",
                        orig);
        shell_prints(policy, line, "sandbox\nsandbox\nsandbox\n",
                     "redirects in the shell, in a child it execs, and in the shell again");

        (void) snprintf(line, sizeof(line), "cd %s/etc && cat conf ./conf ../etc/conf", dir);
        shell_prints(policy, line, "sandboxed conf\nsandboxed conf\nsandboxed conf\n",
                     "prefix rule with {suffix}: relative paths resolved against the task's cwd");

        /* Forced O_RDONLY: the append-open succeeds, the fd reads, a write
         * through it fails. A plain continue gives a write-only fd (no read,
         * write works: exit 11); a fallback fails the open (exit != 0). */
        (void) snprintf(
                line, sizeof(line),
                "exec 3>>%s/motd || exit 10; cat <&3; echo hacked >&3 2>/dev/null && exit 11; exit 0", dir);
        shell_prints(policy, line, "motd\n", "set rule: an append-open is rewritten to read-only");
        (void) snprintf(path, sizeof(path), "%s/motd", dir);
        check(file_is(path, "motd\n"), "set rule: the file is unchanged");

        /* Path and flags in one answer: the sandbox file opened read-only,
         * and the original path (O_CREAT) never created. */
        (void) snprintf(line, sizeof(line),
                        "exec 3>>%s/log || exit 10; cat <&3; echo hacked >&3 2>/dev/null && exit 11; exit 0",
                        dir);
        shell_prints(policy, line, "sandbox log\n", "redirect with set: the sandbox file, opened read-only");
        (void) snprintf(path, sizeof(path), "%s/log", dir);
        ok = access(path, F_OK) < 0 && errno == ENOENT;
        (void) snprintf(path, sizeof(path), "%s/sandbox-log", dir);
        check(ok && file_is(path, "sandbox log\n"),
              "redirect with set: the original path was not created, the sandbox file is unchanged");

        /* run under run: the kernel allows one listener per task, so the
         * inner one must refuse with its reason (and 125), not hang or run
         * the command unsupervised. */
        {
                const char *cmd[] = {ctl, "run", "--policy", policy, "--", "/bin/cat", orig, NULL};

                r = run_ctl(policy, cmd, &res);
                ok = r >= 0 && res.status == 125 && res.out && streq(res.out, "") && res.err &&
                     strstr(res.err, "already runs under a seccomp listener");
                if (!check(ok, "run under run: the inner one refuses (one listener per task), exit 125"))
                        run_result_diag(&res);
                run_result_clear(&res);
        }

        printf("# %u of %u failed\n", n_failed, n_tests);
        return n_failed == 0 && n_tests == N_TESTS ? EXIT_SUCCESS : EXIT_FAILURE;
}
