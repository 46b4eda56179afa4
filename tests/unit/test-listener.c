/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The listener against the real kernel: a forked target installs a notify
 * filter (libseccomp, NEW_LISTENER), hands the listener fd to us over a
 * socketpair and then runs the syscalls we send it, one command at a time,
 * reporting what each returned (listener-target.c). We answer with srd_listener_handle() and
 * check both sides: the event and what the target's syscall returned.
 */

#include <fcntl.h>
#include <ftw.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "listener-target.h"
#include "srd-uapi.h"

/* ------------------------------------------------------------------------ */
/* srd_listener_new(): what it accepts.                                     */

TEST(listener_new_rejects_a_pipe_a_regular_file_and_an_o_path_fd_and_closes_them) {
        int p[2], fd;
        SrdListener *l = NULL;

        ASSERT_OK(pipe2(p, O_CLOEXEC));
        ASSERT_ERROR(srd_listener_new(p[0], &l), ENOTTY);
        ASSERT_NULL(l);
        /* Ownership was taken: the fd is closed even on failure. */
        ASSERT_TRUE(fcntl(p[0], F_GETFD) < 0 && errno == EBADF);
        close(p[1]);

        fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        ASSERT_ERROR(srd_listener_new(fd, &l), ENOTTY);
        ASSERT_TRUE(fcntl(fd, F_GETFD) < 0 && errno == EBADF);

        fd = open("/", O_PATH | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        ASSERT_ERROR(srd_listener_new(fd, &l), EBADF);
        ASSERT_TRUE(fcntl(fd, F_GETFD) < 0 && errno == EBADF);

        ASSERT_ERROR(srd_listener_new(-1, &l), EBADF);
        ASSERT_NULL(l);
}

TEST(redirect_support_names_match_the_control_protocol) {
        ASSERT_STREQ(srd_redirect_support_to_string(SRD_REDIRECT_UNSUPPORTED_KERNEL), "unsupported-kernel");
        ASSERT_STREQ(srd_redirect_support_to_string(SRD_REDIRECT_UNSUPPORTED_FILTER), "unsupported-filter");
        ASSERT_STREQ(srd_redirect_support_to_string(SRD_REDIRECT_SUPPORTED), "supported");
        ASSERT_NULL(srd_redirect_support_to_string(_SRD_REDIRECT_SUPPORT_MAX));
        ASSERT_NULL(srd_redirect_support_to_string(_SRD_REDIRECT_SUPPORT_INVALID));
        ASSERT_EQ(srd_listener_redirect_support(NULL), _SRD_REDIRECT_SUPPORT_INVALID);
        ASSERT_ERROR(srd_listener_fd(NULL), EINVAL);
        ASSERT_NULL(srd_listener_free(NULL));
}

TEST(listener_new_makes_the_fd_nonblocking) {
        _cleanup_(target_stop) Target t = {};

        REQUIRE_TARGET();
        ASSERT_OK(target_start(&t, NULL));
        ASSERT_TRUE(fcntl(srd_listener_fd(t.listener), F_GETFL) & O_NONBLOCK);
}

/*
 * Install a raw filter (notify on getppid) with the given flags in a child
 * and report what seccomp() said, or take over its listener.
 */
static int raw_filter_listener(unsigned long flags, SrdListener **ret) {
        struct sock_filter insns[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = {.len = ELEMENTSOF(insns), .filter = insns};
        long payload = 0;
        int sv[2], fd;
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int r;

                close(sv[0]);
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(1);
                r = (int) syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                                  SECCOMP_FILTER_FLAG_NEW_LISTENER | flags, &prog);
                if (r < 0) {
                        long e = -errno;

                        (void) send(sv[1], &e, sizeof(e), 0);
                        _exit(0);
                }
                (void) send_fd(sv[1], r);
                _exit(0);
        }
        close(sv[1]);

        /* Either the fd, or seccomp()'s errno as the payload. */
        fd = recv_fd_or_payload(sv[0], &payload);
        close(sv[0]);
        (void) waitpid(pid, NULL, 0);
        if (fd == -EBADMSG && payload < 0)
                return (int) payload;
        if (fd < 0)
                return fd;

        /* The filter's only task is gone: still a listener, just POLLHUP. */
        return srd_listener_new(fd, ret);
}

TEST(redirect_probe_tells_a_stock_kernel_from_a_filter_without_the_flag) {
        SrdListener *plain = NULL, *redirecting = NULL;
        int r;

        REQUIRE_TARGET();
        ASSERT_OK(raw_filter_listener(0, &plain));

        r = raw_filter_listener(SECCOMP_FILTER_FLAG_REDIRECT, &redirecting);
        if (r == -EINVAL) {
                /* A kernel without the series does not know the flag, and
                 * does not know SEND_REDIRECT either. This host: stock. */
                ASSERT_EQ(srd_listener_redirect_support(plain), SRD_REDIRECT_UNSUPPORTED_KERNEL);
        } else {
                /* The patched kernel (the VM): the flag decides. */
                ASSERT_OK(r);
                ASSERT_EQ(srd_listener_redirect_support(plain), SRD_REDIRECT_UNSUPPORTED_FILTER);
                ASSERT_EQ(srd_listener_redirect_support(redirecting), SRD_REDIRECT_SUPPORTED);
        }
        srd_listener_free(plain);
        srd_listener_free(redirecting);
}

TEST(handle_with_nothing_pending_returns_none_without_blocking) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        static SrdEvent e;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        ASSERT_OK(target_start(&t, NULL));

        /* RECV itself would sleep here despite O_NONBLOCK. */
        alarm(10);
        ASSERT_OK(srd_listener_handle(t.listener, p, 0, &e));
        alarm(0);
        ASSERT_EQ(e.outcome, SRD_OUTCOME_NONE);
}

/* ------------------------------------------------------------------------ */
/* Answers.                                                                 */

TEST(continue_rule_lets_the_syscall_run_for_real) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdirat);
        static SrdEvent e;
        struct stat st;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        ASSERT_OK(target_start(&t, NULL));

        c->args[0] = (uint32_t) AT_FDCWD;
        c->str_mask = 1u << 1;
        strcpy(c->str[0], tmp("made"));
        c->args[2] = 0700;
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));

        ASSERT_EQ(e.outcome, SRD_OUTCOME_ANSWERED);
        ASSERT_EQ(e.pid, t.pid);
        ASSERT_EQ(e.nr, SYS_mkdirat);
        ASSERT_STREQ(e.path[0], tmp("made"));
        ASSERT_EQ(e.path_error[0], 0);
        ASSERT_EQ(e.verdict.rule, RULE_ALLOW);
        ASSERT_EQ(e.applied, SRD_ACTION_CONTINUE);
        ASSERT_NULL(e.fallback_reason);

        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, 0);
        ASSERT_OK(stat(tmp("made"), &st));
        ASSERT_TRUE(S_ISDIR(st.st_mode));
        ASSERT_EQ(srd_policy_hits(p, RULE_ALLOW), 1);
}

TEST(errno_rule_fails_the_syscall_with_the_rules_errno_and_nothing_happens) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdir);
        static SrdEvent e;
        struct stat st;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        ASSERT_OK(target_start(&t, NULL));

        c->str_mask = 1u << 0;
        strcpy(c->str[0], tmp("deny-me"));
        c->args[1] = 0700;
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));

        ASSERT_EQ(e.outcome, SRD_OUTCOME_ANSWERED);
        ASSERT_EQ(e.verdict.action, SRD_ACTION_ERRNO);
        ASSERT_EQ(e.verdict.rule, RULE_DENY);
        ASSERT_TRUE(e.verdict.log);
        ASSERT_EQ(e.applied, SRD_ACTION_ERRNO);
        ASSERT_EQ(e.applied_error, EACCES);

        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, -EACCES);
        ASSERT_TRUE(stat(tmp("deny-me"), &st) < 0 && errno == ENOENT);
        ASSERT_EQ(srd_policy_hits(p, RULE_DENY), 1);
}

TEST(unmatched_syscall_takes_the_default_action_and_counts_a_default_hit) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdir);
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        ASSERT_OK(target_start(&t, NULL));

        c->str_mask = 1u << 0;
        strcpy(c->str[0], "/var/tmp/not-covered-by-any-rule");
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));

        ASSERT_EQ(e.outcome, SRD_OUTCOME_ANSWERED);
        ASSERT_EQ(e.verdict.rule, -1);
        ASSERT_EQ(e.applied, SRD_ACTION_ERRNO);
        ASSERT_EQ(e.applied_error, EROFS);
        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, -EROFS);
        ASSERT_EQ(srd_policy_hits(p, -1), 1);
}

TEST(syscall_without_path_arguments_is_matched_by_name) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_getppid);
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        ASSERT_OK(target_start(&t, NULL));

        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));
        ASSERT_EQ(e.verdict.rule, RULE_GETPPID);
        ASSERT_STREQ(e.path[0], "");
        ASSERT_EQ(e.path_error[0], 0);
        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, getpid());
}

TEST(kill_rule_sigkills_the_task) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdir);
        static SrdEvent e;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        ASSERT_OK(target_start(&t, NULL));

        c->str_mask = 1u << 0;
        strcpy(c->str[0], tmp("kill-me"));
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));

        /* The answer (EPERM) may or may not beat the task's death. */
        ASSERT_TRUE(e.outcome == SRD_OUTCOME_ANSWERED || e.outcome == SRD_OUTCOME_TASK_GONE);
        ASSERT_EQ(e.verdict.rule, RULE_KILL);
        ASSERT_EQ(e.applied, SRD_ACTION_KILL);
        ASSERT_EQ(target_wait_death(&t), SIGKILL);
}

TEST(kill_rule_from_a_thread_kills_the_whole_process) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdir);
        static SrdEvent e;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        ASSERT_OK(target_start(&t, NULL));

        /* The notification's pid is the thread's: not a pidfd-able leader. */
        c->op = CMD_SYSCALL_IN_THREAD;
        c->str_mask = 1u << 0;
        strcpy(c->str[0], tmp("kill-thread"));
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));

        ASSERT_NE(e.pid, t.pid);
        ASSERT_EQ(e.applied, SRD_ACTION_KILL);
        ASSERT_EQ(target_wait_death(&t), SIGKILL);
}

TEST(redirect_on_a_stock_kernel_applies_the_errno_fallback_and_says_why) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdirat);
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\", \"errno\": \"ENOSPC\" }", &p));
        ASSERT_OK(target_start(&t, NULL));
        if (srd_listener_redirect_support(t.listener) == SRD_REDIRECT_SUPPORTED)
                SKIP("kernel can redirect");

        c->args[0] = (uint32_t) AT_FDCWD;
        c->str_mask = 1u << 1;
        strcpy(c->str[0], tmp("redirect-me"));
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));

        ASSERT_EQ(e.outcome, SRD_OUTCOME_ANSWERED);
        ASSERT_EQ(e.verdict.action, SRD_ACTION_REDIRECT);
        ASSERT_EQ(e.verdict.rule, RULE_REDIRECT);
        ASSERT_STREQ(e.verdict.to[0], "/tmp/elsewhere");
        ASSERT_EQ(e.applied, SRD_ACTION_ERRNO);
        ASSERT_EQ(e.applied_error, ENOSPC);
        ASSERT_NOT_NULL(e.fallback_reason);
        /* Why: a stock kernel lacks the ioctl; on the patched one (the VM)
         * the target's filter was installed without the flag. */
        if (srd_listener_redirect_support(t.listener) == SRD_REDIRECT_UNSUPPORTED_FILTER)
                ASSERT_TRUE(strstr(e.fallback_reason, "SECCOMP_FILTER_FLAG_REDIRECT") != NULL);
        else
                ASSERT_TRUE(strstr(e.fallback_reason, "SEND_REDIRECT") != NULL);

        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, -ENOSPC);
        ASSERT_EQ(srd_policy_hits(p, RULE_REDIRECT), 1);
}

TEST(redirect_fallback_continue_runs_the_original_syscall) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdir);
        static SrdEvent e;
        struct stat st;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"continue\" }", &p));
        ASSERT_OK(target_start(&t, NULL));
        if (srd_listener_redirect_support(t.listener) == SRD_REDIRECT_SUPPORTED)
                SKIP("kernel can redirect");

        c->str_mask = 1u << 0;
        strcpy(c->str[0], tmp("redirect-continued"));
        c->args[1] = 0700;
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));

        ASSERT_EQ(e.applied, SRD_ACTION_CONTINUE);
        ASSERT_NOT_NULL(e.fallback_reason);
        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, 0);
        ASSERT_OK(stat(tmp("redirect-continued"), &st));
}

TEST(redirect_fallback_kill_kills_the_task) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdir);
        static SrdEvent e;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"kill\" }", &p));
        ASSERT_OK(target_start(&t, NULL));
        if (srd_listener_redirect_support(t.listener) == SRD_REDIRECT_SUPPORTED)
                SKIP("kernel can redirect");

        c->str_mask = 1u << 0;
        strcpy(c->str[0], tmp("redirect-killed"));
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));

        ASSERT_EQ(e.verdict.action, SRD_ACTION_REDIRECT);
        ASSERT_EQ(e.applied, SRD_ACTION_KILL);
        ASSERT_EQ(target_wait_death(&t), SIGKILL);
}

/*
 * A failure the task causes is not a kernel without redirect: never
 * redirectFallback, which here is "continue" to show it is not used.
 */
TEST(templated_redirect_target_that_renders_invalid_is_denied_not_the_fallback) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdir);
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"continue\" }", &p));
        ASSERT_OK(target_start(&t, NULL));

        /* {suffix} = "..": "/sandbox/.." must not be produced. */
        c->str_mask = 1u << 0;
        strcpy(c->str[0], "/tmp/srd-bad..");
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));

        ASSERT_EQ(e.outcome, SRD_OUTCOME_ANSWERED);
        ASSERT_EQ(e.verdict.rule, RULE_BAD_TEMPLATE);
        ASSERT_EQ(e.applied, SRD_ACTION_ERRNO);
        ASSERT_EQ(e.applied_error, EACCES);
        ASSERT_NOT_NULL(e.fallback_reason);
        ASSERT_TRUE(strstr(e.fallback_reason, "target") != NULL);
        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, -EACCES);
        /* Not run: mkdir would have made it. */
        ASSERT_TRUE(access("/tmp/srd-bad..", F_OK) < 0);
}

static void setup_chdir_tmpdir(void);

/* openat2(AT_FDCWD, path, {O_RDONLY, resolve}) from the target, whose cwd is tmp(""). */
static void openat2_redirect_case(uint64_t resolve, const char *path) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_openat2);
        struct open_how_v0 {
                uint64_t flags, mode, resolve;
        } how = {.flags = O_RDONLY, .resolve = resolve};
        static SrdEvent e;
        long res;

        ASSERT_OK(policy_load("{ \"action\": \"continue\" }", &p));
        ASSERT_OK(target_start(&t, setup_chdir_tmpdir));

        c->args[0] = (uint64_t) AT_FDCWD;
        c->args[3] = sizeof(how);
        c->str_mask = (1u << 1) | (1u << 2);
        strcpy(c->str[0], path);
        memcpy(c->str[1], &how, sizeof(how));
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));

        ASSERT_EQ(e.outcome, SRD_OUTCOME_ANSWERED);
        ASSERT_EQ(e.verdict.rule, RULE_REDIRECT_O2);
        ASSERT_EQ(e.verdict.action, SRD_ACTION_REDIRECT);
        ASSERT_EQ(e.applied, SRD_ACTION_ERRNO);
        ASSERT_EQ(e.applied_error, EXDEV);
        ASSERT_NOT_NULL(e.fallback_reason);
        ASSERT_TRUE(strstr(e.fallback_reason, "RESOLVE_BENEATH or RESOLVE_IN_ROOT") != NULL);
        ASSERT_OK(target_result(&t, &res));
        /* Run, the call would have said ENOENT (no such file): it was not. */
        ASSERT_EQ(res, -EXDEV);
        /* Not counted as a fallback: the listener may well redirect. */
        {
                SrdListenerStats st;

                ASSERT_OK(srd_listener_get_stats(t.listener, &st));
                ASSERT_EQ(st.fallbacks, 0);
        }
}

TEST(openat2_resolve_beneath_redirect_is_exdev_not_the_fallback) {
        REQUIRE_TARGET();
        openat2_redirect_case(RESOLVE_BENEATH, "srd-o2-redirect");
}

TEST(openat2_resolve_in_root_redirect_is_exdev_not_the_fallback) {
        REQUIRE_TARGET();
        openat2_redirect_case(RESOLVE_IN_ROOT, "/srd-o2-redirect");
}

#if defined(__x86_64__)
TEST(i386_syscall_is_not_mistaken_for_the_native_one_with_its_number) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(83); /* i386 symlink; native 83 is mkdir */
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        REQUIRE_I386();
        ASSERT_EQ(SYS_mkdir, 83);
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        target_x86 = true;
        ASSERT_OK(target_start(&t, NULL));
        target_x86 = false;

        /* Read as native mkdir, arg 0 would match the "deny" rule. */
        c->op = CMD_INT80;
        strcpy(c->str[0], tmp("deny-i386"));
        strcpy(c->str[1], tmp("link-i386"));
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));

        /* Decoded as i386 symlink: no rule names symlink, so its path is
         * not even read (the native mkdir's would be, and denied). */
        ASSERT_EQ(e.outcome, SRD_OUTCOME_ANSWERED);
        ASSERT_EQ(e.nr, 83);
        ASSERT_EQ(e.native_nr, SYS_symlink);
        ASSERT_STREQ(e.path[0], "");
        ASSERT_EQ(e.verdict.rule, -1);
        ASSERT_EQ(e.applied, SRD_ACTION_ERRNO);
        ASSERT_EQ(e.applied_error, EROFS);
        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, -EROFS);
}
#endif

/* ------------------------------------------------------------------------ */
/* Paths as the task means them.                                            */

static void setup_chdir_tmpdir(void) {
        if (chdir(tmpdir) < 0)
                _exit(10);
}

TEST(relative_path_is_resolved_against_the_tasks_cwd) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdir);
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        ASSERT_OK(target_start(&t, setup_chdir_tmpdir));

        c->str_mask = 1u << 0;
        strcpy(c->str[0], "./x/../deny-relative");
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));

        ASSERT_STREQ(e.path[0], tmp("deny-relative"));
        ASSERT_EQ(e.verdict.rule, RULE_DENY);
        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, -EACCES);
}

TEST(relative_path_is_resolved_against_the_tasks_dirfd) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdirat);
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        target_fd100_path = tmpdir;
        ASSERT_OK(target_start(&t, target_setup_fd100));

        c->args[0] = 100;
        c->str_mask = 1u << 1;
        strcpy(c->str[0], "sub/../deny-at");
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));

        ASSERT_STREQ(e.path[0], tmp("deny-at"));
        ASSERT_EQ(e.verdict.rule, RULE_DENY);
        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, -EACCES);
}

TEST(empty_path_with_at_empty_path_names_the_dirfd) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_newfstatat);
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        ASSERT_OK(mkdir(tmp("statme"), 0700));
        target_fd100_path = tmp("statme");
        ASSERT_OK(target_start(&t, target_setup_fd100));

        /* fstatat(100, "", &st, AT_EMPTY_PATH) is a stat of fd 100 itself. */
        c->args[0] = 100;
        c->str_mask = 1u << 1;
        c->buf_mask = 1u << 2;
        c->args[3] = AT_EMPTY_PATH;
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));

        ASSERT_EQ(e.path_error[0], 0);
        ASSERT_STREQ(e.path[0], tmp("statme"));
        ASSERT_EQ(e.verdict.rule, RULE_STAT_DIRS);
        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, -ENOTSUP);

        /* Without AT_EMPTY_PATH "" names nothing: no path rule matches. */
        c->args[3] = 0;
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));
        ASSERT_EQ(e.path_error[0], -ENOENT);
        ASSERT_EQ(e.verdict.rule, -1);
        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, -EROFS);
}

/* ------------------------------------------------------------------------ */
/* Hostile and dying tasks.                                                 */

static char *page_before_hole; /* set up before fork, so the target has it too */

static int map_page_before_hole(void) {
        size_t page = (size_t) getpagesize();
        char *m;

        if (page_before_hole)
                return 0;
        m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
                return -errno;
        if (munmap(m + page, page) < 0)
                return -errno;
        memset(m, 'z', page);
        page_before_hole = m;
        return 0;
}

TEST(unmapped_path_pointer_is_a_path_error_and_gets_path_error) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdir);
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        ASSERT_OK(map_page_before_hole());
        ASSERT_OK(target_start(&t, NULL));

        c->args[0] = (uintptr_t) (page_before_hole + getpagesize());
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));

        ASSERT_EQ(e.outcome, SRD_OUTCOME_ANSWERED);
        ASSERT_EQ(e.path_error[0], -EFAULT);
        ASSERT_STREQ(e.path[0], "");
        /* Path rules name mkdir: pathError (EACCES), not the default. */
        ASSERT_EQ(e.verdict.rule, SRD_RULE_PATH_ERROR);
        ASSERT_NOT_NULL(e.path_error_reason);
        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, -EACCES);
}

TEST(unterminated_path_running_into_an_unmapped_page_is_efault) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdir);
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        ASSERT_OK(map_page_before_hole());
        /* "/zzzz...z" up to the hole, no NUL anywhere. */
        page_before_hole[getpagesize() - 200] = '/';
        ASSERT_OK(target_start(&t, NULL));

        c->args[0] = (uintptr_t) (page_before_hole + getpagesize() - 200);
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));

        ASSERT_EQ(e.outcome, SRD_OUTCOME_ANSWERED);
        ASSERT_EQ(e.path_error[0], -EFAULT);
        ASSERT_EQ(e.verdict.rule, SRD_RULE_PATH_ERROR);
        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, -EACCES);
}

TEST(path_longer_than_path_max_is_enametoolong_and_gets_path_error) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdir);
        static SrdEvent e;
        size_t n;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        ASSERT_OK(target_start(&t, NULL));

        /* Starts like a path the "allow" prefix rule would take. */
        c->str_mask = 1u << 0;
        strcpy(c->str[0], tmp(""));
        n = strlen(c->str[0]);
        memset(c->str[0] + n, 'l', PATH_MAX + 8 - n);
        c->str[0][PATH_MAX + 8] = '\0';
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));

        ASSERT_EQ(e.path_error[0], -ENAMETOOLONG);
        ASSERT_EQ(e.verdict.rule, SRD_RULE_PATH_ERROR);
        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, -EACCES);
}

TEST(task_killed_before_we_receive_is_none_or_task_gone_not_an_error) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_getppid);
        struct pollfd pf;
        static SrdEvent e;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        ASSERT_OK(target_start(&t, NULL));

        ASSERT_OK(target_send(&t, c));
        pf = (struct pollfd){.fd = srd_listener_fd(t.listener), .events = POLLIN};
        ASSERT_EQ(poll(&pf, 1, TIMEOUT_MS), 1);
        ASSERT_OK(kill(t.pid, SIGKILL));
        ASSERT_EQ(target_wait_death(&t), SIGKILL);

        alarm(10);
        ASSERT_OK(srd_listener_handle(t.listener, p, 0, &e));
        ASSERT_TRUE(e.outcome == SRD_OUTCOME_NONE || e.outcome == SRD_OUTCOME_TASK_GONE);
        /* And again: the filter has no tasks left, POLLHUP, still no error. */
        ASSERT_OK(srd_listener_handle(t.listener, p, 0, &e));
        alarm(0);
        ASSERT_EQ(e.outcome, SRD_OUTCOME_NONE);
}

TEST(ready_receive_after_the_notification_vanished_does_not_sleep) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        static SrdEvent e;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        ASSERT_OK(target_start(&t, target_setup_sigusr1_interrupts));
        ASSERT_OK(target_vanish_notification(&t));

        /* What the daemon does after its epoll said EPOLLIN: no poll of ours. */
        alarm(10);
        ASSERT_OK(srd_listener_handle(t.listener, p, SRD_HANDLE_READY, &e));
        ASSERT_EQ(e.outcome, SRD_OUTCOME_TASK_GONE);
        ASSERT_OK(srd_listener_handle(t.listener, p, 0, &e));
        alarm(0);
        ASSERT_EQ(e.outcome, SRD_OUTCOME_NONE);
}

TEST(handle_refuses_unknown_flags) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        static SrdEvent e;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        ASSERT_OK(target_start(&t, NULL));
        ASSERT_EQ(srd_listener_handle(t.listener, p, 1 << 5, &e), -EINVAL);
}

typedef struct UffdKiller {
        int uffd;
        pid_t pid;
        int result;
} UffdKiller;

/* Waits for our own read of the target's path to fault, then kills the
 * target, waits until it is gone and lets the read fail. */
static void *uffd_killer(void *userdata) {
        UffdKiller *k = userdata;
        struct pollfd pf = {.fd = k->uffd, .events = POLLIN};
        struct uffd_msg msg;
        siginfo_t si;

        k->result = -ETIMEDOUT;
        if (poll(&pf, 1, TIMEOUT_MS) <= 0)
                return NULL;
        if (read(k->uffd, &msg, sizeof(msg)) != sizeof(msg) || msg.event != UFFD_EVENT_PAGEFAULT) {
                k->result = -EBADMSG;
                return NULL;
        }
        if (kill(k->pid, SIGKILL) < 0 || waitid(P_PID, (id_t) k->pid, &si, WEXITED | WNOWAIT) < 0) {
                k->result = -errno;
                return NULL;
        }
        /* Closing the last reference wakes the fault, which then fails. */
        k->uffd = safe_close(k->uffd);
        k->result = 0;
        return NULL;
}

TEST(task_killed_between_receive_and_answer_is_task_gone_not_an_error) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(0);
        UffdKiller k = {.uffd = -EBADF};
        static SrdEvent e;
        pthread_t thread;
        long res = 0;
        int r;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        ASSERT_OK(target_start(&t, NULL));

        /* The target sends a userfaultfd for the page its mkdir path is in:
         * our read of it blocks until the helper has killed the target. */
        c->op = CMD_UFFD_MKDIR;
        ASSERT_OK(target_send(&t, c));
        k.uffd = recv_fd_or_payload(t.sock, &res);
        if (k.uffd == -EBADMSG && (res == -ENOSYS || res == -EPERM))
                /* vm.unprivileged_userfaultfd=0 without CAP_SYS_PTRACE. */
                SKIP("userfaultfd unavailable");
        ASSERT_OK(k.uffd);
        k.pid = t.pid;
        ASSERT_EQ(pthread_create(&thread, NULL, uffd_killer, &k), 0);

        r = serve(&t, p, &e);
        ASSERT_EQ(pthread_join(thread, NULL), 0);
        safe_close(k.uffd);
        ASSERT_OK(k.result);

        ASSERT_OK(r);
        ASSERT_EQ(e.outcome, SRD_OUTCOME_TASK_GONE);
        ASSERT_NE(e.path_error[0], 0);
        ASSERT_EQ(target_wait_death(&t), SIGKILL);
}

/*
 * Pinned continue: where the listener can redirect, a continue after a path
 * rule looked at the call is a redirect to the checked path (e.pinned); a
 * call no path rule names is a plain continue; off, every continue is.
 * Runs in the VM (vm-unit-listener); on a stock kernel it skips.
 */
TEST(continue_after_a_path_rule_is_pinned_where_the_listener_can_redirect) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdirat);
        static SrdEvent e;
        struct stat st;
        long res;

        REQUIRE_TARGET();
        REQUIRE_REDIRECT();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        ASSERT_OK(mkdir(tmp("pin-dir"), 0700));
        ASSERT_OK(symlink("pin-dir", tmp("pin-link")));
        target_redirect = true;
        ASSERT_OK(target_start(&t, NULL));
        target_redirect = false;
        ASSERT_TRUE(srd_listener_path_rules_enforced(t.listener));

        /* Through a link: judged and made where the link leads. */
        c->args[0] = (uint32_t) AT_FDCWD;
        c->str_mask = 1u << 1;
        strcpy(c->str[0], tmp("pin-link/made"));
        c->args[2] = 0700;
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));
        ASSERT_EQ(e.applied, SRD_ACTION_CONTINUE);
        ASSERT_TRUE(e.pinned);
        ASSERT_STREQ(e.written[0], tmp("pin-link/made"));
        ASSERT_STREQ(e.path[0], tmp("pin-dir/made"));
        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, 0);
        ASSERT_OK(stat(tmp("pin-dir/made"), &st));

        /* getppid: no path, nothing to pin. */
        free(c);
        c = cmd_new(SYS_getppid);
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));
        ASSERT_FALSE(e.pinned);
        ASSERT_OK(target_result(&t, &res));

        /* Off (the negative control's switch): a plain continue. */
        ASSERT_OK(srd_listener_set_pinned_continue(t.listener, false));
        ASSERT_FALSE(srd_listener_path_rules_enforced(t.listener));
        free(c);
        c = cmd_new(SYS_mkdirat);
        c->args[0] = (uint32_t) AT_FDCWD;
        c->str_mask = 1u << 1;
        strcpy(c->str[0], tmp("pin-dir/plain"));
        c->args[2] = 0700;
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));
        ASSERT_EQ(e.applied, SRD_ACTION_CONTINUE);
        ASSERT_FALSE(e.pinned);
        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, 0);

        /* A missing parent: the kernel's errno, not a continue. */
        ASSERT_OK(srd_listener_set_pinned_continue(t.listener, true));
        strcpy(c->str[0], tmp("no-such-dir/x"));
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));
        ASSERT_EQ(e.verdict.rule, SRD_RULE_KERNEL);
        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, -ENOENT);
}

TEST(hits_are_counted_per_rule_across_notifications) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdir);
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        ASSERT_OK(target_start(&t, NULL));

        c->str_mask = 1u << 0;
        for (int i = 0; i < 3; i++) {
                snprintf(c->str[0], sizeof(c->str[0]), "%s", tmp(i < 2 ? "deny-a" : "other"));
                ASSERT_OK(target_send(&t, c));
                ASSERT_OK(serve(&t, p, &e));
                ASSERT_EQ(e.outcome, SRD_OUTCOME_ANSWERED);
                ASSERT_OK(target_result(&t, &res));
        }
        ASSERT_EQ(srd_policy_hits(p, RULE_DENY), 2);
        ASSERT_EQ(srd_policy_hits(p, RULE_ALLOW), 1);
        ASSERT_EQ(srd_policy_hits(p, -1), 0);
}

/* ------------------------------------------------------------------------ */
/* The container's root from its bundle's rootfs.                           */

static void setup_chroot_into_jail(void) {
        if (chroot(tmp("rootfs/jail")) < 0 || chdir("/") < 0)
                _exit(12);
}

TEST(root_from_the_rootfs_names_a_task_that_chrooted_before_handover) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdir);
        _cleanup_close_ int rootfs = -EBADF, elsewhere = -EBADF;
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        if (geteuid() != 0)
                SKIP("chroot needs root");
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        ASSERT_OK(mkdir(tmp("rootfs"), 0755));
        ASSERT_OK(mkdir(tmp("rootfs/jail"), 0755));
        ASSERT_OK(mkdir(tmp("elsewhere"), 0755));
        rootfs = open(tmp("rootfs"), O_PATH | O_DIRECTORY | O_CLOEXEC);
        elsewhere = open(tmp("elsewhere"), O_PATH | O_DIRECTORY | O_CLOEXEC);
        ASSERT_OK(rootfs);
        ASSERT_OK(elsewhere);
        ASSERT_OK(target_start(&t, setup_chroot_into_jail));

        /* A directory the task's root is not inside: refused, nothing set. */
        ASSERT_ERROR(srd_listener_set_root_in(t.listener, t.pid, elsewhere), EXDEV);

        /* The rootfs, found above the jail: "/made" is the jail's. */
        ASSERT_OK(srd_listener_set_root_in(t.listener, t.pid, rootfs));
        c->str_mask = 1u << 0;
        strcpy(c->str[0], "/made");
        c->args[1] = 0700;
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));
        ASSERT_STREQ(e.path[0], "/jail/made");
        ASSERT_OK(target_result(&t, &res));

        /* Control: the root the task shows now is the jail, and the same
         * call is named as if the jail were the container's root. */
        ASSERT_OK(srd_listener_set_root_of(t.listener, t.pid));
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(serve(&t, p, &e));
        ASSERT_STREQ(e.path[0], "/made");
        ASSERT_OK(target_result(&t, &res));
}

TESTS_MAIN
