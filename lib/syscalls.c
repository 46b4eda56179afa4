/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Which arguments of which syscall are paths.
 *
 * The table is indexed by the native syscall number, so srd_syscall_info() is
 * one bounds check and one load: the matcher and the listener ask for every
 * notification. Numbers come from <sys/syscall.h> of the build target (the
 * native architecture); each entry is guarded with #ifdef so that an
 * architecture without, say, open(2) simply has no entry for it.
 *
 * Per path argument the table records the pointer argument, the dirfd a
 * relative path is resolved against (-1: the task's cwd) and the argument
 * holding AT_* flags when the syscall accepts AT_EMPTY_PATH for that path
 * (then an empty path names the dirfd itself). Flags arguments that never
 * carry AT_EMPTY_PATH (unlinkat's AT_REMOVEDIR, renameat2's RENAME_*) are
 * left out on purpose: they do not change what the path refers to.
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "macro.h"
#include "seccomp-redirect.h"

/* Newer than some C libraries' headers, but the number is fixed ABI. */
#if defined(__x86_64__) && !defined(__ILP32__) && !defined(SYS_fchmodat2)
#define SYS_fchmodat2 452
#endif

/* One path argument: pointer arg, dirfd arg (-1 = cwd), AT_* flags arg (-1 = none);
 * a final symbolic link is followed. */
#define P(a, d, f) { .arg = (a), .dirfd_arg = (d), .flags_arg = (f), .how_arg = -1 }
/* The same, with the last component treated as SRD_FINAL_<mode>. */
#define PF(a, d, f, mode) \
        { .arg = (a), .dirfd_arg = (d), .flags_arg = (f), .how_arg = -1, .final = SRD_FINAL_##mode }
/* The same, changed by a flag (SRD_FINAL_BY_<by>) of argument farg. */
#define PB(a, d, f, mode, by, farg) \
        { .arg = (a), .dirfd_arg = (d), .flags_arg = (f), .how_arg = -1, .final = SRD_FINAL_##mode, \
          .final_by = SRD_FINAL_BY_##by, .final_arg = (farg) }
/* A path that may be NULL, and then means the dirfd itself. */
#define P_NULL(a, d, f, by, farg) \
        { .arg = (a), .dirfd_arg = (d), .flags_arg = (f), .how_arg = -1, .null_is_dirfd = 1, \
          .final_by = SRD_FINAL_BY_##by, .final_arg = (farg) }
/* openat2: its RESOLVE_* flags (in struct open_how) change where the path leads,
 * its open flags what happens at the end. */
#define P_HOW(a, d, h) \
        { .arg = (a), .dirfd_arg = (d), .flags_arg = -1, .how_arg = (h), .final_by = SRD_FINAL_BY_OPEN_FLAGS, \
          .final_arg = -1 }
#define ONE(n, p0) [SYS_##n] = { .name = #n, .nr = SYS_##n, .n_paths = 1, .paths = { p0 } }
#define TWO(n, p0, p1) [SYS_##n] = { .name = #n, .nr = SYS_##n, .n_paths = 2, .paths = { p0, p1 } }

static const SrdSyscallInfo syscall_table[] = {
        /* open */
#ifdef SYS_open
        ONE(open, PB(0, -1, -1, FOLLOW, OPEN_FLAGS, 1)),
#endif
#ifdef SYS_creat
        ONE(creat, PF(0, -1, -1, CREATE)),
#endif
#ifdef SYS_openat
        ONE(openat, PB(1, 0, -1, FOLLOW, OPEN_FLAGS, 2)),
#endif
#ifdef SYS_openat2
        ONE(openat2, P_HOW(1, 0, 2)),
#endif
        /* stat */
#ifdef SYS_stat
        ONE(stat, P(0, -1, -1)),
#endif
#ifdef SYS_lstat
        ONE(lstat, PF(0, -1, -1, NOFOLLOW)),
#endif
#ifdef SYS_newfstatat
        ONE(newfstatat, PB(1, 0, 3, FOLLOW, AT_NOFOLLOW, 3)),
#endif
#ifdef SYS_fstatat64
        ONE(fstatat64, PB(1, 0, 3, FOLLOW, AT_NOFOLLOW, 3)),
#endif
#ifdef SYS_statx
        ONE(statx, PB(1, 0, 2, FOLLOW, AT_NOFOLLOW, 2)),
#endif
#ifdef SYS_statfs
        ONE(statfs, P(0, -1, -1)),
#endif
        /* access */
#ifdef SYS_access
        ONE(access, P(0, -1, -1)),
#endif
#ifdef SYS_faccessat
        ONE(faccessat, P(1, 0, -1)), /* the syscall has no flags argument; libc emulates them */
#endif
#ifdef SYS_faccessat2
        ONE(faccessat2, PB(1, 0, 3, FOLLOW, AT_NOFOLLOW, 3)),
#endif
        /* exec */
#ifdef SYS_execve
        ONE(execve, P(0, -1, -1)),
#endif
#ifdef SYS_execveat
        ONE(execveat, PB(1, 0, 4, FOLLOW, AT_NOFOLLOW, 4)),
#endif
        /* readlink */
#ifdef SYS_readlink
        ONE(readlink, PF(0, -1, -1, NOFOLLOW)),
#endif
#ifdef SYS_readlinkat
        ONE(readlinkat, PF(1, 0, -1, NOFOLLOW)),
#endif
        /* mkdir, mknod */
#ifdef SYS_mkdir
        ONE(mkdir, PF(0, -1, -1, PARENT)),
#endif
#ifdef SYS_mkdirat
        ONE(mkdirat, PF(1, 0, -1, PARENT)),
#endif
#ifdef SYS_mknod
        ONE(mknod, PF(0, -1, -1, PARENT)),
#endif
#ifdef SYS_mknodat
        ONE(mknodat, PF(1, 0, -1, PARENT)),
#endif
        /* unlink */
#ifdef SYS_unlink
        ONE(unlink, PF(0, -1, -1, NOFOLLOW)),
#endif
#ifdef SYS_unlinkat
        ONE(unlinkat, PF(1, 0, -1, NOFOLLOW)),
#endif
#ifdef SYS_rmdir
        ONE(rmdir, PF(0, -1, -1, NOFOLLOW)),
#endif
        /* rename: old and new path */
#ifdef SYS_rename
        TWO(rename, PF(0, -1, -1, NOFOLLOW), PF(1, -1, -1, PARENT)),
#endif
#ifdef SYS_renameat
        TWO(renameat, PF(1, 0, -1, NOFOLLOW), PF(3, 2, -1, PARENT)),
#endif
#ifdef SYS_renameat2
        TWO(renameat2, PF(1, 0, -1, NOFOLLOW), PF(3, 2, -1, PARENT)),
#endif
        /* link: AT_EMPTY_PATH applies to the old path only */
#ifdef SYS_link
        TWO(link, PF(0, -1, -1, NOFOLLOW), PF(1, -1, -1, PARENT)),
#endif
#ifdef SYS_linkat
        TWO(linkat, PB(1, 0, 4, FOLLOW, AT_FOLLOW, 4), PF(3, 2, -1, PARENT)),
#endif
        /* symlink: the target is the link's content, not a path looked up now */
#ifdef SYS_symlink
        ONE(symlink, PF(1, -1, -1, PARENT)),
#endif
#ifdef SYS_symlinkat
        ONE(symlinkat, PF(2, 1, -1, PARENT)),
#endif
        /* chmod */
#ifdef SYS_chmod
        ONE(chmod, P(0, -1, -1)),
#endif
#ifdef SYS_fchmodat
        ONE(fchmodat, P(1, 0, -1)),
#endif
#ifdef SYS_fchmodat2
        ONE(fchmodat2, PB(1, 0, 3, FOLLOW, AT_NOFOLLOW, 3)),
#endif
        /* chown */
#ifdef SYS_chown
        ONE(chown, P(0, -1, -1)),
#endif
#ifdef SYS_lchown
        ONE(lchown, PF(0, -1, -1, NOFOLLOW)),
#endif
#ifdef SYS_fchownat
        ONE(fchownat, PB(1, 0, 4, FOLLOW, AT_NOFOLLOW, 4)),
#endif
        /* truncate */
#ifdef SYS_truncate
        ONE(truncate, P(0, -1, -1)),
#endif
        /* directories */
#ifdef SYS_chdir
        ONE(chdir, P(0, -1, -1)),
#endif
#ifdef SYS_chroot
        ONE(chroot, P(0, -1, -1)),
#endif
        /* times; utimensat also accepts a NULL path (futimens(3)): then it
         * acts on the dirfd */
#ifdef SYS_utimensat
        ONE(utimensat, P_NULL(1, 0, 3, AT_NOFOLLOW, 3)),
#endif
#ifdef SYS_utimes
        ONE(utimes, P(0, -1, -1)),
#endif
#ifdef SYS_utime
        ONE(utime, P(0, -1, -1)),
#endif
#ifdef SYS_futimesat
        ONE(futimesat, P(1, 0, -1)),
#endif
        /* extended attributes */
#ifdef SYS_getxattr
        ONE(getxattr, P(0, -1, -1)),
#endif
#ifdef SYS_lgetxattr
        ONE(lgetxattr, PF(0, -1, -1, NOFOLLOW)),
#endif
#ifdef SYS_setxattr
        ONE(setxattr, P(0, -1, -1)),
#endif
#ifdef SYS_lsetxattr
        ONE(lsetxattr, PF(0, -1, -1, NOFOLLOW)),
#endif
#ifdef SYS_listxattr
        ONE(listxattr, P(0, -1, -1)),
#endif
#ifdef SYS_llistxattr
        ONE(llistxattr, PF(0, -1, -1, NOFOLLOW)),
#endif
#ifdef SYS_removexattr
        ONE(removexattr, P(0, -1, -1)),
#endif
#ifdef SYS_lremovexattr
        ONE(lremovexattr, PF(0, -1, -1, NOFOLLOW)),
#endif
        /* file handles, notification */
#ifdef SYS_name_to_handle_at
        ONE(name_to_handle_at, PB(1, 0, 4, FOLLOW, AT_FOLLOW, 4)),
#endif
#ifdef SYS_inotify_add_watch
        ONE(inotify_add_watch, PB(1, -1, -1, FOLLOW, INOTIFY, 2)),
#endif
#ifdef SYS_fanotify_mark
        ONE(fanotify_mark, P_NULL(4, 3, -1, FANOTIFY, 1)), /* the path may be NULL: then dirfd itself */
#endif
        /* mounts; mount's source is only sometimes a path ("proc", "none"), the target always */
#ifdef SYS_mount
        ONE(mount, P(1, -1, -1)),
#endif
#ifdef SYS_umount2
        ONE(umount2, PB(0, -1, -1, FOLLOW, UMOUNT, 1)),
#endif
#ifdef SYS_pivot_root
        TWO(pivot_root, P(0, -1, -1), P(1, -1, -1)),
#endif
#ifdef SYS_open_tree
        ONE(open_tree, PB(1, 0, 2, FOLLOW, AT_NOFOLLOW, 2)),
#endif
#ifdef SYS_mount_setattr
        ONE(mount_setattr, PB(1, 0, 2, FOLLOW, AT_NOFOLLOW, 2)),
#endif
        /* MOVE_MOUNT_*_EMPTY_PATH and FSPICK_EMPTY_PATH are not AT_EMPTY_PATH */
#ifdef SYS_move_mount
        TWO(move_mount, PB(1, 0, -1, FOLLOW, MOVE_FROM, 4), PB(3, 2, -1, FOLLOW, MOVE_TO, 4)),
#endif
#ifdef SYS_fspick
        ONE(fspick, PB(1, 0, -1, FOLLOW, FSPICK, 2)),
#endif
        /* files the kernel opens on the caller's behalf */
#ifdef SYS_swapon
        ONE(swapon, P(0, -1, -1)),
#endif
#ifdef SYS_swapoff
        ONE(swapoff, P(0, -1, -1)),
#endif
#ifdef SYS_acct
        ONE(acct, P(0, -1, -1)),
#endif
};

_public_ const SrdSyscallInfo *srd_syscall_info(int nr) {
        if (nr < 0 || (size_t) nr >= ELEMENTSOF(syscall_table))
                return NULL;
        if (!syscall_table[nr].name)
                return NULL;
        return &syscall_table[nr];
}

/* Flag values from <fcntl.h>, <linux/mount.h>, <sys/inotify.h> and
 * <linux/fanotify.h>; fixed ABI, spelled out so that this file needs none
 * of those headers' conflicting definitions. */
#define F_AT_SYMLINK_NOFOLLOW 0x100
#define F_AT_SYMLINK_FOLLOW 0x400
#define F_UMOUNT_NOFOLLOW 0x8
#define F_IN_DONT_FOLLOW 0x02000000
#define F_FAN_MARK_DONT_FOLLOW 0x4
#define F_MOVE_MOUNT_F_SYMLINKS 0x1
#define F_MOVE_MOUNT_T_SYMLINKS 0x10
#define F_FSPICK_SYMLINK_NOFOLLOW 0x2

static int open_final(uint64_t flags) {
        if ((flags & O_CREAT) && (flags & (O_EXCL | O_NOFOLLOW)))
                /* A new name, or an existing one that must not be a link
                 * (which the kernel then fails with EEXIST or ELOOP). */
                return SRD_FINAL_PARENT;
        if (flags & O_CREAT)
                /* A dangling final link is followed and its target created. */
                return SRD_FINAL_CREATE;
        if (flags & O_NOFOLLOW)
                return SRD_FINAL_NOFOLLOW;
        return SRD_FINAL_FOLLOW;
}

_public_ int srd_path_arg_final(const SrdPathArg *pa, const uint64_t args[SRD_ARGS], uint64_t open_flags) {
        uint64_t f;

        if (!pa || !args)
                return -EINVAL;
        if (pa->final_by == SRD_FINAL_BY_NONE)
                return pa->final;
        if (pa->final_arg >= 0 && pa->final_arg < SRD_ARGS)
                f = args[pa->final_arg];
        else if (pa->final_by == SRD_FINAL_BY_OPEN_FLAGS)
                f = open_flags; /* openat2: inside its struct open_how */
        else
                return pa->final;

        switch (pa->final_by) {
        case SRD_FINAL_BY_AT_NOFOLLOW:
                return f & F_AT_SYMLINK_NOFOLLOW ? SRD_FINAL_NOFOLLOW : pa->final;
        case SRD_FINAL_BY_AT_FOLLOW:
                return f & F_AT_SYMLINK_FOLLOW ? SRD_FINAL_FOLLOW : SRD_FINAL_NOFOLLOW;
        case SRD_FINAL_BY_OPEN_FLAGS:
                /* The kernel reads open(2)'s flags as an int. */
                return open_final(pa->final_arg >= 0 ? (uint32_t) f : f);
        case SRD_FINAL_BY_UMOUNT:
                return f & F_UMOUNT_NOFOLLOW ? SRD_FINAL_NOFOLLOW : pa->final;
        case SRD_FINAL_BY_INOTIFY:
                return f & F_IN_DONT_FOLLOW ? SRD_FINAL_NOFOLLOW : pa->final;
        case SRD_FINAL_BY_FANOTIFY:
                return f & F_FAN_MARK_DONT_FOLLOW ? SRD_FINAL_NOFOLLOW : pa->final;
        case SRD_FINAL_BY_MOVE_FROM:
                return f & F_MOVE_MOUNT_F_SYMLINKS ? SRD_FINAL_FOLLOW : SRD_FINAL_NOFOLLOW;
        case SRD_FINAL_BY_MOVE_TO:
                return f & F_MOVE_MOUNT_T_SYMLINKS ? SRD_FINAL_FOLLOW : SRD_FINAL_NOFOLLOW;
        case SRD_FINAL_BY_FSPICK:
                return f & F_FSPICK_SYMLINK_NOFOLLOW ? SRD_FINAL_NOFOLLOW : pa->final;
        default:
                return pa->final;
        }
}

/* Only when libseccomp does not know a name the table has (older libseccomp
 * than kernel headers, e.g. fchmodat2): a rule may still name it. */
static int table_resolve(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(syscall_table); i++)
                if (syscall_table[i].name && streq(syscall_table[i].name, name))
                        return syscall_table[i].nr;
        return -EINVAL;
}

_public_ int srd_syscall_resolve(const char *name) {
        int nr;

        if (!name || !*name)
                return -EINVAL;

        nr = seccomp_syscall_resolve_name(name);
        /* __NR_SCMP_ERROR, and the negative pseudo numbers libseccomp uses
         * for syscalls that do not exist on the native architecture. */
        if (nr < 0)
                return table_resolve(name);
        return nr;
}

/*
 * Names for numbers: libseccomp hands out malloc'd strings, the API promises
 * static storage, so every native number up to NAMES_MAX is resolved once
 * and copied into a static pool. Not kept on the heap: a clean exit frees
 * everything (valgrind counted 304 blocks still held), and a destructor
 * freeing them could race with a worker thread the daemon left behind.
 */
#define NAMES_MAX 1024
#define NAMES_POOL_SIZE (16 * 1024)
static const char *syscall_names[NAMES_MAX];
static char syscall_names_pool[NAMES_POOL_SIZE];
static pthread_once_t syscall_names_once = PTHREAD_ONCE_INIT;

static void syscall_names_init(void) {
        size_t used = 0;

        for (int nr = 0; nr < NAMES_MAX; nr++) {
                const SrdSyscallInfo *info = srd_syscall_info(nr);
                char *name;
                size_t n;

                if (info) {
                        syscall_names[nr] = info->name;
                        continue;
                }
                /* On allocation failure, or with the pool full (x86-64 has
                 * about 3 KiB of names), the name stays NULL, which callers
                 * already handle as "unknown". */
                name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
                if (!name)
                        continue;
                n = strlen(name) + 1;
                if (n <= sizeof(syscall_names_pool) - used) {
                        memcpy(syscall_names_pool + used, name, n);
                        syscall_names[nr] = syscall_names_pool + used;
                        used += n;
                }
                free(name);
        }
}

_public_ const char *srd_syscall_name(int nr) {
        if (nr < 0 || nr >= NAMES_MAX)
                return NULL;
        (void) pthread_once(&syscall_names_once, syscall_names_init);
        return syscall_names[nr];
}
