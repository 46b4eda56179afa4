/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Redirects without a maps lookup (issue 11): the daemon points a task at
 * the address the generation's pins share (or the one it remembers for the
 * tid) without reading /proc/TID/maps, and relies on SEND_REDIRECT refusing
 * a pointer that is not inside a sealed read-only mapping of the arena's
 * memfd, all of whose mappings sit at congruent addresses (lib/redirect.c).
 * Each case here puts something else where the daemon will guess:
 *
 *   steady     one process, many redirects: one pin
 *   exec       after exec, a sealed read-only mapping of another memfd (the
 *              task's own, full of "/") at the old pin's address
 *   fork       a child redirected through the pin it inherited
 *   thread     a second thread, same address space
 *   split      the pin split by madvise(MADV_DONTFORK) on its first page,
 *              then fork: the child has only the rest of it
 *   tid-reuse  a process pinned away from the usual address exits, and a
 *              new process gets its tid (clone3 set_tid) with a decoy where
 *              the daemon remembers that tid's pin
 *
 * Every real/ file says "R" and every sb/ file "S<i>"; a decoy path is "/"
 * (a directory: read fails). So a pointer that lands anywhere but on the
 * placed target shows up as a failed or wrong read.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sched.h>
#include <pthread.h>
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

#define ARENA_SIZE (64 * 1024)
#define N_TARGETS 200
#define NAME_PAD 40

#ifndef SYS_mseal
#define SYS_mseal 462
#endif

static const char policy_json[] =
        "{ \"version\": 1, \"name\": \"arena-pins\", \"defaultAction\": \"continue\",\n"
        "  \"redirectFallback\": { \"action\": \"errno\", \"errno\": \"EPERM\" },\n"
        "  \"rules\": [\n"
        "    { \"name\": \"real\", \"names\": [\"open\"], \"path\": { \"prefix\": \"@TMP@/real/\" },\n"
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
                dprintf(2, "# target %u: read \"%s\" (%s), expected \"%s\"\n", i, n < 0 ? "?" : got,
                        n < 0 ? strerror(errno) : "", want);
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

static int hold[2], ready[2];

static int done(int code) {
        char c = (char) code;

        (void) write(ready[1], &c, 1);
        (void) read(hold[0], &c, 1);
        return code;
}

/* The arena's pins in this process, lowest first (our own maps). */
static size_t own_pins(uintptr_t *addrs, size_t max) {
        char *line = NULL;
        size_t n = 0, k = 0;
        FILE *f = fopen("/proc/self/maps", "re");

        if (!f)
                return 0;
        while (getline(&line, &n, f) > 0)
                if (strstr(line, "seccomp-redirectd-arena") && k < max)
                        addrs[k++] = (uintptr_t) strtoull(line, NULL, 16);
        free(line);
        fclose(f);
        return k;
}

/*
 * A decoy at addr: a sealed, read-only, shared mapping of a memfd of our
 * own, write-sealed, full of '/' (so any string in it names "/"). It passes
 * every check of SEND_REDIRECT but the one on which memfd it maps.
 */
static int decoy_at(uintptr_t addr) {
        char *buf = malloc(ARENA_SIZE);
        void *m;
        int fd;

        if (!buf)
                return -1;
        memset(buf, '/', ARENA_SIZE);
        buf[ARENA_SIZE - 1] = '\0';
        fd = memfd_create("decoy", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0 || write(fd, buf, ARENA_SIZE) != ARENA_SIZE ||
            fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW) < 0) {
                free(buf);
                return -1;
        }
        free(buf);
        m = mmap((void *) addr, ARENA_SIZE, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
        close(fd);
        if (m != (void *) addr)
                return -1;
        if (syscall(SYS_mseal, addr, (size_t) ARENA_SIZE, 0UL) < 0)
                return -1;
        return 0;
}

static int body_steady(void *userdata) {
        return done(check_range(0, 50));
}

static int body_exec(void *userdata) {
        char addr[32], fds[32];
        uintptr_t pin;

        if (check_one(0) < 0 || own_pins(&pin, 1) != 1)
                return done(1);
        (void) snprintf(addr, sizeof(addr), "%" PRIxPTR, pin);
        (void) snprintf(fds, sizeof(fds), "%d,%d", ready[1], hold[0]);
        if (fcntl(ready[1], F_SETFD, 0) < 0 || fcntl(hold[0], F_SETFD, 0) < 0)
                return done(3);
        execl("/proc/self/exe", "e2e-arena-pins", "--after-exec", addr, dir, fds, (char *) NULL);
        return done(3);
}

static int after_exec(const char *addr, const char *fds) {
        uintptr_t old = (uintptr_t) strtoull(addr, NULL, 16), pins[4];

        if (sscanf(fds, "%d,%d", &ready[1], &hold[0]) != 2)
                return 4;
        /* The daemon's guess for this tid is the old pin's address. */
        if (decoy_at(old) < 0)
                return done(4);
        if (check_range(1, 40))
                return done(5);
        /* Pinned once, at another address congruent to the old one. */
        if (own_pins(pins, 4) != 1 || pins[0] == old || pins[0] % ARENA_SIZE != old % ARENA_SIZE)
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
                _exit(check_range(1, 20));
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
                return done(3);
        return done(WEXITSTATUS(status) ? 4 : 0);
}

static void *thread_main(void *userdata) {
        return (void *) (intptr_t) check_range(1, 20);
}

static int body_thread(void *userdata) {
        pthread_t t;
        void *ret;

        if (check_one(0) < 0)
                return done(1);
        if (pthread_create(&t, NULL, thread_main, NULL) != 0)
                return done(2);
        if (pthread_join(t, &ret) != 0 || ret != NULL)
                return done(3);
        return done(check_range(20, 30) ? 4 : 0);
}

static int body_split(void *userdata) {
        uintptr_t pin;
        pid_t pid;
        int status;

        if (check_one(0) < 0 || own_pins(&pin, 1) != 1)
                return done(1);
        /* A sealed VMA may still be split by a flag-only madvise. */
        if (madvise((void *) pin, 4096, MADV_DONTFORK) < 0) {
                if (errno != EPERM)
                        return done(2);
                /* Refused for a sealed VMA: nothing to split, a plain fork. */
                printf("# madvise(MADV_DONTFORK) on the pin: EPERM\n");
        }
        pid = fork();
        if (pid < 0)
                return done(3);
        if (pid == 0)
                /* Without the pin's first page: what pointed there is
                 * refused, and the child gets a pin of its own. */
                _exit(check_range(1, N_TARGETS));
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
                return done(4);
        /* And the parent goes on through its split pin. */
        return done(check_range(0, N_TARGETS) ? 5 : 0);
}

/* P1 of tid-reuse, exec'd: the usual address taken, pinned elsewhere; says where. */
static int tid_p1(const char *addr, const char *fd_s) {
        uintptr_t usual = (uintptr_t) strtoull(addr, NULL, 16), pins[4];
        int fd = atoi(fd_s);

        if (decoy_at(usual) < 0)
                return 10;
        if (check_range(0, 5))
                return 11;
        if (own_pins(pins, 4) != 1 || pins[0] == usual)
                return 12;
        return write(fd, &pins[0], sizeof(pins[0])) == sizeof(pins[0]) ? 0 : 13;
}

static int body_tid_reuse(void *userdata) {
        struct clone_args args = {.exit_signal = SIGCHLD, .set_tid_size = 1};
        char addr[32], fd_s[16];
        uintptr_t usual, elsewhere = 0;
        int p[2], status;
        pid_t p1, p2;

        if (check_one(0) < 0 || own_pins(&usual, 1) != 1 || pipe(p) < 0)
                return done(1);
        (void) snprintf(addr, sizeof(addr), "%" PRIxPTR, usual);
        (void) snprintf(fd_s, sizeof(fd_s), "%d", p[1]);
        p1 = fork();
        if (p1 < 0)
                return done(2);
        if (p1 == 0) {
                execl("/proc/self/exe", "e2e-arena-pins", "--tid-p1", addr, dir, fd_s, (char *) NULL);
                _exit(9);
        }
        close(p[1]);
        if (waitpid(p1, &status, 0) != p1 || !WIFEXITED(status) || WEXITSTATUS(status) ||
            read(p[0], &elsewhere, sizeof(elsewhere)) != sizeof(elsewhere)) {
                dprintf(2, "# tid-reuse: first process: status %#x\n", status);
                return done(3);
        }
        close(p[0]);

        /* A new process with P1's tid: the daemon remembers a pin at
         * `elsewhere` for it; there is a decoy there now. */
        args.set_tid = (uint64_t) (uintptr_t) &p1;
        p2 = (pid_t) syscall(SYS_clone3, &args, sizeof(args));
        if (p2 < 0) {
                dprintf(2, "# clone3 set_tid %d: %s\n", (int) p1, strerror(errno));
                return done(4);
        }
        if (p2 == 0) {
                if (decoy_at(elsewhere) < 0)
                        _exit(20);
                _exit(check_range(5, 30) ? 21 : 0);
        }
        if (waitpid(p2, &status, 0) != p2 || !WIFEXITED(status)) {
                dprintf(2, "# tid-reuse: second process: status %#x\n", status);
                return done(5);
        }
        if (WEXITSTATUS(status))
                dprintf(2, "# tid-reuse: second process: exit %d\n", WEXITSTATUS(status));
        return done(WEXITSTATUS(status) ? 6 : 0);
}

/* mkstemp-like: many unique names, each opened once (pinned continue). */
#define N_UNIQUE 3000
static void *unique_thread(void *userdata) {
        intptr_t k = (intptr_t) userdata;

        for (unsigned i = 0; i < N_UNIQUE / 4; i++) {
                char p[ITEST_PATH_MAX + 64];
                int fd;

                (void) snprintf(p, sizeof(p), "%s/u/%ld-%u-%s", dir, (long) k, i,
                                "uniqueuniqueuniqueuniqueuniqueuniqueuniqueunique");
                fd = (int) syscall(SYS_open, p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                if (fd < 0) {
                        dprintf(2, "# unique %ld/%u: open: %s\n", (long) k, i, strerror(errno));
                        return (void *) 1;
                }
                close(fd);
                (void) unlink(p);
        }
        return NULL;
}

static int body_unique(void *userdata) {
        pthread_t t[4];
        void *ret;
        int bad = 0;

        for (intptr_t k = 0; k < 4; k++)
                if (pthread_create(&t[k], NULL, unique_thread, (void *) k) != 0)
                        return done(1);
        for (int k = 0; k < 4; k++)
                if (pthread_join(t[k], &ret) != 0 || ret != NULL)
                        bad = 1;
        return done(bad ? 2 : 0);
}

typedef struct Run {
        int code;
        long long redirects, fallbacks, pins;
} Run;

static int run(const char *id, int (*body)(void *), Run *ret) {
        /* Not openat: a path rule on it pins every openat (pinned
         * continue), the dynamic loader's after an exec too, before the
         * image could put its decoy at the old pin's address. */
        int nrs[] = {SYS_open};
        E2eTarget t = {.notify = nrs, .n_notify = 1, .redirect = true, .agent = d.agent, .id = id};
        json_object *s = NULL, *ctr;
        pid_t pid;
        char c;

        *ret = (Run){.code = -1};
        if (pipe2(hold, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0)
                return -errno;
        pid = e2e_spawn(&t, body, NULL);
        close(ready[1]);
        close(hold[0]);
        if (pid < 0)
                return pid;
        if (read(ready[0], &c, 1) == 1) {
                ret->code = (unsigned char) c;
                for (int k = 0; k < 50; k++) {
                        Run now = *ret;

                        if (control_status(d.control, &s) >= 0 && (ctr = status_container(s, id))) {
                                now.redirects = status_int(ctr, "redirects");
                                now.fallbacks = status_int(ctr, "redirectFallbacks");
                                now.pins = status_int(ctr, "pins");
                        }
                        json_object_put(s);
                        s = NULL;
                        if (k > 0 && now.redirects == ret->redirects && now.fallbacks == ret->fallbacks &&
                            now.pins == ret->pins)
                                break;
                        *ret = now;
                        usleep(100000);
                }
        }
        close(hold[1]);
        close(ready[0]);
        (void) e2e_wait(pid, 60000);
        printf("# %s: code %d, %lld redirects, %lld fallbacks, %lld pins\n", id, ret->code, ret->redirects,
               ret->fallbacks, ret->pins);
        return 0;
}

static void write_in(const char *sub, unsigned i, const char *content) {
        char p[ITEST_PATH_MAX + 512];

        name_of(p, sizeof(p), sub, i);
        (void) itest_write_file(p, content);
}

int main(int argc, char *argv[]) {
        const char *const extra[] = {"--arena-size", "64K", NULL};
        Run r;

        if (argc == 5 && strcmp(argv[1], "--after-exec") == 0) {
                (void) snprintf(dir, sizeof(dir), "%s", argv[3]);
                return after_exec(argv[2], argv[4]);
        }
        if (argc == 5 && strcmp(argv[1], "--tid-p1") == 0) {
                (void) snprintf(dir, sizeof(dir), "%s", argv[3]);
                return tid_p1(argv[2], argv[4]);
        }

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (!e2e_kernel_has_redirect()) {
                printf("not ok 1 - the kernel carries the redirect series\n1..1\n");
                return 1;
        }
        if (e2e_daemon_start(&d, "arena-pins", policy_json, extra) < 0) {
                printf("not ok 1 - the daemon starts\n1..1\n");
                return 1;
        }
        (void) snprintf(dir, sizeof(dir), "%s", d.dir);
        for (const char *const *s = (const char *const[]){"real", "sb", NULL}; *s; s++) {
                char p[ITEST_PATH_MAX + 16];

                (void) snprintf(p, sizeof(p), "%s/%s", dir, *s);
                (void) mkdir(p, 0755);
        }
        for (unsigned i = 0; i < N_TARGETS; i++) {
                char s[16];

                (void) snprintf(s, sizeof(s), "S%u", i);
                write_in("sb", i, s);
                write_in("real", i, "R");
        }

        (void) run("steady", body_steady, &r);
        result(r.code == 0 && r.redirects == 50 && r.fallbacks == 0,
               "50 redirects in one process land right");
        result(r.pins == 1, "one pin for all of them");

        (void) run("exec", body_exec, &r);
        result(r.code == 0 && r.fallbacks == 0,
               "after exec, a decoy memfd sealed read-only at the old pin's address: every pointer still "
               "lands on its target");
        result(r.pins == 2, "the exec'd address space got one pin, at a congruent address");

        (void) run("fork", body_fork, &r);
        result(r.code == 0 && r.redirects == 20,
               "a forked child is redirected through the pin it inherited");
        result(r.pins == 1, "the child needed no pin of its own");

        (void) run("thread", body_thread, &r);
        result(r.code == 0 && r.redirects == 30, "a second thread is redirected through the same pin");
        result(r.pins == 1, "no second pin for the thread");

        (void) run("split", body_split, &r);
        result(r.code == 0 && r.fallbacks == 0,
               "a pin split by madvise and half-inherited: child and parent still land on their targets");

        (void) run("tid-reuse", body_tid_reuse, &r);
        result(r.code == 0 && r.fallbacks == 0,
               "a new process with a pinned-elsewhere process's tid and a decoy where that pin was: "
               "every pointer lands on its target");

        {
                char p[ITEST_PATH_MAX + 16];

                (void) snprintf(p, sizeof(p), "%s/u", dir);
                (void) mkdir(p, 0755);
        }
        (void) run("unique", body_unique, &r);
        result(r.code == 0 && r.fallbacks == 0,
               "4 threads open 3000 unique names (O_CREAT|O_EXCL), every one works");
        /* Each open is a pinned continue, its ~100-byte resolved name
         * copied into the arena: 300 KB through 64 KiB. Append-only, that
         * would be 5 generations or more, each a new pin in this process. */
        result(r.redirects >= N_UNIQUE && r.pins == 1,
               "3000 unique names pinned through 64 KiB of arena: no new generation (one pin)");

        result(!daemon_log_contains(&d, "redirectFallback"), "no redirectFallback over the whole run");
        result(kill(d.pid, 0) == 0, "the daemon is still running");

        printf("1..%d\n", n_tests);
        (void) daemon_stop(&d, SIGTERM, 5000, NULL);
        return n_failed ? 1 : 0;
}
