/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <pthread.h>
#include <stdlib.h>

#include "scratch.h"

/* Free buffers kept for reuse: about as many as threads can be busy with a
 * path at once on a small machine; more than that are freed, so that a
 * burst on many containers does not stay resident. */
#define SCRATCH_KEEP 8

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static Scratch *pool;
static unsigned pool_n;

Scratch *scratch_get(void) {
        Scratch *s;

        (void) pthread_mutex_lock(&pool_lock);
        s = pool;
        if (s) {
                pool = s->next;
                pool_n--;
        }
        (void) pthread_mutex_unlock(&pool_lock);
        /* Not calloc: every user writes before it reads, and clearing 28 KiB
         * would cost more than the notification's own work. */
        return s ?: malloc(sizeof(Scratch));
}

void scratch_put(Scratch *s) {
        if (!s)
                return;
        (void) pthread_mutex_lock(&pool_lock);
        if (pool_n < SCRATCH_KEEP) {
                s->next = pool;
                pool = s;
                pool_n++;
                s = NULL;
        }
        (void) pthread_mutex_unlock(&pool_lock);
        free(s);
}

/* A clean exit leaves no block behind (the daemon's valgrind run counts
 * still-reachable ones as leaks too): what the pool kept goes with it. A
 * buffer still lent out belongs to a listener, which frees it. */
static void __attribute__((destructor)) scratch_pool_free(void) {
        (void) pthread_mutex_lock(&pool_lock);
        while (pool) {
                Scratch *s = pool;

                pool = s->next;
                free(s);
        }
        pool_n = 0;
        (void) pthread_mutex_unlock(&pool_lock);
}
