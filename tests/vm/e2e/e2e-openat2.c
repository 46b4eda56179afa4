/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * openat2's RESOLVE_* flags change where its path leads: with
 * RESOLVE_IN_ROOT the dirfd is the root even of an absolute path, with
 * RESOLVE_BENEATH nothing may leave it. The daemon must match what the
 * kernel will open (a deny rule on D/deny/ catches openat2(D, "/deny/x",
 * RESOLVE_IN_ROOT)), and must not redirect such a call to an absolute
 * target that the kernel would then look up inside the dirfd: that is
 * EXDEV, as the kernel says to an absolute path under RESOLVE_BENEATH, and
 * never redirectFallback (here "continue", which would open real/x). A plain
 * openat2 still redirects, struct open_how and all (the daemon points the
 * call at its own copy of it).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "e2e-util.h"

static const char policy_json[] =
        "{ \"version\": 1, \"name\": \"o2\", \"defaultAction\": \"continue\",\n"
        "  \"redirectFallback\": { \"action\": \"continue\" },\n"
        "  \"rules\": [\n"
        "    { \"name\": \"deny\", \"names\": [\"openat2\"], \"path\": { \"prefix\": \"@TMP@/deny/\" },\n"
        "      \"action\": \"errno\", \"errno\": \"EACCES\" },\n"
        "    { \"name\": \"redirect\", \"names\": [\"openat2\"], \"path\": { \"prefix\": \"@TMP@/real/\" },\n"
        "      \"action\": \"redirect\", \"to\": \"@TMP@/sb/{suffix}\" } ] }\n";

static char dir[ITEST_PATH_MAX];
static int n_tests, n_failed;

static void result(bool ok, const char *name, long got) {
        n_tests++;
        if (!ok)
                n_failed++;
        printf("%s %d - %s\n", ok ? "ok" : "not ok", n_tests, name);
        if (!ok)
                printf("#   got %ld (%s)\n", got, got < 0 ? strerror((int) -got) : "an fd's first byte");
}

typedef struct Call {
        const char *dirfd_path; /* NULL: AT_FDCWD */
        const char *path;
        uint64_t resolve;
} Call;

/* In the target: the call, then the first byte read from the fd (>= 0) or -errno. */
static int body(void *userdata) {
        const Call *c = userdata;
        struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = c->resolve};
        int dfd = AT_FDCWD, fd;
        char ch;

        if (c->dirfd_path) {
                dfd = open(c->dirfd_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0)
                        return 200;
        }
        fd = (int) syscall(SYS_openat2, dfd, c->path, &how, sizeof(how));
        if (fd < 0)
                return errno < 100 ? errno : 199;
        if (read(fd, &ch, 1) != 1)
                return 198;
        /* 'R'eal, 'S'andbox, 'D'eny: exit codes 100 + letter index */
        return ch == 'R' ? 150 : ch == 'S' ? 151 : ch == 'D' ? 152 : 197;
}

static long run(Daemon *d, const Call *c, const char *id) {
        int nrs[] = {SYS_openat2};
        E2eTarget t = {.notify = nrs, .n_notify = 1, .redirect = true, .agent = d->agent, .id = id};
        pid_t pid = e2e_spawn(&t, body, (void *) c);
        int r;

        if (pid < 0)
                return pid;
        r = e2e_wait(pid, 30000);
        if (r < 0)
                return r;
        return r >= 150 && r <= 152 ? r : -r;
}

static void write_marker(const char *sub, const char *content) {
        char p[ITEST_PATH_MAX + 32];

        (void) snprintf(p, sizeof(p), "%s/%s", dir, sub);
        (void) itest_write_file(p, content);
}

int main(void) {
        char real_dir[ITEST_PATH_MAX + 8], abs_path[ITEST_PATH_MAX + 16];
        Daemon d;
        long r;

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (!e2e_kernel_has_redirect()) {
                printf("not ok 1 - the kernel carries the redirect series\n1..1\n");
                return 1;
        }
        if (e2e_daemon_start(&d, "o2", policy_json, NULL) < 0) {
                printf("not ok 1 - the daemon starts\n1..1\n");
                return 1;
        }
        (void) snprintf(dir, sizeof(dir), "%s", d.dir);
        (void) snprintf(real_dir, sizeof(real_dir), "%s/real", dir);
        for (const char *const *s = (const char *const[]) {"real", "sb", "deny", "real/real", "real/deny", NULL}; *s;
             s++) {
                char p[ITEST_PATH_MAX + 16];

                (void) snprintf(p, sizeof(p), "%s/%s", dir, *s);
                (void) mkdir(p, 0755);
        }
        write_marker("real/x", "R");
        write_marker("sb/x", "S");
        write_marker("deny/x", "D");
        write_marker("real/real/x", "R"); /* what IN_ROOT under real/ would reach */
        write_marker("real/deny/x", "R");

        /* Sanity: a plain openat2 is redirected, with the daemon's copy of open_how. */
        (void) snprintf(abs_path, sizeof(abs_path), "%s/real/x", dir);
        r = run(&d, &(Call) {NULL, abs_path, 0}, "plain");
        result(r == 151, "openat2 without RESOLVE_* is redirected to the sandbox file", r);

        /* The kernel opens D/deny/x here: the deny rule must see that path. */
        r = run(&d, &(Call) {dir, "/deny/x", RESOLVE_IN_ROOT}, "in-root-deny");
        result(r == -EACCES, "openat2(D, \"/deny/x\", RESOLVE_IN_ROOT) is matched as D/deny/x and denied", r);
        r = run(&d, &(Call) {dir, "/real/../../../deny/x", RESOLVE_IN_ROOT}, "in-root-dotdot");
        result(r == -EACCES, "\"..\" stops at the RESOLVE_IN_ROOT root: D/deny/x again, denied", r);

        /* Matched (D/real/x), but an absolute target would be looked up inside D. */
        r = run(&d, &(Call) {dir, "/real/x", RESOLVE_IN_ROOT}, "in-root-redirect");
        result(r == -EXDEV, "a redirect of an openat2 with RESOLVE_IN_ROOT is EXDEV, not redirectFallback", r);
        r = run(&d, &(Call) {real_dir, "x", RESOLVE_BENEATH}, "beneath-redirect");
        result(r == -EXDEV, "a redirect of an openat2 with RESOLVE_BENEATH is EXDEV, not redirectFallback", r);

        /* Not a rule's path at all under IN_ROOT: D/real/real/x is real/ too, so
         * check one that is not: the root is D/real, the path /x -> D/real/x. */
        r = run(&d, &(Call) {real_dir, "/deny/x", RESOLVE_IN_ROOT}, "in-root-elsewhere");
        result(r == -EXDEV, "openat2(D/real, \"/deny/x\", RESOLVE_IN_ROOT) is D/real/deny/x: a redirect rule's, not the deny rule's", r);

        result(daemon_log_contains(&d, "RESOLVE_BENEATH or RESOLVE_IN_ROOT"), "the log says why those were refused", 0);
        result(!daemon_log_contains(&d, "redirectFallback"), "none of them took redirectFallback", 0);
        result(kill(d.pid, 0) == 0, "the daemon is still running", 0);

        printf("1..%d\n", n_tests);
        (void) daemon_stop(&d, SIGTERM, 5000, NULL);
        return n_failed ? 1 : 0;
}
