/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The listener against the real kernel, as a hostile container would try
 * it (issue 10): a call the daemon cannot place gets pathError, never the
 * default action (here "continue", as in every example policy); openat2's
 * struct open_how is read as the kernel reads it; i386 and x32 calls are
 * decoded, and a rule naming "open" covers i386 open. Each case also runs
 * a control the same way that shows the test can fail.
 */

#include <dirent.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "listener-target.h"

#define X32_BIT 0x40000000

static const int extra[] = {SYS_open, SYS_openat, SYS_openat2};

/* defaultAction continue; pathError EIO, so it is told apart from the
 * deny rule's EACCES. No path rule names newfstatat. */
static const char decode_policy[] =
        "{\n"
        "  \"version\": 1, \"name\": \"decode-test\", \"defaultAction\": \"continue\",\n"
        "  \"pathError\": { \"action\": \"errno\", \"errno\": \"EIO\" },\n"
        "  \"rules\": [\n"
        "    { \"name\": \"deny\", \"names\": [\"open\", \"openat\", \"openat2\", \"mkdir\", \"mkdirat\"],\n"
        "      \"path\": { \"glob\": \"/tmp/srd-listener-*/deny*\" }, \"action\": \"errno\", \"errno\": "
        "\"EACCES\" },\n"
        "    { \"name\": \"redirect\", \"names\": [\"mkdir\"],\n"
        "      \"path\": { \"glob\": \"/tmp/srd-listener-*/redirect*\" },\n"
        "      \"action\": \"redirect\", \"to\": \"/tmp/elsewhere\" }\n"
        "  ]\n"
        "}\n";

/* Its rule indexes. */
#define RULE_DENY_ 0

static int decode_policy_load(SrdPolicy **ret) {
        return srd_policy_load_buffer(decode_policy, strlen(decode_policy), "decode-test.json", ret, NULL);
}

static int start(Target *t, void (*setup)(void), bool x86, bool x32) {
        int r;

        target_x86 = x86;
        target_x32 = x32;
        target_notify_extra = extra;
        target_n_notify_extra = ELEMENTSOF(extra);
        r = target_start(t, setup);
        target_x86 = target_x32 = false;
        target_notify_extra = NULL;
        target_n_notify_extra = 0;
        return r;
}

/* Send c, answer its notification, return what the call returned. */
static int run(Target *t, SrdPolicy *p, const Cmd *c, SrdEvent *e, long *ret) {
        int r;

        r = target_send(t, c);
        if (r < 0)
                return r;
        r = serve(t, p, e);
        if (r < 0)
                return r;
        if (e->outcome != SRD_OUTCOME_ANSWERED)
                return -EBADMSG;
        return target_result(t, ret);
}

static bool exists(const char *p) {
        struct stat st;

        return lstat(p, &st) == 0;
}

/* ------------------------------------------------------------------------ */
/* pathError: one case per cause.                                           */

TEST(null_path_gets_path_error_not_the_default_action) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdir);
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(decode_policy_load(&p));
        ASSERT_OK(start(&t, NULL, false, false));

        c->args[0] = 0;
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_EQ(e.verdict.rule, SRD_RULE_PATH_ERROR);
        ASSERT_EQ(e.path_error[0], -EFAULT);
        ASSERT_STREQ(e.path_error_reason, "the path pointer is NULL");
        ASSERT_EQ(e.applied, SRD_ACTION_ERRNO);
        ASSERT_EQ(res, -EIO);

        /* Control: no path rule names newfstatat, so its path is not even
         * read (default continue: the kernel says EFAULT). */
        c->nr = SYS_newfstatat;
        c->args[0] = (uint32_t) AT_FDCWD;
        c->args[1] = 0;
        c->buf_mask = 1u << 2;
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_EQ(e.verdict.rule, SRD_RULE_DEFAULT);
        ASSERT_NULL(e.path_error_reason);
        ASSERT_EQ(e.path_error[0], 0);
        ASSERT_EQ(res, -EFAULT);
}

TEST(unreadable_and_overlong_paths_get_path_error_with_their_reasons) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdir);
        static SrdEvent e;
        size_t n;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(decode_policy_load(&p));
        ASSERT_OK(start(&t, NULL, false, false));

        c->args[0] = 4096; /* the zero page: never mapped */
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_EQ(e.verdict.rule, SRD_RULE_PATH_ERROR);
        ASSERT_STREQ(e.path_error_reason, "the path cannot be read from the task's memory");
        ASSERT_EQ(res, -EIO);

        c->str_mask = 1u << 0;
        strcpy(c->str[0], tmp("deny-"));
        n = strlen(c->str[0]);
        memset(c->str[0] + n, 'l', PATH_MAX + 8 - n);
        c->str[0][PATH_MAX + 8] = '\0';
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_EQ(e.verdict.rule, SRD_RULE_PATH_ERROR);
        ASSERT_STREQ(e.path_error_reason, "the path is longer than PATH_MAX");
        ASSERT_EQ(res, -EIO);
}

/* A cwd deeper than PATH_MAX: /proc/PID/cwd cannot be read, the kernel
 * resolves relative paths from it all the same. */
static char deep_top[PATH_MAX];

#define DEEP_NAME "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
static int deep_levels = 40; /* of 109 bytes: 4360, more than PATH_MAX */

static void setup_deep_cwd(void) {
        if (chdir(deep_top) < 0)
                _exit(20);
        for (int i = 0; i < deep_levels; i++) {
                if (mkdir(DEEP_NAME, 0700) < 0 && errno != EEXIST)
                        _exit(21);
                if (chdir(DEEP_NAME) < 0)
                        _exit(22);
        }
}

/* rm -r for a tree deeper than PATH_MAX: by fd, one level at a time. */
static void remove_deep(int parent, const char *name) {
        int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (fd >= 0) {
                DIR *d = fdopendir(fd);
                struct dirent *de;

                while (d && (de = readdir(d)))
                        if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                                remove_deep(dirfd(d), de->d_name);
                if (d)
                        closedir(d);
        }
        (void) unlinkat(parent, name, AT_REMOVEDIR);
        (void) unlinkat(parent, name, 0);
}

TEST(cwd_deeper_than_path_max_gets_path_error) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdir);
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(decode_policy_load(&p));
        strcpy(deep_top, tmp("deep"));
        ASSERT_OK(mkdir(deep_top, 0700));
        ASSERT_OK(start(&t, setup_deep_cwd, false, false));

        /* Relative: read as the kernel would, "<cwd>/deny-deep" is denied;
         * but the cwd cannot be read, and continue would create it. */
        c->str_mask = 1u << 0;
        strcpy(c->str[0], "deny-deep");
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_EQ(e.verdict.rule, SRD_RULE_PATH_ERROR);
        ASSERT_EQ(e.path_error[0], -ENAMETOOLONG);
        ASSERT_STREQ(e.path_error_reason,
                     "the path joined to its working directory or dirfd is longer than PATH_MAX");
        ASSERT_EQ(res, -EIO);

        /* Control: an absolute path from the same task is placed. */
        strcpy(c->str[0], tmp("deny-from-deep"));
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_EQ(e.verdict.rule, RULE_DENY_);
        ASSERT_EQ(res, -EACCES);

        target_stop(&t);
        remove_deep(AT_FDCWD, deep_top);
        ASSERT_FALSE(exists(deep_top));
}

TEST(path_joined_to_a_deep_cwd_longer_than_path_max_gets_path_error) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdir);
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(decode_policy_load(&p));
        strcpy(deep_top, tmp("deep2"));
        ASSERT_OK(mkdir(deep_top, 0700));
        deep_levels = 37; /* about 4,050 bytes: still readable */
        ASSERT_OK(start(&t, setup_deep_cwd, false, false));
        deep_levels = 40;

        /* Each part fits PATH_MAX, the kernel walks them one after the
         * other; the daemon cannot write the whole path down. */
        c->str_mask = 1u << 0;
        memset(c->str[0], 'r', 250);
        c->str[0][250] = '\0';
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_EQ(e.verdict.rule, SRD_RULE_PATH_ERROR);
        ASSERT_STREQ(e.path_error_reason,
                     "the path joined to its working directory or dirfd is longer than PATH_MAX");
        ASSERT_EQ(res, -EIO);

        /* Control: a short relative path from there is placed, and runs. */
        strcpy(c->str[0], "short");
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_EQ(e.verdict.rule, SRD_RULE_DEFAULT);
        ASSERT_EQ(res, 0);

        target_stop(&t);
        remove_deep(AT_FDCWD, deep_top);
        ASSERT_FALSE(exists(deep_top));
}

/* fd 100 (target_target_setup_fd100): a directory, removed after the task opened it. */
TEST(dirfd_of_a_removed_directory_gets_path_error) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdirat);
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(decode_policy_load(&p));
        ASSERT_OK(mkdir(tmp("gone"), 0700));
        target_fd100_path = tmp("gone");
        ASSERT_OK(start(&t, target_setup_fd100, false, false));

        /* Control first: while it exists, "../deny-removed" is placed. */
        c->args[0] = 100;
        c->str_mask = 1u << 1;
        strcpy(c->str[0], "../deny-removed");
        c->args[2] = 0700;
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_STREQ(e.path[0], tmp("deny-removed"));
        ASSERT_EQ(e.verdict.rule, RULE_DENY_);
        ASSERT_EQ(res, -EACCES);

        /* ".." of a removed directory still leads to its old parent in the
         * kernel; the resolver walks it the same way, so the rule sees the
         * file the kernel would make. */
        ASSERT_OK(rmdir(tmp("gone")));
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_STREQ(e.written[0], "../deny-removed");
        ASSERT_STREQ(e.path[0], tmp("deny-removed"));
        ASSERT_EQ(e.verdict.rule, RULE_DENY_);
        ASSERT_EQ(res, -EACCES);
        ASSERT_FALSE(exists(tmp("deny-removed")));

        /* Inside it nothing can be made: the kernel's ENOENT, before it runs. */
        strcpy(c->str[0], "new");
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_EQ(e.verdict.rule, SRD_RULE_KERNEL);
        ASSERT_EQ(e.path_error[0], -ENOENT);
        ASSERT_EQ(res, -ENOENT);
}

/* fd 100 on the scratch directory, then chroot into a subdirectory of it:
 * the fd now lies outside the task's root. */
static void setup_chroot_keep_fd(void) {
        target_setup_fd100();
        if (chroot(tmp("root")) < 0 || chdir("/") < 0)
                _exit(12);
}

TEST(dirfd_outside_the_root_after_chroot_gets_path_error) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdirat);
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        if (geteuid() != 0)
                SKIP("chroot needs root");
        ASSERT_OK(decode_policy_load(&p));
        ASSERT_OK(mkdir(tmp("root"), 0700));
        target_fd100_path = tmpdir;
        ASSERT_OK(start(&t, setup_chroot_keep_fd, false, false));

        c->args[0] = 100;
        c->str_mask = 1u << 1;
        strcpy(c->str[0], "deny-chroot");
        c->args[2] = 0700;
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_EQ(e.verdict.rule, SRD_RULE_PATH_ERROR);
        ASSERT_EQ(e.path_error[0], -EXDEV);
        ASSERT_STREQ(e.path_error_reason, "the path leads to a file that has no name inside the task's root");
        ASSERT_EQ(res, -EIO);
        ASSERT_FALSE(exists(tmp("deny-chroot")));

        /* Control: relative to its (new) cwd, the path is placed in the
         * task's view: "/deny-in-root", which no rule names. */
        c->args[0] = (uint32_t) AT_FDCWD;
        strcpy(c->str[0], "deny-in-root");
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_STREQ(e.path[0], "/deny-in-root");
        ASSERT_EQ(e.verdict.rule, SRD_RULE_DEFAULT);
        ASSERT_EQ(res, 0);
        ASSERT_TRUE(exists(tmp("root/deny-in-root")));
}

/*
 * The daemon in a pid namespace of its own: the notification's pid is 0
 * there, nothing of the task can be read. A child does the handling and
 * reports the event through a pipe.
 */
TEST(task_outside_the_daemons_pid_namespace_gets_path_error) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdir);
        static SrdEvent e;
        int pfd[2], status;
        pid_t helper;
        long res;

        REQUIRE_TARGET();
        if (geteuid() != 0)
                SKIP("a pid namespace needs root");
        ASSERT_OK(decode_policy_load(&p));
        ASSERT_OK(start(&t, NULL, false, false));
        ASSERT_OK(pipe2(pfd, O_CLOEXEC));

        c->str_mask = 1u << 0;
        strcpy(c->str[0], tmp("deny-pidns"));
        ASSERT_OK(target_send(&t, c));

        helper = fork();
        ASSERT_TRUE(helper >= 0);
        if (helper == 0) {
                pid_t inner;

                if (unshare(CLONE_NEWPID) < 0)
                        _exit(30);
                inner = fork();
                if (inner == 0) {
                        int r = serve(&t, p, &e);

                        _exit(r < 0 || write(pfd[1], &e, sizeof(e)) != sizeof(e) ? 31 : 0);
                }
                _exit(inner > 0 && waitpid(inner, &status, 0) == inner && WIFEXITED(status)
                              ? WEXITSTATUS(status)
                              : 32);
        }
        ASSERT_EQ(waitpid(helper, &status, 0), helper);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 0);
        ASSERT_EQ(read(pfd[0], &e, sizeof(e)), (ssize_t) sizeof(e));
        close(pfd[0]);
        close(pfd[1]);

        ASSERT_EQ(e.pid, 0);
        ASSERT_EQ(e.verdict.rule, SRD_RULE_PATH_ERROR);
        ASSERT_STREQ(e.path_error_reason, "the task is not visible in the daemon's pid namespace");
        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, -EIO);
        ASSERT_FALSE(exists(tmp("deny-pidns")));
}

/* A path rule on newfstatat, as a policy guarding stat() of a file would
 * have: glibc's fstat() is newfstatat(fd, "", AT_EMPTY_PATH). */
static const char stat_policy[] =
        "{ \"version\": 1, \"name\": \"stat-test\", \"defaultAction\": \"continue\",\n"
        "  \"pathError\": { \"action\": \"errno\", \"errno\": \"EIO\" },\n"
        "  \"rules\": [ { \"name\": \"deny\", \"names\": [\"newfstatat\", \"mkdirat\"],\n"
        "      \"path\": { \"glob\": \"/tmp/srd-listener-*/deny*\" },\n"
        "      \"action\": \"errno\", \"errno\": \"EACCES\" } ] }\n";

/* fd 100 a pipe, fd 101 a file that is then deleted. */
static void setup_unnamed_fds(void) {
        int p[2], fd;

        fd = open(tmp("deny-deleted"), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (pipe(p) < 0 || dup2(p[0], 100) < 0 || fd < 0 || dup2(fd, 101) < 0 || unlink(tmp("deny-deleted")) < 0)
                _exit(13);
}

TEST(fstat_of_a_pipe_or_a_deleted_file_is_placed_on_nothing_a_path_rule_names) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_newfstatat);
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(srd_policy_load_buffer(stat_policy, strlen(stat_policy), "stat-test.json", &p, NULL));
        ASSERT_OK(start(&t, setup_unnamed_fds, false, false));

        /* Neither has a name, so neither is a failure to find one: the
         * rules decide (continue), and fstat() works. */
        for (int fd = 100; fd <= 101; fd++) {
                c->args[0] = (uint64_t) fd;
                c->str_mask = 1u << 1;
                c->str[0][0] = '\0';
                c->buf_mask = 1u << 2;
                c->args[3] = AT_EMPTY_PATH;
                ASSERT_OK(run(&t, p, c, &e, &res));
                ASSERT_EQ(e.verdict.rule, SRD_RULE_DEFAULT);
                ASSERT_STREQ(e.path[0], "");
                ASSERT_EQ(res, 0);
        }

        /* A relative path from the pipe: the kernel says ENOTDIR, and so
         * does the daemon, rather than let it run. */
        c->args[0] = 100;
        strcpy(c->str[0], "deny-x");
        c->args[3] = 0;
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_EQ(e.verdict.rule, SRD_RULE_KERNEL);
        ASSERT_EQ(res, -ENOTDIR);

        /* "" without AT_EMPTY_PATH: ENOENT, the kernel's answer. */
        c->str[0][0] = '\0';
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_EQ(e.verdict.rule, SRD_RULE_KERNEL);
        ASSERT_EQ(res, -ENOENT);

        /* A dirfd that is not open: EBADF. */
        c->args[0] = 555;
        strcpy(c->str[0], "deny-x");
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_EQ(e.verdict.rule, SRD_RULE_KERNEL);
        ASSERT_EQ(res, -EBADF);
}

/* ------------------------------------------------------------------------ */
/* openat2: struct open_how as the kernel reads it.                         */

static void how_cmd(Cmd *c, const char *path, uint64_t usize) {
        struct open_how how = {.flags = O_RDONLY | O_CLOEXEC};

        memset(c, 0, sizeof(*c));
        c->nr = SYS_openat2;
        c->args[0] = (uint32_t) AT_FDCWD;
        c->str_mask = (1u << 1) | (1u << 2);
        strcpy(c->str[0], path);
        memcpy(c->str[1], &how, sizeof(how));
        c->args[3] = usize;
}

TEST(openat2_with_a_larger_zero_tailed_open_how_is_still_matched) {
        static const uint64_t sizes[] = {24, 72, 128, 4096};
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_openat2);
        static SrdEvent e;
        long res;
        int fd;

        REQUIRE_TARGET();
        ASSERT_EQ(getpagesize(), 4096);
        ASSERT_OK(decode_policy_load(&p));
        fd = open(tmp("deny-how"), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        close(fd);
        fd = open(tmp("public-how"), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        close(fd);
        ASSERT_OK(start(&t, NULL, false, false));

        for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
                how_cmd(c, tmp("deny-how"), sizes[i]);
                ASSERT_OK(run(&t, p, c, &e, &res));
                printf("# openat2 size %" PRIu64 ": rule %d, result %ld\n", sizes[i], e.verdict.rule, res);
                ASSERT_EQ(e.path_error[0], 0);
                ASSERT_EQ(e.verdict.rule, RULE_DENY_);
                ASSERT_EQ(res, -EACCES);

                /* Control: the same size on a file no rule names is let
                 * through, and the kernel opens it (it takes the size). */
                how_cmd(c, tmp("public-how"), sizes[i]);
                ASSERT_OK(run(&t, p, c, &e, &res));
                ASSERT_EQ(e.verdict.rule, SRD_RULE_DEFAULT);
                ASSERT_TRUE(res >= 0);
        }
}

TEST(openat2_open_how_the_kernel_refuses_gets_the_kernels_errno) {
        static const struct {
                uint64_t size;
                size_t nonzero; /* offset of a non-zero byte, 0: none */
                int error;
        } cases[] = {
                {4097, 0, E2BIG}, {72, 30, E2BIG}, {4096, 4095, E2BIG}, {16, 0, EINVAL}, {0, 0, EINVAL},
        };
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_openat2);
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(decode_policy_load(&p));
        ASSERT_OK(start(&t, NULL, false, false));

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                /* Even a path no rule names: continue would let another
                 * thread make the struct valid before the kernel reads it. */
                how_cmd(c, tmp("public-refused"), cases[i].size);
                if (cases[i].nonzero)
                        c->str[1][cases[i].nonzero] = 1;
                ASSERT_OK(run(&t, p, c, &e, &res));
                printf("# openat2 size %" PRIu64 " non-zero at %zu: rule %d, result %ld\n", cases[i].size,
                       cases[i].nonzero, e.verdict.rule, res);
                ASSERT_EQ(e.verdict.rule, SRD_RULE_KERNEL);
                ASSERT_EQ(e.applied, SRD_ACTION_ERRNO);
                ASSERT_EQ(res, -cases[i].error);
        }
}

TEST(openat2_with_an_unreadable_open_how_gets_path_error) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_openat2);
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(decode_policy_load(&p));
        ASSERT_OK(start(&t, NULL, false, false));

        how_cmd(c, tmp("deny-how-unreadable"), 24);
        c->str_mask = 1u << 1;
        c->args[2] = 4096; /* the zero page */
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_EQ(e.verdict.rule, SRD_RULE_PATH_ERROR);
        ASSERT_STREQ(e.path_error_reason, "openat2's struct open_how cannot be read");
        ASSERT_EQ(res, -EIO);
}

/* ------------------------------------------------------------------------ */
/* i386 and x32.                                                            */

#if defined(__x86_64__)
TEST(i386_open_of_a_denied_file_is_denied_by_the_rule_naming_open) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(5); /* i386 open; native 5 is fstat */
        static SrdEvent e;
        long res;
        int fd;

        REQUIRE_TARGET();
        REQUIRE_I386();
        ASSERT_OK(decode_policy_load(&p));
        fd = open(tmp("deny-secret"), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(write(fd, "secret\n", 7), 7);
        close(fd);
        fd = open(tmp("public-file"), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        close(fd);
        ASSERT_OK(start(&t, NULL, true, false));

        c->op = CMD_INT80_ARGS;
        c->str_mask = 1u << 0;
        strcpy(c->str[0], tmp("deny-secret"));
        c->args[1] = O_RDONLY;
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_EQ(e.nr, 5);
        ASSERT_EQ(e.arch, (uint32_t) SCMP_ARCH_X86);
        ASSERT_EQ(e.native_nr, SYS_open);
        ASSERT_STREQ(e.path[0], tmp("deny-secret"));
        ASSERT_EQ(e.verdict.rule, RULE_DENY_);
        ASSERT_EQ(res, -EACCES);

        /* Control: i386 open of a file no rule names runs for real. */
        strcpy(c->str[0], tmp("public-file"));
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_EQ(e.verdict.rule, SRD_RULE_DEFAULT);
        ASSERT_TRUE(res >= 0);
}

TEST(i386_register_upper_halves_are_dropped_as_the_kernel_drops_them) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(39); /* i386 mkdir */
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        REQUIRE_I386();
#ifdef __SANITIZE_ADDRESS__
        /* The decoys go 4 GiB above the strings: AddressSanitizer's shadow. */
        SKIP("the decoy mappings collide with AddressSanitizer's shadow memory");
#endif
        ASSERT_OK(decode_policy_load(&p));
        ASSERT_OK(start(&t, NULL, true, false));

        /* ebx holds the denied path; the whole rbx, 4 GiB higher, points
         * at a decoy no rule names. The kernel creates what ebx names. */
        c->op = CMD_INT80_ARGS;
        c->str_mask = 1u << 0;
        strcpy(c->str[0], tmp("deny-upper"));
        c->high[0] = UINT64_C(1) << 32;
        strcpy(c->decoy, tmp("public-upper"));
        c->args[1] = 0700;
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_EQ(e.native_nr, SYS_mkdir);
        ASSERT_STREQ(e.path[0], tmp("deny-upper"));
        ASSERT_EQ(e.verdict.rule, RULE_DENY_);
        ASSERT_EQ(res, -EACCES);
        ASSERT_FALSE(exists(tmp("deny-upper")));

        /* Control: on a path no rule names the call runs, and makes what
         * the low half names, not the decoy. */
        strcpy(c->str[0], tmp("public-low"));
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_EQ(res, 0);
        ASSERT_TRUE(exists(tmp("public-low")));
        ASSERT_FALSE(exists(tmp("public-upper")));
}

TEST(i386_redirect_is_refused_with_path_error) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(39);
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        REQUIRE_I386();
        ASSERT_OK(decode_policy_load(&p));
        ASSERT_OK(start(&t, NULL, true, false));

        c->op = CMD_INT80_ARGS;
        c->str_mask = 1u << 0;
        strcpy(c->str[0], tmp("redirect-i386"));
        c->args[1] = 0700;
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_EQ(e.verdict.rule, SRD_RULE_PATH_ERROR);
        ASSERT_STREQ(e.path_error_reason, "the daemon redirects native syscalls only, not i386 or x32 ones");
        ASSERT_EQ(res, -EIO);
}

TEST(x32_mkdir_is_decoded_by_name_with_its_whole_pointer) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(X32_BIT | SYS_mkdir);
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(decode_policy_load(&p));
        ASSERT_OK(start(&t, NULL, false, true));

        /* The string sits in the target's data, above 4 GiB: the daemon
         * must read the whole register, as the kernel does for x32. */
        c->str_mask = 1u << 0;
        strcpy(c->str[0], tmp("deny-x32"));
        c->args[1] = 0700;
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_EQ(e.nr, X32_BIT | SYS_mkdir);
        ASSERT_EQ(e.native_nr, SYS_mkdir);
        ASSERT_STREQ(e.path[0], tmp("deny-x32"));
        ASSERT_EQ(e.verdict.rule, RULE_DENY_);
        ASSERT_EQ(res, -EACCES);

        /* Control: a path the rules do not name runs (ENOSYS where the
         * host kernel lacks x32, else the directory is made). */
        strcpy(c->str[0], tmp("public-x32"));
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_EQ(e.verdict.rule, SRD_RULE_DEFAULT);
        ASSERT_TRUE(res == 0 || res == -ENOSYS);
}
#endif

/*
 * A notification the daemon cannot decode (an x32 number no table knows):
 * a raw filter notifies it, since libseccomp would not name it.
 */
TEST(syscall_the_daemon_cannot_decode_gets_path_error) {
        struct sock_filter insns[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, X32_BIT | 1000, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = {.len = ELEMENTSOF(insns), .filter = insns};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        SrdListener *l = NULL;
        static SrdEvent e;
        int sv[2], fd, status;
        long res = 0;
        pid_t pid;

        REQUIRE_TARGET();
        ASSERT_OK(decode_policy_load(&p));
        ASSERT_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                close(sv[0]);
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(1);
                fd = (int) syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                                   &prog);
                if (fd < 0 || send_fd(sv[1], fd) < 0)
                        _exit(2);
                res = syscall(X32_BIT | 1000, 0, 0, 0);
                res = res < 0 ? -errno : res;
                _exit(send(sv[1], &res, sizeof(res), 0) == sizeof(res) ? 0 : 3);
        }
        close(sv[1]);
        fd = recv_fd_or_payload(sv[0], NULL);
        ASSERT_TRUE(fd >= 0);
        ASSERT_OK(srd_listener_new(fd, &l));
        {
                struct pollfd pf = {.fd = srd_listener_fd(l), .events = POLLIN};

                ASSERT_EQ(poll(&pf, 1, TIMEOUT_MS), 1);
        }
        ASSERT_OK(srd_listener_handle(l, p, 0, &e));
        srd_listener_free(l);
        ASSERT_EQ(e.outcome, SRD_OUTCOME_ANSWERED);
        ASSERT_EQ(e.verdict.rule, SRD_RULE_PATH_ERROR);
        ASSERT_STREQ(e.path_error_reason, "the syscall number is unknown on its architecture");
        ASSERT_EQ(recv(sv[0], &res, sizeof(res), 0), (ssize_t) sizeof(res));
        ASSERT_EQ(res, -EIO);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        close(sv[0]);
}

/* ------------------------------------------------------------------------ */
/* An open of an object without a name is made by the daemon (reopen.h).   */

static char removed_file[64];

/* fd 100: a pipe's read end (non-blocking), 101 its write end; 103 a file
 * of /tmp that was removed. */
static void setup_pipe_and_removed_file(void) {
        int fds[2], f;

        if (pipe2(fds, O_NONBLOCK) < 0 || dup2(fds[0], 100) < 0 || dup2(fds[1], 101) < 0)
                _exit(11);
        f = open(removed_file, O_RDWR | O_CREAT | O_EXCL, 0600);
        if (f < 0 || dup2(f, 103) < 0 || unlink(removed_file) < 0)
                _exit(12);
}

TEST(open_of_a_pipe_behind_proc_self_fd_returns_the_checked_pipe) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_openat);
        static SrdEvent e;
        long res, fd;

        REQUIRE_TARGET();
        ASSERT_OK(decode_policy_load(&p));
        snprintf(removed_file, sizeof(removed_file), "%s", tmp("removed"));
        ASSERT_OK(start(&t, setup_pipe_and_removed_file, false, false));

        c->args[0] = (uint32_t) AT_FDCWD;
        c->str_mask = 1u << 1;
        strcpy(c->str[0], "/proc/self/fd/100");
        c->args[2] = O_WRONLY | O_CLOEXEC;
        ASSERT_OK(run(&t, p, c, &e, &fd));
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(e.applied, SRD_ACTION_CONTINUE);
        ASSERT_TRUE(e.reopened);
        ASSERT_STREQ(e.written[0], "/proc/self/fd/100");

        /* The fd the task got writes into its own pipe: what it wrote comes
         * out of fd 100 (non-blocking: another pipe would say EAGAIN). */
        free(c);
        c = cmd_new(SYS_write);
        c->args[0] = (uint64_t) fd;
        c->str_mask = 1u << 1;
        strcpy(c->str[0], "hi");
        c->args[2] = 2;
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, 2);
        free(c);
        c = cmd_new(SYS_read);
        c->args[0] = 100;
        c->buf_mask = 1u << 1;
        c->args[2] = 16;
        ASSERT_OK(target_send(&t, c));
        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, 2);

        /* A removed file of /tmp: the daemon cannot judge that open for
         * the task (an LSM may decide by path), so it is refused. */
        free(c);
        c = cmd_new(SYS_openat);
        c->args[0] = (uint32_t) AT_FDCWD;
        c->str_mask = 1u << 1;
        strcpy(c->str[0], "/proc/self/fd/103");
        c->args[2] = O_RDONLY;
        ASSERT_OK(run(&t, p, c, &e, &res));
        ASSERT_EQ(res, -EACCES);
        ASSERT_FALSE(e.reopened);
        ASSERT_NOT_NULL(e.fallback_reason);

        /* Control: without pinning (the negative control's switch) the
         * kernel walks the magic link itself, as it would any path. */
        ASSERT_OK(srd_listener_set_pinned_continue(t.listener, false));
        strcpy(c->str[0], "/proc/self/fd/100");
        c->args[2] = O_WRONLY | O_CLOEXEC;
        ASSERT_OK(run(&t, p, c, &e, &fd));
        ASSERT_TRUE(fd >= 0);
        ASSERT_FALSE(e.reopened);
}

TESTS_MAIN
