/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * reopen.h: the open the daemon makes for a task of an object without a
 * name. The permission check against the kernel's rules for each class of
 * credentials, and reopen_for_task() on objects of this process: what it
 * opens, and what it refuses to open because it cannot judge for the task.
 */

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "reopen.h"
#include "tests.h"

#define CAP(n) (UINT64_C(1) << (n))

static const struct stat file_0640 = {.st_mode = S_IFREG | 0640, .st_uid = 1000, .st_gid = 100};

static int may(uid_t uid, gid_t gid, bool in_groups, uint64_t caps, bool caps_count, bool acl, uint64_t flags) {
        ReopenCreds c = {.fsuid = uid, .fsgid = gid, .in_groups = in_groups, .cap_eff = caps,
                         .caps_count = caps_count};

        return reopen_may_open(&c, &file_0640, acl, flags);
}

TEST(owner_group_and_others_get_their_bits_of_the_mode) {
        ASSERT_OK(may(1000, 1, false, 0, true, false, O_RDWR));
        ASSERT_OK(may(2000, 100, false, 0, true, false, O_RDONLY));
        ASSERT_ERROR(may(2000, 100, false, 0, true, false, O_WRONLY), EACCES);
        ASSERT_OK(may(2000, 1, true, 0, true, false, O_RDONLY));
        ASSERT_ERROR(may(2000, 1, false, 0, true, false, O_RDONLY), EACCES);
        /* The owner class decides for the owner, even when the group's
         * bits would give more (as the kernel does). */
        {
                const struct stat odd = {.st_mode = S_IFREG | 0060, .st_uid = 1000, .st_gid = 100};
                ReopenCreds c = {.fsuid = 1000, .fsgid = 100};

                ASSERT_ERROR(reopen_may_open(&c, &odd, false, O_RDONLY), EACCES);
        }
}

TEST(truncation_and_the_ioctl_only_mode_want_write) {
        ASSERT_ERROR(may(2000, 100, false, 0, true, false, O_RDONLY | O_TRUNC), EACCES);
        ASSERT_ERROR(may(2000, 100, false, 0, true, false, O_ACCMODE), EACCES);
        ASSERT_OK(may(1000, 1, false, 0, true, false, O_ACCMODE));
        /* O_PATH opens nothing: no check. */
        ASSERT_OK(may(3000, 3, false, 0, true, false, O_PATH | O_RDWR));
        /* A pipe ignores O_TRUNC. */
        {
                const struct stat pipe_st = {.st_mode = S_IFIFO | 0400, .st_uid = 1000, .st_gid = 100};
                ReopenCreds c = {.fsuid = 1000, .fsgid = 100};

                ASSERT_OK(reopen_may_open(&c, &pipe_st, false, O_RDONLY | O_TRUNC));
        }
}

TEST(capabilities_count_only_where_the_kernel_counts_them) {
        ASSERT_OK(may(0, 0, false, CAP(1), true, false, O_RDWR));
        ASSERT_ERROR(may(0, 0, false, CAP(1), false, false, O_RDWR), EACCES);
        /* CAP_DAC_READ_SEARCH: reading only. */
        ASSERT_OK(may(0, 0, false, CAP(2), true, false, O_RDONLY));
        ASSERT_ERROR(may(0, 0, false, CAP(2), true, false, O_WRONLY), EACCES);
        ASSERT_ERROR(may(0, 0, false, CAP(0) | CAP(3), true, false, O_RDONLY), EACCES);
}

TEST(an_acl_leaves_only_the_owner_and_the_capable) {
        ASSERT_ERROR(may(2000, 100, false, 0, true, true, O_RDONLY), EACCES);
        ASSERT_OK(may(1000, 100, false, 0, true, true, O_RDONLY));
        ASSERT_OK(may(2000, 100, false, CAP(1), true, true, O_RDONLY));
}

TEST(o_noatime_is_for_the_owner_or_cap_fowner) {
        ASSERT_OK(may(1000, 1, false, 0, true, false, O_RDONLY | O_NOATIME));
        ASSERT_ERROR(may(2000, 100, false, 0, true, false, O_RDONLY | O_NOATIME), EPERM);
        ASSERT_OK(may(2000, 100, false, CAP(3), true, false, O_RDONLY | O_NOATIME));
        /* Access is judged first: EACCES before EPERM. */
        ASSERT_ERROR(may(2000, 1, false, 0, true, false, O_RDONLY | O_NOATIME), EACCES);
}

TEST(the_opens_are_told_apart_from_other_calls) {
        uint64_t args[6] = {(uint64_t) AT_FDCWD, 0, O_WRONLY | O_APPEND, 0600};
        ProcmemOpenHow how = {.flags = O_RDONLY | O_CLOEXEC, .mode = 0};
        ReopenCall c;

        ASSERT_OK(reopen_call_of(SYS_openat, args, NULL, &c));
        ASSERT_EQ(c.flags, (uint64_t) (O_WRONLY | O_APPEND));
        ASSERT_EQ(c.mode, 0600u);
        ASSERT_FALSE(c.openat2);
        /* open's flags are an int: the upper half is not the call's. */
        args[1] = UINT64_C(0xffffffff00000000) | O_RDONLY;
        ASSERT_OK(reopen_call_of(SYS_open, args, NULL, &c));
        ASSERT_EQ(c.flags, (uint64_t) O_RDONLY);
        ASSERT_OK(reopen_call_of(SYS_creat, args, NULL, &c));
        ASSERT_EQ(c.flags, (uint64_t) (O_CREAT | O_WRONLY | O_TRUNC));
        ASSERT_OK(reopen_call_of(SYS_openat2, args, &how, &c));
        ASSERT_TRUE(c.openat2);
        ASSERT_EQ(c.flags, (uint64_t) (O_RDONLY | O_CLOEXEC));
        ASSERT_ERROR(reopen_call_of(SYS_openat2, args, NULL, &c), EINVAL);
        ASSERT_ERROR(reopen_call_of(SYS_mkdir, args, NULL, &c), EOPNOTSUPP);
}

static int o_path_of(int fd) {
        char p[64];

        snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
        return open(p, O_PATH | O_CLOEXEC);
}

TEST(a_pipe_is_opened_for_writing_and_is_the_same_pipe) {
        ReopenCall call = {.flags = O_WRONLY};
        int fds[2], obj, w = -1;
        const char *why = NULL;
        char buf[4] = {};

        ASSERT_OK(pipe2(fds, O_CLOEXEC));
        obj = o_path_of(fds[0]);
        ASSERT_OK(obj);
        ASSERT_OK(reopen_for_task(getpid(), obj, &call, &w, &why));
        ASSERT_NULL(why);
        ASSERT_TRUE(fcntl(w, F_GETFD) & FD_CLOEXEC);
        ASSERT_EQ(write(w, "ok", 2), 2);
        ASSERT_EQ(read(fds[0], buf, sizeof(buf)), 2);
        ASSERT_STREQ(buf, "ok");
        /* openat2's validation is the kernel's: a mode without O_CREAT. */
        call = (ReopenCall){.flags = O_WRONLY, .mode = 0600, .openat2 = true};
        ASSERT_ERROR(reopen_for_task(getpid(), obj, &call, &w, &why), EINVAL);
        close(obj);
        close(fds[0]);
        close(fds[1]);
}

TEST(a_memfd_is_opened_and_a_read_only_request_gives_a_read_only_fd) {
        ReopenCall call = {.flags = O_RDONLY};
        int m, obj, fd = -1;

        m = (int) syscall(SYS_memfd_create, "reopen-test", MFD_CLOEXEC);
        ASSERT_OK(m);
        ASSERT_EQ(write(m, "x", 1), 1);
        obj = o_path_of(m);
        ASSERT_OK(obj);
        ASSERT_OK(reopen_for_task(getpid(), obj, &call, &fd, NULL));
        ASSERT_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
        ASSERT_TRUE(write(fd, "y", 1) < 0);
        close(fd);
        close(obj);
        close(m);
}

TEST(what_the_daemon_cannot_judge_is_refused_not_opened) {
        ReopenCall call = {.flags = O_RDWR};
        char path[] = "/tmp/srd-reopen-XXXXXX";
        const char *why = NULL;
        int f, obj, fd = -1, sv[2];

        /* A removed file of a file system the task sees: an LSM may decide
         * by its path. */
        f = mkstemp(path);
        ASSERT_OK(f);
        ASSERT_OK(unlink(path));
        obj = o_path_of(f);
        ASSERT_OK(obj);
        ASSERT_ERROR(reopen_for_task(getpid(), obj, &call, &fd, &why), EACCES);
        ASSERT_NOT_NULL(why);
        ASSERT_EQ(fd, -EBADF);
        /* O_PATH is no open of the contents. */
        call.flags = O_PATH;
        ASSERT_OK(reopen_for_task(getpid(), obj, &call, &fd, NULL));
        close(fd);
        close(obj);
        close(f);

        /* A device node. */
        call.flags = O_RDWR;
        obj = open("/dev/null", O_PATH | O_CLOEXEC);
        ASSERT_OK(obj);
        why = NULL;
        ASSERT_ERROR(reopen_for_task(getpid(), obj, &call, &fd, &why), EACCES);
        ASSERT_NOT_NULL(why);
        close(obj);

        /* A socket: the kernel's own ENXIO, as the task would get. */
        ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
        obj = o_path_of(sv[0]);
        ASSERT_OK(obj);
        ASSERT_ERROR(reopen_for_task(getpid(), obj, &call, &fd, NULL), ENXIO);
        close(obj);
        close(sv[0]);
        close(sv[1]);
}

TEST(the_tasks_credentials_are_read_from_proc) {
        struct stat st = {.st_uid = getuid(), .st_gid = getgid()};
        ReopenCreds c;

        ASSERT_OK(reopen_task_creds(getpid(), &st, &c));
        ASSERT_EQ(c.fsuid, geteuid());
        ASSERT_EQ(c.fsgid, getegid());
        ASSERT_TRUE(c.caps_count);
        ASSERT_ERROR(reopen_task_creds(-1, &st, &c), EINVAL);
}

TESTS_MAIN
