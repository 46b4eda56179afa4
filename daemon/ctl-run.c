/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `run`: supervise one command without the daemon. The child installs a
 * notify filter for the policy's syscalls and execs the command; the parent
 * answers its notifications with the same library code the daemon uses.
 *
 * The hard part is handing the listener fd from child to parent: once the
 * filter is loaded, any syscall the policy names blocks until someone
 * answers it, and only the parent can. So the child must not need a syscall
 * to hand the fd over. It publishes the fd number in shared memory (a plain
 * store) and the parent copies the fd with pidfd_getfd(); only then does the
 * child go on (its wait, and its execve, may be notified: by then the
 * parent is answering). Should the child block before even that store (a
 * policy naming munmap, say), the parent finds the listener in
 * /proc/PID/fd by itself.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <seccomp.h>

#include "ctl.h"
#include "macro.h"

typedef struct RunShared {
        _Atomic int32_t fd; /* -1: not yet; -2: the child failed */
        _Atomic int32_t ack; /* 1: the parent holds the fd, go on */
} RunShared;

static long futex_wait(_Atomic int32_t *addr, int32_t val, long nsec) {
        struct timespec ts = {.tv_sec = nsec / 1000000000L, .tv_nsec = nsec % 1000000000L};

        return syscall(SYS_futex, (int32_t *) addr, FUTEX_WAIT, val, &ts, NULL, 0);
}

static void futex_wake(_Atomic int32_t *addr) {
        (void) syscall(SYS_futex, (int32_t *) addr, FUTEX_WAKE, 1, NULL, NULL, 0);
}

_Noreturn static void run_child(RunShared *sh, const int *nrs, size_t n_nrs, char **cmd) {
        scmp_filter_ctx ctx;
        int r, fd;

        ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx) {
                fprintf(stderr, "run: seccomp_init failed.\n");
                goto fail;
        }
        for (size_t i = 0; i < n_nrs; i++) {
                r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nrs[i], 0);
                if (r < 0) {
                        fprintf(stderr, "run: cannot notify on syscall %d: %s\n", nrs[i], strerror(-r));
                        goto fail;
                }
        }
        /* libseccomp >= 2.5 asks for NEW_LISTENER because NOTIFY rules exist. */
        r = seccomp_load(ctx);
        if (r < 0) {
                fprintf(stderr, "run: cannot load the seccomp filter: %s\n", strerror(-r));
                goto fail;
        }
        fd = seccomp_notify_fd(ctx); /* no syscall: libseccomp remembers it */
        if (fd < 0)
                _exit(CTL_EXIT_RUN_FAILED); /* nothing we can print without risking a hang */

        atomic_store(&sh->fd, fd);
        futex_wake(&sh->fd);
        while (atomic_load(&sh->ack) == 0)
                (void) futex_wait(&sh->ack, 0, 100 * 1000 * 1000L);

        /* The listener fd is O_CLOEXEC: the command never sees it. */
        execvp(cmd[0], cmd);
        r = errno;
        fprintf(stderr, "run: cannot execute %s: %s\n", cmd[0], strerror(r));
        _exit(r == ENOENT ? 127 : 126);

fail:
        atomic_store(&sh->fd, -2);
        futex_wake(&sh->fd);
        _exit(CTL_EXIT_RUN_FAILED);
}

/* The child's listener without its help: the fd whose link reads "anon_inode:seccomp notify". */
static int find_listener_fd(pid_t pid) {
        char dir[64], link[PATH_MAX], target[64];
        DIR *d;
        struct dirent *de;
        int found = -ENOENT;

        (void) snprintf(dir, sizeof(dir), "/proc/%d/fd", (int) pid);
        d = opendir(dir);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                ssize_t n;

                if (de->d_name[0] == '.')
                        continue;
                (void) snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
                n = readlink(link, target, sizeof(target) - 1);
                if (n < 0)
                        continue;
                target[n] = 0;
                if (streq(target, "anon_inode:seccomp notify")) {
                        found = atoi(de->d_name);
                        break;
                }
        }
        closedir(d);
        return found;
}

static int wait_for_listener(RunShared *sh, pid_t pid, int pidfd) {
        for (unsigned i = 0;; i++) {
                int32_t fd = atomic_load(&sh->fd);
                int lfd;

                if (fd == -2)
                        return -ECHILD;
                if (fd < 0 && i >= 10)
                        fd = find_listener_fd(pid); /* 100 ms and no word from the child */
                if (fd >= 0) {
                        lfd = (int) syscall(SYS_pidfd_getfd, pidfd, fd, 0);
                        if (lfd < 0)
                                return -errno;
                        return lfd;
                }

                siginfo_t si = {};
                /* Dead before loading: leave it to be reaped by the caller. */
                if (waitid(P_PID, (id_t) pid, &si, WEXITED | WNOHANG | WNOWAIT) >= 0 && si.si_pid == pid)
                        return -ECHILD;
                (void) futex_wait(&sh->fd, -1, 10 * 1000 * 1000L);
        }
}

static void run_log_event(const SrdPolicy *p, const SrdEvent *ev) {
        const char *sysname = srd_syscall_name(ev->nr) ?: "?";
        const char *rule = ev->verdict.rule >= 0 ? srd_policy_rule_name(p, (size_t) ev->verdict.rule) : NULL;
        _cleanup_free_ char *what = NULL;

        if (!ev->verdict.log && !ev->fallback_reason && ev->applied != SRD_ACTION_KILL)
                return;

        what = ctl_describe_verdict(p, &ev->verdict);
        fprintf(stderr, "%s: pid %d: %s(", program_invocation_short_name, (int) ev->pid, sysname);
        for (unsigned i = 0; i < SRD_MAX_PATHS; i++)
                if (ev->path[i][0])
                        fprintf(stderr, "%s\"%s\"", i > 0 ? ", " : "", ev->path[i]);
        fprintf(stderr, ") -> %s%s%s: %s", rule ? "rule \"" : "default action", rule ?: "", rule ? "\"" : "",
                what ?: "?");
        if (ev->fallback_reason) {
                fprintf(stderr, " not possible (%s), redirectFallback %s", ev->fallback_reason,
                        srd_action_to_string(ev->applied) ?: "?");
                if (ev->applied == SRD_ACTION_ERRNO)
                        fprintf(stderr, " %s", srd_errno_to_string(ev->applied_error) ?: "?");
        }
        fputc('\n', stderr);
}

/* Answer everything pending, after poll() saw POLLIN. <0: the listener itself failed. */
static int run_drain(SrdListener *l, SrdPolicy *p) {
        for (SrdHandleFlags flags = SRD_HANDLE_READY;; flags = 0) {
                SrdEvent ev;
                int r;

                r = srd_listener_handle(l, p, flags, &ev);
                if (r < 0)
                        return r;
                if (ev.outcome == SRD_OUTCOME_NONE)
                        return 0;
                /* A kill usually reports the task gone: it is, by our doing. */
                if (ev.outcome == SRD_OUTCOME_ANSWERED ||
                    (ev.outcome == SRD_OUTCOME_TASK_GONE && ev.applied == SRD_ACTION_KILL))
                        run_log_event(p, &ev);
        }
}

static int run_supervise(SrdListener *l, SrdPolicy *p, pid_t pid, int pidfd, int sigfd) {
        bool listening = true;
        int status, r;

        for (;;) {
                struct pollfd pfd[3] = {
                        {.fd = listening ? srd_listener_fd(l) : -1, .events = POLLIN},
                        {.fd = pidfd, .events = POLLIN},
                        {.fd = sigfd, .events = POLLIN},
                };

                if (poll(pfd, ELEMENTSOF(pfd), -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        fprintf(stderr, "run: poll failed: %m\n");
                        return CTL_EXIT_RUN_FAILED;
                }

                if (pfd[0].revents & POLLIN) {
                        r = run_drain(l, p);
                        if (r < 0) {
                                fprintf(stderr, "run: the seccomp listener failed: %s\n", strerror(-r));
                                listening = false;
                        }
                }
                /* Every filtered task is gone; the child's exit follows. */
                if (pfd[0].revents & (POLLHUP | POLLERR) && !(pfd[0].revents & POLLIN))
                        listening = false;

                if (pfd[2].revents & POLLIN) {
                        struct signalfd_siginfo si;

                        if (read(sigfd, &si, sizeof(si)) == (ssize_t) sizeof(si))
                                (void) syscall(SYS_pidfd_send_signal, pidfd, (int) si.ssi_signo, NULL, 0);
                }

                if (pfd[1].revents & POLLIN) {
                        if (waitpid(pid, &status, 0) < 0) {
                                fprintf(stderr, "run: waitpid failed: %m\n");
                                return CTL_EXIT_RUN_FAILED;
                        }
                        /* What the command's leftovers still asked gets its answer. */
                        if (listening)
                                (void) run_drain(l, p);
                        if (WIFEXITED(status))
                                return WEXITSTATUS(status);
                        if (WIFSIGNALED(status))
                                return 128 + WTERMSIG(status);
                        return CTL_EXIT_RUN_FAILED;
                }
        }
}

int verb_run(int argc, char *argv[]) {
        static const struct option options[] = {
                {"policy", required_argument, NULL, 'p'}, {"help", no_argument, NULL, 'h'}, {}};
        const char *policy_path = NULL;
        SrdPolicy *p = NULL;
        SrdListener *l = NULL;
        _cleanup_free_ int *nrs = NULL;
        _cleanup_close_ int pidfd = -EBADF, sigfd = -EBADF;
        RunShared *sh;
        size_t n_nrs = 0;
        sigset_t ss;
        pid_t pid;
        int c, r, lfd, ret;

        optind = 1;
        while ((c = getopt_long(argc, argv, "+p:h", options, NULL)) >= 0)
                switch (c) {
                case 'p':
                        policy_path = optarg;
                        break;
                case 'h':
                        printf("run --policy FILE [--] CMD [ARG...]\n");
                        return EXIT_SUCCESS;
                default:
                        return CTL_EXIT_USAGE;
                }
        if (!policy_path || optind >= argc) {
                fprintf(stderr, "run: usage: run --policy FILE [--] CMD [ARG...]\n");
                return CTL_EXIT_USAGE;
        }

        if (ctl_load_policy(policy_path, &p) < 0)
                return CTL_EXIT_RUN_FAILED;
        r = srd_policy_syscalls(p, &nrs, &n_nrs);
        if (r < 0) {
                fprintf(stderr, "run: %s: %s\n", policy_path, strerror(-r));
                srd_policy_unref(p);
                return CTL_EXIT_RUN_FAILED;
        }

        sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (sh == MAP_FAILED) {
                srd_policy_unref(p);
                return CTL_EXIT_RUN_FAILED;
        }
        atomic_store(&sh->fd, -1);
        atomic_store(&sh->ack, 0);

        /* SIGTERM and SIGHUP are forwarded to the command; SIGINT and SIGQUIT reach it from the tty. */
        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGHUP);
        (void) sigprocmask(SIG_BLOCK, &ss, NULL);

        fflush(NULL);
        pid = fork();
        if (pid < 0) {
                fprintf(stderr, "run: fork failed: %m\n");
                ret = CTL_EXIT_RUN_FAILED;
                goto out;
        }
        if (pid == 0) {
                (void) sigprocmask(SIG_UNBLOCK, &ss, NULL);
                run_child(sh, nrs, n_nrs, argv + optind);
        }

        (void) signal(SIGINT, SIG_IGN);
        (void) signal(SIGQUIT, SIG_IGN);
        sigfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);

        pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0) {
                fprintf(stderr, "run: pidfd_open failed: %m\n");
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                ret = CTL_EXIT_RUN_FAILED;
                goto out;
        }

        lfd = wait_for_listener(sh, pid, pidfd);
        if (lfd < 0) {
                int status;

                if (lfd != -ECHILD)
                        fprintf(stderr, "run: cannot take the child's seccomp listener: %s\n",
                                strerror(-lfd));
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, &status, 0);
                ret = CTL_EXIT_RUN_FAILED;
                goto out;
        }
        r = srd_listener_new(lfd, &l);
        if (r < 0) {
                fprintf(stderr, "run: the child's listener is unusable: %s\n", strerror(-r));
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                ret = CTL_EXIT_RUN_FAILED;
                goto out;
        }

        atomic_store(&sh->ack, 1);
        futex_wake(&sh->ack);

        ret = run_supervise(l, p, pid, pidfd, sigfd);
out:
        srd_listener_free(l);
        srd_policy_unref(p);
        (void) munmap(sh, sizeof(*sh));
        return ret;
}
