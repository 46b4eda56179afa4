/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's counters (daemon/counters.c) and its per-kind log rate limit (daemon/log.c). */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "counters.h"
#include "log.h"
#include "tests.h"

TEST(counts_by_rule_name_and_answer) {
        Counters c;
        RuleCounter *e;

        counters_init(&c);
        ASSERT_OK(counters_note(&c, "p", "deny", true, SRD_ACTION_ERRNO, false, 5));
        ASSERT_OK(counters_note(&c, "p", "deny", true, SRD_ACTION_ERRNO, false, 5));
        /* Decided but the task went first: a hit, no answer. */
        ASSERT_OK(counters_note(&c, "p", "deny", false, SRD_ACTION_ERRNO, false, 5));
        ASSERT_OK(counters_note(&c, "p", "to-x", true, SRD_ACTION_ERRNO, true, 5));
        /* The same rule name in another policy is another counter. */
        ASSERT_OK(counters_note(&c, "q", "deny", true, SRD_ACTION_CONTINUE, false, 5));

        ASSERT_EQ(c.n_rules, 3);
        ASSERT_NOT_NULL(e = counters_find(&c, "p", "deny", false));
        ASSERT_EQ(e->hits, 3);
        ASSERT_EQ(e->answers[SRD_ACTION_ERRNO], 2);
        ASSERT_EQ(e->answers[SRD_ACTION_CONTINUE], 0);
        ASSERT_NOT_NULL(e = counters_find(&c, "p", "to-x", false));
        ASSERT_EQ(e->fallbacks, 1);
        ASSERT_NOT_NULL(e = counters_find(&c, "q", "deny", false));
        ASSERT_EQ(e->answers[SRD_ACTION_CONTINUE], 1);
        ASSERT_NULL(counters_find(&c, "p", "nope", false));
        ASSERT_EQ(c.n_rules, 3);
        counters_done(&c);
}

TEST(histogram_bucket_bounds_are_inclusive) {
        Counters c;

        counters_init(&c);
        /* le means "less than or equal": 10 µs is in the first bucket, 11 in the second. */
        ASSERT_OK(counters_note(&c, "p", "r", true, SRD_ACTION_CONTINUE, false, 0));
        ASSERT_OK(counters_note(&c, "p", "r", true, SRD_ACTION_CONTINUE, false, 10));
        ASSERT_OK(counters_note(&c, "p", "r", true, SRD_ACTION_CONTINUE, false, 11));
        ASSERT_OK(counters_note(&c, "p", "r", true, SRD_ACTION_CONTINUE, false, 1000000));
        ASSERT_OK(counters_note(&c, "p", "r", true, SRD_ACTION_CONTINUE, false, 1000001));
        ASSERT_EQ(c.buckets[0], 2);
        ASSERT_EQ(c.buckets[1], 1);
        ASSERT_EQ(c.buckets[COUNTERS_N_BUCKETS - 1], 1);
        ASSERT_EQ(c.buckets[COUNTERS_N_BUCKETS], 1);
        ASSERT_EQ(c.latency_count, 5);
        ASSERT_EQ(c.latency_sum_usec, 2000022);
        for (size_t i = 1; i < COUNTERS_N_BUCKETS; i++)
                ASSERT_TRUE(counters_bucket_usec[i] > counters_bucket_usec[i - 1]);
        counters_done(&c);
}

TEST(merge_adds_everything) {
        Counters a, b;
        RuleCounter *e;

        counters_init(&a);
        counters_init(&b);
        ASSERT_OK(counters_note(&a, "p", "deny", true, SRD_ACTION_ERRNO, false, 20));
        ASSERT_OK(counters_note(&b, "p", "deny", true, SRD_ACTION_ERRNO, false, 20));
        ASSERT_OK(counters_note(&b, "p", "other", true, SRD_ACTION_KILL, false, 2000));
        ASSERT_OK(counters_merge(&a, &b));
        ASSERT_OK(counters_merge(&a, &b));
        ASSERT_NOT_NULL(e = counters_find(&a, "p", "deny", false));
        ASSERT_EQ(e->hits, 3);
        ASSERT_EQ(e->answers[SRD_ACTION_ERRNO], 3);
        ASSERT_NOT_NULL(e = counters_find(&a, "p", "other", false));
        ASSERT_EQ(e->answers[SRD_ACTION_KILL], 2);
        ASSERT_EQ(a.latency_count, 5);
        ASSERT_EQ(a.buckets[1], 3);
        ASSERT_EQ(a.buckets[7], 2);
        /* from is left as it was. */
        ASSERT_EQ(b.latency_count, 2);
        counters_done(&a);
        counters_done(&b);
}

#define WRITER_NOTES 200000

static void *writer(void *userdata) {
        Counters *c = userdata;
        size_t idx[8];

        for (long i = 0; i < WRITER_NOTES; i++) {
                /* New rules keep coming early on: entries are added (and
                 * the array moved) while the reader merges. */
                size_t k = (size_t) i % 8;

                if (i < 8) {
                        char rule[16];

                        (void) snprintf(rule, sizeof(rule), "r%zu", k);
                        if (counters_index(c, "p", rule, &idx[k]) < 0)
                                return (void *) 1;
                }
                counters_note_at(c, idx[k], true, SRD_ACTION_CONTINUE, false, (uint64_t) (i % 3000));
        }
        return NULL;
}

TEST(lockless_writer_and_merging_reader) {
        Counters live, snap;
        pthread_t t;
        void *ret;
        uint64_t last_hits = 0;

        counters_init(&live);
        ASSERT_EQ(pthread_create(&t, NULL, writer, &live), 0);
        for (int n = 0; n < 2000; n++) {
                uint64_t sum = 0, hits = 0;

                counters_init(&snap);
                ASSERT_OK(counters_merge(&snap, &live));
                /* A histogram the scraper can trust: _count is the +Inf bucket. */
                for (size_t b = 0; b <= COUNTERS_N_BUCKETS; b++)
                        sum += snap.buckets[b];
                ASSERT_EQ(snap.latency_count, sum);
                for (size_t i = 0; i < snap.n_rules; i++)
                        hits += snap.rules[i].hits;
                ASSERT_TRUE(hits >= last_hits);
                last_hits = hits;
                counters_done(&snap);
        }
        ASSERT_EQ(pthread_join(t, &ret), 0);
        ASSERT_NULL(ret);

        counters_init(&snap);
        ASSERT_OK(counters_merge(&snap, &live));
        ASSERT_EQ(snap.n_rules, 8);
        ASSERT_EQ(snap.latency_count, WRITER_NOTES);
        for (size_t i = 0; i < snap.n_rules; i++) {
                ASSERT_EQ(snap.rules[i].hits, WRITER_NOTES / 8);
                ASSERT_EQ(snap.rules[i].answers[SRD_ACTION_CONTINUE], WRITER_NOTES / 8);
        }
        counters_done(&snap);
        counters_done(&live);
}

TEST(ratelimit_budget_is_per_kind) {
        RateLimit rl = RATELIMIT_INIT(60U * 1000U * 1000U, 3);
        LogFields f = {.container_id = "c"};

        log_set_target(LOG_TARGET_STDERR);
        for (int i = 0; i < 3; i++)
                ASSERT_TRUE(log_ratelimit_below_kind(&rl, LOG_KIND_DEBUG, &f));
        for (int i = 0; i < 10; i++)
                ASSERT_FALSE(log_ratelimit_below_kind(&rl, LOG_KIND_DEBUG, &f));
        /* Debug's budget is gone; the other kinds still have theirs. */
        for (LogKind k = LOG_KIND_RULE; k < _LOG_KIND_MAX; k++) {
                for (int i = 0; i < 3; i++)
                        ASSERT_TRUE(log_ratelimit_below_kind(&rl, k, &f));
                ASSERT_FALSE(log_ratelimit_below_kind(&rl, k, &f));
        }
        ASSERT_EQ(log_ratelimit_suppressed(&rl, LOG_KIND_DEBUG), 10);
        ASSERT_EQ(log_ratelimit_suppressed(&rl, LOG_KIND_FALLBACK), 1);
        /* The flush says it and starts over; the totals stay. */
        log_ratelimit_flush(&rl, &f);
        ASSERT_EQ(rl.suppressed[LOG_KIND_DEBUG], 0);
        ASSERT_EQ(log_ratelimit_suppressed(&rl, LOG_KIND_DEBUG), 10);
        ASSERT_STREQ(log_kind_to_string(LOG_KIND_FALLBACK), "fallback");
        ASSERT_NULL(log_kind_to_string(_LOG_KIND_MAX));
}

TESTS_MAIN
