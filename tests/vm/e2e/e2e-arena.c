/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The redirect arena under the real daemon with a one-page --arena-size:
 * a container that keeps making new templated targets is redirected for
 * ever, in its thread's slot and in one generation (the arena's size bounds
 * it), every pointer lands on the right target in the task's
 * current address space (after exec, with the old pin's address taken; in a
 * forked child, with the parent's pin), and what no arena can hold, or what
 * RESOLVE_BENEATH makes impossible, is denied even with
 * `redirectFallback: continue`: every real/ file says "R", so a fallback
 * shows up as a wrong read.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e-util.h"

#define ARENA_SIZE 4096
#define N_MANY 100
#define NAME_PAD 240

static const char policy_json[] =
        "{ \"version\": 1, \"name\": \"arena\", \"defaultAction\": \"continue\",\n"
        "  \"redirectFallback\": { \"action\": \"continue\" },\n"
        "  \"rules\": [\n"
        "    { \"name\": \"real\", \"names\": [\"open\", \"openat2\"], \"path\": { \"prefix\": \"@TMP@/real/\" },\n"
        "      \"action\": \"redirect\", \"to\": \"@TMP@/sb/{suffix}\" } ] }\n";

static char dir[ITEST_PATH_MAX];
static Daemon d;
static int n_tests, n_failed;

static void result(bool ok, const char *name) {
        n_tests++;
        if (!ok)
                n_failed++;
        printf("%s %d - %s\n", ok ? "ok" : "not ok", n_tests, name);
}

static void name_of(char *buf, size_t size, const char *sub, unsigned i) {
        char pad[NAME_PAD + 1];

        memset(pad, 'x', NAME_PAD);
        pad[NAME_PAD] = '\0';
        (void) snprintf(buf, size, "%s/%s/t%04u-%s", dir, sub, i, pad);
}

/* In a target: open real/<i>, which must have been redirected to sb/<i> ("S<i>"). */
static int check_one(unsigned i) {
        char p[ITEST_PATH_MAX + 512], want[16], got[16] = {};
        int fd;
        ssize_t n;

        name_of(p, sizeof(p), "real", i);
        /* open(2), not openat: see run(). */
        fd = (int) syscall(SYS_open, p, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                dprintf(2, "# target %u: open: %s\n", i, strerror(errno));
                return -1;
        }
        n = read(fd, got, sizeof(got) - 1);
        close(fd);
        (void) snprintf(want, sizeof(want), "S%u", i);
        if (n < 0 || strcmp(got, want) != 0) {
                dprintf(2, "# target %u: read \"%s\", expected \"%s\"\n", i, n < 0 ? "?" : got, want);
                return -1;
        }
        return 0;
}

static int check_range(unsigned from, unsigned to) {
        for (unsigned i = from; i < to; i++)
                if (check_one(i) < 0)
                        return 1;
        return 0;
}

/* The body waits with its filter (and so its container) alive until the test has read the status. */
static int hold[2], ready[2];

static int done(int code) {
        char c = (char) code;

        (void) write(ready[1], &c, 1);
        (void) read(hold[0], &c, 1);
        return code;
}

static int body_many(void *userdata) {
        return done(check_range(0, N_MANY));
}

/* Where the arena's pin is in this process (our own maps: nothing hostile here). */
static uintptr_t own_pin(void) {
        char *line = NULL;
        size_t n = 0;
        uintptr_t addr = 0;
        FILE *f = fopen("/proc/self/maps", "re");

        if (!f)
                return 0;
        while (getline(&line, &n, f) > 0)
                if (strstr(line, "seccomp-redirectd-arena")) {
                        addr = (uintptr_t) strtoull(line, NULL, 16);
                        break;
                }
        free(line);
        fclose(f);
        return addr;
}

static int body_exec(void *userdata) {
        char addr[32], fds[32];
        uintptr_t pin;

        if (check_one(0) < 0)
                return done(1);
        pin = own_pin();
        if (!pin)
                return done(2);
        (void) snprintf(addr, sizeof(addr), "%" PRIxPTR, pin);
        (void) snprintf(fds, sizeof(fds), "%d,%d", ready[1], hold[0]);
        if (fcntl(ready[1], F_SETFD, 0) < 0 || fcntl(hold[0], F_SETFD, 0) < 0)
                return done(3);
        /* Same tid, new address space, the old pin's address taken there. */
        execl("/proc/self/exe", "e2e-arena", "--after-exec", addr, dir, fds, (char *) NULL);
        return done(3);
}

static int after_exec(const char *addr, const char *fds) {
        uintptr_t old = (uintptr_t) strtoull(addr, NULL, 16);
        void *m;

        if (sscanf(fds, "%d,%d", &ready[1], &hold[0]) != 2)
                return 4;
        m = mmap((void *) old, ARENA_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (m != (void *) old)
                return done(4);
        /* Into further generations, too. */
        if (check_range(1, 31))
                return done(5);
        if (own_pin() == old)
                return done(6);
        return done(0);
}

static int body_fork(void *userdata) {
        pid_t pid;
        int status;

        if (check_one(0) < 0)
                return done(1);
        pid = fork();
        if (pid < 0)
                return done(2);
        if (pid == 0)
                /* The inherited pin, at the parent's address: no new one. */
                _exit(check_range(1, 6));
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
                return done(3);
        return done(WEXITSTATUS(status) ? 4 : 0);
}

static int body_too_big(void *userdata) {
        char p[4200];
        struct open_how how = {.flags = O_RDONLY | O_CLOEXEC};
        size_t len;
        long r;

        /* A target of 4,078 bytes and open_how behind it: no one-page arena holds both. */
        len = (size_t) snprintf(p, sizeof(p), "%s/real/", dir);
        while (len < 4078)
                len += (size_t) snprintf(p + len, sizeof(p) - len, "y/");
        len += (size_t) snprintf(p + len, sizeof(p) - len, "z");
        r = syscall(SYS_openat2, AT_FDCWD, p, &how, sizeof(how));
        return done(r < 0 && errno == ENAMETOOLONG ? 0 : r < 0 ? 10 + (errno & 0x3f) : 9);
}

static int body_beneath(void *userdata) {
        char p[ITEST_PATH_MAX + 16];
        struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_BENEATH};
        int dfd;
        long r;

        (void) snprintf(p, sizeof(p), "%s/real", dir);
        dfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return done(8);
        r = syscall(SYS_openat2, dfd, "beneath", &how, sizeof(how));
        return done(r < 0 && errno == EXDEV ? 0 : 9);
}

typedef struct Run {
        int code;
        long long redirects, fallbacks, pins, arena_size;
} Run;

static int run(const char *id, int (*body)(void *), Run *ret) {
        /* Not openat: a path rule on it would pin every openat (pinned
         * continue), the dynamic loader's after an exec too, before the
         * image could take the old pin's address. */
        int nrs[] = {SYS_open, SYS_openat2};
        E2eTarget t = {.notify = nrs, .n_notify = 2, .redirect = true, .agent = d.agent, .id = id};
        json_object *s = NULL, *ctr;
        pid_t pid;
        char c;

        *ret = (Run) {.code = -1};
        if (pipe2(hold, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0)
                return -errno;
        pid = e2e_spawn(&t, body, NULL);
        close(ready[1]);
        close(hold[0]);
        if (pid < 0)
                return pid;
        if (read(ready[0], &c, 1) == 1) {
                ret->code = (unsigned char) c;
                /* The daemon counts a redirect after the task has its answer:
                 * read until two readings agree. */
                for (int k = 0; k < 50; k++) {
                        Run now = *ret;

                        if (control_status(d.control, &s) >= 0 && (ctr = status_container(s, id))) {
                                now.redirects = status_int(ctr, "redirects");
                                now.fallbacks = status_int(ctr, "redirectFallbacks");
                                now.pins = status_int(ctr, "pins");
                                now.arena_size = status_int(ctr, "arenaSize");
                        }
                        json_object_put(s);
                        s = NULL;
                        if (k > 0 && now.redirects == ret->redirects && now.fallbacks == ret->fallbacks &&
                            now.pins == ret->pins && now.arena_size == ret->arena_size)
                                break;
                        *ret = now;
                        usleep(100000);
                }
        }
        close(hold[1]);
        close(ready[0]);
        (void) e2e_wait(pid, 60000);
        printf("# %s: code %d, %lld redirects, %lld fallbacks, %lld pins, arena %lld\n", id, ret->code,
               ret->redirects, ret->fallbacks, ret->pins, ret->arena_size);
        return 0;
}

static void write_in(const char *sub, unsigned i, const char *content) {
        char p[ITEST_PATH_MAX + 512];

        name_of(p, sizeof(p), sub, i);
        (void) itest_write_file(p, content);
}

int main(int argc, char *argv[]) {
        const char *const extra[] = {"--arena-size", "4096", NULL};
        Run r;

        if (argc == 5 && strcmp(argv[1], "--after-exec") == 0) {
                (void) snprintf(dir, sizeof(dir), "%s", argv[3]);
                return after_exec(argv[2], argv[4]);
        }

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (!e2e_kernel_has_redirect()) {
                printf("not ok 1 - the kernel carries the redirect series\n1..1\n");
                return 1;
        }
        if (e2e_daemon_start(&d, "arena", policy_json, extra) < 0) {
                printf("not ok 1 - the daemon starts\n1..1\n");
                return 1;
        }
        (void) snprintf(dir, sizeof(dir), "%s", d.dir);
        for (const char *const *s = (const char *const[]) {"real", "sb", NULL}; *s; s++) {
                char p[ITEST_PATH_MAX + 16];

                (void) snprintf(p, sizeof(p), "%s/%s", dir, *s);
                (void) mkdir(p, 0755);
        }
        for (unsigned i = 0; i < N_MANY; i++) {
                char s[16];

                (void) snprintf(s, sizeof(s), "S%u", i);
                write_in("sb", i, s);
                write_in("real", i, "R");
        }

        /* ~290 bytes a target, 14 would fill a page: the thread's slot takes
         * each in turn, so 100 make no new generation (and no new pin). */
        (void) run("many", body_many, &r);
        result(r.code == 0 && r.redirects == N_MANY && r.fallbacks == 0,
               "100 distinct templated targets through a one-page arena: each redirected to its own file");
        result(r.pins == 1 && r.arena_size == ARENA_SIZE,
               "they share the thread's slot: one generation, pinned once (the arena's size bounds a container)");

        (void) run("exec", body_exec, &r);
        result(r.code == 0 && r.fallbacks == 0,
               "after exec, with the old pin's address taken, the new pin is found and every pointer is right");
        result(r.pins >= 2, "the exec'd address space got a pin of its own");

        (void) run("fork", body_fork, &r);
        result(r.code == 0 && r.redirects == 6, "a forked child is redirected through the pin it inherited");
        result(r.pins == 1, "the child needed no pin of its own");

        (void) run("too-big", body_too_big, &r);
        result(r.code == 0 && r.fallbacks == 0,
               "targets no arena of --arena-size holds: ENAMETOOLONG, not redirectFallback continue");
        result(daemon_wait_log(&d, "exceed the redirect arena", 5000) >= 0, "the log says why");

        (void) run("beneath", body_beneath, &r);
        result(r.code == 0 && r.fallbacks == 0, "openat2 under RESOLVE_BENEATH: EXDEV, not redirectFallback continue");
        result(daemon_wait_log(&d, "RESOLVE_BENEATH or RESOLVE_IN_ROOT", 5000) >= 0, "the log says why");

        result(!daemon_log_contains(&d, "redirectFallback"), "no redirectFallback over the whole run");
        result(kill(d.pid, 0) == 0, "the daemon is still running");

        printf("1..%d\n", n_tests);
        (void) daemon_stop(&d, SIGTERM, 5000, NULL);
        return n_failed ? 1 : 0;
}
