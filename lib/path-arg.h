/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One path argument of a notified syscall, as the listener needs it: the
 * bytes the task passed, the path the kernel will resolve for it (what
 * rules match), and what a pinned answer must hand the kernel so that it
 * acts on exactly that.
 *
 * The kinds, and what the listener does with each:
 *
 *  NAMED     resolved: absolute in the task's root, no symbolic link, no
 *            "." or "..". Rules match it; a continue pins it.
 *  UNNAMED   the call acts on an object that exists but has no name (a
 *            pipe behind /dev/stdin, a removed directory, the dirfd of a
 *            NULL path). No path rule can match; a continue pins the bytes
 *            as written (or nothing for a NULL path), so the task cannot
 *            swap in another path afterwards.
 *  FAILS     the kernel would fail the call in the file system's present
 *            state (a missing file or directory, a file where a directory
 *            must be, too many links, a scoped openat2 escaping): error.
 *            Rules see the lexical name, so that a redirect of a missing
 *            file still works; a continue is answered with error.
 *  REFUSED   the kernel refuses the call as made whatever the file system
 *            holds ("" without AT_EMPTY_PATH, a dirfd that is not open,
 *            unknown RESOLVE_* bits): error, for continue and redirect.
 *  UNPLACED  the daemon cannot establish what the call would act on (the
 *            memory is unreadable, the task invisible, a file outside the
 *            task's root): why. pathError when a path rule names the call.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "procmem.h"
#include "seccomp-redirect.h"

typedef enum PathArgKind {
        PATH_ARG_NAMED,
        PATH_ARG_UNNAMED,
        PATH_ARG_FAILS,
        PATH_ARG_REFUSED,
        PATH_ARG_UNPLACED,
        _PATH_ARG_KIND_MAX,
} PathArgKind;

typedef enum PathArgPin {
        PATH_ARG_PIN_RESOLVED, /* the resolved path */
        PATH_ARG_PIN_WRITTEN, /* the bytes as written */
        PATH_ARG_PIN_NONE, /* nothing: a NULL pointer, which the task cannot change */
} PathArgPin;

typedef struct PathArgResult {
        PathArgKind kind;
        PathArgPin pin;
        int error; /* FAILS, REFUSED: the positive errno the kernel gives; UNPLACED: ours */
        ProcmemWhy why; /* UNPLACED: why (PROCMEM_WHY_UNNAMED for UNNAMED) */
        int final; /* SRD_FINAL_* the walk used */
} PathArgResult;

/*
 * Read path argument pa of a call with args from task pid into written
 * (the bytes, "" for NULL) and resolve it into resolved (both size bytes).
 * how: openat2's struct open_how as read (NULL for other syscalls). Never
 * fails: every outcome is a kind; -EINVAL only for bad arguments.
 */
int path_arg_read(pid_t pid, const SrdPathArg *pa, const uint64_t args[SRD_ARGS], const ProcmemOpenHow *how,
                  char *written, char *resolved, size_t size, PathArgResult *ret);
/* The same, naming the result under names_root (resolve_task_path_under()). */
int path_arg_read_under(pid_t pid, const char *names_root, const SrdPathArg *pa, const uint64_t args[SRD_ARGS],
                        const ProcmemOpenHow *how, char *written, char *resolved, size_t size, PathArgResult *ret);

/*
 * The same; for UNNAMED, *ret_object also gets an O_PATH fd of the object
 * the call would act on (the caller closes it), so that an answer can act
 * on that very object (reopen.h). -EBADF for every other kind.
 */
int path_arg_read_object(pid_t pid, const char *names_root, const SrdPathArg *pa, const uint64_t args[SRD_ARGS],
                         const ProcmemOpenHow *how, char *written, char *resolved, size_t size, int *ret_object,
                         PathArgResult *ret);

/* For the log: what a kind means, and the errno. */
const char *path_arg_kind_to_string(PathArgKind k);
