/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * e2e-redirect's cases: the syscall each target issues (raw, its result in
 * res) and the table that names, per case, the rule whose redirect the log
 * must show, the fixture and the check.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "e2e-redirect.h"
#include "macro.h"

#if defined(__x86_64__)

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

/* ------------------------------------------------------------------------ */
/* In the target: the syscall under test, raw, with its result in res.       */

static long sys(long r) {
        return r < 0 ? -errno : r;
}

/* Read back what an fd returned by the syscall holds, then close it. */
static long fd_text(long r) {
        ssize_t k;

        if (r < 0)
                return -errno;
        res->acc_mode = fcntl((int) r, F_GETFL) & O_ACCMODE;
        k = pread((int) r, res->text, sizeof(res->text) - 1, 0);
        if (k < 0)
                (void) snprintf(res->text, sizeof(res->text), "(pread failed: %s)", strerror(errno));
        close((int) r);
        return r;
}

static long st_of(long r, const struct stat *st) {
        if (r < 0)
                return -errno;
        res->ino = st->st_ino;
        res->dev = st->st_dev;
        return r;
}

static long text_of(long r) {
        if (r < 0)
                return -errno;
        if (r < (long) sizeof(res->text))
                res->text[r] = '\0';
        return r;
}

static void to_cwd(void) {
        if (chdir(real_dir) < 0)
                _exit(90);
}

static long run_open(const Case *c) {
        return fd_text(syscall(SYS_open, real(c->a), O_RDONLY | O_CLOEXEC));
}

static long run_creat(const Case *c) {
        long fd = syscall(SYS_creat, real(c->a), 0640);

        if (fd < 0)
                return -errno;
        res->aux = sys(write((int) fd, "created\n", 8));
        close((int) fd);
        return fd;
}

static long run_openat(const Case *c) {
        return fd_text(syscall(SYS_openat, AT_FDCWD, real(c->a), O_RDONLY | O_CLOEXEC));
}

static long run_openat_cwd(const Case *c) {
        to_cwd();
        return fd_text(syscall(SYS_openat, AT_FDCWD, c->a, O_RDONLY | O_CLOEXEC));
}

static long run_openat_dfd(const Case *c) {
        return fd_text(syscall(SYS_openat, real_dfd, join("sub/..", c->a), O_RDONLY | O_CLOEXEC));
}

static long run_openat2(const Case *c) {
        struct open_how how = {.flags = O_RDONLY | O_CLOEXEC};

        return fd_text(syscall(SYS_openat2, AT_FDCWD, real(c->a), &how, sizeof(how)));
}

/* No path condition on the rule: "to" replaces the (first) path argument, whatever it was. */
static long run_openat_by_args(const Case *c) {
        return fd_text(
                syscall(SYS_openat, AT_FDCWD, "/nonexistent/srd-by-args", O_RDONLY | O_CLOEXEC, 01234));
}

static long run_openat2_dfd(const Case *c) {
        struct open_how how = {.flags = O_RDONLY | O_CLOEXEC};

        return fd_text(syscall(SYS_openat2, real_dfd, c->a, &how, sizeof(how)));
}

static long run_stat(const Case *c) {
        struct stat st;

        return st_of(syscall(SYS_stat, real(c->a), &st), &st);
}

static long run_stat_cwd(const Case *c) {
        struct stat st;

        to_cwd();
        return st_of(syscall(SYS_stat, c->a, &st), &st);
}

static long run_lstat(const Case *c) {
        struct stat st;

        return st_of(syscall(SYS_lstat, real(c->a), &st), &st);
}

static long run_newfstatat(const Case *c) {
        struct stat st;

        return st_of(syscall(SYS_newfstatat, AT_FDCWD, real(c->a), &st, 0), &st);
}

static long run_newfstatat_cwd(const Case *c) {
        struct stat st;

        to_cwd();
        return st_of(syscall(SYS_newfstatat, AT_FDCWD, c->a, &st, 0), &st);
}

static long run_newfstatat_dfd(const Case *c) {
        struct stat st;

        return st_of(syscall(SYS_newfstatat, real_dfd, c->a, &st, AT_SYMLINK_NOFOLLOW), &st);
}

static long run_statx_dfd(const Case *c) {
        struct statx stx = {};
        long r = syscall(SYS_statx, real_dfd, c->a, 0, STATX_INO, &stx);

        if (r < 0)
                return -errno;
        res->ino = stx.stx_ino;
        res->dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
        return r;
}

static long run_statx(const Case *c) {
        struct statx stx = {};
        long r = syscall(SYS_statx, AT_FDCWD, real(c->a), AT_SYMLINK_NOFOLLOW, STATX_INO, &stx);

        if (r < 0)
                return -errno;
        res->ino = stx.stx_ino;
        res->dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
        return r;
}

static long run_access(const Case *c) {
        return sys(syscall(SYS_access, real(c->a), R_OK));
}

static long run_access_cwd(const Case *c) {
        to_cwd();
        return sys(syscall(SYS_access, c->a, F_OK));
}

static long run_faccessat_dfd(const Case *c) {
        return sys(syscall(SYS_faccessat, real_dfd, c->a, R_OK));
}

static long run_faccessat_cwd(const Case *c) {
        to_cwd();
        return sys(syscall(SYS_faccessat, AT_FDCWD, c->a, R_OK));
}

static long run_faccessat2(const Case *c) {
        return sys(syscall(SYS_faccessat2, AT_FDCWD, real(c->a), X_OK, AT_EACCESS));
}

static long run_readlink(const Case *c) {
        return text_of(syscall(SYS_readlink, real(c->a), res->text, sizeof(res->text) - 1));
}

static long run_readlinkat_dfd(const Case *c) {
        return text_of(syscall(SYS_readlinkat, real_dfd, c->a, res->text, sizeof(res->text) - 1));
}

static long run_execve(const Case *c) {
        char *const argv[] = {(char *) "e2e-redirect", (char *) "--print-exe", NULL};

        if (dup2(exec_pipe[1], STDOUT_FILENO) < 0)
                return -errno;
        return sys(syscall(SYS_execve, real(c->a), argv, environ));
}

static long run_execveat_dfd(const Case *c) {
        char *const argv[] = {(char *) "e2e-redirect", (char *) "--print-exe", NULL};

        if (dup2(exec_pipe[1], STDOUT_FILENO) < 0)
                return -errno;
        return sys(syscall(SYS_execveat, real_dfd, c->a, argv, environ, 0));
}

static long run_mkdir(const Case *c) {
        return sys(syscall(SYS_mkdir, real(c->a), 0755));
}

static long run_mkdirat_dfd(const Case *c) {
        return sys(syscall(SYS_mkdirat, real_dfd, c->a, 0755));
}

static long run_unlink(const Case *c) {
        return sys(syscall(SYS_unlink, real(c->a)));
}

static long run_unlinkat_dfd(const Case *c) {
        return sys(syscall(SYS_unlinkat, real_dfd, c->a, 0));
}

static long run_unlinkat_rmdir(const Case *c) {
        return sys(syscall(SYS_unlinkat, real_dfd, c->a, AT_REMOVEDIR));
}

static long run_rmdir(const Case *c) {
        return sys(syscall(SYS_rmdir, real(c->a)));
}

static long run_rename(const Case *c) {
        return sys(syscall(SYS_rename, real(c->a), real(c->b)));
}

static long run_renameat_dfd(const Case *c) {
        return sys(syscall(SYS_renameat, real_dfd, c->a, real_dfd, c->b));
}

static long run_renameat2(const Case *c) {
        return sys(syscall(SYS_renameat2, AT_FDCWD, real(c->a), AT_FDCWD, real(c->b), RENAME_NOREPLACE));
}

static long run_renameat2_only_new(const Case *c) {
        return sys(syscall(SYS_renameat2, AT_FDCWD, join(outside_dir, c->a), real_dfd, c->b, 0));
}

static long run_link(const Case *c) {
        return sys(syscall(SYS_link, real(c->a), real(c->b)));
}

static long run_linkat_dfd(const Case *c) {
        return sys(syscall(SYS_linkat, real_dfd, c->a, real_dfd, c->b, 0));
}

static long run_symlink(const Case *c) {
        return sys(syscall(SYS_symlink, real(c->b), real(c->a)));
}

static long run_symlinkat_dfd(const Case *c) {
        return sys(syscall(SYS_symlinkat, real(c->b), real_dfd, c->a));
}

static long run_chmod(const Case *c) {
        return sys(syscall(SYS_chmod, real(c->a), 0600));
}

static long run_fchmodat_dfd(const Case *c) {
        return sys(syscall(SYS_fchmodat, real_dfd, c->a, 0600));
}

static long run_fchmodat2(const Case *c) {
        return sys(syscall(SYS_fchmodat2, AT_FDCWD, real(c->a), 0600, 0));
}

static long run_chown(const Case *c) {
        return sys(syscall(SYS_chown, real(c->a), CHOWN_UID, CHOWN_GID));
}

static long run_fchownat_dfd(const Case *c) {
        return sys(syscall(SYS_fchownat, real_dfd, c->a, CHOWN_UID, CHOWN_GID, 0));
}

static long run_lchown(const Case *c) {
        return sys(syscall(SYS_lchown, real(c->a), CHOWN_UID, CHOWN_GID));
}

static long run_truncate(const Case *c) {
        return sys(syscall(SYS_truncate, real(c->a), 3));
}

/* O_RDWR asked, O_RDONLY given by the rule's "set": writing fails. */
static long run_open_rdwr(const Case *c) {
        long fd = syscall(SYS_openat, AT_FDCWD, real(c->a), O_RDWR | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        res->aux = sys(write((int) fd, "X", 1));
        return fd_text(fd);
}

static long run_umask(const Case *c) {
        (void) syscall(SYS_umask, 0777); /* the rule makes this umask(027) */
        res->aux = syscall(SYS_umask, 022);
        return 0;
}

/*
 * openat with every argument register loaded by hand and read back after
 * the syscall instruction: the kernel restores what the redirect replaced.
 * The registers openat ignores (mode without O_CREAT, r8, r9) carry
 * recognisable values.
 */
static long run_regs(const Case *c) {
        const long in[6] = {
                AT_FDCWD,           (long) real(c->a),  (c->b ? O_RDWR : O_RDONLY) | O_CLOEXEC,
                0x7ead0000000001a4, 0x4141414141414141, 0x5151515151515151,
        };
        long rax = SYS_openat;

        memcpy(res->regs_in, in, sizeof(in));
        {
                /* No call between loading these and the syscall: a call could clobber them. */
                register long rdi asm("rdi") = in[0];
                register long rsi asm("rsi") = in[1];
                register long rdx asm("rdx") = in[2];
                register long r10 asm("r10") = in[3];
                register long r8 asm("r8") = in[4];
                register long r9 asm("r9") = in[5];

                asm volatile("syscall"
                             : "+a"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8), "+r"(r9)
                             :
                             : "rcx", "r11", "memory");
                res->regs_out[0] = rdi;
                res->regs_out[1] = rsi;
                res->regs_out[2] = rdx;
                res->regs_out[3] = r10;
                res->regs_out[4] = r8;
                res->regs_out[5] = r9;
        }
        if (rax < 0)
                return rax;
        return fd_text(rax);
}

/* ------------------------------------------------------------------------ */
/* The cases.                                                                */

#define RUN(name_, rule_, run_, fix_, check_, a_, b_) \
        { \
                .name = (name_), .rule = (rule_), .run = (run_), .fixture = (fix_), .check = (check_), \
                .a = (a_), .b = (b_) \
        }

const Case cases[] = {
        /* open family */
        RUN("open(2), absolute path", "suffix", run_open, FIX_FILES, CHECK_TEXT, "open", NULL),
        RUN("creat(2), absolute path: the file appears in the sandbox", "suffix", run_creat, FIX_NONE,
            CHECK_CREAT, "creat", NULL),
        RUN("openat(2), absolute path", "suffix", run_openat, FIX_FILES, CHECK_TEXT, "openat", NULL),
        RUN("openat(2), path relative to the cwd", "suffix", run_openat_cwd, FIX_FILES, CHECK_TEXT,
            "openat-cwd", NULL),
        RUN("openat(2), path relative to a dirfd through sub/..", "suffix", run_openat_dfd, FIX_FILES,
            CHECK_TEXT, "openat-dfd", NULL),
        RUN("openat2(2), absolute path", "suffix", run_openat2, FIX_FILES, CHECK_TEXT, "openat2", NULL),
        RUN("openat2(2), path relative to a dirfd", "suffix", run_openat2_dfd, FIX_FILES, CHECK_TEXT,
            "openat2-dfd", NULL),
        RUN("openat(2), exact rule with a fixed target", "exact", run_openat, FIX_FILES, CHECK_TEXT, "exact",
            "exact-target"),
        RUN("openat(2), rule without a path condition (on args): \"to\" replaces the path argument",
            "by-args", run_openat_by_args, FIX_SANDBOX_ONLY, CHECK_TEXT, "by-args", NULL),
        RUN("openat(2), {path} template", "path-template", run_openat, FIX_TEMPLATE, CHECK_TEXT, "tpl/f",
            NULL),
        RUN("openat(2), {suffix} template with a nested suffix", "suffix", run_openat, FIX_FILES, CHECK_TEXT,
            "deep/a/b/c", NULL),
        /* stat family */
        RUN("stat(2), absolute path", "suffix", run_stat, FIX_FILES, CHECK_INO, "stat", NULL),
        RUN("stat(2), path relative to the cwd", "suffix", run_stat_cwd, FIX_FILES, CHECK_INO, "stat-cwd",
            NULL),
        RUN("lstat(2) of a symlink, absolute path", "suffix", run_lstat, FIX_SYMLINKS, CHECK_INO, "lstat",
            NULL),
        RUN("newfstatat(2), absolute path", "suffix", run_newfstatat, FIX_FILES, CHECK_INO, "newfstatat",
            NULL),
        RUN("newfstatat(2), path relative to the cwd", "suffix", run_newfstatat_cwd, FIX_FILES, CHECK_INO,
            "newfstatat-cwd", NULL),
        RUN("newfstatat(2), path relative to a dirfd, AT_SYMLINK_NOFOLLOW", "suffix", run_newfstatat_dfd,
            FIX_SYMLINKS, CHECK_INO, "newfstatat-dfd", NULL),
        RUN("statx(2), absolute path", "suffix", run_statx, FIX_FILES, CHECK_INO, "statx", NULL),
        RUN("statx(2), path relative to a dirfd", "suffix", run_statx_dfd, FIX_FILES, CHECK_INO, "statx-dfd",
            NULL),
        /* access family: the real path does not exist */
        RUN("access(2), absolute path", "suffix", run_access, FIX_SANDBOX_ONLY, CHECK_ZERO, "access", NULL),
        RUN("access(2), path relative to the cwd", "suffix", run_access_cwd, FIX_SANDBOX_ONLY, CHECK_ZERO,
            "access-cwd", NULL),
        RUN("faccessat(2), path relative to a dirfd", "suffix", run_faccessat_dfd, FIX_SANDBOX_ONLY,
            CHECK_ZERO, "faccessat-dfd", NULL),
        RUN("faccessat(2), path relative to the cwd", "suffix", run_faccessat_cwd, FIX_SANDBOX_ONLY,
            CHECK_ZERO, "faccessat-cwd", NULL),
        RUN("faccessat2(2) X_OK with AT_EACCESS, absolute path", "suffix", run_faccessat2, FIX_SANDBOX_ONLY,
            CHECK_ZERO, "faccessat2", NULL),
        /* readlink */
        RUN("readlink(2), absolute path", "suffix", run_readlink, FIX_SYMLINKS, CHECK_READLINK, "readlink",
            NULL),
        RUN("readlinkat(2), path relative to a dirfd", "suffix", run_readlinkat_dfd, FIX_SYMLINKS,
            CHECK_READLINK, "readlinkat-dfd", NULL),
        /* exec */
        RUN("execve(2), absolute path: the sandbox's program runs", "suffix", run_execve, FIX_PROG,
            CHECK_EXEC, "prog-execve", NULL),
        RUN("execveat(2), path relative to a dirfd: the sandbox's program runs", "suffix", run_execveat_dfd,
            FIX_PROG, CHECK_EXEC, "prog-execveat", NULL),
        /* mkdir */
        RUN("mkdir(2), absolute path", "suffix", run_mkdir, FIX_NONE, CHECK_MKDIR, "mkdir", NULL),
        RUN("mkdirat(2), path relative to a dirfd", "suffix", run_mkdirat_dfd, FIX_NONE, CHECK_MKDIR,
            "mkdirat-dfd", NULL),
        /* unlink, rmdir */
        RUN("unlink(2), absolute path", "suffix", run_unlink, FIX_FILES, CHECK_GONE, "unlink", NULL),
        RUN("unlinkat(2), path relative to a dirfd", "suffix", run_unlinkat_dfd, FIX_FILES, CHECK_GONE,
            "unlinkat-dfd", NULL),
        RUN("unlinkat(2) AT_REMOVEDIR, path relative to a dirfd", "suffix", run_unlinkat_rmdir, FIX_DIRS,
            CHECK_GONE, "unlinkat-rmdir", NULL),
        RUN("rmdir(2), absolute path", "suffix", run_rmdir, FIX_DIRS, CHECK_GONE, "rmdir", NULL),
        /* rename: both paths */
        RUN("rename(2), both paths redirected", "suffix", run_rename, FIX_FILES, CHECK_RENAMED, "rename-a",
            "rename-b"),
        RUN("renameat(2), both paths relative to dirfds", "suffix", run_renameat_dfd, FIX_FILES,
            CHECK_RENAMED, "renameat-a", "renameat-b"),
        RUN("renameat2(2) RENAME_NOREPLACE, both paths redirected", "suffix", run_renameat2, FIX_FILES,
            CHECK_RENAMED, "renameat2-a", "renameat2-b"),
        RUN("renameat2(2), only the new path matches: only it is redirected", "suffix",
            run_renameat2_only_new, FIX_OUTSIDE, CHECK_ONLY_NEW, "only-new-a", "only-new-b"),
        /* link: both paths */
        RUN("link(2), both paths redirected", "suffix", run_link, FIX_FILES, CHECK_LINKED, "link-a",
            "link-b"),
        RUN("linkat(2), both paths relative to dirfds", "suffix", run_linkat_dfd, FIX_FILES, CHECK_LINKED,
            "linkat-a", "linkat-b"),
        /* symlink: the link path is redirected, its text is not a path */
        RUN("symlink(2): the link lands in the sandbox, its text untouched", "suffix", run_symlink, FIX_NONE,
            CHECK_SYMLINK, "symlink", "symlink-text"),
        RUN("symlinkat(2), link path relative to a dirfd", "suffix", run_symlinkat_dfd, FIX_NONE,
            CHECK_SYMLINK, "symlinkat-dfd", "symlinkat-text"),
        /* chmod */
        RUN("chmod(2), absolute path", "suffix", run_chmod, FIX_FILES, CHECK_MODE, "chmod", NULL),
        RUN("fchmodat(2), path relative to a dirfd", "suffix", run_fchmodat_dfd, FIX_FILES, CHECK_MODE,
            "fchmodat-dfd", NULL),
        RUN("fchmodat2(2), absolute path", "suffix", run_fchmodat2, FIX_FILES, CHECK_MODE, "fchmodat2",
            NULL),
        /* chown */
        RUN("chown(2), absolute path", "suffix", run_chown, FIX_FILES, CHECK_OWNER, "chown", NULL),
        RUN("fchownat(2), path relative to a dirfd", "suffix", run_fchownat_dfd, FIX_FILES, CHECK_OWNER,
            "fchownat-dfd", NULL),
        RUN("lchown(2) of a symlink, absolute path", "suffix", run_lchown, FIX_SYMLINKS, CHECK_OWNER,
            "lchown", NULL),
        /* truncate */
        RUN("truncate(2), absolute path", "suffix", run_truncate, FIX_FILES, CHECK_SIZE, "truncate", NULL),
        /* set */
        RUN("set: openat(2) O_RDWR is opened read-only (write fails with EBADF)", "set-only", run_open_rdwr,
            FIX_FILES, CHECK_SET, "ro", NULL),
        RUN("to and set in one answer: sandbox file, opened read-only", "to-and-set", run_open_rdwr,
            FIX_FILES, CHECK_SET, "both", "both"),
        RUN("set on a pathless syscall: umask(0777) becomes umask(027)", "umask-set", run_umask, FIX_NONE,
            CHECK_UMASK, NULL, NULL),
        /* registers */
        RUN("registers: all six restored after a path redirect of openat(2)", "suffix", run_regs, FIX_FILES,
            CHECK_REGS, "regs", NULL),
        RUN("registers: all six restored after a set redirect of openat(2) flags", "set-only", run_regs,
            FIX_FILES, CHECK_REGS, "ro-regs", "set"),
        /* the daemon's view */
        RUN("status --json: the container's redirect is \"supported\" (control socket and "
            "seccomp-redirectctl)",
            "suffix", run_openat, FIX_FILES, CHECK_STATUS, "status", NULL),
        RUN("daemon log: no redirectFallback over the whole run, daemon still running", NULL, NULL, FIX_NONE,
            CHECK_LOG, NULL, NULL),
};

const size_t n_cases = ELEMENTSOF(cases);

#endif /* __x86_64__ */
