/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The buffers of one notification that needs paths: what the task wrote,
 * what it resolves to, the verdict with its redirect targets. About 28 KiB,
 * and most notifications need none of it (no path rule names the call).
 *
 * A daemon has a thread per supervised process, nearly all of them asleep
 * in RECV: buffers of their own (on their stacks, or per listener) would
 * cost every process the lot, for good, while only the few threads busy at
 * one moment use any. So they come from one pool for the whole process,
 * taken for a notification and given back before the next receive; the
 * pool keeps a few for reuse and frees the rest.
 */

#include "seccomp-redirect.h"

typedef struct Scratch Scratch;
struct Scratch {
        Scratch *next; /* in the pool, while free */
        char written[SRD_MAX_PATHS][SRD_PATH_MAX + 1];
        char path[SRD_MAX_PATHS][SRD_PATH_MAX + 1];
        SrdVerdict verdict;
        char target[SRD_PATH_MAX + 1]; /* symlink's target, read for its errno */
};

/* NULL when out of memory. The contents are left as they were. */
Scratch *scratch_get(void);
/* NULL is fine. */
void scratch_put(Scratch *s);
