/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Reading path arguments out of a notifying task.
 *
 * The pointer comes from the task and is untrusted: it may be NULL, point
 * into unmapped memory, or at a string that never ends. Reads go one page
 * at a time and stop at the first NUL, so a valid string that ends right
 * before an unmapped page is still read (one large read would fail with
 * EFAULT for it), and nothing past SRD_PATH_MAX+1 bytes is ever copied.
 *
 * Relative paths are resolved the way the kernel will resolve them, against
 * the dirfd or the cwd of the task, but in the task's own view of the file
 * system: /proc/PID/{cwd,fd/N} show paths relative to *our* root, so the
 * task's root (/proc/PID/root, in the same terms) is stripped from them.
 * For a container that makes "/var/lib/x/rootfs/etc" read "/etc", which is
 * what its policy talks about.
 */

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "macro.h"
#include "procmem.h"

#define DELETED_SUFFIX " (deleted)"

/* "/proc/<pid>/fd/<fd>" and friends, with room for the longest numbers. */
#define PROC_PATH_MAX 64

/* One backend read of up to n bytes, never crossing a page: bytes read or -errno. */
typedef ssize_t (*ReadChunk)(void *userdata, uint64_t addr, void *buf, size_t n);

static int read_string(ReadChunk read_chunk, void *userdata, uint64_t addr, char *ret, size_t size) {
        size_t page = (size_t) getpagesize(), off = 0;

        if (!ret || size == 0)
                return -EINVAL;
        ret[0] = '\0';
        if (addr == 0)
                return -EFAULT;

        while (off < size) {
                uint64_t a = addr + off;
                size_t chunk;
                ssize_t n;

                /* Wrapping around the address space is not a string. */
                if (a < addr)
                        goto fault;

                /* Up to the end of this page only: the next may be unmapped
                 * while the NUL is on this one. */
                chunk = MIN(page - (size_t) (a % page), size - off);
                n = read_chunk(userdata, a, ret + off, chunk);
                if (n < 0) {
                        ret[0] = '\0';
                        return (int) n;
                }
                if (memchr(ret + off, '\0', (size_t) n))
                        return 0;
                if ((size_t) n < chunk)
                        goto fault;
                off += (size_t) n;
        }

        ret[0] = '\0';
        return -ENAMETOOLONG;

fault:
        ret[0] = '\0';
        return -EFAULT;
}

static ssize_t read_chunk_vm(void *userdata, uint64_t addr, void *buf, size_t n) {
        pid_t pid = *(const pid_t *) userdata;
        struct iovec local = { .iov_base = buf, .iov_len = n };
        struct iovec remote = { .iov_base = (void *) (uintptr_t) addr, .iov_len = n };
        ssize_t k;

        if (addr > UINTPTR_MAX)
                return -EFAULT;
        k = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (k < 0)
                return -errno;
        return k;
}

int procmem_read_string_vm(pid_t pid, uint64_t addr, char *ret, size_t size) {
        /* pid 0: the task is not visible in our pid namespace. */
        if (pid <= 0)
                return -ESRCH;
        return read_string(read_chunk_vm, &pid, addr, ret, size);
}

static ssize_t read_chunk_mem(void *userdata, uint64_t addr, void *buf, size_t n) {
        int fd = *(const int *) userdata;
        ssize_t k;

        /* pread() takes a signed offset; nothing up there is user memory. */
        if (addr > INT64_MAX)
                return -EFAULT;
        do
                k = pread(fd, buf, n, (off_t) addr);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                /* /proc/PID/mem says EIO for unmapped addresses. */
                return errno == EIO ? -EFAULT : -errno;
        return k;
}

int procmem_read_string_mem(pid_t pid, uint64_t addr, char *ret, size_t size) {
        char p[PROC_PATH_MAX];
        _cleanup_close_ int fd = -EBADF;

        if (pid <= 0)
                return -ESRCH;
        if (!ret || size == 0)
                return -EINVAL;
        ret[0] = '\0';

        (void) snprintf(p, sizeof(p), "/proc/%d/mem", (int) pid);
        fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (errno == ENOENT)
                        return -ESRCH;
                return errno == EACCES ? -EPERM : negative_errno();
        }
        return read_string(read_chunk_mem, &fd, addr, ret, size);
}

int procmem_read_string(pid_t pid, uint64_t addr, char *ret, size_t size) {
        int r;

        r = procmem_read_string_vm(pid, addr, ret, size);
        /* process_vm_readv() may be filtered away (ENOSYS, or EPERM from a
         * seccomp filter or an LSM) while /proc/PID/mem is still allowed. */
        if (r != -EPERM && r != -ENOSYS)
                return r;
        return procmem_read_string_mem(pid, addr, ret, size);
}

static bool endswith(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);

        return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

bool procmem_name_is_deleted(const char *name) {
        return endswith(name, DELETED_SUFFIX);
}

int procmem_read_link(int dirfd, const char *p, char *ret, size_t size) {
        ssize_t n;

        n = readlinkat(dirfd, p, ret, size);
        if (n < 0)
                return -errno;
        /* readlink() truncates silently: a full buffer may be a cut path. */
        if ((size_t) n >= size)
                return -ENAMETOOLONG;
        ret[n] = '\0';
        return 0;
}

int procmem_strip_root(const char *root, char *path) {
        size_t n;

        if (streq(root, "/"))
                return 0;

        n = strlen(root);
        if (strncmp(path, root, n) != 0 || (path[n] != '/' && path[n] != '\0'))
                /* A cwd or fd outside the task's root (opened before a
                 * chroot): it has no name in the task's view. */
                return -EXDEV;
        if (path[n] == '\0')
                strcpy(path, "/");
        else
                memmove(path, path + n, strlen(path + n) + 1);
        return 0;
}

/*
 * The kernel appends " (deleted)" to the link target of an unlinked object,
 * and a directory may also just be called that. The name is real only if it
 * still leads to the object the link points at, looked up in the task's own
 * root, not in ours: the task's names may mean something else here.
 */
static int check_deleted(pid_t pid, const char *link, const char *path) {
        char p[PROC_PATH_MAX + PATH_MAX];
        struct stat a, b;

        if (stat(link, &a) < 0)
                return negative_errno();

        (void) snprintf(p, sizeof(p), "/proc/%d/root%s", (int) pid, path);
        if (stat(p, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                return -ENOENT;
        return 0;
}

int procmem_task_dir(pid_t pid, int dirfd, char *ret, size_t size) {
        char link[PROC_PATH_MAX], root_link[PROC_PATH_MAX], root[PATH_MAX];
        int r;

        if (pid <= 0)
                return -ESRCH;
        if (!ret || size == 0)
                return -EINVAL;
        ret[0] = '\0';

        if (dirfd == AT_FDCWD)
                (void) snprintf(link, sizeof(link), "/proc/%d/cwd", (int) pid);
        else if (dirfd < 0)
                return -EBADF;
        else
                (void) snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int) pid, dirfd);

        r = procmem_read_link(AT_FDCWD, link, ret, size);
        if (r == -ENOENT)
                /* No such fd, or no such task (the caller's ID_VALID check
                 * tells those apart); a task without a cwd is exiting. */
                r = dirfd == AT_FDCWD ? -ENOENT : -EBADF;
        if (r < 0)
                goto fail;
        if (ret[0] != '/') {
                /* "pipe:[42]", "socket:[42]", "anon_inode:[eventfd]": no
                 * path can be resolved relative to those. */
                r = -ENOTDIR;
                goto fail;
        }

        (void) snprintf(root_link, sizeof(root_link), "/proc/%d/root", (int) pid);
        r = procmem_read_link(AT_FDCWD, root_link, root, sizeof(root));
        if (r == -ENOENT)
                r = -ESRCH;
        if (r < 0)
                goto fail;
        if (root[0] != '/' || procmem_name_is_deleted(root)) {
                r = -ENOENT;
                goto fail;
        }

        r = procmem_strip_root(root, ret);
        if (r < 0)
                goto fail;

        if (procmem_name_is_deleted(ret)) {
                r = check_deleted(pid, link, ret);
                if (r < 0)
                        goto fail;
        }
        return 0;

fail:
        ret[0] = '\0';
        return r;
}

/* One chunk of task memory, never crossing a page: process_vm_readv(),
 * or /proc/PID/mem where that is filtered away. */
static ssize_t read_chunk_any(pid_t pid, int *mem_fd, uint64_t addr, void *buf, size_t n) {
        ssize_t k = read_chunk_vm(&pid, addr, buf, n);

        if (k != -EPERM && k != -ENOSYS)
                return k;
        if (*mem_fd < 0) {
                char p[PROC_PATH_MAX];

                (void) snprintf(p, sizeof(p), "/proc/%d/mem", (int) pid);
                *mem_fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (*mem_fd < 0)
                        return errno == ENOENT ? -ESRCH : negative_errno();
        }
        return read_chunk_mem(mem_fd, addr, buf, n);
}

/* Read n bytes at addr, page by page; with check_zero, into a scratch
 * buffer, and -E2BIG at the first byte that is not zero. */
static int read_bytes(pid_t pid, uint64_t addr, uint8_t *buf, size_t n, bool check_zero) {
        _cleanup_close_ int mem_fd = -EBADF;
        size_t page = (size_t) getpagesize(), off = 0;
        uint8_t scratch[512];

        while (off < n) {
                size_t chunk = MIN(page - (size_t) ((addr + off) % page), n - off);
                uint8_t *dst = buf + off;
                ssize_t k;

                if (check_zero) {
                        chunk = MIN(chunk, sizeof(scratch));
                        dst = scratch;
                }
                k = read_chunk_any(pid, &mem_fd, addr + off, dst, chunk);
                if (k < 0)
                        return (int) k;
                if (k == 0)
                        return -EFAULT;
                if (check_zero)
                        for (ssize_t i = 0; i < k; i++)
                                if (dst[i] != 0)
                                        return -E2BIG;
                off += (size_t) k;
        }
        return 0;
}

int procmem_read_open_how(pid_t pid, uint64_t addr, uint64_t usize, ProcmemOpenHow *ret, ProcmemWhy *ret_why) {
        ProcmemWhy why = PROCMEM_WHY_KERNEL_REFUSES;
        int r;

        if (!ret)
                return -EINVAL;
        *ret = (ProcmemOpenHow) {};
        if (ret_why)
                *ret_why = PROCMEM_WHY_NONE;

        /* The kernel's order: size bounds first, then the copy. */
        if (usize < PROCMEM_OPEN_HOW_MIN) {
                r = -EINVAL;
                goto fail;
        }
        if (usize > (uint64_t) getpagesize()) {
                r = -E2BIG;
                goto fail;
        }
        why = PROCMEM_WHY_OPEN_HOW_UNREADABLE;
        if (pid <= 0) {
                r = -ESRCH;
                goto fail;
        }
        if (addr == 0 || addr + usize < addr) {
                r = -EFAULT;
                goto fail;
        }

        /* Page by page, like strings: the struct may straddle into a page
         * that /proc/PID/mem can read while process_vm_readv cannot. */
        r = read_bytes(pid, addr, ret->bytes, PROCMEM_OPEN_HOW_KNOWN, false);
        if (r < 0)
                goto fail;
        /* copy_struct_from_user(): a larger struct is fine if every byte
         * this kernel does not know is zero, else E2BIG. */
        if (usize > PROCMEM_OPEN_HOW_KNOWN) {
                r = read_bytes(pid, addr + PROCMEM_OPEN_HOW_KNOWN, NULL, (size_t) usize - PROCMEM_OPEN_HOW_KNOWN,
                               true);
                if (r == -E2BIG)
                        why = PROCMEM_WHY_KERNEL_REFUSES;
                if (r < 0)
                        goto fail;
        }

        ret->size = PROCMEM_OPEN_HOW_KNOWN;
        ret->usize = usize;
        memcpy(&ret->flags, ret->bytes, sizeof(ret->flags));
        memcpy(&ret->mode, ret->bytes + 8, sizeof(ret->mode));
        memcpy(&ret->resolve, ret->bytes + 16, sizeof(ret->resolve));
        return 0;

fail:
        *ret = (ProcmemOpenHow) {};
        if (ret_why)
                *ret_why = why;
        return r;
}

static const char *const why_table[_PROCMEM_WHY_MAX] = {
        [PROCMEM_WHY_KERNEL_REFUSES] = "the kernel refuses the call as made",
        [PROCMEM_WHY_UNNAMED] = "the call acts on an object without a name",
        [PROCMEM_WHY_NULL_PATH] = "the path pointer is NULL",
        [PROCMEM_WHY_PATH_UNREADABLE] = "the path cannot be read from the task's memory",
        [PROCMEM_WHY_PATH_TOO_LONG] = "the path is longer than PATH_MAX",
        [PROCMEM_WHY_TASK_INVISIBLE] = "the task is not visible in the daemon's pid namespace",
        [PROCMEM_WHY_DIR_UNREADABLE] = "the working directory or dirfd cannot be read",
        [PROCMEM_WHY_DIR_TOO_DEEP] = "the working directory or dirfd is deeper than PATH_MAX",
        [PROCMEM_WHY_JOINED_TOO_LONG] = "the path joined to its working directory or dirfd is longer than PATH_MAX",
        [PROCMEM_WHY_DIR_REMOVED] = "the working directory or dirfd was removed",
        [PROCMEM_WHY_DIR_OUTSIDE_ROOT] = "the working directory or dirfd lies outside the task's root",
        [PROCMEM_WHY_OPEN_HOW_UNREADABLE] = "openat2's struct open_how cannot be read",
        [PROCMEM_WHY_OUTSIDE_ROOT] = "the path leads to a file that has no name inside the task's root",
        [PROCMEM_WHY_WALK_FAILED] = "the path cannot be walked as the kernel would walk it",
};

const char *procmem_why_to_string(ProcmemWhy why) {
        if (why <= PROCMEM_WHY_NONE || why >= _PROCMEM_WHY_MAX)
                return NULL;
        return why_table[why];
}

static ProcmemWhy why_string(int r) {
        switch (r) {
        case -ENAMETOOLONG:
                return PROCMEM_WHY_PATH_TOO_LONG;
        case -ESRCH:
                return PROCMEM_WHY_TASK_INVISIBLE;
        default:
                return PROCMEM_WHY_PATH_UNREADABLE;
        }
}

static ProcmemWhy why_dir(int r) {
        switch (r) {
        case -EBADF:
        case -ENOTDIR:
                /* No such fd, or not a directory: the kernel fails the
                 * call with the same errno; another thread's dup2() after
                 * our look only moves the call to before it. */
                return PROCMEM_WHY_KERNEL_REFUSES;
        case -ENAMETOOLONG:
                return PROCMEM_WHY_DIR_TOO_DEEP;
        case -ENOENT:
                return PROCMEM_WHY_DIR_REMOVED;
        case -EXDEV:
                return PROCMEM_WHY_DIR_OUTSIDE_ROOT;
        case -ESRCH:
                return PROCMEM_WHY_TASK_INVISIBLE;
        default:
                return PROCMEM_WHY_DIR_UNREADABLE;
        }
}

static int task_dir_why(pid_t pid, int dirfd, char *ret, size_t size, ProcmemWhy *why) {
        int r = procmem_task_dir(pid, dirfd, ret, size);

        if (r < 0)
                *why = why_dir(r);
        return r;
}

/*
 * The call acts on the object of dirfd itself, without a lookup ("" with
 * AT_EMPTY_PATH, a NULL path that means the dirfd): glibc's fstat() is
 * such a call. A pipe, socket or anonymous inode, and a file or directory
 * that was deleted, have no name a path rule could match: that is an
 * answer (UNNAMED), not a failure to find one.
 */
static int object_of_fd(pid_t pid, int dirfd, char *ret, size_t size, ProcmemWhy *why) {
        int r = task_dir_why(pid, dirfd, ret, size, why);

        if (r == -ENOTDIR || r == -ENOENT)
                *why = PROCMEM_WHY_UNNAMED;
        return r;
}

/* RESOLVE_IN_ROOT: "/a/../../b" and "a/../../b" both name root/b. */
static int path_in_root(pid_t pid, int dirfd, const char *raw, char *ret, size_t size, ProcmemWhy *why) {
        char rooted[SRD_PATH_MAX + 2], norm[SRD_PATH_MAX + 2], root[SRD_PATH_MAX + 1];
        int r;

        *why = PROCMEM_WHY_PATH_TOO_LONG;
        if ((size_t) snprintf(rooted, sizeof(rooted), "%s%s", raw[0] == '/' ? "" : "/", raw) >= sizeof(rooted))
                return -ENAMETOOLONG;
        r = srd_path_normalize(rooted, norm, sizeof(norm));
        if (r < 0)
                return r;
        r = task_dir_why(pid, dirfd, root, sizeof(root), why);
        if (r < 0)
                return r;
        *why = PROCMEM_WHY_JOINED_TOO_LONG;
        return srd_path_join(root, norm + 1, ret, size);
}

int procmem_place_path(pid_t pid, const SrdPathArg *pa, const uint64_t args[SRD_ARGS], uint64_t resolve,
                       const char *given, char *ret, size_t size, ProcmemWhy *ret_why) {
        char raw_buf[SRD_PATH_MAX + 1], base[SRD_PATH_MAX + 1];
        const char *raw = given ?: raw_buf;
        ProcmemWhy why = PROCMEM_WHY_NONE;
        int dirfd = AT_FDCWD, r;

        if (!pa || !args || !ret || size == 0 || pa->arg < 0 || pa->arg >= SRD_ARGS)
                return -EINVAL;
        ret[0] = '\0';

        /* The kernel reads a dirfd as an int: only the low 32 bits count. */
        if (pa->dirfd_arg >= 0 && pa->dirfd_arg < SRD_ARGS)
                dirfd = (int) (uint32_t) args[pa->dirfd_arg];

        if (pid <= 0) {
                /* The notification says pid 0 for a task outside our pid
                 * namespace: nothing of it can be read. */
                why = PROCMEM_WHY_TASK_INVISIBLE;
                r = -ESRCH;
                goto done;
        }

        if (args[pa->arg] == 0) {
                /* utimensat(fd, NULL), fanotify_mark(.., dirfd, NULL): the
                 * call acts on the dirfd (the cwd for AT_FDCWD). */
                if (pa->null_is_dirfd) {
                        r = object_of_fd(pid, dirfd, ret, size, &why);
                        goto done;
                }
                why = PROCMEM_WHY_NULL_PATH;
                r = -EFAULT;
                goto done;
        }

        if (!given) {
                r = procmem_read_string(pid, args[pa->arg], raw_buf, sizeof(raw_buf));
                if (r < 0) {
                        why = why_string(r);
                        goto done;
                }
        }

        if (resolve & PROCMEM_RESOLVE_IN_ROOT) {
                if (raw[0] == '\0') {
                        why = PROCMEM_WHY_KERNEL_REFUSES;
                        r = -ENOENT; /* openat2 has no AT_EMPTY_PATH */
                        goto done;
                }
                r = path_in_root(pid, dirfd, raw, ret, size, &why);
                goto done;
        }

        if (raw[0] == '/') {
                r = srd_path_normalize(raw, ret, size);
                if (r < 0)
                        why = PROCMEM_WHY_PATH_TOO_LONG;
                goto done;
        }

        if (raw[0] == '\0') {
                bool empty_ok = pa->flags_arg >= 0 && pa->flags_arg < SRD_ARGS &&
                                (args[pa->flags_arg] & AT_EMPTY_PATH);

                /* Without AT_EMPTY_PATH the kernel fails "" with ENOENT. */
                if (!empty_ok) {
                        why = PROCMEM_WHY_KERNEL_REFUSES;
                        r = -ENOENT;
                        goto done;
                }
                r = object_of_fd(pid, dirfd, ret, size, &why);
                goto done;
        }

        r = task_dir_why(pid, dirfd, base, sizeof(base), &why);
        if (r < 0)
                goto done;

        /* "" joins to base itself: AT_EMPTY_PATH names the dirfd. */
        r = srd_path_join(base, raw, ret, size);
        if (r < 0)
                why = PROCMEM_WHY_JOINED_TOO_LONG;

done:
        if (r < 0)
                ret[0] = '\0';
        if (ret_why)
                *ret_why = r < 0 ? why : PROCMEM_WHY_NONE;
        return r;
}

int procmem_read_path_why(pid_t pid, const SrdPathArg *pa, const uint64_t args[SRD_ARGS], uint64_t resolve,
                          char *ret, size_t size, ProcmemWhy *ret_why) {
        return procmem_place_path(pid, pa, args, resolve, NULL, ret, size, ret_why);
}

int procmem_read_path(pid_t pid, const SrdPathArg *pa, const uint64_t args[SRD_ARGS], uint64_t resolve,
                      char *ret, size_t size) {
        return procmem_read_path_why(pid, pa, args, resolve, ret, size, NULL);
}
