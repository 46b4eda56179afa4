/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "macro.h"

/* 10 µs to 1 s: a continue takes tens of µs, a redirect with a path
 * resolution hundreds, a stuck read of a hostile task's memory seconds. */
const uint64_t counters_bucket_usec[COUNTERS_N_BUCKETS] = {
        10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000,
};

void counters_init(Counters *c) {
        *c = (Counters){};
        (void) pthread_mutex_init(&c->lock, NULL);
}

void counters_done(Counters *c) {
        for (size_t i = 0; i < c->n_rules; i++) {
                free(c->rules[i].policy);
                free(c->rules[i].rule);
        }
        free(c->rules);
        c->rules = NULL;
        c->n_rules = c->n_alloc = 0;
        (void) pthread_mutex_destroy(&c->lock);
}

RuleCounter *counters_find(Counters *c, const char *policy, const char *rule, bool create) {
        RuleCounter *e;

        /* A policy has tens of rules: a scan costs less than the reads of
         * the task's memory that every notification makes anyway. */
        for (size_t i = 0; i < c->n_rules; i++)
                if (streq(c->rules[i].rule, rule) && streq(c->rules[i].policy, policy))
                        return &c->rules[i];
        if (!create)
                return NULL;
        if (c->n_rules >= c->n_alloc) {
                size_t n = c->n_alloc ? c->n_alloc * 2 : 4; /* most containers hit a few rules */
                RuleCounter *p = realloc(c->rules, n * sizeof(*p));

                if (!p)
                        return NULL;
                c->rules = p;
                c->n_alloc = n;
        }
        e = &c->rules[c->n_rules];
        *e = (RuleCounter){.policy = strdup(policy), .rule = strdup(rule)};
        if (!e->policy || !e->rule) {
                free(e->policy);
                free(e->rule);
                return NULL;
        }
        c->n_rules++;
        return e;
}

static size_t bucket_of(uint64_t usec) {
        size_t i = 0;

        while (i < COUNTERS_N_BUCKETS && usec > counters_bucket_usec[i])
                i++;
        return i;
}

/* Only the one writer stores: a plain add, made atomic for the readers. */
static void bump(uint64_t *x, uint64_t d) {
        __atomic_store_n(x, __atomic_load_n(x, __ATOMIC_RELAXED) + d, __ATOMIC_RELAXED);
}

static uint64_t load(const uint64_t *x) {
        return __atomic_load_n(x, __ATOMIC_RELAXED);
}

int counters_index(Counters *c, const char *policy, const char *rule, size_t *ret) {
        RuleCounter *e;

        (void) pthread_mutex_lock(&c->lock);
        e = counters_find(c, policy, rule, true);
        if (e)
                *ret = (size_t) (e - c->rules);
        (void) pthread_mutex_unlock(&c->lock);
        return e ? 0 : -ENOMEM;
}

void counters_note_at(Counters *c, size_t index, bool answered, SrdAction applied, bool fallback,
                      uint64_t answer_usec) {
        /* The writer's own entries: rules moves only under its own hand. */
        RuleCounter *e = &c->rules[index];

        bump(&e->hits, 1);
        if (answered && applied >= 0 && applied < _SRD_ACTION_MAX)
                bump(&e->answers[applied], 1);
        if (fallback)
                bump(&e->fallbacks, 1);
        bump(&c->buckets[bucket_of(answer_usec)], 1);
        bump(&c->latency_count, 1);
        bump(&c->latency_sum_usec, answer_usec);
}

int counters_note(Counters *c, const char *policy, const char *rule, bool answered, SrdAction applied,
                  bool fallback, uint64_t answer_usec) {
        size_t i;
        int r;

        r = counters_index(c, policy, rule, &i);
        if (r < 0) {
                /* The call still counts in the histogram. */
                bump(&c->buckets[bucket_of(answer_usec)], 1);
                bump(&c->latency_count, 1);
                bump(&c->latency_sum_usec, answer_usec);
                return r;
        }
        counters_note_at(c, i, answered, applied, fallback, answer_usec);
        return 0;
}

int counters_merge(Counters *into, Counters *from) {
        uint64_t n = 0;
        int r = 0;

        /* into is the caller's own (no writer bumps it meanwhile); from may
         * be a live container's, whose worker counts on without the lock. */
        (void) pthread_mutex_lock(&into->lock);
        (void) pthread_mutex_lock(&from->lock);
        for (size_t i = 0; i < from->n_rules; i++) {
                const RuleCounter *f = &from->rules[i];
                RuleCounter *e = counters_find(into, f->policy, f->rule, true);

                if (!e) {
                        r = -ENOMEM;
                        continue;
                }
                e->hits += load(&f->hits);
                for (size_t a = 0; a < _SRD_ACTION_MAX; a++)
                        e->answers[a] += load(&f->answers[a]);
                e->fallbacks += load(&f->fallbacks);
        }
        for (size_t b = 0; b <= COUNTERS_N_BUCKETS; b++) {
                uint64_t k = load(&from->buckets[b]);

                into->buckets[b] += k;
                n += k;
        }
        /* The count from the very buckets read, so that a histogram's
         * _count is its +Inf bucket even with a call counted meanwhile. */
        into->latency_count += n;
        into->latency_sum_usec += load(&from->latency_sum_usec);
        (void) pthread_mutex_unlock(&from->lock);
        (void) pthread_mutex_unlock(&into->lock);
        return r;
}
