/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the daemon counts, per container process and per rule, for status
 * and metrics. Rules are counted by name, not by position in a policy
 * object: a reload makes new policy objects, and the counts must carry
 * over. Every container keeps its own Counters (written by its worker
 * only); when it goes, they are added to the manager's, so that the totals
 * per policy and rule outlive both reloads and containers.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "seccomp-redirect.h"

/* Upper bounds of the answer-time histogram, in microseconds; a last +Inf bucket follows. */
#define COUNTERS_N_BUCKETS 15
extern const uint64_t counters_bucket_usec[COUNTERS_N_BUCKETS];

typedef struct RuleCounter {
        char *policy;
        char *rule; /* a rule's name, or defaultAction, pathError, kernel */
        uint64_t hits; /* decided by this rule */
        uint64_t answers[_SRD_ACTION_MAX]; /* answered, by the action applied */
        uint64_t fallbacks; /* redirect verdicts answered with redirectFallback */
} RuleCounter;

/*
 * One writer per Counters (a container's worker, or the main thread for the
 * manager's): it bumps the numbers without a lock, with relaxed atomic
 * stores, and takes lock only to add an entry (rules may move then).
 * Readers (counters_merge()) take lock and load the numbers relaxed: a
 * notification counted meanwhile may show in one number and not yet in the
 * next, never as a torn value.
 */
typedef struct Counters {
        pthread_mutex_t lock; /* the writer adding an entry against readers */
        RuleCounter *rules;
        size_t n_rules, n_alloc;
        uint64_t buckets[COUNTERS_N_BUCKETS + 1]; /* not cumulative; the last one is +Inf */
        uint64_t latency_count;
        uint64_t latency_sum_usec;
} Counters;

/* Zeroed memory is an empty Counters too (glibc's mutex initializer is zeros). */
void counters_init(Counters *c);
void counters_done(Counters *c);

/* One decided call: hits of rule, and the answer it got when answered. */
int counters_note(Counters *c, const char *policy, const char *rule, bool answered, SrdAction applied,
                  bool fallback, uint64_t answer_usec);

/* The same in two steps, for a writer that remembers where its rule is
 * counted: the index of policy/rule (made if new; it never changes), then
 * the count itself, which takes no lock and looks up nothing. */
int counters_index(Counters *c, const char *policy, const char *rule, size_t *ret);
void counters_note_at(Counters *c, size_t index, bool answered, SrdAction applied, bool fallback,
                      uint64_t answer_usec);

/* Add everything of from to into (containers that go leave their counts to the manager). */
int counters_merge(Counters *into, Counters *from);

/* Find (or, with create, add) the entry of policy/rule; under c->lock. */
RuleCounter *counters_find(Counters *c, const char *policy, const char *rule, bool create);
