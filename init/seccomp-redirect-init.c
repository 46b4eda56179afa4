/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seccomp-redirect-init: runs in front of a container's workload (as its
 * PID 1, or in front of an exec'd process), installs a seccomp filter with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_REDIRECT for the
 * syscalls of the container's policy, hands the listener to
 * seccomp-redirectd, and then runs the workload under it. No OCI runtime
 * can install a filter with the REDIRECT flag; this program is how a
 * container gets one. The runtime's own profile stays the outer filter.
 *
 * Linked statically on purpose: it is bind-mounted from the host into a
 * container image nobody vetted, and must not load that image's libc.
 *
 * The token in SECCOMP_REDIRECT_TOKEN (put there by seccomp-redirect-oci)
 * is all it knows about its container: the daemon looks up the container
 * and its policy by it and answers with the syscalls to notify on. The
 * protocol is in init-proto.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init-proto.h"
#include "macro.h"
#include "notify-filter.h"
#include "srd-uapi.h"

#define DEFAULT_SOCKET "/.seccomp-redirect.sock"
#define TOKEN_ENV "SECCOMP_REDIRECT_TOKEN"
/* How long the daemon may take to answer each step. */
#define REPLY_TIMEOUT_SEC 30

/* Exit codes of our own failures, apart from the workload's. */
#define EXIT_SETUP 125
#define EXIT_EXEC_FAILED 126
#define EXIT_NOT_FOUND 127

static const char *prog = "seccomp-redirect-init";

_printf_(1, 2) static void say(const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "%s: ", prog);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

/* One line from the daemon, without its '\n'; "ERROR ..." is reported and fails. */
static int read_line(int fd, char *buf, size_t size) {
        size_t n = 0;

        for (;;) {
                ssize_t k = read(fd, buf + n, 1); /* byte by byte: nothing read past the line */

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        return -ECONNRESET;
                if (buf[n] == '\n')
                        break;
                if (++n >= size - 1)
                        return -EMSGSIZE;
        }
        buf[n] = 0;
        if (strncmp(buf, "ERROR ", 6) == 0) {
                say("the daemon refused the handoff: %s", buf + 6);
                return -EPERM;
        }
        return (int) n;
}

static int write_all(int fd, const char *s) {
        size_t n = strlen(s);

        while (n > 0) {
                ssize_t k = send(fd, s, n, MSG_NOSIGNAL);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                s += k;
                n -= (size_t) k;
        }
        return 0;
}

static int connect_daemon(const char *path) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        struct timeval tv = {.tv_sec = REPLY_TIMEOUT_SEC};
        _cleanup_close_ int fd = -EBADF;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, strlen(path));
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return negative_errno();
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        return TAKE_FD(fd);
}

/* Without CAP_SYS_ADMIN in its user namespace a task may only load a filter under no_new_privs. */
static int ensure_no_new_privs(void) {
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct d[2] = {};

        if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1)
                return 0;
        if (syscall(SYS_capget, &h, d) < 0)
                return negative_errno();
        if (d[CAP_SYS_ADMIN / 32].effective & (1U << (CAP_SYS_ADMIN % 32)))
                return 0;
        say("no CAP_SYS_ADMIN: setting no_new_privs (setuid and file capabilities of the workload no "
            "longer raise privileges)");
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return negative_errno();
        return 0;
}

static long load_filter(unsigned long flags, const struct sock_fprog *prog_) {
        return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog_);
}

/*
 * The whole handoff. Returns 0 with the filter loaded and the daemon
 * holding its listener (our copy closed), or a negative errno, said.
 */
static int handoff(const char *socket_path, const char *token) {
        _cleanup_close_ int sock = -EBADF;
        _cleanup_free_ struct sock_filter *insns = NULL;
        char line[SRI_LINE_MAX + 2];
        int nrs[SRI_MAX_SYSCALLS];
        struct sock_fprog fprog;
        const char *what = NULL;
        size_t n_nrs;
        int slot, r;
        long lfd;

        sock = connect_daemon(socket_path);
        if (sock < 0) {
                say("cannot connect to seccomp-redirectd at %s: %s", socket_path, strerror(-sock));
                return sock;
        }
        (void) snprintf(line, sizeof(line), "%s%s\n", SRI_HELLO, token);
        r = write_all(sock, line);
        if (r < 0) {
                say("cannot send the token: %s", strerror(-r));
                return r;
        }
        r = read_line(sock, line, sizeof(line));
        if (r < 0) {
                if (r != -EPERM)
                        say("no syscall list from the daemon: %s", strerror(-r));
                return r;
        }
        r = sri_parse_syscalls(line, (size_t) r, nrs, ELEMENTSOF(nrs), &n_nrs);
        if (r < 0) {
                say("malformed syscall list from the daemon");
                return r;
        }
        r = sri_filter_build(nrs, n_nrs, /* compat_arches= */ true, &fprog, &what);
        if (r < 0) {
                say("cannot build the seccomp filter (%s): %s", what, strerror(-r));
                return r;
        }
        insns = fprog.filter;
        r = ensure_no_new_privs();
        if (r < 0) {
                say("cannot set no_new_privs: %s", strerror(-r));
                return r;
        }

        /* The listener will get the lowest free fd: announce it now, while
         * every syscall is still ours, and load the filter right after. */
        slot = fcntl(sock, F_DUPFD_CLOEXEC, 0);
        if (slot < 0)
                return negative_errno();
        (void) close(slot);
        (void) snprintf(line, sizeof(line), "LISTENER %d\n", slot);
        r = write_all(sock, line);
        if (r < 0) {
                say("cannot announce the listener: %s", strerror(-r));
                return r;
        }

        lfd = load_filter(SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_REDIRECT, &fprog);
        if (lfd < 0 && errno == EINVAL) {
                lfd = load_filter(SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog);
                if (lfd >= 0)
                        say("this kernel has no SECCOMP_FILTER_FLAG_REDIRECT: redirect rules take their "
                            "redirectFallback");
        }
        if (lfd < 0) {
                r = negative_errno();
                if (r == -EBUSY)
                        say("cannot load the filter: this process already runs under a seccomp listener "
                            "(does the runtime's profile use SCMP_ACT_NOTIFY?), and the kernel allows one");
                else
                        say("cannot load the filter: %s", strerror(-r));
                return r;
        }
        if (lfd != slot) {
                say("the listener got fd %ld, not the announced %d", lfd, slot);
                return -EBADFD;
        }

        /* From here on our own syscalls may be notified: the daemon answers them. */
        r = read_line(sock, line, sizeof(line));
        /* Ours is a spare the workload could take with pidfd_getfd() or ptrace. */
        (void) close((int) lfd);
        if (r < 0) {
                if (r != -EPERM)
                        say("no acceptance from the daemon: %s", strerror(-r));
                return r;
        }
        if (!streq(line, "OK")) {
                say("unexpected answer from the daemon");
                return -EBADMSG;
        }
        return 0;
}

/* The token must not outlive the handoff in /proc/PID/environ either. */
static void scrub_token(void) {
        char *t = getenv(TOKEN_ENV);

        if (t)
                explicit_bzero(t, strlen(t));
        (void) unsetenv(TOKEN_ENV);
}

_Noreturn static void exec_workload(char **argv) {
        int r;

        execvp(argv[0], argv);
        r = errno;
        say("cannot execute %s: %s", argv[0], strerror(r));
        _exit(r == ENOENT ? EXIT_NOT_FOUND : EXIT_EXEC_FAILED);
}

/*
 * PID 1 of the container: the workload is our child; signals sent to us go
 * to it, every orphan that lands on us is reaped, and we exit with its
 * status (128+signal when it was killed), like tini.
 */
_Noreturn static void run_as_pid1(char **argv, const sigset_t *saved) {
        sigset_t all;
        pid_t child;

        (void) sigfillset(&all);
        child = fork();
        if (child < 0) {
                say("cannot fork: %m");
                _exit(EXIT_SETUP);
        }
        if (child == 0) {
                (void) sigprocmask(SIG_SETMASK, saved, NULL);
                exec_workload(argv);
        }

        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(&all, &si);

                if (sig < 0)
                        continue;
                if (sig != SIGCHLD) {
                        (void) kill(child, sig);
                        continue;
                }
                for (;;) {
                        int status;
                        pid_t p = waitpid(-1, &status, WNOHANG);

                        if (p <= 0)
                                break;
                        if (p != child)
                                continue;
                        if (WIFEXITED(status))
                                _exit(WEXITSTATUS(status));
                        _exit(128 + WTERMSIG(status));
                }
        }
}

static void help(void) {
        printf("%s [--socket PATH] [--no-reaper] [--] COMMAND [ARG...]\n\n"
               "Install a seccomp filter that can redirect, hand its listener to seccomp-redirectd,\n"
               "then run COMMAND under it. The token in $%s binds this process to its container\n"
               "and policy (seccomp-redirect-oci puts it there).\n\n"
               "  -h --help          Show this help\n"
               "  -s --socket PATH   The daemon's init socket (default %s)\n"
               "     --no-reaper     Exec COMMAND even as PID 1 instead of reaping for it\n\n"
               "See seccomp-redirect-init(8).\n",
               prog, TOKEN_ENV, DEFAULT_SOCKET);
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"socket", required_argument, NULL, 's'},
                {"no-reaper", no_argument, NULL, 'R'},
                {},
        };
        const char *socket_path = DEFAULT_SOCKET, *token;
        bool reaper = true;
        sigset_t all, saved;
        int c, r;

        while ((c = getopt_long(argc, argv, "+hs:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 's':
                        socket_path = optarg;
                        break;
                case 'R':
                        reaper = false;
                        break;
                default:
                        return EXIT_SETUP;
                }
        if (optind >= argc) {
                say("no command given; see --help");
                return EXIT_SETUP;
        }
        token = getenv(TOKEN_ENV);
        if (!token || !sri_token_valid(token, strlen(token))) {
                say("$%s is missing or not a token: refusing to run the workload unsupervised", TOKEN_ENV);
                return EXIT_SETUP;
        }

        /* Until our listener copy is closed, nobody in the container may take it. */
        (void) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        /* As PID 1, signals wait for the workload to exist, and then go to it. */
        (void) sigfillset(&all);
        if (getpid() == 1 && reaper)
                (void) sigprocmask(SIG_SETMASK, &all, &saved);

        r = handoff(socket_path, token);
        scrub_token();
        if (r < 0)
                return EXIT_SETUP;

        if (getpid() == 1 && reaper)
                run_as_pid1(argv + optind, &saved);
        (void) prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
        exec_workload(argv + optind);
}
