/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * An open the daemon performs for the task, on the very object the check
 * saw. An open whose path reaches an object without a name (a pipe behind
 * /dev/stdout, a removed file behind /proc/self/fd/N) cannot be pinned by
 * name: the only bytes that lead there are the magic link as written, and
 * another thread can put a different file at that fd number between the
 * check and the kernel's walk. So the daemon opens the object it resolved
 * (an O_PATH fd the walk kept) with the call's flags and hands the result
 * to the task as the call's return value (SECCOMP_IOCTL_NOTIF_ADDFD with
 * SECCOMP_ADDFD_FLAG_SEND).
 *
 * The daemon's own credentials must not widen what the task may do, so
 * the open is refused unless the task's would succeed as far as the file
 * mode, owner and the task's DAC capabilities decide (as the kernel's
 * generic_permission(), capabilities counted only where the kernel counts
 * them: the inode's owner and group mapped in the task's user namespace).
 * What the daemon cannot judge for the task is refused, never opened:
 *  - an object with a POSIX ACL, unless the task owns it or has the
 *    capability (the ACL may give less than the mode shows);
 *  - a device node (the task's device cgroup is not ours);
 *  - an object on a mount the task can see (a removed file of a real file
 *    system), where an LSM or Landlock may decide on its path: only
 *    kernel-internal mounts (pipes, sockets, memfds) are opened.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "procmem.h"

typedef struct ReopenCall {
        uint64_t flags; /* open(2)'s flags, or open_how.flags */
        uint64_t mode;
        bool openat2; /* validated as openat2 validates (EINVAL for unknown bits) */
} ReopenCall;

/* The open of native syscall nr with args (how: openat2's, as read). -EOPNOTSUPP: not an open. */
int reopen_call_of(int nr, const uint64_t args[6], const ProcmemOpenHow *how, ReopenCall *ret);

/* What the kernel's permission check needs of the task, for one inode. */
typedef struct ReopenCreds {
        uid_t fsuid;
        gid_t fsgid;
        bool in_groups; /* the inode's group is one of the task's supplementary groups */
        uint64_t cap_eff;
        bool caps_count; /* the inode's owner and group are mapped in the task's user namespace */
} ReopenCreds;

/* The task's credentials for an inode with st (/proc/PID/status, uid_map, gid_map). */
int reopen_task_creds(pid_t pid, const struct stat *st, ReopenCreds *ret);

/*
 * 0 when the task may open an object with st for flags; -EACCES or -EPERM
 * (O_NOATIME) as the kernel says. has_acl: the object carries a POSIX ACL.
 */
int reopen_may_open(const ReopenCreds *c, const struct stat *st, bool has_acl, uint64_t flags);

/*
 * Open object (an O_PATH fd) for task pid as call would: *ret_fd is ours,
 * close-on-exec, for ADDFD. Returns 0 or the errno the task gets (the
 * kernel's own for the open, EACCES where the task may not or where the
 * daemon cannot judge). *ret_why, on a refusal the kernel would not make,
 * says why.
 */
int reopen_for_task(pid_t pid, int object, const ReopenCall *call, int *ret_fd, const char **ret_why);
