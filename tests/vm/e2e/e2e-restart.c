/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A redirect-capable listener across daemon restarts, on the patched
 * kernel, with itest-util playing systemd's fd store (Daemon.fd_store):
 * the daemon is SIGKILLed and started again with the stored listener in
 * LISTEN_FDS. After the restart a redirect still lands on its target (a new
 * arena generation, pinned beside the old one), the old arena stays mapped
 * in the task with its bytes unchanged, and a redirect the killed daemon
 * had received but not answered is answered by the next one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "e2e-util.h"

static const char policy_json[] =
        "{ \"version\": 1, \"name\": \"restart\", \"defaultAction\": \"continue\",\n"
        "  \"redirectFallback\": { \"action\": \"errno\", \"errno\": \"EPERM\" },\n"
        "  \"rules\": [\n"
        "    { \"name\": \"real\", \"names\": [\"open\", \"openat2\"], \"path\": { \"prefix\": "
        "\"@TMP@/real/\" },\n"
        "      \"action\": \"redirect\", \"to\": \"@TMP@/sb/{suffix}\" } ] }\n";

static char dir[ITEST_PATH_MAX];
static Daemon d;
static int n_tests, n_failed;
static int cmd[2], res[2];

static void result(bool ok, const char *name) {
        n_tests++;
        if (!ok)
                n_failed++;
        printf("%s %d - %s\n", ok ? "ok" : "not ok", n_tests, name);
}

/* The arena mappings of this process: how many, and the lowest's bounds. */
static int arenas(uintptr_t *ret_start, uintptr_t *ret_end) {
        char *line = NULL;
        size_t n = 0;
        int count = 0;
        FILE *f = fopen("/proc/self/maps", "re");

        if (!f)
                return -1;
        while (getline(&line, &n, f) > 0)
                if (strstr(line, "seccomp-redirectd-arena")) {
                        unsigned long long a, b;

                        if (count++ == 0 && sscanf(line, "%llx-%llx", &a, &b) == 2) {
                                *ret_start = (uintptr_t) a;
                                *ret_end = (uintptr_t) b;
                        }
                }
        free(line);
        fclose(f);
        return count;
}

/*
 * The target: one command byte at a time. 'o' then an index: open(2)
 * real/<index>, which must read "S<index>" (redirected to sb/<index>);
 * 'a': the number of arena mappings, remembering the one seen first; 'v' then an
 * index: the remembered arena still holds the target sb/<index>. Each
 * answers one byte, 0 for yes.
 */
static int body(void *userdata) {
        uintptr_t start = 0, end = 0;
        unsigned char c, i;

        for (;;) {
                char p[ITEST_PATH_MAX + 32], want[16], got[16] = {};
                unsigned char out = 1;
                int fd;

                if (read(cmd[0], &c, 1) != 1)
                        return 0;
                if (c == 'o' && read(cmd[0], &i, 1) == 1) {
                        (void) snprintf(p, sizeof(p), "%s/real/%u", dir, i);
                        fd = (int) syscall(SYS_open, p, O_RDONLY | O_CLOEXEC);
                        if (fd >= 0) {
                                ssize_t k = read(fd, got, sizeof(got) - 1);

                                close(fd);
                                (void) snprintf(want, sizeof(want), "S%u", i);
                                out = k > 0 && strcmp(got, want) == 0 ? 0 : 2;
                        } else
                                out = (unsigned char) (100 + (errno & 0x7f));
                } else if (c == 'a') {
                        uintptr_t s0 = 0, e0 = 0;
                        int k = arenas(&s0, &e0);

                        /* The first one seen is the old daemon's, wherever later ones go. */
                        if (!start && k > 0) {
                                start = s0;
                                end = e0;
                        }

                        out = (unsigned char) (k < 0 ? 255 : k);
                } else if (c == 'v' && read(cmd[0], &i, 1) == 1) {
                        (void) snprintf(p, sizeof(p), "%s/sb/%u", dir, i);
                        out = start && end > start && memmem((void *) start, end - start, p, strlen(p) + 1)
                                      ? 0
                                      : 3;
                }
                if (write(res[1], &out, 1) != 1)
                        return 1;
        }
}

static int ask(const char *what, size_t n, unsigned timeout_ms) {
        unsigned char out;
        uint64_t end = itest_now_usec() + (uint64_t) timeout_ms * 1000U;

        if (what && write(cmd[1], what, n) != (ssize_t) n)
                return -1;
        while (itest_now_usec() < end) {
                struct timeval tv = {.tv_usec = 50000};
                fd_set s;

                FD_ZERO(&s);
                FD_SET(res[0], &s);
                if (select(res[0] + 1, &s, NULL, NULL, &tv) > 0)
                        return read(res[0], &out, 1) == 1 ? out : -1;
        }
        return -ETIMEDOUT;
}

static long long busy_ms(const char *id) {
        json_object *s = NULL, *c;
        long long v = -1;

        if (control_status(d.control, &s) >= 0 && (c = status_container(s, id)))
                v = status_int(c, "busyMs");
        json_object_put(s);
        return v;
}

static bool container_back(const char *id) {
        return status_wait_container(d.control, id, true, 10000) >= 0;
}

static int restart(const char *const *extra) {
        (void) daemon_stop(&d, SIGKILL, 5000, NULL);
        return e2e_restart_daemon(&d, "restart", extra);
}

int main(void) {
        static const char *const delay[] = {"--unsafe-test-answer-delay", "60000", NULL};
        int nrs[] = {SYS_open, SYS_openat2};
        E2eTarget t = {.notify = nrs, .n_notify = 2, .redirect = true, .id = "restart-vm"};
        uint64_t end;
        pid_t pid;
        int r;

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (!e2e_kernel_has_redirect()) {
                printf("not ok 1 - the kernel carries the redirect series\n1..1\n");
                return 1;
        }
        if (e2e_daemon_start_store(&d, "restart", policy_json, NULL) < 0) {
                printf("not ok 1 - the daemon starts\n1..1\n");
                return 1;
        }
        (void) snprintf(dir, sizeof(dir), "%s", d.dir);
        for (unsigned i = 0; i < 4; i++) {
                char p[ITEST_PATH_MAX + 32], s[16];

                (void) snprintf(p, sizeof(p), "%s/real", dir);
                (void) mkdir(p, 0755);
                (void) snprintf(p, sizeof(p), "%s/sb", dir);
                (void) mkdir(p, 0755);
                (void) snprintf(p, sizeof(p), "%s/real/%u", dir, i);
                (void) itest_write_file(p, "R");
                (void) snprintf(p, sizeof(p), "%s/sb/%u", dir, i);
                (void) snprintf(s, sizeof(s), "S%u", i);
                (void) itest_write_file(p, s);
        }

        if (pipe2(cmd, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0)
                return 1;
        t.agent = d.agent;
        pid = e2e_spawn(&t, body, NULL);
        if (pid < 0) {
                printf("not ok 1 - target starts\n1..1\n");
                return 1;
        }
        r = ask("o\0", 2, 20000);
        result(r == 0, "before the restart: open real/0 is redirected to sb/0");
        r = ask("a", 1, 5000);
        result(r == 1, "one arena pinned in the task");
        end = itest_now_usec() + 5000000;
        while (daemon_fd_store_count(&d) < 1 && itest_now_usec() < end)
                usleep(20000);
        result(daemon_fd_store_count(&d) == 1, "the listener is in the fd store");

        r = restart(NULL);
        result(r >= 0 && container_back("restart-vm"), "SIGKILL, restart: the container is back");
        r = ask("o\1", 2, 20000);
        result(r == 0, "after the restart: open real/1 is redirected to sb/1");
        r = ask("a", 1, 5000);
        result(r == 2, "a new arena generation pinned beside the old one");
        r = ask("v\0", 2, 5000);
        result(r == 0, "the old arena is still mapped, its bytes unchanged (target sb/0)");

        /* In flight: the next daemon holds the open it received, and is killed. */
        r = restart(delay);
        result(r >= 0 && container_back("restart-vm"), "restarted with a slow answer");
        if (write(cmd[1], "o\2", 2) != 2)
                return 1;
        end = itest_now_usec() + 20000000;
        while (busy_ms("restart-vm") <= 0 && itest_now_usec() < end)
                usleep(20000);
        result(busy_ms("restart-vm") > 0, "the open is received, not answered");
        r = restart(NULL);
        r = r >= 0 ? ask(NULL, 0, 20000) : r;
        result(r == 0, "killed then: the next daemon answers it, redirected to sb/2");
        r = ask("o\3", 2, 20000);
        result(r == 0, "and redirects on (sb/3)");
        result(daemon_log_contains(&d, "the previous daemon received"),
               "the log says it answered a held one");

        close(cmd[1]);
        (void) e2e_wait(pid, 10000);
        printf("1..%d\n", n_tests);
        (void) daemon_stop(&d, SIGTERM, 5000, NULL);
        return n_failed ? 1 : 0;
}
