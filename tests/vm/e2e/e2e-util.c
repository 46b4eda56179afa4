/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e-util.h"
#include "srd-uapi.h"

#if defined(__x86_64__)
#define E2E_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define E2E_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "unsupported architecture"
#endif

int e2e_restart_daemon(Daemon *d, const char *name, const char *const *extra_args) {
        const char *args[32];
        size_t n = 0;

        args[n++] = "--default-policy";
        args[n++] = name;
        for (size_t i = 0; extra_args && extra_args[i] && n < 31; i++)
                args[n++] = extra_args[i];
        args[n] = NULL;
        return daemon_start(d, args, NULL);
}

static int daemon_start_full(Daemon *d, const char *name, const char *policy_json,
                             const char *const *extra_args, bool fd_store) {
        char dir[ITEST_PATH_MAX], file[256];
        int r;

        r = itest_tmpdir("e2e", dir, sizeof(dir));
        if (r < 0)
                return r;
        r = daemon_prepare(d, dir);
        if (r < 0)
                return r;
        (void) snprintf(file, sizeof(file), "%s.json", name);
        r = daemon_add_policy(d, file, policy_json);
        if (r < 0)
                return r;
        d->fd_store = fd_store;
        return e2e_restart_daemon(d, name, extra_args);
}

int e2e_daemon_start(Daemon *d, const char *name, const char *policy_json, const char *const *extra_args) {
        return daemon_start_full(d, name, policy_json, extra_args, false);
}

int e2e_daemon_start_store(Daemon *d, const char *name, const char *policy_json, const char *const *extra_args) {
        return daemon_start_full(d, name, policy_json, extra_args, true);
}

int e2e_notify_prog(const int *nrs, size_t n, struct sock_fprog *ret) {
        struct sock_filter *f;
        size_t k = 0;

        if (n > 200)
                return -E2BIG;
        f = calloc(n + 8, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f[k++] =
                (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
        f[k++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, E2E_AUDIT_ARCH, 1, 0);
        f[k++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        f[k++] = (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
        for (size_t i = 0; i < n; i++)
                /* Match: jump over the remaining compares and the ALLOW to the NOTIFY. */
                f[k++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned) nrs[i],
                                                       (unsigned char) (n - i), 0);
        f[k++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        f[k++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
        *ret = (struct sock_fprog){.len = (unsigned short) k, .filter = f};
        return 0;
}

int e2e_seccomp(unsigned long flags, const struct sock_fprog *prog) {
        long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);

        return r < 0 ? -errno : (int) r;
}

bool e2e_kernel_has_redirect(void) {
        /* REDIRECT without NEW_LISTENER: EINVAL either way; with a bad
         * program pointer the patched kernel gets to EFAULT first. */
        long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                         SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_REDIRECT, NULL);

        return r < 0 && errno == EFAULT;
}

pid_t e2e_spawn(const E2eTarget *t, int (*body)(void *userdata), void *userdata) {
        struct sock_fprog prog;
        pid_t pid;
        int r;

        if (t->notify_prog) {
                prog.len = t->notify_prog->len;
                prog.filter = malloc(prog.len * sizeof(*prog.filter));
                if (!prog.filter)
                        return -ENOMEM;
                memcpy(prog.filter, t->notify_prog->filter, prog.len * sizeof(*prog.filter));
        } else {
                r = e2e_notify_prog(t->notify, t->n_notify, &prog);
                if (r < 0)
                        return r;
        }

        pid = fork();
        if (pid < 0) {
                free(prog.filter);
                return -errno;
        }
        if (pid == 0) {
                char meta[128], json[1024];
                unsigned long flags = SECCOMP_FILTER_FLAG_NEW_LISTENER;
                int fd, conn;

                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                /* Connected before the filters: they may notify socket() or
                 * connect(), which nobody could answer yet. */
                conn = itest_unix_connect(t->agent, SOCK_STREAM);
                if (conn < 0)
                        _exit(105);
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(101);
                if (t->outer && e2e_seccomp(0, t->outer) < 0)
                        _exit(102);
                if (t->redirect)
                        flags |= SECCOMP_FILTER_FLAG_REDIRECT;
                fd = e2e_seccomp(flags, &prog);
                if (fd < 0)
                        _exit(103);
                if (t->policy)
                        (void) snprintf(meta, sizeof(meta), "policy=%s", t->policy);
                r = handoff_json(json, sizeof(json), getpid(), t->id ? t->id : "e2e",
                                 t->policy ? meta : NULL);
                if (r < 0)
                        _exit(104);
                if (handoff_send_on(conn, json, (size_t) r, &fd, 1) < 0)
                        _exit(105);
                close(conn);
                close(fd);
                _exit(body(userdata));
        }
        free(prog.filter);
        itest_track_pid(pid);
        return pid;
}

int e2e_wait(pid_t pid, unsigned timeout_ms) {
        int status, r;

        r = itest_wait_pid(pid, timeout_ms, &status);
        if (r < 0)
                return r;
        itest_forget_pid(pid);
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return -EIO;
}
