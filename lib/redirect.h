/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Carrying out a redirect verdict: the arena the targets are placed in, its
 * pins in the tasks' address spaces, and the SEND_REDIRECT answer. Apart from
 * the listener, which only receives, decides and hands a redirect verdict
 * over; one Redirector per listener, used by one thread at a time (the
 * counters are read from any thread).
 */

#include <stddef.h>
#include <stdint.h>

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
 * Answer notification n on listener_fd with SEND_REDIRECT as verdict v says.
 * how: openat2's struct open_how as read from the task, NULL if it could not
 * be read.
 *
 * 0 answered; -ENOENT task gone; other errors leave the notification pending
 * for the caller to answer, with *ret_reason saying why.
 */
int redirector_send(Redirector *r, int listener_fd, const struct seccomp_notif *n, const SrdVerdict *v,
                    const ProcmemOpenHow *how, const char **ret_reason);
