/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Reading another task's memory and file system view, for the listener.
 *
 * Everything here reads state of a task that may be hostile or dying: every
 * failure is an ordinary negative errno and never more than "this path is
 * unavailable". The caller must check SECCOMP_IOCTL_NOTIF_ID_VALID after
 * these reads and before acting on them: the pid may have been reused.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "seccomp-redirect.h"

/*
 * Copy the NUL-terminated string at addr in task pid into ret (size bytes,
 * the string including its NUL). Reads one page at a time, so a string ending
 * just before an unmapped page is read fine. process_vm_readv() first, the
 * task's /proc/PID/mem if that is unavailable (EPERM, ENOSYS).
 *
 * Returns 0; -EFAULT (NULL or unmapped pointer, or the string runs into
 * unmapped memory before its NUL), -ENAMETOOLONG (no NUL in the first size
 * bytes), -ESRCH (no such task), -EPERM (not allowed to read it), -EINVAL
 * (size 0).
 */
int procmem_read_string(pid_t pid, uint64_t addr, char *ret, size_t size);

/* The two backends of procmem_read_string(), exposed for the tests. */
int procmem_read_string_vm(pid_t pid, uint64_t addr, char *ret, size_t size);
int procmem_read_string_mem(pid_t pid, uint64_t addr, char *ret, size_t size);

/*
 * The directory a relative path of task pid starts from, as the task sees
 * it: its cwd for AT_FDCWD, else what its descriptor dirfd names. When the
 * task's root is not ours (chroot, container) the root is stripped, so the
 * result is what the task itself would call it ("/etc", not
 * "/var/lib/containers/x/rootfs/etc").
 *
 * Returns 0; -EBADF (dirfd negative or not open), -ENOTDIR (dirfd is not a
 * file system object: "pipe:[..]", "socket:[..]", "anon_inode:.."), -ENOENT
 * (it was deleted, or the task has no cwd anymore), -EXDEV (it lies outside
 * the task's root), -ENAMETOOLONG, -ESRCH/-EACCES (task gone / not allowed).
 */
int procmem_task_dir(pid_t pid, int dirfd, char *ret, size_t size);

/*
 * Why a path argument could not be placed: what the daemon logs, and what
 * decides the answer. PROCMEM_WHY_KERNEL_REFUSES: the kernel fails the call
 * with the returned errno whatever happens after our read, so answering
 * with that errno is what the kernel would have done. PROCMEM_WHY_UNNAMED:
 * the call acts on an object without a name, which no path rule can match.
 * Every other reason means the daemon cannot establish what the call would
 * act on.
 */
typedef enum ProcmemWhy {
        PROCMEM_WHY_NONE,
        PROCMEM_WHY_KERNEL_REFUSES,
        PROCMEM_WHY_UNNAMED, /* the call acts on an fd's object that has no name (a pipe, a deleted file) */
        PROCMEM_WHY_NULL_PATH,
        PROCMEM_WHY_PATH_UNREADABLE,
        PROCMEM_WHY_PATH_TOO_LONG,
        PROCMEM_WHY_TASK_INVISIBLE,
        PROCMEM_WHY_DIR_UNREADABLE,
        PROCMEM_WHY_DIR_TOO_DEEP,
        PROCMEM_WHY_JOINED_TOO_LONG,
        PROCMEM_WHY_DIR_REMOVED,
        PROCMEM_WHY_DIR_OUTSIDE_ROOT,
        PROCMEM_WHY_OPEN_HOW_UNREADABLE,
        PROCMEM_WHY_OUTSIDE_ROOT, /* the path leads (by a magic link) to a file with no name in the task's root */
        PROCMEM_WHY_WALK_FAILED,  /* the daemon's walk of the path failed where the kernel's may not */
        _PROCMEM_WHY_MAX,
} ProcmemWhy;

/* A sentence for the log; NULL for NONE and out of range. */
const char *procmem_why_to_string(ProcmemWhy why);

/*
 * Read path argument pa of a syscall with arguments args from task pid and
 * make it absolute and normalized in the task's view: absolute paths as
 * they are, relative ones joined to procmem_task_dir() of the dirfd (or the
 * cwd), "" with AT_EMPTY_PATH is the dirfd itself, and so is NULL where
 * pa->null_is_dirfd says the kernel takes it so. resolve holds openat2's
 * RESOLVE_* flags (0 for everything else): with RESOLVE_IN_ROOT the dirfd is
 * the root every path, absolute or not, is resolved in.
 *
 * Returns 0 or the errors of procmem_read_string() and procmem_task_dir(),
 * plus -ENOENT for "" without AT_EMPTY_PATH (the kernel says ENOENT too).
 * procmem_read_path_why() also says why, in *ret_why (NONE on success).
 */
int procmem_read_path(pid_t pid, const SrdPathArg *pa, const uint64_t args[SRD_ARGS], uint64_t resolve,
                      char *ret, size_t size);
int procmem_read_path_why(pid_t pid, const SrdPathArg *pa, const uint64_t args[SRD_ARGS], uint64_t resolve,
                          char *ret, size_t size, ProcmemWhy *ret_why);
/* The same for a path already read (raw: the bytes the task passed; NULL
 * reads them): its lexical name, which the kernel's walk may not follow. */
int procmem_place_path(pid_t pid, const SrdPathArg *pa, const uint64_t args[SRD_ARGS], uint64_t resolve,
                       const char *raw, char *ret, size_t size, ProcmemWhy *ret_why);

/*
 * openat2's struct open_how, read as the kernel reads it: usize bytes (the
 * syscall's fourth argument) at addr. The kernel refuses usize below 24
 * (OPEN_HOW_SIZE_VER0) with EINVAL and above a page with E2BIG; it accepts
 * any size in between as long as every byte past the struct it knows is
 * zero (else E2BIG). Those three are returned as such, with *ret_why (when
 * not NULL) PROCMEM_WHY_KERNEL_REFUSES; failing to read the memory gives
 * the errors of reading task memory and PROCMEM_WHY_OPEN_HOW_UNREADABLE.
 * On success bytes holds the struct the kernel uses (the first 24 bytes; a
 * larger size only added zeros) and usize what the task passed.
 */
#define PROCMEM_RESOLVE_NO_XDEV 0x01       /* RESOLVE_NO_XDEV, <linux/openat2.h> */
#define PROCMEM_RESOLVE_NO_MAGICLINKS 0x02 /* RESOLVE_NO_MAGICLINKS */
#define PROCMEM_RESOLVE_NO_SYMLINKS 0x04   /* RESOLVE_NO_SYMLINKS */
#define PROCMEM_RESOLVE_BENEATH 0x08  /* RESOLVE_BENEATH */
#define PROCMEM_RESOLVE_IN_ROOT 0x10  /* RESOLVE_IN_ROOT */
#define PROCMEM_OPEN_HOW_MIN 24       /* OPEN_HOW_SIZE_VER0 */
#define PROCMEM_OPEN_HOW_KNOWN 24     /* sizeof(struct open_how) in every kernel so far */
typedef struct ProcmemOpenHow {
        uint8_t bytes[PROCMEM_OPEN_HOW_KNOWN];
        size_t size;      /* of bytes: PROCMEM_OPEN_HOW_KNOWN */
        uint64_t usize;   /* what the task passed */
        uint64_t flags;   /* bytes 0..7 */
        uint64_t mode;    /* bytes 8..15 */
        uint64_t resolve; /* the RESOLVE_* flags, bytes 16..23 */
} ProcmemOpenHow;
int procmem_read_open_how(pid_t pid, uint64_t addr, uint64_t usize, ProcmemOpenHow *ret, ProcmemWhy *ret_why);

/* readlinkat() that fails with -ENAMETOOLONG where it would cut the link's
 * body, NUL-terminated otherwise; 0 or a negative errno. */
int procmem_read_link(int dirfd, const char *path, char *ret, size_t size);

/* Make path, absolute in our view, absolute in the view of a task whose root
 * (in our view) is root: 0, or -EXDEV when it lies outside that root (a cwd
 * or fd opened before a chroot has no name in the task's view). */
int procmem_strip_root(const char *root, char *path);

/* A link body of procfs for an object that was removed (" (deleted)"). */
bool procmem_name_is_deleted(const char *name);
