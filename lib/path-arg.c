/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "path-arg.h"
#include "resolve.h"

static const char *const kind_table[_PATH_ARG_KIND_MAX] = {
        [PATH_ARG_NAMED] = "named",     [PATH_ARG_UNNAMED] = "unnamed",   [PATH_ARG_FAILS] = "fails",
        [PATH_ARG_REFUSED] = "refused", [PATH_ARG_UNPLACED] = "unplaced",
};

const char *path_arg_kind_to_string(PathArgKind k) {
        if (k < 0 || k >= _PATH_ARG_KIND_MAX)
                return NULL;
        return kind_table[k];
}

static int unplaced(PathArgResult *ret, ProcmemWhy why, int error) {
        ret->kind = PATH_ARG_UNPLACED;
        ret->why = why;
        ret->error = error;
        return 0;
}

static int refused(PathArgResult *ret, int error) {
        ret->kind = PATH_ARG_REFUSED;
        ret->error = error;
        ret->why = PROCMEM_WHY_KERNEL_REFUSES;
        return 0;
}

/* What the outcome r of resolve_task_path() means for the call. */
static int classify(pid_t pid, const SrdPathArg *pa, const uint64_t args[SRD_ARGS], uint64_t flags, int r,
                    const char *written, char *resolved, size_t size, PathArgResult *ret) {
        switch (r) {
        case 0:
                if (resolved[0] == '/') {
                        ret->kind = PATH_ARG_NAMED;
                        return 0;
                }
                /* "pipe:[42]", a removed directory: reached, but by no name. */
                ret->kind = PATH_ARG_UNNAMED;
                ret->why = PROCMEM_WHY_UNNAMED;
                if (ret->pin == PATH_ARG_PIN_RESOLVED)
                        ret->pin = PATH_ARG_PIN_WRITTEN;
                resolved[0] = '\0';
                return 0;

        case -ENOENT:
        case -ENOTDIR:
        case -ELOOP:
        case -EXDEV:
        case -ENAMETOOLONG:
                /*
                 * The kernel fails the call in this state of the file
                 * system. The name it was looking for still matters: a
                 * redirect of a file the container lacks is what redirect
                 * is for. That name is lexical, from the bytes as written;
                 * nothing runs on it but a redirect to the policy's own
                 * target or a deny, never the call as made.
                 */
                ret->kind = PATH_ARG_FAILS;
                ret->error = -r;
                if (!written ||
                    procmem_place_path(pid, pa, args, flags, written, resolved, size, NULL) < 0 ||
                    resolved[0] != '/')
                        resolved[0] = '\0';
                return 0;

        case -EBADF:
        case -EINVAL:
                /* A dirfd that is not open, RESOLVE_* bits the kernel does
                 * not know: refused, whatever the file system holds. */
                resolved[0] = '\0';
                return refused(ret, -r);

        default:
                resolved[0] = '\0';
                if (r == -EREMOTE)
                        return unplaced(ret, PROCMEM_WHY_OUTSIDE_ROOT, EXDEV);
                if (r == -ESRCH)
                        return unplaced(ret, PROCMEM_WHY_TASK_INVISIBLE, ESRCH);
                if (r == -EOVERFLOW)
                        return unplaced(ret, PROCMEM_WHY_JOINED_TOO_LONG, ENAMETOOLONG);
                return unplaced(ret, PROCMEM_WHY_WALK_FAILED, -r);
        }
}

int path_arg_read(pid_t pid, const SrdPathArg *pa, const uint64_t args[SRD_ARGS], const ProcmemOpenHow *how,
                  char *written, char *resolved, size_t size, PathArgResult *ret) {
        return path_arg_read_under(pid, NULL, pa, args, how, written, resolved, size, ret);
}

int path_arg_read_under(pid_t pid, const char *names_root, const SrdPathArg *pa, const uint64_t args[SRD_ARGS],
                        const ProcmemOpenHow *how, char *written, char *resolved, size_t size, PathArgResult *ret) {
        return path_arg_read_object(pid, names_root, pa, args, how, written, resolved, size, NULL, ret);
}

int path_arg_read_object(pid_t pid, const char *names_root, const SrdPathArg *pa, const uint64_t args[SRD_ARGS],
                         const ProcmemOpenHow *how, char *written, char *resolved, size_t size, int *ret_object,
                         PathArgResult *ret) {
        uint64_t flags = how ? how->resolve : 0;
        int dirfd = AT_FDCWD, r;

        if (ret_object)
                *ret_object = -EBADF;
        if (!pa || !args || !written || !resolved || size == 0 || !ret || pa->arg < 0 || pa->arg >= SRD_ARGS)
                return -EINVAL;
        written[0] = resolved[0] = '\0';
        *ret = (PathArgResult){
                .kind = PATH_ARG_UNPLACED,
                .pin = PATH_ARG_PIN_RESOLVED,
                .final = srd_path_arg_final(pa, args, how ? how->flags : 0),
        };
        if (ret->final < 0)
                return ret->final;

        /* The kernel reads a dirfd as an int: only the low 32 bits count. */
        if (pa->dirfd_arg >= 0 && pa->dirfd_arg < SRD_ARGS)
                dirfd = (int) (uint32_t) args[pa->dirfd_arg];

        if (pid <= 0)
                /* Outside our pid namespace: nothing of it can be read. */
                return unplaced(ret, PROCMEM_WHY_TASK_INVISIBLE, ESRCH);

        if (args[pa->arg] == 0) {
                /* utimensat(fd, NULL), fanotify_mark(.., dirfd, NULL): the
                 * call acts on the dirfd, and there is nothing to swap. */
                if (!pa->null_is_dirfd)
                        return unplaced(ret, PROCMEM_WHY_NULL_PATH, EFAULT);
                ret->pin = PATH_ARG_PIN_NONE;
                r = resolve_task_object_under(pid, names_root, dirfd, "", (ResolveFinal) ret->final, 0, resolved,
                                              size, ret_object);
                return classify(pid, pa, args, 0, r, NULL, resolved, size, ret);
        }

        r = procmem_read_string(pid, args[pa->arg], written, size);
        if (r < 0) {
                written[0] = '\0';
                if (r == -ENAMETOOLONG)
                        return unplaced(ret, PROCMEM_WHY_PATH_TOO_LONG, ENAMETOOLONG);
                if (r == -ESRCH)
                        return unplaced(ret, PROCMEM_WHY_TASK_INVISIBLE, ESRCH);
                return unplaced(ret, PROCMEM_WHY_PATH_UNREADABLE, -r);
        }

        if (written[0] == '\0') {
                /* openat2 has no AT_EMPTY_PATH; the rest only with the flag. */
                bool empty_ok = !how && pa->flags_arg >= 0 && pa->flags_arg < SRD_ARGS &&
                                (args[pa->flags_arg] & AT_EMPTY_PATH);

                if (!empty_ok)
                        return refused(ret, ENOENT);
                /* The dirfd's object; the "" is what gets pinned. */
                ret->pin = PATH_ARG_PIN_WRITTEN;
        }

        r = resolve_task_object_under(pid, names_root, dirfd, written, (ResolveFinal) ret->final, flags, resolved,
                                      size, ret_object);
        return classify(pid, pa, args, flags, r, written, resolved, size, ret);
}
