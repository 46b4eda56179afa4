/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/path-arg.c: which last-component treatment each syscall gets from its
 * flags, and what each kind of path argument becomes (the resolved name a
 * rule judges, what a pinned continue sends, the errno the kernel gives).
 * The task is this process: its own memory and /proc/self are as good a
 * task as any for these.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "path-arg.h"
#include "tests.h"

static char tmpdir[256];

static const char *tmp(const char *name) {
        static char buf[4][PATH_MAX];
        static unsigned k;
        char *p = buf[k++ % 4];

        (void) snprintf(p, PATH_MAX, "%s/%s", tmpdir, name);
        return p;
}

static void setup(void) {
        char real[PATH_MAX];

        if (tmpdir[0])
                return;
        strcpy(tmpdir, "/tmp/srd-path-arg-XXXXXX");
        if (!mkdtemp(tmpdir))
                abort();
        /* The resolved names are canonical: /tmp may itself be a link. */
        if (!realpath(tmpdir, real) || strlen(real) >= sizeof(tmpdir))
                abort();
        strcpy(tmpdir, real);
        if (mkdir(tmp("dir"), 0700) < 0 || symlink("dir", tmp("dirlink")) < 0 ||
            symlink(tmp("dir/secret"), tmp("abslink")) < 0 || symlink("dir/nothing", tmp("dangling")) < 0)
                abort();
        close(open(tmp("dir/secret"), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
}

static const SrdPathArg *path_of(int nr, unsigned i) {
        const SrdSyscallInfo *info = srd_syscall_info(nr);

        return info && i < info->n_paths ? &info->paths[i] : NULL;
}

static int final_of(int nr, unsigned i, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4) {
        uint64_t args[SRD_ARGS] = {a0, a1, a2, a3, a4, 0};

        return srd_path_arg_final(path_of(nr, i), args, 0);
}

TEST(each_syscall_treats_the_last_component_as_the_kernel_does) {
        /* open's flags */
        ASSERT_EQ(final_of(SYS_openat, 0, AT_FDCWD, 0, O_RDONLY, 0, 0), SRD_FINAL_FOLLOW);
        ASSERT_EQ(final_of(SYS_openat, 0, AT_FDCWD, 0, O_WRONLY | O_CREAT, 0, 0), SRD_FINAL_CREATE);
        ASSERT_EQ(final_of(SYS_openat, 0, AT_FDCWD, 0, O_CREAT | O_EXCL, 0, 0), SRD_FINAL_PARENT);
        ASSERT_EQ(final_of(SYS_openat, 0, AT_FDCWD, 0, O_CREAT | O_NOFOLLOW, 0, 0), SRD_FINAL_PARENT);
        ASSERT_EQ(final_of(SYS_openat, 0, AT_FDCWD, 0, O_RDONLY | O_NOFOLLOW, 0, 0), SRD_FINAL_NOFOLLOW);
        /* only the int the kernel reads counts */
        ASSERT_EQ(final_of(SYS_openat, 0, AT_FDCWD, 0, (uint64_t) O_CREAT << 32, 0, 0), SRD_FINAL_FOLLOW);
        ASSERT_EQ(final_of(SYS_open, 0, 0, O_CREAT, 0, 0, 0), SRD_FINAL_CREATE);
        ASSERT_EQ(final_of(SYS_creat, 0, 0, 0, 0, 0, 0), SRD_FINAL_CREATE);
        ASSERT_EQ(srd_path_arg_final(path_of(SYS_openat2, 0), (uint64_t[SRD_ARGS]){}, O_CREAT),
                  SRD_FINAL_CREATE);
        ASSERT_EQ(srd_path_arg_final(path_of(SYS_openat2, 0), (uint64_t[SRD_ARGS]){}, O_NOFOLLOW),
                  SRD_FINAL_NOFOLLOW);
        /* AT_SYMLINK_NOFOLLOW, and linkat's opposite default */
        ASSERT_EQ(final_of(SYS_newfstatat, 0, AT_FDCWD, 0, 0, 0, 0), SRD_FINAL_FOLLOW);
        ASSERT_EQ(final_of(SYS_newfstatat, 0, AT_FDCWD, 0, 0, AT_SYMLINK_NOFOLLOW, 0), SRD_FINAL_NOFOLLOW);
        ASSERT_EQ(final_of(SYS_statx, 0, AT_FDCWD, 0, AT_SYMLINK_NOFOLLOW, 0, 0), SRD_FINAL_NOFOLLOW);
        ASSERT_EQ(final_of(SYS_fchownat, 0, AT_FDCWD, 0, 0, 0, AT_SYMLINK_NOFOLLOW), SRD_FINAL_NOFOLLOW);
        ASSERT_EQ(final_of(SYS_utimensat, 0, AT_FDCWD, 0, 0, AT_SYMLINK_NOFOLLOW, 0), SRD_FINAL_NOFOLLOW);
        ASSERT_EQ(final_of(SYS_linkat, 0, AT_FDCWD, 0, AT_FDCWD, 0, 0), SRD_FINAL_NOFOLLOW);
        ASSERT_EQ(final_of(SYS_linkat, 0, AT_FDCWD, 0, AT_FDCWD, 0, AT_SYMLINK_FOLLOW), SRD_FINAL_FOLLOW);
        ASSERT_EQ(final_of(SYS_linkat, 1, AT_FDCWD, 0, AT_FDCWD, 0, AT_SYMLINK_FOLLOW), SRD_FINAL_PARENT);
        ASSERT_EQ(final_of(SYS_name_to_handle_at, 0, AT_FDCWD, 0, 0, 0, 0), SRD_FINAL_NOFOLLOW);
        /* fixed by the syscall */
        ASSERT_EQ(final_of(SYS_lstat, 0, 0, 0, 0, 0, 0), SRD_FINAL_NOFOLLOW);
        ASSERT_EQ(final_of(SYS_stat, 0, 0, 0, 0, 0, 0), SRD_FINAL_FOLLOW);
        ASSERT_EQ(final_of(SYS_unlinkat, 0, AT_FDCWD, 0, 0, 0, 0), SRD_FINAL_NOFOLLOW);
        ASSERT_EQ(final_of(SYS_readlinkat, 0, AT_FDCWD, 0, 0, 0, 0), SRD_FINAL_NOFOLLOW);
        ASSERT_EQ(final_of(SYS_mkdirat, 0, AT_FDCWD, 0, 0, 0, 0), SRD_FINAL_PARENT);
        ASSERT_EQ(final_of(SYS_mknodat, 0, AT_FDCWD, 0, 0, 0, 0), SRD_FINAL_PARENT);
        ASSERT_EQ(final_of(SYS_symlinkat, 0, 0, AT_FDCWD, 0, 0, 0), SRD_FINAL_PARENT);
        ASSERT_EQ(final_of(SYS_renameat2, 0, AT_FDCWD, 0, AT_FDCWD, 0, 0), SRD_FINAL_NOFOLLOW);
        ASSERT_EQ(final_of(SYS_renameat2, 1, AT_FDCWD, 0, AT_FDCWD, 0, 0), SRD_FINAL_PARENT);
        ASSERT_EQ(final_of(SYS_lgetxattr, 0, 0, 0, 0, 0, 0), SRD_FINAL_NOFOLLOW);
        ASSERT_EQ(final_of(SYS_chmod, 0, 0, 0, 0, 0, 0), SRD_FINAL_FOLLOW);
        /* flags of their own */
        ASSERT_EQ(final_of(SYS_umount2, 0, 0, 0x8 /* UMOUNT_NOFOLLOW */, 0, 0, 0), SRD_FINAL_NOFOLLOW);
        ASSERT_EQ(final_of(SYS_umount2, 0, 0, 0, 0, 0, 0), SRD_FINAL_FOLLOW);
        ASSERT_EQ(final_of(SYS_inotify_add_watch, 0, 0, 0, 0x02000000 /* IN_DONT_FOLLOW */, 0, 0),
                  SRD_FINAL_NOFOLLOW);
        ASSERT_EQ(final_of(SYS_fanotify_mark, 0, 0, 0x4 /* FAN_MARK_DONT_FOLLOW */, 0, 0, 0),
                  SRD_FINAL_NOFOLLOW);
        ASSERT_EQ(final_of(SYS_move_mount, 0, 0, 0, 0, 0, 0), SRD_FINAL_NOFOLLOW);
        ASSERT_EQ(final_of(SYS_move_mount, 0, 0, 0, 0, 0, 0x1 /* MOVE_MOUNT_F_SYMLINKS */),
                  SRD_FINAL_FOLLOW);
        ASSERT_EQ(final_of(SYS_move_mount, 1, 0, 0, 0, 0, 0x10 /* MOVE_MOUNT_T_SYMLINKS */),
                  SRD_FINAL_FOLLOW);
        ASSERT_EQ(final_of(SYS_fspick, 0, 0, 0, 0x2 /* FSPICK_SYMLINK_NOFOLLOW */, 0, 0),
                  SRD_FINAL_NOFOLLOW);
        ASSERT_ERROR(srd_path_arg_final(NULL, (uint64_t[SRD_ARGS]){}, 0), EINVAL);
}

typedef struct Got {
        char written[PATH_MAX];
        char resolved[PATH_MAX];
        PathArgResult r;
} Got;

static int read_arg(int nr, unsigned i, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                    const ProcmemOpenHow *how, Got *g) {
        uint64_t args[SRD_ARGS] = {a0, a1, a2, a3, a4, 0};

        return path_arg_read(getpid(), path_of(nr, i), args, how, g->written, g->resolved, PATH_MAX, &g->r);
}

#define U(p) ((uint64_t) (uintptr_t) (p))

TEST(other_names_resolve_to_the_file_the_kernel_opens) {
        static Got g;
        char p[PATH_MAX];
        _cleanup_close_ int dfd = -EBADF;

        setup();
        /* a link to the file; a linked directory; ".." after a link */
        ASSERT_OK(read_arg(SYS_openat, 0, AT_FDCWD, U(tmp("abslink")), O_RDONLY, 0, 0, NULL, &g));
        ASSERT_EQ(g.r.kind, PATH_ARG_NAMED);
        ASSERT_EQ(g.r.pin, PATH_ARG_PIN_RESOLVED);
        ASSERT_STREQ(g.written, tmp("abslink"));
        ASSERT_STREQ(g.resolved, tmp("dir/secret"));
        ASSERT_OK(read_arg(SYS_openat, 0, AT_FDCWD, U(tmp("dirlink/secret")), O_RDONLY, 0, 0, NULL, &g));
        ASSERT_STREQ(g.resolved, tmp("dir/secret"));
        ASSERT_OK(read_arg(SYS_openat, 0, AT_FDCWD, U(tmp("dirlink/../dir/./secret")), O_RDONLY, 0, 0, NULL,
                           &g));
        ASSERT_STREQ(g.resolved, tmp("dir/secret"));
        /* magic links, and /dev/fd with a directory fd */
        (void) snprintf(p, sizeof(p), "/proc/self/root%s", tmp("dir/secret"));
        ASSERT_OK(read_arg(SYS_openat, 0, AT_FDCWD, U(p), O_RDONLY, 0, 0, NULL, &g));
        ASSERT_STREQ(g.resolved, tmp("dir/secret"));
        dfd = open(tmp("dir"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(dfd >= 0);
        (void) snprintf(p, sizeof(p), "/dev/fd/%d/secret", dfd);
        ASSERT_OK(read_arg(SYS_openat, 0, AT_FDCWD, U(p), O_RDONLY, 0, 0, NULL, &g));
        ASSERT_STREQ(g.resolved, tmp("dir/secret"));
        /* relative to a dirfd */
        ASSERT_OK(read_arg(SYS_openat, 0, (uint64_t) dfd, U("secret"), O_RDONLY, 0, 0, NULL, &g));
        ASSERT_STREQ(g.written, "secret");
        ASSERT_STREQ(g.resolved, tmp("dir/secret"));
        /* the final link itself where the call does not follow it */
        ASSERT_OK(read_arg(SYS_unlinkat, 0, AT_FDCWD, U(tmp("abslink")), 0, 0, 0, NULL, &g));
        ASSERT_STREQ(g.resolved, tmp("abslink"));
        ASSERT_OK(
                read_arg(SYS_openat, 0, AT_FDCWD, U(tmp("abslink")), O_RDONLY | O_NOFOLLOW, 0, 0, NULL, &g));
        ASSERT_STREQ(g.resolved, tmp("abslink"));
        /* O_CREAT follows a dangling link to where it creates; O_EXCL does not */
        ASSERT_OK(read_arg(SYS_openat, 0, AT_FDCWD, U(tmp("dangling")), O_WRONLY | O_CREAT, 0, 0, NULL, &g));
        ASSERT_EQ(g.r.kind, PATH_ARG_NAMED);
        ASSERT_STREQ(g.resolved, tmp("dir/nothing"));
        ASSERT_OK(read_arg(SYS_openat, 0, AT_FDCWD, U(tmp("dangling")), O_CREAT | O_EXCL, 0, 0, NULL, &g));
        ASSERT_STREQ(g.resolved, tmp("dangling"));
}

TEST(openat2_resolves_under_its_own_flags) {
        static Got g;
        ProcmemOpenHow how = {.size = PROCMEM_OPEN_HOW_KNOWN, .resolve = RESOLVE_IN_ROOT};
        _cleanup_close_ int dfd = open(tmpdir[0] ? tmpdir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);

        setup();
        safe_close(dfd);
        dfd = open(tmp("dir"), O_PATH | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(dfd >= 0);
        /* IN_ROOT: "/secret" is the dirfd's own */
        ASSERT_OK(read_arg(SYS_openat2, 0, (uint64_t) dfd, U("/secret"), 0, 24, 0, &how, &g));
        ASSERT_EQ(g.r.kind, PATH_ARG_NAMED);
        ASSERT_STREQ(g.resolved, tmp("dir/secret"));
        /* BENEATH: an escape fails as the kernel fails it */
        how.resolve = RESOLVE_BENEATH;
        ASSERT_OK(read_arg(SYS_openat2, 0, (uint64_t) dfd, U("../dir/secret"), 0, 24, 0, &how, &g));
        ASSERT_EQ(g.r.kind, PATH_ARG_FAILS);
        ASSERT_EQ(g.r.error, EXDEV);
        /* NO_SYMLINKS: a link on the way is ELOOP */
        how.resolve = RESOLVE_NO_SYMLINKS;
        ASSERT_OK(read_arg(SYS_openat2, 0, AT_FDCWD, U(tmp("dirlink/secret")), 0, 24, 0, &how, &g));
        ASSERT_EQ(g.r.kind, PATH_ARG_FAILS);
        ASSERT_EQ(g.r.error, ELOOP);
        /* bits no kernel knows: refused */
        how.resolve = 1ULL << 40;
        ASSERT_OK(read_arg(SYS_openat2, 0, AT_FDCWD, U(tmp("dir/secret")), 0, 24, 0, &how, &g));
        ASSERT_EQ(g.r.kind, PATH_ARG_REFUSED);
        ASSERT_EQ(g.r.error, EINVAL);
        /* "" has no AT_EMPTY_PATH in openat2 */
        how.resolve = 0;
        ASSERT_OK(read_arg(SYS_openat2, 0, (uint64_t) dfd, U(""), 0, 24, 0, &how, &g));
        ASSERT_EQ(g.r.kind, PATH_ARG_REFUSED);
        ASSERT_EQ(g.r.error, ENOENT);
}

TEST(each_kind_says_what_to_answer_and_what_to_pin) {
        static Got g;
        char p[64];
        int pipefd[2];
        _cleanup_close_ int dfd = -EBADF;

        setup();
        ASSERT_OK(pipe2(pipefd, O_CLOEXEC));

        /* a pipe behind /proc/self/fd: no name, pinned as written */
        (void) snprintf(p, sizeof(p), "/proc/self/fd/%d", pipefd[0]);
        ASSERT_OK(read_arg(SYS_openat, 0, AT_FDCWD, U(p), O_RDONLY, 0, 0, NULL, &g));
        ASSERT_EQ(g.r.kind, PATH_ARG_UNNAMED);
        ASSERT_EQ(g.r.pin, PATH_ARG_PIN_WRITTEN);
        ASSERT_STREQ(g.resolved, "");
        close(pipefd[0]);
        close(pipefd[1]);

        /* missing: the kernel's ENOENT, and the name it looked for */
        ASSERT_OK(read_arg(SYS_openat, 0, AT_FDCWD, U(tmp("dir/../dir/missing")), O_RDONLY, 0, 0, NULL, &g));
        ASSERT_EQ(g.r.kind, PATH_ARG_FAILS);
        ASSERT_EQ(g.r.error, ENOENT);
        ASSERT_STREQ(g.resolved, tmp("dir/missing"));
        ASSERT_OK(read_arg(SYS_openat, 0, AT_FDCWD, U(tmp("dir/secret/x")), O_RDONLY, 0, 0, NULL, &g));
        ASSERT_EQ(g.r.kind, PATH_ARG_FAILS);
        ASSERT_EQ(g.r.error, ENOTDIR);

        /* "" with and without AT_EMPTY_PATH; a dirfd that is not open */
        dfd = open(tmp("dir/secret"), O_RDONLY | O_CLOEXEC);
        ASSERT_TRUE(dfd >= 0);
        ASSERT_OK(read_arg(SYS_newfstatat, 0, (uint64_t) dfd, U(""), 0, AT_EMPTY_PATH, 0, NULL, &g));
        ASSERT_EQ(g.r.kind, PATH_ARG_NAMED);
        ASSERT_EQ(g.r.pin, PATH_ARG_PIN_WRITTEN);
        ASSERT_STREQ(g.resolved, tmp("dir/secret"));
        ASSERT_OK(read_arg(SYS_newfstatat, 0, (uint64_t) dfd, U(""), 0, 0, 0, NULL, &g));
        ASSERT_EQ(g.r.kind, PATH_ARG_REFUSED);
        ASSERT_EQ(g.r.error, ENOENT);
        ASSERT_OK(read_arg(SYS_openat, 0, 987, U("x"), O_RDONLY, 0, 0, NULL, &g));
        ASSERT_EQ(g.r.kind, PATH_ARG_REFUSED);
        ASSERT_EQ(g.r.error, EBADF);

        /* NULL: the dirfd where the syscall says so (nothing to pin), else unplaced */
        ASSERT_OK(read_arg(SYS_utimensat, 0, (uint64_t) dfd, 0, 0, 0, 0, NULL, &g));
        ASSERT_EQ(g.r.kind, PATH_ARG_NAMED);
        ASSERT_EQ(g.r.pin, PATH_ARG_PIN_NONE);
        ASSERT_STREQ(g.resolved, tmp("dir/secret"));
        ASSERT_OK(read_arg(SYS_openat, 0, AT_FDCWD, 0, O_RDONLY, 0, 0, NULL, &g));
        ASSERT_EQ(g.r.kind, PATH_ARG_UNPLACED);
        ASSERT_EQ(g.r.why, PROCMEM_WHY_NULL_PATH);

        /* unreadable memory, and a task we cannot see */
        ASSERT_OK(read_arg(SYS_openat, 0, AT_FDCWD, 16, O_RDONLY, 0, 0, NULL, &g));
        ASSERT_EQ(g.r.kind, PATH_ARG_UNPLACED);
        ASSERT_EQ(g.r.why, PROCMEM_WHY_PATH_UNREADABLE);
        {
                uint64_t args[SRD_ARGS] = {(uint64_t) AT_FDCWD, U("/x"), 0};

                ASSERT_OK(path_arg_read(0, path_of(SYS_openat, 0), args, NULL, g.written, g.resolved,
                                        PATH_MAX, &g.r));
                ASSERT_EQ(g.r.kind, PATH_ARG_UNPLACED);
                ASSERT_EQ(g.r.why, PROCMEM_WHY_TASK_INVISIBLE);
        }
        ASSERT_STREQ(path_arg_kind_to_string(PATH_ARG_FAILS), "fails");
        ASSERT_NULL(path_arg_kind_to_string(_PATH_ARG_KIND_MAX));
}

TEST(a_removed_directory_is_unnamed_and_nothing_is_made_in_it) {
        static Got g;
        _cleanup_close_ int dfd = -EBADF;

        setup();
        ASSERT_OK(mkdir(tmp("gone"), 0700));
        dfd = open(tmp("gone"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(dfd >= 0);
        ASSERT_OK(rmdir(tmp("gone")));
        ASSERT_OK(read_arg(SYS_openat, 0, (uint64_t) dfd, U("."), O_RDONLY, 0, 0, NULL, &g));
        ASSERT_EQ(g.r.kind, PATH_ARG_UNNAMED);
        ASSERT_EQ(g.r.pin, PATH_ARG_PIN_WRITTEN);
        ASSERT_OK(read_arg(SYS_openat, 0, (uint64_t) dfd, U("../dir/secret"), O_RDONLY, 0, 0, NULL, &g));
        ASSERT_EQ(g.r.kind, PATH_ARG_NAMED);
        ASSERT_STREQ(g.resolved, tmp("dir/secret"));
        ASSERT_OK(read_arg(SYS_mkdirat, 0, (uint64_t) dfd, U("new"), 0700, 0, 0, NULL, &g));
        ASSERT_EQ(g.r.kind, PATH_ARG_FAILS);
        ASSERT_EQ(g.r.error, ENOENT);
}

static void __attribute__((destructor)) remove_tmpdir(void) {
        static const char *const files[] = {"dir/secret", "dir/nothing", "dirlink", "abslink", "dangling"};

        if (!tmpdir[0])
                return;
        for (size_t i = 0; i < ELEMENTSOF(files); i++)
                (void) unlink(tmp(files[i]));
        (void) rmdir(tmp("dir"));
        (void) rmdir(tmpdir);
}

TESTS_MAIN
