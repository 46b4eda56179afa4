/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The path the kernel will resolve: a task's path argument walked for that
 * task, from the daemon, the way the kernel's own path walk goes, so that a
 * rule can judge the file the syscall will really act on and not only the
 * name it was given.
 *
 * The walk holds file descriptors, never strings, for what it has passed:
 * it starts at the task's root (absolute paths) or at the object its cwd or
 * dirfd refers to (opened through /proc/PID/cwd and /proc/PID/fd/N, so a
 * directory deeper than PATH_MAX or one that was removed still works), and
 * takes one component at a time:
 *
 *  - "." stays, ".." goes up but never above the task's root (chroot);
 *  - a symbolic link is read and its body spliced in front of what is left,
 *    from the task's root when it is absolute; at most 40 links (ELOOP);
 *  - in procfs, "self" and "thread-self" at the top mean the task, not us,
 *    and the magic links below (/proc/N/{cwd,root,exe,fd/M}, reached also
 *    through /dev/fd) are followed to the object they stand for;
 *  - the final component as the syscall treats it (resolve_final below).
 *
 * Nothing is opened but with O_PATH, so the walk has no side effects in the
 * task's file system. The result is absolute in the task's view and names
 * no symbolic link: what a rule matches, and what a pinned answer sends.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum ResolveFinal {
        /* open, stat, chmod...: a final symbolic link is followed. */
        RESOLVE_FINAL_FOLLOW,
        /* O_NOFOLLOW, lstat, AT_SYMLINK_NOFOLLOW, unlink, rmdir, rename: the
         * final component itself, a link or not. */
        RESOLVE_FINAL_NOFOLLOW,
        /* O_CREAT without O_EXCL: followed like FOLLOW, and the object at
         * the end may be missing (it would be created there). */
        RESOLVE_FINAL_CREATE,
        /* mkdir, mknod, symlink, link's new name, O_CREAT|O_EXCL: the final
         * component may be missing and is never followed. */
        RESOLVE_FINAL_PARENT,
        _RESOLVE_FINAL_MAX,
        _RESOLVE_FINAL_INVALID = -22,
} ResolveFinal;

/* The kernel's limit on symbolic links in one walk. */
#define RESOLVE_MAX_LINKS 40

/*
 * Resolve path (as task pid passed it) relative to dirfd (AT_FDCWD: its
 * cwd; ignored for absolute paths) into ret (size bytes). flags are
 * openat2's RESOLVE_* (0 for every other syscall): RESOLVE_IN_ROOT and
 * RESOLVE_BENEATH scope the walk to dirfd, RESOLVE_NO_SYMLINKS and
 * RESOLVE_NO_MAGICLINKS refuse links, RESOLVE_NO_XDEV refuses mount
 * crossings, as the kernel does. An empty path means dirfd itself (the
 * caller checks AT_EMPTY_PATH first).
 *
 * Returns 0, or the errno the walk met. These are what the kernel would
 * give the task in the same state: -ENOENT, -ENOTDIR, -ELOOP, -EXDEV (a
 * scoped walk escaping), -EBADF (dirfd not open), -ENAMETOOLONG (a
 * component longer than NAME_MAX, a path of PATH_MAX or more). These say
 * that the walk cannot tell: -EREMOTE (an object with no name inside the
 * task's root: a magic link to a file outside it), -EOVERFLOW (a result
 * longer than size, or links expanding past what the walk holds), -EACCES,
 * -ESRCH (no such task).
 *
 * An object that exists but has no name at all (a pipe, a socket, a file
 * or directory that was removed, reached through a magic link or as the
 * dirfd) resolves to a string that does not start with '/': "pipe:[42]",
 * or RESOLVE_NAME_DELETED. No path rule can match those.
 */
#define RESOLVE_NAME_DELETED "(deleted)"

int resolve_task_path(pid_t pid, int dirfd, const char *path, ResolveFinal final, uint64_t flags, char *ret,
                      size_t size);

/*
 * The same, with the result named under names_root (a directory, in our
 * view) rather than under the task's own root: a container's root as it
 * was when it was handed over, so that a task that chroot()s further in
 * cannot make "/secret" of the jail look like the container's "/secret".
 * An object outside names_root has no name there: -EREMOTE. NULL: the
 * task's root, as resolve_task_path().
 */
int resolve_task_path_under(pid_t pid, const char *names_root, int dirfd, const char *path, ResolveFinal final,
                            uint64_t flags, char *ret, size_t size);

/*
 * The same; when the result names no object (unnamed, above), *ret_object
 * also gets an O_PATH fd of that very object (the caller closes it), and
 * is -EBADF otherwise.
 */
int resolve_task_object_under(pid_t pid, const char *names_root, int dirfd, const char *path, ResolveFinal final,
                              uint64_t flags, char *ret, size_t size, int *ret_object);
