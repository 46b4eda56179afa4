/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `run`: supervise one command without the daemon. The child installs a
 * notify filter for the policy's syscalls and execs the command; the parent
 * answers its notifications with the same library code the daemon uses.
 *
 * The filter carries SECCOMP_FILTER_FLAG_REDIRECT where the kernel has the
 * redirect series, so redirect rules are carried out rather than falling
 * back. libseccomp 2.5 has no way to pass that flag: it only builds the
 * program here (in the parent, where failing is still easy to report), and
 * the child loads it with seccomp(2) itself.
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
#include <linux/filter.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "macro.h"
#include "notify-filter.h"
#include "srd-uapi.h"

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

static long load_filter(unsigned long flags, const struct sock_fprog *prog) {
        return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
}

_Noreturn static void run_child(RunShared *sh, const struct sock_fprog *prog, char **cmd) {
        long fd;
        int r;

        /* libseccomp's default NNP attribute did this for us: without
         * CAP_SYS_ADMIN a filter may only be loaded under no_new_privs, and
         * the command must not gain privileges the filter was not made for. */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
                fprintf(stderr, "run: cannot set no_new_privs: %m\n");
                goto fail;
        }

        fd = load_filter(SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_REDIRECT, prog);
        /* EINVAL: a kernel without the series does not know the flag. The
         * plain listener still works, with redirectFallback for redirect
         * rules; the parent learns which it got from
         * srd_listener_redirect_support(). */
        if (fd < 0 && errno == EINVAL)
                fd = load_filter(SECCOMP_FILTER_FLAG_NEW_LISTENER, prog);
        if (fd < 0) {
                /* EBUSY: the kernel allows one listener filter per task, and
                 * we already run under one (another run, a notifying container
                 * profile). With or without REDIRECT: no retry helps. */
                if (errno == EBUSY)
                        fprintf(stderr,
                                "run: cannot load the seccomp filter: this process already runs under a "
                                "seccomp listener, and the kernel allows only one.\n");
                else
                        fprintf(stderr, "run: cannot load the seccomp filter: %m\n");
                goto fail;
        }

        atomic_store(&sh->fd, (int32_t) fd);
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
        const char *sysname = srd_syscall_name(ev->native_nr) ?: "?";
        const char *rule = ev->verdict.rule >= 0 ? srd_policy_rule_name(p, (size_t) ev->verdict.rule) : NULL;
        bool unplaced = ev->verdict.rule == SRD_RULE_PATH_ERROR || ev->verdict.rule == SRD_RULE_KERNEL;
        _cleanup_free_ char *what = NULL;

        /* A call answered with the kernel's own errno (a missing file: every
         * program probes for locale files) fails as it would unsupervised:
         * not worth a line. pathError is the policy's answer, and is. */
        if (!ev->verdict.log && !ev->fallback_reason && ev->verdict.rule != SRD_RULE_PATH_ERROR &&
            ev->applied != SRD_ACTION_KILL)
                return;

        what = ctl_describe_verdict(p, &ev->verdict);
        fprintf(stderr, "%s: pid %d: %s", program_invocation_short_name, (int) ev->pid, sysname);
        if (ev->native_nr != ev->nr)
                fprintf(stderr, "/arch-0x%08x", (unsigned) ev->arch);
        fputc('(', stderr);
        for (unsigned i = 0; i < SRD_MAX_PATHS; i++) {
                /* As written, and what the kernel resolves it to (what the
                 * rules saw) where that differs. */
                if (!ev->written[i][0] && !ev->path[i][0])
                        continue;
                fprintf(stderr, "%s\"%s\"", i > 0 ? ", " : "", ev->written[i]);
                if (ev->path[i][0] && !streq(ev->path[i], ev->written[i]))
                        fprintf(stderr, " = \"%s\"", ev->path[i]);
        }
        if (unplaced)
                fprintf(stderr, ") cannot be placed (%s) -> %s: %s", ev->path_error_reason ?: "?",
                        ev->verdict.rule == SRD_RULE_PATH_ERROR ? "pathError" : "the kernel's errno",
                        what ?: "?");
        else
                fprintf(stderr, ") -> %s%s%s: %s", rule ? "rule \"" : "default action", rule ?: "",
                        rule ? "\"" : "", what ?: "?");
        if (ev->fallback_reason) {
                fprintf(stderr, " not possible (%s), %s %s", ev->fallback_reason,
                        ev->redirect_fallback ? "redirectFallback" : "answered",
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

/* Once, before the command runs: whether redirect rules will be carried out. */
static void run_report_redirect(const SrdListener *l) {
        const char *what;

        switch (srd_listener_redirect_support(l)) {
        case SRD_REDIRECT_SUPPORTED:
                what = "through the kernel (SEND_REDIRECT)";
                break;
        case SRD_REDIRECT_UNSUPPORTED_FILTER:
                /* Not expected: the child asks for the flag wherever the kernel knows it. */
                what = "not enabled on this filter, redirectFallback applies";
                break;
        default:
                what = "not supported by this kernel, redirectFallback applies";
                break;
        }
        fprintf(stderr, "%s: redirects: %s\n", program_invocation_short_name, what);
        if (!srd_listener_path_rules_enforced(l))
                fprintf(stderr,
                        "%s: path rules: advisory (a continue is a plain CONTINUE: the command can change a "
                        "path after its check)\n",
                        program_invocation_short_name);
}

static void run_help(void) {
        printf("%s run --policy FILE [--] CMD [ARG...]\n\n"
               "Run CMD under the policy, answering its notified syscalls without the daemon.\n"
               "Redirect rules go through the kernel where it has the redirect interface;\n"
               "elsewhere the policy's redirectFallback applies. Which of the two is said\n"
               "once on standard error, before CMD starts. Unless the policy names them,\n"
               "io_uring's calls (ENOSYS) and open_by_handle_at (EPERM) are refused: they\n"
               "reach files without a path any rule could judge.\n\n"
               "Options:\n"
               "  -p --policy FILE  The policy (see seccomp-redirectd.policy(5))\n"
               "  -h --help         Show this help\n\n"
               "See seccomp-redirectctl(1).\n",
               program_invocation_short_name);
}

int verb_run(int argc, char *argv[]) {
        enum { ARG_UNSAFE_PLAIN_CONTINUE = 0x100 };
        static const struct option options[] = {
                {"policy", required_argument, NULL, 'p'},
                {"help", no_argument, NULL, 'h'},
                /* Not in --help: the tests' negative control. */
                {"unsafe-plain-continue", no_argument, NULL, ARG_UNSAFE_PLAIN_CONTINUE},
                {}};
        const char *policy_path = NULL;
        bool plain_continue = false;
        SrdPolicy *p = NULL;
        SrdListener *l = NULL;
        _cleanup_free_ int *nrs = NULL;
        struct sock_fprog prog = {};
        const char *what = NULL;
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
                        run_help();
                        return EXIT_SUCCESS;
                case ARG_UNSAFE_PLAIN_CONTINUE:
                        plain_continue = true;
                        break;
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
        r = sri_filter_build(nrs, n_nrs, /* compat_arches= */ false, &prog, &what);
        if (r < 0) {
                fprintf(stderr, "run: cannot build the seccomp filter (%s): %s\n", what, strerror(-r));
                srd_policy_unref(p);
                return CTL_EXIT_RUN_FAILED;
        }

        sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (sh == MAP_FAILED) {
                fprintf(stderr, "run: mmap failed: %m\n");
                free(prog.filter);
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
                run_child(sh, &prog, argv + optind);
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

        if (plain_continue)
                (void) srd_listener_set_pinned_continue(l, false);
        /* The command's root now: a chroot() later must not rename its files. */
        r = srd_listener_set_root_of(l, pid);
        if (r < 0)
                fprintf(stderr,
                        "run: cannot read the command's root (%s); paths are named in each task's root\n",
                        strerror(-r));
        run_report_redirect(l);

        atomic_store(&sh->ack, 1);
        futex_wake(&sh->ack);

        ret = run_supervise(l, p, pid, pidfd, sigfd);
out:
        srd_listener_free(l);
        srd_policy_unref(p);
        free(prog.filter);
        (void) munmap(sh, sizeof(*sh));
        return ret;
}
