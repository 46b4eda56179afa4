/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "procmem.h"
#include "resolve.h"
#include "seccomp-redirect.h"

#define PROC_ROOT_INO 1
/* What is left to walk: link bodies are spliced in front of it, each at
 * most PATH_MAX, at most RESOLVE_MAX_LINKS of them. */
#define REST_MAX ((RESOLVE_MAX_LINKS + 2) * PATH_MAX)
#define KNOWN_FLAGS \
        (RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | \
         RESOLVE_IN_ROOT | RESOLVE_CACHED)
#define MAX_NS_LEVELS 33

/* The syscall table speaks SRD_FINAL_*, the walk ResolveFinal: one numbering. */
_Static_assert((int) RESOLVE_FINAL_FOLLOW == SRD_FINAL_FOLLOW, "FOLLOW");
_Static_assert((int) RESOLVE_FINAL_NOFOLLOW == SRD_FINAL_NOFOLLOW, "NOFOLLOW");
_Static_assert((int) RESOLVE_FINAL_CREATE == SRD_FINAL_CREATE, "CREATE");
_Static_assert((int) RESOLVE_FINAL_PARENT == SRD_FINAL_PARENT, "PARENT");

typedef struct Walk {
        pid_t pid;
        uint64_t flags;
        ResolveFinal final;
        int scope; /* where "/" starts and ".." stops: the task's root, or the dirfd when scoped */
        struct stat scope_st;
        int start_dev; /* for RESOLVE_NO_XDEV */
        char task_root[PATH_MAX]; /* the task's root, in our view */
        const char *names_root;   /* names are given relative to this, in our view: task_root if NULL */
        unsigned links;
        char *rest; /* REST_MAX bytes */
        bool trailing; /* the component just taken was followed by a slash */

        /* Room for the steps below. A Walk is on the heap: a daemon thread
         * that resolved one path once would otherwise keep these pages of
         * its stack for good, for every thread that ever did. */
        char base[PATH_MAX], in_root[PATH_MAX], prefix[PATH_MAX]; /* fast_path() */
        char body[PATH_MAX]; /* walk(): a link's body */
        char status[4096]; /* proc_self_body() */
        int *object; /* where an object without a name is handed back (NULL: not wanted) */
} Walk;

static int fd_path(int fd, char *ret, size_t size) {
        char p[64];

        (void) snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
        return procmem_read_link(AT_FDCWD, p, ret, size);
}

/* What the object fd refers to is called in the task's view. */
static int name_of(const Walk *w, int fd, char *ret, size_t size) {
        int r;

        r = fd_path(fd, ret, size);
        if (r < 0)
                /* Longer than size: the kernel has no such limit on a walk. */
                return r == -ENAMETOOLONG ? -EOVERFLOW : r;
        if (ret[0] != '/')
                /* "pipe:[42]", "socket:[42]", "anon_inode:[..]": no file
                 * system name, so no path rule can match it; say what it is. */
                return 0;
        if (procmem_name_is_deleted(ret)) {
                /* Removed, yet the task reaches it (its cwd, a magic link
                 * to an open fd): it exists, but no name leads to it any
                 * more, so no path rule can be about it. */
                (void) snprintf(ret, size, "%s", RESOLVE_NAME_DELETED);
                return 0;
        }
        if (procmem_strip_root(w->names_root ?: w->task_root, ret) < 0)
                /* Outside the root names are given in (a magic link to an
                 * fd opened before a chroot): it has no name there. */
                return -EREMOTE;
        return 0;
}

/*
 * The walk's result: the name of the object fd stands for. An object
 * without a name is also handed back as an fd when the caller wants it,
 * so that what was checked can be acted on without another walk (which
 * the task could send elsewhere by moving its fds around meanwhile).
 */
static int result_of(const Walk *w, int fd, char *ret, size_t size) {
        int r;

        r = name_of(w, fd, ret, size);
        if (r < 0 || ret[0] == '/' || !w->object)
                return r;
        *w->object = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        return *w->object < 0 ? -errno : 0;
}

/* The task's root as a name under names_root ("/" when they are the same). */
static int root_prefix(const Walk *w, char *ret, size_t size) {
        if ((size_t) snprintf(ret, size, "%s", w->task_root) >= size)
                return -EOVERFLOW;
        return procmem_strip_root(w->names_root ?: w->task_root, ret) < 0 ? -EREMOTE : 0;
}

static int name_join(const Walk *w, int dirfd, const char *comp, char *ret, size_t size) {
        size_t n;
        int r;

        r = name_of(w, dirfd, ret, size);
        if (r < 0)
                return r;
        if (streq(ret, RESOLVE_NAME_DELETED))
                /* Nothing is in, or can be made in, a removed directory. */
                return -ENOENT;
        if (ret[0] != '/')
                return -ENOTDIR;
        n = strlen(ret);
        if (snprintf(ret + n, size - n, "%s%s", streq(ret, "/") ? "" : "/", comp) >= (int) (size - n))
                return -EOVERFLOW;
        return 0;
}

static int open_proc(pid_t pid, const char *what, int flags) {
        char p[64];
        int fd;

        (void) snprintf(p, sizeof(p), "/proc/%d/%s", (int) pid, what);
        fd = open(p, O_PATH | O_CLOEXEC | flags);
        return fd < 0 ? -errno : fd;
}

static bool same_object(int fd, const struct stat *st) {
        struct stat s;

        return fstat(fd, &s) == 0 && s.st_dev == st->st_dev && s.st_ino == st->st_ino;
}

static bool is_proc_root(int fd) {
        struct statfs sf;
        struct stat st;

        return fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC && fstat(fd, &st) == 0 &&
               st.st_ino == PROC_ROOT_INO;
}

static bool is_procfs(int fd) {
        struct statfs sf;

        return fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

/* The start time (jiffies since boot, field 22) from a /proc/N/stat. */
static int stat_starttime(int dirfd, const char *path, unsigned long long *ret) {
        char buf[1024], *p;
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return n < 0 ? -errno : -EIO;
        buf[n] = '\0';
        /* The name in field 2 may hold anything, ")" too: fields start after the last. */
        p = strrchr(buf, ')');
        if (!p)
                return -EIO;
        for (int field = 2; field < 22; field++) {
                p = strchr(p + 1, ' ');
                if (!p)
                        return -EIO;
        }
        return sscanf(p + 1, "%llu", ret) == 1 ? 0 : -EIO;
}

/* The numbers of an "NSpid:"-style line of /proc/PID/status, outermost first. */
static size_t parse_ns_ids(const char *status, const char *key, long *ret, size_t max) {
        const char *p = strstr(status, key);
        size_t n = 0;

        if (!p)
                return 0;
        p += strlen(key);
        while (n < max) {
                char *end;
                long v = strtol(p, &end, 10);

                if (end == p)
                        break;
                ret[n++] = v;
                p = end;
                if (*p == '\n' || *p == '\0')
                        break;
        }
        return n;
}

/*
 * "self" or "thread-self" at the top of the procfs at procfd, as the task
 * would read it: its numbers in the pid namespace of that procfs. Which
 * level of its NStgid that is shows by the start time of the process there.
 */
static int proc_self_body(Walk *w, int procfd, bool thread, char *ret, size_t size) {
        long tgid[MAX_NS_LEVELS], tid[MAX_NS_LEVELS];
        unsigned long long ours, theirs;
        char *status = w->status, p[64];
        size_t n_tgid, n_tid;
        ssize_t n;
        _cleanup_close_ int fd = -EBADF;
        int r;

        (void) snprintf(p, sizeof(p), "/proc/%d/status", (int) w->pid);
        fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        n = read(fd, status, sizeof(w->status) - 1);
        if (n <= 0)
                return -ESRCH;
        status[n] = '\0';
        n_tgid = parse_ns_ids(status, "\nNStgid:", tgid, ELEMENTSOF(tgid));
        n_tid = parse_ns_ids(status, "\nNSpid:", tid, ELEMENTSOF(tid));
        if (n_tgid == 0 || n_tgid != n_tid)
                return -ESRCH;

        (void) snprintf(p, sizeof(p), "/proc/%ld/stat", tgid[0]);
        r = stat_starttime(AT_FDCWD, p, &ours);
        if (r < 0)
                return -ESRCH;
        for (size_t i = n_tgid; i-- > 0;) {
                (void) snprintf(p, sizeof(p), "%ld/stat", tgid[i]);
                if (stat_starttime(procfd, p, &theirs) < 0 || theirs != ours)
                        continue;
                if (thread)
                        (void) snprintf(ret, size, "%ld/task/%ld", tgid[i], tid[i]);
                else
                        (void) snprintf(ret, size, "%ld", tgid[i]);
                return 0;
        }
        /* A procfs of a pid namespace the task is not in: the kernel says ENOENT. */
        return -ENOENT;
}

/* Take the next component of w->rest into comp; false when none is left. */
static int next_component(Walk *w, char *comp, size_t size, bool *ret_last) {
        char *s = w->rest, *e;
        size_t n;

        while (*s == '/')
                s++;
        if (*s == '\0')
                return 0;
        e = strchrnul(s, '/');
        n = (size_t) (e - s);
        if (n >= size)
                return -ENAMETOOLONG;
        memcpy(comp, s, n);
        comp[n] = '\0';
        w->trailing = *e == '/';
        while (*e == '/')
                e++;
        *ret_last = *e == '\0';
        memmove(w->rest, e, strlen(e) + 1);
        return 1;
}

/* Put body (a link's content or the procfs self number) in front of what is left. */
static int splice_body(Walk *w, const char *body) {
        size_t b = strlen(body), r = strlen(w->rest);
        bool sep = r > 0 || w->trailing;

        if (b + sep + r + 1 > REST_MAX)
                return -EOVERFLOW;
        memmove(w->rest + b + sep, w->rest, r + 1);
        memcpy(w->rest, body, b);
        if (sep)
                w->rest[b] = '/';
        return 0;
}

/* Move the walk to fd (taking it), with the NO_XDEV check. */
static int step(Walk *w, int *cur, int fd) {
        struct stat st;

        if (fd < 0)
                return fd;
        if ((w->flags & RESOLVE_NO_XDEV) && (fstat(fd, &st) < 0 || (int) st.st_dev != w->start_dev)) {
                safe_close(fd);
                return -EXDEV;
        }
        safe_close(*cur);
        *cur = fd;
        return 0;
}

/* One more link to follow: refused where links are, and past the kernel's limit. */
static int count_link(Walk *w) {
        if (w->flags & RESOLVE_NO_SYMLINKS)
                return -ELOOP;
        if (++w->links > RESOLVE_MAX_LINKS)
                return -ELOOP;
        return 0;
}

/* How often one component is looked at again when it changed under us. */
#define RENAME_RETRIES 8

static int walk(Walk *w, int *cur, char *ret, size_t size) {
        char comp[NAME_MAX + 1], *body = w->body;
        unsigned retries;
        bool last = false;
        struct stat st;
        int r;

        for (;;) {
                bool link_is_object;

                r = next_component(w, comp, sizeof(comp), &last);
                if (r < 0)
                        return r;
                if (r == 0) /* "/" or nothing left: the directory we stand in */
                        return result_of(w, *cur, ret, size);

                if (streq(comp, "."))
                        goto next_dir;
                if (streq(comp, "..")) {
                        if (same_object(*cur, &w->scope_st)) {
                                /* At the root ".." stays; scoped to a dirfd
                                 * without IN_ROOT it is an escape. */
                                if ((w->flags & RESOLVE_BENEATH) && !(w->flags & RESOLVE_IN_ROOT))
                                        return -EXDEV;
                                goto next_dir;
                        }
                        r = openat(*cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
                        r = step(w, cur, r < 0 ? -errno : r);
                        if (r < 0)
                                return r;
                        goto next_dir;
                }

                retries = 0;
        again:
                if (fstatat(*cur, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        r = -errno;
                        if (r == -ENOENT && last &&
                            (w->final == RESOLVE_FINAL_CREATE || w->final == RESOLVE_FINAL_PARENT))
                                /* Missing: it would be created here. */
                                return name_join(w, *cur, comp, ret, size);
                        return r;
                }

                link_is_object = last && !w->trailing &&
                                 (w->final == RESOLVE_FINAL_NOFOLLOW || w->final == RESOLVE_FINAL_PARENT);

                if (is_proc_root(*cur) && (streq(comp, "self") || streq(comp, "thread-self"))) {
                        if (link_is_object)
                                return name_join(w, *cur, comp, ret, size);
                        r = count_link(w);
                        if (r < 0)
                                return r;
                        r = proc_self_body(w, *cur, streq(comp, "thread-self"), body, sizeof(w->body));
                        if (r < 0)
                                return r;
                        r = splice_body(w, body);
                        if (r < 0)
                                return r;
                        continue;
                }

                if (S_ISLNK(st.st_mode)) {
                        if (link_is_object)
                                return name_join(w, *cur, comp, ret, size);
                        r = count_link(w);
                        if (r < 0)
                                return r;

                        if (is_procfs(*cur) && !is_proc_root(*cur)) {
                                /* A magic link: it stands for an object,
                                 * not for its text. Follow it as the kernel
                                 * does (a jump), never by its name. */
                                int fd;

                                if (w->flags & (RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT))
                                        return w->flags & RESOLVE_NO_MAGICLINKS ? -ELOOP : -EXDEV;
                                fd = openat(*cur, comp, O_PATH | O_CLOEXEC);
                                if (fd < 0)
                                        return -errno;
                                if (fstat(fd, &st) < 0) {
                                        r = -errno;
                                        safe_close(fd);
                                        return r;
                                }
                                if (!S_ISDIR(st.st_mode)) {
                                        _cleanup_close_ int obj = fd;

                                        if (!last || w->trailing)
                                                return -ENOTDIR;
                                        return result_of(w, obj, ret, size);
                                }
                                r = step(w, cur, fd);
                                if (r < 0)
                                        return r;
                                goto next_dir;
                        }

                        r = procmem_read_link(*cur, comp, body, sizeof(w->body));
                        if (r < 0)
                                return r;
                        if (body[0] == '/') {
                                /* The kernel refuses the jump to the root in a
                                 * walk that must not cross mounts (seen on
                                 * 6.18 even within one mount), and beneath. */
                                if ((w->flags & (RESOLVE_BENEATH | RESOLVE_NO_XDEV)) &&
                                    !(w->flags & RESOLVE_IN_ROOT))
                                        return -EXDEV;
                                r = step(w, cur, fcntl(w->scope, F_DUPFD_CLOEXEC, 3));
                                if (r < 0)
                                        return r;
                        }
                        r = splice_body(w, body);
                        if (r < 0)
                                return r;
                        continue;
                }

                if (last && !w->trailing)
                        /* The final component, not a link (or not followed). */
                        return name_join(w, *cur, comp, ret, size);
                if (!S_ISDIR(st.st_mode))
                        return -ENOTDIR;
                r = openat(*cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (r < 0 && (errno == ENOTDIR || errno == ELOOP) && retries++ < RENAME_RETRIES)
                        /* A directory a moment ago, something else now (a
                         * rename meanwhile): look at it again, as the
                         * kernel's walk would see it now. */
                        goto again;
                r = step(w, cur, r < 0 ? -errno : r);
                if (r < 0)
                        return r;
        next_dir:
                if (last)
                        return result_of(w, *cur, ret, size);
        }
}

static bool has_dotdot(const char *path) {
        for (const char *p = path; (p = strstr(p, "..")); p += 2)
                if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
                        return true;
        return false;
}

/*
 * Most paths hold no symbolic link and no "..": then the lexical name is
 * the kernel's, and one openat2() from the task's root that refuses every
 * link proves it, in place of a lookup per component. 0 with the result,
 * 1 when the walk must decide (a link on the way, "..", openat2 scoping, a
 * final link that CREATE follows, a cwd we cannot name, a kernel without
 * openat2).
 */
static int fast_path(Walk *w, int root, int dirfd, const char *path, char *ret, size_t size) {
        struct open_how how = {.flags = O_PATH | O_CLOEXEC,
                               .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS};
        char *base = w->base, *in_root = w->in_root, *prefix = w->prefix;
        size_t n;
        long fd;
        int r;

        if (has_dotdot(path))
                return 1;
        strcpy(prefix, "/");
        if (path[0] != '/' || w->names_root) {
                /* The root's name stays in w for the walk, should it come to that. */
                if (fd_path(root, w->task_root, sizeof(w->task_root)) < 0) {
                        w->task_root[0] = '\0';
                        return 1;
                }
                if (root_prefix(w, prefix, sizeof(w->prefix)) < 0)
                        return 1;
        }
        if (path[0] == '/')
                strcpy(base, "/");
        else {
                char p[64];

                /* The cwd or dirfd by name, in the task's view. */
                if (dirfd != AT_FDCWD && dirfd < 0)
                        return 1;
                if (dirfd == AT_FDCWD)
                        (void) snprintf(p, sizeof(p), "/proc/%d/cwd", (int) w->pid);
                else
                        (void) snprintf(p, sizeof(p), "/proc/%d/fd/%d", (int) w->pid, dirfd);
                if (procmem_read_link(AT_FDCWD, p, base, sizeof(w->base)) < 0 ||
                    procmem_strip_root(w->task_root, base) < 0)
                        return 1;
        }
        /* What the openat2 below checks is in the task's root; the name
         * given back is under names_root (a chrooted task's root prefixed). */
        if (srd_path_join(base, path, in_root, sizeof(w->in_root)) < 0)
                goto walk;
        if (streq(prefix, "/"))
                r = snprintf(ret, size, "%s", in_root);
        else
                r = snprintf(ret, size, "%s%s", prefix, streq(in_root, "/") ? "" : in_root);
        if (r < 0 || (size_t) r >= size)
                goto walk;
        n = strlen(path);
        if (path[n - 1] == '/' || (path[n - 1] == '.' && (n == 1 || path[n - 2] == '/')))
                /* A trailing slash or ".": a directory, links followed. */
                how.flags |= O_DIRECTORY;
        else if (w->final != RESOLVE_FINAL_FOLLOW)
                how.flags |= O_NOFOLLOW;
        fd = syscall(SYS_openat2, root, in_root, &how, sizeof(how));
        if (fd >= 0) {
                struct stat st;
                bool link =
                        w->final == RESOLVE_FINAL_CREATE && fstat((int) fd, &st) == 0 && S_ISLNK(st.st_mode);

                close((int) fd);
                if (!link) /* CREATE follows a final link: the walk must */
                        return 0;
        } else if (errno == ENOENT &&
                   (w->final == RESOLVE_FINAL_CREATE || w->final == RESOLVE_FINAL_PARENT)) {
                char *parent = w->base, *slash; /* base is done with */

                /* Missing: fine where its directory is there, link-free. */
                strcpy(parent, in_root);
                slash = strrchr(parent, '/');
                if (slash && slash[1] != '\0') {
                        slash[slash == parent ? 1 : 0] = '\0';
                        how.flags = O_PATH | O_CLOEXEC | O_DIRECTORY;
                        fd = syscall(SYS_openat2, root, parent, &how, sizeof(how));
                        if (fd >= 0) {
                                close((int) fd);
                                return 0;
                        }
                }
        }
walk:
        ret[0] = '\0';
        return 1;
}

int resolve_task_path(pid_t pid, int dirfd, const char *path, ResolveFinal final, uint64_t flags, char *ret,
                      size_t size) {
        return resolve_task_path_under(pid, NULL, dirfd, path, final, flags, ret, size);
}

int resolve_task_path_under(pid_t pid, const char *names_root, int dirfd, const char *path, ResolveFinal final,
                            uint64_t flags, char *ret, size_t size) {
        return resolve_task_object_under(pid, names_root, dirfd, path, final, flags, ret, size, NULL);
}

int resolve_task_object_under(pid_t pid, const char *names_root, int dirfd, const char *path, ResolveFinal final,
                              uint64_t flags, char *ret, size_t size, int *ret_object) {
        _cleanup_close_ int root = -EBADF, start = -EBADF, cur = -EBADF;
        _cleanup_free_ char *rest = NULL;
        _cleanup_free_ Walk *w = NULL;
        struct stat st;
        int r;

        if (ret_object)
                *ret_object = -EBADF;
        if (pid <= 0 || !path || !ret || size == 0 || final < 0 || final >= _RESOLVE_FINAL_MAX)
                return -EINVAL;
        if (flags & ~(uint64_t) KNOWN_FLAGS)
                return -EINVAL;
        ret[0] = '\0';
        if (strlen(path) >= PATH_MAX)
                return -ENAMETOOLONG;

        /* Not zeroed whole: 24 KiB, of which each step writes before it reads. */
        w = malloc(sizeof(Walk));
        if (!w)
                return -ENOMEM;
        w->pid = pid;
        w->flags = flags;
        w->final = final;
        w->scope = -EBADF;
        w->start_dev = 0;
        w->task_root[0] = '\0';
        w->names_root = names_root;
        w->links = 0;
        w->rest = NULL;
        w->trailing = false;
        w->object = ret_object;

        root = open_proc(pid, "root", O_DIRECTORY);
        if (root < 0)
                return root == -ENOENT ? -ESRCH : root;
        if (flags == 0 && path[0] != '\0') {
                r = fast_path(w, root, dirfd, path, ret, size);
                if (r <= 0)
                        return r;
        }
        if (w->task_root[0] == '\0') {
                r = fd_path(root, w->task_root, sizeof(w->task_root));
                if (r < 0)
                        return r;
        }

        if (path[0] != '/' || (flags & (RESOLVE_IN_ROOT | RESOLVE_BENEATH))) {
                char what[32];

                if (dirfd == AT_FDCWD)
                        strcpy(what, "cwd");
                else if (dirfd < 0)
                        return -EBADF;
                else
                        (void) snprintf(what, sizeof(what), "fd/%d", dirfd);
                start = open_proc(pid, what, 0);
                if (start < 0)
                        /* No such fd (or, for the cwd, a task on its way out). */
                        return start == -ENOENT ? (dirfd == AT_FDCWD ? -ENOENT : -EBADF) : start;
        }

        w->scope = (flags & (RESOLVE_IN_ROOT | RESOLVE_BENEATH)) ? start : root;
        if (fstat(w->scope, &w->scope_st) < 0)
                return -errno;

        if (path[0] == '/') {
                if ((flags & RESOLVE_BENEATH) && !(flags & RESOLVE_IN_ROOT))
                        return -EXDEV;
                cur = fcntl(w->scope, F_DUPFD_CLOEXEC, 3);
        } else
                cur = fcntl(start, F_DUPFD_CLOEXEC, 3);
        if (cur < 0)
                return -errno;
        if (fstat(cur, &st) < 0)
                return -errno;
        w->start_dev = (int) st.st_dev;

        if (path[0] == '\0')
                /* AT_EMPTY_PATH: the dirfd itself, whatever it is. */
                return result_of(w, cur, ret, size);
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;

        rest = malloc(REST_MAX);
        if (!rest)
                return -ENOMEM;
        strcpy(rest, path);
        w->rest = rest;
        r = walk(w, &cur, ret, size);
        if (r < 0) {
                ret[0] = '\0';
                if (ret_object)
                        *ret_object = safe_close(*ret_object);
        }
        return r;
}
