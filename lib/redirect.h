/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Carrying out a redirect verdict: the arena the targets are placed in, its
 * pins in the tasks' address spaces, and the SEND_REDIRECT answer. Apart from
 * the listener, which only receives, decides and hands a redirect verdict
 * over; one Redirector per listener, used by one thread at a time (the
 * counters are read from any thread).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "procmem.h"
#include "seccomp-redirect.h"
#include "srd-uapi.h"

typedef struct Redirector Redirector;

int redirector_new(Redirector **ret);
Redirector *redirector_free(Redirector *r);

/* Before the first redirect only (-EBUSY after); at most 1 GiB. */
int redirector_set_arena_size(Redirector *r, size_t size);

/* Fills redirects, pins, arena_used and arena_size of ret. */
void redirector_get_stats(const Redirector *r, SrdListenerStats *ret);

/*
 * A path the call may run on only as checked ("pinned continue"): the
 * listener read it and decided, and the kernel must not read the task's
 * memory again. resolved: path is the resolved name, which holds no link,
 * so openat2 gets RESOLVE_NO_SYMLINKS and RESOLVE_NO_MAGICLINKS, and loses
 * the scoping the resolution already applied (an absolute name under
 * RESOLVE_BENEATH would fail). Not resolved: the bytes the task wrote, with
 * its own open_how.
 */
typedef struct RedirectPin {
        const char *path; /* NULL: not pinned */
        bool resolved;
        /* open(2)/openat(2): the flags argument, which gets O_NOFOLLOW so
         * that a link appearing at the checked, link-free last component
         * after the check is refused (ELOOP), not followed; -1: none. The
         * caller sets it only where the last component was checked as not
         * a link. */
        int nofollow_arg;
} RedirectPin;

/*
 * Answer notification n on listener_fd with SEND_REDIRECT as verdict v says,
 * v NULL for a continue, and with every path of pins (NULL: none) that v
 * does not replace pointed at a copy in the arena.
 * how: openat2's struct open_how as read from the task, NULL if it could not
 * be read.
 *
 * 0 answered; -ENOENT task gone; other errors leave the notification pending
 * for the caller to deny, with *ret_reason saying why and *ret_error the
 * errno to deny with: EXDEV for openat2 with RESOLVE_BENEATH or
 * RESOLVE_IN_ROOT (an absolute target leaves the dirfd), EFAULT when its
 * struct open_how could not be read, ENAMETOOLONG when the targets of the
 * call do not fit an empty arena, EACCES for anything else.
 */
int redirector_send(Redirector *r, int listener_fd, const struct seccomp_notif *n, const SrdVerdict *v,
                    const RedirectPin pins[SRD_MAX_PATHS], const ProcmemOpenHow *how,
                    const char **ret_reason, int *ret_error);

/*
 * The checks of redirector_send() that do not depend on the kernel: what no
 * kernel could redirect (RESOLVE_BENEATH, an unreadable open_how). Same
 * return, *ret_reason and *ret_error.
 */
int redirector_check(const struct seccomp_notif *n, const SrdVerdict *v, const ProcmemOpenHow *how,
                     const char **ret_reason, int *ret_error);

/*
 * Place items (strings get a NUL after them; blobs are raw bytes) all in one
 * generation of the arena; their offsets in it. Transient items (a pinned
 * path, a rendered template: bytes no other call needs) and blobs (openat2's
 * struct open_how, as the call passed it) go into the slot of
 * tid, the notifying task, which its next call reuses; the others are
 * deduplicated targets, never written again. When they do not fit, the
 * slots of tids that are gone are freed, and only if that frees nothing a
 * new generation starts. -E2BIG when they do not fit even an empty arena;
 * -ENOSPC when live tids' slots keep filling generations (arena.h,
 * ROLLS_FOR_SLOTS_MAX). redirector_send() uses it; exposed for the tests.
 */
typedef struct RedirectItem {
        const void *data;
        size_t len;
        bool blob;
        bool transient; /* for this call only (a pinned path), not a policy's target */
} RedirectItem;
int redirector_place(Redirector *r, pid_t tid, const RedirectItem *items, size_t n, uint64_t *ret_offsets);

/* Whether a tid exists (default: it has a /proc entry); for the tests. */
typedef bool (*RedirectorAliveFn)(pid_t tid, void *userdata);
void redirector_set_alive(Redirector *r, RedirectorAliveFn alive, void *userdata);

/* The current generation (NULL before the first placement) and its number, from 1. */
typedef struct Arena Arena;
const Arena *redirector_arena(const Redirector *r);
uint64_t redirector_generation(const Redirector *r);
