/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "macro.h"
#include "reopen.h"

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif

#define CAP_BIT(n) (UINT64_C(1) << (n))
#define CAP_DAC_OVERRIDE_BIT CAP_BIT(1)
#define CAP_DAC_READ_SEARCH_BIT CAP_BIT(2)
#define CAP_FOWNER_BIT CAP_BIT(3)

#define MAY_WRITE_BIT 2u
#define MAY_READ_BIT 4u

int reopen_call_of(int nr, const uint64_t args[6], const ProcmemOpenHow *how, ReopenCall *ret) {
        if (!args || !ret)
                return -EINVAL;
        switch (nr) {
#ifdef SYS_open
        case SYS_open:
                *ret = (ReopenCall){.flags = (uint32_t) args[1], .mode = args[2]};
                return 0;
#endif
#ifdef SYS_creat
        case SYS_creat:
                *ret = (ReopenCall){.flags = O_CREAT | O_WRONLY | O_TRUNC, .mode = args[1]};
                return 0;
#endif
        case SYS_openat:
                *ret = (ReopenCall){.flags = (uint32_t) args[2], .mode = args[3]};
                return 0;
        case SYS_openat2:
                if (!how)
                        return -EINVAL;
                *ret = (ReopenCall){.flags = how->flags, .mode = how->mode, .openat2 = true};
                return 0;
        default:
                return -EOPNOTSUPP;
        }
}

/* id inside a uid_map or gid_map as read from our namespace: its second column is ours. */
static bool id_mapped(pid_t pid, const char *map, uint32_t id) {
        _cleanup_(fclosep) FILE *f = NULL;
        char p[64];
        uint32_t inside, outside, count;

        (void) snprintf(p, sizeof(p), "/proc/%d/%s", (int) pid, map);
        f = fopen(p, "re");
        if (!f)
                return false;
        while (fscanf(f, "%" SCNu32 " %" SCNu32 " %" SCNu32, &inside, &outside, &count) == 3)
                if (id >= outside && id - outside < count)
                        return true;
        return false;
}

static bool same_user_ns(pid_t pid) {
        struct stat a, b;
        char p[64];

        (void) snprintf(p, sizeof(p), "/proc/%d/ns/user", (int) pid);
        return stat(p, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 && a.st_dev == b.st_dev &&
               a.st_ino == b.st_ino;
}

static bool groups_contain(const char *list, gid_t gid) {
        const char *p = list;

        for (;;) {
                char *end;
                unsigned long g;

                while (*p == ' ' || *p == '\t')
                        p++;
                if (*p < '0' || *p > '9')
                        return false;
                errno = 0;
                g = strtoul(p, &end, 10);
                if (errno != 0 || end == p)
                        return false;
                if (g == (unsigned long) gid)
                        return true;
                p = end;
        }
}

int reopen_task_creds(pid_t pid, const struct stat *st, ReopenCreds *ret) {
        _cleanup_(fclosep) FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        char p[64];
        unsigned seen = 0;

        if (pid <= 0 || !st || !ret)
                return -EINVAL;
        *ret = (ReopenCreds){};
        (void) snprintf(p, sizeof(p), "/proc/%d/status", (int) pid);
        f = fopen(p, "re");
        if (!f)
                return errno == ENOENT ? -ESRCH : negative_errno();
        /* Lines can be long (Groups: holds up to 65536 ids). */
        while (getline(&line, &cap, f) > 0) {
                unsigned long a, b, c, d;
                uint64_t caps;

                if (sscanf(line, "Uid: %lu %lu %lu %lu", &a, &b, &c, &d) == 4) {
                        ret->fsuid = (uid_t) d;
                        seen |= 1;
                } else if (sscanf(line, "Gid: %lu %lu %lu %lu", &a, &b, &c, &d) == 4) {
                        ret->fsgid = (gid_t) d;
                        seen |= 2;
                } else if (strncmp(line, "Groups:", 7) == 0) {
                        ret->in_groups = groups_contain(line + 7, st->st_gid);
                        seen |= 4;
                } else if (sscanf(line, "CapEff: %" SCNx64, &caps) == 1) {
                        ret->cap_eff = caps;
                        seen |= 8;
                }
        }
        if (seen != 15)
                /* A task on its way out, or a status we cannot read as we must. */
                return -ESRCH;
        ret->caps_count = same_user_ns(pid) ||
                          (id_mapped(pid, "uid_map", (uint32_t) st->st_uid) &&
                           id_mapped(pid, "gid_map", (uint32_t) st->st_gid));
        return 0;
}

static bool has_cap(const ReopenCreds *c, uint64_t bit) {
        return c->caps_count && (c->cap_eff & bit);
}

int reopen_may_open(const ReopenCreds *c, const struct stat *st, bool has_acl, uint64_t flags) {
        unsigned mask, perm = st->st_mode;

        if (flags & O_PATH)
                /* No access to the object's contents: nothing to check. */
                return 0;
        switch (flags & O_ACCMODE) {
        case O_RDONLY:
                mask = MAY_READ_BIT;
                break;
        case O_WRONLY:
                mask = MAY_WRITE_BIT;
                break;
        default: /* O_RDWR, and 3 (ioctl only), which wants both */
                mask = MAY_READ_BIT | MAY_WRITE_BIT;
                break;
        }
        if ((flags & O_TRUNC) && !S_ISFIFO(st->st_mode) && !S_ISSOCK(st->st_mode))
                mask |= MAY_WRITE_BIT;

        if (c->fsuid == st->st_uid)
                perm >>= 6;
        else if (has_acl)
                /* The ACL decides for everyone but the owner, and it can
                 * give less than the mode's group bits show: nothing. */
                perm = 0;
        else if (c->fsgid == st->st_gid || c->in_groups)
                perm >>= 3;

        if ((mask & ~perm & 7u) != 0 && !has_cap(c, CAP_DAC_OVERRIDE_BIT) &&
            !(mask == MAY_READ_BIT && has_cap(c, CAP_DAC_READ_SEARCH_BIT)))
                return -EACCES;
        if ((flags & O_NOATIME) && c->fsuid != st->st_uid && !has_cap(c, CAP_FOWNER_BIT))
                return -EPERM;
        return 0;
}

/*
 * The file systems whose objects are opened for the task: those with no
 * paths (pipes, sockets, anonymous inodes) and the memory ones behind
 * memfd_create(). None of them blocks an open on a peer (a FIFO does, a
 * FUSE server may), which would stall a worker of the daemon.
 */
enum { FS_OTHER, FS_NO_PATHS, FS_MEMORY };

static int internal_fs(int object, const struct stat *st) {
        struct statfs sfs;

        if (fstatfs(object, &sfs) < 0)
                return FS_OTHER;
        switch ((unsigned long) sfs.f_type) {
        case PIPEFS_MAGIC:
        case SOCKFS_MAGIC:
        case ANON_INODE_FS_MAGIC:
                return FS_NO_PATHS;
        case TMPFS_MAGIC:
        case HUGETLBFS_MAGIC:
                /* memfds, and removed files of a tmpfs (told apart below). */
                return S_ISREG(st->st_mode) ? FS_MEMORY : FS_OTHER;
        default:
                return FS_OTHER;
        }
}

/* The object is on a mount the task sees: a file system with paths, where an
 * LSM or Landlock may judge the open by where the file is. */
static int on_visible_mount(pid_t pid, int object) {
        _cleanup_(fclosep) FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        struct statx stx = {};
        size_t cap = 0;
        char p[64];

        if (statx(object, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0)
                return negative_errno();
        if (!(stx.stx_mask & STATX_MNT_ID))
                return -EOPNOTSUPP;
        (void) snprintf(p, sizeof(p), "/proc/%d/mountinfo", (int) pid);
        f = fopen(p, "re");
        if (!f)
                return errno == ENOENT ? -ESRCH : negative_errno();
        while (getline(&line, &cap, f) > 0) {
                unsigned long long id;

                if (sscanf(line, "%llu", &id) == 1 && id == stx.stx_mnt_id)
                        return 1;
        }
        return 0;
}

static bool object_has_acl(int object) {
        char p[64];

        (void) snprintf(p, sizeof(p), "/proc/self/fd/%d", object);
        return getxattr(p, "system.posix_acl_access", NULL, 0) >= 0 || errno == ERANGE;
}

int reopen_for_task(pid_t pid, int object, const ReopenCall *call, int *ret_fd, const char **ret_why) {
        const char *why_unused;
        const char **why = ret_why ?: &why_unused;
        ReopenCreds creds;
        struct stat st;
        char p[64];
        uint64_t flags;
        long fd;
        int r, fs;

        if (pid <= 0 || object < 0 || !call || !ret_fd)
                return -EINVAL;
        *ret_fd = -EBADF;
        *why = NULL;
        /* The walk that found the object already applied O_NOFOLLOW and the
         * RESOLVE_* scoping; what is left is the object itself. */
        flags = (call->flags & ~(uint64_t) O_NOFOLLOW) | O_CLOEXEC;

        if (fstat(object, &st) < 0)
                return negative_errno();
        if (!(flags & O_PATH)) {
                if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
                        *why = "a device node without a name is not opened for the task (its device cgroup "
                               "is not the daemon's)";
                        return -EACCES;
                }
                fs = internal_fs(object, &st);
                if (fs == FS_OTHER) {
                        *why = "an object without a name is opened for the task only on pipe, socket, "
                               "anonymous inode and memfd file systems";
                        return -EACCES;
                }
                /* Pipes, sockets and anonymous inodes are on no mount at all. */
                r = fs == FS_MEMORY ? on_visible_mount(pid, object) : 0;
                if (r < 0) {
                        *why = "cannot tell which mount the object without a name is on";
                        return r == -ESRCH ? r : -EACCES;
                }
                if (r > 0) {
                        *why = "an object without a name on a mount the task sees is not opened for it (an "
                               "LSM may judge that open by its path)";
                        return -EACCES;
                }
                r = reopen_task_creds(pid, &st, &creds);
                if (r < 0)
                        return r;
                r = reopen_may_open(&creds, &st, object_has_acl(object), flags);
                /* A directory opened for writing: the kernel's EISDIR first. */
                if (r < 0 && !(S_ISDIR(st.st_mode) && (flags & O_ACCMODE) != O_RDONLY))
                        return r;
        }

        (void) snprintf(p, sizeof(p), "/proc/self/fd/%d", object);
        if (call->openat2) {
                struct open_how how = {.flags = flags, .mode = call->mode};

                fd = syscall(SYS_openat2, AT_FDCWD, p, &how, sizeof(how));
        } else
                fd = syscall(SYS_openat, AT_FDCWD, p, (int) (uint32_t) flags, (mode_t) call->mode);
        if (fd < 0)
                return negative_errno();
        *ret_fd = (int) fd;
        return 0;
}
